/*  cli_cmds_entity - entities and their keys: keygen, and entity enroll,
    list, show, revoke, rotate, update.

    keygen is the only command that never talks to the broker: a ministry
    makes its keys on its own machine and hands over only ID.pub.
*/
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "cli.h"
#include "cli_output.h"
#include "nmirf_mp.h"

/* keygen ID [--dir DIR] */
static int
s_keygen(cli_t *cli, const cli_args_t *a)
{
    const char *id = cli_arg_str(a, "ID");
    const char *dir = cli_arg_has(a, "dir") ? cli_arg_str(a, "dir") : ".";
    char why[256] = "";
    int rc;

    /* A missing directory is made private: it is about to hold a secret. */
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return cli_local_error(cli, "cannot make directory %s: %s", dir, strerror(errno));

    nmirf_key_t key;
    if (nmirf_key_generate(&key, id) != 0)
        return cli_usage(cli, "ID: '%s' is not an entity id", id);
    rc = nmirf_key_save(&key, dir, why, sizeof why);
    nmirf_key_wipe(&key);
    if (rc != 0)
        return cli_local_error(cli, "%s", why[0] ? why : _("cannot write the key files"));

    /* "keys/" names the same directory as "keys": one slash between. */
    size_t dirlen = strlen(dir);
    while (dirlen > 1 && dir[dirlen - 1] == '/')
        dirlen--;
    char secret[4096], public[4096];
    snprintf(secret, sizeof secret, "%.*s/%s.key", (int)dirlen, dir, id);
    snprintf(public, sizeof public, "%.*s/%s.pub", (int)dirlen, dir, id);
    if (cli->json) {
        json_t *out =
            json_pack("{s:s, s:s, s:s}", "entity", id, "key", secret, "pub", public);
        json_dumpf(out, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
        json_decref(out);
    } else {
        printf(_("secret key  %s  (keep it; mode 0600)\n"), secret);
        printf(_("public key  %s  (give it to the coordinator)\n"), public);
    }
    return CLI_EXIT_OK;
}

/* The views of a reply body {entity}. */
static void
s_view_entity_body(const msgpack_object *body)
{
    cli_view_entity(nmirf_mp_get(body, "entity"));
}

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

/* The options of enroll that name the entity, by language: the names
   map's keys are nmirf_langs' names at the same index. */
static const char *const s_name_opts[] = {
    [NMIRF_LANG_FR] = "name-fr",
    [NMIRF_LANG_AR] = "name-ar",
    [NMIRF_LANG_EN] = "name-en",
};
#define NAME_OPTS (sizeof s_name_opts / sizeof s_name_opts[0])
_Static_assert(NAME_OPTS == NMIRF_LANG_COUNT, "one --name-XX option a language");

/* Sends op (entity.enroll or entity.rotate) with the id and public keys
   of the file at path; enroll adds the role and the names a gives. */
static int
s_send_keys(cli_t *cli, const cli_args_t *a, const char *path, const char *op)
{
    bool enroll = strcmp(op, "entity.enroll") == 0;
    nmirf_key_t key;
    uint8_t curve[32];
    int rc;
    if ((rc = s_load_public(cli, path, &key, curve)))
        return rc;

    msgpack_sbuffer body;
    msgpack_packer pk;
    msgpack_sbuffer_init(&body);
    msgpack_packer_init(&pk, &body, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, enroll ? 5 : 3);
    nmirf_mp_pack_kv_str(&pk, "id", key.entity);
    if (enroll) {
        size_t nnames = 0;
        for (size_t i = 0; i < NAME_OPTS; i++)
            nnames += cli_arg_has(a, s_name_opts[i]);
        nmirf_mp_pack_kv_str(&pk, "role", cli_arg_str(a, "role"));
        nmirf_mp_pack_str(&pk, "names");
        msgpack_pack_map(&pk, nnames);
        for (size_t i = 0; i < NAME_OPTS; i++)
            if (cli_arg_has(a, s_name_opts[i]))
                nmirf_mp_pack_kv_str(&pk, nmirf_langs.names[i],
                                     cli_arg_str(a, s_name_opts[i]));
    }
    nmirf_mp_pack_str(&pk, "sign_key");
    nmirf_mp_pack_bin(&pk, key.sign_pk, sizeof key.sign_pk);
    nmirf_mp_pack_str(&pk, "curve_key");
    nmirf_mp_pack_bin(&pk, curve, sizeof curve);
    nmirf_key_wipe(&key);

    rc = cli_call_show(cli, op, &body, s_view_entity_body);
    msgpack_sbuffer_destroy(&body);
    return rc;
}

/* entity enroll PUBFILE --role ROLE [--name-LANG S]... */
static int
s_enroll(cli_t *cli, const cli_args_t *a)
{
    return s_send_keys(cli, a, cli_arg_str(a, "PUBFILE"), "entity.enroll");
}

/* entity list: a row per entity, named in the language of the texts
   (cli_lang_text). */
static void
s_view_entities(const msgpack_object *body)
{
    static const char *const headers[] = {N_("ID"), N_("ROLE"), N_("STATE"),
                                          N_("ENROLLED"), N_("NAME")};
    const msgpack_object *list = nmirf_mp_get(body, "entities");
    cli_table_t *table = cli_table_new(headers, 5);
    if (!table)
        return;
    cli_table_limit(table, 4, 60, true);
    if (list && list->type == MSGPACK_OBJECT_ARRAY)
        for (uint32_t i = 0; i < list->via.array.size; i++) {
            const msgpack_object *e = &list->via.array.ptr[i];
            char when[32];
            char *name = cli_mp_text(cli_lang_text(nmirf_mp_get(e, "names")));
            cli_table_row(table);
            cli_table_cell_field(table, e, "id");
            cli_cell_role(table, e, "role");
            cli_cell_entity_state(table, e, "state");
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
s_list(cli_t *cli, const cli_args_t *a)
{
    (void)a;
    return cli_call_show(cli, "entity.list", NULL, s_view_entities);
}

/* entity show ID */
static int
s_show(cli_t *cli, const cli_args_t *a)
{
    return cli_args_call_show(cli, a, "entity.show", s_view_entity_body);
}

/* entity revoke ID */
static int
s_revoke(cli_t *cli, const cli_args_t *a)
{
    return cli_args_call_show(cli, a, "entity.revoke", s_view_entity_body);
}

/* entity rotate NEWPUBFILE: the id and the new public keys come from the
   file, so the coordinator cannot give one entity another's keys by a
   typo on the line. */
static int
s_rotate(cli_t *cli, const cli_args_t *a)
{
    return s_send_keys(cli, a, cli_arg_str(a, "NEWPUBFILE"), "entity.rotate");
}

/* entity update ID [--name-fr N] [--name-ar N] [--name-en N] [--contact C]:
   the names given replace those languages' names; the others stay. */
static int
s_update(cli_t *cli, const cli_args_t *a)
{
    size_t nnames = 0;
    for (size_t i = 0; i < NAME_OPTS; i++)
        nnames += cli_arg_has(a, s_name_opts[i]);
    if (nnames == 0 && !cli_arg_has(a, "contact"))
        return cli_usage(cli,
                         "give a name (--name-fr, --name-ar, --name-en) or --contact");
    msgpack_sbuffer body;
    msgpack_packer pk;
    msgpack_sbuffer_init(&body);
    msgpack_packer_init(&pk, &body, msgpack_sbuffer_write);
    cli_args_pack(a, &pk, nnames ? 1 : 0);
    if (nnames) {
        nmirf_mp_pack_str(&pk, "names");
        msgpack_pack_map(&pk, nnames);
        for (size_t i = 0; i < NAME_OPTS; i++)
            if (cli_arg_has(a, s_name_opts[i]))
                nmirf_mp_pack_kv_str(&pk, nmirf_langs.names[i],
                                     cli_arg_str(a, s_name_opts[i]));
    }
    int rc = cli_call_show(cli, "entity.update", &body, s_view_entity_body);
    msgpack_sbuffer_destroy(&body);
    return rc;
}

static const cli_opt_spec_t s_keygen_args[] = {
    {.name = "ID", .kind = CLI_ENTITY},
    {0},
};
static const cli_opt_spec_t s_keygen_opts[] = {
    {CLI_OPT("dir", 'd', "DIR", CLI_STR, NULL, "where to write the files (default: .)")},
    {0},
};

static const cli_opt_spec_t s_enroll_args[] = {
    {.name = "PUBFILE", .kind = CLI_STR},
    {0},
};
/* Checked after PUBFILE and --role's presence (late_checks), as always. */
static const cli_opt_spec_t s_enroll_opts[] = {
    {CLI_OPT("role", 'r', "ROLE", CLI_ENUM, NULL, "the entity's role"), .field = "role",
     .missing = N_("--role is required (coordinator, ministry, observer or standby)")},
    {CLI_OPT("name-fr", 0, "S", CLI_TEXT, NULL, "the entity's name in French"),
     .field = "names"},
    {CLI_OPT("name-ar", 0, "S", CLI_TEXT, NULL, "the entity's name in Arabic"),
     .field = "names"},
    {CLI_OPT("name-en", 0, "S", CLI_TEXT, NULL, "the entity's name in English"),
     .field = "names"},
    {0},
};

static const cli_opt_spec_t s_id_args[] = {
    {.name = "ID", .kind = CLI_ENTITY, .key = "id"},
    {0},
};

static const cli_opt_spec_t s_update_opts[] = {
    {CLI_OPT("name-fr", 0, "S", CLI_TEXT, NULL,
             "its name in French, replacing the one before"),
     .field = "names"},
    {CLI_OPT("name-ar", 0, "S", CLI_TEXT, NULL,
             "its name in Arabic, replacing the one before"),
     .field = "names"},
    {CLI_OPT("name-en", 0, "S", CLI_TEXT, NULL,
             "its name in English, replacing the one before"),
     .field = "names"},
    {CLI_OPT("contact", 0, "C", CLI_LINE, "contact",
             "an e-mail or a postal address line")},
    {0},
};

static const cli_opt_spec_t s_rotate_args[] = {
    {.name = "NEWPUBFILE", .kind = CLI_STR},
    {0},
};

const cli_cmd_spec_t cli_entity_cmds[] = {
    {CLI_CMD("keygen", "keygen", s_keygen), .args = s_keygen_args, .opts = s_keygen_opts},
    {CLI_CMD("entity enroll", "entity", s_enroll), .args = s_enroll_args,
     .opts = s_enroll_opts, .late_checks = true, .fields = &nmirf_fields_entity_enroll},
    {CLI_CMD("entity list", "entity", s_list)},
    {CLI_CMD("entity show", "entity", s_show), .args = s_id_args},
    {CLI_CMD("entity revoke", "entity", s_revoke), .args = s_id_args},
    {CLI_CMD("entity rotate", "entity", s_rotate), .args = s_rotate_args},
    {CLI_CMD("entity update", "entity", s_update), .args = s_id_args,
     .opts = s_update_opts, .fields = &nmirf_fields_entity_update},
    {0},
};
