/*  nmirf_keys_test - the key file format of PROTOCOL.md section 8: only a
    whole line whose first non-blank character is `#` is a comment; `#`
    inside a value is part of it (it is one of the 85 Z85 characters, so
    CURVE keys hold it about one time in three). */
#include "nmirf_keys.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"

/* Writes text to DIR/name (mode 0600) and loads it; returns load's rc. */
static int
s_load_text(const char *dir, const char *name, const char *text, nmirf_key_t *key,
            char *why, size_t whylen)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f)
        return -2;
    fputs(text, f);
    fclose(f);
    return nmirf_key_load(key, path, why, whylen);
}

int
main(void)
{
    char dir[] = "/tmp/nmirf-keys-test-XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    /* A fresh key whose CURVE public key holds a '#': a few tries. */
    nmirf_key_t key;
    int tries = 0;
    do
        nmirf_key_generate(&key, "MJ");
    while (!strchr(key.curve_pk, '#') && ++tries < 1000);
    unit_case = "hash in a Z85 key";
    CHECK(strchr(key.curve_pk, '#'), "no key with '#' in 1000 tries");
    printf("curve-public with '#' after %d tries: %s\n", tries + 1, key.curve_pk);
    char why[512] = "";
    CHECK(nmirf_key_save(&key, dir, why, sizeof why) == 0, "save: %s", why);
    nmirf_key_t back;
    char path[4096];
    snprintf(path, sizeof path, "%s/MJ.pub", dir);
    CHECK(nmirf_key_load(&back, path, why, sizeof why) == 0, "load pub: %s", why);
    CHECK(strcmp(back.curve_pk, key.curve_pk) == 0, "curve-public read back as %s",
          back.curve_pk);
    snprintf(path, sizeof path, "%s/MJ.key", dir);
    CHECK(nmirf_key_load(&back, path, why, sizeof why) == 0, "load secret: %s", why);
    CHECK(strcmp(back.curve_pk, key.curve_pk) == 0 &&
              strcmp(back.curve_sk, key.curve_sk) == 0,
          "curve pair read back changed");

    /* Comment lines, indented ones included; no trailing comments. */
    unit_case = "comments";
    char spk[65];
    for (size_t i = 0; i < 32; i++)
        snprintf(spk + 2 * i, 3, "%02x", key.sign_pk[i]);
    char text[1024];
    snprintf(text, sizeof text,
             "# a comment\n   # an indented comment\n\nentity = MJ\n"
             "sign-public = %s\ncurve-public = %s\n#curve-public = nonsense\n",
             spk, key.curve_pk);
    CHECK(s_load_text(dir, "c.pub", text, &back, why, sizeof why) == 0, "%s", why);
    CHECK(strcmp(back.curve_pk, key.curve_pk) == 0, "curve-public %s", back.curve_pk);
    snprintf(text, sizeof text,
             "entity = MJ\nsign-public = %s\ncurve-public = %s # mine\n", spk,
             key.curve_pk);
    CHECK(s_load_text(dir, "t.pub", text, &back, why, sizeof why) == -1 &&
              strstr(why, "t.pub:3: curve-public must be 40 Z85 characters"),
          "a trailing comment was not refused: %s", why);

    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    nmirf_key_wipe(&key);
    nmirf_key_wipe(&back);
    return unit_done("nmirf_keys");
}
