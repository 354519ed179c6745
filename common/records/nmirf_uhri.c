/*  nmirf_uhri - rows of a UHRI CSV export turned into recommendations. */
#include "nmirf_uhri.h"
#include "nmirf_rec.h"
#include "nmirf_schema.h"
#include "nmirf_util.h"

#include <ctype.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What a column holds. */
typedef enum {
    COL_NONE,
    COL_ID,          /* the export's row id (Annotation Id), used without a paragraph */
    COL_BODY,        /* recommending body: the mechanism */
    COL_SYMBOL,      /* document symbol */
    COL_PARAGRAPH,   /* paragraph number */
    COL_DATE,        /* document publication date */
    COL_TEXT,        /* text in the language given or detected */
    COL_TEXT_FR,     /* text in French */
    COL_TEXT_AR,     /* text in Arabic */
    COL_TEXT_EN,     /* text in English */
    COL_UPR_SESSION, /* UPR session: the cycle */
    COL_SESSION,     /* session: kept as is (a treaty body's, say) */
    COL_MANDATE,     /* a special procedure's mandate */
    COL_UPDATED,     /* the date the export last changed the row */
    COL_POSITION,    /* UPR position: the response */
    COL_STATES,      /* UPR recommending states */
    COL_THEMES,      /* themes */
    COL_PERSONS,     /* affected persons */
    COL_SDGS,        /* SDG targets */
    COL_COUNT
} col_t;

/* Header names (normalized by nmirf_uhri_norm) and what they hold. */
static const struct {
    const char *name; /* normalized header */
    col_t col;        /* its role */
} s_headers[] = {
    {"annotationid", COL_ID},
    {"id", COL_ID},
    {"uhriid", COL_ID},
    {"recomendationid", COL_ID},
    {"recomendingbody", COL_BODY},
    {"recomendingbodies", COL_BODY},
    {"body", COL_BODY},
    {"mechanism", COL_BODY},
    {"documentsymbol", COL_SYMBOL},
    {"symbol", COL_SYMBOL},
    {"paragraph", COL_PARAGRAPH},
    {"para", COL_PARAGRAPH},
    {"paragraphnumber", COL_PARAGRAPH},
    {"documentpublicationdate", COL_DATE},
    {"publicationdate", COL_DATE},
    {"date", COL_DATE},
    {"text", COL_TEXT},
    {"recomendation", COL_TEXT},
    {"recomendationtext", COL_TEXT},
    {"textfr", COL_TEXT_FR},
    {"textfrench", COL_TEXT_FR},
    {"textar", COL_TEXT_AR},
    {"textarabic", COL_TEXT_AR},
    {"texten", COL_TEXT_EN},
    {"textenglish", COL_TEXT_EN},
    {"uprsession", COL_UPR_SESSION},
    {"session", COL_SESSION},
    {"mandate", COL_MANDATE},
    {"mandates", COL_MANDATE},
    {"mandatetitle", COL_MANDATE},
    {"lastupdated", COL_UPDATED},
    {"lastupdate", COL_UPDATED},
    {"lastmodified", COL_UPDATED},
    {"dateupdated", COL_UPDATED},
    {"uprposition", COL_POSITION},
    {"position", COL_POSITION},
    {"uprrecomendingstates", COL_STATES},
    {"recomendingstates", COL_STATES},
    {"recomendingstate", COL_STATES},
    {"themes", COL_THEMES},
    {"theme", COL_THEMES},
    {"affectedpersons", COL_PERSONS},
    {"affectedperson", COL_PERSONS},
    {"persons", COL_PERSONS},
    {"groupsofpersons", COL_PERSONS},
    {"sdgs", COL_SDGS},
    {"sdg", COL_SDGS},
    {"sdgtargets", COL_SDGS},
    {"sustainabledevelopmentgoals", COL_SDGS},
};

struct _nmirf_uhri_t {
    int index[COL_COUNT]; /* the field number of each role, -1 if absent */
    size_t nfields;       /* fields in the header */
    char lang[3];         /* language of COL_TEXT, "" to detect */
};

void
nmirf_uhri_norm(const char *name, char *out, size_t outlen)
{
    size_t n = 0;
    for (const char *p = name; *p && n + 1 < outlen; p++)
        if (isalnum((unsigned char)*p))
            out[n++] = (char)tolower((unsigned char)*p);
    out[n] = 0;
    /* The export spells "Reccomending"; people spell "Recommending". */
    char *r;
    while ((r = strstr(out, "reccom")))
        memmove(r + 3, r + 4, strlen(r + 4) + 1);
    while ((r = strstr(out, "recomm")))
        memmove(r + 5, r + 6, strlen(r + 6) + 1);
}

nmirf_uhri_t *
nmirf_uhri_new(const nmirf_csv_t *header, const char *lang, char *why, size_t whylen)
{
    nmirf_uhri_t *self = calloc(1, sizeof *self);
    if (!self) {
        snprintf(why, whylen, "out of memory");
        return NULL;
    }
    for (int c = 0; c < COL_COUNT; c++)
        self->index[c] = -1;
    self->nfields = nmirf_csv_count(header);
    if (lang)
        snprintf(self->lang, sizeof self->lang, "%s", lang);
    for (size_t i = 0; i < self->nfields; i++) {
        char norm[64];
        nmirf_uhri_norm(nmirf_csv_field(header, i, NULL), norm, sizeof norm);
        for (size_t h = 0; h < sizeof s_headers / sizeof s_headers[0]; h++)
            if (strcmp(norm, s_headers[h].name) == 0 && self->index[s_headers[h].col] < 0)
                self->index[s_headers[h].col] = (int)i;
    }
    if (self->index[COL_SYMBOL] < 0)
        snprintf(why, whylen, "the header has no 'Document Symbol' column");
    else if (self->index[COL_TEXT] < 0 && self->index[COL_TEXT_FR] < 0 &&
             self->index[COL_TEXT_AR] < 0 && self->index[COL_TEXT_EN] < 0)
        snprintf(why, whylen, "the header has no 'Text' column");
    else
        return self;
    free(self);
    return NULL;
}

void
nmirf_uhri_destroy(nmirf_uhri_t **self_p)
{
    if (self_p && *self_p) {
        free(*self_p);
        *self_p = NULL;
    }
}

/* Fills why. Returns NULL. */
static json_t *
s_bad(char *why, size_t whylen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, whylen, fmt, ap);
    va_end(ap);
    return NULL;
}

/* s[0..*n) without surrounding white space and the export's "- " prefix
   (or a lone "-"): moves *s and shrinks *n. */
static void
s_trim(const char **s, size_t *n)
{
    while (*n && isspace((unsigned char)**s))
        (*s)++, (*n)--;
    while (*n && isspace((unsigned char)(*s)[*n - 1]))
        (*n)--;
    if (*n >= 1 && (*s)[0] == '-' && (*n == 1 || isspace((unsigned char)(*s)[1]))) {
        (*s)++, (*n)--;
        while (*n && isspace((unsigned char)**s))
            (*s)++, (*n)--;
    }
}

/* The trimmed value of role col, or NULL if the column is absent or the
   cell is empty; *n gets its length. */
static const char *
s_cell(const nmirf_uhri_t *self, const nmirf_csv_t *row, col_t col, size_t *n)
{
    if (self->index[col] < 0)
        return NULL;
    const char *s = nmirf_csv_field(row, (size_t)self->index[col], n);
    if (!s)
        return NULL;
    s_trim(&s, n);
    return *n ? s : NULL;
}

/* The values of a list cell: split on " - " and line breaks, each trimmed,
   empty and repeated ones left out. NULL if there are none. */
static json_t *
s_list(const nmirf_uhri_t *self, const nmirf_csv_t *row, col_t col)
{
    size_t n;
    const char *s = s_cell(self, row, col, &n);
    if (!s)
        return NULL;
    json_t *list = json_array();
    const char *end = s + n;
    while (s < end) {
        const char *cut = NULL, *next = end;
        for (const char *p = s; p < end; p++) {
            if (*p == '\n' || *p == '\r') {
                cut = p, next = p + 1;
                break;
            }
            if (p + 3 <= end && p[0] == ' ' && p[1] == '-' && p[2] == ' ') {
                cut = p, next = p + 3;
                break;
            }
        }
        size_t len = (size_t)((cut ? cut : end) - s);
        const char *item = s;
        s_trim(&item, &len);
        bool seen = false;
        size_t i;
        json_t *v;
        json_array_foreach(list, i, v) seen |=
            json_string_length(v) == len && memcmp(json_string_value(v), item, len) == 0;
        if (len && !seen)
            json_array_append_new(list, json_stringn(item, len));
        s = next;
    }
    if (json_array_size(list) == 0) {
        json_decref(list);
        return NULL;
    }
    return list;
}

/* True if hay[0..n) contains needle, ignoring ASCII case. */
static bool
s_has(const char *hay, size_t n, const char *needle)
{
    size_t m = strlen(needle);
    for (size_t i = 0; i + m <= n; i++)
        if (strncasecmp(hay + i, needle, m) == 0)
            return true;
    return false;
}

/* The mechanism named by a recommending body ("Committee against
   Torture"), or NULL. */
static const char *
s_mechanism_of_body(const char *s, size_t n)
{
    static const struct {
        const char *words; /* found in the body's name */
        const char *mech;  /* the protocol's mechanism */
    } names[] = {
        /* Special procedures first: their names hold a treaty's subject
           ("Special Rapporteur on the rights of persons with
           disabilities", "Working Group on Enforced or Involuntary
           Disappearances"). */
        {"special rapporteur", "SP"},
        {"special procedure", "SP"},
        {"independent expert", "SP"},
        {"working group on", "SP"},
        {"universal periodic review", "UPR"},
        {"against torture", "CAT"},
        {"human rights committee", "CCPR"},
        {"economic, social and cultural", "CESCR"},
        {"discrimination against women", "CEDAW"},
        {"racial discrimination", "CERD"},
        {"rights of the child", "CRC"},
        {"persons with disabilities", "CRPD"},
        {"migrant workers", "CMW"},
        {"enforced disappearance", "CED"},
    };
    for (int i = 0; i < nmirf_mechanisms.count; i++)
        if (strlen(nmirf_mechanisms.names[i]) == n &&
            strncasecmp(s, nmirf_mechanisms.names[i], n) == 0)
            return nmirf_mechanisms.names[i];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (s_has(s, n, names[i].words))
            return names[i].mech;
    return NULL;
}

/* The mechanism a document symbol belongs to ("CAT/C/MAR/CO/5"), or
   NULL. A/HRC/ documents are UPR with a session, special procedures
   without. */
static const char *
s_mechanism_of_symbol(const char *s, size_t n, bool upr_session)
{
    static const struct {
        const char *prefix; /* the symbol's start */
        const char *mech;   /* the protocol's mechanism */
    } prefixes[] = {
        {"CAT/", "CAT"},     {"CCPR/", "CCPR"}, {"E/C.12/", "CESCR"},
        {"CEDAW/", "CEDAW"}, {"CERD/", "CERD"}, {"CRC/", "CRC"},
        {"CRPD/", "CRPD"},   {"CMW/", "CMW"},   {"CED/", "CED"},
    };
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
        if (n >= strlen(prefixes[i].prefix) &&
            strncmp(s, prefixes[i].prefix, strlen(prefixes[i].prefix)) == 0)
            return prefixes[i].mech;
    if (n >= 6 && strncmp(s, "A/HRC/", 6) == 0)
        return upr_session ? "UPR" : "SP";
    return NULL;
}

/* Appends s[0..n) to out[*len], turning what a recommendation id cannot
   hold into '.' ("12(a)" becomes "12.a"). */
static void
s_id_part(char *out, size_t *len, size_t max, const char *s, size_t n)
{
    for (size_t i = 0; i < n && *len < max; i++) {
        char c = s[i];
        if (c == ')' || c == ']')
            continue;
        if (!(isalnum((unsigned char)c) || strchr("._/:-", c)) || (c & 0x80))
            c = '.';
        out[(*len)++] = c;
    }
    out[*len] = 0;
}

/* A date YYYY-MM-DD from "2023-01-04", "2023-01-04T..", "04/01/2023" (day
   first, as OHCHR writes) or "4 January 2023". Returns 0 or -1. */
static int
s_date(const char *s, size_t n, char out[11])
{
    static const char *const months[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                         "jul", "aug", "sep", "oct", "nov", "dec"};
    char buf[64];
    if (n >= sizeof buf)
        return -1;
    memcpy(buf, s, n);
    buf[n] = 0;
    int y, m, d, used = 0;
    char mon[16];
    if (n >= 10 && nmirf_date_valid(buf, 10) &&
        (n == 10 || buf[10] == 'T' || buf[10] == ' ')) {
        memcpy(out, buf, 10);
        out[10] = 0;
        return 0;
    }
    /* Day first: digits and slashes only (sscanf alone would take
       " 4/+1/2023"). */
    if (strspn(buf, "0123456789/") == n &&
        sscanf(buf, "%2d/%2d/%4d%n", &d, &m, &y, &used) == 3 && (size_t)used == n) {
    } else if (sscanf(buf, "%2d %15[A-Za-z] %4d%n", &d, mon, &y, &used) == 3 &&
               (size_t)used == n) {
        m = 0;
        for (int i = 0; i < 12 && !m; i++)
            if (strncasecmp(mon, months[i], 3) == 0)
                m = i + 1;
    } else
        return -1;
    if (y < 1900 || y > 9999 || m < 1 || m > 12 || d < 1 || d > 31)
        return -1;
    snprintf(out, 11, "%04d-%02d-%02d", y, m, d);
    return nmirf_date_valid(out, 10) ? 0 : -1;
}

const char *
nmirf_uhri_lang(const char *text, size_t len)
{
    static const char *const fr[] = {" le ", " la ", " les ",  " des ", " du ", " et ",
                                     " à ",  " en ", " pour ", " sur ", "l'",   "d'"};
    static const char *const en[] = {" the ", " and ",  " of ", " to ",  " in ",
                                     " for ", " with ", " on ", " its ", " that "};
    size_t arabic = 0, latin = 0;
    int fr_score = 0, en_score = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        if (isalpha(c))
            latin++;
        /* U+0600..U+06FF and U+0750..U+077F: lead bytes D8..DB, DD. */
        else if (c >= 0xD8 && c <= 0xDD && c != 0xDC)
            arabic++;
        else if (c == 0xC3 && i + 1 < len) /* é, è, ê, à, ç ... */
            fr_score++;
    }
    if (arabic > latin)
        return "ar";
    for (size_t i = 0; i < sizeof fr / sizeof fr[0]; i++)
        fr_score += s_has(text, len, fr[i]) ? 2 : 0;
    for (size_t i = 0; i < sizeof en / sizeof en[0]; i++)
        en_score += s_has(text, len, en[i]) ? 2 : 0;
    return fr_score > en_score ? "fr" : "en";
}

/* Sets key to s[0..n) in obj if s is not NULL. */
static void
s_set(json_t *obj, const char *key, const char *s, size_t n)
{
    if (s)
        json_object_set_new(obj, key, json_stringn(s, n));
}

/* A paragraph number at the start of a text: "125.48 Ratify..." (a
   dotted number) or "21. The State party..." (a number and a full stop).
   Its length, 0 if none: a bare number ("2030 Agenda") is not one. */
static size_t
s_leading_paragraph(const char *s, size_t n)
{
    size_t i = 0;
    bool dotted = false;
    while (i < n && isdigit((unsigned char)s[i]))
        i++;
    if (i == 0)
        return 0;
    while (i + 1 < n && s[i] == '.' && isdigit((unsigned char)s[i + 1])) {
        dotted = true;
        i++;
        while (i < n && isdigit((unsigned char)s[i]))
            i++;
    }
    if (i + 1 < n && s[i] == '.' && s[i + 1] == ' ')
        return i;
    return dotted && i < n && s[i] == ' ' ? i : 0;
}

json_t *
nmirf_uhri_row(const nmirf_uhri_t *self, const nmirf_csv_t *row, char *why, size_t whylen)
{
    if (nmirf_csv_count(row) != self->nfields)
        return s_bad(why, whylen, "%zu fields, the header has %zu", nmirf_csv_count(row),
                     self->nfields);
    size_t n_sym, n_body, n_para, n_upr, n_sess, n_pos, n_date, n_id, n_mand, n_upd;
    const char *symbol = s_cell(self, row, COL_SYMBOL, &n_sym);
    const char *body = s_cell(self, row, COL_BODY, &n_body);
    const char *para = s_cell(self, row, COL_PARAGRAPH, &n_para);
    const char *upr = s_cell(self, row, COL_UPR_SESSION, &n_upr);
    const char *session = s_cell(self, row, COL_SESSION, &n_sess);
    const char *mandate = s_cell(self, row, COL_MANDATE, &n_mand);
    const char *updated = s_cell(self, row, COL_UPDATED, &n_upd);
    const char *position = s_cell(self, row, COL_POSITION, &n_pos);
    const char *date = s_cell(self, row, COL_DATE, &n_date);
    const char *uid = s_cell(self, row, COL_ID, &n_id);
    if (!symbol)
        return s_bad(why, whylen, "no document symbol");
    /* A file with a "Session" column and no "UPR Session" one names the
       UPR session there (as this reader took it before both were read). */
    if (self->index[COL_UPR_SESSION] < 0 && session)
        upr = session, n_upr = n_sess;

    /* The mechanism: the body's name, else the symbol's series. */
    const char *mech = body ? s_mechanism_of_body(body, n_body) : NULL;
    if (!mech)
        mech = s_mechanism_of_symbol(symbol, n_sym, upr != NULL);
    if (!mech)
        return body ? s_bad(why, whylen, "unknown recommending body '%.*s'", (int)n_body,
                            body)
                    : s_bad(why, whylen,
                            "no recommending body, and the symbol '%.*s' "
                            "names none",
                            (int)n_sym, symbol);

    /* The texts; a UPR text may begin with its paragraph number. */
    json_t *text = json_object();
    static const struct {
        col_t col;        /* the column */
        const char *lang; /* its language, NULL to detect */
    } texts[] = {
        {COL_TEXT_FR, "fr"}, {COL_TEXT_AR, "ar"}, {COL_TEXT_EN, "en"}, {COL_TEXT, NULL}};
    for (size_t i = 0; i < 4; i++) {
        size_t n;
        const char *t = s_cell(self, row, texts[i].col, &n);
        if (!t)
            continue;
        size_t p = s_leading_paragraph(t, n);
        if (p) {
            if (!para)
                para = t, n_para = p;
            t += p, n -= p;
            s_trim(&t, &n);
            while (n && (*t == '.' || *t == ' '))
                t++, n--;
        }
        const char *lang = texts[i].lang   ? texts[i].lang
                           : self->lang[0] ? self->lang
                                           : nmirf_uhri_lang(t, n);
        if (n && !json_object_get(text, lang))
            json_object_set_new(text, lang, json_stringn(t, n));
    }
    if (json_object_size(text) == 0) {
        json_decref(text);
        return s_bad(why, whylen, "no text");
    }

    /* The stable id: SYMBOL:PARAGRAPH, else the export's own row id
       (Annotation Id) as UHRI-<id>, else the symbol and a hash of the
       text (stable only while the text is: docs/DATA.md, The id). */
    char id[128];
    size_t idn = 0;
    id[0] = 0;
    if (para) {
        s_id_part(id, &idn, 100, symbol, n_sym);
        s_id_part(id, &idn, 101, ":", 1);
        s_id_part(id, &idn, 127, para, n_para);
    } else if (uid) {
        s_id_part(id, &idn, 5, "UHRI-", 5);
        s_id_part(id, &idn, 127, uid, n_id);
    } else {
        char *all = json_dumps(text, JSON_COMPACT | JSON_SORT_KEYS);
        uint8_t h[8];
        char hex[17];
        crypto_generichash(h, sizeof h, (const uint8_t *)all, strlen(all), NULL, 0);
        free(all);
        nmirf_hex(h, sizeof h, hex);
        s_id_part(id, &idn, 100, symbol, n_sym);
        s_id_part(id, &idn, 101, ":", 1);
        s_id_part(id, &idn, 127, hex, 16);
    }
    if (!nmirf_rec_id_valid(id, idn)) {
        json_decref(text);
        return s_bad(why, whylen, "the id '%s' made from %s is over 64 characters", id,
                     para  ? "symbol and paragraph"
                     : uid ? "the annotation id"
                           : "symbol and text");
    }

    json_t *rec = json_object();
    json_object_set_new(rec, "id", json_string(id));
    json_object_set_new(rec, "mechanism", json_string(mech));
    s_set(rec, "symbol", symbol, n_sym);
    s_set(rec, "paragraph", para, n_para);
    if (upr) {
        /* UPR cycles: sessions 1-12, 13-26, 27-40, 41-54, then 14 each. */
        int s = atoi(upr);
        if (strcmp(mech, "UPR") == 0 && s > 0) {
            char cycle[16];
            snprintf(cycle, sizeof cycle, "%d", s <= 12 ? 1 : 2 + (s - 13) / 14);
            json_object_set_new(rec, "cycle", json_string(cycle));
        } else if (upr != session)
            s_set(rec, "cycle", upr, n_upr);
    }
    if (date) {
        char d[11];
        if (s_date(date, n_date, d)) {
            json_decref(text);
            json_decref(rec);
            return s_bad(why, whylen,
                         "date '%.*s' is not a date (YYYY-MM-DD or DD/MM/YYYY)",
                         (int)(n_date > 40 ? 40 : n_date), date);
        }
        json_object_set_new(rec, "date", json_string(d));
    }
    json_t *states = s_list(self, row, COL_STATES);
    if (states)
        json_object_set_new(rec, "states", states);
    json_object_set_new(rec, "text", text);
    if (position) {
        /* Supported/Noted (supported in part) keeps its words as the
           response text: the protocol has no "partly". */
        char raw[64], pos[64];
        snprintf(raw, sizeof raw, "%.*s", (int)(n_pos < 63 ? n_pos : 63), position);
        nmirf_uhri_norm(raw, pos, sizeof pos);
        if (!strcmp(pos, "supported") || !strcmp(pos, "accepted"))
            json_object_set_new(rec, "response", json_string("supported"));
        else if (!strcmp(pos, "noted") || !strcmp(pos, "notsupported"))
            json_object_set_new(rec, "response", json_string("noted"));
        else if (!strcmp(pos, "supportednoted") || !strcmp(pos, "partiallysupported")) {
            json_object_set_new(rec, "response", json_string("supported"));
            json_object_set_new(rec, "response_text", json_stringn(position, n_pos));
        } else if (strcmp(pos, "pending") && strcmp(pos, "noresponse")) {
            json_decref(rec);
            return s_bad(why, whylen,
                         "UPR position '%.*s' is not Supported, Noted or Supported/Noted",
                         (int)(n_pos > 40 ? 40 : n_pos), position);
        }
    }
    json_t *themes = s_list(self, row, COL_THEMES);
    if (themes)
        json_object_set_new(rec, "themes", themes);
    json_t *persons = s_list(self, row, COL_PERSONS);
    if (persons)
        json_object_set_new(rec, "persons", persons);
    json_t *sdgs = s_list(self, row, COL_SDGS);
    if (sdgs)
        json_object_set_new(rec, "sdgs", sdgs);
    s_set(rec, "mandate", mandate, n_mand);
    s_set(rec, "session", session, n_sess);
    if (updated) {
        char d[11];
        if (s_date(updated, n_upd, d)) {
            json_decref(rec);
            return s_bad(why, whylen,
                         "last updated '%.*s' is not a date (YYYY-MM-DD or DD/MM/YYYY)",
                         (int)(n_upd > 40 ? 40 : n_upd), updated);
        }
        json_object_set_new(rec, "source_updated", json_string(d));
    }
    return rec;
}
