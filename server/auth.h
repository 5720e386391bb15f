#ifndef IG_SERVER_AUTH_H
#define IG_SERVER_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/slice.h"
#include "store/state.h"

/* Bearer-token authentication for the MCP endpoint (RFC 6750 §2.1: the
 * Authorization header only — never the query string or body). */

struct auth;

enum auth_result {
	AUTH_OK,
	AUTH_MISSING, /* no Authorization header, or not a Bearer credential */
	AUTH_INVALID, /* a Bearer token that is unknown, revoked or expired */
	AUTH_ERROR,   /* the state database failed: answer 503, never 200 */
};

/* Opens its own state.db connection under data_dir. NULL with *error_r. */
struct auth *auth_new(const char *data_dir, const char **error_r);
void auth_free(struct auth *a); /* NULL-safe */

/* Verifies the Authorization header value (absent: present=false). The
 * database is consulted on every request so that a revocation made by
 * `imapgate token revoke` in another process applies to the next request.
 * Thread-safe (serialized on one connection). */
enum auth_result auth_check(struct auth *a, struct slice header, bool present,
			    struct token_info *info_r);

struct audit;
/* Audits every 401 from now on as a `token` record with event "rejected"
 * (reason missing | malformed | invalid; for a presented token only the
 * first 8 hex digits of its SHA-256), at most LIM_AUDIT_REJECTS_PER_MIN per
 * minute: the rest are counted, and the count rides on the next record as
 * suppressed_before. audit must outlive a. Call before serving. */
void auth_set_audit(struct auth *a, struct audit *audit);
/* 401s not recorded because of the rate limit, since auth_new. */
uint64_t auth_rejects_suppressed(struct auth *a);

/* Extracts the token68 of a "Bearer" credential (scheme case-insensitive).
 * Returns false when header is not a well-formed Bearer credential. */
bool auth_bearer_parse(struct slice header, struct slice *token_r);

#endif
