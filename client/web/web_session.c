/*  web_session - sessions and the login rate limit (web_session.h). */
#include "web_session.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nmirf_util.h"

typedef struct {
    bool used;
    uint8_t hash[32]; /* BLAKE2b of the token's bytes */
    uint64_t last;    /* last use, for the eviction */
    web_session_t s;
} slot_t;

struct _web_sessions_t {
    pthread_mutex_t mutex;
    unsigned ttl;
    slot_t *slots; /* WEB_SESSION_MAX; a linear scan: 10,000 hashes are 320 KB */
};

bool
web_token_equal(const char *a, const char *b)
{
    size_t n = strlen(a);
    return n == strlen(b) && sodium_memcmp(a, b, n) == 0;
}

/* The hash of a hex token, or false if it is not 64 hex digits. */
static bool
s_token_hash(const char *token, uint8_t hash[32])
{
    uint8_t raw[32];
    if (!token || strlen(token) != WEB_TOKEN_HEX || nmirf_unhex(token, raw, sizeof raw))
        return false;
    crypto_generichash(hash, 32, raw, sizeof raw, NULL, 0);
    sodium_memzero(raw, sizeof raw);
    return true;
}

/* The slot of hash, or NULL. Under the mutex. */
static slot_t *
s_find(web_sessions_t *self, const uint8_t hash[32])
{
    for (size_t i = 0; i < WEB_SESSION_MAX; i++)
        if (self->slots[i].used && sodium_memcmp(self->slots[i].hash, hash, 32) == 0)
            return &self->slots[i];
    return NULL;
}

web_sessions_t *
web_sessions_new(unsigned ttl)
{
    web_sessions_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->slots = calloc(WEB_SESSION_MAX, sizeof *self->slots);
    if (!self->slots) {
        free(self);
        return NULL;
    }
    self->ttl = ttl;
    pthread_mutex_init(&self->mutex, NULL);
    return self;
}

void
web_sessions_destroy(web_sessions_t **self_p)
{
    web_sessions_t *self = *self_p;
    if (!self)
        return;
    pthread_mutex_destroy(&self->mutex);
    sodium_memzero(self->slots, WEB_SESSION_MAX * sizeof *self->slots);
    free(self->slots);
    free(self);
    *self_p = NULL;
}

void
web_account_stamp(const char *hash, uint8_t stamp[16])
{
    crypto_generichash(stamp, 16, (const uint8_t *)hash, strlen(hash), NULL, 0);
}

int
web_sessions_create(web_sessions_t *self, const web_who_t *who, const uint8_t account[16],
                    uint64_t now, char token[WEB_TOKEN_HEX + 1], web_session_t *out)
{
    uint8_t raw[32], csrf[32];
    randombytes_buf(raw, sizeof raw);
    randombytes_buf(csrf, sizeof csrf);
    nmirf_hex(raw, sizeof raw, token);
    slot_t n = {.used = true, .last = now};
    crypto_generichash(n.hash, 32, raw, sizeof raw, NULL, 0);
    sodium_memzero(raw, sizeof raw);
    n.s.who = *who;
    memcpy(n.s.account, account, sizeof n.s.account);
    nmirf_hex(csrf, sizeof csrf, n.s.csrf);
    n.s.created = now;
    n.s.expires = now + self->ttl;
    pthread_mutex_lock(&self->mutex);
    slot_t *at = NULL;
    for (size_t i = 0; i < WEB_SESSION_MAX; i++) {
        slot_t *s = &self->slots[i];
        if (!s->used || s->s.expires <= now) {
            at = s; /* a free or expired slot */
            break;
        }
        if (!at || s->last < at->last)
            at = s; /* else the one used least recently */
    }
    *at = n;
    pthread_mutex_unlock(&self->mutex);
    *out = n.s;
    return 0;
}

bool
web_sessions_get(web_sessions_t *self, const char *token, uint64_t now, bool touch,
                 web_session_t *out)
{
    uint8_t hash[32];
    if (!s_token_hash(token, hash))
        return false;
    bool live = false;
    pthread_mutex_lock(&self->mutex);
    slot_t *s = s_find(self, hash);
    if (s && (s->s.expires <= now || now >= s->s.created + WEB_SESSION_MAX_AGE)) {
        memset(s, 0, sizeof *s);
    } else if (s) {
        if (touch) {
            s->last = now;
            s->s.expires = now + self->ttl;
        }
        *out = s->s;
        live = true;
    }
    pthread_mutex_unlock(&self->mutex);
    return live;
}

/* Sets the session of token to who, or drops it if who is NULL. */
static void
s_set(web_sessions_t *self, const char *token, const web_who_t *who)
{
    uint8_t hash[32];
    if (!s_token_hash(token, hash))
        return;
    pthread_mutex_lock(&self->mutex);
    slot_t *s = s_find(self, hash);
    if (s && who)
        s->s.who = *who;
    else if (s)
        memset(s, 0, sizeof *s);
    pthread_mutex_unlock(&self->mutex);
}

void
web_sessions_update(web_sessions_t *self, const char *token, const web_who_t *who)
{
    s_set(self, token, who);
}

void
web_sessions_drop(web_sessions_t *self, const char *token)
{
    s_set(self, token, NULL);
}

size_t
web_sessions_count(web_sessions_t *self)
{
    size_t n = 0;
    pthread_mutex_lock(&self->mutex);
    for (size_t i = 0; i < WEB_SESSION_MAX; i++)
        n += self->slots[i].used;
    pthread_mutex_unlock(&self->mutex);
    return n;
}

/* --- the login rate limit --------------------------------------------- */

typedef struct {
    char key[WEB_USER_MAX + 72]; /* "u:NAME" or "a:ADDRESS"; "" free */
    uint64_t start;              /* the window's first failure */
    unsigned fails;
} rl_slot_t;

struct _web_ratelimit_t {
    pthread_mutex_t mutex;
    rl_slot_t slots[WEB_LOGIN_KEYS];
};

web_ratelimit_t *
web_ratelimit_new(void)
{
    web_ratelimit_t *self = calloc(1, sizeof *self);
    if (self)
        pthread_mutex_init(&self->mutex, NULL);
    return self;
}

void
web_ratelimit_destroy(web_ratelimit_t **self_p)
{
    if (!*self_p)
        return;
    pthread_mutex_destroy(&(*self_p)->mutex);
    free(*self_p);
    *self_p = NULL;
}

/* The slot of key, NULL if none. Under the mutex. */
static rl_slot_t *
s_rl_find(web_ratelimit_t *self, const char *key)
{
    for (size_t i = 0; i < WEB_LOGIN_KEYS; i++)
        if (self->slots[i].key[0] && !strcmp(self->slots[i].key, key))
            return &self->slots[i];
    return NULL;
}

/* The slot of key, made if there is none (the oldest window goes when
   the table is full), its window restarted if it is over. Under the
   mutex. */
static rl_slot_t *
s_rl_get(web_ratelimit_t *self, const char *key, uint64_t now)
{
    rl_slot_t *s = s_rl_find(self, key);
    if (s && now >= s->start + WEB_LOGIN_WINDOW)
        memset(s, 0, sizeof *s);
    if (!s || !s->key[0]) {
        s = NULL;
        for (size_t i = 0; i < WEB_LOGIN_KEYS; i++) {
            rl_slot_t *c = &self->slots[i];
            if (!c->key[0] || now >= c->start + WEB_LOGIN_WINDOW) {
                s = c;
                break;
            }
            if (!s || c->start < s->start)
                s = c; /* full: the oldest window goes */
        }
        memset(s, 0, sizeof *s);
        snprintf(s->key, sizeof s->key, "%s", key);
        s->start = now;
    }
    return s;
}

unsigned
web_ratelimit_begin(web_ratelimit_t *self, const char *key, uint64_t now)
{
    unsigned wait = 0;
    pthread_mutex_lock(&self->mutex);
    rl_slot_t *s = s_rl_get(self, key, now);
    if (s->fails >= WEB_LOGIN_FAILS)
        wait = (unsigned)(s->start + WEB_LOGIN_WINDOW - now);
    else
        s->fails++;
    pthread_mutex_unlock(&self->mutex);
    return wait;
}

void
web_ratelimit_forgive(web_ratelimit_t *self, const char *key, uint64_t now)
{
    pthread_mutex_lock(&self->mutex);
    rl_slot_t *s = s_rl_find(self, key);
    if (s && now < s->start + WEB_LOGIN_WINDOW && s->fails > 0)
        s->fails--;
    pthread_mutex_unlock(&self->mutex);
}
