/*  nmirf_schema_test - the schema's value sets, limits and field tables,
    and their agreement with the spec.

    Usage: codec_schema proto/PROTOCOL.md

    Every value set round-trips (name -> index -> name), refuses what is
    not exactly one of its names, and is spelled in PROTOCOL.md as the
    schema spells it, in the same order; the error codes' names are the
    schema's (nmirf_codes.c has no list of its own). The limits PROTOCOL.md
    states in words are the schema's numbers, and the bodies of the
    operations that have a field table are the ones the spec's tables
    give. A date is checked as section 6 says. Prints "file:line: case:
    what" per failed check, one summary line at the end.
*/
#include "nmirf_codes.h"
#include "nmirf_schema.h"
#include "nmirf_wire.h"
#include "unit.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *s_spec; /* PROTOCOL.md, each run of white space made one space */

/* Reads path into s_spec with white space folded, so that a phrase the
   spec wraps over two lines is found as one. */
static int
s_load(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t cap = 1 << 16, n = 0;
    s_spec = malloc(cap);
    int c, space = 0;
    while (s_spec && (c = fgetc(f)) != EOF) {
        if (isspace(c)) {
            space = 1;
            continue;
        }
        if (n + 3 > cap)
            s_spec = realloc(s_spec, cap *= 2);
        if (!s_spec)
            break;
        if (space && n)
            s_spec[n++] = ' ';
        space = 0;
        s_spec[n++] = (char)c;
    }
    fclose(f);
    if (!s_spec)
        return -1;
    s_spec[n] = 0;
    return 0;
}

/* Writes set's names as the spec lists them: "`a`, `b`, `c`". */
static void
s_spelled(const nmirf_valueset_t *set, char *out, size_t len)
{
    out[0] = 0;
    for (int i = 0; i < set->count; i++)
        snprintf(out + strlen(out), len - strlen(out), "%s`%s`", i ? ", " : "",
                 set->names[i]);
}

/* Checks one value set: its count, its NULL, unique names, round trips
   and near misses. */
static void
s_set(const nmirf_valueset_t *set, int count)
{
    unit_case = set->name;
    CHECK(set->count == count, "count %d, enum says %d", set->count, count);
    CHECK(set->names[set->count] == NULL, "names is not NULL-terminated at count");
    for (int i = 0; i < set->count; i++) {
        const char *name = set->names[i];
        CHECK(name && *name, "name %d is empty", i);
        if (!name)
            continue;
        CHECK(nmirf_valueset_find(set, name, strlen(name)) == i,
              "'%s' does not round-trip", name);
        CHECK(nmirf_valueset_has(set, name), "'%s' not in its set", name);
        CHECK(strcmp(nmirf_valueset_name(set, i), name) == 0, "name of %d", i);
        CHECK(strlen(name) <= NMIRF_ENUM_MAX, "'%s' is longer than NMIRF_ENUM_MAX", name);
        /* Only the exact bytes: a prefix, a longer string, another case. */
        CHECK(nmirf_valueset_find(set, name, strlen(name) - 1) != i, "prefix of '%s'",
              name);
        char longer[128], other[128];
        snprintf(longer, sizeof longer, "%sx", name);
        CHECK(!nmirf_valueset_has(set, longer), "'%s' taken", longer);
        snprintf(other, sizeof other, "%s", name);
        for (char *p = other; *p; p++)
            *p = (char)(islower((unsigned char)*p) ? toupper((unsigned char)*p)
                                                   : tolower((unsigned char)*p));
        CHECK(strcmp(other, name) == 0 || !nmirf_valueset_has(set, other),
              "'%s' taken: the sets are case-sensitive", other);
    }
    CHECK(nmirf_valueset_find(set, "", 0) == -1, "the empty string is in the set");
    CHECK(nmirf_valueset_name(set, -1) == NULL && nmirf_valueset_name(set, count) == NULL,
          "a name out of range");
}

/* Checks that the spec spells set as prefix followed by its names. */
static void
s_in_spec(const nmirf_valueset_t *set, const char *prefix)
{
    char want[1024];
    size_t n = (size_t)snprintf(want, sizeof want, "%s", prefix);
    s_spelled(set, want + n, sizeof want - n);
    unit_case = set->name;
    CHECK(strstr(s_spec, want) != NULL, "PROTOCOL.md does not say: %s", want);
}

/* A number as the spec writes it: 5,000 and 2,048 with commas. */
static void
s_number(unsigned long v, char *out, size_t len)
{
    if (v >= 1000)
        snprintf(out, len, "%lu,%03lu", v / 1000, v % 1000);
    else
        snprintf(out, len, "%lu", v);
}

/* Checks that the spec states a limit: the phrase with the number in it. */
static void
s_limit(const char *name, const char *before, unsigned long v, const char *after)
{
    char num[32], want[256];
    s_number(v, num, sizeof num);
    snprintf(want, sizeof want, "%s%s%s", before, num, after);
    unit_case = name;
    CHECK(strstr(s_spec, want) != NULL, "PROTOCOL.md does not say: %s", want);
}

/* Checks a field table, and that the spec's operation table gives the
   same body ("`{rec, lead, contributors?, ...}`"). */
static void
s_fields(const nmirf_fields_t *t, bool in_op_table)
{
    unit_case = t->name;
    CHECK(t->count > 0 && t->count <= NMIRF_FIELDS_MAX, "%d fields", t->count);
    char body[512] = "`{";
    for (int i = 0; i < t->count; i++) {
        const nmirf_field_t *f = &t->fields[i];
        CHECK(nmirf_fields_find(t, f->key) == f, "key '%s' repeated", f->key);
        CHECK((f->type == NMIRF_FIELD_ENUM) == (f->set != NULL),
              "field '%s': a set if and only if an enum", f->key);
        if (f->type == NMIRF_FIELD_STR || f->type == NMIRF_FIELD_STR_LIST ||
            f->type == NMIRF_FIELD_LANGS || f->type == NMIRF_FIELD_BIN)
            CHECK(f->max > 0, "field '%s' has no limit", f->key);
        if (f->type == NMIRF_FIELD_BIN)
            CHECK(f->required, "bin field '%s' must be required (body_bin)", f->key);
        snprintf(body + strlen(body), sizeof body - strlen(body), "%s%s%s", i ? ", " : "",
                 f->key, f->required ? "" : "?");
    }
    snprintf(body + strlen(body), sizeof body - strlen(body), "}`");
    char row[600];
    snprintf(row, sizeof row, "| `%s` |", t->name);
    const char *at = strstr(s_spec, row);
    CHECK(!in_op_table || at, "PROTOCOL.md has no row for %s", t->name);
    if (in_op_table && at) {
        /* In the row itself: its body column comes within a few cells. */
        const char *found = strstr(at, body);
        CHECK(found && found - at < 200, "PROTOCOL.md's row for %s does not give %s",
              t->name, body);
    }
    CHECK(nmirf_fields_find(t, "no such key") == NULL, "an unknown key found");
}

int
main(int argc, char **argv)
{
    if (argc != 2 || s_load(argv[1])) {
        fprintf(stderr, "usage: codec_schema proto/PROTOCOL.md\n");
        return 2;
    }

    s_set(&nmirf_roles, NMIRF_ROLE_COUNT);
    s_set(&nmirf_entity_states, NMIRF_ENTITY_STATE_COUNT);
    s_set(&nmirf_mechanisms, NMIRF_MECH_COUNT);
    s_set(&nmirf_responses, NMIRF_RESP_COUNT);
    s_set(&nmirf_statuses, NMIRF_STATUS_COUNT);
    s_set(&nmirf_report_states, NMIRF_REPORT_STATE_COUNT);
    s_set(&nmirf_event_kinds, NMIRF_EV_KIND_COUNT);
    s_set(&nmirf_public_kinds, 6);
    s_set(&nmirf_langs, NMIRF_LANG_COUNT);
    s_set(&nmirf_code_names, NMIRF_CODE_COUNT);

    /* Section 6's value sets, section 7's kinds, as the spec lists them. */
    s_in_spec(&nmirf_roles, "- role: ");
    s_in_spec(&nmirf_entity_states, "- entity state: ");
    s_in_spec(&nmirf_mechanisms, "- mechanism: ");
    s_in_spec(&nmirf_responses, "- response: ");
    s_in_spec(&nmirf_statuses, "- implementation status: ");
    s_in_spec(&nmirf_report_states, "- report state: ");
    s_in_spec(&nmirf_event_kinds, "| `kind` | str | ");
    unit_case = "public kinds";
    for (int i = 0; i < nmirf_public_kinds.count; i++)
        CHECK(nmirf_valueset_has(&nmirf_event_kinds, nmirf_public_kinds.names[i]),
              "'%s' is no event kind", nmirf_public_kinds.names[i]);
    CHECK(strstr(s_spec, "the kinds `rec.added`, `rec.updated`, `rec.withdrawn`, "
                         "`rec.merged`, `assignment.set` and `report.validated`") != NULL,
          "section 7 names other public kinds");

    /* Section 5: every code but ok has its row, in the enum's order; the
       codec's names are the set's. */
    unit_case = "error codes";
    const char *last = s_spec;
    for (int i = 0; i < NMIRF_CODE_COUNT; i++) {
        const char *name = nmirf_code_name((nmirf_code_t)i);
        CHECK(name == nmirf_code_names.names[i], "nmirf_code_name(%d) is not the set's",
              i);
        CHECK(nmirf_code_from_name(name) == (nmirf_code_t)i, "'%s' does not round-trip",
              name);
        if (i == NMIRF_OK)
            continue;
        char row[64];
        snprintf(row, sizeof row, "| `%s` |", name);
        const char *at = strstr(s_spec, row);
        CHECK(at != NULL, "PROTOCOL.md section 5 has no row for %s", name);
        CHECK(!at || at > last, "%s is out of the spec's order", name);
        if (at)
            last = at;
    }
    CHECK(strcmp(nmirf_code_name(NMIRF_CODE_COUNT), "internal") == 0, "unknown code");
    CHECK(nmirf_code_from_name("nope") == NMIRF_CODE_COUNT, "unknown name");

    /* The limits the spec states in words. */
    s_limit("text", "a text is at most ", NMIRF_TEXT_MAX / 1024, " KiB");
    s_limit("short", "at most ", NMIRF_SHORT_MAX, " bytes");
    s_limit("evidence", "an evidence link at most ", NMIRF_EVIDENCE_MAX, " bytes");
    s_limit("person", "a person's name (a report's `by`) at most ", NMIRF_PERSON_MAX,
            " bytes");
    s_limit("person", "`by` is one line of 1 to ", NMIRF_PERSON_MAX, " bytes");
    s_limit("list", "a list at most ", NMIRF_LIST_MAX, " items");
    s_limit("import", "an import at most ", NMIRF_IMPORT_MAX, " recommendations");
    s_limit("list limit", "`limit` defaults to ", NMIRF_LIST_DEFAULT, "");
    s_limit("list limit", "(max ", NMIRF_LIST_LIMIT_MAX, ")");
    s_limit("events limit", "(default ", NMIRF_EVENTS_DEFAULT, "");
    s_limit("events limit", "max ", NMIRF_EVENTS_MAX, ")");
    s_limit("due soon", "(at most ", NMIRF_DUE_SOON_MAX, ")");
    s_limit("stats lists", "(default ", NMIRF_STATS_LIST_DEFAULT, "");
    s_limit("stats lists", "max ", NMIRF_STATS_LIST_MAX, ")");
    s_limit("entity id", "[A-Z0-9_-]{1,", NMIRF_ENTITY_ID_MAX, "}");
    s_limit("rec id", "[A-Za-z0-9._/:-]{1,", NMIRF_REC_ID_MAX, "}");
    unit_case = "number";
    CHECK(NMIRF_NUMBER_MAX == 1e15 && strstr(s_spec, "|v| <= 10^15"), "10^15");

    /* The field tables. */
    s_fields(&nmirf_fields_recommendation, false);
    s_fields(&nmirf_fields_entity_enroll, true);
    s_fields(&nmirf_fields_report_submit, true);
    /* The spec's rows give these with types ("{report: uint}"). */
    s_fields(&nmirf_fields_report_validate, false);
    s_fields(&nmirf_fields_report_return, false);
    s_fields(&nmirf_fields_rec_assign, true);
    s_fields(&nmirf_fields_rec_list, true);
    s_fields(&nmirf_fields_report_list, true);
    s_fields(&nmirf_fields_rec_withdraw, true);
    s_fields(&nmirf_fields_rec_merge, true);
    s_fields(&nmirf_fields_entity_update, true);
    s_fields(&nmirf_fields_indicator, false);
    unit_case = "recommendation";
    CHECK(
        strstr(s_spec,
               "**recommendation**: `{id, mechanism, symbol?, paragraph?, cycle?, "
               "date?, states?: [str], text: {fr?, ar?, en?}, response, "
               "response_text?, themes?: [str], persons?: [str], sdgs?: [str], "
               "mandate?, session?, source_updated?: date, updated: uint ms, withdrawn?: "
               "{reason: str, at: uint ms, into?: str}}`") != NULL,
        "the record's keys in PROTOCOL.md differ");
    CHECK(nmirf_fields_max(&nmirf_fields_report_submit, "evidence") == NMIRF_EVIDENCE_MAX,
          "evidence");
    unit_case = "by";
    const nmirf_field_t *by = nmirf_fields_find(&nmirf_fields_report_submit, "by");
    CHECK(by && by->type == NMIRF_FIELD_LINE && !by->required &&
              by->max == NMIRF_PERSON_MAX,
          "report.submit's by is an optional line of NMIRF_PERSON_MAX bytes");
    CHECK(strstr(s_spec, "**report**: `{id: uint, rec, entity, by?, status,") != NULL,
          "the report record in PROTOCOL.md has no by?");
    CHECK(nmirf_fields_set(&nmirf_fields_rec_list, "status") == &nmirf_statuses,
          "status");
    CHECK(nmirf_fields_find(&nmirf_fields_entity_enroll, "sign_key")->max ==
              NMIRF_SIGN_PK_LEN,
          "sign_key is an Ed25519 public key");

    /* What a date is: the one check the broker, the control protocol and
       the clients share. */
    unit_case = "date";
    static const char *const good[] = {"2025-01-31", "2024-02-29", "2000-02-29",
                                       "1900-01-01", "9999-12-31"};
    static const char *const bad[] = {"2025-02-29", "1900-02-29", "1899-12-31",
                                      "2025-13-01", "2025-00-10", "2025-04-31",
                                      "2025-01-00", "2025/01/01", "2025-1-01",
                                      "20250101xx", "+025-01-01", ""};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        CHECK(nmirf_date_valid(good[i], strlen(good[i])), "%s refused", good[i]);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK(!nmirf_date_valid(bad[i], strlen(bad[i])), "'%s' taken", bad[i]);
    /* Only the len bytes count: a date inside a longer buffer. */
    CHECK(nmirf_date_valid("2025-01-31T00", 10), "a prefix of 10 bytes");
    CHECK(!nmirf_date_valid("2025-01-31", 9), "9 bytes");

    /* What a line is: no C0, DEL or C1 control character, whatever else
       UTF-8 holds (the envelope checks that it is UTF-8). */
    unit_case = "line";
    static const char *const lines[] = {"Fatima Zahra El Idrissi", "فاطمة الزهراء",
                                        "Élodie Ça", "a\xc2\xa0z" /* U+00A0 */, ""};
    static const char *const not_lines[] = {"a\nb",  "a\tb",     "\x1b[31m",
                                            "a\x7f", "\xc2\x80", "a\xc2\x9fz"};
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
        CHECK(nmirf_line_valid(lines[i], strlen(lines[i])), "'%s' refused", lines[i]);
    for (size_t i = 0; i < sizeof not_lines / sizeof not_lines[0]; i++)
        CHECK(!nmirf_line_valid(not_lines[i], strlen(not_lines[i])), "line %zu taken", i);
    CHECK(!nmirf_line_valid("ab\0", 3), "a NUL");
    CHECK(nmirf_line_valid("ab\n", 2), "only the len bytes count");
    /* A lone c2 at the end is not a C1 character (and not UTF-8 either:
       the envelope's check refuses it first). */
    CHECK(nmirf_line_valid("a\xc2", 2), "a lone c2 at the end");

    free(s_spec);
    return unit_done("codec_schema");
}
