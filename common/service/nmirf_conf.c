/*  nmirf_conf - strict `key = value` configuration files. */
#include "nmirf_conf.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nmirf_log.h"
#include "nmirf_mp.h"
#include "nmirf_util.h"

struct _nmirf_conf_t {
    const nmirf_conf_spec_t *spec; /* the settings (borrowed) */
    size_t count;                  /* how many */
    char **values;                 /* per setting: set value (owned) or NULL */
    int *lines;                    /* per setting: file line that set it, 0 none */
};

nmirf_conf_t *
nmirf_conf_new(const nmirf_conf_spec_t *spec)
{
    nmirf_conf_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->spec = spec;
    while (spec[self->count].key)
        self->count++;
    self->values = calloc(self->count + 1, sizeof *self->values);
    self->lines = calloc(self->count + 1, sizeof *self->lines);
    if (!self->values || !self->lines)
        nmirf_conf_destroy(&self);
    return self;
}

void
nmirf_conf_destroy(nmirf_conf_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    nmirf_conf_t *self = *self_p;
    for (size_t i = 0; self->values && i < self->count; i++)
        free(self->values[i]);
    free(self->values);
    free(self->lines);
    free(self);
    *self_p = NULL;
}

/* The index of key in the table, or -1. */
static int
s_find(const nmirf_conf_t *self, const char *key, size_t keylen)
{
    for (size_t i = 0; i < self->count; i++)
        if (strlen(self->spec[i].key) == keylen &&
            memcmp(self->spec[i].key, key, keylen) == 0)
            return (int)i;
    return -1;
}

/* Appends one formatted line to why (cut at whylen, never overflowing). */
static void
s_say(char *why, size_t whylen, const char *fmt, ...)
{
    if (!why || whylen == 0)
        return;
    size_t used = strnlen(why, whylen);
    if (used + 1 >= whylen)
        return;
    if (used > 0) {
        why[used++] = '\n';
        why[used] = '\0';
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why + used, whylen - used, fmt, ap);
    va_end(ap);
}

/* True if s[0..n) is a DNS name's syntax (or an interface name): labels
   of 1 to 63 letters, digits and hyphens, not starting or ending with a
   hyphen, separated by dots, 253 bytes at most. */
static bool
s_dns_name(const char *s, size_t n)
{
    if (n == 0 || n > 253)
        return false;
    size_t label = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || s[i] == '.') {
            if (label == 0 || label > 63 || s[i - 1] == '-' || s[i - label] == '-')
                return false;
            label = 0;
        } else if (isalnum((unsigned char)s[i]) || s[i] == '-' || s[i] == '_')
            label++;
        else
            return false;
    }
    return true;
}

/* True if s[0..n) is an IPv4 dotted quad, octets 0 to 255. */
static bool
s_ipv4(const char *s, size_t n, bool *looks_ipv4)
{
    unsigned octets = 0, val = 0, digits = 0;
    *looks_ipv4 = n > 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || s[i] == '.') {
            if (digits == 0 || digits > 3 || val > 255)
                return false;
            octets++;
            val = digits = 0;
        } else if (isdigit((unsigned char)s[i])) {
            val = val * 10 + (unsigned)(s[i] - '0');
            digits++;
        } else {
            *looks_ipv4 = false;
            return false;
        }
    }
    return octets == 4;
}

/* Checks a tcp endpoint's HOST:PORT: HOST is *, an IPv4 dotted quad, a
   bracketed IPv6 address or a DNS (or interface) name; PORT is 1 to
   65535, or * (a free port, for a bind). Returns NULL if good, else what
   is wrong. */
static const char *
s_tcp_address(const char *addr)
{
    const char *colon = strrchr(addr, ':');
    if (!colon || colon == addr)
        return "expected tcp://HOST:PORT";
    const char *port = colon + 1;
    size_t hn = (size_t)(colon - addr);
    if (strcmp(port, "*") != 0) {
        unsigned long p = 0;
        size_t i = 0;
        for (; isdigit((unsigned char)port[i]) && i < 6; i++)
            p = p * 10 + (unsigned long)(port[i] - '0');
        if (i == 0 || port[i] || p < 1 || p > 65535)
            return "the port must be 1 to 65535 (or * for any free port)";
    }
    if (hn == 1 && addr[0] == '*')
        return NULL;
    if (addr[0] == '[') {
        char ip6[64];
        struct in6_addr a6;
        if (hn < 3 || addr[hn - 1] != ']' || hn - 2 >= sizeof ip6)
            return "a bracketed IPv6 address must be closed: [ADDRESS]:PORT";
        memcpy(ip6, addr + 1, hn - 2);
        ip6[hn - 2] = 0;
        if (inet_pton(AF_INET6, ip6, &a6) != 1)
            return "not an IPv6 address between the brackets";
        return NULL;
    }
    bool looks_ipv4;
    if (s_ipv4(addr, hn, &looks_ipv4))
        return NULL;
    if (looks_ipv4)
        return "not an IPv4 address (four numbers 0 to 255, with dots)";
    if (!s_dns_name(addr, hn))
        return "the host is not *, an IPv4 address, a bracketed IPv6 address nor a "
               "host name";
    return NULL;
}

int
nmirf_conf_check(const nmirf_conf_spec_t *spec, const char *value, char *why,
                 size_t whylen)
{
    size_t len = strlen(value);
    if (len == 0) {
        snprintf(why, whylen, "no value");
        return -1;
    }
    if (!nmirf_utf8_valid((const uint8_t *)value, len)) {
        snprintf(why, whylen, "not valid UTF-8");
        return -1;
    }
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)value[i] < 0x20 || value[i] == 0x7f) {
            snprintf(why, whylen, "control character in the value");
            return -1;
        }
    switch (spec->type) {
    case NMIRF_CONF_STRING:
    case NMIRF_CONF_PATH:
        return 0;
    case NMIRF_CONF_ENDPOINT:
        /* The transports the daemons speak, checked here so that -n
           catches what libzmq would only refuse at bind or connect. */
        if (strncmp(value, "tcp://", 6) == 0) {
            const char *what = s_tcp_address(value + 6);
            if (!what)
                return 0;
            snprintf(why, whylen, "'%s' is not an endpoint: %s", value, what);
            return -1;
        }
        if (strncmp(value, "ipc://", 6) == 0 && len > 6)
            return 0;
        snprintf(why, whylen, "'%s' is not an endpoint (tcp://HOST:PORT or ipc://PATH)",
                 value);
        return -1;
    case NMIRF_CONF_ENDPOINTS: {
        /* Each item as an endpoint, in place: the items' own messages. */
        static const nmirf_conf_spec_t one = {.type = NMIRF_CONF_ENDPOINT};
        char item[NMIRF_CONF_LINE_MAX];
        size_t count = 0;
        for (const char *p = value;; count++) {
            const char *comma = strchr(p, ',');
            size_t n = comma ? (size_t)(comma - p) : strlen(p);
            if (count == NMIRF_CONF_ENDPOINTS_MAX) {
                snprintf(why, whylen, "more than %d endpoints in '%s'",
                         NMIRF_CONF_ENDPOINTS_MAX, value);
                return -1;
            }
            if (n == 0 || n >= sizeof item) {
                snprintf(why, whylen, "an empty or overlong endpoint in '%s'", value);
                return -1;
            }
            memcpy(item, p, n);
            item[n] = 0;
            if (nmirf_conf_check(&one, item, why, whylen))
                return -1;
            if (!comma)
                return 0;
            p = comma + 1;
        }
    }
    case NMIRF_CONF_UINT: {
        char *end;
        errno = 0;
        unsigned long n = strtoul(value, &end, 10);
        if (value[0] < '0' || value[0] > '9' || errno || *end || n < spec->min ||
            n > spec->max) {
            snprintf(why, whylen, "'%s' is not a number from %lu to %lu", value,
                     spec->min, spec->max);
            return -1;
        }
        return 0;
    }
    case NMIRF_CONF_LEVEL:
        if (log_level_from_name(value) >= 0)
            return 0;
        snprintf(why, whylen, "'%s' is not a log level (error, warning, info, debug)",
                 value);
        return -1;
    case NMIRF_CONF_ENTITY:
        if (nmirf_entity_id_valid(value, len))
            return 0;
        snprintf(why, whylen, "'%s' is not an entity id ([A-Z0-9_-]{1,16})", value);
        return -1;
    case NMIRF_CONF_ONOFF:
        if (strcmp(value, "on") == 0 || strcmp(value, "off") == 0)
            return 0;
        snprintf(why, whylen, "'%s' is neither on nor off", value);
        return -1;
    }
    snprintf(why, whylen, "unknown kind of setting");
    return -1;
}

/* Stores a copy of value as setting i, set by line (0: a flag). */
static int
s_store(nmirf_conf_t *self, int i, const char *value, int line)
{
    char *copy = strdup(value);
    if (!copy)
        return -1;
    free(self->values[i]);
    self->values[i] = copy;
    self->lines[i] = line;
    return 0;
}

/* Blank: space or tab, the only whitespace a line may hold. */
static bool
s_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* Parses one line (without its newline) at lineno; appends an error to
   why and returns -1 if it is wrong. */
static int
s_parse_line(nmirf_conf_t *self, const char *name, int lineno, const char *line,
             size_t len, char *why, size_t whylen)
{
    if (!nmirf_utf8_valid((const uint8_t *)line, len)) {
        s_say(why, whylen, "%s:%d: not valid UTF-8", name, lineno);
        return -1;
    }
    for (size_t i = 0; i < len; i++)
        if (((unsigned char)line[i] < 0x20 && line[i] != '\t') || line[i] == 0x7f) {
            s_say(why, whylen, "%s:%d: control character (byte 0x%02x) at column %zu%s",
                  name, lineno, (unsigned char)line[i], i + 1,
                  line[i] == '\r' ? "; save the file with Unix line endings" : "");
            return -1;
        }
    size_t a = 0;
    while (a < len && s_blank(line[a]))
        a++;
    if (a == len || line[a] == '#')
        return 0; /* blank or comment */
    const char *eq = memchr(line + a, '=', len - a);
    if (!eq) {
        s_say(why, whylen, "%s:%d: expected 'key = value'", name, lineno);
        return -1;
    }
    size_t keyend = (size_t)(eq - line);
    while (keyend > a && s_blank(line[keyend - 1]))
        keyend--;
    if (keyend == a) {
        s_say(why, whylen, "%s:%d: no key before '='", name, lineno);
        return -1;
    }
    int i = s_find(self, line + a, keyend - a);
    if (i < 0) {
        s_say(why, whylen, "%s:%d: unknown setting '%.*s'", name, lineno,
              (int)(keyend - a), line + a);
        return -1;
    }
    if (self->lines[i]) {
        s_say(why, whylen, "%s:%d: %s set again (first on line %d)", name, lineno,
              self->spec[i].key, self->lines[i]);
        return -1;
    }
    size_t v = (size_t)(eq - line) + 1, vend = len;
    while (v < vend && s_blank(line[v]))
        v++;
    while (vend > v && s_blank(line[vend - 1]))
        vend--;
    char value[NMIRF_CONF_LINE_MAX], what[NMIRF_CONF_LINE_MAX + 128];
    memcpy(value, line + v, vend - v);
    value[vend - v] = '\0';
    if (nmirf_conf_check(&self->spec[i], value, what, sizeof what)) {
        s_say(why, whylen, "%s:%d: %s: %s", name, lineno, self->spec[i].key, what);
        return -1;
    }
    if (s_store(self, i, value, lineno)) {
        s_say(why, whylen, "%s:%d: out of memory", name, lineno);
        return -1;
    }
    return 0;
}

int
nmirf_conf_parse(nmirf_conf_t *self, const char *name, const char *text, size_t len,
                 char *why, size_t whylen)
{
    if (why && whylen)
        why[0] = '\0';
    int errors = 0, lineno = 0;
    size_t at = 0;
    while (at < len) {
        lineno++;
        const char *nl = memchr(text + at, '\n', len - at);
        size_t linelen = nl ? (size_t)(nl - (text + at)) : len - at;
        if (linelen + 1 > NMIRF_CONF_LINE_MAX) {
            s_say(why, whylen, "%s:%d: line longer than %d bytes", name, lineno,
                  NMIRF_CONF_LINE_MAX - 1);
            errors++;
        } else if (s_parse_line(self, name, lineno, text + at, linelen, why, whylen))
            errors++;
        at += linelen + (nl ? 1 : 0);
    }
    return errors ? -1 : 0;
}

int
nmirf_conf_load(nmirf_conf_t *self, const char *path, char *why, size_t whylen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(why, whylen, "%s: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    const char *bad = NULL;
    if (fstat(fd, &st) != 0)
        bad = strerror(errno);
    else if (!S_ISREG(st.st_mode))
        bad = "not a regular file";
    else if (st.st_size > (off_t)NMIRF_CONF_FILE_MAX)
        bad = "bigger than 1 MiB";
    if (bad) {
        snprintf(why, whylen, "%s: %s", path, bad);
        close(fd);
        return -1;
    }
    char *text = malloc((size_t)st.st_size + 1);
    size_t got = 0;
    while (text && got < (size_t)st.st_size) {
        ssize_t n = read(fd, text + got, (size_t)st.st_size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    if (!text) {
        snprintf(why, whylen, "%s: out of memory", path);
        return -1;
    }
    int rc = nmirf_conf_parse(self, path, text, got, why, whylen);
    free(text);
    return rc;
}

int
nmirf_conf_set(nmirf_conf_t *self, const char *key, const char *value, char *why,
               size_t whylen)
{
    int i = s_find(self, key, strlen(key));
    if (i < 0) {
        snprintf(why, whylen, "unknown setting '%s'", key);
        return -1;
    }
    char what[512];
    if (nmirf_conf_check(&self->spec[i], value, what, sizeof what)) {
        snprintf(why, whylen, "%s: %s",
                 self->spec[i].flag ? self->spec[i].flag : self->spec[i].key, what);
        return -1;
    }
    if (s_store(self, i, value, 0)) {
        snprintf(why, whylen, "out of memory");
        return -1;
    }
    return 0;
}

const char *
nmirf_conf_get(const nmirf_conf_t *self, const char *key)
{
    int i = s_find(self, key, strlen(key));
    if (i < 0)
        return NULL;
    return self->values[i] ? self->values[i] : self->spec[i].dflt;
}

unsigned long
nmirf_conf_uint(const nmirf_conf_t *self, const char *key)
{
    const char *v = nmirf_conf_get(self, key);
    return v ? strtoul(v, NULL, 10) : 0;
}

bool
nmirf_conf_on(const nmirf_conf_t *self, const char *key)
{
    const char *v = nmirf_conf_get(self, key);
    return v && strcmp(v, "on") == 0;
}

int
nmirf_conf_line(const nmirf_conf_t *self, const char *key)
{
    int i = s_find(self, key, strlen(key));
    return i < 0 ? 0 : self->lines[i];
}

bool
nmirf_conf_same(const nmirf_conf_t *a, const nmirf_conf_t *b, const char *key)
{
    const char *x = nmirf_conf_get(a, key), *y = nmirf_conf_get(b, key);
    if (!x || !y)
        return x == y;
    return strcmp(x, y) == 0;
}

void
nmirf_conf_flag(nmirf_conf_source_t *src, const char *key, const char *value)
{
    if (src->flag_count < NMIRF_CONF_FLAGS_MAX) {
        src->flag_keys[src->flag_count] = key;
        src->flag_values[src->flag_count++] = value;
    }
}

int
nmirf_conf_check_flags(const nmirf_conf_spec_t *spec, const nmirf_conf_source_t *src,
                       char *why, size_t whylen)
{
    if (src->flag_count >= NMIRF_CONF_FLAGS_MAX) {
        snprintf(why, whylen, "too many flags");
        return -1;
    }
    for (size_t i = 0; i < src->flag_count; i++) {
        /* A fresh configuration each: a flag given twice is no error. */
        nmirf_conf_t *probe = nmirf_conf_new(spec);
        if (!probe) {
            snprintf(why, whylen, "out of memory");
            return -1;
        }
        int rc =
            nmirf_conf_set(probe, src->flag_keys[i], src->flag_values[i], why, whylen);
        nmirf_conf_destroy(&probe);
        if (rc)
            return -1;
    }
    return 0;
}

nmirf_conf_t *
nmirf_conf_read(const nmirf_conf_spec_t *spec, const nmirf_conf_source_t *src, char *why,
                size_t whylen)
{
    nmirf_conf_t *conf = nmirf_conf_new(spec);
    if (!conf) {
        snprintf(why, whylen, "out of memory");
        return NULL;
    }
    if (src->path && nmirf_conf_load(conf, src->path, why, whylen)) {
        nmirf_conf_destroy(&conf);
        return NULL;
    }
    for (size_t i = 0; i < src->flag_count; i++)
        if (nmirf_conf_set(conf, src->flag_keys[i], src->flag_values[i], why, whylen)) {
            nmirf_conf_destroy(&conf);
            return NULL;
        }
    return conf;
}

int
nmirf_conf_start(const nmirf_conf_spec_t *spec, nmirf_conf_source_t *src,
                 const char *default_path, nmirf_conf_t **conf_p, char *why,
                 size_t whylen)
{
    *conf_p = NULL;
    if (nmirf_conf_check_flags(spec, src, why, whylen))
        return 2;
    if (!src->path && default_path && access(default_path, F_OK) == 0)
        src->path = default_path;
    *conf_p = nmirf_conf_read(spec, src, why, whylen);
    return *conf_p ? 0 : 1;
}

/* True if key is in the NULL-ended list. */
static bool
s_listed(const char *const *list, const char *key)
{
    for (size_t i = 0; list && list[i]; i++)
        if (strcmp(list[i], key) == 0)
            return true;
    return false;
}

/* Logs how next differs from cur and puts cur's value back into next for
   each setting not in reloadable. Returns how many settings changed. */
static int
s_diff(const nmirf_conf_t *cur, nmirf_conf_t *next, const char *const *reloadable)
{
    int changes = 0;
    char why[NMIRF_CONF_LINE_MAX + 128];
    for (size_t i = 0; i < next->count; i++) {
        const char *key = next->spec[i].key;
        if (nmirf_conf_same(cur, next, key))
            continue;
        const char *was = nmirf_conf_get(cur, key), *now = nmirf_conf_get(next, key);
        if (s_listed(reloadable, key)) {
            log_info("reload: %s changed from %s to %s", key, was ? was : "(none)",
                     now ? now : "(none)");
            changes++;
        } else {
            log_warnx("reload: cannot change %s without a restart; keeping %s", key,
                      was ? was : "(none)");
            /* next becomes the settings in force: it must hold the value
               kept, or the next reload would compare against one never
               applied. was is valid (it was read before) or NULL (none). */
            if (was)
                nmirf_conf_set(next, key, was, why, sizeof why);
        }
    }
    return changes;
}

/* The key of the table's log level setting, or NULL. */
static const char *
s_level_key(const nmirf_conf_t *self)
{
    for (size_t i = 0; i < self->count; i++)
        if (self->spec[i].type == NMIRF_CONF_LEVEL)
            return self->spec[i].key;
    return NULL;
}

int
nmirf_conf_reload(nmirf_conf_t **cur_p, const nmirf_conf_t *keep,
                  const nmirf_conf_source_t *src, const char *const *reloadable,
                  nmirf_conf_apply_fn *apply, void *arg)
{
    nmirf_conf_t *cur = *cur_p;
    char why[4096];
    nmirf_conf_t *next = nmirf_conf_read(cur->spec, src, why, sizeof why);
    if (!next) {
        /* One log line per error of the file. */
        char *save = NULL;
        for (char *line = strtok_r(why, "\n", &save); line;
             line = strtok_r(NULL, "\n", &save))
            log_warnx("reload refused, nothing changed: %s", line);
        return -1;
    }
    const char *level_key = s_level_key(next);
    int new_level = log_level();
    if (level_key) {
        int old_level = log_level();
        new_level = log_level_from_name(nmirf_conf_get(next, level_key));
        /* The lines about the reload show at the more verbose of both. */
        log_set_level(old_level > new_level ? old_level : new_level);
    }
    int changes = s_diff(cur, next, reloadable);
    log_set_level(new_level);
    if (apply)
        apply(next, arg);
    if (cur != keep)
        nmirf_conf_destroy(&cur);
    *cur_p = next;
    log_info("reload: %s read, %d setting%s changed",
             src->path ? src->path : "(no config file)", changes,
             changes == 1 ? "" : "s");
    return changes;
}
