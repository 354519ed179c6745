/*  cli_output - what the command line prints: UTF-8 text made safe and
    fit for a cell (cli_output.c), label/value lines and aligned tables
    for a terminal, JSON; and the record views several commands share
    (cli_views.c). Nothing here talks to a broker or an agent.
*/
#ifndef CLI_OUTPUT_H
#define CLI_OUTPUT_H

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli_i18n.h"

/* --- cli_output.c ----------------------------------------------------- */

/* Display columns of UTF-8 text (combining marks 0, East Asian wide 2). */
size_t cli_utf8_width(const char *s);

/* A copy of s fit for one table cell: control characters become spaces,
   bidi embedding controls are dropped, and text wider than max columns is
   cut on a character boundary with an ellipsis. Caller frees. */
char *cli_cell_text(const char *s, size_t max);

/* A copy of s with control characters other than newline made spaces, so
   text from the broker cannot drive the terminal. Caller frees. */
char *cli_safe_text(const char *s);

/* A scalar or a list of scalars as text: str as is, integers in decimal,
   bool, bin in hex, arrays joined with ", ", nil and NULL as "". A map is
   "{...}". Caller frees. */
char *cli_mp_text(const msgpack_object *obj);

/* cli_mp_text of the field key of map obj ("" if absent). Caller frees. */
char *cli_mp_field(const msgpack_object *obj, const char *key);

/* The uint under key, or dflt if absent or not a uint. */
uint64_t cli_mp_uint(const msgpack_object *obj, const char *key, uint64_t dflt);

/* The text of a {fr?, ar?, en?} map in the first present of en, fr, ar,
   or NULL. Borrowed. */
const msgpack_object *cli_mp_any_lang(const msgpack_object *texts);

/* Formats a ms timestamp as UTC "YYYY-MM-DD HH:MM" (long: with seconds and
   " UTC") into buf. Returns buf; "" for 0. */
const char *cli_time_text(uint64_t ms, bool longform, char buf[32]);

/* Prints obj as JSON on stdout: indented, or one compact line (flushed).
   Returns 0, or CLI_EXIT_LOCAL if stdout failed. */
int cli_print_json(const msgpack_object *obj, bool compact);

/* A label/value line of a record view, the label translated (cli_tr); a
   multi-line value continues under the value column; a NULL label is an
   empty one. An empty or NULL value prints nothing. */
void cli_kv(const char *label, const char *value);

/* cli_kv of cli_mp_field(obj, key). */
void cli_kv_field(const char *label, const msgpack_object *obj, const char *key);

/* A text table: rows of cells, aligned on display width. */
typedef struct _cli_table_t cli_table_t;

/* A table with ncols columns named by headers (translated with cli_tr,
   so mark them N_(), and copied). */
cli_table_t *cli_table_new(const char *const *headers, size_t ncols);
void cli_table_destroy(cli_table_t **self_p);

/* Caps column col at max display columns; flex lets it shrink further to
   fit a terminal. */
void cli_table_limit(cli_table_t *self, size_t col, size_t max, bool flex);

/* Aligns column col to the right (numbers). */
void cli_table_right(cli_table_t *self, size_t col);

/* Starts a row; the next ncols cells fill it. */
void cli_table_row(cli_table_t *self);

/* Adds the next cell of the current row (NULL is empty). */
void cli_table_cell(cli_table_t *self, const char *text);
void cli_table_cellf(cli_table_t *self, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Adds cli_mp_field(obj, key) as the next cell. */
void cli_table_cell_field(cli_table_t *self, const msgpack_object *obj, const char *key);

/* Adds the text of a msgpack scalar as the next cell. */
void cli_table_cell_mp(cli_table_t *self, const msgpack_object *obj);

/* Adds the stored value of obj's key as the reader reads it (cli_word):
   a status, a role. */
void cli_cell_status(cli_table_t *self, const msgpack_object *obj, const char *key);
void cli_cell_role(cli_table_t *self, const msgpack_object *obj, const char *key);
void cli_cell_report_state(cli_table_t *self, const msgpack_object *obj, const char *key);
void cli_cell_entity_state(cli_table_t *self, const msgpack_object *obj, const char *key);

/* cli_kv_field of a stored value as the reader reads it (cli_word). */
void cli_kv_word(const char *label, cli_word_t kind, const msgpack_object *obj,
                 const char *key);

/* Prints the header and the rows on stdout. */
void cli_table_print(const cli_table_t *self);

/* --- views shared by commands (cli_views.c) --------------------------- */

/* Record views: one label/value line per field. */
void cli_view_entity(const msgpack_object *entity);
void cli_view_assignment(const msgpack_object *assignment);
void cli_view_report(const msgpack_object *report);
/* The lines of a recommendation's `withdrawn` {reason, at, into?}; prints
   nothing if withdrawn is NULL (a recommendation on the list). */
void cli_view_withdrawal(const msgpack_object *withdrawn);

/* Prints a table of reports (the report.list columns; BY, who wrote
   each, only when one of them says). */
void cli_print_reports(const msgpack_object *reports);

#endif
