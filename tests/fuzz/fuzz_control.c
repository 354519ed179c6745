/*  fuzz_control - the agent's control codec (proto/nmirf_control.h) on any
    bytes: what the agent does with every frame a local client sends, and
    what a client (the CLI, the web console) does with every reply.

    The first byte picks the mode (mod 2): 0 the rest is a request frame
    for nmirf_ctl_request_decode; 1 the rest is a reply frame for
    nmirf_reply_decode, whose body then goes through every reply body
    decoder. Beyond the sanitizers it checks: an accepted request names a
    known op, its strings are terminated and within their limits, its
    numbers within their ranges, and it encodes back to a frame that
    decodes to the same request (the codec's own output is always taken);
    a refusal uses one of the documented codes and gives a reason; a body
    a decoder accepts packs back into one it accepts again.
*/
#include "nmirf_control.h"
#include "nmirf_mp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
s_broken(const char *what)
{
    fprintf(stderr, "fuzz_control: %s\n", what);
    abort();
}

/* True if s (of size bytes) is NUL-terminated within max + 1 bytes. */
static bool
s_terminated(const char *s, size_t size, size_t max)
{
    const char *nul = memchr(s, 0, size);
    return nul && (size_t)(nul - s) <= max;
}

/* Checks the ranges of an accepted request. */
static void
s_check_request(const nmirf_ctl_request_t *req)
{
    if (!nmirf_ctl_op_name(req->op))
        s_broken("accepted an unknown op");
    const nmirf_ctl_clock_t *clocks[] = {&req->mine, &req->rec_list.clock,
                                         &req->rec_show.clock};
    for (size_t i = 0; i < 3; i++) {
        if (clocks[i]->due_soon_days > NMIRF_DUE_SOON_MAX)
            s_broken("due_soon_days past its limit");
        if (clocks[i]->has_today && strlen(clocks[i]->today) != 10)
            s_broken("today is not 10 characters");
    }
    switch (req->op) {
    case NMIRF_CTL_SUBMIT:
        if (req->submit.body_obj.type != MSGPACK_OBJECT_MAP ||
            !nmirf_valueset_has(&nmirf_ctl_writes, req->submit.op) ||
            req->submit.wait_ms > NMIRF_CONTROL_WAIT_MAX_MS)
            s_broken("submit out of range");
        break;
    case NMIRF_CTL_ASK:
        if ((req->ask.has_body && req->ask.body_obj.type != MSGPACK_OBJECT_MAP) ||
            !nmirf_valueset_has(&nmirf_ctl_asks, req->ask.op) ||
            req->ask.wait_ms > NMIRF_CONTROL_ASK_WAIT_MAX_MS)
            s_broken("ask out of range");
        break;
    case NMIRF_CTL_REPORT_LIST:
        if (req->report_list.limit == 0 ||
            req->report_list.limit > NMIRF_CONTROL_LIMIT_MAX ||
            req->report_list.offset > NMIRF_CONTROL_OFFSET_MAX ||
            !s_terminated(req->report_list.entity, sizeof req->report_list.entity,
                          NMIRF_ENTITY_ID_MAX) ||
            !s_terminated(req->report_list.rec, sizeof req->report_list.rec,
                          NMIRF_REC_ID_MAX) ||
            (req->report_list.state[0] &&
             !nmirf_valueset_has(&nmirf_report_states, req->report_list.state)))
            s_broken("report.list out of range");
        break;
    case NMIRF_CTL_REC_LIST:
        if (req->rec_list.limit == 0 || req->rec_list.limit > NMIRF_CONTROL_LIMIT_MAX ||
            req->rec_list.offset > NMIRF_CONTROL_OFFSET_MAX ||
            !s_terminated(req->rec_list.q, sizeof req->rec_list.q,
                          NMIRF_CONTROL_QUERY_MAX) ||
            (req->rec_list.status[0] &&
             !nmirf_valueset_has(&nmirf_statuses, req->rec_list.status)) ||
            (req->rec_list.mechanism[0] &&
             !nmirf_valueset_has(&nmirf_mechanisms, req->rec_list.mechanism)))
            s_broken("rec.list out of range");
        break;
    case NMIRF_CTL_REC_SHOW:
        if (!req->rec_show.rec[0] ||
            !s_terminated(req->rec_show.rec, sizeof req->rec_show.rec, NMIRF_REC_ID_MAX))
            s_broken("rec.show rec out of range");
        break;
    default:
        break;
    }
}

static void
s_request(const uint8_t *data, size_t size)
{
    msgpack_zone zone;
    msgpack_zone_init(&zone, 1024);
    nmirf_ctl_request_t req;
    char why[256] = "";
    nmirf_code_t code =
        nmirf_ctl_request_decode(data, size, &zone, &req, why, sizeof why);
    if (code != NMIRF_OK) {
        if (!why[0])
            s_broken("a refusal without a reason");
        switch (code) {
        case NMIRF_E_BAD_FRAME:
        case NMIRF_E_TOO_LARGE:
        case NMIRF_E_BAD_MSGPACK:
        case NMIRF_E_BAD_UTF8:
        case NMIRF_E_BAD_VERSION:
        case NMIRF_E_BAD_REQUEST:
        case NMIRF_E_UNKNOWN_OP:
            break;
        default:
            s_broken("a refusal with an undocumented code");
        }
        msgpack_zone_destroy(&zone);
        return;
    }
    s_check_request(&req);
    /* What was accepted encodes, and the encoding decodes to the same. */
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    if (nmirf_ctl_request_encode(&sb, &req) != 0)
        s_broken("an accepted request does not encode");
    msgpack_zone zone2;
    msgpack_zone_init(&zone2, 1024);
    nmirf_ctl_request_t again;
    if (nmirf_ctl_request_decode((const uint8_t *)sb.data, sb.size, &zone2, &again, why,
                                 sizeof why) != NMIRF_OK)
        s_broken("the codec's own encoding is refused");
    msgpack_sbuffer sb2;
    msgpack_sbuffer_init(&sb2);
    if (nmirf_ctl_request_encode(&sb2, &again) != 0 || sb2.size != sb.size ||
        memcmp(sb2.data, sb.data, sb.size) != 0)
        s_broken("encode(decode(encode(x))) differs from encode(x)");
    msgpack_sbuffer_destroy(&sb2);
    msgpack_zone_destroy(&zone2);
    msgpack_sbuffer_destroy(&sb);
    msgpack_zone_destroy(&zone);
}

/* Decodes body with one decoder, packs what it accepted, and checks that
   the packed bytes are accepted again. */
#define S_BODY_ROUND(type, decode, pack)                                                 \
    do {                                                                                 \
        type v;                                                                          \
        if (decode(body, &v, why, sizeof why) == NMIRF_OK) {                             \
            msgpack_sbuffer sb;                                                          \
            msgpack_packer pk;                                                           \
            msgpack_sbuffer_init(&sb);                                                   \
            msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);                        \
            pack(&pk, &v);                                                               \
            msgpack_zone z;                                                              \
            msgpack_zone_init(&z, 1024);                                                 \
            msgpack_object o;                                                            \
            type w;                                                                      \
            if (nmirf_mp_unpack((const uint8_t *)sb.data, sb.size, &z, &o, NULL, 0) !=   \
                    NMIRF_OK ||                                                          \
                decode(&o, &w, why, sizeof why) != NMIRF_OK)                             \
                s_broken(#decode ": its own packing is refused");                        \
            msgpack_zone_destroy(&z);                                                    \
            msgpack_sbuffer_destroy(&sb);                                                \
        }                                                                                \
    } while (0)

static void
s_replica_pack_map(msgpack_packer *pk, const nmirf_ctl_replica_t *r)
{
    nmirf_mp_map_t m;
    nmirf_mp_map_init(&m);
    nmirf_ctl_replica_pack(&m, r, true);
    nmirf_mp_map_finish(&m, pk);
}

static void
s_reply(const uint8_t *data, size_t size)
{
    char why[256] = "";
    nmirf_reply_t *reply = nmirf_reply_decode(data, size, why, sizeof why);
    if (!reply)
        return;
    const msgpack_object *body = &reply->body;
    S_BODY_ROUND(nmirf_ctl_status_t, nmirf_ctl_status_decode, nmirf_ctl_status_pack);
    S_BODY_ROUND(nmirf_ctl_digest_t, nmirf_ctl_digest_decode, nmirf_ctl_digest_pack);
    S_BODY_ROUND(nmirf_ctl_queued_t, nmirf_ctl_queued_decode, nmirf_ctl_queued_pack);
    S_BODY_ROUND(nmirf_ctl_replica_t, nmirf_ctl_replica_decode, s_replica_pack_map);
    nmirf_reply_destroy(&reply);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    if (data[0] % 2 == 0)
        s_request(data + 1, size - 1);
    else
        s_reply(data + 1, size - 1);
    return 0;
}
