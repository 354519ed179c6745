/*  readers_test - reads on the reader threads (daemon/readers.c) beside
    the writer (PROTOCOL.md section 3, ordering; docs/ARCHITECTURE.md,
    Threads):

    1. A read sees every write acknowledged before it was sent: a write,
       its ack, then at once a read on another connection (rec.show,
       events.since, stats, rec.list, snapshot) finds it, with a reply
       seq no lower than the write's; many times over, with the default two
       readers and with `--readers=0` (the old path: reads in the writer's
       batches).
    2. While a long read runs, writes are acknowledged: with 20,000
       recommendations imported, a `rec.list` that searches every text for
       words none has (a walk of them all, a small reply) on one
       connection and, on another, writes sent one after the other (the
       next once the last is acknowledged). Acks with a seq above the
       read's own that arrive before the read's reply: two of them mean
       that writes were committed and answered while the read ran (one
       could be an ack the broker sent right after the read's reply, in
       the same batch, that overtook it on the other connection; the
       second was sent only after that ack came). Tried a bounded number
       of times, at least one such overlap must show with two readers;
       with `--readers=0` the read holds the writer and the count, only
       printed, stays 0. Never a duration. (Not a
       `snapshot`: its reply is megabytes, whose encryption and transfer
       let a later small ack arrive first whatever the broker did.)
    3. Pipelined reads and writes on one connection each get exactly one
       reply, matched by request id (replies may come in another order
       than the requests).
    4. A stop (SIGTERM) while long reads run and wait: the broker answers
       or drops them and exits 0 (under the sanitizers: nothing leaked).

    usage: readers_test NMIRFD
*/
#include "harness.h"

#include <czmq.h>
#include <string.h>

#include "nmirf_util.h"

#define ROUNDS 100        /* write-then-read rounds (part 1) */
#define BIG_RECS 20000    /* recommendations for the big read (part 2) */
#define IMPORT_CHUNK 1000 /* of them per rec.import */
#define OVERLAP_TRIES 20  /* long reads tried (part 2) */
#define WRITES_MAX 400    /* writes sent during one long read, at most */
#define PIPELINE 64       /* requests pipelined on one connection (part 3) */
#define STOP_READS 40     /* long reads sent just before a stop (part 4) */

/* A DEALER to the broker as e, its receive bounded. */
static zsock_t *
s_dealer(h_broker_t *b, h_entity_t *e)
{
    zsock_t *d = h_dealer_new(b, e);
    zsock_set_rcvtimeo(d, H_CALL_TIMEOUT_MS);
    return d;
}

/* The next reply on d (fails after H_CALL_TIMEOUT_MS). */
static nmirf_reply_t *
s_recv(zsock_t *d)
{
    zmsg_t *msg = zmsg_recv(d);
    H_ASSERTF(msg, "no reply within %d ms", H_CALL_TIMEOUT_MS);
    zframe_t *f = zmsg_last(msg);
    char why[256];
    nmirf_reply_t *r =
        nmirf_reply_decode(zframe_data(f), zframe_size(f), why, sizeof why);
    H_ASSERTF(r, "reply does not decode: %s", why);
    zmsg_destroy(&msg);
    h_remember("(raw)", r);
    return r;
}

/* True if r answers req. */
static bool
s_answers(const nmirf_reply_t *r, const h_request_t *req)
{
    return r->has_id && memcmp(r->id, req->id, NMIRF_ID_LEN) == 0;
}

/* Sends req on d and waits for its reply (caller destroys). */
static nmirf_reply_t *
s_call(zsock_t *d, h_request_t *req)
{
    h_request_post(d, req);
    nmirf_reply_t *r = s_recv(d);
    H_ASSERTF(s_answers(r, req), "a reply to another request");
    return r;
}

/* Part 1: write, ack, read on another connection; ROUNDS times. */
static void
s_read_your_writes(h_broker_t *b, h_entity_t *obs, const char *label)
{
    h_entity_t *coord = h_coord(b);
    zsock_t *w = s_dealer(b, coord), *r = s_dealer(b, obs);
    for (int i = 0; i < ROUNDS; i++) {
        h_request_t *wr =
            h_request_make(coord, "rec.import",
                           "{'recs': [{'id': 'RY-%s-%d', 'mechanism': 'CAT', "
                           "'text': {'en': 'Read your writes %d'}}]}",
                           label, i, i);
        nmirf_reply_t *ack = s_call(w, wr);
        H_EXPECT(ack, "ok");
        uint64_t seq = ack->seq;
        nmirf_reply_destroy(&ack);
        h_request_free(&wr);
        /* Each kind of read in turn, at once on the other connection. */
        const char *op;
        char body[128];
        switch (i % 5) {
        case 0:
            op = "rec.show";
            snprintf(body, sizeof body, "{'id': 'RY-%s-%d'}", label, i);
            break;
        case 1:
            op = "events.since";
            snprintf(body, sizeof body, "{'since': %llu}", (unsigned long long)seq - 1);
            break;
        case 2:
            op = "stats";
            snprintf(body, sizeof body, "{'mechanism': 'CAT'}");
            break;
        case 3:
            op = "rec.list";
            snprintf(body, sizeof body, "{'mechanism': 'CAT'}");
            break;
        default:
            op = "snapshot";
            snprintf(body, sizeof body, "{}");
            break;
        }
        h_request_t *rd = h_request_make(obs, op, "%s", body);
        nmirf_reply_t *rr = s_call(r, rd);
        h_request_free(&rd);
        H_EXPECT(rr, "ok");
        H_ASSERTF(rr->seq >= seq, "%s: %s answered at seq %llu, before the write's %llu",
                  label, op, (unsigned long long)rr->seq, (unsigned long long)seq);
        switch (i % 5) {
        case 0:
            H_ASSERTF(h_get(&rr->body, "rec"), "%s: rec.show of a written rec", label);
            break;
        case 1:
            H_ASSERTF(h_len(&rr->body, "events") >= 1, "%s: the write's event", label);
            break;
        case 2:
            H_ASSERTF(h_u(&rr->body, "total") == (uint64_t)i + 1,
                      "%s: stats counts %llu CAT recs after %d written", label,
                      (unsigned long long)h_u(&rr->body, "total"), i + 1);
            break;
        case 3:
            H_ASSERTF(h_u(&rr->body, "total") == (uint64_t)i + 1,
                      "%s: rec.list has %llu CAT recs after %d written", label,
                      (unsigned long long)h_u(&rr->body, "total"), i + 1);
            break;
        default:
            H_ASSERTF(h_u(&rr->body, "seq") == rr->seq,
                      "%s: a snapshot's seq is its reply's", label);
            H_ASSERTF(h_len(&rr->body, "recs") >= (size_t)i + 1,
                      "%s: the snapshot has the written recs", label);
            break;
        }
        nmirf_reply_destroy(&rr);
    }
    zsock_destroy(&w);
    zsock_destroy(&r);
    h_note("%s: %d writes each read back at once on another connection", label, ROUNDS);
}

/* Imports BIG_RECS recommendations BIG-0... */
static void
s_import_big(h_broker_t *b)
{
    for (size_t i = 0; i < BIG_RECS; i += IMPORT_CHUNK) {
        char *json = NULL;
        size_t cap = 0;
        FILE *f = open_memstream(&json, &cap);
        fprintf(f, "{'recs':[");
        for (size_t j = i; j < i + IMPORT_CHUNK && j < BIG_RECS; j++)
            fprintf(f,
                    "%s{'id':'BIG-%zu','mechanism':'UPR','themes':['justice'],"
                    "'text':{'en':'Strengthen procedural safeguards for persons "
                    "deprived of liberty (%zu).'}}",
                    j > i ? "," : "", j, j);
        fprintf(f, "]}");
        fclose(f);
        H_CALL_CHECK("ok", h_coord(b), "rec.import", "%s", json);
        free(json);
    }
}

/* Part 2: long reads on one connection, writes on another. Returns how
   many reads saw a write committed and acknowledged while they ran. */
static int
s_overlaps(h_broker_t *b, h_entity_t *obs, const char *label)
{
    h_entity_t *coord = h_coord(b);
    zsock_t *w = s_dealer(b, coord), *r = s_dealer(b, obs);
    zpoller_t *poller = zpoller_new(w, r, NULL);
    int overlapped = 0, writes = 0;
    for (int t = 0; t < OVERLAP_TRIES; t++) {
        h_request_t *rd =
            h_request_make(obs, "rec.list", "{'text': 'no recommendation says this'}");
        h_request_post(r, rd);
        nmirf_reply_t *read_reply = NULL;
        uint64_t acked_seq[WRITES_MAX];
        int acked = 0, sent = 0;
        h_request_t *wr = NULL;
        /* One write in flight at a time, until the read's reply. */
        while (!read_reply) {
            if (!wr && sent < WRITES_MAX) {
                wr = h_request_make(coord, "rec.import",
                                    "{'recs': [{'id': 'OV-%s-%d-%d', 'mechanism': 'CRC', "
                                    "'text': {'en': 'Overlap'}}]}",
                                    label, t, sent);
                h_request_post(w, wr);
                sent++;
            }
            void *which = zpoller_wait(poller, H_CALL_TIMEOUT_MS);
            H_ASSERTF(which, "%s: no reply within %d ms (%d writes sent)", label,
                      H_CALL_TIMEOUT_MS, sent);
            nmirf_reply_t *rep = s_recv(which);
            if (which == r) {
                H_ASSERT(s_answers(rep, rd));
                read_reply = rep;
                continue;
            }
            H_ASSERT(wr && s_answers(rep, wr));
            H_EXPECT(rep, "ok");
            acked_seq[acked++] = rep->seq;
            nmirf_reply_destroy(&rep);
            h_request_free(&wr);
        }
        H_EXPECT(read_reply, "ok");
        H_ASSERT(h_u(&read_reply->body, "total") == 0);
        /* Acked before the read's reply arrived, and committed after its
           read transaction began: the read held no commit back. */
        int during = 0;
        for (int k = 0; k < acked; k++)
            if (acked_seq[k] > read_reply->seq)
                during++;
        if (during >= 2)
            overlapped++;
        writes += during;
        nmirf_reply_destroy(&read_reply);
        h_request_free(&rd);
        /* The write still in flight, if any. */
        if (wr) {
            nmirf_reply_t *rep = s_recv(w);
            H_ASSERT(s_answers(rep, wr));
            H_EXPECT(rep, "ok");
            nmirf_reply_destroy(&rep);
            h_request_free(&wr);
        }
    }
    zpoller_destroy(&poller);
    zsock_destroy(&w);
    zsock_destroy(&r);
    h_note("%s: %d of %d searches of %d recommendations ran while %d writes were "
           "committed and acknowledged",
           label, overlapped, OVERLAP_TRIES, BIG_RECS, writes);
    return overlapped;
}

/* Part 3: PIPELINE requests, reads and writes mixed, sent at once on one
   connection: each gets exactly one reply, matched by id. */
static void
s_pipelined(h_broker_t *b, const char *label)
{
    h_entity_t *coord = h_coord(b);
    zsock_t *d = s_dealer(b, coord);
    h_request_t *reqs[PIPELINE];
    bool answered[PIPELINE] = {false};
    for (int i = 0; i < PIPELINE; i++) {
        if (i % 2)
            reqs[i] = h_request_make(coord, "rec.import",
                                     "{'recs': [{'id': 'PL-%s-%d', 'mechanism': 'CED', "
                                     "'text': {'en': 'Pipelined'}}]}",
                                     label, i);
        else
            reqs[i] = h_request_make(coord, i % 4 ? "stats" : "rec.list",
                                     "{'mechanism': 'CED'}");
        h_request_post(d, reqs[i]);
    }
    for (int k = 0; k < PIPELINE; k++) {
        nmirf_reply_t *r = s_recv(d);
        H_EXPECT(r, "ok");
        int i = 0;
        while (i < PIPELINE && !s_answers(r, reqs[i]))
            i++;
        H_ASSERTF(i < PIPELINE, "%s: a reply to no request sent", label);
        H_ASSERTF(!answered[i], "%s: two replies to request %d", label, i);
        answered[i] = true;
        nmirf_reply_destroy(&r);
    }
    for (int i = 0; i < PIPELINE; i++)
        h_request_free(&reqs[i]);
    zsock_destroy(&d);
    h_note("%s: %d pipelined reads and writes, one reply each", label, PIPELINE);
}

/* Part 4: STOP_READS long reads sent, then SIGTERM at once. */
static void
s_stop_while_reading(h_broker_t *b, h_entity_t *obs)
{
    zsock_t *d = s_dealer(b, obs);
    h_request_t *reqs[STOP_READS];
    for (int i = 0; i < STOP_READS; i++) {
        reqs[i] = h_request_make(obs, "rec.list", "{'text': 'nothing says this'}");
        h_request_post(d, reqs[i]);
    }
    /* One answered: the others are running or waiting. */
    nmirf_reply_t *r = s_recv(d);
    H_EXPECT(r, "ok");
    nmirf_reply_destroy(&r);
    h_broker_stop(b);
    for (int i = 0; i < STOP_READS; i++)
        h_request_free(&reqs[i]);
    zsock_destroy(&d);
    h_note("a stop with %d long reads sent: the broker exited 0", STOP_READS);
}

int
main(int argc, char **argv)
{
    h_init(argc, argv, 280);

    /* The default: two reader threads. */
    h_broker_t *b = h_broker_start(NULL);
    h_entity_t *obs = h_enroll(b, "OBS", "observer");
    s_read_your_writes(b, obs, "r2");
    s_pipelined(b, "r2");
    s_import_big(b);
    int overlapped = s_overlaps(b, obs, "r2");
    H_ASSERTF(overlapped >= 1,
              "no search of %d tries saw a write committed while it ran: reads still "
              "hold the writer",
              OVERLAP_TRIES);
    s_stop_while_reading(b, obs);
    h_broker_destroy(&b);

    /* The old path: every read in the writer's batches. */
    static const char *const old[] = {"--readers=0", NULL};
    b = h_broker_start_with(NULL, old);
    obs = h_enroll(b, "OBS", "observer");
    s_read_your_writes(b, obs, "r0");
    s_pipelined(b, "r0");
    s_import_big(b);
    s_overlaps(b, obs, "r0"); /* none expected; not a guarantee to assert */
    h_broker_stop(b);
    h_broker_destroy(&b);
    return 0;
}
