/*  harness - drives real nmirfd processes from outside, for the
    integration tests (tests/integration/CMakeLists.txt lists them).

    A test calls h_init() with its argv (argv[1], or $NMIRFD, names the
    nmirfd binary), starts one or more brokers, each in its own temporary
    data directory, enrolls entities through the broker's coordinator, and
    talks to it with nmirf_client. Every wait is bounded. A failed H_ASSERT
    prints file:line, the expression, the last reply, the last step that
    passed and every broker's whole log, kills the brokers, keeps their
    directories for inspection and exits 1; so does the watchdog when a
    test runs out of time. h_broker_destroy() removes a directory once a test passed.

    Brokers are spawned from the main thread only (the child dies with its
    parent thread through PR_SET_PDEATHSIG).
*/
#ifndef NMIRF_HARNESS_H
#define NMIRF_HARNESS_H

#include <czmq.h>
#include <limits.h>
#include <msgpack.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "nmirf_client.h"
#include "nmirf_keys.h"
#include "nmirf_wire.h"

#define H_MAX_ENTITIES 32      /* entities one broker's test may make */
#define H_CALL_TIMEOUT_MS 5000 /* a reply slower than this fails the test */
#define H_ENDPOINT_MAX 256     /* longest endpoint string */
#define H_MAX_ARGS 16          /* extra nmirfd arguments */

/* One entity's key and its connection to the broker. */
typedef struct {
    char id[NMIRF_ENTITY_ID_MAX + 1]; /* entity id */
    nmirf_key_t key;                  /* key pairs, with the secret halves */
    nmirf_client_t *client;           /* signed-request client as this entity */
} h_entity_t;

/* One nmirfd process and its data directory. */
typedef struct {
    char dir[PATH_MAX];                        /* data directory (temporary) */
    char log_path[PATH_MAX + 16];              /* DIR/broker.log: its stdout + stderr */
    char coordinator[NMIRF_ENTITY_ID_MAX + 1]; /* first coordinator's id */
    const char *args[H_MAX_ARGS + 1];          /* more nmirfd arguments, NULL-ended
                                                  (borrowed; change between runs) */
    pid_t pid;                                 /* running process, 0 if none */
    int starts;                                /* how many times it was started */
    char request_ep[H_ENDPOINT_MAX];           /* bound request endpoint */
    char events_ep[H_ENDPOINT_MAX];            /* bound events endpoint */
    char server_key[41];                       /* its CURVE public key, Z85
                                                  (DIR/keys/NMIRFD.pub) */
    h_entity_t ents[H_MAX_ENTITIES];           /* ents[0] is the coordinator */
    size_t ent_count;                          /* entities in use */
} h_broker_t;

/* A signed request kept as bytes, to send (and resend) as raw frames. */
typedef struct {
    uint8_t id[NMIRF_ID_LEN];   /* request id */
    uint8_t *env;               /* envelope bytes (owned) */
    size_t env_len;             /* their size */
    uint8_t sig[NMIRF_SIG_LEN]; /* signature over env */
    uint64_t ts;                /* the envelope's ts, ms */
} h_request_t;

/* --- assertions ------------------------------------------------------- */

/* Fails the test unless expr holds: prints where, what, the last reply and
   the brokers' logs, then exits 1. */
#define H_ASSERT(expr)                                                                   \
    do {                                                                                 \
        if (!(expr))                                                                     \
            h_fail(__FILE__, __LINE__, "%s", #expr);                                     \
    } while (0)

/* As H_ASSERT, with a printf-style explanation. */
#define H_ASSERTF(expr, ...)                                                             \
    do {                                                                                 \
        if (!(expr))                                                                     \
            h_fail_expr(__FILE__, __LINE__, #expr, __VA_ARGS__);                         \
    } while (0)

/* Reports a failure at file:line (see H_ASSERT) and exits 1. */
void h_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4), noreturn));

/* As h_fail, naming the expression that did not hold. */
void h_fail_expr(const char *file, int line, const char *expr, const char *fmt, ...)
    __attribute__((format(printf, 4, 5), noreturn));

/* Records r (its op, code, message and body) as the last reply, which
   h_fail prints. Thread-safe. */
void h_remember(const char *op, const nmirf_reply_t *r);

/* The seed of a randomized test's choices (delays, kill moments): the
   number in $NMIRF_SEED if set (to rerun a failure), else the clock.
   Prints "name: seed S (rerun with NMIRF_SEED=S)" first; h_fail prints it
   again. The test seeds its generator (srand, rand_r) with it. */
unsigned h_seed(const char *name);

/* Prints one progress line ("ok - what") to stdout. */
void h_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* --- process life ----------------------------------------------------- */

/* Reads the nmirfd path from argv[1] or $NMIRFD (exits 2 if neither),
   initialises libsodium, and arms a watchdog that fails the test after
   seconds. */
void h_init(int argc, char **argv, unsigned seconds);

/* Makes a temporary data dir and starts nmirfd in it with its first
   coordinator `coordinator` (NULL: the broker's default, COORD). Returns
   the broker, with ents[0] connected as the coordinator. */
h_broker_t *h_broker_start(const char *coordinator);

/* A free TCP port on 127.0.0.1, chosen at random below the kernel's
   ephemeral range (so no outgoing connection is given it). */
int h_free_port(void);

/* As h_broker_start, with more nmirfd arguments (NULL-ended, at most
   H_MAX_ARGS, borrowed: they must outlive the broker), kept for restarts
   in b->args. */
h_broker_t *h_broker_start_with(const char *coordinator, const char *const *args);

/* Stops the broker with SIGTERM and fails unless it exits 0 within 10 s.
   Closes every entity's client. */
void h_broker_stop(h_broker_t *b);

/* Kills the broker with SIGKILL and reaps it. Closes every client. */
void h_broker_kill(h_broker_t *b);

/* Starts nmirfd again on the same directory (after stop or kill), reads
   its new endpoints and reconnects every entity. */
void h_broker_restart(h_broker_t *b);

/* Stops the broker if it runs, removes its directory, frees it, and sets
 *b_p to NULL. Call only when the test passed. */
void h_broker_destroy(h_broker_t **b_p);

/* --- entities --------------------------------------------------------- */

/* The broker's first coordinator. */
h_entity_t *h_coord(h_broker_t *b);

/* Makes a fresh key for id and connects a client as id, without enrolling
   it (for refusal tests: the broker's ZAP handler refuses the connection,
   and libzmq does not retry a refused handshake, so this client never
   gets through, even after an enrolment). */
h_entity_t *h_entity_new(h_broker_t *b, const char *id);

/* A DEALER to b's request endpoint, a CURVE client as e (for raw-frame
   tests), whose sends give up after H_CALL_TIMEOUT_MS (a refused
   handshake leaves no peer to send to). Caller destroys. */
zsock_t *h_dealer_new(h_broker_t *b, const h_entity_t *e);

/* A SUB to b's events endpoint, a CURVE client as e, subscribed to topic
   (NULL: nothing yet). Caller destroys. */
zsock_t *h_sub_new(h_broker_t *b, const h_entity_t *e, const char *topic);

/* Packs an entity.enroll body for key's entity with role (names en/fr =
   the id). Caller frees the sbuffer. */
msgpack_sbuffer *h_pack_enroll(const nmirf_key_t *key, const char *role);

/* Generates a key for id and enrolls it with role through the coordinator
   (names en/fr = id); fails unless the broker says ok. Connects its client
   only then, so the first handshake already finds it enrolled. */
h_entity_t *h_enroll(h_broker_t *b, const char *id, const char *role);

/* --- calls ------------------------------------------------------------ */

/* Packs a JSON object written with single quotes for double quotes (so C
   strings stay readable; write \\u0027 for a real one), printf-style, as
   msgpack into a fresh sbuffer the caller frees. Fails
   the test if the JSON does not parse. */
msgpack_sbuffer *h_pack_json(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
msgpack_sbuffer *h_pack_jsonv(const char *fmt, va_list ap);

/* Calls op as e with a JSON body (see h_pack_json) under a fresh id.
   Fails the test on timeout; returns the reply (caller destroys). */
nmirf_reply_t *h_call(h_entity_t *e, const char *op, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* As h_call with a given packed body and request id (id NULL: fresh). */
nmirf_reply_t *h_call_packed(h_entity_t *e, const uint8_t *id, const char *op,
                             const uint8_t *body, size_t body_len);

/* Calls op and fails at the caller's line unless the reply's code is
   code ("ok" or an error name). Returns the reply (caller destroys). */
#define H_CALL_EXPECT(code, e, op, ...)                                                  \
    h_call_expect_at(__FILE__, __LINE__, code, e, op, __VA_ARGS__)
nmirf_reply_t *h_call_expect_at(const char *file, int line, const char *code,
                                h_entity_t *e, const char *op, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* As H_CALL_EXPECT, and destroys the reply (for when only the code
   matters). */
#define H_CALL_CHECK(code, e, op, ...)                                                   \
    h_call_check_at(__FILE__, __LINE__, code, e, op, __VA_ARGS__)
void h_call_check_at(const char *file, int line, const char *code, h_entity_t *e,
                     const char *op, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* Fails at the caller's line unless reply r has code (it may be NULL: a
   timeout fails too). */
#define H_EXPECT(r, code) h_expect_at(__FILE__, __LINE__, r, code)
void h_expect_at(const char *file, int line, const nmirf_reply_t *r, const char *code);

/* The broker's latest sequence number, asked with ping as the
   coordinator; also checks that the broker answers. */
uint64_t h_seq(h_broker_t *b);

/* --- raw requests ----------------------------------------------------- */

/* Builds and signs a request as e with a JSON body (see h_pack_json), a
   fresh id and ts = now. Caller frees with h_request_free. */
h_request_t *h_request_make(h_entity_t *e, const char *op, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* As h_request_make with a given id and packed body. */
h_request_t *h_request_make_packed(h_entity_t *e, const uint8_t id[NMIRF_ID_LEN],
                                   const char *op, const uint8_t *body, size_t body_len);

/* As h_request_make_packed with the envelope's ts given (ms since the
   epoch): an old one, or another request's. */
h_request_t *h_request_make_at(h_entity_t *e, const uint8_t id[NMIRF_ID_LEN], uint64_t ts,
                               const char *op, const uint8_t *body, size_t body_len);

/* Sends req's two frames as given through e's client and waits for the
   reply (fails the test on timeout). */
nmirf_reply_t *h_request_send(h_entity_t *e, const h_request_t *req);

/* Sends req's two frames on a raw socket (a DEALER of h_dealer_new)
   without waiting for the reply; fails the test if the send fails. */
void h_request_post(zsock_t *sock, const h_request_t *req);

/* Sends count frames as given through e's client; fails on timeout. */
nmirf_reply_t *h_send_frames(h_entity_t *e, const uint8_t *const *frames,
                             const size_t *sizes, size_t count);

void h_request_free(h_request_t **req_p);

/* --- reading replies -------------------------------------------------- */

/* The object under a dotted path ("report.id", "recs.0.text"; a number
   indexes an array), or NULL if any step is missing. */
const msgpack_object *h_get(const msgpack_object *obj, const char *path);

/* The uint under path, or UINT64_MAX if missing or not a uint. */
uint64_t h_u(const msgpack_object *obj, const char *path);

/* True if the str under path equals s. */
bool h_is(const msgpack_object *obj, const char *path, const char *s);

/* The length of the array or map under path, or SIZE_MAX if neither. */
size_t h_len(const msgpack_object *obj, const char *path);

/* True if the value under path is nil or missing. */
bool h_nil(const msgpack_object *obj, const char *path);

/* True if the array of str under path holds s. */
bool h_has_str(const msgpack_object *obj, const char *path, const char *s);

/* True if the bin under path is exactly data[0..len). */
bool h_bin_is(const msgpack_object *obj, const char *path, const uint8_t *data,
              size_t len);

/* The first map in the array under path whose str under key equals value,
   or NULL. */
const msgpack_object *h_find(const msgpack_object *obj, const char *path, const char *key,
                             const char *value);

/* The first map in the array under path whose uint under key equals
   value, or NULL. */
const msgpack_object *h_find_u(const msgpack_object *obj, const char *path,
                               const char *key, uint64_t value);

/* Packs obj into a fresh sbuffer (caller frees), for comparing bytes. */
msgpack_sbuffer *h_pack_object(const msgpack_object *obj);

/* True if two objects pack to the same bytes. */
bool h_same(const msgpack_object *a, const msgpack_object *b);

/* --- events ----------------------------------------------------------- */

/* Fetches every event with seq > since through events.since (as e), in
   pages, decoding each; *out gets an array of n events (caller frees with
   h_events_free). Fails the test on a page error or an undecodable event. */
size_t h_events(h_entity_t *e, uint64_t since, nmirf_event_t ***out);
void h_events_free(nmirf_event_t ***evs_p, size_t n);

/* Fails unless evs[0..n) are numbered first, first+1, ... and each one's
   prev is the BLAKE2b-256 of the one before (32 zero bytes before seq 1).
   prev_event is the event before evs[0], or NULL (then evs[0] must be
   seq 1 or its prev is not checked). */
#define H_CHECK_CHAIN(evs, n, prev_event)                                                \
    h_check_chain_at(__FILE__, __LINE__, evs, n, prev_event)
void h_check_chain_at(const char *file, int line, nmirf_event_t *const *evs, size_t n,
                      const nmirf_event_t *prev_event);

/* How many of evs[0..n) are of kind. */
size_t h_count_kind(nmirf_event_t *const *evs, size_t n, const char *kind);

/* --- time ------------------------------------------------------------- */

/* Sleeps ms milliseconds. */
void h_sleep_ms(unsigned ms);

/* True if the meta database of the store in dir/store holds key (read
   only, with LMDB, beside the running broker); fails on any error. */
bool h_store_meta_has(const char *dir, const char *key);

/* --- commands ------------------------------------------------------------ */

/* Runs a shell command line (printf-style; add "2>&1" to capture stderr
   too) and returns its exit status (-1 if it did not exit), its stdout in
   *out (NUL-terminated; caller frees). Fails the test if it cannot run. */
int h_sh(char **out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
