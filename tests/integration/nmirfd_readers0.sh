#!/bin/sh
# nmirfd with --readers=0 (reads in the writer's batches, the old path),
# for the *_readers0 tests (CMakeLists.txt): the harness runs this as its
# nmirfd; exec keeps the pid the harness signals.
exec "${NMIRFD_REAL:?NMIRFD_REAL names the nmirfd binary}" --readers=0 "$@"
