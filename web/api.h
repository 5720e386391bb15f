#ifndef IG_WEB_API_H
#define IG_WEB_API_H

#include <stdbool.h>

#include "base/buf.h"
#include "base/slice.h"

/* The admin JSON API (docs/sending.md, docs/deployment.md): HTTP routing
 * and JSON output only; the actions are handlers/ops_*.h. `imapgate serve`
 * (cli/serve.c) registers these routes in the HTTP server, which runs them
 * after the same Origin, Host and bearer checks as /mcp. Only tokens with
 * the admin flag get past these functions: an agent token can never
 * approve, not even its own entry.
 *   GET  /admin/outbox                 entries, newest first
 *   GET  /admin/outbox/ID              one entry: envelope, hash, message
 *   POST /admin/outbox/ID/approve      optional body {"hash": "<hex>"}
 *   POST /admin/outbox/ID/reject
 *   GET  /admin/accounts               account status (handlers/ops_account.h)
 * Each request opens its own short state.db (or cache.db) connection. */

struct accounts;
struct disp;
struct audit;
struct ig_config;
struct token_info;

#define ADMIN_OUTBOX_PATH "/admin/outbox"
#define ADMIN_ACCOUNTS_PATH "/admin/accounts"

/* What the routes need from the server; borrowed, valid while it runs. */
struct admin_ctx {
	const struct ig_config *cfg;
	struct audit *audit;             /* decisions are refused (503) without it */
	const struct accounts *accounts; /* live workers; NULL: none */
	struct disp *disp;               /* live breakers; NULL: none */
};

/* The route handlers (ctx: a struct admin_ctx *). Each writes a JSON body
 * to out and returns the HTTP status (200, 400, 403, 404, 405, 409, 500,
 * 503). url is the request path (under the route's prefix). */
unsigned admin_outbox_route(void *ctx, const struct token_info *who, const char *method,
			    const char *url, struct slice body, struct buf *out);
unsigned admin_accounts_route(void *ctx, const struct token_info *who, const char *method,
			      const char *url, struct slice body, struct buf *out);

/* The outbox route without the context struct. Decisions are written to
 * audit (approval records); without it they are refused (503). */
unsigned admin_outbox_handle(const struct ig_config *cfg, struct audit *audit,
			     const struct token_info *who, const char *method, const char *url,
			     struct slice body, struct buf *out);

#endif
