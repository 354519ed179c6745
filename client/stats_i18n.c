/*  stats_i18n - the labels of the report in French, Arabic and English:
    the page (stats_html.c), its annex and the document (report_html.c,
    report_odt.c). One table, so a translator finds every string in one place;
    a missing translation falls back to English, then to the key. The
    names of stored values (statuses, mechanisms, themes, SDGs) are not
    here: they come from the vocabularies (common/vocab, data/vocab), one
    name everywhere.
*/
#include <string.h>

#include "stats_html.h"

/* One label in each language. */
typedef struct {
    const char *key; /* what the code asks for */
    const char *fr;  /* French */
    const char *ar;  /* Arabic */
    const char *en;  /* English */
} s_label_t;

static const s_label_t s_labels[] = {
    {"title", "Suivi des recommandations des mécanismes des droits de l'homme",
     "متابعة توصيات آليات حقوق الإنسان", "Follow-up of human rights recommendations"},
    {"as_of", "Situation au", "الوضع في", "As of"},
    {"generated", "Établi par nmirf à partir de l'état du registre au",
     "أُعدّ بواسطة nmirf انطلاقاً من حالة السجل في",
     "Prepared by nmirf from the register as of"},
    {"recs", "Recommandations", "التوصيات", "Recommendations"},
    {"implemented_share", "Mises en œuvre", "المنفَّذة", "Implemented"},
    {"overdue", "En retard", "متأخرة", "Overdue"},
    {"due_soon", "Échéance dans les %u jours", "يحل أجلها خلال %u يوماً",
     "Due within %u days"},
    {"status_all", "Statut de mise en œuvre", "حالة التنفيذ", "Implementation status"},
    {"by_entity", "Statut par entité responsable", "الحالة حسب الجهة المسؤولة",
     "Status by lead entity"},
    {"by_mechanism", "Statut par mécanisme", "الحالة حسب الآلية", "Status by mechanism"},
    {"by_month", "Évolution dans le temps", "التطور عبر الزمن", "Progress over time"},
    {"by_month_note", "Recommandations par statut à la fin de chaque mois",
     "عدد التوصيات حسب الحالة في نهاية كل شهر",
     "Recommendations by status at the end of each month"},
    {"no_months", "Aucun rapport validé pour l'instant.", "لم يُصادَق على أي تقرير بعد.",
     "No validated report yet."},
    {"overdue_list", "Recommandations en retard", "التوصيات المتأخرة",
     "Overdue recommendations"},
    {"no_overdue", "Aucune recommandation en retard.", "لا توجد توصيات متأخرة.",
     "No overdue recommendations."},
    /* Arguments: shown, in all (counts already written in the language). */
    {"shown", "%s affichées sur %s (--limit pour davantage).",
     "معروض %s من أصل %s (--limit لعرض المزيد).", "%s shown of %s (--limit for more)."},
    {"col_rec", "Recommandation", "التوصية", "Recommendation"},
    {"col_lead", "Entité responsable", "الجهة المسؤولة", "Lead entity"},
    {"col_deadline", "Échéance", "الأجل", "Deadline"},
    {"col_days_late", "Jours de retard", "أيام التأخير", "Days late"},
    {"col_status", "Statut", "الحالة", "Status"},
    {"col_text", "Texte", "النص", "Text"},
    {"col_count", "Nombre", "العدد", "Count"},
    {"col_share", "Part", "النسبة", "Share"},
    {"col_total", "Total", "المجموع", "Total"},
    {"unassigned", "Non assignées", "غير مسنَدة", "Unassigned"},
    {"none", "Non renseigné", "غير محدد", "Not given"},
    {"by_treaty", "Par organe conventionnel", "حسب هيئة المعاهدة", "By treaty body"},
    {"by_cycle", "Par cycle de l'EPU", "حسب دورة الاستعراض الدوري الشامل",
     "By UPR cycle"},
    {"by_theme", "Par thème", "حسب الموضوع", "By theme"},
    {"by_sdg", "Par cible des ODD", "حسب غايات أهداف التنمية المستدامة", "By SDG target"},
    /* Arguments: how many rows were left out, how many are shown (both
       counts already written in the language). */
    {"more_rows",
     "%s autres lignes non affichées (au plus %s par tableau, à la demande).",
     "%s صفوف أخرى غير معروضة (%s صفاً على الأكثر في كل جدول، بطلب).",
     "%s more rows not shown (at most %s a table, as asked)."},
    {"by_position", "Par position de l'État", "حسب موقف الدولة",
     "By the State's position"},
    {"col_position", "Position", "الموقف", "Position"},
    /* The scope line (stats_html_scope): the lead, then "LABEL VALUE"
       parts separated by scope_sep. */
    {"scope", "Recommandations retenues\u00a0: ", "التوصيات المشمولة: ",
     "Recommendations covered: "},
    {"scope_sep", ", ", "، ", ", "},
    {"scope_mechanism", "mécanisme", "الآلية", "mechanism"},
    {"scope_cycle", "cycle", "الدورة", "cycle"},
    {"scope_theme", "thème", "الموضوع", "theme"},
    {"scope_entity", "entité", "الجهة", "entity"},
    {"scope_position", "position de l'État", "موقف الدولة", "the State's position"},
    {"scope_withdrawn", "y compris les recommandations retirées",
     "بما في ذلك التوصيات المسحوبة", "withdrawn recommendations included"},
    {"col_mechanism", "Mécanisme", "الآلية", "Mechanism"},
    {"col_cycle", "Cycle", "الدورة", "Cycle"},
    {"col_theme", "Thème", "الموضوع", "Theme"},
    {"col_sdg", "Objectif de développement durable", "هدف التنمية المستدامة",
     "Sustainable Development Goal"},
    /* --- the annex and the document (report_html.c, report_odt.c) --- */
    {"doc_title", "Rapport de suivi des recommandations", "تقرير متابعة التوصيات",
     "Follow-up report on the recommendations"},
    {"annex", "Annexe : les recommandations une à une", "الملحق: التوصيات واحدة واحدة",
     "Annex: the recommendations one by one"},
    /* %zu rows shown, %zu narratives, %zu indicator values */
    {"annex_counts_fmt",
     "Recommandations : %zu · rapports d'avancement validés : %zu · valeurs "
     "d'indicateurs : %zu.",
     "التوصيات: %zu · تقارير التقدم المصادق عليها: %zu · قيم المؤشرات: %zu.",
     "Recommendations: %zu · validated progress reports: %zu · indicator values: %zu."},
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
    {"unassigned_one", "Non attribuée", "غير مسندة", "Unassigned"},
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
    {"due_soon_short", "Échéance proche", "يحل أجلها قريباً", "Due soon"},
    {"status_by_theme", "Statut par thème", "الحالة حسب الموضوع", "Status by theme"},
    {"total", "Total", "المجموع", "Total"},
    {"all", "Ensemble", "المجموع", "All"},
    /* %s the date of the register */
    {"as_of_fmt", "Situation au %s", "الوضع في %s", "As of %s"},
};

const char *
stats_i18n(const char *lang, const char *key)
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
