/*  stats_html - the stats reply laid out as one HTML page (see the
    header). Charts are drawn here as SVG shapes with computed coordinates:
    nothing runs when the page opens, so it prints and archives as is.

    Right to left (Arabic) mirrors the layout: the document is dir="rtl",
    and the charts, which SVG does not mirror by itself, are drawn with
    their x coordinates flipped (bars grow leftwards, time runs leftwards).
    SVG text inherits the document's direction, which swaps what
    text-anchor start and end mean: with the coordinates flipped too, the
    same anchors are right in both directions.
*/
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nmirf_mp.h"
#include "nmirf_schema.h"
#include "stats_html.h"

#define BAR_ROWS_MAX 25   /* rows of a bar chart; the rest are counted */
#define LIST_TEXT_MAX 280 /* characters of a recommendation text in a list */
#define LABEL_MAX 30      /* characters of a chart label */
#define TABLE_ROWS_MAX 15 /* rows of the small tables */
#define CHART_W 760       /* SVG width, px */

/* Status colours: distinct in hue and lightness, so they read in grey too;
   "done" is green and "not done" red, as people expect. */
static const char *const s_colours[] = {
    [NMIRF_STATUS_NOT_STARTED] = "#b0b7bf",
    [NMIRF_STATUS_IN_PROGRESS] = "#f2b134",
    [NMIRF_STATUS_PARTIALLY_IMPLEMENTED] = "#5b9bd5",
    [NMIRF_STATUS_IMPLEMENTED] = "#2e8b57",
    [NMIRF_STATUS_NOT_IMPLEMENTED] = "#c0392b",
};
_Static_assert(sizeof s_colours / sizeof s_colours[0] == NMIRF_STATUS_COUNT,
               "a colour for each status");

/* The order bars and areas stack in: the finished first. */
static const int s_stack[] = {
    NMIRF_STATUS_IMPLEMENTED, NMIRF_STATUS_PARTIALLY_IMPLEMENTED,
    NMIRF_STATUS_IN_PROGRESS, NMIRF_STATUS_NOT_IMPLEMENTED,
    NMIRF_STATUS_NOT_STARTED,
};
_Static_assert(sizeof s_stack / sizeof s_stack[0] == NMIRF_STATUS_COUNT,
               "every status stacked once");

/* One row of a chart or table: a label and counts per status. */
typedef struct {
    char *label;                         /* owned, shown (escaped when written) */
    char *id;                            /* owned, the key it came from */
    uint64_t counts[NMIRF_STATUS_COUNT]; /* per nmirf_statuses.names */
    uint64_t total;                      /* their sum */
} s_row_t;

/* The page being written. */
typedef struct {
    FILE *f;                        /* the memstream */
    const char *lang;               /* fr, ar, en */
    bool rtl;                       /* Arabic */
    const msgpack_object *entities; /* entity.list body, or NULL */
} s_page_t;

void
stats_html_escape(FILE *f, const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        switch (s[i]) {
        case '&':
            fputs("&amp;", f);
            break;
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '"':
            fputs("&quot;", f);
            break;
        case '\'':
            fputs("&#39;", f);
            break;
        case '\0':
            break; /* never from the wire (msgpack str checked), but never in HTML */
        default:
            fputc(s[i], f);
        }
    }
}

static void
s_esc(s_page_t *p, const char *s)
{
    if (s)
        stats_html_escape(p->f, s, strlen(s));
}

static const char *
s_t(s_page_t *p, const char *key)
{
    return stats_i18n(p->lang, key);
}

/* Writes a label, escaped. */
static void
s_label(s_page_t *p, const char *key)
{
    s_esc(p, s_t(p, key));
}

/* A copy of at most max characters of UTF-8 s[0..n), with "…" if cut. */
static char *
s_cut(const char *s, size_t n, size_t max)
{
    size_t i = 0, chars = 0;
    while (i < n && chars < max) {
        i++;
        while (i < n && ((unsigned char)s[i] & 0xC0) == 0x80)
            i++;
        chars++;
    }
    bool cut = i < n;
    char *out = malloc(i + 4);
    if (!out)
        return NULL;
    memcpy(out, s, i);
    if (cut)
        memcpy(out + i, "…", 3), i += 3;
    out[i] = '\0';
    return out;
}

/* The str under key of obj as a new string, or NULL. */
static char *
s_str(const msgpack_object *obj, const char *key)
{
    return nmirf_mp_strdup(nmirf_mp_get(obj, key));
}

static uint64_t
s_u(const msgpack_object *obj, const char *key)
{
    const msgpack_object *o = nmirf_mp_get(obj, key);
    return o && o->type == MSGPACK_OBJECT_POSITIVE_INTEGER ? o->via.u64 : 0;
}

/* The text of a {fr, ar, en} map in lang, else the first present of en,
   fr, ar; *which says which. Borrowed. */
static const msgpack_object *
s_lang_text(const msgpack_object *texts, const char *lang, const char **which)
{
    const char *order[] = {lang, "en", "fr", "ar"};
    for (size_t i = 0; i < 4; i++) {
        const msgpack_object *o = nmirf_mp_get(texts, order[i]);
        if (o && o->type == MSGPACK_OBJECT_STR && o->via.str.size) {
            *which = order[i];
            return o;
        }
    }
    return NULL;
}

/* The label of an entity id: its name in the page's language, else its
   id; "-" is the unassigned ones. Caller frees. */
static char *
s_entity_label(s_page_t *p, const char *id)
{
    if (strcmp(id, "-") == 0)
        return strdup(s_t(p, "unassigned"));
    const msgpack_object *list = nmirf_mp_get(p->entities, "entities");
    if (list && list->type == MSGPACK_OBJECT_ARRAY)
        for (uint32_t i = 0; i < list->via.array.size; i++) {
            const msgpack_object *e = &list->via.array.ptr[i];
            if (!nmirf_mp_str_is(nmirf_mp_get(e, "id"), id))
                continue;
            const char *which;
            const msgpack_object *name =
                s_lang_text(nmirf_mp_get(e, "names"), p->lang, &which);
            if (!name)
                break;
            char *out = NULL;
            size_t n = 0;
            FILE *f = open_memstream(&out, &n);
            if (!f)
                return NULL;
            fprintf(f, "%.*s (%s)", (int)name->via.str.size, name->via.str.ptr, id);
            fclose(f);
            return out;
        }
    return strdup(id);
}

static void
s_rows_free(s_row_t *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(rows[i].label);
        free(rows[i].id);
    }
    free(rows);
}

static int
s_row_cmp(const void *a, const void *b)
{
    const s_row_t *x = a, *y = b;
    if (x->total != y->total)
        return x->total > y->total ? -1 : 1;
    return strcmp(x->id, y->id);
}

/* Rows of a {KEY: {STATUS: n}} group, largest first; entity ids named
   when entity_names. "-" reads "not given" (or "unassigned"). */
static s_row_t *
s_rows(s_page_t *p, const msgpack_object *group, bool entity_names, size_t *count)
{
    *count = 0;
    if (!group || group->type != MSGPACK_OBJECT_MAP || group->via.map.size == 0)
        return NULL;
    s_row_t *rows = calloc(group->via.map.size, sizeof *rows);
    if (!rows)
        return NULL;
    for (uint32_t i = 0; i < group->via.map.size; i++) {
        const msgpack_object_kv *kv = &group->via.map.ptr[i];
        s_row_t *r = &rows[*count];
        r->id = nmirf_mp_strdup(&kv->key);
        if (!r->id)
            continue;
        if (entity_names)
            r->label = s_entity_label(p, r->id);
        else
            r->label = strdup(strcmp(r->id, "-") == 0 ? s_t(p, "none") : r->id);
        for (int s = 0; s < NMIRF_STATUS_COUNT; s++) {
            r->counts[s] = s_u(&kv->val, nmirf_statuses.names[s]);
            r->total += r->counts[s];
        }
        (*count)++;
    }
    if (*count)
        qsort(rows, *count, sizeof *rows, s_row_cmp);
    return rows;
}

/* x of a position measured from the chart's reading start. */
static double
s_x(const s_page_t *p, double x)
{
    return p->rtl ? CHART_W - x : x;
}

/* A horizontal stacked bar per row, the total after it. */
static void
s_bar_chart(s_page_t *p, const s_row_t *rows, size_t n, const char *aria)
{
    const double label_w = 230, bar_w = CHART_W - label_w - 70, row_h = 28, bar_h = 18;
    size_t shown = n < BAR_ROWS_MAX ? n : BAR_ROWS_MAX;
    uint64_t max = 1;
    for (size_t i = 0; i < shown; i++)
        if (rows[i].total > max)
            max = rows[i].total;
    double h = (double)shown * row_h + 8;
    fprintf(p->f,
            "<svg class=\"chart bars\" role=\"img\" viewBox=\"0 0 %d %.0f\" width=\"%d\" "
            "height=\"%.0f\" xmlns=\"http://www.w3.org/2000/svg\" aria-label=\"",
            CHART_W, h, CHART_W, h);
    s_esc(p, aria);
    fprintf(p->f, "\">\n");
    for (size_t i = 0; i < shown; i++) {
        const s_row_t *r = &rows[i];
        double y = 4 + (double)i * row_h;
        char *label = s_cut(r->label, strlen(r->label), LABEL_MAX);
        /* The label ends next to the bar, on the side reading starts. */
        fprintf(p->f, "<text class=\"label\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\">",
                s_x(p, label_w - 8), y + bar_h - 4, "end");
        s_esc(p, label ? label : "");
        fprintf(p->f, "<title>");
        s_esc(p, r->label);
        fprintf(p->f, "</title></text>\n");
        free(label);
        double x = label_w;
        for (int k = 0; k < NMIRF_STATUS_COUNT; k++) {
            int s = s_stack[k];
            if (!r->counts[s])
                continue;
            double w = bar_w * (double)r->counts[s] / (double)max;
            fprintf(p->f,
                    "<rect class=\"bar s-%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                    "height=\"%.0f\" fill=\"%s\"><title>",
                    nmirf_statuses.names[s], p->rtl ? CHART_W - x - w : x, y, w, bar_h,
                    s_colours[s]);
            s_esc(p, r->label);
            fprintf(p->f, " — ");
            s_label(p, nmirf_statuses.names[s]);
            fprintf(p->f, ": %llu</title></rect>\n", (unsigned long long)r->counts[s]);
            x += w;
        }
        fprintf(p->f,
                "<text class=\"total\" x=\"%.1f\" y=\"%.1f\" "
                "text-anchor=\"%s\">%llu</text>\n",
                s_x(p, x + 6), y + bar_h - 4, "start", (unsigned long long)r->total);
    }
    fprintf(p->f, "</svg>\n");
    if (n > shown) {
        fprintf(p->f, "<p class=\"note\">");
        fprintf(p->f, s_t(p, "more_rows"), n - shown);
        fprintf(p->f, "</p>\n");
    }
}

/* A stacked area per status over the months (at_end counts). */
static void
s_area_chart(s_page_t *p, const msgpack_object *months)
{
    size_t n =
        months && months->type == MSGPACK_OBJECT_ARRAY ? months->via.array.size : 0;
    if (n == 0) {
        fprintf(p->f, "<p class=\"note\">");
        s_label(p, "no_months");
        fprintf(p->f, "</p>\n");
        return;
    }
    const double left = 56, right = 16, top = 12, bottom = 44, h = 300;
    const double plot_w = CHART_W - left - right, plot_h = h - top - bottom;
    uint64_t max = 1;
    for (size_t i = 0; i < n; i++) {
        uint64_t sum = 0;
        for (int s = 0; s < NMIRF_STATUS_COUNT; s++)
            sum += s_u(nmirf_mp_get(&months->via.array.ptr[i], "at_end"),
                       nmirf_statuses.names[s]);
        if (sum > max)
            max = sum;
    }
    /* One month is a band across the chart: its two ends are the month. */
    size_t pts = n == 1 ? 2 : n;
    double step = plot_w / (double)(pts - 1);
    fprintf(p->f,
            "<svg class=\"chart area\" role=\"img\" viewBox=\"0 0 %d %.0f\" width=\"%d\" "
            "height=\"%.0f\" xmlns=\"http://www.w3.org/2000/svg\" aria-label=\"",
            CHART_W, h, CHART_W, h);
    s_label(p, "by_month_note");
    fprintf(p->f, "\">\n");
    /* Grid lines and counts on the axis, at quarters. */
    for (int g = 0; g <= 4; g++) {
        double y = top + plot_h - plot_h * g / 4.0;
        fprintf(
            p->f,
            "<line class=\"grid\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>\n"
            "<text class=\"axis\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\">%llu</text>\n",
            s_x(p, left), s_x(p, left + plot_w), y, y, s_x(p, left - 6), y + 4, "end",
            (unsigned long long)(max * (unsigned)g / 4));
    }
    double *base = calloc(pts, sizeof *base), *top_y = calloc(pts, sizeof *top_y);
    if (!base || !top_y) {
        free(base);
        free(top_y);
        fprintf(p->f, "</svg>\n");
        return;
    }
    for (int k = 0; k < NMIRF_STATUS_COUNT; k++) {
        int s = s_stack[k];
        for (size_t i = 0; i < pts; i++) {
            const msgpack_object *m = &months->via.array.ptr[n == 1 ? 0 : i];
            top_y[i] =
                base[i] + (double)s_u(nmirf_mp_get(m, "at_end"), nmirf_statuses.names[s]);
        }
        fprintf(p->f, "<path class=\"layer s-%s\" fill=\"%s\" d=\"",
                nmirf_statuses.names[s], s_colours[s]);
        for (size_t i = 0; i < pts; i++)
            fprintf(p->f, "%s%.1f,%.1f ", i ? "L" : "M", s_x(p, left + step * (double)i),
                    top + plot_h - plot_h * top_y[i] / (double)max);
        for (size_t i = pts; i-- > 0;)
            fprintf(p->f, "L%.1f,%.1f ", s_x(p, left + step * (double)i),
                    top + plot_h - plot_h * base[i] / (double)max);
        fprintf(p->f, "Z\"><title>");
        s_label(p, nmirf_statuses.names[s]);
        fprintf(p->f, "</title></path>\n");
        memcpy(base, top_y, pts * sizeof *base);
    }
    free(base);
    free(top_y);
    /* Month labels: at most about 12, always the first and the last. */
    size_t every = n / 12 + 1;
    for (size_t i = 0; i < n; i++) {
        if (i % every && i + 1 != n)
            continue;
        char *label = s_str(&months->via.array.ptr[i], "month");
        double x = n == 1 ? left + plot_w / 2 : left + step * (double)i;
        /* The first and last labels stay inside the chart. */
        const char *anchor = n == 1       ? "middle"
                             : i == 0     ? "start"
                             : i + 1 == n ? "end"
                                          : "middle";
        fprintf(p->f, "<text class=\"axis\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\">",
                s_x(p, x), top + plot_h + 18, anchor);
        s_esc(p, label);
        fprintf(p->f, "</text>\n");
        free(label);
    }
    fprintf(p->f, "</svg>\n");
}

/* The colour key: an HTML list, so it flows with the text direction. */
static void
s_legend(s_page_t *p)
{
    fprintf(p->f, "<ul class=\"legend\">");
    for (int k = 0; k < NMIRF_STATUS_COUNT; k++) {
        int s = s_stack[k];
        fprintf(p->f, "<li><span class=\"swatch\" style=\"background:%s\"></span>",
                s_colours[s]);
        s_label(p, nmirf_statuses.names[s]);
        fprintf(p->f, "</li>");
    }
    fprintf(p->f, "</ul>\n");
}

/* A small table: label, then each status, then the total. */
static void
s_group_table(s_page_t *p, const char *heading, const msgpack_object *group)
{
    size_t n;
    s_row_t *rows = s_rows(p, group, false, &n);
    if (!n) {
        s_rows_free(rows, n);
        return;
    }
    fprintf(p->f, "<div class=\"small\"><h3>");
    s_label(p, heading);
    fprintf(p->f, "</h3>\n<table class=\"counts\"><thead><tr><th></th>");
    for (int k = 0; k < NMIRF_STATUS_COUNT; k++) {
        fprintf(p->f, "<th><span class=\"swatch\" style=\"background:%s\" title=\"",
                s_colours[s_stack[k]]);
        s_label(p, nmirf_statuses.names[s_stack[k]]);
        fprintf(p->f, "\"></span></th>");
    }
    fprintf(p->f, "<th>");
    s_label(p, "col_total");
    fprintf(p->f, "</th></tr></thead><tbody>\n");
    size_t shown = n < TABLE_ROWS_MAX ? n : TABLE_ROWS_MAX;
    for (size_t i = 0; i < shown; i++) {
        fprintf(p->f, "<tr><th scope=\"row\"><bdi>");
        s_esc(p, rows[i].label);
        fprintf(p->f, "</bdi></th>");
        for (int k = 0; k < NMIRF_STATUS_COUNT; k++)
            fprintf(p->f, "<td>%llu</td>",
                    (unsigned long long)rows[i].counts[s_stack[k]]);
        fprintf(p->f, "<td class=\"total\">%llu</td></tr>\n",
                (unsigned long long)rows[i].total);
    }
    fprintf(p->f, "</tbody></table>\n");
    if (n > shown) {
        fprintf(p->f, "<p class=\"note\">");
        fprintf(p->f, s_t(p, "more_rows"), n - shown);
        fprintf(p->f, "</p>\n");
    }
    fprintf(p->f, "</div>\n");
    s_rows_free(rows, n);
}

/* The overdue list: id, lead, deadline, days late, status, text. */
static void
s_overdue(s_page_t *p, const msgpack_object *stats)
{
    const msgpack_object *items = nmirf_mp_get(stats, "overdue");
    size_t n = items && items->type == MSGPACK_OBJECT_ARRAY ? items->via.array.size : 0;
    uint64_t total = s_u(stats, "overdue_total");
    if (!n) {
        fprintf(p->f, "<p class=\"note\">");
        s_label(p, "no_overdue");
        fprintf(p->f, "</p>\n");
        return;
    }
    static const char *const cols[] = {"col_rec",       "col_lead",   "col_deadline",
                                       "col_days_late", "col_status", "col_text"};
    fprintf(p->f, "<table class=\"list\"><thead><tr>");
    for (size_t c = 0; c < 6; c++) {
        fprintf(p->f, "<th>");
        s_label(p, cols[c]);
        fprintf(p->f, "</th>");
    }
    fprintf(p->f, "</tr></thead><tbody>\n");
    for (size_t i = 0; i < n; i++) {
        const msgpack_object *it = &items->via.array.ptr[i];
        char *rec = s_str(it, "rec"), *lead = s_str(it, "lead"),
             *deadline = s_str(it, "deadline"), *status = s_str(it, "status"),
             *symbol = s_str(it, "symbol");
        char *lead_label = lead ? s_entity_label(p, lead) : NULL;
        int si = 0;
        for (int s = 0; s < NMIRF_STATUS_COUNT; s++)
            if (status && strcmp(status, nmirf_statuses.names[s]) == 0)
                si = s;
        fprintf(p->f, "<tr><td class=\"id\"><bdi>");
        s_esc(p, rec);
        fprintf(p->f, "</bdi>");
        if (symbol) {
            fprintf(p->f, "<br><small><bdi>");
            s_esc(p, symbol);
            fprintf(p->f, "</bdi></small>");
        }
        fprintf(p->f, "</td><td><bdi>");
        s_esc(p, lead_label);
        fprintf(p->f, "</bdi></td><td class=\"date\"><bdi>");
        s_esc(p, deadline);
        fprintf(p->f, "</bdi></td><td class=\"num\">%llu</td>",
                (unsigned long long)s_u(it, "days"));
        fprintf(p->f, "<td><span class=\"swatch\" style=\"background:%s\"></span>",
                s_colours[si]);
        s_label(p, nmirf_statuses.names[si]);
        fprintf(p->f, "</td>");
        const char *which = p->lang;
        const msgpack_object *text =
            s_lang_text(nmirf_mp_get(it, "text"), p->lang, &which);
        char *cut =
            text ? s_cut(text->via.str.ptr, text->via.str.size, LIST_TEXT_MAX) : NULL;
        fprintf(p->f, "<td class=\"text\" lang=\"%s\" dir=\"auto\">", which);
        s_esc(p, cut);
        fprintf(p->f, "</td></tr>\n");
        free(cut);
        free(rec);
        free(lead);
        free(lead_label);
        free(deadline);
        free(status);
        free(symbol);
    }
    fprintf(p->f, "</tbody></table>\n");
    if (n < total) {
        fprintf(p->f, "<p class=\"note\">");
        fprintf(p->f, s_t(p, "shown"), n, (unsigned long long)total);
        fprintf(p->f, "</p>\n");
    }
}

/* The summary figures: total, implemented share, overdue, due soon. */
static void
s_figures(s_page_t *p, const msgpack_object *stats)
{
    uint64_t total = s_u(stats, "total");
    const msgpack_object *by_status = nmirf_mp_get(stats, "by_status");
    uint64_t done = s_u(by_status, "implemented");
    fprintf(p->f, "<div class=\"figures\">\n<div class=\"figure\"><b>%llu</b>",
            (unsigned long long)total);
    s_label(p, "recs");
    fprintf(p->f, "</div>\n<div class=\"figure done\"><b>%.0f%%</b>",
            total ? 100.0 * (double)done / (double)total : 0.0);
    s_label(p, "implemented_share");
    fprintf(p->f, " (%llu)</div>\n<div class=\"figure late\"><b>%llu</b>",
            (unsigned long long)done, (unsigned long long)s_u(stats, "overdue_total"));
    s_label(p, "overdue");
    fprintf(p->f, "</div>\n<div class=\"figure soon\"><b>%llu</b>",
            (unsigned long long)s_u(stats, "due_soon_total"));
    fprintf(p->f, s_t(p, "due_soon"), (unsigned)s_u(stats, "due_soon_days"));
    fprintf(p->f, "</div>\n</div>\n");

    /* Shares by status: a table people can read aloud or copy. */
    fprintf(p->f, "<table class=\"shares\"><thead><tr><th>");
    s_label(p, "col_status");
    fprintf(p->f, "</th><th>");
    s_label(p, "col_count");
    fprintf(p->f, "</th><th>");
    s_label(p, "col_share");
    fprintf(p->f, "</th></tr></thead><tbody>\n");
    for (int k = 0; k < NMIRF_STATUS_COUNT; k++) {
        int s = s_stack[k];
        uint64_t c = s_u(by_status, nmirf_statuses.names[s]);
        fprintf(p->f, "<tr><td><span class=\"swatch\" style=\"background:%s\"></span>",
                s_colours[s]);
        s_label(p, nmirf_statuses.names[s]);
        fprintf(p->f,
                "</td><td class=\"num\">%llu</td><td class=\"num\">%.1f%%</td></tr>\n",
                (unsigned long long)c, total ? 100.0 * (double)c / (double)total : 0.0);
    }
    fprintf(p->f, "</tbody></table>\n");
}

static const char s_css[] =
    "@page{size:A4;margin:14mm}"
    "*{box-sizing:border-box}"
    "body{font-family:'DejaVu Sans','Noto Sans','Noto Naskh Arabic',Arial,sans-serif;"
    "color:#1d2733;margin:24px auto;max-width:820px;padding:0 16px;line-height:1.45;"
    "font-size:14px}"
    "h1{font-size:22px;margin:0 0 4px}"
    "h2{font-size:17px;margin:28px 0 8px;border-bottom:2px solid #1d2733;"
    "padding-bottom:3px}"
    "h3{font-size:14px;margin:0 0 6px}"
    ".sub{color:#4a5663;margin:0 0 16px}"
    ".figures{display:flex;gap:10px;flex-wrap:wrap;margin:12px 0}"
    ".figure{flex:1 1 150px;border:1px solid #c9d0d8;border-radius:6px;padding:10px 12px;"
    "background:#f6f8fa}"
    ".figure b{display:block;font-size:26px}"
    ".figure.done b{color:#2e8b57}.figure.late b{color:#c0392b}"
    ".figure.soon b{color:#b7791f}"
    "table{border-collapse:collapse;width:100%;margin:8px 0}"
    "th,td{border-bottom:1px solid #dde3e9;padding:4px 6px;text-align:start;"
    "vertical-align:top}"
    "thead th{background:#eef1f4;font-weight:bold}"
    "td.num,td.total,table.counts td{text-align:end;font-variant-numeric:tabular-nums}"
    "table.shares{width:auto;min-width:50%}"
    "td.text{font-size:12.5px;max-width:330px}"
    "td.id,td.date{white-space:nowrap}"
    ".swatch{display:inline-block;width:11px;height:11px;border-radius:2px;"
    "margin-inline-end:6px;vertical-align:-1px;border:1px solid rgba(0,0,0,.25)}"
    ".legend{list-style:none;padding:0;margin:6px 0;display:flex;flex-wrap:wrap;"
    "gap:4px 16px}"
    "svg.chart{display:block;max-width:100%;height:auto;margin:6px 0}"
    "svg text{font-family:inherit;font-size:12px;fill:#1d2733}"
    "svg text.total{font-weight:bold}"
    "svg text.axis{fill:#4a5663;font-size:11px}"
    "svg line.grid{stroke:#dde3e9;stroke-width:1}"
    "svg path.layer{stroke:#fff;stroke-width:.5}"
    ".note{color:#4a5663;font-size:12.5px}"
    ".groups{display:grid;grid-template-columns:1fr 1fr;gap:16px}"
    ".small table{font-size:12.5px}"
    "footer{margin-top:28px;color:#4a5663;font-size:12px;border-top:1px solid #c9d0d8;"
    "padding-top:6px}"
    "@media print{body{margin:0;max-width:none;font-size:11.5px}"
    "section{break-inside:avoid-page}tr{break-inside:avoid}"
    ".figure{background:none}thead th{background:none;border-bottom:2px solid #1d2733}"
    "*{-webkit-print-color-adjust:exact;print-color-adjust:exact}}";

int
stats_html_render(const msgpack_object *stats, const msgpack_object *entities,
                  const stats_html_opts_t *opts, char **html, size_t *len)
{
    const char *lang = opts->lang;
    const char *title = opts->title;
    *html = NULL;
    *len = 0;
    s_page_t page = {.lang = lang, .rtl = strcmp(lang, "ar") == 0, .entities = entities};
    s_page_t *p = &page;
    if (!(p->f = open_memstream(html, len)))
        return -1;
    char *today = s_str(stats, "today");
    if (!title)
        title = s_t(p, "title");

    fprintf(
        p->f,
        "<!DOCTYPE html>\n<html lang=\"%s\" dir=\"%s\">\n<head>\n<meta "
        "charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width\">\n"
        "<meta name=\"generator\" content=\"nmirf\">\n<title>",
        lang, p->rtl ? "rtl" : "ltr");
    s_esc(p, title);
    fprintf(p->f, "</title>\n<style>%s</style>\n</head>\n<body>\n<header>\n<h1>", s_css);
    s_esc(p, title);
    fprintf(p->f, "</h1>\n<p class=\"sub\">");
    s_label(p, "as_of");
    fprintf(p->f, " <bdi>");
    s_esc(p, today);
    fprintf(p->f, "</bdi></p>\n</header>\n");

    fprintf(p->f, "<section id=\"summary\">\n<h2>");
    s_label(p, "status_all");
    fprintf(p->f, "</h2>\n");
    s_figures(p, stats);
    fprintf(p->f, "</section>\n");

    static const struct {
        const char *id, *heading, *key;
        bool entity_names;
    } charts[] = {{"by-entity", "by_entity", "by_entity", true},
                  {"by-mechanism", "by_mechanism", "by_mechanism", false}};
    for (size_t c = 0; c < 2; c++) {
        fprintf(p->f, "<section id=\"%s\">\n<h2>", charts[c].id);
        s_label(p, charts[c].heading);
        fprintf(p->f, "</h2>\n");
        s_legend(p);
        size_t n;
        s_row_t *rows =
            s_rows(p, nmirf_mp_get(stats, charts[c].key), charts[c].entity_names, &n);
        s_bar_chart(p, rows, n, s_t(p, charts[c].heading));
        s_rows_free(rows, n);
        fprintf(p->f, "</section>\n");
    }

    fprintf(p->f, "<section id=\"by-month\">\n<h2>");
    s_label(p, "by_month");
    fprintf(p->f, "</h2>\n<p class=\"note\">");
    s_label(p, "by_month_note");
    fprintf(p->f, "</p>\n");
    s_legend(p);
    s_area_chart(p, nmirf_mp_get(stats, "by_month"));
    fprintf(p->f, "</section>\n");

    fprintf(p->f, "<section id=\"overdue\">\n<h2>");
    s_label(p, "overdue_list");
    fprintf(p->f, "</h2>\n");
    s_overdue(p, stats);
    fprintf(p->f, "</section>\n");

    fprintf(p->f, "<section id=\"groups\" class=\"groups\">\n");
    s_group_table(p, "by_treaty", nmirf_mp_get(stats, "by_treaty"));
    s_group_table(p, "by_cycle", nmirf_mp_get(stats, "by_cycle"));
    s_group_table(p, "by_theme", nmirf_mp_get(stats, "by_theme"));
    s_group_table(p, "by_sdg", nmirf_mp_get(stats, "by_sdg"));
    fprintf(p->f, "</section>\n");
    if (opts->annex)
        opts->annex(p->f, opts->annex_arg);
    fprintf(p->f, "<footer>");
    s_label(p, "generated");
    fprintf(p->f, " <bdi>");
    s_esc(p, today);
    fprintf(p->f, "</bdi>.</footer>\n</body>\n</html>\n");
    free(today);
    bool failed = ferror(p->f) != 0;
    if (fclose(p->f) != 0 || failed) {
        free(*html);
        *html = NULL;
        *len = 0;
        return -1;
    }
    return 0;
}
