/*  nmirf_brokers - the brokers a client may talk to: a primary and its
    standbys (docs/REPLICATION.md, "Clients and several brokers").

    The agent and the CLI take `-b tcp://a:7710,tcp://b:7710` and, in the
    same order, each broker's public key file, `-S A.pub,B.pub` (its
    DATA/keys/NMIRFD.pub): every broker has its own key pair, which
    CurveZMQ checks on connecting and its checkpoints are signed with. One
    key file for several endpoints is taken as every broker's key. An
    endpoint holds no comma, so a comma separates them; key file names
    with a comma cannot be given this way.
*/
#ifndef NMIRF_BROKERS_H
#define NMIRF_BROKERS_H

#include <stddef.h>
#include <stdint.h>

#include "nmirf_wire.h"

#define NMIRF_BROKERS_MAX 8           /* endpoints in one list */
#define NMIRF_BROKER_ENDPOINT_MAX 256 /* bytes of an endpoint, NUL included */

/* One broker. */
typedef struct {
    char endpoint[NMIRF_BROKER_ENDPOINT_MAX]; /* its request endpoint */
    char curve_pk[41];                        /* its CURVE public key, Z85 */
    uint8_t sign_pk[NMIRF_SIGN_PK_LEN];       /* its checkpoints' signing key */
} nmirf_broker_t;

/* The list, in the order given. */
typedef struct {
    size_t n;                             /* how many (1 to NMIRF_BROKERS_MAX) */
    nmirf_broker_t at[NMIRF_BROKERS_MAX]; /* each */
} nmirf_brokers_t;

/* Splits endpoints ("EP" or "EP,EP,...") and keyfiles (one file, or as
   many as the endpoints, comma-separated) into out, reading each key file
   (public or secret: only the public halves are kept). Returns 0, or -1
   with what is wrong in why (an empty item, too many, counts that differ,
   an unreadable key file). */
int nmirf_brokers_load(nmirf_brokers_t *out, const char *endpoints, const char *keyfiles,
                       char *why, size_t whylen);

/* Splits endpoints alone (for a check of the settings): the count into
 *n. Returns 0, or -1 with why. */
int nmirf_brokers_count(const char *endpoints, size_t *n, char *why, size_t whylen);

/* The index of endpoint in the list, or -1 if it is not there. */
int nmirf_brokers_find(const nmirf_brokers_t *list, const char *endpoint);

#endif
