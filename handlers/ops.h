#ifndef IG_HANDLERS_OPS_H
#define IG_HANDLERS_OPS_H

/* Operator actions (docs/audit.md, "Operator actions"): the one layer where
 * a human's decision is read or changes state.db, shared by the CLI (cli/)
 * and the admin API (web/api.c), which only parse arguments or route HTTP
 * and format the result. One module per object:
 *   handlers/ops_token.h    token create / list / revoke
 *   handlers/ops_outbox.h   outbox list / show / approve / reject
 *   handlers/ops_audit.h    audit query / verify (read-only)
 *   handlers/ops_account.h  account status (read-only)
 *   handlers/ops_user.h     operator users and the console login
 *
 * The rule: an action that cannot be audited does not happen. Each action
 * that changes state runs in one state.db transaction; its audit record is
 * written (fdatasync) inside it, before COMMIT; when the record cannot be
 * written (or there is no audit log at all) the transaction is rolled back
 * and the action fails with IG_EIO and *error_r = OP_UNAUDITED — nothing
 * changed. (Should COMMIT fail after the record was written, or its
 * fdatasync fail, a second record with "committed":false says so, when it
 * can be written.) *error_r (may be NULL on success) is static or
 * state_errmsg() text. */

#define OP_UNAUDITED "the audit log cannot be written; nothing was changed"

#endif
