/* Audit-log operator actions (handlers/ops_audit.h): the record filter of
 * `audit query`, the checkpoint lookup of `audit verify`, and the opening
 * of the log for audited actions. */
#include "handlers/ops_audit.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "base/config.h"
#include "store/audit.h"
#include "store/audit_verify.h"

/* Token changes and outbox decisions are audited (DESIGN §9) and fsync'ed
 * before they count. */
enum ig_err
ops_audit_open(const struct ig_config *cfg, struct audit **a_r, const char **error_r)
{
	enum ig_err err;

	*error_r = NULL;
	if ((err = audit_open(cfg->data_dir, a_r, error_r)) != IG_OK)
		return err;
	audit_set_max_bytes(*a_r, cfg->audit_max_bytes);
	return IG_OK;
}

struct query {
	const struct ops_audit_filter *q;
	bool (*fn)(const char *line, size_t len, void *ctx);
	void *ctx;
	uint64_t passed;
};

static bool
field_is(struct json_object *rec, const char *key, const char *want)
{
	struct json_object *v;

	return json_object_object_get_ex(rec, key, &v) && json_object_is_type(v, json_type_string) &&
	       strcmp(json_object_get_string(v), want) == 0;
}

static bool
query_one(const char *line, size_t len, struct json_object *rec, void *ctx)
{
	struct query *qq = ctx;
	const struct ops_audit_filter *q = qq->q;
	struct json_object *v;
	int64_t ms;

	if (q->have_since || q->have_until) {
		if (!json_object_object_get_ex(rec, "ts", &v) ||
		    !json_object_is_type(v, json_type_string) ||
		    !audit_time_parse(json_object_get_string(v),
				      (size_t)json_object_get_string_len(v), &ms))
			return true;
		if ((q->have_since && ms < q->since_ms) || (q->have_until && ms >= q->until_ms))
			return true;
	}
	if ((q->kind != NULL && !field_is(rec, "kind", q->kind)) ||
	    (q->tool != NULL && !field_is(rec, "tool", q->tool)) ||
	    (q->token != NULL && !field_is(rec, "principal", q->token) &&
	     !field_is(rec, "token", q->token)) ||
	    (q->account != NULL && !field_is(rec, "account", q->account)))
		return true;
	if (!qq->fn(line, len, qq->ctx))
		return false;
	qq->passed++;
	return q->limit == 0 || qq->passed < q->limit;
}

enum ig_err
ops_audit_query(const char *path, const struct ops_audit_filter *q,
		bool (*fn)(const char *line, size_t len, void *ctx), void *ctx)
{
	struct query qq = {q, fn, ctx, 0};

	return audit_scan(path, query_one, &qq);
}

bool
ops_audit_checkpoint_dir(const char *path, char *out, size_t size)
{
	struct stat st;
	char tmp[4096];
	char *slash;

	if (strlen(path) >= sizeof(tmp) || strlen(path) + 4 >= size || stat(path, &st) != 0)
		return false;
	memcpy(tmp, path, strlen(path) + 1);
	while (strlen(tmp) > 1 && tmp[strlen(tmp) - 1] == '/')
		tmp[strlen(tmp) - 1] = '\0';
	if (!S_ISDIR(st.st_mode)) {
		slash = strrchr(tmp, '/');
		if (strcmp(slash != NULL ? slash + 1 : tmp, "audit.jsonl") != 0)
			return false;
		if (slash == NULL)
			(void)snprintf(tmp, sizeof(tmp), ".");
		else
			*slash = '\0';
	}
	(void)snprintf(out, size, "%s/..", tmp);
	return true;
}

enum ig_err
ops_audit_verify(const char *path, const char *data_dir, uint64_t anchor_seq,
		 const char *anchor_hex, struct audit_verify_report *r)
{
	return data_dir != NULL
		       ? audit_verify_checkpoint(path, data_dir, anchor_seq, anchor_hex, r)
		       : audit_verify(path, anchor_seq, anchor_hex, r);
}
