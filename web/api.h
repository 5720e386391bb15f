#ifndef IG_WEB_API_H
#define IG_WEB_API_H

#include "base/buf.h"
#include "base/slice.h"

/* The admin JSON API for outbox approval (docs/sending.md), served by
 * server/http.c under /admin/outbox after the same Origin, Host and bearer
 * checks as /mcp. Only tokens with the admin flag get past this function:
 * an agent token can never approve, not even its own entry.
 *   GET  /admin/outbox                 entries, newest first
 *   GET  /admin/outbox/ID              one entry: envelope, hash, message
 *   POST /admin/outbox/ID/approve      optional body {"hash": "<hex>"}
 *   POST /admin/outbox/ID/reject
 * Each request opens its own short state.db connection. */

struct audit;
struct ig_config;
struct token_info;

/* True when url belongs to the admin API. */
bool admin_route(const char *url);
/* Handles one request; writes a JSON body to out and returns the HTTP
 * status (200, 400, 403, 404, 405, 409, 500, 503). Decisions are written
 * to audit (approval records); without it they are refused (503). */
unsigned admin_outbox_handle(const struct ig_config *cfg, struct audit *audit,
			     const struct token_info *who, const char *method, const char *url,
			     struct slice body, struct buf *out);

#endif
