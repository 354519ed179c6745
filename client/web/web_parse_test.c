/*  web_parse_test - the core's parsers (web_parse.h): cookies,
    Accept-Language, percent-decoding, UTF-8, login names, the login and
    language bodies, Last-Event-ID. */
#include <string.h>

#include "unit.h"
#include "web_parse.h"

static void
s_cookies(void)
{
    unit_case = "cookie";
    char v[65];
    CHECK(web_cookie_get("nmirf_session=abc", "nmirf_session", v, sizeof v) == 3);
    CHECK(!strcmp(v, "abc"));
    CHECK(web_cookie_get("a=1; nmirf_session=xyz ; b=2", "nmirf_session", v, sizeof v) ==
          3);
    CHECK(!strcmp(v, "xyz"));
    CHECK(web_cookie_get("x_nmirf_session=1; nmirf_session=\"q\"", "nmirf_session", v,
                         sizeof v) == 1);
    CHECK(!strcmp(v, "q"));
    CHECK(web_cookie_get("a=1;b=2", "nmirf_session", v, sizeof v) == -1);
    CHECK(web_cookie_get("nmirf_session", "nmirf_session", v, sizeof v) == -1);
    CHECK(web_cookie_get(NULL, "nmirf_session", v, sizeof v) == -1);
    CHECK(web_cookie_get("nmirf_session=", "nmirf_session", v, sizeof v) == 0);
    char small[4];
    CHECK(web_cookie_get("nmirf_session=abcd", "nmirf_session", small, sizeof small) ==
          -1);
    CHECK(web_cookie_get("nmirf_session=abc", "nmirf_session", small, sizeof small) == 3);
}

static void
s_accept_lang(void)
{
    unit_case = "accept-language";
    CHECK(!strcmp(web_accept_lang(NULL), "fr"));
    CHECK(!strcmp(web_accept_lang(""), "fr"));
    CHECK(!strcmp(web_accept_lang("de-DE, es;q=0.8"), "fr"));
    CHECK(!strcmp(web_accept_lang("en-US,en;q=0.9"), "en"));
    CHECK(!strcmp(web_accept_lang("de;q=1, ar;q=0.5, en;q=0.4"), "ar"));
    CHECK(!strcmp(web_accept_lang("en;q=0.4, ar;q=0.5"), "ar"));
    CHECK(!strcmp(web_accept_lang("AR-ma"), "ar"));
    CHECK(!strcmp(web_accept_lang("en;q=0, ar;q=0.001"), "ar"));
    CHECK(!strcmp(web_accept_lang("en;q=0"), "fr"), "q=0 is not acceptable");
    CHECK(!strcmp(web_accept_lang("en;q=2, ar"), "ar"), "a bad q-value is ignored");
    CHECK(!strcmp(web_accept_lang("eng, ar;q=0.1"), "ar"), "eng is not en");
    CHECK(!strcmp(web_accept_lang("en, fr"), "en"), "the first on a tie");
    CHECK(!strcmp(web_accept_lang(",,;;q=,"), "fr"));
    CHECK(web_lang_valid("ar") && !web_lang_valid("de") && !web_lang_valid(NULL) &&
          !web_lang_valid("") && !web_lang_valid("fra"));
}

static void
s_pct(void)
{
    unit_case = "percent-decoding";
    char out[64];
    const char *in = "/recs/A%2FHRC%2F52%2F7%3A125.48";
    CHECK(web_pct_decode(in, strlen(in), false, out, sizeof out) == 23);
    CHECK(!strcmp(out, "/recs/A/HRC/52/7:125.48"));
    in = "a+b%20c";
    CHECK(web_pct_decode(in, strlen(in), false, out, sizeof out) == 5 &&
          !strcmp(out, "a+b c"));
    CHECK(web_pct_decode(in, strlen(in), true, out, sizeof out) == 5 &&
          !strcmp(out, "a b c"));
    in = "caf%C3%A9";
    CHECK(web_pct_decode(in, strlen(in), false, out, sizeof out) == 5);
    CHECK(web_pct_decode("%00", 3, false, out, sizeof out) == -1, "%%00 refused");
    CHECK(web_pct_decode("a\0b", 3, false, out, sizeof out) == -1, "a raw NUL refused");
    CHECK(web_pct_decode("%4", 2, false, out, sizeof out) == -1);
    CHECK(web_pct_decode("%zz", 3, false, out, sizeof out) == -1);
    CHECK(web_pct_decode("%", 1, false, out, sizeof out) == -1);
    CHECK(web_pct_decode("%C3", 3, false, out, sizeof out) == -1, "a cut sequence");
    CHECK(web_pct_decode("%C0%AF", 6, false, out, sizeof out) == -1, "an overlong /");
    CHECK(web_pct_decode("%ED%A0%80", 9, false, out, sizeof out) == -1, "a surrogate");
    CHECK(web_pct_decode("%F4%90%80%80", 12, false, out, sizeof out) == -1, "> U+10FFFF");
    CHECK(web_pct_decode("%FF", 3, false, out, sizeof out) == -1);
    CHECK(web_pct_decode("abcd", 4, false, out, 4) == -1, "no room for the NUL");
    CHECK(web_pct_decode("abc", 3, false, out, 4) == 3);
    CHECK(web_pct_decode("", 0, false, out, 1) == 0 && out[0] == '\0');
    CHECK(web_utf8_valid((const uint8_t *)"\xF0\x9F\x98\x80", 4));
    CHECK(!web_utf8_valid((const uint8_t *)"\xE0\x80\x80", 3), "overlong 3 bytes");
}

static void
s_names(void)
{
    unit_case = "names";
    CHECK(web_user_name_valid("alice") && web_user_name_valid("a.b_c-d9"));
    CHECK(!web_user_name_valid("") && !web_user_name_valid(NULL));
    CHECK(!web_user_name_valid(".hidden") && !web_user_name_valid("-x"));
    CHECK(!web_user_name_valid("a:b") && !web_user_name_valid("a b") &&
          !web_user_name_valid("é"));
    char n[WEB_USER_MAX + 2];
    memset(n, 'a', sizeof n);
    n[WEB_USER_MAX] = '\0';
    CHECK(web_user_name_valid(n));
    n[WEB_USER_MAX] = 'a';
    n[WEB_USER_MAX + 1] = '\0';
    CHECK(!web_user_name_valid(n));
}

static void
s_bodies(void)
{
    unit_case = "login body";
    char user[WEB_USER_MAX + 1], pass[WEB_PASSWORD_MAX + 1], lang[3], why[256];
#define LOGIN(s) web_login_parse(s, strlen(s), user, pass, lang, why, sizeof why)
    CHECK(LOGIN("{\"user\":\"alice\",\"password\":\"secret123\"}") == 0);
    CHECK(!strcmp(user, "alice") && !strcmp(pass, "secret123") && lang[0] == '\0');
    CHECK(LOGIN("{\"user\":\"bob\",\"password\":\"p\",\"lang\":\"ar\"}") == 0);
    CHECK(!strcmp(lang, "ar"));
    CHECK(LOGIN("{\"user\":\"bob\",\"password\":\"p\",\"lang\":\"de\"}") == -1);
    CHECK(LOGIN("{\"user\":\"bob\",\"password\":\"p\",\"x\":1}") == -1, "unknown key");
    CHECK(LOGIN("{\"user\":\"bob\"}") == -1);
    CHECK(LOGIN("{\"user\":\"bob\",\"password\":\"\"}") == -1);
    CHECK(LOGIN("{\"user\":\"bob\",\"password\":\"a\\u0000b\"}") < 0, "a NUL");
    CHECK(LOGIN("{\"user\":\"b:ob\",\"password\":\"p\"}") == -1);
    CHECK(LOGIN("{\"user\":1,\"password\":\"p\"}") == -1);
    CHECK(LOGIN("[1]") == -2 && LOGIN("{") == -2 && LOGIN("") == -2, "not JSON: -2");
    CHECK(LOGIN("{\"user\":\"a\",\"user\":\"b\",\"password\":\"p\"}") < 0, "a key twice");
    CHECK(web_login_parse(NULL, 0, user, pass, lang, why, sizeof why) == -2);
    unit_case = "lang body";
    CHECK(web_lang_body_parse("{\"lang\":\"en\"}", 13, lang, why, sizeof why) == 0 &&
          !strcmp(lang, "en"));
    CHECK(web_lang_body_parse("{\"lang\":\"xx\"}", 13, lang, why, sizeof why) == -1);
    CHECK(web_lang_body_parse("{}", 2, lang, why, sizeof why) == -1);
    CHECK(web_lang_body_parse("\"en\"", 4, lang, why, sizeof why) == -2);
    CHECK(web_lang_body_parse("{\"lang\":\"en\",\"a\":1}", 19, lang, why, sizeof why) ==
          -1);
}

static void
s_last_event_id(void)
{
    unit_case = "last-event-id";
    uint64_t id = 7;
    CHECK(web_last_event_id("42", &id) == 0 && id == 42);
    CHECK(web_last_event_id("18446744073709551615", &id) == 0 && id == UINT64_MAX);
    CHECK(web_last_event_id("18446744073709551616", &id) == -1, "overflow");
    CHECK(web_last_event_id("", &id) == -1 && web_last_event_id(NULL, &id) == -1);
    CHECK(web_last_event_id("-1", &id) == -1 && web_last_event_id("1 ", &id) == -1);
    CHECK(web_last_event_id("000000000000000000001", &id) == -1, "21 digits");
}

int
main(void)
{
    s_cookies();
    s_accept_lang();
    s_pct();
    s_names();
    s_bodies();
    s_last_event_id();
    return unit_done("web_parse");
}
