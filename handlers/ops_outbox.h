#ifndef IG_HANDLERS_OPS_OUTBOX_H
#define IG_HANDLERS_OPS_OUTBOX_H

#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"
#include "base/limits.h"

/* Outbox operator actions (docs/sending.md), shared by `imapgate outbox`
 * and the admin API: the decisions are audited before they count
 * (handlers/ops.h); list and show are read-only. */

struct audit;
struct outbox_entry;
struct state;

/* Who decides. The outbox records "<via>:<name>" as the approver ("cli:alice",
 * "admin:boss"); the audit record's principal is the token's name for a
 * token (the admin API) and null for the operator at the console (the CLI),
 * as for every record (docs/audit.md). */
struct ops_actor {
	const char *via;  /* "cli" or "admin" */
	const char *name; /* --by NAME, or the admin token's name */
	bool is_token;    /* name is a bearer token's */
};

/* "<via>:<name>", cut to LIM_TOKEN_NAME + 7 bytes. */
#define OPS_APPROVER_MAX (LIM_TOKEN_NAME + 8)

/* outbox approve/reject. hash_hex (approve only, may be NULL) must match
 * the entry's hash. IG_ENOTFOUND ("not found"), IG_EEXIST (not pending:
 * "the entry is not pending"), IG_EINVAL (hash), IG_EIO (audit:
 * OP_UNAUDITED), IG_EDB. */
enum ig_err ops_outbox_decide(struct state *st, struct audit *a, int64_t id, bool approve,
			      const struct ops_actor *who, const char *hash_hex,
			      const char **error_r) IG_MUST_CHECK;

/* outbox list: calls fn for entries newest first, without their bytes, at
 * most LIM_OUTBOX_LIST of them; pending_only skips decided ones. IG_EDB
 * with *error_r (state_errmsg()). */
enum ig_err ops_outbox_list(struct state *st, bool pending_only,
			    void (*fn)(const struct outbox_entry *e, void *ctx), void *ctx,
			    const char **error_r) IG_MUST_CHECK;

/* outbox show: one entry with its exact bytes; *e_r is heap-owned
 * (outbox_entry_free). IG_ENOTFOUND ("not found") or IG_EDB
 * (state_errmsg()) with *error_r. */
enum ig_err ops_outbox_get(struct state *st, int64_t id, struct outbox_entry **e_r,
			   const char **error_r) IG_MUST_CHECK;

#endif
