/*  nmirf_notify - the agent's notifications (topic `n`) and applied
    events (topic `e`), CONTROL.md section 6.

    The one place that turns a notification into its JSON text and back:
    the agent encodes (client/agent/notify.c), and everything that reads
    a notification decodes: `nmirf watch`, the tests, the web console. The
    text is what the agent publishes on ipc://DIR/notify.sock (frame
    [n][text]), writes to the hook's stdin and appends to --notify-log, so
    the encoder's output is a contract: keys in the order
    kind, seq, event, subject, rec?, deadline?, reason?, data, compact
    (no spaces), one line.

    Why JSON with jansson here, when the rest of proto/ is msgpack: the
    notification is JSON on the wire (a hook is a shell script, the log a
    JSON-lines file), so its codec speaks JSON; and its spec and vectors
    live in proto/ beside the control protocol they belong to. It is built
    as its own library (nmirf_notify, CMakeLists.txt) so that nmirf_proto,
    and the broker that links it, stay free of jansson.

    The decoder takes untrusted text: its size is checked first, then
    jansson parses it (UTF-8 and syntax checked, duplicate keys refused),
    then the kind and every field's type and size. Keys it does not know
    are ignored, as CONTROL.md asks of a client; a kind it does not know is
    refused with NMIRF_E_UNKNOWN_OP, which a client must skip.
*/
#ifndef NMIRF_NOTIFY_H
#define NMIRF_NOTIFY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nmirf_codes.h"
#include "nmirf_schema.h"
#include "nmirf_wire.h"

#define NMIRF_NOTIFY_MAX                                                                 \
    (4 * 1024 * 1024)                            /* one text, bytes: an event's          \
                                                    data (a request of at most           \
                                                    NMIRF_MAX_ENVELOPE) in JSON,         \
                                                    its bin as hex */
#define NMIRF_NOTIFY_SUBJECT_MAX NMIRF_SHORT_MAX /* subject, bytes */
#define NMIRF_NOTIFY_REASON_MAX NMIRF_TEXT_MAX   /* reason, message, bytes */
#define NMIRF_NOTIFY_CODE_MAX 31                 /* refused: the code as sent */
#define NMIRF_NOTIFY_HANDSHAKE "handshake"       /* key_refused: its `event` */
/* key_refused: its `reason`. */
#define NMIRF_NOTIFY_KEY_REFUSED_REASON                                                  \
    "the broker refused this agent's key: the entity is not enrolled, was revoked, or "  \
    "its key was rotated"

/* The kinds, in CONTROL.md's order; nmirf_notify_kinds names them. */
typedef enum {
    NMIRF_NOTIFY_ASSIGNED,          /* assignment.set names us */
    NMIRF_NOTIFY_UNASSIGNED,        /* assignment.set no longer names us */
    NMIRF_NOTIFY_VALIDATED,         /* report.validated of our report */
    NMIRF_NOTIFY_RETURNED,          /* report.returned of our report */
    NMIRF_NOTIFY_REC_UPDATED,       /* rec.updated of a recommendation of ours */
    NMIRF_NOTIFY_DEADLINE_DUE_SOON, /* deadline.due_soon naming us */
    NMIRF_NOTIFY_DEADLINE_OVERDUE,  /* deadline.overdue naming us */
    NMIRF_NOTIFY_MEASURE_ADDED,     /* measure.added concerning us */
    NMIRF_NOTIFY_MEASURE_UPDATED,   /* measure.updated concerning us */
    NMIRF_NOTIFY_REFUSED,           /* the broker refused an outbox entry for good */
    NMIRF_NOTIFY_KEY_REFUSED,       /* the broker refused our key in the handshake */
    NMIRF_NOTIFY_KIND_COUNT
} nmirf_notify_kind_t;

/* The kinds' wire names ("assigned", ..., "key_refused"), indexed by
   nmirf_notify_kind_t. */
extern const nmirf_valueset_t nmirf_notify_kinds;

/* True if kind is made from a broker event (not refused, key_refused). */
bool nmirf_notify_from_event(nmirf_notify_kind_t kind);

/* One notification. Strings are borrowed: from the caller on encode,
   from root on decode (valid until nmirf_notify_release). */
typedef struct {
    nmirf_notify_kind_t kind; /* which notification */
    uint64_t seq;             /* the event's; refused: the reply's; key_refused:
                                 the replica's */
    const char *event;        /* the event's kind; refused: the operation;
                                 key_refused: NMIRF_NOTIFY_HANDSHAKE */
    const char *subject;      /* the event's subject; refused: the request id in
                                 hex; key_refused: our entity */
    const char *rec;          /* the recommendation, NULL if none */
    const char *deadline;     /* YYYY-MM-DD, NULL if none */
    const char *reason;       /* why (returned, refused, key_refused), NULL if none */
    json_t *data;             /* event kinds: the event's data, an object
                                 (borrowed); the other two build theirs from
                                 the fields below */
    /* refused: data {id, op: event, code, message} */
    uint8_t id[NMIRF_ID_LEN]; /* the request id (subject, in hex) */
    const char *code;         /* the broker's code as sent ("forbidden") */
    const char *message;      /* the broker's message */
    /* key_refused: data {entity: subject, pending} */
    uint64_t pending; /* outbox entries waiting */
    json_t *root;     /* decode: the parsed text, which owns every
                         string above; NULL after encode's caller
                         fills the struct by hand */
} nmirf_notify_t;

/* Encodes n into its text (caller frees), or returns NULL if n is out of
   range (an unknown kind, a missing field, data not an object) or memory
   ran out (or a string is not UTF-8). refused: subject is ignored, the
   hex of id is sent as subject and data.id, event as data.op;
   key_refused: subject is sent as data.entity. */
char *nmirf_notify_encode(const nmirf_notify_t *n);

/* Decodes an untrusted text of len bytes (need not be NUL-ended).
   Returns NMIRF_OK and fills n (release it), or TOO_LARGE (over
   NMIRF_NOTIFY_MAX, or a field over its limit), BAD_FRAME (empty),
   BAD_REQUEST (not one JSON object, a field missing or of the wrong type
   or shape) or UNKNOWN_OP (a kind this version does not know), with a
   reason in why; n is then empty (nothing to release). */
nmirf_code_t nmirf_notify_decode(const char *text, size_t len, nmirf_notify_t *n,
                                 char *why, size_t whylen);

/* Frees what a decode holds and empties n; safe on an empty n. */
void nmirf_notify_release(nmirf_notify_t *n);

/* --- topic `e`: the events the replica applies -------------------------- */

#define NMIRF_NOTIFY_SNAPSHOT "snapshot" /* the kind after a snapshot loaded */
#define NMIRF_NOTIFY_ENTITIES_MAX                                                        \
    1024 /* entities of one event: a lead and                                            \
            contributors, new and previous */

/* One applied event as topic `e` carries it:
   {"seq":N,"kind":K,"subject":S,"author":A,"rec":R?,"entities":[...]},
   or {"seq":N,"kind":"snapshot"} after a snapshot was loaded. Strings are
   borrowed: from the caller on encode, from root on decode (valid until
   nmirf_notify_event_release). */
typedef struct {
    uint64_t seq;                /* the event's; snapshot: the replica's */
    const char *kind;            /* an event kind, or NMIRF_NOTIFY_SNAPSHOT */
    const char *subject;         /* the event's subject (not for snapshot) */
    const char *author;          /* its author, "-" for the broker */
    const char *rec;             /* the recommendation it concerns, NULL if none */
    const char *const *entities; /* the entities it concerns (decode: an array
                                    the release frees) */
    size_t entity_count;         /* how many */
    json_t *root;                /* decode: the parsed text, owner of the strings */
} nmirf_notify_event_t;

/* Encodes e into its text (caller frees): keys in the order above,
   compact, one line; snapshot: seq and kind only. NULL if e is out of
   range (no kind, a missing subject or author) or memory ran out. */
char *nmirf_notify_event_encode(const nmirf_notify_event_t *e);

/* Decodes an untrusted text of len bytes (need not be NUL-ended).
   Returns NMIRF_OK and fills e (release it), or TOO_LARGE (over
   NMIRF_NOTIFY_MAX, a string over its limit, more than
   NMIRF_NOTIFY_ENTITIES_MAX entities), BAD_FRAME (empty), BAD_REQUEST
   (not one JSON object, a field missing or of the wrong type) or
   UNKNOWN_OP (a kind that is neither an event kind of PROTOCOL.md
   section 7 nor `snapshot`), or INTERNAL (out of memory), with a reason
   in why; e is then empty. Unknown keys are ignored. */
nmirf_code_t nmirf_notify_event_decode(const char *text, size_t len,
                                       nmirf_notify_event_t *e, char *why, size_t whylen);

/* Frees what a decode holds and empties e; safe on an empty e. */
void nmirf_notify_event_release(nmirf_notify_event_t *e);

#endif
