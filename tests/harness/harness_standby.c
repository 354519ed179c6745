/*  harness - a standby following a primary, and reading a broker's log
    (harness.h).
*/
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nmirf_util.h"

#define S_FOLLOW_TRIES 400 /* polls of S_FOLLOW_POLL_MS: 20 s */
#define S_FOLLOW_POLL_MS 50

int
h_log_count(const char *log_path, const char *text)
{
    size_t len;
    char *log = nmirf_read_file(log_path, &len);
    H_ASSERTF(log, "cannot read the log %s", log_path);
    int count = 0;
    for (const char *p = log; (p = strstr(p, text)) != NULL; p += strlen(text))
        count++;
    free(log);
    return count;
}

/* Appends a copy of arg to b's arguments, owned by b. */
static void
s_arg_add(h_broker_t *b, size_t *n, const char *arg)
{
    H_ASSERTF(*n < H_MAX_ARGS, "more than %d nmirfd arguments", H_MAX_ARGS);
    b->owned_args[*n] = strdup(arg);
    H_ASSERT(b->owned_args[*n]);
    b->args[*n] = b->owned_args[*n];
    (*n)++;
    b->args[*n] = NULL;
}

/* True if b's status (as its ents[0]) says standby.following. */
static bool
s_following(h_broker_t *b)
{
    nmirf_reply_t *r = H_CALL_EXPECT("ok", &b->ents[0], "status", "{}");
    const msgpack_object *v = h_get(&r->body, "standby.following");
    bool following = v && v->type == MSGPACK_OBJECT_BOOLEAN && v->via.boolean;
    nmirf_reply_destroy(&r);
    return following;
}

h_broker_t *
h_standby_start(h_broker_t *primary, const h_entity_t *standby_entity,
                const char *const *more_args)
{
    /* Its own keys from a first start, its store removed. */
    h_broker_t *b = h_broker_start(NULL);
    h_broker_stop(b);
    char *out = NULL;
    H_ASSERTF(h_sh(&out, "rm -rf '%s/store' 2>&1", b->dir) == 0, "rm: %s", out);
    free(out);
    char why[256], keydir[PATH_MAX + 16];
    snprintf(keydir, sizeof keydir, "%s/keys", b->dir);
    H_ASSERTF(nmirf_key_save(&standby_entity->key, keydir, why, sizeof why) == 0,
              "save %s's key: %s", standby_entity->id, why);

    char path[PATH_MAX + 32 + NMIRF_ENTITY_ID_MAX];
    size_t n = 0;
    s_arg_add(b, &n, "--standby-of");
    s_arg_add(b, &n, primary->request_ep);
    snprintf(path, sizeof path, "%s/keys/NMIRFD.pub", primary->dir);
    s_arg_add(b, &n, "-S");
    s_arg_add(b, &n, path);
    snprintf(path, sizeof path, "%s/%s.key", keydir, standby_entity->id);
    s_arg_add(b, &n, "--standby-key");
    s_arg_add(b, &n, path);
    for (size_t i = 0; more_args && more_args[i]; i++)
        s_arg_add(b, &n, more_args[i]);

    /* The primary's coordinator, its store copied, is B's. */
    b->ent_count = 0;
    h_entity_add(b, h_coord(primary));
    h_broker_restart(b);

    bool following = false;
    for (int i = 0; i < S_FOLLOW_TRIES && !(following = s_following(b)); i++)
        h_sleep_ms(S_FOLLOW_POLL_MS);
    H_ASSERTF(following, "the standby never says it follows %s", primary->request_ep);
    uint64_t want = h_seq(primary);
    for (int i = 0; h_seq(b) < want; i++) {
        H_ASSERTF(i < S_FOLLOW_TRIES, "the standby never reaches the primary's seq %llu",
                  (unsigned long long)want);
        h_sleep_ms(S_FOLLOW_POLL_MS);
    }
    return b;
}
