/*  nmirf_schema - the protocol's facts, spelled once (PROTOCOL.md
    sections 5, 6 and 7): the value sets with their wire names, the limits,
    and the field tables of the bodies that both the broker and a client
    check.

    The broker stays the authority: daemon/body.c reads a body against a
    field table and refuses with the messages of PROTOCOL.md section 5.
    One checker reads the tables (nmirf_fields.h), for the broker, the
    agent's control codec and the console's forms alike.
    The CLI's pre-checks (client/cli_args.c and the cli_cmds_*.c), the
    importers (common/records/nmirf_rec.c) and the HTML report take the same sets
    and limits from here, so a client refuses exactly what the broker
    would, and naming a new value or changing a limit is one edit.

    Everything here is constant data with static storage: nothing to free,
    safe from any thread.
*/
#ifndef NMIRF_SCHEMA_H
#define NMIRF_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>

/* --- limits (PROTOCOL.md section 6 unless said) ------------------------ */

/* A short string: a name, symbol, cycle, theme, indicator name or unit.
   Enough for any UN document symbol or theme label, small enough that a
   list of them stays well under the 1 MiB envelope. */
#define NMIRF_SHORT_MAX 512
/* A text: a recommendation's text in one language, a narrative, a reason.
   UN recommendations run to a few KiB; 32 KiB leaves room for the longest
   with its response, and 32 of them fit an envelope. */
#define NMIRF_TEXT_MAX (32 * 1024)
/* An evidence link of a report: four short strings, since real links
   (document stores, query strings) outgrow 512 bytes. */
#define NMIRF_EVIDENCE_MAX (4 * NMIRF_SHORT_MAX)
/* A person's name, the `by` of a report: who at the ministry wrote it, as
   the console records it. A label on one line, not a text: 128 bytes hold
   a full name of 60 Arabic letters (two bytes each) with room to spare,
   and keep it short in every table and log line that shows it. */
#define NMIRF_PERSON_MAX 128
/* Items in one list field (states, themes, contributors, points ...):
   256 short strings still fit an envelope. */
#define NMIRF_LIST_MAX 256
/* A value-set string on the wire: longer than any wire name, so an
   unknown value is refused as unknown, not as too long. */
#define NMIRF_ENUM_MAX 64
/* A date is YYYY-MM-DD. */
#define NMIRF_DATE_LEN 10
/* Ids: entity ids [A-Z0-9_-]{1,16}, recommendation ids
   [A-Za-z0-9._/:-]{1,64}. An entity id is a short label a person types;
   a recommendation id holds a UN symbol and paragraph. */
#define NMIRF_ENTITY_ID_MAX 16
#define NMIRF_REC_ID_MAX 64
/* A number in a body: integers up to 10^15 are exact in a double. */
#define NMIRF_NUMBER_MAX 1e15
/* Recommendations in one rec.import: one country's whole UPR cycle is a
   few hundred; 5,000 bounds the work of one request (and one commit). */
#define NMIRF_IMPORT_MAX 5000
/* `limit` of rec.list, report.list and measure.list (section 6, Reads). */
#define NMIRF_LIST_DEFAULT 1000
#define NMIRF_LIST_LIMIT_MAX 100000
/* `limit` of events.since: a page of the log, the rest fetched again. */
#define NMIRF_EVENTS_DEFAULT 1000
#define NMIRF_EVENTS_MAX 10000
/* due_soon_days: the broker's reminder horizon by default (its setting
   due_soon_days, whose default this is; the agent's `mine` and queries
   take the same), at most ten years; and stats' overdue / due-soon lists. */
#define NMIRF_DUE_SOON_DEFAULT 14
#define NMIRF_DUE_SOON_MAX 3650
#define NMIRF_STATS_LIST_DEFAULT 1000
#define NMIRF_STATS_LIST_MAX 10000

/* --- value sets -------------------------------------------------------- */

/* A value set: its wire names in protocol order, NULL-terminated, so that
   names can be given as is to anything that takes a NULL-terminated set
   (cli_check_enum). An enum below gives each set's indexes a name. */
typedef struct {
    const char *name;         /* what the set is, as PROTOCOL.md says: "role" */
    const char *const *names; /* wire names, NULL-terminated */
    int count;                /* names before the NULL */
} nmirf_valueset_t;

typedef enum {
    NMIRF_ROLE_COORDINATOR,
    NMIRF_ROLE_MINISTRY,
    NMIRF_ROLE_OBSERVER,
    NMIRF_ROLE_STANDBY, /* a standby broker: follows the stream, writes nothing */
    NMIRF_ROLE_COUNT
} nmirf_role_t;

typedef enum {
    NMIRF_ENTITY_ACTIVE,
    NMIRF_ENTITY_REVOKED,
    NMIRF_ENTITY_STATE_COUNT
} nmirf_entity_state_t;

/* UN treaty bodies, the UPR and special procedures (SP). */
typedef enum {
    NMIRF_MECH_UPR,
    NMIRF_MECH_CAT,
    NMIRF_MECH_CCPR,
    NMIRF_MECH_CESCR,
    NMIRF_MECH_CEDAW,
    NMIRF_MECH_CERD,
    NMIRF_MECH_CRC,
    NMIRF_MECH_CRPD,
    NMIRF_MECH_CMW,
    NMIRF_MECH_CED,
    NMIRF_MECH_SP,
    NMIRF_MECH_COUNT
} nmirf_mechanism_t;

/* The state's position on a recommendation. */
typedef enum {
    NMIRF_RESP_SUPPORTED,
    NMIRF_RESP_NOTED,
    NMIRF_RESP_PENDING,
    NMIRF_RESP_NOT_APPLICABLE, /* treaty bodies and special procedures ask for none */
    NMIRF_RESP_COUNT
} nmirf_response_t;

/* A recommendation's implementation status; the order is the protocol's
   and the one stats and the report count in. */
typedef enum {
    NMIRF_STATUS_NOT_STARTED,
    NMIRF_STATUS_IN_PROGRESS,
    NMIRF_STATUS_PARTIALLY_IMPLEMENTED,
    NMIRF_STATUS_IMPLEMENTED,
    NMIRF_STATUS_NOT_IMPLEMENTED,
    NMIRF_STATUS_COUNT
} nmirf_status_t;

typedef enum {
    NMIRF_REPORT_SUBMITTED,
    NMIRF_REPORT_VALIDATED,
    NMIRF_REPORT_RETURNED,
    NMIRF_REPORT_STATE_COUNT
} nmirf_report_state_t;

/* Event kinds (section 7). */
typedef enum {
    NMIRF_EV_ENTITY_ENROLLED,
    NMIRF_EV_ENTITY_REVOKED,
    NMIRF_EV_ENTITY_ROTATED,
    NMIRF_EV_REC_ADDED,
    NMIRF_EV_REC_UPDATED,
    NMIRF_EV_ASSIGNMENT_SET,
    NMIRF_EV_REPORT_SUBMITTED,
    NMIRF_EV_REPORT_VALIDATED,
    NMIRF_EV_REPORT_RETURNED,
    NMIRF_EV_MEASURE_ADDED,
    NMIRF_EV_MEASURE_UPDATED,
    NMIRF_EV_DEADLINE_DUE_SOON,
    NMIRF_EV_DEADLINE_OVERDUE,
    NMIRF_EV_REC_WITHDRAWN,  /* a recommendation withdrawn from the list */
    NMIRF_EV_REC_MERGED,     /* one merged into another, and withdrawn */
    NMIRF_EV_ENTITY_UPDATED, /* an entity's names or contact changed */
    NMIRF_EV_KIND_COUNT
} nmirf_event_kind_t;

/* The languages of a text map {fr?, ar?, en?}, in the order the broker
   stores them. */
typedef enum {
    NMIRF_LANG_FR,
    NMIRF_LANG_AR,
    NMIRF_LANG_EN,
    NMIRF_LANG_COUNT
} nmirf_lang_t;

extern const nmirf_valueset_t nmirf_roles;
extern const nmirf_valueset_t nmirf_entity_states;
extern const nmirf_valueset_t nmirf_mechanisms;
extern const nmirf_valueset_t nmirf_responses;
extern const nmirf_valueset_t nmirf_statuses;
extern const nmirf_valueset_t nmirf_report_states;
extern const nmirf_valueset_t nmirf_event_kinds;
/* The kinds the PUB carries, the public feed (section 7): what the
   country publishes anyway. */
extern const nmirf_valueset_t nmirf_public_kinds;
extern const nmirf_valueset_t nmirf_langs;
/* The error codes' wire names (section 5), indexed by nmirf_code_t:
   nmirf_codes.c names codes through this set. */
extern const nmirf_valueset_t nmirf_code_names;

/* The index of the n bytes at s in set, or -1 if it is none of them (s
   need not be NUL-terminated). */
int nmirf_valueset_find(const nmirf_valueset_t *set, const char *s, size_t n);

/* True if the C string s is in set. */
bool nmirf_valueset_has(const nmirf_valueset_t *set, const char *s);

/* The wire name of index i, or NULL if i is out of range. Borrowed. */
const char *nmirf_valueset_name(const nmirf_valueset_t *set, int i);

/* --- dates -------------------------------------------------------------- */

/* True if the len bytes at s are a calendar date YYYY-MM-DD from 1900 on
   (section 6): what a NMIRF_FIELD_DATE is, for the broker, the agent's
   control protocol and every client alike. s need not be NUL-terminated. */
bool nmirf_date_valid(const char *s, size_t len);

/* --- one-line labels --------------------------------------------------- */

/* True if the len bytes at s hold no control character: no C0 byte
   (0x00-0x1f), no DEL (0x7f), no C1 character (U+0080-U+009F, the bytes
   c2 80 to c2 9f). What a NMIRF_FIELD_LINE is besides its length: a label
   shown on one line, that cannot move a terminal's cursor or break a log
   line. s is already valid UTF-8 (the envelope's check) and need not be
   NUL-terminated. */
bool nmirf_line_valid(const char *s, size_t len);

/* --- field tables ------------------------------------------------------ */

/* The type of a body field, and so which check it gets. */
typedef enum {
    NMIRF_FIELD_STR,       /* string of 1..max bytes, no NUL */
    NMIRF_FIELD_LINE,      /* string of 1..max bytes, no control character
                              (nmirf_line_valid) */
    NMIRF_FIELD_ENUM,      /* string, one of set */
    NMIRF_FIELD_DATE,      /* string YYYY-MM-DD, a real date */
    NMIRF_FIELD_REC_ID,    /* a recommendation id */
    NMIRF_FIELD_ENTITY_ID, /* an entity id */
    NMIRF_FIELD_UINT,      /* unsigned integer */
    NMIRF_FIELD_STR_LIST,  /* at most NMIRF_LIST_MAX strings of 1..max bytes */
    NMIRF_FIELD_LANGS,     /* map {fr?, ar?, en?} of strings of 1..max bytes */
    NMIRF_FIELD_NUMBER,    /* int or float, finite, |v| <= NMIRF_NUMBER_MAX */
    NMIRF_FIELD_POINTS,    /* at most NMIRF_LIST_MAX {date, value}, dates unique */
    NMIRF_FIELD_BIN,       /* bin of exactly max bytes, always required */
    NMIRF_FIELD_BOOL,      /* true or false */
} nmirf_field_type_t;

/* One key of a body. */
typedef struct {
    const char *key;             /* the key on the wire */
    nmirf_field_type_t type;     /* its type */
    bool required;               /* refused if absent (nil is absent) */
    size_t max;                  /* bytes of a string, of each list item or text;
                                    a bin's exact length */
    const nmirf_valueset_t *set; /* NMIRF_FIELD_ENUM: its values */
} nmirf_field_t;

/* The body of one operation, or one record inside a body. Fields are
   checked in this order, so the first refusal is always the same one. */
typedef struct {
    const char *name;            /* "rec.import" or "recommendation" */
    const nmirf_field_t *fields; /* count entries */
    int count;                   /* fields; no other key is allowed */
} nmirf_fields_t;

/* A recommendation as rec.import takes it (section 6, Records), without
   `updated`: the broker's import check and `nmirf rec import`'s. Its
   order is the stored record's canonical key order. */
extern const nmirf_fields_t nmirf_fields_recommendation;
/* Bodies of the writes whose values the CLI, the agent or the console
   check before sending. */
extern const nmirf_fields_t nmirf_fields_entity_enroll;
extern const nmirf_fields_t nmirf_fields_report_submit;
extern const nmirf_fields_t nmirf_fields_report_validate;
extern const nmirf_fields_t nmirf_fields_report_return;
extern const nmirf_fields_t nmirf_fields_rec_assign;
extern const nmirf_fields_t nmirf_fields_rec_list;
extern const nmirf_fields_t nmirf_fields_report_list;
/* Repairing the list (section 6): withdraw one recommendation, merge one
   into another; and an entity's names and contact. */
extern const nmirf_fields_t nmirf_fields_rec_withdraw;
extern const nmirf_fields_t nmirf_fields_rec_merge;
extern const nmirf_fields_t nmirf_fields_entity_update;
/* A measure's indicator {name, unit?, baseline?, target, schedule?} as
   measure.add and measure.update take it. */
extern const nmirf_fields_t nmirf_fields_indicator;

/* Fields of one table, at most: a reader may keep a table's keys in an
   array of this size. */
#define NMIRF_FIELDS_MAX 32

/* The field of fields named key, or NULL. Borrowed. */
const nmirf_field_t *nmirf_fields_find(const nmirf_fields_t *fields, const char *key);

/* The limit (max) and the value set of the field of fields named key,
   for a client's pre-checks: 0 and NULL if fields has no such key or it
   has no limit or set (a programmer's error, asserted). */
size_t nmirf_fields_max(const nmirf_fields_t *fields, const char *key);
const nmirf_valueset_t *nmirf_fields_set(const nmirf_fields_t *fields, const char *key);

#endif
