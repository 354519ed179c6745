/*  nmirf_csv - an RFC 4180 CSV reader over a buffer in memory. */
#include "nmirf_csv.h"
#include "nmirf_mp.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct _nmirf_csv_t {
    const char *data; /* the input, borrowed */
    size_t len;       /* its length */
    size_t pos;       /* next byte to read */
    size_t line;      /* line of data[pos], from 1 */
    size_t rec_line;  /* line where the current record began */
    bool checked;     /* the input's UTF-8 has been checked */
    bool failed;      /* a -1 was returned: stay failed */
    char *buf;        /* decoded fields, each followed by a NUL */
    size_t buf_size;  /* bytes allocated in buf */
    size_t *offs;     /* where field i starts in buf; offs[count] is the end */
    size_t offs_size; /* entries allocated in offs */
    size_t count;     /* fields in the current record */
    char error[128];  /* why the last call failed */
};

nmirf_csv_t *
nmirf_csv_new(const char *data, size_t len)
{
    nmirf_csv_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->data = data;
    self->len = len;
    self->line = 1;
    /* Decoded fields are never longer than the input, plus one NUL per
       field; a field table grows as needed. */
    self->buf_size = len + 1;
    self->buf = malloc(self->buf_size);
    self->offs_size = 16;
    self->offs = malloc(self->offs_size * sizeof *self->offs);
    if (!self->buf || !self->offs) {
        nmirf_csv_destroy(&self);
        return NULL;
    }
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
        self->pos = 3;
    return self;
}

void
nmirf_csv_destroy(nmirf_csv_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free((*self_p)->buf);
    free((*self_p)->offs);
    free(*self_p);
    *self_p = NULL;
}

/* Fails the reader with a message about line. Returns -1. */
static int
s_fail(nmirf_csv_t *self, size_t line, const char *what)
{
    snprintf(self->error, sizeof self->error, "line %zu: %s", line, what);
    self->failed = true;
    return -1;
}

/* Checks the input's UTF-8 line by line, so a refusal names the line (no
   UTF-8 sequence contains a newline byte). */
static int
s_check_utf8(nmirf_csv_t *self)
{
    size_t line = 1, start = self->pos;
    while (start <= self->len) {
        const char *nl = memchr(self->data + start, '\n', self->len - start);
        size_t end = nl ? (size_t)(nl - self->data) : self->len;
        if (!nmirf_utf8_valid((const uint8_t *)self->data + start, end - start))
            return s_fail(self, line, "invalid UTF-8 (save the file as UTF-8)");
        if (!nl)
            break;
        start = end + 1;
        line++;
    }
    self->checked = true;
    return 0;
}

/* Starts field number count at byte used of buf. */
static int
s_field_start(nmirf_csv_t *self, size_t used)
{
    if (self->count + 2 > self->offs_size) {
        size_t n = self->offs_size * 2;
        size_t *o = realloc(self->offs, n * sizeof *o);
        if (!o)
            return s_fail(self, self->line, "out of memory");
        self->offs = o;
        self->offs_size = n;
    }
    self->offs[self->count] = used;
    return 0;
}

/* Consumes a line break at pos if there is one (CRLF, LF or CR). */
static bool
s_eol(nmirf_csv_t *self)
{
    const char *d = self->data;
    if (self->pos < self->len && d[self->pos] == '\r') {
        self->pos++;
        if (self->pos < self->len && d[self->pos] == '\n')
            self->pos++;
    } else if (self->pos < self->len && d[self->pos] == '\n')
        self->pos++;
    else
        return false;
    self->line++;
    return true;
}

int
nmirf_csv_next(nmirf_csv_t *self)
{
    if (self->failed)
        return -1;
    if (!self->checked && s_check_utf8(self))
        return -1;
    const char *d = self->data;
    /* Empty lines between records are not records. */
    while (s_eol(self))
        ;
    if (self->pos >= self->len)
        return 0;
    self->rec_line = self->line;
    self->count = 0;
    size_t used = 0;
    for (;;) {
        if (s_field_start(self, used))
            return -1;
        size_t field_line = self->line;
        if (self->pos < self->len && d[self->pos] == '"') {
            self->pos++;
            for (;;) {
                if (self->pos >= self->len)
                    return s_fail(self, field_line, "a quoted field is never closed");
                char c = d[self->pos];
                if (c == '"') {
                    if (self->pos + 1 < self->len && d[self->pos + 1] == '"') {
                        self->buf[used++] = '"';
                        self->pos += 2;
                        continue;
                    }
                    self->pos++;
                    break;
                }
                if (c == '\n' || (c == '\r' && !(self->pos + 1 < self->len &&
                                                 d[self->pos + 1] == '\n')))
                    self->line++;
                self->buf[used++] = c;
                self->pos++;
            }
            if (self->pos < self->len && d[self->pos] != ',' && d[self->pos] != '\r' &&
                d[self->pos] != '\n')
                return s_fail(self, self->line,
                              "text after a closing quote (a quote inside a quoted "
                              "field must be doubled)");
        } else {
            while (self->pos < self->len && d[self->pos] != ',' && d[self->pos] != '\r' &&
                   d[self->pos] != '\n')
                self->buf[used++] = d[self->pos++];
        }
        self->buf[used++] = 0;
        self->count++;
        if (self->pos < self->len && d[self->pos] == ',') {
            self->pos++;
            continue;
        }
        s_eol(self);
        break;
    }
    self->offs[self->count] = used;
    return 1;
}

size_t
nmirf_csv_count(const nmirf_csv_t *self)
{
    return self->count;
}

const char *
nmirf_csv_field(const nmirf_csv_t *self, size_t i, size_t *len)
{
    if (i >= self->count)
        return NULL;
    if (len)
        *len = self->offs[i + 1] - self->offs[i] - 1;
    return self->buf + self->offs[i];
}

size_t
nmirf_csv_line(const nmirf_csv_t *self)
{
    return self->rec_line;
}

const char *
nmirf_csv_error(const nmirf_csv_t *self)
{
    return self->error;
}

/* Reads text and compares it with want: records separated by '|', fields
   by ';' (want "!" + message prefix for an expected failure). */
static int
s_case(bool verbose, const char *name, const char *text, size_t len, const char *want)
{
    nmirf_csv_t *csv = nmirf_csv_new(text, len);
    char got[512] = "";
    size_t n = 0;
    int rc;
    while ((rc = nmirf_csv_next(csv)) == 1) {
        if (n)
            n += (size_t)snprintf(got + n, sizeof got - n, "|");
        for (size_t i = 0; i < nmirf_csv_count(csv) && n < sizeof got; i++)
            n += (size_t)snprintf(got + n, sizeof got - n, "%s%s", i ? ";" : "",
                                  nmirf_csv_field(csv, i, NULL));
    }
    if (rc < 0)
        snprintf(got, sizeof got, "!%s", nmirf_csv_error(csv));
    nmirf_csv_destroy(&csv);
    bool ok =
        want[0] == '!' ? strncmp(got, want, strlen(want)) == 0 : strcmp(got, want) == 0;
    if (!ok || verbose)
        fprintf(stderr, "%s csv %s: got [%s] want [%s]\n", ok ? "ok" : "FAIL", name, got,
                want);
    return ok ? 0 : 1;
}

void
nmirf_csv_put(FILE *out, const char *s, size_t n, bool for_sheet)
{
    bool formula = for_sheet && n > 1 && strchr("=+-@\t\r", s[0]); /* "-" alone is text */
    if (formula)
        fputc('\'', out);
    if (!memchr(s, '\0', n) && !strpbrk(s, ",\"\r\n")) {
        fwrite(s, 1, n, out);
        return;
    }
    fputc('"', out);
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"')
            fputc('"', out);
        fputc(s[i], out);
    }
    fputc('"', out);
}

int
nmirf_csv_test(bool verbose)
{
#define CASE(name, text, want) s_case(verbose, name, text, sizeof text - 1, want)
    int failures = 0;
    failures += CASE("plain", "a,b,c\n1,2,3\n", "a;b;c|1;2;3");
    failures += CASE("no final newline", "a,b\n1,2", "a;b|1;2");
    failures += CASE("crlf", "a,b\r\n1,2\r\n", "a;b|1;2");
    failures += CASE("cr only", "a,b\r1,2\r", "a;b|1;2");
    failures += CASE("bom", "\xEF\xBB\xBFid,x\n1,2\n", "id;x|1;2");
    failures += CASE("quoted comma", "\"a,b\",c\n", "a,b;c");
    failures += CASE("doubled quote", "\"say \"\"hi\"\"\",x\n", "say \"hi\";x");
    failures += CASE("embedded newline", "\"l1\nl2\",x\ny,z\n", "l1\nl2;x|y;z");
    failures += CASE("embedded crlf", "\"l1\r\nl2\",x\r\n", "l1\r\nl2;x");
    failures += CASE("empty fields", ",,\n", ";;");
    failures += CASE("empty quoted", "\"\",a\n", ";a");
    failures += CASE("blank lines", "\n\na\n\r\n\nb\n", "a|b");
    failures += CASE("ragged", "a,b,c\n1\n1,2,3,4\n", "a;b;c|1|1;2;3;4");
    failures += CASE("bare quote kept", "a\"b,c\n", "a\"b;c");
    failures += CASE("arabic", "\"نص عربي\",x\n", "نص عربي;x");
    failures += CASE("empty input", "", "");
    failures += CASE("only bom", "\xEF\xBB\xBF", "");
    failures +=
        CASE("unclosed", "a\n\"open,\nstill\n", "!line 2: a quoted field is never");
    failures += CASE("after quote", "\"a\"b,c\n", "!line 1: text after a closing quote");
    failures += CASE("bad utf8", "a,b\nc,\xC3\x28\n", "!line 2: invalid UTF-8");
    failures += CASE("overlong utf8", "\xC0\xAF\n", "!line 1: invalid UTF-8");
    failures += CASE("nul byte", "a\0b,c\n", "a;c");
    /* Line numbers count the line breaks inside quoted fields. */
    nmirf_csv_t *csv = nmirf_csv_new("h\n\"x\ny\"\nz\n", 10);
    size_t lines[3] = {0};
    for (int i = 0; i < 3 && nmirf_csv_next(csv) == 1; i++)
        lines[i] = nmirf_csv_line(csv);
    nmirf_csv_destroy(&csv);
    if (lines[0] != 1 || lines[1] != 2 || lines[2] != 4) {
        fprintf(stderr, "FAIL csv lines: %zu %zu %zu, want 1 2 4\n", lines[0], lines[1],
                lines[2]);
        failures++;
    }
    /* The writer: quoting, and formulas shown as text only for sheets. */
    static const struct {
        const char *in;
        bool for_sheet;
        const char *want;
    } puts_cases[] = {
        {"plain", false, "plain"},
        {"a,b", false, "\"a,b\""},
        {"say \"hi\"", false, "\"say \"\"hi\"\"\""},
        {"l1\nl2", false, "\"l1\nl2\""},
        {"=SUM(A1)", false, "=SUM(A1)"},
        {"=SUM(A1)", true, "'=SUM(A1)"},
        {"@x,y", true, "'\"@x,y\""},
        {"-", true, "-"},
        {"-5", true, "'-5"},
        {"", true, ""},
    };
    for (size_t i = 0; i < sizeof puts_cases / sizeof puts_cases[0]; i++) {
        char *buf = NULL;
        size_t size = 0;
        FILE *out = open_memstream(&buf, &size);
        if (!out)
            return failures + 1;
        nmirf_csv_put(out, puts_cases[i].in, strlen(puts_cases[i].in),
                      puts_cases[i].for_sheet);
        fclose(out);
        if (strcmp(buf, puts_cases[i].want) != 0) {
            fprintf(stderr, "FAIL csv put %s: got [%s], want [%s]\n", puts_cases[i].in,
                    buf, puts_cases[i].want);
            failures++;
        }
        free(buf);
    }
    return failures;
#undef CASE
}
