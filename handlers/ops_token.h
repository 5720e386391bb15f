#ifndef IG_HANDLERS_OPS_TOKEN_H
#define IG_HANDLERS_OPS_TOKEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/limits.h"
#include "store/state.h"

/* Token operator actions (handlers/ops.h: audited before they count),
 * shared by `imapgate token` and any admin endpoint. */

struct audit;
struct ig_config;

/* token create: as state_token_create, plus the `token` `created` record.
 * The secret is valid only on IG_OK. */
enum ig_err ops_token_create(struct state *st, struct audit *a, const struct token_spec *spec,
			     char secret_r[TOKEN_SECRET_LEN + 1], struct token_info *info_r,
			     const char **error_r) IG_MUST_CHECK;

/* token revoke (name or "#ID"): as state_token_revoke, plus the `token`
 * `revoked` record. IG_ENOTFOUND when no active token matches. */
enum ig_err ops_token_revoke(struct state *st, struct audit *a, const char *name_or_id,
			     const char **error_r) IG_MUST_CHECK;

/* token list: every token (revoked and expired ones included) in state.db's
 * order, as a heap array *v_r of *n_r entries the caller frees with free()
 * (NULL when there are none). Read-only, so not audited. IG_ENOMEM or
 * IG_EDB with *error_r ("out of memory" or state_errmsg()). */
enum ig_err ops_token_list(struct state *st, struct token_info **v_r, size_t *n_r,
			   const char **error_r) IG_MUST_CHECK;

/* "revoked", "expired" or "active" at unix time now (static text). */
const char *ops_token_status(const struct token_info *t, int64_t now);

/* Every account a token names must exist in the configuration now; a typo
 * would otherwise be a token that silently reaches nothing. list is "*" or
 * a comma list. On false, *why_r is "empty or over-long account name" (bad
 * is then "") or "no account in the configuration" with the name in bad. */
bool ops_token_accounts_exist(const struct ig_config *cfg, const char *list,
			      char bad[LIM_ACCOUNT_NAME + 1], const char **why_r);

#endif
