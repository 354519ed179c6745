/*  report_model - what the follow-up report's annex holds: which
    recommendations, in which groups and in which order, with which
    validated narratives, measures and indicator values. Built once from a
    `snapshot` reply (PROTOCOL.md section 6) and read by both renderers,
    report_html.c (the page's annex) and report_odt.c (the document), so
    that the page and the document say the same thing.

    The selection is nmirf_recfilter_match over the snapshot's records, the
    predicate the broker's `stats` counts with: the figures and the rows
    under them are about the same recommendations.

    The model borrows the snapshot: every msgpack_object pointer in it
    points into the snapshot reply, which must outlive the model. The
    model owns its arrays and the group keys; report_model_destroy frees
    them.
*/
#ifndef REPORT_MODEL_H
#define REPORT_MODEL_H

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nmirf_recfilter.h"

/* How the annex is grouped (--group). */
typedef enum {
    REPORT_BY_MECHANISM, /* by mechanism, in the protocol's order (UPR, CAT, ..., SP) */
    REPORT_BY_CYCLE,     /* by `cycle`, "-" for none */
    REPORT_BY_THEME,     /* under each of its themes, "-" for none */
    REPORT_BY_ENTITY,    /* by lead entity, "-" for unassigned */
} report_by_t;

/* The --group names, in report_by_t's order, NULL-terminated. */
extern const char *const report_by_names[];

/* What the annex selects. Borrowed for report_model_new. */
typedef struct {
    report_by_t by;                  /* the grouping */
    const nmirf_recfilter_t *filter; /* which recommendations; NULL: every one
                                        not withdrawn */
    const char *since;               /* YYYY-MM-DD: narratives and indicator values
                                        dated on or after it only; NULL: all */
    size_t limit;                    /* rows of the annex at most; 0: every row */
} report_model_opts_t;

/* One recommendation of the annex. */
typedef struct {
    const msgpack_object *rec;        /* the recommendation record (a map) */
    const msgpack_object *assignment; /* its assignment, or NULL if unassigned */
    const char *status;               /* its implementation status (static or
                                         borrowed, NUL-terminated) */
    const msgpack_object **reports;   /* its validated reports dated on or after
                                         since, oldest first (date, then id) */
    size_t nreports;                  /* how many */
    const msgpack_object **measures;  /* the measures linked to it, by id */
    size_t nmeasures;                 /* how many */
} report_rec_t;

/* One group of the annex. */
typedef struct {
    char *key;                 /* the group's key as stored ("UPR", "4", a theme, an
                                  entity id), "-" for none; owned */
    const report_rec_t **recs; /* its rows, in id order; into the model's recs */
    size_t n;                  /* how many (after the limit) */
} report_group_t;

/* The annex. Read-only for the renderers. */
typedef struct report_model_s {
    report_rec_t *recs;             /* every selected recommendation, in id order */
    size_t nrecs;                   /* how many */
    report_group_t *groups;         /* the groups shown (after the limit), in order */
    size_t ngroups;                 /* how many */
    size_t rows;                    /* rows shown (a recommendation under two themes
                                       is two rows) */
    size_t rows_total;              /* rows before the limit */
    size_t narratives;              /* narratives shown (in the rows shown) */
    size_t values;                  /* indicator values shown (in the rows shown) */
    const msgpack_object *entities; /* the snapshot's entities (a list), or NULL */
    uint64_t seq;                   /* the sequence the snapshot reflects */
    report_by_t by;                 /* the grouping */
    char since[11];                 /* the --since date, "" for none */
    bool filtered; /* a filter selected fewer than every recommendation */
    const msgpack_object **keep_reports;  /* owned: the array reports slice */
    const msgpack_object **keep_measures; /* owned: the array measures slice */
} report_model_t;

/* Builds the model of a snapshot reply body. Returns it (caller destroys),
   or NULL with why set when the body is not a snapshot (a key missing or
   of the wrong type) or memory ran out. */
report_model_t *report_model_new(const msgpack_object *snapshot,
                                 const report_model_opts_t *opts, char *why,
                                 size_t whylen);

/* Frees the model and sets *self_p to NULL; safe on NULL. */
void report_model_destroy(report_model_t **self_p);

/* True if a date (a msgpack str YYYY-MM-DD) is shown under the model's
   --since: on or after it, or there is no since. */
bool report_model_dated_in(const report_model_t *self, const msgpack_object *date);

/* The entity record of id in the snapshot, or NULL. */
const msgpack_object *report_model_entity(const report_model_t *self,
                                          const msgpack_object *id);

/* The text of a {fr?, ar?, en?} map for a reader of lang, trying
   nmirf_lang_order(lang, fallback): the string object, and in *shown the
   language it is in ("fr", "ar", "en"; static). NULL (and *shown NULL) if
   none is there. */
const msgpack_object *report_text_pick(const msgpack_object *text, const char *lang,
                                       const char *fallback, const char **shown);

#endif
