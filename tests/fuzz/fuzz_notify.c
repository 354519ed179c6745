/*  fuzz_notify - the notification codec (proto/nmirf_notify.h) on any
    bytes: what `nmirf watch`, a test or the web console does with every
    text the agent's notify.sock (or a --notify-log line) hands it.

    Beyond the sanitizers it checks: a refusal uses one of the documented
    codes and gives a reason, and leaves the struct empty; an accepted
    notification has a known kind, its strings are within their limits and
    its kind's fields are there; it encodes back to a text that decodes to
    the same notification and encodes to the same bytes (the codec's own
    output is always taken).

    The same bytes go to the decoder of topic `e` (the applied events and
    the snapshot mark), checked the same way: a documented code with a
    reason and an empty struct, or an event of a known kind within its
    limits that encodes back to a text decoding to the same event.
*/
#include "nmirf_notify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
s_broken(const char *what)
{
    fprintf(stderr, "fuzz_notify: %s\n", what);
    abort();
}

/* True if both strings are absent, or both present and equal. */
static bool
s_same(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void
s_check(const nmirf_notify_t *n)
{
    if (!nmirf_valueset_name(&nmirf_notify_kinds, (int)n->kind))
        s_broken("accepted an unknown kind");
    if (!n->event || !n->subject || !json_is_object(n->data) || !n->root)
        s_broken("accepted without event, subject or data");
    if (strlen(n->subject) > NMIRF_NOTIFY_SUBJECT_MAX ||
        (n->rec && strlen(n->rec) > NMIRF_REC_ID_MAX) ||
        (n->deadline && strlen(n->deadline) != NMIRF_DATE_LEN) ||
        (n->reason && strlen(n->reason) > NMIRF_NOTIFY_REASON_MAX))
        s_broken("a string past its limit");
    if (n->kind == NMIRF_NOTIFY_REFUSED &&
        (!n->code || !n->message || !n->reason || strlen(n->event) > NMIRF_OP_MAX))
        s_broken("refused without code, message or reason");
    if (n->kind == NMIRF_NOTIFY_KEY_REFUSED &&
        strcmp(n->event, NMIRF_NOTIFY_HANDSHAKE) != 0)
        s_broken("key_refused not from the handshake");
}

/* Topic `e`: the event decoder on the same bytes. */
static void
s_event(const uint8_t *data, size_t size)
{
    nmirf_notify_event_t e;
    char why[256] = "";
    nmirf_code_t code =
        nmirf_notify_event_decode((const char *)data, size, &e, why, sizeof why);
    if (code != NMIRF_OK) {
        if (code != NMIRF_E_BAD_FRAME && code != NMIRF_E_TOO_LARGE &&
            code != NMIRF_E_BAD_REQUEST && code != NMIRF_E_UNKNOWN_OP &&
            code != NMIRF_E_INTERNAL)
            s_broken("event: an undocumented code");
        if (!why[0])
            s_broken("event: a refusal without a reason");
        if (e.root || e.kind || e.entities)
            s_broken("event: a refusal left fields set");
        return;
    }
    bool snapshot = strcmp(e.kind, NMIRF_NOTIFY_SNAPSHOT) == 0;
    if (!snapshot && !nmirf_valueset_has(&nmirf_event_kinds, e.kind))
        s_broken("event: accepted an unknown kind");
    if (!snapshot &&
        (!e.subject || !e.author || strlen(e.subject) > NMIRF_NOTIFY_SUBJECT_MAX ||
         strlen(e.author) > NMIRF_ENTITY_ID_MAX ||
         (e.rec && strlen(e.rec) > NMIRF_REC_ID_MAX) ||
         e.entity_count > NMIRF_NOTIFY_ENTITIES_MAX))
        s_broken("event: a field missing or past its limit");
    for (size_t i = 0; i < e.entity_count; i++)
        if (!e.entities[i] || strlen(e.entities[i]) > NMIRF_ENTITY_ID_MAX)
            s_broken("event: an entity past its limit");
    char *text = nmirf_notify_event_encode(&e);
    if (!text)
        s_broken("event: an accepted event does not encode");
    nmirf_notify_event_t again;
    if (nmirf_notify_event_decode(text, strlen(text), &again, why, sizeof why) !=
        NMIRF_OK)
        s_broken("event: the codec's own text is refused");
    bool same = again.seq == e.seq && s_same(again.kind, e.kind) &&
                s_same(again.subject, e.subject) && s_same(again.author, e.author) &&
                s_same(again.rec, e.rec) && again.entity_count == e.entity_count;
    for (size_t i = 0; same && i < e.entity_count; i++)
        same = strcmp(again.entities[i], e.entities[i]) == 0;
    if (!same)
        s_broken("event: encode then decode changed the event");
    char *text2 = nmirf_notify_event_encode(&again);
    if (!text2 || strcmp(text, text2) != 0)
        s_broken("event: the codec's own text does not encode back to itself");
    free(text);
    free(text2);
    nmirf_notify_event_release(&again);
    nmirf_notify_event_release(&e);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    s_event(data, size);
    nmirf_notify_t n;
    char why[256] = "";
    nmirf_code_t code =
        nmirf_notify_decode((const char *)data, size, &n, why, sizeof why);
    if (code != NMIRF_OK) {
        if (code != NMIRF_E_BAD_FRAME && code != NMIRF_E_TOO_LARGE &&
            code != NMIRF_E_BAD_REQUEST && code != NMIRF_E_UNKNOWN_OP)
            s_broken("an undocumented code");
        if (!why[0])
            s_broken("a refusal without a reason");
        if (n.root || n.event || n.data)
            s_broken("a refusal left fields set");
        return 0;
    }
    s_check(&n);
    char *text = nmirf_notify_encode(&n);
    if (!text)
        s_broken("an accepted notification does not encode");
    nmirf_notify_t again;
    if (nmirf_notify_decode(text, strlen(text), &again, why, sizeof why) != NMIRF_OK)
        s_broken("the codec's own text is refused");
    if (again.kind != n.kind || again.seq != n.seq || !s_same(again.event, n.event) ||
        !s_same(again.subject, n.subject) || !s_same(again.rec, n.rec) ||
        !s_same(again.deadline, n.deadline) || !s_same(again.reason, n.reason) ||
        !s_same(again.code, n.code) || !s_same(again.message, n.message) ||
        again.pending != n.pending || memcmp(again.id, n.id, NMIRF_ID_LEN) != 0 ||
        (nmirf_notify_from_event(n.kind) && !json_equal(again.data, n.data)))
        s_broken("encode then decode changed the notification");
    char *text2 = nmirf_notify_encode(&again);
    if (!text2 || strcmp(text, text2) != 0)
        s_broken("the codec's own text does not encode back to itself");
    free(text);
    free(text2);
    nmirf_notify_release(&again);
    nmirf_notify_release(&n);
    return 0;
}
