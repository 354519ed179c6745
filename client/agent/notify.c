/*  notify - tells the ministry what concerns it, as it happens.

    An applied event (live or fetched by a catch-up; never one a snapshot
    loaded) that concerns our entity becomes one JSON object
    {kind, seq, event, subject, rec?, deadline?, reason?, data}, delivered
    four ways: a log line, the --hook command (/bin/sh -c CMD, the JSON on
    its stdin), the PUB socket ipc://DIR/notify.sock (topic "n") that
    `nmirf watch` follows, and a line in the --notify-log file.

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

/* Sets key in json to the str under key of m, if any. */
static void
s_copy_str(json_t *json, const char *key, const msgpack_object *m, const char *mkey)
{
    char *s = nmirf_mp_strdup(nmirf_mp_get(m, mkey));
    if (s)
        json_object_set_new(json, key, json_string(s));
    free(s);
}

/* The kind of notification ev gives our entity, or NULL if none. For a
   rec.updated, the assignment is read from txn (the event does not say
   who is assigned). */
static const char *
s_kind(const notify_t *self, MDB_txn *txn, MDB_dbi assignments, const nmirf_event_t *ev)
{
    const char *me = self->conf->key.entity;
    const char *k = ev->kind;
    if (strcmp(k, "assignment.set") == 0) {
        if (s_assigned(&ev->data, me))
            return "assigned";
        if (s_assigned(nmirf_mp_get(&ev->data, "previous"), me))
            return "unassigned";
        return NULL;
    }
    if (strcmp(k, "report.validated") == 0 || strcmp(k, "report.returned") == 0)
        return nmirf_mp_str_is(nmirf_mp_get(&ev->data, "entity"), me) ? k + 7 : NULL;
    if (strcmp(k, "rec.updated") == 0) {
        MDB_val key = {strlen(ev->subject), ev->subject}, v;
        if (mdb_get(txn, assignments, &key, &v) != 0)
            return NULL;
        msgpack_zone zone;
        msgpack_object a;
        msgpack_zone_init(&zone, 1024);
        bool mine =
            nmirf_mp_unpack(v.mv_data, v.mv_size, &zone, &a, NULL, 0) == NMIRF_OK &&
            s_assigned(&a, me);
        msgpack_zone_destroy(&zone);
        return mine ? "rec_updated" : NULL;
    }
    /* A measure on a recommendation we lead or contribute to. */
    if (strcmp(k, "measure.added") == 0 || strcmp(k, "measure.updated") == 0)
        return nmirf_event_concerns(ev, me) ? k : NULL;
    /* Deadline reminders (deadline.due_soon, deadline.overdue): any such
       event that names us. */
    if (strncmp(k, "deadline.", 9) == 0 || strcmp(k, "due_soon") == 0 ||
        strcmp(k, "overdue") == 0)
        return nmirf_event_concerns(ev, me) ? k : NULL;
    return NULL;
}

void
notify_collect(notify_t *self, MDB_txn *txn, MDB_dbi assignments, const nmirf_event_t *ev,
               zlist_t *pending)
{
    const char *kind = s_kind(self, txn, assignments, ev);
    if (!kind)
        return;
    json_t *j = json_object();
    json_object_set_new(j, "kind", json_string(kind));
    json_object_set_new(j, "seq", json_integer((json_int_t)ev->seq));
    json_object_set_new(j, "event", json_string(ev->kind));
    json_object_set_new(j, "subject", json_string(ev->subject));
    if (strncmp(ev->kind, "report.", 7) == 0 || strncmp(ev->kind, "deadline.", 9) == 0 ||
        strcmp(ev->kind, "assignment.set") == 0)
        s_copy_str(j, "rec", &ev->data, "rec");
    else if (strncmp(ev->kind, "rec.", 4) == 0)
        json_object_set_new(j, "rec", json_string(ev->subject));
    s_copy_str(j, "deadline", &ev->data, "deadline");
    s_copy_str(j, "reason", &ev->data, "reason");
    json_object_set_new(j, "data", nmirf_json_from_mp(&ev->data));
    char *text = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    if (text) {
        zlist_append(pending, text); /* the list copies it */
        free(text);
    }
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
    for (char *text = zlist_first(pending); text; text = zlist_next(pending)) {
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

/* Delivers one notification built here (not from an event). Takes j. */
static void
s_deliver_one(notify_t *self, json_t *j)
{
    char *text = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    if (!text)
        return;
    zlist_t *one = zlist_new();
    if (!one) {
        log_warnx("notify: out of memory: a notification dropped");
        free(text);
        return;
    }
    zlist_autofree(one);
    zlist_append(one, text); /* copied */
    free(text);
    notify_deliver(self, one);
    zlist_destroy(&one);
}

void
notify_refused(notify_t *self, const char *op, const uint8_t id[NMIRF_ID_LEN],
               const uint8_t *env, size_t env_len, const nmirf_reply_t *reply)
{
    char hex[2 * NMIRF_ID_LEN + 1], reason[1024];
    nmirf_hex(id, NMIRF_ID_LEN, hex);
    snprintf(reason, sizeof reason, "%s: %s", reply->code_name, reply->message);
    json_t *j = json_object();
    json_object_set_new(j, "kind", json_string("refused"));
    json_object_set_new(j, "seq", json_integer((json_int_t)reply->seq));
    json_object_set_new(j, "event", json_string(op));
    json_object_set_new(j, "subject", json_string(hex));
    /* The recommendation the request named, read back from our own
       signed envelope. */
    msgpack_zone zone;
    msgpack_zone_init(&zone, 1024);
    nmirf_envelope_t e;
    bool has_id;
    char why[128];
    if (env && nmirf_envelope_decode(env, env_len, &zone, &e, &has_id, why, sizeof why) ==
                   NMIRF_OK)
        s_copy_str(j, "rec", &e.body, "rec");
    msgpack_zone_destroy(&zone);
    json_object_set_new(j, "reason", json_string(reason));
    json_t *data = json_object();
    json_object_set_new(data, "id", json_string(hex));
    json_object_set_new(data, "op", json_string(op));
    json_object_set_new(data, "code", json_string(reply->code_name));
    json_object_set_new(data, "message", json_string(reply->message));
    json_object_set_new(j, "data", data);
    s_deliver_one(self, j);
}

void
notify_key_refused(notify_t *self, uint64_t seq, size_t pending)
{
    json_t *j = json_object();
    json_object_set_new(j, "kind", json_string("key_refused"));
    json_object_set_new(j, "seq", json_integer((json_int_t)seq));
    json_object_set_new(j, "event", json_string("handshake"));
    json_object_set_new(j, "subject", json_string(self->conf->key.entity));
    json_object_set_new(j, "reason",
                        json_string("the broker refused this agent's key: the entity is "
                                    "not enrolled, was revoked, or its key was rotated"));
    json_t *data = json_object();
    json_object_set_new(data, "entity", json_string(self->conf->key.entity));
    json_object_set_new(data, "pending", json_integer((json_int_t)pending));
    json_object_set_new(j, "data", data);
    s_deliver_one(self, j);
}
