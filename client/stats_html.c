/*  stats_html - the stats reply laid out as one HTML page (see the
    header). Charts are drawn here as SVG shapes with computed coordinates:
    nothing runs when the page opens, so it prints and archives as is.

    Every value a person reads goes through nmirf_vocab in the page's
    language: statuses, mechanisms (full names), themes and SDG goals by
    name, counts, shares and dates as that language writes them.

    Nothing is cut unless opts->rows_max asks: a chart or table of more
    rows than that shows the first ones and says how many it left out;
    names and texts are written whole (a bar chart's names on their own
    line above each bar, wrapped, so a ministry's long name stays
    readable).

    Status is told apart by more than colour: each status has an SVG
    pattern (hatching, dots or plain) defined once at the top of the page
    and used by the bars, the history and every swatch, so a grey print
    still tells them apart; and the numbers are printed, in a table under
    each bar chart and in the shares table.

    Right to left (Arabic) mirrors the layout: the document is dir="rtl",
    and the charts, which SVG does not mirror by itself, are drawn with
    their x coordinates flipped (bars grow leftwards, time runs leftwards).
    SVG text inherits the document's direction, which swaps what
    text-anchor start and end mean: with the coordinates flipped too, the
    same anchors are right in both directions.
*/
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nmirf_mp.h"
#include "nmirf_schema.h"
#include "nmirf_vocab.h"
#include "stats_html.h"

#define CHART_W 760        /* SVG width, px */
#define WRAP_CHARS 90      /* characters of a chart name's line (12px text in 760px) */
#define LINE_H 15          /* px between the lines of a chart name */
#define MONTH_BARS_MAX 3   /* a history of at most this many months is drawn as bars */
#define VOCAB_NAME_MAX 512 /* bytes of a name from a vocabulary */

/* Status colours: distinct in hue and lightness; "done" is green and "not
   done" red, as people expect. The patterns (s_defs) add what grey print
   and colour-blind readers need. */
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

/* What the keys of a group are, for their names. */
typedef enum {
    S_KEY_PLAIN,     /* shown as they are (a UPR cycle) */
    S_KEY_ENTITY,    /* entity ids: the entity's name */
    S_KEY_MECHANISM, /* mechanisms: the full name */
    S_KEY_THEME,     /* UHRI themes */
    S_KEY_SDG,       /* SDG targets: the goal's name */
    S_KEY_POSITION,  /* the State's positions */
} s_key_t;

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
    const char *order[3];           /* languages a text is tried in (nmirf_lang_order) */
    size_t norder;                  /* how many */
    size_t rows_max;                /* rows of a chart or table; 0: every row */
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

/* Writes the name of status s (an nmirf_statuses index), escaped. */
static void
s_status_name(s_page_t *p, int s)
{
    char name[VOCAB_NAME_MAX];
    const char *key = nmirf_statuses.names[s];
    s_esc(p, nmirf_vocab_label(NMIRF_VOCAB_STATUS, key, strlen(key), p->lang, name,
                               sizeof name));
}

/* Writes a count as the page's language groups digits. */
static void
s_count(s_page_t *p, uint64_t n)
{
    char out[64];
    fputs(nmirf_fmt_count(n, p->lang, out, sizeof out), p->f);
}

/* Writes the share n / total as a percentage ("6,1 %"); 0 if total is 0. */
static void
s_percent(s_page_t *p, uint64_t n, uint64_t total)
{
    char out[64];
    fputs(nmirf_fmt_percent(total ? (double)n / (double)total : 0.0, p->lang, out,
                            sizeof out),
          p->f);
}

/* Writes a date (YYYY-MM-DD) or month (YYYY-MM) as the language writes
   it, escaped; anything else as it is. */
static void
s_date(s_page_t *p, const char *iso)
{
    char out[128];
    if (iso)
        s_esc(p, nmirf_fmt_date(iso, strlen(iso), p->lang, out, sizeof out));
}

/* The swatch of status s: a small square filled with its pattern. */
static void
s_swatch(s_page_t *p, int s)
{
    fprintf(p->f,
            "<svg class=\"swatch\" width=\"14\" height=\"14\" viewBox=\"0 0 14 14\" "
            "aria-hidden=\"true\"><rect width=\"14\" height=\"14\" "
            "fill=\"url(#nmirf-p-%s)\" stroke=\"#1d2733\" stroke-width=\"1\"/></svg>",
            nmirf_statuses.names[s]);
}

/* The patterns of the statuses, once for the page: every chart and swatch
   fills with url(#nmirf-p-STATUS). Implemented is plain (the darkest),
   the others hatched one way, the other way, crossed or dotted, so that
   no two look alike without their colour. The SVG is not display:none:
   a pattern in an undisplayed SVG is not drawn by every browser. */
static void
s_defs(s_page_t *p)
{
    fprintf(p->f, "<svg class=\"defs\" width=\"0\" height=\"0\" aria-hidden=\"true\" "
                  "xmlns=\"http://www.w3.org/2000/svg\"><defs>\n");
    for (int s = 0; s < NMIRF_STATUS_COUNT; s++) {
        const char *ink = "#1d2733", *marks = "";
        switch (s) {
        case NMIRF_STATUS_IN_PROGRESS: /* hatched one way */
            marks =
                "<path d=\"M0,8 L8,0 M-2,2 L2,-2 M6,10 L10,6\" stroke-width=\"1.6\"/>";
            break;
        case NMIRF_STATUS_PARTIALLY_IMPLEMENTED: /* the other way */
            ink = "#ffffff";
            marks = "<path d=\"M0,0 L8,8 M-2,6 L2,10 M6,-2 L10,2\" stroke-width=\"2\"/>";
            break;
        case NMIRF_STATUS_NOT_IMPLEMENTED: /* crossed */
            ink = "#ffffff";
            marks = "<path d=\"M0,4 L8,4 M4,0 L4,8\" stroke-width=\"1.4\"/>";
            break;
        case NMIRF_STATUS_NOT_STARTED: /* dotted */
            marks = "<circle cx=\"4\" cy=\"4\" r=\"1.2\" stroke=\"none\"/>";
            break;
        default: /* implemented: plain */
            break;
        }
        fprintf(
            p->f,
            "<pattern id=\"nmirf-p-%s\" class=\"status-pattern\" width=\"8\" "
            "height=\"8\" patternUnits=\"userSpaceOnUse\"><rect width=\"8\" "
            "height=\"8\" fill=\"%s\"/><g stroke=\"%s\" fill=\"%s\">%s</g></pattern>\n",
            nmirf_statuses.names[s], s_colours[s], ink, ink, marks);
    }
    fprintf(p->f, "</defs></svg>\n");
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

/* The text of a {fr, ar, en} map in the page's order of languages (its
   own, then opts->fallback), else in any language it has; *which says
   which. Borrowed. */
static const msgpack_object *
s_lang_text(const s_page_t *p, const msgpack_object *texts, const char **which)
{
    static const char *const any[] = {"fr", "en", "ar"};
    for (size_t i = 0; i < p->norder + 3; i++) {
        const char *l = i < p->norder ? p->order[i] : any[i - p->norder];
        const msgpack_object *o = nmirf_mp_get(texts, l);
        if (o && o->type == MSGPACK_OBJECT_STR && o->via.str.size) {
            *which = l;
            return o;
        }
    }
    return NULL;
}

/* A new string: fmt's output. NULL when out of memory. */
static char *s_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *
s_printf(const char *fmt, ...)
{
    char *out = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&out, &n);
    if (!f)
        return NULL;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(f, fmt, ap);
    va_end(ap);
    if (fclose(f) != 0) {
        free(out);
        return NULL;
    }
    return out;
}

/* The label of an entity id: its name in the page's order of languages,
   with its id, else its id; "-" is the unassigned ones. Caller frees. */
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
            const msgpack_object *name = s_lang_text(p, nmirf_mp_get(e, "names"), &which);
            if (!name)
                break;
            return s_printf("%.*s (%s)", (int)name->via.str.size, name->via.str.ptr, id);
        }
    return strdup(id);
}

/* The label of a group's key: "-" reads "not given" (or "unassigned"),
   entities by name, vocabulary keys by their name in the page's language
   (a mechanism with its abbreviation). Caller frees. */
static char *
s_key_label(s_page_t *p, const char *id, s_key_t kind)
{
    char name[VOCAB_NAME_MAX];
    if (kind == S_KEY_ENTITY)
        return s_entity_label(p, id);
    if (strcmp(id, "-") == 0)
        return strdup(s_t(p, "none"));
    switch (kind) {
    case S_KEY_MECHANISM: {
        const char *full =
            nmirf_vocab_find(NMIRF_VOCAB_MECHANISM, id, strlen(id), p->lang);
        if (!full) /* this language's name missing: the fallback's */
            full = nmirf_vocab_label(NMIRF_VOCAB_MECHANISM, id, strlen(id), p->lang, name,
                                     sizeof name);
        /* With its abbreviation, unless the name ends with its own
           ("Examen périodique universel (EPU)"). */
        size_t fl = strlen(full);
        if (strcmp(full, id) == 0 || (fl && full[fl - 1] == ')'))
            return strdup(full);
        return s_printf("%s (%s)", full, id);
    }
    case S_KEY_THEME:
        return strdup(nmirf_vocab_label(NMIRF_VOCAB_THEME, id, strlen(id), p->lang, name,
                                        sizeof name));
    case S_KEY_SDG:
        return strdup(nmirf_vocab_label(NMIRF_VOCAB_SDG, id, strlen(id), p->lang, name,
                                        sizeof name));
    case S_KEY_POSITION:
        return strdup(nmirf_vocab_label(NMIRF_VOCAB_POSITION, id, strlen(id), p->lang,
                                        name, sizeof name));
    default:
        return strdup(id);
    }
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

/* Rows of a {KEY: {STATUS: n}} group, largest first, named by kind. */
static s_row_t *
s_rows(s_page_t *p, const msgpack_object *group, s_key_t kind, size_t *count)
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
        r->label = s_key_label(p, r->id, kind);
        if (!r->label) {
            free(r->id);
            r->id = NULL;
            continue;
        }
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

/* How many of n rows to show: every one unless rows_max asks. */
static size_t
s_shown(const s_page_t *p, size_t n)
{
    return p->rows_max && n > p->rows_max ? p->rows_max : n;
}

/* Says, visibly, how many rows a limit left out (nothing if none). */
static void
s_more(s_page_t *p, size_t n, size_t shown)
{
    if (n <= shown)
        return;
    char left[64], max[64];
    nmirf_fmt_count(n - shown, p->lang, left, sizeof left);
    nmirf_fmt_count(shown, p->lang, max, sizeof max);
    fprintf(p->f, "<p class=\"note more\">");
    char *line = s_printf(s_t(p, "more_rows"), left, max);
    s_esc(p, line);
    free(line);
    fprintf(p->f, "</p>\n");
}

/* x of a position measured from the chart's reading start. */
static double
s_x(const s_page_t *p, double x)
{
    return p->rtl ? CHART_W - x : x;
}

/* Writes s (UTF-8) as lines of at most WRAP_CHARS characters, broken at
   spaces (a word longer than a line is broken where it must), as tspans
   from (x, y) down LINE_H apart; with f NULL only counts. Returns the
   lines. Nothing is left out. */
static size_t
s_wrap(s_page_t *p, FILE *f, const char *s, double x, double y)
{
    size_t n = strlen(s), start = 0, lines = 0;
    while (start < n || lines == 0) {
        size_t i = start, chars = 0, brk = 0;
        while (i < n && chars < WRAP_CHARS) {
            if (s[i] == ' ')
                brk = i;
            i++;
            while (i < n && ((unsigned char)s[i] & 0xC0) == 0x80)
                i++;
            chars++;
        }
        size_t end = i, next = i;
        if (i < n && s[i] != ' ' && brk > start)
            end = brk, next = brk + 1; /* break at the last space */
        else if (i < n && s[i] == ' ')
            next = i + 1;
        if (f) {
            fprintf(f, "<tspan x=\"%.1f\" y=\"%.1f\">", x, y + (double)lines * LINE_H);
            stats_html_escape(f, s + start, end - start);
            fprintf(f, "</tspan>");
        }
        lines++;
        start = next;
        (void)p;
    }
    return lines;
}

/* A horizontal stacked bar per row, its name whole on its own lines above
   it, the total after it; then the numbers in a table. */
static void s_counts_table(s_page_t *p, const char *first, const s_row_t *rows, size_t n);

static void
s_bar_chart(s_page_t *p, const s_row_t *rows, size_t n, const char *aria,
            const char *first)
{
    const double bar_w = CHART_W - 80, bar_h = 16, gap = 12;
    size_t shown = s_shown(p, n);
    uint64_t max = 1;
    double h = 4;
    for (size_t i = 0; i < shown; i++) {
        if (rows[i].total > max)
            max = rows[i].total;
        h += (double)s_wrap(p, NULL, rows[i].label, 0, 0) * LINE_H + 4 + bar_h + gap;
    }
    fprintf(p->f,
            "<svg class=\"chart bars\" role=\"img\" viewBox=\"0 0 %d %.0f\" width=\"%d\" "
            "height=\"%.0f\" xmlns=\"http://www.w3.org/2000/svg\" aria-label=\"",
            CHART_W, h, CHART_W, h);
    s_esc(p, aria);
    fprintf(p->f, "\">\n");
    double y = 4;
    for (size_t i = 0; i < shown; i++) {
        const s_row_t *r = &rows[i];
        /* The name starts where reading starts, above its bar. */
        fprintf(p->f, "<text class=\"label\" text-anchor=\"start\">");
        size_t lines = s_wrap(p, p->f, r->label, s_x(p, 0), y + 11);
        fprintf(p->f, "</text>\n");
        y += (double)lines * LINE_H + 4;
        double x = 0;
        for (int k = 0; k < NMIRF_STATUS_COUNT; k++) {
            int s = s_stack[k];
            if (!r->counts[s])
                continue;
            double w = bar_w * (double)r->counts[s] / (double)max;
            fprintf(p->f,
                    "<rect class=\"bar s-%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                    "height=\"%.0f\" fill=\"url(#nmirf-p-%s)\"><title>",
                    nmirf_statuses.names[s], p->rtl ? CHART_W - x - w : x, y, w, bar_h,
                    nmirf_statuses.names[s]);
            s_esc(p, r->label);
            fprintf(p->f, " — ");
            s_status_name(p, s);
            fprintf(p->f, ": ");
            s_count(p, r->counts[s]);
            fprintf(p->f, "</title></rect>\n");
            x += w;
        }
        fprintf(p->f,
                "<text class=\"total\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"start\">",
                s_x(p, x + 6), y + bar_h - 3);
        s_count(p, r->total);
        fprintf(p->f, "</text>\n");
        y += bar_h + gap;
    }
    fprintf(p->f, "</svg>\n");
    s_counts_table(p, first, rows, n);
}

/* The recommendations of a month's {STATUS: n}. */
static uint64_t
s_sum_at_end(const msgpack_object *at_end)
{
    uint64_t sum = 0;
    for (int s = 0; s < NMIRF_STATUS_COUNT; s++)
        sum += s_u(at_end, nmirf_statuses.names[s]);
    return sum;
}

/* The y axis of the history: grid lines and counts at quarters. */
static void
s_axis(s_page_t *p, double left, double plot_w, double top, double plot_h, uint64_t max)
{
    for (int g = 0; g <= 4; g++) {
        double y = top + plot_h - plot_h * g / 4.0;
        fprintf(p->f,
                "<line class=\"grid\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>\n"
                "<text class=\"axis\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">",
                s_x(p, left), s_x(p, left + plot_w), y, y, s_x(p, left - 6), y + 4);
        s_count(p, max * (unsigned)g / 4);
        fprintf(p->f, "</text>\n");
    }
}

/* A month's label under the history, at x (from the reading start). */
static void
s_month_label(s_page_t *p, const msgpack_object *m, double x, double y,
              const char *anchor)
{
    char *label = s_str(m, "month");
    fprintf(p->f, "<text class=\"axis\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\">",
            s_x(p, x), y, anchor);
    s_date(p, label);
    fprintf(p->f, "</text>\n");
    free(label);
}

/* The history (at_end counts by month): a stacked area per status, or,
   for a few months, where an area would be a flat block, a stacked bar
   per month with its total above. */
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
    const double left = 64, right = 16, top = 16, bottom = 44, h = 300;
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
    fprintf(p->f,
            "<svg class=\"chart %s\" role=\"img\" viewBox=\"0 0 %d %.0f\" width=\"%d\" "
            "height=\"%.0f\" xmlns=\"http://www.w3.org/2000/svg\" aria-label=\"",
            n <= MONTH_BARS_MAX ? "months" : "area", CHART_W, h, CHART_W, h);
    s_label(p, "by_month_note");
    fprintf(p->f, "\">\n");
    s_axis(p, left, plot_w, top, plot_h, max);
    if (n <= MONTH_BARS_MAX) {
        double slot = plot_w / (double)n, w = slot * 0.5 < 120 ? slot * 0.5 : 120;
        for (size_t i = 0; i < n; i++) {
            const msgpack_object *m = &months->via.array.ptr[i],
                                 *at_end = nmirf_mp_get(m, "at_end");
            double x = left + slot * (double)i + (slot - w) / 2, base = 0;
            for (int k = 0; k < NMIRF_STATUS_COUNT; k++) {
                int s = s_stack[k];
                uint64_t c = s_u(at_end, nmirf_statuses.names[s]);
                if (!c)
                    continue;
                double bh = plot_h * (double)c / (double)max;
                fprintf(p->f,
                        "<rect class=\"mbar s-%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                        "height=\"%.1f\" fill=\"url(#nmirf-p-%s)\"><title>",
                        nmirf_statuses.names[s], p->rtl ? CHART_W - x - w : x,
                        top + plot_h - base - bh, w, bh, nmirf_statuses.names[s]);
                s_status_name(p, s);
                fprintf(p->f, ": ");
                s_count(p, c);
                fprintf(p->f, "</title></rect>\n");
                base += bh;
            }
            fprintf(p->f,
                    "<text class=\"total\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">",
                    s_x(p, x + w / 2), top + plot_h - base - 4);
            s_count(p, s_sum_at_end(at_end));
            fprintf(p->f, "</text>\n");
            s_month_label(p, m, x + w / 2, top + plot_h + 18, "middle");
        }
        fprintf(p->f, "</svg>\n");
        return;
    }
    double step = plot_w / (double)(n - 1);
    double *base = calloc(n, sizeof *base), *top_y = calloc(n, sizeof *top_y);
    if (!base || !top_y) {
        free(base);
        free(top_y);
        fprintf(p->f, "</svg>\n");
        return;
    }
    for (int k = 0; k < NMIRF_STATUS_COUNT; k++) {
        int s = s_stack[k];
        for (size_t i = 0; i < n; i++)
            top_y[i] =
                base[i] + (double)s_u(nmirf_mp_get(&months->via.array.ptr[i], "at_end"),
                                      nmirf_statuses.names[s]);
        fprintf(p->f, "<path class=\"layer s-%s\" fill=\"url(#nmirf-p-%s)\" d=\"",
                nmirf_statuses.names[s], nmirf_statuses.names[s]);
        for (size_t i = 0; i < n; i++)
            fprintf(p->f, "%s%.1f,%.1f ", i ? "L" : "M", s_x(p, left + step * (double)i),
                    top + plot_h - plot_h * top_y[i] / (double)max);
        for (size_t i = n; i-- > 0;)
            fprintf(p->f, "L%.1f,%.1f ", s_x(p, left + step * (double)i),
                    top + plot_h - plot_h * base[i] / (double)max);
        fprintf(p->f, "Z\"><title>");
        s_status_name(p, s);
        fprintf(p->f, "</title></path>\n");
        memcpy(base, top_y, n * sizeof *base);
    }
    free(base);
    free(top_y);
    /* Month labels: at most about 8 (a month's name is long), always the
       first and the last. */
    size_t every = n / 8 + 1;
    for (size_t i = 0; i < n; i++) {
        if (i % every && i + 1 != n)
            continue;
        if (i + 1 != n && i + every >= n && n > 2)
            continue; /* too close to the last one */
        /* The first and last labels stay inside the chart. */
        s_month_label(p, &months->via.array.ptr[i], left + step * (double)i,
                      top + plot_h + 18,
                      i == 0       ? "start"
                      : i + 1 == n ? "end"
                                   : "middle");
    }
    fprintf(p->f, "</svg>\n");
}

/* The key: an HTML list, so it flows with the text direction. */
static void
s_legend(s_page_t *p)
{
    fprintf(p->f, "<ul class=\"legend\">");
    for (int k = 0; k < NMIRF_STATUS_COUNT; k++) {
        fprintf(p->f, "<li>");
        s_swatch(p, s_stack[k]);
        s_status_name(p, s_stack[k]);
        fprintf(p->f, "</li>");
    }
    fprintf(p->f, "</ul>\n");
}

/* A table of rows: the name, each status, the total; rows_max rows at
   most, and a note of those left out. */
static void
s_counts_table(s_page_t *p, const char *first, const s_row_t *rows, size_t n)
{
    if (!n)
        return;
    fprintf(p->f, "<table class=\"counts\"><thead><tr><th>");
    s_label(p, first);
    fprintf(p->f, "</th>");
    for (int k = 0; k < NMIRF_STATUS_COUNT; k++) {
        fprintf(p->f, "<th class=\"st\">");
        s_swatch(p, s_stack[k]);
        s_status_name(p, s_stack[k]);
        fprintf(p->f, "</th>");
    }
    fprintf(p->f, "<th class=\"st\">");
    s_label(p, "col_total");
    fprintf(p->f, "</th></tr></thead><tbody>\n");
    size_t shown = s_shown(p, n);
    for (size_t i = 0; i < shown; i++) {
        fprintf(p->f, "<tr><th scope=\"row\"><bdi>");
        s_esc(p, rows[i].label);
        fprintf(p->f, "</bdi></th>");
        for (int k = 0; k < NMIRF_STATUS_COUNT; k++) {
            fprintf(p->f, "<td>");
            s_count(p, rows[i].counts[s_stack[k]]);
            fprintf(p->f, "</td>");
        }
        fprintf(p->f, "<td class=\"total\">");
        s_count(p, rows[i].total);
        fprintf(p->f, "</td></tr>\n");
    }
    fprintf(p->f, "</tbody></table>\n");
    s_more(p, n, shown);
}

/* A grouping as a table under its heading. */
static void
s_group_table(s_page_t *p, const char *heading, const char *first,
              const msgpack_object *group, s_key_t kind)
{
    size_t n;
    s_row_t *rows = s_rows(p, group, kind, &n);
    if (n) {
        fprintf(p->f, "<div class=\"small\"><h3>");
        s_label(p, heading);
        fprintf(p->f, "</h3>\n");
        s_counts_table(p, first, rows, n);
        fprintf(p->f, "</div>\n");
    }
    s_rows_free(rows, n);
}

/* The overdue list: id, lead, deadline, days late, status, text (whole,
   in the page's order of languages). */
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
    size_t shown = s_shown(p, n);
    for (size_t i = 0; i < shown; i++) {
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
        s_date(p, deadline);
        fprintf(p->f, "</bdi></td><td class=\"num\">");
        s_count(p, s_u(it, "days"));
        fprintf(p->f, "</td><td>");
        s_swatch(p, si);
        s_status_name(p, si);
        fprintf(p->f, "</td>");
        const char *which = p->lang;
        const msgpack_object *text = s_lang_text(p, nmirf_mp_get(it, "text"), &which);
        fprintf(p->f, "<td class=\"text\" lang=\"%s\" dir=\"auto\">", which);
        if (text)
            stats_html_escape(p->f, text->via.str.ptr, text->via.str.size);
        fprintf(p->f, "</td></tr>\n");
        free(rec);
        free(lead);
        free(lead_label);
        free(deadline);
        free(status);
        free(symbol);
    }
    fprintf(p->f, "</tbody></table>\n");
    s_more(p, n, shown);
    if (n < total) { /* the broker's limit cut the list */
        char a[64], b[64];
        nmirf_fmt_count(n, p->lang, a, sizeof a);
        nmirf_fmt_count(total, p->lang, b, sizeof b);
        char *line = s_printf(s_t(p, "shown"), a, b);
        fprintf(p->f, "<p class=\"note more\">");
        s_esc(p, line);
        fprintf(p->f, "</p>\n");
        free(line);
    }
}

/* The summary figures: total, implemented share, overdue, due soon; then
   the shares by status. */
static void
s_figures(s_page_t *p, const msgpack_object *stats)
{
    uint64_t total = s_u(stats, "total");
    const msgpack_object *by_status = nmirf_mp_get(stats, "by_status");
    uint64_t done = s_u(by_status, "implemented");
    fprintf(p->f, "<div class=\"figures\">\n<div class=\"figure\"><b>");
    s_count(p, total);
    fprintf(p->f, "</b>");
    s_label(p, "recs");
    fprintf(p->f, "</div>\n<div class=\"figure done\"><b>");
    s_percent(p, done, total);
    fprintf(p->f, "</b>");
    s_label(p, "implemented_share");
    fprintf(p->f, " (");
    s_count(p, done);
    fprintf(p->f, ")</div>\n<div class=\"figure late\"><b>");
    s_count(p, s_u(stats, "overdue_total"));
    fprintf(p->f, "</b>");
    s_label(p, "overdue");
    fprintf(p->f, "</div>\n<div class=\"figure soon\"><b>");
    s_count(p, s_u(stats, "due_soon_total"));
    fprintf(p->f, "</b>");
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
        fprintf(p->f, "<tr><td>");
        s_swatch(p, s);
        s_status_name(p, s);
        fprintf(p->f, "</td><td class=\"num\">");
        s_count(p, c);
        fprintf(p->f, "</td><td class=\"num\">");
        s_percent(p, c, total);
        fprintf(p->f, "</td></tr>\n");
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
    "td.text{font-size:12.5px;min-width:240px}"
    "td.id,td.date{white-space:nowrap}"
    ".swatch{display:inline-block;width:14px;height:14px;margin-inline-end:6px;"
    "vertical-align:-2px}"
    "svg.defs{position:absolute;width:0;height:0;overflow:hidden}"
    "th.st{font-size:11.5px;font-weight:normal;text-align:end}"
    ".scope{margin:0 0 8px;font-weight:bold}"
    ".note.more{color:#1d2733;font-weight:bold;border-inline-start:3px solid #b7791f;"
    "padding-inline-start:6px}"
    ".legend{list-style:none;padding:0;margin:6px 0;display:flex;flex-wrap:wrap;"
    "gap:4px 16px}"
    "svg.chart{display:block;max-width:100%;height:auto;margin:6px 0}"
    "svg text{font-family:inherit;font-size:12px;fill:#1d2733}"
    "svg text.total{font-weight:bold}"
    "svg text.label{font-size:12.5px}"
    "svg text.axis{fill:#4a5663;font-size:11px}"
    "svg line.grid{stroke:#dde3e9;stroke-width:1}"
    "svg path.layer{stroke:#1d2733;stroke-width:.5}"
    "svg rect.bar,svg rect.mbar{stroke:#1d2733;stroke-width:.5}"
    ".note{color:#4a5663;font-size:12.5px}"
    ".groups{display:grid;grid-template-columns:1fr;gap:16px}"
    ".small table{font-size:12.5px}"
    "footer{margin-top:28px;color:#4a5663;font-size:12px;border-top:1px solid #c9d0d8;"
    "padding-top:6px}"
    "@media print{body{margin:0;max-width:none;font-size:11.5px}"
    "section{break-inside:avoid-page}tr{break-inside:avoid}"
    ".figure{background:none}thead th{background:none;border-bottom:2px solid #1d2733}"
    "*{-webkit-print-color-adjust:exact;print-color-adjust:exact}}";

char *
stats_html_scope(const nmirf_recfilter_t *f, const msgpack_object *entities,
                 const char *lang, const char *fallback)
{
    if (nmirf_recfilter_is_all(f) && !f->withdrawn)
        return NULL;
    s_page_t page = {.lang = lang, .entities = entities};
    s_page_t *p = &page;
    p->norder = nmirf_lang_order(lang, fallback, p->order);
    char *out = NULL;
    size_t len = 0;
    if (!(p->f = open_memstream(&out, &len)))
        return NULL;
    /* Each part: its label and its value's name, separated as the
       language separates a list. */
    const char *sep = "";
    fputs(s_t(p, "scope"), p->f);
    const struct {
        const char *label, *value;
        s_key_t kind;
    } parts[] = {
        {"scope_mechanism", f->mechanism, S_KEY_MECHANISM},
        {"scope_cycle", f->cycle, S_KEY_PLAIN},
        {"scope_theme", f->theme, S_KEY_THEME},
        {"scope_entity", f->entity, S_KEY_ENTITY},
        {"scope_position", f->position, S_KEY_POSITION},
    };
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        if (!parts[i].value[0])
            continue;
        char *name = s_key_label(p, parts[i].value, parts[i].kind);
        fprintf(p->f, "%s%s %s", sep, s_t(p, parts[i].label),
                name ? name : parts[i].value);
        free(name);
        sep = s_t(p, "scope_sep");
    }
    if (f->withdrawn)
        fprintf(p->f, "%s%s", sep, s_t(p, "scope_withdrawn"));
    if (fclose(p->f) != 0) {
        free(out);
        return NULL;
    }
    return out;
}

int
stats_html_render(const msgpack_object *stats, const msgpack_object *entities,
                  const stats_html_opts_t *opts, char **html, size_t *len)
{
    const char *lang = opts->lang;
    const char *title = opts->title;
    *html = NULL;
    *len = 0;
    s_page_t page = {.lang = lang,
                     .rtl = strcmp(lang, "ar") == 0,
                     .entities = entities,
                     .rows_max = opts->rows_max};
    s_page_t *p = &page;
    p->norder = nmirf_lang_order(lang, opts->fallback, p->order);
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
    fprintf(p->f, "</title>\n<style>%s</style>\n</head>\n<body>\n", s_css);
    s_defs(p);
    fprintf(p->f, "<header>\n<h1>");
    s_esc(p, title);
    fprintf(p->f, "</h1>\n");
    if (opts->scope && *opts->scope) {
        fprintf(p->f, "<p class=\"scope\">");
        s_esc(p, opts->scope);
        fprintf(p->f, "</p>\n");
    }
    fprintf(p->f, "<p class=\"sub\">");
    s_label(p, "as_of");
    fprintf(p->f, " <bdi>");
    s_date(p, today);
    fprintf(p->f, "</bdi></p>\n</header>\n");

    fprintf(p->f, "<section id=\"summary\">\n<h2>");
    s_label(p, "status_all");
    fprintf(p->f, "</h2>\n");
    s_figures(p, stats);
    fprintf(p->f, "</section>\n");

    static const struct {
        const char *id, *heading, *key, *first;
        s_key_t kind;
    } charts[] = {
        {"by-entity", "by_entity", "by_entity", "col_lead", S_KEY_ENTITY},
        {"by-mechanism", "by_mechanism", "by_mechanism", "col_mechanism",
         S_KEY_MECHANISM},
    };
    for (size_t c = 0; c < 2; c++) {
        fprintf(p->f, "<section id=\"%s\">\n<h2>", charts[c].id);
        s_label(p, charts[c].heading);
        fprintf(p->f, "</h2>\n");
        s_legend(p);
        size_t n;
        s_row_t *rows = s_rows(p, nmirf_mp_get(stats, charts[c].key), charts[c].kind, &n);
        s_bar_chart(p, rows, n, s_t(p, charts[c].heading), charts[c].first);
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
    s_group_table(p, "by_treaty", "col_mechanism", nmirf_mp_get(stats, "by_treaty"),
                  S_KEY_MECHANISM);
    s_group_table(p, "by_cycle", "col_cycle", nmirf_mp_get(stats, "by_cycle"),
                  S_KEY_PLAIN);
    s_group_table(p, "by_theme", "col_theme", nmirf_mp_get(stats, "by_theme"),
                  S_KEY_THEME);
    s_group_table(p, "by_position", "col_position", nmirf_mp_get(stats, "by_position"),
                  S_KEY_POSITION);
    s_group_table(p, "by_sdg", "col_sdg", nmirf_mp_get(stats, "by_sdg"), S_KEY_SDG);
    fprintf(p->f, "</section>\n");
    if (opts->annex)
        opts->annex(p->f, opts->annex_arg);
    fprintf(p->f, "<footer>");
    s_label(p, "generated");
    fprintf(p->f, " <bdi>");
    s_date(p, today);
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
