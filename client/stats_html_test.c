/*  stats_html_test - the report page laid out from a stats reply written
    here, in French, Arabic and English: names from the vocabularies,
    numbers, shares and dates as each language writes them, texts in the
    page's order of languages, nothing cut unless rows_max asks (and then
    said), long names whole, the status patterns, a short history as bars
    and a long one as areas, the Arabic page mirrored.

    Usage: stats_page_unit [DIR]   (with DIR, the pages are written there)

    Prints "file:line: case: what" per failed check, one summary line at
    the end. tests/cli/stats_test.sh renders the page from a real broker
    and opens it in Chromium.
*/
#include "nmirf_json.h"
#include "stats_html.h"
#include "unit.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define NNBSP "\xe2\x80\xaf" /* U+202F, French and Arabic digit groups and " %" */

static const char s_long_fr[] =
    "Ministère de l\\u0027Éducation nationale, du Préscolaire et des Sports";
static const char s_long_fr_html[] =
    "Ministère de l&#39;Éducation nationale, du Préscolaire et des Sports";
/* Longer than a chart line: wrapped, never cut. */
static const char s_longer[] =
    "Délégation interministérielle aux droits de l\\u0027homme, chargée de la "
    "coordination du suivi des recommandations des mécanismes onusiens";

/* The stats body: 1,000 recommendations, 61 implemented (6.1 %), months
   as given (a JSON array). Caller frees *buf. */
static msgpack_object
s_stats(msgpack_zone *zone, const char *months, char **buf)
{
    char *json = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&json, &n);
    fprintf(f,
            "{'today':'2026-03-07','total':1000,'due_soon_days':14,"
            "'overdue_total':2,'due_soon_total':1,"
            "'by_status':{'not_started':700,'in_progress':150,"
            "'partially_implemented':50,'implemented':61,'not_implemented':39},"
            "'by_entity':{'MEN':{'not_started':300,'in_progress':50,"
            "'partially_implemented':10,'implemented':20,'not_implemented':9},"
            "'DIDH':{'not_started':200,'in_progress':50,'partially_implemented':20,"
            "'implemented':21,'not_implemented':10},"
            "'MJ':{'not_started':100,'in_progress':25,'partially_implemented':10,"
            "'implemented':10,'not_implemented':10},"
            "'-':{'not_started':100,'in_progress':25,'partially_implemented':10,"
            "'implemented':10,'not_implemented':10}},"
            "'by_mechanism':{'UPR':{'not_started':600,'in_progress':100,"
            "'partially_implemented':40,'implemented':50,'not_implemented':30},"
            "'CAT':{'not_started':100,'in_progress':50,'partially_implemented':10,"
            "'implemented':11,'not_implemented':9}},"
            "'by_treaty':{'CAT':{'not_started':100,'in_progress':50,"
            "'partially_implemented':10,'implemented':11,'not_implemented':9}},"
            "'by_cycle':{'4':{'not_started':600,'in_progress':100,"
            "'partially_implemented':40,'implemented':50,'not_implemented':30}},"
            "'by_theme':{'Access to justice':{'not_started':10,'in_progress':0,"
            "'partially_implemented':0,'implemented':1,'not_implemented':0}},"
            "'by_sdg':{'16.3':{'not_started':10,'in_progress':0,"
            "'partially_implemented':0,'implemented':1,'not_implemented':0}},"
            "'by_position':{'supported':{'not_started':10,'in_progress':0,"
            "'partially_implemented':0,'implemented':1,'not_implemented':0},"
            "'not_applicable':{'not_started':10,'in_progress':0,"
            "'partially_implemented':0,'implemented':1,'not_implemented':0}},"
            "'overdue':[{'rec':'UPR-4-1','lead':'MEN','deadline':'2026-01-31','days':35,"
            "'status':'in_progress','mechanism':'UPR','text':{'fr':'Texte en français "
            "%s','en':'Text in English'}},"
            "{'rec':'CAT-2','lead':'MJ','deadline':'2025-12-01','days':96,"
            "'status':'not_started','mechanism':'CAT','text':{'en':'English only'}}],"
            "'due_soon':[],'by_month':%s}",
            "une phrase longue qui ne doit pas être coupée, une phrase longue qui ne "
            "doit pas être coupée, une phrase longue qui ne doit pas être coupée, une "
            "phrase longue qui ne doit pas être coupée, une phrase longue qui ne doit "
            "pas être coupée, une phrase longue qui ne doit pas être coupée, fin.",
            months);
    fclose(f);
    for (char *p = json; *p; p++)
        if (*p == '\'')
            *p = '"';
    json_error_t err;
    json_t *j = json_loads(json, 0, &err);
    free(json);
    if (!j) {
        fprintf(stderr, "stats json: %s\n", err.text);
        abort();
    }
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    if (nmirf_json_to_mp(j, &pk))
        abort();
    json_decref(j);
    msgpack_object o;
    size_t off = 0;
    if (msgpack_unpack(sb.data, sb.size, &off, zone, &o) != MSGPACK_UNPACK_SUCCESS)
        abort();
    *buf = sb.data; /* the object's strings point into it */
    return o;
}

/* The entity.list body: MEN's French name long, the coordinator's longer,
   MJ with an Arabic name too. */
static msgpack_object
s_entities(msgpack_zone *zone, char **buf)
{
    char json[2048];
    snprintf(json, sizeof json,
             "{'entities':[{'id':'MEN','names':{'fr':'%s'}},"
             "{'id':'DIDH','names':{'fr':'%s','en':'Interministerial Delegation'}},"
             "{'id':'MJ','names':{'fr':'Ministère de la Justice','ar':'وزارة العدل'}}]}",
             s_long_fr, s_longer);
    for (char *p = json; *p; p++)
        if (*p == '\'')
            *p = '"';
    json_error_t err;
    json_t *j = json_loads(json, 0, &err);
    if (!j) {
        fprintf(stderr, "entities json: %s\n", err.text);
        abort();
    }
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    if (nmirf_json_to_mp(j, &pk))
        abort();
    json_decref(j);
    msgpack_object o;
    size_t off = 0;
    if (msgpack_unpack(sb.data, sb.size, &off, zone, &o) != MSGPACK_UNPACK_SUCCESS)
        abort();
    *buf = sb.data;
    return o;
}

/* How many times needle occurs in hay. */
static size_t
s_count(const char *hay, const char *needle)
{
    size_t n = 0, len = strlen(needle);
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += len)
        n++;
    return n;
}

/* Renders a page; aborts when out of memory. Caller frees. */
static char *
s_render(const msgpack_object *stats, const msgpack_object *entities,
         stats_html_opts_t opts, const char *dir, const char *name)
{
    char *html = NULL;
    size_t len = 0;
    if (stats_html_render(stats, entities, &opts, &html, &len))
        abort();
    CHECK(strlen(html) == len, "%s: a NUL inside the page", name);
    if (dir) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s.html", dir, name);
        FILE *f = fopen(path, "w");
        if (f) {
            fwrite(html, 1, len, f);
            fclose(f);
        }
    }
    return html;
}

static void
s_annex(FILE *f, void *arg)
{
    (void)arg;
    fputs("<section id=\"annex\"></section>\n", f);
}

#define HAS(page, s) CHECK(strstr((page), (s)) != NULL, "lacks %s", (s))
#define HASNT(page, s) CHECK(strstr((page), (s)) == NULL, "has %s", (s))

int
main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : NULL;
    msgpack_zone zone;
    msgpack_zone_init(&zone, 4096);
    char *b1, *b2, *b3;
    msgpack_object one = s_stats(&zone,
                                 "[{'month':'2026-03','reached':{'in_progress':150},"
                                 "'at_end':{'not_started':700,'in_progress':150,"
                                 "'partially_implemented':50,'implemented':61,"
                                 "'not_implemented':39}}]",
                                 &b1);
    char months[8192] = "[";
    for (int m = 0; m < 14; m++)
        snprintf(months + strlen(months), sizeof months - strlen(months),
                 "%s{'month':'%04d-%02d','reached':{},'at_end':{'not_started':%d,"
                 "'in_progress':%d,'partially_implemented':0,'implemented':%d,"
                 "'not_implemented':0}}",
                 m ? "," : "", 2025 + (1 + m) / 12, (1 + m) % 12 + 1, 1000 - 20 * m,
                 10 * m, 10 * m);
    strcat(months, "]");
    msgpack_object many = s_stats(&zone, months, &b2);
    msgpack_object ents = s_entities(&zone, &b3);

    unit_case = "fr: formats and names";
    char *fr = s_render(&one, &ents, (stats_html_opts_t){.lang = "fr"}, dir, "stats-fr");
    HAS(fr, "<html lang=\"fr\" dir=\"ltr\">");
    HAS(fr, ">6,1" NNBSP "%<"); /* the implemented share */
    HAS(fr, ">1" NNBSP "000<"); /* the total */
    HAS(fr, "7 mars 2026");     /* as of */
    HAS(fr, "31 janvier 2026"); /* a deadline */
    HAS(fr, ">mars 2026<");     /* the month of the history */
    HAS(fr, "Non commencée");   /* statuses */
    HAS(fr, "Partiellement mise en œuvre");
    HAS(fr, "Comité contre la torture (CAT)"); /* mechanisms by their full name */
    HAS(fr, "Examen périodique universel (EPU)<");
    HAS(fr, "Accès à la justice");                      /* themes */
    HAS(fr, "Paix, justice et institutions efficaces"); /* SDG goals */
    HAS(fr, "Non applicable");                          /* positions */
    HAS(fr, "Par position de l&#39;État");
    HASNT(fr, "Not started");
    HASNT(fr, ">in_progress<");

    unit_case = "fr: nothing cut";
    HASNT(fr, "…");
    HASNT(fr, "class=\"note more\"");
    HAS(fr, s_long_fr_html); /* on one line of its chart */
    HAS(fr, "fin.</td>");    /* a long text whole */
    /* The longer name wrapped at a space, every word kept. */
    HAS(fr, "Délégation interministérielle aux droits de l&#39;homme, chargée de la "
            "coordination du suivi</tspan>");
    HAS(fr, ">des recommandations des mécanismes onusiens (DIDH)</tspan>");
    CHECK(s_count(fr, "<tr><th scope=\"row\">") == 4 + 2 + 1 + 1 + 1 + 2 + 1,
          "every row of every table (%zu)", s_count(fr, "<tr><th scope=\"row\">"));

    unit_case = "fr: patterns, and a short history as bars";
    CHECK(s_count(fr, "<pattern id=\"nmirf-p-") == 5, "a pattern a status");
    HAS(fr, "fill=\"url(#nmirf-p-in_progress)\"");
    HAS(fr, "<svg class=\"swatch\"");
    HASNT(fr, "style=\"background:"); /* no swatch by colour alone */
    CHECK(s_count(fr, "<rect class=\"mbar ") == 5, "one month: a bar of 5 parts");
    HASNT(fr, "<path class=\"layer ");
    /* Left to right: names start at 0, bars grow from 0. */
    HAS(fr, "<tspan x=\"0.0\"");
    HAS(fr, "<rect class=\"bar s-implemented\" x=\"0.0\"");

    unit_case = "fr: texts in the page's order of languages";
    HAS(fr, "lang=\"fr\" dir=\"auto\">Texte en français");
    HAS(fr, "lang=\"en\" dir=\"auto\">English only"); /* none in fr: any there is */
    free(fr);

    unit_case = "ar: names, mirrored, falls back to French first";
    char *ar = s_render(&one, &ents, (stats_html_opts_t){.lang = "ar"}, dir, "stats-ar");
    HAS(ar, "<html lang=\"ar\" dir=\"rtl\">");
    HAS(ar, "لم يبدأ تنفيذها");           /* not started */
    HAS(ar, "لجنة مناهضة التعذيب (CAT)"); /* CAT */
    HAS(ar, "الوصول إلى العدالة");        /* access to justice */
    HAS(ar, "7 مارس 2026");
    HAS(ar, ">6,1" NNBSP "%<");
    HAS(ar, "وزارة العدل (MJ)"); /* an entity's Arabic name */
    HAS(ar, s_long_fr_html);     /* no Arabic name: the French one */
    HAS(ar, "lang=\"fr\" dir=\"auto\">Texte en français"); /* fr before en */
    HASNT(ar, "Not started");
    HASNT(ar, "…");
    /* Right to left: names start at the right edge, bars grow from it. */
    HAS(ar, "<tspan x=\"760.0\"");
    HASNT(ar, "<tspan x=\"0.0\"");
    HASNT(ar, "<rect class=\"bar s-implemented\" x=\"0.0\"");
    free(ar);

    unit_case = "ar: another fallback order";
    ar = s_render(&one, &ents, (stats_html_opts_t){.lang = "ar", .fallback = "en,fr"},
                  NULL, "stats-ar-en");
    HAS(ar, "lang=\"en\" dir=\"auto\">Text in English");
    HAS(ar, "Interministerial Delegation (DIDH)");
    free(ar);

    unit_case = "en: formats";
    char *en = s_render(&many, &ents, (stats_html_opts_t){.lang = "en"}, dir, "stats-en");
    HAS(en, ">6.1%<");
    HAS(en, ">1,000<");
    HAS(en, "7 March 2026");
    HAS(en, "Committee against Torture (CAT)");
    HAS(en, "Not started");
    CHECK(s_count(en, "<path class=\"layer ") == 5, "14 months: an area a status");
    HASNT(en, "<rect class=\"mbar ");
    free(en);

    unit_case = "rows_max cuts, and says so; scope under the title";
    fr = s_render(
        &many, &ents,
        (stats_html_opts_t){.lang = "fr", .rows_max = 2, .scope = "Mécanisme : CAT <b>"},
        dir, "stats-fr-rows2");
    HAS(fr, "<p class=\"scope\">Mécanisme : CAT &lt;b&gt;</p>");
    HAS(fr, "2 autres lignes non affichées (au plus 2 par tableau");
    CHECK(s_count(fr, "<rect class=\"bar s-not_started\"") == 4, "2 + 2 bars (%zu)",
          s_count(fr, "<rect class=\"bar s-not_started\""));
    free(fr);

    unit_case = "the scope line of a filter";
    nmirf_recfilter_t flt;
    nmirf_recfilter_init(&flt);
    CHECK(stats_html_scope(&flt, &ents, "fr", NULL) == NULL, "everything: no scope");
    strcpy(flt.mechanism, "CAT");
    strcpy(flt.entity, "MJ");
    strcpy(flt.position, "supported");
    char *scope = stats_html_scope(&flt, &ents, "fr", NULL);
    CHECK(scope &&
              strcmp(scope, "Recommandations retenues\xc2\xa0: mécanisme Comité contre "
                            "la torture (CAT), entité Ministère de la Justice (MJ), "
                            "position de l'État Acceptée") == 0,
          "fr scope: %s", scope ? scope : "(null)");
    free(scope);
    flt.withdrawn = true;
    scope = stats_html_scope(&flt, &ents, "ar", NULL);
    CHECK(scope && strstr(scope, "لجنة مناهضة التعذيب (CAT)") &&
              strstr(scope, "وزارة العدل (MJ)") && strstr(scope, "مقبولة") &&
              strstr(scope, "المسحوبة"),
          "ar scope: %s", scope ? scope : "(null)");
    fr = s_render(&one, &ents, (stats_html_opts_t){.lang = "ar", .scope = scope}, NULL,
                  "stats-scope");
    HAS(fr, "<p class=\"scope\">التوصيات المشمولة: ");
    free(fr);
    free(scope);

    unit_case = "the annex hook writes before the footer";
    fr = s_render(&one, &ents, (stats_html_opts_t){.lang = "fr", .annex = s_annex}, NULL,
                  "stats-annex");
    char *annex = strstr(fr, "<section id=\"annex\">"), *footer = strstr(fr, "<footer>");
    CHECK(annex && footer && annex < footer, "annex before the footer");
    free(fr);

    free(b1);
    free(b2);
    free(b3);
    msgpack_zone_destroy(&zone);
    return unit_done("stats_page_unit");
}
