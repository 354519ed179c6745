/*  nmirf_csv - an RFC 4180 CSV reader over a buffer or a stream, and its writer. */
#include "nmirf_csv.h"
#include "nmirf_mp.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WINDOW_SIZE (64 * 1024) /* bytes read from a stream at a time */
#define NUL_BYTE "a NUL byte: this is not a text file"

struct _nmirf_csv_t {
    FILE *file;        /* the stream read, borrowed; NULL for a buffer */
    const char *data;  /* the buffer, borrowed, or the window over the stream */
    size_t len;        /* bytes in data */
    size_t pos;        /* next byte of data to read */
    char *window;      /* the stream's window (owned) */
    bool eof;          /* the stream has no more bytes */
    size_t record_max; /* largest record, bytes decoded */
    size_t line;       /* line of the next byte, from 1 */
    size_t rec_line;   /* line where the current record began */
    bool started;      /* the byte order mark was looked for */
    bool failed;       /* a -1 was returned: stay failed */
    char *buf;         /* decoded fields, each followed by a NUL */
    size_t buf_size;   /* bytes allocated in buf */
    size_t *offs;      /* where field i starts in buf; offs[count] is the end */
    size_t offs_size;  /* entries allocated in offs */
    size_t count;      /* fields in the current record */
    char error[128];   /* why the last call failed */
};

/* Allocates a reader's tables. */
static nmirf_csv_t *
s_new(void)
{
    nmirf_csv_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->line = 1;
    self->buf_size = 256;
    self->buf = malloc(self->buf_size);
    self->offs_size = 16;
    self->offs = malloc(self->offs_size * sizeof *self->offs);
    if (!self->buf || !self->offs)
        nmirf_csv_destroy(&self);
    return self;
}

nmirf_csv_t *
nmirf_csv_new(const char *data, size_t len)
{
    nmirf_csv_t *self = s_new();
    if (!self)
        return NULL;
    self->data = data;
    self->len = len;
    self->eof = true;
    /* Decoded fields are never longer than the input: no limit needed. */
    self->record_max = SIZE_MAX;
    return self;
}

nmirf_csv_t *
nmirf_csv_new_file(FILE *file, size_t record_max)
{
    nmirf_csv_t *self = s_new();
    if (!self)
        return NULL;
    self->window = malloc(WINDOW_SIZE);
    if (!self->window) {
        nmirf_csv_destroy(&self);
        return NULL;
    }
    self->file = file;
    self->data = self->window;
    self->record_max = record_max;
    return self;
}

void
nmirf_csv_destroy(nmirf_csv_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free((*self_p)->buf);
    free((*self_p)->offs);
    free((*self_p)->window);
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

/* The byte k places ahead of the next one, or -1 at the end of the input
   (or on a read error: ferror tells the caller). A stream's window is
   refilled as needed; the parser never looks more than 2 bytes ahead. */
static int
s_peek(nmirf_csv_t *self, size_t k)
{
    if (self->pos + k < self->len)
        return (unsigned char)self->data[self->pos + k];
    if (self->eof)
        return -1;
    size_t keep = self->len - self->pos;
    memmove(self->window, self->window + self->pos, keep);
    self->pos = 0;
    self->len = keep;
    while (self->len <= k && !self->eof) {
        size_t got =
            fread(self->window + self->len, 1, WINDOW_SIZE - self->len, self->file);
        self->len += got;
        if (got == 0)
            self->eof = true;
    }
    return k < self->len ? (unsigned char)self->data[k] : -1;
}

/* Checks a decoded field: UTF-8, no NUL byte (not text). A refusal names
   the line of the bad byte: the field began at line, and each line break
   it holds counts as in the input (no UTF-8 sequence holds CR or LF). */
static int
s_check_field(nmirf_csv_t *self, const char *f, size_t n, size_t line)
{
    if (memchr(f, 0, n) == NULL && nmirf_utf8_valid((const uint8_t *)f, n))
        return 0;
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && f[i] != '\n' && f[i] != '\r')
            continue;
        if (memchr(f + start, 0, i - start))
            return s_fail(self, line, NUL_BYTE);
        if (!nmirf_utf8_valid((const uint8_t *)f + start, i - start))
            return s_fail(self, line, "invalid UTF-8 (save the file as UTF-8)");
        if (i < n && !(f[i] == '\r' && i + 1 < n && f[i + 1] == '\n'))
            line++;
        start = i + 1;
    }
    return 0;
}

/* Starts field number count at byte used of buf. */
static int
s_field_start(nmirf_csv_t *self, size_t used)
{
    if (self->count >= NMIRF_CSV_FIELDS_MAX)
        return s_fail(self, self->rec_line,
                      "more fields than a CSV of recommendations has");
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

/* Appends byte c to the record's buffer at *used, growing it up to the
   record limit. */
static int
s_put(nmirf_csv_t *self, size_t *used, char c)
{
    if (*used == self->buf_size) {
        if (self->buf_size >= self->record_max) {
            char what[96];
            snprintf(what, sizeof what,
                     "a record longer than %zu bytes (not a CSV of "
                     "recommendations?)",
                     self->record_max);
            return s_fail(self, self->rec_line, what);
        }
        size_t n = self->buf_size * 2;
        if (n > self->record_max)
            n = self->record_max;
        char *b = realloc(self->buf, n);
        if (!b)
            return s_fail(self, self->line, "out of memory");
        self->buf = b;
        self->buf_size = n;
    }
    self->buf[(*used)++] = c;
    return 0;
}

/* Consumes a line break if there is one (CRLF, LF or CR). */
static bool
s_eol(nmirf_csv_t *self)
{
    int c = s_peek(self, 0);
    if (c == '\r') {
        self->pos++;
        if (s_peek(self, 0) == '\n')
            self->pos++;
    } else if (c == '\n')
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
    if (!self->started) {
        self->started = true;
        if (s_peek(self, 0) == 0xEF && s_peek(self, 1) == 0xBB && s_peek(self, 2) == 0xBF)
            self->pos += 3;
    }
    /* Empty lines between records are not records. */
    while (s_eol(self))
        ;
    if (s_peek(self, 0) < 0) {
        if (self->file && ferror(self->file))
            return s_fail(self, self->line, "read error");
        return 0;
    }
    self->rec_line = self->line;
    self->count = 0;
    size_t used = 0;
    int c;
    for (;;) {
        if (s_field_start(self, used))
            return -1;
        size_t field_line = self->line, field_start = used;
        if (s_peek(self, 0) == '"') {
            self->pos++;
            for (;;) {
                c = s_peek(self, 0);
                if (c < 0)
                    return s_fail(self, field_line, "a quoted field is never closed");
                if (c == '"') {
                    if (s_peek(self, 1) == '"') {
                        if (s_put(self, &used, '"'))
                            return -1;
                        self->pos += 2;
                        continue;
                    }
                    self->pos++;
                    break;
                }
                if (c == '\n' || (c == '\r' && s_peek(self, 1) != '\n'))
                    self->line++;
                if (c == 0)
                    return s_fail(self, self->line, NUL_BYTE);
                if (s_put(self, &used, (char)c))
                    return -1;
                self->pos++;
            }
            c = s_peek(self, 0);
            if (c >= 0 && c != ',' && c != '\r' && c != '\n')
                return s_fail(self, self->line,
                              "text after a closing quote (a quote inside a quoted "
                              "field must be doubled)");
        } else {
            while ((c = s_peek(self, 0)) >= 0 && c != ',' && c != '\r' && c != '\n') {
                if (c == 0)
                    return s_fail(self, self->line, NUL_BYTE);
                if (s_put(self, &used, (char)c))
                    return -1;
                self->pos++;
            }
        }
        if (s_check_field(self, self->buf + field_start, used - field_start,
                          field_line) ||
            s_put(self, &used, 0))
            return -1;
        self->count++;
        if (s_peek(self, 0) == ',') {
            self->pos++;
            continue;
        }
        s_eol(self);
        break;
    }
    if (self->file && ferror(self->file))
        return s_fail(self, self->line, "read error");
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

bool
nmirf_csv_formula(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && s[i] == '\'')
        i++;
    return i < n && strchr("=+-@\t\r", s[i]) && s[i] != 0 && n > 1;
}

size_t
nmirf_csv_unformula(const char *s, size_t n)
{
    return n > 1 && s[0] == '\'' && nmirf_csv_formula(s + 1, n - 1) ? 1 : 0;
}

void
nmirf_csv_put(FILE *out, const char *s, size_t n, bool neutral)
{
    bool formula = neutral && nmirf_csv_formula(s, n);
    if (!memchr(s, '\0', n) && !memchr(s, ',', n) && !memchr(s, '"', n) &&
        !memchr(s, '\r', n) && !memchr(s, '\n', n)) {
        if (formula)
            fputc('\'', out);
        fwrite(s, 1, n, out);
        return;
    }
    /* The apostrophe goes inside the quotes: it is part of the value. */
    fputc('"', out);
    if (formula)
        fputc('\'', out);
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
    failures +=
        CASE("nul byte", "a,b\nc\0d,e\n", "!line 2: a NUL byte: this is not a text");
    failures += CASE("bad utf8 in a quoted field's line 2", "h\n\"ok\nno\xff\",x\n",
                     "!line 3: invalid UTF-8");
    failures += CASE("bad utf8 after crlf in a field", "\"a\r\nb\r\n\xc3\",x\n",
                     "!line 3: invalid UTF-8");
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
        {"@x,y", true, "\"'@x,y\""},
        {"-", true, "-"},
        {"-5", true, "'-5"},
        {"+1", true, "'+1"},
        {"\tx", true, "'\tx"},
        {"\rx", true, "\"'\rx\""},
        {"'=x", true, "''=x"},
        {"''-", true, "'''-"},
        {"'", true, "'"},
        {"'a", true, "'a"},
        {"a=b", true, "a=b"},
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
    /* Neutralised values read back as the same bytes. */
    static const char *const values[] = {"=1", "'=1", "''=1", "-",  "'-", "''-",
                                         "'",  "''",  "'a",   "@",  "@@", "\t",
                                         "a",  "",    "'\r",  "+-", NULL};
    for (size_t i = 0; values[i]; i++) {
        const char *v = values[i];
        size_t n = strlen(v);
        char w[16];
        size_t m = 0;
        if (nmirf_csv_formula(v, n))
            w[m++] = '\'';
        memcpy(w + m, v, n);
        m += n;
        size_t drop = nmirf_csv_unformula(w, m);
        if (m - drop != n || memcmp(w + drop, v, n) != 0) {
            fprintf(stderr, "FAIL csv neutral round trip of [%s]\n", v);
            failures++;
        }
    }
    /* A stream reads as the buffer does, across window boundaries, and
       refuses a record over its limit. */
    size_t biglen = 3 * WINDOW_SIZE + 7;
    char *big = malloc(biglen);
    if (!big)
        return failures + 1;
    for (size_t i = 0; i < biglen; i++)
        big[i] = i % 37 == 36 ? '\n' : i % 11 == 10 ? ',' : i % 5 == 4 ? '\r' : 'a';
    FILE *f = fmemopen(big, biglen, "r");
    nmirf_csv_t *mem = nmirf_csv_new(big, biglen), *str = nmirf_csv_new_file(f, 1024);
    int rm, rs = 0;
    size_t records = 0;
    while ((rm = nmirf_csv_next(mem)) == 1 && (rs = nmirf_csv_next(str)) == 1) {
        records++;
        bool same = nmirf_csv_count(mem) == nmirf_csv_count(str) &&
                    nmirf_csv_line(mem) == nmirf_csv_line(str);
        for (size_t i = 0; same && i < nmirf_csv_count(mem); i++) {
            size_t a = 0, b = 0;
            const char *fa = nmirf_csv_field(mem, i, &a),
                       *fb = nmirf_csv_field(str, i, &b);
            same = a == b && memcmp(fa, fb, a) == 0;
        }
        if (!same) {
            fprintf(stderr, "FAIL csv stream differs at record %zu\n", records);
            failures++;
            break;
        }
    }
    if (rm != 0 || rs != 1 || nmirf_csv_next(str) != 0 || records < 1000) {
        fprintf(stderr, "FAIL csv stream end after %zu records: %d %d [%s]\n", records,
                rm, rs, nmirf_csv_error(str));
        failures++;
    }
    nmirf_csv_destroy(&mem);
    nmirf_csv_destroy(&str);
    fclose(f);
    memset(big, 'x', biglen);
    f = fmemopen(big, biglen, "r");
    str = nmirf_csv_new_file(f, 1000);
    if (nmirf_csv_next(str) != -1 ||
        strcmp(nmirf_csv_error(str),
               "line 1: a record longer than 1000 bytes (not a CSV of "
               "recommendations?)") != 0) {
        fprintf(stderr, "FAIL csv record limit: [%s]\n", nmirf_csv_error(str));
        failures++;
    }
    nmirf_csv_destroy(&str);
    fclose(f);
    free(big);
    return failures;
#undef CASE
}
