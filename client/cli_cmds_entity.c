/*  cli_cmds_entity - entities and their keys: keygen, and entity enroll,
    list, show, revoke, rotate.

    keygen is the only command that never talks to the broker: a ministry
    makes its keys on its own machine and hands over only ID.pub.
*/
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "cli.h"
#include "nmirf_mp.h"

int
cli_cmd_keygen(cli_t *cli, int argc, char **argv)
{
    static const struct option opts[] = {
        {"dir", required_argument, NULL, 'd'},
        CLI_OPTS_END,
    };
    const char *dir = ".";
    char why[256] = "";
    int c, rc;

    cli_begin(cli, "keygen", "keygen");
    while ((c = cli_getopt(cli, argc, argv, ":hd:", opts)) != -1) {
        if (c == 'd')
            dir = optarg;
        else
            return cli_opt_exit(cli, c);
    }
    if ((rc = cli_positional(cli, argc - optind, 1, 1, "ID")))
        return rc;
    const char *id = argv[optind];
    if ((rc = cli_check_entity_id(cli, "ID", id)))
        return rc;
    /* A missing directory is made private: it is about to hold a secret. */
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return cli_local_error(cli, "cannot make directory %s: %s", dir, strerror(errno));

    nmirf_key_t key;
    if (nmirf_key_generate(&key, id) != 0)
        return cli_usage(cli, "ID: '%s' is not an entity id", id);
    rc = nmirf_key_save(&key, dir, why, sizeof why);
    nmirf_key_wipe(&key);
    if (rc != 0)
        return cli_local_error(cli, "%s", why[0] ? why : "cannot write the key files");

    char secret[4096], public[4096];
    snprintf(secret, sizeof secret, "%s/%s.key", dir, id);
    snprintf(public, sizeof public, "%s/%s.pub", dir, id);
    if (cli->json) {
        json_t *out =
            json_pack("{s:s, s:s, s:s}", "entity", id, "key", secret, "pub", public);
        json_dumpf(out, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
        json_decref(out);
    } else {
        printf("secret key  %s  (keep it; mode 0600)\n", secret);
        printf("public key  %s  (give it to the coordinator)\n", public);
    }
    return CLI_EXIT_OK;
}

/* The views of a reply body {entity}. */
static void
s_view_entity_body(const msgpack_object *body)
{
    cli_view_entity(nmirf_mp_get(body, "entity"));
}

/* entity enroll PUBFILE --role ROLE [--name-LANG S]... */
/* Loads the entity id and public keys of a .pub (or .key) file, the raw
   CURVE key in curve. Returns 0 or the exit status after saying why. The
   caller wipes key (an ID.key also holds secrets). */
static int
s_load_public(cli_t *cli, const char *path, nmirf_key_t *key, uint8_t curve[32])
{
    char why[256] = "";
    if (nmirf_key_load(key, path, why, sizeof why) != 0)
        return cli_local_error(cli, "%s", why[0] ? why : path);
    if (nmirf_key_curve_raw(key, curve) != 0) {
        nmirf_key_wipe(key);
        return cli_local_error(cli, "%s: curve-public is not a Z85 key", path);
    }
    return 0;
}

static int
s_enroll(cli_t *cli, int argc, char **argv)
{
    static const struct option opts[] = {
        {"role", required_argument, NULL, 'r'},
        {"name-fr", required_argument, NULL, 'F'},
        {"name-ar", required_argument, NULL, 'A'},
        {"name-en", required_argument, NULL, 'N'},
        CLI_OPTS_END,
    };
    const char *role = NULL;
    const char *names[3] = {NULL, NULL, NULL}; /* fr, ar, en */
    static const char *const langs[3] = {"fr", "ar", "en"};
    int c, rc;

    while ((c = cli_getopt(cli, argc, argv, ":hr:", opts)) != -1) {
        switch (c) {
        case 'r':
            role = optarg;
            break;
        case 'F':
            names[0] = optarg;
            break;
        case 'A':
            names[1] = optarg;
            break;
        case 'N':
            names[2] = optarg;
            break;
        default:
            return cli_opt_exit(cli, c);
        }
    }
    if ((rc = cli_positional(cli, argc - optind, 1, 1, "PUBFILE")))
        return rc;
    const char *path = argv[optind];
    if (!role)
        return cli_usage(cli, "--role is required (coordinator, ministry or observer)");
    if ((rc = cli_check_enum(
             cli, "--role", role,
             nmirf_fields_set(&nmirf_fields_entity_enroll, "role")->names)))
        return rc;
    size_t nnames = 0;
    for (size_t i = 0; i < 3; i++) {
        if (!names[i])
            continue;
        char option[16];
        snprintf(option, sizeof option, "--name-%s", langs[i]);
        if ((rc = cli_check_text(cli, option, names[i],
                                 nmirf_fields_max(&nmirf_fields_entity_enroll, "names"))))
            return rc;
        nnames++;
    }

    nmirf_key_t key;
    uint8_t curve[32];
    if ((rc = s_load_public(cli, path, &key, curve)))
        return rc;

    msgpack_sbuffer body;
    msgpack_packer pk;
    msgpack_sbuffer_init(&body);
    msgpack_packer_init(&pk, &body, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 5);
    nmirf_mp_pack_kv_str(&pk, "id", key.entity);
    nmirf_mp_pack_kv_str(&pk, "role", role);
    nmirf_mp_pack_str(&pk, "names");
    msgpack_pack_map(&pk, nnames);
    for (size_t i = 0; i < 3; i++)
        if (names[i])
            nmirf_mp_pack_kv_str(&pk, langs[i], names[i]);
    nmirf_mp_pack_str(&pk, "sign_key");
    nmirf_mp_pack_bin(&pk, key.sign_pk, sizeof key.sign_pk);
    nmirf_mp_pack_str(&pk, "curve_key");
    nmirf_mp_pack_bin(&pk, curve, sizeof curve);
    nmirf_key_wipe(&key);

    rc = cli_call_show(cli, "entity.enroll", &body, s_view_entity_body);
    msgpack_sbuffer_destroy(&body);
    return rc;
}

/* entity list: a row per entity, named in the first of en, fr, ar. */
static void
s_view_entities(const msgpack_object *body)
{
    static const char *const headers[] = {"ID", "ROLE", "STATE", "ENROLLED", "NAME"};
    const msgpack_object *list = nmirf_mp_get(body, "entities");
    cli_table_t *table = cli_table_new(headers, 5);
    if (!table)
        return;
    cli_table_limit(table, 4, 60, true);
    if (list && list->type == MSGPACK_OBJECT_ARRAY)
        for (uint32_t i = 0; i < list->via.array.size; i++) {
            const msgpack_object *e = &list->via.array.ptr[i];
            char when[32];
            char *name = cli_mp_text(cli_mp_any_lang(nmirf_mp_get(e, "names")));
            cli_table_row(table);
            cli_table_cell_field(table, e, "id");
            cli_table_cell_field(table, e, "role");
            cli_table_cell_field(table, e, "state");
            cli_table_cell(table,
                           cli_time_text(cli_mp_uint(e, "enrolled", 0), false, when));
            cli_table_cell(table, name);
            free(name);
        }
    cli_table_print(table);
    cli_table_destroy(&table);
}

/* entity list */
static int
s_list(cli_t *cli, int argc, char **argv)
{
    static const struct option opts[] = {CLI_OPTS_END};
    int c, rc;
    if ((c = cli_getopt(cli, argc, argv, ":h", opts)) != -1)
        return cli_opt_exit(cli, c);
    if ((rc = cli_positional(cli, argc - optind, 0, 0, "no argument")))
        return rc;
    return cli_call_show(cli, "entity.list", NULL, s_view_entities);
}

/* show and revoke: one entity id in, {entity} out. */
static int
s_by_id(cli_t *cli, int argc, char **argv, const char *op)
{
    static const struct option opts[] = {CLI_OPTS_END};
    int c, rc;
    if ((c = cli_getopt(cli, argc, argv, ":h", opts)) != -1)
        return cli_opt_exit(cli, c);
    if ((rc = cli_positional(cli, argc - optind, 1, 1, "ID")))
        return rc;
    const char *id = argv[optind];
    if ((rc = cli_check_entity_id(cli, "ID", id)))
        return rc;

    msgpack_sbuffer body;
    msgpack_packer pk;
    msgpack_sbuffer_init(&body);
    msgpack_packer_init(&pk, &body, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 1);
    nmirf_mp_pack_kv_str(&pk, "id", id);
    rc = cli_call_show(cli, op, &body, s_view_entity_body);
    msgpack_sbuffer_destroy(&body);
    return rc;
}

/* entity show ID */
static int
s_show(cli_t *cli, int argc, char **argv)
{
    return s_by_id(cli, argc, argv, "entity.show");
}

/* entity revoke ID */
static int
s_revoke(cli_t *cli, int argc, char **argv)
{
    return s_by_id(cli, argc, argv, "entity.revoke");
}

/* entity rotate NEWPUBFILE: the id and the new public keys come from the
   file, so the coordinator cannot give one entity another's keys by a
   typo on the line. */
static int
s_rotate(cli_t *cli, int argc, char **argv)
{
    static const struct option opts[] = {CLI_OPTS_END};
    int c, rc;
    if ((c = cli_getopt(cli, argc, argv, ":h", opts)) != -1)
        return cli_opt_exit(cli, c);
    if ((rc = cli_positional(cli, argc - optind, 1, 1, "NEWPUBFILE")))
        return rc;
    const char *path = argv[optind];
    nmirf_key_t key;
    uint8_t curve[32];
    if ((rc = s_load_public(cli, path, &key, curve)))
        return rc;
    msgpack_sbuffer body;
    msgpack_packer pk;
    msgpack_sbuffer_init(&body);
    msgpack_packer_init(&pk, &body, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 3);
    nmirf_mp_pack_kv_str(&pk, "id", key.entity);
    nmirf_mp_pack_str(&pk, "sign_key");
    nmirf_mp_pack_bin(&pk, key.sign_pk, sizeof key.sign_pk);
    nmirf_mp_pack_str(&pk, "curve_key");
    nmirf_mp_pack_bin(&pk, curve, sizeof curve);
    nmirf_key_wipe(&key);
    rc = cli_call_show(cli, "entity.rotate", &body, s_view_entity_body);
    msgpack_sbuffer_destroy(&body);
    return rc;
}

int
cli_cmd_entity(cli_t *cli, int argc, char **argv)
{
    static const cli_sub_t subs[] = {
        {"enroll", s_enroll}, {"list", s_list},     {"show", s_show},
        {"revoke", s_revoke}, {"rotate", s_rotate},
    };
    return cli_dispatch(cli, "entity", subs, sizeof subs / sizeof subs[0], argc, argv);
}
