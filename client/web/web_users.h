/*  web_users - the console's staff accounts (docs/WEB.md section 3).

    The file AGENT_DIR/web/users (mode 0600, its directory 0700) holds one
    account a line, NAME:ROLE:LANG:HASH: a login name (web_user_name_valid),
    viewer|editor|coordinator, the chosen language ("" until one is
    chosen; else fr, ar, en), and libsodium's crypto_pwhash_str string
    (Argon2id). Every change rewrites it atomically (temp file, fsync,
    rename) under an flock of AGENT_DIR/web/users.lock, so the command
    line (`nmirf-web user ...`) and the server (a language chosen) do not
    lose each other's change. Parsing is strict: a bad line is logged and
    skipped, never trusted.

    A web_users_t is the server's view: loaded at start, loaded again when
    the file's mtime, size or inode changed (checked at each lookup), and
    thread-safe (a mutex). Lookups copy the account out; no pointer into
    the table escapes.
*/
#ifndef WEB_USERS_H
#define WEB_USERS_H

#include <stdbool.h>
#include <stddef.h>

#include "web.h"

/* Argon2id's cost: libsodium's INTERACTIVE limits (64 MiB, 2 passes). */
#define WEB_PWHASH_OPSLIMIT crypto_pwhash_OPSLIMIT_INTERACTIVE
#define WEB_PWHASH_MEMLIMIT crypto_pwhash_MEMLIMIT_INTERACTIVE
#define WEB_PASSWORD_MIN 8 /* bytes */
#define WEB_HASH_MAX                                                                     \
    128 /* bytes of a crypto_pwhash_str string (crypto_pwhash_STRBYTES) */

typedef struct {
    char name[WEB_USER_MAX + 1];
    web_role_t role;
    char lang[3]; /* "" or fr, ar, en */
    char hash[WEB_HASH_MAX];
} web_account_t;

/* The wire name of a role ("viewer", ...), and back (-1 if none). */
const char *web_role_name(web_role_t role);
int web_role_from_name(const char *s);

/* The accounts of a users file's text (len bytes): a malloc'd array in
   *accounts (caller frees) and its count. A bad line is logged (with
   path and line number) and skipped, as is a second line for a name.
   Returns 0, or -1 out of memory. */
int web_users_parse(const char *path, const char *text, size_t len,
                    web_account_t **accounts, size_t *count);

/* The file's text for count accounts, malloc'd (caller frees). */
char *web_users_format(const web_account_t *accounts, size_t count, size_t *len);

/* --- the command line's changes (each locks, reads, writes) ----------- */

/* Adds an account, hashing password. Refuses (-1 with why) a bad name, an
   existing one, a password shorter than WEB_PASSWORD_MIN or longer than
   WEB_PASSWORD_MAX bytes. Makes AGENT_DIR/web (0700) if missing. */
int web_users_add(const char *agent_dir, const char *name, web_role_t role,
                  const char *password, char *why, size_t whylen);
/* A new password for name; -1 with why if there is no such account or
   the password is refused. */
int web_users_passwd(const char *agent_dir, const char *name, const char *password,
                     char *why, size_t whylen);
/* Removes name; -1 with why if there is no such account. */
int web_users_del(const char *agent_dir, const char *name, char *why, size_t whylen);
/* Stores lang as name's language; -1 with why. */
int web_users_set_lang(const char *agent_dir, const char *name, const char *lang,
                       char *why, size_t whylen);
/* Every account (malloc'd array, caller frees; *count 0 and NULL if the
   file does not exist). -1 with why if it cannot be read. */
int web_users_read(const char *agent_dir, web_account_t **accounts, size_t *count,
                   char *why, size_t whylen);

/* --- the server's view ------------------------------------------------ */

typedef struct _web_users_t web_users_t;

/* The accounts of agent_dir (borrowed). Never NULL but out of memory
   (fatal). A missing file is no account (logged once). */
web_users_t *web_users_new(const char *agent_dir);
void web_users_destroy(web_users_t **self_p);

/* A copy of name's account into *out: true if it exists. */
bool web_users_find(web_users_t *self, const char *name, web_account_t *out);

/* Checks name's password. Runs Argon2id against a dummy hash for an
   unknown name, so that both take the same time. At most
   WEB_VERIFY_PARALLEL verifications run at once (each takes 64 MiB): the
   others wait. Returns true and the account in *out if it matches. */
#define WEB_VERIFY_PARALLEL 2
bool web_users_verify(web_users_t *self, const char *name, const char *password,
                      web_account_t *out);

#endif
