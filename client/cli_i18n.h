/*  cli_i18n - the command line in its reader's language.

    Two things are translated, each in one place:

    - the words of the program (messages, help, table headers) through
      gettext, domain "nmirf", the catalogs po/LANG.po the web console
      shares. _() translates a message where it is printed; N_() only
      marks a static initializer (a command table's help, a header array)
      for xgettext, and the printing code passes it through cli_tr().
      The language is LC_ALL / LC_MESSAGES / LANG, as for any program;
      the catalogs are looked up under $NMIRF_LOCALEDIR when set (the
      build tree's po/locale, for tests and uninstalled runs), else under
      the install's share/locale.
    - the texts of the records (a recommendation's text, an entity's
      name), which come in fr/ar/en: shown in cli_lang(), the --lang of
      rec list, rec show and mine, else the language of LC_MESSAGES when
      it is fr, ar or en, else English; a text missing in that language is
      shown in French, else English, else whichever it has.

    Machine output does not change with the language: --json, --csv, exit
    statuses and the keywords scripts read stay as they are.

    Every string returned is borrowed: a catalog's (static for the life
    of the program) or the caller's.
*/
#ifndef CLI_I18N_H
#define CLI_I18N_H

#include <libintl.h>
#include <msgpack.h>
#include <stddef.h>

#define _(s) gettext(s)
#define N_(s) s

/* Reads the locale from the environment and binds the catalogs. Call
   first thing in main(). */
void cli_i18n_init(void);

/* s translated, or s itself when it is NULL or "" (gettext("") would
   return the catalog's header). For N_()-marked strings. */
const char *cli_tr(const char *s);

/* The language texts are shown in: "fr", "ar" or "en". */
const char *cli_lang(void);

/* Sets it (--lang): one of "fr", "ar", "en"; anything else is ignored. */
void cli_set_lang(const char *lang);

/* The language of the messages: "fr", "ar" or "en" (LC_MESSAGES). */
const char *cli_msg_lang(void);

/* The words of stored values (nmirf_vocab.h's kinds). */
typedef enum {
    CLI_WORD_STATUS,
    CLI_WORD_POSITION,
    CLI_WORD_MECHANISM,
    CLI_WORD_REPORT_STATE,
    CLI_WORD_ROLE,
    CLI_WORD_ENTITY_STATE, /* active, revoked: the catalogs' msgctxt
                              "entity_state" (the console's words) */
} cli_word_t;

/* What a reader of the messages' language reads for the stored value
   key: in English the value itself (`in_progress`, the word the options
   take and scripts grep), in French and Arabic its name in the
   vocabulary (data/vocab). Returns key or buf (len bytes). */
const char *cli_word(cli_word_t kind, const char *key, char *buf, size_t len);

/* The text of a {fr?, ar?, en?} map to show: in cli_lang(), else French,
   else English, else any non-empty one; NULL if none. Borrowed from
   texts. */
const msgpack_object *cli_lang_text(const msgpack_object *texts);

#endif
