/* Operator actions, audited before they count (handlers/ops.c). */
#include "handlers/ops.h"

#include <json-c/json.h>
#include <sodium.h>
#include <stdio.h>
#include <time.h>

#include "store/audit.h"
#include "base/config.h"
#include "store/outbox.h"

/* Writes the record inside the open transaction, then commits. Takes f. */
static enum ig_err
audited_commit(struct state *st, struct audit *a, const char *kind, const char *principal,
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

enum ig_err
op_outbox_decide(struct state *st, struct audit *a, int64_t id, bool approve, const char *approver,
		 const char *principal, const char *hash_hex, const char **error_r)
{
	struct json_object *f;
	enum ig_err err;

	*error_r = NULL;
	if (a == NULL) {
		*error_r = OP_UNAUDITED;
		return IG_EIO;
	}
	if ((err = state_tx_begin(st)) != IG_OK) {
		*error_r = state_errmsg();
		return err;
	}
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
	return audited_commit(st, a, "approval", principal, f, error_r);
}

static struct json_object *
token_fields(const char *event, const struct token_info *t, const char *name)
{
	struct json_object *f = json_object_new_object();

	json_object_object_add(f, "event", json_object_new_string(event));
	json_object_object_add(f, "token", json_object_new_string(t != NULL ? t->name : name));
	json_object_object_add(f, "via", json_object_new_string("cli"));
	if (t != NULL) {
		json_object_object_add(f, "token_id", json_object_new_int64(t->id));
		json_object_object_add(f, "accounts", json_object_new_string(t->accounts));
		json_object_object_add(f, "posture",
				       json_object_new_string(posture_str(t->posture_cap)));
		json_object_object_add(f, "admin", json_object_new_boolean(t->admin));
		json_object_object_add(f, "expires_at", t->expires_at != 0
								 ? json_object_new_int64(t->expires_at)
								 : NULL);
	}
	return f;
}

enum ig_err
op_token_create(struct state *st, struct audit *a, const struct token_spec *spec,
		char secret_r[TOKEN_SECRET_LEN + 1], struct token_info *info_r,
		const char **error_r)
{
	struct token_info tmp;
	enum ig_err err;

	*error_r = NULL;
	secret_r[0] = '\0';
	if (info_r == NULL)
		info_r = &tmp;
	if (a == NULL) {
		*error_r = OP_UNAUDITED;
		return IG_EIO;
	}
	if ((err = state_tx_begin(st)) != IG_OK) {
		*error_r = state_errmsg();
		return err;
	}
	if ((err = state_token_create(st, spec, secret_r, info_r, error_r)) != IG_OK) {
		state_tx_rollback(st);
		return err;
	}
	err = audited_commit(st, a, "token", NULL, token_fields("created", info_r, NULL), error_r);
	if (err != IG_OK)
		sodium_memzero(secret_r, TOKEN_SECRET_LEN + 1);
	return err;
}

enum ig_err
op_token_revoke(struct state *st, struct audit *a, const char *name_or_id, const char **error_r)
{
	enum ig_err err;

	*error_r = NULL;
	if (a == NULL) {
		*error_r = OP_UNAUDITED;
		return IG_EIO;
	}
	if ((err = state_tx_begin(st)) != IG_OK) {
		*error_r = state_errmsg();
		return err;
	}
	if ((err = state_token_revoke(st, name_or_id)) != IG_OK) {
		*error_r = err == IG_ENOTFOUND ? "no active token with this name or id"
					       : state_errmsg();
		state_tx_rollback(st);
		return err;
	}
	return audited_commit(st, a, "token", NULL, token_fields("revoked", NULL, name_or_id),
			      error_r);
}
