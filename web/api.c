/* The admin JSON API (web/api.h): routing and JSON output; the actions are
 * handlers/ops_outbox.h and handlers/ops_account.h. */
#include "web/api.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/config.h"
#include "base/json.h"
#include "handlers/ops.h"
#include "handlers/ops_account.h"
#include "handlers/ops_outbox.h"
#include "store/outbox.h"
#include "store/state.h"

static unsigned
fail(struct buf *out, unsigned status, const char *msg)
{
	buf_puts(out, "{\"error\":");
	buf_json_str(out, sl_from_cstr(msg));
	buf_puts(out, "}");
	return status;
}

static struct json_object *
entry_json(const struct outbox_entry *e, bool full)
{
	struct json_object *o = json_object_new_object();
	char hex[OUTBOX_HASH_HEX + 1];
	size_t i;

	json_object_object_add(o, "id", json_object_new_int64(e->id));
	json_object_object_add(o, "token", json_object_new_string(e->token_name));
	json_object_object_add(o, "account", json_object_new_string(e->account));
	json_object_object_add(o, "state", json_object_new_string(outbox_state_str(e->state)));
	json_object_object_add(o, "path", json_object_new_string(e->autonomous ? "autonomous"
									       : "approval"));
	json_object_object_add(o, "created_at", json_object_new_int64(e->created_at));
	json_object_object_add(o, "updated_at", json_object_new_int64(e->updated_at));
	json_object_object_add(o, "subject", json_object_new_string(e->subject));
	json_object_object_add(o, "recipient_count", json_object_new_int64((int64_t)e->n_rcpts));
	json_object_object_add(o, "decided_by",
			       e->approved_by ? json_object_new_string(e->approved_by) : NULL);
	json_object_object_add(o, "last_error",
			       e->last_error ? json_object_new_string(e->last_error) : NULL);
	if (full) {
		struct json_object *rc = json_object_new_array();

		outbox_hash_hex(e->hash, hex);
		json_object_object_add(o, "hash", json_object_new_string(hex));
		json_object_object_add(o, "mail_from", json_object_new_string(e->mail_from));
		for (i = 0; i < e->n_rcpts; i++)
			json_object_array_add(rc, json_object_new_string(e->rcpts[i]));
		json_object_object_add(o, "rcpt_to", rc);
		/* the exact bytes (7-bit: compose writes QP and encoded words) */
		json_object_object_add(o, "message", json_object_new_string_len(
							     (const char *)e->mime, (int)e->mime_len));
	}
	return o;
}

static void
list_add(const struct outbox_entry *e, void *ctx)
{
	json_object_array_add(ctx, entry_json(e, false));
}

static bool
id_parse(const char *s, size_t len, int64_t *id_r)
{
	int64_t v = 0;
	size_t i;

	if (len == 0 || len > 18)
		return false;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*id_r = v;
	return v > 0;
}

unsigned
admin_outbox_handle(const struct ig_config *cfg, struct audit *audit, const struct token_info *who,
		    const char *method, const char *url, struct slice body, struct buf *out)
{
	const char *rest = url + sizeof(ADMIN_OUTBOX_PATH) - 1;
	struct state *st = NULL;
	struct outbox_entry *e = NULL;
	struct json_object *j = NULL;
	const char *error = NULL;
	const char *action = NULL;
	size_t idlen;
	int64_t id = 0;
	unsigned status = 500;
	enum ig_err err;

	if (!who->admin)
		return fail(out, 403, "this token is not an admin token");
	if (rest[0] == '/')
		rest++;
	idlen = strcspn(rest, "/");
	if (idlen > 0 && !id_parse(rest, idlen, &id))
		return fail(out, 404, "not found");
	if (rest[idlen] == '/')
		action = rest + idlen + 1;
	if (state_open(cfg->data_dir, &st, &error) != IG_OK)
		return fail(out, 500, "the outbox is unavailable");
	if (id == 0) {
		struct json_object *arr;

		if (strcmp(method, "GET") != 0) {
			status = fail(out, 405, "use GET");
			goto out;
		}
		arr = json_object_new_array();
		if (ops_outbox_list(st, false, list_add, arr, &error) != IG_OK) {
			json_object_put(arr);
			status = fail(out, 500, "the outbox is unavailable");
			goto out;
		}
		j = json_object_new_object();
		json_object_object_add(j, "entries", arr);
	} else if (action == NULL) {
		if (strcmp(method, "GET") != 0) {
			status = fail(out, 405, "use GET");
			goto out;
		}
		err = ops_outbox_get(st, id, &e, &error);
		if (err != IG_OK) {
			status = fail(out, err == IG_ENOTFOUND ? 404 : 500,
				      err == IG_ENOTFOUND ? "not found" : "the outbox is unavailable");
			goto out;
		}
		j = entry_json(e, true);
	} else if (strcmp(action, "approve") == 0 || strcmp(action, "reject") == 0) {
		bool approve = action[0] == 'a';
		const char *hash = NULL;
		struct json_object *req = NULL;
		const struct ops_actor actor = {"admin", who->name, true};
		struct json_object *hv = NULL;

		if (strcmp(method, "POST") != 0) {
			status = fail(out, 405, "use POST");
			goto out;
		}
		if (audit == NULL) { /* a decision is never unaudited */
			status = fail(out, 503, "the audit log is unavailable");
			goto out;
		}
		if (body.len > 0) {
			if (json_parse_strict(body, &req, &error) != IG_OK ||
			    !json_object_is_type(req, json_type_object)) {
				json_object_put(req);
				status = fail(out, 400, "the body must be a JSON object");
				goto out;
			}
			if (json_object_object_get_ex(req, "hash", &hv) &&
			    json_object_is_type(hv, json_type_string))
				hash = json_object_get_string(hv);
		}
		error = NULL;
		/* audited before it counts (handlers/ops.h) */
		err = ops_outbox_decide(st, audit, id, approve, &actor, hash, &error);
		json_object_put(req);
		if (err != IG_OK) {
			status = fail(out,
				      err == IG_ENOTFOUND			? 404
				      : err == IG_EEXIST || err == IG_EINVAL ? 409
				      : err == IG_EIO			? 503
									     : 500,
				      err == IG_ENOTFOUND ? "not found"
				      : err == IG_EIO	  ? OP_UNAUDITED
				      : error != NULL	  ? error
				      : err == IG_EEXIST  ? "the entry is not pending"
							  : "the outbox is unavailable");
			goto out;
		}
		j = json_object_new_object();
		json_object_object_add(j, "id", json_object_new_int64(id));
		json_object_object_add(j, "state", json_object_new_string(approve ? "approved"
										   : "rejected"));
	} else {
		status = fail(out, 404, "not found");
		goto out;
	}
	buf_puts(out, json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN));
	status = 200;
out:
	json_object_put(j);
	outbox_entry_free(e);
	state_close(st);
	return status;
}

unsigned
admin_outbox_route(void *ctx, const struct token_info *who, const char *method, const char *url,
		   struct slice body, struct buf *out)
{
	const struct admin_ctx *c = ctx;

	return admin_outbox_handle(c->cfg, c->audit, who, method, url, body, out);
}

static void
account_add(const struct ops_account_status *s, void *ctx)
{
	struct json_object *o = json_object_new_object();
	struct json_object *warm = json_object_new_array();
	size_t i;

	json_object_object_add(o, "name", json_object_new_string(s->cfg->name));
	json_object_object_add(o, "host", json_object_new_string(s->cfg->host));
	json_object_object_add(o, "port", json_object_new_int64(s->cfg->port));
	json_object_object_add(o, "posture", json_object_new_string(posture_str(s->cfg->posture)));
	json_object_object_add(o, "worker_running", s->live ? json_object_new_boolean(s->worker_running)
							    : NULL);
	json_object_object_add(o, "jobs_pending",
			       s->live ? json_object_new_int64((int64_t)s->jobs_pending) : NULL);
	json_object_object_add(o, "connected",
			       s->connected >= 0 ? json_object_new_boolean(s->connected == 1) : NULL);
	json_object_object_add(o, "breaker",
			       s->breaker != NULL ? json_object_new_string(s->breaker) : NULL);
	json_object_object_add(o, "last_sync",
			       s->last_sync != 0 ? json_object_new_int64(s->last_sync) : NULL);
	json_object_object_add(o, "warm_folders_config",
			       s->cfg->warm_folders != NULL
				       ? json_object_new_string(s->cfg->warm_folders)
				       : NULL);
	for (i = 0; i < s->n_warm; i++)
		json_object_array_add(warm, json_object_new_string(s->warm[i]));
	json_object_object_add(o, "warm_folders_recent", warm);
	json_object_object_add(o, "warm_folders_more", json_object_new_boolean(s->warm_more));
	json_object_array_add(ctx, o);
}

unsigned
admin_accounts_route(void *ctx, const struct token_info *who, const char *method, const char *url,
		     struct slice body, struct buf *out)
{
	const struct admin_ctx *c = ctx;
	struct ops_cache_facts cache;
	struct json_object *arr;
	struct json_object *j;

	(void)body;
	if (!who->admin)
		return fail(out, 403, "this token is not an admin token");
	if (strcmp(url, ADMIN_ACCOUNTS_PATH) != 0)
		return fail(out, 404, "not found");
	if (strcmp(method, "GET") != 0)
		return fail(out, 405, "use GET");
	arr = json_object_new_array();
	if (ops_account_status(c->cfg, c->accounts, c->disp, account_add, arr, &cache) != IG_OK) {
		json_object_put(arr);
		return fail(out, 500, "out of memory");
	}
	j = json_object_new_object();
	json_object_object_add(j, "live", json_object_new_boolean(c->accounts != NULL));
	json_object_object_add(j, "cache_present", json_object_new_boolean(cache.present));
	json_object_object_add(j, "cache_readable", json_object_new_boolean(cache.readable));
	json_object_object_add(j, "cache_bytes", json_object_new_int64(cache.bytes));
	json_object_object_add(j, "accounts", arr);
	buf_puts(out, json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN));
	json_object_put(j);
	return 200;
}
