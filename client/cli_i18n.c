/*  cli_i18n - the locale, the catalogs and the language of the texts
    shown (cli_i18n.h).
*/
#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include "cli_i18n.h"
#include "nmirf_mp.h"

#ifndef NMIRF_LOCALEDIR
#define NMIRF_LOCALEDIR "/usr/local/share/locale"
#endif

/* The language of texts; set once from LC_MESSAGES, then by --lang. */
static const char *s_lang = "en";
/* The language of messages, from LC_MESSAGES. */
static const char *s_msg_lang = "en";

/* "fr", "ar" or "en" for a locale name such as "fr_FR.UTF-8", or NULL. */
static const char *
s_lang_of(const char *locale)
{
    static const char *const langs[] = {"fr", "ar", "en"};
    if (!locale)
        return NULL;
    for (size_t i = 0; i < sizeof langs / sizeof langs[0]; i++)
        if (strncmp(locale, langs[i], 2) == 0 &&
            (locale[2] == '\0' || locale[2] == '_' || locale[2] == '.' ||
             locale[2] == '@'))
            return langs[i];
    return NULL;
}

void
cli_i18n_init(void)
{
    /* A locale the system does not have leaves "C": English, as before. */
    setlocale(LC_ALL, "");
    /* Numbers are written as machines read them (3.5, not 3,5): the
       tables and JSON are parsed by scripts. */
    setlocale(LC_NUMERIC, "C");
    const char *dir = getenv("NMIRF_LOCALEDIR");
    bindtextdomain("nmirf", dir && *dir ? dir : NMIRF_LOCALEDIR);
    bind_textdomain_codeset("nmirf", "UTF-8");
    textdomain("nmirf");
    const char *lang = s_lang_of(setlocale(LC_MESSAGES, NULL));
    s_lang = s_msg_lang = lang ? lang : "en";
}

const char *
cli_msg_lang(void)
{
    return s_msg_lang;
}

const char *
cli_word(cli_word_t kind, const char *key, char *buf, size_t len)
{
    (void)kind;
    (void)buf;
    (void)len;
    return key;
}

const char *
cli_tr(const char *s)
{
    return s && *s ? gettext(s) : s;
}

const char *
cli_lang(void)
{
    return s_lang;
}

void
cli_set_lang(const char *lang)
{
    const char *l = s_lang_of(lang);
    if (l && strlen(lang) == 2)
        s_lang = l;
}

/* The non-empty string of texts under lang, or NULL. */
static const msgpack_object *
s_text(const msgpack_object *texts, const char *lang)
{
    const msgpack_object *t = nmirf_mp_get(texts, lang);
    return t && t->type == MSGPACK_OBJECT_STR && t->via.str.size > 0 ? t : NULL;
}

const msgpack_object *
cli_lang_text(const msgpack_object *texts)
{
    const char *order[] = {s_lang, "fr", "en", "ar"};
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        const msgpack_object *t = s_text(texts, order[i]);
        if (t)
            return t;
    }
    return NULL;
}
