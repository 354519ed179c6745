/*  web_session_test - sessions (tokens, hashes kept, idle and absolute
    expiry, eviction, update, drop) and the login rate limit
    (web_session.h), with time moved by the test. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "unit.h"
#include "web_session.h"

static void
s_sessions(void)
{
    unit_case = "sessions";
    web_sessions_t *t = web_sessions_new(600);
    web_who_t who = {.user = "alice", .role = WEB_ROLE_EDITOR, .lang = "fr"};
    uint8_t stamp[16], stamp2[16];
    web_account_stamp("$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA", stamp);
    web_account_stamp("$argon2id$v=19$m=65536,t=2,p=1$c2FsdDI$aGFzaA", stamp2);
    CHECK(memcmp(stamp, stamp2, 16) != 0, "a new hash, a new stamp");
    char tok[WEB_TOKEN_HEX + 1], tok2[WEB_TOKEN_HEX + 1];
    web_session_t s, g;
    CHECK(web_sessions_create(t, &who, stamp, 1000, tok, &s) == 0);
    CHECK(strlen(tok) == WEB_TOKEN_HEX && strlen(s.csrf) == WEB_TOKEN_HEX);
    CHECK(memcmp(s.account, stamp, 16) == 0, "the session holds its account's stamp");
    CHECK(strcmp(tok, s.csrf) != 0, "the CSRF token is not the session's");
    CHECK(s.expires == 1600);
    CHECK(web_sessions_get(t, tok, 1100, true, &g) && !strcmp(g.who.user, "alice") &&
          !strcmp(g.csrf, s.csrf));
    CHECK(g.expires == 1700, "a use pushes the idle expiry on");
    CHECK(web_sessions_get(t, tok, 1650, false, &g) && g.expires == 1700,
          "a look without touch does not");
    CHECK(!web_sessions_get(t, tok, 1700, true, &g), "idle expiry");
    CHECK(!web_sessions_get(t, tok, 1100, true, &g), "an expired session is dropped");

    CHECK(web_sessions_create(t, &who, stamp, 2000, tok, &s) == 0);
    CHECK(web_sessions_create(t, &who, stamp, 2000, tok2, &s) == 0 && strcmp(tok, tok2));
    char other[WEB_TOKEN_HEX + 1];
    memcpy(other, tok, sizeof other);
    other[0] = other[0] == '0' ? '1' : '0';
    CHECK(!web_sessions_get(t, other, 2001, true, &g), "another token");
    CHECK(!web_sessions_get(t, "abc", 2001, true, &g) &&
          !web_sessions_get(t, "", 2001, true, &g));
    char nothex[WEB_TOKEN_HEX + 1];
    memset(nothex, 'z', WEB_TOKEN_HEX);
    nothex[WEB_TOKEN_HEX] = '\0';
    CHECK(!web_sessions_get(t, nothex, 2001, true, &g));
    uint64_t now = 2000;
    for (; now + 500 < 2000 + WEB_SESSION_MAX_AGE; now += 500)
        CHECK(web_sessions_get(t, tok, now, true, &g), "kept alive at %llu",
              (unsigned long long)now);
    CHECK(!web_sessions_get(t, tok, 2000 + WEB_SESSION_MAX_AGE, true, &g),
          "the absolute expiry, however used");

    web_who_t ar = who;
    memcpy(ar.lang, "ar", 3);
    web_sessions_update(t, tok2, &ar);
    CHECK(web_sessions_get(t, tok2, 2100, true, &g) && !strcmp(g.who.lang, "ar"));
    web_sessions_drop(t, tok2);
    CHECK(!web_sessions_get(t, tok2, 2100, true, &g), "dropped");
    web_sessions_destroy(&t);

    unit_case = "bounded";
    t = web_sessions_new(1000000);
    char first[WEB_TOKEN_HEX + 1], last[WEB_TOKEN_HEX + 1];
    CHECK(web_sessions_create(t, &who, stamp, 1, first, &s) == 0);
    for (int i = 0; i < WEB_SESSION_MAX; i++)
        web_sessions_create(t, &who, stamp, (uint64_t)(2 + i), last, &s);
    CHECK(web_sessions_count(t) == WEB_SESSION_MAX);
    CHECK(!web_sessions_get(t, first, 20000, true, &g), "the oldest was evicted");
    CHECK(web_sessions_get(t, last, 20000, true, &g));
    web_sessions_destroy(&t);

    CHECK(web_token_equal("abc", "abc") && !web_token_equal("abc", "abd") &&
          !web_token_equal("abc", "abcd") && !web_token_equal("", "a"));
}

static void
s_ratelimit(void)
{
    unit_case = "rate limit";
    web_ratelimit_t *r = web_ratelimit_new();
    for (int i = 0; i < WEB_LOGIN_FAILS; i++)
        CHECK(web_ratelimit_begin(r, "u:alice", 100 + (uint64_t)i) == 0, "try %d", i);
    unsigned wait = web_ratelimit_begin(r, "u:alice", 110);
    CHECK(wait == WEB_LOGIN_WINDOW - 10, "wait %u", wait);
    CHECK(web_ratelimit_begin(r, "u:alice", 111) == WEB_LOGIN_WINDOW - 11,
          "a refused attempt is not counted, the window not moved");
    CHECK(web_ratelimit_begin(r, "u:bob", 110) == 0, "another key");
    CHECK(web_ratelimit_begin(r, "u:alice", 100 + WEB_LOGIN_WINDOW) == 0,
          "the window ends");
    CHECK(web_ratelimit_begin(r, "u:alice", 101 + WEB_LOGIN_WINDOW) == 0, "a new window");

    /* Attempts begun at once (each waiting for its Argon2id) count before
       any ends: the sixth is refused. A success is forgiven. */
    unit_case = "rate limit, at once";
    for (int i = 0; i < WEB_LOGIN_FAILS; i++)
        CHECK(web_ratelimit_begin(r, "u:carol", 500) == 0, "attempt %d", i);
    CHECK(web_ratelimit_begin(r, "u:carol", 500) > 0, "the sixth at once");
    web_ratelimit_forgive(r, "u:carol", 501);
    CHECK(web_ratelimit_begin(r, "u:carol", 502) == 0, "a success forgiven");
    CHECK(web_ratelimit_begin(r, "u:carol", 502) > 0);
    for (int i = 0; i < 100; i++)
        web_ratelimit_forgive(r, "u:dave", 600); /* none begun: nothing */
    for (int i = 0; i < WEB_LOGIN_FAILS; i++)
        CHECK(web_ratelimit_begin(r, "u:dave", 600) == 0);
    CHECK(web_ratelimit_begin(r, "u:dave", 600) > 0, "forgiving is not credit");

    unit_case = "rate limit, full";
    /* A full table drops the oldest window, never refuses to count. */
    char key[32];
    for (int i = 0; i < WEB_LOGIN_KEYS + 10; i++) {
        snprintf(key, sizeof key, "a:10.0.%d.%d", i / 256, i % 256);
        for (int k = 0; k < WEB_LOGIN_FAILS; k++)
            web_ratelimit_begin(r, key, 1000 + (uint64_t)i);
    }
    CHECK(web_ratelimit_begin(r, key, 1000 + WEB_LOGIN_KEYS) > 0,
          "the newest is counted");
    CHECK(web_ratelimit_begin(r, "a:10.0.0.0", 1000 + WEB_LOGIN_KEYS) == 0,
          "the oldest was dropped");
    web_ratelimit_destroy(&r);
}

int
main(void)
{
    if (sodium_init() < 0)
        return 1;
    s_sessions();
    s_ratelimit();
    return unit_done("web_session");
}
