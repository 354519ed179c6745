/*  fuzz_csv - the CSV reader (nmirf_csv) and the UHRI and project CSV
    mappings (nmirf_uhri through nmirf_recfile_read) on any bytes.

    The first byte picks the mode (mod 3): 0 the bare reader, 1 a CSV file
    told by its header (the project's or UHRI), 2 a UHRI file with the
    text language given. Checks beyond the sanitizers:
    - the reader: every record has at least one field, each field's length
      fits the input, record lines never go down, and once it fails it
      stays failed with a message "line N: ..."; the stream reader over
      the same bytes gives the same records, lines and error;
    - the mappings: counts add up, a good row passes nmirf_rec_check, a bad
      one says why; the good rows written as the project's CSV read back
      as the same recommendations (the export/import identity), unless a
      list item held a line break (which the writer reports).
*/
#include "nmirf_csv.h"
#include "nmirf_rec.h"
#include "nmirf_recfile.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
s_broken(const char *what)
{
    fprintf(stderr, "fuzz_csv: %s\n", what);
    abort();
}

/* The bare reader over data. */
static void
s_reader(const char *data, size_t len)
{
    nmirf_csv_t *csv = nmirf_csv_new(data, len);
    if (!csv)
        return;
    size_t last = 0;
    int rc;
    while ((rc = nmirf_csv_next(csv)) == 1) {
        if (nmirf_csv_count(csv) < 1)
            s_broken("a record without fields");
        if (nmirf_csv_line(csv) < last || nmirf_csv_line(csv) < 1)
            s_broken("record lines went down");
        last = nmirf_csv_line(csv);
        size_t total = 0;
        for (size_t i = 0; i < nmirf_csv_count(csv); i++) {
            size_t n;
            const char *f = nmirf_csv_field(csv, i, &n);
            if (!f || f[n] != 0)
                s_broken("a field not terminated");
            total += n;
        }
        if (total > len)
            s_broken("fields longer than the input");
        if (nmirf_csv_field(csv, nmirf_csv_count(csv), NULL))
            s_broken("a field past the count");
    }
    if (rc < 0) {
        if (strncmp(nmirf_csv_error(csv), "line ", 5) != 0)
            s_broken("an error without its line");
        if (nmirf_csv_next(csv) != -1)
            s_broken("a failed reader read on");
    }
    nmirf_csv_destroy(&csv);
}

/* The stream reader over data gives what the buffer reader gives: the
   same records, lines and error. */
static void
s_stream(const char *data, size_t len)
{
    if (len == 0)
        return;
    FILE *f = fmemopen((void *)data, len, "r");
    if (!f)
        return;
    nmirf_csv_t *mem = nmirf_csv_new(data, len), *str = nmirf_csv_new_file(f, SIZE_MAX);
    int rm = 0, rs = 0;
    while (mem && str) {
        rm = nmirf_csv_next(mem);
        rs = nmirf_csv_next(str);
        if (rm != rs)
            s_broken("the stream reader and the buffer reader disagree");
        if (rm != 1)
            break;
        if (nmirf_csv_count(mem) != nmirf_csv_count(str) ||
            nmirf_csv_line(mem) != nmirf_csv_line(str))
            s_broken("a streamed record differs");
        for (size_t i = 0; i < nmirf_csv_count(mem); i++) {
            size_t a = 0, b = 0;
            const char *fa = nmirf_csv_field(mem, i, &a),
                       *fb = nmirf_csv_field(str, i, &b);
            if (a != b || memcmp(fa, fb, a) != 0)
                s_broken("a streamed field differs");
        }
    }
    if (mem && str && rm < 0 && strcmp(nmirf_csv_error(mem), nmirf_csv_error(str)) != 0)
        s_broken("the stream reader fails otherwise");
    nmirf_csv_destroy(&mem);
    nmirf_csv_destroy(&str);
    fclose(f);
}

/* A mapping of data, then the identity through the project's CSV. */
static void
s_mapping(const char *data, size_t len, const char *format, const char *lang)
{
    char why[256];
    nmirf_recfile_t *file =
        nmirf_recfile_read(data, len, NULL, format, lang, why, sizeof why);
    if (!file) {
        if (!why[0])
            s_broken("a refused file without a reason");
        return;
    }
    json_t *good = json_array();
    size_t bad = 0;
    for (size_t i = 0; i < file->count; i++) {
        const nmirf_recrow_t *row = &file->rows[i];
        char w[256];
        if (row->rec) {
            if (nmirf_rec_check(row->rec, w, sizeof w))
                s_broken("a good row fails the check");
            json_array_append(good, row->rec);
        } else {
            bad++;
            if (!row->why[0])
                s_broken("a bad row without a reason");
        }
    }
    if (bad != file->bad)
        s_broken("bad rows miscounted");

    char *out = NULL;
    size_t size = 0, lossy = 0;
    FILE *m = open_memstream(&out, &size);
    if (nmirf_recfile_write_csv(m, good, &lossy))
        s_broken("writing CSV failed");
    fclose(m);
    if (!lossy) {
        nmirf_recfile_t *back =
            nmirf_recfile_read(out, size, "x.csv", NULL, NULL, why, sizeof why);
        if (!back || back->bad || back->count != json_array_size(good) ||
            strcmp(back->format, "csv") != 0)
            s_broken("the CSV written does not read back");
        for (size_t i = 0; i < back->count; i++) {
            if (!json_equal(json_array_get(good, i), back->rows[i].rec))
                s_broken("a recommendation changed through CSV");
        }
        nmirf_recfile_destroy(&back);
    }
    free(out);
    json_decref(good);
    nmirf_recfile_destroy(&file);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    static const char *const langs[] = {"fr", "ar", "en"};
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    switch (data[0] % 3) {
    case 0:
        s_reader(text, len);
        s_stream(text, len);
        break;
    case 1:
        s_mapping(text, len, "csv", NULL);
        break;
    default:
        s_mapping(text, len, "uhri", langs[(data[0] / 3) % 3]);
        break;
    }
    return 0;
}
