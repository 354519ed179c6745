/*  bootstrap - what nmirfd does on an empty data directory.

    Makes DATADIR/keys (0700) with the broker's own key (nmirfd.key, for
    signing checkpoints later) and the first coordinator's key pair, and
    enrolls that coordinator as event 1. A key file already there is used,
    never overwritten, so a lost store can be rebuilt around existing keys.
*/
#ifndef BOOTSTRAP_H
#define BOOTSTRAP_H

#include <stddef.h>

#include "store.h"

/* Does the first start if the store has no entity yet. Returns 0 (also
   when there was nothing to do), or -1 with a reason. */
int bootstrap_if_empty(store_t *store, const char *datadir, const char *coordinator,
                       char *why, size_t whylen);

#endif
