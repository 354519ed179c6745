/*  api_standin - a stand-in for the agent's control ops of the issue's
    part A (PENDING A), so that the coordinator's console of api_test
    runs before that part is merged: a ROUTER on DIR/agent.sock (a
    directory of its own) that answers `entity.list` and `report.list`
    in A's shapes from the broker's answers as the coordinator, `ask` by
    calling the broker, `submit` of any write by calling the broker with
    the request's id, and forwards every other op to a real agent. It
    signs nothing itself: the harness's coordinator does (tests only).
    Drop it, and point api_test at the real agent, once A is merged.
*/
#ifndef API_STANDIN_H
#define API_STANDIN_H

#include "agent_harness.h"

typedef struct api_standin_t api_standin_t;

/* Starts a stand-in in a new temporary directory (its path in dir)
   forwarding to the real agent a and calling the broker as co. */
api_standin_t *api_standin_new(ha_agent_t *a, h_entity_t *co, const char **dir);
void api_standin_destroy(api_standin_t **self_p);

#endif
