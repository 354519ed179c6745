/*  nmirf_vocab - the words a person reads for the values nmirf stores, in
    French, Arabic and English, and the way numbers and dates are written
    in each language.

    The vocabularies are data, not code: data/vocab/KIND.tsv, one line per
    value, `key<TAB>fr<TAB>ar<TAB>en`, edited by translators and embedded
    into every program at build time (so an uninstalled build speaks them
    too) and installed to share/nmirf/vocab/ for other tools. The report,
    the command line and the web console (GET /api/vocab) read the same
    files, so a status or a theme has one name everywhere.

    Keys are the values as stored: a status (`in_progress`), a position
    (`supported`, `not_applicable`), a mechanism (`CAT`), a report state, a
    role; for themes the UHRI theme as an export writes it in English
    ("Administration of justice & fair trial"), matched ignoring ASCII case
    and surrounding blanks; for SDGs the goal number 1..17, which an SDG
    target as imported ("16.3 Promote the rule of law", "16.3", "16") is
    reduced to by its leading number.

    Every string returned is borrowed and static (the embedded tables),
    valid for the life of the program. Nothing here allocates; nothing is
    thread-unsafe. The files are embedded verbatim and parsed once, at the
    first call (pthread_once), in place: the build step stays a byte copy
    and the format's rules live in C, where nmirf_vocab_check and the unit
    test (vocab_unit) reach them.

    Language codes are "fr", "ar", "en", in any ASCII case. Functions
    writing into out (label, fmt_*) always NUL-terminate it when outlen >
    0, cutting what does not fit on a UTF-8 character boundary; with
    outlen 0 they write nothing.
*/
#ifndef NMIRF_VOCAB_H
#define NMIRF_VOCAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    NMIRF_VOCAB_STATUS,       /* implementation status */
    NMIRF_VOCAB_POSITION,     /* the State's response: supported, noted, pending,
                                 not_applicable */
    NMIRF_VOCAB_MECHANISM,    /* UPR, CAT, ..., SP: the body's full name */
    NMIRF_VOCAB_REPORT_STATE, /* submitted, validated, returned */
    NMIRF_VOCAB_ROLE,         /* coordinator, ministry, observer, standby */
    NMIRF_VOCAB_THEME,        /* UHRI themes */
    NMIRF_VOCAB_SDG,          /* the 17 goals */
    NMIRF_VOCAB_KIND_COUNT
} nmirf_vocab_kind_t;

/* The file name (without .tsv) of kind: "statuses", "positions",
   "mechanisms", "report_states", "roles", "themes", "sdgs". NULL if out of
   range. */
const char *nmirf_vocab_kind_name(nmirf_vocab_kind_t kind);

/* The name of key in lang ("fr", "ar", "en"), or NULL when the vocabulary
   has no such key, or lang is none of the three, or the key has no name
   in lang (an empty cell: a translation not written yet). key need not
   be NUL-terminated: keylen bytes. */
const char *nmirf_vocab_find(nmirf_vocab_kind_t kind, const char *key, size_t keylen,
                             const char *lang);

/* What a person reads for key: its name in lang, else in French, else in
   English, else key itself copied into out. Always NUL-terminated in out
   (truncated at outlen - 1 bytes on a UTF-8 boundary); returns out. For
   NMIRF_VOCAB_SDG the result keeps the target's number (its leading run
   of ASCII digits, letters and dots): "16.3 – Paix, justice et
   institutions efficaces" for "16.3 Promote the rule of law". */
char *nmirf_vocab_label(nmirf_vocab_kind_t kind, const char *key, size_t keylen,
                        const char *lang, char *out, size_t outlen);

/* The entries of kind, for listing them (the web console's /api/vocab,
   the command line's help): calls fn once per key, in file order, with
   the names in fr, ar, en (NULL when a cell is empty). */
void nmirf_vocab_each(nmirf_vocab_kind_t kind,
                      void (*fn)(const char *key, const char *fr, const char *ar,
                                 const char *en, void *arg),
                      void *arg);

/* How many keys kind has (0 if out of range). */
size_t nmirf_vocab_count(nmirf_vocab_kind_t kind);

/* The SDG goal (1..17) of a target as imported: its leading number, when
   followed by nothing, '.' or a blank ("16.3 Promote the rule of law",
   "16.a", "16" -> 16); 0 for anything else ("18", "5,5", "SDG 5", ""). */
int nmirf_vocab_sdg_goal(const char *key, size_t keylen);

/* 0 if every built-in file is well formed: a header, four cells a row,
   no key twice, no empty cell (a translation missing). Else -1 with the
   first fault in why ("themes.tsv line 12: Asylum has no ar name").
   Rows with a fault in their shape are left out of the lookups; an empty
   cell is NULL to nmirf_vocab_find and skipped by nmirf_vocab_label. */
int nmirf_vocab_check(char *why, size_t whylen);

/* --- which text to show ------------------------------------------------ */

/* The order in which the languages of a text map {fr?, ar?, en?} are tried
   for a reader of lang: lang first, then the languages of fallback (a
   comma-separated list such as "fr,en", the default when fallback is NULL
   or empty), each once. Writes up to 3 language codes ("fr", "ar", "en",
   static strings) into order and returns how many. Unknown codes in
   fallback are skipped; an unknown lang is treated as "fr". */
size_t nmirf_lang_order(const char *lang, const char *fallback, const char *order[3]);

/* --- numbers and dates as a reader of lang writes them ------------------ */

/* An unsigned count with the language's grouping: "100 000" in French and
   Arabic (U+202F narrow no-break space), "100,000" in English. Returns
   out. */
char *nmirf_fmt_count(uint64_t n, const char *lang, char *out, size_t outlen);

/* A share (0..1) as a percentage with one decimal: "6,1 %" in French
   (decimal comma, U+202F before the sign), "6,1 %" in Arabic as written in
   Morocco (Latin digits), "6.1%" in English; rounded half away from zero,
   "100,0 %" for 1. Not finite: an en dash. Unknown lang: French. Returns
   out. */
char *nmirf_fmt_percent(double share, const char *lang, char *out, size_t outlen);

/* A calendar date YYYY-MM-DD (keylen bytes at iso) written out: "7 mars
   2026", "7 مارس 2026" (the month names used in Morocco), "7 March 2026";
   the first of the month "1er mars 2026" in French; a month YYYY-MM
   likewise ("mars 2026"). Anything else (a day that does not exist
   included) is copied as it is. Unknown lang: French. Returns out. */
char *nmirf_fmt_date(const char *iso, size_t isolen, const char *lang, char *out,
                     size_t outlen);

#endif
