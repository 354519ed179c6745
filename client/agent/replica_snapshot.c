/*  replica_snapshot - a snapshot reply's body stored as the broker sent it
    (replica_snapshot.h). */
#include <errno.h>
#include <string.h>

#include "replica_snapshot.h"
#include "nmirf_mp.h"
#include "nmirf_util.h"

/* A section of the body: its name, its database, the key of its records
   (NULL: the status map), and whether that key is a uint. */
typedef struct {
    const char *name;
    agent_db_t db;
    const char *key;
    bool numeric;
    bool required; /* an older broker's snapshot has no measures */
} s_section_t;

static const s_section_t s_sections[] = {
    {"entities", AG_DB_ENTITIES, "id", false, true},
    {"recs", AG_DB_RECS, "id", false, true},
    {"assignments", AG_DB_ASSIGNMENTS, "rec", false, true},
    {"reports", AG_DB_REPORTS, "id", true, true},
    {"measures", AG_DB_MEASURES, "id", true, false},
    {"status", AG_DB_STATUS, NULL, false, false},
};
#define SECTIONS (sizeof s_sections / sizeof s_sections[0])

/* True if the str s[0..n) is name. */
static bool
s_is(const char *s, uint32_t n, const char *name)
{
    return strlen(name) == n && memcmp(s, name, n) == 0;
}

/* Puts k -> v in dbi, appending while *flags is MDB_APPEND: the broker
   sends each section in its LMDB key order into an emptied database, so
   each page is written once instead of split. A key out of order
   (MDB_KEYEXIST) puts the rest of the section normally. */
static int
s_put(MDB_txn *txn, MDB_dbi dbi, MDB_val *k, MDB_val *v, unsigned *flags)
{
    int rc = mdb_put(txn, dbi, k, v, *flags);
    if (rc == MDB_KEYEXIST && *flags) {
        *flags = 0;
        rc = mdb_put(txn, dbi, k, v, 0);
    }
    return rc;
}

/* A string key of 1 to 511 bytes, as the broker's. */
static bool
s_key_ok(uint32_t n)
{
    return n > 0 && n < 512;
}

/* Reads one record (a map) at r: its bytes in *v, its key field sec->key
   in *k (k8 holds a numeric key). Returns 0 or EINVAL. */
static int
s_record(nmirf_mp_reader_t *r, const s_section_t *sec, MDB_val *k, MDB_val *v,
         uint8_t k8[8])
{
    const uint8_t *start = r->p;
    uint32_t pairs;
    bool found = false;
    if (nmirf_mp_read_map(r, &pairs))
        return EINVAL;
    for (uint32_t j = 0; j < pairs; j++) {
        const char *name, *s;
        uint32_t n;
        uint64_t u;
        if (nmirf_mp_read_str(r, &name, &n))
            return EINVAL; /* the broker's records have string keys */
        if (found || !s_is(name, n, sec->key)) {
            if (nmirf_mp_skip(r))
                return EINVAL;
        } else if (sec->numeric) {
            if (nmirf_mp_read_uint(r, &u))
                return EINVAL;
            nmirf_be64_encode(u, k8);
            *k = (MDB_val){8, k8};
            found = true;
        } else {
            if (nmirf_mp_read_str(r, &s, &n) || !s_key_ok(n))
                return EINVAL;
            *k = (MDB_val){n, (void *)s};
            found = true;
        }
    }
    if (!found)
        return EINVAL;
    *v = (MDB_val){(size_t)(r->p - start), (void *)start};
    return 0;
}

/* Writes the array of records at r into sec's database. */
static int
s_put_records(MDB_txn *txn, MDB_dbi dbi, nmirf_mp_reader_t *r, const s_section_t *sec,
              size_t *records)
{
    uint32_t n;
    if (nmirf_mp_read_array(r, &n))
        return EINVAL;
    unsigned flags = MDB_APPEND;
    for (uint32_t i = 0; i < n; i++) {
        MDB_val k, v;
        uint8_t k8[8];
        int rc = s_record(r, sec, &k, &v, k8);
        if (!rc)
            rc = s_put(txn, dbi, &k, &v, &flags);
        if (rc)
            return rc;
        (*records)++;
    }
    return 0;
}

/* Writes the status map {rec: status} at r. */
static int
s_put_status(MDB_txn *txn, MDB_dbi dbi, nmirf_mp_reader_t *r, size_t *records)
{
    uint32_t n;
    if (nmirf_mp_read_map(r, &n))
        return EINVAL;
    unsigned flags = MDB_APPEND;
    for (uint32_t i = 0; i < n; i++) {
        const char *rec, *status;
        uint32_t rn, sn;
        if (nmirf_mp_read_str(r, &rec, &rn) || !s_key_ok(rn) ||
            nmirf_mp_read_str(r, &status, &sn))
            return EINVAL;
        MDB_val k = {rn, (void *)rec}, v = {sn, (void *)status};
        int rc = s_put(txn, dbi, &k, &v, &flags);
        if (rc)
            return rc;
        (*records)++;
    }
    return 0;
}

int
replica_snapshot_seq(const uint8_t *body, size_t len, uint64_t *seq)
{
    if (!body) /* a reply with no body */
        return -1;
    nmirf_mp_reader_t r = {body, body + len};
    uint32_t n;
    if (nmirf_mp_read_map(&r, &n))
        return -1;
    for (uint32_t i = 0; i < n; i++) {
        const char *name;
        uint32_t nl;
        if (nmirf_mp_read_str(&r, &name, &nl))
            return -1;
        if (s_is(name, nl, "seq"))
            return nmirf_mp_read_uint(&r, seq);
        if (nmirf_mp_skip(&r))
            return -1;
    }
    return -1;
}

int
replica_snapshot_put(MDB_txn *txn, const MDB_dbi dbi[AG_DB_COUNT], const uint8_t *body,
                     size_t len, size_t *records)
{
    *records = 0;
    if (!body)
        return EINVAL;
    nmirf_mp_reader_t r = {body, body + len};
    uint32_t n;
    bool seen[SECTIONS] = {false};
    if (nmirf_mp_read_map(&r, &n))
        return EINVAL;
    for (uint32_t i = 0; i < n; i++) {
        const char *name;
        uint32_t nl;
        if (nmirf_mp_read_str(&r, &name, &nl))
            return EINVAL;
        size_t s = 0;
        while (s < SECTIONS && !s_is(name, nl, s_sections[s].name))
            s++;
        if (s == SECTIONS || seen[s]) { /* seq, a key we do not know, a repeat */
            if (nmirf_mp_skip(&r))
                return EINVAL;
            continue;
        }
        seen[s] = true;
        const s_section_t *sec = &s_sections[s];
        int rc = sec->key ? s_put_records(txn, dbi[sec->db], &r, sec, records)
                          : s_put_status(txn, dbi[sec->db], &r, records);
        if (rc)
            return rc;
    }
    for (size_t s = 0; s < SECTIONS; s++)
        if (s_sections[s].required && !seen[s])
            return EINVAL;
    return 0;
}
