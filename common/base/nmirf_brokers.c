/*  nmirf_brokers - a client's list of brokers and their keys. */
#include "nmirf_brokers.h"
#include "nmirf_keys.h"

#include <stdio.h>
#include <string.h>

/* Splits s at commas into items (pointers into buf, a copy of s). Returns
   the count, or -1 with why (an empty item, more than max). */
static int
s_split(const char *s, char *buf, size_t buflen, char **items, size_t max,
        const char *what, char *why, size_t whylen)
{
    if (strlen(s) >= buflen) {
        snprintf(why, whylen, "%s: the list is too long", what);
        return -1;
    }
    snprintf(buf, buflen, "%s", s);
    size_t n = 0;
    for (char *p = buf;;) {
        char *comma = strchr(p, ',');
        if (comma)
            *comma = 0;
        if (!*p) {
            snprintf(why, whylen, "%s: an empty item in '%s'", what, s);
            return -1;
        }
        if (n == max) {
            snprintf(why, whylen, "%s: more than %zu in '%s'", what, max, s);
            return -1;
        }
        items[n++] = p;
        if (!comma)
            break;
        p = comma + 1;
    }
    return (int)n;
}

int
nmirf_brokers_count(const char *endpoints, size_t *n, char *why, size_t whylen)
{
    char buf[NMIRF_BROKERS_MAX * NMIRF_BROKER_ENDPOINT_MAX];
    char *items[NMIRF_BROKERS_MAX];
    int k = s_split(endpoints, buf, sizeof buf, items, NMIRF_BROKERS_MAX, "endpoints",
                    why, whylen);
    if (k < 0)
        return -1;
    for (int i = 0; i < k; i++)
        if (strlen(items[i]) >= NMIRF_BROKER_ENDPOINT_MAX) {
            snprintf(why, whylen, "endpoint '%.40s...' is too long", items[i]);
            return -1;
        }
    *n = (size_t)k;
    return 0;
}

int
nmirf_brokers_load(nmirf_brokers_t *out, const char *endpoints, const char *keyfiles,
                   char *why, size_t whylen)
{
    char ebuf[NMIRF_BROKERS_MAX * NMIRF_BROKER_ENDPOINT_MAX],
        kbuf[NMIRF_BROKERS_MAX * 4096];
    char *eps[NMIRF_BROKERS_MAX], *keys[NMIRF_BROKERS_MAX];
    memset(out, 0, sizeof *out);
    size_t n;
    if (nmirf_brokers_count(endpoints, &n, why, whylen))
        return -1;
    s_split(endpoints, ebuf, sizeof ebuf, eps, NMIRF_BROKERS_MAX, "endpoints", why,
            whylen);
    int k = s_split(keyfiles, kbuf, sizeof kbuf, keys, NMIRF_BROKERS_MAX, "key files",
                    why, whylen);
    if (k < 0)
        return -1;
    if (k != 1 && (size_t)k != n) {
        snprintf(why, whylen,
                 "%zu endpoints but %d key files: give one broker key file per "
                 "endpoint, in the same order (or one for all)",
                 n, k);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        nmirf_key_t key;
        char kwhy[256] = "";
        const char *path = keys[k == 1 ? 0 : i];
        if (nmirf_key_load(&key, path, kwhy, sizeof kwhy) != 0) {
            snprintf(why, whylen, "%s", kwhy[0] ? kwhy : path);
            return -1;
        }
        snprintf(out->at[i].endpoint, sizeof out->at[i].endpoint, "%s", eps[i]);
        memcpy(out->at[i].curve_pk, key.curve_pk, sizeof out->at[i].curve_pk);
        memcpy(out->at[i].sign_pk, key.sign_pk, sizeof out->at[i].sign_pk);
        nmirf_key_wipe(&key); /* a secret file may have been given */
    }
    out->n = n;
    return 0;
}

int
nmirf_brokers_find(const nmirf_brokers_t *list, const char *endpoint)
{
    for (size_t i = 0; endpoint && i < list->n; i++)
        if (strcmp(list->at[i].endpoint, endpoint) == 0)
            return (int)i;
    return -1;
}
