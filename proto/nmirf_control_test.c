/*  nmirf_control_test - the control codec against its golden vectors, and
    the limits of every request.

    Usage: codec_control proto/vectors/control.json

    For every case in the vectors file (proto/vectors/README.md, kinds
    control-*): a request decodes and encodes back to exactly its bytes;
    an invalid frame gets exactly its code; a reply decodes (the broker's
    reply decoder), its body decodes with the typed decoder of its kind and
    packs back to exactly its bytes, and the reply encodes back to exactly
    its frame. Then each limit on both sides of its edge. Prints
    "file:line: case: what" per failed check, one summary line at the end.
*/
#include "nmirf_control.h"
#include "nmirf_mp.h"
#include "unit.h"
#include "vectors/vectors_hex.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Decodes buf as a request; returns the code, req filled. */
static nmirf_code_t
s_decode(const uint8_t *buf, size_t len, nmirf_ctl_request_t *req, msgpack_zone *zone)
{
    char why[256] = "";
    nmirf_code_t code = nmirf_ctl_request_decode(buf, len, zone, req, why, sizeof why);
    CHECK(code == NMIRF_OK || why[0], "a refusal (%s) without a reason",
          nmirf_code_name(code));
    return code;
}

/* True if encoding req gives exactly buf. */
static bool
s_encodes_to(const nmirf_ctl_request_t *req, const uint8_t *buf, size_t len)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    bool same = nmirf_ctl_request_encode(&sb, req) == 0 && sb.size == len &&
                memcmp(sb.data, buf, len) == 0;
    msgpack_sbuffer_destroy(&sb);
    return same;
}

/* A control-request case: decodes, and encodes back to the same bytes. */
static void
s_request_case(const json_t *c, const uint8_t *buf, size_t len)
{
    msgpack_zone zone;
    msgpack_zone_init(&zone, 1024);
    nmirf_ctl_request_t req;
    CHECK(s_decode(buf, len, &req, &zone) == NMIRF_OK, "does not decode");
    CHECK(!req.has_v, "v written at version 1");
    CHECK(s_encodes_to(&req, buf, len), "does not encode back to its bytes");
    /* What an agent from before CONTROL.md reads: a map of exactly the
       two keys op and body (it refuses more). */
    msgpack_object top;
    CHECK(nmirf_mp_unpack(buf, len, &zone, &top, NULL, 0) == NMIRF_OK &&
              top.type == MSGPACK_OBJECT_MAP && top.via.map.size == 2 &&
              nmirf_mp_str_is(&top.via.map.ptr[0].key, "op") &&
              top.via.map.ptr[0].val.type == MSGPACK_OBJECT_STR &&
              nmirf_mp_str_is(&top.via.map.ptr[1].key, "body") &&
              top.via.map.ptr[1].val.type == MSGPACK_OBJECT_MAP,
          "not the two-key map {op, body} an old agent reads");
    const char *name = json_string_value(json_object_get(c, "name"));
    const json_t *readable = json_object_get(c, "readable");
    CHECK(strcmp(nmirf_ctl_op_name(req.op),
                 json_string_value(json_object_get(readable, "op"))) == 0,
          "op is not the readable op");
    if (strcmp(name, "ctl-rec-list") == 0) {
        const nmirf_ctl_rec_list_t *l = &req.rec_list;
        CHECK(l->scope == NMIRF_CTL_SCOPE_OURS && strcmp(l->status, "in_progress") == 0 &&
                  strcmp(l->mechanism, "UPR") == 0 && l->due == NMIRF_CTL_DUE_OVERDUE &&
                  strcmp(l->q, "défenseurs") == 0 && l->offset == 50 && l->limit == 50 &&
                  strcmp(l->clock.today, "2026-01-20") == 0 && !l->clock.has_due_soon,
              "rec.list fields");
    } else if (strcmp(name, "ctl-rec-list-all") == 0) {
        CHECK(req.rec_list.scope == NMIRF_CTL_SCOPE_ALL && !req.rec_list.has_limit &&
                  req.rec_list.limit == NMIRF_CONTROL_LIMIT_DEFAULT &&
                  req.rec_list.offset == 0,
              "rec.list defaults");
    } else if (strcmp(name, "ctl-submit") == 0) {
        CHECK(strcmp(req.submit.op, "report.submit") == 0 && req.submit.has_id &&
                  req.submit.id[0] == 0x50 && req.submit.wait_ms == 10000 &&
                  nmirf_mp_str_is(nmirf_mp_get(&req.submit.body_obj, "status"),
                                  "in_progress"),
              "submit fields");
    } else if (strcmp(name, "ctl-measure-list-ours") == 0) {
        CHECK(!req.measure_list.has_rec, "measure.list: rec given");
    }
    msgpack_zone_destroy(&zone);
}

/* A control-reply case. */
static void
s_reply_case(const json_t *c, const uint8_t *buf, size_t len)
{
    char why[256] = "";
    nmirf_reply_t *r = nmirf_reply_decode(buf, len, why, sizeof why);
    CHECK(r, "the reply does not decode: %s", why);
    if (!r)
        return;
    CHECK(!r->has_id, "a control reply has id nil");
    CHECK(strcmp(r->code_name, json_string_value(json_object_get(c, "code"))) == 0,
          "code %s", r->code_name);
    CHECK(r->seq == (uint64_t)json_integer_value(json_object_get(c, "seq")), "seq");
    const char *kind = json_string_value(json_object_get(c, "body_kind"));
    msgpack_sbuffer body;
    msgpack_packer pk;
    msgpack_sbuffer_init(&body);
    msgpack_packer_init(&pk, &body, msgpack_sbuffer_write);
    if (strcmp(kind, "status") == 0) {
        nmirf_ctl_status_t st;
        CHECK(nmirf_ctl_status_decode(&r->body, &st, why, sizeof why) == NMIRF_OK, "%s",
              why);
        nmirf_ctl_status_pack(&pk, &st);
    } else if (strcmp(kind, "digest") == 0) {
        nmirf_ctl_digest_t d;
        CHECK(nmirf_ctl_digest_decode(&r->body, &d, why, sizeof why) == NMIRF_OK, "%s",
              why);
        nmirf_ctl_digest_pack(&pk, &d);
    } else if (strcmp(kind, "queued") == 0) {
        nmirf_ctl_queued_t q;
        CHECK(nmirf_ctl_queued_decode(&r->body, &q, why, sizeof why) == NMIRF_OK, "%s",
              why);
        nmirf_ctl_queued_pack(&pk, &q);
    } else if (strcmp(kind, "replica") == 0) {
        nmirf_ctl_replica_t rp;
        CHECK(nmirf_ctl_replica_decode(&r->body, &rp, why, sizeof why) == NMIRF_OK, "%s",
              why);
        /* The head, then the rest of the body as it came. */
        nmirf_mp_map_t m;
        nmirf_mp_map_init(&m);
        nmirf_ctl_replica_pack(&m, &rp, true);
        for (uint32_t i = m.count; i < r->body.via.map.size; i++) {
            const msgpack_object *k = &r->body.via.map.ptr[i].key;
            char key[64] = "";
            CHECK(nmirf_mp_strcpy(k, key, sizeof key) == 0, "a body key is not a str");
            nmirf_mp_pack_object(nmirf_mp_map_key(&m, key), &r->body.via.map.ptr[i].val);
        }
        nmirf_mp_map_finish(&m, &pk);
    } else
        CHECK(r->body.type == MSGPACK_OBJECT_NIL, "a refusal has body nil");
    size_t blen;
    uint8_t *want = vectors_unhex(json_object_get(c, "body_hex"), &blen);
    if (want)
        CHECK(body.size == blen && memcmp(body.data, want, blen) == 0,
              "the body does not pack back to its bytes");
    msgpack_sbuffer out;
    msgpack_sbuffer_init(&out);
    nmirf_ctl_reply_encode(&out, r->code, r->message, r->seq, want ? &body : NULL);
    CHECK(out.size == len && memcmp(out.data, buf, len) == 0,
          "the reply does not encode back to its frame");
    msgpack_sbuffer_destroy(&out);
    msgpack_sbuffer_destroy(&body);
    free(want);
    nmirf_reply_destroy(&r);
}

/* Every case of the vectors file. */
static void
s_vectors(const char *path)
{
    json_error_t err;
    json_t *root = json_load_file(path, 0, &err);
    unit_case = "control.json";
    CHECK(root, "cannot load %s: %s", path, err.text);
    if (!root)
        return;
    CHECK(json_integer_value(json_object_get(root, "control")) == NMIRF_CONTROL_VERSION,
          "control version");
    size_t i, n[3] = {0};
    json_t *c;
    json_array_foreach(json_object_get(root, "cases"), i, c)
    {
        unit_case = json_string_value(json_object_get(c, "name"));
        const char *kind = json_string_value(json_object_get(c, "kind"));
        size_t len;
        uint8_t *buf = vectors_unhex(json_object_get(c, "hex"), &len);
        CHECK(buf, "no hex");
        if (!buf)
            continue;
        if (strcmp(kind, "control-request") == 0) {
            s_request_case(c, buf, len);
            n[0]++;
        } else if (strcmp(kind, "control-invalid") == 0) {
            msgpack_zone zone;
            msgpack_zone_init(&zone, 1024);
            nmirf_ctl_request_t req;
            nmirf_code_t code = s_decode(buf, len, &req, &zone);
            const char *expect = json_string_value(json_object_get(c, "expect"));
            CHECK(strcmp(nmirf_code_name(code), expect) == 0, "answered %s, not %s",
                  nmirf_code_name(code), expect);
            if (strcmp(unit_case, "ctl-v1") == 0)
                CHECK(req.has_v, "v: 1 not seen");
            msgpack_zone_destroy(&zone);
            n[1]++;
        } else if (strcmp(kind, "control-reply") == 0) {
            s_reply_case(c, buf, len);
            n[2]++;
        } else
            CHECK(0, "unknown kind %s", kind);
        free(buf);
    }
    unit_case = "control.json";
    CHECK(n[0] >= 8 && n[1] >= 15 && n[2] >= 5,
          "cases: %zu requests, %zu invalid, %zu "
          "replies",
          n[0], n[1], n[2]);
    json_decref(root);
}

/* The code a request {op, body: JSON-free body packed by pack} gets. */
static nmirf_code_t
s_code_of(const char *op, void (*pack)(msgpack_packer *, const void *), const void *arg)
{
    msgpack_sbuffer body, frame;
    msgpack_packer pk;
    msgpack_sbuffer_init(&body);
    msgpack_sbuffer_init(&frame);
    msgpack_packer_init(&pk, &body, msgpack_sbuffer_write);
    pack(&pk, arg);
    nmirf_ctl_request_pack(&frame, op, (const uint8_t *)body.data, body.size);
    msgpack_zone zone;
    msgpack_zone_init(&zone, 1024);
    nmirf_ctl_request_t req;
    nmirf_code_t code = s_decode((const uint8_t *)frame.data, frame.size, &req, &zone);
    msgpack_zone_destroy(&zone);
    msgpack_sbuffer_destroy(&body);
    msgpack_sbuffer_destroy(&frame);
    return code;
}

/* {key: uint *arg}, key from s_key. */
static const char *s_key;
static void
s_pack_uint(msgpack_packer *pk, const void *arg)
{
    msgpack_pack_map(pk, 1);
    nmirf_mp_pack_kv_uint(pk, s_key, *(const uint64_t *)arg);
}

/* {key: str arg}. */
static void
s_pack_str(msgpack_packer *pk, const void *arg)
{
    msgpack_pack_map(pk, 1);
    nmirf_mp_pack_kv_str(pk, s_key, arg);
}

/* A submit of a report (a body its field table takes) with {key: bin of
 *arg bytes}. */
static void
s_pack_bin(msgpack_packer *pk, const void *arg)
{
    uint8_t b[32] = {0};
    msgpack_pack_map(pk, 3);
    nmirf_mp_pack_kv_str(pk, "op", "report.submit");
    nmirf_mp_pack_str(pk, "body");
    msgpack_pack_map(pk, 3);
    nmirf_mp_pack_kv_str(pk, "rec", "R-1");
    nmirf_mp_pack_kv_str(pk, "status", "in_progress");
    nmirf_mp_pack_kv_str(pk, "narrative", "n");
    nmirf_mp_pack_str(pk, s_key);
    nmirf_mp_pack_bin(pk, b, *(const size_t *)arg);
}

/* A uint field at its limit is taken, one past it refused. */
static void
s_uint_edge(const char *op, const char *key, uint64_t max, nmirf_code_t past)
{
    s_key = key;
    uint64_t v = max;
    CHECK(s_code_of(op, s_pack_uint, &v) == NMIRF_OK, "%s %s %llu refused", op, key,
          (unsigned long long)v);
    v = max + 1;
    CHECK(s_code_of(op, s_pack_uint, &v) == past, "%s %s %llu taken", op, key,
          (unsigned long long)v);
}

/* A str field of n bytes gets want. */
static void
s_str_len(const char *op, const char *key, size_t n, nmirf_code_t want)
{
    char *s = malloc(n + 1);
    memset(s, 'a', n);
    s[n] = 0;
    s_key = key;
    nmirf_code_t got = s_code_of(op, s_pack_str, s);
    CHECK(got == want, "%s %s of %zu bytes: %s", op, key, n, nmirf_code_name(got));
    free(s);
}

static void
s_limits(void)
{
    unit_case = "limits";
    s_uint_edge("mine", "due_soon_days", NMIRF_DUE_SOON_MAX, NMIRF_E_BAD_REQUEST);
    s_uint_edge("rec.list", "limit", NMIRF_CONTROL_LIMIT_MAX, NMIRF_E_BAD_REQUEST);
    s_uint_edge("rec.list", "offset", NMIRF_CONTROL_OFFSET_MAX, NMIRF_E_BAD_REQUEST);
    uint64_t zero = 0;
    s_key = "limit";
    CHECK(s_code_of("rec.list", s_pack_uint, &zero) == NMIRF_E_BAD_REQUEST, "limit 0");
    s_str_len("rec.list", "q", NMIRF_CONTROL_QUERY_MAX, NMIRF_OK);
    s_str_len("rec.list", "q", NMIRF_CONTROL_QUERY_MAX + 1, NMIRF_E_TOO_LARGE);
    s_str_len("rec.list", "q", 0, NMIRF_E_BAD_REQUEST);
    s_str_len("rec.show", "rec", NMIRF_REC_ID_MAX, NMIRF_OK);
    s_str_len("rec.show", "rec", NMIRF_REC_ID_MAX + 1, NMIRF_E_TOO_LARGE);
    s_str_len("rec.show", "rec", 0, NMIRF_E_BAD_REQUEST);
    s_str_len("measure.list", "rec", NMIRF_REC_ID_MAX + 1, NMIRF_E_TOO_LARGE);
    s_str_len("measure.list", "recs", 3, NMIRF_E_BAD_REQUEST);
    s_key = "status";
    CHECK(s_code_of("rec.list", s_pack_str, "implemented") == NMIRF_OK, "status");
    CHECK(s_code_of("rec.list", s_pack_str, "done") == NMIRF_E_BAD_REQUEST,
          "status done");
    s_key = "mechanism";
    CHECK(s_code_of("rec.list", s_pack_str, "CEDAW") == NMIRF_OK, "mechanism");
    CHECK(s_code_of("rec.list", s_pack_str, "cedaw") == NMIRF_E_BAD_REQUEST, "mechanism");
    s_key = "due";
    CHECK(s_code_of("rec.list", s_pack_str, "due_soon") == NMIRF_OK, "due_soon");
    CHECK(s_code_of("rec.list", s_pack_str, "") == NMIRF_E_BAD_REQUEST, "due empty");
    s_key = "today";
    CHECK(s_code_of("rec.list", s_pack_str, "2024-02-29") == NMIRF_OK, "leap day");
    CHECK(s_code_of("rec.list", s_pack_str, "2025-02-29") == NMIRF_E_BAD_REQUEST,
          "no leap day");
    s_key = "id";
    size_t n = NMIRF_ID_LEN;
    CHECK(s_code_of("submit", s_pack_bin, &n) == NMIRF_OK, "id of 16 bytes");
    n = NMIRF_ID_LEN - 1;
    CHECK(s_code_of("submit", s_pack_bin, &n) == NMIRF_E_BAD_REQUEST, "id of 15 bytes");
    s_key = "wait_ms";
    uint64_t w = NMIRF_CONTROL_WAIT_MAX_MS + 1;
    /* {wait_ms} alone: op is missing first; the edge is in the vectors'
       own submit (10,000) and below. */
    CHECK(s_code_of("submit", s_pack_uint, &w) == NMIRF_E_BAD_REQUEST, "wait_ms past");

    /* The frame's own size: checked before a byte is read. */
    uint8_t one = 0x80;
    msgpack_zone zone;
    msgpack_zone_init(&zone, 64);
    nmirf_ctl_request_t req;
    char why[128];
    CHECK(nmirf_ctl_request_decode(&one, NMIRF_CONTROL_MAX + 1, &zone, &req, why,
                                   sizeof why) == NMIRF_E_TOO_LARGE,
          "2 MiB + 1");
    msgpack_zone_destroy(&zone);

    /* Names. */
    for (int i = 0; i < NMIRF_CTL_OP_COUNT; i++)
        CHECK((int)nmirf_ctl_op_from_name(nmirf_ctl_op_name((nmirf_ctl_op_t)i)) == i,
              "op %d", i);
    CHECK(nmirf_ctl_op_name(NMIRF_CTL_OP_COUNT) == NULL, "op past the end");
    CHECK(nmirf_ctl_op_from_name("ping") == NMIRF_CTL_OP_COUNT, "ping is the broker's");
}

/* {op: str s_op, body: s_body_fn's map} for submit and ask. */
static const char *s_op;
static void (*s_body_fn)(msgpack_packer *);
static void
s_pack_op(msgpack_packer *pk, const void *arg)
{
    (void)arg;
    msgpack_pack_map(pk, s_body_fn ? 2 : 1);
    nmirf_mp_pack_kv_str(pk, "op", s_op);
    if (s_body_fn) {
        nmirf_mp_pack_str(pk, "body");
        s_body_fn(pk);
    }
}

static void
s_body_empty(msgpack_packer *pk)
{
    msgpack_pack_map(pk, 0);
}

static void
s_body_report(msgpack_packer *pk)
{
    msgpack_pack_map(pk, 1);
    nmirf_mp_pack_kv_uint(pk, "report", 7);
}

static void
s_body_assign(msgpack_packer *pk)
{
    msgpack_pack_map(pk, 2);
    nmirf_mp_pack_kv_str(pk, "rec", "R-1");
    nmirf_mp_pack_kv_str(pk, "lead", "MJ");
}

static void
s_body_withdraw(msgpack_packer *pk)
{
    msgpack_pack_map(pk, 2);
    nmirf_mp_pack_kv_str(pk, "rec", "R-1");
    nmirf_mp_pack_kv_str(pk, "reason", "duplicate");
}

static void
s_body_merge(msgpack_packer *pk)
{
    msgpack_pack_map(pk, 2);
    nmirf_mp_pack_kv_str(pk, "from", "R-1");
    nmirf_mp_pack_kv_str(pk, "into", "R-2");
}

static void
s_body_entity_update(msgpack_packer *pk)
{
    msgpack_pack_map(pk, 2);
    nmirf_mp_pack_kv_str(pk, "id", "MJ");
    nmirf_mp_pack_kv_str(pk, "contact", "mj@justice.gov.ma");
}

/* report.submit with a narrative of s_len bytes. */
static size_t s_len;
static void
s_body_narrative(msgpack_packer *pk)
{
    char *n = malloc(s_len + 1);
    memset(n, 'x', s_len);
    n[s_len] = 0;
    msgpack_pack_map(pk, 3);
    nmirf_mp_pack_kv_str(pk, "rec", "R-1");
    nmirf_mp_pack_kv_str(pk, "status", "in_progress");
    nmirf_mp_pack_kv_str(pk, "narrative", n);
    free(n);
}

static void
s_body_unknown(msgpack_packer *pk)
{
    msgpack_pack_map(pk, 4);
    nmirf_mp_pack_kv_str(pk, "rec", "R-1");
    nmirf_mp_pack_kv_str(pk, "status", "in_progress");
    nmirf_mp_pack_kv_str(pk, "narrative", "n");
    nmirf_mp_pack_kv_str(pk, "colour", "blue");
}

static void
s_body_array(msgpack_packer *pk)
{
    msgpack_pack_array(pk, 0);
}

/* The code a submit or ask of op with body (NULL: none) gets. */
static nmirf_code_t
s_op_code(const char *ctl, const char *op, void (*body)(msgpack_packer *))
{
    s_op = op;
    s_body_fn = body;
    return s_code_of(ctl, s_pack_op, NULL);
}

/* submit of every write, ask of every read, report.list and entity.list. */
static void
s_console_ops(void)
{
    unit_case = "console operations";
    /* Every write is taken; a body without a field table as a map. */
    for (int i = 0; i < nmirf_ctl_writes.count; i++) {
        const char *w = nmirf_ctl_writes.names[i];
        void (*body)(msgpack_packer *) = s_body_empty;
        if (strcmp(w, "report.submit") == 0) {
            s_len = 1;
            body = s_body_narrative;
        } else if (strcmp(w, "rec.assign") == 0)
            body = s_body_assign;
        else if (strcmp(w, "rec.withdraw") == 0)
            body = s_body_withdraw;
        else if (strcmp(w, "rec.merge") == 0)
            body = s_body_merge;
        else if (strcmp(w, "entity.update") == 0)
            body = s_body_entity_update;
        else if (strncmp(w, "report.", 7) == 0)
            body = s_body_report;
        CHECK(s_op_code("submit", w, body) == NMIRF_OK, "submit %s refused", w);
        CHECK(s_op_code("submit", w, s_body_array) == NMIRF_E_BAD_REQUEST,
              "submit %s with a body that is not a map", w);
    }
    CHECK(nmirf_ctl_writes.count == 10, "ten writes");
    CHECK(!nmirf_ctl_write_coordinator("report.submit") &&
              !nmirf_ctl_write_coordinator("measure.add") &&
              !nmirf_ctl_write_coordinator("measure.update") &&
              nmirf_ctl_write_coordinator("report.validate") &&
              nmirf_ctl_write_coordinator("report.return") &&
              nmirf_ctl_write_coordinator("rec.assign") &&
              nmirf_ctl_write_coordinator("rec.import") &&
              nmirf_ctl_write_coordinator("rec.withdraw") &&
              nmirf_ctl_write_coordinator("rec.merge") &&
              nmirf_ctl_write_coordinator("entity.update"),
          "the coordinator's writes");
    /* The repairs' field tables: a withdrawal needs its reason, a merge
       its into, an entity.update its id. */
    CHECK(s_op_code("submit", "rec.withdraw", s_body_assign) == NMIRF_E_BAD_REQUEST,
          "rec.withdraw without reason");
    CHECK(s_op_code("submit", "rec.merge", s_body_empty) == NMIRF_E_BAD_REQUEST,
          "rec.merge {}");
    CHECK(s_op_code("submit", "entity.update", s_body_withdraw) == NMIRF_E_BAD_REQUEST,
          "entity.update without id");
    CHECK(s_op_code("submit", "entity.enroll", s_body_empty) == NMIRF_E_BAD_REQUEST,
          "submit entity.enroll");
    CHECK(s_op_code("submit", "stats", s_body_empty) == NMIRF_E_BAD_REQUEST,
          "submit of a read");
    /* The field tables: rec.assign needs its lead, report.submit its
       narrative, and no unknown key; lengths are the broker's to judge. */
    CHECK(s_op_code("submit", "rec.assign", s_body_empty) == NMIRF_E_BAD_REQUEST,
          "rec.assign {}");
    CHECK(s_op_code("submit", "report.submit", s_body_unknown) == NMIRF_E_BAD_REQUEST,
          "report.submit with an unknown key");
    s_len = NMIRF_TEXT_MAX;
    CHECK(s_op_code("submit", "report.submit", s_body_narrative) == NMIRF_OK,
          "narrative of 32 KiB");
    s_len = NMIRF_TEXT_MAX + 1;
    CHECK(s_op_code("submit", "report.submit", s_body_narrative) == NMIRF_OK,
          "narrative over 32 KiB: the broker's to refuse");

    /* ask: every read, with or without a body; nothing else. */
    for (int i = 0; i < nmirf_ctl_asks.count; i++) {
        const char *a = nmirf_ctl_asks.names[i];
        CHECK(s_op_code("ask", a, NULL) == NMIRF_OK, "ask %s refused", a);
        CHECK(s_op_code("ask", a, s_body_empty) == NMIRF_OK, "ask %s {} refused", a);
    }
    CHECK(s_op_code("ask", "report.submit", NULL) == NMIRF_E_BAD_REQUEST, "ask a write");
    CHECK(s_op_code("ask", "snapshot", NULL) == NMIRF_E_BAD_REQUEST, "ask snapshot");
    CHECK(s_op_code("ask", "stats", s_body_array) == NMIRF_E_BAD_REQUEST,
          "ask body not a map");
    s_key = "wait_ms";
    uint64_t w = NMIRF_CONTROL_ASK_WAIT_MAX_MS;
    /* {wait_ms} alone: op is missing. */
    CHECK(s_code_of("ask", s_pack_uint, &w) == NMIRF_E_BAD_REQUEST, "ask without op");
    msgpack_sbuffer body, frame;
    msgpack_packer pk;
    msgpack_sbuffer_init(&body);
    msgpack_packer_init(&pk, &body, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 1);
    nmirf_mp_pack_kv_str(&pk, "op", "ping");
    msgpack_sbuffer_init(&frame);
    nmirf_ctl_request_pack(&frame, "ask", (const uint8_t *)body.data, body.size);
    msgpack_zone zone;
    msgpack_zone_init(&zone, 1024);
    nmirf_ctl_request_t req;
    CHECK(s_decode((const uint8_t *)frame.data, frame.size, &req, &zone) == NMIRF_OK &&
              req.op == NMIRF_CTL_ASK && strcmp(req.ask.op, "ping") == 0 &&
              !req.ask.has_body && !req.ask.has_wait &&
              req.ask.wait_ms == NMIRF_CONTROL_ASK_WAIT_DEFAULT_MS,
          "ask ping: the default wait");
    msgpack_zone_destroy(&zone);
    msgpack_sbuffer_destroy(&frame);
    msgpack_sbuffer_destroy(&body);

    /* report.list: limits as rec.list's, its value set, ids. */
    s_uint_edge("report.list", "limit", NMIRF_CONTROL_LIMIT_MAX, NMIRF_E_BAD_REQUEST);
    s_uint_edge("report.list", "offset", NMIRF_CONTROL_OFFSET_MAX, NMIRF_E_BAD_REQUEST);
    uint64_t zero = 0;
    s_key = "limit";
    CHECK(s_code_of("report.list", s_pack_uint, &zero) == NMIRF_E_BAD_REQUEST,
          "report.list limit 0");
    s_key = "state";
    CHECK(s_code_of("report.list", s_pack_str, "returned") == NMIRF_OK, "state");
    CHECK(s_code_of("report.list", s_pack_str, "done") == NMIRF_E_BAD_REQUEST,
          "state done");
    s_key = "entity";
    CHECK(s_code_of("report.list", s_pack_str, "MJ") == NMIRF_OK, "entity");
    CHECK(s_code_of("report.list", s_pack_str, "mj") == NMIRF_E_BAD_REQUEST,
          "entity in lower case");
    s_str_len("report.list", "entity", NMIRF_ENTITY_ID_MAX + 1, NMIRF_E_TOO_LARGE);
    s_str_len("report.list", "rec", NMIRF_REC_ID_MAX + 1, NMIRF_E_TOO_LARGE);
    s_str_len("report.list", "rec", 0, NMIRF_E_BAD_REQUEST);
    s_str_len("report.list", "recs", 3, NMIRF_E_BAD_REQUEST);
    s_str_len("entity.list", "role", 3, NMIRF_E_BAD_REQUEST);
}

/* Reply bodies that must be refused, and a broker answer that is not
   {queued}. */
static void
s_bodies(void)
{
    unit_case = "bodies";
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 1);
    nmirf_mp_pack_kv_uint(&pk, "report", 7);
    msgpack_zone zone;
    msgpack_zone_init(&zone, 256);
    msgpack_object o;
    CHECK(nmirf_mp_unpack((const uint8_t *)sb.data, sb.size, &zone, &o, NULL, 0) ==
              NMIRF_OK,
          "unpack");
    nmirf_ctl_queued_t q;
    nmirf_ctl_status_t st;
    nmirf_ctl_digest_t d;
    nmirf_ctl_replica_t r;
    char why[128] = "";
    CHECK(nmirf_ctl_queued_decode(&o, &q, why, sizeof why) == NMIRF_E_NOT_FOUND,
          "a broker answer is not {queued}");
    CHECK(nmirf_ctl_status_decode(&o, &st, why, sizeof why) == NMIRF_E_BAD_REQUEST &&
              why[0],
          "status without its fields");
    CHECK(nmirf_ctl_digest_decode(&o, &d, why, sizeof why) == NMIRF_E_BAD_REQUEST,
          "digest without its fields");
    CHECK(nmirf_ctl_replica_decode(&o, &r, why, sizeof why) == NMIRF_E_BAD_REQUEST,
          "replica head without its fields");
    msgpack_zone_destroy(&zone);
    msgpack_sbuffer_destroy(&sb);

    /* A status with broker_refused and no heard_ms_ago round-trips. */
    nmirf_ctl_status_t a = {.entity = "MJ", .broker_refused = "went back"}, b;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    nmirf_ctl_status_pack(&pk, &a);
    msgpack_zone_init(&zone, 256);
    CHECK(nmirf_mp_unpack((const uint8_t *)sb.data, sb.size, &zone, &o, NULL, 0) ==
              NMIRF_OK,
          "unpack");
    CHECK(nmirf_ctl_status_decode(&o, &b, why, sizeof why) == NMIRF_OK, "%s", why);
    CHECK(strcmp(b.broker_refused, "went back") == 0 && !b.has_heard, "status fields");
    msgpack_zone_destroy(&zone);
    msgpack_sbuffer_destroy(&sb);
}

int
main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: codec_control proto/vectors/control.json\n");
        return 2;
    }
    s_vectors(argv[1]);
    s_limits();
    s_console_ops();
    s_bodies();
    return unit_done("codec_control");
}
