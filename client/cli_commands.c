/*  cli_commands - every command of nmirf, in one list: main() dispatches
    on it, and --help and nmirf(1)'s SYNOPSIS (nmirf --print-synopsis) list the
    commands in its order. Each table lives beside the code that runs it.
*/
#include "cli.h"

const cli_cmd_spec_t *const cli_commands[] = {
    cli_entity_cmds, /* keygen first: a ministry's first step */
    cli_broker_cmds,
    cli_rec_cmds,
    cli_report_cmds,
    cli_measure_cmds,
    cli_events_cmds,
    cli_stats_cmds,
    cli_agent_cmds,
    cli_audit_cmds,
    cli_backup_cmds,
    cli_check_cmds,
    NULL,
};
