/*  nmirf_keys - an entity's key files. */
#include "nmirf_keys.h"
#include "nmirf_util.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zmq.h>

#define WHY(...) snprintf(why, whylen, __VA_ARGS__)

int
nmirf_key_generate(nmirf_key_t *key, const char *entity)
{
    memset(key, 0, sizeof *key);
    if (!nmirf_entity_id_valid(entity, strlen(entity)))
        return -1;
    strcpy(key->entity, entity);
    crypto_sign_keypair(key->sign_pk, key->sign_sk);
    if (zmq_curve_keypair(key->curve_pk, key->curve_sk) != 0)
        return -1;
    key->has_secret = true;
    return 0;
}

/* Trims spaces at both ends of s in place and returns it. */
static char *
s_trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        s[--n] = 0;
    return s;
}

int
nmirf_key_load(nmirf_key_t *key, const char *path, char *why, size_t whylen)
{
    memset(key, 0, sizeof *key);
    struct stat st;
    size_t len;
    char *text = nmirf_read_regular(path, NMIRF_KEY_FILE_MAX, &len, &st, why, whylen);
    if (!text)
        return -1;
    enum { ENTITY = 1, SPK = 2, SSK = 4, CPK = 8, CSK = 16 };
    unsigned seen = 0;
    int lineno = 0, rc = -1;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        lineno++;
        char *s = s_trim(line);
        if (*s == 0 || *s == '#')
            continue;
        char *eq = strchr(s, '=');
        if (!eq) {
            WHY("%s:%d: expected 'name = value'", path, lineno);
            goto done;
        }
        *eq = 0;
        char *name = s_trim(s), *val = s_trim(eq + 1);
        if (strcmp(name, "entity") == 0) {
            if (!nmirf_entity_id_valid(val, strlen(val))) {
                WHY("%s:%d: '%s' is not a valid entity id", path, lineno, val);
                goto done;
            }
            strcpy(key->entity, val);
            seen |= ENTITY;
        } else if (strcmp(name, "sign-public") == 0) {
            if (nmirf_unhex(val, key->sign_pk, sizeof key->sign_pk)) {
                WHY("%s:%d: sign-public must be 64 hex digits", path, lineno);
                goto done;
            }
            seen |= SPK;
        } else if (strcmp(name, "sign-secret") == 0) {
            if (nmirf_unhex(val, key->sign_sk, sizeof key->sign_sk)) {
                WHY("%s:%d: sign-secret must be 128 hex digits", path, lineno);
                goto done;
            }
            seen |= SSK;
        } else if (strcmp(name, "curve-public") == 0 ||
                   strcmp(name, "curve-secret") == 0) {
            bool pub = name[6] == 'p';
            uint8_t raw[32];
            if (strlen(val) != 40 || !zmq_z85_decode(raw, val)) {
                WHY("%s:%d: %s must be 40 Z85 characters", path, lineno, name);
                goto done;
            }
            strcpy(pub ? key->curve_pk : key->curve_sk, val);
            seen |= pub ? CPK : CSK;
        } else {
            WHY("%s:%d: unknown setting '%s'", path, lineno, name);
            goto done;
        }
    }
    if ((seen & (ENTITY | SPK | CPK)) != (ENTITY | SPK | CPK)) {
        WHY("%s: needs entity, sign-public and curve-public", path);
        goto done;
    }
    if (!!(seen & SSK) != !!(seen & CSK)) {
        WHY("%s: has one secret key but not the other", path);
        goto done;
    }
    key->has_secret = (seen & SSK) != 0;
    if (key->has_secret) {
        /* The secret must not be readable by anyone but its owner. */
        if (st.st_mode & 077) {
            WHY("%s: secret key file has mode %04o; it must be 0600 or stricter "
                "(chmod 600 %s)",
                path, (unsigned)(st.st_mode & 07777), path);
            goto done;
        }
        /* libsodium's secret key embeds the public key: they must agree. */
        if (memcmp(key->sign_sk + 32, key->sign_pk, 32) != 0) {
            WHY("%s: sign-secret does not match sign-public", path);
            goto done;
        }
    }
    rc = 0;
done:
    sodium_memzero(text, len);
    free(text);
    if (rc)
        nmirf_key_wipe(key);
    return rc;
}

/* Formats the key file text; secret lines only if with_secret. */
static int
s_format(const nmirf_key_t *key, bool with_secret, char *buf, size_t size)
{
    char spk[65], ssk[129];
    nmirf_hex(key->sign_pk, sizeof key->sign_pk, spk);
    nmirf_hex(key->sign_sk, sizeof key->sign_sk, ssk);
    int n;
    if (with_secret)
        n = snprintf(buf, size,
                     "# nmirf secret key file of entity %s: keep it private (mode 0600)\n"
                     "entity = %s\nsign-public = %s\nsign-secret = %s\n"
                     "curve-public = %s\ncurve-secret = %s\n",
                     key->entity, key->entity, spk, ssk, key->curve_pk, key->curve_sk);
    else
        n = snprintf(buf, size,
                     "# nmirf public key file of entity %s: give it to the coordinator\n"
                     "entity = %s\nsign-public = %s\ncurve-public = %s\n",
                     key->entity, key->entity, spk, key->curve_pk);
    sodium_memzero(ssk, sizeof ssk);
    return n;
}

int
nmirf_key_save(const nmirf_key_t *key, const char *dir, char *why, size_t whylen)
{
    char path[4096], text[1024];
    if (!key->has_secret) {
        WHY("no secret key to save for %s", key->entity);
        return -1;
    }
    snprintf(path, sizeof path, "%s/%s.key", dir, key->entity);
    struct stat st;
    if (stat(path, &st) == 0) {
        WHY("%s exists; refusing to overwrite a secret key", path);
        return -1;
    }
    int n = s_format(key, true, text, sizeof text);
    int rc = nmirf_write_file(path, text, (size_t)n, 0600);
    sodium_memzero(text, sizeof text);
    if (rc) {
        WHY("%s: %s", path, strerror(errno));
        return -1;
    }
    snprintf(path, sizeof path, "%s/%s.pub", dir, key->entity);
    n = s_format(key, false, text, sizeof text);
    if (nmirf_write_file(path, text, (size_t)n, 0644)) {
        WHY("%s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

int
nmirf_key_curve_raw(const nmirf_key_t *key, uint8_t out[32])
{
    return zmq_z85_decode(out, key->curve_pk) ? 0 : -1;
}

void
nmirf_key_wipe(nmirf_key_t *key)
{
    sodium_memzero(key, sizeof *key);
}
