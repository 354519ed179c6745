/*  nmirf_vocab_test - the vocabularies as built in (the .tsv files of data/vocab) and
    the formats of fr/ar/en (ctest vocab_unit).

    Arguments: files of recommendations (data/samples/recs.json,
    tests/fixtures/uhri-*.csv), read with the importer: every theme, SDG
    target, mechanism and position they hold must have a name in the
    vocabularies, so that the samples never show an English word in a
    French or Arabic report.

    Completeness: every row of every file has its three names, and every
    value of the protocol's sets (proto/nmirf_schema.c) has a row; a
    translation left empty fails this test.
*/
#include "nmirf_recfile.h"
#include "nmirf_schema.h"
#include "nmirf_vocab.h"
#include "nmirf_vocab_data.h"
#include "unit.h"

#include <math.h>
#include <string.h>

#define NNBSP "\xE2\x80\xAF"

/* s is whole UTF-8: no sequence cut at its end (nor elsewhere). */
static bool
s_utf8_whole(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        int n = *p < 0x80             ? 1
                : (*p & 0xE0) == 0xC0 ? 2
                : (*p & 0xF0) == 0xE0 ? 3
                : (*p & 0xF8) == 0xF0 ? 4
                                      : 0;
        if (!n)
            return false;
        for (int i = 1; i < n; i++)
            if ((p[i] & 0xC0) != 0x80)
                return false;
        p += n;
    }
    return true;
}

static const char *
s_find(nmirf_vocab_kind_t kind, const char *key, const char *lang)
{
    return nmirf_vocab_find(kind, key, strlen(key), lang);
}

static const char *
s_label(nmirf_vocab_kind_t kind, const char *key, const char *lang)
{
    static char out[512];
    return nmirf_vocab_label(kind, key, strlen(key), lang, out, sizeof out);
}

#define CHECK_STR(got, want)                                                             \
    do {                                                                                 \
        const char *g_ = (got), *w_ = (want);                                            \
        CHECK(g_ && !strcmp(g_, w_), "%s: got \"%s\", want \"%s\"", #got,                \
              g_ ? g_ : "(null)", w_);                                                   \
    } while (0)

/* --- completeness -------------------------------------------------------- */

static int s_missing;
static void
s_each_complete(const char *key, const char *fr, const char *ar, const char *en,
                void *arg)
{
    const char *kind = arg;
    if (!fr || !ar || !en) {
        s_missing++;
        unit_fail(__FILE__, __LINE__, "%s.tsv: \"%s\" lacks %s%s%s", kind, key,
                  fr ? "" : "fr ", ar ? "" : "ar ", en ? "" : "en");
    }
    /* Arabic with Latin digits, no stray blanks around a name. */
    const char *names[3] = {fr, ar, en};
    for (int i = 0; i < 3; i++) {
        if (!names[i])
            continue;
        size_t n = strlen(names[i]);
        CHECK(n && names[i][0] != ' ' && names[i][n - 1] != ' ',
              "%s.tsv: \"%s\" has blanks", kind, key);
        CHECK(s_utf8_whole(names[i]), "%s.tsv: \"%s\" is not UTF-8", kind, key);
        CHECK(!strstr(names[i], "\xD9\xA0") && !strstr(names[i], "\xD9\xA1") &&
                  !strstr(names[i], "\xD9\xA2"),
              "%s.tsv: \"%s\" has Arabic-Indic digits", kind, key);
    }
}

static void
s_check_set(nmirf_vocab_kind_t kind, const nmirf_valueset_t *set)
{
    for (int i = 0; i < set->count; i++)
        CHECK(s_find(kind, set->names[i], "fr") && s_find(kind, set->names[i], "ar") &&
                  s_find(kind, set->names[i], "en"),
              "%s \"%s\" has no row in %s.tsv", set->name, set->names[i],
              nmirf_vocab_kind_name(kind));
    /* And nothing the protocol cannot store (roles also name accounts'
       and assignments' roles). */
    if (kind != NMIRF_VOCAB_ROLE)
        CHECK(nmirf_vocab_count(kind) == (size_t)set->count,
              "%s.tsv: %zu rows, %d values", nmirf_vocab_kind_name(kind),
              nmirf_vocab_count(kind), set->count);
}

static void
test_complete(void)
{
    unit_case = "complete";
    char why[256] = "";
    CHECK(nmirf_vocab_check(why, sizeof why) == 0, "%s", why);
    for (int k = 0; k < NMIRF_VOCAB_KIND_COUNT; k++) {
        CHECK(nmirf_vocab_count((nmirf_vocab_kind_t)k) > 0, "%s empty",
              nmirf_vocab_kind_name((nmirf_vocab_kind_t)k));
        nmirf_vocab_each((nmirf_vocab_kind_t)k, s_each_complete,
                         (void *)nmirf_vocab_kind_name((nmirf_vocab_kind_t)k));
    }
    CHECK(s_missing == 0);
    s_check_set(NMIRF_VOCAB_STATUS, &nmirf_statuses);
    s_check_set(NMIRF_VOCAB_POSITION, &nmirf_responses);
    s_check_set(NMIRF_VOCAB_MECHANISM, &nmirf_mechanisms);
    s_check_set(NMIRF_VOCAB_REPORT_STATE, &nmirf_report_states);
    s_check_set(NMIRF_VOCAB_ROLE, &nmirf_roles);
    CHECK(nmirf_vocab_count(NMIRF_VOCAB_SDG) == 17);
    for (int g = 1; g <= 17; g++) {
        char key[4];
        snprintf(key, sizeof key, "%d", g);
        CHECK(s_find(NMIRF_VOCAB_SDG, key, "ar"), "goal %d", g);
    }
    CHECK(!strcmp(nmirf_vocab_kind_name(NMIRF_VOCAB_REPORT_STATE), "report_states"));
    CHECK(nmirf_vocab_kind_name(NMIRF_VOCAB_KIND_COUNT) == NULL);
    CHECK(nmirf_vocab_count(NMIRF_VOCAB_KIND_COUNT) == 0);
}

/* --- the parser, on broken files ---------------------------------------- */

/* Parses text (copied: parsing cuts it) and returns the rows kept; why
   gets the first fault. */
static size_t
s_parse(const char *text, nmirf_vocab_row_t *rows, size_t maxrows, char *blob,
        size_t bloblen, char *why, size_t whylen)
{
    snprintf(blob, bloblen, "%s", text);
    why[0] = '\0';
    nmirf_vocab_src_t src = {"t", blob, strlen(blob), rows, maxrows};
    return nmirf_vocab_parse(&src, why, whylen);
}

static void
test_parse(void)
{
    unit_case = "parse";
    static char blob[1024];
    static nmirf_vocab_row_t rows[16];
    char why[256];

    size_t n =
        s_parse("# c\n\nkey\tfr\tar\ten\r\n# x\na\tA\t\xD8\xA3\tAe\r\n  \nb\tB\tب\tBe",
                rows, 16, blob, sizeof blob, why, sizeof why);
    CHECK(n == 2 && !why[0], "%zu rows, %s", n, why);
    CHECK(n == 2 && !strcmp(rows[0].key, "a") && !strcmp(rows[0].name[2], "Ae") &&
          !strcmp(rows[1].name[1], "ب") && !strcmp(rows[1].name[2], "Be"));

    n = s_parse("key\tfr\tar\ten\na\tA\t\tAe\n", rows, 16, blob, sizeof blob, why,
                sizeof why);
    CHECK(n == 1 && rows[0].name[1] == NULL && strstr(why, "t.tsv line 2") &&
              strstr(why, "\"a\" has no ar name"),
          "%s", why);
    n = s_parse("key\tfr\tar\ten\na\tA\tأ\n", rows, 16, blob, sizeof blob, why,
                sizeof why);
    CHECK(n == 0 && strstr(why, "line 2: 3 cells"), "%s", why);
    n = s_parse("key\tfr\tar\ten\na\tA\tأ\tAe\tX\n", rows, 16, blob, sizeof blob, why,
                sizeof why);
    CHECK(n == 0 && strstr(why, "line 2: 5 cells"), "%s", why);
    n = s_parse("key\tfr\tar\ten\na\tA\tأ\tAe\na\tA2\tأ\tAe2\n", rows, 16, blob,
                sizeof blob, why, sizeof why);
    CHECK(n == 1 && strstr(why, "line 3: key \"a\" already given"), "%s", why);
    n = s_parse("key\tfr\tar\ten\n\tA\tأ\tAe\n", rows, 16, blob, sizeof blob, why,
                sizeof why);
    CHECK(n == 0 && strstr(why, "no key"), "%s", why);
    n = s_parse("key\tfr\ten\tar\na\tA\tAe\tأ\n", rows, 16, blob, sizeof blob, why,
                sizeof why);
    CHECK(strstr(why, "line 1: the header"), "%s", why);
    n = s_parse("# only comments\n", rows, 16, blob, sizeof blob, why, sizeof why);
    CHECK(n == 0 && strstr(why, "no header"), "%s", why);
    n = s_parse("", rows, 16, blob, sizeof blob, why, sizeof why);
    CHECK(n == 0 && strstr(why, "no header"), "%s", why);
}

/* --- lookups --------------------------------------------------------------- */

static void
test_find(void)
{
    unit_case = "find";
    CHECK_STR(s_find(NMIRF_VOCAB_STATUS, "in_progress", "fr"), "En cours");
    CHECK_STR(s_find(NMIRF_VOCAB_STATUS, "partially_implemented", "fr"),
              "Partiellement mise en œuvre");
    CHECK_STR(s_find(NMIRF_VOCAB_STATUS, "not_started", "en"), "Not started");
    CHECK_STR(s_find(NMIRF_VOCAB_POSITION, "not_applicable", "fr"), "Non applicable");
    CHECK_STR(s_find(NMIRF_VOCAB_POSITION, "not_applicable", "ar"), "لا ينطبق");
    CHECK_STR(s_find(NMIRF_VOCAB_POSITION, "not_applicable", "EN"), "Not applicable");
    CHECK_STR(s_find(NMIRF_VOCAB_MECHANISM, "CAT", "fr"), "Comité contre la torture");
    CHECK_STR(s_find(NMIRF_VOCAB_MECHANISM, "CAT", "ar"), "لجنة مناهضة التعذيب");
    CHECK_STR(s_find(NMIRF_VOCAB_REPORT_STATE, "validated", "fr"), "Validé");
    CHECK_STR(s_find(NMIRF_VOCAB_ROLE, "ministry", "fr"), "Ministère");
    CHECK(!s_find(NMIRF_VOCAB_MECHANISM, "cat", "fr"), "only themes ignore case");
    CHECK(!s_find(NMIRF_VOCAB_STATUS, "in_progress", "de"));
    CHECK(!s_find(NMIRF_VOCAB_STATUS, "in_progress", NULL));
    CHECK(!s_find(NMIRF_VOCAB_STATUS, "in_progres", "fr"));
    CHECK(!s_find(NMIRF_VOCAB_STATUS, "", "fr"));
    CHECK(!nmirf_vocab_find(NMIRF_VOCAB_STATUS, NULL, 0, "fr"));
    CHECK(!s_find(NMIRF_VOCAB_KIND_COUNT, "in_progress", "fr"));
    CHECK(!s_find((nmirf_vocab_kind_t)-1, "in_progress", "fr"));
    /* keylen, not NUL: a key inside a longer string. */
    CHECK_STR(nmirf_vocab_find(NMIRF_VOCAB_STATUS, "implementedXYZ", 11, "fr"),
              "Mise en œuvre");

    /* Themes: ASCII case and surrounding blanks ignored. */
    CHECK_STR(s_find(NMIRF_VOCAB_THEME, "Administration of justice & fair trial", "fr"),
              "Administration de la justice et procès équitable");
    CHECK_STR(
        s_find(NMIRF_VOCAB_THEME, "  administration OF justice & FAIR trial \t", "en"),
        "Administration of justice & fair trial");
    CHECK_STR(s_find(NMIRF_VOCAB_THEME, "women's rights", "ar"), "حقوق المرأة");
    CHECK(!s_find(NMIRF_VOCAB_THEME, "Administration of justice", "fr"));

    /* SDGs: a target is its goal. */
    CHECK(nmirf_vocab_sdg_goal("16.3 Promote the rule of law", 28) == 16);
    CHECK(nmirf_vocab_sdg_goal(" 5.5", 4) == 5);
    CHECK(nmirf_vocab_sdg_goal("16.a", 4) == 16);
    CHECK(nmirf_vocab_sdg_goal("17", 2) == 17);
    CHECK(nmirf_vocab_sdg_goal("1 No poverty", 12) == 1);
    CHECK(nmirf_vocab_sdg_goal("18", 2) == 0);
    CHECK(nmirf_vocab_sdg_goal("0", 1) == 0);
    CHECK(nmirf_vocab_sdg_goal("016", 3) == 0);
    CHECK(nmirf_vocab_sdg_goal("5,5", 3) == 0);
    CHECK(nmirf_vocab_sdg_goal("16a", 3) == 0);
    CHECK(nmirf_vocab_sdg_goal("SDG 5", 5) == 0);
    CHECK(nmirf_vocab_sdg_goal("", 0) == 0);
    CHECK(nmirf_vocab_sdg_goal(NULL, 3) == 0);
    CHECK(nmirf_vocab_sdg_goal("165", 2) == 16, "keylen bounds the number");
    CHECK_STR(s_find(NMIRF_VOCAB_SDG, "16.3 Promote the rule of law", "fr"),
              "Paix, justice et institutions efficaces");
    CHECK_STR(s_find(NMIRF_VOCAB_SDG, "5", "en"), "Gender equality");
    CHECK_STR(s_find(NMIRF_VOCAB_SDG, "5.5", "ar"), "المساواة بين الجنسين");
    CHECK(!s_find(NMIRF_VOCAB_SDG, "18.1", "fr"));
}

static void
test_label(void)
{
    unit_case = "label";
    CHECK_STR(s_label(NMIRF_VOCAB_SDG, "16.3 Promote the rule of law", "fr"),
              "16.3 \xE2\x80\x93 Paix, justice et institutions efficaces");
    CHECK_STR(s_label(NMIRF_VOCAB_SDG, "16", "en"),
              "16 \xE2\x80\x93 Peace, justice and strong institutions");
    CHECK_STR(s_label(NMIRF_VOCAB_SDG, " 4.a ", "ar"), "4.a \xE2\x80\x93 التعليم الجيد");
    CHECK_STR(s_label(NMIRF_VOCAB_SDG, "99.1 Unknown", "fr"), "99.1 Unknown");
    CHECK_STR(s_label(NMIRF_VOCAB_STATUS, "implemented", "ar"), "نُفِّذت");
    CHECK_STR(s_label(NMIRF_VOCAB_STATUS, "implemented", "xx"), "Mise en œuvre");
    CHECK_STR(s_label(NMIRF_VOCAB_STATUS, "implemented", NULL), "Mise en œuvre");
    CHECK_STR(s_label(NMIRF_VOCAB_THEME, "Some new theme", "ar"), "Some new theme");
    CHECK_STR(s_label(NMIRF_VOCAB_THEME, " death PENALTY", "fr"), "Peine de mort");
    CHECK_STR(s_label(NMIRF_VOCAB_MECHANISM, "XYZ", "fr"), "XYZ");
    CHECK_STR(s_label(NMIRF_VOCAB_KIND_COUNT, "XYZ", "fr"), "XYZ");

    char out[8] = "zzzzzzz";
    CHECK(nmirf_vocab_label(NMIRF_VOCAB_STATUS, NULL, 0, "fr", out, sizeof out) == out &&
          out[0] == '\0');
    CHECK(nmirf_vocab_label(NMIRF_VOCAB_STATUS, "x", 1, "fr", out, 0) == out &&
              out[0] == '\0',
          "outlen 0 writes nothing");
    CHECK(nmirf_vocab_label(NMIRF_VOCAB_STATUS, "x", 1, "fr", NULL, 0) == NULL);

    /* Fallback: ar, then fr, then en, then the key. The shipped files
       have every name, so rows with holes stand in for them here. */
    const nmirf_vocab_row_t holes[] = {
        {"both", {"Les deux", NULL, "Both"}, 4},
        {"enonly", {NULL, NULL, "English only"}, 6},
        {"none", {NULL, NULL, NULL}, 4},
    };
    nmirf_vocab_set_rows(NMIRF_VOCAB_ROLE, holes, 3);
    CHECK_STR(s_label(NMIRF_VOCAB_ROLE, "both", "ar"), "Les deux");
    CHECK_STR(s_label(NMIRF_VOCAB_ROLE, "both", "en"), "Both");
    CHECK_STR(s_label(NMIRF_VOCAB_ROLE, "enonly", "ar"), "English only");
    CHECK_STR(s_label(NMIRF_VOCAB_ROLE, "enonly", "fr"), "English only");
    CHECK_STR(s_label(NMIRF_VOCAB_ROLE, "none", "ar"), "none");
    CHECK(!s_find(NMIRF_VOCAB_ROLE, "both", "ar"), "an empty cell is NULL");
}

/* --- truncation ------------------------------------------------------------ */

static void
test_truncate(void)
{
    unit_case = "truncate";
    char out[64];
    /* لجنة: 2 bytes a letter. 4 bytes of room, the NUL in them: one letter. */
    nmirf_vocab_label(NMIRF_VOCAB_MECHANISM, "CAT", 3, "ar", out, 4);
    CHECK(!strcmp(out, "\xD9\x84"), "got %s", out);
    nmirf_vocab_label(NMIRF_VOCAB_MECHANISM, "CAT", 3, "ar", out, 5);
    CHECK(!strcmp(out, "\xD9\x84\xD8\xAC"), "got %s", out);
    nmirf_vocab_label(NMIRF_VOCAB_MECHANISM, "CAT", 3, "ar", out, 1);
    CHECK(out[0] == '\0');
    /* Every cut of every label is whole UTF-8 and a prefix of the label. */
    const char *full = s_label(NMIRF_VOCAB_SDG, "16.3", "ar");
    char whole[256];
    snprintf(whole, sizeof whole, "%s", full);
    for (size_t n = 1; n <= strlen(whole) + 1; n++) {
        nmirf_vocab_label(NMIRF_VOCAB_SDG, "16.3", 4, "ar", out,
                          n < sizeof out ? n : sizeof out);
        CHECK(s_utf8_whole(out) && !strncmp(out, whole, strlen(out)) &&
                  strlen(out) + 4 > (n < sizeof out ? n : sizeof out) - 1,
              "cut at %zu: %s", n, out);
    }
    /* "100 000" (U+202F: 3 bytes) in 4 bytes: the space does not fit. */
    nmirf_fmt_count(100000, "fr", out, 4);
    CHECK(!strcmp(out, "100"), "got %s", out);
    nmirf_fmt_count(100000, "fr", out, 6);
    CHECK(!strcmp(out, "100"), "got %s", out);
    nmirf_fmt_count(100000, "fr", out, 7);
    CHECK(!strcmp(out, "100" NNBSP), "got %s", out);
    nmirf_fmt_date("2026-12-07", 10, "fr", out, 7);
    CHECK(!strcmp(out, "7 déc"), "got %s", out);
    nmirf_fmt_date("2026-12-07", 10, "fr", out, 6);
    CHECK(!strcmp(out, "7 dé"), "got %s", out);
    nmirf_fmt_date("2026-12-07", 10, "fr", out, 5);
    CHECK(!strcmp(out, "7 d"), "got %s", out);
}

/* --- languages ------------------------------------------------------------- */

static size_t
s_order(const char *lang, const char *fallback, char *joined, size_t len)
{
    const char *order[3] = {0};
    size_t n = nmirf_lang_order(lang, fallback, order);
    joined[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (i)
            strncat(joined, ",", len - strlen(joined) - 1);
        strncat(joined, order[i], len - strlen(joined) - 1);
    }
    return n;
}

static void
test_lang_order(void)
{
    unit_case = "lang_order";
    char j[32];
    CHECK(s_order("ar", NULL, j, sizeof j) == 3 && !strcmp(j, "ar,fr,en"), "%s", j);
    CHECK(s_order("ar", "", j, sizeof j) == 3 && !strcmp(j, "ar,fr,en"), "%s", j);
    CHECK(s_order("fr", NULL, j, sizeof j) == 2 && !strcmp(j, "fr,en"), "%s", j);
    CHECK(s_order("en", "fr,en", j, sizeof j) == 2 && !strcmp(j, "en,fr"), "%s", j);
    CHECK(s_order("en", "ar", j, sizeof j) == 2 && !strcmp(j, "en,ar"), "%s", j);
    CHECK(s_order("fr", "en,fr,en,ar", j, sizeof j) == 3 && !strcmp(j, "fr,en,ar"), "%s",
          j);
    CHECK(s_order("xx", "de, AR ,en,,", j, sizeof j) == 3 && !strcmp(j, "fr,ar,en"), "%s",
          j);
    CHECK(s_order(NULL, "zz", j, sizeof j) == 1 && !strcmp(j, "fr"), "%s", j);
    CHECK(s_order("", ",,,", j, sizeof j) == 1 && !strcmp(j, "fr"), "%s", j);
    CHECK(s_order("AR", "ar", j, sizeof j) == 1 && !strcmp(j, "ar"), "%s", j);
    CHECK(s_order("fr-FR", "en", j, sizeof j) == 2 && !strcmp(j, "fr,en"), "%s", j);
    CHECK(s_order("en", "fren,arr,e", j, sizeof j) == 1 && !strcmp(j, "en"), "%s", j);
}

/* --- numbers and dates -------------------------------------------------- */

static void
test_formats(void)
{
    unit_case = "formats";
    char out[64];
    CHECK_STR(nmirf_fmt_count(100000, "fr", out, sizeof out), "100" NNBSP "000");
    CHECK_STR(nmirf_fmt_count(100000, "ar", out, sizeof out), "100" NNBSP "000");
    CHECK_STR(nmirf_fmt_count(100000, "en", out, sizeof out), "100,000");
    CHECK_STR(nmirf_fmt_count(1000, "fr", out, sizeof out), "1" NNBSP "000");
    CHECK_STR(nmirf_fmt_count(999, "en", out, sizeof out), "999");
    CHECK_STR(nmirf_fmt_count(0, "fr", out, sizeof out), "0");
    CHECK_STR(nmirf_fmt_count(1234567, "xx", out, sizeof out),
              "1" NNBSP "234" NNBSP "567");
    CHECK_STR(nmirf_fmt_count(UINT64_MAX, "en", out, sizeof out),
              "18,446,744,073,709,551,615");

    CHECK_STR(nmirf_fmt_percent(0.061, "fr", out, sizeof out), "6,1" NNBSP "%");
    CHECK_STR(nmirf_fmt_percent(0.061, "ar", out, sizeof out), "6,1" NNBSP "%");
    CHECK_STR(nmirf_fmt_percent(0.061, "en", out, sizeof out), "6.1%");
    CHECK_STR(nmirf_fmt_percent(1, "fr", out, sizeof out), "100,0" NNBSP "%");
    CHECK_STR(nmirf_fmt_percent(0, "en", out, sizeof out), "0.0%");
    CHECK_STR(nmirf_fmt_percent(2.0 / 3.0, "en", out, sizeof out), "66.7%");
    CHECK_STR(nmirf_fmt_percent(-0.00001, "fr", out, sizeof out), "0,0" NNBSP "%");
    CHECK_STR(nmirf_fmt_percent(-0.25, "en", out, sizeof out), "-25.0%");
    CHECK_STR(nmirf_fmt_percent(12.345, "en", out, sizeof out), "1,234.5%");
    CHECK_STR(nmirf_fmt_percent(12.345, "fr", out, sizeof out),
              "1" NNBSP "234,5" NNBSP "%");
    CHECK_STR(nmirf_fmt_percent(NAN, "fr", out, sizeof out), "\xE2\x80\x93");
    CHECK_STR(nmirf_fmt_percent(INFINITY, "en", out, sizeof out), "\xE2\x80\x93");
    CHECK_STR(nmirf_fmt_percent(1e300, "en", out, sizeof out), "\xE2\x80\x93");

#define DATE(iso, lang, want)                                                            \
    CHECK_STR(nmirf_fmt_date(iso, strlen(iso), lang, out, sizeof out), want)
    DATE("2026-03-07", "fr", "7 mars 2026");
    DATE("2026-03-07", "ar", "7 مارس 2026");
    DATE("2026-03-07", "en", "7 March 2026");
    DATE("2026-03-01", "fr", "1er mars 2026");
    DATE("2026-03-01", "en", "1 March 2026");
    DATE("2026-08-15", "ar", "15 غشت 2026");
    DATE("2026-12-31", "ar", "31 دجنبر 2026");
    DATE("2026-05-02", "ar", "2 ماي 2026");
    DATE("2026-07-20", "ar", "20 يوليوز 2026");
    DATE("2026-09-20", "ar", "20 شتنبر 2026");
    DATE("2026-11-20", "ar", "20 نونبر 2026");
    DATE("2026-02-10", "fr", "10 février 2026");
    DATE("2026-08", "fr", "août 2026");
    DATE("2026-08", "ar", "غشت 2026");
    DATE("2026-08", "en", "August 2026");
    DATE("2024-02-29", "en", "29 February 2024");
    DATE("2026-02-29", "en", "2026-02-29");
    DATE("1900-02-29", "en", "1900-02-29");
    DATE("2000-02-29", "en", "29 February 2000");
    DATE("2026-04-31", "fr", "2026-04-31");
    DATE("2026-13-01", "fr", "2026-13-01");
    DATE("2026-00", "fr", "2026-00");
    DATE("2026-03-00", "fr", "2026-03-00");
    DATE("2026/03/07", "fr", "2026/03/07");
    DATE("07/03/2026", "fr", "07/03/2026");
    DATE("2026-03-07T10:00", "fr", "2026-03-07T10:00");
    DATE("2026-3-7", "fr", "2026-3-7");
    DATE("", "fr", "");
    DATE("2026", "xx", "2026");
    DATE("2026-03-07", NULL, "7 mars 2026");
    CHECK_STR(nmirf_fmt_date("2026-03-07xyz", 10, "en", out, sizeof out), "7 March 2026");
    CHECK_STR(nmirf_fmt_date(NULL, 10, "en", out, sizeof out), "");
#undef DATE
}

/* --- the samples' words ------------------------------------------------- */

static void
s_check_list(json_t *rec, const char *field, nmirf_vocab_kind_t kind, const char *file)
{
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(rec, field), i, v)
    {
        const char *s = json_string_value(v);
        if (s)
            CHECK(nmirf_vocab_find(kind, s, strlen(s), "ar"),
                  "%s: %s \"%s\" has no name in %s.tsv", file, field, s,
                  nmirf_vocab_kind_name(kind));
    }
}

static void
test_samples(int argc, char **argv)
{
    unit_case = "samples";
    for (int a = 1; a < argc; a++) {
        FILE *f = fopen(argv[a], "rb");
        CHECK(f, "%s: cannot open", argv[a]);
        if (!f)
            continue;
        static char data[1 << 20];
        size_t len = fread(data, 1, sizeof data, f);
        fclose(f);
        char why[256] = "";
        nmirf_recfile_t *file =
            nmirf_recfile_read(data, len, argv[a], NULL, NULL, why, sizeof why);
        CHECK(file, "%s: %s", argv[a], why);
        if (!file)
            continue;
        size_t good = 0;
        for (size_t i = 0; i < file->count; i++) {
            json_t *rec = file->rows[i].rec;
            if (!rec)
                continue;
            good++;
            s_check_list(rec, "themes", NMIRF_VOCAB_THEME, argv[a]);
            s_check_list(rec, "sdgs", NMIRF_VOCAB_SDG, argv[a]);
            const char *m = json_string_value(json_object_get(rec, "mechanism"));
            const char *r = json_string_value(json_object_get(rec, "response"));
            if (m)
                CHECK(s_find(NMIRF_VOCAB_MECHANISM, m, "ar"), "%s: mechanism %s", argv[a],
                      m);
            if (r)
                CHECK(s_find(NMIRF_VOCAB_POSITION, r, "ar"), "%s: response %s", argv[a],
                      r);
        }
        CHECK(good > 0, "%s: no recommendation read", argv[a]);
        nmirf_recfile_destroy(&file);
    }
}

int
main(int argc, char **argv)
{
    test_complete();
    test_parse();
    test_find();
    test_truncate();
    test_lang_order();
    test_formats();
    test_samples(argc, argv);
    test_label(); /* last: it replaces the roles' rows */
    return unit_done("vocab_unit");
}
