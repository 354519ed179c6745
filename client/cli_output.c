/*  cli_output - text tables, record views and JSON on stdout.

    Texts come in French, Arabic and English, so widths are counted in
    display columns, not bytes: a byte count would misalign every row that
    holds an accent, and cutting at a byte would split a character. The
    width table is small on purpose (combining marks, including the Arabic
    harakat, take no column; East Asian wide characters take two): it is
    enough to align the project's languages without a locale.

    Everything the broker sends is displayed through a filter that turns
    control characters into spaces, so a recommendation's text cannot move
    the cursor or recolour the terminal of whoever lists it.
*/
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "cli_output.h"
#include "nmirf_json.h"
#include "nmirf_mp.h"
#include "nmirf_util.h"
#include "unit.h"

#define KV_LABEL_WIDTH 14       /* widest label: "response text" */
#define ELLIPSIS "\xe2\x80\xa6" /* U+2026, one column */

/* Decodes the character at s. Returns its length in bytes; an invalid
   byte is taken alone with *cp = (uint32_t) -1, so a bad string still
   makes progress and is never read past its NUL. */
static size_t
s_utf8_next(const unsigned char *s, uint32_t *cp)
{
    unsigned char c = s[0];
    size_t n;
    uint32_t v;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if ((c & 0xE0) == 0xC0) {
        n = 2;
        v = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
        n = 3;
        v = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
        n = 4;
        v = c & 0x07;
    } else {
        *cp = (uint32_t)-1;
        return 1;
    }
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            *cp = (uint32_t)-1;
            return 1;
        }
        v = (v << 6) | (s[i] & 0x3F);
    }
    *cp = v;
    return n;
}

/* Columns one character takes. */
static size_t
s_cp_width(uint32_t cp)
{
    static const uint32_t zero[][2] = {
        {0x0300, 0x036F}, {0x0483, 0x0489}, {0x0591, 0x05BD}, {0x0610, 0x061A},
        {0x061C, 0x061C}, {0x064B, 0x065F}, {0x0670, 0x0670}, {0x06D6, 0x06DC},
        {0x06DF, 0x06E4}, {0x06E7, 0x06E8}, {0x06EA, 0x06ED}, {0x1AB0, 0x1AFF},
        {0x1DC0, 0x1DFF}, {0x200B, 0x200F}, {0x202A, 0x202E}, {0x2060, 0x2069},
        {0x20D0, 0x20FF}, {0xFE00, 0xFE0F}, {0xFE20, 0xFE2F}, {0xFEFF, 0xFEFF},
    };
    static const uint32_t wide[][2] = {
        {0x1100, 0x115F},   {0x2E80, 0x303E},   {0x3041, 0x33FF}, {0x3400, 0x4DBF},
        {0x4E00, 0x9FFF},   {0xA000, 0xA4CF},   {0xAC00, 0xD7A3}, {0xF900, 0xFAFF},
        {0xFE30, 0xFE4F},   {0xFF00, 0xFF60},   {0xFFE0, 0xFFE6}, {0x1F300, 0x1F64F},
        {0x1F900, 0x1F9FF}, {0x20000, 0x3FFFD},
    };
    for (size_t i = 0; i < sizeof zero / sizeof zero[0]; i++)
        if (cp >= zero[i][0] && cp <= zero[i][1])
            return 0;
    for (size_t i = 0; i < sizeof wide / sizeof wide[0]; i++)
        if (cp >= wide[i][0] && cp <= wide[i][1])
            return 2;
    return 1;
}

size_t
cli_utf8_width(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t width = 0;
    while (*p) {
        uint32_t cp;
        p += s_utf8_next(p, &cp);
        width += cp == (uint32_t)-1 ? 1 : s_cp_width(cp);
    }
    return width;
}

/* C0, DEL and C1 controls: the characters that drive a terminal. */
static bool
s_is_control(uint32_t cp)
{
    return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F);
}

/* Bidi embeddings, overrides and isolates: in a cell they would turn the
   direction of the columns after it. */
static bool
s_is_bidi_control(uint32_t cp)
{
    return (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

/* Copies s through the display filter into a new string. */
static char *
s_filter(const char *s, bool cell)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    char *out = malloc(strlen((const char *)p) + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    while (*p) {
        uint32_t cp;
        size_t n = s_utf8_next(p, &cp);
        if (cp == (uint32_t)-1)
            out[o++] = '?';
        else if (cp == '\n' && !cell)
            out[o++] = '\n';
        else if (s_is_control(cp))
            out[o++] = ' ';
        else if (!(cell && s_is_bidi_control(cp))) {
            memcpy(out + o, p, n);
            o += n;
        }
        p += n;
    }
    out[o] = '\0';
    return out;
}

char *
cli_safe_text(const char *s)
{
    return s_filter(s, false);
}

char *
cli_cell_text(const char *s, size_t max)
{
    char *text = s_filter(s, true);
    if (!text || cli_utf8_width(text) <= max)
        return text;
    /* Keep what fits in max - 1 columns, then the ellipsis. Zero-width
       marks after a kept character stay with it. */
    const unsigned char *p = (const unsigned char *)text;
    size_t width = 0;
    while (*p) {
        uint32_t cp;
        size_t n = s_utf8_next(p, &cp);
        size_t w = cp == (uint32_t)-1 ? 1 : s_cp_width(cp);
        if (width + w + 1 > max)
            break;
        width += w;
        p += n;
    }
    size_t keep = (size_t)((const char *)p - text);
    char *out = malloc(keep + sizeof ELLIPSIS);
    if (!out) {
        free(text);
        return NULL;
    }
    memcpy(out, text, keep);
    if (max > 0)
        memcpy(out + keep, ELLIPSIS, sizeof ELLIPSIS);
    else
        out[keep] = '\0';
    free(text);
    return out;
}

static void
s_mp_write(FILE *f, const msgpack_object *obj)
{
    if (!obj)
        return;
    switch (obj->type) {
    case MSGPACK_OBJECT_BOOLEAN:
        fputs(obj->via.boolean ? "true" : "false", f);
        break;
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
        fprintf(f, "%llu", (unsigned long long)obj->via.u64);
        break;
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
        fprintf(f, "%lld", (long long)obj->via.i64);
        break;
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64:
        fprintf(f, "%g", obj->via.f64);
        break;
    case MSGPACK_OBJECT_STR:
        fwrite(obj->via.str.ptr, 1, obj->via.str.size, f);
        break;
    case MSGPACK_OBJECT_BIN:
        for (uint32_t i = 0; i < obj->via.bin.size; i++)
            fprintf(f, "%02x", (unsigned char)obj->via.bin.ptr[i]);
        break;
    case MSGPACK_OBJECT_ARRAY:
        for (uint32_t i = 0; i < obj->via.array.size; i++) {
            if (i)
                fputs(", ", f);
            s_mp_write(f, &obj->via.array.ptr[i]);
        }
        break;
    case MSGPACK_OBJECT_MAP:
        fputs("{...}", f);
        break;
    default:
        break;
    }
}

char *
cli_mp_text(const msgpack_object *obj)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return strdup("");
    s_mp_write(f, obj);
    fclose(f);
    /* A str holding a NUL ends there; the broker's strings have none. */
    return text;
}

char *
cli_mp_field(const msgpack_object *obj, const char *key)
{
    return cli_mp_text(nmirf_mp_get(obj, key));
}

uint64_t
cli_mp_uint(const msgpack_object *obj, const char *key, uint64_t dflt)
{
    const msgpack_object *v = nmirf_mp_get(obj, key);
    if (!v || v->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
        return dflt;
    return v->via.u64;
}

const msgpack_object *
cli_mp_any_lang(const msgpack_object *texts)
{
    static const char *const order[] = {"en", "fr", "ar"};
    for (size_t i = 0; i < 3; i++) {
        const msgpack_object *t = nmirf_mp_get(texts, order[i]);
        if (t && t->type == MSGPACK_OBJECT_STR && t->via.str.size > 0)
            return t;
    }
    return NULL;
}

const char *
cli_time_text(uint64_t ms, bool longform, char buf[32])
{
    buf[0] = '\0';
    if (ms == 0)
        return buf;
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    if (!gmtime_r(&t, &tm))
        return buf;
    strftime(buf, 32, longform ? "%Y-%m-%d %H:%M:%S UTC" : "%Y-%m-%d %H:%M", &tm);
    return buf;
}

int
cli_print_json(const msgpack_object *obj, bool compact)
{
    msgpack_object nil = {.type = MSGPACK_OBJECT_NIL};
    json_t *json = nmirf_json_from_mp(obj ? obj : &nil);
    if (!json) {
        fprintf(stderr, _("nmirf: cannot convert the reply to JSON\n"));
        return CLI_EXIT_LOCAL;
    }
    /* Texts stay UTF-8: escaping Arabic as \uXXXX would make the output
       unreadable to the people who grep it. */
    int rc = json_dumpf(json, stdout, compact ? JSON_COMPACT : JSON_INDENT(2));
    json_decref(json);
    fputc('\n', stdout);
    if (compact)
        fflush(stdout);
    if (rc != 0 || ferror(stdout)) {
        fprintf(stderr, _("nmirf: cannot write to stdout\n"));
        return CLI_EXIT_LOCAL;
    }
    return CLI_EXIT_OK;
}

void
cli_kv(const char *label, const char *value)
{
    if (!value || !*value)
        return;
    char *text = cli_safe_text(value);
    if (!text)
        return;
    /* Labels are translated here (marked by xgettext's keywords cli_kv:1
       and cli_kv_field:1) and padded in columns, not bytes. */
    label = label ? cli_tr(label) : ""; /* NULL: a value's further lines */
    size_t width = cli_utf8_width(label);
    printf("%s%*s  ", label, (int)(width < KV_LABEL_WIDTH ? KV_LABEL_WIDTH - width : 0),
           "");
    for (char *line = text;;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        fputs(line, stdout);
        fputc('\n', stdout);
        if (!nl)
            break;
        line = nl + 1;
        printf("%-*s  ", KV_LABEL_WIDTH, "");
    }
    free(text);
}

void
cli_kv_field(const char *label, const msgpack_object *obj, const char *key)
{
    char *text = cli_mp_field(obj, key);
    cli_kv(label, text);
    free(text);
}

/* --- tables ----------------------------------------------------------- */

struct _cli_table_t {
    size_t ncols;   /* number of columns */
    char **headers; /* ncols header texts */
    size_t *limit;  /* per column: widest allowed, 0 for no limit */
    bool *flex;     /* per column: may shrink to fit the terminal */
    bool *right;    /* per column: right-aligned */
    char **cells;   /* nrows * ncols filtered texts, row-major; NULL is "" */
    size_t nrows;   /* rows started */
    size_t alloc;   /* cells allocated */
    size_t next;    /* index of the next cell to fill */
};

cli_table_t *
cli_table_new(const char *const *headers, size_t ncols)
{
    cli_table_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->ncols = ncols;
    self->headers = calloc(ncols, sizeof *self->headers);
    self->limit = calloc(ncols, sizeof *self->limit);
    self->flex = calloc(ncols, sizeof *self->flex);
    self->right = calloc(ncols, sizeof *self->right);
    if (!self->headers || !self->limit || !self->flex || !self->right) {
        cli_table_destroy(&self);
        return NULL;
    }
    for (size_t c = 0; c < ncols; c++)
        self->headers[c] = strdup(cli_tr(headers[c]));
    return self;
}

void
cli_table_destroy(cli_table_t **self_p)
{
    cli_table_t *self = *self_p;
    if (!self)
        return;
    for (size_t c = 0; self->headers && c < self->ncols; c++)
        free(self->headers[c]);
    for (size_t i = 0; i < self->nrows * self->ncols; i++)
        free(self->cells[i]);
    free(self->headers);
    free(self->limit);
    free(self->flex);
    free(self->right);
    free(self->cells);
    free(self);
    *self_p = NULL;
}

void
cli_table_limit(cli_table_t *self, size_t col, size_t max, bool flex)
{
    self->limit[col] = max;
    self->flex[col] = flex;
}

void
cli_table_right(cli_table_t *self, size_t col)
{
    self->right[col] = true;
}

void
cli_table_row(cli_table_t *self)
{
    size_t need = (self->nrows + 1) * self->ncols;
    if (need > self->alloc) {
        size_t alloc = self->alloc ? self->alloc * 2 : 16 * self->ncols;
        while (alloc < need)
            alloc *= 2;
        char **cells = realloc(self->cells, alloc * sizeof *cells);
        if (!cells)
            return; /* the row's cells are then dropped */
        self->cells = cells;
        self->alloc = alloc;
    }
    for (size_t i = self->nrows * self->ncols; i < need; i++)
        self->cells[i] = NULL;
    self->next = self->nrows * self->ncols;
    self->nrows++;
}

void
cli_table_cell(cli_table_t *self, const char *text)
{
    if (self->next >= self->nrows * self->ncols)
        return;
    self->cells[self->next++] = s_filter(text, true);
}

void
cli_table_cellf(cli_table_t *self, const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    cli_table_cell(self, buf);
}

void
cli_table_cell_field(cli_table_t *self, const msgpack_object *obj, const char *key)
{
    char *text = cli_mp_field(obj, key);
    cli_table_cell(self, text);
    free(text);
}

void
cli_table_cell_mp(cli_table_t *self, const msgpack_object *obj)
{
    char *text = cli_mp_text(obj);
    cli_table_cell(self, text);
    free(text);
}

/* Adds the value of obj's key as a word of kind. */
static void
s_cell_word(cli_table_t *self, cli_word_t kind, const msgpack_object *obj,
            const char *key)
{
    char *value = cli_mp_field(obj, key);
    char buf[256];
    cli_table_cell(self, value ? cli_word(kind, value, buf, sizeof buf) : NULL);
    free(value);
}

void
cli_cell_status(cli_table_t *self, const msgpack_object *obj, const char *key)
{
    s_cell_word(self, CLI_WORD_STATUS, obj, key);
}

void
cli_cell_role(cli_table_t *self, const msgpack_object *obj, const char *key)
{
    s_cell_word(self, CLI_WORD_ROLE, obj, key);
}

void
cli_cell_report_state(cli_table_t *self, const msgpack_object *obj, const char *key)
{
    s_cell_word(self, CLI_WORD_REPORT_STATE, obj, key);
}

void
cli_cell_entity_state(cli_table_t *self, const msgpack_object *obj, const char *key)
{
    s_cell_word(self, CLI_WORD_ENTITY_STATE, obj, key);
}

void
cli_kv_word(const char *label, cli_word_t kind, const msgpack_object *obj,
            const char *key)
{
    char *value = cli_mp_field(obj, key);
    char buf[256];
    cli_kv(label, value ? cli_word(kind, value, buf, sizeof buf) : NULL);
    free(value);
}

/* Width of the terminal on stdout, 0 if stdout is not one. */
static size_t
s_terminal_width(void)
{
    struct winsize ws;
    if (!isatty(STDOUT_FILENO) || ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) != 0)
        return 0;
    return ws.ws_col;
}

/* Prints text cut and padded to width columns. */
static void
s_print_cell(FILE *out, const char *text, size_t width, bool right)
{
    char *cut = cli_cell_text(text ? text : "", width);
    if (!cut)
        return;
    size_t pad = width - cli_utf8_width(cut);
    if (right)
        fprintf(out, "%*s", (int)pad, "");
    fputs(cut, out);
    if (!right)
        fprintf(out, "%*s", (int)pad, "");
    free(cut);
}

/* Prints one line of cells, without the spaces that padding leaves at its
   end when the last cells are empty. */
static void
s_print_line(const cli_table_t *self, char *const *cells, const size_t *width)
{
    char *line = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&line, &len);
    if (!out)
        return;
    for (size_t c = 0; c < self->ncols; c++) {
        if (c)
            fputs("  ", out);
        s_print_cell(out, cells[c], width[c], self->right[c]);
    }
    fclose(out);
    while (len > 0 && line[len - 1] == ' ')
        line[--len] = '\0';
    puts(line);
    free(line);
}

void
cli_table_print(const cli_table_t *self)
{
    size_t *width = calloc(self->ncols, sizeof *width);
    if (!width)
        return;
    for (size_t c = 0; c < self->ncols; c++) {
        width[c] = cli_utf8_width(self->headers[c]);
        for (size_t r = 0; r < self->nrows; r++) {
            const char *cell = self->cells[r * self->ncols + c];
            size_t w = cell ? cli_utf8_width(cell) : 0;
            if (w > width[c])
                width[c] = w;
        }
        if (self->limit[c] && width[c] > self->limit[c])
            width[c] = self->limit[c];
    }
    /* On a terminal, flexible columns give up what the line lacks, so a
       row stays one line; piped output keeps the fixed limits. */
    size_t term = s_terminal_width();
    if (term) {
        size_t total = 2 * (self->ncols - 1);
        for (size_t c = 0; c < self->ncols; c++)
            total += width[c];
        for (size_t c = 0; c < self->ncols && total > term; c++) {
            if (!self->flex[c])
                continue;
            size_t floor = 12;
            size_t give = total - term;
            if (width[c] > floor) {
                size_t can = width[c] - floor;
                if (give > can)
                    give = can;
                width[c] -= give;
                total -= give;
            }
        }
    }
    s_print_line(self, self->headers, width);
    for (size_t r = 0; r < self->nrows; r++)
        s_print_line(self, self->cells + r * self->ncols, width);
    free(width);
}

/* --- self-test -------------------------------------------------------- */

/* Checks width and cutting on the project's languages. Returns the number
   of failures. */
int
cli_output_test(bool verbose)
{
    unit_case = "cli_output_test";
    static const char *const samples[] = {
        "Adopter une loi globale contre toutes les formes de discrimination",
        "اعتماد قانون شامل لمكافحة جميع أشكال التمييز",
        "تَعْزِيزُ اسْتِقْلَالِ القَضَاءِ",
        "Re\xcc\x81sume\xcc\x81 e\xcc\x81tendu",
        "中文字符 mixed 한국어",
    };

    CHECK(cli_utf8_width("") == 0);
    CHECK(cli_utf8_width("abc") == 3);
    CHECK(cli_utf8_width("\xc3\xa9t\xc3\xa9") == 3);        /* été, precomposed */
    CHECK(cli_utf8_width("e\xcc\x81t\xc3\xa9") == 3);       /* e + combining acute */
    CHECK(cli_utf8_width("\xe4\xb8\xad\xe6\x96\x87") == 4); /* two CJK: 2 each */
    CHECK(cli_utf8_width("وزارة") == 5);
    CHECK(cli_utf8_width("تَعْزِيز") == 5); /* harakat take no column */

    char *s = cli_cell_text("R\xc3\xa9sum\xc3\xa9 long", 5);
    CHECK(s && strcmp(s, "R\xc3\xa9su" ELLIPSIS) == 0);
    free(s);
    s = cli_cell_text("\xe4\xb8\xad\xe6\x96\x87\xe5\xad\x97", 4); /* 中文字 */
    CHECK(s && strcmp(s, "\xe4\xb8\xad" ELLIPSIS) == 0);
    free(s);
    s = cli_cell_text("short", 10);
    CHECK(s && strcmp(s, "short") == 0);
    free(s);
    s = cli_cell_text("abc", 0);
    CHECK(s && strcmp(s, "") == 0);
    free(s);

    /* Every cut of every sample is whole characters within the width, and
       a base letter keeps its marks. */
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++)
        for (size_t max = 0; max <= cli_utf8_width(samples[i]) + 1; max++) {
            char *cut = cli_cell_text(samples[i], max);
            CHECK(cut && nmirf_utf8_valid((const uint8_t *)cut, strlen(cut)));
            CHECK(cut && cli_utf8_width(cut) <= max);
            if (cut && max >= cli_utf8_width(samples[i]))
                CHECK(strcmp(cut, samples[i]) == 0);
            if (cut && strlen(cut) >= sizeof ELLIPSIS - 1) {
                size_t keep = strlen(cut) - (sizeof ELLIPSIS - 1);
                const char *next = samples[i] + keep;
                /* The cut is not followed by a combining mark of the kept text. */
                uint32_t cp;
                if (strcmp(cut + keep, ELLIPSIS) == 0 && *next) {
                    s_utf8_next((const unsigned char *)next, &cp);
                    CHECK(s_cp_width(cp) != 0);
                }
            }
            if (verbose && cut)
                printf("%2zu |%s|\n", max, cut);
            free(cut);
        }

    /* Terminal controls never reach the screen. */
    s = cli_cell_text("a\tb\x1b[31mc\nd\xc2\x9b", 80);
    CHECK(s && strcmp(s, "a b [31mc d ") == 0);
    free(s);
    s = cli_cell_text("a\xe2\x80\xae"
                      "b",
                      80); /* U+202E RIGHT-TO-LEFT OVERRIDE */
    CHECK(s && strcmp(s, "ab") == 0);
    free(s);
    s = cli_safe_text("line 1\nline\x07 2");
    CHECK(s && strcmp(s, "line 1\nline  2") == 0);
    free(s);
    s = cli_cell_text("bad \xff byte", 80);
    CHECK(s && strcmp(s, "bad ? byte") == 0);
    free(s);
    return unit_failures;
}
