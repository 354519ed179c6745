/*  web_session - the console's sessions and its login rate limit
    (docs/WEB.md section 3).

    A session's token is 32 random bytes, sent once as 64 hex digits in the
    cookie nmirf_session; the table keeps only its BLAKE2b hash
    (crypto_generichash), so a copy of the process's memory does not give
    a usable cookie. Each session holds its user, role, language, CSRF
    token (another 32 random bytes, as 64 hex digits, given to the page
    and compared in constant time), and two expiries: idle (ttl seconds
    after its last use) and absolute (WEB_SESSION_MAX_AGE after login).
    The table is bounded (WEB_SESSION_MAX): a login when it is full
    evicts the session used least recently.

    The rate limit counts failed logins per key ("u:NAME", "a:ADDRESS") in
    a window of WEB_LOGIN_WINDOW seconds: at WEB_LOGIN_FAILS a key is
    refused until its window ends. An attempt is counted as a failure
    when it begins (web_ratelimit_begin) and forgiven if it succeeds
    (web_ratelimit_forgive), so that attempts made at once, each waiting
    for its Argon2id, cannot pass the limit together. Its table is bounded too
    (WEB_LOGIN_KEYS; the oldest window is dropped first).

    Both are thread-safe (a mutex each) and copy out; `now` is a
    CLOCK_MONOTONIC second count given by the caller, so the tests move
    time themselves.
*/
#ifndef WEB_SESSION_H
#define WEB_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "web.h"

#define WEB_SESSION_MAX 10000
#define WEB_SESSION_MAX_AGE (24 * 3600) /* seconds from login, whatever the use */
#define WEB_TOKEN_HEX 64                /* 32 bytes as hex */

typedef struct {
    web_who_t who;
    char csrf[WEB_TOKEN_HEX + 1];
    uint64_t expires; /* the idle expiry, in `now` seconds */
    uint64_t created;
    uint8_t account[16]; /* web_account_stamp of the account at login */
} web_session_t;

typedef struct _web_sessions_t web_sessions_t;

/* A table whose sessions expire ttl seconds after their last use. */
web_sessions_t *web_sessions_new(unsigned ttl);
void web_sessions_destroy(web_sessions_t **self_p);

/* A new session for who, whose account's stamp (web_account_stamp) is
   account: its token (64 hex digits and a NUL) into token, the session
   into *out. Returns 0, or -1 (out of memory). */
int web_sessions_create(web_sessions_t *self, const web_who_t *who,
                        const uint8_t account[16], uint64_t now,
                        char token[WEB_TOKEN_HEX + 1], web_session_t *out);

/* The stamp of an account's password hash (BLAKE2b, 16 bytes): a session
   holds the one of its login, and ends when the account's differs, so
   that `user passwd`, or `user del` then `user add` of the same name,
   ends the sessions opened before (the hash has a new salt). */
void web_account_stamp(const char *hash, uint8_t stamp[16]);

/* The live session of token into *out, its idle expiry pushed on (if
   touch). False if there is none, or it expired (then dropped). */
bool web_sessions_get(web_sessions_t *self, const char *token, uint64_t now, bool touch,
                      web_session_t *out);

/* Changes the session's language or role (the account changed). */
void web_sessions_update(web_sessions_t *self, const char *token, const web_who_t *who);

/* Drops the session of token (nothing if there is none). */
void web_sessions_drop(web_sessions_t *self, const char *token);

/* The number of sessions held (expired ones not yet dropped included). */
size_t web_sessions_count(web_sessions_t *self);

/* True if a and b (NUL-terminated) are the same, in time independent of
   where they differ (sodium_memcmp). */
bool web_token_equal(const char *a, const char *b);

/* --- the login rate limit ---------------------------------------------- */

#define WEB_LOGIN_FAILS 5
#define WEB_LOGIN_WINDOW 300
#define WEB_LOGIN_KEYS 4096

typedef struct _web_ratelimit_t web_ratelimit_t;

web_ratelimit_t *web_ratelimit_new(void);
void web_ratelimit_destroy(web_ratelimit_t **self_p);

/* 0 if key may try now, the attempt then counted as a failure until
   forgiven; else the seconds until it may (Retry-After), nothing
   counted. */
unsigned web_ratelimit_begin(web_ratelimit_t *self, const char *key, uint64_t now);

/* Uncounts an attempt of key begun in this window (it succeeded, or was
   not made). */
void web_ratelimit_forgive(web_ratelimit_t *self, const char *key, uint64_t now);

#endif
