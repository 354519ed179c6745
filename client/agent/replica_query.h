/*  replica_query - the control protocol's queries of the replica:
    rec.list, rec.show, measure.list, report.list and entity.list
    (proto/CONTROL.md).

    Each answers from the replica alone, so it works while the broker is
    down, and knows nothing of the agent: it takes an open read-only LMDB
    transaction, the replica's database handles (replica.h, agent_db_t) and
    where the replica stands (the head of every reply body), and packs one
    whole reply body map into pk. The caller owns the transaction (it
    aborts it after); nothing here keeps a pointer into it.
*/
#ifndef REPLICA_QUERY_H
#define REPLICA_QUERY_H

#include <lmdb.h>
#include <msgpack.h>

#include "replica.h"
#include "nmirf_codes.h"
#include "nmirf_control.h"

/* Unpacks the record under key in db into obj (zone-allocated, pointing
   into the transaction's pages). Returns 0, MDB_NOTFOUND, or -1 if it
   does not unpack. */
int replica_query_get(MDB_txn *txn, MDB_dbi dbi, const void *key, size_t klen,
                      msgpack_zone *zone, msgpack_object *obj);

/* Whether the replica's record of entity says it is the coordinator:
   1 it is, 0 it is not, -1 no record (no snapshot yet, or unreadable). */
int replica_query_is_coordinator(MDB_txn *txn, const MDB_dbi dbi[AG_DB_COUNT],
                                 const char *entity);

/* The implementation status of recommendation rec (len bytes) into
   status: "not_started" if the replica holds none. */
void replica_query_status(MDB_txn *txn, const MDB_dbi dbi[AG_DB_COUNT], const char *rec,
                          size_t len, char status[32]);

/* Recommendation rec's text: the first present of its en, fr, ar texts,
   or NULL. Borrowed from rec. */
const msgpack_object *replica_query_text(const msgpack_object *rec);

/* Adds `text` to m: replica_query_text of rec (NULL: none), or "". */
void replica_query_text_pack(nmirf_mp_map_t *m, const msgpack_object *rec);

/* Adds the deadline marks to m: `days_left` if has_left, `due` if not
   NULL (replica_query_due). */
void replica_query_marks_pack(nmirf_mp_map_t *m, bool has_left, int64_t left,
                              const char *due);

/* entity's role in assignment a (NULL: none): "lead", "contributor",
   or NULL if a names it neither way. */
const char *replica_query_role(const msgpack_object *a, const char *entity);

/* What a deadline means on day today (days since the epoch) with the
   due-soon horizon, for a recommendation in status: "overdue", "due_soon"
   or NULL, and the days left into *left (*has_left false if deadline is
   not a date). The rule of the broker's deadline events (PROTOCOL.md
   section 7): overdue from the day after the deadline, due soon from
   horizon days before it to the day itself, neither once implemented. */
const char *replica_query_due(const msgpack_object *deadline, int64_t today,
                              uint64_t horizon, const char *status, int64_t *left,
                              bool *has_left);

/* Packs into pk one item for record o (zone-allocated; zone is cleared
   before each record) of a database replica_query_pack_each walks, with
   the walker's arg; returns true if it packed one, false to leave the
   record out (packing nothing). */
typedef bool replica_query_item_fn(MDB_txn *txn, const MDB_dbi *dbi,
                                   const msgpack_object *o, const void *arg,
                                   msgpack_zone *zone, msgpack_packer *pk);

/* Walks db in key order and packs into pk the array of the items item()
   makes of its records (one that does not unpack is skipped). Returns 0,
   or an LMDB error code (then nothing is packed). */
int replica_query_pack_each(MDB_txn *txn, const MDB_dbi dbi[AG_DB_COUNT], agent_db_t db,
                            replica_query_item_fn *item, const void *arg,
                            msgpack_packer *pk);

/* rec.list: the recommendations that pass q's filters, in id order,
   q->offset skipped, at most q->limit; today (a valid YYYY-MM-DD) and
   horizon judge the deadlines. Packs {replica..., today, due_soon_days,
   total, offset, limit, recs: [item]}. Returns NMIRF_OK, or
   NMIRF_E_STORAGE with a reason. */
nmirf_code_t replica_query_rec_list(MDB_txn *txn, const MDB_dbi dbi[AG_DB_COUNT],
                                    const nmirf_ctl_replica_t *st,
                                    const nmirf_ctl_rec_list_t *q, const char *today,
                                    uint64_t horizon, msgpack_packer *pk, char *why,
                                    size_t whylen);

/* rec.show: recommendation rec with its assignment, implementation
   status, reports (oldest first) and linked measures. Packs {replica...,
   today, due_soon_days, rec, status, assignment, role, deadline marks,
   reports, measures}. Returns NMIRF_OK, NMIRF_E_NOT_FOUND (nothing packed)
   or NMIRF_E_STORAGE, with a reason. */
nmirf_code_t replica_query_rec_show(MDB_txn *txn, const MDB_dbi dbi[AG_DB_COUNT],
                                    const nmirf_ctl_replica_t *st, const char *rec,
                                    const char *today, uint64_t horizon,
                                    msgpack_packer *pk, char *why, size_t whylen);

/* measure.list: the measures linked to rec, or (rec NULL) to any
   recommendation assigned to st->entity (every measure when st->entity
   is the coordinator, who follows them all), in id order. Packs {replica...,
   rec: str|nil, measures: [measure]}. Returns NMIRF_OK or
   NMIRF_E_STORAGE with a reason. */
nmirf_code_t replica_query_measure_list(MDB_txn *txn, const MDB_dbi dbi[AG_DB_COUNT],
                                        const nmirf_ctl_replica_t *st, const char *rec,
                                        msgpack_packer *pk, char *why, size_t whylen);

/* report.list: the reports that pass q's filters (state, entity, rec), in
   report id order, q->offset skipped, at most q->limit, each as the
   replica holds it. Packs {replica..., total, offset, limit, reports}.
   Returns NMIRF_OK, or NMIRF_E_STORAGE with a reason. */
nmirf_code_t replica_query_report_list(MDB_txn *txn, const MDB_dbi dbi[AG_DB_COUNT],
                                       const nmirf_ctl_replica_t *st,
                                       const nmirf_ctl_report_list_t *q,
                                       msgpack_packer *pk, char *why, size_t whylen);

/* entity.list: every entity record, in id order. Packs {replica...,
   entities}. Returns NMIRF_OK, or NMIRF_E_STORAGE with a reason. */
nmirf_code_t replica_query_entity_list(MDB_txn *txn, const MDB_dbi dbi[AG_DB_COUNT],
                                       const nmirf_ctl_replica_t *st, msgpack_packer *pk,
                                       char *why, size_t whylen);

#endif
