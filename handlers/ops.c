/* The audit policy every operator action follows (handlers/ops.h): the
 * record is written inside the action's state.db transaction, before
 * COMMIT; no record, no action. Used by handlers/ops_*.c. */
#include "handlers/ops.h"

#include <json-c/json.h>

#include "handlers/ops_int.h"
#include "store/audit.h"
#include "store/state.h"

enum ig_err
ops_begin(struct state *st, struct audit *a, const char **error_r)
{
	enum ig_err err;

	if (a == NULL) {
		*error_r = OP_UNAUDITED;
		return IG_EIO;
	}
	if ((err = state_tx_begin(st)) != IG_OK)
		*error_r = state_errmsg();
	return err;
}

/* Writes the record inside the open transaction, then commits. Takes f. */
enum ig_err
ops_audited_commit(struct state *st, struct audit *a, const char *kind, const char *principal,
		   struct json_object *f, const char **error_r)
{
	enum ig_err err = a != NULL ? audit_append(a, kind, principal, NULL, f, true) : IG_EIO;

	if (err != IG_OK) {
		state_tx_rollback(st);
		/* Usually nothing reached the log; but a record whose fdatasync
		 * failed may have: say that the action did not happen. */
		json_object_object_add(f, "committed", json_object_new_boolean(false));
		if (audit_append(a, kind, principal, NULL, f, true) != IG_OK) {
			/* logged by audit_append */
		}
		json_object_put(f);
		*error_r = OP_UNAUDITED;
		return IG_EIO;
	}
	if ((err = state_tx_commit(st)) != IG_OK) {
		/* The record says it happened; say that it did not. */
		json_object_object_add(f, "committed", json_object_new_boolean(false));
		if (audit_append(a, kind, principal, NULL, f, true) != IG_OK) {
			/* logged by audit_append */
		}
		*error_r = state_errmsg();
	}
	json_object_put(f);
	return err;
}
