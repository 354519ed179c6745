/*  web_form - a form's JSON checked against proto's field tables
    (nmirf_schema.h) before anything is sent, and packed into the op's
    msgpack body.

    The checks are the broker's: the form, packed as msgpack, goes
    through proto's one field checker (nmirf_fields.h), the one
    daemon/body.c and the agent's control codec call, so
    a form the console passes is one the broker takes, but for what only
    the broker knows (a recommendation that does not exist, a role).
    Unlike the broker, which stops at the first bad field, a form gets
    every wrong field at once: one {field, code, max?} each (docs/WEB.md,
    Conventions: required, too_long, bad_value, bad_date, too_many,
    not_number). Nothing here touches a socket; safe from any thread.
*/
#ifndef WEB_FORM_H
#define WEB_FORM_H

#include <jansson.h>
#include <msgpack.h>

#include "nmirf_schema.h"

/* A form: the op's field table, and the one field (if any) that is an
   object checked against a table of its own (a measure's indicator). */
typedef struct {
    const char *op;               /* "report.submit" */
    const nmirf_fields_t *fields; /* its body's keys, in packing order */
    const char *object_key;       /* a key whose value is an object, or NULL */
    const nmirf_fields_t *object; /* that object's table */
} web_form_t;

/* The forms of the console's writes: the schema's tables, but for
   measure.add and measure.update, whose nested indicator the schema's
   field types cannot say yet: web_form.c spells them from PROTOCOL.md
   section 6 with the schema's limits. */
extern const web_form_t web_form_report_submit;
extern const web_form_t web_form_report_validate;
extern const web_form_t web_form_report_return;
extern const web_form_t web_form_rec_assign;
extern const web_form_t web_form_rec_withdraw;
extern const web_form_t web_form_rec_merge;
extern const web_form_t web_form_entity_update;
extern const web_form_t web_form_measure_add;
extern const web_form_t web_form_measure_update;
/* A recommendation as rec.import takes it (for the import preview). */
extern const web_form_t web_form_recommendation;

/* Checks the JSON object in against form. Appends one {field, code,
   max?} to errors (a JSON array) per wrong field, an unknown key included
   (`bad_value`); null counts as absent. Returns how many it appended. */
size_t web_form_check(const web_form_t *form, const json_t *in, json_t *errors);

/* Packs the fields of in that form names (null and absent ones left out)
   as one msgpack map, in the table's order, into out (appended). in must
   have passed web_form_check. */
void web_form_pack(const web_form_t *form, const json_t *in, msgpack_sbuffer *out);

#endif
