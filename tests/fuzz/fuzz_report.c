/*  fuzz_report - the follow-up report's model and both renderers on any
    bytes taken as a snapshot reply body: what `nmirf report html|odt`
    does with what a broker (or anything posing as one) sends back.

    The first byte picks the options (grouping, --since, --limit, the
    language); the rest is a msgpack object, checked and unpacked as the
    client's reply decoder does. Beyond the sanitizers: a model that was
    built has consistent counts (rows shown <= rows in all, groups that
    add up); the HTML annex is valid UTF-8 with no control character but
    line feeds and tabs; the ODT is written and its content.xml is valid
    UTF-8 with no control character at all.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zip.h>

#include "nmirf_mp.h"
#include "report_html.h"
#include "report_model.h"
#include "report_odt.h"

static char s_dir[] = "/tmp/fuzz_report.XXXXXX";
static char s_path[sizeof s_dir + 16];

/* The scratch directory goes with the process. */
static void
s_cleanup(void)
{
    unlink(s_path);
    rmdir(s_dir);
}

static void
s_broken(const char *what)
{
    fprintf(stderr, "fuzz_report: %s\n", what);
    abort();
}

/* Valid UTF-8 with no C0 control but those allowed; no DEL. */
static void
s_check_text(const char *what, const char *s, size_t len, const char *allowed)
{
    if (!nmirf_utf8_valid((const uint8_t *)s, len))
        s_broken(what);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c < 0x20 || c == 0x7f) && !strchr(allowed, c)) {
            size_t from = i > 60 ? i - 60 : 0;
            fprintf(stderr, "fuzz_report: byte %#x at %zu after \"%.*s\"\n", c, i,
                    (int)(i - from), s + from);
            s_broken(what);
        }
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    if (!s_path[0]) {
        if (!mkdtemp(s_dir))
            s_broken("mkdtemp");
        snprintf(s_path, sizeof s_path, "%s/r.odt", s_dir);
        atexit(s_cleanup);
    }
    uint8_t opt = data[0];
    data++, size--;
    if (nmirf_mp_check(data, size, NULL, 0) != NMIRF_OK)
        return 0;
    msgpack_zone *zone = msgpack_zone_new(4096);
    msgpack_object obj;
    if (nmirf_mp_unpack(data, size, zone, &obj, NULL, 0) != NMIRF_OK) {
        msgpack_zone_free(zone);
        return 0;
    }
    static const char *const langs[] = {"fr", "ar", "en", "fr"};
    const char *lang = langs[(opt >> 4) & 3];
    report_model_opts_t mo = {.by = (report_by_t)(opt & 3),
                              .since = opt & 4 ? "2025-01-01" : NULL,
                              .limit = opt & 8 ? 2 : 0};
    char why[256] = "";
    report_model_t *m = report_model_new(&obj, &mo, why, sizeof why);
    if (!m) {
        if (!why[0])
            s_broken("a refusal without a reason");
        msgpack_zone_free(zone);
        return 0;
    }
    if (m->rows > m->rows_total || (mo.limit && m->rows > mo.limit) ||
        (!mo.limit && m->rows != m->rows_total))
        s_broken("rows and the limit disagree");
    size_t sum = 0;
    for (size_t g = 0; g < m->ngroups; g++) {
        if (!m->groups[g].n || !m->groups[g].key)
            s_broken("an empty group");
        sum += m->groups[g].n;
    }
    if (sum != m->rows)
        s_broken("the groups do not add up to the rows");

    char *html = NULL;
    size_t hlen = 0;
    FILE *f = open_memstream(&html, &hlen);
    report_html_annex_t ann = {
        .model = m, .lang = lang, .fallback = opt & 64 ? "ar" : NULL, .stats_seq = 1};
    report_html_annex(f, &ann);
    fclose(f);
    s_check_text("the HTML annex is not clean UTF-8", html, hlen, "\n\t");
    free(html);

    report_odt_opts_t oo = {.lang = lang, .stats = &obj, .stats_seq = 1, .model = m};
    size_t osize = 0;
    if (report_odt_write(s_path, &oo, &osize, why, sizeof why))
        s_broken("the document could not be written");
    int err = 0;
    zip_t *z = zip_open(s_path, ZIP_RDONLY, &err);
    if (!z)
        s_broken("the document does not open as a ZIP");
    zip_stat_t st;
    zip_file_t *zf = NULL;
    if (zip_stat(z, "content.xml", 0, &st) || !(zf = zip_fopen(z, "content.xml", 0)))
        s_broken("no content.xml");
    char *xml = malloc(st.size + 1);
    if (!xml || zip_fread(zf, xml, st.size) != (zip_int64_t)st.size)
        s_broken("content.xml unreadable");
    s_check_text("content.xml is not clean UTF-8", xml, st.size, "\n");
    free(xml);
    zip_fclose(zf);
    zip_discard(z);
    unlink(s_path);
    report_model_destroy(&m);
    if (m)
        s_broken("destroy did not clear the pointer");
    msgpack_zone_free(zone);
    return 0;
}
