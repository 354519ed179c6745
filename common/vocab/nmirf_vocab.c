/*  nmirf_vocab - the vocabularies (the .tsv files of data/vocab) and the numbers and
    dates of fr/ar/en. See nmirf_vocab.h.

    The .tsv files are embedded verbatim (nmirf_vocab_tables.c, made by
    vocab_embed.cmake) and parsed here once, at first use, under
    pthread_once: the cells are cut in place in the writable blobs and the
    rows point into them, so nothing is allocated and every string lives
    as long as the program. Parsing at run time rather than in CMake keeps
    the build step a plain byte copy (as the web console's files are) and
    puts the file format's rules in C, where the unit test reaches them
    (nmirf_vocab_check): a few hundred short lines cost microseconds.
*/
#include "nmirf_vocab.h"
#include "nmirf_vocab_data.h"

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *const s_kind_names[NMIRF_VOCAB_KIND_COUNT] = {
    [NMIRF_VOCAB_STATUS] = "statuses",
    [NMIRF_VOCAB_POSITION] = "positions",
    [NMIRF_VOCAB_MECHANISM] = "mechanisms",
    [NMIRF_VOCAB_REPORT_STATE] = "report_states",
    [NMIRF_VOCAB_ROLE] = "roles",
    [NMIRF_VOCAB_THEME] = "themes",
    [NMIRF_VOCAB_SDG] = "sdgs",
};

static const char *const s_langs[3] = {"fr", "ar", "en"};

/* The parsed tables: rows and count per kind, and the first fault met. */
static const nmirf_vocab_row_t *s_rows[NMIRF_VOCAB_KIND_COUNT];
static size_t s_nrows[NMIRF_VOCAB_KIND_COUNT];
static char s_fault[256];
static pthread_once_t s_once = PTHREAD_ONCE_INIT;

/* Where a parse notes its first fault. */
typedef struct {
    char *why;
    size_t whylen;
} s_faults_t;

static void __attribute__((format(printf, 2, 3)))
s_note(s_faults_t *f, const char *fmt, ...)
{
    if (!f->why || !f->whylen || f->why[0])
        return; /* the first fault is the one to fix first */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->why, f->whylen, fmt, ap);
    va_end(ap);
}

/* Cuts line (NUL-terminated, in the blob) at TABs into at most 5 cells;
   returns how many there were (5 meaning "more than 4"). */
static int
s_cells(char *line, char *cell[5])
{
    int n = 0;
    char *p = line;
    for (;;) {
        if (n == 5)
            return 5;
        cell[n++] = p;
        char *tab = strchr(p, '\t');
        if (!tab)
            return n;
        *tab = '\0';
        p = tab + 1;
    }
}

static bool
s_blank(const char *s)
{
    for (; *s; s++)
        if (*s != ' ' && *s != '\t')
            return false;
    return true;
}

size_t
nmirf_vocab_parse(const nmirf_vocab_src_t *src, char *why, size_t whylen)
{
    s_faults_t fa = {why, whylen}, *f = &fa;
    size_t nrows = 0, lineno = 0;
    bool header = false;
    char *p = src->blob, *end = src->blob + src->size;

    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *line = p;
        char *stop = nl ? nl : end;
        p = nl ? nl + 1 : end;
        lineno++;
        *stop = '\0'; /* the blob has a spare 0 byte beyond size */
        if (stop > line && stop[-1] == '\r')
            stop[-1] = '\0';
        if (line[0] == '#' || s_blank(line))
            continue;
        char *cell[5];
        int n = s_cells(line, cell);
        if (!header) {
            header = true;
            if (n != 4 || strcmp(cell[0], "key") || strcmp(cell[1], "fr") ||
                strcmp(cell[2], "ar") || strcmp(cell[3], "en"))
                s_note(f, "%s.tsv line %zu: the header is not key<TAB>fr<TAB>ar<TAB>en",
                       src->kind, lineno);
            continue;
        }
        if (n != 4) {
            s_note(f, "%s.tsv line %zu: %d cells, not 4 (key, fr, ar, en, TAB-separated)",
                   src->kind, lineno, n == 5 ? 5 : n);
            continue;
        }
        if (!cell[0][0]) {
            s_note(f, "%s.tsv line %zu: no key", src->kind, lineno);
            continue;
        }
        bool dup = false;
        for (size_t i = 0; i < nrows; i++)
            if (!strcmp(src->rows[i].key, cell[0]))
                dup = true;
        if (dup) {
            s_note(f, "%s.tsv line %zu: key \"%s\" already given", src->kind, lineno,
                   cell[0]);
            continue;
        }
        if (nrows == src->maxrows)
            break; /* cannot happen: one row per line at most */
        nmirf_vocab_row_t *row = &src->rows[nrows++];
        row->key = cell[0];
        row->keylen = strlen(cell[0]);
        for (int l = 0; l < 3; l++) {
            row->name[l] = cell[l + 1][0] ? cell[l + 1] : NULL;
            if (!row->name[l])
                s_note(f, "%s.tsv line %zu: \"%s\" has no %s name", src->kind, lineno,
                       cell[0], s_langs[l]);
        }
    }
    if (!header)
        s_note(f, "%s.tsv: no header line", src->kind);
    return nrows;
}

static void
s_parse(void)
{
    for (int k = 0; k < NMIRF_VOCAB_KIND_COUNT; k++) {
        const nmirf_vocab_src_t *src = NULL;
        for (size_t i = 0; i < nmirf_vocab_nsrcs; i++)
            if (!strcmp(nmirf_vocab_srcs[i].kind, s_kind_names[k]))
                src = &nmirf_vocab_srcs[i];
        if (!src) {
            s_note(&(s_faults_t){s_fault, sizeof s_fault}, "%s.tsv: not built in",
                   s_kind_names[k]);
            continue;
        }
        s_rows[k] = src->rows;
        s_nrows[k] = nmirf_vocab_parse(src, s_fault, sizeof s_fault);
    }
}

static bool
s_load(nmirf_vocab_kind_t kind)
{
    pthread_once(&s_once, s_parse);
    return (unsigned)kind < NMIRF_VOCAB_KIND_COUNT;
}

void
nmirf_vocab_set_rows(nmirf_vocab_kind_t kind, const nmirf_vocab_row_t *rows, size_t n)
{
    if (!s_load(kind))
        return;
    s_rows[kind] = rows;
    s_nrows[kind] = n;
}

const char *
nmirf_vocab_kind_name(nmirf_vocab_kind_t kind)
{
    return (unsigned)kind < NMIRF_VOCAB_KIND_COUNT ? s_kind_names[kind] : NULL;
}

int
nmirf_vocab_check(char *why, size_t whylen)
{
    pthread_once(&s_once, s_parse);
    if (!s_fault[0])
        return 0;
    if (why && whylen)
        snprintf(why, whylen, "%s", s_fault);
    return -1;
}

static int
s_lang_index(const char *lang)
{
    if (!lang)
        return -1;
    for (int l = 0; l < 3; l++)
        if (!strcasecmp(lang, s_langs[l]))
            return l;
    return -1;
}

static bool
s_isblank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static void
s_trim(const char **key, size_t *keylen)
{
    while (*keylen && s_isblank(**key))
        (*key)++, (*keylen)--;
    while (*keylen && s_isblank((*key)[*keylen - 1]))
        (*keylen)--;
}

int
nmirf_vocab_sdg_goal(const char *key, size_t keylen)
{
    if (!key)
        return 0;
    s_trim(&key, &keylen);
    int goal = 0;
    size_t i = 0;
    for (; i < keylen && i < 3 && key[i] >= '0' && key[i] <= '9'; i++)
        goal = goal * 10 + (key[i] - '0');
    if (i == 0 || i == 3) /* no number, or three digits and more */
        return 0;
    if (i < keylen && key[i] != '.' && !s_isblank(key[i]))
        return 0; /* "16a", "5,5": not a target's number */
    return goal >= 1 && goal <= 17 ? goal : 0;
}

static const nmirf_vocab_row_t *
s_row(nmirf_vocab_kind_t kind, const char *key, size_t keylen)
{
    if (!s_load(kind) || !key)
        return NULL;
    char num[4];
    if (kind == NMIRF_VOCAB_SDG) {
        int goal = nmirf_vocab_sdg_goal(key, keylen);
        if (!goal)
            return NULL;
        keylen = (size_t)snprintf(num, sizeof num, "%d", goal);
        key = num;
    } else if (kind == NMIRF_VOCAB_THEME) {
        s_trim(&key, &keylen);
    }
    for (size_t i = 0; i < s_nrows[kind]; i++) {
        const nmirf_vocab_row_t *row = &s_rows[kind][i];
        if (row->keylen != keylen)
            continue;
        if (kind == NMIRF_VOCAB_THEME ? !strncasecmp(row->key, key, keylen)
                                      : !memcmp(row->key, key, keylen))
            return row;
    }
    return NULL;
}

const char *
nmirf_vocab_find(nmirf_vocab_kind_t kind, const char *key, size_t keylen,
                 const char *lang)
{
    int l = s_lang_index(lang);
    if (l < 0)
        return NULL;
    const nmirf_vocab_row_t *row = s_row(kind, key, keylen);
    return row ? row->name[l] : NULL;
}

void
nmirf_vocab_each(nmirf_vocab_kind_t kind,
                 void (*fn)(const char *key, const char *fr, const char *ar,
                            const char *en, void *arg),
                 void *arg)
{
    if (!s_load(kind) || !fn)
        return;
    for (size_t i = 0; i < s_nrows[kind]; i++) {
        const nmirf_vocab_row_t *row = &s_rows[kind][i];
        fn(row->key, row->name[0], row->name[1], row->name[2], arg);
    }
}

size_t
nmirf_vocab_count(nmirf_vocab_kind_t kind)
{
    return s_load(kind) ? s_nrows[kind] : 0;
}

/* --- output into a caller's buffer, cut on a UTF-8 boundary ------------ */

typedef struct {
    char *out;
    size_t cap; /* bytes of out, the NUL included; > 0 */
    size_t len;
    bool full;
} s_buf_t;

static void
s_put(s_buf_t *b, const char *s, size_t n)
{
    if (b->full)
        return;
    size_t room = b->cap - 1 - b->len;
    if (n > room) {
        /* Cut before the character that does not fit whole: back over
           continuation bytes (10xxxxxx) to its first byte. */
        size_t k = room;
        while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80)
            k--;
        n = k;
        b->full = true;
    }
    memcpy(b->out + b->len, s, n);
    b->len += n;
    b->out[b->len] = '\0';
}

static void
s_puts(s_buf_t *b, const char *s)
{
    s_put(b, s, strlen(s));
}

/* Starts b over out; false if out cannot hold even the NUL. */
static bool
s_start(s_buf_t *b, char *out, size_t outlen)
{
    if (!out || !outlen)
        return false;
    *b = (s_buf_t){out, outlen, 0, false};
    out[0] = '\0';
    return true;
}

char *
nmirf_vocab_label(nmirf_vocab_kind_t kind, const char *key, size_t keylen,
                  const char *lang, char *out, size_t outlen)
{
    s_buf_t b;
    if (!s_start(&b, out, outlen))
        return out;
    if (!key)
        key = "", keylen = 0;
    const nmirf_vocab_row_t *row = s_row(kind, key, keylen);
    const char *name = NULL;
    if (row) {
        const char *order[3];
        size_t n = nmirf_lang_order(lang, "fr,en", order);
        for (size_t i = 0; i < n && !name; i++)
            name = row->name[s_lang_index(order[i])];
    }
    if (!name) {
        s_put(&b, key, keylen);
        return out;
    }
    if (kind == NMIRF_VOCAB_SDG) {
        /* The target's number as written ("16.3", "16.a", "16"), then
           the goal's name. */
        const char *k = key;
        size_t kl = keylen, numlen = 0;
        s_trim(&k, &kl);
        while (numlen < kl && !s_isblank(k[numlen]))
            numlen++;
        s_put(&b, k, numlen);
        s_puts(&b, " \xE2\x80\x93 "); /* U+2013 EN DASH */
    }
    s_puts(&b, name);
    return out;
}

/* --- which text to show ------------------------------------------------ */

size_t
nmirf_lang_order(const char *lang, const char *fallback, const char *order[3])
{
    size_t n = 0;
    int first = s_lang_index(lang);
    order[n++] = s_langs[first < 0 ? 0 : first];
    if (!fallback || !*fallback)
        fallback = "fr,en";
    const char *p = fallback;
    while (*p && n < 3) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        const char *item = p;
        s_trim(&item, &len);
        p = comma ? comma + 1 : p + strlen(p);
        for (int l = 0; l < 3; l++) {
            if (len != 2 || strncasecmp(item, s_langs[l], 2))
                continue;
            bool seen = false;
            for (size_t i = 0; i < n; i++)
                if (order[i] == s_langs[l])
                    seen = true;
            if (!seen)
                order[n++] = s_langs[l];
        }
    }
    return n;
}

/* --- numbers and dates -------------------------------------------------- */

#define S_NNBSP "\xE2\x80\xAF" /* U+202F NARROW NO-BREAK SPACE */

/* Index of lang for formats: unknown or NULL is French. */
static int
s_fmt_lang(const char *lang)
{
    int l = s_lang_index(lang);
    return l < 0 ? 0 : l;
}

static void
s_put_count(s_buf_t *b, uint64_t n, int l)
{
    char digits[24];
    int nd = snprintf(digits, sizeof digits, "%llu", (unsigned long long)n);
    const char *sep = l == 2 ? "," : S_NNBSP;
    for (int i = 0; i < nd; i++) {
        if (i > 0 && (nd - i) % 3 == 0)
            s_puts(b, sep);
        s_put(b, &digits[i], 1);
    }
}

char *
nmirf_fmt_count(uint64_t n, const char *lang, char *out, size_t outlen)
{
    s_buf_t b;
    if (s_start(&b, out, outlen))
        s_put_count(&b, n, s_fmt_lang(lang));
    return out;
}

char *
nmirf_fmt_percent(double share, const char *lang, char *out, size_t outlen)
{
    s_buf_t b;
    if (!s_start(&b, out, outlen))
        return out;
    int l = s_fmt_lang(lang);
    double tenths = share * 1000.0;
    if (!isfinite(tenths) || fabs(tenths) > 1e15) {
        s_puts(&b, "\xE2\x80\x93"); /* no share to show: an en dash */
        return out;
    }
    long long t = llround(tenths);
    if (t < 0) {
        s_puts(&b, "-");
        t = -t;
    }
    char frac[2] = {(char)('0' + t % 10), '\0'};
    s_put_count(&b, (uint64_t)(t / 10), l == 2 ? 2 : 0);
    s_puts(&b, l == 2 ? "." : ",");
    s_puts(&b, frac);
    s_puts(&b, l == 2 ? "%" : S_NNBSP "%");
    return out;
}

static const char *const s_months[3][12] = {
    {"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
     "octobre", "novembre", "décembre"},
    /* As written in Morocco (not the Levant's كانون الثاني nor Egypt's
       يناير..ديسمبر throughout). */
    {"يناير", "فبراير", "مارس", "أبريل", "ماي", "يونيو", "يوليوز", "غشت", "شتنبر",
     "أكتوبر", "نونبر", "دجنبر"},
    {"January", "February", "March", "April", "May", "June", "July", "August",
     "September", "October", "November", "December"},
};

/* n digits at s as a number, or -1. */
static int
s_digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

char *
nmirf_fmt_date(const char *iso, size_t isolen, const char *lang, char *out, size_t outlen)
{
    s_buf_t b;
    if (!s_start(&b, out, outlen))
        return out;
    if (!iso)
        return out;
    int l = s_fmt_lang(lang);
    int year = -1, month = -1, day = 0;
    if ((isolen == 7 || isolen == 10) && iso[4] == '-') {
        year = s_digits(iso, 4);
        month = s_digits(iso + 5, 2);
        if (isolen == 10)
            day = iso[7] == '-' ? s_digits(iso + 8, 2) : -1;
    }
    static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    if (year < 0 || month < 1 || month > 12 || day < 0 ||
        (isolen == 10 &&
         (day < 1 || day > mdays[month - 1] || (month == 2 && day == 29 && !leap)))) {
        s_put(&b, iso, isolen); /* not a date: as it is */
        return out;
    }
    char num[16];
    if (day) {
        snprintf(num, sizeof num, "%d", day);
        s_puts(&b, num);
        if (l == 0 && day == 1)
            s_puts(&b, "er"); /* "1er mars 2026" */
        s_puts(&b, " ");
    }
    s_puts(&b, s_months[l][month - 1]);
    snprintf(num, sizeof num, " %04d", year);
    s_puts(&b, num);
    return out;
}
