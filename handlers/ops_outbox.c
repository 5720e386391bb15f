/* Outbox operator actions (handlers/ops_outbox.h): approve and reject,
 * audited before they count, and the read-only list and show. */
#include "handlers/ops_outbox.h"

#include <json-c/json.h>
#include <stdio.h>
#include <time.h>

#include "handlers/ops.h"
#include "handlers/ops_int.h"
#include "store/audit.h"
#include "store/outbox.h"
#include "store/state.h"

enum ig_err
ops_outbox_decide(struct state *st, struct audit *a, int64_t id, bool approve,
		  const struct ops_actor *who, const char *hash_hex, const char **error_r)
{
	char approver[OPS_APPROVER_MAX];
	struct json_object *f;
	enum ig_err err;

	*error_r = NULL;
	(void)snprintf(approver, sizeof(approver), "%s:%s", who->via, who->name);
	if ((err = ops_begin(st, a, error_r)) != IG_OK)
		return err;
	err = approve ? outbox_approve(st, id, approver, hash_hex, (int64_t)time(NULL), error_r)
		      : outbox_reject(st, id, approver, (int64_t)time(NULL));
	if (err != IG_OK) {
		state_tx_rollback(st);
		if (*error_r == NULL)
			*error_r = err == IG_ENOTFOUND ? "not found"
				   : err == IG_EEXIST  ? "the entry is not pending"
						       : state_errmsg();
		return err;
	}
	f = json_object_new_object();
	json_object_object_add(f, "outbox_id", json_object_new_int64(id));
	json_object_object_add(f, "decision",
			       json_object_new_string(approve ? "approved" : "rejected"));
	json_object_object_add(f, "approver", json_object_new_string(approver));
	return ops_audited_commit(st, a, "approval", who->is_token ? who->name : NULL, f,
				  error_r);
}

struct list_filter {
	bool pending_only;
	void (*fn)(const struct outbox_entry *e, void *ctx);
	void *ctx;
};

static void
list_one(const struct outbox_entry *e, void *ctx)
{
	struct list_filter *l = ctx;

	if (l->pending_only && e->state != OUTBOX_PENDING)
		return;
	l->fn(e, l->ctx);
}

enum ig_err
ops_outbox_list(struct state *st, bool pending_only,
		void (*fn)(const struct outbox_entry *e, void *ctx), void *ctx,
		const char **error_r)
{
	struct list_filter l = {pending_only, fn, ctx};
	enum ig_err err = outbox_list(st, -1, LIM_OUTBOX_LIST, list_one, &l);

	*error_r = err != IG_OK ? state_errmsg() : NULL;
	return err;
}

enum ig_err
ops_outbox_get(struct state *st, int64_t id, struct outbox_entry **e_r, const char **error_r)
{
	enum ig_err err = outbox_get(st, id, e_r);

	*error_r = err == IG_OK ? NULL : err == IG_ENOTFOUND ? "not found" : state_errmsg();
	return err;
}
