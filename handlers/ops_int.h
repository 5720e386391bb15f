#ifndef IG_HANDLERS_OPS_INT_H
#define IG_HANDLERS_OPS_INT_H

/* Shared by the handlers/ops_*.c files only (the audit policy of
 * handlers/ops.h); nothing outside handlers/ includes it. */

#include <stdbool.h>
#include <stddef.h>

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

/* A growing array of fixed-size rows, filled by a state_*_list callback
 * (ops_rows_add) and handed to the caller by ops_rows_finish. */
struct ops_rows {
	void *v;
	size_t n, cap, size; /* size: bytes of one row */
	bool failed;         /* out of memory: later rows are ignored */
};

/* Appends one row of r->size bytes (doubling growth). */
void ops_rows_add(struct ops_rows *r, const void *row);

/* After the listing (listed: what the state_*_list call returned): on
 * success *v_r and *n_r get the rows (the caller frees *v_r); otherwise the
 * rows are freed, *v_r is NULL and *error_r says why (IG_ENOMEM or IG_EDB). */
enum ig_err ops_rows_finish(struct ops_rows *r, enum ig_err listed, void **v_r, size_t *n_r,
			    const char **error_r) IG_MUST_CHECK;

#endif
