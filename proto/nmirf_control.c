/*  nmirf_control - the agent's control protocol, version 1 (CONTROL.md). */
#include "nmirf_control.h"
#include "nmirf_fields.h"
#include "nmirf_mp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WHY(...)                                                                         \
    do {                                                                                 \
        if (why && whylen)                                                               \
            snprintf(why, whylen, __VA_ARGS__);                                          \
    } while (0)

static const char *const s_ops[NMIRF_CTL_OP_COUNT] = {
    "submit",   "mine",         "outbox", "status",      "digest",      "rec.list",
    "rec.show", "measure.list", "ask",    "report.list", "entity.list",
};

/* Names before the NULL of a NULL-terminated array. */
#define NAMES(a) ((int)(sizeof(a) / sizeof((a)[0])) - 1)

/* The writes of PROTOCOL.md sections 6-7 an agent's entity may send:
   the ministry's (report.submit, measure.*) and the coordinator's
   (validating, assigning, importing, and repairing the list: withdraw,
   merge, entity.update). New names go at the end: CONTROL.md's order. */
static const char *const s_write_names[] = {"report.submit",
                                            "report.validate",
                                            "report.return",
                                            "rec.assign",
                                            "rec.import",
                                            "measure.add",
                                            "measure.update",
                                            "rec.withdraw",
                                            "rec.merge",
                                            "entity.update",
                                            NULL};
const nmirf_valueset_t nmirf_ctl_writes = {"write", s_write_names, NAMES(s_write_names)};

/* The read-only operations an `ask` forwards to the broker. */
static const char *const s_ask_names[] = {
    "stats",        "entity.list",  "entity.show",  "rec.list", "rec.show", "report.list",
    "measure.list", "measure.show", "events.since", "status",   "ping",     NULL};
const nmirf_valueset_t nmirf_ctl_asks = {"ask", s_ask_names, NAMES(s_ask_names)};

bool
nmirf_ctl_write_coordinator(const char *op)
{
    /* PROTOCOL.md sections 6-7: a ministry reports and keeps its
       measures; validating, returning, assigning, importing and
       repairing the list (withdraw, merge, entity.update) are the
       coordinator's. */
    return strcmp(op, "report.validate") == 0 || strcmp(op, "report.return") == 0 ||
           strcmp(op, "rec.assign") == 0 || strcmp(op, "rec.import") == 0 ||
           strcmp(op, "rec.withdraw") == 0 || strcmp(op, "rec.merge") == 0 ||
           strcmp(op, "entity.update") == 0;
}

/* The field table a submit's body is checked with, or NULL: only a map. */
static const nmirf_fields_t *
s_write_fields(const char *op)
{
    if (strcmp(op, "report.submit") == 0)
        return &nmirf_fields_report_submit;
    if (strcmp(op, "rec.assign") == 0)
        return &nmirf_fields_rec_assign;
    if (strcmp(op, "rec.withdraw") == 0)
        return &nmirf_fields_rec_withdraw;
    if (strcmp(op, "rec.merge") == 0)
        return &nmirf_fields_rec_merge;
    if (strcmp(op, "entity.update") == 0)
        return &nmirf_fields_entity_update;
    return NULL;
}

/* rec.list's own value sets (CONTROL.md), indexed by nmirf_ctl_scope_t
   and nmirf_ctl_due_t; its statuses and mechanisms are the protocol's,
   nmirf_statuses and nmirf_mechanisms. */
static const char *const s_scope_names[] = {"all", "ours", "lead", "contributor", NULL};
static const nmirf_valueset_t s_scopes = {"scope", s_scope_names, NAMES(s_scope_names)};
/* s_due_names[0] stands for NMIRF_CTL_DUE_ANY, never a wire value. */
static const char *const s_due_names[] = {"", "overdue", "due_soon", NULL};
static const nmirf_valueset_t s_dues = {"due", s_due_names, NAMES(s_due_names)};

const char *
nmirf_ctl_op_name(nmirf_ctl_op_t op)
{
    return (unsigned)op < NMIRF_CTL_OP_COUNT ? s_ops[op] : NULL;
}

nmirf_ctl_op_t
nmirf_ctl_op_from_name(const char *name)
{
    for (int i = 0; i < NMIRF_CTL_OP_COUNT; i++)
        if (strcmp(name, s_ops[i]) == 0)
            return (nmirf_ctl_op_t)i;
    return NMIRF_CTL_OP_COUNT;
}

/* --- encoding ---------------------------------------------------------- */

static void
s_clock_pack(nmirf_mp_map_t *m, const nmirf_ctl_clock_t *c)
{
    if (c->has_today)
        nmirf_mp_map_str(m, "today", c->today);
    if (c->has_due_soon)
        nmirf_mp_map_uint(m, "due_soon_days", c->due_soon_days);
}

/* Packs the body entries of req into m; -1 if out of range. */
static int
s_body_pack(nmirf_mp_map_t *m, const nmirf_ctl_request_t *req)
{
    switch (req->op) {
    case NMIRF_CTL_SUBMIT: {
        const nmirf_ctl_submit_t *s = &req->submit;
        if (!s->body && s->body_obj.type != MSGPACK_OBJECT_MAP)
            return -1;
        nmirf_mp_map_str(m, "op", s->op);
        msgpack_packer *pk = nmirf_mp_map_key(m, "body");
        if (s->body)
            msgpack_sbuffer_write(&m->buf, (const char *)s->body, s->body_len);
        else
            nmirf_mp_pack_object(pk, &s->body_obj);
        if (s->has_id)
            nmirf_mp_pack_bin(nmirf_mp_map_key(m, "id"), s->id, NMIRF_ID_LEN);
        if (s->has_wait)
            nmirf_mp_map_uint(m, "wait_ms", s->wait_ms);
        return 0;
    }
    case NMIRF_CTL_MINE:
        s_clock_pack(m, &req->mine);
        return 0;
    case NMIRF_CTL_OUTBOX:
    case NMIRF_CTL_STATUS:
    case NMIRF_CTL_DIGEST:
    case NMIRF_CTL_ENTITY_LIST:
        return 0;
    case NMIRF_CTL_ASK: {
        const nmirf_ctl_ask_t *a = &req->ask;
        if (a->has_body && !a->body && a->body_obj.type != MSGPACK_OBJECT_MAP)
            return -1;
        nmirf_mp_map_str(m, "op", a->op);
        if (a->has_body) {
            msgpack_packer *pk = nmirf_mp_map_key(m, "body");
            if (a->body)
                msgpack_sbuffer_write(&m->buf, (const char *)a->body, a->body_len);
            else
                nmirf_mp_pack_object(pk, &a->body_obj);
        }
        if (a->has_wait)
            nmirf_mp_map_uint(m, "wait_ms", a->wait_ms);
        return 0;
    }
    case NMIRF_CTL_REPORT_LIST: {
        const nmirf_ctl_report_list_t *l = &req->report_list;
        if (l->state[0])
            nmirf_mp_map_str(m, "state", l->state);
        if (l->entity[0])
            nmirf_mp_map_str(m, "entity", l->entity);
        if (l->rec[0])
            nmirf_mp_map_str(m, "rec", l->rec);
        if (l->has_offset)
            nmirf_mp_map_uint(m, "offset", l->offset);
        if (l->has_limit)
            nmirf_mp_map_uint(m, "limit", l->limit);
        return 0;
    }
    case NMIRF_CTL_REC_LIST: {
        const nmirf_ctl_rec_list_t *l = &req->rec_list;
        if ((unsigned)l->scope >= (unsigned)s_scopes.count ||
            (unsigned)l->due >= (unsigned)s_dues.count)
            return -1;
        if (l->has_scope)
            nmirf_mp_map_str(m, "scope", s_scope_names[l->scope]);
        if (l->status[0])
            nmirf_mp_map_str(m, "status", l->status);
        if (l->mechanism[0])
            nmirf_mp_map_str(m, "mechanism", l->mechanism);
        if (l->due != NMIRF_CTL_DUE_ANY)
            nmirf_mp_map_str(m, "due", s_due_names[l->due]);
        if (l->q[0])
            nmirf_mp_map_str(m, "q", l->q);
        s_clock_pack(m, &l->clock);
        if (l->has_offset)
            nmirf_mp_map_uint(m, "offset", l->offset);
        if (l->has_limit)
            nmirf_mp_map_uint(m, "limit", l->limit);
        if (l->withdrawn)
            nmirf_mp_map_bool(m, "withdrawn", true);
        return 0;
    }
    case NMIRF_CTL_REC_SHOW:
        nmirf_mp_map_str(m, "rec", req->rec_show.rec);
        s_clock_pack(m, &req->rec_show.clock);
        return 0;
    case NMIRF_CTL_MEASURE_LIST:
        if (req->measure_list.has_rec)
            nmirf_mp_map_str(m, "rec", req->measure_list.rec);
        return 0;
    default:
        return -1;
    }
}

/* The top of a request: `v` only above 1, since an agent from before
   CONTROL.md refuses a top map of more than {op, body}, and an absent `v`
   means 1 (CONTROL.md section 3). */
static void
s_top_pack(nmirf_mp_map_t *top, const char *op)
{
    if (NMIRF_CONTROL_VERSION > 1)
        nmirf_mp_map_uint(top, "v", NMIRF_CONTROL_VERSION);
    nmirf_mp_map_str(top, "op", op);
}

int
nmirf_ctl_request_encode(msgpack_sbuffer *out, const nmirf_ctl_request_t *req)
{
    const char *name = nmirf_ctl_op_name(req->op);
    if (!name)
        return -1;
    nmirf_mp_map_t top, body;
    nmirf_mp_map_init(&top);
    nmirf_mp_map_init(&body);
    s_top_pack(&top, name);
    int rc = s_body_pack(&body, req);
    if (rc == 0) {
        msgpack_packer pk;
        msgpack_packer_init(&pk, out, msgpack_sbuffer_write);
        nmirf_mp_map_finish(&body, nmirf_mp_map_key(&top, "body"));
        nmirf_mp_map_finish(&top, &pk);
    }
    nmirf_mp_map_destroy(&body);
    nmirf_mp_map_destroy(&top);
    return rc;
}

void
nmirf_ctl_request_pack(msgpack_sbuffer *out, const char *op, const uint8_t *body,
                       size_t body_len)
{
    msgpack_packer pk;
    msgpack_packer_init(&pk, out, msgpack_sbuffer_write);
    nmirf_mp_map_t top;
    nmirf_mp_map_init(&top);
    s_top_pack(&top, op);
    msgpack_packer *bpk = nmirf_mp_map_key(&top, "body");
    if (body)
        msgpack_sbuffer_write(&top.buf, (const char *)body, body_len);
    else
        msgpack_pack_map(bpk, 0);
    nmirf_mp_map_finish(&top, &pk);
}

void
nmirf_ctl_reply_encode(msgpack_sbuffer *out, nmirf_code_t code, const char *message,
                       uint64_t seq, const msgpack_sbuffer *body)
{
    nmirf_reply_encode(out, NULL, code, message, seq,
                       body ? (const uint8_t *)body->data : NULL, body ? body->size : 0);
}

/* --- decoding ---------------------------------------------------------- */

/* Reads the clock field k = v into c. Returns 1 if k is not a clock
   field, 0 if read, or an error code (op names the operation). */
static int
s_clock_field(const char *op, const msgpack_object *k, const msgpack_object *v,
              nmirf_ctl_clock_t *c, char *why, size_t whylen)
{
    if (nmirf_mp_str_is(k, "today")) {
        if (nmirf_mp_strcpy(v, c->today, sizeof c->today) ||
            !nmirf_date_valid(c->today, strlen(c->today))) {
            WHY("%s: today must be a date YYYY-MM-DD", op);
            return NMIRF_E_BAD_REQUEST;
        }
        c->has_today = true;
        return 0;
    }
    if (nmirf_mp_str_is(k, "due_soon_days")) {
        if (v->type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
            v->via.u64 > NMIRF_DUE_SOON_MAX) {
            WHY("%s: due_soon_days must be an integer from 0 to %d", op,
                NMIRF_DUE_SOON_MAX);
            return NMIRF_E_BAD_REQUEST;
        }
        c->has_due_soon = true;
        c->due_soon_days = v->via.u64;
        return 0;
    }
    return 1;
}

/* Copies a recommendation id: a non-empty str of at most
   NMIRF_REC_ID_MAX bytes. */
static nmirf_code_t
s_rec_id(const char *op, const msgpack_object *v, char out[NMIRF_REC_ID_MAX + 1],
         char *why, size_t whylen)
{
    if (!v || v->type != MSGPACK_OBJECT_STR || v->via.str.size == 0) {
        WHY("%s: rec must be a recommendation id (a non-empty str)", op);
        return NMIRF_E_BAD_REQUEST;
    }
    if (v->via.str.size > NMIRF_REC_ID_MAX) {
        WHY("%s: rec is longer than %d bytes", op, NMIRF_REC_ID_MAX);
        return NMIRF_E_TOO_LARGE;
    }
    if (nmirf_mp_strcpy(v, out, NMIRF_REC_ID_MAX + 1)) {
        WHY("%s: rec holds a NUL", op);
        return NMIRF_E_BAD_REQUEST;
    }
    return NMIRF_OK;
}

/* --- a write's body against its field table (nmirf_schema.h) --------- */

/* Checks body (a map) against fields with the broker's own checker
   (nmirf_fields.h): no unknown or repeated key, every required field
   present, each value's type, value set, id and date syntax, so that a
   write the broker would refuse for its shape is refused at once and
   never sits in the outbox. Lengths and counts are left to the broker
   (NMIRF_CHECK_NO_LIMITS): it refuses them too_large. */
static nmirf_code_t
s_fields_check(const nmirf_fields_t *fields, const msgpack_object *body, char *why,
               size_t whylen)
{
    nmirf_fail_t fail;
    if (!nmirf_fields_first(fields, body, NMIRF_CHECK_NO_LIMITS, &fail))
        return NMIRF_OK;
    switch (fail.reason) {
    case NMIRF_FAIL_KEY_TYPE:
    case NMIRF_FAIL_UNKNOWN:
        WHY("submit: %s: unknown field in body", fields->name);
        break;
    case NMIRF_FAIL_REPEATED:
        WHY("submit: %s: %.*s is given twice", fields->name, (int)fail.keylen, fail.key);
        break;
    case NMIRF_FAIL_MISSING:
        WHY("submit: %s: %s is missing", fields->name, fail.key);
        break;
    default:
        WHY("submit: %s: %s has the wrong type or value", fields->name,
            fail.in ? fail.in->key : fail.key);
        break;
    }
    return NMIRF_E_BAD_REQUEST;
}

/* submit {op, body, id?, wait_ms?}. */
static nmirf_code_t
s_submit(const msgpack_object *body, nmirf_ctl_submit_t *s, char *why, size_t whylen)
{
    const msgpack_object *op = nmirf_mp_get(body, "op");
    const msgpack_object *req = nmirf_mp_get(body, "body");
    const msgpack_object *wait = nmirf_mp_get(body, "wait_ms");
    const msgpack_object *ido = nmirf_mp_get(body, "id");
    for (uint32_t i = 0; i < body->via.map.size; i++) {
        const msgpack_object *k = &body->via.map.ptr[i].key;
        if (!nmirf_mp_str_is(k, "op") && !nmirf_mp_str_is(k, "body") &&
            !nmirf_mp_str_is(k, "wait_ms") && !nmirf_mp_str_is(k, "id")) {
            WHY("submit: unknown field in body");
            return NMIRF_E_BAD_REQUEST;
        }
    }
    /* The writes an agent's entity may send; reads and the entity
       administration are not the outbox's (the broker would only refuse
       them after they sat in it). */
    int w =
        op && op->type == MSGPACK_OBJECT_STR
            ? nmirf_valueset_find(&nmirf_ctl_writes, op->via.str.ptr, op->via.str.size)
            : -1;
    if (w < 0) {
        WHY("submit: op must be a write: report.submit, report.validate, "
            "report.return, rec.assign, rec.import, measure.add, measure.update, "
            "rec.withdraw, rec.merge, entity.update");
        return NMIRF_E_BAD_REQUEST;
    }
    if (!req || req->type != MSGPACK_OBJECT_MAP) {
        WHY("submit: body must be a map (the operation's body)");
        return NMIRF_E_BAD_REQUEST;
    }
    if (wait && (wait->type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
                 wait->via.u64 > NMIRF_CONTROL_WAIT_MAX_MS)) {
        WHY("submit: wait_ms must be an integer from 0 to %d", NMIRF_CONTROL_WAIT_MAX_MS);
        return NMIRF_E_BAD_REQUEST;
    }
    if (ido && (ido->type != MSGPACK_OBJECT_BIN || ido->via.bin.size != NMIRF_ID_LEN)) {
        WHY("submit: id must be 16 bytes (bin)");
        return NMIRF_E_BAD_REQUEST;
    }
    const nmirf_fields_t *fields = s_write_fields(nmirf_ctl_writes.names[w]);
    if (fields) {
        nmirf_code_t c = s_fields_check(fields, req, why, whylen);
        if (c != NMIRF_OK)
            return c;
    }
    snprintf(s->op, sizeof s->op, "%s", nmirf_ctl_writes.names[w]);
    s->body_obj = *req;
    s->has_wait = wait != NULL;
    s->wait_ms = wait ? wait->via.u64 : 0;
    s->has_id = ido != NULL;
    if (ido)
        memcpy(s->id, ido->via.bin.ptr, NMIRF_ID_LEN);
    return NMIRF_OK;
}

/* ask {op, body?, wait_ms?}. */
static nmirf_code_t
s_ask(const msgpack_object *body, nmirf_ctl_ask_t *a, char *why, size_t whylen)
{
    const msgpack_object *op = nmirf_mp_get(body, "op");
    const msgpack_object *req = nmirf_mp_get(body, "body");
    const msgpack_object *wait = nmirf_mp_get(body, "wait_ms");
    if (body->via.map.size != (uint32_t)((op != NULL) + (req != NULL) + (wait != NULL))) {
        WHY("ask: unknown field in body (op, body, wait_ms)");
        return NMIRF_E_BAD_REQUEST;
    }
    int i = op && op->type == MSGPACK_OBJECT_STR
                ? nmirf_valueset_find(&nmirf_ctl_asks, op->via.str.ptr, op->via.str.size)
                : -1;
    if (i < 0) {
        WHY("ask: op must be a read: stats, entity.list, entity.show, rec.list, "
            "rec.show, report.list, measure.list, measure.show, events.since, status, "
            "ping");
        return NMIRF_E_BAD_REQUEST;
    }
    if (req && req->type != MSGPACK_OBJECT_MAP) {
        WHY("ask: body must be a map (the operation's body)");
        return NMIRF_E_BAD_REQUEST;
    }
    if (wait && (wait->type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
                 wait->via.u64 > NMIRF_CONTROL_ASK_WAIT_MAX_MS)) {
        WHY("ask: wait_ms must be an integer from 0 to %d",
            NMIRF_CONTROL_ASK_WAIT_MAX_MS);
        return NMIRF_E_BAD_REQUEST;
    }
    snprintf(a->op, sizeof a->op, "%s", nmirf_ctl_asks.names[i]);
    a->has_body = req != NULL;
    if (req)
        a->body_obj = *req;
    a->has_wait = wait != NULL;
    a->wait_ms = wait ? wait->via.u64 : NMIRF_CONTROL_ASK_WAIT_DEFAULT_MS;
    return NMIRF_OK;
}

/* mine {today?, due_soon_days?}. */
static nmirf_code_t
s_mine(const msgpack_object *body, nmirf_ctl_clock_t *c, char *why, size_t whylen)
{
    for (uint32_t i = 0; i < body->via.map.size; i++) {
        int rc = s_clock_field("mine", &body->via.map.ptr[i].key,
                               &body->via.map.ptr[i].val, c, why, whylen);
        if (rc == 1) {
            WHY("mine: unknown field in body (today, due_soon_days)");
            return NMIRF_E_BAD_REQUEST;
        }
        if (rc)
            return (nmirf_code_t)rc;
    }
    return NMIRF_OK;
}

/* A str value of one of set's names into *index; never "" (s_dues). */
static nmirf_code_t
s_enum(const char *op, const char *key, const msgpack_object *v,
       const nmirf_valueset_t *set, int *index, char *why, size_t whylen)
{
    bool str = v->type == MSGPACK_OBJECT_STR && v->via.str.size > 0;
    *index = str ? nmirf_valueset_find(set, v->via.str.ptr, v->via.str.size) : -1;
    if (*index < 0) {
        WHY("%s: %s is not one of its values (CONTROL.md)", op, key);
        return NMIRF_E_BAD_REQUEST;
    }
    return NMIRF_OK;
}

/* rec.list {scope?, status?, mechanism?, due?, q?, today?, due_soon_days?,
   offset?, limit?, withdrawn?}. */
static nmirf_code_t
s_rec_list(const msgpack_object *body, nmirf_ctl_rec_list_t *l, char *why, size_t whylen)
{
    l->limit = NMIRF_CONTROL_LIMIT_DEFAULT;
    for (uint32_t i = 0; i < body->via.map.size; i++) {
        const msgpack_object *k = &body->via.map.ptr[i].key,
                             *v = &body->via.map.ptr[i].val;
        int rc = s_clock_field("rec.list", k, v, &l->clock, why, whylen), ix;
        if (rc == 0)
            continue;
        if (rc != 1)
            return (nmirf_code_t)rc;
        nmirf_code_t code = NMIRF_OK;
        if (nmirf_mp_str_is(k, "scope")) {
            code = s_enum("rec.list", "scope", v, &s_scopes, &ix, why, whylen);
            l->has_scope = true;
            l->scope = (nmirf_ctl_scope_t)ix;
        } else if (nmirf_mp_str_is(k, "status")) {
            code = s_enum("rec.list", "status", v, &nmirf_statuses, &ix, why, whylen);
            if (code == NMIRF_OK)
                snprintf(l->status, sizeof l->status, "%s", nmirf_statuses.names[ix]);
        } else if (nmirf_mp_str_is(k, "mechanism")) {
            code =
                s_enum("rec.list", "mechanism", v, &nmirf_mechanisms, &ix, why, whylen);
            if (code == NMIRF_OK)
                snprintf(l->mechanism, sizeof l->mechanism, "%s",
                         nmirf_mechanisms.names[ix]);
        } else if (nmirf_mp_str_is(k, "due")) {
            /* s_dues[0] is "any", never a wire value: s_enum refuses "". */
            code = s_enum("rec.list", "due", v, &s_dues, &ix, why, whylen);
            l->due = (nmirf_ctl_due_t)ix;
        } else if (nmirf_mp_str_is(k, "q")) {
            if (v->type != MSGPACK_OBJECT_STR || v->via.str.size == 0 ||
                memchr(v->via.str.ptr, 0, v->via.str.size)) {
                WHY("rec.list: q must be a non-empty str");
                return NMIRF_E_BAD_REQUEST;
            }
            if (v->via.str.size > NMIRF_CONTROL_QUERY_MAX) {
                WHY("rec.list: q is longer than %d bytes", NMIRF_CONTROL_QUERY_MAX);
                return NMIRF_E_TOO_LARGE;
            }
            memcpy(l->q, v->via.str.ptr, v->via.str.size);
            l->q[v->via.str.size] = 0;
        } else if (nmirf_mp_str_is(k, "offset")) {
            if (v->type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
                v->via.u64 > NMIRF_CONTROL_OFFSET_MAX) {
                WHY("rec.list: offset must be an integer from 0 to %llu",
                    (unsigned long long)NMIRF_CONTROL_OFFSET_MAX);
                return NMIRF_E_BAD_REQUEST;
            }
            l->has_offset = true;
            l->offset = v->via.u64;
        } else if (nmirf_mp_str_is(k, "limit")) {
            if (v->type != MSGPACK_OBJECT_POSITIVE_INTEGER || v->via.u64 == 0 ||
                v->via.u64 > NMIRF_CONTROL_LIMIT_MAX) {
                WHY("rec.list: limit must be an integer from 1 to %d",
                    NMIRF_CONTROL_LIMIT_MAX);
                return NMIRF_E_BAD_REQUEST;
            }
            l->has_limit = true;
            l->limit = v->via.u64;
        } else if (nmirf_mp_str_is(k, "withdrawn")) {
            if (v->type != MSGPACK_OBJECT_BOOLEAN) {
                WHY("rec.list: withdrawn must be true or false");
                return NMIRF_E_BAD_REQUEST;
            }
            l->withdrawn = v->via.boolean;
        } else {
            WHY("rec.list: unknown field in body (scope, status, mechanism, due, q, "
                "today, due_soon_days, offset, limit, withdrawn)");
            return NMIRF_E_BAD_REQUEST;
        }
        if (code != NMIRF_OK)
            return code;
    }
    return NMIRF_OK;
}

/* rec.show {rec, today?, due_soon_days?}. */
static nmirf_code_t
s_rec_show(const msgpack_object *body, nmirf_ctl_rec_show_t *s, char *why, size_t whylen)
{
    bool has_rec = false;
    for (uint32_t i = 0; i < body->via.map.size; i++) {
        const msgpack_object *k = &body->via.map.ptr[i].key,
                             *v = &body->via.map.ptr[i].val;
        int rc = s_clock_field("rec.show", k, v, &s->clock, why, whylen);
        if (rc == 0)
            continue;
        if (rc != 1)
            return (nmirf_code_t)rc;
        if (!nmirf_mp_str_is(k, "rec")) {
            WHY("rec.show: unknown field in body (rec, today, due_soon_days)");
            return NMIRF_E_BAD_REQUEST;
        }
        nmirf_code_t code = s_rec_id("rec.show", v, s->rec, why, whylen);
        if (code != NMIRF_OK)
            return code;
        has_rec = true;
    }
    if (!has_rec) {
        WHY("rec.show: rec is missing");
        return NMIRF_E_BAD_REQUEST;
    }
    return NMIRF_OK;
}

/* measure.list {rec?}. */
static nmirf_code_t
s_measure_list(const msgpack_object *body, nmirf_ctl_measure_list_t *m, char *why,
               size_t whylen)
{
    for (uint32_t i = 0; i < body->via.map.size; i++) {
        const msgpack_object *k = &body->via.map.ptr[i].key,
                             *v = &body->via.map.ptr[i].val;
        if (!nmirf_mp_str_is(k, "rec")) {
            WHY("measure.list: unknown field in body (rec)");
            return NMIRF_E_BAD_REQUEST;
        }
        nmirf_code_t code = s_rec_id("measure.list", v, m->rec, why, whylen);
        if (code != NMIRF_OK)
            return code;
        m->has_rec = true;
    }
    return NMIRF_OK;
}

/* An offset or limit of a page (rec.list, report.list): offset 0 to
   NMIRF_CONTROL_OFFSET_MAX, limit 1 to NMIRF_CONTROL_LIMIT_MAX. Returns 1
   if k is neither, 0 if read, or an error code. */
static int
s_page_field(const char *op, const msgpack_object *k, const msgpack_object *v,
             bool *has_offset, uint64_t *offset, bool *has_limit, uint64_t *limit,
             char *why, size_t whylen)
{
    if (nmirf_mp_str_is(k, "offset")) {
        if (v->type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
            v->via.u64 > NMIRF_CONTROL_OFFSET_MAX) {
            WHY("%s: offset must be an integer from 0 to %llu", op,
                (unsigned long long)NMIRF_CONTROL_OFFSET_MAX);
            return NMIRF_E_BAD_REQUEST;
        }
        *has_offset = true;
        *offset = v->via.u64;
        return 0;
    }
    if (nmirf_mp_str_is(k, "limit")) {
        if (v->type != MSGPACK_OBJECT_POSITIVE_INTEGER || v->via.u64 == 0 ||
            v->via.u64 > NMIRF_CONTROL_LIMIT_MAX) {
            WHY("%s: limit must be an integer from 1 to %d", op, NMIRF_CONTROL_LIMIT_MAX);
            return NMIRF_E_BAD_REQUEST;
        }
        *has_limit = true;
        *limit = v->via.u64;
        return 0;
    }
    return 1;
}

/* report.list {state?, entity?, rec?, offset?, limit?}. */
static nmirf_code_t
s_report_list(const msgpack_object *body, nmirf_ctl_report_list_t *l, char *why,
              size_t whylen)
{
    l->limit = NMIRF_CONTROL_LIMIT_DEFAULT;
    for (uint32_t i = 0; i < body->via.map.size; i++) {
        const msgpack_object *k = &body->via.map.ptr[i].key,
                             *v = &body->via.map.ptr[i].val;
        int rc = s_page_field("report.list", k, v, &l->has_offset, &l->offset,
                              &l->has_limit, &l->limit, why, whylen);
        if (rc == 0)
            continue;
        if (rc != 1)
            return (nmirf_code_t)rc;
        nmirf_code_t code = NMIRF_OK;
        int ix;
        if (nmirf_mp_str_is(k, "state")) {
            code =
                s_enum("report.list", "state", v, &nmirf_report_states, &ix, why, whylen);
            if (code == NMIRF_OK)
                snprintf(l->state, sizeof l->state, "%s", nmirf_report_states.names[ix]);
        } else if (nmirf_mp_str_is(k, "entity")) {
            if (v->type == MSGPACK_OBJECT_STR && v->via.str.size > NMIRF_ENTITY_ID_MAX) {
                WHY("report.list: entity is longer than %d bytes", NMIRF_ENTITY_ID_MAX);
                return NMIRF_E_TOO_LARGE;
            }
            static const nmirf_field_t id = {"entity", NMIRF_FIELD_ENTITY_ID, true,
                                             NMIRF_ENTITY_ID_MAX, NULL};
            nmirf_fail_t fail;
            if (nmirf_field_check(&id, v, 0, &fail)) {
                WHY("report.list: entity must be an entity id");
                return NMIRF_E_BAD_REQUEST;
            }
            memcpy(l->entity, v->via.str.ptr, v->via.str.size);
            l->entity[v->via.str.size] = 0;
        } else if (nmirf_mp_str_is(k, "rec")) {
            code = s_rec_id("report.list", v, l->rec, why, whylen);
        } else {
            WHY("report.list: unknown field in body (state, entity, rec, offset, limit)");
            return NMIRF_E_BAD_REQUEST;
        }
        if (code != NMIRF_OK)
            return code;
    }
    return NMIRF_OK;
}

nmirf_code_t
nmirf_ctl_request_decode(const uint8_t *buf, size_t len, msgpack_zone *zone,
                         nmirf_ctl_request_t *req, char *why, size_t whylen)
{
    memset(req, 0, sizeof *req);
    req->op = NMIRF_CTL_OP_COUNT;
    if (len == 0) {
        WHY("empty control request");
        return NMIRF_E_BAD_FRAME;
    }
    if (len > NMIRF_CONTROL_MAX) {
        WHY("control request over %d bytes", NMIRF_CONTROL_MAX);
        return NMIRF_E_TOO_LARGE;
    }
    msgpack_object top;
    nmirf_code_t code = nmirf_mp_unpack(buf, len, zone, &top, why, whylen);
    if (code != NMIRF_OK)
        return code;
    const msgpack_object *op = nmirf_mp_get(&top, "op");
    const msgpack_object *body = nmirf_mp_get(&top, "body");
    const msgpack_object *v = nmirf_mp_get(&top, "v");
    uint32_t known = (op != NULL) + (body != NULL) + (v != NULL);
    if (top.type != MSGPACK_OBJECT_MAP || top.via.map.size != known || !op ||
        op->type != MSGPACK_OBJECT_STR) {
        WHY("a control request is a map {v?: 1, op: str, body?: map}");
        return NMIRF_E_BAD_REQUEST;
    }
    if (body && body->type != MSGPACK_OBJECT_MAP) {
        WHY("body must be a map");
        return NMIRF_E_BAD_REQUEST;
    }
    if (v) {
        if (v->type != MSGPACK_OBJECT_POSITIVE_INTEGER) {
            WHY("v must be an unsigned integer, the control protocol version");
            return NMIRF_E_BAD_REQUEST;
        }
        if (v->via.u64 != NMIRF_CONTROL_VERSION) {
            WHY("control protocol version %llu; this agent speaks %d",
                (unsigned long long)v->via.u64, NMIRF_CONTROL_VERSION);
            return NMIRF_E_BAD_VERSION;
        }
        req->has_v = true;
    }
    char name[NMIRF_OP_MAX + 1];
    req->op = nmirf_mp_strcpy(op, name, sizeof name) == 0 ? nmirf_ctl_op_from_name(name)
                                                          : NMIRF_CTL_OP_COUNT;
    if (req->op == NMIRF_CTL_OP_COUNT) {
        WHY("unknown control operation (submit, mine, outbox, status, digest, rec.list, "
            "rec.show, measure.list, ask, report.list, entity.list)");
        return NMIRF_E_UNKNOWN_OP;
    }
    msgpack_object empty = {.type = MSGPACK_OBJECT_MAP};
    if (!body)
        body = &empty;
    switch (req->op) {
    case NMIRF_CTL_SUBMIT:
        return s_submit(body, &req->submit, why, whylen);
    case NMIRF_CTL_MINE:
        return s_mine(body, &req->mine, why, whylen);
    case NMIRF_CTL_REC_LIST:
        return s_rec_list(body, &req->rec_list, why, whylen);
    case NMIRF_CTL_REC_SHOW:
        return s_rec_show(body, &req->rec_show, why, whylen);
    case NMIRF_CTL_MEASURE_LIST:
        return s_measure_list(body, &req->measure_list, why, whylen);
    case NMIRF_CTL_ASK:
        return s_ask(body, &req->ask, why, whylen);
    case NMIRF_CTL_REPORT_LIST:
        return s_report_list(body, &req->report_list, why, whylen);
    default:
        if (body->via.map.size != 0) {
            WHY("this operation takes an empty body");
            return NMIRF_E_BAD_REQUEST;
        }
        return NMIRF_OK;
    }
}

/* --- reply bodies ------------------------------------------------------ */

void
nmirf_ctl_replica_pack(nmirf_mp_map_t *m, const nmirf_ctl_replica_t *r, bool contact_at)
{
    nmirf_mp_map_str(m, "entity", r->entity);
    nmirf_mp_map_uint(m, "seq", r->seq);
    nmirf_mp_map_uint(m, "broker_seq", r->broker_seq);
    nmirf_mp_map_bool(m, "stale", r->stale);
    if (!contact_at)
        return;
    msgpack_packer *pk = nmirf_mp_map_key(m, "contact_at");
    if (r->contact_at)
        msgpack_pack_uint64(pk, r->contact_at);
    else
        msgpack_pack_nil(pk);
}

/* Reads a uint field; false (and a reason) if absent or another type. */
static bool
s_get_uint(const msgpack_object *body, const char *key, uint64_t *out, char *why,
           size_t whylen)
{
    const msgpack_object *v = nmirf_mp_get(body, key);
    if (!v || v->type != MSGPACK_OBJECT_POSITIVE_INTEGER) {
        WHY("%s must be an unsigned integer", key);
        return false;
    }
    *out = v->via.u64;
    return true;
}

/* Reads a bool field; false (and a reason) if absent or another type. */
static bool
s_get_bool(const msgpack_object *body, const char *key, bool *out, char *why,
           size_t whylen)
{
    const msgpack_object *v = nmirf_mp_get(body, key);
    if (!v || v->type != MSGPACK_OBJECT_BOOLEAN) {
        WHY("%s must be a bool", key);
        return false;
    }
    *out = v->via.boolean;
    return true;
}

/* Reads a str field into buf; false (and a reason) if absent, another
   type or too long. */
static bool
s_get_str(const msgpack_object *body, const char *key, char *buf, size_t size, char *why,
          size_t whylen)
{
    if (nmirf_mp_strcpy(nmirf_mp_get(body, key), buf, size)) {
        WHY("%s must be a str of at most %zu bytes", key, size - 1);
        return false;
    }
    return true;
}

nmirf_code_t
nmirf_ctl_replica_decode(const msgpack_object *body, nmirf_ctl_replica_t *r, char *why,
                         size_t whylen)
{
    memset(r, 0, sizeof *r);
    if (!s_get_str(body, "entity", r->entity, sizeof r->entity, why, whylen) ||
        !s_get_uint(body, "seq", &r->seq, why, whylen) ||
        !s_get_uint(body, "broker_seq", &r->broker_seq, why, whylen) ||
        !s_get_bool(body, "stale", &r->stale, why, whylen))
        return NMIRF_E_BAD_REQUEST;
    const msgpack_object *c = nmirf_mp_get(body, "contact_at");
    if (!c || (c->type != MSGPACK_OBJECT_NIL &&
               !s_get_uint(body, "contact_at", &r->contact_at, why, whylen))) {
        WHY("contact_at must be an unsigned integer or nil");
        return NMIRF_E_BAD_REQUEST;
    }
    return NMIRF_OK;
}

void
nmirf_ctl_status_pack(msgpack_packer *pk, const nmirf_ctl_status_t *st)
{
    nmirf_mp_map_t m;
    nmirf_mp_map_init(&m);
    nmirf_mp_map_str(&m, "entity", st->entity);
    nmirf_mp_map_uint(&m, "seq", st->seq);
    nmirf_mp_map_uint(&m, "broker_seq", st->broker_seq);
    nmirf_mp_map_uint(&m, "lag", st->lag);
    nmirf_mp_map_bool(&m, "stale", st->stale);
    nmirf_mp_map_bool(&m, "connected", st->connected);
    nmirf_mp_map_bool(&m, "loaded", st->loaded);
    nmirf_mp_map_uint(&m, "outbox", st->outbox);
    nmirf_mp_map_uint(&m, "refused", st->refused);
    nmirf_mp_map_bool(&m, "key_refused", st->key_refused);
    msgpack_packer *h = nmirf_mp_map_key(&m, "heard_ms_ago");
    if (st->has_heard)
        msgpack_pack_uint64(h, st->heard_ms_ago);
    else
        msgpack_pack_nil(h);
    nmirf_mp_map_uint(&m, "outbox_reported", st->outbox_reported);
    nmirf_mp_map_uint(&m, "checkpoint_seq", st->checkpoint_seq);
    nmirf_mp_map_str_or_nil(&m, "broker_refused",
                            st->broker_refused[0] ? st->broker_refused : NULL);
    /* Only when some were: the body stays as it was for an agent that
       never had to (and for an older client). */
    if (st->resigned)
        nmirf_mp_map_uint(&m, "resigned", st->resigned);
    nmirf_mp_map_finish(&m, pk);
}

nmirf_code_t
nmirf_ctl_status_decode(const msgpack_object *body, nmirf_ctl_status_t *st, char *why,
                        size_t whylen)
{
    memset(st, 0, sizeof *st);
    if (!body || body->type != MSGPACK_OBJECT_MAP) {
        WHY("status: body must be a map");
        return NMIRF_E_BAD_REQUEST;
    }
    if (!s_get_str(body, "entity", st->entity, sizeof st->entity, why, whylen) ||
        !s_get_uint(body, "seq", &st->seq, why, whylen) ||
        !s_get_uint(body, "broker_seq", &st->broker_seq, why, whylen) ||
        !s_get_uint(body, "lag", &st->lag, why, whylen) ||
        !s_get_bool(body, "stale", &st->stale, why, whylen) ||
        !s_get_bool(body, "connected", &st->connected, why, whylen) ||
        !s_get_bool(body, "loaded", &st->loaded, why, whylen) ||
        !s_get_uint(body, "outbox", &st->outbox, why, whylen) ||
        !s_get_uint(body, "refused", &st->refused, why, whylen) ||
        !s_get_bool(body, "key_refused", &st->key_refused, why, whylen) ||
        !s_get_uint(body, "outbox_reported", &st->outbox_reported, why, whylen) ||
        !s_get_uint(body, "checkpoint_seq", &st->checkpoint_seq, why, whylen))
        return NMIRF_E_BAD_REQUEST;
    const msgpack_object *h = nmirf_mp_get(body, "heard_ms_ago");
    if (h && h->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
        st->has_heard = true;
        st->heard_ms_ago = h->via.u64;
    } else if (!h || h->type != MSGPACK_OBJECT_NIL) {
        WHY("heard_ms_ago must be an unsigned integer or nil");
        return NMIRF_E_BAD_REQUEST;
    }
    const msgpack_object *br = nmirf_mp_get(body, "broker_refused");
    if (br && br->type == MSGPACK_OBJECT_STR) {
        if (!s_get_str(body, "broker_refused", st->broker_refused,
                       sizeof st->broker_refused, why, whylen) ||
            !st->broker_refused[0]) {
            WHY("broker_refused must be a non-empty str of at most %zu bytes, or nil",
                sizeof st->broker_refused - 1);
            return NMIRF_E_BAD_REQUEST;
        }
    } else if (!br || br->type != MSGPACK_OBJECT_NIL) {
        WHY("broker_refused must be a str or nil");
        return NMIRF_E_BAD_REQUEST;
    }
    if (nmirf_mp_get(body, "resigned") &&
        !s_get_uint(body, "resigned", &st->resigned, why, whylen))
        return NMIRF_E_BAD_REQUEST;
    return NMIRF_OK;
}

void
nmirf_ctl_queued_pack(msgpack_packer *pk, const nmirf_ctl_queued_t *q)
{
    char hex[2 * NMIRF_ID_LEN + 1];
    for (int i = 0; i < NMIRF_ID_LEN; i++)
        snprintf(hex + 2 * i, 3, "%02x", q->id[i]);
    nmirf_mp_map_t m;
    nmirf_mp_map_init(&m);
    nmirf_mp_map_bool(&m, "queued", true);
    nmirf_mp_map_str(&m, "id", hex);
    /* key_refused: the broker refuses our key, so "queued" is all this
       submission will be until the key is enrolled. */
    if (q->key_refused)
        nmirf_mp_map_bool(&m, "key_refused", true);
    nmirf_mp_map_finish(&m, pk);
}

nmirf_code_t
nmirf_ctl_queued_decode(const msgpack_object *body, nmirf_ctl_queued_t *q, char *why,
                        size_t whylen)
{
    memset(q, 0, sizeof *q);
    if (!body || body->type != MSGPACK_OBJECT_MAP || !nmirf_mp_get(body, "queued"))
        return NMIRF_E_NOT_FOUND;
    bool queued;
    char hex[2 * NMIRF_ID_LEN + 1];
    if (!s_get_bool(body, "queued", &queued, why, whylen) || !queued ||
        !s_get_str(body, "id", hex, sizeof hex, why, whylen) ||
        strlen(hex) != 2 * NMIRF_ID_LEN) {
        WHY("a queued body is {queued: true, id: hex, key_refused?: true}");
        return NMIRF_E_BAD_REQUEST;
    }
    for (int i = 0; i < 2 * NMIRF_ID_LEN; i++) {
        char c = hex[i];
        int nib = c >= '0' && c <= '9'   ? c - '0'
                  : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                         : -1;
        if (nib < 0) {
            WHY("id must be 32 lowercase hex digits");
            return NMIRF_E_BAD_REQUEST;
        }
        q->id[i / 2] = (uint8_t)(i % 2 ? q->id[i / 2] | nib : nib << 4);
    }
    const msgpack_object *k = nmirf_mp_get(body, "key_refused");
    if (k && !s_get_bool(body, "key_refused", &q->key_refused, why, whylen))
        return NMIRF_E_BAD_REQUEST;
    return NMIRF_OK;
}

void
nmirf_ctl_digest_pack(msgpack_packer *pk, const nmirf_ctl_digest_t *d)
{
    nmirf_mp_map_t m;
    nmirf_mp_map_init(&m);
    nmirf_mp_map_uint(&m, "seq", d->seq);
    nmirf_mp_pack_bin(nmirf_mp_map_key(&m, "digest"), d->digest, sizeof d->digest);
    nmirf_mp_map_finish(&m, pk);
}

nmirf_code_t
nmirf_ctl_digest_decode(const msgpack_object *body, nmirf_ctl_digest_t *d, char *why,
                        size_t whylen)
{
    memset(d, 0, sizeof *d);
    const msgpack_object *g = nmirf_mp_get(body, "digest");
    if (!s_get_uint(body, "seq", &d->seq, why, whylen))
        return NMIRF_E_BAD_REQUEST;
    if (!g || g->type != MSGPACK_OBJECT_BIN || g->via.bin.size != NMIRF_HASH_LEN) {
        WHY("digest must be %d bytes (bin)", NMIRF_HASH_LEN);
        return NMIRF_E_BAD_REQUEST;
    }
    memcpy(d->digest, g->via.bin.ptr, NMIRF_HASH_LEN);
    return NMIRF_OK;
}
