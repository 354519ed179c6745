/*  web_catalog - the message catalogs of the pages (docs/WEB.md section 4).

    po/CMakeLists.txt compiles po/LANG.po with msgfmt into GNU .mo files,
    which the build embeds into nmirf-web (web_assets.h). At start the core
    parses each into the JSON of GET /api/i18n/LANG: {lang, dir, messages:
    {KEY: TEXT}}, KEY being the msgid, or "CONTEXT\u0004ID" for an entry
    with a msgctxt (as the .mo stores it). A plural entry keeps its
    singular forms. The header entry (empty msgid) and untranslated
    entries are left out.
*/
#ifndef WEB_CATALOG_H
#define WEB_CATALOG_H

#include <stddef.h>
#include <stdint.h>

/* Parses the len bytes of a GNU .mo file (either byte order; every
   offset and length bounds-checked; keys and texts must be UTF-8) and
   returns the catalog's JSON text for lang ("fr", "ar", "en"; dir "rtl"
   for ar, else "ltr"), malloc'd, caller frees. mo may be NULL (len 0)
   for a language without a catalog: messages is then {}. NULL with why
   filled if the file is not a valid .mo. */
char *web_catalog_json(const char *lang, const uint8_t *mo, size_t len, char *why,
                       size_t whylen);

#endif
