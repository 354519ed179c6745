/*  torture_check - the checks after a crash or a refusal
    (torture_check.h).
*/
#include "torture_check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nmirf_audit.h"
#include "nmirf_digest.h"
#include "nmirf_mp.h"
#include "nmirf_util.h"

#define S_KEY_MAX 96 /* longest record key kept: recommendation ids are 64 */

/* True if kind is one an import makes per record. */
static bool
s_is_import_kind(const char *kind)
{
    return strcmp(kind, "rec.added") == 0 || strcmp(kind, "rec.updated") == 0;
}

/* True if ev starts an application of its own, not the next event of the
   application run[0..n) of the same request. What one application makes
   is decided per operation (daemon/ops_*.c), all in one commit (the same
   ts):
     rec.import       one rec.added or rec.updated per record it changes,
                      each record once (an import refuses an id given
                      twice)
     report.validate  report.validated, then at most one measure.updated
                      (the progress its indicator values give)
     every other op   exactly one event (entity.*, assignment.set,
                      report.submitted, report.returned, measure.added,
                      measure.updated)
   So an event continues the run only as the next record of an import or
   as a validation's measure.updated; anything else, and a change of time,
   starts a new application. A subject cannot tell: report.submit and
   measure.add number a new report or measure each time, so the same
   request applied twice makes two events with different subjects. */
static bool
s_starts_application(nmirf_event_t *const *run, size_t n, const nmirf_event_t *ev)
{
    if (n == 0 || !run[0]->has_req || memcmp(run[0]->req, ev->req, NMIRF_ID_LEN) != 0 ||
        run[0]->ts != ev->ts)
        return true;
    if (s_is_import_kind(run[0]->kind)) {
        if (!s_is_import_kind(ev->kind))
            return true;
        for (size_t i = 0; i < n; i++)
            if (strcmp(run[i]->subject ? run[i]->subject : "",
                       ev->subject ? ev->subject : "") == 0)
                return true;
        return false;
    }
    return !(n == 1 && strcmp(run[0]->kind, "report.validated") == 0 &&
             strcmp(ev->kind, "measure.updated") == 0);
}

zhashx_t *
tc_log_count_applications(nmirf_event_t *const *evs, size_t n)
{
    zhashx_t *reqs = zhashx_new();
    if (!reqs)
        return NULL;
    size_t run = 0; /* first event of the current application */
    for (size_t i = 0; i < n; i++) {
        if (!evs[i]->has_req) {
            run = i + 1;
            continue;
        }
        if (i > run && !s_starts_application(evs + run, i - run, evs[i]))
            continue;
        run = i;
        char hex[2 * NMIRF_ID_LEN + 1];
        nmirf_hex(evs[i]->req, NMIRF_ID_LEN, hex);
        uintptr_t count = (uintptr_t)zhashx_lookup(reqs, hex);
        zhashx_update(reqs, hex, (void *)(count + 1));
    }
    return reqs;
}

tc_log_t *
tc_log_fetch(h_entity_t *e, uint64_t min_seq)
{
    tc_log_t *log = calloc(1, sizeof *log);
    H_ASSERT(log);
    log->n = h_events(e, 0, &log->evs);
    H_ASSERTF(log->n >= min_seq, "the log holds %zu events, the broker said %llu", log->n,
              (unsigned long long)min_seq);
    H_ASSERTF(log->n == 0 || log->evs[0]->seq == 1, "the log starts at seq %llu",
              (unsigned long long)log->evs[0]->seq);
    H_CHECK_CHAIN(log->evs, log->n, NULL);
    log->reqs = tc_log_count_applications(log->evs, log->n);
    H_ASSERT(log->reqs);
    return log;
}

void
tc_log_destroy(tc_log_t **log_p)
{
    tc_log_t *log = *log_p;
    if (!log)
        return;
    h_events_free(&log->evs, log->n);
    zhashx_destroy(&log->reqs);
    free(log);
    *log_p = NULL;
}

size_t
tc_log_req_count(const tc_log_t *log, const uint8_t id[NMIRF_ID_LEN])
{
    char hex[2 * NMIRF_ID_LEN + 1];
    nmirf_hex(id, NMIRF_ID_LEN, hex);
    return (size_t)(uintptr_t)zhashx_lookup(log->reqs, hex);
}

uint64_t
tc_audit_verify(const h_broker_t *b)
{
    char path[PATH_MAX + 32], why[256];
    nmirf_key_t broker;
    snprintf(path, sizeof path, "%s/keys/NMIRFD.pub", b->dir);
    H_ASSERTF(nmirf_key_load(&broker, path, why, sizeof why) == 0,
              "load the broker's public key: %s", why);
    nmirf_audit_summary_t sum;
    nmirf_audit_rc_t rc = nmirf_audit_verify_dir(b->dir, broker.sign_pk, &sum);
    H_ASSERTF(rc == NMIRF_AUDIT_OK, "audit verify of %s: %s (event %llu)", b->dir,
              sum.why, (unsigned long long)sum.fail_seq);
    return sum.events;
}

/* The replayed state: one table per snapshot section, key -> the
   msgpack_object of the latest event data (borrowed from the log). */
#define S_SECTIONS NMIRF_DIGEST_RECORD_SECTIONS
typedef struct {
    zhashx_t *tables[S_SECTIONS]; /* entities, recs, assignments, reports,
                                     measures */
    zhashx_t *status;             /* rec id -> status object */
} s_state_t;

#define S_NO_RECORD (-2) /* a kind that changes no record */

/* The section a kind changes (index into nmirf's digest order),
   S_NO_RECORD for the broker's deadline reminders (they only notify) and
   a promotion (it changes the store's epoch, no record), or -1 for a
   kind this check does not know. */
static int
s_section(const char *kind)
{
    if (strncmp(kind, "entity.", 7) == 0)
        return 0;
    if (strncmp(kind, "rec.", 4) == 0)
        return 1;
    if (strcmp(kind, "assignment.set") == 0)
        return 2;
    if (strncmp(kind, "report.", 7) == 0)
        return 3;
    if (strcmp(kind, "measure.added") == 0 || strcmp(kind, "measure.updated") == 0)
        return 4;
    if (strcmp(kind, "deadline.due_soon") == 0 || strcmp(kind, "deadline.overdue") == 0 ||
        strcmp(kind, "broker.promoted") == 0)
        return S_NO_RECORD;
    return -1;
}

/* A record's key as a string: id (entities, recs, reports, measures) or
   rec (assignments). */
static bool
s_record_key(int section, const msgpack_object *rec, char *out, size_t outlen)
{
    const msgpack_object *k = nmirf_mp_get(rec, section == 2 ? "rec" : "id");
    if (!k)
        return false;
    if (k->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
        snprintf(out, outlen, "%llu", (unsigned long long)k->via.u64);
        return true;
    }
    if (k->type != MSGPACK_OBJECT_STR || k->via.str.size >= outlen)
        return false;
    memcpy(out, k->via.str.ptr, k->via.str.size);
    out[k->via.str.size] = '\0';
    return true;
}

/* True if maps a and b hold the same keys and values in the same order,
   b's key `skip` left out. */
static bool
s_same_map_except(const msgpack_object *a, const msgpack_object *b, const char *skip)
{
    if (a->type != MSGPACK_OBJECT_MAP || b->type != MSGPACK_OBJECT_MAP)
        return false;
    uint32_t j = 0;
    for (uint32_t i = 0; i < a->via.map.size; i++, j++) {
        if (j < b->via.map.size && nmirf_mp_str_is(&b->via.map.ptr[j].key, skip))
            j++;
        if (j >= b->via.map.size)
            return false;
        if (!h_same(&a->via.map.ptr[i].key, &b->via.map.ptr[j].key) ||
            !h_same(&a->via.map.ptr[i].val, &b->via.map.ptr[j].val))
            return false;
    }
    if (j < b->via.map.size && nmirf_mp_str_is(&b->via.map.ptr[j].key, skip))
        j++;
    return j == b->via.map.size;
}

void
tc_replay_compare(const msgpack_object *snapshot, const tc_log_t *log)
{
    uint64_t seq = h_u(snapshot, "seq");
    H_ASSERTF(seq != UINT64_MAX && seq <= log->n, "snapshot at seq %llu, log holds %zu",
              (unsigned long long)seq, log->n);
    s_state_t st;
    for (int s = 0; s < S_SECTIONS; s++)
        st.tables[s] = zhashx_new();
    st.status = zhashx_new();
    for (size_t i = 0; i < seq; i++) {
        const nmirf_event_t *ev = log->evs[i];
        int s = s_section(ev->kind);
        H_ASSERTF(s != -1, "event %llu has unknown kind %s", (unsigned long long)ev->seq,
                  ev->kind);
        if (s == S_NO_RECORD)
            continue;
        zhashx_update(st.tables[s], ev->subject, (void *)&ev->data);
        if (strcmp(ev->kind, "report.validated") == 0) {
            char rec[S_KEY_MAX];
            H_ASSERT(s_record_key(2, &ev->data, rec, sizeof rec));
            const msgpack_object *status = nmirf_mp_get(&ev->data, "status");
            H_ASSERT(status);
            zhashx_update(st.status, rec, (void *)status);
        }
    }
    for (int s = 0; s < S_SECTIONS; s++) {
        const char *name = nmirf_digest_sections[s];
        const msgpack_object *arr = h_get(snapshot, name);
        H_ASSERTF(arr && arr->type == MSGPACK_OBJECT_ARRAY, "snapshot has no %s", name);
        H_ASSERTF(arr->via.array.size == zhashx_size(st.tables[s]),
                  "snapshot at seq %llu has %u %s, the log's replay %zu",
                  (unsigned long long)seq, arr->via.array.size, name,
                  zhashx_size(st.tables[s]));
        for (uint32_t i = 0; i < arr->via.array.size; i++) {
            const msgpack_object *rec = &arr->via.array.ptr[i];
            char key[S_KEY_MAX];
            H_ASSERTF(s_record_key(s, rec, key, sizeof key), "a %s record has no key",
                      name);
            const msgpack_object *replayed = zhashx_lookup(st.tables[s], key);
            H_ASSERTF(replayed, "%s %s is in the snapshot, not in the log", name, key);
            bool same = s == 2 ? s_same_map_except(rec, replayed, "previous")
                               : h_same(rec, replayed);
            H_ASSERTF(same, "%s %s differs from the replay of the log", name, key);
        }
    }
    const msgpack_object *status = h_get(snapshot, "status");
    H_ASSERTF(status && status->type == MSGPACK_OBJECT_MAP, "snapshot has no status");
    H_ASSERTF(status->via.map.size == zhashx_size(st.status),
              "snapshot has %u statuses, the replay %zu", status->via.map.size,
              zhashx_size(st.status));
    for (uint32_t i = 0; i < status->via.map.size; i++) {
        char *rec = nmirf_mp_strdup(&status->via.map.ptr[i].key);
        H_ASSERT(rec);
        const msgpack_object *replayed = zhashx_lookup(st.status, rec);
        H_ASSERTF(replayed && h_same(replayed, &status->via.map.ptr[i].val),
                  "status of %s differs from the replay", rec);
        free(rec);
    }
    for (int s = 0; s < S_SECTIONS; s++)
        zhashx_destroy(&st.tables[s]);
    zhashx_destroy(&st.status);
}

tc_log_t *
tc_check_all(h_broker_t *b)
{
    nmirf_reply_t *snap = H_CALL_EXPECT("ok", h_coord(b), "snapshot", "{}");
    tc_log_t *log = tc_log_fetch(h_coord(b), h_u(&snap->body, "seq"));
    tc_replay_compare(&snap->body, log);
    nmirf_reply_destroy(&snap);
    uint64_t verified = tc_audit_verify(b);
    H_ASSERTF(verified >= log->n, "the verifier saw %llu events, the log %zu",
              (unsigned long long)verified, log->n);
    return log;
}

size_t
tc_rss_kib(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    char line[256];
    size_t kib = 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %zu kB", &kib) == 1)
            break;
    fclose(f);
    return kib;
}
