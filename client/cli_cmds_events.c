/*  cli_cmds_events - the event log: events, and events --follow.

    --follow sends `subscribe` on a request connection of its own (a
    DEALER to the request endpoint, PROTOCOL.md section 6), so the broker
    pushes it every event and heartbeat and controls it per entity: a
    revocation or a key rotation ends the subscription at once, and the
    follow's next request is refused, which ends it with that refusal.
    The PUB socket is not used: it carries only the public feed. It
    subscribes first, then fetches the events it has not seen with
    events.since (on the CLI's usual connection), so nothing falls between
    the fetch and the subscription. Events are printed strictly in
    sequence: one that arrives twice is dropped, and a jump in the
    numbers, or a heartbeat ahead of the last one printed, means some were
    lost (a full queue at the broker), so they are fetched again from the
    log. The log is the truth; the pushes are only the nudge. A `ping`
    every FOLLOW_PING_MS keeps the subscription (the broker ends one that
    sends nothing for 30 s); with no heartbeat for FOLLOW_STALE_MS (a
    broker restart) it subscribes again, and again every FOLLOW_STALE_MS
    while the broker does not answer.
*/
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <czmq.h>
#include <jansson.h>

#include "cli.h"
#include "cli_output.h"
#include "nmirf_json.h"
#include "nmirf_mp.h"
#include "nmirf_util.h"
#include "nmirf_wire.h"

#define FETCH_LIMIT 1000     /* events per events.since while following */
#define POLL_MS 250          /* how often the follow loop looks at the signal flag */
#define FOLLOW_PING_MS 5000  /* a ping keeps the subscription (broker TTL 30 s) */
#define FOLLOW_STALE_MS 3500 /* no heartbeat this long (1 a second): subscribe again */

/* The whole event as JSON, every field with bins in hex; NULL if the
   bytes cannot be unpacked. Caller decrefs. */
static json_t *
s_event_json(const nmirf_event_t *ev)
{
    msgpack_zone *zone = msgpack_zone_new(MSGPACK_ZONE_CHUNK_SIZE);
    msgpack_object obj;
    json_t *json = NULL;
    if (!zone)
        return NULL;
    if (nmirf_mp_unpack(ev->bytes, ev->len, zone, &obj, NULL, 0) == NMIRF_OK)
        json = nmirf_json_from_mp(&obj);
    msgpack_zone_free(zone);
    return json;
}

/* One event on one line, flushed, for --follow. */
static void
s_print_event_line(cli_t *cli, const nmirf_event_t *ev)
{
    if (cli->json) {
        json_t *json = s_event_json(ev);
        if (json) {
            json_dumpf(json, stdout, JSON_COMPACT);
            fputc('\n', stdout);
            json_decref(json);
        }
    } else {
        char when[32];
        char *entities = cli_mp_text(&ev->entities);
        char *kind = cli_cell_text(ev->kind, 24);
        char *subject = cli_cell_text(ev->subject, 40);
        char *ents = cli_cell_text(entities, 60);
        printf("%6llu  %s  %-18s  %-24s  %-8s  %s\n", (unsigned long long)ev->seq,
               cli_time_text(ev->ts, false, when), kind ? kind : "",
               subject ? subject : "", ev->author, ents ? ents : "");
        free(kind);
        free(entities);
        free(subject);
        free(ents);
    }
    fflush(stdout);
}

/* Sends events.since. Returns the reply (caller destroys), or NULL with
   the exit status in *rc after the failure was reported. */
static nmirf_reply_t *
s_fetch(cli_t *cli, uint64_t since, uint64_t limit, bool has_limit, int *rc)
{
    msgpack_sbuffer body;
    msgpack_packer pk;
    msgpack_sbuffer_init(&body);
    msgpack_packer_init(&pk, &body, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, has_limit ? 2 : 1);
    nmirf_mp_pack_kv_uint(&pk, "since", since);
    if (has_limit)
        nmirf_mp_pack_kv_uint(&pk, "limit", limit);
    nmirf_reply_t *reply;
    *rc = cli_call(cli, "events.since", &body, &reply);
    msgpack_sbuffer_destroy(&body);
    return *rc ? NULL : reply;
}

/* Decodes item i of an events array, or NULL after a warning. */
static nmirf_event_t *
s_decode_item(cli_t *cli, const msgpack_object *item)
{
    char why[256] = "";
    if (item->type != MSGPACK_OBJECT_BIN) {
        fprintf(stderr, _("nmirf: %s: an event is not a bin; skipped\n"), cli->cmd);
        return NULL;
    }
    nmirf_event_t *ev = nmirf_event_decode((const uint8_t *)item->via.bin.ptr,
                                           item->via.bin.size, why, sizeof why);
    if (!ev)
        fprintf(stderr, _("nmirf: %s: unreadable event skipped: %s\n"), cli->cmd, why);
    return ev;
}

/* events [--since N] [--limit N]: one events.since, as a table or JSON
   with every event decoded. */
static int
s_list(cli_t *cli, uint64_t since, uint64_t limit, bool has_limit)
{
    static const char *const headers[] = {N_("SEQ"),     N_("TIME"),   N_("KIND"),
                                          N_("SUBJECT"), N_("AUTHOR"), N_("ENTITIES")};
    int rc;
    nmirf_reply_t *reply = s_fetch(cli, since, limit, has_limit, &rc);
    if (!reply)
        return rc;
    const msgpack_object *events = nmirf_mp_get(&reply->body, "events");
    uint32_t count =
        events && events->type == MSGPACK_OBJECT_ARRAY ? events->via.array.size : 0;
    uint64_t last_seen = since;
    json_t *json_events = cli->json ? json_array() : NULL;
    cli_table_t *table = cli->json ? NULL : cli_table_new(headers, 6);
    if (table) {
        cli_table_right(table, 0);
        cli_table_limit(table, 3, 32, false);
        cli_table_limit(table, 5, 40, true);
    }
    for (uint32_t i = 0; i < count; i++) {
        nmirf_event_t *ev = s_decode_item(cli, &events->via.array.ptr[i]);
        if (!ev)
            continue;
        last_seen = ev->seq;
        if (json_events) {
            json_t *one = s_event_json(ev);
            if (one)
                json_array_append_new(json_events, one);
        } else if (table) {
            char when[32];
            cli_table_row(table);
            cli_table_cellf(table, "%llu", (unsigned long long)ev->seq);
            cli_table_cell(table, cli_time_text(ev->ts, false, when));
            cli_table_cell(table, ev->kind);
            cli_table_cell(table, ev->subject);
            cli_table_cell(table, ev->author);
            char *entities = cli_mp_text(&ev->entities);
            cli_table_cell(table, entities);
            free(entities);
        }
        nmirf_event_destroy(&ev);
    }
    uint64_t last = cli_mp_uint(&reply->body, "last", reply->seq);
    rc = CLI_EXIT_OK;
    if (json_events) {
        json_t *out =
            json_pack("{s:o, s:I}", "events", json_events, "last", (json_int_t)last);
        json_dumpf(out, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
        json_decref(out);
    } else if (table) {
        cli_table_print(table);
        cli_table_destroy(&table);
        if (last > last_seen)
            printf(_("(more events up to %llu: nmirf events --since %llu)\n"),
                   (unsigned long long)last, (unsigned long long)last_seen);
    }
    nmirf_reply_destroy(&reply);
    return rc;
}

/* State of a follow. */
typedef struct {
    cli_t *cli;    /* for the calls and the output */
    uint64_t last; /* sequence of the last event printed */
} follow_t;

/* Fetches and prints every event after f->last up to the broker's latest.
   Returns 0 or the exit status of a failed call. */
static int
s_catch_up(follow_t *f)
{
    while (!cli_follow_stopped()) {
        int rc;
        nmirf_reply_t *reply = s_fetch(f->cli, f->last, FETCH_LIMIT, true, &rc);
        if (!reply)
            return rc;
        const msgpack_object *events = nmirf_mp_get(&reply->body, "events");
        uint32_t count =
            events && events->type == MSGPACK_OBJECT_ARRAY ? events->via.array.size : 0;
        for (uint32_t i = 0; i < count; i++) {
            nmirf_event_t *ev = s_decode_item(f->cli, &events->via.array.ptr[i]);
            if (!ev) {
                /* Numbers have no gaps: the unreadable one was the next. */
                f->last++;
                continue;
            }
            if (ev->seq > f->last) {
                s_print_event_line(f->cli, ev);
                f->last = ev->seq;
            }
            nmirf_event_destroy(&ev);
        }
        uint64_t last = cli_mp_uint(&reply->body, "last", reply->seq);
        nmirf_reply_destroy(&reply);
        if (count == 0 || f->last >= last)
            return 0;
    }
    return 0;
}

/* Handles one pushed message, [topic][body]. */
static void
s_on_message(follow_t *f, zmsg_t *msg)
{
    char why[256] = "";
    zframe_t *topic = zmsg_first(msg);
    zframe_t *body = zmsg_next(msg);
    if (!topic || !body)
        return;
    if (zframe_streq(topic, "hb")) {
        msgpack_zone *zone = msgpack_zone_new(MSGPACK_ZONE_CHUNK_SIZE);
        msgpack_object obj;
        if (zone &&
            nmirf_mp_unpack(zframe_data(body), zframe_size(body), zone, &obj, NULL, 0) ==
                NMIRF_OK &&
            cli_mp_uint(&obj, "seq", 0) > f->last)
            s_catch_up(f);
        if (zone)
            msgpack_zone_free(zone);
        return;
    }
    nmirf_event_t *ev =
        nmirf_event_decode(zframe_data(body), zframe_size(body), why, sizeof why);
    if (!ev) {
        fprintf(stderr, _("nmirf: %s: unreadable event skipped: %s\n"), f->cli->cmd, why);
        return;
    }
    if (ev->seq == f->last + 1) {
        s_print_event_line(f->cli, ev);
        f->last = ev->seq;
    } else if (ev->seq > f->last + 1) {
        s_catch_up(f); /* fetches this one too, after those we lost */
    }
    nmirf_event_destroy(&ev);
}

/* Sends op (body {}) signed as the CLI's entity on the follow's DEALER,
   without waiting; its request id into id. Returns 0 or -1 (why set). */
static int
s_follow_send(cli_t *cli, zsock_t *d, const char *op, uint8_t id[NMIRF_ID_LEN], char *why,
              size_t whylen)
{
    uint8_t *env, sig[NMIRF_SIG_LEN], body = 0x80; /* {} */
    size_t env_len;
    nmirf_random_id(id, NMIRF_ID_LEN);
    if (nmirf_request_encode(op, id, cli->key.entity, nmirf_now_ms(), &body, 1,
                             cli->key.sign_sk, &env, &env_len, sig)) {
        snprintf(why, whylen, _("cannot encode %s"), op);
        return -1;
    }
    int rc = zmq_send(zsock_resolve(d), env, env_len, ZMQ_SNDMORE) < 0 ||
                     zmq_send(zsock_resolve(d), sig, sizeof sig, 0) < 0
                 ? -1
                 : 0;
    free(env);
    if (rc)
        snprintf(why, whylen, _("cannot send %s: %s"), op, zmq_strerror(zmq_errno()));
    return rc;
}

/* Waits up to the CLI's timeout for the reply to request id on d; pushes
   that come first are handled. Returns the reply (caller destroys) or
   NULL. */
static nmirf_reply_t *
s_follow_reply(follow_t *f, zsock_t *d, const uint8_t id[NMIRF_ID_LEN])
{
    int64_t deadline = zclock_mono() + f->cli->timeout_ms;
    char why[256];
    while (!cli_follow_stopped() && zclock_mono() < deadline) {
        zmq_pollitem_t item = {zsock_resolve(d), 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&item, 1, POLL_MS) <= 0)
            continue;
        zmsg_t *msg = zmsg_recv(d);
        if (!msg)
            continue;
        if (zmsg_size(msg) == 2) {
            s_on_message(f, msg);
            zmsg_destroy(&msg);
            continue;
        }
        zframe_t *frame = zmsg_last(msg);
        nmirf_reply_t *r =
            nmirf_reply_decode(zframe_data(frame), zframe_size(frame), why, sizeof why);
        zmsg_destroy(&msg);
        if (r && r->has_id && memcmp(r->id, id, NMIRF_ID_LEN) == 0)
            return r;
        nmirf_reply_destroy(&r); /* a late answer to an earlier ping */
    }
    return NULL;
}

/* Sends `subscribe` on d and waits for its reply. Returns 0, or an exit
   status (refused: the message is printed). */
static int
s_follow_subscribe(follow_t *f, zsock_t *d)
{
    uint8_t id[NMIRF_ID_LEN];
    char why[256];
    if (s_follow_send(f->cli, d, "subscribe", id, why, sizeof why)) {
        fprintf(stderr, _("nmirf: %s: %s\n"), f->cli->cmd, why);
        return CLI_EXIT_NO_REPLY;
    }
    nmirf_reply_t *r = s_follow_reply(f, d, id);
    if (!r) {
        if (cli_follow_stopped())
            return 0;
        fprintf(stderr, _("nmirf: %s: no reply to subscribe within %d ms\n"), f->cli->cmd,
                f->cli->timeout_ms);
        return CLI_EXIT_NO_REPLY;
    }
    int rc = 0;
    if (!r->ok) {
        fprintf(stderr, _("nmirf: %s: subscribe refused: %s: %s\n"), f->cli->cmd,
                r->code_name, r->message);
        rc = CLI_EXIT_REFUSED;
    }
    nmirf_reply_destroy(&r);
    return rc;
}

/* events --follow [--since N]: runs until a signal, or until the broker
   refuses the follow's requests (a revocation, a rotation). Returns 0, or
   an exit status. */
static int
s_follow(cli_t *cli, uint64_t since, bool has_since)
{
    follow_t f = {.cli = cli, .last = since};
    int rc = cli_load_keys(cli);
    if (rc)
        return rc;

    /* A request connection of its own, a CURVE client as our entity: the
       pushes come on it, and cli_call's replies stay on the other. */
    zsock_t *d = zsock_new(ZMQ_DEALER);
    if (d && nmirf_client_curve(d, &cli->key, cli->server_key) != 0)
        zsock_destroy(&d);
    if (!d) {
        fprintf(stderr, _("nmirf: %s: cannot make a socket\n"), cli->cmd);
        return CLI_EXIT_NO_REPLY;
    }
    zsock_set_linger(d, 0);
    zsock_set_sndtimeo(d, cli->timeout_ms); /* no peer (ZAP refused): bounded */
    zsock_set_rcvhwm(d, 100000);
    if (zsock_connect(d, "%s", cli->broker) != 0) {
        zsock_destroy(&d);
        fprintf(stderr, _("nmirf: %s: cannot connect to %s\n"), cli->cmd, cli->broker);
        return CLI_EXIT_NO_REPLY;
    }
    cli_follow_signals(); /* after the socket, see cli.h */

    if (!has_since) {
        /* Start from now: the broker's latest sequence. */
        nmirf_reply_t *reply;
        if ((rc = cli_call(cli, "ping", NULL, &reply)))
            goto done;
        f.last = cli_mp_uint(&reply->body, "seq", reply->seq);
        nmirf_reply_destroy(&reply);
    }
    if ((rc = s_follow_subscribe(&f, d)) || (rc = s_catch_up(&f)))
        goto done;

    int64_t pinged = zclock_mono(), heard = zclock_mono();
    uint8_t ping_id[NMIRF_ID_LEN];
    bool ping_out = false;
    char why[256];
    while (!cli_follow_stopped() && !zsys_interrupted) {
        int64_t now = zclock_mono();
        if (now - heard >= FOLLOW_STALE_MS) {
            /* No heartbeat: the subscription is gone (a broker restart).
               Subscribe again, and fetch what was missed meanwhile. */
            if ((rc = s_follow_subscribe(&f, d)) || (rc = s_catch_up(&f))) {
                if (rc == CLI_EXIT_REFUSED)
                    break; /* revoked, key retired: nothing will come */
                rc = 0;    /* the broker is away: try again later */
            }
            heard = pinged = zclock_mono();
        } else if (now - pinged >= FOLLOW_PING_MS) {
            if (s_follow_send(cli, d, "ping", ping_id, why, sizeof why) == 0)
                ping_out = true;
            pinged = now;
        }
        int w = cli_follow_wait(d, POLL_MS, &rc);
        if (w < 0) {
            if (rc == CLI_EXIT_NO_REPLY) /* the poll failed */
                fprintf(stderr, _("nmirf: %s: %s\n"), cli->cmd, zmq_strerror(errno));
            break;
        }
        if (w == 0)
            continue;
        zmsg_t *msg = zmsg_recv(d);
        if (!msg)
            continue;
        if (zmsg_size(msg) == 2) {
            heard = zclock_mono();
            s_on_message(&f, msg);
        } else if (ping_out) {
            /* Our ping's reply: a refusal (revoked, key_retired) ends the
               follow, since nothing more will be pushed. */
            zframe_t *frame = zmsg_last(msg);
            nmirf_reply_t *r = nmirf_reply_decode(zframe_data(frame), zframe_size(frame),
                                                  why, sizeof why);
            if (r && r->has_id && memcmp(r->id, ping_id, NMIRF_ID_LEN) == 0) {
                ping_out = false;
                if (!r->ok) {
                    fprintf(stderr, _("nmirf: %s: refused: %s: %s\n"), cli->cmd,
                            r->code_name, r->message);
                    rc = CLI_EXIT_REFUSED;
                    nmirf_reply_destroy(&r);
                    zmsg_destroy(&msg);
                    break;
                }
            }
            nmirf_reply_destroy(&r);
        }
        zmsg_destroy(&msg);
    }
done:
    zsock_destroy(&d);
    return rc;
}

/* events [--since N] [--limit N] | events --follow [--since N] */
static int
s_events(cli_t *cli, const cli_args_t *a)
{
    const cli_val_t *since = cli_arg(a, "since"), *limit = cli_arg(a, "limit");
    if (cli_arg_has(a, "follow") && limit->n)
        return cli_usage(cli, "--limit does not go with --follow");
    if (cli_arg_has(a, "follow"))
        return s_follow(cli, since->u, since->n > 0);
    return s_list(cli, since->u, limit->u, limit->n > 0);
}

static const cli_opt_spec_t s_events_opts[] = {
    {CLI_OPT("since", 's', "N", CLI_UINT, NULL,
             "start after event N (default 0; with --follow: now)")},
    {CLI_OPT("limit", 'n', "N", CLI_UINT, NULL,
             "at most N events (default 1000, at most 10000)")},
    {CLI_OPT("follow", 'f', NULL, CLI_FLAG, NULL, "keep printing new events")},
    {0},
};

const cli_cmd_spec_t cli_events_cmds[] = {
    {CLI_CMD("events", "events", s_events), .opts = s_events_opts,
     /* --limit does not go with --follow. */
     .forms = (const char *const[]){"since limit", "+follow since", NULL}},
    {0},
};
