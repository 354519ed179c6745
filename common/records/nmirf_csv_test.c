/*  csv_test - unit tests of the CSV reader (quotes, CRLF, BOM, embedded
    line breaks, bad UTF-8, ragged rows: nmirf_csv_test) and of the UHRI
    header matching and language detection. Prints each failure; exits
    non-zero if any. */
#include "nmirf_csv.h"
#include "nmirf_recfile.h"
#include "nmirf_uhri.h"

#include <stdio.h>
#include <string.h>

#include "unit.h"

int
main(int argc, char **argv)
{
    bool verbose = argc > 1 && !strcmp(argv[1], "-v");
    unit_failures += nmirf_csv_test(verbose);

    char norm[64];
    nmirf_uhri_norm("UPR Reccomending States", norm, sizeof norm);
    CHECK(!strcmp(norm, "uprrecomendingstates"));
    nmirf_uhri_norm("  Recommending body ", norm, sizeof norm);
    CHECK(!strcmp(norm, "recomendingbody"));
    nmirf_uhri_norm("Document Publication Date", norm, sizeof norm);
    CHECK(!strcmp(norm, "documentpublicationdate"));

    const char *ar = "تعزيز استقلال السلطة القضائية (France)";
    CHECK(!strcmp(nmirf_uhri_lang(ar, strlen(ar)), "ar"));
    const char *fr = "Renforcer l'indépendance du pouvoir judiciaire et des juges";
    CHECK(!strcmp(nmirf_uhri_lang(fr, strlen(fr)), "fr"));
    const char *en = "Strengthen the independence of the judiciary and its judges";
    CHECK(!strcmp(nmirf_uhri_lang(en, strlen(en)), "en"));

    /* A UHRI file: rows with their lines, quirks mapped, bad rows named. */
    const char uhri[] =
        "\xEF\xBB\xBF"
        "Reccomending Body,DOCUMENT SYMBOL,Text,UPR Position,Themes\r\n"
        "- Universal Periodic Review,- A/HRC/52/7,\"125.1 Ratify, now\",- "
        "Supported/Noted,- A - B - A\r\n"
        "- Committee against Torture,CAT/C/MAR/CO/5,\"12. Investigate\r\n"
        "promptly\",,\r\n"
        "x,y\r\n"
        ",CCPR/C/MAR/CO/7,2030 Agenda for all,,\r\n";
    char why[256];
    nmirf_recfile_t *file =
        nmirf_recfile_read(uhri, sizeof uhri - 1, "x.csv", NULL, NULL, why, sizeof why);
    CHECK(file && file->count == 4 && file->bad == 1 && !strcmp(file->format, "uhri"));
    if (file && file->count == 4) {
        json_t *r = file->rows[0].rec;
        CHECK(file->rows[0].line == 2 && file->rows[1].line == 3 &&
              file->rows[2].line == 5);
        CHECK(!strcmp(json_string_value(json_object_get(r, "id")), "A/HRC/52/7:125.1"));
        CHECK(!strcmp(json_string_value(json_object_get(r, "response_text")),
                      "Supported/Noted"));
        CHECK(json_array_size(json_object_get(r, "themes")) == 2);
        CHECK(
            !strcmp(json_string_value(json_object_get(json_object_get(r, "text"), "en")),
                    "Ratify, now"));
        r = file->rows[1].rec;
        CHECK(r &&
              !strcmp(json_string_value(json_object_get(r, "id")), "CAT/C/MAR/CO/5:12"));
        CHECK(!file->rows[2].rec &&
              strstr(file->rows[2].why, "2 fields, the header has 5"));
    }
    nmirf_recfile_destroy(&file);
    CHECK(!nmirf_recfile_read("a,b\n", 4, "x.csv", NULL, NULL, why, sizeof why) &&
          strstr(why, "no 'Document Symbol' column"));
    CHECK(!nmirf_recfile_read("[1]", 3, "x.json", NULL, NULL, why, sizeof why) &&
          strstr(why, "recommendation 1 is not a JSON object"));

    return unit_done("csv_test");
}
