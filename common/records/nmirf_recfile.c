/*  nmirf_recfile - recommendation files in and out. */
#include "nmirf_recfile.h"
#include "nmirf_csv.h"
#include "nmirf_json.h"
#include "nmirf_mp.h"
#include "nmirf_rec.h"
#include "nmirf_schema.h"
#include "nmirf_uhri.h"
#include "nmirf_util.h"

#include <ctype.h>
#include <errno.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The project's CSV columns, in order: the record's canonical order.
   A list column holds one item per line; text_* are text.fr/ar/en. A file
   may have any of them in any order (one written before mandate, session
   and source_updated existed imports as it did). */
static const char *const s_columns[] = {
    "id",       "mechanism",     "symbol",         "paragraph", "cycle",
    "date",     "states",        "text_fr",        "text_ar",   "text_en",
    "response", "response_text", "themes",         "persons",   "sdgs",
    "mandate",  "session",       "source_updated", NULL};

/* True for the columns that hold lists: the record's list fields. */
static bool
s_is_list(const char *col)
{
    const nmirf_field_t *f = nmirf_fields_find(&nmirf_fields_recommendation, col);
    return f && f->type == NMIRF_FIELD_STR_LIST;
}

/* Ids seen in one pass, to refuse an id given twice: an open-addressing
   table of offsets into one arena of NUL-terminated ids. About 24 bytes
   per slot, plus each id's bytes: the only part of reading that grows
   with the file. */
typedef struct {
    size_t off;  /* the id's offset in the arena, plus 1; 0 for an empty slot */
    size_t line; /* the line (or item number) that gave it */
} idslot_t;

typedef struct {
    idslot_t *slots; /* cap slots */
    size_t cap;      /* a power of two, or 0 */
    size_t count;    /* ids held */
    char *arena;     /* the ids, each followed by a NUL */
    size_t used;     /* bytes used in arena */
    size_t size;     /* bytes allocated in arena */
} idset_t;

struct _nmirf_recreader_t {
    FILE *file;          /* the file read (owned), NULL over a buffer */
    struct stat st;      /* its status when opened, to tell a change */
    const char *data;    /* the buffer read (borrowed), if no file */
    size_t len;          /* its length */
    const char *asked;   /* the format asked for: "csv", "uhri" or "json" */
    const char *format;  /* the format found: "json", "csv" or "uhri" */
    const char *lang;    /* a UHRI "Text" column's language, or NULL */
    bool by_item;        /* rows are numbered by item (JSON) */
    nmirf_csv_t *csv;    /* CSV: the reader */
    nmirf_uhri_t *uhri;  /* CSV: a UHRI export's mapping, if not own */
    bool own;            /* CSV: the project's own columns */
    const char *col[64]; /* CSV, own: column i's name */
    size_t ncols;        /* CSV, own: how many columns */
    json_t *root;        /* JSON: the document */
    json_t *list;        /* JSON: its array of recommendations (borrowed) */
    size_t item;         /* JSON: the next item */
    idset_t ids;         /* ids seen in this pass */
    char error[256];     /* why the last call failed */
};

/* Fills why. Returns NULL. */
static void *
s_fail(char *why, size_t whylen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, whylen, fmt, ap);
    va_end(ap);
    return NULL;
}

/* FNV-1a, enough to spread ids over the table. */
static uint64_t
s_hash(const char *s)
{
    uint64_t h = 14695981039346656037ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

/* Forgets every id, keeping the memory. */
static void
s_ids_clear(idset_t *ids)
{
    if (ids->slots)
        memset(ids->slots, 0, ids->cap * sizeof *ids->slots);
    ids->count = 0;
    ids->used = 0;
}

static void
s_ids_free(idset_t *ids)
{
    free(ids->slots);
    free(ids->arena);
    memset(ids, 0, sizeof *ids);
}

/* The slot of id in a table of cap slots: its own or the empty one where
   it would go. */
static idslot_t *
s_ids_slot(idslot_t *slots, size_t cap, const char *arena, const char *id)
{
    size_t i = (size_t)s_hash(id) & (cap - 1);
    while (slots[i].off && strcmp(arena + slots[i].off - 1, id) != 0)
        i = (i + 1) & (cap - 1);
    return &slots[i];
}

/* Adds id given at line: 0 if new, 1 if given before (*first gets that
   line), -1 out of memory. */
static int
s_ids_add(idset_t *ids, const char *id, size_t line, size_t *first)
{
    if (ids->cap) {
        idslot_t *slot = s_ids_slot(ids->slots, ids->cap, ids->arena, id);
        if (slot->off) {
            *first = slot->line;
            return 1;
        }
    }
    if ((ids->count + 1) * 10 > ids->cap * 7) {
        size_t cap = ids->cap ? ids->cap * 2 : 1024;
        idslot_t *slots = calloc(cap, sizeof *slots);
        if (!slots)
            return -1;
        for (size_t i = 0; i < ids->cap; i++)
            if (ids->slots[i].off)
                *s_ids_slot(slots, cap, ids->arena, ids->arena + ids->slots[i].off - 1) =
                    ids->slots[i];
        free(ids->slots);
        ids->slots = slots;
        ids->cap = cap;
    }
    size_t n = strlen(id) + 1;
    if (ids->used + n > ids->size) {
        size_t size = ids->size ? ids->size * 2 : 64 * 1024;
        while (size < ids->used + n)
            size *= 2;
        char *arena = realloc(ids->arena, size);
        if (!arena)
            return -1;
        ids->arena = arena;
        ids->size = size;
    }
    memcpy(ids->arena + ids->used, id, n);
    idslot_t *slot = s_ids_slot(ids->slots, ids->cap, ids->arena, id);
    slot->off = ids->used + 1;
    slot->line = line;
    ids->used += n;
    ids->count++;
    return 0;
}

/* The project's CSV row the reader is on, as a recommendation, or NULL
   with why. col[i] names field i. */
static json_t *
s_own_row(const nmirf_csv_t *csv, const char *const *col, size_t ncols, char *why,
          size_t whylen)
{
    if (nmirf_csv_count(csv) != ncols)
        return s_fail(why, whylen, "%zu fields, the header has %zu", nmirf_csv_count(csv),
                      ncols);
    json_t *rec = json_object(), *text = json_object();
    for (size_t i = 0; i < ncols; i++) {
        size_t n;
        const char *v = nmirf_csv_field(csv, i, &n);
        /* The apostrophe the writer put before a would-be formula. */
        size_t drop = nmirf_csv_unformula(v, n);
        v += drop;
        n -= drop;
        if (n == 0)
            continue;
        if (!strncmp(col[i], "text_", 5))
            json_object_set_new(text, col[i] + 5, json_stringn(v, n));
        else if (s_is_list(col[i])) {
            json_t *list = json_array();
            const char *end = v + n;
            while (v <= end) {
                const char *nl = memchr(v, '\n', (size_t)(end - v));
                const char *stop = nl ? nl : end;
                size_t len = (size_t)(stop - v);
                if (len && v[len - 1] == '\r') /* a spreadsheet's CRLF */
                    len--;
                if (len)
                    json_array_append_new(list, json_stringn(v, len));
                v = stop + 1;
            }
            if (json_array_size(list))
                json_object_set_new(rec, col[i], list);
            else
                json_decref(list);
        } else
            json_object_set_new(rec, col[i], json_stringn(v, n));
    }
    json_object_set_new(rec, "text", text);
    return rec;
}

/* Reads a CSV file's header: the project's (own) columns or a UHRI
   export's. Returns 0, or -1 with self->error. */
static int
s_csv_start(nmirf_recreader_t *self)
{
    char *why = self->error;
    size_t whylen = sizeof self->error;
    self->csv = self->file ? nmirf_csv_new_file(self->file, NMIRF_IMPORT_RECORD_MAX)
                           : nmirf_csv_new(self->data, self->len);
    int rc = self->csv ? nmirf_csv_next(self->csv) : -1;
    if (rc <= 0) {
        if (!self->csv)
            s_fail(why, whylen, "out of memory");
        else if (rc == 0)
            s_fail(why, whylen, "no header line: the file is empty");
        else
            s_fail(why, whylen, "%s", nmirf_csv_error(self->csv));
        return -1;
    }
    const nmirf_csv_t *csv = self->csv;
    /* The project's own CSV starts with "id" and has a "mechanism". */
    self->own = false;
    if (strcmp(self->asked, "uhri") != 0 && !strcmp(nmirf_csv_field(csv, 0, NULL), "id"))
        for (size_t i = 0; i < nmirf_csv_count(csv); i++)
            self->own |= !strcmp(nmirf_csv_field(csv, i, NULL), "mechanism");
    if (!self->own) {
        self->format = "uhri";
        char w[200];
        self->uhri = nmirf_uhri_new(csv, self->lang, w, sizeof w);
        if (!self->uhri) {
            s_fail(why, whylen, "line 1: %s (neither a UHRI export nor nmirf's CSV)", w);
            return -1;
        }
        return 0;
    }
    self->format = "csv";
    self->ncols = nmirf_csv_count(csv);
    if (self->ncols > sizeof self->col / sizeof self->col[0]) {
        s_fail(why, whylen, "line 1: %zu columns, more than this format has",
               self->ncols);
        return -1;
    }
    for (size_t i = 0; i < self->ncols; i++) {
        const char *name = nmirf_csv_field(csv, i, NULL);
        const char **col = self->col;
        col[i] = NULL;
        for (size_t c = 0; s_columns[c]; c++)
            if (!strcmp(name, s_columns[c]))
                col[i] = s_columns[c];
        for (size_t j = 0; j < i && col[i]; j++)
            if (col[j] == col[i])
                col[i] = NULL;
        if (!col[i]) {
            s_fail(why, whylen, "line 1: column '%.40s' is unknown or repeated", name);
            return -1;
        }
    }
    return 0;
}

/* The parse's memory budget. jansson's allocator is one per process:
   s_json_start gives it these two for the parse alone, then puts back the
   ones it had. The free function gets no size, so the count asks malloc
   (malloc_usable_size), with no header of ours: the blocks are plain
   malloc blocks, so the tree, changed and freed after the functions are
   put back (jansson's default ones, plain malloc and free, as nothing in
   the project sets others), needs nothing from this count. Not for
   concurrent parses: the command line parses JSON in one thread. */
static size_t s_json_used; /* bytes the parse holds */
static bool s_json_over;   /* an allocation was refused */

static void *
s_json_malloc(size_t size)
{
    if (size > NMIRF_IMPORT_JSON_TREE_MAX - s_json_used) {
        s_json_over = true;
        return NULL;
    }
    void *p = malloc(size);
    if (p)
        s_json_used += malloc_usable_size(p);
    if (s_json_used > NMIRF_IMPORT_JSON_TREE_MAX) {
        s_json_over = true;
        s_json_used -= malloc_usable_size(p);
        free(p);
        return NULL;
    }
    return p;
}

static void
s_json_free(void *p)
{
    if (p) {
        size_t n = malloc_usable_size(p);
        s_json_used -= n < s_json_used ? n : s_json_used;
        free(p);
    }
}

/* Parses the project's JSON text: an array of recommendations, or an
   object holding one under "recommendations" (or "recs", as a snapshot
   has). A UTF-8 byte order mark is skipped, as CSV's is. Returns 0, or -1
   with self->error. */
static int
s_json_start(nmirf_recreader_t *self, const char *data, size_t len)
{
    json_error_t err;
    if (len >= 3 && !memcmp(data, "\xEF\xBB\xBF", 3)) {
        data += 3;
        len -= 3;
    }
    json_malloc_t was_malloc;
    json_free_t was_free;
    json_get_alloc_funcs(&was_malloc, &was_free);
    s_json_used = 0;
    s_json_over = false;
    json_set_alloc_funcs(s_json_malloc, s_json_free);
    self->root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &err);
    json_set_alloc_funcs(was_malloc, was_free);
    if (s_json_over) {
        json_decref(self->root);
        self->root = NULL;
        s_fail(self->error, sizeof self->error,
               "too many values: at most %zu MiB of parsed JSON; split the file or "
               "use CSV",
               NMIRF_IMPORT_JSON_TREE_MAX >> 20);
        return -1;
    }
    if (!self->root) {
        s_fail(self->error, sizeof self->error, "%d:%d: %s", err.line, err.column,
               err.text);
        return -1;
    }
    self->list = self->root;
    if (json_is_object(self->root)) {
        self->list = json_object_get(self->root, "recommendations");
        if (!self->list)
            self->list = json_object_get(self->root, "recs");
    }
    if (!json_is_array(self->list)) {
        s_fail(self->error, sizeof self->error,
               "expected an array of recommendations, or an object with one under "
               "\"recommendations\"");
        return -1;
    }
    return 0;
}

/* The format from the name's extension (.json, .csv), else from the first
   bytes given: JSON if they start with [ or { (after a byte order mark and
   blanks), else CSV. */
static const char *
s_guess(const char *name, const char *head, size_t len)
{
    size_t n = name ? strlen(name) : 0;
    if (n > 5 && !strcasecmp(name + n - 5, ".json"))
        return "json";
    if (n > 4 && !strcasecmp(name + n - 4, ".csv"))
        return "csv";
    size_t i = len >= 3 && !memcmp(head, "\xEF\xBB\xBF", 3) ? 3 : 0;
    while (i < len && isspace((unsigned char)head[i]))
        i++;
    return i < len && (head[i] == '[' || head[i] == '{') ? "json" : "csv";
}

/* Starts reading self (file or buffer set) in format. Returns self, or
   NULL with why filled (and self freed). */
static nmirf_recreader_t *
s_start(nmirf_recreader_t *self, const char *format, char *why, size_t whylen)
{
    int rc = -1;
    self->asked = format;
    if (!strcmp(format, "json")) {
        self->format = "json";
        self->by_item = true;
        if (self->file) {
            /* JSON is parsed whole (an array is one value): a size cap
               bounds the memory its tree takes. */
            if ((uint64_t)self->st.st_size > NMIRF_IMPORT_JSON_MAX) {
                s_fail(self->error, sizeof self->error,
                       "the file has %llu bytes, more than the %d MiB a JSON import "
                       "may have (JSON is parsed whole; CSV is streamed, with no such "
                       "limit)",
                       (unsigned long long)self->st.st_size, NMIRF_IMPORT_JSON_MAX >> 20);
            } else {
                size_t size = (size_t)self->st.st_size;
                char *text = malloc(size + 1);
                size_t got = text ? fread(text, 1, size + 1, self->file) : 0;
                if (!text)
                    s_fail(self->error, sizeof self->error, "out of memory");
                else if (ferror(self->file))
                    s_fail(self->error, sizeof self->error, "%s", strerror(EIO));
                else if (got != size)
                    s_fail(self->error, sizeof self->error,
                           "the file changed while being read");
                else
                    rc = s_json_start(self, text, got);
                free(text);
            }
        } else
            rc = s_json_start(self, self->data, self->len);
    } else if (!strcmp(format, "csv") || !strcmp(format, "uhri"))
        rc = s_csv_start(self);
    else
        s_fail(self->error, sizeof self->error, "unknown format '%s' (json, csv, uhri)",
               format);
    if (rc) {
        snprintf(why, whylen, "%s", self->error);
        nmirf_recreader_destroy(&self);
    }
    return self;
}

nmirf_recreader_t *
nmirf_recreader_open(const char *path, const char *format, const char *lang, char *why,
                     size_t whylen)
{
    nmirf_recreader_t *self = calloc(1, sizeof *self);
    if (!self)
        return s_fail(why, whylen, "out of memory");
    self->lang = lang;
    char w[512];
    self->file = nmirf_open_regular(path, &self->st, w, sizeof w);
    if (!self->file) {
        /* Said without the path, which the caller names. */
        size_t n = strlen(path);
        snprintf(why, whylen, "%s", !strncmp(w, path, n) && w[n] == ':' ? w + n + 2 : w);
        free(self);
        return NULL;
    }
    if (!format) {
        char head[4096];
        size_t got = fread(head, 1, sizeof head, self->file);
        rewind(self->file);
        format = s_guess(path, head, got);
    }
    return s_start(self, format, why, whylen);
}

nmirf_recreader_t *
nmirf_recreader_new(const char *data, size_t len, const char *name, const char *format,
                    const char *lang, char *why, size_t whylen)
{
    nmirf_recreader_t *self = calloc(1, sizeof *self);
    if (!self)
        return s_fail(why, whylen, "out of memory");
    self->data = data;
    self->len = len;
    self->lang = lang;
    return s_start(self, format ? format : s_guess(name, data, len), why, whylen);
}

void
nmirf_recreader_destroy(nmirf_recreader_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    nmirf_recreader_t *self = *self_p;
    nmirf_uhri_destroy(&self->uhri);
    nmirf_csv_destroy(&self->csv);
    json_decref(self->root);
    if (self->file)
        fclose(self->file);
    s_ids_free(&self->ids);
    free(self);
    *self_p = NULL;
}

/* Fills row for rec (taken): checked, and bad if its id came before. */
static int
s_row(nmirf_recreader_t *self, nmirf_recrow_t *row, json_t *rec, const char *why)
{
    row->rec = rec;
    row->why[0] = 0;
    if (!rec) {
        snprintf(row->why, sizeof row->why, "%s", why);
        return 1;
    }
    if (nmirf_rec_check(rec, row->why, sizeof row->why)) {
        json_decref(rec);
        row->rec = NULL;
        return 1;
    }
    const char *id = json_string_value(json_object_get(rec, "id"));
    size_t first = 0;
    int rc = s_ids_add(&self->ids, id, row->line, &first);
    if (rc < 0) {
        json_decref(rec);
        row->rec = NULL;
        snprintf(self->error, sizeof self->error, "out of memory");
        return -1;
    }
    if (rc > 0) {
        snprintf(row->why, sizeof row->why, "id '%s' already given by %s %zu", id,
                 self->by_item ? "recommendation" : "line", first);
        json_decref(rec);
        row->rec = NULL;
    }
    return 1;
}

int
nmirf_recreader_next(nmirf_recreader_t *self, nmirf_recrow_t *row)
{
    row->rec = NULL;
    row->why[0] = 0;
    if (self->root) {
        if (self->item >= json_array_size(self->list))
            return 0;
        json_t *rec = json_array_get(self->list, self->item);
        row->line = ++self->item;
        if (!json_is_object(rec)) {
            snprintf(self->error, sizeof self->error,
                     "recommendation %zu is not a JSON object", row->line);
            return -1;
        }
        /* Snapshots carry the broker's own time stamp; imports may not. */
        json_object_del(rec, "updated");
        return s_row(self, row, json_incref(rec), NULL);
    }
    int rc = nmirf_csv_next(self->csv);
    if (rc < 0)
        snprintf(self->error, sizeof self->error, "%s", nmirf_csv_error(self->csv));
    if (rc <= 0)
        return rc;
    char w[256] = "";
    row->line = nmirf_csv_line(self->csv);
    json_t *rec = self->own ? s_own_row(self->csv, self->col, self->ncols, w, sizeof w)
                            : nmirf_uhri_row(self->uhri, self->csv, w, sizeof w);
    return s_row(self, row, rec, w);
}

int
nmirf_recreader_rewind(nmirf_recreader_t *self)
{
    s_ids_clear(&self->ids);
    if (self->root) {
        self->item = 0;
        return 0;
    }
    if (self->file) {
        struct stat st;
        if (fstat(fileno(self->file), &st) != 0 || st.st_size != self->st.st_size ||
            st.st_mtim.tv_sec != self->st.st_mtim.tv_sec ||
            st.st_mtim.tv_nsec != self->st.st_mtim.tv_nsec) {
            snprintf(self->error, sizeof self->error,
                     "the file changed while being read");
            return -1;
        }
        clearerr(self->file);
        if (fseek(self->file, 0, SEEK_SET) != 0) {
            snprintf(self->error, sizeof self->error, "%s", strerror(errno));
            return -1;
        }
    }
    nmirf_uhri_destroy(&self->uhri);
    nmirf_csv_destroy(&self->csv);
    return s_csv_start(self);
}

const char *
nmirf_recreader_format(const nmirf_recreader_t *self)
{
    return self->format;
}

bool
nmirf_recreader_by_item(const nmirf_recreader_t *self)
{
    return self->by_item;
}

const char *
nmirf_recreader_error(const nmirf_recreader_t *self)
{
    return self->error;
}

nmirf_recfile_t *
nmirf_recfile_read(const char *data, size_t len, const char *name, const char *format,
                   const char *lang, char *why, size_t whylen)
{
    nmirf_recreader_t *rd =
        nmirf_recreader_new(data, len, name, format, lang, why, whylen);
    if (!rd)
        return NULL;
    nmirf_recfile_t *self = calloc(1, sizeof *self);
    size_t cap = 0;
    int rc = self ? 1 : -1;
    if (!self)
        snprintf(rd->error, sizeof rd->error, "out of memory");
    else {
        self->format = rd->format;
        self->by_item = rd->by_item;
    }
    nmirf_recrow_t row;
    while (rc == 1 && (rc = nmirf_recreader_next(rd, &row)) == 1) {
        if (self->count == cap) {
            size_t n = cap ? cap * 2 : 64;
            nmirf_recrow_t *r = realloc(self->rows, n * sizeof *r);
            if (!r) {
                json_decref(row.rec);
                snprintf(rd->error, sizeof rd->error, "out of memory");
                rc = -1;
                break;
            }
            self->rows = r;
            cap = n;
        }
        self->rows[self->count++] = row;
        self->bad += row.rec == NULL;
    }
    if (rc < 0) {
        snprintf(why, whylen, "%s", rd->error);
        nmirf_recfile_destroy(&self);
    }
    nmirf_recreader_destroy(&rd);
    return self;
}

void
nmirf_recfile_destroy(nmirf_recfile_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    nmirf_recfile_t *self = *self_p;
    for (size_t i = 0; i < self->count; i++)
        json_decref(self->rows[i].rec);
    free(self->rows);
    free(self);
    *self_p = NULL;
}

int
nmirf_recfile_write_csv(FILE *out, const json_t *recs, size_t *lossy)
{
    fputs("\xEF\xBB\xBF", out);
    for (size_t c = 0; s_columns[c]; c++)
        fprintf(out, "%s%s", c ? "," : "", s_columns[c]);
    fputs("\r\n", out);
    size_t i;
    const json_t *rec;
    json_array_foreach(recs, i, rec)
    {
        for (size_t c = 0; s_columns[c]; c++) {
            if (c)
                fputc(',', out);
            const char *col = s_columns[c];
            const json_t *v = !strncmp(col, "text_", 5)
                                  ? json_object_get(json_object_get(rec, "text"), col + 5)
                                  : json_object_get(rec, col);
            if (json_is_string(v))
                nmirf_csv_put(out, json_string_value(v), json_string_length(v), true);
            else if (json_is_array(v)) {
                /* One item per line; a line break in an item would split it. */
                char *cell = NULL;
                size_t size = 0;
                FILE *m = open_memstream(&cell, &size);
                size_t j;
                const json_t *item;
                json_array_foreach(v, j, item)
                {
                    const char *s = json_string_value(item);
                    size_t n = json_string_length(item);
                    if (j)
                        fputc('\n', m);
                    for (size_t k = 0; s && k < n; k++) {
                        bool br = s[k] == '\n' || s[k] == '\r';
                        *lossy += br;
                        fputc(br ? ' ' : s[k], m);
                    }
                }
                fclose(m);
                nmirf_csv_put(out, cell, size, true);
                free(cell);
            }
        }
        fputs("\r\n", out);
    }
    return ferror(out) ? -1 : 0;
}

int
nmirf_recfile_write_json(FILE *out, const json_t *recs)
{
    json_t *list = json_array();
    size_t i;
    const json_t *rec;
    json_array_foreach(recs, i, rec)
    {
        json_t *copy = json_object();
        for (int f = 0; f < nmirf_fields_recommendation.count; f++) {
            const char *key = nmirf_fields_recommendation.fields[f].key;
            json_t *v = json_object_get(rec, key);
            if (v)
                json_object_set(copy, key, v);
        }
        json_array_append_new(list, copy);
    }
    json_t *root = json_pack("{s:o}", "recommendations", list);
    int rc = json_dumpf(root, out, JSON_INDENT(2));
    fputc('\n', out);
    json_decref(root);
    return rc || ferror(out) ? -1 : 0;
}

void
nmirf_import_batch_init(nmirf_import_batch_t *self, nmirf_import_send_fn *send, void *arg)
{
    msgpack_sbuffer_init(&self->recs);
    msgpack_sbuffer_init(&self->one);
    msgpack_packer_init(&self->pk, &self->one, msgpack_sbuffer_write);
    self->count = 0;
    self->send = send;
    self->arg = arg;
}

int
nmirf_import_batch_flush(nmirf_import_batch_t *self)
{
    if (self->count == 0)
        return 0;
    msgpack_sbuffer body;
    msgpack_sbuffer_init(&body);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &body, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 1);
    nmirf_mp_pack_str(&pk, "recs");
    msgpack_pack_array(&pk, (uint32_t)self->count);
    /* The batch is already msgpack: its bytes are the array's items. */
    msgpack_sbuffer_write(&body, self->recs.data, self->recs.size);
    int rc = self->send(&body, self->count, self->arg);
    msgpack_sbuffer_destroy(&body);
    msgpack_sbuffer_clear(&self->recs);
    self->count = 0;
    return rc;
}

int
nmirf_import_batch_add(nmirf_import_batch_t *self, const json_t *rec)
{
    msgpack_sbuffer_clear(&self->one);
    nmirf_json_to_mp(rec, &self->pk);
    int rc = 0;
    if (self->count > 0 && (self->recs.size + self->one.size > NMIRF_IMPORT_BATCH_BYTES ||
                            self->count == NMIRF_IMPORT_MAX))
        rc = nmirf_import_batch_flush(self);
    if (rc == 0) {
        msgpack_sbuffer_write(&self->recs, self->one.data, self->one.size);
        self->count++;
    }
    return rc;
}

void
nmirf_import_batch_destroy(nmirf_import_batch_t *self)
{
    msgpack_sbuffer_destroy(&self->recs);
    msgpack_sbuffer_destroy(&self->one);
}
