/*  cli_help - the help of each topic: its usage lines and option lines
    come from the commands' tables (cli_spec.c), so they cannot drift from
    what the commands parse; this file holds the prose around them, which
    reads as a manual: what the commands do, then examples. The prose is
    marked N_() and translated where it is printed (cli_i18n.h).
*/
#include <string.h>

#include "cli.h"
#include "cli_output.h"

static const char s_overview[] = N_(
    "usage: nmirf [OPTIONS] COMMAND [ARGS...]\n"
    "\n"
    "Follow up human-rights recommendations through an nmirfd broker.\n"
    "\n"
    "options:\n"
    "  -b, --broker EP     request endpoint ($NMIRF_BROKER, else tcp://127.0.0.1:7710);\n"
    "                      a primary and its standbys: EP,EP,... (the primary is\n"
    "                      found, and a write follows a promotion)\n"
    "  -e, --events EP     events endpoint ($NMIRF_EVENTS, else tcp://127.0.0.1:7711)\n"
    "  -k, --key FILE      your secret key file, ID.key ($NMIRF_KEY); every request\n"
    "                      is signed with it, reads included\n"
    "  -S, --server-key FILE\n"
    "                      the broker's public key, its DATA/keys/NMIRFD.pub\n"
    "                      ($NMIRF_SERVER_KEY): connections are CurveZMQ; with\n"
    "                      several brokers, one file per endpoint: FILE,FILE,...\n"
    "  -a, --agent DIR     your ministry's nmirf-agent ($NMIRF_AGENT): its data\n"
    "                      directory or control endpoint; report submit then goes\n"
    "                      through it (no key needed)\n"
    "  -t, --timeout MS    how long to wait for each reply (default 5000)\n"
    "      --json          print replies as JSON, for scripts\n"
    "  -V, --version       print the version\n"
    "  -h, --help          this help\n"
    "\n"
    "commands:\n"
    "  keygen ID           make a key pair for entity ID\n"
    "  ping                the broker's version, latest sequence number, counters\n"
    "  entity ...          enroll, list, show, revoke entities\n"
    "  rec ...             import, export, list, show, assign recommendations\n"
    "  report ...          submit, validate, return, list reports; report --html\n"
    "  measure ...         add, update, list, show measures and their indicators\n"
    "  events              list events, or follow them as they happen\n"
    "  snapshot            every record, as JSON\n"
    "  stats               status counts and shares, by entity, mechanism, theme...;\n"
    "                      overdue and due-soon lists; progress by month\n"
    "  mine                your assignments, from the agent's replica (-a)\n"
    "  outbox              submissions the agent still sends, and its answers (-a)\n"
    "  watch               follow the agent's notifications (-a)\n"
    "  agent-status        the agent's replica, broker link and outbox (-a)\n"
    "  audit ...           export the signed event log, verify it offline\n"
    "  status              the broker's health: store, map use, sessions, agents\n"
    "  promote             make the standby broker (-b) the primary\n"
    "  backup              copy a running broker's store and keys (--data DIR)\n"
    "  check               read a broker's whole store, report damage (--data DIR)\n"
    "  help [COMMAND]      help on a command (also: nmirf COMMAND --help)\n"
    "\n"
    "exit status:\n"
    "  0 success, 1 the broker refused (its code and reason go to stderr),\n"
    "  2 usage error or bad local input, 3 no reply from the broker,\n"
    "  4 local file or key error\n"
    "\n"
    "example:\n"
    "  export NMIRF_KEY=~/.nmirf/COORD.key\n"
    "  export NMIRF_SERVER_KEY=/etc/nmirf/NMIRFD.pub\n"
    "  nmirf rec list --mechanism UPR --status not_started\n");

static const char s_keygen_intro[] =
    N_("Makes a signing key pair and a CURVE key pair for entity ID and writes\n"
       "DIR/ID.key (secret, mode 0600) and DIR/ID.pub (public; give it to the\n"
       "coordinator to enroll). An existing ID.key is never overwritten.\n"
       "ID is 1 to 16 of A-Z 0-9 _ -.\n");

static const char s_keygen_after[] = N_("example:\n"
                                        "  nmirf keygen MJ --dir ~/.nmirf\n");

static const char s_ping_intro[] =
    N_("Asks the broker for its version, its latest event sequence number and\n"
       "its counters since it started (requests, writes, commits); a quick check\n"
       "that the broker is up and that your key is enrolled.\n");

static const char s_ping_after[] =
    N_("example:\n"
       "  nmirf -k MJ.key -S NMIRFD.pub -b tcp://broker.example:7710 ping\n");

static const char s_entity_intro[] =
    N_("Entities are the coordinator, the ministries and the observers. enroll,\n"
       "revoke and rotate are the coordinator's. enroll reads the entity's id and\n"
       "public keys from PUBFILE (an ID.pub, or an ID.key).\n"
       "rotate gives an active entity new keys, read with its id from NEWPUBFILE:\n"
       "the ministry makes the new pair with `nmirf keygen ID --dir NEWDIR` and\n"
       "hands over NEWDIR/ID.pub; from then on only the new key signs. The old\n"
       "keys stay in the record (previous_keys), so reports signed before still\n"
       "verify. A ministry cannot rotate its own keys in this version.\n"
       "update (coordinator) renames an entity or gives its contact: a name given\n"
       "replaces that language's name, the others stay.\n");

static const char s_entity_after[] = N_(
    "examples:\n"
    "  nmirf entity enroll MJ.pub --role ministry --name-fr 'Ministère de la Justice'\n"
    "  nmirf entity list\n"
    "  nmirf entity revoke OBS1\n"
    "  nmirf entity rotate /media/usb/MJ.pub\n"
    "  nmirf entity update MJ --name-ar 'وزارة العدل' --contact dajg@justice.gov.ma\n");

static const char s_audit_intro[] =
    N_("Offline tools: no broker, no key of yours. export copies the broker's\n"
       "event log, the signed request behind each event and the broker's signed\n"
       "checkpoints from the data directory DIR into one file (the store is opened\n"
       "read-only: the broker may be running). verify checks a file or a data\n"
       "directory: sequence numbers from 1 with no gap, each event chained to the\n"
       "one before, each request present, unchanged and signed by the event's\n"
       "author with the key the author had at that point, and each checkpoint\n"
       "signed by the broker over the event it names (a log cut below a\n"
       "checkpoint is caught); with --data, also each write's stored reply (the\n"
       "one a replay gets) against its events. It prints a summary, or the first\n"
       "failing event and why. A log cut with its checkpoints is a valid shorter\n"
       "log: --witness AGENT_DIR (an nmirf-agent's data directory) checks that the\n"
       "broker checkpoint that agent kept is in the log, with the same head.\n");

static const char s_audit_after[] =
    N_("exit status: 0 verified, 1 verification failed, 2 usage, 4 file error\n"
       "\n"
       "examples:\n"
       "  nmirf audit export --data /var/lib/nmirfd --out audit-2025-06.nmirf\n"
       "  nmirf audit verify audit-2025-06.nmirf -S NMIRFD.pub\n"
       "  nmirf audit verify --data /srv/copy-of-nmirfd-data\n"
       "  nmirf audit verify --data /var/lib/nmirf --witness /var/lib/nmirf-agent/MJ\n");

static const char s_rec_intro[] =
    N_("import (coordinator) reads a JSON array of recommendation objects, or an\n"
       "object holding one under \"recommendations\" (or \"recs\", as snapshot\n"
       "writes it; their \"updated\" keys are dropped). Each object is\n"
       "  {\"id\", \"mechanism\", \"text\": {\"fr\", \"ar\", \"en\"}, \"symbol\",\n"
       "   \"paragraph\", \"cycle\", \"date\", \"states\": [], \"response\",\n"
       "   \"response_text\", \"themes\": [], \"persons\": [], \"sdgs\": []}\n"
       "and is added, updated, or left as it is when unchanged. It also reads\n"
       "CSV: the CSV that export writes, or a UHRI export saved as CSV (told by\n"
       "the header; --format uhri forces it; --lang gives the language of its\n"
       "Text column, detected per row otherwise). Every row is checked first: a\n"
       "bad one is reported as FILE:LINE: and nothing is imported (exit 1),\n"
       "unless --skip-bad, which imports the others and lists those skipped.\n"
       "Large files go in several requests of at most 5,000; each is all or\n"
       "nothing, and if the broker refuses a later one the earlier ones stay:\n"
       "running the import again is safe. FILE must be a regular file (it is\n"
       "read twice: checked, then sent); CSV of any size is streamed, JSON may\n"
       "have at most 32 MiB. docs/DATA.md has the formats.\n"
       "\n"
       "export writes every recommendation (or those the filters select) in\n"
       "full, as JSON (default) or CSV, to stdout or --out FILE; both import\n"
       "back unchanged. In CSV a cell that a spreadsheet would run as a formula\n"
       "(= + - @ tab CR first) gets a leading ', which import removes again.\n"
       "\n"
       "assign (coordinator) gives a recommendation to a lead ministry and its\n"
       "contributors; assigning again replaces the assignment.\n"
       "\n"
       "withdraw (coordinator) takes a recommendation off the list (a duplicate,\n"
       "one not addressed to the country): its record, assignment and reports\n"
       "stay, in the log and the audit; lists and statistics leave it out\n"
       "(list --withdrawn shows it), export too, and it takes no more reports.\n"
       "merge (coordinator) folds FROM into INTO: FROM's reports (same ids),\n"
       "measures and assignment go to INTO, INTO's status is recomputed, and\n"
       "FROM is withdrawn.\n");

static const char s_rec_after[] =
    N_("examples:\n"
       "  nmirf rec import upr-cycle4.json\n"
       "  nmirf rec import uhri-morocco.csv --skip-bad\n"
       "  nmirf rec export --format csv --out recs.csv\n"
       "  nmirf rec list --mechanism CAT --text torture\n"
       "  nmirf rec show A/HRC/52/7:125.48\n"
       "  nmirf rec assign A/HRC/52/7:125.48 --lead MJ --contributor MI \\\n"
       "        --deadline 2025-06-30\n"
       "  nmirf rec withdraw A/HRC/52/7:125.48 --reason 'imported twice'\n"
       "  nmirf rec merge CAT/C/MAR/CO/5:3f9a0c2d51e4b778 UHRI-118432\n");

static const char s_report_intro[] =
    N_("A ministry assigned to a recommendation (lead or contributor) submits\n"
       "reports on it; the coordinator validates each, or returns it with a\n"
       "reason. A recommendation's status is that of its latest validated\n"
       "report.\n"
       "\n"
       "html FILE (also spelled --html FILE) writes one self-contained HTML page\n"
       "from the broker's stats: summary figures, status by lead entity and by\n"
       "mechanism (SVG bars), progress by month (SVG areas), the overdue list,\n"
       "tables by treaty body, UPR cycle, theme and SDG, then the annex: each\n"
       "recommendation with its text, position, lead and contributing entities,\n"
       "status, validated narratives (date, author, evidence) and measures with\n"
       "their indicator values, grouped by --group. No script, no network: it\n"
       "opens and prints anywhere. odt FILE (--odt FILE) writes the same as an\n"
       "OpenDocument text a coordinator edits (LibreOffice, Word). --limit N\n"
       "cuts the annex and the tables at N rows and says so; by default every\n"
       "row is there.\n");

static const char s_report_after[] =
    N_("examples:\n"
       "  nmirf -k MJ.key report submit A/HRC/52/7:125.48 --status in_progress \\\n"
       "        --narrative 'Draft law sent to parliament' --evidence "
       "https://example.org/law\n"
       "  nmirf report list --state submitted\n"
       "  nmirf report validate 3\n"
       "  nmirf report return 4 --reason 'Evidence link is broken'\n"
       "  nmirf report --html etat.html --lang fr\n"
       "  nmirf report --html status-ar.html --lang ar --title 'تقرير المتابعة'\n"
       "  nmirf report --odt suivi-epu.odt --group cycle --since 2025-01-01\n"
       "\n"
       "With -a DIR (or $NMIRF_AGENT), submit hands the report to the ministry's\n"
       "nmirf-agent, which signs it, keeps it on disk and sends it until the broker\n"
       "answers. If no answer comes within --timeout, submit prints \"queued: ...\"\n"
       "and exits 0: the agent goes on resending it (see nmirf outbox).\n");

static const char s_measure_intro[] =
    N_("A measure is a planned action linked to one or more recommendations,\n"
       "optionally with a quantitative indicator: a baseline, a target and planned\n"
       "milestones. The coordinator adds and updates measures, and so does the\n"
       "ministry that leads every recommendation the measure is linked to.\n"
       "Progress comes from validated reports that give indicator values\n"
       "(nmirf report submit REC --measure ID --value DATE=VALUE).\n");

static const char s_measure_after[] = N_(
    "examples:\n"
    "  nmirf measure add --rec A/HRC/52/7:125.48 --title 'Train prison staff' \\\n"
    "        --indicator 'staff trained' --unit persons --baseline 0 --target 1200 \\\n"
    "        --milestone 2025-12-31=600 --milestone 2026-12-31=1200\n"
    "  nmirf measure list --rec A/HRC/52/7:125.48\n"
    "  nmirf -k MJ.key report submit A/HRC/52/7:125.48 --status in_progress \\\n"
    "        --narrative 'First sessions held' --measure 1 --value 2025-06-30=310\n");

static const char s_events_intro[] =
    N_("Every change is an event, numbered from 1. The first form lists the\n"
       "events after number N. --follow subscribes on a request connection and\n"
       "prints each event as it happens, one line each (with --json, one JSON\n"
       "object per line), until interrupted or until the broker refuses the key\n"
       "(revoked, key_retired: exit 1); with --since it first prints the events\n"
       "after N, and it fetches any it missed.\n");

static const char s_events_after[] =
    N_("examples:\n"
       "  nmirf events --since 40\n"
       "  nmirf --json events --follow --since 0 | while read -r ev; do ...; done\n");

static const char s_snapshot_intro[] =
    N_("Prints every entity, recommendation, assignment and report, and the\n"
       "sequence number they reflect, as one JSON document (always JSON).\n");

static const char s_snapshot_after[] = N_("example:\n"
                                          "  nmirf snapshot > backup.json\n");

static const char s_stats_intro[] =
    N_("Counts every recommendation by implementation status (the status of its\n"
       "latest validated report, not_started if none), live from the broker.\n"
       "Without --by: the shares by status, the tables by lead entity (unassigned\n"
       "ones under -) and by mechanism, and the overdue and due-soon counts.\n");

static const char s_stats_after[] = N_("examples:\n"
                                       "  nmirf stats\n"
                                       "  nmirf stats --by theme\n"
                                       "  nmirf stats --by overdue --today 2026-01-01\n"
                                       "  nmirf stats --by month --csv > progress.csv\n");

static const char s_agent_intro[] =
    N_("Commands answered by the ministry's nmirf-agent, not the broker; give it\n"
       "before the command: nmirf -a DIR COMMAND. DIR is the agent's data\n"
       "directory (its control socket is DIR/agent.sock), or an endpoint such as\n"
       "ipc:///var/lib/nmirf-agent/MJ/agent.sock; $NMIRF_AGENT gives the default.\n"
       "No key is needed: the agent signs with its own.\n"
       "\n"
       "  mine          the recommendations assigned to the agent's entity: REC,\n"
       "                ROLE (lead or contributor), DEADLINE, DUE, STATUS, TEXT; read\n"
       "                from the agent's replica, so it answers with the broker down\n"
       "                (the header then says STALE). DUE says OVERDUE Nd (days late)\n"
       "                or due in Nd, counted from --today (default: today's UTC date\n"
       "                on the agent's clock) with the horizon --due-soon (default 14\n"
       "                days), as the broker's reminders; never for an implemented one\n"
       "  outbox        submissions not yet answered by the broker (the agent\n"
       "                resends them), then the last 100 answers, refusals included\n"
       "  watch         follow notifications (assigned, unassigned, rec_updated,\n"
       "                validated, returned, deadline reminders) until Ctrl-C;\n"
       "                --json prints one JSON object per line\n"
       "  agent-status  replica and broker sequence, lag, connection, outbox size\n");

static const char s_agent_after[] = N_(
    "examples:\n"
    "  export NMIRF_AGENT=/var/lib/nmirf-agent/MJ\n"
    "  nmirf mine\n"
    "  nmirf mine --due-soon 30\n"
    "  nmirf report submit A/HRC/52/7:125.48 --status in_progress --narrative 'Draft'\n"
    "  nmirf watch --json | jq .\n");

static const char s_status_intro[] =
    N_("The broker's health, for the coordinator: version, uptime, latest sequence\n"
       "number, time of the last commit, counters since start (requests, writes,\n"
       "commits), open CurveZMQ connections on the request and events endpoints,\n"
       "the store's size on disk, its map size and how much of the map is used,\n"
       "and each agent's pending outbox as it last reported it (agents report\n"
       "every few seconds). With a standby: on the primary, whether writes wait\n"
       "for it (synchronous), how far behind it is and the replies waiting for\n"
       "it; on the standby, its lag.\n");

static const char s_status_after[] = N_("example:\n"
                                        "  nmirf -k COORD.key -S NMIRFD.pub status\n");

static const char s_promote_intro[] =
    N_("Makes the standby broker it is sent to the primary (coordinator only):\n"
       "the standby raises its epoch, records a broker.promoted event naming its\n"
       "own key (its checkpoints are signed with it from then on) and takes\n"
       "writes. Every other broker that hears of the new epoch, from an agent's\n"
       "or the command line's ping, refuses writes from then on (fenced).\n"
       "Promote only once the primary is gone: docs/OPERATIONS.md.\n");

static const char s_promote_after[] =
    N_("example:\n"
       "  nmirf -k COORD.key -S standby/keys/NMIRFD.pub -b tcp://standby:7710 promote\n");

static const char s_backup_intro[] =
    N_("Copies a broker's data directory into OUTDIR, which must not exist or be\n"
       "empty: the LMDB store, compacted and consistent (one read transaction,\n"
       "taken beside the running broker), and the keys directory with its modes.\n"
       "Run it on the broker's host as the broker's user. OUTDIR is made mode\n"
       "0700 and holds secret keys: keep it as safe as the broker itself.\n"
       "docs/OPERATIONS.md says how to restore it.\n");

static const char s_backup_after[] =
    N_("example:\n"
       "  sudo -u nmirf nmirf backup --data /var/lib/nmirf /var/backups/nmirf/$(date "
       "+%F)\n");

static const char s_check_intro[] =
    N_("Reads the broker's whole store, read-only, beside a running broker or\n"
       "not: LMDB's meta pages against the file (a file cut short), every\n"
       "database entry by entry (each page in use), each value as the record it\n"
       "should be, the event chain, and meta's seq and head. Each damage found\n"
       "is a line \"damaged: FILE: what\"; exit status 0 whole, 1 damaged, 4 it\n"
       "could not be read. The walk runs in a child process, so a page that\n"
       "crashes LMDB is reported as damage too. audit verify --data and backup\n"
       "run the same walk first; nmirfd runs it at start and refuses a damaged\n"
       "store. docs/OPERATIONS.md says what to do with one.\n");

static const char s_check_after[] =
    N_("example:\n"
       "  sudo -u nmirf nmirf check --data /var/lib/nmirf\n");

/* A help topic: the prose before the generated option lines and after. */
static const struct {
    const char *topic; /* a command's or a group's name */
    const char *intro; /* what the commands do */
    const char *after; /* examples and notes */
} s_topics[] = {
    {"keygen", s_keygen_intro, s_keygen_after},
    {"ping", s_ping_intro, s_ping_after},
    {"entity", s_entity_intro, s_entity_after},
    {"rec", s_rec_intro, s_rec_after},
    {"report", s_report_intro, s_report_after},
    {"events", s_events_intro, s_events_after},
    {"snapshot", s_snapshot_intro, s_snapshot_after},
    {"stats", s_stats_intro, s_stats_after},
    {"agent", s_agent_intro, s_agent_after},
    {"audit", s_audit_intro, s_audit_after},
    {"measure", s_measure_intro, s_measure_after},
    {"status", s_status_intro, s_status_after},
    {"promote", s_promote_intro, s_promote_after},
    {"backup", s_backup_intro, s_backup_after},
    {"check", s_check_intro, s_check_after},
};

/* The topic of a command's name ("mine" is the agent's), or name. */
static const char *
s_topic_of(const char *name)
{
    for (size_t g = 0; cli_commands[g]; g++)
        for (const cli_cmd_spec_t *s = cli_commands[g]; s->path; s++)
            if (strcmp(s->path, name) == 0)
                return s->topic;
    return name;
}

/* Writes the help of topic t: usage lines, prose, options by command
   (headed by the command's last word when several have options), prose. */
static void
s_write(size_t t, FILE *out)
{
    const char *topic = s_topics[t].topic;
    size_t nopts = 0;
    bool first = true;
    /* The usage lines of the topic's other commands line up under the
       first's, whatever width the translated prefix has. */
    const char *prefix = _("usage: ");
    char indent[64];
    size_t width = cli_utf8_width(prefix);
    snprintf(indent, sizeof indent, "%*s", (int)(width < sizeof indent ? width : 0), "");
    for (size_t g = 0; cli_commands[g]; g++)
        for (const cli_cmd_spec_t *s = cli_commands[g]; s->path; s++) {
            if (strcmp(s->topic, topic) != 0)
                continue;
            cli_spec_usage(s, first ? prefix : indent, out);
            first = false;
            nopts += cli_spec_has_options(s);
        }
    fprintf(out, "\n%s", cli_tr(s_topics[t].intro));
    for (size_t g = 0; cli_commands[g]; g++)
        for (const cli_cmd_spec_t *s = cli_commands[g]; s->path; s++) {
            if (strcmp(s->topic, topic) != 0 || !cli_spec_has_options(s))
                continue;
            if (nopts > 1) {
                const char *space = strrchr(s->path, ' ');
                fprintf(out, "\n%s:\n", space ? space + 1 : s->path);
            } else
                fputc('\n', out);
            cli_spec_options(s, out);
        }
    fprintf(out, "\n%s", cli_tr(s_topics[t].after));
}

int
cli_help(const char *topic, FILE *out)
{
    if (!topic || strcmp(topic, "help") == 0) {
        fputs(cli_tr(s_overview), out);
        return 0;
    }
    topic = s_topic_of(topic);
    for (size_t i = 0; i < sizeof s_topics / sizeof s_topics[0]; i++)
        if (strcmp(topic, s_topics[i].topic) == 0) {
            s_write(i, out);
            return 0;
        }
    return -1;
}
