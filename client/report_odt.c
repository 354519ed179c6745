/*  report_odt - the follow-up report as an ODT document (report_odt.h).

    The XML is written by hand into memory streams: the document is a
    flat sequence of headings, paragraphs and tables, and the one thing
    that must be right, escaping, is one function. Styles are few and
    named as LibreOffice names its own (Heading_20_1, Table_20_Contents),
    so that the document's styles can be edited where people expect them.
*/
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <zip.h>

#include "nmirf_mp.h"
#include "nmirf_schema.h"
#include "nmirf_vocab.h"
#include "report_i18n.h"
#include "report_odt.h"
#include "stats_html.h"

/* Room for an entity's name and id, "NAME (ID)", or a value's label:
   a short string (NMIRF_SHORT_MAX bytes) and then some, so that nothing
   is cut in the middle of a character. */
#define NAME_MAX_BYTES (2 * NMIRF_SHORT_MAX + 64)

#define NS_OFFICE "urn:oasis:names:tc:opendocument:xmlns:office:1.0"

/* The namespaces every part declares. */
static const char s_ns[] =
    " xmlns:office=\"" NS_OFFICE "\""
    " xmlns:style=\"urn:oasis:names:tc:opendocument:xmlns:style:1.0\""
    " xmlns:text=\"urn:oasis:names:tc:opendocument:xmlns:text:1.0\""
    " xmlns:table=\"urn:oasis:names:tc:opendocument:xmlns:table:1.0\""
    " xmlns:fo=\"urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0\""
    " xmlns:xlink=\"http://www.w3.org/1999/xlink\""
    " xmlns:dc=\"http://purl.org/dc/elements/1.1/\""
    " xmlns:meta=\"urn:oasis:names:tc:opendocument:xmlns:meta:1.0\""
    " office:version=\"1.3\"";

void
report_odt_escape(FILE *f, const char *s, size_t len, int in_text)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t run = 0; /* start of the bytes that go out as they are */
    for (size_t i = 0; i < len; i++) {
        unsigned char c = p[i];
        const char *rep = NULL;
        size_t skip = 1;
        switch (c) {
        case '&':
            rep = "&amp;";
            break;
        case '<':
            rep = "&lt;";
            break;
        case '>':
            rep = "&gt;";
            break;
        case '"':
            rep = "&quot;";
            break;
        case '\'':
            rep = "&apos;";
            break;
        case '\t':
            rep = in_text ? "<text:tab/>" : " ";
            break;
        case '\n':
            rep = in_text ? "<text:line-break/>" : " ";
            break;
        default:
            if (c < 0x20 || c == 0x7f)
                rep = ""; /* C0 controls (CR too) and DEL: not in XML 1.0 text */
            else if (c == 0xc2 && i + 1 < len && p[i + 1] >= 0x80 && p[i + 1] <= 0x9f) {
                rep = ""; /* C1 controls, U+0080..U+009F */
                skip = 2;
            }
        }
        if (!rep)
            continue;
        /* Plain bytes in runs: a byte at a time costs a locked call each. */
        fwrite(p + run, 1, i - run, f);
        fputs(rep, f);
        i += skip - 1;
        run = i + 1;
    }
    fwrite(p + run, 1, len - run, f);
}

static void
s_x(FILE *f, const char *s)
{
    report_odt_escape(f, s, strlen(s), 1);
}

static void
s_xo(FILE *f, const msgpack_object *o)
{
    if (o && o->type == MSGPACK_OBJECT_STR)
        report_odt_escape(f, o->via.str.ptr, o->via.str.size, 1);
}

/* The document being written: its parts' streams and the page's words. */
typedef struct {
    FILE *f;                    /* content.xml's body */
    const report_odt_opts_t *o; /* what goes in */
    const char *lang;           /* o->lang */
    int tables;                 /* tables written, for their names */
} s_doc_t;

static void
s_h(s_doc_t *d, int level, const char *style, const char *text)
{
    fprintf(d->f, "<text:h text:style-name=\"%s\" text:outline-level=\"%d\">", style,
            level);
    s_x(d->f, text);
    fprintf(d->f, "</text:h>\n");
}

/* A paragraph: the label (ours) then a data string, escaped. */
static void
s_p_kv(s_doc_t *d, const char *label, const msgpack_object *v, const char *lit)
{
    fprintf(d->f, "<text:p text:style-name=\"Text_20_body\"><text:span "
                  "text:style-name=\"Strong\">");
    s_x(d->f, label);
    s_x(d->f, report_i18n_colon(d->lang));
    fprintf(d->f, "</text:span>");
    if (v)
        s_xo(d->f, v);
    if (lit)
        s_x(d->f, lit);
    fprintf(d->f, "</text:p>\n");
}

static void
s_p(s_doc_t *d, const char *style, const char *text)
{
    fprintf(d->f, "<text:p text:style-name=\"%s\">", style);
    s_x(d->f, text);
    fprintf(d->f, "</text:p>\n");
}

/* How many bytes of the string object o fit in max without cutting a
   UTF-8 sequence. */
static size_t
s_utf8_fit(const msgpack_object *o, size_t max)
{
    size_t n = o->via.str.size;
    if (n <= max)
        return n;
    n = max;
    while (n > 0 && ((unsigned char)o->via.str.ptr[n] & 0xc0) == 0x80)
        n--;
    return n;
}

/* The name of an entity in the document's language, "NAME (ID)", into
   buf; the id alone when it has no name. */
static const char *
s_entity_name(s_doc_t *d, const msgpack_object *id, char *buf, size_t len)
{
    const msgpack_object *e = report_model_entity(d->o->model, id);
    const char *shown;
    const msgpack_object *name =
        e ? report_text_pick(nmirf_mp_get(e, "names"), d->lang, d->o->fallback, &shown)
          : NULL;
    /* Each part cut on a character's boundary to fit (the broker's limits
       make them fit; a snapshot is still input). */
    size_t room = len > 8 ? (len - 8) / 2 : 0;
    int idn = id && id->type == MSGPACK_OBJECT_STR ? (int)s_utf8_fit(id, room) : 0;
    const char *ids = idn ? id->via.str.ptr : "";
    if (name)
        snprintf(buf, len, "%.*s (%.*s)", (int)s_utf8_fit(name, room), name->via.str.ptr,
                 idn, ids);
    else
        snprintf(buf, len, "%.*s", idn, ids);
    return buf;
}

/* --- tables ------------------------------------------------------------ */

/* Opens a table of cols columns. A table of counts (counts) gives its
   first column, the names, the room of two and a half numbers, so that
   "Ministère de la Justice" and "Partiellement mise en œuvre" break
   between words, not inside them. */
static void
s_table_open(s_doc_t *d, int cols, bool counts)
{
    fprintf(d->f, "<table:table table:name=\"Table%d\" table:style-name=\"Tbl\">",
            ++d->tables);
    if (counts && cols > 1)
        fprintf(d->f,
                "<table:table-column table:style-name=\"ColName\"/>"
                "<table:table-column table:style-name=\"ColNum\" "
                "table:number-columns-repeated=\"%d\"/>\n",
                cols - 1);
    else
        fprintf(d->f, "<table:table-column table:number-columns-repeated=\"%d\"/>\n",
                cols);
}

static void
s_cell_str(s_doc_t *d, const char *style, const char *s, size_t len)
{
    fprintf(d->f,
            "<table:table-cell office:value-type=\"string\"><text:p "
            "text:style-name=\"%s\">",
            style);
    report_odt_escape(d->f, s, len, 1);
    fprintf(d->f, "</text:p></table:table-cell>");
}

static void
s_cell_num(s_doc_t *d, uint64_t n)
{
    char buf[64];
    fprintf(d->f,
            "<table:table-cell office:value-type=\"float\" office:value=\"%llu\"><text:p "
            "text:style-name=\"Table_20_Contents\">%s</text:p></table:table-cell>",
            (unsigned long long)n, nmirf_fmt_count(n, d->lang, buf, sizeof buf));
}

/* A number cell from a msgpack number (an indicator's value). */
static void
s_cell_value(s_doc_t *d, const msgpack_object *v)
{
    char shown[64];
    report_i18n_number(v, d->lang, shown, sizeof shown);
    if (v && (v->type == MSGPACK_OBJECT_POSITIVE_INTEGER ||
              v->type == MSGPACK_OBJECT_NEGATIVE_INTEGER ||
              v->type == MSGPACK_OBJECT_FLOAT64 || v->type == MSGPACK_OBJECT_FLOAT32)) {
        char raw[64];
        if (v->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
            snprintf(raw, sizeof raw, "%llu", (unsigned long long)v->via.u64);
        else if (v->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
            snprintf(raw, sizeof raw, "%lld", (long long)v->via.i64);
        else
            snprintf(raw, sizeof raw, "%.17g", v->via.f64);
        fprintf(
            d->f,
            "<table:table-cell office:value-type=\"float\" office:value=\"%s\"><text:p "
            "text:style-name=\"Table_20_Contents\">%s</text:p></table:table-cell>",
            raw, shown);
    } else
        s_cell_str(d, "Table_20_Contents", "", 0);
}

/* One group of a stats reply as a table: KEY, the five statuses, total;
   largest first, then by key; cut at rows_max. */
typedef struct {
    const msgpack_object *key;    /* the group's key */
    const msgpack_object *counts; /* {STATUS: n} */
    uint64_t total;               /* their sum */
} s_grow_t;

static int
s_grow_cmp(const void *a, const void *b)
{
    const s_grow_t *x = a, *y = b;
    if (x->total != y->total)
        return x->total < y->total ? 1 : -1;
    size_t n = x->key->via.str.size < y->key->via.str.size ? x->key->via.str.size
                                                           : y->key->via.str.size;
    int c = memcmp(x->key->via.str.ptr, y->key->via.str.ptr, n);
    return c ? c
             : (x->key->via.str.size > y->key->via.str.size) -
                   (x->key->via.str.size < y->key->via.str.size);
}

static uint64_t
s_count(const msgpack_object *counts, const char *status)
{
    const msgpack_object *v = nmirf_mp_get(counts, status);
    return v && v->type == MSGPACK_OBJECT_POSITIVE_INTEGER ? v->via.u64 : 0;
}

static int
s_group_table(s_doc_t *d, const char *heading, const char *key, nmirf_vocab_kind_t kind,
              bool entities)
{
    const msgpack_object *g = d->o->stats ? nmirf_mp_get(d->o->stats, key) : NULL;
    if (!g || g->type != MSGPACK_OBJECT_MAP)
        return 0;
    size_t n = g->via.map.size;
    s_grow_t *rows = n ? calloc(n, sizeof *rows) : NULL;
    if (n && !rows)
        return -1;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const msgpack_object_kv *kv = &g->via.map.ptr[i];
        if (kv->key.type != MSGPACK_OBJECT_STR || kv->val.type != MSGPACK_OBJECT_MAP)
            continue;
        rows[k] = (s_grow_t){&kv->key, &kv->val, 0};
        for (int s = 0; s < nmirf_statuses.count; s++)
            rows[k].total += s_count(&kv->val, nmirf_statuses.names[s]);
        k++;
    }
    if (k > 1)
        qsort(rows, k, sizeof *rows, s_grow_cmp);
    size_t shown = d->o->rows_max && d->o->rows_max < k ? d->o->rows_max : k;
    s_h(d, 2, "Heading_20_2", heading);
    s_table_open(d, nmirf_statuses.count + 2, true);
    fprintf(d->f, "<table:table-header-rows><table:table-row>");
    s_cell_str(d, "Table_20_Heading", "", 0);
    char buf[NAME_MAX_BYTES];
    for (int s = 0; s < nmirf_statuses.count; s++) {
        const char *l =
            nmirf_vocab_label(NMIRF_VOCAB_STATUS, nmirf_statuses.names[s],
                              strlen(nmirf_statuses.names[s]), d->lang, buf, sizeof buf);
        s_cell_str(d, "Table_20_Heading", l, strlen(l));
    }
    const char *tl = stats_i18n(d->lang, "total");
    s_cell_str(d, "Table_20_Heading", tl, strlen(tl));
    fprintf(d->f, "</table:table-row></table:table-header-rows>\n");
    for (size_t i = 0; i < shown; i++) {
        fprintf(d->f, "<table:table-row>");
        const msgpack_object *kk = rows[i].key;
        const char *name;
        if (kk->via.str.size == 1 && kk->via.str.ptr[0] == '-')
            name = stats_i18n(d->lang, entities ? "unassigned" : "group_none");
        else if (entities)
            name = s_entity_name(d, kk, buf, sizeof buf);
        else
            name = nmirf_vocab_label(kind, kk->via.str.ptr, kk->via.str.size, d->lang,
                                     buf, sizeof buf);
        s_cell_str(d, "Table_20_Contents", name, strlen(name));
        for (int s = 0; s < nmirf_statuses.count; s++)
            s_cell_num(d, s_count(rows[i].counts, nmirf_statuses.names[s]));
        s_cell_num(d, rows[i].total);
        fprintf(d->f, "</table:table-row>\n");
    }
    fprintf(d->f, "</table:table>\n");
    if (shown < k) {
        char line[256];
        snprintf(line, sizeof line, stats_i18n(d->lang, "left_out_fmt"), k - shown, k);
        s_p(d, "Note", line);
    }
    free(rows);
    return 0;
}

/* --- the summary ------------------------------------------------------- */

static void
s_summary(s_doc_t *d)
{
    const msgpack_object *st = d->o->stats;
    if (!st)
        return;
    char a[64], b[64];
    uint64_t total = s_count(st, "total");
    const msgpack_object *by = nmirf_mp_get(st, "by_status");
    uint64_t impl = s_count(by, "implemented");
    s_h(d, 2, "Heading_20_2", stats_i18n(d->lang, "summary"));
    s_table_open(d, 2, false);
    struct {
        const char *label;
        const char *value;
    } rows[4];
    char due[64], over[64];
    rows[0].label = stats_i18n(d->lang, "recs");
    rows[0].value = nmirf_fmt_count(total, d->lang, a, sizeof a);
    rows[1].label = stats_i18n(d->lang, "implemented_share");
    rows[1].value =
        nmirf_fmt_percent(total ? (double)impl / (double)total : 0, d->lang, b, sizeof b);
    rows[2].label = stats_i18n(d->lang, "overdue");
    rows[2].value =
        nmirf_fmt_count(s_count(st, "overdue_total"), d->lang, over, sizeof over);
    rows[3].label = stats_i18n(d->lang, "due_soon_short");
    rows[3].value =
        nmirf_fmt_count(s_count(st, "due_soon_total"), d->lang, due, sizeof due);
    for (int i = 0; i < 4; i++) {
        fprintf(d->f, "<table:table-row>");
        s_cell_str(d, "Table_20_Contents", rows[i].label, strlen(rows[i].label));
        s_cell_str(d, "Table_20_Contents", rows[i].value, strlen(rows[i].value));
        fprintf(d->f, "</table:table-row>\n");
    }
    fprintf(d->f, "</table:table>\n");
}

/* --- the annex ---------------------------------------------------------- */

static void
s_group_heading(s_doc_t *d, const report_group_t *g, bool first)
{
    char buf[NAME_MAX_BYTES + 64], name[NAME_MAX_BYTES];
    bool none = strcmp(g->key, "-") == 0;
    const char *lang = d->lang;
    switch (d->o->model->by) {
    case REPORT_BY_MECHANISM:
        nmirf_vocab_label(NMIRF_VOCAB_MECHANISM, g->key, strlen(g->key), lang, buf,
                          sizeof buf);
        break;
    case REPORT_BY_CYCLE:
        snprintf(buf, sizeof buf, "%s%s%s", stats_i18n(lang, "cycle"),
                 report_i18n_colon(lang), none ? stats_i18n(lang, "group_none") : g->key);
        break;
    case REPORT_BY_THEME:
        if (none)
            snprintf(buf, sizeof buf, "%s%s%s", stats_i18n(lang, "theme"),
                     report_i18n_colon(lang), stats_i18n(lang, "group_none"));
        else
            nmirf_vocab_label(NMIRF_VOCAB_THEME, g->key, strlen(g->key), lang, buf,
                              sizeof buf);
        break;
    case REPORT_BY_ENTITY:
        if (none)
            snprintf(buf, sizeof buf, "%s", stats_i18n(lang, "unassigned_one"));
        else {
            msgpack_object id = {.type = MSGPACK_OBJECT_STR,
                                 .via.str = {(uint32_t)strlen(g->key), g->key}};
            snprintf(buf, sizeof buf, "%s", s_entity_name(d, &id, name, sizeof name));
        }
        break;
    }
    size_t l = strlen(buf);
    snprintf(buf + l, sizeof buf - l, " (%zu)", g->n);
    /* Each group after the first starts a page, like the printed page's. */
    s_h(d, 2, first ? "Heading_20_2" : "Heading_20_2_20_Page", buf);
}

static void
s_report(s_doc_t *d, const msgpack_object *r)
{
    char date[64], name[NAME_MAX_BYTES];
    const char *lang = d->lang;
    const msgpack_object *dt = nmirf_mp_get(r, "date");
    fprintf(d->f, "<text:p text:style-name=\"Report_20_Head\">");
    if (dt && dt->type == MSGPACK_OBJECT_STR)
        s_x(d->f,
            nmirf_fmt_date(dt->via.str.ptr, dt->via.str.size, lang, date, sizeof date));
    fputs(" — ", d->f);
    s_x(d->f, s_entity_name(d, nmirf_mp_get(r, "entity"), name, sizeof name));
    const msgpack_object *by = nmirf_mp_get(r, "by");
    if (by && by->type == MSGPACK_OBJECT_STR) {
        char who[256], line[512];
        size_t n = s_utf8_fit(by, sizeof who - 1);
        memcpy(who, by->via.str.ptr, n);
        who[n] = '\0';
        snprintf(line, sizeof line, stats_i18n(lang, "by_fmt"), who);
        fputs(", ", d->f);
        s_x(d->f, line);
    }
    const msgpack_object *st = nmirf_mp_get(r, "status");
    if (st && st->type == MSGPACK_OBJECT_STR) {
        fputs(" — ", d->f);
        s_x(d->f, nmirf_vocab_label(NMIRF_VOCAB_STATUS, st->via.str.ptr, st->via.str.size,
                                    lang, name, sizeof name));
    }
    fprintf(d->f, "</text:p>\n<text:p text:style-name=\"Narrative\">");
    s_xo(d->f, nmirf_mp_get(r, "narrative"));
    fprintf(d->f, "</text:p>\n");
    const msgpack_object *ev = nmirf_mp_get(r, "evidence");
    if (ev && ev->type == MSGPACK_OBJECT_ARRAY)
        for (uint32_t i = 0; i < ev->via.array.size; i++) {
            const msgpack_object *u = &ev->via.array.ptr[i];
            if (u->type != MSGPACK_OBJECT_STR)
                continue;
            bool link =
                (u->via.str.size > 7 && memcmp(u->via.str.ptr, "http://", 7) == 0) ||
                (u->via.str.size > 8 && memcmp(u->via.str.ptr, "https://", 8) == 0);
            fprintf(d->f, "<text:p text:style-name=\"Evidence\">");
            s_x(d->f, stats_i18n(lang, "evidence"));
            s_x(d->f, report_i18n_colon(lang));
            if (link) {
                fprintf(d->f, "<text:a xlink:type=\"simple\" xlink:href=\"");
                report_odt_escape(d->f, u->via.str.ptr, u->via.str.size, 0);
                fprintf(d->f, "\">");
            }
            s_xo(d->f, u);
            fprintf(d->f, link ? "</text:a></text:p>\n" : "</text:p>\n");
        }
}

static void
s_measure(s_doc_t *d, const msgpack_object *m)
{
    const char *lang = d->lang;
    char line[256];
    const msgpack_object *id = nmirf_mp_get(m, "id");
    snprintf(line, sizeof line, stats_i18n(lang, "measure_fmt"),
             (unsigned long long)(id && id->type == MSGPACK_OBJECT_POSITIVE_INTEGER
                                      ? id->via.u64
                                      : 0));
    fprintf(d->f, "<text:p text:style-name=\"Report_20_Head\">");
    s_x(d->f, line);
    fputs(" — ", d->f);
    s_xo(d->f, nmirf_mp_get(m, "title"));
    fprintf(d->f, "</text:p>\n");
    const msgpack_object *desc = nmirf_mp_get(m, "description");
    if (desc && desc->type == MSGPACK_OBJECT_STR) {
        fprintf(d->f, "<text:p text:style-name=\"Narrative\">");
        s_xo(d->f, desc);
        fprintf(d->f, "</text:p>\n");
    }
    const msgpack_object *ind = nmirf_mp_get(m, "indicator");
    if (ind && ind->type == MSGPACK_OBJECT_MAP) {
        s_table_open(d, 4, false);
        fprintf(d->f, "<table:table-header-rows><table:table-row>");
        const char *h[] = {"indicator", "unit", "baseline", "target"};
        for (int i = 0; i < 4; i++) {
            const char *l = stats_i18n(lang, h[i]);
            s_cell_str(d, "Table_20_Heading", l, strlen(l));
        }
        fprintf(d->f, "</table:table-row></table:table-header-rows><table:table-row>");
        const msgpack_object *nm = nmirf_mp_get(ind, "name"),
                             *un = nmirf_mp_get(ind, "unit");
        s_cell_str(d, "Table_20_Contents",
                   nm && nm->type == MSGPACK_OBJECT_STR ? nm->via.str.ptr : "",
                   nm && nm->type == MSGPACK_OBJECT_STR ? nm->via.str.size : 0);
        s_cell_str(d, "Table_20_Contents",
                   un && un->type == MSGPACK_OBJECT_STR ? un->via.str.ptr : "",
                   un && un->type == MSGPACK_OBJECT_STR ? un->via.str.size : 0);
        s_cell_value(d, nmirf_mp_get(ind, "baseline"));
        s_cell_value(d, nmirf_mp_get(ind, "target"));
        fprintf(d->f, "</table:table-row></table:table>\n");
    }
    const msgpack_object *p = nmirf_mp_get(m, "progress");
    size_t shown = 0;
    if (p && p->type == MSGPACK_OBJECT_ARRAY)
        for (uint32_t i = 0; i < p->via.array.size; i++) {
            const msgpack_object *pt = &p->via.array.ptr[i],
                                 *dt = nmirf_mp_get(pt, "date");
            if (!report_model_dated_in(d->o->model, dt))
                continue;
            if (!shown++) {
                s_table_open(d, 2, false);
                fprintf(d->f, "<table:table-header-rows><table:table-row>");
                const char *l = stats_i18n(lang, "date");
                s_cell_str(d, "Table_20_Heading", l, strlen(l));
                l = stats_i18n(lang, "value");
                s_cell_str(d, "Table_20_Heading", l, strlen(l));
                fprintf(d->f, "</table:table-row></table:table-header-rows>\n");
            }
            char date[64];
            fprintf(d->f, "<table:table-row>");
            if (dt && dt->type == MSGPACK_OBJECT_STR) {
                fprintf(d->f, "<table:table-cell office:value-type=\"date\" "
                              "office:date-value=\"");
                report_odt_escape(d->f, dt->via.str.ptr, dt->via.str.size, 0);
                fprintf(d->f, "\"><text:p text:style-name=\"Table_20_Contents\">");
                s_x(d->f, nmirf_fmt_date(dt->via.str.ptr, dt->via.str.size, lang, date,
                                         sizeof date));
                fprintf(d->f, "</text:p></table:table-cell>");
            } else
                s_cell_str(d, "Table_20_Contents", "", 0);
            s_cell_value(d, nmirf_mp_get(pt, "value"));
            fprintf(d->f, "</table:table-row>\n");
        }
    if (shown)
        fprintf(d->f, "</table:table>\n");
    else if (ind)
        s_p(d, "Note", stats_i18n(lang, "no_values"));
}

static void
s_rec(s_doc_t *d, const report_rec_t *r)
{
    const char *lang = d->lang;
    const msgpack_object *rec = r->rec, *sym = nmirf_mp_get(rec, "symbol"),
                         *par = nmirf_mp_get(rec, "paragraph");
    char buf[NAME_MAX_BYTES];
    fprintf(d->f, "<text:h text:style-name=\"Heading_20_3\" text:outline-level=\"3\">");
    s_xo(d->f, nmirf_mp_get(rec, "id"));
    if (sym) {
        fputs(" — ", d->f);
        s_xo(d->f, sym);
    }
    if (par) {
        fprintf(d->f, ", ");
        s_x(d->f, stats_i18n(lang, "paragraph"));
        fputs(" ", d->f);
        s_xo(d->f, par);
    }
    fprintf(d->f, "</text:h>\n");
    const char *shown;
    const msgpack_object *text =
        report_text_pick(nmirf_mp_get(rec, "text"), lang, d->o->fallback, &shown);
    if (text) {
        fprintf(d->f, "<text:p text:style-name=\"Rec_20_Text\">");
        s_xo(d->f, text);
        fprintf(d->f, "</text:p>\n");
        if (strcmp(shown, lang) != 0) {
            snprintf(buf, sizeof buf, stats_i18n(lang, "text_in_fmt"),
                     report_i18n_lang_name(lang, shown));
            s_p(d, "Note", buf);
        }
    } else
        s_p(d, "Note", stats_i18n(lang, "no_text"));
    const msgpack_object *resp = nmirf_mp_get(rec, "response");
    if (resp && resp->type == MSGPACK_OBJECT_STR)
        s_p_kv(d, stats_i18n(lang, "position"), NULL,
               nmirf_vocab_label(NMIRF_VOCAB_POSITION, resp->via.str.ptr,
                                 resp->via.str.size, lang, buf, sizeof buf));
    s_p_kv(d, stats_i18n(lang, "lead"), NULL,
           r->assignment
               ? s_entity_name(d, nmirf_mp_get(r->assignment, "lead"), buf, sizeof buf)
               : stats_i18n(lang, "unassigned_one"));
    const msgpack_object *c =
        r->assignment ? nmirf_mp_get(r->assignment, "contributors") : NULL;
    if (c && c->type == MSGPACK_OBJECT_ARRAY && c->via.array.size) {
        fprintf(d->f, "<text:p text:style-name=\"Text_20_body\"><text:span "
                      "text:style-name=\"Strong\">");
        s_x(d->f, stats_i18n(lang, "contributors"));
        s_x(d->f, report_i18n_colon(lang));
        fprintf(d->f, "</text:span>");
        for (uint32_t i = 0; i < c->via.array.size; i++) {
            if (i)
                fputs(", ", d->f);
            s_x(d->f, s_entity_name(d, &c->via.array.ptr[i], buf, sizeof buf));
        }
        fprintf(d->f, "</text:p>\n");
    }
    const msgpack_object *dl =
        r->assignment ? nmirf_mp_get(r->assignment, "deadline") : NULL;
    if (dl && dl->type == MSGPACK_OBJECT_STR)
        s_p_kv(d, stats_i18n(lang, "deadline"), NULL,
               nmirf_fmt_date(dl->via.str.ptr, dl->via.str.size, lang, buf, sizeof buf));
    s_p_kv(d, stats_i18n(lang, "status"), NULL,
           nmirf_vocab_label(NMIRF_VOCAB_STATUS, r->status, strlen(r->status), lang, buf,
                             sizeof buf));
    s_h(d, 4, "Heading_20_4", stats_i18n(lang, "reports"));
    if (!r->nreports)
        s_p(d, "Note", stats_i18n(lang, "no_reports"));
    for (size_t i = 0; i < r->nreports; i++)
        s_report(d, r->reports[i]);
    if (r->nmeasures) {
        s_h(d, 4, "Heading_20_4", stats_i18n(lang, "measures"));
        for (size_t i = 0; i < r->nmeasures; i++)
            s_measure(d, r->measures[i]);
    }
}

static void
s_annex(s_doc_t *d)
{
    const report_model_t *m = d->o->model;
    const char *lang = d->lang;
    char line[512];
    fprintf(d->f, "<text:h text:style-name=\"Heading_20_1_20_Page\" "
                  "text:outline-level=\"1\">");
    s_x(d->f, stats_i18n(lang, "annex"));
    fprintf(d->f, "</text:h>\n");
    snprintf(line, sizeof line, stats_i18n(lang, "annex_counts_fmt"), m->rows,
             m->narratives, m->values);
    s_p(d, "Text_20_body", line);
    if (m->rows < m->rows_total) {
        snprintf(line, sizeof line, stats_i18n(lang, "left_out_fmt"),
                 m->rows_total - m->rows, m->rows_total);
        s_p(d, "Note", line);
    }
    if (!m->rows_total)
        s_p(d, "Text_20_body", stats_i18n(lang, "no_recs"));
    for (size_t g = 0; g < m->ngroups; g++) {
        s_group_heading(d, &m->groups[g], g == 0);
        for (size_t i = 0; i < m->groups[g].n; i++)
            s_rec(d, m->groups[g].recs[i]);
    }
}

/* --- the parts ---------------------------------------------------------- */

/* content.xml: automatic styles (the tables' direction) and the body. */
static int
s_content(const report_odt_opts_t *o, char **xml, size_t *len)
{
    FILE *f = open_memstream(xml, len);
    if (!f)
        return -1;
    bool rtl = strcmp(o->lang, "ar") == 0;
    fprintf(f,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<office:document-content%s>\n",
            s_ns);
    fprintf(f,
            "<office:automatic-styles>"
            "<style:style style:name=\"Tbl\" style:family=\"table\">"
            "<style:table-properties style:width=\"17cm\" table:align=\"margins\" "
            "style:writing-mode=\"%s\"/></style:style>"
            "<style:style style:name=\"ColName\" style:family=\"table-column\">"
            "<style:table-column-properties style:rel-column-width=\"2500*\"/>"
            "</style:style>"
            "<style:style style:name=\"ColNum\" style:family=\"table-column\">"
            "<style:table-column-properties style:rel-column-width=\"1000*\"/>"
            "</style:style>"
            "</office:automatic-styles>\n<office:body><office:text>\n",
            rtl ? "rl-tb" : "lr-tb");
    s_doc_t d = {.f = f, .o = o, .lang = o->lang};
    s_h(&d, 1, "Title", o->title ? o->title : stats_i18n(o->lang, "doc_title"));
    const msgpack_object *today = o->stats ? nmirf_mp_get(o->stats, "today") : NULL;
    if (today && today->type == MSGPACK_OBJECT_STR) {
        char date[64], line[128];
        snprintf(line, sizeof line, stats_i18n(o->lang, "as_of_fmt"),
                 nmirf_fmt_date(today->via.str.ptr, today->via.str.size, o->lang, date,
                                sizeof date));
        s_p(&d, "Subtitle", line);
    }
    if (o->scope) {
        /* The line names what it covers itself (stats_html_scope), as on
           the page. */
        s_p(&d, "Text_20_body", o->scope);
    }
    if (o->stats_seq && o->model && o->stats_seq != o->model->seq) {
        char line[512];
        snprintf(line, sizeof line, stats_i18n(o->lang, "seq_fmt"),
                 (unsigned long long)o->stats_seq, (unsigned long long)o->model->seq);
        s_p(&d, "Note", line);
    }
    s_summary(&d);
    int rc = s_group_table(&d, stats_i18n(o->lang, "by_entity"), "by_entity",
                           NMIRF_VOCAB_STATUS, true) ||
             s_group_table(&d, stats_i18n(o->lang, "by_mechanism"), "by_mechanism",
                           NMIRF_VOCAB_MECHANISM, false) ||
             s_group_table(&d, stats_i18n(o->lang, "status_by_theme"), "by_theme",
                           NMIRF_VOCAB_THEME, false);
    if (o->model)
        s_annex(&d);
    fprintf(f, "</office:text></office:body></office:document-content>\n");
    if (fclose(f) || rc) {
        free(*xml);
        *xml = NULL;
        return -1;
    }
    return 0;
}

/* styles.xml: the named styles, and the page and default direction of
   the language. */
static int
s_styles(const char *lang, char **xml, size_t *len)
{
    FILE *f = open_memstream(xml, len);
    if (!f)
        return -1;
    bool rtl = strcmp(lang, "ar") == 0;
    const char *wm = rtl ? "rl-tb" : "lr-tb";
    const char *align = rtl ? "end" : "start";
    /* Arabic is a complex script: its language goes in the -complex
       properties (Arabic as written in Morocco in every document, for
       the Arabic names in a French one); the Western text of an Arabic
       document is French. */
    const char *country = strcmp(lang, "fr") == 0   ? "FR"
                          : strcmp(lang, "ar") == 0 ? "MA"
                                                    : "GB";
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<office:document-styles%s>\n",
            s_ns);
    fprintf(f,
            "<office:styles>"
            "<style:default-style style:family=\"paragraph\">"
            "<style:paragraph-properties style:writing-mode=\"%s\"/>"
            "<style:text-properties fo:font-size=\"11pt\" "
            "fo:language=\"%s\" fo:country=\"%s\" style:font-size-complex=\"12pt\" "
            "style:language-complex=\"%s\" style:country-complex=\"%s\"/>"
            "</style:default-style>\n"
            "<style:default-style style:family=\"table\">"
            "<style:table-properties style:writing-mode=\"%s\"/></style:default-style>\n",
            wm, rtl ? "fr" : lang, rtl ? "FR" : country, "ar", "MA", wm);
    fprintf(
        f,
        "<style:style style:name=\"Standard\" style:family=\"paragraph\">"
        "<style:paragraph-properties fo:text-align=\"%s\" style:writing-mode=\"%s\"/>"
        "</style:style>\n"
        "<style:style style:name=\"Text_20_body\" style:display-name=\"Text body\" "
        "style:family=\"paragraph\" style:parent-style-name=\"Standard\">"
        "<style:paragraph-properties fo:margin-top=\"0cm\" fo:margin-bottom=\"0.2cm\"/>"
        "</style:style>\n",
        align, wm);
    static const struct {
        const char *name, *display, *size, *extra;
        int level;
    } heads[] = {
        {"Title", "Title", "20pt", "", 0},
        {"Heading_20_1", "Heading 1", "16pt", "", 1},
        {"Heading_20_1_20_Page", "Heading 1 Page", "16pt", " fo:break-before=\"page\"",
         1},
        {"Heading_20_2", "Heading 2", "14pt", "", 2},
        {"Heading_20_2_20_Page", "Heading 2 Page", "14pt", " fo:break-before=\"page\"",
         2},
        {"Heading_20_3", "Heading 3", "12pt", "", 3},
        {"Heading_20_4", "Heading 4", "11pt", "", 4},
    };
    for (size_t i = 0; i < sizeof heads / sizeof heads[0]; i++) {
        char outline[64] = "";
        if (heads[i].level)
            snprintf(outline, sizeof outline, " style:default-outline-level=\"%d\"",
                     heads[i].level);
        fprintf(f,
                "<style:style style:name=\"%s\" style:display-name=\"%s\" "
                "style:family=\"paragraph\" style:parent-style-name=\"Standard\" "
                "style:next-style-name=\"Text_20_body\"%s>"
                "<style:paragraph-properties fo:margin-top=\"0.4cm\" "
                "fo:margin-bottom=\"0.2cm\" fo:keep-with-next=\"always\"%s/>"
                "<style:text-properties fo:font-size=\"%s\" fo:font-weight=\"bold\" "
                "style:font-size-complex=\"%s\" style:font-weight-complex=\"bold\"/>"
                "</style:style>\n",
                heads[i].name, heads[i].display, outline, heads[i].extra, heads[i].size,
                heads[i].size);
    }
    fprintf(
        f,
        "<style:style style:name=\"Subtitle\" style:family=\"paragraph\" "
        "style:parent-style-name=\"Standard\"><style:text-properties "
        "fo:font-size=\"12pt\" fo:font-style=\"italic\"/></style:style>\n"
        "<style:style style:name=\"Rec_20_Text\" style:display-name=\"Rec Text\" "
        "style:family=\"paragraph\" style:parent-style-name=\"Text_20_body\">"
        "<style:paragraph-properties fo:margin-left=\"0.5cm\" fo:margin-right=\"0.5cm\"/>"
        "</style:style>\n"
        "<style:style style:name=\"Report_20_Head\" style:display-name=\"Report Head\" "
        "style:family=\"paragraph\" style:parent-style-name=\"Text_20_body\">"
        "<style:paragraph-properties fo:margin-top=\"0.2cm\" "
        "fo:keep-with-next=\"always\"/>"
        "<style:text-properties fo:font-style=\"italic\" "
        "style:font-style-complex=\"italic\"/>"
        "</style:style>\n"
        "<style:style style:name=\"Narrative\" style:family=\"paragraph\" "
        "style:parent-style-name=\"Text_20_body\"/>\n"
        "<style:style style:name=\"Evidence\" style:family=\"paragraph\" "
        "style:parent-style-name=\"Text_20_body\"><style:text-properties "
        "fo:font-size=\"9pt\" style:font-size-complex=\"10pt\"/></style:style>\n"
        "<style:style style:name=\"Note\" style:family=\"paragraph\" "
        "style:parent-style-name=\"Text_20_body\"><style:text-properties "
        "fo:color=\"#555555\" fo:font-size=\"9pt\" style:font-size-complex=\"10pt\"/>"
        "</style:style>\n"
        "<style:style style:name=\"Table_20_Contents\" style:display-name=\"Table "
        "Contents\" style:family=\"paragraph\" style:parent-style-name=\"Standard\">"
        "<style:text-properties fo:font-size=\"9pt\" style:font-size-complex=\"10pt\"/>"
        "</style:style>\n"
        "<style:style style:name=\"Table_20_Heading\" style:display-name=\"Table "
        "Heading\" style:family=\"paragraph\" "
        "style:parent-style-name=\"Table_20_Contents\">"
        "<style:text-properties fo:font-weight=\"bold\" "
        "style:font-weight-complex=\"bold\"/>"
        "</style:style>\n"
        "<style:style style:name=\"Strong\" style:family=\"text\"><style:text-properties "
        "fo:font-weight=\"bold\" style:font-weight-complex=\"bold\"/></style:style>\n"
        "</office:styles>\n");
    fprintf(
        f,
        "<office:automatic-styles><style:page-layout style:name=\"A4\">"
        "<style:page-layout-properties fo:page-width=\"21cm\" fo:page-height=\"29.7cm\" "
        "style:print-orientation=\"portrait\" fo:margin-top=\"2cm\" "
        "fo:margin-bottom=\"2cm\" fo:margin-left=\"2cm\" fo:margin-right=\"2cm\" "
        "style:writing-mode=\"%s\"/></style:page-layout></office:automatic-styles>\n"
        "<office:master-styles><style:master-page style:name=\"Standard\" "
        "style:page-layout-name=\"A4\"/></office:master-styles>\n"
        "</office:document-styles>\n",
        wm);
    return fclose(f);
}

static int
s_meta(const report_odt_opts_t *o, char **xml, size_t *len)
{
    FILE *f = open_memstream(xml, len);
    if (!f)
        return -1;
    fprintf(f,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<office:document-meta%s>"
            "<office:meta><meta:generator>nmirf</meta:generator><dc:title>",
            s_ns);
    s_x(f, o->title ? o->title : stats_i18n(o->lang, "doc_title"));
    fprintf(f,
            "</dc:title><dc:language>%s</dc:language></office:meta>"
            "</office:document-meta>\n",
            o->lang);
    return fclose(f);
}

static const char s_manifest[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<manifest:manifest "
    "xmlns:manifest=\"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0\" "
    "manifest:version=\"1.3\">\n"
    " <manifest:file-entry manifest:full-path=\"/\" manifest:version=\"1.3\" "
    "manifest:media-type=\"application/vnd.oasis.opendocument.text\"/>\n"
    " <manifest:file-entry manifest:full-path=\"content.xml\" "
    "manifest:media-type=\"text/xml\"/>\n"
    " <manifest:file-entry manifest:full-path=\"styles.xml\" "
    "manifest:media-type=\"text/xml\"/>\n"
    " <manifest:file-entry manifest:full-path=\"meta.xml\" "
    "manifest:media-type=\"text/xml\"/>\n"
    "</manifest:manifest>\n";

static const char s_mimetype[] = "application/vnd.oasis.opendocument.text";

/* Adds one entry from memory; libzip frees buf when it is done (freep)
   or never touches it (static). Returns 0 or -1 with why. */
static int
s_add(zip_t *z, const char *name, const void *buf, size_t len, bool freep, bool store,
      char *why, size_t whylen)
{
    zip_source_t *src = zip_source_buffer(z, buf, len, freep ? 1 : 0);
    if (!src) {
        snprintf(why, whylen, "%s: %s", name, zip_strerror(z));
        if (freep)
            free((void *)buf);
        return -1;
    }
    zip_int64_t idx = zip_file_add(z, name, src, ZIP_FL_ENC_UTF_8);
    if (idx < 0) {
        snprintf(why, whylen, "%s: %s", name, zip_strerror(z));
        zip_source_free(src);
        return -1;
    }
    if (zip_set_file_compression(z, (zip_uint64_t)idx,
                                 store ? ZIP_CM_STORE : ZIP_CM_DEFLATE,
                                 store ? 0 : 1) < 0) {
        snprintf(why, whylen, "%s: %s", name, zip_strerror(z));
        return -1;
    }
    return 0;
}

int
report_odt_write(const char *path, const report_odt_opts_t *o, size_t *size, char *why,
                 size_t whylen)
{
    char *content = NULL, *styles = NULL, *meta = NULL;
    size_t clen = 0, slen = 0, mlen = 0;
    if (s_content(o, &content, &clen) || s_styles(o->lang, &styles, &slen) ||
        s_meta(o, &meta, &mlen)) {
        free(content);
        free(styles);
        free(meta);
        snprintf(why, whylen, "out of memory");
        return -1;
    }
    int err = 0;
    zip_t *z = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &err);
    if (!z) {
        zip_error_t ze;
        zip_error_init_with_code(&ze, err);
        snprintf(why, whylen, "%s", zip_error_strerror(&ze));
        zip_error_fini(&ze);
        free(content);
        free(styles);
        free(meta);
        return -1;
    }
    /* The order is ODF's: mimetype first and stored, so that `file` and
       other tools can read the type at a fixed offset. Once a buffer is
       given to libzip with freep, libzip frees it, even on failure. */
    int rc =
        s_add(z, "mimetype", s_mimetype, strlen(s_mimetype), false, true, why, whylen);
    if (!rc)
        rc = s_add(z, "META-INF/manifest.xml", s_manifest, strlen(s_manifest), false,
                   false, why, whylen);
    if (!rc) {
        rc = s_add(z, "content.xml", content, clen, true, false, why, whylen);
        content = NULL;
    }
    if (!rc) {
        rc = s_add(z, "styles.xml", styles, slen, true, false, why, whylen);
        styles = NULL;
    }
    if (!rc) {
        rc = s_add(z, "meta.xml", meta, mlen, true, false, why, whylen);
        meta = NULL;
    }
    free(content);
    free(styles);
    free(meta);
    if (rc) {
        zip_discard(z);
        return -1;
    }
    if (zip_close(z) < 0) {
        snprintf(why, whylen, "%s", zip_strerror(z));
        zip_discard(z);
        return -1;
    }
    struct stat st;
    *size = stat(path, &st) == 0 ? (size_t)st.st_size : 0;
    return 0;
}
