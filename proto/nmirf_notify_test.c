/*  nmirf_notify_test - the notification codec against its golden vectors,
    and its limits.

    Usage: codec_notify proto/vectors/notify.json

    For every case in the vectors file (proto/vectors/README.md, kinds
    notify and notify-invalid): a notification decodes to what its
    `readable` form says and encodes back to exactly its bytes; every
    kind has a case; an invalid text gets exactly its code, with a reason.
    Then each limit on both sides of its edge, and what the encoder
    refuses. Prints "file:line: case: what" per failed check, one summary
    line at the end.
*/
#include "nmirf_notify.h"
#include "unit.h"
#include "vectors/vectors_hex.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Decodes text; checks a refusal comes with a reason. */
static nmirf_code_t
s_decode(const char *text, size_t len, nmirf_notify_t *n)
{
    char why[256] = "";
    nmirf_code_t code = nmirf_notify_decode(text, len, n, why, sizeof why);
    CHECK(code == NMIRF_OK || why[0], "a refusal (%s) without a reason",
          nmirf_code_name(code));
    return code;
}

/* True if the C string s equals the string under key of r (both absent
   counts as equal). */
static bool
s_same(const char *s, const json_t *r, const char *key)
{
    const char *v = json_string_value(json_object_get(r, key));
    return (!s && !v) || (s && v && strcmp(s, v) == 0);
}

/* A valid case: the struct agrees with readable, and encodes back. */
static void
s_valid(const char *text, size_t len, const json_t *readable, bool kinds[])
{
    nmirf_notify_t n;
    CHECK(s_decode(text, len, &n) == NMIRF_OK, "does not decode");
    if (!n.root)
        return;
    kinds[n.kind] = true;
    const char *kind = json_string_value(json_object_get(readable, "kind"));
    CHECK(kind &&
              strcmp(nmirf_valueset_name(&nmirf_notify_kinds, (int)n.kind), kind) == 0,
          "kind");
    CHECK(n.seq == (uint64_t)json_integer_value(json_object_get(readable, "seq")), "seq");
    CHECK(s_same(n.event, readable, "event"), "event");
    CHECK(s_same(n.subject, readable, "subject"), "subject");
    CHECK(s_same(n.rec, readable, "rec"), "rec");
    CHECK(s_same(n.deadline, readable, "deadline"), "deadline");
    CHECK(s_same(n.reason, readable, "reason"), "reason");
    const json_t *data = json_object_get(readable, "data");
    if (n.kind == NMIRF_NOTIFY_REFUSED) {
        CHECK(s_same(n.code, data, "code"), "data.code");
        CHECK(s_same(n.message, data, "message"), "data.message");
        char hex[2 * NMIRF_ID_LEN + 1];
        for (int i = 0; i < NMIRF_ID_LEN; i++)
            snprintf(hex + 2 * i, 3, "%02x", n.id[i]);
        CHECK(s_same(hex, data, "id"), "data.id");
    } else if (n.kind == NMIRF_NOTIFY_KEY_REFUSED) {
        CHECK(n.pending == (uint64_t)json_integer_value(json_object_get(data, "pending")),
              "data.pending");
    } else {
        CHECK(json_equal(n.data, (json_t *)data), "data");
    }
    char *again = nmirf_notify_encode(&n);
    CHECK(again && strlen(again) == len && memcmp(again, text, len) == 0,
          "encodes back to %s", again ? again : "(null)");
    free(again);
    nmirf_notify_release(&n);
    CHECK(!n.root && !n.event, "release empties the struct");
    nmirf_notify_release(&n); /* twice is safe */
}

/* A topic `e` case: the struct agrees with readable, and encodes back. */
static void
s_event_valid(const char *text, size_t len, const json_t *readable, int *events)
{
    nmirf_notify_event_t e;
    char why[256] = "";
    CHECK(nmirf_notify_event_decode(text, len, &e, why, sizeof why) == NMIRF_OK,
          "does not decode: %s", why);
    if (!e.root)
        return;
    (*events)++;
    CHECK(s_same(e.kind, readable, "kind"), "kind");
    CHECK(e.seq == (uint64_t)json_integer_value(json_object_get(readable, "seq")), "seq");
    CHECK(s_same(e.subject, readable, "subject"), "subject");
    CHECK(s_same(e.author, readable, "author"), "author");
    CHECK(s_same(e.rec, readable, "rec"), "rec");
    const json_t *ents = json_object_get(readable, "entities");
    CHECK(e.entity_count == json_array_size(ents), "entities");
    for (size_t i = 0; i < e.entity_count && i < json_array_size(ents); i++)
        CHECK(strcmp(e.entities[i], json_string_value(json_array_get(ents, i))) == 0,
              "entity %zu", i);
    char *again = nmirf_notify_event_encode(&e);
    CHECK(again && strlen(again) == len && memcmp(again, text, len) == 0,
          "encodes back to %s", again ? again : "(null)");
    free(again);
    nmirf_notify_event_release(&e);
    CHECK(!e.root && !e.kind && !e.entities, "release empties the struct");
    nmirf_notify_event_release(&e); /* twice is safe */
}

static void
s_vectors(const char *path)
{
    json_error_t err;
    json_t *root = json_load_file(path, 0, &err);
    CHECK(root, "%s: %s", path, err.text);
    if (!root)
        return;
    bool kinds[NMIRF_NOTIFY_KIND_COUNT] = {false};
    int events = 0;
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(root, "cases"), i, c)
    {
        unit_case = json_string_value(json_object_get(c, "name"));
        const char *kind = json_string_value(json_object_get(c, "kind"));
        const char *expect = json_string_value(json_object_get(c, "expect"));
        size_t len;
        char *text = (char *)vectors_unhex(json_object_get(c, "hex"), &len);
        CHECK(text && kind && expect, "a case needs kind, hex and expect");
        if (!text || !kind || !expect) {
            free(text);
            continue;
        }
        if (strcmp(kind, "notify") == 0) {
            s_valid(text, len, json_object_get(c, "readable"), kinds);
        } else if (strcmp(kind, "event") == 0) {
            s_event_valid(text, len, json_object_get(c, "readable"), &events);
        } else if (strcmp(kind, "event-invalid") == 0) {
            nmirf_notify_event_t e;
            char why[256] = "";
            nmirf_code_t code = nmirf_notify_event_decode(text, len, &e, why, sizeof why);
            CHECK(strcmp(nmirf_code_name(code), expect) == 0, "gives %s, not %s",
                  nmirf_code_name(code), expect);
            CHECK(code == NMIRF_OK || why[0], "a refusal without a reason");
            CHECK(code == NMIRF_OK ? e.root != NULL : e.root == NULL && e.kind == NULL,
                  "a refusal leaves an empty struct");
            nmirf_notify_event_release(&e);
        } else {
            nmirf_notify_t n;
            nmirf_code_t code = s_decode(text, len, &n);
            CHECK(strcmp(nmirf_code_name(code), expect) == 0, "gives %s, not %s",
                  nmirf_code_name(code), expect);
            CHECK(code == NMIRF_OK ? n.root != NULL : n.root == NULL && n.event == NULL,
                  "a refusal leaves an empty struct");
            nmirf_notify_release(&n);
        }
        free(text);
    }
    unit_case = "every kind";
    for (int k = 0; k < NMIRF_NOTIFY_KIND_COUNT; k++)
        CHECK(kinds[k], "no vector of kind %s",
              nmirf_valueset_name(&nmirf_notify_kinds, k));
    CHECK(i >= 40, "only %zu cases", i);
    CHECK(events >= 4, "only %d topic e cases", events);
    json_decref(root);
}

/* A key_refused text with subject and entity s, and an event data of
   size bytes of padding. */
static char *
s_text(const char *subject, size_t pad)
{
    char *padding = malloc(pad + 1);
    memset(padding, 'x', pad);
    padding[pad] = 0;
    json_t *data = json_pack("{s:s}", "pad", padding);
    free(padding);
    nmirf_notify_t n = {.kind = NMIRF_NOTIFY_VALIDATED,
                        .seq = 1,
                        .event = "report.validated",
                        .subject = subject,
                        .data = data};
    char *text = nmirf_notify_encode(&n);
    json_decref(data);
    return text;
}

static void
s_limits(void)
{
    unit_case = "limits";
    nmirf_notify_t n;
    char subject[NMIRF_NOTIFY_SUBJECT_MAX + 2];
    memset(subject, 'S', sizeof subject);
    subject[NMIRF_NOTIFY_SUBJECT_MAX] = 0;
    char *text = s_text(subject, 1);
    CHECK(s_decode(text, strlen(text), &n) == NMIRF_OK, "subject at its limit");
    nmirf_notify_release(&n);
    free(text);
    subject[NMIRF_NOTIFY_SUBJECT_MAX] = 'S';
    subject[NMIRF_NOTIFY_SUBJECT_MAX + 1] = 0;
    text = s_text(subject, 1);
    CHECK(s_decode(text, strlen(text), &n) == NMIRF_E_TOO_LARGE,
          "subject over its limit");
    free(text);

    /* The whole text: at NMIRF_NOTIFY_MAX it decodes, a byte more is
       refused before it is parsed. */
    text = s_text("r-1", 1);
    size_t overhead = strlen(text) - 1;
    free(text);
    text = s_text("r-1", NMIRF_NOTIFY_MAX - overhead);
    CHECK(strlen(text) == NMIRF_NOTIFY_MAX, "the text is %zu bytes", strlen(text));
    CHECK(s_decode(text, strlen(text), &n) == NMIRF_OK, "a text at NMIRF_NOTIFY_MAX");
    nmirf_notify_release(&n);
    free(text);
    text = s_text("r-1", NMIRF_NOTIFY_MAX - overhead + 1);
    CHECK(s_decode(text, strlen(text), &n) == NMIRF_E_TOO_LARGE, "a byte over");
    free(text);

    /* Not NUL-ended: only len bytes are read. */
    const char *two = "{\"kind\":\"validated\",\"seq\":1,\"event\":\"report.validated\","
                      "\"subject\":\"r\",\"data\":{}}GARBAGE";
    CHECK(s_decode(two, strlen(two) - 7, &n) == NMIRF_OK, "len bounds the text");
    nmirf_notify_release(&n);
    CHECK(s_decode(NULL, 0, &n) == NMIRF_E_BAD_FRAME, "no text");

    /* The encoder refuses what it cannot write. */
    unit_case = "encode refusals";
    json_t *data = json_object();
    nmirf_notify_t bad = {
        .kind = NMIRF_NOTIFY_KIND_COUNT, .event = "x", .subject = "y", .data = data};
    CHECK(!nmirf_notify_encode(&bad), "an unknown kind");
    bad.kind = NMIRF_NOTIFY_ASSIGNED;
    bad.data = NULL;
    CHECK(!nmirf_notify_encode(&bad), "an event kind without data");
    bad.data = data;
    bad.subject = NULL;
    CHECK(!nmirf_notify_encode(&bad), "no subject");
    bad.subject = "\xc0\xaf";
    CHECK(!nmirf_notify_encode(&bad), "a subject that is not UTF-8");
    bad = (nmirf_notify_t){.kind = NMIRF_NOTIFY_REFUSED,
                           .event = "report.submit",
                           .reason = "x: y",
                           .code = "x"};
    CHECK(!nmirf_notify_encode(&bad), "a refused without its message");
    CHECK(!nmirf_notify_encode(NULL), "NULL");
    json_decref(data);
}

/* Topic `e`: the entities' bound on either side, and what encode
   refuses. */
static void
s_event_limits(void)
{
    unit_case = "event limits";
    for (int extra = 0; extra <= 1; extra++) {
        size_t n = NMIRF_NOTIFY_ENTITIES_MAX + (size_t)extra;
        const char **names = calloc(n, sizeof *names);
        for (size_t i = 0; i < n; i++)
            names[i] = "MJ";
        nmirf_notify_event_t e = {.seq = 1,
                                  .kind = "assignment.set",
                                  .subject = "R-1",
                                  .author = "COORD",
                                  .entities = names,
                                  .entity_count = n};
        char *text = nmirf_notify_event_encode(&e);
        nmirf_notify_event_t d;
        char why[128] = "";
        nmirf_code_t code =
            text ? nmirf_notify_event_decode(text, strlen(text), &d, why, sizeof why)
                 : NMIRF_E_INTERNAL;
        CHECK(code == (extra ? NMIRF_E_TOO_LARGE : NMIRF_OK), "%zu entities: %s", n,
              nmirf_code_name(code));
        nmirf_notify_event_release(&d);
        free(text);
        free(names);
    }
    nmirf_notify_event_t bad = {.seq = 1, .kind = "rec.added"};
    CHECK(!nmirf_notify_event_encode(&bad), "an event without subject and author");
    bad.kind = NULL;
    CHECK(!nmirf_notify_event_encode(&bad), "no kind");
    CHECK(!nmirf_notify_event_encode(NULL), "NULL");
}

int
main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: codec_notify proto/vectors/notify.json\n");
        return 2;
    }
    s_vectors(argv[1]);
    s_limits();
    s_event_limits();
    return unit_done("codec_notify");
}
