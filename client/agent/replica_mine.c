/*  replica_mine - the `mine` view: the assignments that name our entity,
    read from the replica alone, so it answers while the broker is down,
    each deadline marked overdue or due soon by the rule of the broker's
    deadline events (PROTOCOL.md section 7, replica_query_due), from a date the caller gives.
    Like the other queries of the replica, it reads in a transaction the
    caller opened (replica_read_begin) and knows nothing else of the
    agent.
*/
#include <stdlib.h>
#include <string.h>

#include "replica.h"
#include "nmirf_mp.h"
#include "nmirf_util.h"
#include "replica_query.h"

/* Packs one `mine` item for assignment a (role given), its deadline
   judged on day today with the due-soon horizon. */
static void
s_pack_item(MDB_txn *txn, const MDB_dbi *dbi, const msgpack_object *a, const char *role,
            int64_t today, uint64_t horizon, msgpack_packer *pk, msgpack_zone *zone)
{
    const msgpack_object *rec = nmirf_mp_get(a, "rec");
    const msgpack_object *deadline = nmirf_mp_get(a, "deadline");
    char recid[80] = "";
    nmirf_mp_strcpy(rec, recid, sizeof recid);
    char status[32] = "not_started";
    MDB_val sk = {strlen(recid), recid}, sv;
    if (recid[0] && mdb_get(txn, dbi[AG_DB_STATUS], &sk, &sv) == 0 &&
        sv.mv_size < sizeof status) {
        memcpy(status, sv.mv_data, sv.mv_size);
        status[sv.mv_size] = 0;
    }

    /* The recommendation's text: the first present of en, fr, ar. */
    const msgpack_object *text = NULL;
    msgpack_object recobj;
    MDB_val k = {strlen(recid), recid}, v;
    if (recid[0] && mdb_get(txn, dbi[AG_DB_RECS], &k, &v) == 0 &&
        nmirf_mp_unpack(v.mv_data, v.mv_size, zone, &recobj, NULL, 0) == NMIRF_OK) {
        const msgpack_object *texts = nmirf_mp_get(&recobj, "text");
        static const char *const langs[] = {"en", "fr", "ar"};
        for (int i = 0; i < 3 && !text; i++) {
            text = nmirf_mp_get(texts, langs[i]);
            if (text && text->type != MSGPACK_OBJECT_STR)
                text = NULL;
        }
    }
    int64_t left = 0;
    bool has_left;
    const char *due =
        replica_query_due(deadline, today, horizon, status, &left, &has_left);
    msgpack_pack_map(pk, 7 + (deadline != NULL) + has_left + (due != NULL));
    nmirf_mp_pack_str(pk, "rec");
    nmirf_mp_pack_object(pk, rec);
    nmirf_mp_pack_str(pk, "lead");
    nmirf_mp_pack_object(pk, nmirf_mp_get(a, "lead"));
    nmirf_mp_pack_str(pk, "contributors");
    nmirf_mp_pack_object(pk, nmirf_mp_get(a, "contributors"));
    if (deadline) {
        nmirf_mp_pack_str(pk, "deadline");
        nmirf_mp_pack_object(pk, deadline);
    }
    if (has_left) {
        nmirf_mp_pack_str(pk, "days_left");
        msgpack_pack_int64(pk, left);
    }
    if (due)
        nmirf_mp_pack_kv_str(pk, "due", due);
    nmirf_mp_pack_kv_str(pk, "role", role);
    nmirf_mp_pack_kv_str(pk, "status", status);
    nmirf_mp_pack_str(pk, "text");
    if (text)
        nmirf_mp_pack_object(pk, text);
    else
        nmirf_mp_pack_str(pk, "");
    nmirf_mp_pack_str(pk, "assigned");
    const msgpack_object *assigned = nmirf_mp_get(a, "assigned");
    if (assigned)
        nmirf_mp_pack_object(pk, assigned);
    else
        msgpack_pack_nil(pk);
}

int
replica_pack_mine(MDB_txn *txn, const MDB_dbi dbi[AG_DB_COUNT], const char *entity,
                  const char *today, uint64_t due_soon_days, msgpack_packer *pk)
{
    int64_t day = nmirf_date_days(today);
    MDB_cursor *cur;
    if (mdb_cursor_open(txn, dbi[AG_DB_ASSIGNMENTS], &cur))
        return -1;
    msgpack_sbuffer items;
    msgpack_packer ipk;
    msgpack_sbuffer_init(&items);
    msgpack_packer_init(&ipk, &items, msgpack_sbuffer_write);
    msgpack_zone zone;
    msgpack_zone_init(&zone, 4096);
    uint32_t n = 0;
    MDB_val k, v;
    for (int c = mdb_cursor_get(cur, &k, &v, MDB_FIRST); c == 0;
         c = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        msgpack_object a;
        if (nmirf_mp_unpack(v.mv_data, v.mv_size, &zone, &a, NULL, 0) != NMIRF_OK)
            continue;
        const char *role = replica_query_role(&a, entity);
        if (!role)
            continue;
        s_pack_item(txn, dbi, &a, role, day, due_soon_days, &ipk, &zone);
        n++;
    }
    mdb_cursor_close(cur);
    msgpack_pack_array(pk, n);
    pk->callback(pk->data, items.data, (unsigned)items.size);
    msgpack_sbuffer_destroy(&items);
    msgpack_zone_destroy(&zone);
    return 0;
}
