/* tool_start / tool_end records (DESIGN §9), with the provenance of a
 * change or send (store/audit_prov.c): what an agent was shown shortly
 * before it changed or sent something is the first question after a
 * prompt injection. */
#include "handlers/audit_tool.h"

#include <json-c/json.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/audit.h"
#include "store/audit_prov.h"
#include "store/audit_redact.h"
#include "base/clock.h"
#include "base/limits.h"
#include "base/log.h"
#include "handlers/errors.h"

#define FOLDER_INLINE 100   /* folder bytes shown in an id; longer: "fld_<hash>" */
#define CODES_MAX 32        /* distinct warning codes counted per record */
#define CODE_MAX 64

/* The class of argument name in a tool's rule table (NULL-terminated);
 * an argument without a rule is mail text (fail safe). */
static enum audit_arg_class
rule_class(const void *ctx, const char *name)
{
	const struct tool_arg_rule *r;

	for (r = ctx; r != NULL && r->name != NULL; r++) {
		if (strcmp(r->name, name) == 0)
			return r->audit;
	}
	return ARG_AUDIT_TEXT;
}

struct json_object *
audit_tool_redact_args(const struct audit *a, const struct tool_arg_rule *rules,
		       struct json_object *args)
{
	return audit_redact_args(a, rule_class, rules, args);
}

bool
audit_tool_side_effecting(const struct tool_def *t)
{
	return t->min_posture > POSTURE_READONLY || t->rate_class == TOOL_RATE_WRITE ||
	       t->rate_class == TOOL_RATE_DRAFT || t->rate_class == TOOL_RATE_SEND;
}

/* A fresh random call id. */
static void
span_id(struct audit_span *sp)
{
	unsigned char rnd[16];
	size_t i;

	randombytes_buf(rnd, sizeof(rnd));
	for (i = 0; i < sizeof(rnd); i++)
		(void)snprintf(sp->call_id + 2 * i, 3, "%02x", rnd[i]);
}

enum ig_err
audit_tool_start(struct audit *a, const struct tool_def *t, const char *principal,
		 const char *account, struct json_object *args, struct audit_span *sp)
{
	struct json_object *f;
	struct json_object *red;
	char hash[65];
	enum ig_err err;

	memset(sp, 0, sizeof(*sp));
	span_id(sp);
	sp->start_ms = mono_now_ms();
	if (a == NULL)
		return IG_OK;
	red = audit_tool_redact_args(a, t->args, args);
	f = json_object_new_object();
	if (red == NULL || f == NULL) {
		json_object_put(red);
		json_object_put(f);
		return IG_ENOMEM;
	}
	audit_args_hash(a, args, hash);
	json_object_object_add(f, "tool", json_object_new_string(t->name));
	json_object_object_add(f, "call_id", json_object_new_string(sp->call_id));
	json_object_object_add(f, "side_effecting",
			       json_object_new_boolean(audit_tool_side_effecting(t)));
	json_object_object_add(f, "args", red);
	json_object_object_add(f, "args_sha256", json_object_new_string(hash));
	err = audit_append(a, "tool_start", principal, account, f, false);
	json_object_put(f);
	sp->started = err == IG_OK;
	return err;
}

/* --- result summary --- */

struct scan {
	const struct audit *a;
	struct json_object *ids;      /* listed (LIM_AUDIT_IDS) */
	struct json_object *all_ids;  /* for provenance (LIM_AUDIT_PROV_IDS) */
	size_t ids_total;
	size_t bytes;
	size_t warnings;
	struct json_object *codes;
	size_t nodes;
};

static void
id_add(struct scan *s, const char *id)
{
	s->ids_total++;
	if (json_object_array_length(s->ids) < LIM_AUDIT_IDS)
		json_object_array_add(s->ids, json_object_new_string(id));
	if (json_object_array_length(s->all_ids) < LIM_AUDIT_PROV_IDS)
		json_object_array_add(s->all_ids, json_object_new_string(id));
}

static void
folder_part(const struct audit *a, const char *folder, char *out, size_t outsz)
{
	if (folder == NULL)
		(void)snprintf(out, outsz, "%s", "");
	else if (strlen(folder) > FOLDER_INLINE)
		audit_hash_value(a, "fld_", folder, strlen(folder), out, outsz);
	else
		(void)snprintf(out, outsz, "%s", folder);
}

static void
warning_codes(struct scan *s, struct json_object *arr)
{
	struct json_object *code;
	struct json_object *cnt;
	size_t i;

	s->warnings += json_object_array_length(arr);
	for (i = 0; i < json_object_array_length(arr); i++) {
		const char *c;
		size_t k;

		if (!json_object_object_get_ex(json_object_array_get_idx(arr, i), "code", &code) ||
		    !json_object_is_type(code, json_type_string))
			continue;
		c = json_object_get_string(code);
		for (k = 0; c[k] != '\0'; k++) {
			if (!((c[k] >= 'a' && c[k] <= 'z') || (c[k] >= '0' && c[k] <= '9') ||
			      c[k] == '_'))
				break;
		}
		if (c[k] != '\0' || k == 0 || k > CODE_MAX)
			c = "other";
		if (json_object_object_get_ex(s->codes, c, &cnt))
			json_object_set_int64(cnt, json_object_get_int64(cnt) + 1);
		else if (json_object_object_length(s->codes) < CODES_MAX)
			json_object_object_add(s->codes, c, json_object_new_int64(1));
	}
}

/* Walks v: string bytes everywhere; ids and warnings when in_sc (inside
 * structuredContent). Depth-checked on entry, node count bounded. */
static void /* NOLINTNEXTLINE(misc-no-recursion): depth-checked on entry (above) */
scan_walk(struct scan *s, struct json_object *v, const char *folder, bool in_sc, int depth)
{
	struct json_object *x;
	size_t i;

	if (depth > LIM_JSON_DEPTH || ++s->nodes > LIM_AUDIT_SCAN_NODES)
		return;
	switch (json_object_get_type(v)) {
	case json_type_string:
		s->bytes += (size_t)json_object_get_string_len(v);
		return;
	case json_type_array:
		for (i = 0; i < json_object_array_length(v); i++)
			scan_walk(s, json_object_array_get_idx(v, i), folder, in_sc, depth + 1);
		return;
	case json_type_object:
		break;
	default:
		return;
	}
	if (in_sc) {
		char fp[FOLDER_INLINE + 8];
		char id[AUDIT_PROV_ID_MAX];

		if (json_object_object_get_ex(v, "folder", &x) &&
		    json_object_is_type(x, json_type_string))
			folder = json_object_get_string(x);
		if (json_object_object_get_ex(v, "uid", &x) && json_object_is_type(x, json_type_int)) {
			folder_part(s->a, folder, fp, sizeof(fp));
			(void)snprintf(id, sizeof(id), "%s/%lld", fp,
				       (long long)json_object_get_int64(x));
			id_add(s, id);
		} else if (json_object_object_get_ex(v, "message_id", &x) &&
			   json_object_is_type(x, json_type_string)) {
			audit_hash_value(s->a, "mid_", json_object_get_string(x),
					 (size_t)json_object_get_string_len(x), id, sizeof(id));
			id_add(s, id);
		}
		if (json_object_object_get_ex(v, "security_warnings", &x) &&
		    json_object_is_type(x, json_type_array))
			warning_codes(s, x);
	}
	json_object_object_foreach(v, key, val)
	{
		const char *f = folder;
		struct json_object *m;

		if (depth == 0 && strcmp(key, "structuredContent") == 0) {
			/* meta.folder names the folder of the whole result, or
			 * untrusted.folder when the server named it (create_draft) */
			if ((json_object_object_get_ex(val, "meta", &m) &&
			     json_object_object_get_ex(m, "folder", &x) &&
			     json_object_is_type(x, json_type_string)) ||
			    (json_object_object_get_ex(val, "untrusted", &m) &&
			     json_object_object_get_ex(m, "folder", &x) &&
			     json_object_is_type(x, json_type_string)))
				f = json_object_get_string(x);
			scan_walk(s, val, f, true, depth + 1);
		} else {
			scan_walk(s, val, folder, in_sc, depth + 1);
		}
	}
}

/* An error code as recorded: a code of the table (handlers/errors.c),
 * else ERR_UNKNOWN (a tool's code is never free text). */
static enum tool_err
code_checked(const char *s)
{
	enum tool_err e = TOOL_ERR_UNKNOWN;

	(void)tool_err_parse(s, &e);
	return e;
}

static enum tool_err
error_code_of(struct json_object *result)
{
	struct json_object *m;
	struct json_object *e;
	struct json_object *c;

	/* handlers/tools.h TOOL_ERROR_META */
	if (!json_object_object_get_ex(result, "_meta", &m) ||
	    !json_object_object_get_ex(m, "imapgate/error", &e) ||
	    !json_object_object_get_ex(e, "code", &c) || !json_object_is_type(c, json_type_string))
		return TOOL_ERR_UNKNOWN;
	return code_checked(json_object_get_string(c));
}

enum ig_err
audit_tool_end(struct audit *a, const struct tool_def *t, const char *principal,
	       const char *account, const struct audit_span *sp, struct json_object *result,
	       int rpc_error_code)
{
	struct scan s;
	struct json_object *f;
	struct json_object *sum;
	struct json_object *prov;
	struct json_object *is_err;
	struct json_object *plist;
	const char *pname = principal != NULL ? principal : "-";
	bool side = audit_tool_side_effecting(t);
	int64_t now = mono_now_ms();
	size_t pcount = 0;
	enum ig_err err;

	if (a == NULL)
		return IG_OK;
	memset(&s, 0, sizeof(s));
	s.a = a;
	s.ids = json_object_new_array();
	s.all_ids = json_object_new_array();
	s.codes = json_object_new_object();
	f = json_object_new_object();
	json_object_object_add(f, "tool", json_object_new_string(t->name));
	json_object_object_add(f, "call_id", json_object_new_string(sp->call_id));
	if (rpc_error_code != 0 || result == NULL) {
		json_object_object_add(f, "status", json_object_new_string("rpc_error"));
		json_object_object_add(f, "error_code", json_object_new_int(rpc_error_code));
	} else if (json_object_object_get_ex(result, "isError", &is_err) &&
		   json_object_get_boolean(is_err)) {
		enum tool_err e = error_code_of(result);

		/* a job the client cancelled and the worker stopped (B5) */
		json_object_object_add(f, "status",
				       json_object_new_string(e == TOOL_ERR_CANCELLED ? "cancelled"
										 : "error"));
		json_object_object_add(f, "error_code", json_object_new_string(tool_err_code(e)));
	} else {
		json_object_object_add(f, "status", json_object_new_string("ok"));
		json_object_object_add(f, "error_code", NULL);
	}
	json_object_object_add(f, "duration_ms", json_object_new_int64(now - sp->start_ms));
	if (result != NULL)
		scan_walk(&s, result, NULL, false, 0);
	sum = json_object_new_object();
	json_object_object_add(sum, "ids", json_object_get(s.ids));
	json_object_object_add(sum, "ids_total", json_object_new_int64((int64_t)s.ids_total));
	json_object_object_add(sum, "bytes", json_object_new_int64((int64_t)s.bytes));
	json_object_object_add(sum, "warnings", json_object_new_int64((int64_t)s.warnings));
	json_object_object_add(sum, "warning_codes", json_object_get(s.codes));
	json_object_object_add(f, "result_summary", sum);
	/* Provenance: what this principal was shown before this call. */
	plist = side ? json_object_new_array() : NULL;
	audit_prov_list(audit_prov_of(a), pname, now, plist, &pcount);
	prov = json_object_new_object();
	json_object_object_add(prov, "window_s", json_object_new_int(LIM_AUDIT_PROV_WINDOW_S));
	json_object_object_add(prov, "count", json_object_new_int64((int64_t)pcount));
	if (plist != NULL)
		json_object_object_add(prov, "ids", plist);
	json_object_object_add(f, "provenance", prov);
	err = audit_append(a, "tool_end", principal, account, f, false);
	if (!side && t->rate_class == TOOL_RATE_READ) {
		/* Ids carry the account so that provenance names the mailbox. */
		struct json_object *q = json_object_new_array();
		size_t i;

		for (i = 0; i < json_object_array_length(s.all_ids); i++) {
			char id[AUDIT_PROV_ID_MAX];

			(void)snprintf(id, sizeof(id), "%s:%s", account != NULL ? account : "",
				       json_object_get_string(json_object_array_get_idx(s.all_ids, i)));
			json_object_array_add(q, json_object_new_string(id));
		}
		audit_prov_add(audit_prov_of(a), pname, q, now);
		json_object_put(q);
	}
	json_object_put(f);
	json_object_put(s.ids);
	json_object_put(s.all_ids);
	json_object_put(s.codes);
	return err;
}

enum ig_err
audit_tool_rejected(struct audit *a, const struct tool_def *t, const char *principal,
		    const char *account, const char *error_code)
{
	struct audit_span sp;
	struct json_object *f;
	enum ig_err err;

	if (a == NULL || t == NULL)
		return IG_OK;
	memset(&sp, 0, sizeof(sp));
	span_id(&sp);
	f = json_object_new_object();
	if (f == NULL)
		return IG_ENOMEM;
	json_object_object_add(f, "tool", json_object_new_string(t->name));
	json_object_object_add(f, "call_id", json_object_new_string(sp.call_id));
	json_object_object_add(f, "status", json_object_new_string("rejected"));
	json_object_object_add(f, "error_code",
			       json_object_new_string(tool_err_code(code_checked(error_code))));
	json_object_object_add(f, "duration_ms", json_object_new_int64(0));
	err = audit_append(a, "tool_end", principal, account, f, false);
	json_object_put(f);
	return err;
}
