/*  control - the agent's local control socket, for the CLI (control.c):
    a ROUTER on ipc://DIR/agent.sock, mode 0660. docs/AGENT.md lists the
    operations.

    It reaches the other parts only through their headers: it queues
    submissions in the outbox, reads the replica (replica_read_begin,
    replica_dbis, replica_status), and asks the link for its state
    (link_status), and sends an `ask` with link_send. agent_main.c brings
    it the outbox's answers (control_on_result), the replies the outbox
    did not know (control_on_reply), and ticks it.
*/
#ifndef CONTROL_H
#define CONTROL_H

#include <czmq.h>

#include "agent.h"
#include "link.h"
#include "outbox.h"
#include "replica.h"

typedef struct _control_t control_t;

/* Binds the ROUTER on ipc://DIR/agent.sock, mode 0660, and registers its
   reader on loop. conf, loop, link, replica and outbox are borrowed and
   must outlive it. Returns NULL on failure (logged). */
control_t *control_new(const agent_conf_t *conf, zloop_t *loop, link_t *link,
                       replica_t *replica, outbox_t *outbox);
void control_destroy(control_t **self_p);

/* zloop reader of the control ROUTER (arg: the control_t). */
int control_on_request(zloop_t *loop, zsock_t *router, void *arg);

/* The broker answered queued request id: a waiting `submit` gets it. */
void control_on_result(control_t *self, const uint8_t id[NMIRF_ID_LEN],
                       const nmirf_reply_t *reply);

/* A broker reply the outbox did not know (*reply_p): if it answers a
   waiting `ask`, that ask gets it as it came, the reply is destroyed
   (*reply_p NULL) and true is returned; false leaves it to the caller. */
bool control_on_reply(control_t *self, nmirf_reply_t **reply_p);

/* Answers the waiting `submit`s whose time ran out with {queued}, and the
   waiting `ask`s with `unavailable`. */
void control_tick(control_t *self);

#endif
