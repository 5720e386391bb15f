/* The audit policy every operator action follows (handlers/ops.h): the
 * record is written inside the action's state.db transaction, before
 * COMMIT; no record, no action. Used by handlers/ops_*.c, with the row
 * array their listings share. */
#include "handlers/ops.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

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

void
ops_rows_add(struct ops_rows *r, const void *row)
{
	if (r->failed)
		return;
	if (r->n == r->cap) {
		size_t nc = r->cap == 0 ? 16 : r->cap * 2;
		void *nv = realloc(r->v, nc * r->size);

		if (nv == NULL) {
			r->failed = true;
			return;
		}
		r->v = nv;
		r->cap = nc;
	}
	memcpy((char *)r->v + r->n * r->size, row, r->size);
	r->n++;
}

enum ig_err
ops_rows_finish(struct ops_rows *r, enum ig_err listed, void **v_r, size_t *n_r,
		const char **error_r)
{
	*v_r = NULL;
	*n_r = 0;
	*error_r = NULL;
	if (listed != IG_OK || r->failed) {
		*error_r = r->failed ? "out of memory" : state_errmsg();
		free(r->v);
		return r->failed ? IG_ENOMEM : IG_EDB;
	}
	*v_r = r->v;
	*n_r = r->n;
	return IG_OK;
}
