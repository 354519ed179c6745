/*  cli_call - one signed request to the broker, and what its failure means
    for the exit status.

    The key is loaded and the socket made only when a command first calls
    the broker, so keygen and help need neither, and a usage error is found
    before any key file is read.

    Also the wait of a command that follows (watch, events --follow): the
    signals that end it, and a poll that watches stdout as well.
*/
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <czmq.h>

#include "cli.h"
#include "cli_output.h"
#include "nmirf_mp.h"
#include "nmirf_util.h"

/* Loads the secret key once. A public file is refused here and not by the
   broker: it cannot sign, and the broker could only say bad_signature. */
static int
s_load_key(cli_t *cli)
{
    char why[256] = "";
    if (cli->key_loaded)
        return 0;
    if (!cli->key_path || !*cli->key_path)
        return cli_usage(cli, "a key file is needed to sign requests: "
                              "give -k FILE or set NMIRF_KEY");
    if (nmirf_key_load(&cli->key, cli->key_path, why, sizeof why) != 0)
        return cli_local_error(cli, "key: %s", why[0] ? why : cli->key_path);
    if (!cli->key.has_secret) {
        nmirf_key_wipe(&cli->key);
        return cli_local_error(cli,
                               "key %s holds no secret key: requests are signed with "
                               "the secret ID.key file, not ID.pub",
                               cli->key_path);
    }
    cli->key_loaded = true;
    return 0;
}

/* How long the CLI waits for each broker's ping when it looks for the
   primary among several: a dead one costs this, not the whole timeout. */
#define PROBE_MS_MAX 2000

/* Makes cli->client for broker i of the list, the one in use from now on
   (cli->broker and cli->server_key name it). Returns 0 or -1. */
static int
s_use_broker(cli_t *cli, size_t i)
{
    nmirf_client_destroy(&cli->client);
    cli->cur = i;
    cli->broker = cli->brokers.at[i].endpoint;
    memcpy(cli->server_key, cli->brokers.at[i].curve_pk, sizeof cli->server_key);
    cli->client =
        nmirf_client_new(cli->broker, &cli->key, cli->server_key, cli->timeout_ms);
    return cli->client ? 0 : -1;
}

/* Pings broker i with the highest epoch seen (a broker below it is fenced,
   docs/REPLICATION.md). Returns 1 if it is a primary that is not fenced,
   with its epoch in *epoch; 0 if it answered otherwise; -1 if it did not. */
static int
s_probe(cli_t *cli, size_t i, uint64_t *epoch)
{
    char why[256];
    int ms = cli->timeout_ms < PROBE_MS_MAX ? cli->timeout_ms : PROBE_MS_MAX;
    nmirf_client_t *c = nmirf_client_new(cli->brokers.at[i].endpoint, &cli->key,
                                         cli->brokers.at[i].curve_pk, ms);
    if (!c)
        return -1;
    msgpack_sbuffer body;
    msgpack_sbuffer_init(&body);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &body, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, cli->epoch_seen ? 2 : 0);
    if (cli->epoch_seen) {
        nmirf_mp_pack_kv_uint(&pk, "epoch", cli->epoch_seen);
        nmirf_mp_pack_kv_str(&pk, "primary", cli->brokers.at[cli->cur].endpoint);
    }
    nmirf_reply_t *r = nmirf_client_call(c, "ping", (const uint8_t *)body.data, body.size,
                                         why, sizeof why);
    msgpack_sbuffer_destroy(&body);
    nmirf_client_destroy(&c);
    if (!r)
        return -1;
    const msgpack_object *role = r->ok ? nmirf_mp_get(&r->body, "role") : NULL;
    const msgpack_object *fenced = r->ok ? nmirf_mp_get(&r->body, "fenced") : NULL;
    *epoch = r->ok ? cli_mp_uint(&r->body, "epoch", 1) : 0;
    /* A broker from before roles has none: a primary at epoch 1. */
    int primary = r->ok && (!role || nmirf_mp_str_is(role, "primary")) &&
                  (!fenced || fenced->type == MSGPACK_OBJECT_NIL);
    nmirf_reply_destroy(&r);
    return primary;
}

/* Finds the primary among several brokers: each is pinged; the one that
   says it is a primary, at the highest epoch, is used. A primary at a
   lower epoch (an old one that came back) is pinged again with the
   highest epoch, which fences it. No primary answering: the first broker
   that answered (a standby serves reads), else the first, and the call
   says it got no reply. */
static void
s_find_primary(cli_t *cli)
{
    int said[NMIRF_BROKERS_MAX] = {0};
    uint64_t epochs[NMIRF_BROKERS_MAX] = {0};
    size_t best = 0;
    for (size_t i = 0; i < cli->brokers.n; i++) {
        said[i] = s_probe(cli, i, &epochs[i]);
        if (said[i] == 1 && epochs[i] > cli->epoch_seen) {
            cli->epoch_seen = epochs[i];
            best = i;
            cli->cur = i; /* the primary the next probes name */
        }
    }
    for (size_t i = 0; i < cli->brokers.n; i++)
        if (said[i] == 1 && epochs[i] < cli->epoch_seen)
            s_probe(cli, i, &epochs[i]);
    /* No primary answered: a standby that did still serves reads. */
    for (size_t i = 0; !cli->epoch_seen && i < cli->brokers.n; i++)
        if (said[i] == 0) {
            best = i;
            break;
        }
    cli->cur = best;
}

int
cli_load_keys(cli_t *cli)
{
    char why[256] = "";
    int rc = s_load_key(cli);
    if (rc || cli->server_key[0])
        return rc;
    /* No guessing from the -k file's directory: the broker's key is what
       CurveZMQ trusts, so the user names it. */
    if (!cli->server_key_path || !*cli->server_key_path)
        return cli_usage(cli, "the broker's public key is needed: "
                              "-S DATA/keys/NMIRFD.pub or NMIRF_SERVER_KEY");
    if (strchr(cli->broker, ',') || strchr(cli->server_key_path, ',')) {
        /* A primary and its standbys: each with its key, in order. A list
           of keys for one endpoint comes here too, to be told so. */
        if (nmirf_brokers_load(&cli->brokers, cli->broker, cli->server_key_path, why,
                               sizeof why))
            return cli_local_error(cli, "brokers (-b, -S): %s", why);
        s_find_primary(cli);
        cli->broker = cli->brokers.at[cli->cur].endpoint;
        memcpy(cli->server_key, cli->brokers.at[cli->cur].curve_pk,
               sizeof cli->server_key);
        return 0;
    }
    if (nmirf_client_server_key_load(cli->server_key_path, cli->server_key, why,
                                     sizeof why))
        return cli_local_error(cli, "server key: %s",
                               why[0] ? why : cli->server_key_path);
    return 0;
}

/* nmirf_client_call over several brokers: the request is signed once,
   and the same bytes go to the next broker when one answers
   `not_primary` (to the primary it names, if it is in the list) or does
   not answer; each broker is tried once. The broker's idempotency makes
   the bytes apply once wherever they reach (PROTOCOL.md section 3).
   *start is when the last try began. */
static nmirf_reply_t *
s_call_brokers(cli_t *cli, const char *op, const msgpack_sbuffer *body, char *why,
               size_t whylen, uint64_t *start)
{
    uint8_t id[NMIRF_ID_LEN], sig[NMIRF_SIG_LEN], *env = NULL;
    size_t env_len = 0;
    nmirf_random_id(id, sizeof id);
    if (nmirf_request_encode(op, id, cli->key.entity, nmirf_now_ms(),
                             body ? (const uint8_t *)body->data : NULL,
                             body ? body->size : 0, cli->key.sign_sk, &env, &env_len,
                             sig)) {
        snprintf(why, whylen, "operation name '%s' is too long", op);
        return NULL;
    }
    nmirf_reply_t *reply = NULL;
    for (size_t tries = 0; tries < cli->brokers.n; tries++) {
        *start = nmirf_mono_us();
        reply = nmirf_client_call_signed(cli->client, id, env, env_len, sig, why, whylen);
        bool moved = reply && !reply->ok && reply->code == NMIRF_E_NOT_PRIMARY;
        if (reply && !moved)
            break;
        if (tries + 1 == cli->brokers.n)
            break;
        char to[NMIRF_BROKER_ENDPOINT_MAX] = "";
        if (moved && nmirf_mp_get(&reply->body, "primary"))
            nmirf_mp_strcpy(nmirf_mp_get(&reply->body, "primary"), to, sizeof to);
        int i = nmirf_brokers_find(&cli->brokers, to);
        size_t next =
            i >= 0 && (size_t)i != cli->cur ? (size_t)i : (cli->cur + 1) % cli->brokers.n;
        fprintf(stderr, _("nmirf: %s: %s: %s; sending to %s\n"), cli->cmd, cli->broker,
                moved ? reply->code_name : _("no reply"), cli->brokers.at[next].endpoint);
        nmirf_reply_destroy(&reply);
        if (s_use_broker(cli, next))
            break;
    }
    free(env);
    return reply;
}

/* cli_call; a refusal said on stderr unless quiet. */
static int
s_call(cli_t *cli, const char *op, const msgpack_sbuffer *body, nmirf_reply_t **reply_p,
       bool quiet)
{
    char why[256] = "";
    *reply_p = NULL;
    int rc = cli_load_keys(cli);
    if (rc)
        return rc;
    if (!cli->client) {
        cli->client =
            nmirf_client_new(cli->broker, &cli->key, cli->server_key, cli->timeout_ms);
        if (!cli->client) {
            fprintf(stderr, _("nmirf: %s: cannot connect to %s\n"), cli->cmd,
                    cli->broker);
            return CLI_EXIT_NO_REPLY;
        }
    }
    uint64_t start = nmirf_mono_us();
    nmirf_reply_t *reply =
        cli->brokers.n > 1 ? s_call_brokers(cli, op, body, why, sizeof why, &start)
                           : nmirf_client_call(cli->client, op,
                                               body ? (const uint8_t *)body->data : NULL,
                                               body ? body->size : 0, why, sizeof why);
    if (!reply) {
        /* The client says NULL for both a timeout and a garbled reply;
           the time taken tells them apart for the message. */
        uint64_t waited_ms = (nmirf_mono_us() - start) / 1000;
        /* CurveZMQ gives the client no reason when the broker refuses
           it: a key it does not know looks like a silent broker. */
        if (waited_ms + 50 >= (uint64_t)cli->timeout_ms)
            fprintf(stderr,
                    _("nmirf: %s: no reply from %s within %d ms (is the broker up, "
                      "is %s enrolled and active, is -S the broker's key?)\n"),
                    cli->cmd, cli->broker, cli->timeout_ms, cli->key.entity);
        else
            fprintf(stderr, _("nmirf: %s: unreadable reply from %s: %s\n"), cli->cmd,
                    cli->broker, why[0] ? why : _("unknown reason"));
        return CLI_EXIT_NO_REPLY;
    }
    if (quiet && !reply->ok) {
        nmirf_reply_destroy(&reply);
        return CLI_EXIT_REFUSED;
    }
    return cli_reply_status(reply, reply_p);
}

int
cli_call(cli_t *cli, const char *op, const msgpack_sbuffer *body, nmirf_reply_t **reply_p)
{
    return s_call(cli, op, body, reply_p, false);
}

int
cli_call_quiet(cli_t *cli, const char *op, const msgpack_sbuffer *body,
               nmirf_reply_t **reply_p)
{
    return s_call(cli, op, body, reply_p, true);
}

/* The broker's and the agent's refusals read the same: the code, then
   the reason. */
int
cli_reply_status(nmirf_reply_t *reply, nmirf_reply_t **reply_p)
{
    if (!reply->ok) {
        fprintf(stderr, _("nmirf: %s: %s\n"), reply->code_name,
                reply->message[0] ? reply->message : _("refused"));
        nmirf_reply_destroy(&reply);
        return CLI_EXIT_REFUSED;
    }
    *reply_p = reply;
    return 0;
}

void
cli_close(cli_t *cli)
{
    nmirf_client_destroy(&cli->client);
    if (cli->key_loaded)
        nmirf_key_wipe(&cli->key);
    cli->key_loaded = false;
    cli->server_key[0] = 0;
}

int
cli_call_show(cli_t *cli, const char *op, const msgpack_sbuffer *body,
              void (*view)(const msgpack_object *body))
{
    nmirf_reply_t *reply;
    int rc = cli_call(cli, op, body, &reply);
    if (rc)
        return rc;
    rc = cli_print_reply(cli, reply, view);
    nmirf_reply_destroy(&reply);
    return rc;
}

static volatile sig_atomic_t s_stop; /* SIGINT or SIGTERM came */

/* SIGINT and SIGTERM end a follow at its next poll. */
static void
s_on_signal(int sig)
{
    (void)sig;
    s_stop = 1;
}

void
cli_follow_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = s_on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

bool
cli_follow_stopped(void)
{
    return s_stop;
}

int
cli_follow_wait(void *sock, int ms, int *rc)
{
    /* stdout is watched too: when the reader of a pipe goes away, poll
       says so at once, where a write would only fail at the next message,
       which may never come. */
    zmq_pollitem_t items[2] = {
        {zsock_resolve(sock), 0, ZMQ_POLLIN, 0},
        {NULL, STDOUT_FILENO, 0, 0},
    };
    int n = zmq_poll(items, 2, ms);
    if (n < 0 && errno != EINTR) {
        *rc = CLI_EXIT_NO_REPLY;
        return -1;
    }
    if (n <= 0)
        return 0;
    if (items[1].revents & ZMQ_POLLERR)
        return -1;
    return items[0].revents & ZMQ_POLLIN ? 1 : 0;
}
