/*  notify - tells the ministry what concerns it, as it happens.

    An applied event (live or fetched by a catch-up; never one a snapshot
    loaded) that concerns our entity becomes one JSON object
    {kind, seq, event, subject, rec?, deadline?, reason?, data}, made by
    the codec proto/nmirf_notify.h (CONTROL.md section 6), delivered
    four ways: a log line, the --hook command (/bin/sh -c CMD, the JSON on
    its stdin), the PUB socket ipc://DIR/notify.sock (topic "n") that
    `nmirf watch` follows, and a line in the --notify-log file.

    Every applied event, ours or not, is also published on the PUB with
    topic "e" as {seq, kind, subject, author, rec?, entities} (the codec's
    nmirf_notify_event_t), and a loaded snapshot as {seq, kind:
    "snapshot"}, so that a console follows the replica live; those go to
    the PUB only, not to the log, the hook or the file.

    Each entry of a pending list is its topic's letter ("n" or "e")
    followed by the text, so that one list, delivered in order after the
    commit, carries both.

    Two notifications come from the agent itself, not from an event:
    `refused`, when the broker refuses an outbox entry for good (outbox.c),
    and `key_refused`, when its ZAP handler refuses our key in the
    handshake (link_monitor.c); agent_main.c brings both here.

    The hook never blocks the loop: its stdin is an in-memory file
    (memfd) already holding the JSON, so the child cannot stall us by not
    reading, and children are reaped by a timer with waitpid(WNOHANG).
*/
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "notify.h"
#include "nmirf_json.h"
#include "nmirf_log.h"
#include "nmirf_mp.h"
#include "nmirf_notify.h"
#include "nmirf_util.h"

struct _notify_t {
    const agent_conf_t *conf; /* the configuration (borrowed) */
    zsock_t *pub;    /* PUB on ipc://DIR/notify.sock */
    FILE *log;       /* --notify-log file, or NULL */
    size_t children; /* hook processes not yet reaped */
    uint64_t sent;   /* notifications delivered */
};

notify_t *
notify_new(const agent_conf_t *conf)
{
    notify_t *self = calloc(1, sizeof *self);
    if (!self) {
        log_warnx("notify: out of memory");
        return NULL;
    }
    self->conf = conf;
    self->pub = zsock_new(ZMQ_PUB);
    if (!self->pub || zsock_bind(self->pub, "ipc://%s/notify.sock", conf->dir) != 0) {
        log_warnx("cannot bind ipc://%s/notify.sock", conf->dir);
        notify_destroy(&self);
        return NULL;
    }
    /* Connecting to a socket file needs write access: the group that may
       use the control socket may follow notifications too. */
    char path[4096];
    snprintf(path, sizeof path, "%s/notify.sock", conf->dir);
    chmod(path, 0660);
    zsock_set_linger(self->pub, 0);
    if (conf->notify_log) {
        self->log = fopen(conf->notify_log, "ae"); /* O_CLOEXEC: not the hooks' */
        if (!self->log) {
            log_warn("cannot open --notify-log %s", conf->notify_log);
            notify_destroy(&self);
            return NULL;
        }
    }
    return self;
}

int
notify_reopen(notify_t *self)
{
    if (self->log)
        fclose(self->log);
    self->log = NULL;
    if (!self->conf->notify_log)
        return 0;
    self->log = fopen(self->conf->notify_log, "ae"); /* O_CLOEXEC: not the hooks' */
    if (!self->log) {
        log_warn("cannot open the notify log %s", self->conf->notify_log);
        return -1;
    }
    return 0;
}

void
notify_destroy(notify_t **self_p)
{
    notify_t *self = *self_p;
    if (!self)
        return;
    zsock_destroy(&self->pub);
    if (self->log)
        fclose(self->log);
    free(self);
    *self_p = NULL;
}

/* True if the str array under key of map m holds id. */
static bool
s_names(const msgpack_object *m, const char *key, const char *id)
{
    const msgpack_object *a = nmirf_mp_get(m, key);
    if (!a)
        return false;
    if (a->type == MSGPACK_OBJECT_STR)
        return nmirf_mp_str_is(a, id);
    if (a->type != MSGPACK_OBJECT_ARRAY)
        return false;
    for (uint32_t i = 0; i < a->via.array.size; i++)
        if (nmirf_mp_str_is(&a->via.array.ptr[i], id))
            return true;
    return false;
}

/* True if assignment a names id as lead or contributor. */
static bool
s_assigned(const msgpack_object *a, const char *id)
{
    return a && a->type == MSGPACK_OBJECT_MAP &&
           (s_names(a, "lead", id) || s_names(a, "contributors", id));
}

/* The str under key of m as a new C string (caller frees), or NULL. */
static char *
s_str(const msgpack_object *m, const char *key)
{
    return nmirf_mp_strdup(nmirf_mp_get(m, key));
}

/* Appends topic's letter and text to pending (a zlist that copies it). */
static void
s_append_text(zlist_t *pending, char topic, const char *text)
{
    size_t len = strlen(text);
    char *entry = malloc(len + 2);
    if (!entry) {
        log_warnx("notify: out of memory: a message on topic %c dropped", topic);
        return;
    }
    entry[0] = topic;
    memcpy(entry + 1, text, len + 1);
    zlist_append(pending, entry); /* the list copies it */
    free(entry);
}

/* Appends the text of n to pending on topic "n"; logs and drops n if it
   cannot be encoded. */
static void
s_append(zlist_t *pending, const nmirf_notify_t *n)
{
    char *text = nmirf_notify_encode(n);
    if (!text) {
        log_warnx("notify: a %s notification (seq %llu) cannot be encoded: dropped",
                  nmirf_valueset_name(&nmirf_notify_kinds, (int)n->kind),
                  (unsigned long long)n->seq);
        return;
    }
    s_append_text(pending, 'n', text);
    free(text);
}

/* The recommendation event ev concerns, as topic "e" and the
   notifications name it: the subject of a rec.* event, data.rec of an
   assignment.set, report.* or deadline.* one; NULL for the others (a
   measure may link several). Caller frees. */
static char *
s_event_rec(const nmirf_event_t *ev)
{
    if (strncmp(ev->kind, "report.", 7) == 0 || strncmp(ev->kind, "deadline.", 9) == 0 ||
        strcmp(ev->kind, "assignment.set") == 0)
        return nmirf_mp_strdup(nmirf_mp_get(&ev->data, "rec"));
    if (strncmp(ev->kind, "rec.", 4) == 0)
        return strdup(ev->subject);
    return NULL;
}

/* Appends ev's topic "e" text to pending; logs and drops it if it cannot
   be encoded. */
static void
s_append_event(zlist_t *pending, const nmirf_event_t *ev)
{
    const msgpack_object *ents = &ev->entities;
    uint32_t n = ents->type == MSGPACK_OBJECT_ARRAY ? ents->via.array.size : 0;
    char **names = calloc(n ? n : 1, sizeof *names);
    char *rec = s_event_rec(ev);
    bool ok = names != NULL;
    for (uint32_t i = 0; ok && i < n; i++)
        ok = (names[i] = nmirf_mp_strdup(&ents->via.array.ptr[i])) != NULL;
    nmirf_notify_event_t e = {.seq = ev->seq,
                              .kind = ev->kind,
                              .subject = ev->subject,
                              .author = ev->author,
                              .rec = rec,
                              .entities = (const char *const *)names,
                              .entity_count = n};
    char *text = ok ? nmirf_notify_event_encode(&e) : NULL;
    if (text)
        s_append_text(pending, 'e', text);
    else
        log_warnx("notify: event %llu (%s) cannot be published: dropped",
                  (unsigned long long)ev->seq, ev->kind);
    free(text);
    for (uint32_t i = 0; names && i < n; i++)
        free(names[i]);
    free(names);
    free(rec);
}

/* The kind of notification ev gives our entity in *kind; false if none.
   For a rec.updated, the assignment is read from txn (the event does not
   say who is assigned). */
static bool
s_kind(const notify_t *self, MDB_txn *txn, MDB_dbi assignments, const nmirf_event_t *ev,
       nmirf_notify_kind_t *kind)
{
    const char *me = self->conf->key.entity;
    const char *k = ev->kind;
    if (strcmp(k, "assignment.set") == 0) {
        *kind = NMIRF_NOTIFY_ASSIGNED;
        if (s_assigned(&ev->data, me))
            return true;
        *kind = NMIRF_NOTIFY_UNASSIGNED;
        return s_assigned(nmirf_mp_get(&ev->data, "previous"), me);
    }
    if (strcmp(k, "report.validated") == 0 || strcmp(k, "report.returned") == 0) {
        *kind = k[7] == 'v' ? NMIRF_NOTIFY_VALIDATED : NMIRF_NOTIFY_RETURNED;
        return nmirf_mp_str_is(nmirf_mp_get(&ev->data, "entity"), me);
    }
    if (strcmp(k, "rec.updated") == 0) {
        MDB_val key = {strlen(ev->subject), ev->subject}, v;
        if (mdb_get(txn, assignments, &key, &v) != 0)
            return false;
        msgpack_zone zone;
        msgpack_object a;
        msgpack_zone_init(&zone, 1024);
        bool mine =
            nmirf_mp_unpack(v.mv_data, v.mv_size, &zone, &a, NULL, 0) == NMIRF_OK &&
            s_assigned(&a, me);
        msgpack_zone_destroy(&zone);
        *kind = NMIRF_NOTIFY_REC_UPDATED;
        return mine;
    }
    /* A measure on a recommendation we lead or contribute to, and the
       deadline reminders (deadline.due_soon, deadline.overdue): any such
       event that names us. Their kind is the event's. */
    int i = nmirf_valueset_find(&nmirf_notify_kinds, k, strlen(k));
    if (i < NMIRF_NOTIFY_DEADLINE_DUE_SOON || i > NMIRF_NOTIFY_MEASURE_UPDATED)
        return false;
    *kind = (nmirf_notify_kind_t)i;
    return nmirf_event_concerns(ev, me);
}

void
notify_collect(notify_t *self, MDB_txn *txn, MDB_dbi assignments, const nmirf_event_t *ev,
               zlist_t *pending)
{
    s_append_event(pending, ev);
    nmirf_notify_t n = {.seq = ev->seq, .event = ev->kind, .subject = ev->subject};
    if (!s_kind(self, txn, assignments, ev, &n.kind))
        return;
    char *rec = s_event_rec(ev);
    n.rec = rec;
    char *deadline = s_str(&ev->data, "deadline");
    char *reason = s_str(&ev->data, "reason");
    n.deadline = deadline;
    n.reason = reason;
    n.data = nmirf_json_from_mp(&ev->data);
    s_append(pending, &n);
    json_decref(n.data);
    free(rec);
    free(deadline);
    free(reason);
}

/* Starts the hook with text on its stdin, without waiting for it. */
static void
s_run_hook(notify_t *self, const char *text)
{
    int fd = memfd_create("nmirf-notification", MFD_CLOEXEC);
    size_t len = strlen(text);
    if (fd < 0 || write(fd, text, len) != (ssize_t)len || write(fd, "\n", 1) != 1 ||
        lseek(fd, 0, SEEK_SET) != 0) {
        log_warn("hook: cannot prepare its input");
        if (fd >= 0)
            close(fd);
        return;
    }
    pid_t pid = fork();
    if (pid == 0) {
        /* The child: only async-signal-safe calls until exec. */
        dup2(fd, 0);
        /* The hook inherits only stdin (the memfd), stdout and stderr:
           not the agent's sockets, LMDB files, DIR/lock or the log. */
        if (close_range(3, ~0U, 0) != 0) {
            long max = sysconf(_SC_OPEN_MAX);
            for (long i = 3; i < (max > 0 ? max : 1024); i++)
                close((int)i);
        }
        signal(SIGPIPE, SIG_DFL);
        /* The agent blocks SIGHUP in every thread (it reads it from a
           signalfd); a blocked mask survives exec, and a hook must get
           the default signal behaviour. */
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        execl("/bin/sh", "sh", "-c", self->conf->hook, (char *)NULL);
        _exit(127);
    }
    close(fd);
    if (pid < 0)
        log_warn("hook: fork");
    else
        self->children++;
}

void
notify_deliver(notify_t *self, zlist_t *pending)
{
    for (char *entry = zlist_first(pending); entry; entry = zlist_next(pending)) {
        const char *text = entry + 1;
        if (entry[0] == 'e') { /* an applied event: the PUB only */
            zsock_send(self->pub, "ss", "e", text);
            continue;
        }
        log_info("notification: %s", text);
        zsock_send(self->pub, "ss", "n", text);
        if (self->log) {
            fprintf(self->log, "%s\n", text);
            fflush(self->log);
        }
        if (self->conf->hook)
            s_run_hook(self, text);
        self->sent++;
    }
}

void
notify_reap(notify_t *self)
{
    int status;
    pid_t pid;
    while (self->children > 0 && (pid = waitpid(-1, &status, WNOHANG)) > 0) {
        self->children--;
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
            continue;
        if (WIFEXITED(status))
            log_warnx("hook (pid %d) failed with exit status %d", (int)pid,
                      WEXITSTATUS(status));
        else
            log_warnx("hook (pid %d) killed by signal %d", (int)pid,
                      WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    }
}

/* Delivers one notification built here (not from an event). */
static void
s_deliver_one(notify_t *self, const nmirf_notify_t *n)
{
    zlist_t *one = zlist_new();
    if (!one) {
        log_warnx("notify: out of memory: a notification dropped");
        return;
    }
    zlist_autofree(one);
    s_append(one, n);
    notify_deliver(self, one);
    zlist_destroy(&one);
}

void
notify_refused(notify_t *self, const char *op, const uint8_t id[NMIRF_ID_LEN],
               const uint8_t *env, size_t env_len, const nmirf_reply_t *reply)
{
    char reason[1024];
    snprintf(reason, sizeof reason, "%s: %s", reply->code_name, reply->message);
    nmirf_notify_t n = {.kind = NMIRF_NOTIFY_REFUSED,
                        .seq = reply->seq,
                        .event = op,
                        .reason = reason,
                        .code = reply->code_name,
                        .message = reply->message};
    memcpy(n.id, id, NMIRF_ID_LEN);
    /* The recommendation the request named, read back from our own
       signed envelope. */
    msgpack_zone zone;
    msgpack_zone_init(&zone, 1024);
    nmirf_envelope_t e;
    bool has_id;
    char why[128];
    char *rec = NULL;
    if (env && nmirf_envelope_decode(env, env_len, &zone, &e, &has_id, why, sizeof why) ==
                   NMIRF_OK)
        n.rec = rec = s_str(&e.body, "rec");
    msgpack_zone_destroy(&zone);
    s_deliver_one(self, &n);
    free(rec);
}

void
notify_key_refused(notify_t *self, uint64_t seq, size_t pending)
{
    nmirf_notify_t n = {.kind = NMIRF_NOTIFY_KEY_REFUSED,
                        .seq = seq,
                        .event = NMIRF_NOTIFY_HANDSHAKE,
                        .subject = self->conf->key.entity,
                        .reason = NMIRF_NOTIFY_KEY_REFUSED_REASON,
                        .pending = pending};
    s_deliver_one(self, &n);
}

void
notify_snapshot(notify_t *self, uint64_t seq)
{
    nmirf_notify_event_t e = {.seq = seq, .kind = NMIRF_NOTIFY_SNAPSHOT};
    char *text = nmirf_notify_event_encode(&e);
    if (!text) {
        log_warnx("notify: out of memory: the snapshot message dropped");
        return;
    }
    zsock_send(self->pub, "ss", "e", text);
    free(text);
}
