/*  report_i18n - what the follow-up report's annex and document
    (report_html.c, report_odt.c) write in the reader's language beyond
    labels: the names of languages, the colon, the scope line that says
    what the report covers, numbers.

    Their labels are in the one table of the report's words, stats_i18n
    (stats_i18n.c, the page's too); values as stored (statuses,
    positions, mechanisms, themes) are named by the shared vocabularies
    (nmirf_vocab.h).
*/
#ifndef REPORT_I18N_H
#define REPORT_I18N_H

#include <msgpack.h>
#include <stddef.h>

#include "nmirf_recfilter.h"

/* The name of a language code ("fr", "ar", "en") in lang: "arabe",
   "العربية", "Arabic". Borrowed, static; the code itself if unknown. */
const char *report_i18n_lang_name(const char *lang, const char *code);

/* What follows a label in lang: ": ", with a no-break space before the
   colon in French. Static. */
const char *report_i18n_colon(const char *lang);

/* The scope line in lang: what the filter f (NULL: every
   recommendation; its wording is stats_html_scope's, entity names from
   entities, an entity.list body or a snapshot, in the order of
   fallback) and since (NULL or "": none) select, e.g. "Recommandations
   retenues : mécanisme Examen périodique universel (EPU) · narratifs et
   valeurs depuis le 1er janvier 2026 ...". NULL when there is nothing to
   say (no filter, no since). Caller frees. */
char *report_i18n_scope(const char *lang, const char *fallback,
                        const nmirf_recfilter_t *f, const msgpack_object *entities,
                        const char *since);

/* A number as a reader of lang writes it: an integer as it is, a
   fraction with up to 15 significant digits and a decimal comma in
   French and Arabic. v is a msgpack int or float object; anything else
   writes "". Returns out. */
char *report_i18n_number(const msgpack_object *v, const char *lang, char *out,
                         size_t outlen);

#endif
