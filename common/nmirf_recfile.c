/*  nmirf_recfile - recommendation files in and out. */
#include "nmirf_recfile.h"
#include "nmirf_csv.h"
#include "nmirf_rec.h"
#include "nmirf_uhri.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* The project's CSV columns, in order. A list column holds one item per
   line; text_* are text.fr/ar/en. */
static const char *const s_columns[] = {
    "id",     "mechanism", "symbol",  "paragraph", "cycle",    "date",
    "states", "text_fr",   "text_ar", "text_en",   "response", "response_text",
    "themes", "persons",   "sdgs",    NULL};

/* True for the columns that hold lists. */
static bool
s_is_list(const char *col)
{
    return !strcmp(col, "states") || !strcmp(col, "themes") || !strcmp(col, "persons") ||
           !strcmp(col, "sdgs");
}

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

/* Appends a row (taking rec) to self. Returns 0 or -1 out of memory. */
static int
s_add(nmirf_recfile_t *self, size_t line, json_t *rec, const char *why, size_t *cap)
{
    if (self->count == *cap) {
        size_t n = *cap ? *cap * 2 : 64;
        nmirf_recrow_t *r = realloc(self->rows, n * sizeof *r);
        if (!r) {
            json_decref(rec);
            return -1;
        }
        self->rows = r;
        *cap = n;
    }
    nmirf_recrow_t *row = &self->rows[self->count++];
    row->line = line;
    row->rec = rec;
    row->why[0] = 0;
    if (rec && nmirf_rec_check(rec, row->why, sizeof row->why)) {
        json_decref(rec);
        row->rec = NULL;
    } else if (!rec)
        snprintf(row->why, sizeof row->why, "%s", why);
    self->bad += row->rec == NULL;
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

/* Reads a CSV file: the project's (own) or a UHRI export. */
static nmirf_recfile_t *
s_read_csv(nmirf_recfile_t *self, const char *data, size_t len, const char *format,
           const char *lang, char *why, size_t whylen)
{
    nmirf_csv_t *csv = nmirf_csv_new(data, len);
    nmirf_uhri_t *uhri = NULL;
    const char *col[64];
    size_t ncols = 0, cap = 0;
    int rc = csv ? nmirf_csv_next(csv) : -1;
    if (rc <= 0) {
        if (!csv)
            s_fail(why, whylen, "out of memory");
        else if (rc == 0)
            s_fail(why, whylen, "no header line: the file is empty");
        else
            s_fail(why, whylen, "%s", nmirf_csv_error(csv));
        goto fail;
    }
    /* The project's own CSV starts with "id" and has a "mechanism". */
    bool own = false;
    if (strcmp(format, "uhri") != 0 && !strcmp(nmirf_csv_field(csv, 0, NULL), "id"))
        for (size_t i = 0; i < nmirf_csv_count(csv); i++)
            own |= !strcmp(nmirf_csv_field(csv, i, NULL), "mechanism");
    if (own) {
        self->format = "csv";
        ncols = nmirf_csv_count(csv);
        if (ncols > sizeof col / sizeof col[0]) {
            s_fail(why, whylen, "line 1: %zu columns, more than this format has", ncols);
            goto fail;
        }
        for (size_t i = 0; i < ncols; i++) {
            const char *name = nmirf_csv_field(csv, i, NULL);
            col[i] = NULL;
            for (size_t c = 0; s_columns[c]; c++)
                if (!strcmp(name, s_columns[c]))
                    col[i] = s_columns[c];
            for (size_t j = 0; j < i && col[i]; j++)
                if (col[j] == col[i])
                    col[i] = NULL;
            if (!col[i]) {
                s_fail(why, whylen, "line 1: column '%.40s' is unknown or repeated",
                       name);
                goto fail;
            }
        }
    } else {
        self->format = "uhri";
        char w[200];
        uhri = nmirf_uhri_new(csv, lang, w, sizeof w);
        if (!uhri) {
            s_fail(why, whylen, "line 1: %s (neither a UHRI export nor nmirf's CSV)", w);
            goto fail;
        }
    }
    while ((rc = nmirf_csv_next(csv)) == 1) {
        char w[256] = "";
        json_t *rec = own ? s_own_row(csv, col, ncols, w, sizeof w)
                          : nmirf_uhri_row(uhri, csv, w, sizeof w);
        if (s_add(self, nmirf_csv_line(csv), rec, w, &cap)) {
            s_fail(why, whylen, "out of memory");
            goto fail;
        }
    }
    if (rc < 0) {
        s_fail(why, whylen, "%s", nmirf_csv_error(csv));
        goto fail;
    }
    nmirf_uhri_destroy(&uhri);
    nmirf_csv_destroy(&csv);
    return self;
fail:
    nmirf_uhri_destroy(&uhri);
    nmirf_csv_destroy(&csv);
    nmirf_recfile_destroy(&self);
    return NULL;
}

/* Reads the project's JSON: an array of recommendations, or an object
   holding one under "recommendations" (or "recs", as a snapshot has). */
static nmirf_recfile_t *
s_read_json(nmirf_recfile_t *self, const char *data, size_t len, char *why, size_t whylen)
{
    json_error_t err;
    self->format = "json";
    self->by_item = true;
    json_t *root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &err);
    if (!root) {
        nmirf_recfile_destroy(&self);
        return s_fail(why, whylen, "%d:%d: %s", err.line, err.column, err.text);
    }
    json_t *list = root;
    if (json_is_object(root)) {
        list = json_object_get(root, "recommendations");
        if (!list)
            list = json_object_get(root, "recs");
    }
    if (!json_is_array(list)) {
        json_decref(root);
        nmirf_recfile_destroy(&self);
        return s_fail(why, whylen,
                      "expected an array of recommendations, or an object "
                      "with one under \"recommendations\"");
    }
    size_t i, cap = 0;
    json_t *rec;
    json_array_foreach(list, i, rec)
    {
        if (!json_is_object(rec)) {
            json_decref(root);
            nmirf_recfile_destroy(&self);
            return s_fail(why, whylen, "recommendation %zu is not a JSON object", i + 1);
        }
        /* Snapshots carry the broker's own time stamp; imports may not. */
        json_object_del(rec, "updated");
        if (s_add(self, i + 1, json_incref(rec), NULL, &cap)) {
            json_decref(root);
            nmirf_recfile_destroy(&self);
            return s_fail(why, whylen, "out of memory");
        }
    }
    json_decref(root);
    return self;
}

/* Marks the later rows of an id given twice as bad. */
static void
s_check_duplicates(nmirf_recfile_t *self)
{
    json_t *seen = json_object(); /* id -> first line */
    for (size_t i = 0; i < self->count; i++) {
        nmirf_recrow_t *row = &self->rows[i];
        if (!row->rec)
            continue;
        const char *id = json_string_value(json_object_get(row->rec, "id"));
        json_t *first = json_object_get(seen, id);
        if (first) {
            snprintf(row->why, sizeof row->why, "id '%s' already given by %s %lld", id,
                     self->by_item ? "recommendation" : "line",
                     (long long)json_integer_value(first));
            json_decref(row->rec);
            row->rec = NULL;
            self->bad++;
        } else
            json_object_set_new(seen, id, json_integer((json_int_t)row->line));
    }
    json_decref(seen);
}

nmirf_recfile_t *
nmirf_recfile_read(const char *data, size_t len, const char *name, const char *format,
                   const char *lang, char *why, size_t whylen)
{
    if (!format) {
        size_t n = name ? strlen(name) : 0;
        if (n > 5 && !strcasecmp(name + n - 5, ".json"))
            format = "json";
        else if (n > 4 && !strcasecmp(name + n - 4, ".csv"))
            format = "csv";
        else {
            size_t i = len >= 3 && !memcmp(data, "\xEF\xBB\xBF", 3) ? 3 : 0;
            while (i < len && isspace((unsigned char)data[i]))
                i++;
            format = i < len && (data[i] == '[' || data[i] == '{') ? "json" : "csv";
        }
    }
    nmirf_recfile_t *self = calloc(1, sizeof *self);
    if (!self)
        return s_fail(why, whylen, "out of memory");
    if (!strcmp(format, "json"))
        self = s_read_json(self, data, len, why, whylen);
    else if (!strcmp(format, "csv") || !strcmp(format, "uhri"))
        self = s_read_csv(self, data, len, format, lang, why, whylen);
    else {
        nmirf_recfile_destroy(&self);
        return s_fail(why, whylen, "unknown format '%s' (json, csv, uhri)", format);
    }
    if (self)
        s_check_duplicates(self);
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
                nmirf_csv_put(out, json_string_value(v), json_string_length(v), false);
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
                nmirf_csv_put(out, cell, size, false);
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
        for (size_t f = 0; nmirf_rec_fields[f]; f++) {
            json_t *v = json_object_get(rec, nmirf_rec_fields[f]);
            if (v)
                json_object_set(copy, nmirf_rec_fields[f], v);
        }
        json_array_append_new(list, copy);
    }
    json_t *root = json_pack("{s:o}", "recommendations", list);
    int rc = json_dumpf(root, out, JSON_INDENT(2));
    fputc('\n', out);
    json_decref(root);
    return rc || ferror(out) ? -1 : 0;
}
