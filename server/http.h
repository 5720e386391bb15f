#ifndef IG_SERVER_HTTP_H
#define IG_SERVER_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"

/* The HTTP server (libmicrohttpd): routing, header hygiene, Origin/Host
 * checks, bearer authentication, body limits, and the bridge between MHD's
 * suspend/resume and the MCP transport's calls and SSE streams. Callbacks
 * never block. Routes: /mcp, /healthz, the RFC 9728 metadata at
 * /.well-known/oauth-protected-resource[/mcp], the admin API under
 * /admin/outbox (web/api.h; audit records its decisions). */

struct http;
struct mcp;
struct auth;
struct audit;
struct ig_config;

/* Starts listening on cfg->listen_host:listen_port. NULL with *error_r. */
struct http *http_start(const struct ig_config *cfg, struct mcp *mcp, struct auth *auth,
			struct audit *audit, const char **error_r);
/* Stops accepting new connections (in-flight ones continue). */
void http_quiesce(struct http *h);
/* Connections suspended waiting for a call or stream. */
size_t http_suspended(struct http *h);
/* Requests being processed (headers seen, not yet completed). */
size_t http_active(struct http *h);
/* Stops the daemon; every suspended connection must have been woken. */
void http_stop(struct http *h); /* NULL-safe */

#endif
