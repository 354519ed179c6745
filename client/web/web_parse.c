/*  web_parse - the core's parsers of untrusted bytes (web_parse.h). */
#include "web_parse.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nmirf_util.h"

int
web_cookie_get(const char *header, const char *name, char *out, size_t outsize)
{
    if (!header || !name || !outsize)
        return -1;
    size_t nlen = strlen(name);
    const char *p = header;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == ';')
            p++;
        const char *end = strchr(p, ';');
        if (!end)
            end = p + strlen(p);
        const char *eq = memchr(p, '=', (size_t)(end - p));
        if (eq && (size_t)(eq - p) == nlen && memcmp(p, name, nlen) == 0) {
            const char *v = eq + 1;
            const char *ve = end;
            while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
                ve--;
            if (ve - v >= 2 && *v == '"' && ve[-1] == '"') { /* RFC 6265 quoted */
                v++;
                ve--;
            }
            size_t vlen = (size_t)(ve - v);
            if (vlen + 1 > outsize)
                return -1;
            memcpy(out, v, vlen);
            out[vlen] = '\0';
            return (int)vlen;
        }
        p = end;
    }
    return -1;
}

bool
web_lang_valid(const char *s)
{
    return s && (!strcmp(s, "fr") || !strcmp(s, "ar") || !strcmp(s, "en"));
}

/* A q-value ("0", "0.5", "1", "1.000") in thousandths, or -1. */
static int
s_qvalue(const char *p, const char *end)
{
    if (p >= end || (*p != '0' && *p != '1'))
        return -1;
    int q = (*p - '0') * 1000;
    p++;
    if (p < end && *p == '.') {
        p++;
        int scale = 100;
        for (int n = 0; p < end && n < 3; n++, p++) {
            if (!isdigit((unsigned char)*p))
                return -1;
            q += (*p - '0') * scale;
            scale /= 10;
        }
    }
    if (p != end || q > 1000)
        return -1;
    return q;
}

const char *
web_accept_lang(const char *header)
{
    static const char *const langs[] = {"fr", "ar", "en"};
    const char *best = "fr";
    int best_q = 0;
    if (!header)
        return best;
    const char *p = header;
    while (*p) {
        const char *end = strchr(p, ',');
        if (!end)
            end = p + strlen(p);
        while (p < end && (*p == ' ' || *p == '\t'))
            p++;
        const char *tag = p;
        while (p < end && *p != ';' && *p != ' ' && *p != '\t')
            p++;
        size_t tlen = (size_t)(p - tag);
        int q = 1000;
        while (p < end && (*p == ' ' || *p == '\t'))
            p++;
        if (p < end && *p == ';') {
            p++;
            while (p < end && (*p == ' ' || *p == '\t'))
                p++;
            if (end - p >= 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
                const char *qe = end;
                while (qe > p + 2 && (qe[-1] == ' ' || qe[-1] == '\t'))
                    qe--;
                q = s_qvalue(p + 2, qe);
            } else {
                q = -1;
            }
        }
        if (q > best_q && tlen >= 2 && (tlen == 2 || tag[2] == '-')) {
            for (size_t i = 0; i < sizeof langs / sizeof *langs; i++) {
                if (tolower((unsigned char)tag[0]) == langs[i][0] &&
                    tolower((unsigned char)tag[1]) == langs[i][1]) {
                    best = langs[i];
                    best_q = q;
                    break;
                }
            }
        }
        p = *end ? end + 1 : end;
    }
    return best;
}

bool
web_utf8_valid(const uint8_t *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        uint8_t c = s[i];
        if (c == 0)
            return false;
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t n;
        uint32_t cp;
        if (c >= 0xC2 && c <= 0xDF) {
            n = 1;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            n = 2;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 3;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (len - i <= n)
            return false;
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10FFFF ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += n + 1;
    }
    return true;
}

int
web_pct_decode(const char *in, size_t len, bool plus_space, char *out, size_t outsize)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        char c = in[i];
        if (c == '%') {
            char hex[3] = {0};
            uint8_t byte;
            if (len - i < 3)
                return -1;
            memcpy(hex, in + i + 1, 2);
            if (nmirf_unhex(hex, &byte, 1) != 0)
                return -1;
            c = (char)byte;
            i += 2;
        } else if (c == '+' && plus_space) {
            c = ' ';
        }
        if (c == '\0' || o + 1 >= outsize)
            return -1;
        out[o++] = c;
    }
    if (o >= outsize)
        return -1;
    out[o] = '\0';
    if (!web_utf8_valid((const uint8_t *)out, o))
        return -1;
    return (int)o;
}

bool
web_user_name_valid(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n < 1 || n > WEB_USER_MAX || s[0] == '.' || s[0] == '-')
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!isalnum(c) || c > 0x7F) {
            if (c != '.' && c != '_' && c != '-')
                return false;
        }
    }
    return true;
}

/* The JSON object in body, or NULL with why filled. */
static json_t *
s_object(const char *body, size_t len, char *why, size_t whylen)
{
    json_error_t err;
    json_t *o = body ? json_loadb(body, len, JSON_REJECT_DUPLICATES, &err) : NULL;
    if (!o) {
        snprintf(why, whylen, "not JSON: %s", body ? err.text : "no body");
        return NULL;
    }
    if (!json_is_object(o)) {
        snprintf(why, whylen, "not a JSON object");
        json_decref(o);
        return NULL;
    }
    return o;
}

/* The language at key of o into lang, "" if absent. -1 with why if bad. */
static int
s_lang(json_t *o, char lang[3], char *why, size_t whylen)
{
    json_t *v = json_object_get(o, "lang");
    lang[0] = '\0';
    if (!v)
        return 0;
    const char *s = json_string_value(v);
    if (!web_lang_valid(s)) {
        snprintf(why, whylen, "lang: not one of fr, ar, en");
        return -1;
    }
    memcpy(lang, s, 3);
    return 0;
}

int
web_login_parse(const char *body, size_t len, char user[WEB_USER_MAX + 1],
                char pass[WEB_PASSWORD_MAX + 1], char lang[3], char *why, size_t whylen)
{
    json_t *o = s_object(body, len, why, whylen);
    if (!o)
        return -2;
    int rc = -1;
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v)
    {
        if (strcmp(key, "user") && strcmp(key, "password") && strcmp(key, "lang")) {
            snprintf(why, whylen, "unknown key");
            goto done;
        }
    }
    const char *u = json_string_value(json_object_get(o, "user"));
    json_t *pv = json_object_get(o, "password");
    const char *p = json_string_value(pv);
    if (!u || !web_user_name_valid(u)) {
        snprintf(why, whylen, "user: required, [A-Za-z0-9._-], 1 to %d bytes",
                 WEB_USER_MAX);
        goto done;
    }
    size_t plen = p ? json_string_length(pv) : 0;
    if (!p || plen == 0 || plen > WEB_PASSWORD_MAX || strlen(p) != plen) {
        snprintf(why, whylen, "password: required, 1 to %d bytes", WEB_PASSWORD_MAX);
        goto done;
    }
    if (s_lang(o, lang, why, whylen))
        goto done;
    snprintf(user, WEB_USER_MAX + 1, "%s", u);
    memcpy(pass, p, plen + 1);
    rc = 0;
done:
    json_decref(o);
    return rc;
}

int
web_lang_body_parse(const char *body, size_t len, char lang[3], char *why, size_t whylen)
{
    json_t *o = s_object(body, len, why, whylen);
    if (!o)
        return -2;
    int rc = -1;
    if (json_object_size(o) != 1 || !json_object_get(o, "lang"))
        snprintf(why, whylen, "the body is {lang}");
    else
        rc = s_lang(o, lang, why, whylen);
    json_decref(o);
    return rc;
}

int
web_last_event_id(const char *s, uint64_t *id)
{
    if (!s || !*s)
        return -1;
    uint64_t v = 0;
    size_t n = 0;
    for (; s[n]; n++) {
        if (n >= 20 || !isdigit((unsigned char)s[n]))
            return -1;
        uint64_t d = (uint64_t)(s[n] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *id = v;
    return 0;
}
