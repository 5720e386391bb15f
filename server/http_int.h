#ifndef IG_SERVER_HTTP_INT_H
#define IG_SERVER_HTTP_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "base/slice.h"
#include "server/mcp.h"

/* Internals shared by server/http.c (requests, responses, lifecycle) and
 * server/http_hdr.c (request headers). */

struct MHD_Connection;
struct ig_config;

/* The value of the request header name (one field; MHD joins nothing). */
bool http_hdr_get(struct MHD_Connection *c, const char *name, struct slice *v_r);
/* The same as an optional mcp_hdr (present or not). */
struct mcp_hdr http_hdr_opt(struct MHD_Connection *c, const char *name);
/* 0 when the request head is acceptable (httphead_block_ok over MHD's copy,
 * unique framing fields), else the HTTP status to answer. */
unsigned http_hdr_hygiene(struct MHD_Connection *c, const char *method, const char *version);
/* Whether an Accept value lists type/subtype, type/ * or * / * with a
 * non-zero q. */
bool http_accept_allows(struct slice accept, const char *type, const char *subtype);
/* Whether a Content-Type value is application/json (parameters allowed). */
bool http_content_type_is_json(struct slice ct);
/* Whether v equals one of list[0..n) ignoring ASCII case. */
bool http_list_has_ci(char *const *list, size_t n, struct slice v);
/* Whether the Host value host (accepted by httphead_host_parse; name: its
 * host part) is allowed by the configuration; an allowed_hosts entry
 * without a port matches that host on any port. */
bool http_host_allowed(const struct ig_config *cfg, struct slice host, struct slice name);

#endif
