/*  web_api_vocab - GET /api/vocab (docs/WEB.md section 2): every
    vocabulary of common/vocab (the .tsv files of data/vocab) in French,
    Arabic and English, for the console to name statuses, positions,
    mechanisms, report states, roles, themes and SDGs in the page's
    language.

    The vocabularies are built into the program, so the answer never
    changes while it runs: its text is made once (pthread_once) and kept
    for the life of the process, and it is sent with an ETag so that a
    browser asks again cheaply (304) rather than takes it again. It says
    nothing about the country's data: it is answered without a session,
    like /api/schema.
*/
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nmirf_log.h"
#include "nmirf_vocab.h"
#include "web_api_int.h"

static char *s_text;    /* the answer, made once; never freed */
static char s_etag[24]; /* "\"v" + 16 hex digits + "\"" */
static pthread_once_t s_once = PTHREAD_ONCE_INIT;

static void
s_row(const char *key, const char *fr, const char *ar, const char *en, void *arg)
{
    json_t *names = json_object();
    const char *v[3] = {fr, ar, en};
    static const char *const langs[3] = {"fr", "ar", "en"};
    for (int i = 0; i < 3; i++)
        if (v[i]) /* an empty cell: the page falls back as it does for records */
            json_object_set_new(names, langs[i], json_string(v[i]));
    json_object_set_new(arg, key, names);
}

static void
s_make(void)
{
    json_t *all = json_pack("{s:[s,s,s]}", "langs", "fr", "ar", "en");
    for (int k = 0; all && k < NMIRF_VOCAB_KIND_COUNT; k++) {
        json_t *kind = json_object();
        nmirf_vocab_each((nmirf_vocab_kind_t)k, s_row, kind);
        json_object_set_new(all, nmirf_vocab_kind_name((nmirf_vocab_kind_t)k), kind);
    }
    s_text = all ? json_dumps(all, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(all);
    if (!s_text) {
        log_warnx("web api: out of memory for /api/vocab");
        return;
    }
    /* FNV-1a over the text: the tag changes when a .tsv does. */
    uint64_t h = 0xcbf29ce484222325ULL;
    for (const unsigned char *p = (const unsigned char *)s_text; *p; p++)
        h = (h ^ *p) * 0x100000001b3ULL;
    snprintf(s_etag, sizeof s_etag, "\"v%016llx\"", (unsigned long long)h);
}

void
web_api_vocab(web_api_t *api, const web_request_t *req, const char *rest,
              web_response_t *resp)
{
    (void)api, (void)req, (void)rest;
    pthread_once(&s_once, s_make);
    char *body = s_text ? strdup(s_text) : NULL;
    if (!body) {
        web_api_error(resp, 500, "internal", "out of memory");
        return;
    }
    resp->status = 200;
    resp->content_type = "application/json";
    resp->body = body;
    resp->len = strlen(body);
    resp->etag = s_etag;
}
