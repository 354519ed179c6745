/*  backup_test - `nmirf backup` of a running broker under load, and its
    restore (docs/OPERATIONS.md, Backup and restore).

    A writer submits reports as fast as the broker acknowledges them while
    `nmirf backup` copies the data directory. The backup is restored into
    another broker's directory (its store and keys replaced), that broker
    is started on it, and then: every write acknowledged before the backup
    began is there exactly once, the event log has no gap and its chain
    holds, `nmirf audit verify --data` passes on the restored directory,
    and the restored broker takes new writes after the last sequence.
    Bad uses of the command (a non-empty OUTDIR, no --data, a directory
    that is not a broker's) fail with their exit status and change nothing.
*/
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent_common.h"
#include "nmirf_util.h"

#define WRITER_MAX 50000  /* writes the writer may make */
#define ACKS_BEFORE 200   /* acknowledged writes before the backup starts */
#define ACK_WAIT_MS 20000 /* ... which must come within this */
#define RECS 500          /* recommendations imported, so the store has some size */

/* The writer and the writes it got acknowledged. */
typedef struct {
    nmirf_client_t *client;                /* MJ's own connection */
    uint8_t ids[WRITER_MAX][NMIRF_ID_LEN]; /* acknowledged request ids, in order */
    atomic_size_t acked;                   /* how many */
    atomic_bool stop;                      /* set by the test */
} writer_t;

static void *
writer_run(void *arg)
{
    writer_t *w = arg;
    for (int i = 0; i < WRITER_MAX && !atomic_load(&w->stop); i++) {
        msgpack_sbuffer *body = h_pack_json(
            "{'rec': 'REC-0', 'status': 'in_progress', 'narrative': 'step %d'}", i);
        uint8_t id[NMIRF_ID_LEN];
        nmirf_random_id(id, sizeof id);
        char why[256];
        nmirf_reply_t *r =
            nmirf_client_call_id(w->client, id, "report.submit", (uint8_t *)body->data,
                                 body->size, why, sizeof why);
        msgpack_sbuffer_free(body);
        H_ASSERTF(r, "writer: no reply: %s", why);
        h_remember("report.submit (writer)", r);
        H_EXPECT(r, "ok");
        size_t k = atomic_load(&w->acked);
        memcpy(w->ids[k], id, NMIRF_ID_LEN);
        atomic_store(&w->acked, k + 1);
        nmirf_reply_destroy(&r);
    }
    return NULL;
}

/* Bad uses: each fails with its status and leaves nothing behind. */
static void
test_refusals(h_broker_t *b, const char *nmirf)
{
    char *out, dir[PATH_MAX + 16];
    snprintf(dir, sizeof dir, "%s/not-empty", b->dir);
    H_ASSERT(mkdir(dir, 0700) == 0);
    char file[PATH_MAX + 32];
    snprintf(file, sizeof file, "%s/x", dir);
    H_ASSERT(nmirf_write_file(file, "x", 1, 0600) == 0);
    int rc = h_sh(&out, "'%s' backup --data '%s' '%s' 2>&1", nmirf, b->dir, dir);
    H_ASSERTF(rc == 4 && strstr(out, "not empty"), "non-empty OUTDIR: exit %d: %s", rc,
              out);
    free(out);
    rc = h_sh(&out, "'%s' backup '%s/none' 2>&1", nmirf, b->dir);
    H_ASSERTF(rc == 2, "no --data: exit %d: %s", rc, out);
    free(out);
    rc = h_sh(&out, "'%s' backup --data '%s' '%s/none' 2>&1", nmirf, dir, b->dir);
    H_ASSERTF(rc == 4 && strstr(out, "not a broker data directory"),
              "not a data dir: exit %d: %s", rc, out);
    free(out);
    snprintf(file, sizeof file, "%s/none", b->dir);
    H_ASSERTF(access(file, F_OK) != 0, "a refused backup made %s", file);
    h_note("refusals: non-empty OUTDIR and a non-broker directory exit 4, no --data 2");
}

int
main(int argc, char **argv)
{
    ha_init(argc, argv, 110);
    const char *nmirf = ha_nmirf();
    H_ASSERTF(nmirf, "usage: backup_test NMIRFD NMIRF-AGENT NMIRF");
    h_broker_t *b = h_broker_start(NULL);
    h_entity_t *mj = ha_setup_ministry(b, "MJ", "REC", RECS);
    H_CALL_CHECK("ok", h_coord(b), "rec.assign", "{'rec': 'REC-0', 'lead': 'MJ'}");
    test_refusals(b, nmirf);

    writer_t *w = calloc(1, sizeof *w);
    H_ASSERT(w);
    w->client =
        nmirf_client_new(b->request_ep, &mj->key, b->server_key, H_CALL_TIMEOUT_MS);
    H_ASSERT(w->client);
    pthread_t thread;
    H_ASSERT(pthread_create(&thread, NULL, writer_run, w) == 0);
    for (int waited = 0; atomic_load(&w->acked) < ACKS_BEFORE; waited += 10) {
        H_ASSERTF(waited < ACK_WAIT_MS, "writer got %zu acks", atomic_load(&w->acked));
        h_sleep_ms(10);
    }

    /* Everything acknowledged before this line must be in the backup. */
    size_t before = atomic_load(&w->acked);
    char bk[PATH_MAX + 16], *out;
    snprintf(bk, sizeof bk, "%s/backup", b->dir);
    int rc = h_sh(&out, "'%s' --json backup --data '%s' '%s' 2>&1", nmirf, b->dir, bk);
    size_t after = atomic_load(&w->acked);
    H_ASSERTF(rc == 0, "backup exit %d: %s", rc, out);
    json_t *j = json_loads(out, 0, NULL);
    H_ASSERTF(j, "backup --json: %s", out);
    uint64_t bk_seq = (uint64_t)json_integer_value(json_object_get(j, "seq"));
    json_decref(j);
    free(out);
    h_sleep_ms(100); /* the writer goes on after the copy too */
    atomic_store(&w->stop, true);
    H_ASSERT(pthread_join(thread, NULL) == 0);
    nmirf_client_destroy(&w->client);
    h_note("backup under load: seq %llu; %zu writes acknowledged before it, %zu while "
           "it ran, %zu in all",
           (unsigned long long)bk_seq, before, after - before, atomic_load(&w->acked));
    struct stat st;
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/keys/NMIRFD.key", bk);
    H_ASSERT(stat(path, &st) == 0 && (st.st_mode & 077) == 0);
    snprintf(path, sizeof path, "%s/store/data.mdb", bk);
    H_ASSERT(stat(path, &st) == 0 && (st.st_mode & 077) == 0);

    /* Restore as docs/OPERATIONS.md says: stop, replace store and keys,
       start. The new broker's directory gets the backup's; the test's
       entities (keys in memory) come along. */
    h_broker_t *r = h_broker_start(NULL);
    h_broker_stop(r);
    h_broker_stop(b);
    rc =
        h_sh(&out, "rm -rf '%s/store' '%s/keys' && cp -a '%s/store' '%s/keys' '%s/' 2>&1",
             r->dir, r->dir, bk, bk, r->dir);
    H_ASSERTF(rc == 0, "restore: %s", out);
    free(out);
    memcpy(r->ents, b->ents, sizeof r->ents);
    r->ent_count = b->ent_count;
    h_broker_restart(r);

    nmirf_event_t **evs;
    size_t n = h_events(h_coord(r), 0, &evs);
    H_ASSERTF(n == bk_seq, "restored broker has %zu events, the backup said seq %llu", n,
              (unsigned long long)bk_seq);
    H_CHECK_CHAIN(evs, n, NULL);
    for (size_t k = 0; k < before; k++) {
        size_t found = 0;
        for (size_t i = 0; i < n; i++)
            if (evs[i]->has_req && memcmp(evs[i]->req, w->ids[k], NMIRF_ID_LEN) == 0)
                found++;
        H_ASSERTF(found == 1,
                  "write %zu, acknowledged before the backup, found %zu times", k, found);
    }
    h_events_free(&evs, n);
    rc = h_sh(&out, "'%s' audit verify --data '%s' 2>&1", nmirf, r->dir);
    H_ASSERTF(rc == 0, "audit verify on the restored directory: exit %d: %s", rc, out);
    free(out);
    h_entity_t *rmj = &r->ents[0];
    for (size_t i = 0; i < r->ent_count; i++)
        if (strcmp(r->ents[i].id, "MJ") == 0)
            rmj = &r->ents[i];
    nmirf_reply_t *next = H_CALL_EXPECT(
        "ok", rmj, "report.submit",
        "{'rec': 'REC-0', 'status': 'implemented', 'narrative': 'after restore'}");
    H_ASSERT(next->seq == bk_seq + 1);
    nmirf_reply_destroy(&next);
    h_note(
        "restore: %zu events gap-free, chain holds, all %zu earlier acks present once, "
        "audit verify passes, next write is seq %llu",
        n, before, (unsigned long long)bk_seq + 1);

    h_broker_destroy(&r);
    h_broker_destroy(&b);
    free(w);
    return 0;
}
