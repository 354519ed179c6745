/*  cli_i18n - the locale, the catalogs and the language of the texts
    shown (cli_i18n.h).
*/
#include <limits.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_i18n.h"
#include "nmirf_mp.h"
#include "nmirf_vocab.h"

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
        if (strncmp(locale, langs[i], 2) == 0 && (locale[2] == '\0' || locale[2] == '_' ||
                                                  locale[2] == '.' || locale[2] == '@'))
            return langs[i];
    return NULL;
}

/* The catalogs beside this program: PREFIX/share/locale for
   PREFIX/bin/nmirf, wherever PREFIX is (/usr for the package, /usr/local
   for `cmake --install`), when they are there; else the prefix the build
   was configured with. The package is built with one prefix and
   installed under another (CPACK_PACKAGING_INSTALL_PREFIX), so the
   configured one alone would miss its own catalogs. */
static const char *
s_localedir(char *buf, size_t len)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash && slash > exe) {
            *slash = '\0'; /* PREFIX/bin */
            slash = strrchr(exe, '/');
            if (slash) {
                *slash = '\0'; /* PREFIX */
                char probe[PATH_MAX + 64];
                snprintf(probe, sizeof probe, "%s/share/locale/fr/LC_MESSAGES/nmirf.mo",
                         exe);
                if (access(probe, R_OK) == 0 &&
                    (size_t)snprintf(buf, len, "%s/share/locale", exe) < len)
                    return buf;
            }
        }
    }
    return NMIRF_LOCALEDIR;
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
    char here[PATH_MAX];
    bindtextdomain("nmirf", dir && *dir ? dir : s_localedir(here, sizeof here));
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
    static const nmirf_vocab_kind_t kinds[] = {
        [CLI_WORD_STATUS] = NMIRF_VOCAB_STATUS,
        [CLI_WORD_POSITION] = NMIRF_VOCAB_POSITION,
        [CLI_WORD_MECHANISM] = NMIRF_VOCAB_MECHANISM,
        [CLI_WORD_REPORT_STATE] = NMIRF_VOCAB_REPORT_STATE,
        [CLI_WORD_ROLE] = NMIRF_VOCAB_ROLE,
    };
    if (!key || !*key || strcmp(s_msg_lang, "en") == 0 || len == 0)
        return key;
    if (kind == CLI_WORD_ENTITY_STATE) {
        /* pgettext: the context and the key, joined by EOT. */
        char id[128];
        if ((size_t)snprintf(id, sizeof id, "entity_state\004%s", key) >= sizeof id)
            return key;
        const char *t = gettext(id);
        if (t == id)
            return key;
        snprintf(buf, len, "%s", t);
        return buf;
    }
    return nmirf_vocab_label(kinds[kind], key, strlen(key), s_msg_lang, buf, len);
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
    /* The reader's language, then French, then English (nmirf_lang_order's
       default), then whichever the record has. */
    const char *order[3];
    size_t n = nmirf_lang_order(s_lang, NULL, order);
    for (size_t i = 0; i < n; i++) {
        const msgpack_object *t = s_text(texts, order[i]);
        if (t)
            return t;
    }
    static const char *const any[] = {"fr", "en", "ar"};
    for (size_t i = 0; i < sizeof any / sizeof any[0]; i++) {
        const msgpack_object *t = s_text(texts, any[i]);
        if (t)
            return t;
    }
    return NULL;
}
