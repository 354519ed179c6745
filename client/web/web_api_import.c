/*  web_api_import - a recommendations file, previewed against the replica
    and imported (docs/WEB.md section 2, Writes), for the coordinator.

    The body is the file's bytes, read with common/records
    (nmirf_recfile_read: the project's JSON and CSV, a UHRI export), as
    `nmirf rec import` reads it. The preview compares each recommendation
    with the replica's (rec.show), without `updated`, field by field; the
    import sends the good rows as rec.import in chunks under the broker's
    limits (NMIRF_IMPORT_MAX recommendations, and bytes well under its
    1 MiB envelope, as the command line cuts them), each chunk a control
    `submit` of its own. A file with a bad row is refused whole, naming
    every bad row, as the command line refuses it without --skip-bad.
*/
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "nmirf_json.h"
#include "nmirf_mp.h"
#include "nmirf_recfile.h"
#include "nmirf_util.h"
#include "web_api_int.h"

/* nmirf_recfile's JSON parse swaps jansson's allocator for the parse (a
   budget, process-wide): two parses at once would restore each other's.
   Imports are rare; they parse one at a time. */
static pthread_mutex_t s_parse_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const s_format_names[] = {"auto", "json", "csv", "uhri", NULL};
static const nmirf_valueset_t s_formats = {"format", s_format_names, 4};

/* Reads the body as a recommendations file, for a coordinator on the
   coordinator's console; NULL after answering (403, 400...). */
static nmirf_recfile_t *
s_read(web_api_t *api, const web_request_t *req, web_response_t *resp)
{
    if (!web_api_coordinator(api, req, resp))
        return NULL;
    static const web_arg_t args[] = {
        {"format", WEB_ARG_ENUM, &s_formats, 0, 0},
        {"name", WEB_ARG_STR, NULL, 0, 255},
    };
    json_t *a = json_object();
    if (web_api_args(req, args, 2, a, resp)) {
        json_decref(a);
        return NULL;
    }
    const char *format = json_string_value(json_object_get(a, "format"));
    const char *name = json_string_value(json_object_get(a, "name"));
    if (format && strcmp(format, "auto") == 0)
        format = NULL;
    char why[256] = "";
    nmirf_recfile_t *f = NULL;
    if (!req->body || req->body_len == 0)
        snprintf(why, sizeof why, "the file is empty");
    else {
        pthread_mutex_lock(&s_parse_lock);
        f = nmirf_recfile_read((const char *)req->body, req->body_len, name ? name : "",
                               format, NULL, why, sizeof why);
        pthread_mutex_unlock(&s_parse_lock);
    }
    if (!f)
        web_api_error(resp, 400, "bad_request", "%s: %s", name ? name : "the file", why);
    json_decref(a);
    return f;
}

/* [{row, message}] of the bad rows. */
static json_t *
s_bad_rows(const nmirf_recfile_t *f)
{
    json_t *errors = json_array();
    for (size_t i = 0; i < f->count; i++)
        if (!f->rows[i].rec)
            json_array_append_new(errors, json_pack("{s:I, s:s}", "row",
                                                    (json_int_t)f->rows[i].line,
                                                    "message", f->rows[i].why));
    return errors;
}

/* A field of a recommendation as the broker stores it (daemon/ops_rec.c,
   s_pack_rec): null and an empty list are absent, an absent `text` is {}
   and an absent `response` "pending" for the UPR, "not_applicable" for
   the others. NULL: absent. */
static json_t *
s_stored(const json_t *rec, const char *key, json_t *empty_text, json_t *pending,
         json_t *not_applicable)
{
    json_t *v = json_object_get(rec, key);
    if (v && (json_is_null(v) || (json_is_array(v) && json_array_size(v) == 0)))
        v = NULL;
    if (!v && strcmp(key, "text") == 0)
        return empty_text;
    if (!v && strcmp(key, "response") == 0) {
        const char *mech = json_string_value(json_object_get(rec, "mechanism"));
        return mech && strcmp(mech, "UPR") == 0 ? pending : not_applicable;
    }
    return v;
}

/* The names of the fields that differ between the replica's record old
   and the file's rec, as the broker would store rec (`updated` is not
   compared): what its rec.import would count as updated. */
static json_t *
s_changed(const json_t *old, const json_t *rec)
{
    json_t *fields = json_array(), *empty = json_object(),
           *pending = json_string("pending"), *na = json_string("not_applicable");
    for (int i = 0; i < nmirf_fields_recommendation.count; i++) {
        const char *k = nmirf_fields_recommendation.fields[i].key;
        json_t *a = s_stored(old, k, empty, pending, na),
               *b = s_stored(rec, k, empty, pending, na);
        if ((a || b) && !(a && b && json_equal(a, b)))
            json_array_append_new(fields, json_string(k));
    }
    json_decref(empty);
    json_decref(pending);
    json_decref(na);
    return fields;
}

void
web_api_import_preview(web_api_t *api, const web_request_t *req, const char *rest,
                       web_response_t *resp)
{
    (void)rest;
    nmirf_recfile_t *f = s_read(api, req, resp);
    if (!f)
        return;
    json_t *added = json_array(), *changed = json_array();
    size_t unchanged = 0;
    for (size_t i = 0; i < f->count; i++) {
        const json_t *rec = f->rows[i].rec;
        if (!rec)
            continue;
        const char *id = json_string_value(json_object_get(rec, "id"));
        char why[256];
        nmirf_reply_t *r;
        json_t *q = json_pack("{s:s}", "rec", id);
        msgpack_sbuffer b;
        msgpack_sbuffer_init(&b);
        web_api_pack(q, &b);
        json_decref(q);
        int rc = web_agent_call(api->agent, "rec.show", &b, WEB_AGENT_TIMEOUT_MS, &r, why,
                                sizeof why);
        msgpack_sbuffer_destroy(&b);
        if (rc) {
            web_api_error(resp, 503, "agent_down", "%s", why);
            goto out;
        }
        if (!r->ok && r->code != NMIRF_E_NOT_FOUND) {
            web_api_refusal(resp, r);
            nmirf_reply_destroy(&r);
            goto out;
        }
        if (!r->ok) {
            json_t *text = json_object_get(rec, "text");
            json_array_append_new(added,
                                  json_pack("{s:s, s:O, s:O}", "id", id, "mechanism",
                                            json_object_get(rec, "mechanism"), "text",
                                            text ? text : json_null()));
        } else {
            json_t *old = nmirf_json_from_mp(nmirf_mp_get(&r->body, "rec"));
            json_t *fields = s_changed(old, rec);
            json_decref(old);
            if (json_array_size(fields) == 0) {
                unchanged++;
                json_decref(fields);
            } else
                json_array_append_new(
                    changed, json_pack("{s:s, s:o}", "id", id, "fields", fields));
        }
        nmirf_reply_destroy(&r);
    }
    web_api_json(resp, 200,
                 json_pack("{s:s, s:O, s:O, s:I, s:o}", "format", f->format, "added",
                           added, "changed", changed, "unchanged", (json_int_t)unchanged,
                           "errors", s_bad_rows(f)));
out:
    json_decref(added);
    json_decref(changed);
    nmirf_recfile_destroy(&f);
}

/* The totals of the delivered chunks and the ids of the queued ones. */
typedef struct {
    uint64_t added, updated, unchanged;
    size_t delivered, sent;
    json_t *queued; /* request ids, hex */
} s_totals_t;

/* What s_send needs: the API, the answer, the totals. */
typedef struct {
    web_api_t *api;
    web_response_t *resp;
    s_totals_t *t;
} s_run_t;

/* Submits one rec.import request of count recommendations (an
   nmirf_import_send_fn). Returns 0 or -1 (resp answered with the
   refusal). */
static int
s_send(const msgpack_sbuffer *body, size_t count, void *arg)
{
    s_run_t *run = arg;
    web_api_t *api = run->api;
    web_response_t *resp = run->resp;
    s_totals_t *t = run->t;
    uint8_t id[NMIRF_ID_LEN];
    nmirf_random_id(id, sizeof id);
    nmirf_reply_t *r = NULL;
    free(resp->body);
    memset(resp, 0, sizeof *resp);
    int rc = web_api_submit(api, resp, "rec.import", body, id, &r);
    if (rc < 0)
        return -1;
    t->sent += count;
    if (rc == 1) {
        char hex[2 * NMIRF_ID_LEN + 1];
        nmirf_hex(id, NMIRF_ID_LEN, hex);
        json_array_append_new(t->queued, json_string(hex));
        return 0;
    }
    const msgpack_object *o;
    if ((o = nmirf_mp_get(&r->body, "added")) &&
        o->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
        t->added += o->via.u64;
    if ((o = nmirf_mp_get(&r->body, "updated")) &&
        o->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
        t->updated += o->via.u64;
    if ((o = nmirf_mp_get(&r->body, "unchanged")) &&
        o->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
        t->unchanged += o->via.u64;
    t->delivered += count;
    nmirf_reply_destroy(&r);
    return 0;
}

void
web_api_import(web_api_t *api, const web_request_t *req, const char *rest,
               web_response_t *resp)
{
    (void)rest;
    nmirf_recfile_t *f = s_read(api, req, resp);
    if (!f)
        return;
    if (f->bad > 0) {
        json_t *e = json_pack("{s:s, s:s, s:o}", "code", "bad_request", "message", "",
                              "rows", s_bad_rows(f));
        char message[128];
        snprintf(message, sizeof message,
                 "%zu of %zu recommendations are bad; nothing imported", f->bad,
                 f->count);
        json_object_set_new(e, "message", json_string(message));
        web_api_json(resp, 400, e);
        nmirf_recfile_destroy(&f);
        return;
    }
    s_totals_t t = {.queued = json_array()};
    s_run_t run = {api, resp, &t};
    nmirf_import_batch_t batch;
    nmirf_import_batch_init(&batch, s_send, &run);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < f->count; i++)
        rc = nmirf_import_batch_add(&batch, f->rows[i].rec);
    if (rc == 0)
        rc = nmirf_import_batch_flush(&batch);
    nmirf_import_batch_destroy(&batch);
    json_t *totals = json_pack(
        "{s:I, s:I, s:I, s:I, s:I, s:s}", "added", (json_int_t)t.added, "updated",
        (json_int_t)t.updated, "unchanged", (json_int_t)t.unchanged, "delivered",
        (json_int_t)t.delivered, "count", (json_int_t)f->count, "format", f->format);
    if (rc) {
        /* resp holds the refusal: say how far the import got. */
        json_t *e = json_loadb(resp->body, resp->len, 0, NULL);
        if (e) {
            json_object_set_new(e, "imported", totals);
            free(resp->body);
            web_api_json(resp, resp->status, e);
        } else
            json_decref(totals);
    } else {
        free(resp->body);
        if (json_array_size(t.queued)) {
            json_object_set_new(totals, "state", json_string("queued"));
            json_object_set(totals, "queued", t.queued);
            web_api_json(resp, 202, totals);
        } else {
            json_object_set_new(totals, "state", json_string("delivered"));
            web_api_json(resp, 200, totals);
        }
    }
    json_decref(t.queued);
    nmirf_recfile_destroy(&f);
}
