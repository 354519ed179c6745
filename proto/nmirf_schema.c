/*  nmirf_schema - the protocol's value sets and field tables. */
#include "nmirf_schema.h"
#include "nmirf_codes.h"

#include <assert.h>
#include <string.h>

/* A value set over a NULL-terminated array of names. */
#define S_SET(what, array)                                                               \
    {                                                                                    \
        what, array, (int)(sizeof array / sizeof array[0]) - 1                           \
    }

static const char *const s_roles[NMIRF_ROLE_COUNT + 1] = {
    [NMIRF_ROLE_COORDINATOR] = "coordinator",
    [NMIRF_ROLE_MINISTRY] = "ministry",
    [NMIRF_ROLE_OBSERVER] = "observer",
    [NMIRF_ROLE_STANDBY] = "standby",
};
const nmirf_valueset_t nmirf_roles = S_SET("role", s_roles);

static const char *const s_entity_states[NMIRF_ENTITY_STATE_COUNT + 1] = {
    [NMIRF_ENTITY_ACTIVE] = "active",
    [NMIRF_ENTITY_REVOKED] = "revoked",
};
const nmirf_valueset_t nmirf_entity_states = S_SET("entity state", s_entity_states);

static const char *const s_mechanisms[NMIRF_MECH_COUNT + 1] = {
    [NMIRF_MECH_UPR] = "UPR",     [NMIRF_MECH_CAT] = "CAT",
    [NMIRF_MECH_CCPR] = "CCPR",   [NMIRF_MECH_CESCR] = "CESCR",
    [NMIRF_MECH_CEDAW] = "CEDAW", [NMIRF_MECH_CERD] = "CERD",
    [NMIRF_MECH_CRC] = "CRC",     [NMIRF_MECH_CRPD] = "CRPD",
    [NMIRF_MECH_CMW] = "CMW",     [NMIRF_MECH_CED] = "CED",
    [NMIRF_MECH_SP] = "SP",
};
const nmirf_valueset_t nmirf_mechanisms = S_SET("mechanism", s_mechanisms);

static const char *const s_responses[NMIRF_RESP_COUNT + 1] = {
    [NMIRF_RESP_SUPPORTED] = "supported",
    [NMIRF_RESP_NOTED] = "noted",
    [NMIRF_RESP_PENDING] = "pending",
    [NMIRF_RESP_NOT_APPLICABLE] = "not_applicable",
};
const nmirf_valueset_t nmirf_responses = S_SET("response", s_responses);

static const char *const s_statuses[NMIRF_STATUS_COUNT + 1] = {
    [NMIRF_STATUS_NOT_STARTED] = "not_started",
    [NMIRF_STATUS_IN_PROGRESS] = "in_progress",
    [NMIRF_STATUS_PARTIALLY_IMPLEMENTED] = "partially_implemented",
    [NMIRF_STATUS_IMPLEMENTED] = "implemented",
    [NMIRF_STATUS_NOT_IMPLEMENTED] = "not_implemented",
};
const nmirf_valueset_t nmirf_statuses = S_SET("implementation status", s_statuses);

static const char *const s_report_states[NMIRF_REPORT_STATE_COUNT + 1] = {
    [NMIRF_REPORT_SUBMITTED] = "submitted",
    [NMIRF_REPORT_VALIDATED] = "validated",
    [NMIRF_REPORT_RETURNED] = "returned",
};
const nmirf_valueset_t nmirf_report_states = S_SET("report state", s_report_states);

static const char *const s_event_kinds[NMIRF_EV_KIND_COUNT + 1] = {
    [NMIRF_EV_ENTITY_ENROLLED] = "entity.enrolled",
    [NMIRF_EV_ENTITY_REVOKED] = "entity.revoked",
    [NMIRF_EV_ENTITY_ROTATED] = "entity.rotated",
    [NMIRF_EV_REC_ADDED] = "rec.added",
    [NMIRF_EV_REC_UPDATED] = "rec.updated",
    [NMIRF_EV_ASSIGNMENT_SET] = "assignment.set",
    [NMIRF_EV_REPORT_SUBMITTED] = "report.submitted",
    [NMIRF_EV_REPORT_VALIDATED] = "report.validated",
    [NMIRF_EV_REPORT_RETURNED] = "report.returned",
    [NMIRF_EV_MEASURE_ADDED] = "measure.added",
    [NMIRF_EV_MEASURE_UPDATED] = "measure.updated",
    [NMIRF_EV_DEADLINE_DUE_SOON] = "deadline.due_soon",
    [NMIRF_EV_DEADLINE_OVERDUE] = "deadline.overdue",
    [NMIRF_EV_REC_WITHDRAWN] = "rec.withdrawn",
    [NMIRF_EV_REC_MERGED] = "rec.merged",
    [NMIRF_EV_ENTITY_UPDATED] = "entity.updated",
};
const nmirf_valueset_t nmirf_event_kinds = S_SET("event kind", s_event_kinds);

/* Recommendations, assignments and validated progress: what the country
   publishes anyway. Not entities (keys, names, revocations), not submitted
   or returned reports (a ministry's draft and the coordinator's reasons),
   not measures (planned, not yet progress), not deadline reminders
   (internal follow-up). A withdrawal and a merge change the country's list
   of recommendations: public like rec.added (a merge names the moved
   reports by id only, never their content). */
static const char *const s_public_kinds[] = {
    "rec.added",  "rec.updated", "assignment.set", "report.validated", "rec.withdrawn",
    "rec.merged", NULL};
const nmirf_valueset_t nmirf_public_kinds = S_SET("public event kind", s_public_kinds);

static const char *const s_langs[NMIRF_LANG_COUNT + 1] = {
    [NMIRF_LANG_FR] = "fr",
    [NMIRF_LANG_AR] = "ar",
    [NMIRF_LANG_EN] = "en",
};
const nmirf_valueset_t nmirf_langs = S_SET("language", s_langs);

static const char *const s_codes[NMIRF_CODE_COUNT + 1] = {
    [NMIRF_OK] = "ok",
    [NMIRF_E_BAD_FRAME] = "bad_frame",
    [NMIRF_E_TOO_LARGE] = "too_large",
    [NMIRF_E_BAD_MSGPACK] = "bad_msgpack",
    [NMIRF_E_BAD_UTF8] = "bad_utf8",
    [NMIRF_E_BAD_ENVELOPE] = "bad_envelope",
    [NMIRF_E_BAD_VERSION] = "bad_version",
    [NMIRF_E_UNKNOWN_AUTHOR] = "unknown_author",
    [NMIRF_E_REVOKED] = "revoked",
    [NMIRF_E_BAD_SIGNATURE] = "bad_signature",
    [NMIRF_E_ID_REUSED] = "id_reused",
    [NMIRF_E_UNKNOWN_OP] = "unknown_op",
    [NMIRF_E_BAD_REQUEST] = "bad_request",
    [NMIRF_E_FORBIDDEN] = "forbidden",
    [NMIRF_E_NOT_FOUND] = "not_found",
    [NMIRF_E_CONFLICT] = "conflict",
    [NMIRF_E_STORAGE] = "storage",
    [NMIRF_E_INTERNAL] = "internal",
    [NMIRF_E_AUTHOR_MISMATCH] = "author_mismatch",
    [NMIRF_E_BAD_TS] = "bad_ts",
    [NMIRF_E_KEY_RETIRED] = "key_retired",
    [NMIRF_E_KEY_IN_USE] = "key_in_use",
    [NMIRF_E_UNAVAILABLE] = "unavailable",
    [NMIRF_E_STALE] = "stale",
    [NMIRF_E_NOT_PRIMARY] = "not_primary",
};
const nmirf_valueset_t nmirf_code_names = S_SET("error code", s_codes);

int
nmirf_valueset_find(const nmirf_valueset_t *set, const char *s, size_t n)
{
    for (int i = 0; i < set->count; i++)
        if (strlen(set->names[i]) == n && memcmp(set->names[i], s, n) == 0)
            return i;
    return -1;
}

bool
nmirf_valueset_has(const nmirf_valueset_t *set, const char *s)
{
    return nmirf_valueset_find(set, s, strlen(s)) >= 0;
}

const char *
nmirf_valueset_name(const nmirf_valueset_t *set, int i)
{
    return i >= 0 && i < set->count ? set->names[i] : NULL;
}

/* --- dates -------------------------------------------------------------- */

bool
nmirf_date_valid(const char *s, size_t len)
{
    static const int days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (len != NMIRF_DATE_LEN || s[4] != '-' || s[7] != '-')
        return false;
    for (int i = 0; i < NMIRF_DATE_LEN; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return false;
    /* Digit by digit: s may be a string inside a msgpack buffer, with no
       NUL after it. */
    int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    int m = (s[5] - '0') * 10 + (s[6] - '0'), d = (s[8] - '0') * 10 + (s[9] - '0');
    if (y < 1900 || m < 1 || m > 12 || d < 1 || d > days[m - 1])
        return false;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return !(m == 2 && d == 29 && !leap);
}

/* --- one-line labels --------------------------------------------------- */

bool
nmirf_line_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < len; i++) {
        if (p[i] < 0x20 || p[i] == 0x7f)
            return false;
        /* U+0080-U+009F is c2 followed by 80-9f in UTF-8. */
        if (p[i] == 0xc2 && i + 1 < len && p[i + 1] >= 0x80 && p[i + 1] <= 0x9f)
            return false;
    }
    return true;
}

/* --- field tables ------------------------------------------------------ */

/* A field table over a static array. */
#define S_FIELDS(what, array)                                                            \
    {                                                                                    \
        what, array, (int)(sizeof array / sizeof array[0])                               \
    }

/* The recommendation's fields in canonical order: the order the broker
   stores them in and checks them in. */
static const nmirf_field_t s_recommendation[] = {
    {"id", NMIRF_FIELD_REC_ID, true, NMIRF_REC_ID_MAX, NULL},
    {"mechanism", NMIRF_FIELD_ENUM, true, NMIRF_ENUM_MAX, &nmirf_mechanisms},
    {"symbol", NMIRF_FIELD_STR, false, NMIRF_SHORT_MAX, NULL},
    {"paragraph", NMIRF_FIELD_STR, false, NMIRF_SHORT_MAX, NULL},
    {"cycle", NMIRF_FIELD_STR, false, NMIRF_SHORT_MAX, NULL},
    {"date", NMIRF_FIELD_DATE, false, NMIRF_DATE_LEN, NULL},
    {"states", NMIRF_FIELD_STR_LIST, false, NMIRF_SHORT_MAX, NULL},
    {"text", NMIRF_FIELD_LANGS, false, NMIRF_TEXT_MAX, NULL},
    {"response", NMIRF_FIELD_ENUM, false, NMIRF_ENUM_MAX, &nmirf_responses},
    {"response_text", NMIRF_FIELD_STR, false, NMIRF_TEXT_MAX, NULL},
    {"themes", NMIRF_FIELD_STR_LIST, false, NMIRF_SHORT_MAX, NULL},
    {"persons", NMIRF_FIELD_STR_LIST, false, NMIRF_SHORT_MAX, NULL},
    {"sdgs", NMIRF_FIELD_STR_LIST, false, NMIRF_SHORT_MAX, NULL},
    /* What a UHRI export says beside the above: a special procedure's
       mandate, the session (a treaty body's, distinct from a UPR cycle),
       and the date the export last changed the row. After sdgs, so a
       record without them packs as before. */
    {"mandate", NMIRF_FIELD_STR, false, NMIRF_SHORT_MAX, NULL},
    {"session", NMIRF_FIELD_STR, false, NMIRF_SHORT_MAX, NULL},
    {"source_updated", NMIRF_FIELD_DATE, false, NMIRF_DATE_LEN, NULL},
};
const nmirf_fields_t nmirf_fields_recommendation =
    S_FIELDS("recommendation", s_recommendation);

static const nmirf_field_t s_entity_enroll[] = {
    {"id", NMIRF_FIELD_ENTITY_ID, true, NMIRF_ENTITY_ID_MAX, NULL},
    {"role", NMIRF_FIELD_ENUM, true, NMIRF_ENUM_MAX, &nmirf_roles},
    {"names", NMIRF_FIELD_LANGS, false, NMIRF_SHORT_MAX, NULL},
    {"sign_key", NMIRF_FIELD_BIN, true, 32, NULL},  /* Ed25519 public key */
    {"curve_key", NMIRF_FIELD_BIN, true, 32, NULL}, /* Curve25519 public key */
};
const nmirf_fields_t nmirf_fields_entity_enroll =
    S_FIELDS("entity.enroll", s_entity_enroll);

static const nmirf_field_t s_report_submit[] = {
    {"rec", NMIRF_FIELD_REC_ID, true, NMIRF_REC_ID_MAX, NULL},
    {"status", NMIRF_FIELD_ENUM, true, NMIRF_ENUM_MAX, &nmirf_statuses},
    {"narrative", NMIRF_FIELD_STR, true, NMIRF_TEXT_MAX, NULL},
    {"evidence", NMIRF_FIELD_STR_LIST, false, NMIRF_EVIDENCE_MAX, NULL},
    {"date", NMIRF_FIELD_DATE, false, NMIRF_DATE_LEN, NULL},
    {"measure", NMIRF_FIELD_UINT, false, 0, NULL},
    {"indicator_values", NMIRF_FIELD_POINTS, false, 0, NULL},
    /* Who at the ministry wrote it (the console's user): last, so a body
       without it is checked as before. */
    {"by", NMIRF_FIELD_LINE, false, NMIRF_PERSON_MAX, NULL},
};
const nmirf_fields_t nmirf_fields_report_submit =
    S_FIELDS("report.submit", s_report_submit);

/* A coordinator's decision on a report: validate takes its number,
   return also a reason the ministry reads. */
static const nmirf_field_t s_report_validate[] = {
    {"report", NMIRF_FIELD_UINT, true, 0, NULL},
};
const nmirf_fields_t nmirf_fields_report_validate =
    S_FIELDS("report.validate", s_report_validate);

static const nmirf_field_t s_report_return[] = {
    {"report", NMIRF_FIELD_UINT, true, 0, NULL},
    {"reason", NMIRF_FIELD_STR, true, NMIRF_TEXT_MAX, NULL},
};
const nmirf_fields_t nmirf_fields_report_return =
    S_FIELDS("report.return", s_report_return);

static const nmirf_field_t s_rec_assign[] = {
    {"rec", NMIRF_FIELD_REC_ID, true, NMIRF_REC_ID_MAX, NULL},
    {"lead", NMIRF_FIELD_ENTITY_ID, true, NMIRF_ENTITY_ID_MAX, NULL},
    {"contributors", NMIRF_FIELD_STR_LIST, false, NMIRF_ENTITY_ID_MAX, NULL},
    {"deadline", NMIRF_FIELD_DATE, false, NMIRF_DATE_LEN, NULL},
    {"note", NMIRF_FIELD_STR, false, NMIRF_TEXT_MAX, NULL},
};
const nmirf_fields_t nmirf_fields_rec_assign = S_FIELDS("rec.assign", s_rec_assign);

static const nmirf_field_t s_rec_list[] = {
    {"mechanism", NMIRF_FIELD_ENUM, false, NMIRF_ENUM_MAX, &nmirf_mechanisms},
    {"entity", NMIRF_FIELD_ENTITY_ID, false, NMIRF_ENTITY_ID_MAX, NULL},
    {"status", NMIRF_FIELD_ENUM, false, NMIRF_ENUM_MAX, &nmirf_statuses},
    {"text", NMIRF_FIELD_STR, false, NMIRF_SHORT_MAX, NULL},
    {"limit", NMIRF_FIELD_UINT, false, 0, NULL},
    /* true: withdrawn recommendations are listed too (hidden by default). */
    {"withdrawn", NMIRF_FIELD_BOOL, false, 0, NULL},
};
const nmirf_fields_t nmirf_fields_rec_list = S_FIELDS("rec.list", s_rec_list);

static const nmirf_field_t s_rec_withdraw[] = {
    {"rec", NMIRF_FIELD_REC_ID, true, NMIRF_REC_ID_MAX, NULL},
    {"reason", NMIRF_FIELD_STR, true, NMIRF_TEXT_MAX, NULL},
};
const nmirf_fields_t nmirf_fields_rec_withdraw = S_FIELDS("rec.withdraw", s_rec_withdraw);

static const nmirf_field_t s_rec_merge[] = {
    {"from", NMIRF_FIELD_REC_ID, true, NMIRF_REC_ID_MAX, NULL},
    {"into", NMIRF_FIELD_REC_ID, true, NMIRF_REC_ID_MAX, NULL},
    {"reason", NMIRF_FIELD_STR, false, NMIRF_TEXT_MAX, NULL},
};
const nmirf_fields_t nmirf_fields_rec_merge = S_FIELDS("rec.merge", s_rec_merge);

/* A contact is an e-mail or a postal address on one line. */
static const nmirf_field_t s_entity_update[] = {
    {"id", NMIRF_FIELD_ENTITY_ID, true, NMIRF_ENTITY_ID_MAX, NULL},
    {"names", NMIRF_FIELD_LANGS, false, NMIRF_SHORT_MAX, NULL},
    {"contact", NMIRF_FIELD_LINE, false, NMIRF_SHORT_MAX, NULL},
};
const nmirf_fields_t nmirf_fields_entity_update =
    S_FIELDS("entity.update", s_entity_update);

static const nmirf_field_t s_report_list[] = {
    {"rec", NMIRF_FIELD_REC_ID, false, NMIRF_REC_ID_MAX, NULL},
    {"entity", NMIRF_FIELD_ENTITY_ID, false, NMIRF_ENTITY_ID_MAX, NULL},
    {"state", NMIRF_FIELD_ENUM, false, NMIRF_ENUM_MAX, &nmirf_report_states},
    {"limit", NMIRF_FIELD_UINT, false, 0, NULL},
};
const nmirf_fields_t nmirf_fields_report_list = S_FIELDS("report.list", s_report_list);

static const nmirf_field_t s_indicator[] = {
    {"name", NMIRF_FIELD_STR, true, NMIRF_SHORT_MAX, NULL},
    {"unit", NMIRF_FIELD_STR, false, NMIRF_SHORT_MAX, NULL},
    {"baseline", NMIRF_FIELD_NUMBER, false, 0, NULL},
    {"target", NMIRF_FIELD_NUMBER, true, 0, NULL},
    {"schedule", NMIRF_FIELD_POINTS, false, 0, NULL},
};
const nmirf_fields_t nmirf_fields_indicator = S_FIELDS("indicator", s_indicator);

const nmirf_field_t *
nmirf_fields_find(const nmirf_fields_t *fields, const char *key)
{
    for (int i = 0; i < fields->count; i++)
        if (strcmp(fields->fields[i].key, key) == 0)
            return &fields->fields[i];
    return NULL;
}

size_t
nmirf_fields_max(const nmirf_fields_t *fields, const char *key)
{
    const nmirf_field_t *f = nmirf_fields_find(fields, key);
    assert(f && f->max);
    return f ? f->max : 0;
}

const nmirf_valueset_t *
nmirf_fields_set(const nmirf_fields_t *fields, const char *key)
{
    const nmirf_field_t *f = nmirf_fields_find(fields, key);
    assert(f && f->set);
    return f ? f->set : NULL;
}
