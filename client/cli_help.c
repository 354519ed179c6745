/*  cli_help - the help texts, one per topic, with examples.

    Kept apart from the code that parses the flags so that the texts read
    as a manual; a flag added to a command is added to its text here.
*/
#include <string.h>

#include "cli.h"

static const char s_overview[] =
    "usage: nmirf [OPTIONS] COMMAND [ARGS...]\n"
    "\n"
    "Follow up human-rights recommendations through an nmirfd broker.\n"
    "\n"
    "options:\n"
    "  -b, --broker EP     request endpoint ($NMIRF_BROKER, else tcp://127.0.0.1:7710)\n"
    "  -e, --events EP     events endpoint ($NMIRF_EVENTS, else tcp://127.0.0.1:7711)\n"
    "  -k, --key FILE      your secret key file, ID.key ($NMIRF_KEY); every request\n"
    "                      is signed with it, reads included\n"
    "  -S, --server-key FILE\n"
    "                      the broker's public key, its DATA/keys/NMIRFD.pub\n"
    "                      ($NMIRF_SERVER_KEY): connections are CurveZMQ\n"
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
    "  report ...          submit, validate, return, list reports\n"
    "  events              list events, or follow them as they happen\n"
    "  snapshot            every record, as JSON\n"
    "  stats               implementation status counts by entity and mechanism\n"
    "  mine                your assignments, from the agent's replica (-a)\n"
    "  outbox              submissions the agent still sends, and its answers (-a)\n"
    "  watch               follow the agent's notifications (-a)\n"
    "  agent-status        the agent's replica, broker link and outbox (-a)\n"
    "  audit ...           export the signed event log, verify it offline\n"
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
    "  nmirf rec list --mechanism UPR --status not_started\n";

static const char s_keygen[] =
    "usage: nmirf keygen ID [--dir DIR]\n"
    "\n"
    "Makes a signing key pair and a CURVE key pair for entity ID and writes\n"
    "DIR/ID.key (secret, mode 0600) and DIR/ID.pub (public; give it to the\n"
    "coordinator to enroll). An existing ID.key is never overwritten.\n"
    "ID is 1 to 16 of A-Z 0-9 _ -.\n"
    "\n"
    "  -d, --dir DIR       where to write the files (default: .)\n"
    "\n"
    "example:\n"
    "  nmirf keygen MJ --dir ~/.nmirf\n";

static const char s_ping[] =
    "usage: nmirf ping\n"
    "\n"
    "Asks the broker for its version, its latest event sequence number and\n"
    "its counters since it started (requests, writes, commits); a quick check\n"
    "that the broker is up and that your key is enrolled.\n"
    "\n"
    "example:\n"
    "  nmirf -k MJ.key -S NMIRFD.pub -b tcp://broker.example:7710 ping\n";

static const char s_entity[] =
    "usage: nmirf entity enroll PUBFILE --role ROLE [--name-fr S] [--name-ar S]\n"
    "                           [--name-en S]\n"
    "       nmirf entity list\n"
    "       nmirf entity show ID\n"
    "       nmirf entity revoke ID\n"
    "       nmirf entity rotate NEWPUBFILE\n"
    "\n"
    "Entities are the coordinator, the ministries and the observers. enroll,\n"
    "revoke and rotate are the coordinator's. enroll reads the entity's id and\n"
    "public keys from PUBFILE (an ID.pub, or an ID.key).\n"
    "rotate gives an active entity new keys, read with its id from NEWPUBFILE:\n"
    "the ministry makes the new pair with `nmirf keygen ID --dir NEWDIR` and\n"
    "hands over NEWDIR/ID.pub; from then on only the new key signs. The old\n"
    "keys stay in the record (previous_keys), so reports signed before still\n"
    "verify. A ministry cannot rotate its own keys in this version.\n"
    "\n"
    "  -r, --role ROLE     coordinator, ministry or observer\n"
    "      --name-fr S     the entity's name in French (likewise --name-ar,\n"
    "                      --name-en)\n"
    "\n"
    "examples:\n"
    "  nmirf entity enroll MJ.pub --role ministry --name-fr 'Ministère de la Justice'\n"
    "  nmirf entity list\n"
    "  nmirf entity revoke OBS1\n"
    "  nmirf entity rotate /media/usb/MJ.pub\n";

static const char s_audit[] =
    "usage: nmirf audit export --data DIR --out FILE [-S NMIRFD.pub]\n"
    "       nmirf audit verify (--data DIR | FILE) [-S NMIRFD.pub]\n"
    "\n"
    "Offline tools: no broker, no key of yours. export copies the broker's\n"
    "event log, the signed request behind each event and the broker's signed\n"
    "checkpoints from the data directory DIR into one file (the store is opened\n"
    "read-only: the broker may be running). verify checks a file or a data\n"
    "directory: sequence numbers from 1 with no gap, each event chained to the\n"
    "one before, each request present, unchanged and signed by the event's\n"
    "author with the key the author had at that point, and each checkpoint\n"
    "signed by the broker over the event it names (a log cut below a\n"
    "checkpoint is caught). It prints a summary, or the first failing event\n"
    "and why. It cannot see events the broker wrote after its last checkpoint\n"
    "and withholds.\n"
    "\n"
    "  -d, --data DIR          the broker's data directory\n"
    "  -o, --out FILE          where export writes\n"
    "  -S, --server-key FILE   the broker's public key NMIRFD.pub (default\n"
    "                          DIR/keys/NMIRFD.pub; for a FILE without -S, the key\n"
    "                          the file names, with a warning)\n"
    "\n"
    "exit status: 0 verified, 1 verification failed, 2 usage, 4 file error\n"
    "\n"
    "examples:\n"
    "  nmirf audit export --data /var/lib/nmirfd --out audit-2025-06.nmirf\n"
    "  nmirf audit verify audit-2025-06.nmirf -S NMIRFD.pub\n"
    "  nmirf audit verify --data /srv/copy-of-nmirfd-data\n";

static const char s_rec[] =
    "usage: nmirf rec import FILE.json|FILE.csv [--format json|csv|uhri] [--skip-bad]\n"
    "                      [--lang fr|ar|en]\n"
    "       nmirf rec export [--format json|csv] [--out FILE] [--mechanism M]\n"
    "                      [--entity ID] [--status S]\n"
    "       nmirf rec list [--mechanism M] [--entity ID] [--status S] [--text T]\n"
    "                      [--limit N]\n"
    "       nmirf rec show ID\n"
    "       nmirf rec assign ID --lead ID [--contributor ID]... [--deadline DATE]\n"
    "                      [--note TEXT]\n"
    "\n"
    "import (coordinator) reads a JSON array of recommendation objects, or an\n"
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
    "running the import again is safe. docs/DATA.md has the formats.\n"
    "\n"
    "export writes every recommendation (or those the filters select) in\n"
    "full, as JSON (default) or CSV, to stdout or --out FILE; both import\n"
    "back unchanged.\n"
    "\n"
    "list filters:\n"
    "  -m, --mechanism M   UPR CAT CCPR CESCR CEDAW CERD CRC CRPD CMW CED SP\n"
    "  -E, --entity ID     the lead or a contributor\n"
    "  -s, --status S      not_started in_progress partially_implemented\n"
    "                      implemented not_implemented\n"
    "  -T, --text T        a case-sensitive substring of any language's text\n"
    "  -n, --limit N       at most N rows (default 1000)\n"
    "\n"
    "assign (coordinator) gives a recommendation to a lead ministry and its\n"
    "contributors; assigning again replaces the assignment.\n"
    "  -l, --lead ID           the ministry answerable for it\n"
    "  -c, --contributor ID    a ministry that helps (repeat the flag)\n"
    "  -D, --deadline DATE     YYYY-MM-DD\n"
    "  -N, --note TEXT         a note for the ministries\n"
    "\n"
    "examples:\n"
    "  nmirf rec import upr-cycle4.json\n"
    "  nmirf rec import uhri-morocco.csv --skip-bad\n"
    "  nmirf rec export --format csv --out recs.csv\n"
    "  nmirf rec list --mechanism CAT --text torture\n"
    "  nmirf rec show UPR-4-128.12\n"
    "  nmirf rec assign UPR-4-128.12 --lead MJ --contributor MI --deadline 2025-06-30\n";

static const char s_report[] =
    "usage: nmirf report submit REC --status S --narrative TEXT [--evidence URL]...\n"
    "                           [--date DATE]\n"
    "       nmirf report validate N\n"
    "       nmirf report return N --reason TEXT\n"
    "       nmirf report list [--rec ID] [--entity ID] [--state S] [--limit N]\n"
    "\n"
    "A ministry assigned to a recommendation (lead or contributor) submits\n"
    "reports on it; the coordinator validates each, or returns it with a\n"
    "reason. A recommendation's status is that of its latest validated\n"
    "report.\n"
    "\n"
    "submit:\n"
    "  -s, --status S       not_started in_progress partially_implemented\n"
    "                       implemented not_implemented\n"
    "  -n, --narrative TEXT what was done\n"
    "  -e, --evidence URL   a link to evidence (repeat the flag)\n"
    "  -D, --date DATE      YYYY-MM-DD (default: the broker's date)\n"
    "return:\n"
    "  -r, --reason TEXT    why the report goes back\n"
    "list:\n"
    "  -R, --rec ID         reports on one recommendation\n"
    "  -E, --entity ID      reports by one entity\n"
    "  -S, --state S        submitted, validated or returned\n"
    "  -n, --limit N        at most N rows (default 1000)\n"
    "\n"
    "examples:\n"
    "  nmirf -k MJ.key report submit UPR-4-128.12 --status in_progress \\\n"
    "        --narrative 'Draft law sent to parliament' --evidence "
    "https://example.org/law\n"
    "  nmirf report list --state submitted\n"
    "  nmirf report validate 3\n"
    "  nmirf report return 4 --reason 'Evidence link is broken'\n"
    "\n"
    "With -a DIR (or $NMIRF_AGENT), submit hands the report to the ministry's\n"
    "nmirf-agent, which signs it, keeps it on disk and sends it until the broker\n"
    "answers. If no answer comes within --timeout, submit prints \"queued: ...\"\n"
    "and exits 0: the agent goes on resending it (see nmirf outbox).\n";

static const char s_events[] =
    "usage: nmirf events [--since N] [--limit N]\n"
    "       nmirf events --follow [--since N]\n"
    "\n"
    "Every change is an event, numbered from 1. The first form lists the\n"
    "events after number N. --follow subscribes to the events endpoint and\n"
    "prints each event as it happens, one line each (with --json, one JSON\n"
    "object per line), until interrupted; with --since it first prints the\n"
    "events after N, and it fetches any it missed.\n"
    "\n"
    "  -s, --since N       start after event N (default 0; with --follow: now)\n"
    "  -n, --limit N       at most N events (default 1000, at most 10000)\n"
    "  -f, --follow        keep printing new events\n"
    "\n"
    "examples:\n"
    "  nmirf events --since 40\n"
    "  nmirf --json events --follow --since 0 | while read -r ev; do ...; done\n";

static const char s_snapshot[] =
    "usage: nmirf snapshot\n"
    "\n"
    "Prints every entity, recommendation, assignment and report, and the\n"
    "sequence number they reflect, as one JSON document (always JSON).\n"
    "\n"
    "example:\n"
    "  nmirf snapshot > backup.json\n";

static const char s_stats[] =
    "usage: nmirf stats\n"
    "\n"
    "Counts recommendations by implementation status, per lead entity\n"
    "(unassigned ones under -) and per mechanism.\n"
    "\n"
    "example:\n"
    "  nmirf stats\n";

static const char s_agent[] =
    "usage: nmirf -a DIR mine [--json]\n"
    "       nmirf -a DIR outbox [--json]\n"
    "       nmirf -a DIR watch [--json]\n"
    "       nmirf -a DIR agent-status [--json]\n"
    "\n"
    "Commands answered by the ministry's nmirf-agent, not the broker. DIR is\n"
    "the agent's data directory (its control socket is DIR/agent.sock), or an\n"
    "endpoint such as ipc:///var/lib/nmirf-agent/MJ/agent.sock; $NMIRF_AGENT\n"
    "gives the default. No key is needed: the agent signs with its own.\n"
    "\n"
    "  mine          the recommendations assigned to the agent's entity: REC,\n"
    "                ROLE (lead or contributor), DEADLINE, STATUS, TEXT; read from\n"
    "                the agent's replica, so it answers with the broker down (the\n"
    "                header then says STALE)\n"
    "  outbox        submissions not yet answered by the broker (the agent\n"
    "                resends them), then the last 100 answers, refusals included\n"
    "  watch         follow notifications (assigned, unassigned, rec_updated,\n"
    "                validated, returned, deadline reminders) until Ctrl-C;\n"
    "                --json prints one JSON object per line\n"
    "  agent-status  replica and broker sequence, lag, connection, outbox size\n"
    "\n"
    "examples:\n"
    "  export NMIRF_AGENT=/var/lib/nmirf-agent/MJ\n"
    "  nmirf mine\n"
    "  nmirf report submit UPR-4-128.12 --status in_progress --narrative 'Draft'\n"
    "  nmirf watch --json | jq .\n";

static const struct {
    const char *topic; /* command name */
    const char *text;  /* its help */
} s_topics[] = {
    {"keygen", s_keygen},     {"ping", s_ping},     {"entity", s_entity},
    {"rec", s_rec},           {"report", s_report}, {"events", s_events},
    {"snapshot", s_snapshot}, {"stats", s_stats},   {"mine", s_agent},
    {"outbox", s_agent},      {"watch", s_agent},   {"agent-status", s_agent},
    {"agent", s_agent},       {"audit", s_audit},
};

int
cli_help(const char *topic, FILE *out)
{
    if (!topic || strcmp(topic, "help") == 0) {
        fputs(s_overview, out);
        return 0;
    }
    for (size_t i = 0; i < sizeof s_topics / sizeof s_topics[0]; i++)
        if (strcmp(topic, s_topics[i].topic) == 0) {
            fputs(s_topics[i].text, out);
            return 0;
        }
    return -1;
}
