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
    if (nmirf_client_server_key_load(cli->server_key_path, cli->server_key, why,
                                     sizeof why))
        return cli_local_error(cli, "server key: %s",
                               why[0] ? why : cli->server_key_path);
    return 0;
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
        nmirf_client_call(cli->client, op, body ? (const uint8_t *)body->data : NULL,
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
