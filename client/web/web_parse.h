/*  web_parse - the small parsers of nmirf-web's core (docs/WEB.md): the
    Cookie header, Accept-Language, percent-decoding of a path or a query
    argument, the login body, Last-Event-ID.

    Pure functions over untrusted bytes: no allocation that outlives a
    call, no global state, every output bounded by its size argument (a
    value that does not fit is refused, never cut). Driven by the unit
    test web_parse_test and the fuzzer tests/fuzz/fuzz_web_parse.c.
*/
#ifndef WEB_PARSE_H
#define WEB_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "web.h"

/* The value of the cookie name in a Cookie header ("a=1; b=2"), copied
   with a NUL into out. Returns its length, or -1 if the header has no
   such cookie or its value does not fit in outsize - 1 bytes. */
int web_cookie_get(const char *header, const char *name, char *out, size_t outsize);

/* The language of an Accept-Language header: the one of "fr", "ar", "en"
   (a tag or its prefix: "fr-CA" is fr) with the highest q-value, the
   first listed on a tie; "fr" when none matches or header is NULL. A
   static string. */
const char *web_accept_lang(const char *header);

/* True if s is one of the console's languages: "fr", "ar", "en". */
bool web_lang_valid(const char *s);

/* Percent-decodes the len bytes at in into out (with a NUL). plus_space:
   '+' is a space (a query's arguments), else it stays a '+' (a path).
   Refuses (-1) a bad escape ("%4", "%zz"), "%00" or a raw NUL, a result
   that is not valid UTF-8 (overlongs and surrogates included), or one
   that does not fit in outsize - 1 bytes. Returns the decoded length. */
int web_pct_decode(const char *in, size_t len, bool plus_space, char *out,
                   size_t outsize);

/* True if the len bytes at s are valid UTF-8 without NUL. */
bool web_utf8_valid(const uint8_t *s, size_t len);

/* True if s is a login name: 1 to WEB_USER_MAX bytes of [A-Za-z0-9._-],
   not starting with '.' or '-'. */
bool web_user_name_valid(const char *s);

#define WEB_PASSWORD_MAX 1024 /* bytes of a password we accept to hash */

/* The login body {user, password, lang?} (JSON, len bytes): user into
   user (a valid name), password into pass (1 to WEB_PASSWORD_MAX bytes,
   no NUL), lang into lang ("" when absent; else fr, ar or en). Unknown
   keys are refused. Returns 0, or with why filled -2 if the body is not a
   JSON object (400 bad_json), -1 if a field is wrong (400 bad_request). */
int web_login_parse(const char *body, size_t len, char user[WEB_USER_MAX + 1],
                    char pass[WEB_PASSWORD_MAX + 1], char lang[3], char *why,
                    size_t whylen);

/* The body of PUT /api/session {lang}: lang into lang. Returns 0, or
   -2 or -1 with why filled, as web_login_parse. */
int web_lang_body_parse(const char *body, size_t len, char lang[3], char *why,
                        size_t whylen);

/* A Last-Event-ID header: decimal digits only, 1 to 20 of them, no
   overflow. Returns 0 with *id set, or -1. */
int web_last_event_id(const char *s, uint64_t *id);

#endif
