/*  web_stubs - stand-ins for the API and the hub (web.h) until
    client/web/api.cmake brings the real ones: every API request answers
    503 agent_down, the console cannot tell its entity, the hub never has a
    message. They let the core be built and tested alone; the merge of the
    API deletes this file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "web.h"

struct _web_api_t {
    int unused;
};
struct _web_hub_t {
    int unused;
};

web_api_t *
web_api_new(const char *agent_dir)
{
    return calloc(1, sizeof(web_api_t));
}

void
web_api_destroy(web_api_t **self_p)
{
    free(*self_p);
    *self_p = NULL;
}

void
web_api_handle(web_api_t *self, const web_request_t *req, web_response_t *resp)
{
    static const char body[] =
        "{\"code\":\"agent_down\",\"message\":\"the agent does not "
        "answer (the API is not built in)\"}";
    resp->status = 503;
    resp->content_type = "application/json";
    resp->body = strdup(body);
    resp->len = resp->body ? strlen(body) : 0;
    resp->filename = NULL;
}

int
web_api_console(web_api_t *self, char *entity, size_t entity_size, char *role,
                size_t role_size, char *why, size_t whylen)
{
    snprintf(why, whylen, "the agent is not running (no answer on its control socket)");
    return -1;
}

web_hub_t *
web_hub_new(const char *agent_dir)
{
    return calloc(1, sizeof(web_hub_t));
}

void
web_hub_destroy(web_hub_t **self_p)
{
    free(*self_p);
    *self_p = NULL;
}

char *
web_hub_next(web_hub_t *self, uint64_t *cursor, int timeout_ms)
{
    struct timespec ts = {timeout_ms / 1000, (long)(timeout_ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
    return NULL;
}

uint64_t
web_hub_head(web_hub_t *self)
{
    return 0;
}
