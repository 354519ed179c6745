/*  nmirf_fields - the one check of a msgpack value against a field row of
    the schema (nmirf_schema.h), and of a body map against a field table.

    Three programs check the same tables: the broker (daemon/body.c), the
    agent's control codec (nmirf_control.c, a submit's body) and the
    console's forms (client/web/web_form.c). They call this checker, so
    they refuse the same values for the same reasons. It says why a value
    fails as a reason with its facts (the key, the limit, the size, the
    value given), not as a message: each caller words the reason in its
    own vocabulary (the broker's codes and messages of PROTOCOL.md section
    5, CONTROL.md's bad_request, the console's {field, code, max?}).

    The checks, in the broker's order (the first failure is always the
    same one): the map's keys in their order (each a string, named by the
    table, given once), then each row in the table's order: absent (nil is
    absent for an optional field; a required nil is of the wrong type),
    type, then for a string: empty, too long, NUL, then its syntax (line,
    set, date, id); for a list: too many, then each item; for points:
    each item's keys, date and value, then a date given twice.

    Nothing is allocated: a failure borrows from the table and from the
    msgpack object checked, and lives as long as both; it may be copied.
    Safe from any thread.
*/
#ifndef NMIRF_FIELDS_H
#define NMIRF_FIELDS_H

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>

#include "nmirf_schema.h"

/* Why a value fails. */
typedef enum {
    NMIRF_FAIL_NONE,
    NMIRF_FAIL_NOT_MAP,    /* a map (the body, a text map, a point) is not one */
    NMIRF_FAIL_KEY_TYPE,   /* a key of that map is not a string */
    NMIRF_FAIL_UNKNOWN,    /* a key its table does not name (key) */
    NMIRF_FAIL_REPEATED,   /* a key given twice (key) */
    NMIRF_FAIL_MISSING,    /* a required field absent */
    NMIRF_FAIL_TYPE,       /* the wrong msgpack type; a bin of the wrong length */
    NMIRF_FAIL_EMPTY,      /* an empty string */
    NMIRF_FAIL_TOO_LONG,   /* a string of size bytes, over limit */
    NMIRF_FAIL_NUL,        /* a string holding a NUL byte */
    NMIRF_FAIL_CONTROL,    /* a line holding a control character */
    NMIRF_FAIL_NOT_IN_SET, /* a string not in the row's set (value) */
    NMIRF_FAIL_BAD_DATE,   /* a string that is no date YYYY-MM-DD (value) */
    NMIRF_FAIL_BAD_ID,     /* a string that is no entity or recommendation id (value) */
    NMIRF_FAIL_TOO_MANY,   /* a list of size items, over limit */
    NMIRF_FAIL_NOT_NUMBER, /* a number not finite or past NMIRF_NUMBER_MAX */
    NMIRF_FAIL_DUP_DATE,   /* a list of points giving a date twice (value) */
} nmirf_fail_reason_t;

/* One failure. */
typedef struct {
    nmirf_fail_reason_t reason;
    /* The row the failing value was checked against (a point's date and
       value have rows of the checker's own, static); NULL when a map
       itself failed (NOT_MAP, KEY_TYPE, UNKNOWN, REPEATED). */
    const nmirf_field_t *field;
    /* True if the failing value is an item of field's list or a value of
       its text map: a string, checked as one of field's key and limit. */
    bool item;
    /* The row whose value holds the failing map or point field (a text
       map's, a list of points'); NULL at the top of the body. */
    const nmirf_field_t *in;
    const char *key; /* the key to name: field's, or the key as given */
    size_t keylen;
    const char *value; /* the string that failed (NOT_IN_SET, BAD_DATE, */
    size_t len;        /* BAD_ID, DUP_DATE), else NULL */
    size_t size;       /* bytes (TOO_LONG) or items (TOO_MANY) given */
    size_t limit;      /* bytes or items allowed; a bin's length (TYPE) */
} nmirf_fail_t;

/* Flags of a check. */
enum {
    /* Lengths and counts are not judged (no TOO_LONG, no TOO_MANY): the
       agent's control codec leaves them to the broker, which refuses them
       too_large. */
    NMIRF_CHECK_NO_LIMITS = 1,
};

/* Checks the value v of row f (NULL or nil: absent). Returns the reason,
   NMIRF_FAIL_NONE if it passes; *fail says the rest. */
nmirf_fail_reason_t nmirf_field_check(const nmirf_field_t *f, const msgpack_object *v,
                                      unsigned flags, nmirf_fail_t *fail);

/* Called for each failure of nmirf_fields_check; returns true to be told
   the next one. fail is only valid during the call. */
typedef bool (*nmirf_fail_cb)(const nmirf_fail_t *fail, void *arg);

/* Checks map against fields: its keys, then each row, reporting each
   failure to cb, one per key and one per row at most, until cb returns
   false. A map that is not one is one failure. Returns the number of
   failures reported. */
int nmirf_fields_check(const nmirf_fields_t *fields, const msgpack_object *map,
                       unsigned flags, nmirf_fail_cb cb, void *arg);

/* The first failure of map against fields into *fail: true if there is
   one. */
bool nmirf_fields_first(const nmirf_fields_t *fields, const msgpack_object *map,
                        unsigned flags, nmirf_fail_t *fail);

/* The first failure of map's own: not a map, or a key that is not a
   string, not one of keys (a set of names), or given twice. True if
   there is one. For a body checked by hand, key by key. */
bool nmirf_keys_first(const msgpack_object *map, const nmirf_valueset_t *keys,
                      nmirf_fail_t *fail);

#endif
