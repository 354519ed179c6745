/*  fuzz_web_parse - nmirf-web's parsers of untrusted bytes
    (client/web/web_parse.h, client/web/web_catalog.h).

    Feeds the whole input to each: as a Cookie header, an Accept-Language
    header, a path and a query argument to percent-decode, a login body, a
    language body, a Last-Event-ID, and a .mo file. Beyond the sanitizers
    it checks: a cookie's value fits its buffer and is what the header
    holds; the language is one of fr, ar, en; a decoded path is valid
    UTF-8 without NUL, no longer than the input; an accepted login has a
    valid name, a password of 1 to WEB_PASSWORD_MAX bytes and a valid or
    empty language; a Last-Event-ID accepted is the input's digits; an
    accepted catalog is a JSON object {lang, dir, messages}; a refusal
    says why.
*/
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "web_catalog.h"
#include "web_parse.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0'; /* a header ends at its first NUL, as libmicrohttpd gives it */

    char v[65];
    int n = web_cookie_get(s, "nmirf_session", v, sizeof v);
    if (n >= 0 && ((size_t)n >= sizeof v || strlen(v) != (size_t)n || !strstr(s, v)))
        abort();

    if (!web_lang_valid(web_accept_lang(s)))
        abort();

    char *out = malloc(size + 1);
    for (int plus = 0; plus < 2 && out; plus++) {
        int len = web_pct_decode((const char *)data, size, plus, out, size + 1);
        if (len >= 0 && ((size_t)len > size || strlen(out) != (size_t)len ||
                         !web_utf8_valid((const uint8_t *)out, (size_t)len)))
            abort();
    }
    free(out);

    char user[WEB_USER_MAX + 1], pass[WEB_PASSWORD_MAX + 1], lang[3], why[256];
    why[0] = '\0';
    if (web_login_parse((const char *)data, size, user, pass, lang, why, sizeof why) ==
        0) {
        size_t plen = strlen(pass);
        if (!web_user_name_valid(user) || plen == 0 || plen > WEB_PASSWORD_MAX ||
            (lang[0] && !web_lang_valid(lang)))
            abort();
    } else if (!why[0]) {
        abort();
    }
    if (web_lang_body_parse((const char *)data, size, lang, why, sizeof why) == 0 &&
        !web_lang_valid(lang))
        abort();

    uint64_t id;
    if (web_last_event_id(s, &id) == 0) {
        char back[24];
        snprintf(back, sizeof back, "%llu", (unsigned long long)id);
        if (strcmp(back, s + strspn(s, "0")) && !(id == 0 && s[0] == '0'))
            abort();
    }

    why[0] = '\0';
    char *text = web_catalog_json("ar", data, size, why, sizeof why);
    if (text) {
        json_t *o = json_loads(text, 0, NULL);
        if (!o || !json_is_object(json_object_get(o, "messages")) ||
            strcmp(json_string_value(json_object_get(o, "dir")), "rtl"))
            abort();
        json_decref(o);
        free(text);
    } else if (!why[0]) {
        abort();
    }
    free(s);
    return 0;
}
