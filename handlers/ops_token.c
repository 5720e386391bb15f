/* Token operator actions: create and revoke, audited before they count
 * (handlers/ops.h), and the read-only list (handlers/ops_token.h). */
#include "handlers/ops_token.h"

#include <json-c/json.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/config.h"
#include "handlers/ops.h"
#include "handlers/ops_int.h"
#include "store/audit.h"

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
ops_token_create(struct state *st, struct audit *a, const struct token_spec *spec,
		 char secret_r[TOKEN_SECRET_LEN + 1], struct token_info *info_r,
		 const char **error_r)
{
	struct token_info tmp;
	enum ig_err err;

	*error_r = NULL;
	secret_r[0] = '\0';
	if (info_r == NULL)
		info_r = &tmp;
	if ((err = ops_begin(st, a, error_r)) != IG_OK)
		return err;
	if ((err = state_token_create(st, spec, secret_r, info_r, error_r)) != IG_OK) {
		state_tx_rollback(st);
		return err;
	}
	err = ops_audited_commit(st, a, "token", NULL, token_fields("created", info_r, NULL),
				 error_r);
	if (err != IG_OK)
		sodium_memzero(secret_r, TOKEN_SECRET_LEN + 1);
	return err;
}

enum ig_err
ops_token_revoke(struct state *st, struct audit *a, const char *name_or_id, const char **error_r)
{
	enum ig_err err;

	*error_r = NULL;
	if ((err = ops_begin(st, a, error_r)) != IG_OK)
		return err;
	if ((err = state_token_revoke(st, name_or_id)) != IG_OK) {
		*error_r = err == IG_ENOTFOUND ? "no active token with this name or id"
					       : state_errmsg();
		state_tx_rollback(st);
		return err;
	}
	return ops_audited_commit(st, a, "token", NULL, token_fields("revoked", NULL, name_or_id),
				  error_r);
}

static void
token_collect(const struct token_info *info, void *ctx)
{
	ops_rows_add(ctx, info);
}

enum ig_err
ops_token_list(struct state *st, struct token_info **v_r, size_t *n_r, const char **error_r)
{
	struct ops_rows rows = {.size = sizeof(struct token_info)};
	void *v;
	enum ig_err err = ops_rows_finish(&rows, state_token_list(st, token_collect, &rows), &v,
					  n_r, error_r);

	*v_r = v;
	return err;
}

const char *
ops_token_status(const struct token_info *t, int64_t now)
{
	if (t->revoked_at != 0)
		return "revoked";
	if (t->expires_at != 0 && now >= t->expires_at)
		return "expired";
	return "active";
}

bool
ops_token_accounts_exist(const struct ig_config *cfg, const char *list,
			 char bad[LIM_ACCOUNT_NAME + 1], const char **why_r)
{
	const char *p = list;

	bad[0] = '\0';
	if (strcmp(list, "*") == 0)
		return true;
	for (;;) {
		size_t len = strcspn(p, ",");

		if (len == 0 || len > LIM_ACCOUNT_NAME) {
			bad[0] = '\0';
			*why_r = "empty or over-long account name";
			return false;
		}
		memcpy(bad, p, len);
		bad[len] = '\0';
		if (config_account_find(cfg, bad) == NULL) {
			*why_r = "no account in the configuration";
			return false;
		}
		if (p[len] == '\0') {
			bad[0] = '\0';
			return true;
		}
		p += len + 1;
	}
}
