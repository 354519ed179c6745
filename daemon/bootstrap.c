/*  bootstrap - what nmirfd does on an empty data directory. */
#include "bootstrap.h"
#include "nmirf_keys.h"
#include "nmirf_log.h"
#include "nmirf_mp.h"
#include "nmirf_util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* Loads DIR/ID.key, or makes and saves it if absent. */
static int
s_key(nmirf_key_t *key, const char *dir, const char *id, char *why, size_t whylen)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.key", dir, id);
    struct stat st;
    if (stat(path, &st) == 0)
        return nmirf_key_load(key, path, why, whylen);
    if (nmirf_key_generate(key, id)) {
        snprintf(why, whylen, "'%s' is not a valid entity id", id);
        return -1;
    }
    if (nmirf_key_save(key, dir, why, whylen))
        return -1;
    log_info("wrote key pair %s/%s.key and %s.pub", dir, id, id);
    return 0;
}

int
bootstrap_if_empty(store_t *store, const char *datadir, const char *coordinator,
                   char *why, size_t whylen)
{
    MDB_txn *txn = NULL;
    MDB_stat st;
    int rc = store_begin(store, NULL, true, &txn);
    if (!rc)
        rc = mdb_stat(txn, store_dbi(store, DB_ENTITIES), &st);
    if (rc) {
        snprintf(why, whylen, "cannot read the store: %s", store_strerror(rc));
        if (txn)
            store_abort(txn);
        return -1;
    }
    if (st.ms_entries > 0) {
        store_abort(txn);
        return 0;
    }
    char keydir[4096];
    snprintf(keydir, sizeof keydir, "%s/keys", datadir);
    nmirf_key_t broker, coord;
    if (mkdir(keydir, 0700) != 0 && errno != EEXIST) {
        snprintf(why, whylen, "cannot create %s: %s", keydir, strerror(errno));
        store_abort(txn);
        return -1;
    }
    if (s_key(&broker, keydir, "NMIRFD", why, whylen) ||
        s_key(&coord, keydir, coordinator, why, whylen)) {
        store_abort(txn);
        return -1;
    }
    nmirf_key_wipe(&broker);

    uint8_t curve[32];
    nmirf_key_curve_raw(&coord, curve);
    msgpack_sbuffer rec, ev_bytes;
    msgpack_sbuffer_init(&rec);
    msgpack_sbuffer_init(&ev_bytes);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &rec, msgpack_sbuffer_write);
    uint64_t now = nmirf_now_ms();
    msgpack_pack_map(&pk, 7);
    nmirf_mp_pack_kv_str(&pk, "id", coordinator);
    nmirf_mp_pack_kv_str(&pk, "role", "coordinator");
    nmirf_mp_pack_str(&pk, "names");
    msgpack_pack_map(&pk, 0);
    nmirf_mp_pack_str(&pk, "sign_key");
    nmirf_mp_pack_bin(&pk, coord.sign_pk, sizeof coord.sign_pk);
    nmirf_mp_pack_str(&pk, "curve_key");
    nmirf_mp_pack_bin(&pk, curve, sizeof curve);
    nmirf_mp_pack_kv_str(&pk, "state", "active");
    nmirf_mp_pack_kv_uint(&pk, "enrolled", now);
    nmirf_key_wipe(&coord);

    const char *who[] = {coordinator};
    nmirf_event_fields_t ev = {.ts = now,
                               .kind = "entity.enrolled",
                               .subject = coordinator,
                               .entities = who,
                               .entity_count = 1,
                               .author = "-",
                               .data = (const uint8_t *)rec.data,
                               .data_len = rec.size};
    uint8_t prev[NMIRF_HASH_LEN];
    rc = store_put(store, txn, DB_ENTITIES, coordinator, strlen(coordinator), rec.data,
                   rec.size);
    if (!rc)
        rc = store_append_event(store, txn, &ev, prev, &ev_bytes);
    if (!rc)
        rc = store_commit(txn);
    else
        store_abort(txn);
    msgpack_sbuffer_destroy(&rec);
    msgpack_sbuffer_destroy(&ev_bytes);
    if (rc) {
        snprintf(why, whylen, "cannot enroll the coordinator: %s", store_strerror(rc));
        return -1;
    }
    log_info(
        "first start: coordinator %s enrolled; its key is %s/%s.key (nmirf -k %s/%s.key)",
        coordinator, keydir, coordinator, keydir, coordinator);
    return 0;
}
