#ifndef IG_SERVER_HTTP_H
#define IG_SERVER_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/slice.h"

/* The HTTP server (libmicrohttpd): routing, header hygiene, Origin/Host
 * checks, bearer authentication, body limits, and the bridge between MHD's
 * suspend/resume and the MCP transport's calls and SSE streams. Callbacks
 * never block. Routes: /mcp, /healthz, the RFC 9728 metadata at
 * /.well-known/oauth-protected-resource[/mcp], and the routes of the table
 * the composition root passes to http_start (cli/serve.c: the admin API of
 * web/api.h). server/ knows nothing of what those routes do. */

struct http;
struct mcp;
struct auth;
struct ig_config;
struct token_info;

/* A route's handler: runs on the HTTP thread (short work only: a state.db
 * or cache.db look-up, like the token check every request does) with the
 * authenticated principal, the method ("POST", "GET", "DELETE" or "OTHER"),
 * the path and the body; writes a JSON body to out and returns the HTTP
 * status. */
typedef unsigned (*http_route_fn)(void *ctx, const struct token_info *who, const char *method,
				  const char *url, struct slice body, struct buf *out);

/* One row of the route table: requests for path prefix, or prefix + "/…",
 * shorter than HTTP_ROUTE_URL bytes, pass the same Origin, Host and bearer
 * checks as /mcp, with a body of at most max_body_preauth bytes, and go to
 * fn. The handler checks the method itself; a 405 it returns carries
 * "Allow: <methods>". */
struct http_route {
	const char *prefix;  /* "/admin/outbox"; no trailing '/' */
	const char *methods; /* the methods it serves: "GET, POST" */
	const char *log_msg; /* the msg of its log line: "admin api" */
	http_route_fn fn;
	void *ctx;           /* borrowed; must outlive the server */
};

#define HTTP_ROUTES_MAX 8  /* rows in the route table */
#define HTTP_ROUTE_URL 64  /* table routes: path bytes, NUL included */

/* Starts listening on cfg->listen_host:listen_port, serving the n_routes
 * rows of routes (copied; at most HTTP_ROUTES_MAX) besides its own. NULL
 * with *error_r. */
struct http *http_start(const struct ig_config *cfg, struct mcp *mcp, struct auth *auth,
			const struct http_route *routes, size_t n_routes, const char **error_r);
/* Stops accepting new connections (in-flight ones continue). */
void http_quiesce(struct http *h);
/* Connections suspended waiting for a call or stream. */
size_t http_suspended(struct http *h);
/* Requests being processed (headers seen, not yet completed). */
size_t http_active(struct http *h);
/* Stops the daemon; every suspended connection must have been woken. */
void http_stop(struct http *h); /* NULL-safe */

#endif
