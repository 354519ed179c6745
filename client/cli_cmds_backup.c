/*  cli_cmds_backup - backup: a consistent, compacted copy of a broker's
    data directory, taken while the broker runs (docs/OPERATIONS.md).

    The store is copied with LMDB's own copy API (mdb_env_copyfd2 with
    MDB_CP_COMPACT) from an environment opened read-only, as the audit
    verifier opens it (nmirf_store_ro): the copy is one read transaction,
    so it is one committed state of the store, and the broker's commits go
    on beside it.
    Compaction writes only the pages in use, renumbered, so the copy is as
    small as the data. The keys directory is copied too: a restored broker
    needs NMIRFD.key to be the same CURVE server and to go on signing
    checkpoints with the same key, and the first coordinator's key pair is
    kept with it. Files are written through a temporary name, synced, then
    renamed, so a backup cut short never looks complete.
*/
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "nmirf_store_ro.h"
#include "nmirf_util.h"

/* What a backup wrote, for the summary. */
typedef struct {
    uint64_t seq;        /* the store's last sequence number in the copy */
    uint64_t store_size; /* bytes of the copied data.mdb */
    int keys;            /* key files copied */
} s_backup_t;

/* True if dir exists and holds anything but . and .. */
static bool
s_dir_nonempty(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return false;
    struct dirent *e;
    bool found = false;
    while (!found && (e = readdir(d)))
        found = strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return found;
}

/* fsyncs a directory, so the names made in it survive a crash. */
static int
s_sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

/* Copies the LMDB store in src (a store directory) to dst/data.mdb,
   compacted, through dst/data.mdb.tmp. Returns 0, or -1 with why. */
static int
s_copy_store(const char *src, const char *dst, char *why, size_t whylen)
{
    char tmp[4096], final[4096];
    snprintf(tmp, sizeof tmp, "%.4000s/data.mdb.tmp", dst);
    snprintf(final, sizeof final, "%.4000s/data.mdb", dst);
    MDB_env *env = NULL;
    /* Read-only, as nmirf audit opens it (nmirf_store_ro): never writes the
       store, takes one reader slot in the lock file for the copy's
       transaction. */
    int rc = nmirf_store_ro_open(src, &env, NULL);
    if (rc) {
        snprintf(why, whylen, _("cannot open the store %.300s: %s"), src,
                 mdb_strerror(rc));
        mdb_env_close(env);
        return -1;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(why, whylen, _("cannot create %.300s: %s"), tmp, strerror(errno));
        mdb_env_close(env);
        return -1;
    }
    rc = mdb_env_copyfd2(env, fd, MDB_CP_COMPACT);
    mdb_env_close(env);
    if (rc) {
        snprintf(why, whylen, _("copy of the store failed: %s"), mdb_strerror(rc));
        close(fd);
        unlink(tmp);
        return -1;
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        snprintf(why, whylen, _("cannot sync %.300s: %s"), tmp, strerror(errno));
        unlink(tmp);
        return -1;
    }
    if (rename(tmp, final) != 0 || s_sync_dir(dst) != 0) {
        snprintf(why, whylen, _("cannot rename %.300s: %s"), tmp, strerror(errno));
        return -1;
    }
    return 0;
}

/* Reads the last sequence number and the file size of the copy in dir
   (opened read-only: it is also a check that the copy opens). */
static int
s_check_copy(const char *dir, s_backup_t *out, char *why, size_t whylen)
{
    char path[4096];
    struct stat st;
    snprintf(path, sizeof path, "%.4000s/data.mdb", dir);
    if (stat(path, &st) == 0)
        out->store_size = (uint64_t)st.st_size;
    MDB_env *env = NULL;
    MDB_txn *txn = NULL;
    MDB_dbi meta;
    MDB_val k = {3, "seq"}, v;
    int rc = nmirf_store_ro_open(dir, &env, &txn);
    if (!rc)
        rc = mdb_dbi_open(txn, "meta", 0, &meta);
    if (!rc)
        rc = mdb_get(txn, meta, &k, &v);
    if (rc == MDB_NOTFOUND) {
        out->seq = 0; /* a store with no event yet */
        rc = 0;
    } else if (!rc)
        out->seq = v.mv_size == 8 ? nmirf_be64_decode(v.mv_data) : 0;
    mdb_txn_abort(txn);
    mdb_env_close(env);
    /* The read-only open made a lock file; a restored store makes its own. */
    snprintf(path, sizeof path, "%.4000s/lock.mdb", dir);
    unlink(path);
    if (rc) {
        snprintf(why, whylen, _("the copy does not open: %s"), mdb_strerror(rc));
        return -1;
    }
    return 0;
}

/* Copies the regular files of src into dst with their modes (0600 for
   secret keys stays 0600), each synced. Returns the count, or -1 with
   why. */
static int
s_copy_keys(const char *src, const char *dst, char *why, size_t whylen)
{
    DIR *d = opendir(src);
    if (!d) {
        snprintf(why, whylen, _("cannot read %.300s: %s"), src, strerror(errno));
        return -1;
    }
    int count = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        char from[4096], to[4096];
        struct stat st;
        snprintf(from, sizeof from, "%.3800s/%.255s", src, e->d_name);
        if (lstat(from, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        size_t len;
        char *data = nmirf_read_file(from, &len);
        snprintf(to, sizeof to, "%.3800s/%.255s", dst, e->d_name);
        if (!data || nmirf_write_file(to, data, len, (int)(st.st_mode & 07777)) != 0) {
            snprintf(why, whylen, _("cannot copy %.300s: %s"), from, strerror(errno));
            free(data);
            count = -1;
            break;
        }
        free(data);
        count++;
    }
    closedir(d);
    return count;
}

/* Makes OUTDIR (0700) and its store/ and keys/, refusing a non-empty one.
   Returns 0, or -1 with why. */
static int
s_make_dirs(const char *out, char *why, size_t whylen)
{
    char path[4096];
    if (s_dir_nonempty(out)) {
        snprintf(why, whylen,
                 _("%.300s is not empty; a backup goes into a new directory"), out);
        return -1;
    }
    if (mkdir(out, 0700) != 0 && errno != EEXIST) {
        snprintf(why, whylen, _("cannot make %.300s: %s"), out, strerror(errno));
        return -1;
    }
    const char *subs[] = {"store", "keys"};
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%.3000s/%s", out, subs[i]);
        if (mkdir(path, 0700) != 0) {
            snprintf(why, whylen, _("cannot make %.300s: %s"), path, strerror(errno));
            return -1;
        }
    }
    return 0;
}

/* backup --data DATADIR OUTDIR */
static int
s_backup(cli_t *cli, const cli_args_t *a)
{
    const char *datadir = cli_arg_str(a, "data"), *out = cli_arg_str(a, "OUTDIR");
    if (strlen(datadir) > 3000 || strlen(out) > 3000)
        return cli_usage(cli, "a directory name longer than 3000 bytes");
    char src[4096], dst[4096], why[512] = "";
    struct stat st;
    snprintf(src, sizeof src, "%.3000s/store/data.mdb", datadir);
    if (stat(src, &st) != 0)
        return cli_local_error(cli, "%s is not a broker data directory (no store: %s)",
                               datadir, strerror(errno));
    /* A copy of a damaged store is not a backup, and LMDB's copy would
       follow its damaged pages: the same walk as nmirf check, first. */
    if (cli_store_damaged(cli, datadir, "backup", N_("no backup was written")))
        return 1;
    if (s_make_dirs(out, why, sizeof why) != 0)
        return cli_local_error(cli, "%s", why);
    s_backup_t b = {0};
    snprintf(src, sizeof src, "%.3000s/store", datadir);
    snprintf(dst, sizeof dst, "%.3000s/store", out);
    if (s_copy_store(src, dst, why, sizeof why) != 0 ||
        s_check_copy(dst, &b, why, sizeof why) != 0)
        return cli_local_error(cli, "%s", why);
    snprintf(src, sizeof src, "%.3000s/keys", datadir);
    snprintf(dst, sizeof dst, "%.3000s/keys", out);
    if ((b.keys = s_copy_keys(src, dst, why, sizeof why)) < 0)
        return cli_local_error(cli, "%s", why);
    if (s_sync_dir(dst) != 0 || s_sync_dir(out) != 0)
        return cli_local_error(cli, "cannot sync %s: %s", out, strerror(errno));
    if (cli->json) {
        json_t *j =
            json_pack("{s:s, s:I, s:I, s:i}", "dir", out, "seq", (json_int_t)b.seq,
                      "store_bytes", (json_int_t)b.store_size, "keys", b.keys);
        json_dumpf(j, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
        json_decref(j);
    } else
        printf(
            _("backup in %s: store at seq %llu (%llu bytes, compacted), %d key files\n"),
            out, (unsigned long long)b.seq, (unsigned long long)b.store_size, b.keys);
    return CLI_EXIT_OK;
}

static const cli_opt_spec_t s_backup_args[] = {
    {.name = "OUTDIR", .kind = CLI_STR},
    {0},
};
static const cli_opt_spec_t s_backup_opts[] = {
    {CLI_OPT("data", 'd', "DIR", CLI_STR, NULL,
             "the broker's data directory (e.g. /var/lib/nmirf)"),
     .missing = N_("--data DIR (the broker's data directory) is required")},
    {CLI_JSON(NULL)},
    {0},
};

const cli_cmd_spec_t cli_backup_cmds[] = {
    {CLI_CMD("backup", "backup", s_backup), .args = s_backup_args, .opts = s_backup_opts},
    {0},
};
