/*  web_users - the accounts file and the server's view of it (web_users.h). */
#include "web_users.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nmirf_log.h"
#include "nmirf_util.h"
#include "web_parse.h"

#define USERS_FILE_MAX (16u * 1024 * 1024) /* far above any real team */

static const char *const s_roles[] = {"viewer", "editor", "coordinator"};

const char *
web_role_name(web_role_t role)
{
    return (unsigned)role < 3 ? s_roles[role] : "?";
}

int
web_role_from_name(const char *s)
{
    for (int i = 0; s && i < 3; i++)
        if (!strcmp(s, s_roles[i]))
            return i;
    return -1;
}

/* One line (NUL-terminated, no newline) into *a; false if it is bad. */
static bool
s_parse_line(char *line, web_account_t *a)
{
    char *f[4];
    char *p = line;
    for (int i = 0; i < 3; i++) {
        char *c = strchr(p, ':');
        if (!c)
            return false;
        *c = '\0';
        f[i] = p;
        p = c + 1;
    }
    f[3] = p;
    memset(a, 0, sizeof *a);
    int role = web_role_from_name(f[1]);
    size_t hlen = strlen(f[3]);
    if (!web_user_name_valid(f[0]) || role < 0 || (*f[2] && !web_lang_valid(f[2])) ||
        hlen == 0 || hlen >= WEB_HASH_MAX || strchr(f[3], ':') ||
        strncmp(f[3], crypto_pwhash_STRPREFIX, strlen(crypto_pwhash_STRPREFIX)))
        return false;
    snprintf(a->name, sizeof a->name, "%s", f[0]);
    a->role = (web_role_t)role;
    snprintf(a->lang, sizeof a->lang, "%s", f[2]);
    memcpy(a->hash, f[3], hlen + 1);
    return true;
}

int
web_users_parse(const char *path, const char *text, size_t len, web_account_t **accounts,
                size_t *count)
{
    *accounts = NULL;
    *count = 0;
    size_t cap = 0, n = 0, lineno = 0;
    web_account_t *v = NULL;
    size_t i = 0;
    while (i < len) {
        const char *nl = memchr(text + i, '\n', len - i);
        size_t llen = nl ? (size_t)(nl - (text + i)) : len - i;
        lineno++;
        char line[WEB_USER_MAX + WEB_HASH_MAX + 32];
        web_account_t a;
        bool ok = llen < sizeof line && !memchr(text + i, '\0', llen);
        if (ok) {
            memcpy(line, text + i, llen);
            line[llen] = '\0';
            ok = s_parse_line(line, &a);
        }
        if (llen == 0) {
            /* an empty line: nothing */
        } else if (!ok) {
            log_warnx("%s:%zu: not NAME:ROLE:LANG:HASH; line skipped", path, lineno);
        } else {
            bool dup = false;
            for (size_t k = 0; k < n && !dup; k++)
                dup = !strcmp(v[k].name, a.name);
            if (dup) {
                log_warnx("%s:%zu: %s again; line skipped", path, lineno, a.name);
            } else {
                if (n == cap) {
                    size_t ncap = cap ? cap * 2 : 16;
                    web_account_t *nv = realloc(v, ncap * sizeof *v);
                    if (!nv) {
                        free(v);
                        return -1;
                    }
                    v = nv;
                    cap = ncap;
                }
                v[n++] = a;
            }
        }
        i += llen + 1;
    }
    *accounts = v;
    *count = n;
    return 0;
}

char *
web_users_format(const web_account_t *accounts, size_t count, size_t *len)
{
    size_t cap = count * (WEB_USER_MAX + WEB_HASH_MAX + 24) + 1;
    char *text = malloc(cap);
    if (!text)
        return NULL;
    size_t n = 0;
    for (size_t i = 0; i < count; i++) {
        const web_account_t *a = &accounts[i];
        n += (size_t)snprintf(text + n, cap - n, "%s:%s:%s:%s\n", a->name,
                              web_role_name(a->role), a->lang, a->hash);
    }
    text[n] = '\0';
    *len = n;
    return text;
}

/* --- the command line's changes ---------------------------------------- */

static void
s_paths(const char *agent_dir, char *dir, char *file, char *lock, size_t size)
{
    snprintf(dir, size, "%s/web", agent_dir);
    snprintf(file, size, "%s/web/users", agent_dir);
    snprintf(lock, size, "%s/web/users.lock", agent_dir);
}

/* Makes the web directory (0700) if create, locks it: the lock's fd, or
   -1 with why. */
static int
s_lock(const char *agent_dir, bool create, char *why, size_t whylen)
{
    char dir[4096], file[4096], lock[4096];
    s_paths(agent_dir, dir, file, lock, sizeof dir);
    if (create && mkdir(dir, 0700) && errno != EEXIST) {
        snprintf(why, whylen, "%s: %s", dir, strerror(errno));
        return -1;
    }
    int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(why, whylen, "%s: %s", lock, strerror(errno));
        return -1;
    }
    if (flock(fd, LOCK_EX)) {
        snprintf(why, whylen, "%s: %s", lock, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

int
web_users_read(const char *agent_dir, web_account_t **accounts, size_t *count, char *why,
               size_t whylen)
{
    char dir[4096], file[4096], lock[4096];
    s_paths(agent_dir, dir, file, lock, sizeof dir);
    *accounts = NULL;
    *count = 0;
    size_t len;
    char *text = nmirf_read_regular(file, USERS_FILE_MAX, &len, NULL, why, whylen);
    if (!text)
        return errno == ENOENT ? 0 : -1;
    int rc = web_users_parse(file, text, len, accounts, count);
    free(text);
    if (rc)
        snprintf(why, whylen, "out of memory");
    return rc;
}

static int
s_write(const char *agent_dir, const web_account_t *v, size_t n, char *why, size_t whylen)
{
    char dir[4096], file[4096], lock[4096];
    s_paths(agent_dir, dir, file, lock, sizeof dir);
    size_t len;
    char *text = web_users_format(v, n, &len);
    if (!text) {
        snprintf(why, whylen, "out of memory");
        return -1;
    }
    int rc = nmirf_write_file(file, text, len, 0600);
    if (rc)
        snprintf(why, whylen, "%s: %s", file, strerror(errno));
    sodium_memzero(text, len);
    free(text);
    return rc;
}

static int
s_check_password(const char *password, char *why, size_t whylen)
{
    size_t n = strlen(password);
    if (n < WEB_PASSWORD_MIN) {
        snprintf(why, whylen, "the password is shorter than %d characters",
                 WEB_PASSWORD_MIN);
        return -1;
    }
    if (n > WEB_PASSWORD_MAX) {
        snprintf(why, whylen, "the password is longer than %d bytes", WEB_PASSWORD_MAX);
        return -1;
    }
    return 0;
}

static int
s_hash(const char *password, char hash[WEB_HASH_MAX], char *why, size_t whylen)
{
    _Static_assert(crypto_pwhash_STRBYTES <= WEB_HASH_MAX, "hash fits");
    if (crypto_pwhash_str_alg(hash, password, strlen(password), WEB_PWHASH_OPSLIMIT,
                              WEB_PWHASH_MEMLIMIT, crypto_pwhash_ALG_ARGON2ID13)) {
        snprintf(why, whylen, "cannot hash the password (out of memory)");
        return -1;
    }
    return 0;
}

/* Kinds of change s_change makes under the lock. */
enum { CH_ADD, CH_PASSWD, CH_DEL, CH_LANG };

static int
s_change(int kind, const char *agent_dir, const char *name, web_role_t role,
         const char *value, char *why, size_t whylen)
{
    if (!web_user_name_valid(name)) {
        snprintf(why, whylen,
                 "%s: not a login name ([A-Za-z0-9._-], 1 to %d, not "
                 "starting with . or -)",
                 name, WEB_USER_MAX);
        return -1;
    }
    char hash[WEB_HASH_MAX];
    if (kind == CH_ADD || kind == CH_PASSWD) {
        if (s_check_password(value, why, whylen) || s_hash(value, hash, why, whylen))
            return -1;
    }
    int lock = s_lock(agent_dir, kind == CH_ADD, why, whylen);
    if (lock < 0)
        return -1;
    int rc = -1;
    web_account_t *v = NULL;
    size_t n = 0;
    if (web_users_read(agent_dir, &v, &n, why, whylen))
        goto done;
    size_t at = n;
    for (size_t i = 0; i < n; i++)
        if (!strcmp(v[i].name, name))
            at = i;
    if (kind == CH_ADD) {
        if (at < n) {
            snprintf(why, whylen, "%s: the account exists", name);
            goto done;
        }
        web_account_t *nv = realloc(v, (n + 1) * sizeof *v);
        if (!nv) {
            snprintf(why, whylen, "out of memory");
            goto done;
        }
        v = nv;
        memset(&v[n], 0, sizeof v[n]);
        snprintf(v[n].name, sizeof v[n].name, "%s", name);
        v[n].role = role;
        memcpy(v[n].hash, hash, sizeof hash);
        n++;
    } else {
        if (at == n) {
            snprintf(why, whylen, "%s: no such account", name);
            goto done;
        }
        if (kind == CH_PASSWD)
            memcpy(v[at].hash, hash, sizeof hash);
        else if (kind == CH_LANG)
            snprintf(v[at].lang, sizeof v[at].lang, "%s", value);
        else
            memmove(&v[at], &v[at + 1], (n - at - 1) * sizeof *v), n--;
    }
    rc = s_write(agent_dir, v, n, why, whylen);
done:
    free(v);
    close(lock);
    return rc;
}

int
web_users_add(const char *agent_dir, const char *name, web_role_t role,
              const char *password, char *why, size_t whylen)
{
    return s_change(CH_ADD, agent_dir, name, role, password, why, whylen);
}

int
web_users_passwd(const char *agent_dir, const char *name, const char *password, char *why,
                 size_t whylen)
{
    return s_change(CH_PASSWD, agent_dir, name, 0, password, why, whylen);
}

int
web_users_del(const char *agent_dir, const char *name, char *why, size_t whylen)
{
    return s_change(CH_DEL, agent_dir, name, 0, NULL, why, whylen);
}

int
web_users_set_lang(const char *agent_dir, const char *name, const char *lang, char *why,
                   size_t whylen)
{
    if (!web_lang_valid(lang)) {
        snprintf(why, whylen, "%s: not one of fr, ar, en", lang);
        return -1;
    }
    return s_change(CH_LANG, agent_dir, name, 0, lang, why, whylen);
}

/* --- the server's view ------------------------------------------------- */

struct _web_users_t {
    char *agent_dir;
    char path[4096];
    pthread_mutex_t mutex;
    struct stat seen; /* of the file last loaded; st_ino 0: none */
    bool missing_logged;
    web_account_t *accounts;
    size_t count;
    sem_t verifying;          /* WEB_VERIFY_PARALLEL Argon2id at once */
    char dummy[WEB_HASH_MAX]; /* an unknown name is checked against it */
};

/* Loads the file again if it changed since. Under the mutex. */
static void
s_refresh(web_users_t *self)
{
    struct stat st;
    if (stat(self->path, &st)) {
        if (self->seen.st_ino || !self->missing_logged)
            log_info("%s: %s; no account", self->path, strerror(errno));
        self->missing_logged = true;
        free(self->accounts);
        self->accounts = NULL;
        self->count = 0;
        memset(&self->seen, 0, sizeof self->seen);
        return;
    }
    if (st.st_ino == self->seen.st_ino && st.st_dev == self->seen.st_dev &&
        st.st_size == self->seen.st_size &&
        st.st_mtim.tv_sec == self->seen.st_mtim.tv_sec &&
        st.st_mtim.tv_nsec == self->seen.st_mtim.tv_nsec)
        return;
    char why[512];
    size_t len;
    struct stat rst;
    char *text =
        nmirf_read_regular(self->path, USERS_FILE_MAX, &len, &rst, why, sizeof why);
    if (!text) {
        log_warnx("%s; the accounts stay as they were", why);
        return;
    }
    if ((rst.st_mode & 077) != 0)
        log_warnx("%s: mode %03o, readable by others (chmod 600)", self->path,
                  (unsigned)(rst.st_mode & 0777));
    web_account_t *v;
    size_t n;
    if (web_users_parse(self->path, text, len, &v, &n) == 0) {
        free(self->accounts);
        self->accounts = v;
        self->count = n;
        self->seen = rst;
        log_info("%s: %zu account(s)", self->path, n);
    } else {
        log_warnx("%s: out of memory; the accounts stay as they were", self->path);
    }
    free(text);
}

web_users_t *
web_users_new(const char *agent_dir)
{
    web_users_t *self = calloc(1, sizeof *self);
    if (!self || !(self->agent_dir = strdup(agent_dir)))
        fatalx("out of memory");
    snprintf(self->path, sizeof self->path, "%s/web/users", agent_dir);
    pthread_mutex_init(&self->mutex, NULL);
    sem_init(&self->verifying, 0, WEB_VERIFY_PARALLEL);
    char why[256];
    /* A random password: nothing verifies against the dummy. */
    uint8_t rnd[16];
    char pw[33];
    randombytes_buf(rnd, sizeof rnd);
    nmirf_hex(rnd, sizeof rnd, pw);
    if (s_hash(pw, self->dummy, why, sizeof why))
        fatalx("%s", why);
    pthread_mutex_lock(&self->mutex);
    s_refresh(self);
    pthread_mutex_unlock(&self->mutex);
    return self;
}

void
web_users_destroy(web_users_t **self_p)
{
    web_users_t *self = *self_p;
    if (!self)
        return;
    pthread_mutex_destroy(&self->mutex);
    sem_destroy(&self->verifying);
    free(self->accounts);
    free(self->agent_dir);
    free(self);
    *self_p = NULL;
}

bool
web_users_find(web_users_t *self, const char *name, web_account_t *out)
{
    bool found = false;
    pthread_mutex_lock(&self->mutex);
    s_refresh(self);
    for (size_t i = 0; i < self->count && !found; i++) {
        if (!strcmp(self->accounts[i].name, name)) {
            *out = self->accounts[i];
            found = true;
        }
    }
    pthread_mutex_unlock(&self->mutex);
    return found;
}

bool
web_users_verify(web_users_t *self, const char *name, const char *password,
                 web_account_t *out)
{
    web_account_t a;
    bool found = web_users_find(self, name, &a);
    const char *hash = found ? a.hash : self->dummy;
    while (sem_wait(&self->verifying) && errno == EINTR)
        ;
    bool ok = crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
    sem_post(&self->verifying);
    if (ok && found) {
        *out = a;
        return true;
    }
    return false;
}
