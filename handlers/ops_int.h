#ifndef IG_HANDLERS_OPS_INT_H
#define IG_HANDLERS_OPS_INT_H

/* Shared by the handlers/ops_*.c files only (the audit policy of
 * handlers/ops.h); nothing outside handlers/ includes it. */

#include "base/err.h"

struct audit;
struct json_object;
struct state;

/* Refuses an action without an audit log (IG_EIO, OP_UNAUDITED), else opens
 * its state.db transaction. *error_r is set on failure only. */
enum ig_err ops_begin(struct state *st, struct audit *a, const char **error_r) IG_MUST_CHECK;

/* Writes the record (kind, principal, fields f) inside the transaction
 * ops_begin opened, then commits; when the record cannot be written, rolls
 * back instead (IG_EIO, OP_UNAUDITED). Takes f. */
enum ig_err ops_audited_commit(struct state *st, struct audit *a, const char *kind,
			       const char *principal, struct json_object *f,
			       const char **error_r) IG_MUST_CHECK;

#endif
