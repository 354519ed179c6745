/*  fuzz_conf - the config file parser (common/service/nmirf_conf.c).

    Feeds the input as a config file's contents to nmirf_conf_parse over a
    table with every kind of setting. Beyond the sanitizers it checks: an
    accepted file gives every setting it set a value that nmirf_conf_check
    accepts again (so what the daemons read is valid); a refused file
    names the file and a line in each error; the error text never exceeds
    its buffer.
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nmirf_conf.h"

static const nmirf_conf_spec_t s_spec[] = {
    {"data_dir", NMIRF_CONF_PATH, 0, 0, "nmirf-data", "--data"},
    {"request_endpoint", NMIRF_CONF_ENDPOINT, 0, 0, "tcp://127.0.0.1:7710", "-r"},
    {"map_size_mib", NMIRF_CONF_UINT, 1, 1024 * 1024, "1024", "--map-size"},
    {"coordinator", NMIRF_CONF_ENTITY, 0, 0, "COORD", "--coordinator"},
    {"log_level", NMIRF_CONF_LEVEL, 0, 0, "info", "--log-level"},
    {"hook", NMIRF_CONF_STRING, 0, 0, NULL, "--hook"},
    {NULL, 0, 0, 0, NULL, NULL},
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    nmirf_conf_t *conf = nmirf_conf_new(s_spec);
    if (!conf)
        return 0;
    char why[4096];
    memset(why, 'x', sizeof why);
    int rc = nmirf_conf_parse(conf, "f.conf", (const char *)data, size, why, sizeof why);
    if (memchr(why, '\0', sizeof why) == NULL)
        abort(); /* the report overran its buffer */
    if (rc == 0) {
        for (size_t i = 0; s_spec[i].key; i++) {
            const char *v = nmirf_conf_get(conf, s_spec[i].key);
            char again[512];
            if (v && nmirf_conf_check(&s_spec[i], v, again, sizeof again) != 0)
                abort(); /* accepted a value its own check refuses */
            if (v && strlen(v) >= NMIRF_CONF_LINE_MAX)
                abort();
        }
    } else if (strncmp(why, "f.conf:", 7) != 0)
        abort(); /* every error starts with the file and a line */
    nmirf_conf_destroy(&conf);
    return 0;
}
