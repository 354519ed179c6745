/*  nmirf_notify - the agent's notifications as JSON text (nmirf_notify.h).

    The encoder builds the object key by key in the contract's order
    (jansson keeps insertion order) and dumps it compact: the bytes a hook
    or a --notify-log reader has always seen. The decoder checks the size
    before jansson sees a byte, and each field after.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nmirf_notify.h"

static const char *const s_kinds[NMIRF_NOTIFY_KIND_COUNT + 1] = {
    [NMIRF_NOTIFY_ASSIGNED] = "assigned",
    [NMIRF_NOTIFY_UNASSIGNED] = "unassigned",
    [NMIRF_NOTIFY_VALIDATED] = "validated",
    [NMIRF_NOTIFY_RETURNED] = "returned",
    [NMIRF_NOTIFY_REC_UPDATED] = "rec_updated",
    [NMIRF_NOTIFY_DEADLINE_DUE_SOON] = "deadline.due_soon",
    [NMIRF_NOTIFY_DEADLINE_OVERDUE] = "deadline.overdue",
    [NMIRF_NOTIFY_MEASURE_ADDED] = "measure.added",
    [NMIRF_NOTIFY_MEASURE_UPDATED] = "measure.updated",
    [NMIRF_NOTIFY_REFUSED] = "refused",
    [NMIRF_NOTIFY_KEY_REFUSED] = "key_refused",
};
const nmirf_valueset_t nmirf_notify_kinds = {"notification kind", s_kinds,
                                             NMIRF_NOTIFY_KIND_COUNT};

#define WHY(...)                                                                         \
    do {                                                                                 \
        if (why && whylen)                                                               \
            snprintf(why, whylen, __VA_ARGS__);                                          \
    } while (0)

bool
nmirf_notify_from_event(nmirf_notify_kind_t kind)
{
    return kind < NMIRF_NOTIFY_REFUSED;
}

/* Sets key of j to the string s; false if s is not UTF-8 or memory ran
   out. */
static bool
s_set_str(json_t *j, const char *key, const char *s)
{
    return json_object_set_new(j, key, json_string(s)) == 0;
}

static bool
s_set_uint(json_t *j, const char *key, uint64_t v)
{
    /* seq and pending stay far below 2^63, as json_int_t requires. */
    return json_object_set_new(j, key, json_integer((json_int_t)v)) == 0;
}

/* The data object of a refused or key_refused notification; NULL on
   failure. hex is the request id's. */
static json_t *
s_own_data(const nmirf_notify_t *n, const char *hex)
{
    json_t *d = json_object();
    bool ok = d != NULL;
    if (n->kind == NMIRF_NOTIFY_REFUSED)
        ok = ok && n->code && n->message && s_set_str(d, "id", hex) &&
             s_set_str(d, "op", n->event) && s_set_str(d, "code", n->code) &&
             s_set_str(d, "message", n->message);
    else
        ok = ok && s_set_str(d, "entity", n->subject) &&
             s_set_uint(d, "pending", n->pending);
    if (!ok)
        json_decref(d);
    return ok ? d : NULL;
}

char *
nmirf_notify_encode(const nmirf_notify_t *n)
{
    if (!n || (unsigned)n->kind >= NMIRF_NOTIFY_KIND_COUNT || !n->event)
        return NULL;
    bool refused = n->kind == NMIRF_NOTIFY_REFUSED;
    char hex[2 * NMIRF_ID_LEN + 1];
    for (int i = 0; i < NMIRF_ID_LEN; i++)
        snprintf(hex + 2 * i, 3, "%02x", n->id[i]);
    const char *subject = refused ? hex : n->subject;
    if (!subject)
        return NULL;
    if (nmirf_notify_from_event(n->kind) && !json_is_object(n->data))
        return NULL;

    json_t *j = json_object();
    bool ok = j && s_set_str(j, "kind", s_kinds[n->kind]) &&
              s_set_uint(j, "seq", n->seq) && s_set_str(j, "event", n->event) &&
              s_set_str(j, "subject", subject) &&
              (!n->rec || s_set_str(j, "rec", n->rec)) &&
              (!n->deadline || s_set_str(j, "deadline", n->deadline)) &&
              (!n->reason || s_set_str(j, "reason", n->reason));
    if (ok) {
        json_t *data =
            nmirf_notify_from_event(n->kind) ? json_incref(n->data) : s_own_data(n, hex);
        ok = json_object_set_new(j, "data", data) == 0;
    }
    char *text = ok ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    return text;
}

/* --- decode ------------------------------------------------------------ */

/* The string under key of obj, checked: present (unless optional), a
   string of 1..max bytes without NUL. Sets *out (NULL if absent) and
   returns NMIRF_OK, or the refusal with a reason. */
static nmirf_code_t
s_str(const json_t *obj, const char *where, const char *key, bool optional, size_t max,
      const char **out, char *why, size_t whylen)
{
    *out = NULL;
    const json_t *v = json_object_get(obj, key);
    if (!v) {
        if (optional)
            return NMIRF_OK;
        WHY("%s: `%s` missing", where, key);
        return NMIRF_E_BAD_REQUEST;
    }
    if (!json_is_string(v)) {
        WHY("%s: `%s` must be a string", where, key);
        return NMIRF_E_BAD_REQUEST;
    }
    size_t len = json_string_length(v);
    if (len == 0 || strlen(json_string_value(v)) != len) {
        WHY("%s: `%s` must be a non-empty string without NUL", where, key);
        return NMIRF_E_BAD_REQUEST;
    }
    if (len > max) {
        WHY("%s: `%s` over %zu bytes", where, key, max);
        return NMIRF_E_TOO_LARGE;
    }
    *out = json_string_value(v);
    return NMIRF_OK;
}

/* The unsigned integer under key of obj (present). */
static nmirf_code_t
s_uint(const json_t *obj, const char *where, const char *key, uint64_t *out, char *why,
       size_t whylen)
{
    const json_t *v = json_object_get(obj, key);
    if (!json_is_integer(v) || json_integer_value(v) < 0) {
        WHY("%s: `%s` must be an unsigned integer", where, key);
        return NMIRF_E_BAD_REQUEST;
    }
    *out = (uint64_t)json_integer_value(v);
    return NMIRF_OK;
}

/* True if s is YYYY-MM-DD in shape (digits and dashes; the broker checked
   the calendar). */
static bool
s_date_shaped(const char *s)
{
    if (strlen(s) != 10)
        return false;
    for (int i = 0; i < 10; i++)
        if (i == 4 || i == 7 ? s[i] != '-' : (s[i] < '0' || s[i] > '9'))
            return false;
    return true;
}

/* The 16 bytes of a 32-digit lowercase hex string; false if it is not. */
static bool
s_unhex(const char *s, uint8_t out[NMIRF_ID_LEN])
{
    if (strlen(s) != 2 * NMIRF_ID_LEN)
        return false;
    for (int i = 0; i < 2 * NMIRF_ID_LEN; i++) {
        char c = s[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (d < 0)
            return false;
        out[i / 2] = (uint8_t)(i % 2 ? out[i / 2] | d : d << 4);
    }
    return true;
}

/* The fields of n's kind, from root (an object). */
static nmirf_code_t
s_fields(nmirf_notify_t *n, const json_t *root, char *why, size_t whylen)
{
    const char *kind = s_kinds[n->kind];
    nmirf_code_t rc;
    if ((rc = s_uint(root, kind, "seq", &n->seq, why, whylen)) ||
        (rc = s_str(root, kind, "event", false, NMIRF_NOTIFY_SUBJECT_MAX, &n->event, why,
                    whylen)) ||
        (rc = s_str(root, kind, "subject", false, NMIRF_NOTIFY_SUBJECT_MAX, &n->subject,
                    why, whylen)) ||
        (rc = s_str(root, kind, "rec", true, NMIRF_REC_ID_MAX, &n->rec, why, whylen)) ||
        (rc = s_str(root, kind, "deadline", true, NMIRF_DATE_LEN, &n->deadline, why,
                    whylen)) ||
        (rc = s_str(root, kind, "reason", true, NMIRF_NOTIFY_REASON_MAX, &n->reason, why,
                    whylen)))
        return rc;
    if (n->deadline && !s_date_shaped(n->deadline)) {
        WHY("%s: `deadline` must be YYYY-MM-DD", kind);
        return NMIRF_E_BAD_REQUEST;
    }
    json_t *data = json_object_get(root, "data");
    if (!json_is_object(data)) {
        WHY("%s: `data` must be an object", kind);
        return NMIRF_E_BAD_REQUEST;
    }
    n->data = data;

    if (nmirf_notify_from_event(n->kind)) {
        if (!nmirf_valueset_has(&nmirf_event_kinds, n->event)) {
            WHY("%s: `event` %s is not an event kind", kind, n->event);
            return NMIRF_E_BAD_REQUEST;
        }
        return NMIRF_OK;
    }
    const char *v = NULL;
    if (n->kind == NMIRF_NOTIFY_REFUSED) {
        if (strlen(n->event) > NMIRF_OP_MAX) {
            WHY("refused: `event` (the operation) over %d bytes", NMIRF_OP_MAX);
            return NMIRF_E_TOO_LARGE;
        }
        if (!s_unhex(n->subject, n->id)) {
            WHY("refused: `subject` must be the request id in 32 lowercase hex digits");
            return NMIRF_E_BAD_REQUEST;
        }
        if (!n->reason) {
            WHY("refused: `reason` missing");
            return NMIRF_E_BAD_REQUEST;
        }
        if ((rc = s_str(data, "refused: data", "id", false, 2 * NMIRF_ID_LEN, &v, why,
                        whylen)))
            return rc;
        if (strcmp(v, n->subject) != 0) {
            WHY("refused: `data.id` is not `subject`");
            return NMIRF_E_BAD_REQUEST;
        }
        if ((rc = s_str(data, "refused: data", "op", false, NMIRF_OP_MAX, &v, why,
                        whylen)))
            return rc;
        if (strcmp(v, n->event) != 0) {
            WHY("refused: `data.op` is not `event`");
            return NMIRF_E_BAD_REQUEST;
        }
        if ((rc = s_str(data, "refused: data", "code", false, NMIRF_NOTIFY_CODE_MAX,
                        &n->code, why, whylen)))
            return rc;
        /* The broker's message may be empty. */
        const json_t *m = json_object_get(data, "message");
        if (!json_is_string(m) || strlen(json_string_value(m)) != json_string_length(m)) {
            WHY("refused: `data.message` must be a string without NUL");
            return NMIRF_E_BAD_REQUEST;
        }
        if (json_string_length(m) > NMIRF_NOTIFY_REASON_MAX) {
            WHY("refused: `data.message` over %d bytes", NMIRF_NOTIFY_REASON_MAX);
            return NMIRF_E_TOO_LARGE;
        }
        n->message = json_string_value(m);
        return NMIRF_OK;
    }
    /* key_refused */
    if (strcmp(n->event, NMIRF_NOTIFY_HANDSHAKE) != 0) {
        WHY("key_refused: `event` must be %s", NMIRF_NOTIFY_HANDSHAKE);
        return NMIRF_E_BAD_REQUEST;
    }
    if (strlen(n->subject) > NMIRF_ENTITY_ID_MAX) {
        WHY("key_refused: `subject` (the entity) over %d bytes", NMIRF_ENTITY_ID_MAX);
        return NMIRF_E_TOO_LARGE;
    }
    if ((rc = s_str(data, "key_refused: data", "entity", false, NMIRF_ENTITY_ID_MAX, &v,
                    why, whylen)))
        return rc;
    if (strcmp(v, n->subject) != 0) {
        WHY("key_refused: `data.entity` is not `subject`");
        return NMIRF_E_BAD_REQUEST;
    }
    return s_uint(data, "key_refused: data", "pending", &n->pending, why, whylen);
}

/* The JSON object of a text of 1..NMIRF_NOTIFY_MAX bytes into *root (the
   caller's to json_decref); what and a_what name it in the reasons
   ("event", "an event"). On a refusal *root is NULL. */
static nmirf_code_t
s_parse(const char *text, size_t len, const char *what, const char *a_what, json_t **root,
        char *why, size_t whylen)
{
    *root = NULL;
    if (!text || len == 0) {
        WHY("empty %s", what);
        return NMIRF_E_BAD_FRAME;
    }
    if (len > NMIRF_NOTIFY_MAX) {
        WHY("%s of %zu bytes, over %d", what, len, NMIRF_NOTIFY_MAX);
        return NMIRF_E_TOO_LARGE;
    }
    json_error_t err;
    json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);
    if (!j) {
        WHY("not JSON: %s (byte %d)", err.text, err.position);
        return NMIRF_E_BAD_REQUEST;
    }
    if (!json_is_object(j)) {
        WHY("%s is a JSON object", a_what);
        json_decref(j);
        return NMIRF_E_BAD_REQUEST;
    }
    *root = j;
    return NMIRF_OK;
}

nmirf_code_t
nmirf_notify_decode(const char *text, size_t len, nmirf_notify_t *n, char *why,
                    size_t whylen)
{
    memset(n, 0, sizeof *n);
    json_t *root;
    nmirf_code_t rc =
        s_parse(text, len, "notification", "a notification", &root, why, whylen);
    if (rc != NMIRF_OK)
        return rc;
    const json_t *k = json_object_get(root, "kind");
    if (!json_is_string(k)) {
        WHY("`kind` must be a string");
        rc = NMIRF_E_BAD_REQUEST;
    } else {
        int i = nmirf_valueset_find(&nmirf_notify_kinds, json_string_value(k),
                                    json_string_length(k));
        if (i < 0) {
            WHY("unknown notification kind %.64s", json_string_value(k));
            rc = NMIRF_E_UNKNOWN_OP;
        } else {
            n->kind = (nmirf_notify_kind_t)i;
            rc = s_fields(n, root, why, whylen);
        }
    }
    if (rc != NMIRF_OK) {
        json_decref(root);
        memset(n, 0, sizeof *n);
        return rc;
    }
    n->root = root;
    return NMIRF_OK;
}

void
nmirf_notify_release(nmirf_notify_t *n)
{
    if (!n)
        return;
    json_decref(n->root);
    memset(n, 0, sizeof *n);
}

/* --- topic `e`: applied events ------------------------------------------ */

char *
nmirf_notify_event_encode(const nmirf_notify_event_t *e)
{
    if (!e || !e->kind)
        return NULL;
    bool snapshot = strcmp(e->kind, NMIRF_NOTIFY_SNAPSHOT) == 0;
    if (!snapshot && (!e->subject || !e->author || (e->entity_count && !e->entities)))
        return NULL;
    json_t *j = json_object();
    bool ok = j && s_set_uint(j, "seq", e->seq) && s_set_str(j, "kind", e->kind);
    if (ok && !snapshot) {
        ok = s_set_str(j, "subject", e->subject) && s_set_str(j, "author", e->author) &&
             (!e->rec || s_set_str(j, "rec", e->rec));
        json_t *a = ok ? json_array() : NULL;
        ok = ok && a;
        for (size_t i = 0; ok && i < e->entity_count; i++)
            ok = e->entities[i] &&
                 json_array_append_new(a, json_string(e->entities[i])) == 0;
        if (ok) /* takes a, even when it fails */
            ok = json_object_set_new(j, "entities", a) == 0;
        else
            json_decref(a);
    }
    char *text = ok ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    return text;
}

/* The fields of an event (not a snapshot) from root into e. */
static nmirf_code_t
s_event_fields(nmirf_notify_event_t *e, const json_t *root, char *why, size_t whylen)
{
    nmirf_code_t rc;
    if ((rc = s_str(root, e->kind, "subject", false, NMIRF_NOTIFY_SUBJECT_MAX,
                    &e->subject, why, whylen)) ||
        (rc = s_str(root, e->kind, "author", false, NMIRF_ENTITY_ID_MAX, &e->author, why,
                    whylen)) ||
        (rc = s_str(root, e->kind, "rec", true, NMIRF_REC_ID_MAX, &e->rec, why, whylen)))
        return rc;
    const json_t *a = json_object_get(root, "entities");
    if (!json_is_array(a)) {
        WHY("%s: `entities` must be an array", e->kind);
        return NMIRF_E_BAD_REQUEST;
    }
    size_t n = json_array_size(a);
    if (n > NMIRF_NOTIFY_ENTITIES_MAX) {
        WHY("%s: more than %d entities", e->kind, NMIRF_NOTIFY_ENTITIES_MAX);
        return NMIRF_E_TOO_LARGE;
    }
    const char **names = calloc(n ? n : 1, sizeof *names);
    if (!names) {
        WHY("out of memory");
        return NMIRF_E_INTERNAL;
    }
    for (size_t i = 0; i < n; i++) {
        const json_t *v = json_array_get(a, i);
        size_t len = json_is_string(v) ? json_string_length(v) : 0;
        if (!len || strlen(json_string_value(v)) != len) {
            WHY("%s: `entities` must hold non-empty strings", e->kind);
            free(names);
            return NMIRF_E_BAD_REQUEST;
        }
        if (len > NMIRF_ENTITY_ID_MAX) {
            WHY("%s: an entity over %d bytes", e->kind, NMIRF_ENTITY_ID_MAX);
            free(names);
            return NMIRF_E_TOO_LARGE;
        }
        names[i] = json_string_value(v);
    }
    e->entities = names;
    e->entity_count = n;
    return NMIRF_OK;
}

nmirf_code_t
nmirf_notify_event_decode(const char *text, size_t len, nmirf_notify_event_t *e,
                          char *why, size_t whylen)
{
    memset(e, 0, sizeof *e);
    json_t *root;
    nmirf_code_t rc = s_parse(text, len, "event", "an event", &root, why, whylen);
    if (rc != NMIRF_OK)
        return rc;
    const json_t *k = json_object_get(root, "kind");
    if (!json_is_string(k) || strlen(json_string_value(k)) != json_string_length(k)) {
        WHY("`kind` must be a string");
        rc = NMIRF_E_BAD_REQUEST;
    } else {
        e->kind = json_string_value(k);
        bool snapshot = strcmp(e->kind, NMIRF_NOTIFY_SNAPSHOT) == 0;
        if (!snapshot && !nmirf_valueset_has(&nmirf_event_kinds, e->kind)) {
            WHY("unknown event kind %.64s", e->kind);
            rc = NMIRF_E_UNKNOWN_OP;
        } else if ((rc = s_uint(root, e->kind, "seq", &e->seq, why, whylen)) ==
                       NMIRF_OK &&
                   !snapshot)
            rc = s_event_fields(e, root, why, whylen);
    }
    if (rc != NMIRF_OK) {
        json_decref(root);
        memset(e, 0, sizeof *e);
        return rc;
    }
    e->root = root;
    return NMIRF_OK;
}

void
nmirf_notify_event_release(nmirf_notify_event_t *e)
{
    if (!e)
        return;
    free((void *)e->entities);
    json_decref(e->root);
    memset(e, 0, sizeof *e);
}
