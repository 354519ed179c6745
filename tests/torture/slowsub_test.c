/*  slowsub_test - a subscriber that stops reading costs the broker bounded
    memory, and an agent that was paused catches up (issue 6,
    ARCHITECTURE.md "Events").

    A raw SUB subscribed to `ev/` never reads (its receive buffers made
    small), and the ministry's nmirf-agent is stopped with SIGSTOP, while
    the coordinator imports FLOOD_EVENTS recommendations: more events than
    the broker's PUB high-water mark (100,000 messages per subscriber) and
    the kernel's socket buffers can hold. The agent gets its events pushed
    on its one request connection (`subscribe`), so they pile up in the
    broker's ROUTER instead, up to the same mark (BROKER_PUSH_HWM). The
    broker's resident memory is sampled from /proc during the flood; the
    bound is loose (memory is not time, but it is the machine's): its
    anonymous memory grows by less than RSS_GROWTH_MAX. The broker keeps
    answering throughout. Then:
    - the raw SUB, read at last, has lost events (ZeroMQ dropped them past
      the high-water mark) and sees a gap in the sequence numbers;
    - the agent, continued with SIGCONT, notices its gap (its log says so)
      and converges: its replica digest equals the broker's snapshot.
*/
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent_common.h"
#include "nmirf_util.h"
#include "torture_check.h"

#define PER_IMPORT 256    /* recommendations per import (the list limit) */
#define FLOOD_IMPORTS 540 /* imports in the flood */
#define FLOOD_EVENTS (PER_IMPORT * FLOOD_IMPORTS) /* 138,240 events */
/* KiB of anonymous memory the flood may add. Under AddressSanitizer the
   broker also keeps freed memory in its quarantine (256 MiB by default),
   which is not ours to bound. */
#if defined(__SANITIZE_ADDRESS__)
#define RSS_GROWTH_MAX ((256u + 256u) * 1024)
#else
#define RSS_GROWTH_MAX (256u * 1024)
#endif
#define DRAIN_MAX (FLOOD_EVENTS + 10000) /* messages read from the slow SUB at most */

/* The broker's anonymous resident memory (RssAnon) in KiB, 0 if unknown. */
static size_t
s_rss_anon_kib(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    size_t kib = 0;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "RssAnon: %zu kB", &kib) == 1)
            break;
    if (f)
        fclose(f);
    return kib;
}

/* Imports recommendations FLOOD/i/0..PER_IMPORT-1. */
static void
s_import(h_broker_t *b, int i)
{
    char *json = NULL;
    size_t cap = 0;
    FILE *f = open_memstream(&json, &cap);
    H_ASSERT(f);
    fprintf(f, "{'recs':[");
    for (int j = 0; j < PER_IMPORT; j++)
        fprintf(f, "%s{'id':'FLOOD/%d/%d','mechanism':'CRC','text':{'en':'flood %d %d'}}",
                j ? "," : "", i, j, i, j);
    fprintf(f, "]}");
    fclose(f);
    H_CALL_CHECK("ok", h_coord(b), "rec.import", "%s", json);
    free(json);
}

/* Reads what the slow SUB holds until it has been idle for 2 s (bounded
   in count), adding to *got the events read and to *gaps the places
   where seq jumped past *prev (the last seq read, updated). */
static void
s_drain(zsock_t *sub, uint64_t *prev, size_t *got, size_t *gaps)
{
    zpoller_t *poller = zpoller_new(sub, NULL);
    for (size_t i = 0; i < DRAIN_MAX && zpoller_wait(poller, 2000); i++) {
        zmsg_t *msg = zmsg_recv(sub);
        zframe_t *topic = zmsg_first(msg), *frame = zmsg_next(msg);
        char why[256];
        nmirf_event_t *ev = frame
                                ? nmirf_event_decode(zframe_data(frame),
                                                     zframe_size(frame), why, sizeof why)
                                : NULL;
        H_ASSERTF(topic && ev, "the SUB got an unreadable event");
        *gaps += *prev && ev->seq != *prev + 1;
        *prev = ev->seq;
        (*got)++;
        nmirf_event_destroy(&ev);
        zmsg_destroy(&msg);
    }
    zpoller_destroy(&poller);
}

int
main(int argc, char **argv)
{
    ha_init(argc, argv, 590);
    static char req_ep[64], ev_ep[64];
    snprintf(req_ep, sizeof req_ep, "tcp://127.0.0.1:%d", ha_free_port());
    snprintf(ev_ep, sizeof ev_ep, "tcp://127.0.0.1:%d", ha_free_port());
    const char *args[] = {"-r", req_ep, "-e", ev_ep, NULL};
    h_broker_t *b = h_broker_start_with(NULL, args);
    h_entity_t *m = ha_setup_ministry(b, "MS", "SL", 2);
    H_CALL_CHECK("ok", h_coord(b), "rec.assign", "{'rec': 'SL-0', 'lead': 'MS'}");
    ha_agent_t *a = ha_agent_start(b, m, NULL);
    ag_wait_seq(a, h_seq(b));

    /* The slow reader: small buffers, so ZeroMQ's queue in the broker is
       what fills. */
    zsock_t *sub = zsock_new(ZMQ_SUB);
    H_ASSERT(sub);
    zsock_set_rcvhwm(sub, 10);
    zsock_set_rcvbuf(sub, 4096);
    H_ASSERT(nmirf_client_curve(sub, &h_coord(b)->key, b->server_key) == 0);
    zsock_set_subscribe(sub, "ev/");
    H_ASSERT(zsock_connect(sub, "%s", b->events_ep) == 0);
    h_sleep_ms(300); /* the subscription reaches the broker */

    size_t rss0 = s_rss_anon_kib(b->pid), vm0 = tc_rss_kib(b->pid), peak = rss0;
    H_ASSERTF(rss0 > 0, "no RssAnon in /proc/%d/status", (int)b->pid);
    H_ASSERT(kill(a->pid, SIGSTOP) == 0);
    uint64_t seq0 = h_seq(b);
    for (int i = 0; i < FLOOD_IMPORTS; i++) {
        s_import(b, i);
        if (i % 20 == 0) {
            size_t rss = s_rss_anon_kib(b->pid);
            peak = rss > peak ? rss : peak;
        }
    }
    uint64_t last = h_seq(b);
    H_ASSERT(last == seq0 + FLOOD_EVENTS);
    size_t rss1 = s_rss_anon_kib(b->pid);
    peak = rss1 > peak ? rss1 : peak;
    H_ASSERTF(peak - rss0 < RSS_GROWTH_MAX,
              "the broker's anonymous memory grew by %zu KiB during the flood",
              peak - rss0);
    h_note("flood of %d events past a stopped SUB and a stopped agent: broker RssAnon "
           "%zu -> peak %zu KiB (VmRSS %zu -> %zu KiB, LMDB's map pages included)",
           FLOOD_EVENTS, rss0, peak, vm0, tc_rss_kib(b->pid));

    /* What the broker still queued for it, then one more event: the
       first one after the drop shows the gap. */
    size_t got = 0, gaps = 0;
    uint64_t prev = 0;
    s_drain(sub, &prev, &got, &gaps);
    size_t queued = got;
    H_CALL_CHECK("ok", h_coord(b), "rec.assign", "{'rec': 'SL-1', 'lead': 'MS'}");
    s_drain(sub, &prev, &got, &gaps);
    H_ASSERTF(got < FLOOD_EVENTS && gaps > 0 && prev == last + 1,
              "the slow SUB got %zu of %d events with %zu gaps, last seq %llu: nothing "
              "was dropped",
              got, FLOOD_EVENTS + 1, gaps, (unsigned long long)prev);
    zsock_destroy(&sub);
    h_note("slow SUB: the broker had queued %zu of %d events, dropped the rest past "
           "the HWM; the next event showed the gap (%zu)",
           queued, FLOOD_EVENTS, gaps);

    H_ASSERT(kill(a->pid, SIGCONT) == 0);
    uint8_t want[NMIRF_HASH_LEN], have[NMIRF_HASH_LEN];
    uint64_t seq, aseq;
    ha_broker_digest(h_coord(b), want, &seq);
    ag_wait_seq(a, seq);
    ha_agent_digest(a, have, &aseq);
    HA_ASSERTF(aseq == seq && memcmp(want, have, sizeof want) == 0,
               "the agent's replica (seq %llu) differs from the broker's (seq %llu)",
               (unsigned long long)aseq, (unsigned long long)seq);
    size_t len;
    char *log = nmirf_read_file(a->log_path, &len);
    bool noticed = log && (strstr(log, "gap: event") || strstr(log, "resync"));
    free(log);
    HA_ASSERTF(noticed, "the agent's log shows no gap and no resync");
    h_note("agent continued: noticed the gap, replica digest equal at seq %llu",
           (unsigned long long)seq);
    tc_log_t *tl = tc_check_all(b);
    tc_log_destroy(&tl);
    ha_agent_stop(a);
    ha_agent_destroy(&a);
    h_broker_destroy(&b);
    return 0;
}
