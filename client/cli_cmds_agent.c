/*  cli_cmds_agent - commands answered by the ministry's nmirf-agent
    instead of the broker: mine, outbox, watch, agent-status (report
    submit through an agent is in cli_cmds_report.c).

    The requests go through the agent transport (cli_agent.c, the control
    protocol of proto/CONTROL.md); the replies come in the broker's format
    and are printed with the code the broker's commands use.
*/
#include <czmq.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cli_output.h"
#include "nmirf_control.h"
#include "nmirf_mp.h"
#include "nmirf_notify.h"
#include "nmirf_util.h"

#define POLL_MS 250 /* how often watch looks at the signal flag */

/* Says that no agent was given; returns CLI_EXIT_USAGE. */
static int
s_need_agent(cli_t *cli)
{
    return cli_usage(cli, "an agent is needed: give -a DIR (the agent's data "
                          "directory) or set NMIRF_AGENT");
}

/* The agent's commands need one: -a or $NMIRF_AGENT. */
static int
s_agent_given(cli_t *cli)
{
    return cli->agent ? 0 : s_need_agent(cli);
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
        cli_table_cellf(t, _("OVERDUE %lldd"), (long long)-days);
    else if (nmirf_mp_str_is(due, "due_soon") && days == 0)
        cli_table_cell(t, _("due today"));
    else if (nmirf_mp_str_is(due, "due_soon"))
        cli_table_cellf(t, _("due in %lldd"), (long long)days);
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
    printf(_("%s: replica at seq %llu, broker at %llu%s\n"), entity,
           (unsigned long long)cli_mp_uint(body, "seq", 0),
           (unsigned long long)cli_mp_uint(body, "broker_seq", 0),
           stale && stale->type == MSGPACK_OBJECT_BOOLEAN && stale->via.boolean
               ? _("  STALE: broker unreachable")
               : "");
    static const char *const headers[] = {N_("REC"), N_("ROLE"),   N_("DEADLINE"),
                                          N_("DUE"), N_("STATUS"), N_("TEXT")};
    cli_table_t *t = cli_table_new(headers, 6);
    cli_table_limit(t, 5, 60, true); /* ids whole: they are copied */
    size_t overdue = 0, soon = 0;
    const msgpack_object *a = nmirf_mp_get(body, "assignments");
    for (uint32_t i = 0; a && a->type == MSGPACK_OBJECT_ARRAY && i < a->via.array.size;
         i++) {
        const msgpack_object *it = &a->via.array.ptr[i];
        overdue += nmirf_mp_str_is(nmirf_mp_get(it, "due"), "overdue");
        soon += nmirf_mp_str_is(nmirf_mp_get(it, "due"), "due_soon");
        cli_table_row(t);
        cli_table_cell_field(t, it, "rec");
        cli_cell_role(t, it, "role");
        cli_table_cell_field(t, it, "deadline");
        s_due_cell(t, it);
        cli_cell_status(t, it, "status");
        const msgpack_object *text = cli_lang_text(nmirf_mp_get(it, "texts"));
        if (text)
            cli_table_cell_mp(t, text);
        else
            cli_table_cell_field(t, it, "text");
    }
    cli_table_print(t);
    cli_table_destroy(&t);
    printf(_("%zu overdue, %zu due within %llu days of %s\n"), overdue, soon,
           (unsigned long long)cli_mp_uint(body, "due_soon_days", 0), today);
    free(entity);
    free(today);
}

/* Runs the agent's request req and prints its reply through view. */
static int
s_read(cli_t *cli, const nmirf_ctl_request_t *req,
       void (*view)(const msgpack_object *body))
{
    int rc = s_agent_given(cli);
    if (rc)
        return rc;
    nmirf_reply_t *reply;
    if ((rc = cli_agent_call(cli, req, cli->timeout_ms, &reply)))
        return rc;
    rc = cli_print_reply(cli, reply, view);
    nmirf_reply_destroy(&reply);
    return rc;
}

/* mine [--today DATE] [--due-soon DAYS]: the agent's own clock and 14
   days unless given. */
static int
s_mine(cli_t *cli, const cli_args_t *a)
{
    nmirf_ctl_request_t req = {.op = NMIRF_CTL_MINE};
    const char *today = cli_arg_str(a, "today");
    if (cli_arg_has(a, "lang"))
        cli_set_lang(cli_arg_str(a, "lang"));
    if (today) {
        req.mine.has_today = true;
        snprintf(req.mine.today, sizeof req.mine.today, "%s", today);
    }
    if (cli_arg_has(a, "due-soon")) {
        req.mine.has_due_soon = true;
        req.mine.due_soon_days = cli_arg(a, "due-soon")->u;
    }
    return s_read(cli, &req, s_view_mine);
}

/* Prints a table ID OP AT CODE MESSAGE of the answers in list a. */
static void
s_answers_table(const msgpack_object *a, uint32_t n)
{
    char when[32];
    static const char *const h[] = {N_("ID"), N_("OP"), N_("AT"), N_("CODE"),
                                    N_("MESSAGE")};
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
        printf(
            _("KEY REFUSED: the broker refuses this agent's key (not enrolled, revoked, "
              "or rotated): nothing pending can be sent until it is enrolled; the agent "
              "connects again on its own (30 s, then up to every 5 min)\n"));
    const msgpack_object *f = nmirf_mp_get(body, "refused");
    uint32_t nf = f && f->type == MSGPACK_OBJECT_ARRAY ? f->via.array.size : 0;
    const msgpack_object *p = nmirf_mp_get(body, "pending");
    const msgpack_object *r = nmirf_mp_get(body, "results");
    uint32_t np = p && p->type == MSGPACK_OBJECT_ARRAY ? p->via.array.size : 0;
    uint32_t nr = r && r->type == MSGPACK_OBJECT_ARRAY ? r->via.array.size : 0;
    const msgpack_object *u = nmirf_mp_get(body, "unreadable");
    uint32_t nu = u && u->type == MSGPACK_OBJECT_ARRAY ? u->via.array.size : 0;
    printf(_("pending: %u (sent and resent until the broker answers)\n"), np);
    if (np) {
        static const char *const h[] = {N_("ID"), N_("OP"), N_("QUEUED"), N_("ATTEMPTS")};
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
    printf(_("refused: %u (final: the broker will not take these; never resent)\n"), nf);
    if (nf)
        s_answers_table(f, nf);
    printf(_("answered: %u (the latest answers, kept across agent restarts, latest "
             "last)\n"),
           nr);
    if (nr)
        s_answers_table(r, nr);
    if (nu) {
        printf(_("unreadable: %u (entries the agent cannot decode, left in its outbox "
                 "db; never sent)\n"),
               nu);
        for (uint32_t i = 0; i < nu; i++)
            if (u->via.array.ptr[i].type == MSGPACK_OBJECT_POSITIVE_INTEGER)
                printf(_("  key %llu\n"),
                       (unsigned long long)u->via.array.ptr[i].via.u64);
    }
}

static int
s_outbox(cli_t *cli, const cli_args_t *a)
{
    (void)a;
    return s_read(cli, &(nmirf_ctl_request_t){.op = NMIRF_CTL_OUTBOX}, s_view_outbox);
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
    /* Absent when none were (an older agent never sends it). */
    char n[24];
    snprintf(n, sizeof n, "%llu", (unsigned long long)cli_mp_uint(body, "resigned", 0));
    cli_kv("re-signed (stale)", n);
    cli_kv_field("key refused", body, "key_refused");
    cli_kv_field("heard (ms ago)", body, "heard_ms_ago");
    uint64_t at = cli_mp_uint(body, "outbox_reported", 0);
    char when[32];
    cli_kv("outbox reported", at ? cli_time_text(at, true, when) : _("not yet"));
    cli_kv_field("checkpoint seq", body, "checkpoint_seq");
    const msgpack_object *refused = nmirf_mp_get(body, "broker_refused");
    if (refused && refused->type == MSGPACK_OBJECT_STR) {
        char *why = cli_mp_field(body, "broker_refused");
        cli_kv("REFUSED broker", why);
        free(why);
    }
}

static int
s_status(cli_t *cli, const cli_args_t *a)
{
    (void)a;
    return s_read(cli, &(nmirf_ctl_request_t){.op = NMIRF_CTL_STATUS}, s_view_status);
}

/* One notification as a readable line; one the codec refuses (a kind
   this version does not know) is skipped, as CONTROL.md asks. */
static void
s_print_notification(const char *text)
{
    nmirf_notify_t n;
    if (nmirf_notify_decode(text, strlen(text), &n, NULL, 0) != NMIRF_OK)
        return;
    char *k = cli_cell_text(nmirf_valueset_name(&nmirf_notify_kinds, (int)n.kind), 16);
    char *r = cli_cell_text(n.rec ? n.rec : n.subject, 64);
    char *rs = n.reason ? cli_cell_text(n.reason, 120) : NULL;
    printf("%-12s %s", k, r);
    if (n.deadline)
        printf(_("  deadline %s"), n.deadline);
    if (rs)
        printf(_("  reason: %s"), rs);
    printf(_("  (%s, seq %lld)\n"), n.event, (long long)n.seq);
    free(k);
    free(r);
    free(rs);
    nmirf_notify_release(&n);
}

static int
s_watch(cli_t *cli, const cli_args_t *a)
{
    (void)a;
    int rc = s_agent_given(cli);
    if (rc)
        return rc;
    char *dir = cli_agent_dir(cli);
    if (!dir)
        return cli_usage(cli, "-a %s: watch needs the agent's directory or ipc endpoint",
                         cli->agent);
    zsock_t *sub = zsock_new(ZMQ_SUB);
    if (!sub || zsock_connect(sub, "ipc://%s/notify.sock", dir) != 0) {
        fprintf(stderr, _("nmirf: watch: cannot connect to ipc://%s/notify.sock\n"), dir);
        zsock_destroy(&sub);
        free(dir);
        return CLI_EXIT_NO_REPLY;
    }
    free(dir);
    zsock_set_subscribe(sub, "n");
    /* After the socket, so that ours replaces CZMQ's handler; stdout
       closing ends the loop instead of a SIGPIPE. */
    cli_follow_signals();
    signal(SIGPIPE, SIG_IGN);
    while (!cli_follow_stopped() && !zsys_interrupted) {
        int w = cli_follow_wait(sub, POLL_MS, &rc);
        if (w < 0)
            break;
        if (w == 0)
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

static const cli_opt_spec_t s_mine_opts[] = {
    {CLI_OPT("today", 'T', "DATE", CLI_DATE, "today",
             "days counted from DATE (default: today's UTC date\n"
             "on the agent's clock)")},
    {CLI_OPT("due-soon", 'd', "DAYS", CLI_UINT, "due_soon_days",
             "the horizon of \"due in Nd\" (default 14)"),
     .max = NMIRF_DUE_SOON_MAX, .unit = "days"},
    {CLI_OPT("lang", 'L', "L", CLI_ENUM, NULL,
             "the language of the texts shown (default: that of\n"
             "LC_MESSAGES, else en; a text missing in L is shown\n"
             "in French, else English)"),
     .set = &nmirf_langs},
    {CLI_JSON(NULL)},
    {0},
};
/* The others take no option but the global --json. */
static const cli_opt_spec_t s_json_opts[] = {
    {CLI_JSON(NULL)},
    {0},
};

const cli_cmd_spec_t cli_agent_cmds[] = {
    {CLI_CMD("mine", "agent", s_mine), .opts = s_mine_opts, .global = "-a DIR"},
    {CLI_CMD("outbox", "agent", s_outbox), .opts = s_json_opts, .global = "-a DIR"},
    {CLI_CMD("watch", "agent", s_watch), .opts = s_json_opts, .global = "-a DIR"},
    {CLI_CMD("agent-status", "agent", s_status), .opts = s_json_opts, .global = "-a DIR"},
    {0},
};
