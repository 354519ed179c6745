/*  report_i18n - the annex's and the document's words (report_i18n.h).
    One table, so a translator finds every string in one place; a missing
    translation falls back to English, then to the key.
*/
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nmirf_vocab.h"
#include "report_i18n.h"
#include "stats_html.h"

/* One label in each language. */
typedef struct {
    const char *key; /* what the code asks for */
    const char *fr;  /* French */
    const char *ar;  /* Arabic */
    const char *en;  /* English */
} s_label_t;

static const s_label_t s_labels[] = {
    {"doc_title", "Rapport de suivi des recommandations", "تقرير متابعة التوصيات",
     "Follow-up report on the recommendations"},
    {"annex", "Annexe : les recommandations une à une", "الملحق: التوصيات واحدة واحدة",
     "Annex: the recommendations one by one"},
    /* %zu rows shown, %zu narratives, %zu indicator values */
    {"annex_counts_fmt",
     "%zu recommandations, %zu rapports d'avancement validés, %zu valeurs d'indicateurs.",
     "%zu توصية، %zu تقرير تقدم مصادق عليه، %zu قيمة مؤشر.",
     "%zu recommendations, %zu validated progress reports, %zu indicator values."},
    /* %zu rows left out, %zu rows in all */
    {"left_out_fmt", "%zu recommandations non reproduites ici sur %zu (option --limit).",
     "لم تُدرج هنا %zu توصية من أصل %zu (الخيار "
     "‎--limit‎).",
     "%zu of %zu recommendations left out here (--limit)."},
    {"no_recs", "Aucune recommandation ne correspond.", "لا توجد توصية مطابقة.",
     "No recommendation matches."},
    {"mechanism", "Mécanisme", "الآلية", "Mechanism"},
    {"cycle", "Cycle de l'EPU", "دورة الاستعراض الدوري الشامل", "UPR cycle"},
    {"theme", "Thème", "الموضوع", "Theme"},
    {"entity", "Entité", "الجهة", "Entity"},
    {"position", "Position de l'État", "موقف الدولة", "State's position"},
    /* %s a date */
    {"since_fmt",
     "narratifs et valeurs datés du %s ou après (toutes les recommandations retenues "
     "sont listées)",
     "السرديات والقيم المؤرخة في %s أو بعده (تُدرج كل التوصيات المختارة)",
     "narratives and values dated %s or later (every selected recommendation is listed)"},
    {"group_none", "(aucun)", "(بدون)", "(none)"},
    {"unassigned", "Non attribuée", "غير مسندة", "Unassigned"},
    {"lead", "Entité responsable", "الجهة المسؤولة", "Lead entity"},
    {"contributors", "Entités contributrices", "الجهات المساهمة",
     "Contributing entities"},
    {"status", "Statut de mise en œuvre", "حالة التنفيذ", "Implementation status"},
    {"deadline", "Échéance", "الأجل", "Deadline"},
    {"paragraph", "paragraphe", "الفقرة", "paragraph"},
    {"reports", "Rapports d'avancement validés", "تقارير التقدم المصادق عليها",
     "Validated progress reports"},
    {"no_reports", "Aucun rapport validé.", "لا يوجد تقرير مصادق عليه.",
     "No validated report."},
    /* %s a person's name */
    {"by_fmt", "rédigé par %s", "حرّره %s", "written by %s"},
    {"evidence", "Justificatifs", "الأدلة", "Evidence"},
    {"measures", "Mesures", "التدابير", "Measures"},
    /* %llu the measure's number */
    {"measure_fmt", "Mesure n° %llu", "التدبير رقم %llu", "Measure %llu"},
    {"indicator", "Indicateur", "المؤشر", "Indicator"},
    {"unit", "Unité", "الوحدة", "Unit"},
    {"baseline", "Valeur de référence", "القيمة المرجعية", "Baseline"},
    {"target", "Cible", "الهدف", "Target"},
    {"date", "Date", "التاريخ", "Date"},
    {"value", "Valeur", "القيمة", "Value"},
    {"no_values", "Aucune valeur rapportée.", "لم تُبلَّغ أي قيمة.", "No value reported."},
    /* %s the language's name */
    {"text_in_fmt", "Texte en %s : aucun texte dans la langue du rapport.",
     "النص ب%s: لا يوجد نص بلغة التقرير.", "Text in %s: none in the report's language."},
    {"no_text", "Aucun texte.", "لا يوجد نص.", "No text."},
    /* %llu the stats' sequence, %llu the annex's */
    {"seq_fmt",
     "Les chiffres reflètent le registre à l'événement %llu, l'annexe à l'événement "
     "%llu.",
     "تعكس الأرقام السجل عند الحدث %llu، والملحق عند الحدث %llu.",
     "The figures reflect the register at event %llu, the annex at event %llu."},
    {"summary", "Synthèse", "الملخص", "Summary"},
    {"recs", "Recommandations", "التوصيات", "Recommendations"},
    {"implemented_share", "Mises en œuvre", "المنفَّذة", "Implemented"},
    {"overdue", "En retard", "متأخرة", "Overdue"},
    {"due_soon", "Échéance proche", "يحل أجلها قريباً", "Due soon"},
    {"by_entity", "Statut par entité responsable", "الحالة حسب الجهة المسؤولة",
     "Status by lead entity"},
    {"by_mechanism", "Statut par mécanisme", "الحالة حسب الآلية", "Status by mechanism"},
    {"by_theme", "Statut par thème", "الحالة حسب الموضوع", "Status by theme"},
    {"total", "Total", "المجموع", "Total"},
    {"all", "Ensemble", "المجموع", "All"},
    /* %s the date of the register */
    {"as_of_fmt", "Situation au %s", "الوضع في %s", "As of %s"},
};

const char *
report_i18n(const char *lang, const char *key)
{
    for (size_t i = 0; i < sizeof s_labels / sizeof s_labels[0]; i++) {
        const s_label_t *l = &s_labels[i];
        if (strcmp(l->key, key) != 0)
            continue;
        const char *s = strcmp(lang, "fr") == 0   ? l->fr
                        : strcmp(lang, "ar") == 0 ? l->ar
                                                  : l->en;
        return s ? s : l->en;
    }
    return key;
}

const char *
report_i18n_lang_name(const char *lang, const char *code)
{
    static const s_label_t names[] = {
        {"fr", "français", "الفرنسية", "French"},
        {"ar", "arabe", "العربية", "Arabic"},
        {"en", "anglais", "الإنجليزية", "English"},
    };
    for (size_t i = 0; i < 3; i++)
        if (strcmp(names[i].key, code) == 0)
            return strcmp(lang, "fr") == 0   ? names[i].fr
                   : strcmp(lang, "ar") == 0 ? names[i].ar
                                             : names[i].en;
    return code;
}

const char *
report_i18n_colon(const char *lang)
{
    return strcmp(lang, "fr") == 0 ? "\u00a0: " : ": ";
}

char *
report_i18n_scope(const char *lang, const char *fallback, const nmirf_recfilter_t *f,
                  const msgpack_object *entities, const char *since)
{
    bool has_since = since && *since;
    /* The filter's part is the page's own line (stats_html_scope): one
       wording of a filter for the page, the annex and the document. */
    char *filter = f ? stats_html_scope(f, entities, lang, fallback) : NULL;
    if (!has_since)
        return filter;
    char *text = NULL, buf[64];
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    if (!out) {
        free(filter);
        return NULL;
    }
    if (filter)
        fprintf(out, "%s · ", filter);
    fprintf(out, report_i18n(lang, "since_fmt"),
            nmirf_fmt_date(since, strlen(since), lang, buf, sizeof buf));
    free(filter);
    if (fclose(out)) {
        free(text);
        return NULL;
    }
    return text;
}

char *
report_i18n_number(const msgpack_object *v, const char *lang, char *out, size_t outlen)
{
    if (!outlen)
        return out;
    out[0] = '\0';
    if (!v)
        return out;
    if (v->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
        snprintf(out, outlen, "%llu", (unsigned long long)v->via.u64);
    else if (v->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
        snprintf(out, outlen, "%lld", (long long)v->via.i64);
    else if (v->type == MSGPACK_OBJECT_FLOAT64 || v->type == MSGPACK_OBJECT_FLOAT32) {
        snprintf(out, outlen, "%.15g", v->via.f64);
        if (strcmp(lang, "en") != 0)
            for (char *p = out; *p; p++)
                if (*p == '.')
                    *p = ',';
    }
    return out;
}
