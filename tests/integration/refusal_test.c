/*  refusal_test - the refusal matrix (PROTOCOL.md sections 3 and 5): every
    kind of bad request gets its code, changes nothing (the broker's seq
    stays), and the broker answers the next request; then 1,000 frames of
    garbage. Frames are built by hand where the codec would refuse to build
    them, and signed with the right key so that each request fails for the
    one reason it is meant to.
*/
#include "harness.h"

#include <czmq.h>

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "nmirf_mp.h"
#include "nmirf_util.h"

#define REC "UPR4/145.1"        /* assigned to MJ */
#define GARBAGE_ROUNDS 1000     /* random frame pairs */
#define GARBAGE_MAX 300         /* longest random frame */
#define GARBAGE_SEED 20240501u  /* fixed, so a failure can be replayed */
#define BIG_TEXT 30000          /* text of one recommendation in a big import */
#define TEXT_MAX 32768          /* the protocol's text limit */
#define HUGE_ENVELOPE (8 << 20) /* far over the envelope limit */

static h_broker_t *b;                            /* the broker under test */
static h_entity_t *coord, *mj, *ms, *obs, *gone; /* gone is revoked */
static uint64_t seq;                             /* the seq no refusal may move */
static uint64_t report;                          /* a validated report */
static uint8_t assign_id[NMIRF_ID_LEN];          /* id of a committed rec.assign */
static uint64_t assign_ts;                       /* and its envelope's ts */

/* Fails unless r has code; then fails if the broker's seq moved. */
#define REFUSED(r, code) refused_at(__FILE__, __LINE__, r, code)
static void
refused_at(const char *file, int line, nmirf_reply_t *r, const char *code)
{
    h_expect_at(file, line, r, code);
    nmirf_reply_destroy(&r);
    uint64_t now = h_seq(b);
    if (now != seq)
        h_fail(file, line, "refused request moved seq %llu -> %llu",
               (unsigned long long)seq, (unsigned long long)now);
}

/* As REFUSED for a call made with a JSON body. */
#define REFUSE(code, e, op, ...) REFUSED(h_call(e, op, __VA_ARGS__), code)

/* Sends env with a signature by signer over exactly env's bytes. */
static nmirf_reply_t *
send_signed(h_entity_t *signer, const uint8_t *env, size_t len)
{
    uint8_t sig[NMIRF_SIG_LEN];
    crypto_sign_detached(sig, NULL, env, len, signer->key.sign_sk);
    const uint8_t *frames[2] = {env, sig};
    size_t sizes[2] = {len, sizeof sig};
    return h_send_frames(coord, frames, sizes, 2);
}

/* How pack_envelope departs from a well-formed envelope. */
typedef enum {
    ENV_GOOD,        /* all six fields, right types */
    ENV_V_STR,       /* v is the str "1" */
    ENV_V2,          /* v is 2 */
    ENV_ID_STR,      /* id is a 16-byte str */
    ENV_ID_SHORT,    /* id is 15 bytes of bin */
    ENV_NO_TS,       /* ts is missing */
    ENV_EXTRA_KEY,   /* an unknown key "x" */
    ENV_BODY_ARRAY,  /* body is an array */
    ENV_AUTHOR_UTF8, /* author is invalid UTF-8 */
    ENV_TS_AHEAD,    /* ts is an hour ahead of now */
    ENV_TS_NEAR,     /* ts is a minute ahead of now (clock skew) */
    ENV_TS_OLD,      /* ts is 30 days ago (an outbox's late resend) */
    ENV_TS_MAX,      /* ts is 2^64-1 */
} env_how_t;

/* Packs a ping envelope from author, departing from a good one as how
   says. Caller frees the sbuffer. */
static msgpack_sbuffer *
pack_envelope(env_how_t how, const char *author)
{
    uint8_t id[NMIRF_ID_LEN];
    memset(id, 0x2a, sizeof id); /* a read: the id need not be fresh */
    msgpack_sbuffer *sb = msgpack_sbuffer_new();
    msgpack_packer pk;
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 6 + (how == ENV_EXTRA_KEY) - (how == ENV_NO_TS));
    nmirf_mp_pack_str(&pk, "v");
    if (how == ENV_V_STR)
        nmirf_mp_pack_str(&pk, "1");
    else
        msgpack_pack_uint64(&pk, how == ENV_V2 ? 2 : 1);
    nmirf_mp_pack_kv_str(&pk, "op", "ping");
    nmirf_mp_pack_str(&pk, "id");
    if (how == ENV_ID_STR)
        nmirf_mp_pack_strn(&pk, (const char *)id, sizeof id);
    else
        nmirf_mp_pack_bin(&pk, id, how == ENV_ID_SHORT ? sizeof id - 1 : sizeof id);
    nmirf_mp_pack_str(&pk, "author");
    if (how == ENV_AUTHOR_UTF8)
        nmirf_mp_pack_strn(&pk, "C\xc3\x28", 3);
    else
        nmirf_mp_pack_str(&pk, author);
    uint64_t ts = nmirf_now_ms();
    if (how == ENV_TS_AHEAD)
        ts += 3600 * 1000;
    else if (how == ENV_TS_NEAR)
        ts += 60 * 1000;
    else if (how == ENV_TS_OLD)
        ts -= 30ull * 86400 * 1000;
    else if (how == ENV_TS_MAX)
        ts = UINT64_MAX;
    if (how != ENV_NO_TS)
        nmirf_mp_pack_kv_uint(&pk, "ts", ts);
    nmirf_mp_pack_str(&pk, "body");
    if (how == ENV_BODY_ARRAY)
        msgpack_pack_array(&pk, 0);
    else
        msgpack_pack_map(&pk, 0);
    if (how == ENV_EXTRA_KEY)
        nmirf_mp_pack_kv_str(&pk, "x", "y");
    return sb;
}

/* Sends pack_envelope(how) as the coordinator, correctly signed. */
static nmirf_reply_t *
send_envelope(env_how_t how)
{
    msgpack_sbuffer *sb = pack_envelope(how, coord->id);
    nmirf_reply_t *r = send_signed(coord, (uint8_t *)sb->data, sb->size);
    msgpack_sbuffer_free(sb);
    return r;
}

/* A request as e whose body is a one-key map {key: <raw packed value>}. */
static nmirf_reply_t *
send_body_raw(h_entity_t *e, const char *op, const char *key, const uint8_t *value,
              size_t value_len)
{
    msgpack_sbuffer body;
    msgpack_sbuffer_init(&body);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &body, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 1);
    nmirf_mp_pack_str(&pk, key);
    msgpack_sbuffer_write(&body, (const char *)value, value_len);
    uint8_t id[NMIRF_ID_LEN];
    nmirf_random_id(id, sizeof id);
    h_request_t *req = h_request_make_packed(e, id, op, (uint8_t *)body.data, body.size);
    nmirf_reply_t *r = h_request_send(e, req);
    h_request_free(&req);
    msgpack_sbuffer_destroy(&body);
    return r;
}

/* Enrolls the entities, revokes one, imports and assigns REC to MJ, and
   has a report on it validated: the state the refusals try to change. */
static void
setup(void)
{
    b = h_broker_start(NULL);
    coord = h_coord(b);
    mj = h_enroll(b, "MJ", "ministry");
    ms = h_enroll(b, "MS", "ministry");
    obs = h_enroll(b, "OBS", "observer");
    gone = h_enroll(b, "GONE", "ministry");
    H_CALL_CHECK("ok", coord, "entity.revoke", "{'id': 'GONE'}");
    H_CALL_CHECK("ok", coord, "rec.import",
                 "{'recs': [{'id': '" REC
                 "', 'mechanism': 'UPR', 'text': {'en': 'x'}}]}");
    msgpack_sbuffer *body = h_pack_json("{'rec': '" REC "', 'lead': 'MJ'}");
    nmirf_random_id(assign_id, sizeof assign_id);
    assign_ts = nmirf_now_ms();
    h_request_t *first = h_request_make_at(coord, assign_id, assign_ts, "rec.assign",
                                           (uint8_t *)body->data, body->size);
    nmirf_reply_t *r = h_request_send(coord, first);
    h_request_free(&first);
    H_EXPECT(r, "ok");
    nmirf_reply_destroy(&r);
    msgpack_sbuffer_free(body);
    r = H_CALL_EXPECT("ok", mj, "report.submit",
                      "{'rec': '" REC "', 'status': 'implemented', 'narrative': 'x'}");
    report = h_u(&r->body, "report.id");
    nmirf_reply_destroy(&r);
    H_CALL_CHECK("ok", coord, "report.validate", "{'report': %llu}",
                 (unsigned long long)report);
    seq = h_seq(b);

    /* The hand packer makes an envelope the broker takes. */
    r = send_envelope(ENV_GOOD);
    H_EXPECT(r, "ok");
    nmirf_reply_destroy(&r);
}

/* Packs a rec.import of n recommendations BIG/0.. whose texts are
   BIG_TEXT bytes, the last one last_len bytes. Caller frees. */
static msgpack_sbuffer *
pack_big_import(int n, size_t last_len)
{
    static char text[TEXT_MAX];
    memset(text, 'x', sizeof text);
    msgpack_sbuffer *sb = msgpack_sbuffer_new();
    msgpack_packer pk;
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 1);
    nmirf_mp_pack_str(&pk, "recs");
    msgpack_pack_array(&pk, (size_t)n);
    for (int k = 0; k < n; k++) {
        char id[32];
        snprintf(id, sizeof id, "BIG/%d", k);
        msgpack_pack_map(&pk, 3);
        nmirf_mp_pack_kv_str(&pk, "id", id);
        nmirf_mp_pack_kv_str(&pk, "mechanism", "UPR");
        nmirf_mp_pack_str(&pk, "text");
        msgpack_pack_map(&pk, 1);
        nmirf_mp_pack_str(&pk, "en");
        nmirf_mp_pack_strn(&pk, text, k == n - 1 ? last_len : BIG_TEXT);
    }
    return sb;
}

/* A valid rec.import as the coordinator whose envelope is exactly size
   bytes; *recs gets how many recommendations it holds. Caller frees. */
static h_request_t *
import_of_size(size_t size, int *recs)
{
    int n = (int)(size / (BIG_TEXT + 64)) + 1;
    size_t last = BIG_TEXT;
    for (int attempt = 0; attempt < 16; attempt++) {
        msgpack_sbuffer *body = pack_big_import(n, last);
        uint8_t id[NMIRF_ID_LEN];
        nmirf_random_id(id, sizeof id);
        h_request_t *req = h_request_make_packed(coord, id, "rec.import",
                                                 (uint8_t *)body->data, body->size);
        msgpack_sbuffer_free(body);
        if (req->env_len == size) {
            *recs = n;
            return req;
        }
        /* Texts of 256 bytes up to the limit keep a 3-byte str header, so
           one correction of the last text lands exactly. */
        long want = (long)last + (long)size - (long)req->env_len;
        h_request_free(&req);
        if (want < 256) {
            n--;
            last = BIG_TEXT;
        } else if (want > TEXT_MAX) {
            n++;
            last = 256;
        } else {
            last = (size_t)want;
        }
    }
    h_fail(__FILE__, __LINE__, "cannot make an envelope of exactly %zu bytes", size);
}

/* Frame count and size: bad_frame, too_large; exactly 1 MiB is taken. */
static void
test_frames(void)
{
    h_request_t *req = h_request_make(coord, "ping", "{}");
    const uint8_t *frames[3] = {req->env, req->sig, (const uint8_t *)"x"};
    size_t sizes[3] = {req->env_len, NMIRF_SIG_LEN, 1};
    REFUSED(h_send_frames(coord, frames, sizes, 1), "bad_frame");
    REFUSED(h_send_frames(coord, frames, sizes, 3), "bad_frame");
    sizes[0] = 0;
    REFUSED(h_send_frames(coord, frames, sizes, 2), "bad_frame");
    sizes[0] = req->env_len;
    sizes[1] = NMIRF_SIG_LEN - 1;
    REFUSED(h_send_frames(coord, frames, sizes, 2), "bad_envelope");
    h_request_free(&req);

    int recs;
    req = import_of_size(NMIRF_MAX_ENVELOPE + 1, &recs);
    REFUSED(h_request_send(coord, req), "too_large");
    h_request_free(&req);

    req = import_of_size(NMIRF_MAX_ENVELOPE, &recs);
    nmirf_reply_t *r = h_request_send(coord, req);
    H_EXPECT(r, "ok");
    H_ASSERT(h_u(&r->body, "added") == (uint64_t)recs && r->seq == seq + (uint64_t)recs);
    seq = r->seq;
    nmirf_reply_destroy(&r);
    h_request_free(&req);
    h_note("bad_frame (1 and 3 frames, empty envelope), too_large (1 MiB + 1); "
           "an envelope of exactly 1 MiB is applied");
}

/* Frame edges: an empty signature frame is bad_frame (frame checks come
   before the envelope's). A message over the 4 MiB transport limit is
   dropped by ZeroMQ with its connection, unanswered (PROTOCOL.md section
   3): the broker must not notice, and must go on serving. */
static void
test_frame_edges(void)
{
    h_request_t *req = h_request_make(coord, "ping", "{}");
    const uint8_t *frames[2] = {req->env, req->sig};
    size_t sizes[2] = {req->env_len, 0};
    REFUSED(h_send_frames(coord, frames, sizes, 2), "bad_frame");
    h_request_free(&req);

    int recs;
    req = import_of_size(HUGE_ENVELOPE, &recs);
    zsock_t *raw = h_dealer_new(b, coord);
    zsock_set_rcvtimeo(raw, 1000);
    zmsg_t *msg = zmsg_new();
    zmsg_addmem(msg, req->env, req->env_len);
    zmsg_addmem(msg, req->sig, sizeof req->sig);
    H_ASSERT(zmsg_send(&msg, raw) == 0);
    zmsg_t *answer = zmsg_recv(raw);
    H_ASSERTF(answer == NULL, "a %d MiB message was answered", HUGE_ENVELOPE >> 20);
    zsock_destroy(&raw);
    h_request_free(&req);
    H_ASSERT(h_seq(b) == seq); /* and the broker still answers others */
    h_note("bad_frame (empty signature frame); %d MiB message dropped unanswered, broker "
           "serving",
           HUGE_ENVELOPE >> 20);
}

/* Not one well-formed msgpack object: bad_msgpack, bad_utf8. */
static void
test_msgpack(void)
{
    static const uint8_t never_used[] = {0xc1};
    REFUSED(send_signed(coord, never_used, sizeof never_used), "bad_msgpack");

    h_request_t *req = h_request_make(coord, "ping", "{}");
    REFUSED(send_signed(coord, req->env, req->env_len - 3),
            "bad_msgpack"); /* truncated */
    uint8_t *longer = malloc(req->env_len + 1);
    memcpy(longer, req->env, req->env_len);
    longer[req->env_len] = 0x00;
    REFUSED(send_signed(coord, longer, req->env_len + 1), "bad_msgpack"); /* trailing */
    free(longer);
    h_request_free(&req);

    /* The envelope and its body are two levels; 30 arrays make 32 (the
       limit, so only the body is wrong), 31 make 33. */
    uint8_t deep[64];
    memset(deep, 0x91, sizeof deep); /* fixarray of 1 */
    deep[30] = 0xc0;
    REFUSED(send_body_raw(coord, "rec.show", "id", deep, 31), "bad_request");
    deep[30] = 0x91;
    deep[31] = 0xc0;
    REFUSED(send_body_raw(coord, "rec.show", "id", deep, 32), "bad_msgpack");
    static const uint8_t ext[] = {0xd4, 0x01, 0x00}; /* fixext 1 */
    REFUSED(send_body_raw(coord, "rec.show", "id", ext, sizeof ext), "bad_msgpack");

    static const uint8_t bad[][4] = {
        {0xa2, 0xc3, 0x28},       /* bad continuation */
        {0xa2, 0xc0, 0xaf},       /* overlong '/' */
        {0xa3, 0xed, 0xa0, 0x80}, /* UTF-16 surrogate */
        {0xa1, 0xff},             /* never valid */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        REFUSED(send_body_raw(coord, "rec.show", "id", bad[i], 1u + (bad[i][0] & 0x1f)),
                "bad_utf8");
    REFUSED(send_envelope(ENV_AUTHOR_UTF8), "bad_utf8");
    h_note("bad_msgpack (garbage, truncated, trailing, 33 deep, ext), bad_utf8");
}

/* Envelope fields: bad_envelope, bad_version. */
static void
test_envelope(void)
{
    static const uint8_t array[] = {0x92, 0x01, 0x02};
    REFUSED(send_signed(coord, array, sizeof array), "bad_envelope");
    REFUSED(send_envelope(ENV_V_STR), "bad_envelope");
    REFUSED(send_envelope(ENV_ID_STR), "bad_envelope");
    REFUSED(send_envelope(ENV_ID_SHORT), "bad_envelope");
    REFUSED(send_envelope(ENV_NO_TS), "bad_envelope");
    REFUSED(send_envelope(ENV_EXTRA_KEY), "bad_envelope");
    REFUSED(send_envelope(ENV_BODY_ARRAY), "bad_envelope");
    REFUSED(send_envelope(ENV_V2), "bad_version");
    h_note("bad_envelope (not a map, wrong types, missing, unknown key), bad_version");
    /* ts: refused only too far in the future; any past is a late resend. */
    REFUSED(send_envelope(ENV_TS_AHEAD), "bad_ts");
    REFUSED(send_envelope(ENV_TS_MAX), "bad_ts");
    nmirf_reply_t *r = send_envelope(ENV_TS_NEAR);
    H_EXPECT(r, "ok");
    nmirf_reply_destroy(&r);
    r = send_envelope(ENV_TS_OLD);
    H_EXPECT(r, "ok");
    nmirf_reply_destroy(&r);
    h_note("bad_ts (an hour ahead, 2^64-1); a minute ahead and 30 days old accepted");
}

/* True if a call as e gets no reply within timeout_ms: the broker's ZAP handler
   refused e's connection. */
static bool
unanswered(h_entity_t *e, int timeout_ms)
{
    nmirf_client_t *c =
        nmirf_client_new(b->request_ep, &e->key, b->server_key, timeout_ms);
    H_ASSERT(c);
    char why[256];
    nmirf_reply_t *r = nmirf_client_call(c, "ping", NULL, 0, why, sizeof why);
    bool none = r == NULL;
    nmirf_reply_destroy(&r);
    nmirf_client_destroy(&c);
    return none;
}

/* Who signs: the transport's peer first (author_mismatch), then
   bad_signature. An unknown or revoked entity cannot connect at all
   (CurveZMQ + ZAP), so unknown_author and revoked are only defence in
   depth now: a request in the very batch that revokes its author. */
static void
test_author(void)
{
    h_entity_t *nobody = h_entity_new(b, "NOBODY");
    H_ASSERTF(unanswered(nobody, 500), "an unenrolled entity was answered");
    H_ASSERTF(unanswered(gone, 500), "a revoked entity was answered");

    h_request_t *req = h_request_make(coord, "ping", "{}");
    req->sig[10] ^= 0x04;
    REFUSED(h_request_send(coord, req), "bad_signature");
    h_request_free(&req);

    /* Someone else's request, through our connection: refused before the
       author is even looked up (a revoked author included). */
    req = h_request_make(gone, "ping", "{}");
    req->sig[0] ^= 0x01;
    REFUSED(h_request_send(coord, req), "author_mismatch");
    h_request_free(&req);
    req = h_request_make(nobody, "rec.delete", "{}");
    REFUSED(h_request_send(coord, req), "author_mismatch");
    h_request_free(&req);

    /* A valid signature, by another key than the author's. */
    msgpack_sbuffer *env = pack_envelope(ENV_GOOD, "COORD");
    REFUSED(send_signed(mj, (uint8_t *)env->data, env->size), "bad_signature");
    msgpack_sbuffer_free(env);
    h_note("unenrolled and revoked entities unanswered; author_mismatch, bad_signature "
           "(flipped bit, other key)");
}

/* Request ids: the id and ts of a committed write with other bytes are
   id_reused; a bad signature on them is bad_signature. */
static void
test_id_reused(void)
{
    msgpack_sbuffer *other = h_pack_json("{'rec': '" REC "', 'lead': 'MS'}");
    h_request_t *req = h_request_make_at(coord, assign_id, assign_ts, "rec.assign",
                                         (uint8_t *)other->data, other->size);
    REFUSED(h_request_send(coord, req), "id_reused");
    req->sig[5] ^= 0x80;
    REFUSED(h_request_send(coord, req), "bad_signature");
    h_request_free(&req);
    msgpack_sbuffer_free(other);
    h_note("id_reused");
}

/* Operations and bodies: unknown_op, bad_request. */
static void
test_body(void)
{
    REFUSE("unknown_op", coord, "rec.delete", "{'id': '" REC "'}");
    REFUSE("bad_request", coord, "rec.show", "{'id': 5}");
    REFUSE("bad_request", coord, "rec.show", "{}");
    REFUSE("bad_request", coord, "ping", "{'x': 1}");
    REFUSE("bad_request", coord, "rec.show", "{'id': '" REC "', 'x': 1}");
    REFUSE("bad_request", coord, "rec.show", "{'id': 'has space'}");
    REFUSE("bad_request", coord, "rec.import",
           "{'recs': [{'id': 'DUP-1', 'mechanism': 'UPR'}, {'id': 'NEW-1', 'mechanism': "
           "'CAT'},"
           " {'id': 'DUP-1', 'mechanism': 'CAT'}]}"); /* an id twice: nothing imported */
    REFUSE("bad_request", coord, "rec.list", "{'limit': 'ten'}");
    REFUSE("bad_request", coord, "rec.list", "{'limit': 100001}");
    REFUSE("bad_request", coord, "rec.list", "{'mechanism': 'UNHCR'}");
    REFUSE("bad_request", coord, "events.since", "{'since': -1}");
    REFUSE("bad_request", coord, "events.since", "{'since': 0, 'limit': 10001}");
    REFUSE("bad_request", coord, "rec.import",
           "{'recs': [{'id': 'X/1', 'mechanism': 'UNHCR', 'text': {'en': 'x'}}]}");
    REFUSE("bad_request", coord, "rec.import",
           "{'recs': [{'id': 'X/1', 'mechanism': 'UPR', 'text': {'de': 'x'}}]}");
    REFUSE("bad_request", coord, "rec.import",
           "{'recs': [{'id': 'X/1', 'mechanism': 'UPR', 'text': {'en': 'x'}, "
           "'response': 'maybe'}]}");
    REFUSE("bad_request", coord, "rec.import",
           "{'recs': [{'id': 'X/1', 'mechanism': 'UPR', 'date': '2024-02-30', "
           "'text': {'en': 'x'}}]}");
    /* all-or-nothing: one bad recommendation refuses the good one with it */
    REFUSE(
        "bad_request", coord, "rec.import",
        "{'recs': [{'id': 'X/1', 'mechanism': 'UPR', 'text': {'en': 'x'}}, "
        "{'id': 'X/2', 'mechanism': 'UPR', 'date': '2024-13-01', 'text': {'en': 'x'}}]}");
    REFUSE("not_found", coord, "rec.show", "{'id': 'X/1'}");
    REFUSE("bad_request", coord, "rec.assign",
           "{'rec': '" REC "', 'lead': 'MJ', 'deadline': '2025-02-29'}");
    REFUSE("bad_request", mj, "report.submit",
           "{'rec': '" REC "', 'status': 'done', 'narrative': 'x'}");
    REFUSE("bad_request", mj, "report.submit",
           "{'rec': '" REC "', 'status': 'implemented', 'narrative': 'x', "
           "'date': '2024-02-30'}");
    REFUSE("bad_request", mj, "report.submit",
           "{'rec': '" REC "', 'status': 'implemented', 'narrative': 'x', "
           "'date': '20240501'}");
    /* A report tells what was done: not after the broker's tomorrow. */
    REFUSE("bad_request", mj, "report.submit",
           "{'rec': '" REC "', 'status': 'implemented', 'narrative': 'x', "
           "'date': '2999-12-31'}");
    /* An agent's outbox length past any real one (2^64-1, 10^7 + 1). */
    static const uint8_t u64max[] = {0xcf, 0xff, 0xff, 0xff, 0xff,
                                     0xff, 0xff, 0xff, 0xff};
    REFUSED(send_body_raw(mj, "ping", "outbox", u64max, sizeof u64max), "bad_request");
    REFUSE("bad_request", mj, "ping", "{'outbox': 10000001}");
    REFUSE("bad_request", coord, "report.validate", "{'report': '1'}");
    REFUSE("bad_request", coord, "entity.enroll",
           "{'id': 'mj', 'role': 'ministry', 'names': {}, 'sign_key': 'x', "
           "'curve_key': 'y'}");

    /* Well-typed keys but a bad id or role. */
    nmirf_key_t key;
    H_ASSERT(nmirf_key_generate(&key, "NEWONE") == 0);
    msgpack_sbuffer *body = h_pack_enroll(&key, "king");
    REFUSED(
        h_call_packed(coord, NULL, "entity.enroll", (uint8_t *)body->data, body->size),
        "bad_request");
    msgpack_sbuffer_free(body);
    nmirf_key_wipe(&key);
    h_note("unknown_op, bad_request (types, unknown keys and values, dates, limits)");
}

/* Roles and assignments: forbidden. */
static void
test_forbidden(void)
{
    REFUSE("forbidden", ms, "report.submit",
           "{'rec': '" REC "', 'status': 'implemented', 'narrative': 'not mine'}");
    REFUSE("forbidden", obs, "report.submit",
           "{'rec': '" REC "', 'status': 'implemented', 'narrative': 'x'}");
    REFUSE("forbidden", obs, "rec.import",
           "{'recs': [{'id': 'X/1', 'mechanism': 'UPR', 'text': {'en': 'x'}}]}");
    REFUSE("forbidden", obs, "entity.revoke", "{'id': 'MJ'}");
    REFUSE("forbidden", mj, "rec.assign", "{'rec': '" REC "', 'lead': 'MS'}");
    REFUSE("forbidden", mj, "report.validate", "{'report': %llu}",
           (unsigned long long)report);
    REFUSE("forbidden", mj, "report.return", "{'report': %llu, 'reason': 'x'}",
           (unsigned long long)report);
    h_note("forbidden (ministry outside its assignments, observer and ministry writes)");
}

/* State: conflict, not_found. */
static void
test_state(void)
{
    REFUSE("conflict", coord, "report.validate", "{'report': %llu}",
           (unsigned long long)report);
    REFUSE("conflict", coord, "report.return", "{'report': %llu, 'reason': 'late'}",
           (unsigned long long)report);
    REFUSE("conflict", coord, "entity.revoke", "{'id': 'GONE'}");
    REFUSE("not_found", coord, "rec.show", "{'id': 'NO/SUCH/REC'}");
    REFUSE("not_found", coord, "entity.show", "{'id': 'NOSUCH'}");
    REFUSE("not_found", coord, "report.validate", "{'report': 987654}");
    REFUSE("not_found", coord, "rec.assign", "{'rec': 'NO/SUCH/REC', 'lead': 'MJ'}");
    h_note("conflict, not_found");
}

/* What PROTOCOL.md says of the check order and of a few edges:
   not_found before an assignment's forbidden (who may act on a
   recommendation depends on its assignment), a role's forbidden before
   not_found; rec.assign's codes; `limit: 0`; stats' `total`. */
static void
test_order(void)
{
    REFUSE("not_found", ms, "report.submit",
           "{'rec': 'NO/SUCH/REC', 'status': 'implemented', 'narrative': 'x'}");
    REFUSE("not_found", ms, "measure.add", "{'recs': ['NO/SUCH/REC'], 'title': 't'}");
    REFUSE("forbidden", obs, "report.submit",
           "{'rec': 'NO/SUCH/REC', 'status': 'implemented', 'narrative': 'x'}");
    REFUSE("forbidden", obs, "measure.add", "{'recs': ['NO/SUCH/REC'], 'title': 't'}");
    REFUSE("forbidden", mj, "rec.assign", "{'rec': 'NO/SUCH/REC', 'lead': 'MJ'}");
    REFUSE("bad_request", coord, "rec.assign", "{'rec': '" REC "', 'lead': 'OBS'}");
    REFUSE("conflict", coord, "rec.assign", "{'rec': '" REC "', 'lead': 'GONE'}");
    REFUSE("not_found", coord, "rec.assign", "{'rec': '" REC "', 'lead': 'NOSUCH'}");
    REFUSE("bad_request", coord, "rec.assign",
           "{'rec': '" REC "', 'lead': 'MJ', 'contributors': ['MJ']}");
    /* A string over its limit is too_large, a number out of range
       bad_request. */
    char title[600];
    memset(title, 't', 513);
    title[513] = '\0';
    REFUSE("too_large", coord, "measure.add", "{'recs': ['" REC "'], 'title': '%s'}",
           title);
    REFUSE("bad_request", coord, "stats", "{'due_soon_days': 3651}");
    /* The recommendation filter of stats (nmirf_recfilter_read). */
    REFUSE("bad_request", coord, "stats", "{'mechanism': 'XYZ'}");
    REFUSE("bad_request", coord, "stats", "{'position': 'maybe'}");
    REFUSE("bad_request", coord, "stats", "{'theme': 5}");
    REFUSE("bad_request", coord, "stats", "{'cycle': ''}");
    REFUSE("bad_request", coord, "stats", "{'withdrawn': 'yes'}");
    REFUSE("bad_request", coord, "stats", "{'colour': 'red'}");
    /* Over its limit: too_large, as any string of a body (section 5). */
    REFUSE("too_large", coord, "stats", "{'cycle': '%s'}", title);
    REFUSE("too_large", coord, "stats", "{'mechanism': '%s'}", title);

    nmirf_reply_t *r = H_CALL_EXPECT("ok", obs, "rec.list", "{'limit': 0}");
    H_ASSERT(h_len(&r->body, "recs") == 0 && h_u(&r->body, "total") > 0 &&
             h_u(&r->body, "total") != UINT64_MAX);
    nmirf_reply_destroy(&r);
    r = H_CALL_EXPECT("ok", obs, "events.since", "{'since': 0, 'limit': 0}");
    H_ASSERT(h_len(&r->body, "events") == 0 && h_u(&r->body, "last") == seq);
    nmirf_reply_destroy(&r);
    r = H_CALL_EXPECT("ok", obs, "stats", "{'limit': 0}");
    const msgpack_object *total = h_get(&r->body, "total");
    H_ASSERTF(total && total->type == MSGPACK_OBJECT_POSITIVE_INTEGER,
              "stats total is not an integer");
    H_ASSERT(h_len(&r->body, "overdue") == 0);
    nmirf_reply_destroy(&r);
    h_note("not_found before an assignment's forbidden, a role's forbidden first; "
           "rec.assign codes; too_large vs bad_request; limit 0 lists nothing; stats "
           "total an integer");
}

/* An empty first frame is a REQ delimiter, always (PROTOCOL.md section
   1): a DEALER that sends one gets its reply after an empty frame, two
   frames, as a REQ would. */
static void
test_delimiter(void)
{
    h_request_t *req = h_request_make(coord, "ping", "{}");
    zsock_t *raw = h_dealer_new(b, coord);
    zsock_set_rcvtimeo(raw, 5000);
    zmsg_t *msg = zmsg_new();
    zmsg_addmem(msg, "", 0);
    zmsg_addmem(msg, req->env, req->env_len);
    zmsg_addmem(msg, req->sig, sizeof req->sig);
    H_ASSERT(zmsg_send(&msg, raw) == 0);
    zmsg_t *answer = zmsg_recv(raw);
    H_ASSERTF(answer && zmsg_size(answer) == 2 && zframe_size(zmsg_first(answer)) == 0,
              "a request after an empty frame was answered with %zu frames",
              answer ? zmsg_size(answer) : 0);
    zframe_t *f = zmsg_next(answer);
    char why[128] = "";
    nmirf_reply_t *r =
        nmirf_reply_decode(zframe_data(f), zframe_size(f), why, sizeof why);
    H_ASSERTF(r && r->ok && r->has_id && memcmp(r->id, req->id, NMIRF_ID_LEN) == 0,
              "the reply after the delimiter: %s", r ? r->code_name : why);
    nmirf_reply_destroy(&r);
    zmsg_destroy(&answer);
    /* The delimiter alone: a request of no frames, bad_frame, after it. */
    msg = zmsg_new();
    zmsg_addmem(msg, "", 0);
    H_ASSERT(zmsg_send(&msg, raw) == 0);
    answer = zmsg_recv(raw);
    H_ASSERT(answer && zmsg_size(answer) == 2 && zframe_size(zmsg_first(answer)) == 0);
    f = zmsg_next(answer);
    r = nmirf_reply_decode(zframe_data(f), zframe_size(f), why, sizeof why);
    H_ASSERT(r && !r->ok && strcmp(r->code_name, "bad_frame") == 0);
    nmirf_reply_destroy(&r);
    zmsg_destroy(&answer);
    zsock_destroy(&raw);
    h_request_free(&req);
    H_ASSERT(h_seq(b) == seq);
    h_note("an empty first frame is a REQ delimiter: the reply comes after one");
}

/* The next number of a xorshift32 generator (seeded, so replayable). */
static uint32_t
next_random(uint32_t *state)
{
    uint32_t x = *state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *state = x;
}

/* 1,000 frame pairs of garbage: random bytes, and real envelopes with a
   few bytes changed; each is refused with an early code, none changes
   anything, and the broker goes on. */
static void
test_garbage(void)
{
    uint32_t rng = GARBAGE_SEED;
    h_request_t *model = h_request_make(mj, "report.submit",
                                        "{'rec': '" REC "', 'status': 'implemented', "
                                        "'narrative': 'model'}");
    static const char *const early[] = {
        "bad_frame",      "too_large",     "bad_msgpack",
        "bad_utf8",       "bad_envelope",  "bad_version",
        "unknown_author", "bad_signature", "author_mismatch"};
    uint8_t env[GARBAGE_MAX + 512], sig[NMIRF_SIG_LEN + 8];
    for (int i = 0; i < GARBAGE_ROUNDS; i++) {
        size_t env_len, sig_len = NMIRF_SIG_LEN;
        if (i % 2 == 0) {
            env_len = next_random(&rng) % (GARBAGE_MAX + 1);
            for (size_t k = 0; k < env_len; k++)
                env[k] = (uint8_t)next_random(&rng);
            if (i % 6 == 0)
                sig_len = next_random(&rng) % sizeof sig;
        } else {
            H_ASSERT(model->env_len <= sizeof env);
            env_len = model->env_len;
            memcpy(env, model->env, env_len);
            int flips = 1 + (int)(next_random(&rng) % 4);
            for (int k = 0; k < flips; k++)
                env[next_random(&rng) % env_len] ^=
                    (uint8_t)(1u << (next_random(&rng) % 8));
            if (memcmp(env, model->env, env_len) == 0) /* flips cancelled out */
                env[0] ^= 0x01;
        }
        memcpy(sig, model->sig, NMIRF_SIG_LEN);
        const uint8_t *frames[2] = {env, sig};
        size_t sizes[2] = {env_len, sig_len};
        nmirf_reply_t *r = h_send_frames(coord, frames, sizes, 2);
        bool known = false;
        for (size_t k = 0; k < sizeof early / sizeof early[0]; k++)
            known = known || strcmp(r->code_name, early[k]) == 0;
        H_ASSERTF(!r->ok && known, "garbage %d (seed %u) got %s", i, GARBAGE_SEED,
                  r->code_name);
        nmirf_reply_destroy(&r);
    }
    h_request_free(&model);
    H_ASSERT(h_seq(b) == seq);
    h_note("%d garbage frame pairs refused; broker alive, seq unchanged", GARBAGE_ROUNDS);
}

int
main(int argc, char **argv)
{
    h_init(argc, argv, 55);
    setup();
    test_frames();
    test_msgpack();
    test_envelope();
    test_author();
    test_id_reused();
    test_body();
    test_forbidden();
    test_state();
    test_order();
    test_delimiter();
    test_garbage();
    test_frame_edges();
    /* Still whole: the refused requests left the store as it was. */
    nmirf_event_t **evs;
    size_t n = h_events(coord, 0, &evs);
    H_ASSERT(n == seq);
    H_CHECK_CHAIN(evs, n, NULL);
    h_events_free(&evs, n);
    h_broker_destroy(&b);
    return 0;
}
