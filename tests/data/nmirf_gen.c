/*  nmirf-gen - writes N synthetic recommendations for scale tests.

    usage: nmirf-gen N [--seed S] [--format json|csv]

    Deterministic: the same N, seed and format give the same bytes. The
    shapes follow real data: three in five UPR (cycle 4, a supported or
    noted response, one to three recommending states), the rest treaty
    bodies and a few special procedures; texts of 150 to 700 bytes in
    one, two or three of fr, ar, en; one to three themes, persons and SDG
    targets. Ids are GEN-NNNNNNN. The output is the project's JSON or CSV
    (nmirf_recfile), what `nmirf rec import` reads.
*/
#include "nmirf_recfile.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t s_state; /* splitmix64 state */

/* The next pseudo-random number (splitmix64: small, fixed, portable). */
static uint64_t
s_next(void)
{
    uint64_t z = (s_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* A number in [0, n). */
static size_t
s_pick(size_t n)
{
    return (size_t)(s_next() % n);
}

#define PICK(a) ((a)[s_pick(sizeof(a) / sizeof((a)[0]))])

static const char *const s_en[] = {
    "strengthen",  "the",          "national",  "framework",    "for",
    "protection",  "of",           "women",     "and",          "children",
    "against",     "violence",     "ensure",    "access",       "to",
    "justice",     "in",           "rural",     "areas",        "adopt",
    "legislation", "guaranteeing", "freedom",   "expression",   "association",
    "migrants",    "persons",      "with",      "disabilities", "education",
    "health",      "prisons",      "detention", "independent",  "monitoring",
    "mechanism"};
static const char *const s_fr[] = {
    "renforcer",   "le",        "cadre",     "national",    "de",        "protection",
    "des",         "femmes",    "et",        "enfants",     "contre",    "la",
    "violence",    "garantir",  "accès",     "à",           "justice",   "zones",
    "rurales",     "adopter",   "une",       "loi",         "liberté",   "d'expression",
    "association", "migrants",  "personnes", "handicapées", "éducation", "santé",
    "prisons",     "détention", "mécanisme", "indépendant", "suivi",     "égalité"};
static const char *const s_ar[] = {
    "تعزيز",     "الإطار",  "الوطني", "لحماية",  "النساء",  "والأطفال", "من",
    "العنف",     "ضمان",    "الوصول", "إلى",     "العدالة", "في",       "المناطق",
    "القروية",   "اعتماد",  "قانون",  "يكفل",    "حرية",    "التعبير",  "الجمعيات",
    "المهاجرين", "الأشخاص", "ذوي",    "الإعاقة", "التعليم", "الصحة",    "السجون",
    "الاحتجاز",  "آلية",    "مستقلة", "للرصد"};
static const char *const s_states[] = {
    "France", "Spain",    "Brazil",  "Canada",  "Chile", "Germany", "Japan",   "Mexico",
    "Norway", "Portugal", "Senegal", "Tunisia", "Egypt", "India",   "Ireland", "Peru"};
static const char *const s_themes[] = {
    "Administration of justice & fair trial",
    "Women's rights",
    "Rights of the child",
    "Death penalty",
    "Freedom of opinion and expression",
    "Right to education",
    "Right to health",
    "Torture and other cruel, inhuman or degrading treatment",
    "Migrants",
    "Rights of persons with disabilities",
    "Non-discrimination",
    "Business & human rights"};
static const char *const s_persons[] = {"Women & girls",
                                        "Children",
                                        "Persons with disabilities",
                                        "Migrants",
                                        "Persons deprived of their liberty",
                                        "Judges and lawyers",
                                        "Rural population",
                                        "Human rights defenders"};
static const char *const s_sdgs[] = {"4.5",  "5.1",  "5.2",  "5.3",  "8.7",  "10.2",
                                     "10.3", "16.1", "16.2", "16.3", "16.9", "16.10"};
static const char *const s_bodies[] = {"CAT", "CCPR", "CESCR", "CEDAW", "CERD",
                                       "CRC", "CRPD", "CMW",   "CED"};

/* A sentence of words from list, of about len bytes. */
static json_t *
s_text(const char *const *words, size_t nwords, size_t len)
{
    char buf[1024];
    size_t n = 0;
    while (n < len && n + 40 < sizeof buf) {
        const char *w = words[s_pick(nwords)];
        n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%s", n ? " " : "", w);
    }
    if (n < sizeof buf - 1 && words != s_ar)
        buf[n++] = '.';
    if (buf[0] >= 'a' && buf[0] <= 'z')
        buf[0] = (char)(buf[0] - 'a' + 'A');
    return json_stringn(buf, n);
}

/* A list of 1..max distinct picks from set. */
static json_t *
s_some(const char *const *set, size_t nset, size_t max)
{
    json_t *list = json_array();
    size_t want = 1 + s_pick(max);
    for (size_t i = 0; i < want; i++) {
        const char *v = set[s_pick(nset)];
        bool dup = false;
        size_t j;
        json_t *x;
        json_array_foreach(list, j, x) dup |= strcmp(json_string_value(x), v) == 0;
        if (!dup)
            json_array_append_new(list, json_string(v));
    }
    return list;
}

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* Recommendation number i. */
static json_t *
s_rec(size_t i)
{
    char buf[64];
    json_t *rec = json_object();
    snprintf(buf, sizeof buf, "GEN-%07zu", i + 1);
    json_object_set_new(rec, "id", json_string(buf));
    size_t kind = s_pick(100);
    const char *mech = kind < 60 ? "UPR" : kind < 95 ? PICK(s_bodies) : "SP";
    json_object_set_new(rec, "mechanism", json_string(mech));
    if (!strcmp(mech, "UPR"))
        snprintf(buf, sizeof buf, "A/HRC/%zu/7", 52 + i / 300);
    else if (!strcmp(mech, "SP"))
        snprintf(buf, sizeof buf, "A/HRC/%zu/40/Add.1", 50 + i % 7);
    else
        snprintf(buf, sizeof buf, "%s/C/MAR/CO/%zu", mech, 4 + i % 3);
    json_object_set_new(rec, "symbol", json_string(buf));
    snprintf(buf, sizeof buf, "%s%zu", !strcmp(mech, "UPR") ? "125." : "", i % 300 + 1);
    json_object_set_new(rec, "paragraph", json_string(buf));
    if (!strcmp(mech, "UPR")) {
        json_object_set_new(rec, "cycle", json_string("4"));
        json_object_set_new(rec, "states", s_some(s_states, N_OF(s_states), 3));
    }
    snprintf(buf, sizeof buf, "20%02zu-%02zu-%02zu", 17 + s_pick(8), 1 + s_pick(12),
             1 + s_pick(28));
    json_object_set_new(rec, "date", json_string(buf));
    /* One, two or three languages; every third text has all three. */
    json_t *text = json_object();
    size_t langs = 1 + s_pick(7); /* bits: fr, ar, en */
    size_t len = 150 + s_pick(550);
    if (langs & 1)
        json_object_set_new(text, "fr", s_text(s_fr, N_OF(s_fr), len));
    if (langs & 2)
        json_object_set_new(text, "ar", s_text(s_ar, N_OF(s_ar), len));
    if (langs & 4)
        json_object_set_new(text, "en", s_text(s_en, N_OF(s_en), len));
    json_object_set_new(rec, "text", text);
    /* Treaty bodies and special procedures take no position: no response,
       stored as not_applicable. */
    if (!strcmp(mech, "UPR"))
        json_object_set_new(rec, "response",
                            json_string(s_pick(4) ? "supported" : "noted"));
    json_object_set_new(rec, "themes", s_some(s_themes, N_OF(s_themes), 3));
    json_object_set_new(rec, "persons", s_some(s_persons, N_OF(s_persons), 2));
    json_object_set_new(rec, "sdgs", s_some(s_sdgs, N_OF(s_sdgs), 3));
    return rec;
}

int
main(int argc, char **argv)
{
    const char *format = "json";
    unsigned long long n = 0, seed = 1;
    bool have_n = false;
    for (int i = 1; i < argc; i++) {
        char *end;
        if (!strcmp(argv[i], "--seed") && i + 1 < argc) {
            seed = strtoull(argv[++i], &end, 10);
            if (*end)
                goto usage;
        } else if (!strcmp(argv[i], "--format") && i + 1 < argc) {
            format = argv[++i];
            if (strcmp(format, "json") && strcmp(format, "csv"))
                goto usage;
        } else if (!have_n) {
            n = strtoull(argv[i], &end, 10);
            if (*end || !*argv[i] || n > 10000000)
                goto usage;
            have_n = true;
        } else
            goto usage;
    }
    if (!have_n)
        goto usage;
    s_state = seed;
    json_t *recs = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(recs, s_rec(i));
    size_t lossy = 0;
    int rc = !strcmp(format, "csv") ? nmirf_recfile_write_csv(stdout, recs, &lossy)
                                    : nmirf_recfile_write_json(stdout, recs);
    json_decref(recs);
    return rc || fflush(stdout) ? 1 : 0;
usage:
    fprintf(stderr,
            "usage: nmirf-gen N [--seed S] [--format json|csv]  (N <= 10,000,000)\n");
    return 2;
}
