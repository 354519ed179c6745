/*  csv_test - unit tests of the CSV reader (quotes, CRLF, BOM, embedded
    line breaks, bad UTF-8, ragged rows: nmirf_csv_test) and of the UHRI
    header matching and language detection. Prints each failure; exits
    non-zero if any. */
#include "nmirf_csv.h"
#include "nmirf_recfile.h"
#include "nmirf_uhri.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"

/* The string at key of rec, or "" (a NULL would not compare). */
static const char *
s_str(const json_t *rec, const char *key)
{
    const char *v = json_string_value(json_object_get(rec, key));
    return v ? v : "";
}

/* Hostile UHRI rows: an annotation id given twice (two texts: the second
   row is refused, naming the first, never an overwrite), two annotation
   ids that the id charset makes one (the same), one too long, and the
   dates the export writes against look-alikes. */
static void
s_hostile_uhri(void)
{
    unit_case = "hostile uhri";
    char longid[200];
    memset(longid, 'a', 70);
    longid[70] = 0;
    char uhri[2048];
    snprintf(uhri, sizeof uhri,
             "Reccomending Body,Document Symbol,Text,Annotation Id,Last Updated\n"
             /* 2, 3: one annotation id, two texts */
             "- Committee against Torture,CAT/C/MAR/CO/5,Ensure access,u-1,2024-02-15\n"
             "- Committee against Torture,CAT/C/MAR/CO/5,Ensure access now,u-1,\n"
             /* 4, 5: 'x y' and 'x.y' are both UHRI-x.y */
             "- Committee against Torture,CAT/C/MAR/CO/5,First,x y,\n"
             "- Committee against Torture,CAT/C/MAR/CO/5,Second,x.y,\n"
             /* 6: too long for an id */
             "- Committee against Torture,CAT/C/MAR/CO/5,Long,%s,\n"
             /* 7-9: dates the export writes */
             "- Committee against Torture,CAT/C/MAR/CO/5,D1,d-1,04/01/2023\n"
             "- Committee against Torture,CAT/C/MAR/CO/5,D2,d-2,2023-03-30T09:12:44\n"
             "- Committee against Torture,CAT/C/MAR/CO/5,D3,d-3,4 January 2023\n"
             /* 10-15: look-alikes, refused */
             "- Committee against Torture,CAT/C/MAR/CO/5,E1,e-1,+4/01/2023\n"
             "- Committee against Torture,CAT/C/MAR/CO/5,E2,e-2, 4/ 1/2023\n"
             "- Committee against Torture,CAT/C/MAR/CO/5,E3,e-3,12/31/2023\n"
             "- Committee against Torture,CAT/C/MAR/CO/5,E4,e-4,31/02/2023\n"
             "- Committee against Torture,CAT/C/MAR/CO/5,E5,e-5,2023/01/04\n"
             "- Committee against Torture,CAT/C/MAR/CO/5,E6,e-6,04/01/23\n",
             longid);
    char why[256];
    nmirf_recfile_t *f =
        nmirf_recfile_read(uhri, strlen(uhri), "h.csv", NULL, "en", why, sizeof why);
    CHECK(f && f->count == 14);
    if (!f || f->count != 14)
        goto done;
    CHECK(f->rows[0].rec && !strcmp(s_str(f->rows[0].rec, "id"), "UHRI-u-1"));
    CHECK(!f->rows[1].rec &&
          strstr(f->rows[1].why, "'UHRI-u-1' already given by line 2"));
    CHECK(f->rows[2].rec && !strcmp(s_str(f->rows[2].rec, "id"), "UHRI-x.y"));
    CHECK(!f->rows[3].rec && strstr(f->rows[3].why, "already given by line 4"));
    CHECK(!f->rows[4].rec && strstr(f->rows[4].why, "over 64 characters"));
    const char *good[] = {"2023-01-04", "2023-03-30", "2023-01-04"};
    for (size_t i = 0; i < 3; i++)
        CHECK(f->rows[5 + i].rec &&
              !strcmp(s_str(f->rows[5 + i].rec, "source_updated"), good[i]));
    for (size_t i = 8; i < 14; i++)
        CHECK(!f->rows[i].rec && strstr(f->rows[i].why, "is not a date"));
    CHECK(f->bad == 9);
done:
    nmirf_recfile_destroy(&f);
}

/* A UHRI export as the real one has it: Annotation Id, Session, Mandate
   and Last Updated, rows with and without a paragraph. */
static void
s_annotated(void)
{
    unit_case = "annotation id";
    char norm[64];
    nmirf_uhri_norm("Annotation Id", norm, sizeof norm);
    CHECK(!strcmp(norm, "annotationid"));
    const char uhri[] =
        "Reccomending Body,Mandate,Document Symbol,Session,Text,UPR Session,"
        "UPR Position,Annotation,Annotation Id,Last Updated\n"
        /* 2: a paragraph wins over the annotation id; no position */
        "- Universal Periodic Review,,A/HRC/52/7,- 41,125.9 Do it,- 41,,,a-1,"
        "2023-03-30T09:12:44\n"
        /* 3: no paragraph: the annotation id */
        "- Committee against Torture,,CAT/C/MAR/CO/5,- 78th session,Ensure access,,,"
        "note,8d41e7b2-5c6a-4f3e-a0b1-7c2d9e8f1a02,2024-02-15\n"
        /* 4: a special procedure's mandate (its name holds a treaty's
           subject), a day-first date */
        "- Special Rapporteur on the rights of persons with disabilities,- Special "
        "Rapporteur on education,"
        "A/HRC/56/40/Add.1,,Guarantee inclusion,,,,sp 7,15/03/2025\n"
        /* 5: neither: the hash */
        "- Committee on Enforced Disappearances,,CED/C/MAR/CO/1,,Keep a register,,,,,\n"
        /* 6: a last updated that is no date */
        "- Committee against Torture,,CAT/C/MAR/CO/5,,22. Other,,,,x-2,yesterday\n"
        /* 7: an explicit position on a treaty body's row is kept */
        "- Committee against Torture,,CAT/C/MAR/CO/5,,23. Third,,- Supported,,,\n";
    char why[256];
    nmirf_recfile_t *f =
        nmirf_recfile_read(uhri, sizeof uhri - 1, "a.csv", NULL, "en", why, sizeof why);
    CHECK(f && f->count == 6 && f->bad == 1);
    if (!f || f->count != 6)
        goto done;
    json_t *r = f->rows[0].rec;
    CHECK(!strcmp(s_str(r, "id"), "A/HRC/52/7:125.9"));
    CHECK(!strcmp(s_str(r, "cycle"), "4") && !strcmp(s_str(r, "session"), "41"));
    CHECK(!strcmp(s_str(r, "source_updated"), "2023-03-30"));
    CHECK(!json_object_get(r, "response")); /* the broker's default: pending */
    r = f->rows[1].rec;
    CHECK(!strcmp(s_str(r, "id"), "UHRI-8d41e7b2-5c6a-4f3e-a0b1-7c2d9e8f1a02"));
    CHECK(!strcmp(s_str(r, "session"), "78th session") && !json_object_get(r, "cycle"));
    CHECK(!json_object_get(r, "mandate") && !json_object_get(r, "paragraph"));
    CHECK(!strcmp(s_str(r, "source_updated"), "2024-02-15"));
    r = f->rows[2].rec;
    CHECK(!strcmp(s_str(r, "id"), "UHRI-sp.7") && !strcmp(s_str(r, "mechanism"), "SP"));
    CHECK(!strcmp(s_str(r, "mandate"), "Special Rapporteur on education"));
    CHECK(!strcmp(s_str(r, "source_updated"), "2025-03-15"));
    r = f->rows[3].rec;
    CHECK(!strncmp(s_str(r, "id"), "CED/C/MAR/CO/1:", 15) &&
          strlen(s_str(r, "id")) == 31);
    CHECK(!f->rows[4].rec && f->rows[4].line == 6 &&
          strstr(f->rows[4].why, "last updated 'yesterday' is not a date"));
    r = f->rows[5].rec;
    CHECK(!strcmp(s_str(r, "id"), "CAT/C/MAR/CO/5:23") &&
          !strcmp(s_str(r, "response"), "supported"));
done:
    nmirf_recfile_destroy(&f);
}

/* A file with "Session" and no "UPR Session": a UPR row's cycle still
   comes from it (as before "Session" was kept on its own), and an A/HRC
   symbol with a session is still the UPR. */
static void
s_session_only(void)
{
    unit_case = "session only";
    const char uhri[] = "Document Symbol,Session,Text\n"
                        "A/HRC/52/7,41,125.1 Ratify\n"
                        "CAT/C/MAR/CO/5,78,21. Investigate\n";
    char why[256];
    nmirf_recfile_t *f =
        nmirf_recfile_read(uhri, sizeof uhri - 1, "s.csv", NULL, "en", why, sizeof why);
    CHECK(f && f->count == 2 && f->bad == 0);
    if (f && f->count == 2 && f->bad == 0) {
        json_t *r = f->rows[0].rec;
        CHECK(!strcmp(s_str(r, "mechanism"), "UPR") && !strcmp(s_str(r, "cycle"), "4"));
        CHECK(!strcmp(s_str(r, "session"), "41"));
        r = f->rows[1].rec;
        CHECK(!json_object_get(r, "cycle") && !strcmp(s_str(r, "session"), "78"));
    }
    nmirf_recfile_destroy(&f);
}

/* mandate, session and source_updated through the project's CSV: written
   as columns, read back the same. */
static void
s_new_columns_round_trip(void)
{
    unit_case = "new columns";
    json_t *recs = json_pack("[{s:s, s:s, s:{s:s}, s:s, s:s, s:s, s:s}]", "id", "UHRI-x",
                             "mechanism", "SP", "text", "en", "t", "response",
                             "not_applicable", "mandate", "Special Rapporteur", "session",
                             "58", "source_updated", "2025-03-15");
    char *buf = NULL;
    size_t size = 0, lossy = 0;
    FILE *m = open_memstream(&buf, &size);
    CHECK(nmirf_recfile_write_csv(m, recs, &lossy) == 0 && lossy == 0);
    fclose(m);
    CHECK(strstr(buf, ",sdgs,mandate,session,source_updated\r\n") != NULL);
    char why[256];
    nmirf_recfile_t *f =
        nmirf_recfile_read(buf, size, "r.csv", NULL, NULL, why, sizeof why);
    CHECK(f && f->count == 1 && f->bad == 0 && !strcmp(f->format, "csv"));
    if (f && f->count == 1 && f->rows[0].rec)
        CHECK(json_equal(f->rows[0].rec, json_array_get(recs, 0)));
    nmirf_recfile_destroy(&f);
    free(buf);
    json_decref(recs);
}

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

    s_annotated();
    s_hostile_uhri();
    s_session_only();
    s_new_columns_round_trip();
    return unit_done("csv_test");
}
