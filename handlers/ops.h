#ifndef IG_HANDLERS_OPS_H
#define IG_HANDLERS_OPS_H

#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"
#include "store/state.h"

/* Operator actions (docs/audit.md, "Operator actions"): the one place where
 * a human's decision changes state.db, shared by the CLI and the admin API.
 * The rule: an action that cannot be audited does not happen. Each action
 * runs in one state.db transaction; its audit record is written (fdatasync)
 * inside it, before COMMIT; when the record cannot be written the
 * transaction is rolled back and the action fails with IG_EIO and
 * *error_r = OP_UNAUDITED — nothing changed. (Should COMMIT fail after the
 * record was written, or its fdatasync fail, a second record with
 * "committed":false says so, when it can be written.)
 * *error_r (may be NULL on success) is static or state_errmsg() text. */

struct audit;

#define OP_UNAUDITED "the audit log cannot be written; nothing was changed"

/* outbox approve/reject (docs/sending.md). approver is recorded in the outbox
 * ("cli:NAME", "admin:TOKEN"), principal in the record (NULL: the operator
 * at the console). hash_hex (approve only, may be NULL) must match the
 * entry's hash. IG_ENOTFOUND, IG_EEXIST (not pending), IG_EINVAL (hash),
 * IG_EIO (audit), IG_EDB. */
enum ig_err op_outbox_decide(struct state *st, struct audit *a, int64_t id, bool approve,
			     const char *approver, const char *principal, const char *hash_hex,
			     const char **error_r) IG_MUST_CHECK;

/* token create: as state_token_create, plus the `token` `created` record.
 * The secret is valid only on IG_OK. */
enum ig_err op_token_create(struct state *st, struct audit *a, const struct token_spec *spec,
			    char secret_r[TOKEN_SECRET_LEN + 1], struct token_info *info_r,
			    const char **error_r) IG_MUST_CHECK;

/* token revoke (name or "#ID"): as state_token_revoke, plus the `token`
 * `revoked` record. IG_ENOTFOUND when no active token matches. */
enum ig_err op_token_revoke(struct state *st, struct audit *a, const char *name_or_id,
			    const char **error_r) IG_MUST_CHECK;

#endif
