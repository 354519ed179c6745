/*  report_html - the annex as HTML (report_html.h). */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "nmirf_mp.h"
#include "nmirf_schema.h"
#include "nmirf_vocab.h"
#include "report_html.h"
#include "report_i18n.h"
#include "stats_html.h"

/* The annex's own style: the page's (stats_html) sets fonts and colours;
   this adds the rows and their print breaks. Logical properties
   (margin-inline-start) mirror by themselves in the Arabic page. */
static const char s_css[] =
    "<style>"
    ".annex h2{break-before:page}"
    ".annex .group{margin-top:1.5em}"
    ".annex .group+.group{break-before:page}"
    ".annex h3,.annex h4,.annex h5{break-after:avoid}"
    ".annex article{border-top:1px solid #bbb;padding:.4em 0 .6em;overflow-wrap:anywhere}"
    ".annex article h4{margin:.2em 0}"
    ".annex .rtext{margin:.3em 0;white-space:pre-wrap}"
    ".annex .note{color:#555;font-size:.9em}"
    ".annex dl{display:grid;grid-template-columns:max-content 1fr;gap:.1em "
    "1em;margin:.3em 0}"
    ".annex dt{font-weight:bold}.annex dd{margin:0}"
    ".annex ol.narr{margin:.2em 0;padding-inline-start:1.4em}"
    ".annex ol.narr li{margin:.3em 0;break-inside:avoid}"
    ".annex .narrative{white-space:pre-wrap}"
    ".annex table.ind{border-collapse:collapse;margin:.3em 0;break-inside:avoid}"
    ".annex table.ind th,.annex table.ind td{border:1px solid #bbb;padding:.1em .5em;"
    "text-align:start}"
    "</style>\n";

/* s escaped, and its control characters dropped but line feed and tab
   (HTML has no use for them, and some are parse errors): C0, DEL, C1. */
static void
s_esc_n(FILE *f, const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t run = 0;
    for (size_t i = 0; i < len; i++) {
        size_t skip = 0;
        if ((p[i] < 0x20 && p[i] != '\n' && p[i] != '\t') || p[i] == 0x7f)
            skip = 1;
        else if (p[i] == 0xc2 && i + 1 < len && p[i + 1] >= 0x80 && p[i + 1] <= 0x9f)
            skip = 2;
        if (!skip)
            continue;
        stats_html_escape(f, s + run, i - run);
        i += skip - 1;
        run = i + 1;
    }
    stats_html_escape(f, s + run, len - run);
}

/* A msgpack string, escaped; nothing for anything else. */
static void
s_esc(FILE *f, const msgpack_object *o)
{
    if (o && o->type == MSGPACK_OBJECT_STR && o->via.str.size)
        s_esc_n(f, o->via.str.ptr, o->via.str.size);
}

static void
s_esc_c(FILE *f, const char *s)
{
    s_esc_n(f, s, strlen(s));
}

/* A date written for lang, in <bdi>. */
static void
s_date(FILE *f, const msgpack_object *d, const char *lang)
{
    char buf[64];
    if (!d || d->type != MSGPACK_OBJECT_STR)
        return;
    fprintf(f, "<bdi>");
    s_esc_c(f, nmirf_fmt_date(d->via.str.ptr, d->via.str.size, lang, buf, sizeof buf));
    fprintf(f, "</bdi>");
}

/* A vocabulary's name for a stored value. */
static void
s_vocab(FILE *f, nmirf_vocab_kind_t kind, const char *key, size_t len, const char *lang)
{
    char buf[2 * NMIRF_SHORT_MAX + 64]; /* a short string's label, uncut */
    s_esc_c(f, nmirf_vocab_label(kind, key, len, lang, buf, sizeof buf));
}

/* An entity by name in the page's language, with its id. */
static void
s_entity(FILE *f, const report_html_annex_t *a, const msgpack_object *id)
{
    const msgpack_object *e = report_model_entity(a->model, id);
    const char *shown;
    const msgpack_object *name =
        e ? report_text_pick(nmirf_mp_get(e, "names"), a->lang, a->fallback, &shown)
          : NULL;
    fprintf(f, "<bdi>");
    if (name) {
        s_esc(f, name);
        fprintf(f, "</bdi> (<bdi>");
    }
    s_esc(f, id);
    fprintf(f, name ? "</bdi>)" : "</bdi>");
}

/* The group's heading: the key named for a reader. */
static void
s_group_heading(FILE *f, const report_html_annex_t *a, const report_group_t *g)
{
    const char *lang = a->lang;
    bool none = strcmp(g->key, "-") == 0;
    fprintf(f, "<h3>");
    switch (a->model->by) {
    case REPORT_BY_MECHANISM:
        s_vocab(f, NMIRF_VOCAB_MECHANISM, g->key, strlen(g->key), lang);
        break;
    case REPORT_BY_CYCLE:
        fprintf(f, "%s%s", stats_i18n(lang, "cycle"), report_i18n_colon(lang));
        if (none)
            s_esc_c(f, stats_i18n(lang, "group_none"));
        else {
            fprintf(f, "<bdi>");
            s_esc_c(f, g->key);
            fprintf(f, "</bdi>");
        }
        break;
    case REPORT_BY_THEME:
        if (none)
            fprintf(f, "%s%s%s", stats_i18n(lang, "theme"), report_i18n_colon(lang),
                    stats_i18n(lang, "group_none"));
        else {
            fprintf(f, "<bdi>");
            s_vocab(f, NMIRF_VOCAB_THEME, g->key, strlen(g->key), lang);
            fprintf(f, "</bdi>");
        }
        break;
    case REPORT_BY_ENTITY:
        if (none)
            s_esc_c(f, stats_i18n(lang, "unassigned_one"));
        else {
            msgpack_object id = {.type = MSGPACK_OBJECT_STR,
                                 .via.str = {(uint32_t)strlen(g->key), g->key}};
            s_entity(f, a, &id);
        }
        break;
    }
    fprintf(f, " <span class=\"note\">(%zu)</span></h3>\n", g->n);
}

/* A list of strings (evidence links): a link where it is http(s), text
   otherwise, so that no other scheme (javascript:) is ever a link. */
static void
s_evidence(FILE *f, const char *lang, const msgpack_object *ev)
{
    if (!ev || ev->type != MSGPACK_OBJECT_ARRAY || !ev->via.array.size)
        return;
    fprintf(f, "<div class=\"note\">%s%s<ul>", stats_i18n(lang, "evidence"),
            report_i18n_colon(lang));
    for (uint32_t i = 0; i < ev->via.array.size; i++) {
        const msgpack_object *u = &ev->via.array.ptr[i];
        if (u->type != MSGPACK_OBJECT_STR)
            continue;
        bool link = (u->via.str.size > 7 && memcmp(u->via.str.ptr, "http://", 7) == 0) ||
                    (u->via.str.size > 8 && memcmp(u->via.str.ptr, "https://", 8) == 0);
        fprintf(f, "<li dir=\"ltr\">");
        if (link) {
            fprintf(f, "<a href=\"");
            s_esc(f, u);
            fprintf(f, "\">");
        }
        s_esc(f, u);
        fprintf(f, link ? "</a></li>" : "</li>");
    }
    fprintf(f, "</ul></div>");
}

/* One validated report: date, author (and by), narrative, evidence. */
static void
s_report(FILE *f, const report_html_annex_t *a, const msgpack_object *r)
{
    fprintf(f, "<li><div class=\"note\">");
    s_date(f, nmirf_mp_get(r, "date"), a->lang);
    fprintf(f, " — ");
    s_entity(f, a, nmirf_mp_get(r, "entity"));
    const msgpack_object *by = nmirf_mp_get(r, "by");
    if (by && by->type == MSGPACK_OBJECT_STR) {
        char *name = nmirf_mp_strdup(by);
        fprintf(f, ", ");
        /* The format is a label; the name goes in escaped. */
        const char *fmt = stats_i18n(a->lang, "by_fmt");
        const char *at = strstr(fmt, "%s");
        fwrite(fmt, 1, at ? (size_t)(at - fmt) : strlen(fmt), f);
        if (at) {
            fprintf(f, "<bdi>");
            s_esc_c(f, name ? name : "");
            fprintf(f, "</bdi>%s", at + 2);
        }
        free(name);
    }
    const msgpack_object *st = nmirf_mp_get(r, "status");
    if (st && st->type == MSGPACK_OBJECT_STR) {
        fprintf(f, " — ");
        s_vocab(f, NMIRF_VOCAB_STATUS, st->via.str.ptr, st->via.str.size, a->lang);
    }
    fprintf(f, "</div><div class=\"narrative\" dir=\"auto\">");
    s_esc(f, nmirf_mp_get(r, "narrative"));
    fprintf(f, "</div>");
    s_evidence(f, a->lang, nmirf_mp_get(r, "evidence"));
    fprintf(f, "</li>\n");
}

/* One measure: title, indicator (name, unit, baseline, target) and every
   value of its progress dated under --since. */
static void
s_measure(FILE *f, const report_html_annex_t *a, const msgpack_object *m)
{
    const char *lang = a->lang;
    char num[64];
    fprintf(f, "<div class=\"measure\"><p><b>");
    fprintf(
        f, stats_i18n(lang, "measure_fmt"),
        (unsigned long long)(nmirf_mp_get(m, "id") ? nmirf_mp_get(m, "id")->via.u64 : 0));
    fprintf(f, "</b> — <bdi>");
    s_esc(f, nmirf_mp_get(m, "title"));
    fprintf(f, "</bdi></p>");
    const msgpack_object *d = nmirf_mp_get(m, "description");
    if (d && d->type == MSGPACK_OBJECT_STR) {
        fprintf(f, "<p class=\"rtext\" dir=\"auto\">");
        s_esc(f, d);
        fprintf(f, "</p>");
    }
    const msgpack_object *ind = nmirf_mp_get(m, "indicator");
    if (ind && ind->type == MSGPACK_OBJECT_MAP) {
        fprintf(
            f,
            "<table class=\"ind\"><tr><th>%s</th><th>%s</th><th>%s</th><th>%s</th></tr>"
            "<tr><td dir=\"auto\">",
            stats_i18n(lang, "indicator"), stats_i18n(lang, "unit"),
            stats_i18n(lang, "baseline"), stats_i18n(lang, "target"));
        s_esc(f, nmirf_mp_get(ind, "name"));
        fprintf(f, "</td><td dir=\"auto\">");
        s_esc(f, nmirf_mp_get(ind, "unit"));
        fprintf(f, "</td><td>%s</td>",
                report_i18n_number(nmirf_mp_get(ind, "baseline"), lang, num, sizeof num));
        fprintf(f, "<td>%s</td></tr></table>",
                report_i18n_number(nmirf_mp_get(ind, "target"), lang, num, sizeof num));
    }
    const msgpack_object *p = nmirf_mp_get(m, "progress");
    size_t shown = 0;
    if (p && p->type == MSGPACK_OBJECT_ARRAY)
        for (uint32_t i = 0; i < p->via.array.size; i++) {
            const msgpack_object *pt = &p->via.array.ptr[i];
            if (!report_model_dated_in(a->model, nmirf_mp_get(pt, "date")))
                continue;
            if (!shown++)
                fprintf(f, "<table class=\"ind values\"><tr><th>%s</th><th>%s</th></tr>",
                        stats_i18n(lang, "date"), stats_i18n(lang, "value"));
            fprintf(f, "<tr><td>");
            s_date(f, nmirf_mp_get(pt, "date"), lang);
            fprintf(f, "</td><td class=\"value\">%s</td></tr>",
                    report_i18n_number(nmirf_mp_get(pt, "value"), lang, num, sizeof num));
        }
    if (shown)
        fprintf(f, "</table>");
    else if (ind)
        fprintf(f, "<p class=\"note\">%s</p>", stats_i18n(lang, "no_values"));
    fprintf(f, "</div>\n");
}

/* One recommendation. */
static void
s_rec(FILE *f, const report_html_annex_t *a, const report_rec_t *r)
{
    const char *lang = a->lang;
    const msgpack_object *rec = r->rec, *sym = nmirf_mp_get(rec, "symbol"),
                         *par = nmirf_mp_get(rec, "paragraph");
    fprintf(f, "<article class=\"rec\"><h4><bdi class=\"rec-id\">");
    s_esc(f, nmirf_mp_get(rec, "id"));
    fprintf(f, "</bdi>");
    if (sym) {
        fprintf(f, " — <bdi>");
        s_esc(f, sym);
        fprintf(f, "</bdi>");
    }
    if (par) {
        fprintf(f, ", %s <bdi>", stats_i18n(lang, "paragraph"));
        s_esc(f, par);
        fprintf(f, "</bdi>");
    }
    fprintf(f, "</h4>");
    const char *shown;
    const msgpack_object *text =
        report_text_pick(nmirf_mp_get(rec, "text"), lang, a->fallback, &shown);
    if (text) {
        fprintf(f, "<p class=\"rtext\" dir=\"auto\" lang=\"%s\">", shown);
        s_esc(f, text);
        fprintf(f, "</p>");
        if (strcmp(shown, lang) != 0) {
            fprintf(f, "<p class=\"note text-lang\">");
            fprintf(f, stats_i18n(lang, "text_in_fmt"),
                    report_i18n_lang_name(lang, shown));
            fprintf(f, "</p>");
        }
    } else
        fprintf(f, "<p class=\"note\">%s</p>", stats_i18n(lang, "no_text"));

    fprintf(f, "<dl><dt>%s</dt><dd>", stats_i18n(lang, "position"));
    const msgpack_object *resp = nmirf_mp_get(rec, "response");
    if (resp && resp->type == MSGPACK_OBJECT_STR)
        s_vocab(f, NMIRF_VOCAB_POSITION, resp->via.str.ptr, resp->via.str.size, lang);
    fprintf(f, "</dd><dt>%s</dt><dd>", stats_i18n(lang, "lead"));
    if (r->assignment)
        s_entity(f, a, nmirf_mp_get(r->assignment, "lead"));
    else
        s_esc_c(f, stats_i18n(lang, "unassigned_one"));
    fprintf(f, "</dd>");
    const msgpack_object *c =
        r->assignment ? nmirf_mp_get(r->assignment, "contributors") : NULL;
    if (c && c->type == MSGPACK_OBJECT_ARRAY && c->via.array.size) {
        fprintf(f, "<dt>%s</dt><dd>", stats_i18n(lang, "contributors"));
        for (uint32_t i = 0; i < c->via.array.size; i++) {
            fprintf(f, i ? ", " : "");
            s_entity(f, a, &c->via.array.ptr[i]);
        }
        fprintf(f, "</dd>");
    }
    const msgpack_object *dl =
        r->assignment ? nmirf_mp_get(r->assignment, "deadline") : NULL;
    if (dl) {
        fprintf(f, "<dt>%s</dt><dd>", stats_i18n(lang, "deadline"));
        s_date(f, dl, lang);
        fprintf(f, "</dd>");
    }
    fprintf(f, "<dt>%s</dt><dd class=\"status st-%s\">", stats_i18n(lang, "status"),
            r->status);
    s_vocab(f, NMIRF_VOCAB_STATUS, r->status, strlen(r->status), lang);
    fprintf(f, "</dd></dl>\n");

    fprintf(f, "<h5>%s</h5>", stats_i18n(lang, "reports"));
    if (r->nreports) {
        fprintf(f, "<ol class=\"narr\">");
        for (size_t i = 0; i < r->nreports; i++)
            s_report(f, a, r->reports[i]);
        fprintf(f, "</ol>");
    } else
        fprintf(f, "<p class=\"note\">%s</p>", stats_i18n(lang, "no_reports"));
    if (r->nmeasures) {
        fprintf(f, "<h5>%s</h5>", stats_i18n(lang, "measures"));
        for (size_t i = 0; i < r->nmeasures; i++)
            s_measure(f, a, r->measures[i]);
    }
    fprintf(f, "</article>\n");
}

void
report_html_annex(FILE *f, void *arg)
{
    const report_html_annex_t *a = arg;
    const report_model_t *m = a->model;
    const char *lang = a->lang;
    fputs(s_css, f);
    fprintf(f, "<section class=\"annex\" id=\"annex\"><h2>%s</h2>\n",
            stats_i18n(lang, "annex"));
    fprintf(f, "<p class=\"counts\">");
    fprintf(f, stats_i18n(lang, "annex_counts_fmt"), m->rows, m->narratives, m->values);
    fprintf(f, "</p>\n");
    if (a->stats_seq && a->stats_seq != m->seq) {
        fprintf(f, "<p class=\"note seq\">");
        fprintf(f, stats_i18n(lang, "seq_fmt"), (unsigned long long)a->stats_seq,
                (unsigned long long)m->seq);
        fprintf(f, "</p>\n");
    }
    if (m->rows < m->rows_total) {
        fprintf(f, "<p class=\"left-out\"><b>");
        fprintf(f, stats_i18n(lang, "left_out_fmt"), m->rows_total - m->rows,
                m->rows_total);
        fprintf(f, "</b></p>\n");
    }
    if (!m->rows_total)
        fprintf(f, "<p>%s</p>\n", stats_i18n(lang, "no_recs"));
    for (size_t g = 0; g < m->ngroups; g++) {
        fprintf(f, "<section class=\"group\">");
        s_group_heading(f, a, &m->groups[g]);
        for (size_t i = 0; i < m->groups[g].n; i++)
            s_rec(f, a, m->groups[g].recs[i]);
        fprintf(f, "</section>\n");
    }
    fprintf(f, "</section>\n");
}
