/*  agent_notify_test - an agent tells its ministry what concerns it, and
    answers from its replica while the broker is down.

    1. Assign N recommendations (AGENT_NOTIFY_COUNT, default 200) to the
       agent's entity one after another: each gives one "assigned"
       notification naming the right recommendation, on the notify socket,
       in the --notify-log file and through the --hook. Prints latency
       p50/p99 from the broker's acknowledgement to the notification
       (printed, never asserted).
    2. Reassignment away gives "unassigned"; validation of the ministry's
       report gives "validated".
    3. The CLI through the agent: nmirf -a DIR mine / report submit (with --by) /
       outbox / agent-status.
    4. Broker stopped: `mine` still answers, from the replica, stale=true.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>

#include "agent_harness.h"
#include "nmirf_util.h"

#define REC "NT"

/* Waits up to ms for the next notification, decoded by the codec
   (ha_notification); false if none came. */
static bool
s_next(zsock_t *sub, int ms, nmirf_notify_t *n)
{
    return ha_notification(sub, ms, n);
}

/* True if notification n has kind and rec. */
static bool
s_is(const nmirf_notify_t *n, nmirf_notify_kind_t kind, const char *rec)
{
    return n->root && n->kind == kind && (!rec || strcmp(n->rec ?: "", rec) == 0);
}

/* True if a line of text (nmirf watch --json's output) decodes as a
   notification of kind and rec. */
static bool
s_printed(const char *text, nmirf_notify_kind_t kind, const char *rec)
{
    for (const char *line = text; *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        nmirf_notify_t n = {0};
        bool is = len > 0 && nmirf_notify_decode(line, len, &n, NULL, 0) == NMIRF_OK &&
                  s_is(&n, kind, rec);
        nmirf_notify_release(&n);
        if (is)
            return true;
        line += len + (end ? 1 : 0);
    }
    return false;
}

static int
s_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Waits until the agent has loaded a replica at least at seq. */
static void
s_wait_seq(ha_agent_t *a, uint64_t seq)
{
    for (int waited = 0;; waited += 20) {
        nmirf_reply_t *r = ha_ctl(a, 5000, "status", NULL);
        bool done = h_u(&r->body, "seq") >= seq && h_get(&r->body, "loaded") &&
                    h_get(&r->body, "loaded")->via.boolean;
        nmirf_reply_destroy(&r);
        if (done)
            return;
        HA_ASSERTF(waited < HA_WAIT_MS, "agent did not reach seq %llu",
                   (unsigned long long)seq);
        h_sleep_ms(20);
    }
}

/* Runs the nmirf CLI with args (a shell fragment); returns its exit status
   and its stdout in out (caller frees). */
static int
s_cli(const char *args, char **out)
{
    return h_sh(out, "'%s' %s 2>&1", ha_nmirf(), args);
}

/* True if pid has exited and waits to be reaped (by init: the watch
   command is not our child). */
static bool
s_zombie(pid_t pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return true;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *paren = strrchr(buf, ')');
    return paren && paren[1] == ' ' && paren[2] == 'Z';
}

/* Counts the lines of a file. */
static size_t
s_lines(const char *path)
{
    FILE *f = fopen(path, "r");
    size_t n = 0;
    int c;
    while (f && (c = fgetc(f)) != EOF)
        n += c == '\n';
    if (f)
        fclose(f);
    return n;
}

int
main(int argc, char **argv)
{
    ha_init(argc, argv, 170);
    const char *env = getenv("AGENT_NOTIFY_COUNT");
    size_t count = env && atoi(env) > 0 ? (size_t)atoi(env) : 200;

    h_broker_t *b = h_broker_start(NULL);
    h_entity_t *coord = h_coord(b);
    h_entity_t *mj = ha_setup_ministry(b, "MJ", REC, count + 3);
    h_enroll(b, "MK", "ministry");

    char notify_log[PATH_MAX + 32], hook_out[PATH_MAX + 32], hook_fds[PATH_MAX + 32],
        hook[3 * PATH_MAX + 256];
    snprintf(notify_log, sizeof notify_log, "%s/notify.jsonl", b->dir);
    snprintf(hook_out, sizeof hook_out, "%s/hook.out", b->dir);
    snprintf(hook_fds, sizeof hook_fds, "%s/hook.fds", b->dir);
    /* The hook also lists its shell's open fds (the shell may hold its own
       copy of stdout for the redirection): none may be one of the agent's
       (the notify log, files in DIR, sockets, event fds). And its signal
       mask, read first, by the shell itself with builtins: dash clears its
       mask after waiting for a child (so after `cat` it would show nothing
       the agent left blocked), and a child reading the shell's mask (grep)
       could catch the moment the shell blocks everything to wait for it. */
    snprintf(
        hook, sizeof hook,
        "{ while read -r l; do case \"$l\" in SigBlk*) printf '%%s\\n' \"$l\";; esac; "
        "done < /proc/$$/status; } > '%s'; cat >> '%s'; ls -l /proc/$$/fd/ >> '%s'",
        hook_fds, hook_out, hook_fds);
    const char *extra[] = {"--notify-log", notify_log, "--hook", hook, NULL};
    ha_agent_t *a = ha_agent_start(b, mj, extra);
    s_wait_seq(a, h_seq(b));
    zsock_t *sub = ha_notify_sub(a);
    h_note("agent up, replica at the broker's sequence");

    /* Warm-up on rec 0: a SUB's subscription takes a moment to reach the
       PUB, so reassign until the first notification comes through. */
    nmirf_notify_t n = {0};
    size_t warm = 0; /* warm-up assignments: each is one notification */
    for (int i = 0; !n.root; i++) {
        HA_ASSERTF(i < 100, "no notification for the warm-up assignment");
        H_CALL_CHECK("ok", coord, "rec.assign", "{'rec':'" REC "-0','lead':'MJ'}");
        warm++;
        s_next(sub, 200, &n);
    }
    nmirf_notify_release(&n);
    for (int i = 0; i < 1000 && s_next(sub, 300, &n); i++) /* the warm-up's extra ones */
        nmirf_notify_release(&n);

    double *lat = calloc(count, sizeof *lat);
    for (size_t i = 1; i <= count; i++) {
        nmirf_reply_t *r = H_CALL_EXPECT(
            "ok", coord, "rec.assign",
            "{'rec':'" REC
            "-%zu','lead':'MJ','contributors':['MK'],'deadline':'2027-06-30'}",
            i);
        uint64_t ack = nmirf_mono_us();
        nmirf_reply_destroy(&r);
        char rec[32];
        snprintf(rec, sizeof rec, REC "-%zu", i);
        HA_ASSERTF(s_next(sub, 10000, &n), "no notification for %s", rec);
        lat[i - 1] = (double)(nmirf_mono_us() - ack) / 1000.0;
        HA_ASSERTF(s_is(&n, NMIRF_NOTIFY_ASSIGNED, rec), "notification %zu is %s %s", i,
                   nmirf_valueset_name(&nmirf_notify_kinds, (int)n.kind), n.rec ?: "-");
        HA_ASSERT(strcmp(n.deadline ?: "", "2027-06-30") == 0);
        nmirf_notify_release(&n);
    }
    qsort(lat, count, sizeof *lat, s_cmp);
    printf("agent notify: %zu assignments, latency ack -> notification p50 %.2f ms, "
           "p99 %.2f ms, max %.2f ms\n",
           count, lat[count / 2],
           lat[(count * 99) / 100 < count ? (count * 99) / 100 : count - 1],
           lat[count - 1]);
    free(lat);
    h_note("%zu assigned notifications, in order, with the right recommendation", count);

    /* Unassigned: rec 1 goes to MK alone. */
    H_CALL_CHECK("ok", coord, "rec.assign", "{'rec':'" REC "-1','lead':'MK'}");
    s_next(sub, 10000, &n);
    HA_ASSERTF(s_is(&n, NMIRF_NOTIFY_UNASSIGNED, REC "-1"), "expected unassigned");
    nmirf_notify_release(&n);

    /* Validated: MJ submits through the agent, the coordinator validates. */
    nmirf_reply_t *r = ha_ctl(a, 15000, "submit",
                              "{'op':'report.submit','wait_ms':10000,'body':{'rec':'" REC
                              "-2','status':'implemented','narrative':'done'}}");
    H_EXPECT(r, "ok");
    uint64_t report = h_u(&r->body, "report.id");
    HA_ASSERTF(report != UINT64_MAX, "submit through the agent gave no report");
    nmirf_reply_destroy(&r);
    H_CALL_CHECK("ok", coord, "report.validate", "{'report':%llu}",
                 (unsigned long long)report);
    s_next(sub, 10000, &n);
    HA_ASSERTF(s_is(&n, NMIRF_NOTIFY_VALIDATED, REC "-2"), "expected validated");
    nmirf_notify_release(&n);
    h_note("unassigned and validated notifications");

    /* The file and the hook saw every notification (the warm-up's too),
       each exactly once: warm-ups, count assigned, unassigned, validated. */
    size_t total = warm + count + 2;
    for (int waited = 0; s_lines(hook_out) < total; waited += 20) {
        HA_ASSERTF(waited < HA_WAIT_MS, "hook output has %zu lines", s_lines(hook_out));
        h_sleep_ms(20);
    }
    h_sleep_ms(200); /* a duplicate would show up by now */
    HA_ASSERTF(s_lines(hook_out) == total, "hook output has %zu lines, not %zu",
               s_lines(hook_out), total);
    HA_ASSERTF(s_lines(notify_log) == total, "notify log has %zu lines, not %zu",
               s_lines(notify_log), total);
    size_t fdlen;
    char *fds = nmirf_read_file(hook_fds, &fdlen);
    HA_ASSERTF(fds && strstr(fds, " 0 -> ") && !strstr(fds, "notify.jsonl") &&
                   !strstr(fds, a->data) && !strstr(fds, "socket:") &&
                   !strstr(fds, "anon_inode:"),
               "the hook inherited fds of the agent:\n%s", fds ? fds : "(none)");
    /* The agent blocks SIGHUP for its signalfd; its hooks must not. */
    HA_ASSERTF(strstr(fds, "SigBlk:\t0000000000000000"),
               "the hook inherited a blocked signal mask:\n%s", fds);
    free(fds);
    h_note("notify log and hook got every notification exactly once; the hook "
           "inherited none of the agent's fds and no blocked signals");

    /* mine: the replica lists what MJ holds (recs 0 and 2..count: 1 went
       to MK), with the validated status. */
    r = ha_ctl(a, 5000, "mine", NULL);
    H_EXPECT(r, "ok");
    HA_ASSERTF(h_len(&r->body, "assignments") == count, "mine lists %zu",
               h_len(&r->body, "assignments"));
    const msgpack_object *two = h_find(&r->body, "assignments", "rec", REC "-2");
    HA_ASSERT(two && h_is(two, "status", "implemented") && h_is(two, "role", "lead"));
    HA_ASSERT(!h_find(&r->body, "assignments", "rec", REC "-1"));
    nmirf_reply_destroy(&r);

    /* The command line through the agent. */
    if (ha_nmirf()) {
        char *out = NULL, args[8192];
        snprintf(args, sizeof args, "-a '%s' mine", a->data);
        int st = s_cli(args, &out);
        HA_ASSERTF(st == 0 && strstr(out, REC "-2") && strstr(out, "implemented") &&
                       strstr(out, "lead"),
                   "nmirf mine: %d\n%s", st, out);
        free(out);
        snprintf(args, sizeof args,
                 "-a '%s' report submit " REC
                 "-3 --status in_progress --narrative 'via cli' --by 'Amina Benali'",
                 a->data);
        st = s_cli(args, &out);
        /* The agent signs the body as the CLI packed it: by included. */
        HA_ASSERTF(st == 0 && strstr(out, "submitted") && strstr(out, "Amina Benali"),
                   "nmirf report submit: %d\n%s", st, out);
        free(out);
        snprintf(args, sizeof args, "-a '%s' outbox", a->data);
        st = s_cli(args, &out);
        HA_ASSERTF(st == 0 && strstr(out, "report.submit"), "nmirf outbox: %d\n%s", st,
                   out);
        free(out);
        snprintf(args, sizeof args, "-a '%s' --json agent-status", a->data);
        st = s_cli(args, &out);
        HA_ASSERTF(st == 0 && strstr(out, "\"entity\": \"MJ\""), "agent-status: %d\n%s",
                   st, out);
        free(out);
        h_note("nmirf -a: mine, report submit, outbox, agent-status");
    }

    /* nmirf watch --json follows the notifications (a SUB: reassign until
       its subscription has reached the agent and one line came out). */
    if (ha_nmirf()) {
        char cmd[16384], out_path[PATH_MAX + 32], pid_path[PATH_MAX + 32];
        snprintf(out_path, sizeof out_path, "%s/watch.out", b->dir);
        snprintf(pid_path, sizeof pid_path, "%s/watch.pid", b->dir);
        snprintf(cmd, sizeof cmd,
                 "'%s' -a '%s' watch --json > '%s' 2>&1 & echo $! > '%s'", ha_nmirf(),
                 a->data, out_path, pid_path);
        HA_ASSERT(system(cmd) == 0);
        size_t len;
        char *pid_text = NULL;
        for (int i = 0; !pid_text || !*pid_text; i++) {
            HA_ASSERTF(i < 500, "no pid file from the watch command");
            free(pid_text);
            h_sleep_ms(10);
            pid_text = nmirf_read_file(pid_path, &len);
        }
        pid_t pid = (pid_t)atoi(pid_text);
        free(pid_text);
        HA_ASSERT(pid > 0);
        char *text = NULL;
        for (int i = 0;; i++) {
            HA_ASSERTF(i < 100, "nmirf watch printed nothing: %s", text ? text : "");
            free(text);
            H_CALL_CHECK("ok", coord, "rec.assign", "{'rec':'" REC "-3','lead':'MJ'}");
            h_sleep_ms(100);
            text = nmirf_read_file(out_path, &len);
            if (text && s_printed(text, NMIRF_NOTIFY_ASSIGNED, REC "-3"))
                break;
        }
        free(text);
        HA_ASSERT(kill(pid, SIGTERM) == 0);
        for (int i = 0; kill(pid, 0) == 0 && !s_zombie(pid); i++) {
            HA_ASSERTF(i < 1000, "nmirf watch did not end on SIGTERM");
            h_sleep_ms(10);
        }
        h_note("nmirf watch --json printed the notification, ended on SIGTERM");
    }

    /* Broker down: reads still answer, and say they are stale. */
    h_broker_stop(b);
    for (int waited = 0;; waited += 50) {
        r = ha_ctl(a, 5000, "mine", NULL);
        bool stale = h_get(&r->body, "stale") && h_get(&r->body, "stale")->via.boolean;
        if (stale)
            break;
        nmirf_reply_destroy(&r);
        HA_ASSERTF(waited < HA_WAIT_MS, "mine never says stale with the broker down");
        h_sleep_ms(50);
    }
    HA_ASSERT(h_len(&r->body, "assignments") == count);
    HA_ASSERT(h_find(&r->body, "assignments", "rec", REC "-2"));
    nmirf_reply_destroy(&r);
    if (ha_nmirf()) {
        char *out = NULL, args[8192];
        snprintf(args, sizeof args, "-a '%s' mine", a->data);
        int st = s_cli(args, &out);
        HA_ASSERTF(st == 0 && strstr(out, "STALE") && strstr(out, REC "-2"),
                   "nmirf mine (stale): %d\n%s", st, out);
        free(out);
        snprintf(args, sizeof args,
                 "-a '%s' -t 300 report submit " REC "-4 --status in_progress "
                 "--narrative 'broker down'",
                 a->data);
        st = s_cli(args, &out);
        HA_ASSERTF(st == 0 && strstr(out, "queued: the agent will resend it"),
                   "nmirf report submit (broker down): %d\n%s", st, out);
        free(out);
    }
    h_note("mine answers from the replica with the broker down, stale=true");

    zsock_destroy(&sub);
    ha_agent_stop(a);
    ha_agent_destroy(&a);
    h_broker_destroy(&b);
    h_note("agent_notify_test passed");
    return 0;
}
