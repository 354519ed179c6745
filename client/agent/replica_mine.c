/*  replica_mine - the `mine` view: the assignments that name our entity,
    read from the replica alone, so it answers while the broker is down,
    each deadline marked overdue or due soon by the rule of the broker's
    deadline events (PROTOCOL.md section 7, replica_query_due), from a date the caller
   gives. Like the other queries of the replica, it reads in a transaction the caller
   opened (replica_read_begin) and knows nothing else of the agent.
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
    char status[32];
    replica_query_status(txn, dbi, recid, strlen(recid), status);
    msgpack_object recobj;
    bool has_rec = recid[0] && replica_query_get(txn, dbi[AG_DB_RECS], recid,
                                                 strlen(recid), zone, &recobj) == 0;
    int64_t left = 0;
    bool has_left;
    const char *due =
        replica_query_due(deadline, today, horizon, status, &left, &has_left);
    nmirf_mp_map_t m;
    nmirf_mp_map_init(&m);
    nmirf_mp_map_obj(&m, "rec", rec);
    nmirf_mp_map_obj(&m, "lead", nmirf_mp_get(a, "lead"));
    nmirf_mp_map_obj(&m, "contributors", nmirf_mp_get(a, "contributors"));
    if (deadline)
        nmirf_mp_map_obj(&m, "deadline", deadline);
    replica_query_marks_pack(&m, has_left, left, due);
    nmirf_mp_map_str(&m, "role", role);
    nmirf_mp_map_str(&m, "status", status);
    replica_query_text_pack(&m, has_rec ? &recobj : NULL);
    nmirf_mp_map_obj(&m, "assigned", nmirf_mp_get(a, "assigned"));
    nmirf_mp_map_finish(&m, pk);
}

/* What the walk of the assignments packs `mine` items with. */
typedef struct {
    const char *entity;     /* ours */
    int64_t today;          /* days since the epoch */
    uint64_t due_soon_days; /* the due-soon horizon */
} s_mine_t;

/* replica_query_item_fn of replica_pack_mine: assignment a's item if it
   names our entity. */
static bool
s_item(MDB_txn *txn, const MDB_dbi *dbi, const msgpack_object *a, const void *arg,
       msgpack_zone *zone, msgpack_packer *pk)
{
    const s_mine_t *mine = arg;
    const char *role = replica_query_role(a, mine->entity);
    if (!role)
        return false;
    /* A withdrawn recommendation keeps its assignment as history: it is
       nothing more to do (rec.withdraw, rec.merge). */
    char recid[80] = "";
    msgpack_object recobj;
    if (nmirf_mp_strcpy(nmirf_mp_get(a, "rec"), recid, sizeof recid) == 0 &&
        replica_query_get(txn, dbi[AG_DB_RECS], recid, strlen(recid), zone, &recobj) ==
            0 &&
        nmirf_mp_get(&recobj, "withdrawn"))
        return false;
    s_pack_item(txn, dbi, a, role, mine->today, mine->due_soon_days, pk, zone);
    return true;
}

int
replica_pack_mine(MDB_txn *txn, const MDB_dbi dbi[AG_DB_COUNT], const char *entity,
                  const char *today, uint64_t due_soon_days, msgpack_packer *pk)
{
    s_mine_t mine = {.entity = entity,
                     .today = nmirf_date_days(today),
                     .due_soon_days = due_soon_days};
    return replica_query_pack_each(txn, dbi, AG_DB_ASSIGNMENTS, s_item, &mine, pk) ? -1
                                                                                   : 0;
}
