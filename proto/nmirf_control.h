/*  nmirf_control - the agent's control protocol, version 1 (CONTROL.md).

    The one place that turns control requests and the fixed reply bodies
    into bytes and back, for every client of ipc://DIR/agent.sock (the
    nmirf CLI, the tests, the web console) and for the agent itself. A
    request is one frame, a map {v?, op, body?}; a reply is one frame in
    the broker's reply format (PROTOCOL.md section 4, nmirf_reply_encode
    and nmirf_reply_decode) with id nil.

    Decoders take untrusted bytes or objects: sizes are checked first,
    nmirf_mp_check() runs before anything is unpacked, every field's type
    and range is checked, and unknown keys are refused. They report the
    protocol's error code with a reason in why, whylen. Nothing here
    touches a socket or the replica.
*/
#ifndef NMIRF_CONTROL_H
#define NMIRF_CONTROL_H

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nmirf_codes.h"
#include "nmirf_mp.h"
#include "nmirf_schema.h"
#include "nmirf_wire.h"

/* The control protocol's own limits. What it shares with the broker's
   protocol comes from nmirf_schema.h: a recommendation id's length
   (NMIRF_REC_ID_MAX), an entity id's (NMIRF_ENTITY_ID_MAX), the due-soon
   horizon's bound (NMIRF_DUE_SOON_MAX), the statuses and mechanisms
   (nmirf_statuses, nmirf_mechanisms) and what a date is
   (nmirf_date_valid). */
#define NMIRF_CONTROL_VERSION 1                /* `v` of a request */
#define NMIRF_CONTROL_MAX (2 * 1024 * 1024)    /* one request frame, bytes */
#define NMIRF_CONTROL_WAIT_MAX_MS 600000       /* longest wait_ms of a submit */
#define NMIRF_CONTROL_LIMIT_DEFAULT 50         /* rec.list page, items */
#define NMIRF_CONTROL_LIMIT_MAX 500            /* largest rec.list page */
#define NMIRF_CONTROL_OFFSET_MAX 1000000000ULL /* largest rec.list offset */
#define NMIRF_CONTROL_QUERY_MAX 256            /* rec.list text search, bytes */
#define NMIRF_CONTROL_ASK_WAIT_DEFAULT_MS 5000 /* an ask's wait when not given */
#define NMIRF_CONTROL_ASK_WAIT_MAX_MS 30000    /* longest wait_ms of an ask */

/* The operations. */
typedef enum {
    NMIRF_CTL_SUBMIT,       /* queue a signed write, maybe wait for its answer */
    NMIRF_CTL_MINE,         /* our assignments and their deadlines */
    NMIRF_CTL_OUTBOX,       /* submissions and their outbox state */
    NMIRF_CTL_STATUS,       /* the agent's own state */
    NMIRF_CTL_DIGEST,       /* the replica's digest */
    NMIRF_CTL_REC_LIST,     /* recommendations, filtered and paged */
    NMIRF_CTL_REC_SHOW,     /* one recommendation with its history */
    NMIRF_CTL_MEASURE_LIST, /* measures, ours or one recommendation's */
    NMIRF_CTL_ASK,          /* a read-only broker operation, forwarded */
    NMIRF_CTL_REPORT_LIST,  /* reports, filtered and paged */
    NMIRF_CTL_ENTITY_LIST,  /* every entity record */
    NMIRF_CTL_OP_COUNT
} nmirf_ctl_op_t;

/* Wire name of op ("submit", "rec.list", ...); NULL if out of range. */
const char *nmirf_ctl_op_name(nmirf_ctl_op_t op);

/* The op of a wire name; NMIRF_CTL_OP_COUNT if unknown. */
nmirf_ctl_op_t nmirf_ctl_op_from_name(const char *name);

/* The writes a `submit` takes (PROTOCOL.md section 6's writes that an
   agent's entity may send), in CONTROL.md's order. */
extern const nmirf_valueset_t nmirf_ctl_writes;

/* True if write op (one of nmirf_ctl_writes) is the coordinator's alone:
   the agent refuses it `forbidden` when its entity is not the
   coordinator. */
bool nmirf_ctl_write_coordinator(const char *op);

/* The read-only broker operations an `ask` forwards, in CONTROL.md's
   order. */
extern const nmirf_valueset_t nmirf_ctl_asks;

/* rec.list `scope`: which recommendations, by our part in them. */
typedef enum {
    NMIRF_CTL_SCOPE_ALL,        /* every recommendation in the replica */
    NMIRF_CTL_SCOPE_OURS,       /* assigned to us as lead or contributor */
    NMIRF_CTL_SCOPE_LEAD,       /* ...as lead */
    NMIRF_CTL_SCOPE_CONTRIBUTOR /* ...as contributor */
} nmirf_ctl_scope_t;

/* rec.list `due`: a deadline filter. */
typedef enum {
    NMIRF_CTL_DUE_ANY,     /* no filter */
    NMIRF_CTL_DUE_OVERDUE, /* "overdue" */
    NMIRF_CTL_DUE_SOON     /* "due_soon" */
} nmirf_ctl_due_t;

/* The day and horizon a deadline is judged against (mine, rec.list,
   rec.show). Left out, the agent uses its own UTC date and 14 days. */
typedef struct {
    bool has_today;                 /* today given */
    char today[NMIRF_DATE_LEN + 1]; /* YYYY-MM-DD */
    bool has_due_soon;              /* due_soon_days given */
    uint64_t due_soon_days;         /* 0..NMIRF_DUE_SOON_MAX */
} nmirf_ctl_clock_t;

/* submit: a write for the outbox. */
typedef struct {
    char op[NMIRF_OP_MAX + 1]; /* the write, one of nmirf_ctl_writes */
    const uint8_t *body;       /* encode: its packed body map (borrowed), or NULL
                                  to pack body_obj */
    size_t body_len;           /* its size */
    msgpack_object body_obj;   /* decode: the body map (in the decoder's zone
                                  and buffer); encode: packed if body is NULL */
    bool has_id;               /* id given */
    uint8_t id[NMIRF_ID_LEN];  /* request id, the client's */
    bool has_wait;             /* wait_ms given */
    uint64_t wait_ms;          /* 0..NMIRF_CONTROL_WAIT_MAX_MS */
} nmirf_ctl_submit_t;

/* rec.list: filters and a page. */
typedef struct {
    nmirf_ctl_clock_t clock;             /* today, due_soon_days */
    bool has_scope;                      /* scope given */
    nmirf_ctl_scope_t scope;             /* default ALL */
    char status[NMIRF_ENUM_MAX + 1];     /* implementation status, "" any */
    char mechanism[NMIRF_ENUM_MAX + 1];  /* mechanism, "" any */
    nmirf_ctl_due_t due;                 /* deadline filter */
    char q[NMIRF_CONTROL_QUERY_MAX + 1]; /* text search, "" none */
    bool has_offset;                     /* offset given */
    uint64_t offset;                     /* items skipped, default 0 */
    bool has_limit;                      /* limit given */
    uint64_t limit;                      /* 1..NMIRF_CONTROL_LIMIT_MAX */
    bool withdrawn;                      /* list withdrawn ones too (default
                                            false: hidden) */
} nmirf_ctl_rec_list_t;

/* rec.show: one recommendation. */
typedef struct {
    char rec[NMIRF_REC_ID_MAX + 1]; /* its id */
    nmirf_ctl_clock_t clock;        /* today, due_soon_days */
} nmirf_ctl_rec_show_t;

/* measure.list: ours, or one recommendation's. */
typedef struct {
    bool has_rec;                   /* rec given */
    char rec[NMIRF_REC_ID_MAX + 1]; /* its id */
} nmirf_ctl_measure_list_t;

/* ask: a read-only broker operation, answered by the broker. */
typedef struct {
    char op[NMIRF_OP_MAX + 1]; /* one of nmirf_ctl_asks */
    bool has_body;             /* body given */
    const uint8_t *body;       /* encode: its packed body map (borrowed), or NULL
                                  to pack body_obj (if has_body) */
    size_t body_len;           /* its size */
    msgpack_object body_obj;   /* decode: the body map (in the decoder's zone
                                  and buffer); encode: packed if body is NULL */
    bool has_wait;             /* wait_ms given */
    uint64_t wait_ms;          /* 0..NMIRF_CONTROL_ASK_WAIT_MAX_MS */
} nmirf_ctl_ask_t;

/* report.list: filters and a page. */
typedef struct {
    char state[NMIRF_ENUM_MAX + 1];       /* a report state, "" any */
    char entity[NMIRF_ENTITY_ID_MAX + 1]; /* the reporting entity, "" any */
    char rec[NMIRF_REC_ID_MAX + 1];       /* the recommendation, "" any */
    bool has_offset;                      /* offset given */
    uint64_t offset;                      /* items skipped, default 0 */
    bool has_limit;                       /* limit given */
    uint64_t limit;                       /* 1..NMIRF_CONTROL_LIMIT_MAX */
} nmirf_ctl_report_list_t;

/* A control request. Only the part of op is read (encode) or set
   (decode); outbox, status, digest and entity.list have an empty body. */
typedef struct nmirf_ctl_request_s {
    nmirf_ctl_op_t op;                     /* the operation */
    bool has_v;                            /* decode: `v` was given (absent
                                              means 1); encode sends it only
                                              above 1 */
    nmirf_ctl_submit_t submit;             /* op SUBMIT */
    nmirf_ctl_clock_t mine;                /* op MINE */
    nmirf_ctl_rec_list_t rec_list;         /* op REC_LIST */
    nmirf_ctl_rec_show_t rec_show;         /* op REC_SHOW */
    nmirf_ctl_measure_list_t measure_list; /* op MEASURE_LIST */
    nmirf_ctl_ask_t ask;                   /* op ASK */
    nmirf_ctl_report_list_t report_list;   /* op REPORT_LIST */
} nmirf_ctl_request_t;

/* Encodes req into out (appended): {op, body}, the body's keys in
   CONTROL.md's order, optional ones only when given. `v` is written only
   when NMIRF_CONTROL_VERSION is above 1: an agent from before CONTROL.md
   refuses a top map of more than two keys, and an absent `v` means 1.
   Returns 0, or -1 if req is out of range (an unknown op, a submit body
   that is not a map). */
int nmirf_ctl_request_encode(msgpack_sbuffer *out, const nmirf_ctl_request_t *req);

/* Encodes {op, body} (`v` as nmirf_ctl_request_encode) with any op name
   and a packed body map (NULL for {}), unchecked: for clients that build a body
   themselves (tests sending what the agent must refuse). */
void nmirf_ctl_request_pack(msgpack_sbuffer *out, const char *op, const uint8_t *body,
                            size_t body_len);

/* Decodes an untrusted request frame. Returns NMIRF_OK and fills req, or
   BAD_FRAME (empty), TOO_LARGE (over NMIRF_CONTROL_MAX, or a string over
   its limit), BAD_MSGPACK, BAD_UTF8, BAD_VERSION (`v` not 1),
   BAD_REQUEST (shape, a field's type or value, an unknown key) or
   UNKNOWN_OP, with a reason in why. A submit's body is checked against
   its operation's field table in nmirf_schema.h where it has one (the
   broker stays the authority), else only as a map. submit's and ask's
   body_obj point into zone and buf: both must outlive req. */
nmirf_code_t nmirf_ctl_request_decode(const uint8_t *buf, size_t len, msgpack_zone *zone,
                                      nmirf_ctl_request_t *req, char *why, size_t whylen);

/* Encodes a control reply into out (appended): the broker's reply format
   with id nil. body: one packed map, or NULL for nil. */
void nmirf_ctl_reply_encode(msgpack_sbuffer *out, nmirf_code_t code, const char *message,
                            uint64_t seq, const msgpack_sbuffer *body);

/* --- reply bodies ------------------------------------------------------ */

/* Where the replica stands, at the head of every query's reply body. */
typedef struct {
    char entity[NMIRF_ENTITY_ID_MAX + 1]; /* the agent's entity */
    uint64_t seq;                         /* the replica's sequence */
    uint64_t broker_seq;                  /* the latest the broker showed */
    bool stale;                           /* broker unreachable, or no snapshot yet */
    uint64_t contact_at;                  /* wall-clock ms of the last contact with
                                             the broker; 0: never (nil) */
} nmirf_ctl_replica_t;

/* Adds the entries {entity, seq, broker_seq, stale, contact_at} to map m
   (nmirf_mp.h, which counts them); without contact_at the first four
   only, as `mine` carries them (CONTROL.md section 4). */
void nmirf_ctl_replica_pack(nmirf_mp_map_t *m, const nmirf_ctl_replica_t *r,
                            bool contact_at);

/* Reads those entries from a query's reply body. Returns NMIRF_OK or
   BAD_REQUEST with a reason. Other keys are ignored. */
nmirf_code_t nmirf_ctl_replica_decode(const msgpack_object *body, nmirf_ctl_replica_t *r,
                                      char *why, size_t whylen);

/* The `status` reply body. */
typedef struct {
    char entity[NMIRF_ENTITY_ID_MAX + 1]; /* the agent's entity */
    uint64_t seq;                         /* the replica's sequence */
    uint64_t broker_seq;                  /* the latest the broker showed */
    uint64_t lag;                         /* broker_seq - seq, or 0 */
    bool stale;                           /* broker unreachable, or not loaded */
    bool connected;                       /* the broker was heard lately */
    bool loaded;                          /* the replica holds a snapshot */
    uint64_t outbox;                      /* entries pending */
    uint64_t refused;                     /* entries refused for good */
    bool key_refused;                     /* the broker refuses our key */
    bool has_heard;                       /* the broker was ever heard */
    uint64_t heard_ms_ago;                /* ...this long ago */
    uint64_t outbox_reported;             /* wall-clock ms of the last outbox
                                             report, 0 not yet */
    uint64_t checkpoint_seq;              /* the kept checkpoint's seq, 0 none */
    char broker_refused[384];             /* why the broker is refused, "" not */
    uint64_t resigned;                    /* outbox entries signed again after a
                                             `stale` since the agent started
                                             (packed only when not 0) */
} nmirf_ctl_status_t;

/* Packs the status body map. */
void nmirf_ctl_status_pack(msgpack_packer *pk, const nmirf_ctl_status_t *st);

/* Decodes a status body (keys it does not know are ignored, as a client
   must). Returns NMIRF_OK or BAD_REQUEST with a reason. */
nmirf_code_t nmirf_ctl_status_decode(const msgpack_object *body, nmirf_ctl_status_t *st,
                                     char *why, size_t whylen);

/* The `submit` reply body of a submission not (yet) answered. */
typedef struct {
    uint8_t id[NMIRF_ID_LEN]; /* its request id (hex on the wire) */
    bool key_refused;         /* the broker refuses our key: sent as true only */
} nmirf_ctl_queued_t;

/* Packs {queued: true, id: hex, key_refused?: true}. */
void nmirf_ctl_queued_pack(msgpack_packer *pk, const nmirf_ctl_queued_t *q);

/* Decodes a submit reply body. Returns NMIRF_OK if it is a {queued}
   body (filled), NMIRF_E_NOT_FOUND if it is another body (the broker's
   answer: `queued` absent), BAD_REQUEST if malformed. */
nmirf_code_t nmirf_ctl_queued_decode(const msgpack_object *body, nmirf_ctl_queued_t *q,
                                     char *why, size_t whylen);

/* The `digest` reply body. */
typedef struct {
    uint64_t seq;                   /* the replica's sequence */
    uint8_t digest[NMIRF_HASH_LEN]; /* its digest (nmirf_digest.h) */
} nmirf_ctl_digest_t;

/* Packs {seq, digest: bin32}. */
void nmirf_ctl_digest_pack(msgpack_packer *pk, const nmirf_ctl_digest_t *d);

/* Decodes a digest body. Returns NMIRF_OK or BAD_REQUEST with a reason. */
nmirf_code_t nmirf_ctl_digest_decode(const msgpack_object *body, nmirf_ctl_digest_t *d,
                                     char *why, size_t whylen);

#endif
