/*  web_users_test - the accounts file (web_users.h): strict parsing,
    add/passwd/del/lang through the file (its modes, atomic rewrite), and
    the server's view (reload on change, verify, same refusal for an
    unknown name). */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nmirf_log.h"
#include "nmirf_util.h"
#include "unit.h"
#include "web_users.h"

static void
s_parse(void)
{
    unit_case = "parse";
    char hash[WEB_HASH_MAX];
    CHECK(crypto_pwhash_str(hash, "x", 1, crypto_pwhash_OPSLIMIT_MIN,
                            crypto_pwhash_MEMLIMIT_MIN) == 0);
    char text[4096];
    snprintf(text, sizeof text,
             "alice:editor::%s\n"
             "\n"
             "bob:coordinator:ar:%s\n"
             "carol:admin::%s\n"       /* bad role */
             "dave:viewer:de:%s\n"     /* bad language */
             ".eve:viewer::%s\n"       /* bad name */
             "frank:viewer::nothash\n" /* not a crypto_pwhash string */
             "gina:viewer:\n"          /* too few fields */
             "alice:viewer::%s\n"      /* a name again */
             "hank:viewer::%s",        /* no final newline */
             hash, hash, hash, hash, hash, hash, hash);
    web_account_t *v;
    size_t n;
    CHECK(web_users_parse("users", text, strlen(text), &v, &n) == 0);
    CHECK(n == 3, "%zu accounts", n);
    if (n == 3) {
        CHECK(!strcmp(v[0].name, "alice") && v[0].role == WEB_ROLE_EDITOR &&
              !v[0].lang[0]);
        CHECK(!strcmp(v[1].name, "bob") && v[1].role == WEB_ROLE_COORDINATOR &&
              !strcmp(v[1].lang, "ar") && !strcmp(v[1].hash, hash));
        CHECK(!strcmp(v[2].name, "hank"));
        size_t len;
        char *again = web_users_format(v, n, &len);
        web_account_t *w;
        size_t m;
        CHECK(again && web_users_parse("users", again, len, &w, &m) == 0 && m == 3);
        for (size_t i = 0; i < m && i < 3; i++)
            CHECK(!strcmp(v[i].name, w[i].name) && v[i].role == w[i].role &&
                      !strcmp(v[i].lang, w[i].lang) && !strcmp(v[i].hash, w[i].hash),
                  "format, then parse: account %zu the same", i);
        free(w);
        free(again);
    }
    free(v);
    CHECK(web_users_parse("users", "a\0b:viewer::x\n", 14, &v, &n) == 0 && n == 0);
    free(v);
    CHECK(web_role_from_name("viewer") == WEB_ROLE_VIEWER &&
          web_role_from_name("root") == -1 && !strcmp(web_role_name(2), "coordinator"));
}

static void
s_file(const char *dir)
{
    unit_case = "file";
    char why[512], path[4096];
    CHECK(web_users_add(dir, "alice", WEB_ROLE_EDITOR, "correct horse", why,
                        sizeof why) == 0,
          "%s", why);
    struct stat st;
    snprintf(path, sizeof path, "%s/web", dir);
    CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0700);
    snprintf(path, sizeof path, "%s/web/users", dir);
    CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
    CHECK(web_users_add(dir, "alice", WEB_ROLE_VIEWER, "another one", why, sizeof why) ==
              -1 &&
          strstr(why, "exists"));
    CHECK(web_users_add(dir, "bob", WEB_ROLE_VIEWER, "short", why, sizeof why) == -1 &&
          strstr(why, "shorter"));
    CHECK(web_users_add(dir, "b:ob", WEB_ROLE_VIEWER, "long enough", why, sizeof why) ==
          -1);
    CHECK(web_users_add(dir, "bob", WEB_ROLE_VIEWER, "long enough", why, sizeof why) ==
          0);
    CHECK(web_users_set_lang(dir, "bob", "ar", why, sizeof why) == 0);
    CHECK(web_users_set_lang(dir, "bob", "xx", why, sizeof why) == -1);
    CHECK(web_users_set_lang(dir, "nobody", "ar", why, sizeof why) == -1);
    CHECK(web_users_passwd(dir, "nobody", "long enough", why, sizeof why) == -1 &&
          strstr(why, "no such account"));
    CHECK(web_users_del(dir, "nobody", why, sizeof why) == -1);
    web_account_t *v;
    size_t n;
    CHECK(web_users_read(dir, &v, &n, why, sizeof why) == 0 && n == 2);
    CHECK(n == 2 && !strcmp(v[1].lang, "ar"));
    free(v);
    snprintf(path, sizeof path, "%s/web/users.tmp", dir);
    CHECK(access(path, F_OK) != 0, "no temporary file left");
}

static void
s_server(const char *dir)
{
    unit_case = "server";
    char why[512];
    web_users_t *u = web_users_new(dir);
    web_account_t a;
    CHECK(web_users_find(u, "alice", &a) && a.role == WEB_ROLE_EDITOR);
    CHECK(web_users_verify(u, "alice", "correct horse", &a) && !strcmp(a.name, "alice"));
    CHECK(!web_users_verify(u, "alice", "wrong horse", &a));
    CHECK(!web_users_verify(u, "nobody", "correct horse", &a));
    /* A change by the command line is seen at the next lookup (the file's
       inode changes at each rewrite, whatever the clock's resolution). */
    CHECK(web_users_passwd(dir, "alice", "battery staple", why, sizeof why) == 0);
    CHECK(web_users_verify(u, "alice", "battery staple", &a));
    CHECK(!web_users_verify(u, "alice", "correct horse", &a));
    CHECK(web_users_del(dir, "bob", why, sizeof why) == 0);
    CHECK(!web_users_find(u, "bob", &a), "a deleted account is gone");
    CHECK(web_users_add(dir, "carol", WEB_ROLE_COORDINATOR, "long enough", why,
                        sizeof why) == 0);
    CHECK(web_users_find(u, "carol", &a) && a.role == WEB_ROLE_COORDINATOR);
    /* A damaged line is skipped, the others stay. */
    char path[4096];
    snprintf(path, sizeof path, "%s/web/users", dir);
    FILE *f = fopen(path, "a");
    fputs("garbage line\n", f);
    fclose(f);
    CHECK(web_users_find(u, "carol", &a) && web_users_find(u, "alice", &a));
    unlink(path);
    CHECK(!web_users_find(u, "carol", &a), "no file: no account");
    web_users_destroy(&u);
    CHECK(u == NULL);
}

int
main(void)
{
    if (sodium_init() < 0)
        return 1;
    log_init("web_users_test", false);
    char dir[] = "/tmp/web_users_test.XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    s_parse();
    s_file(dir);
    s_server(dir);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd))
        return 1;
    return unit_done("web_users");
}
