/*  nmirf_conf - the daemons' configuration files (nmirfd.conf(5)).

    A file is lines of `key = value`, `#` comment lines and blank lines.
    The parser is strict, because a setting silently ignored is worse than
    a daemon that refuses to start: an unknown key, a key set twice, a
    value of the wrong kind, a line over NMIRF_CONF_LINE_MAX bytes, a
    control character or bytes that are not UTF-8 are each an error
    reported as `FILE:LINE: what is wrong`. Every error of a file is
    reported, not only the first.

    A program describes its settings in a table of nmirf_conf_spec_t
    (name, kind, bounds, default, the flag that also sets it). One
    nmirf_conf_t holds a value per setting: the default, then the file's,
    then the flags' (nmirf_conf_set), so flags override the file.
*/
#ifndef NMIRF_CONF_H
#define NMIRF_CONF_H

#include <stdbool.h>
#include <stddef.h>

#define NMIRF_CONF_LINE_MAX 1024       /* bytes of one line, newline included */
#define NMIRF_CONF_FILE_MAX (1u << 20) /* a bigger file is refused */

/* What a value must be. */
typedef enum {
    NMIRF_CONF_STRING,   /* any text (a command line, for a hook) */
    NMIRF_CONF_PATH,     /* a file or directory name */
    NMIRF_CONF_ENDPOINT, /* a ZeroMQ endpoint: tcp://HOST:PORT or ipc://PATH */
    NMIRF_CONF_UINT,     /* a decimal number within [min, max] */
    NMIRF_CONF_LEVEL,    /* a log level: error, warning, info, debug */
    NMIRF_CONF_ENTITY,   /* an entity id, [A-Z0-9_-]{1,16} */
} nmirf_conf_type_t;

/* One setting. A table of them ends with a NULL key. */
typedef struct {
    const char *key;        /* its name in the file */
    nmirf_conf_type_t type; /* what its value must be */
    unsigned long min, max; /* bounds of a NMIRF_CONF_UINT */
    const char *dflt;       /* its default, as text; NULL: unset */
    const char *flag;       /* the flag that also sets it, for messages */
} nmirf_conf_spec_t;

typedef struct _nmirf_conf_t nmirf_conf_t;

/* A configuration holding spec's defaults. spec is borrowed and must
   outlive it. Returns NULL only when out of memory. */
nmirf_conf_t *nmirf_conf_new(const nmirf_conf_spec_t *spec);

void nmirf_conf_destroy(nmirf_conf_t **self_p);

/* Parses text[0..len) (the contents of the file called name, for
   messages) into self. Returns 0, or -1 with every error, one
   `NAME:LINE: what` per line, in why (cut to whylen); on -1 self may hold
   some of the file's valid lines, so parse into a fresh configuration. */
int nmirf_conf_parse(nmirf_conf_t *self, const char *name, const char *text, size_t len,
                     char *why, size_t whylen);

/* Reads the file at path and parses it (nmirf_conf_parse). A file that
   cannot be read, is not a regular file or is over NMIRF_CONF_FILE_MAX is
   an error `PATH: what`. Returns 0 or -1. */
int nmirf_conf_load(nmirf_conf_t *self, const char *path, char *why, size_t whylen);

/* Sets key to value, as a flag does (a later set overrides). Returns 0,
   or -1 with `FLAG: what is wrong` in why for an invalid value (or an
   unknown key, a programmer's error). */
int nmirf_conf_set(nmirf_conf_t *self, const char *key, const char *value, char *why,
                   size_t whylen);

/* Checks that value fits spec. Returns 0, or -1 with what is wrong (no
   location) in why. */
int nmirf_conf_check(const nmirf_conf_spec_t *spec, const char *value, char *why,
                     size_t whylen);

/* The value of key (its default if nothing set it), or NULL if unset.
   Borrowed: valid until the next change of self. key must be in the
   table. */
const char *nmirf_conf_get(const nmirf_conf_t *self, const char *key);

/* The value of a NMIRF_CONF_UINT key (checked when it was set). */
unsigned long nmirf_conf_uint(const nmirf_conf_t *self, const char *key);

/* The line of the file that set key, 0 if the file did not. */
int nmirf_conf_line(const nmirf_conf_t *self, const char *key);

/* True if a and b (same table) give key the same value. */
bool nmirf_conf_same(const nmirf_conf_t *a, const nmirf_conf_t *b, const char *key);

#endif
