/*  api_hub_test - nmirf-web's hub (client/web/web_hub.c) against a real
    broker and a real agent: the SSE text of what the agent publishes.

    MJ's agent runs; a hub on its directory emits `state` first (the
    agent answers, the broker is heard). The coordinator assigns a
    recommendation to MJ at the broker: the hub delivers the agent's
    `notify` (kind `assigned`) and, from the agent's topic `e`, an
    `applied` message.
    A cursor from the future yields `reload`. The broker stops: `state`
    says connected false. The agent stops and starts again: `state` says
    so, and a notification after the restart still arrives (the hub
    subscribes again).
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent_common.h"
#include "web.h"

/* Reads the hub from *cursor until a message whose text holds every
   one of want (NULL-ended) arrives, within HA_WAIT_MS; fails otherwise.
   Returns that message's text (caller frees). */
static char *
t_wait(web_hub_t *hub, uint64_t *cursor, const char *const *want)
{
    int64_t end = zclock_mono() + HA_WAIT_MS;
    char seen[2048] = "";
    while (zclock_mono() < end) {
        char *text = web_hub_next(hub, cursor, 500);
        if (!text)
            continue;
        /* One text may hold several messages: look at each. */
        for (char *m = text; m && *m;) {
            char *next = strstr(m, "\n\n");
            if (next)
                *next = 0;
            bool all = true;
            for (size_t i = 0; want[i] && all; i++)
                all = strstr(m, want[i]) != NULL;
            if (all) {
                char *found = strdup(m);
                free(text);
                return found;
            }
            snprintf(seen + strlen(seen), sizeof seen - strlen(seen), "[%.200s] ", m);
            m = next ? next + 2 : NULL;
        }
        free(text);
    }
    HA_ASSERTF(false, "the hub did not deliver %s ...; it gave %s", want[0], seen);
    return NULL;
}

int
main(int argc, char **argv)
{
    ha_init(argc, argv, 170);
    h_broker_t *b = ha_broker_start_fixed(NULL);
    h_entity_t *mj = h_enroll(b, "MJ", "ministry");
    h_entity_t *co = h_coord(b);
    H_CALL_CHECK("ok", co, "rec.import",
                 "{'recs': [{'id': 'H-0', 'mechanism': 'UPR'}, "
                 "{'id': 'H-1', 'mechanism': 'CAT'}]}");
    ha_agent_t *a = ha_agent_start(b, mj, NULL);
    ag_wait_seq(a, h_seq(b));

    web_hub_t *hub = web_hub_new(a->data);
    HA_ASSERT(hub);
    uint64_t cursor = 0;
    char *m = t_wait(
        hub, &cursor,
        (const char *[]){"event: state", "\"agent\":true", "\"connected\":true", NULL});
    HA_ASSERT(strncmp(m, "id: 1\n", 6) == 0);
    free(m);
    HA_ASSERT(web_hub_head(hub) >= 1);
    h_note("the hub's first message: state, the agent up and the broker heard");

    /* PUB/SUB drops what comes before the subscription has reached the
       agent: give it a moment after the hub's first status. */
    h_sleep_ms(300);
    H_CALL_CHECK("ok", co, "rec.assign", "{'rec': 'H-0', 'lead': 'MJ'}");
    uint64_t from = cursor;
    m = t_wait(hub, &cursor,
               (const char *[]){"event: notify", "\"kind\":\"assigned\"",
                                "\"subject\":\"H-0\"", NULL});
    free(m);
    h_note("an assignment at the broker: event notify (assigned)");
    /* The `e` topic: one message per applied event. */
    uint64_t c2 = from;
    m = t_wait(hub, &c2,
               (const char *[]){"event: applied", "\"kind\":\"assignment.set\"",
                                "\"subject\":\"H-0\"", NULL});
    free(m);
    h_note("event applied delivered too");

    /* A cursor beyond the head: reload. */
    uint64_t future = web_hub_head(hub) + 100;
    char *r = web_hub_next(hub, &future, 100);
    HA_ASSERT(r && strncmp(r, "event: reload\ndata: {}\n\n", 24) == 0 &&
              future == web_hub_head(hub));
    free(r);
    h_note("a cursor from the future: reload");

    h_broker_stop(b);
    m = t_wait(
        hub, &cursor,
        (const char *[]){"event: state", "\"connected\":false", "\"agent\":true", NULL});
    free(m);
    h_note("the broker stopped: state connected false");

    ha_agent_stop(a);
    m = t_wait(hub, &cursor, (const char *[]){"event: state", "\"agent\":false", NULL});
    free(m);
    h_broker_restart(b);
    ha_agent_restart(a);
    m = t_wait(
        hub, &cursor,
        (const char *[]){"event: state", "\"agent\":true", "\"connected\":true", NULL});
    free(m);
    ag_wait_seq(a, h_seq(b));
    h_sleep_ms(300); /* the new SUB's subscription reaches the new agent */
    H_CALL_CHECK("ok", co, "rec.assign", "{'rec': 'H-1', 'lead': 'MJ'}");
    m = t_wait(hub, &cursor,
               (const char *[]){"event: notify", "\"subject\":\"H-1\"", NULL});
    free(m);
    h_note("the agent restarted: state, and its notifications still arrive");

    web_hub_destroy(&hub);
    ha_agent_destroy(&a);
    h_broker_destroy(&b);
    return 0;
}
