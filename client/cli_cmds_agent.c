/*  cli_cmds_agent - commands answered by the ministry's nmirf-agent
    instead of the broker: mine, outbox, watch, agent-status, and report
    submit when an agent is given (-a or $NMIRF_AGENT).

    The agent's control socket speaks one frame each way: {op, body} in,
    a reply in the broker's format out (docs/AGENT.md), so the replies are
    decoded and printed with the code the broker's commands use. No key is
    needed on this side: the agent signs with its own.
*/
#include <czmq.h>
#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "nmirf_mp.h"
#include "nmirf_util.h"

#define POLL_MS 250            /* how often watch looks at the signal flag */
#define MINE_DUE_SOON_MAX NMIRF_DUE_SOON_MAX /* the agent's limit, as the broker's */

static volatile sig_atomic_t s_stop;

/* SIGINT and SIGTERM end watch at the next poll. */
static void
s_on_signal(int sig)
{
    (void)sig;
    s_stop = 1;
}

/* The agent's directory from -a: a directory as is, an ipc://DIR/agent.sock
   endpoint's DIR; NULL (and a message) if it has none. Caller frees. */
static char *
s_agent_dir(cli_t *cli)
{
    const char *a = cli->agent;
    struct stat st;
    if (strncmp(a, "ipc://", 6) == 0) {
        const char *path = a + 6;
        const char *slash = strrchr(path, '/');
        return slash ? strndup(path, (size_t)(slash - path)) : strdup(".");
    }
    if (strstr(a, "://") == NULL && stat(a, &st) == 0 && S_ISDIR(st.st_mode))
        return strdup(a);
    if (strstr(a, "://") == NULL) {
        const char *slash = strrchr(a, '/');
        return slash ? strndup(a, (size_t)(slash - a)) : strdup(".");
    }
    return NULL;
}

/* The control endpoint from -a: an endpoint as is; a directory means
   ipc://DIR/agent.sock; another path ipc://PATH. Caller frees. */
static char *
s_agent_endpoint(cli_t *cli)
{
    const char *a = cli->agent;
    struct stat st;
    char *ep = NULL;
    if (strstr(a, "://"))
        return strdup(a);
    if (stat(a, &st) == 0 && S_ISDIR(st.st_mode)) {
        if (asprintf(&ep, "ipc://%s/agent.sock", a) < 0)
            return NULL;
    } else if (asprintf(&ep, "ipc://%s", a) < 0)
        return NULL;
    return ep;
}

/* Says that no agent was given; returns CLI_EXIT_USAGE. */
static int
s_need_agent(cli_t *cli)
{
    return cli_usage(cli, "an agent is needed: give -a DIR (the agent's data "
                          "directory) or set NMIRF_AGENT");
}

/* Sends control op with body (a packed map, NULL for {}) and waits up to
   wait_ms for its reply. On ok=true returns 0 and the reply in *reply_p;
   otherwise says why and returns REFUSED or NO_REPLY. submit_id: the
   request id of a `submit` (named if no answer comes), or NULL. */
static int
s_agent_call(cli_t *cli, const char *op, const msgpack_sbuffer *body, int wait_ms,
             nmirf_reply_t **reply_p, const uint8_t *submit_id)
{
    *reply_p = NULL;
    char *ep = s_agent_endpoint(cli);
    zsock_t *sock = ep ? zsock_new(ZMQ_DEALER) : NULL;
    if (!sock || zsock_connect(sock, "%s", ep) != 0) {
        fprintf(stderr, "nmirf: %s: cannot connect to the agent at %s\n", cli->cmd,
                ep ? ep : cli->agent);
        zsock_destroy(&sock);
        free(ep);
        return CLI_EXIT_NO_REPLY;
    }
    zsock_set_linger(sock, 0);
    msgpack_sbuffer out;
    msgpack_packer pk;
    msgpack_sbuffer_init(&out);
    msgpack_packer_init(&pk, &out, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 2);
    nmirf_mp_pack_kv_str(&pk, "op", op);
    nmirf_mp_pack_str(&pk, "body");
    if (body)
        msgpack_sbuffer_write(&out, body->data, body->size);
    else
        msgpack_pack_map(&pk, 0);
    zframe_t *f = zframe_new(out.data, out.size);
    msgpack_sbuffer_destroy(&out);
    int rc = CLI_EXIT_NO_REPLY;
    nmirf_reply_t *reply = NULL;
    char why[256] = "";
    if (zframe_send(&f, sock, 0) == 0) {
        zpoller_t *poller = zpoller_new(sock, NULL);
        if (zpoller_wait(poller, wait_ms)) {
            zframe_t *rf = zframe_recv(sock);
            if (rf)
                reply =
                    nmirf_reply_decode(zframe_data(rf), zframe_size(rf), why, sizeof why);
            zframe_destroy(&rf);
            if (!reply)
                fprintf(stderr, "nmirf: %s: unreadable reply from the agent at %s: %s\n",
                        cli->cmd, ep, why);
        } else if (submit_id) {
            /* The agent may have queued it and been too busy to say so: a
               blind retry would submit it twice. */
            char hex[2 * NMIRF_ID_LEN + 1];
            nmirf_hex(submit_id, NMIRF_ID_LEN, hex);
            fprintf(stderr,
                    "nmirf: %s: no answer from the agent within %d ms; the submission "
                    "may still be queued: check `nmirf outbox` for id %s before "
                    "retrying\n",
                    cli->cmd, wait_ms, hex);
        } else
            fprintf(stderr,
                    "nmirf: %s: no reply from the agent at %s within %d ms "
                    "(is nmirf-agent running?)\n",
                    cli->cmd, ep, wait_ms);
        zpoller_destroy(&poller);
    } else
        zframe_destroy(&f);
    zsock_destroy(&sock);
    free(ep);
    if (!reply)
        return rc;
    if (!reply->ok) {
        fprintf(stderr, "nmirf: %s: %s\n", reply->code_name,
                reply->message[0] ? reply->message : "refused");
        nmirf_reply_destroy(&reply);
        return CLI_EXIT_REFUSED;
    }
    *reply_p = reply;
    return 0;
}

int
cli_agent_submit(cli_t *cli, const char *op, const msgpack_sbuffer *body,
                 nmirf_reply_t **reply_p, bool *queued)
{
    *queued = false;
    msgpack_sbuffer req;
    msgpack_packer pk;
    msgpack_sbuffer_init(&req);
    msgpack_packer_init(&pk, &req, msgpack_sbuffer_write);
    /* The request id is made here, so that the agent can tell a retry of
       this submission from a new one (idempotent control submit). */
    uint8_t id[NMIRF_ID_LEN];
    nmirf_random_id(id, NMIRF_ID_LEN);
    msgpack_pack_map(&pk, 4);
    nmirf_mp_pack_kv_str(&pk, "op", op);
    nmirf_mp_pack_str(&pk, "body");
    msgpack_sbuffer_write(&req, body->data, body->size);
    nmirf_mp_pack_str(&pk, "id");
    nmirf_mp_pack_bin(&pk, id, NMIRF_ID_LEN);
    nmirf_mp_pack_kv_uint(&pk, "wait_ms", (uint64_t)cli->timeout_ms);
    /* The agent answers by itself when wait_ms runs out: give it room. */
    int rc = s_agent_call(cli, "submit", &req, cli->timeout_ms + 5000, reply_p, id);
    msgpack_sbuffer_destroy(&req);
    if (rc == 0) {
        const msgpack_object *q = nmirf_mp_get(&(*reply_p)->body, "queued");
        *queued = q && q->type == MSGPACK_OBJECT_BOOLEAN && q->via.boolean;
        const msgpack_object *k = nmirf_mp_get(&(*reply_p)->body, "key_refused");
        if (*queued && k && k->type == MSGPACK_OBJECT_BOOLEAN && k->via.boolean)
            fprintf(stderr,
                    "nmirf: warning: the broker refuses this agent's key (not enrolled, "
                    "revoked, or rotated): nothing is sent until it is enrolled; the "
                    "agent connects again on its own (30 s, then up to every 5 min)\n");
    }
    return rc;
}

/* Parses a command without arguments; -1 to go on, else the exit status. */
static int
s_no_args(cli_t *cli, int argc, char **argv, const char *name)
{
    static const struct option opts[] = {CLI_OPTS_END};
    int c;
    cli_begin(cli, "agent", name);
    if ((c = cli_getopt(cli, argc, argv, ":h", opts)) != -1)
        return cli_opt_exit(cli, c);
    if (cli_positional(cli, argc - optind, 0, 0, "no argument"))
        return CLI_EXIT_USAGE;
    if (!cli->agent)
        return s_need_agent(cli);
    return -1;
}

/* The DUE cell of a `mine` item: how late, or how soon, or nothing. */
static void
s_due_cell(cli_table_t *t, const msgpack_object *it)
{
    const msgpack_object *due = nmirf_mp_get(it, "due");
    const msgpack_object *left = nmirf_mp_get(it, "days_left");
    int64_t days = !left                                           ? 0
                   : left->type == MSGPACK_OBJECT_NEGATIVE_INTEGER ? left->via.i64
                   : left->type == MSGPACK_OBJECT_POSITIVE_INTEGER
                       ? (int64_t)left->via.u64
                       : 0;
    if (nmirf_mp_str_is(due, "overdue"))
        cli_table_cellf(t, "OVERDUE %lldd", (long long)-days);
    else if (nmirf_mp_str_is(due, "due_soon") && days == 0)
        cli_table_cell(t, "due today");
    else if (nmirf_mp_str_is(due, "due_soon"))
        cli_table_cellf(t, "due in %lldd", (long long)days);
    else
        cli_table_cell(t, "");
}

/* The `mine` view: a header line, then the assignments table with each
   deadline marked overdue or due soon (counted under the table). */
static void
s_view_mine(const msgpack_object *body)
{
    const msgpack_object *stale = nmirf_mp_get(body, "stale");
    char *entity = cli_mp_field(body, "entity");
    char *today = cli_mp_field(body, "today");
    printf("%s: replica at seq %llu, broker at %llu%s\n", entity,
           (unsigned long long)cli_mp_uint(body, "seq", 0),
           (unsigned long long)cli_mp_uint(body, "broker_seq", 0),
           stale && stale->type == MSGPACK_OBJECT_BOOLEAN && stale->via.boolean
               ? "  STALE: broker unreachable"
               : "");
    static const char *const headers[] = {"REC", "ROLE",   "DEADLINE",
                                          "DUE", "STATUS", "TEXT"};
    cli_table_t *t = cli_table_new(headers, 6);
    cli_table_limit(t, 0, 32, false);
    cli_table_limit(t, 5, 60, true);
    size_t overdue = 0, soon = 0;
    const msgpack_object *a = nmirf_mp_get(body, "assignments");
    for (uint32_t i = 0; a && a->type == MSGPACK_OBJECT_ARRAY && i < a->via.array.size;
         i++) {
        const msgpack_object *it = &a->via.array.ptr[i];
        overdue += nmirf_mp_str_is(nmirf_mp_get(it, "due"), "overdue");
        soon += nmirf_mp_str_is(nmirf_mp_get(it, "due"), "due_soon");
        cli_table_row(t);
        cli_table_cell_field(t, it, "rec");
        cli_table_cell_field(t, it, "role");
        cli_table_cell_field(t, it, "deadline");
        s_due_cell(t, it);
        cli_table_cell_field(t, it, "status");
        cli_table_cell_field(t, it, "text");
    }
    cli_table_print(t);
    cli_table_destroy(&t);
    printf("%zu overdue, %zu due within %llu days of %s\n", overdue, soon,
           (unsigned long long)cli_mp_uint(body, "due_soon_days", 0), today);
    free(entity);
    free(today);
}

/* Runs a read op of the agent and prints its reply through view. */
static int
s_read(cli_t *cli, int argc, char **argv, const char *name, const char *op,
       void (*view)(const msgpack_object *body))
{
    int rc = s_no_args(cli, argc, argv, name);
    if (rc >= 0)
        return rc;
    nmirf_reply_t *reply;
    if ((rc = s_agent_call(cli, op, NULL, cli->timeout_ms, &reply, NULL)))
        return rc;
    rc = cli_print_reply(cli, reply, view);
    nmirf_reply_destroy(&reply);
    return rc;
}

/* mine [--today DATE] [--due-soon DAYS]: the agent's own clock and 14
   days unless given. */
int
cli_cmd_mine(cli_t *cli, int argc, char **argv)
{
    static const struct option opts[] = {
        {"today", required_argument, NULL, 'T'},
        {"due-soon", required_argument, NULL, 'd'},
        CLI_OPTS_END,
    };
    const char *today = NULL;
    uint64_t horizon = 0;
    bool has_horizon = false;
    int c, rc;
    cli_begin(cli, "agent", "mine");
    while ((c = cli_getopt(cli, argc, argv, ":hT:d:", opts)) != -1) {
        if (c == 'T') {
            if ((rc = cli_check_date(cli, "--today", optarg)))
                return rc;
            today = optarg;
        } else if (c == 'd') {
            if ((rc = cli_parse_uint(cli, "--due-soon", optarg, &horizon)))
                return rc;
            if (horizon > MINE_DUE_SOON_MAX)
                return cli_usage(cli, "--due-soon: %s days is over %d", optarg,
                                 MINE_DUE_SOON_MAX);
            has_horizon = true;
        } else
            return cli_opt_exit(cli, c);
    }
    if ((rc = cli_positional(cli, argc - optind, 0, 0, "no argument")))
        return rc;
    if (!cli->agent)
        return s_need_agent(cli);
    msgpack_sbuffer body;
    msgpack_packer pk;
    msgpack_sbuffer_init(&body);
    msgpack_packer_init(&pk, &body, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, !!today + has_horizon);
    if (today)
        nmirf_mp_pack_kv_str(&pk, "today", today);
    if (has_horizon)
        nmirf_mp_pack_kv_uint(&pk, "due_soon_days", horizon);
    nmirf_reply_t *reply;
    rc = s_agent_call(cli, "mine", &body, cli->timeout_ms, &reply, NULL);
    msgpack_sbuffer_destroy(&body);
    if (rc)
        return rc;
    rc = cli_print_reply(cli, reply, s_view_mine);
    nmirf_reply_destroy(&reply);
    return rc;
}

/* Prints a table ID OP AT CODE MESSAGE of the answers in list a. */
static void
s_answers_table(const msgpack_object *a, uint32_t n)
{
    char when[32];
    static const char *const h[] = {"ID", "OP", "AT", "CODE", "MESSAGE"};
    cli_table_t *t = cli_table_new(h, 5);
    cli_table_limit(t, 4, 60, true);
    for (uint32_t i = 0; i < n; i++) {
        const msgpack_object *e = &a->via.array.ptr[i];
        cli_table_row(t);
        cli_table_cell_field(t, e, "id");
        cli_table_cell_field(t, e, "op");
        cli_table_cell(t, cli_time_text(cli_mp_uint(e, "at", 0), false, when));
        cli_table_cell_field(t, e, "code");
        cli_table_cell_field(t, e, "message");
    }
    cli_table_print(t);
    cli_table_destroy(&t);
}

/* The `outbox` view: whether the broker refuses our key, what waits,
   what was refused for good, then the last answers. */
static void
s_view_outbox(const msgpack_object *body)
{
    char when[32];
    const msgpack_object *kr = nmirf_mp_get(body, "key_refused");
    if (kr && kr->type == MSGPACK_OBJECT_BOOLEAN && kr->via.boolean)
        printf("KEY REFUSED: the broker refuses this agent's key (not enrolled, revoked, "
               "or rotated): nothing pending can be sent until it is enrolled; the agent "
               "connects again on its own (30 s, then up to every 5 min)\n");
    const msgpack_object *f = nmirf_mp_get(body, "refused");
    uint32_t nf = f && f->type == MSGPACK_OBJECT_ARRAY ? f->via.array.size : 0;
    const msgpack_object *p = nmirf_mp_get(body, "pending");
    const msgpack_object *r = nmirf_mp_get(body, "results");
    uint32_t np = p && p->type == MSGPACK_OBJECT_ARRAY ? p->via.array.size : 0;
    uint32_t nr = r && r->type == MSGPACK_OBJECT_ARRAY ? r->via.array.size : 0;
    const msgpack_object *u = nmirf_mp_get(body, "unreadable");
    uint32_t nu = u && u->type == MSGPACK_OBJECT_ARRAY ? u->via.array.size : 0;
    printf("pending: %u (sent and resent until the broker answers)\n", np);
    if (np) {
        static const char *const h[] = {"ID", "OP", "QUEUED", "ATTEMPTS"};
        cli_table_t *t = cli_table_new(h, 4);
        cli_table_right(t, 3);
        for (uint32_t i = 0; i < np; i++) {
            const msgpack_object *e = &p->via.array.ptr[i];
            cli_table_row(t);
            cli_table_cell_field(t, e, "id");
            cli_table_cell_field(t, e, "op");
            cli_table_cell(t, cli_time_text(cli_mp_uint(e, "queued", 0), false, when));
            cli_table_cell_field(t, e, "attempts");
        }
        cli_table_print(t);
        cli_table_destroy(&t);
    }
    printf("refused: %u (final: the broker will not take these; never resent)\n", nf);
    if (nf)
        s_answers_table(f, nf);
    printf("answered: %u (the latest answers, kept across agent restarts, latest "
           "last)\n",
           nr);
    if (nr)
        s_answers_table(r, nr);
    if (nu) {
        printf("unreadable: %u (entries the agent cannot decode, left in its outbox "
               "db; never sent)\n",
               nu);
        for (uint32_t i = 0; i < nu; i++)
            if (u->via.array.ptr[i].type == MSGPACK_OBJECT_POSITIVE_INTEGER)
                printf("  key %llu\n", (unsigned long long)u->via.array.ptr[i].via.u64);
    }
}

int
cli_cmd_outbox(cli_t *cli, int argc, char **argv)
{
    return s_read(cli, argc, argv, "outbox", "outbox", s_view_outbox);
}

/* The `agent-status` view. */
static void
s_view_status(const msgpack_object *body)
{
    cli_kv_field("entity", body, "entity");
    cli_kv_field("replica seq", body, "seq");
    cli_kv_field("broker seq", body, "broker_seq");
    cli_kv_field("lag", body, "lag");
    cli_kv_field("connected", body, "connected");
    cli_kv_field("stale", body, "stale");
    cli_kv_field("outbox", body, "outbox");
    cli_kv_field("refused", body, "refused");
    cli_kv_field("key refused", body, "key_refused");
    cli_kv_field("heard (ms ago)", body, "heard_ms_ago");
    uint64_t at = cli_mp_uint(body, "outbox_reported", 0);
    char when[32];
    cli_kv("outbox reported", at ? cli_time_text(at, true, when) : "not yet");
    cli_kv_field("checkpoint seq", body, "checkpoint_seq");
    const msgpack_object *refused = nmirf_mp_get(body, "broker_refused");
    if (refused && refused->type == MSGPACK_OBJECT_STR) {
        char *why = cli_mp_field(body, "broker_refused");
        cli_kv("REFUSED broker", why);
        free(why);
    }
}

int
cli_cmd_agent_status(cli_t *cli, int argc, char **argv)
{
    return s_read(cli, argc, argv, "agent-status", "status", s_view_status);
}

/* One notification as a readable line. */
static void
s_print_notification(const char *text)
{
    json_t *j = json_loads(text, 0, NULL);
    if (!j)
        return;
    const char *kind = json_string_value(json_object_get(j, "kind"));
    const char *rec = json_string_value(json_object_get(j, "rec"));
    const char *deadline = json_string_value(json_object_get(j, "deadline"));
    const char *reason = json_string_value(json_object_get(j, "reason"));
    const char *event = json_string_value(json_object_get(j, "event"));
    const char *subject = json_string_value(json_object_get(j, "subject"));
    char *k = cli_cell_text(kind ? kind : "?", 16);
    char *r = cli_cell_text(rec ? rec : subject ? subject : "", 64);
    char *rs = reason ? cli_cell_text(reason, 120) : NULL;
    printf("%-12s %s", k, r);
    if (deadline)
        printf("  deadline %s", deadline);
    if (rs)
        printf("  reason: %s", rs);
    printf("  (%s, seq %lld)\n", event ? event : "?",
           (long long)json_integer_value(json_object_get(j, "seq")));
    free(k);
    free(r);
    free(rs);
    json_decref(j);
}

int
cli_cmd_watch(cli_t *cli, int argc, char **argv)
{
    int rc = s_no_args(cli, argc, argv, "watch");
    if (rc >= 0)
        return rc;
    char *dir = s_agent_dir(cli);
    if (!dir)
        return cli_usage(cli, "-a %s: watch needs the agent's directory or ipc endpoint",
                         cli->agent);
    zsock_t *sub = zsock_new(ZMQ_SUB);
    if (!sub || zsock_connect(sub, "ipc://%s/notify.sock", dir) != 0) {
        fprintf(stderr, "nmirf: watch: cannot connect to ipc://%s/notify.sock\n", dir);
        zsock_destroy(&sub);
        free(dir);
        return CLI_EXIT_NO_REPLY;
    }
    free(dir);
    zsock_set_subscribe(sub, "n");
    /* After the socket, so that ours replaces CZMQ's handler (see events
       --follow); stdout closing ends the loop instead of a SIGPIPE. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = s_on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    while (!s_stop && !zsys_interrupted) {
        zmq_pollitem_t items[2] = {
            {zsock_resolve(sub), 0, ZMQ_POLLIN, 0},
            {NULL, STDOUT_FILENO, 0, 0},
        };
        int n = zmq_poll(items, 2, POLL_MS);
        if (n < 0 && errno != EINTR) {
            rc = CLI_EXIT_NO_REPLY;
            break;
        }
        if (n <= 0)
            continue;
        if (items[1].revents & ZMQ_POLLERR)
            break;
        if (!(items[0].revents & ZMQ_POLLIN))
            continue;
        char *topic = NULL, *text = NULL;
        if (zsock_recv(sub, "ss", &topic, &text) == 0 && text) {
            if (cli->json)
                printf("%s\n", text);
            else
                s_print_notification(text);
        }
        free(topic);
        free(text);
        if (fflush(stdout) != 0)
            break; /* the reader went away */
    }
    zsock_destroy(&sub);
    return rc < 0 ? CLI_EXIT_OK : rc;
}
