/*  web_catalog_test - .mo files into the pages' JSON (web_catalog.h): a
    real msgfmt output (web_catalog_test.po, compiled at build time), the
    same in the other byte order, and truncated or corrupt copies. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "nmirf_util.h"
#include "unit.h"
#include "web_catalog.h"

static uint32_t
s_get(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static void
s_swap(uint8_t *p)
{
    uint8_t t = p[0];
    p[0] = p[3];
    p[3] = t;
    t = p[1];
    p[1] = p[2];
    p[2] = t;
}

/* Checks the messages of the test catalog in JSON text. */
static void
s_check_json(const char *text, const char *lang, const char *dir)
{
    json_error_t err;
    json_t *v = text ? json_loads(text, 0, &err) : NULL;
    CHECK(v != NULL);
    if (!v)
        return;
    CHECK(!strcmp(json_string_value(json_object_get(v, "lang")), lang));
    CHECK(!strcmp(json_string_value(json_object_get(v, "dir")), dir));
    json_t *m = json_object_get(v, "messages");
    CHECK(json_object_size(m) == 4, "%zu messages", json_object_size(m));
    const char *s = json_string_value(json_object_get(m, "Log in"));
    CHECK(s && !strcmp(s, "Se connecter"));
    s = json_string_value(json_object_get(m, "status\004in_progress"));
    CHECK(s && !strcmp(s, "en cours"), "msgctxt as CTX\\x04ID");
    s = json_string_value(json_object_get(m, "one report"));
    CHECK(s && !strcmp(s, "un rapport"), "a plural: its first form");
    s = json_string_value(json_object_get(m, "\303\211crit"));
    CHECK(s && !strcmp(s, "\xD9\x85\xD9\x83\xD8\xAA\xD9\x88\xD8\xA8"));
    CHECK(!json_object_get(m, "Not translated") && !json_object_get(m, ""));
    json_decref(v);
}

int
main(void)
{
    char why[256];
    size_t len;
    uint8_t *mo = (uint8_t *)nmirf_read_file(NMIRF_TEST_MO, &len);
    CHECK(mo != NULL, "%s", NMIRF_TEST_MO);
    if (!mo)
        return unit_done("web_catalog");

    unit_case = "msgfmt's output";
    char *text = web_catalog_json("fr", mo, len, why, sizeof why);
    CHECK(text != NULL, "%s", why);
    s_check_json(text, "fr", "ltr");
    free(text);
    text = web_catalog_json("ar", mo, len, why, sizeof why);
    s_check_json(text, "ar", "rtl");
    free(text);

    unit_case = "no catalog";
    text = web_catalog_json("en", NULL, 0, why, sizeof why);
    CHECK(text && !strcmp(text, "{\"lang\":\"en\",\"dir\":\"ltr\",\"messages\":{}}"));
    free(text);

    unit_case = "big-endian";
    uint8_t *be = malloc(len);
    memcpy(be, mo, len);
    uint32_t n = s_get(mo + 8), orig = s_get(mo + 12), trans = s_get(mo + 16);
    for (uint32_t i = 0; i < 7; i++)
        s_swap(be + 4 * i);
    for (uint32_t i = 0; i < 2 * n; i++) {
        s_swap(be + orig + 4 * i);
        s_swap(be + trans + 4 * i);
    }
    text = web_catalog_json("fr", be, len, why, sizeof why);
    CHECK(text != NULL, "%s", why);
    s_check_json(text, "fr", "ltr");
    free(text);

    unit_case = "truncated";
    int refused = 0;
    size_t last_string = 0; /* the end of the last string: cuts before it are refused */
    for (uint32_t i = 0; i < 2 * n; i++) {
        uint32_t t = i < n ? orig : trans, k = i % n;
        size_t end = s_get(mo + t + 8 * k + 4) + s_get(mo + t + 8 * k) + 1;
        if (end > last_string)
            last_string = end;
    }
    for (size_t cut = 1; cut < last_string; cut++) {
        uint8_t *c = malloc(cut);
        memcpy(c, mo, cut);
        text = web_catalog_json("fr", c, cut, why, sizeof why);
        refused += text == NULL;
        free(text);
        free(c);
    }
    CHECK((size_t)refused == last_string - 1, "%d of %zu cuts refused", refused,
          last_string - 1);

    unit_case = "corrupt";
    uint8_t *c = malloc(len);
    struct {
        size_t at;
        uint32_t v;
        const char *what;
    } bad[] = {
        {0, 0x12345678u, "magic"},
        {4, 0x00020000u, "revision 2"},
        {8, 0xFFFFFFFFu, "count"},
        {12, 0xFFFFFFF0u, "originals' offset"},
        {16, (uint32_t)len, "translations' offset"},
        {orig + 4, (uint32_t)len, "a string's offset"},
        {trans + 8, 0xFFFFFFFFu, "a string's length"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        memcpy(c, mo, len);
        uint32_t v = bad[i].v;
        memcpy(c + bad[i].at, (uint8_t[]){v, v >> 8, v >> 16, v >> 24}, 4);
        text = web_catalog_json("fr", c, len, why, sizeof why);
        CHECK(text == NULL, "%s accepted", bad[i].what);
        free(text);
    }
    /* A string not terminated, and one not UTF-8. */
    memcpy(c, mo, len);
    uint32_t l0 = s_get(mo + trans + 8), o0 = s_get(mo + trans + 12);
    c[o0 + l0] = 'x';
    text = web_catalog_json("fr", c, len, why, sizeof why);
    CHECK(text == NULL, "an unterminated string accepted");
    free(text);
    memcpy(c, mo, len);
    c[o0] = 0xFF;
    text = web_catalog_json("fr", c, len, why, sizeof why);
    CHECK(text == NULL, "a string not UTF-8 accepted");
    free(text);

    free(c);
    free(be);
    free(mo);
    return unit_done("web_catalog");
}
