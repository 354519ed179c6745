/*  web_assets - the files built into nmirf-web: the pages (everything
    under client/web/static/) and the compiled catalogs (po/LANG.po made
    into LANG.mo by msgfmt). client/web/embed.cmake writes both tables at
    build time, so the program needs no file beside it. */
#ifndef WEB_ASSETS_H
#define WEB_ASSETS_H

#include <stddef.h>

typedef struct {
    const char *name; /* relative to static/: "index.html", "js/app.js"; or "fr.mo" */
    const unsigned char *data;
    size_t len;
} web_blob_t;

/* Each ends with an entry whose name is NULL. */
extern const web_blob_t web_static_files[];
extern const web_blob_t web_catalog_files[];

#endif
