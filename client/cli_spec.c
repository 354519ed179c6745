/*  cli_spec - reads a command line against the command's table, packs
    its body, and writes its usage, option help and synopsis (cli_spec.h).
*/
#include <assert.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_output.h"
#include "nmirf_mp.h"
#include "unit.h"

#define HELP_COLUMN 24 /* where the help of an option line starts */
#define WIDTH 80       /* help and usage lines stay under this */

/* getopt_long's value of an option without a short name: above any
   character, below getopt's own returns. */
#define LONG_ONLY_BASE 256

/* Number of entries of a table ending with name NULL. */
static size_t
s_count(const cli_opt_spec_t *t)
{
    size_t n = 0;
    while (t && t[n].name)
        n++;
    return n;
}

const nmirf_field_t *
cli_opt_field(const cli_cmd_spec_t *spec, const cli_opt_spec_t *o)
{
    const nmirf_fields_t *table = o->fields ? o->fields : spec->fields;
    const char *row = o->field ? o->field : o->key;
    return table && row ? nmirf_fields_find(table, row) : NULL;
}

/* o's value set: its own, or its field's. */
static const nmirf_valueset_t *
s_set(const cli_cmd_spec_t *spec, const cli_opt_spec_t *o)
{
    const nmirf_field_t *f = o->set ? NULL : cli_opt_field(spec, o);
    return f ? f->set : o->set;
}

/* o's limit: its own, or its field's. */
static size_t
s_max(const cli_cmd_spec_t *spec, const cli_opt_spec_t *o)
{
    const nmirf_field_t *f = o->max ? NULL : cli_opt_field(spec, o);
    return f ? f->max : o->max;
}

/* Checks s as the value of o of spec, named label in messages, and keeps
   the number or point it reads in v (scratch point in *pt). Returns 0 or
   the exit status after the usage message. */
static int
s_check(cli_t *cli, const cli_cmd_spec_t *spec, const cli_opt_spec_t *o,
        const char *label, const char *s, cli_val_t *v, cli_point_t *pt)
{
    size_t max = s_max(spec, o);
    int rc = 0;
    switch (o->kind) {
    case CLI_STR:
    case CLI_FLAG:
        break;
    case CLI_TEXT:
        rc = cli_check_text(cli, label, s, max);
        break;
    case CLI_LINE:
        rc = cli_check_line(cli, label, s, max);
        break;
    case CLI_UINT:
        if ((rc = cli_parse_uint(cli, label, s, &v->u)))
            break;
        if (max && v->u > max)
            rc = cli_usage(cli, "%s: %s%s%s is over %zu", label, s, o->unit ? " " : "",
                           o->unit ? o->unit : "", max);
        break;
    case CLI_NUMBER:
        rc = cli_parse_number(cli, label, s, &v->num);
        break;
    case CLI_DATE:
        rc = cli_check_date(cli, label, s);
        break;
    case CLI_ENTITY:
        rc = cli_check_entity_id(cli, label, s);
        break;
    case CLI_REC:
        rc = cli_check_rec_id(cli, label, s);
        break;
    case CLI_ENUM:
        rc = cli_check_enum(cli, label, s, s_set(spec, o)->names);
        break;
    case CLI_POINT:
        rc = cli_parse_point(cli, label, s, pt);
        break;
    }
    return rc;
}

/* Keeps one more value of o in v: the last one, and every one of a
   repeated option (lists sized for argc values, as many as there can be). */
static int
s_keep(cli_t *cli, const cli_opt_spec_t *o, const char *label, const char *s,
       cli_val_t *v, const cli_point_t *pt, int argc)
{
    if (o->flags & CLI_REPEAT) {
        if (o->max_times && v->n == o->max_times)
            return cli_usage(cli, "%s: more than %zu", label, o->max_times);
        if (!v->list) {
            v->list = calloc((size_t)argc, sizeof *v->list);
            if (o->kind == CLI_POINT)
                v->points = calloc((size_t)argc, sizeof *v->points);
            if (!v->list || (o->kind == CLI_POINT && !v->points))
                return cli_local_error(cli, "out of memory");
        }
        v->list[v->n] = s;
        if (o->kind == CLI_POINT)
            v->points[v->n] = *pt;
    }
    v->s = s;
    v->n++;
    return 0;
}

/* Frees what the parse of a took. */
static void
s_args_free(cli_args_t *a)
{
    for (size_t i = 0; i < CLI_MAX_OPTS; i++) {
        free(a->opt[i].list);
        free(a->opt[i].points);
    }
}

/* "--name" of an option. */
static void
s_label(const cli_opt_spec_t *o, char *buf, size_t len)
{
    snprintf(buf, len, "--%s", o->name);
}

/* Parses argv into a. Returns -1 to run the command, else the exit
   status (0 after --help). */
static int
s_parse(cli_t *cli, const cli_cmd_spec_t *spec, int argc, char **argv, cli_args_t *a)
{
    const cli_opt_spec_t *opts = spec->opts;
    size_t nopts = s_count(opts), nargs = s_count(spec->args);
    assert(nopts <= CLI_MAX_OPTS && nargs <= CLI_MAX_ARGS);
    struct option longopts[CLI_MAX_OPTS + 3];
    char shortopts[2 * CLI_MAX_OPTS + 3] = ":h";
    char label[64];
    cli_point_t pt;
    int rc;

    size_t nlong = 0;
    for (size_t i = 0; i < nopts; i++) {
        if (opts[i].flags & CLI_GLOBAL)
            continue; /* cli_getopt's, below */
        int val = opts[i].short_name ? opts[i].short_name : LONG_ONLY_BASE + (int)i;
        longopts[nlong++] = (struct option){
            opts[i].name, opts[i].arg ? required_argument : no_argument, NULL, val};
        if (opts[i].short_name) {
            size_t len = strlen(shortopts);
            shortopts[len++] = opts[i].short_name;
            if (opts[i].arg)
                shortopts[len++] = ':';
            shortopts[len] = 0;
        }
    }
    /* The options every command takes (cli_getopt handles --json). */
    longopts[nlong] = (struct option){"json", no_argument, NULL, 'J'};
    longopts[nlong + 1] = (struct option){"help", no_argument, NULL, 'h'};
    longopts[nlong + 2] = (struct option){NULL, 0, NULL, 0};

    int c;
    while ((c = cli_getopt(cli, argc, argv, shortopts, longopts)) != -1) {
        if (c == CLI_OPT_HELP) {
            cli_help(cli->topic, stdout);
            return CLI_EXIT_OK;
        }
        if (c == CLI_OPT_BAD)
            return CLI_EXIT_USAGE;
        size_t i = 0;
        while (i < nopts &&
               (opts[i].short_name ? opts[i].short_name : LONG_ONLY_BASE + (int)i) != c)
            i++;
        assert(i < nopts);
        const char *s = opts[i].arg ? optarg : "";
        s_label(&opts[i], label, sizeof label);
        if (!spec->late_checks &&
            (rc = s_check(cli, spec, &opts[i], label, s, &a->opt[i], &pt)))
            return rc;
        if ((rc = s_keep(cli, &opts[i], label, s, &a->opt[i], &pt, argc)))
            return rc;
    }
    if (spec->validate && (rc = spec->validate(cli, a)))
        return rc;

    a->npos = (size_t)(argc - optind);
    a->rest = argv + optind;
    if (!spec->own_count) {
        size_t min = 0;
        char names[128] = "";
        for (size_t i = 0; i < nargs; i++) {
            if (!(spec->args[i].flags & CLI_OPTIONAL))
                min++;
            strncat(names, i ? " " : "", sizeof names - strlen(names) - 1);
            strncat(names, spec->args[i].name, sizeof names - strlen(names) - 1);
        }
        const char *expect = spec->expect ? cli_tr(spec->expect)
                             : nargs      ? names
                                          : _("no argument");
        if ((rc = cli_positional(cli, (int)a->npos, (int)min, (int)nargs, expect)))
            return rc;
    }
    for (size_t i = 0; i < nargs && i < a->npos; i++) {
        if ((rc = s_check(cli, spec, &spec->args[i], spec->args[i].name, a->rest[i],
                          &a->pos[i], &pt)))
            return rc;
        a->pos[i].s = a->rest[i];
        a->pos[i].n = 1;
    }
    for (size_t i = 0; i < nopts; i++)
        if (opts[i].missing && a->opt[i].n == 0)
            return cli_usage(cli, "%s", cli_tr(opts[i].missing));
    if (spec->late_checks)
        for (size_t i = 0; i < nopts; i++) {
            assert(!(opts[i].flags & CLI_REPEAT));
            s_label(&opts[i], label, sizeof label);
            if (a->opt[i].n &&
                (rc = s_check(cli, spec, &opts[i], label, a->opt[i].s, &a->opt[i], &pt)))
                return rc;
        }
    return -1;
}

int
cli_spec_run(cli_t *cli, const cli_cmd_spec_t *spec, const char *cmd, int argc,
             char **argv)
{
    cli_args_t a = {.spec = spec};
    cli_begin(cli, spec->topic, cmd ? cmd : spec->path);
    int rc = s_parse(cli, spec, argc, argv, &a);
    if (rc < 0)
        rc = spec->run(cli, &a);
    s_args_free(&a);
    return rc;
}

/* The length of the first word of path. */
static size_t
s_group_len(const char *path)
{
    return strcspn(path, " ");
}

int
cli_spec_dispatch(cli_t *cli, int argc, char **argv)
{
    const char *group = argv[0];
    size_t glen = strlen(group);
    const cli_cmd_spec_t *subs[32];
    size_t nsubs = 0;
    for (size_t g = 0; cli_commands[g]; g++)
        for (const cli_cmd_spec_t *s = cli_commands[g]; s->path; s++) {
            if (s_group_len(s->path) != glen || strncmp(s->path, group, glen) != 0)
                continue;
            if (!s->path[glen])
                return cli_spec_run(cli, s, NULL, argc, argv);
            assert(nsubs < sizeof subs / sizeof subs[0]);
            subs[nsubs++] = s;
        }
    if (!nsubs)
        return -1;

    cli_begin(cli, group, group);
    if (argc < 2) {
        char list[128] = "";
        for (size_t i = 0; i < nsubs; i++) {
            strncat(list, i ? ", " : "", sizeof list - strlen(list) - 1);
            strncat(list, subs[i]->path + glen + 1, sizeof list - strlen(list) - 1);
        }
        return cli_usage(cli, "missing subcommand: one of %s", list);
    }
    const char *sub = argv[1];
    if (strcmp(sub, "help") == 0 || strcmp(sub, "-h") == 0 ||
        strcmp(sub, "--help") == 0) {
        cli_help(group, stdout);
        return CLI_EXIT_OK;
    }
    for (size_t i = 0; i < nsubs; i++) {
        /* `report --html FILE` runs `report html FILE`, its option read
           by getopt from the group's line. */
        const char *alias = subs[i]->flag_alias;
        size_t alen = alias ? strlen(alias) : 0;
        if (alias && strncmp(sub, alias, alen) == 0 &&
            (sub[alen] == '\0' || sub[alen] == '=')) {
            char cmd[sizeof cli->cmd];
            snprintf(cmd, sizeof cmd, "%s %s", group, alias);
            return cli_spec_run(cli, subs[i], cmd, argc, argv);
        }
        if (strcmp(sub, subs[i]->path + glen + 1) == 0)
            return cli_spec_run(cli, subs[i], NULL, argc - 1, argv + 1);
    }
    return cli_usage(cli, "no subcommand '%s'", sub);
}

/* --- values ------------------------------------------------------------ */

const cli_val_t *
cli_arg(const cli_args_t *a, const char *name)
{
    const cli_opt_spec_t *t = a->spec->args;
    for (size_t i = 0; t && t[i].name; i++)
        if (strcmp(t[i].name, name) == 0)
            return &a->pos[i];
    t = a->spec->opts;
    for (size_t i = 0; t && t[i].name; i++)
        if (strcmp(t[i].name, name) == 0)
            return &a->opt[i];
    assert(!"no such option in the command's table");
    return NULL;
}

const char *
cli_arg_str(const cli_args_t *a, const char *name)
{
    return cli_arg(a, name)->s;
}

bool
cli_arg_has(const cli_args_t *a, const char *name)
{
    return cli_arg(a, name)->n > 0;
}

/* Packs the value v of o under its key. */
static void
s_pack_one(msgpack_packer *pk, const cli_opt_spec_t *o, const cli_val_t *v)
{
    nmirf_mp_pack_str(pk, o->key);
    if (o->kind == CLI_POINT && (o->flags & CLI_REPEAT)) {
        cli_pack_points(pk, v->points, v->n);
    } else if (o->flags & CLI_REPEAT) {
        msgpack_pack_array(pk, v->n);
        for (size_t i = 0; i < v->n; i++)
            nmirf_mp_pack_str(pk, v->list[i]);
    } else if (o->kind == CLI_UINT)
        msgpack_pack_uint64(pk, v->u);
    else if (o->kind == CLI_NUMBER)
        cli_pack_number(pk, v->num);
    else if (o->kind == CLI_FLAG)
        msgpack_pack_true(pk);
    else
        nmirf_mp_pack_str(pk, v->s);
}

void
cli_args_pack(const cli_args_t *a, msgpack_packer *pk, size_t extra)
{
    const cli_opt_spec_t *args = a->spec->args, *opts = a->spec->opts;
    size_t nargs = s_count(args), nopts = s_count(opts), n = extra;
    for (size_t i = 0; i < nargs; i++)
        n += args[i].key && a->pos[i].n;
    for (size_t i = 0; i < nopts; i++)
        n += opts[i].key && a->opt[i].n;
    msgpack_pack_map(pk, n);
    for (size_t i = 0; i < nargs; i++)
        if (args[i].key && a->pos[i].n)
            s_pack_one(pk, &args[i], &a->pos[i]);
    for (size_t i = 0; i < nopts; i++)
        if (opts[i].key && a->opt[i].n)
            s_pack_one(pk, &opts[i], &a->opt[i]);
}

int
cli_args_call_show(cli_t *cli, const cli_args_t *a, const char *op,
                   void (*view)(const msgpack_object *body))
{
    msgpack_sbuffer body;
    msgpack_packer pk;
    msgpack_sbuffer_init(&body);
    msgpack_packer_init(&pk, &body, msgpack_sbuffer_write);
    cli_args_pack(a, &pk, 0);
    int rc = cli_call_show(cli, op, &body, view);
    msgpack_sbuffer_destroy(&body);
    return rc;
}

/* --- help and synopsis ------------------------------------------------- */

/* The words of a usage line, each written as text or as roff. */
typedef struct {
    FILE *out;     /* where */
    bool man;      /* roff (nmirf(1)) rather than text */
    bool wrap;     /* text: cut before WIDTH */
    size_t col;    /* text: the column reached */
    size_t indent; /* text: where a continued line starts */
} s_words_t;

/* Writes s for roff: '-' as "\-". */
static void
s_roff(FILE *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '-')
            fputc('\\', out);
        fputc(*s, out);
    }
}

/* Appends s to the word buf of size len, '-' as "\-" when roff. */
static void
s_cat(char *buf, size_t len, const char *s, bool roff)
{
    size_t n = strlen(buf);
    for (; *s && n + 2 < len; s++) {
        if (roff && *s == '-')
            buf[n++] = '\\';
        buf[n++] = *s;
    }
    buf[n] = 0;
}

/* Appends an option ("--lead ID") or a positional argument ("ID") to buf:
   in roff the option's name bold, values and positionals italic, "\ "
   keeping an option and its value on one line. */
static void
s_cat_opt(char *buf, size_t len, bool man, const cli_opt_spec_t *o, bool positional)
{
    if (!positional) {
        s_cat(buf, len, man ? "\\fB" : "", false);
        s_cat(buf, len, "--", man);
        s_cat(buf, len, o->name, man);
        s_cat(buf, len, man ? "\\fR" : "", false);
    }
    const char *value = positional ? o->name : o->arg;
    if (!value)
        return;
    s_cat(buf, len, positional ? "" : man ? "\\ " : " ", false);
    s_cat(buf, len, man ? "\\fI" : "", false);
    s_cat(buf, len, value, man);
    s_cat(buf, len, man ? "\\fR" : "", false);
}

/* Writes one word: in roff a line of its own ("\&" after a "...": not
   the end of a sentence), as text after a space or, cut, on a new line
   at the indent. */
static void
s_emit(s_words_t *w, const char *word)
{
    if (w->man) {
        fprintf(w->out, "%s%s\n", word, strstr(word, "...") ? "\\&" : "");
        return;
    }
    size_t len = strlen(word);
    if (w->wrap && w->col + 1 + len >= WIDTH && w->col > w->indent) {
        fprintf(w->out, "\n%*s", (int)w->indent, "");
        w->col = w->indent;
    } else {
        fputc(' ', w->out);
        w->col++;
    }
    fputs(word, w->out);
    w->col += len;
}

/* The argument or option of spec named by the len bytes at name, or
   NULL; *positional tells which. */
static const cli_opt_spec_t *
s_lookup(const cli_cmd_spec_t *spec, const char *name, size_t len, bool *positional)
{
    *positional = false;
    for (size_t k = 0; k < 2; k++)
        for (const cli_opt_spec_t *o = k ? spec->opts : spec->args; o && o->name; o++)
            if (strlen(o->name) == len && strncmp(o->name, name, len) == 0) {
                *positional = !k;
                return o;
            }
    return NULL;
}

/* s_lookup, of a name the tables have (cli_spec_test checks forms, alt
   and within). */
static const cli_opt_spec_t *
s_find(const cli_cmd_spec_t *spec, const char *name, size_t len, bool *positional)
{
    const cli_opt_spec_t *o = s_lookup(spec, name, len, positional);
    assert(o && "a name the command's tables do not have");
    return o;
}

/* True if another option of spec names o as its alternative: o is
   written with it. */
static bool
s_is_alt(const cli_cmd_spec_t *spec, const cli_opt_spec_t *o)
{
    for (const cli_opt_spec_t *p = spec->opts; p && p->name; p++)
        if (p->alt && strcmp(p->alt, o->name) == 0)
            return true;
    return false;
}

/* Writes o with its alternative and the options within it: "[--measure
   ID", "[--value DATE=VALUE]...]"; without brackets when required. */
static void
s_item(s_words_t *w, const cli_cmd_spec_t *spec, const cli_opt_spec_t *o, bool positional,
       bool required)
{
    char word[256] = "";
    size_t members = 0;
    for (const cli_opt_spec_t *m = spec->opts; !positional && m && m->name; m++)
        members += m->within && strcmp(m->within, o->name) == 0;
    s_cat(word, sizeof word, required ? "" : "[", false);
    s_cat_opt(word, sizeof word, w->man, o, positional);
    if (o->alt) {
        bool p = false;
        s_cat(word, sizeof word, w->man ? "\\ |\\ " : " | ", false);
        s_cat_opt(word, sizeof word, w->man, s_find(spec, o->alt, strlen(o->alt), &p), p);
    }
    if (!members) {
        s_cat(word, sizeof word, required ? "" : "]", false);
        s_cat(word, sizeof word, o->flags & CLI_REPEAT ? "..." : "", false);
        s_emit(w, word);
        return;
    }
    assert(!(o->flags & CLI_REPEAT));
    s_emit(w, word);
    size_t k = 0;
    for (const cli_opt_spec_t *m = spec->opts; m->name; m++) {
        if (!m->within || strcmp(m->within, o->name) != 0)
            continue;
        bool needed = m->flags & CLI_WITH_HEAD;
        word[0] = 0;
        s_cat(word, sizeof word, needed ? "" : "[", false);
        s_cat_opt(word, sizeof word, w->man, m, false);
        s_cat(word, sizeof word, needed ? "" : "]", false);
        s_cat(word, sizeof word, m->flags & CLI_REPEAT ? "..." : "", false);
        s_cat(word, sizeof word, ++k == members && !required ? "]" : "", false);
        s_emit(w, word);
    }
}

/* Writes the words of one form of spec's synopsis after its path: those
   the form names, or (form NULL) every argument, then every option the
   synopsis shows. */
static void
s_form_words(s_words_t *w, const cli_cmd_spec_t *spec, const char *form)
{
    if (!form) {
        for (const cli_opt_spec_t *o = spec->args; o && o->name; o++)
            s_item(w, spec, o, true, !(o->flags & CLI_OPTIONAL));
        for (const cli_opt_spec_t *o = spec->opts; o && o->name; o++)
            if (!(o->flags & CLI_HIDDEN) && !o->within && !s_is_alt(spec, o))
                s_item(w, spec, o, false, o->missing != NULL);
        return;
    }
    while (*form) {
        size_t len = strcspn(form, " ");
        bool plus = *form == '+', positional;
        const cli_opt_spec_t *o = s_find(spec, form + plus, len - plus, &positional);
        bool required =
            plus || (positional ? !(o->flags & CLI_OPTIONAL) : o->missing != NULL);
        s_item(w, spec, o, positional, required);
        form += len + (form[len] == ' ');
    }
}

/* The number of usage forms of spec. */
static size_t
s_nforms(const cli_cmd_spec_t *spec)
{
    size_t n = 0;
    while (spec->forms && spec->forms[n])
        n++;
    return n ? n : 1;
}

/* Writes spec's usage entries: a line a form, then again under its flag
   alias. Text: the first after prefix, the others after as many spaces,
   cut under WIDTH when wrap. Roff: a hanging paragraph each. */
static void
s_entries(const cli_cmd_spec_t *spec, bool man, const char *prefix, bool wrap, FILE *out)
{
    size_t nforms = s_nforms(spec);
    bool first = true;
    for (size_t alias = 0; alias <= (spec->flag_alias != NULL); alias++)
        for (size_t f = 0; f < nforms; f++) {
            /* The path, or its group and the flag that runs it. */
            char path[64];
            if (alias)
                snprintf(path, sizeof path, "%.*s %s", (int)s_group_len(spec->path),
                         spec->path, spec->flag_alias);
            else
                snprintf(path, sizeof path, "%s", spec->path);
            s_words_t w = {.out = out, .man = man, .wrap = wrap};
            if (man) {
                fputs(".HP 4\n.B nmirf", out);
                if (spec->global) {
                    size_t len = strcspn(spec->global, " ");
                    fputs("\n\\fB", out);
                    fprintf(out, "%s%.*s", spec->global[0] == '-' ? "\\" : "", (int)len,
                            spec->global);
                    fputs("\\fR\\ \\fI", out);
                    s_roff(out, spec->global + len + (spec->global[len] == ' '));
                    fputs("\\fR\n.B", out);
                }
                fputc(' ', out);
                s_roff(out, path);
                fputc('\n', out);
            } else {
                /* prefix may be translated: columns, not bytes. */
                size_t pw = cli_utf8_width(prefix);
                fprintf(out, "%*s%snmirf %s%s%s", first ? 0 : (int)pw, "",
                        first ? prefix : "", spec->global ? spec->global : "",
                        spec->global ? " " : "", path);
                w.col = pw + strlen("nmirf ") + strlen(path) +
                        (spec->global ? strlen(spec->global) + 1 : 0);
                w.indent = w.col + 1;
            }
            s_form_words(&w, spec, spec->forms ? spec->forms[f] : NULL);
            if (!man)
                fputc('\n', out);
            first = false;
        }
}

void
cli_spec_usage(const cli_cmd_spec_t *spec, const char *prefix, FILE *out)
{
    s_entries(spec, false, prefix, true, out);
}

/* Writes text from column col on, its lines ('\n') and words wrapped under
   column HELP_COLUMN. */
static void
s_help_text(FILE *out, const char *text, size_t col)
{
    while (*text) {
        size_t len = strcspn(text, "\n");
        if (col > HELP_COLUMN - 1) {
            fprintf(out, "\n%*s", HELP_COLUMN, "");
        } else
            fprintf(out, "%*s", (int)(HELP_COLUMN - col), "");
        fprintf(out, "%.*s\n", (int)len, text);
        text += len + (text[len] == '\n');
        col = 0;
    }
}

/* True if o has an option line in --help: a global option only with a
   help of its own. */
static bool
s_has_line(const cli_opt_spec_t *o)
{
    return !(o->flags & CLI_GLOBAL) || o->help;
}

bool
cli_spec_has_options(const cli_cmd_spec_t *spec)
{
    for (const cli_opt_spec_t *o = spec->opts; o && o->name; o++)
        if (s_has_line(o))
            return true;
    return false;
}

void
cli_spec_options(const cli_cmd_spec_t *spec, FILE *out)
{
    for (const cli_opt_spec_t *o = spec->opts; o && o->name; o++) {
        if (!s_has_line(o))
            continue;
        char left[96];
        if (o->short_name)
            snprintf(left, sizeof left, "  -%c, --%s%s%s", o->short_name, o->name,
                     o->arg ? " " : "", o->arg ? o->arg : "");
        else
            snprintf(left, sizeof left, "      --%s%s%s", o->name, o->arg ? " " : "",
                     o->arg ? o->arg : "");
        fputs(left, out);
        s_help_text(out, o->help ? cli_tr(o->help) : "", strlen(left));
        if (o->kind != CLI_ENUM || (o->flags & CLI_SET_IN_HELP))
            continue;
        /* The values come from the set the check uses: they cannot drift. */
        const nmirf_valueset_t *set = s_set(spec, o);
        size_t col = HELP_COLUMN;
        fprintf(out, "%*s", HELP_COLUMN, "");
        for (size_t i = 0; set->names[i]; i++) {
            size_t len = strlen(set->names[i]);
            if (i && col + 1 + len >= WIDTH) {
                fprintf(out, "\n%*s", HELP_COLUMN, "");
                col = HELP_COLUMN;
            } else if (i) {
                fputc(' ', out);
                col++;
            }
            fputs(set->names[i], out);
            col += len;
        }
        fputc('\n', out);
    }
}

void
cli_spec_synopsis(bool man, FILE *out)
{
    /* In roff: a hanging paragraph a command, left-adjusted, unhyphenated
       (an option cut in two would read as two). */
    if (man)
        fputs(".ad l\n.nh\n.PD 0\n", out);
    for (size_t g = 0; cli_commands[g]; g++)
        for (const cli_cmd_spec_t *s = cli_commands[g]; s->path; s++)
            s_entries(s, man, "", false, out); /* text: one line each, never cut */
    if (man)
        fputs(".PD\n.hy\n.ad\n", out);
}

/* --- self-test --------------------------------------------------------- */

static msgpack_sbuffer s_test_body; /* what the test command packed */
static int s_test_runs;             /* how many times it ran */
/* A set whose help lists it (CLI_SET_IN_HELP). */
static const nmirf_valueset_t s_test_views = CLI_SET("view", "month", "theme", "sdg");

/* The test command: packs its body. */
static int
s_test_run(cli_t *cli, const cli_args_t *a)
{
    (void)cli;
    msgpack_packer pk;
    msgpack_sbuffer_clear(&s_test_body);
    msgpack_packer_init(&pk, &s_test_body, msgpack_sbuffer_write);
    cli_args_pack(a, &pk, 0);
    s_test_runs++;
    return CLI_EXIT_OK;
}

/* True if an option of o's kind and flags can carry a value of the
   schema's type: the check it gets is the one the broker's row means. */
static bool
s_fits(const cli_opt_spec_t *o, nmirf_field_type_t type)
{
    bool repeat = o->flags & CLI_REPEAT;
    switch (type) {
    case NMIRF_FIELD_STR:
    case NMIRF_FIELD_LANGS: /* one language's string */
        return o->kind == CLI_TEXT && !repeat;
    case NMIRF_FIELD_LINE:
        return o->kind == CLI_LINE && !repeat;
    case NMIRF_FIELD_ENUM:
        return o->kind == CLI_ENUM && !repeat;
    case NMIRF_FIELD_DATE:
        return o->kind == CLI_DATE && !repeat;
    case NMIRF_FIELD_REC_ID:
        return o->kind == CLI_REC && !repeat;
    case NMIRF_FIELD_ENTITY_ID:
        return o->kind == CLI_ENTITY && !repeat;
    case NMIRF_FIELD_UINT:
        return o->kind == CLI_UINT && !repeat;
    case NMIRF_FIELD_NUMBER:
        return o->kind == CLI_NUMBER && !repeat;
    case NMIRF_FIELD_STR_LIST:
        return repeat &&
               (o->kind == CLI_TEXT || o->kind == CLI_ENTITY || o->kind == CLI_REC);
    case NMIRF_FIELD_POINTS:
        return repeat && o->kind == CLI_POINT;
    case NMIRF_FIELD_BIN: /* keys come from files, never from a value */
        return false;
    case NMIRF_FIELD_BOOL: /* a flag sends true */
        return o->kind == CLI_FLAG && !repeat;
    }
    return false;
}

/* Checks o of command c against the schema: an option with a field table
   (its own or c's) and a key or field has a row there, of a kind that
   fits, whose set it does not contradict and whose limit it does not
   pass; and every enum has a set and every text a limit, its own or the
   row's. */
static void
s_test_against_schema(const cli_cmd_spec_t *c, const cli_opt_spec_t *o)
{
    const nmirf_fields_t *table = o->fields ? o->fields : c->fields;
    const char *row = o->field ? o->field : o->key;
    const nmirf_field_t *f = cli_opt_field(c, o);
    if (table && row) {
        CHECK(f, "%s: %s: no field '%s' in %s", c->path, o->name, row, table->name);
        CHECK(!f || s_fits(o, f->type), "%s: %s: its kind does not fit %s's %s", c->path,
              o->name, table->name, row);
        CHECK(!f || !o->set || !f->set || o->set == f->set,
              "%s: %s: a set of its own where %s has one", c->path, o->name, row);
        CHECK(!f || !o->max || !f->max || (o->kind != CLI_TEXT && o->kind != CLI_LINE) ||
                  o->max <= f->max,
              "%s: %s: takes more than the broker's %zu", c->path, o->name,
              f ? f->max : 0);
    }
    CHECK(o->kind != CLI_ENUM || s_set(c, o), "%s: %s: no value set", c->path, o->name);
    CHECK((o->kind != CLI_TEXT && o->kind != CLI_LINE) || s_max(c, o), "%s: %s: no limit",
          c->path, o->name);
}

/* Checks what c's usage says besides its options: its forms, alternatives
   and groups name what its tables have, the forms name every argument and
   option the synopsis shows (none is left out of every form), and a help
   that lists an option's values itself names every one. */
static void
s_test_usage_extras(const cli_cmd_spec_t *c)
{
    bool positional;
    for (size_t f = 0; c->forms && c->forms[f]; f++)
        for (const char *w = c->forms[f]; *w;) {
            size_t len = strcspn(w, " ");
            bool plus = *w == '+';
            CHECK(s_lookup(c, w + plus, len - plus, &positional),
                  "%s: form '%s' names %.*s", c->path, c->forms[f], (int)len, w);
            w += len + (w[len] == ' ');
        }
    for (size_t k = 0; k < 2; k++)
        for (const cli_opt_spec_t *o = k ? c->opts : c->args; o && o->name; o++) {
            if (o->alt)
                CHECK(s_lookup(c, o->alt, strlen(o->alt), &positional) && !positional &&
                          strcmp(o->alt, o->name) != 0,
                      "%s: --%s: no option --%s to exclude", c->path, o->name, o->alt);
            if (o->within) {
                const cli_opt_spec_t *h =
                    s_lookup(c, o->within, strlen(o->within), &positional);
                CHECK(h && !positional && !h->within && !(h->flags & CLI_REPEAT),
                      "%s: --%s: within --%s, not an option that can hold it", c->path,
                      o->name, o->within);
            }
            CHECK(!(o->flags & CLI_WITH_HEAD) || o->within,
                  "%s: --%s: needed with no head", c->path, o->name);
            if (o->kind == CLI_ENUM && (o->flags & CLI_SET_IN_HELP)) {
                const nmirf_valueset_t *set = s_set(c, o);
                for (size_t i = 0; set && set->names[i]; i++) {
                    /* As a word of the help: not inside another. */
                    size_t n = strlen(set->names[i]);
                    bool found = false;
                    for (const char *h = o->help; h && (h = strstr(h, set->names[i]));
                         h++)
                        found |= (h == o->help || !isalnum((unsigned char)h[-1])) &&
                                 !isalnum((unsigned char)h[n]) && h[n] != '-' &&
                                 (h == o->help || h[-1] != '-');
                    CHECK(found, "%s: --%s: its help does not name '%s'", c->path,
                          o->name, set->names[i]);
                }
            }
            if (!c->forms || o->within || (k && s_is_alt(c, o)) ||
                (o->flags & CLI_HIDDEN))
                continue;
            bool named = false;
            for (size_t f = 0; c->forms[f]; f++)
                for (const char *w = c->forms[f]; *w;) {
                    size_t len = strcspn(w, " ");
                    bool plus = *w == '+';
                    named |= len - plus == strlen(o->name) &&
                             strncmp(w + plus, o->name, len - plus) == 0;
                    w += len + (w[len] == ' ');
                }
            CHECK(named, "%s: %s is in none of its forms", c->path, o->name);
        }
}

/* Runs the test spec on a NULL-terminated line. */
static int
s_test_line(cli_t *cli, const cli_cmd_spec_t *spec, const char **line)
{
    char *argv[32];
    int argc = 0;
    while (line[argc] && argc < 31) {
        argv[argc] = (char *)line[argc];
        argc++;
    }
    argv[argc] = NULL;
    return cli_spec_run(cli, spec, NULL, argc, argv);
}

int
cli_spec_test(bool verbose)
{
    unit_case = "cli_spec_test";
    static const cli_opt_spec_t args[] = {
        {.name = "ID", .kind = CLI_REC, .key = "rec"},
        {0},
    };
    static const cli_opt_spec_t opts[] = {
        {.name = "lead",
         .short_name = 'l',
         .arg = "ID",
         .kind = CLI_ENTITY,
         .key = "lead",
         .missing = "--lead is required"},
        {.name = "contributor",
         .short_name = 'c',
         .arg = "ID",
         .kind = CLI_ENTITY,
         .flags = CLI_REPEAT,
         .max_times = 2,
         .key = "contributors"},
        {.name = "limit", .arg = "N", .kind = CLI_UINT, .max = 10, .key = "limit"},
        {.name = "point",
         .arg = "DATE=VALUE",
         .kind = CLI_POINT,
         .flags = CLI_REPEAT,
         .key = "values"},
        {.name = "num", .arg = "N", .kind = CLI_NUMBER, .key = "n"},
        {.name = "flag", .kind = CLI_FLAG, .key = "f"},
        {.name = "local", .arg = "X", .kind = CLI_STR},
        {0},
    };
    static const cli_cmd_spec_t spec = {.path = "test cmd",
                                        .topic = "test",
                                        .args = args,
                                        .opts = opts,
                                        .run = s_test_run};
    cli_t cli = {.timeout_ms = 1};
    msgpack_sbuffer_init(&s_test_body);
    if (verbose)
        printf("cli_spec_test: the refusals below are expected\n");

    /* Every kind, packed: 7 entries with a key (--local has none). */
    const char *full[] = {
        "cmd",   "X",  "--lead",  "MJ",      "-c",      "A",
        "-c",    "B",  "--limit", "7",       "--point", "2025-01-01=2.5",
        "--num", "-3", "--flag",  "--local", "x",       NULL};
    CHECK(s_test_line(&cli, &spec, full) == CLI_EXIT_OK && s_test_runs == 1);
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    CHECK(msgpack_unpack_next(&u, s_test_body.data, s_test_body.size, NULL) ==
          MSGPACK_UNPACK_SUCCESS);
    const msgpack_object *m = &u.data;
    CHECK(m->type == MSGPACK_OBJECT_MAP && m->via.map.size == 7);
    const msgpack_object *v = nmirf_mp_get(m, "rec");
    CHECK(v && v->type == MSGPACK_OBJECT_STR && v->via.str.size == 1);
    v = nmirf_mp_get(m, "contributors");
    CHECK(v && v->type == MSGPACK_OBJECT_ARRAY && v->via.array.size == 2);
    v = nmirf_mp_get(m, "limit");
    CHECK(v && v->type == MSGPACK_OBJECT_POSITIVE_INTEGER && v->via.u64 == 7);
    v = nmirf_mp_get(m, "values");
    CHECK(v && v->type == MSGPACK_OBJECT_ARRAY && v->via.array.size == 1);
    v = nmirf_mp_get(m, "n");
    CHECK(v && v->type == MSGPACK_OBJECT_NEGATIVE_INTEGER && v->via.i64 == -3);
    v = nmirf_mp_get(m, "f");
    CHECK(v && v->type == MSGPACK_OBJECT_BOOLEAN && v->via.boolean);
    CHECK(!nmirf_mp_get(m, "local"));
    msgpack_unpacked_destroy(&u);

    /* The refusals: none runs the command. */
    const char *no_lead[] = {"cmd", "X", NULL};
    const char *three[] = {"cmd", "X", "-l", "MJ", "-c", "A", "-c", "B", "-c", "C", NULL};
    const char *over[] = {"cmd", "X", "-l", "MJ", "--limit", "11", NULL};
    const char *bad_point[] = {"cmd", "X", "-l", "MJ", "--point", "2025-01-01", NULL};
    const char *no_arg[] = {"cmd", "-l", "MJ", NULL};
    const char *two_args[] = {"cmd", "X", "Y", "-l", "MJ", NULL};
    const char *bad_arg[] = {"cmd", "has space", "-l", "MJ", NULL};
    const char *unknown[] = {"cmd", "X", "-l", "MJ", "--bogus", NULL};
    const char *no_value[] = {"cmd", "X", "--lead", NULL};
    const char **usage[] = {no_lead,  three,   over,    bad_point, no_arg,
                            two_args, bad_arg, unknown, no_value};
    for (size_t i = 0; i < sizeof usage / sizeof usage[0]; i++)
        CHECK(s_test_line(&cli, &spec, usage[i]) == CLI_EXIT_USAGE);
    CHECK(s_test_runs == 1);

    /* --json anywhere, --help succeeds without running. */
    const char *json[] = {"cmd", "--json", "X", "-l", "MJ", NULL};
    CHECK(s_test_line(&cli, &spec, json) == CLI_EXIT_OK && cli.json && s_test_runs == 2);
    const char *help[] = {"cmd", "--help", NULL};
    CHECK(s_test_line(&cli, &spec, help) == CLI_EXIT_OK && s_test_runs == 2);

    /* The usage line, cut under 80 columns. */
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (f) {
        cli_spec_usage(&spec, "usage: ", f);
        fclose(f);
        CHECK(strncmp(text,
                      "usage: nmirf test cmd ID --lead ID [--contributor ID]... "
                      "[--limit N]\n",
                      60) == 0);
        for (char *line = text; line && *line; line = strchr(line, '\n') + 1)
            CHECK(strcspn(line, "\n") < WIDTH);
        free(text);
    }

    /* What a flat list cannot say: a global option before the path, the
       forms, options that exclude each other, options within another,
       --json, the group's flag alias; as text and as roff. */
    static const cli_opt_spec_t extra_opts[] = {
        {CLI_OPT("follow", 'f', NULL, CLI_FLAG, NULL, "follow")},
        {CLI_OPT("since", 's', "N", CLI_UINT, NULL, "since")},
        {CLI_OPT("measure", 'm', "ID", CLI_UINT, NULL, "a measure")},
        {CLI_OPT("value", 'V', "D=V", CLI_STR, NULL, "a value"), .flags = CLI_REPEAT,
         .within = "measure"},
        {CLI_OPT("target", 'T', "N", CLI_STR, NULL, "a target"), .within = "measure",
         .flags = CLI_WITH_HEAD},
        {CLI_JSON(NULL), .alt = "csv"},
        {CLI_OPT("csv", 'C', NULL, CLI_FLAG, NULL, "CSV")},
        {0},
    };
    static const char *const extra_forms[] = {"since measure json", "+follow since",
                                              NULL};
    static const cli_cmd_spec_t extra = {.path = "test more",
                                         .topic = "test",
                                         .opts = extra_opts,
                                         .global = "-a DIR",
                                         .flag_alias = "--more",
                                         .forms = extra_forms,
                                         .run = s_test_run};
    unit_case = "cli_spec_test: usage extras";
    s_test_usage_extras(&extra);
    text = NULL;
    len = 0;
    f = open_memstream(&text, &len);
    if (f) {
        cli_spec_usage(&extra, "usage: ", f);
        fclose(f);
        const char *want =
            "usage: nmirf -a DIR test more [--since N] [--measure ID [--value D=V]...\n"
            "                              --target N] [--json | --csv]\n"
            "       nmirf -a DIR test more --follow [--since N]\n"
            "       nmirf -a DIR test --more [--since N] [--measure ID [--value D=V]...\n"
            "                                --target N] [--json | --csv]\n"
            "       nmirf -a DIR test --more --follow [--since N]\n";
        CHECK(strcmp(text, want) == 0, "usage:\n%s", text);
        free(text);
    }
    text = NULL;
    len = 0;
    f = open_memstream(&text, &len);
    if (f) {
        s_entries(&extra, true, "", false, f);
        fclose(f);
        /* The first entry whole; the alias's path in the third. */
        const char *first = ".HP 4\n.B nmirf\n\\fB\\-a\\fR\\ \\fIDIR\\fR\n.B test more\n"
                            "[\\fB\\-\\-since\\fR\\ \\fIN\\fR]\n"
                            "[\\fB\\-\\-measure\\fR\\ \\fIID\\fR\n"
                            "[\\fB\\-\\-value\\fR\\ \\fID=V\\fR]...\\&\n"
                            "\\fB\\-\\-target\\fR\\ \\fIN\\fR]\n"
                            "[\\fB\\-\\-json\\fR\\ |\\ \\fB\\-\\-csv\\fR]\n"
                            ".HP 4\n";
        CHECK(strncmp(text, first, strlen(first)) == 0, "roff:\n%s", text);
        CHECK(strstr(text, ".B test \\-\\-more\n") != NULL, "roff:\n%s", text);
        free(text);
    }
    /* --json is cli_getopt's; --csv the table's: both read, --json kept. */
    const char *both[] = {"more", "--json", "--csv", NULL};
    cli_t cli3 = {.timeout_ms = 1};
    int runs0 = s_test_runs;
    CHECK(s_test_line(&cli3, &extra, both) == CLI_EXIT_OK && cli3.json &&
          s_test_runs == runs0 + 1);
    /* ...and a form that names no option of the table is caught. */
    static const char *const bad_forms[] = {"since nosuch", NULL};
    static const cli_cmd_spec_t bad_form = {.path = "test bad",
                                            .topic = "test",
                                            .opts = extra_opts,
                                            .forms = bad_forms,
                                            .run = s_test_run};
    int failures0 = unit_failures, checks0 = unit_checks;
    unit_case = "cli_spec_test: an expected bad form (not a failure)";
    s_test_usage_extras(&bad_form);
    int bad = unit_failures - failures0;
    unit_failures = failures0; /* the expected ones do not count */
    unit_checks = checks0;
    unit_case = "cli_spec_test: usage extras";
    /* nosuch; follow, measure and json in no form */
    CHECK(bad == 4, "the bad form gave %d failures, not 4", bad);
    /* ...and a help that lists its values itself but leaves one out (or
       names it only inside another word). */
    static const cli_opt_spec_t listed_opts[] = {
        {CLI_OPT("by", 'B', "VIEW", CLI_ENUM, NULL, "one view:\n  month\n  themes"),
         .set = &s_test_views, .flags = CLI_SET_IN_HELP},
        {0},
    };
    static const cli_cmd_spec_t listed = {
        .path = "test listed", .topic = "test", .opts = listed_opts, .run = s_test_run};
    failures0 = unit_failures;
    checks0 = unit_checks;
    unit_case = "cli_spec_test: an expected unlisted value (not a failure)";
    s_test_usage_extras(&listed);
    bad = unit_failures - failures0;
    unit_failures = failures0;
    unit_checks = checks0;
    unit_case = "cli_spec_test: usage extras";
    CHECK(bad == 2, "the help without theme and sdg gave %d failures, not 2", bad);

    /* A group without its subcommand, and a word that is no command. */
    cli_t cli2 = {.timeout_ms = 1};
    char *rec[] = {"rec", NULL};
    CHECK(cli_spec_dispatch(&cli2, 1, rec) == CLI_EXIT_USAGE);
    char *nosuch[] = {"nosuch", NULL};
    CHECK(cli_spec_dispatch(&cli2, 1, nosuch) == -1);
    /* A command naming its operation's field table: the options give no
       set and no limit, the schema's rows do; an option's own wins. */
    static const cli_opt_spec_t table_opts[] = {
        {CLI_OPT("status", 0, "S", CLI_ENUM, "status", "the status")},
        {CLI_OPT("text", 0, "T", CLI_TEXT, "text", "a text")},
        {CLI_OPT("limit", 0, "N", CLI_UINT, "limit", "at most"), .max = 10},
        {CLI_OPT("mech", 0, "M", CLI_ENUM, NULL, "a mechanism"), .field = "mechanism"},
        {CLI_OPT("unit", 0, "U", CLI_TEXT, NULL, "a unit"),
         .fields = &nmirf_fields_indicator, .field = "unit"},
        {0},
    };
    static const cli_cmd_spec_t table_spec = {.path = "test list",
                                              .topic = "test",
                                              .opts = table_opts,
                                              .fields = &nmirf_fields_rec_list,
                                              .run = s_test_run};
    unit_case = "cli_spec_test: field table";
    CHECK(cli_opt_field(&table_spec, &table_opts[0]) ==
          nmirf_fields_find(&nmirf_fields_rec_list, "status"));
    CHECK(cli_opt_field(&table_spec, &table_opts[3]) ==
          nmirf_fields_find(&nmirf_fields_rec_list, "mechanism"));
    CHECK(cli_opt_field(&table_spec, &table_opts[4]) ==
          nmirf_fields_find(&nmirf_fields_indicator, "unit"));
    CHECK(cli_opt_field(&spec, &opts[0]) == NULL); /* a command without a table */
    char *at_max = malloc(NMIRF_SHORT_MAX + 2);
    if (at_max) {
        memset(at_max, 'x', NMIRF_SHORT_MAX);
        at_max[NMIRF_SHORT_MAX] = 0;
        const char *good[] = {"list",   "--status", "implemented", "--text", at_max,
                              "--mech", "CRC",      "--unit",      at_max,   NULL};
        int runs = s_test_runs;
        CHECK(s_test_line(&cli, &table_spec, good) == CLI_EXIT_OK &&
              s_test_runs == runs + 1);
        at_max[NMIRF_SHORT_MAX] = 'x';
        at_max[NMIRF_SHORT_MAX + 1] = 0;
        const char *long_text[] = {"list", "--text", at_max, NULL};
        const char *long_unit[] = {"list", "--unit", at_max, NULL};
        const char *bad_status[] = {"list", "--status", "done", NULL};
        const char *bad_mech[] = {"list", "--mech", "crc", NULL};
        const char *own_max[] = {"list", "--limit", "11", NULL};
        const char **refused[] = {long_text, long_unit, bad_status, bad_mech, own_max};
        for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
            CHECK(s_test_line(&cli, &table_spec, refused[i]) == CLI_EXIT_USAGE);
        CHECK(s_test_runs == runs + 1);
        free(at_max);
    }
    /* --help lists the row's values. */
    text = NULL;
    len = 0;
    f = open_memstream(&text, &len);
    if (f) {
        cli_spec_options(&table_spec, f);
        fclose(f);
        CHECK(strstr(text, "not_started in_progress partially_implemented") != NULL);
        CHECK(strstr(text, "UPR CAT CCPR") != NULL);
        free(text);
    }

    /* Every command against the schema, so that a field table and the
       options that fill it cannot drift apart. */
    unit_case = "cli_spec_test: commands against the schema";
    size_t with_table = 0;
    for (size_t g = 0; cli_commands[g]; g++)
        for (const cli_cmd_spec_t *c = cli_commands[g]; c->path; c++) {
            with_table += c->fields != NULL;
            for (const cli_opt_spec_t *o = c->args; o && o->name; o++)
                s_test_against_schema(c, o);
            for (const cli_opt_spec_t *o = c->opts; o && o->name; o++)
                s_test_against_schema(c, o);
            s_test_usage_extras(c);
        }
    /* rec export, list and assign, report submit and list, entity enroll
       (measure add and update name the indicator's per option). */
    CHECK(with_table >= 6, "%zu commands name a field table", with_table);
    /* ...and the check sees a drift: a key the table lacks, a kind that
       does not fit. */
    static const cli_opt_spec_t drift_opts[] = {
        {CLI_OPT("nosuch", 0, "S", CLI_TEXT, "nosuch", "no row"), .max = 1},
        {CLI_OPT("status", 0, "S", CLI_TEXT, "status", "not an enum"), .max = 1},
        {0},
    };
    static const cli_cmd_spec_t drift = {.path = "test drift",
                                         .topic = "test",
                                         .opts = drift_opts,
                                         .fields = &nmirf_fields_rec_list,
                                         .run = s_test_run};
    int failures = unit_failures, checks = unit_checks;
    const char *was = unit_case;
    for (const cli_opt_spec_t *o = drift_opts; o->name; o++) {
        unit_case = "cli_spec_test: an expected drift (not a failure)";
        s_test_against_schema(&drift, o);
    }
    int seen = unit_failures - failures;
    unit_failures = failures; /* the expected ones do not count */
    unit_checks = checks;
    unit_case = was;
    CHECK(seen == 2, "the drifted table gave %d failures, not 2", seen);

    msgpack_sbuffer_destroy(&s_test_body);
    return unit_failures;
}
