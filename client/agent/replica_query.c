/*  replica_query - rec.list, rec.show, measure.list, report.list and
    entity.list from the replica alone (proto/CONTROL.md section 4), for
    the CLI and the web console.

    Records are the broker's, byte for byte (docs/AGENT.md, Replica): they
    are unpacked with nmirf_mp_unpack (checked, as anything read from a
    file) and packed back as they are, so a client reads the same record
    shapes as PROTOCOL.md section 6 describes. A record that does not
    unpack is skipped: a query shows what it can read.
*/
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "nmirf_mp.h"
#include "nmirf_schema.h"
#include "nmirf_util.h"
#include "replica_query.h"

#define WHY(...)                                                                         \
    do {                                                                                 \
        if (why && whylen)                                                               \
            snprintf(why, whylen, __VA_ARGS__);                                          \
    } while (0)

const char *
replica_query_due(const msgpack_object *deadline, int64_t today, uint64_t horizon,
                  const char *status, int64_t *left, bool *has_left)
{
    char d[16];
    *has_left = deadline && deadline->type == MSGPACK_OBJECT_STR &&
                nmirf_mp_strcpy(deadline, d, sizeof d) == 0 &&
                nmirf_date_valid(d, strlen(d));
    if (!*has_left)
        return NULL;
    *left = nmirf_date_days(d) - today;
    if (strcmp(status, "implemented") == 0)
        return NULL;
    if (*left < 0)
        return "overdue";
    return *left <= (int64_t)horizon ? "due_soon" : NULL;
}

int
replica_query_get(MDB_txn *txn, MDB_dbi dbi, const void *key, size_t klen,
                  msgpack_zone *zone, msgpack_object *obj)
{
    MDB_val k = {klen, (void *)key}, v;
    int rc = mdb_get(txn, dbi, &k, &v);
    if (rc)
        return rc;
    return nmirf_mp_unpack(v.mv_data, v.mv_size, zone, obj, NULL, 0) == NMIRF_OK ? 0 : -1;
}

void
replica_query_status(MDB_txn *txn, const MDB_dbi dbi[AG_DB_COUNT], const char *rec,
                     size_t len, char status[32])
{
    strcpy(status, "not_started");
    MDB_val k = {len, (void *)rec}, v;
    if (len && mdb_get(txn, dbi[AG_DB_STATUS], &k, &v) == 0 && v.mv_size < 32) {
        memcpy(status, v.mv_data, v.mv_size);
        status[v.mv_size] = 0;
    }
}

const char *
replica_query_role(const msgpack_object *a, const char *entity)
{
    if (!a)
        return NULL;
    if (nmirf_mp_str_is(nmirf_mp_get(a, "lead"), entity))
        return "lead";
    const msgpack_object *c = nmirf_mp_get(a, "contributors");
    if (c && c->type == MSGPACK_OBJECT_ARRAY)
        for (uint32_t i = 0; i < c->via.array.size; i++)
            if (nmirf_mp_str_is(&c->via.array.ptr[i], entity))
                return "contributor";
    return NULL;
}

int
replica_query_is_coordinator(MDB_txn *txn, const MDB_dbi dbi[AG_DB_COUNT],
                             const char *entity)
{
    msgpack_zone zone;
    msgpack_zone_init(&zone, 1024);
    msgpack_object rec;
    int is = -1;
    if (replica_query_get(txn, dbi[AG_DB_ENTITIES], entity, strlen(entity), &zone,
                          &rec) == 0)
        is = nmirf_mp_str_is(nmirf_mp_get(&rec, "role"), "coordinator");
    msgpack_zone_destroy(&zone);
    return is;
}

const msgpack_object *
replica_query_text(const msgpack_object *rec)
{
    static const char *const langs[] = {"en", "fr", "ar"};
    const msgpack_object *texts = nmirf_mp_get(rec, "text");
    for (int i = 0; i < 3; i++) {
        const msgpack_object *t = nmirf_mp_get(texts, langs[i]);
        if (t && t->type == MSGPACK_OBJECT_STR)
            return t;
    }
    return NULL;
}

/* True if str object o holds needle, ASCII letters compared without case. */
static bool
s_has(const msgpack_object *o, const char *needle)
{
    if (!o || o->type != MSGPACK_OBJECT_STR)
        return false;
    size_t n = strlen(needle), len = o->via.str.size;
    const char *h = o->via.str.ptr;
    for (size_t i = 0; n <= len && i <= len - n; i++) {
        size_t j = 0;
        while (j < n &&
               tolower((unsigned char)h[i + j]) == tolower((unsigned char)needle[j]))
            j++;
        if (j == n)
            return true;
    }
    return false;
}

/* True if recommendation r matches text search q: in its id, symbol or
   any of its texts. */
static bool
s_matches(const msgpack_object *r, const char *q)
{
    if (s_has(nmirf_mp_get(r, "id"), q) || s_has(nmirf_mp_get(r, "symbol"), q))
        return true;
    const msgpack_object *texts = nmirf_mp_get(r, "text");
    for (uint32_t i = 0;
         texts && texts->type == MSGPACK_OBJECT_MAP && i < texts->via.map.size; i++)
        if (s_has(&texts->via.map.ptr[i].val, q))
            return true;
    return false;
}

void
replica_query_text_pack(nmirf_mp_map_t *m, const msgpack_object *rec)
{
    const msgpack_object *text = rec ? replica_query_text(rec) : NULL;
    if (text)
        nmirf_mp_map_obj(m, "text", text);
    else
        nmirf_mp_map_str(m, "text", "");
    /* Every language the record has, so that a console shows its own. */
    const msgpack_object *all = rec ? nmirf_mp_get(rec, "text") : NULL;
    if (all && all->type == MSGPACK_OBJECT_MAP)
        nmirf_mp_map_obj(m, "texts", all);
}

void
replica_query_marks_pack(nmirf_mp_map_t *m, bool has_left, int64_t left, const char *due)
{
    if (has_left)
        nmirf_mp_map_int(m, "days_left", left);
    if (due)
        nmirf_mp_map_str(m, "due", due);
}

/* The head every query packs: where the replica stands, and the day and
   horizon deadlines were judged against. */
static void
s_head(nmirf_mp_map_t *m, const nmirf_ctl_replica_t *st, const char *today,
       uint64_t horizon)
{
    nmirf_ctl_replica_pack(m, st, true);
    nmirf_mp_map_str(m, "today", today);
    nmirf_mp_map_uint(m, "due_soon_days", horizon);
}

/* One rec.list item. */
static void
s_pack_item(msgpack_packer *pk, const msgpack_object *r, const msgpack_object *a,
            const char *role, const char *status, const msgpack_object *deadline,
            bool has_left, int64_t left, const char *due)
{
    const msgpack_object *symbol = nmirf_mp_get(r, "symbol");
    nmirf_mp_map_t m;
    nmirf_mp_map_init(&m);
    nmirf_mp_map_obj(&m, "id", nmirf_mp_get(r, "id"));
    nmirf_mp_map_obj(&m, "mechanism", nmirf_mp_get(r, "mechanism"));
    if (symbol)
        nmirf_mp_map_obj(&m, "symbol", symbol);
    replica_query_text_pack(&m, r);
    nmirf_mp_map_obj(&m, "response", nmirf_mp_get(r, "response"));
    nmirf_mp_map_str(&m, "status", status);
    nmirf_mp_map_obj(&m, "lead", a ? nmirf_mp_get(a, "lead") : NULL);
    const msgpack_object *c = a ? nmirf_mp_get(a, "contributors") : NULL;
    if (c)
        nmirf_mp_map_obj(&m, "contributors", c);
    else
        msgpack_pack_array(nmirf_mp_map_key(&m, "contributors"), 0);
    if (deadline)
        nmirf_mp_map_obj(&m, "deadline", deadline);
    replica_query_marks_pack(&m, has_left, left, due);
    nmirf_mp_map_str_or_nil(&m, "role", role);
    nmirf_mp_map_obj(&m, "updated", nmirf_mp_get(r, "updated"));
    const msgpack_object *w = nmirf_mp_get(r, "withdrawn");
    if (w)
        nmirf_mp_map_obj(&m, "withdrawn", w);
    nmirf_mp_map_finish(&m, pk);
}

/* True if our role passes scope. */
static bool
s_in_scope(nmirf_ctl_scope_t scope, const char *role)
{
    switch (scope) {
    case NMIRF_CTL_SCOPE_OURS:
        return role != NULL;
    case NMIRF_CTL_SCOPE_LEAD:
        return role && strcmp(role, "lead") == 0;
    case NMIRF_CTL_SCOPE_CONTRIBUTOR:
        return role && strcmp(role, "contributor") == 0;
    default:
        return true;
    }
}

nmirf_code_t
replica_query_rec_list(MDB_txn *txn, const MDB_dbi dbi[AG_DB_COUNT],
                       const nmirf_ctl_replica_t *st, const nmirf_ctl_rec_list_t *q,
                       const char *today, uint64_t horizon, msgpack_packer *pk, char *why,
                       size_t whylen)
{
    MDB_cursor *cur;
    if (mdb_cursor_open(txn, dbi[AG_DB_RECS], &cur)) {
        WHY("cannot read the replica");
        return NMIRF_E_STORAGE;
    }
    int64_t day = nmirf_date_days(today);
    msgpack_sbuffer items;
    msgpack_packer ipk;
    msgpack_sbuffer_init(&items);
    msgpack_packer_init(&ipk, &items, msgpack_sbuffer_write);
    msgpack_zone zone;
    msgpack_zone_init(&zone, 4096);
    uint64_t total = 0, packed = 0;
    MDB_val k, v;
    int c;
    for (c = mdb_cursor_get(cur, &k, &v, MDB_FIRST); c == 0;
         c = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        msgpack_zone_clear(&zone);
        msgpack_object r, aobj;
        if (nmirf_mp_unpack(v.mv_data, v.mv_size, &zone, &r, NULL, 0) != NMIRF_OK ||
            r.type != MSGPACK_OBJECT_MAP)
            continue;
        /* Withdrawn ones (rec.withdraw, rec.merge) only when asked. */
        if (!q->withdrawn && nmirf_mp_get(&r, "withdrawn"))
            continue;
        const msgpack_object *a =
            replica_query_get(txn, dbi[AG_DB_ASSIGNMENTS], k.mv_data, k.mv_size, &zone,
                              &aobj) == 0
                ? &aobj
                : NULL;
        const char *role = replica_query_role(a, st->entity);
        if (!s_in_scope(q->scope, role))
            continue;
        char status[32];
        replica_query_status(txn, dbi, k.mv_data, k.mv_size, status);
        if (q->status[0] && strcmp(q->status, status) != 0)
            continue;
        if (q->mechanism[0] &&
            !nmirf_mp_str_is(nmirf_mp_get(&r, "mechanism"), q->mechanism))
            continue;
        const msgpack_object *deadline = a ? nmirf_mp_get(a, "deadline") : NULL;
        int64_t left = 0;
        bool has_left;
        const char *due =
            replica_query_due(deadline, day, horizon, status, &left, &has_left);
        if (q->due == NMIRF_CTL_DUE_OVERDUE && !(due && strcmp(due, "overdue") == 0))
            continue;
        if (q->due == NMIRF_CTL_DUE_SOON && !(due && strcmp(due, "due_soon") == 0))
            continue;
        if (q->q[0] && !s_matches(&r, q->q))
            continue;
        /* Counted whatever the page, so a page knows how many there are. */
        if (total++ < q->offset || packed >= q->limit)
            continue;
        s_pack_item(&ipk, &r, a, role, status, deadline, has_left, left, due);
        packed++;
    }
    mdb_cursor_close(cur);
    msgpack_zone_destroy(&zone);
    if (c != MDB_NOTFOUND) {
        msgpack_sbuffer_destroy(&items);
        WHY("cannot read the replica: %s", mdb_strerror(c));
        return NMIRF_E_STORAGE;
    }
    nmirf_mp_map_t m;
    nmirf_mp_map_init(&m);
    s_head(&m, st, today, horizon);
    nmirf_mp_map_uint(&m, "total", total);
    nmirf_mp_map_uint(&m, "offset", q->offset);
    nmirf_mp_map_uint(&m, "limit", q->limit);
    msgpack_pack_array(nmirf_mp_map_key(&m, "recs"), (uint32_t)packed);
    msgpack_sbuffer_write(&m.buf, items.data, items.size);
    msgpack_sbuffer_destroy(&items);
    nmirf_mp_map_finish(&m, pk);
    return NMIRF_OK;
}

/* True if measure m is linked to recommendation rec. */
static bool
s_links(const msgpack_object *m, const char *rec)
{
    const msgpack_object *recs = nmirf_mp_get(m, "recs");
    for (uint32_t i = 0;
         recs && recs->type == MSGPACK_OBJECT_ARRAY && i < recs->via.array.size; i++)
        if (nmirf_mp_str_is(&recs->via.array.ptr[i], rec))
            return true;
    return false;
}

/* True if measure m is linked to a recommendation assigned to entity. */
static bool
s_ours(MDB_txn *txn, const MDB_dbi dbi[AG_DB_COUNT], const msgpack_object *m,
       const char *entity, msgpack_zone *zone)
{
    const msgpack_object *recs = nmirf_mp_get(m, "recs");
    for (uint32_t i = 0;
         recs && recs->type == MSGPACK_OBJECT_ARRAY && i < recs->via.array.size; i++) {
        const msgpack_object *r = &recs->via.array.ptr[i];
        msgpack_object a;
        if (r->type == MSGPACK_OBJECT_STR &&
            replica_query_get(txn, dbi[AG_DB_ASSIGNMENTS], r->via.str.ptr,
                              r->via.str.size, zone, &a) == 0 &&
            replica_query_role(&a, entity))
            return true;
    }
    return false;
}

int
replica_query_pack_each(MDB_txn *txn, const MDB_dbi dbi[AG_DB_COUNT], agent_db_t db,
                        replica_query_item_fn *item, const void *arg, msgpack_packer *pk)
{
    MDB_cursor *cur;
    int c = mdb_cursor_open(txn, dbi[db], &cur);
    if (c)
        return c;
    msgpack_sbuffer items;
    msgpack_packer ipk;
    msgpack_sbuffer_init(&items);
    msgpack_packer_init(&ipk, &items, msgpack_sbuffer_write);
    msgpack_zone zone;
    msgpack_zone_init(&zone, 4096);
    uint32_t n = 0;
    MDB_val k, v;
    for (c = mdb_cursor_get(cur, &k, &v, MDB_FIRST); c == 0;
         c = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        msgpack_zone_clear(&zone);
        msgpack_object o;
        if (nmirf_mp_unpack(v.mv_data, v.mv_size, &zone, &o, NULL, 0) == NMIRF_OK &&
            item(txn, dbi, &o, arg, &zone, &ipk))
            n++;
    }
    mdb_cursor_close(cur);
    msgpack_zone_destroy(&zone);
    if (c == MDB_NOTFOUND) {
        c = 0;
        msgpack_pack_array(pk, n);
        pk->callback(pk->data, items.data, items.size);
    }
    msgpack_sbuffer_destroy(&items);
    return c;
}

/* What s_pack_where walks with: a record filter and its argument. */
typedef struct {
    bool (*keep)(MDB_txn *, const MDB_dbi *, const msgpack_object *, const void *,
                 msgpack_zone *); /* true to pack the record; NULL: every one */
    const void *arg;              /* keep's */
} s_where_t;

/* replica_query_item_fn of s_pack_where: the record itself if kept. */
static bool
s_item_kept(MDB_txn *txn, const MDB_dbi *dbi, const msgpack_object *o, const void *arg,
            msgpack_zone *zone, msgpack_packer *pk)
{
    const s_where_t *w = arg;
    if (w->keep && !w->keep(txn, dbi, o, w->arg, zone))
        return false;
    nmirf_mp_pack_object(pk, o);
    return true;
}

/* Packs the records of db (walked in key order) that keep() accepts
   (every one if keep is NULL), as an array. Returns 0, or an LMDB error code. */
static int
s_pack_where(MDB_txn *txn, const MDB_dbi dbi[AG_DB_COUNT], agent_db_t db,
             bool (*keep)(MDB_txn *, const MDB_dbi *, const msgpack_object *,
                          const void *, msgpack_zone *),
             const void *arg, msgpack_packer *pk)
{
    s_where_t w = {.keep = keep, .arg = arg};
    return replica_query_pack_each(txn, dbi, db, s_item_kept, &w, pk);
}

/* A query that could not walk the replica (LMDB code rc): drops its reply
   map m and says why. */
static nmirf_code_t
s_unreadable(nmirf_mp_map_t *m, int rc, char *why, size_t whylen)
{
    nmirf_mp_map_destroy(m);
    WHY("cannot read the replica: %s", mdb_strerror(rc));
    return NMIRF_E_STORAGE;
}

/* keep() of a report on recommendation arg. */
static bool
s_keep_report(MDB_txn *txn, const MDB_dbi *dbi, const msgpack_object *o, const void *arg,
              msgpack_zone *zone)
{
    (void)txn, (void)dbi, (void)zone;
    return nmirf_mp_str_is(nmirf_mp_get(o, "rec"), arg);
}

/* keep() of a measure linked to recommendation arg. */
static bool
s_keep_linked(MDB_txn *txn, const MDB_dbi *dbi, const msgpack_object *o, const void *arg,
              msgpack_zone *zone)
{
    (void)txn, (void)dbi, (void)zone;
    return s_links(o, arg);
}

/* keep() of a measure linked to a recommendation assigned to entity arg. */
static bool
s_keep_ours(MDB_txn *txn, const MDB_dbi *dbi, const msgpack_object *o, const void *arg,
            msgpack_zone *zone)
{
    /* A zone of its own: the caller's holds o. */
    msgpack_zone z;
    msgpack_zone_init(&z, 1024);
    bool ours = s_ours(txn, dbi, o, arg, &z);
    msgpack_zone_destroy(&z);
    (void)zone;
    return ours;
}

nmirf_code_t
replica_query_rec_show(MDB_txn *txn, const MDB_dbi dbi[AG_DB_COUNT],
                       const nmirf_ctl_replica_t *st, const char *rec, const char *today,
                       uint64_t horizon, msgpack_packer *pk, char *why, size_t whylen)
{
    msgpack_zone zone;
    msgpack_zone_init(&zone, 4096);
    msgpack_object r, aobj;
    size_t len = strlen(rec);
    int rc = replica_query_get(txn, dbi[AG_DB_RECS], rec, len, &zone, &r);
    if (rc) {
        msgpack_zone_destroy(&zone);
        if (rc == MDB_NOTFOUND) {
            WHY("rec.show: no recommendation %s in the replica", rec);
            return NMIRF_E_NOT_FOUND;
        }
        WHY("cannot read the replica");
        return NMIRF_E_STORAGE;
    }
    const msgpack_object *a =
        replica_query_get(txn, dbi[AG_DB_ASSIGNMENTS], rec, len, &zone, &aobj) == 0
            ? &aobj
            : NULL;
    char status[32];
    replica_query_status(txn, dbi, rec, len, status);
    const msgpack_object *deadline = a ? nmirf_mp_get(a, "deadline") : NULL;
    int64_t left = 0;
    bool has_left;
    const char *due = replica_query_due(deadline, nmirf_date_days(today), horizon, status,
                                        &left, &has_left);
    /* Packed into m, which a failed walk drops: then nothing is packed. */
    nmirf_mp_map_t m;
    nmirf_mp_map_init(&m);
    s_head(&m, st, today, horizon);
    nmirf_mp_map_obj(&m, "rec", &r);
    nmirf_mp_map_str(&m, "status", status);
    nmirf_mp_map_obj(&m, "assignment", a);
    nmirf_mp_map_str_or_nil(&m, "role", replica_query_role(a, st->entity));
    replica_query_marks_pack(&m, has_left, left, due);
    rc = s_pack_where(txn, dbi, AG_DB_REPORTS, s_keep_report, rec,
                      nmirf_mp_map_key(&m, "reports"));
    if (!rc)
        rc = s_pack_where(txn, dbi, AG_DB_MEASURES, s_keep_linked, rec,
                          nmirf_mp_map_key(&m, "measures"));
    msgpack_zone_destroy(&zone);
    if (rc)
        return s_unreadable(&m, rc, why, whylen);
    nmirf_mp_map_finish(&m, pk);
    return NMIRF_OK;
}

nmirf_code_t
replica_query_measure_list(MDB_txn *txn, const MDB_dbi dbi[AG_DB_COUNT],
                           const nmirf_ctl_replica_t *st, const char *rec,
                           msgpack_packer *pk, char *why, size_t whylen)
{
    nmirf_mp_map_t m;
    nmirf_mp_map_init(&m);
    nmirf_ctl_replica_pack(&m, st, true);
    nmirf_mp_map_str_or_nil(&m, "rec", rec);
    msgpack_packer *mpk = nmirf_mp_map_key(&m, "measures");
    int rc;
    if (rec)
        rc = s_pack_where(txn, dbi, AG_DB_MEASURES, s_keep_linked, rec, mpk);
    else if (replica_query_is_coordinator(txn, dbi, st->entity) == 1)
        rc = s_pack_where(txn, dbi, AG_DB_MEASURES, NULL, NULL, mpk);
    else
        rc = s_pack_where(txn, dbi, AG_DB_MEASURES, s_keep_ours, st->entity, mpk);
    if (rc)
        return s_unreadable(&m, rc, why, whylen);
    nmirf_mp_map_finish(&m, pk);
    return NMIRF_OK;
}

/* What a report.list page counts as it walks (replica_query_pack_each's
   arg). */
typedef struct {
    const nmirf_ctl_report_list_t *q; /* the filters and the page */
    uint64_t total;                   /* reports that passed, so far */
} s_report_page_t;

/* replica_query_item_fn of report.list: report o if it passes the
   filters and falls in the page. */
static bool
s_report_item(MDB_txn *txn, const MDB_dbi *dbi, const msgpack_object *o, const void *arg,
              msgpack_zone *zone, msgpack_packer *pk)
{
    (void)txn, (void)dbi, (void)zone;
    /* The walker's arg is const for the filters it usually carries; this
       one also counts. */
    s_report_page_t *p = (s_report_page_t *)arg;
    const nmirf_ctl_report_list_t *q = p->q;
    if ((q->state[0] && !nmirf_mp_str_is(nmirf_mp_get(o, "state"), q->state)) ||
        (q->entity[0] && !nmirf_mp_str_is(nmirf_mp_get(o, "entity"), q->entity)) ||
        (q->rec[0] && !nmirf_mp_str_is(nmirf_mp_get(o, "rec"), q->rec)))
        return false;
    uint64_t n = p->total++;
    if (n < q->offset || n - q->offset >= q->limit)
        return false;
    nmirf_mp_pack_object(pk, o);
    return true;
}

nmirf_code_t
replica_query_report_list(MDB_txn *txn, const MDB_dbi dbi[AG_DB_COUNT],
                          const nmirf_ctl_replica_t *st, const nmirf_ctl_report_list_t *q,
                          msgpack_packer *pk, char *why, size_t whylen)
{
    s_report_page_t page = {.q = q};
    msgpack_sbuffer items;
    msgpack_packer ipk;
    msgpack_sbuffer_init(&items);
    msgpack_packer_init(&ipk, &items, msgpack_sbuffer_write);
    int rc = replica_query_pack_each(txn, dbi, AG_DB_REPORTS, s_report_item, &page, &ipk);
    if (rc) {
        msgpack_sbuffer_destroy(&items);
        WHY("cannot read the replica: %s", mdb_strerror(rc));
        return NMIRF_E_STORAGE;
    }
    /* total is known only after the walk: the head is packed after it. */
    nmirf_mp_map_t m;
    nmirf_mp_map_init(&m);
    nmirf_ctl_replica_pack(&m, st, true);
    nmirf_mp_map_uint(&m, "total", page.total);
    nmirf_mp_map_uint(&m, "offset", q->offset);
    nmirf_mp_map_uint(&m, "limit", q->limit);
    nmirf_mp_map_key(&m, "reports");
    msgpack_sbuffer_write(&m.buf, items.data, items.size);
    msgpack_sbuffer_destroy(&items);
    nmirf_mp_map_finish(&m, pk);
    return NMIRF_OK;
}

/* keep() of every record. */
static bool
s_keep_all(MDB_txn *txn, const MDB_dbi *dbi, const msgpack_object *o, const void *arg,
           msgpack_zone *zone)
{
    (void)txn, (void)dbi, (void)o, (void)arg, (void)zone;
    return true;
}

nmirf_code_t
replica_query_entity_list(MDB_txn *txn, const MDB_dbi dbi[AG_DB_COUNT],
                          const nmirf_ctl_replica_t *st, msgpack_packer *pk, char *why,
                          size_t whylen)
{
    nmirf_mp_map_t m;
    nmirf_mp_map_init(&m);
    nmirf_ctl_replica_pack(&m, st, true);
    int rc = s_pack_where(txn, dbi, AG_DB_ENTITIES, s_keep_all, NULL,
                          nmirf_mp_map_key(&m, "entities"));
    if (rc)
        return s_unreadable(&m, rc, why, whylen);
    nmirf_mp_map_finish(&m, pk);
    return NMIRF_OK;
}
