/*  role - primary or standby, the epoch, fencing (role.h). */
#include "role.h"
#include "nmirf_log.h"
#include "nmirf_mp.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct _role_t {
    bool standby;                          /* started --standby-of */
    char standby_of[ROLE_ENDPOINT_MAX];    /* the primary it follows ("" if none) */
    uint64_t start_epoch;                  /* the store's epoch at start */
    atomic_uint_least64_t heard;           /* the highest epoch a client told of (0:
                                              none) */
    pthread_mutex_t lock;                  /* guards heard_primary */
    char heard_primary[ROLE_ENDPOINT_MAX]; /* the endpoint told with it ("" if
                                              none) */
    uint8_t sign_pk[32];                   /* the broker's signing public key */
    unsigned failover_ms;                  /* automatic failover's delay (0: off) */
    const nmirf_key_t *failover_key;       /* the standby entity's keys, borrowed */
};

role_t *
role_new(const char *standby_of, uint64_t start_epoch, const uint8_t sign_pk[32])
{
    if (standby_of && strlen(standby_of) >= ROLE_ENDPOINT_MAX)
        return NULL;
    role_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->standby = standby_of != NULL;
    if (standby_of)
        snprintf(self->standby_of, sizeof self->standby_of, "%s", standby_of);
    self->start_epoch = start_epoch;
    memcpy(self->sign_pk, sign_pk, sizeof self->sign_pk);
    atomic_init(&self->heard, 0);
    pthread_mutex_init(&self->lock, NULL);
    return self;
}

void
role_destroy(role_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pthread_mutex_destroy(&(*self_p)->lock);
    free(*self_p);
    *self_p = NULL;
}

bool
role_standby(const role_t *self, uint64_t epoch)
{
    /* Promoted since start: the store's epoch went up (role.h). */
    return self && self->standby && epoch <= self->start_epoch;
}

uint64_t
role_heard(const role_t *self)
{
    return self ? atomic_load(&((role_t *)self)->heard) : 0;
}

const uint8_t *
role_sign_pk(const role_t *self)
{
    return self->sign_pk;
}

/* The endpoint of the primary as far as this broker knows, into out: the
   one it follows while a standby, else the one a client told of (a
   promoted standby's primary is gone). */
static void
s_primary(role_t *self, bool standby, char *out, size_t outlen)
{
    if (standby) {
        snprintf(out, outlen, "%s", self->standby_of);
        return;
    }
    pthread_mutex_lock(&self->lock);
    snprintf(out, outlen, "%s", self->heard_primary);
    pthread_mutex_unlock(&self->lock);
}

bool
role_may_write(role_t *self, uint64_t epoch, char *primary, size_t primarylen, char *why,
               size_t whylen)
{
    if (primarylen)
        primary[0] = 0;
    if (!self)
        return true;
    uint64_t heard = atomic_load(&self->heard);
    bool standby = role_standby(self, epoch);
    if (!standby && heard <= epoch)
        return true;
    s_primary(self, standby, primary, primarylen);
    if (standby)
        snprintf(why, whylen,
                 "this broker is a standby (epoch %llu) and takes no write: send it to "
                 "the primary%s%s",
                 (unsigned long long)epoch, primary[0] ? " at " : "", primary);
    else
        snprintf(why, whylen,
                 "this broker is at epoch %llu and a client has seen epoch %llu: another "
                 "broker was promoted, and this one takes no write (fenced): send it to "
                 "the primary%s%s",
                 (unsigned long long)epoch, (unsigned long long)heard,
                 primary[0] ? " at " : "", primary);
    return false;
}

void
role_hear(role_t *self, uint64_t heard, const char *primary, uint64_t store_epoch,
          const char *from)
{
    if (!self || heard <= store_epoch)
        return;
    uint64_t before = atomic_load(&self->heard);
    while (heard > before && !atomic_compare_exchange_weak(&self->heard, &before, heard))
        ;
    /* before: what this raised, or a higher epoch another thread kept. */
    bool raised = heard > before;
    if (!raised && (heard < before || !primary))
        return;
    if (primary && strlen(primary) < ROLE_ENDPOINT_MAX) {
        pthread_mutex_lock(&self->lock);
        snprintf(self->heard_primary, sizeof self->heard_primary, "%s", primary);
        pthread_mutex_unlock(&self->lock);
    }
    if (raised)
        log_warnx("FENCED: %s has seen epoch %llu%s%s, and this broker is at epoch %llu: "
                  "another broker was promoted. No write is taken from now on; restart "
                  "this one --standby-of the new primary (docs/OPERATIONS.md)",
                  from, (unsigned long long)heard, primary ? " at " : "",
                  primary ? primary : "", (unsigned long long)store_epoch);
}

void
role_set_failover(role_t *self, unsigned after_ms, const nmirf_key_t *key)
{
    self->failover_ms = key ? after_ms : 0;
    self->failover_key = after_ms ? key : NULL;
}

unsigned
role_failover_after(const role_t *self)
{
    return self ? self->failover_ms : 0;
}

const nmirf_key_t *
role_failover_key(const role_t *self)
{
    return self ? self->failover_key : NULL;
}

bool
role_failover_due(const role_t *self, uint64_t epoch, uint64_t silent_ms)
{
    return self && self->failover_ms && role_standby(self, epoch) &&
           role_heard(self) <= epoch && silent_ms >= self->failover_ms;
}

void
role_pack(role_t *self, uint64_t epoch, msgpack_packer *pk)
{
    bool standby = role_standby(self, epoch);
    nmirf_mp_pack_kv_str(pk, "role", standby ? "standby" : "primary");
    nmirf_mp_pack_kv_uint(pk, "epoch", epoch);
    char primary[ROLE_ENDPOINT_MAX] = "";
    uint64_t heard = self ? atomic_load(&self->heard) : 0;
    if (self && (standby || heard > epoch))
        s_primary(self, standby, primary, sizeof primary);
    nmirf_mp_pack_str(pk, "primary");
    if (primary[0])
        nmirf_mp_pack_str(pk, primary);
    else
        msgpack_pack_nil(pk);
    nmirf_mp_pack_str(pk, "fenced");
    if (heard > epoch)
        msgpack_pack_uint64(pk, heard);
    else
        msgpack_pack_nil(pk);
}
