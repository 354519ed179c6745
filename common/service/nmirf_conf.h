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
#define NMIRF_CONF_FLAGS_MAX 32        /* settings a daemon takes as flags */
#define NMIRF_CONF_ENDPOINTS_MAX 8     /* endpoints in one NMIRF_CONF_ENDPOINTS */

/* What a value must be. */
typedef enum {
    NMIRF_CONF_STRING,    /* any text (a command line, for a hook) */
    NMIRF_CONF_PATH,      /* a file or directory name */
    NMIRF_CONF_ENDPOINT,  /* a ZeroMQ endpoint: tcp://HOST:PORT or ipc://PATH */
    NMIRF_CONF_ENDPOINTS, /* one to NMIRF_CONF_ENDPOINTS_MAX of them, comma-
                             separated: a primary broker and its standbys */
    NMIRF_CONF_UINT,      /* a decimal number within [min, max] */
    NMIRF_CONF_LEVEL,     /* a log level: error, warning, info, debug */
    NMIRF_CONF_ENTITY,    /* an entity id, [A-Z0-9_-]{1,16} */
    NMIRF_CONF_ONOFF,     /* a switch: on or off */
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

/* True if a NMIRF_CONF_ONOFF key is on. */
bool nmirf_conf_on(const nmirf_conf_t *self, const char *key);

/* The line of the file that set key, 0 if the file did not. */
int nmirf_conf_line(const nmirf_conf_t *self, const char *key);

/* True if a and b (same table) give key the same value. */
bool nmirf_conf_same(const nmirf_conf_t *a, const nmirf_conf_t *b, const char *key);

/* Where a daemon's settings come from: the file and the flags, kept so
   that a reload applies the flags over the file again. Zero it to start;
   the strings are borrowed (argv, literals). */
typedef struct {
    const char *path;                              /* the config file, NULL: none */
    const char *flag_keys[NMIRF_CONF_FLAGS_MAX];   /* settings given as flags... */
    const char *flag_values[NMIRF_CONF_FLAGS_MAX]; /* ...and their values */
    size_t flag_count; /* how many; NMIRF_CONF_FLAGS_MAX: too many were given */
} nmirf_conf_source_t;

/* Records a flag's value for setting key (applied after the file, at start
   and at every reload). Past NMIRF_CONF_FLAGS_MAX - 1 flags the source is
   full (flag_count == NMIRF_CONF_FLAGS_MAX), which the caller refuses. */
void nmirf_conf_flag(nmirf_conf_source_t *src, const char *key, const char *value);

/* Checks each of src's flags alone against spec, so that a bad flag is
   told apart from a bad file (a usage error, not a config error). Returns
   0, or -1 with `FLAG: what is wrong` (or `too many flags`) in why. */
int nmirf_conf_check_flags(const nmirf_conf_spec_t *spec, const nmirf_conf_source_t *src,
                           char *why, size_t whylen);

/* Reads the settings: spec's defaults, then src's file (if any), then its
   flags. Returns them, or NULL with every error in why. */
nmirf_conf_t *nmirf_conf_read(const nmirf_conf_spec_t *spec,
                              const nmirf_conf_source_t *src, char *why, size_t whylen);

/* A daemon's settings at start: checks src's flags, takes default_path
   as the file if src names none and default_path exists, and reads the
   settings into *conf_p. Returns 0, or the daemon's exit status with what
   is wrong in why and *conf_p NULL: 2 for a bad flag (a usage error), 1
   for a bad file (every error, `FILE:LINE: what` a line). */
int nmirf_conf_start(const nmirf_conf_spec_t *spec, nmirf_conf_source_t *src,
                     const char *default_path, nmirf_conf_t **conf_p, char *why,
                     size_t whylen);

/* Applies the reloadable settings of next, the settings about to be in
   force, to the running program. */
typedef void(nmirf_conf_apply_fn)(const nmirf_conf_t *next, void *arg);

/* SIGHUP: re-reads src against the settings in force, *cur_p (of the same
   table). A file that does not read changes nothing: each of its errors is
   logged ("reload refused, nothing changed: ...") and -1 returned.
   Otherwise each changed setting named in reloadable (a NULL-ended list)
   is logged ("reload: KEY changed from OLD to NEW"), each other changed
   one is logged ("cannot change KEY without a restart; keeping OLD") and
   keeps its old value; the table's log level setting (NMIRF_CONF_LEVEL),
   if any, takes effect, the lines about the reload showing at the more
   verbose of both levels; apply(next, arg) is called; the new settings
   replace *cur_p (the old ones are freed unless they are keep, the ones
   read at start that the program's strings point into); "reload: FILE
   read, N settings changed" is logged and N returned. */
int nmirf_conf_reload(nmirf_conf_t **cur_p, const nmirf_conf_t *keep,
                      const nmirf_conf_source_t *src, const char *const *reloadable,
                      nmirf_conf_apply_fn *apply, void *arg);

#endif
