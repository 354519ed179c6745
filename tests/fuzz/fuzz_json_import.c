/*  fuzz_json_import - the command line's JSON import decoder
    (nmirf_recfile_read with format "json") on any bytes.

    Checks beyond the sanitizers: a refused file says why; counts add up;
    a good row passes nmirf_rec_check and has no `updated`; a bad row says
    why; the good rows written as the project's JSON read back as the same
    recommendations, all good.
*/
#include "nmirf_rec.h"
#include "nmirf_recfile.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
s_broken(const char *what)
{
    fprintf(stderr, "fuzz_json_import: %s\n", what);
    abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char why[256] = "";
    nmirf_recfile_t *file = nmirf_recfile_read((const char *)data, size, "x.json", NULL,
                                               NULL, why, sizeof why);
    if (!file) {
        if (!why[0])
            s_broken("a refused file without a reason");
        return 0;
    }
    json_t *good = json_array();
    size_t bad = 0;
    for (size_t i = 0; i < file->count; i++) {
        const nmirf_recrow_t *row = &file->rows[i];
        char w[256];
        if (row->line != i + 1)
            s_broken("rows out of order");
        if (row->rec) {
            if (nmirf_rec_check(row->rec, w, sizeof w) ||
                json_object_get(row->rec, "updated"))
                s_broken("a good row fails the check");
            json_array_append(good, row->rec);
        } else if (!row->why[0])
            s_broken("a bad row without a reason");
        else
            bad++;
    }
    if (bad != file->bad)
        s_broken("bad rows miscounted");

    char *out = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&out, &len);
    if (nmirf_recfile_write_json(m, good))
        s_broken("writing JSON failed");
    fclose(m);
    nmirf_recfile_t *back =
        nmirf_recfile_read(out, len, "x.json", NULL, NULL, why, sizeof why);
    if (!back || back->bad || back->count != json_array_size(good))
        s_broken("the JSON written does not read back");
    for (size_t i = 0; i < back->count; i++)
        if (!json_equal(json_array_get(good, i), back->rows[i].rec))
            s_broken("a recommendation changed through JSON");
    nmirf_recfile_destroy(&back);
    free(out);
    json_decref(good);
    nmirf_recfile_destroy(&file);
    return 0;
}
