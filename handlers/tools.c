/* The tool registry, the tool_call interface and the infrastructure tools.
 * MCP revision 2025-11-25 "Tools"; tool names follow its naming rule. */
#include "handlers/tools.h"

#include <errno.h>
#include <stdio.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/buf.h"
#include "base/json.h"
#include "base/limits.h"
#include "base/utf8.h"
#include "handlers/call.h"
#include "handlers/fence.h"
#include "handlers/tools_fetch.h"
#include "handlers/tools_infra.h"
#include "handlers/tools_mutate.h"
#include "handlers/tools_read.h"
#include "handlers/tools_search.h"
#include "handlers/tools_send.h"
#include "base/config.h"
#include "store/state.h"

static const char *const log_level_names[] = {
	"debug", "info", "notice", "warning", "error", "critical", "alert", "emergency",
};

const char *
mcp_log_level_str(enum mcp_log_level l)
{
	return log_level_names[l];
}

bool
mcp_log_level_parse(const char *s, enum mcp_log_level *l_r)
{
	size_t i;

	for (i = 0; i < sizeof(log_level_names) / sizeof(log_level_names[0]); i++) {
		if (strcmp(s, log_level_names[i]) == 0) {
			*l_r = (enum mcp_log_level)i;
			return true;
		}
	}
	return false;
}

/* --- tool_call --- */

struct json_object *
tool_call_args(struct tool_call *call)
{
	return call->args;
}

const struct token_info *
tool_call_principal(struct tool_call *call)
{
	return call->principal;
}

const struct ig_config *
tool_call_config(struct tool_call *call)
{
	return call->cfg;
}

static void
tool_call_emit_obj(struct tool_call *call, const char *method, struct json_object *params)
{
	struct json_object *msg = json_object_new_object();
	const char *text;
	size_t len;

	json_object_object_add(msg, "jsonrpc", json_object_new_string("2.0"));
	json_object_object_add(msg, "method", json_object_new_string(method));
	json_object_object_add(msg, "params", params);
	text = json_object_to_json_string_length(msg, JSON_C_TO_STRING_PLAIN |
							   JSON_C_TO_STRING_NOSLASHESCAPE,
						 &len);
	call->emit(call->ctx, text, len);
	json_object_put(msg);
}

void
tool_call_progress(struct tool_call *call, double progress, double total, const char *message)
{
	struct json_object *p;

	if (call->progress_token == NULL || call->emit == NULL)
		return;
	p = json_object_new_object();
	json_object_object_add(p, "progressToken", json_object_get(call->progress_token));
	json_object_object_add(p, "progress", json_object_new_double(progress));
	if (total > 0)
		json_object_object_add(p, "total", json_object_new_double(total));
	if (message != NULL)
		json_object_object_add(p, "message", json_object_new_string(message));
	tool_call_emit_obj(call, "notifications/progress", p);
}

void
tool_call_log(struct tool_call *call, enum mcp_log_level level, const char *logger,
	      const char *text)
{
	struct json_object *p;

	if (call->min_log_level < 0 || (int)level < call->min_log_level || call->emit == NULL)
		return;
	p = json_object_new_object();
	json_object_object_add(p, "level", json_object_new_string(mcp_log_level_str(level)));
	if (logger != NULL)
		json_object_object_add(p, "logger", json_object_new_string(logger));
	json_object_object_add(p, "data", json_object_new_string(text));
	tool_call_emit_obj(call, "notifications/message", p);
}

bool
tool_call_cancelled(struct tool_call *call)
{
	return call->is_cancelled != NULL && call->is_cancelled(call->ctx);
}

void
tool_call_result(struct tool_call *call, struct json_object *result)
{
	json_object_put(call->result);
	call->result = result;
}

/* An error result has no structuredContent: a client (SDK v1, LangChain,
 * the Inspector) validates any structuredContent it gets against the tool's
 * outputSchema, and an error is not the tool's output. The code reaches the
 * model in the text item and the client program in _meta (TOOL_ERROR_META). */
void
tool_call_error(struct tool_call *call, enum tool_err e, const char *message)
{
	const char *code = tool_err_code(e);
	struct json_object *r = json_object_new_object();
	struct json_object *content = json_object_new_array();
	struct json_object *text = json_object_new_object();
	struct json_object *meta = json_object_new_object();
	struct json_object *err = json_object_new_object();
	struct buf b;

	if (message == NULL)
		message = tool_err_text(e) != NULL ? tool_err_text(e) : tool_err_text(TOOL_ERR_INTERNAL);
	buf_init(&b, 4096);
	buf_appendf(&b, "%s: %s", code, message);
	json_object_object_add(text, "type", json_object_new_string("text"));
	json_object_object_add(text, "text",
			       json_object_new_string(buf_err(&b) == IG_OK ? b.p : code));
	json_object_array_add(content, text);
	json_object_object_add(err, "code", json_object_new_string(code));
	json_object_object_add(err, "message", json_object_new_string(message));
	json_object_object_add(meta, TOOL_ERROR_META, err);
	json_object_object_add(r, "content", content);
	json_object_object_add(r, "isError", json_object_new_boolean(1));
	json_object_object_add(r, "_meta", meta);
	buf_free(&b);
	tool_call_result(call, r);
}

struct json_object *
tool_result_error(struct json_object *result)
{
	struct json_object *meta;
	struct json_object *err;

	if (json_object_object_get_ex(result, "_meta", &meta) &&
	    json_object_object_get_ex(meta, TOOL_ERROR_META, &err) &&
	    json_object_is_type(err, json_type_object))
		return err;
	return NULL;
}

bool
tool_call_sleep(struct tool_call *call, unsigned ms)
{
	struct timespec ts;

	/* Sleep in slices so that a cancellation is noticed promptly. */
	while (ms > 0) {
		unsigned step = ms < 10 ? ms : 10;

		if (tool_call_cancelled(call))
			return false;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)step * 1000000L;
		while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
			;
		ms -= step;
	}
	return !tool_call_cancelled(call);
}

struct json_object *
tool_result_structured(struct json_object *structured)
{
	struct json_object *r = json_object_new_object();
	struct json_object *content = json_object_new_array();
	struct json_object *text = json_object_new_object();
	/* DESIGN §4.4: the text item carries the same data with the untrusted
	 * part fenced (handlers/fence.h). */
	char *t = fence_render(structured, NULL, NULL, NULL);

	json_object_object_add(text, "type", json_object_new_string("text"));
	json_object_object_add(text, "text",
			       json_object_new_string(t != NULL ? t
								: "The result is in structuredContent "
								  "(the text form could not be built)."));
	free(t);
	json_object_array_add(content, text);
	json_object_object_add(r, "content", content);
	json_object_object_add(r, "structuredContent", structured);
	return r;
}

void
tool_call_close_stream(struct tool_call *call)
{
	if (call->close_stream != NULL)
		call->close_stream(call->ctx);
}

struct json_object *
tool_call_client_caps(struct tool_call *call)
{
	return call->client_caps;
}

void
tool_call_rpc_error(struct tool_call *call, int code, const char *message,
		    struct json_object *data)
{
	call->rpc_error_code = code;
	call->rpc_error_message = message;
	json_object_put(call->rpc_error_data);
	call->rpc_error_data = data;
}

const struct cfg_account *
tool_call_account(struct tool_call *call)
{
	return call->account;
}

enum posture
tool_call_posture(struct tool_call *call)
{
	return call->posture;
}

void
tool_call_error_retry(struct tool_call *call, enum tool_err e, const char *message,
		      int64_t retry_after_ms)
{
	struct json_object *err;

	tool_call_error(call, e, message);
	err = tool_result_error(call->result);
	if (err != NULL)
		json_object_object_add(err, "retry_after_ms", json_object_new_int64(retry_after_ms));
}

void
tool_call_defer(struct tool_call *call)
{
	call->deferred = true;
}

void
tool_call_clear(struct tool_call *call)
{
	if (call == NULL)
		return;
	json_object_put(call->args);
	json_object_put(call->progress_token);
	json_object_put(call->result);
	json_object_put(call->rpc_error_data);
	call->rpc_error_data = NULL;
	call->args = NULL;
	call->progress_token = NULL;
	call->result = NULL;
}

/* --- registry --- */

struct tool_entry {
	const struct tool_def *def;
	struct json_object *input_schema;
	char *json; /* this tool's tools/list entry */
	size_t json_len;
};

struct tool_registry {
	struct tool_entry *tools;
	size_t n;
	char *list_json;
	size_t list_len;
};

static bool
tool_name_valid(const char *name)
{
	size_t i;
	size_t len = strlen(name);

	if (len == 0 || len > LIM_TOOL_NAME)
		return false;
	for (i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '-'))
			return false;
	}
	return true;
}

/* Every tool states its policy (DESIGN §4.3, §8, §9): a rate class, and an
 * audit rule for exactly the properties of its input schema. */
static const char *
tool_policy_check(const struct tool_def *d, struct json_object *schema)
{
	struct json_object *props = NULL;
	const struct tool_arg_rule *r;
	size_t n_rules = 0;

	if (d->rate_class == TOOL_RATE_UNSET || d->args == NULL)
		return "tool without a rate class or argument rules";
	(void)json_object_object_get_ex(schema, "properties", &props);
	for (r = d->args; r->name != NULL; r++) {
		if (r->audit < ARG_AUDIT_VERBATIM || r->audit > ARG_AUDIT_SECRET)
			return "argument rule without an audit treatment";
		if (props == NULL || !json_object_object_get_ex(props, r->name, NULL))
			return "argument rule for a property the schema lacks";
		n_rules++;
	}
	if (props != NULL && json_object_object_length(props) != (int)n_rules)
		return "schema property without an argument rule";
	if (d->account_scoped &&
	    (props == NULL || !json_object_object_get_ex(props, "account", NULL)))
		return "account-scoped tool without an `account` property";
	return NULL;
}

/* Informative: the posture a tool and each of its sub-capabilities need
 * (docs/security-model.md), so that an agent can tell "not at this posture"
 * from "not offered". */
static struct json_object *
tool_policy_meta(const struct tool_def *d)
{
	struct json_object *meta = json_object_new_object();
	struct json_object *subs = json_object_new_object();
	const struct tool_arg_rule *r;
	char name[LIM_TOOL_NAME * 2 + 2];

	json_object_object_add(meta, "imapgate/minPosture",
			       json_object_new_string(posture_str(d->min_posture)));
	for (r = d->args; r->name != NULL; r++) {
		if (r->min_posture == POSTURE_READONLY)
			continue;
		(void)snprintf(name, sizeof(name), "%s.%s", d->name, r->name);
		json_object_object_add(subs, name,
				       json_object_new_string(posture_str(r->min_posture)));
	}
	if (json_object_object_length(subs) > 0)
		json_object_object_add(meta, "imapgate/subCapabilities", subs);
	else
		json_object_put(subs);
	return meta;
}

static struct json_object *
tool_def_json(const struct tool_def *d, struct json_object *input_schema, const char **error_r)
{
	struct json_object *t = json_object_new_object();
	struct json_object *ann = json_object_new_object();
	struct json_object *out;

	json_object_object_add(t, "name", json_object_new_string(d->name));
	if (d->title != NULL)
		json_object_object_add(t, "title", json_object_new_string(d->title));
	json_object_object_add(t, "description", json_object_new_string(d->description));
	json_object_object_add(t, "inputSchema", json_object_get(input_schema));
	if (d->output_schema != NULL) {
		out = json_parse_trusted(d->output_schema); /* trusted static text */
		if (out == NULL) {
			*error_r = "bad output schema";
			json_object_put(ann);
			json_object_put(t);
			return NULL;
		}
		json_object_object_add(t, "outputSchema", out);
	}
	if (d->title != NULL)
		json_object_object_add(ann, "title", json_object_new_string(d->title));
	json_object_object_add(ann, "readOnlyHint",
			       json_object_new_boolean((d->hints & TOOL_READ_ONLY) != 0));
	json_object_object_add(ann, "destructiveHint",
			       json_object_new_boolean((d->hints & TOOL_DESTRUCTIVE) != 0));
	json_object_object_add(ann, "idempotentHint",
			       json_object_new_boolean((d->hints & TOOL_IDEMPOTENT) != 0));
	json_object_object_add(ann, "openWorldHint",
			       json_object_new_boolean((d->hints & TOOL_OPEN_WORLD) != 0));
	json_object_object_add(t, "annotations", ann);
	json_object_object_add(t, "_meta", tool_policy_meta(d));
	return t;
}

/* The production tool families, in tools/list order. */
typedef const struct tool_def *const *(*tool_family_fn)(size_t *n_r);
static const tool_family_fn tool_families[] = {tools_infra,  tools_read,   tools_search, tools_fetch,
						 tools_thread, tools_mutate, tools_send};
#define N_FAMILIES (sizeof(tool_families) / sizeof(tool_families[0]))

struct tool_registry *
tool_registry_new(const struct tool_def *const *extra, size_t n_extra, const char **error_r)
{
	const struct tool_def *const *fam[N_FAMILIES + 1];
	size_t n_fam[N_FAMILIES + 1];
	struct tool_registry *r = calloc(1, sizeof(*r));
	struct json_object *arr = NULL;
	size_t n_all = n_extra;
	size_t f = 0;
	size_t k = 0;
	size_t i;
	size_t j;

	for (i = 0; i < N_FAMILIES; i++) {
		fam[i] = tool_families[i](&n_fam[i]);
		n_all += n_fam[i];
	}
	fam[N_FAMILIES] = extra;
	n_fam[N_FAMILIES] = n_extra;
	if (r == NULL)
		return NULL;
	if (n_all > LIM_TOOLS) {
		*error_r = "more tools than LIM_TOOLS";
		free(r);
		return NULL;
	}
	r->tools = calloc(n_all, sizeof(*r->tools));
	arr = json_object_new_array();
	if (r->tools == NULL || arr == NULL)
		goto fail;
	for (i = 0; i < n_all; i++) {
		const struct tool_def *d;
		struct json_object *schema;
		struct json_object *t;

		while (k == n_fam[f]) {
			f++;
			k = 0;
		}
		d = fam[f][k++];
		if (!tool_name_valid(d->name)) {
			*error_r = "invalid tool name";
			goto fail;
		}
		for (j = 0; j < r->n; j++) {
			if (strcmp(r->tools[j].def->name, d->name) == 0) {
				*error_r = "duplicate tool name";
				goto fail;
			}
		}
		schema = json_parse_trusted(d->input_schema); /* trusted static text */
		if (schema == NULL || !json_object_is_type(schema, json_type_object)) {
			json_object_put(schema);
			*error_r = "bad input schema";
			goto fail;
		}
		*error_r = tool_policy_check(d, schema);
		if (*error_r != NULL) {
			json_object_put(schema);
			goto fail;
		}
		r->tools[r->n].def = d;
		r->tools[r->n].input_schema = schema;
		r->n++;
		t = tool_def_json(d, schema, error_r);
		if (t == NULL)
			goto fail;
		r->tools[r->n - 1].json = strdup(json_object_to_json_string_ext(
			t, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		if (r->tools[r->n - 1].json == NULL) {
			json_object_put(t);
			*error_r = "out of memory";
			goto fail;
		}
		r->tools[r->n - 1].json_len = strlen(r->tools[r->n - 1].json);
		json_object_array_add(arr, t);
	}
	r->list_json = strdup(json_object_to_json_string_ext(
		arr, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	if (r->list_json == NULL)
		goto fail;
	r->list_len = strlen(r->list_json);
	json_object_put(arr);
	return r;
fail:
	json_object_put(arr);
	tool_registry_free(r);
	return NULL;
}

void
tool_registry_free(struct tool_registry *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->n; i++) {
		json_object_put(r->tools[i].input_schema);
		free(r->tools[i].json);
	}
	free(r->tools);
	free(r->list_json);
	free(r);
}

static const struct tool_entry *
tool_entry_find(const struct tool_registry *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		if (strcmp(r->tools[i].def->name, name) == 0)
			return &r->tools[i];
	}
	return NULL;
}

const struct tool_def *
tool_registry_find(const struct tool_registry *r, const char *name)
{
	const struct tool_entry *e = tool_entry_find(r, name);

	return e != NULL ? e->def : NULL;
}

struct json_object *
tool_registry_schema(const struct tool_registry *r, const struct tool_def *t)
{
	const struct tool_entry *e = tool_entry_find(r, t->name);

	return e != NULL ? e->input_schema : NULL;
}

const char *
tool_registry_list_json(const struct tool_registry *r, size_t *len_r)
{
	*len_r = r->list_len;
	return r->list_json;
}

size_t
tool_registry_count(const struct tool_registry *r)
{
	return r->n;
}

const struct tool_def *
tool_registry_at(const struct tool_registry *r, size_t i)
{
	return i < r->n ? r->tools[i].def : NULL;
}

const char *
tool_registry_entry_json(const struct tool_registry *r, size_t i, size_t *len_r)
{
	*len_r = r->tools[i].json_len;
	return r->tools[i].json;
}

/* --- argument validation --- */

/* The validator checks the JSON Schema keywords our tools use and ignores
 * the others (annotations such as description/title/default, and the
 * 2020-12 features the conformance fixture uses: $ref, allOf, if/then/else):
 *   type (string or array of strings), enum, const;
 *   strings: valid UTF-8 without NUL (always, anywhere in the arguments),
 *            minLength/maxLength in Unicode code points (JSON Schema's rule);
 *   numbers: minimum, maximum, exclusiveMinimum, exclusiveMaximum; "integer"
 *            means a JSON number without fraction or exponent;
 *   arrays:  items (one schema for every element), minItems, maxItems;
 *   objects: properties, required, additionalProperties. Strict by default:
 *            a member the schema does not list is refused unless the schema
 *            says additionalProperties: true (or gives a schema for them).
 *            A subschema with none of type/properties/additionalProperties
 *            (e.g. only a $ref) is not interpreted.
 * Messages name the argument path with schema-known names and indices only
 * (never client-supplied member names or values). */

struct vctx {
	char *msg;
	size_t msgsz;
};

/* what: static text; with unit != NULL the message reads "what N unit". */
static bool
vfail_n(struct vctx *c, const char *path, const char *what, long long n, const char *unit)
{
	char text[128];

	if (unit != NULL)
		(void)snprintf(text, sizeof(text), "%s %lld %s", what, n, unit);
	else
		(void)snprintf(text, sizeof(text), "%s", what);
	if (path[0] == '\0')
		(void)snprintf(c->msg, c->msgsz, "arguments: %s", text);
	else
		(void)snprintf(c->msg, c->msgsz, "argument `%s`: %s", path, text);
	return false;
}

static bool
vfail(struct vctx *c, const char *path, const char *what)
{
	return vfail_n(c, path, what, 0, NULL);
}

static bool
json_type_matches(struct json_object *v, const char *type)
{
	enum json_type t = json_object_get_type(v);

	if (strcmp(type, "string") == 0)
		return t == json_type_string;
	if (strcmp(type, "integer") == 0)
		return t == json_type_int;
	if (strcmp(type, "number") == 0)
		return t == json_type_int || t == json_type_double;
	if (strcmp(type, "boolean") == 0)
		return t == json_type_boolean;
	if (strcmp(type, "array") == 0)
		return t == json_type_array;
	if (strcmp(type, "object") == 0)
		return t == json_type_object;
	if (strcmp(type, "null") == 0)
		return t == json_type_null;
	return false; /* an unknown type name matches nothing */
}

static bool
v_type(struct json_object *ty, struct json_object *v)
{
	size_t i;

	if (json_object_is_type(ty, json_type_string))
		return json_type_matches(v, json_object_get_string(ty));
	if (!json_object_is_type(ty, json_type_array))
		return true;
	for (i = 0; i < json_object_array_length(ty); i++) {
		struct json_object *e = json_object_array_get_idx(ty, i);

		if (json_object_is_type(e, json_type_string) &&
		    json_type_matches(v, json_object_get_string(e)))
			return true;
	}
	return false;
}

static bool
kw_int(struct json_object *schema, const char *kw, long long *v_r)
{
	struct json_object *k;

	if (!json_object_object_get_ex(schema, kw, &k) ||
	    !(json_object_is_type(k, json_type_int) || json_object_is_type(k, json_type_double)))
		return false;
	*v_r = (long long)json_object_get_int64(k);
	return true;
}

static bool
kw_num(struct json_object *schema, const char *kw, double *v_r)
{
	struct json_object *k;

	if (!json_object_object_get_ex(schema, kw, &k) ||
	    !(json_object_is_type(k, json_type_int) || json_object_is_type(k, json_type_double)))
		return false;
	*v_r = json_object_get_double(k);
	return true;
}

/* Unicode code points in valid UTF-8: bytes that do not continue one. */
static size_t
u8_count(const char *p, size_t len)
{
	size_t n = 0;
	size_t i;

	for (i = 0; i < len; i++)
		n += ((unsigned char)p[i] & 0xc0) != 0x80;
	return n;
}

/* Compares a JSON number with a bound exactly when both are integers. */
static int
num_cmp(struct json_object *v, double bound, struct json_object *schema, const char *kw)
{
	struct json_object *k = NULL;

	(void)json_object_object_get_ex(schema, kw, &k);
	if (json_object_is_type(v, json_type_int) && json_object_is_type(k, json_type_int)) {
		int64_t a = json_object_get_int64(v);
		int64_t b = json_object_get_int64(k);

		return a < b ? -1 : a > b;
	}
	{
		double a = json_object_get_double(v);

		return a < bound ? -1 : a > bound;
	}
}

static bool v_value(struct json_object *schema, struct json_object *v, char *path, size_t plen,
		    int depth, struct vctx *c);

/* Appends ".name" or "[i]" to path (at plen); returns the new length, or
 * 0 when it does not fit (the path is then left as it was). */
static size_t
path_push(char *path, size_t plen, const char *name, size_t idx)
{
	int n;

	if (name != NULL)
		n = snprintf(path + plen, LIM_TOOL_NAME * 2 - plen, "%s%s", plen > 0 ? "." : "",
			     name);
	else
		n = snprintf(path + plen, LIM_TOOL_NAME * 2 - plen, "[%zu]", idx);
	if (n < 0 || (size_t)n >= LIM_TOOL_NAME * 2 - plen) {
		path[plen] = '\0';
		return plen;
	}
	return plen + (size_t)n;
}

static bool
v_object(struct json_object *schema, struct json_object *v, char *path, size_t plen, int depth,
	 struct vctx *c)
{
	struct json_object *props = NULL;
	struct json_object *req = NULL;
	struct json_object *addl = NULL;
	struct json_object *ps;
	size_t i;

	(void)json_object_object_get_ex(schema, "properties", &props);
	(void)json_object_object_get_ex(schema, "required", &req);
	(void)json_object_object_get_ex(schema, "additionalProperties", &addl);
	json_object_object_foreach(v, key, val)
	{
		size_t np;

		if (props != NULL && json_object_object_get_ex(props, key, &ps)) {
			np = path_push(path, plen, key, 0);
			if (!v_value(ps, val, path, np, depth + 1, c))
				return false;
			path[plen] = '\0';
			continue;
		}
		if (json_object_is_type(addl, json_type_boolean) && json_object_get_boolean(addl))
			continue;
		if (json_object_is_type(addl, json_type_object)) {
			if (!v_value(addl, val, path, plen, depth + 1, c))
				return false;
			continue;
		}
		return vfail(c, path, "unknown property");
	}
	if (json_object_is_type(req, json_type_array)) {
		for (i = 0; i < json_object_array_length(req); i++) {
			const char *name = json_object_get_string(json_object_array_get_idx(req, i));

			if (name != NULL && !json_object_object_get_ex(v, name, NULL)) {
				size_t np = path_push(path, plen, name, 0);

				(void)np;
				return vfail(c, path, "required");
			}
		}
	}
	return true;
}

static bool
v_value(struct json_object *schema, struct json_object *v, char *path, size_t plen, int depth,
	struct vctx *c)
{
	struct json_object *k = NULL;
	long long n;
	double d;
	size_t i;

	if (depth > LIM_SCHEMA_DEPTH)
		return vfail(c, path, "nested too deeply");
	if (!json_object_is_type(schema, json_type_object))
		return true; /* `true` schema or something we do not interpret */
	if (json_object_object_get_ex(schema, "type", &k) && !v_type(k, v))
		return vfail(c, path, "wrong type");
	if (json_object_object_get_ex(schema, "const", &k) && !json_object_equal(k, v))
		return vfail(c, path, "not the allowed value");
	if (json_object_object_get_ex(schema, "enum", &k) && json_object_is_type(k, json_type_array)) {
		for (i = 0; i < json_object_array_length(k); i++) {
			if (json_object_equal(json_object_array_get_idx(k, i), v))
				break;
		}
		if (i == json_object_array_length(k))
			return vfail(c, path, "not one of the allowed values");
	}
	switch (json_object_get_type(v)) {
	case json_type_string: {
		size_t len = (size_t)json_object_get_string_len(v);
		size_t cps = u8_count(json_object_get_string(v), len);

		if (kw_int(schema, "minLength", &n) && (long long)cps < n)
			return vfail_n(c, path, "shorter than", n, "characters");
		if (kw_int(schema, "maxLength", &n) && (long long)cps > n)
			return vfail_n(c, path, "longer than", n, "characters");
		break;
	}
	case json_type_int:
	case json_type_double:
		if (kw_num(schema, "minimum", &d) && num_cmp(v, d, schema, "minimum") < 0)
			return vfail(c, path, "below the minimum");
		if (kw_num(schema, "maximum", &d) && num_cmp(v, d, schema, "maximum") > 0)
			return vfail(c, path, "above the maximum");
		if (kw_num(schema, "exclusiveMinimum", &d) &&
		    num_cmp(v, d, schema, "exclusiveMinimum") <= 0)
			return vfail(c, path, "not above the exclusive minimum");
		if (kw_num(schema, "exclusiveMaximum", &d) &&
		    num_cmp(v, d, schema, "exclusiveMaximum") >= 0)
			return vfail(c, path, "not below the exclusive maximum");
		break;
	case json_type_array: {
		size_t len = json_object_array_length(v);
		struct json_object *items = NULL;

		if (kw_int(schema, "minItems", &n) && (long long)len < n)
			return vfail_n(c, path, "fewer than", n, "items");
		if (kw_int(schema, "maxItems", &n) && (long long)len > n)
			return vfail_n(c, path, "more than", n, "items");
		if (json_object_object_get_ex(schema, "items", &items)) {
			for (i = 0; i < len; i++) {
				size_t np = path_push(path, plen, NULL, i);

				if (!v_value(items, json_object_array_get_idx(v, i), path, np,
					     depth + 1, c))
					return false;
				path[plen] = '\0';
			}
		}
		break;
	}
	case json_type_object:
		/* strict where the schema describes an object; a schema we do
		 * not interpret ($ref, combinators) is not guessed at */
		if (json_object_object_get_ex(schema, "properties", NULL) ||
		    json_object_object_get_ex(schema, "type", NULL) ||
		    json_object_object_get_ex(schema, "additionalProperties", NULL))
			return v_object(schema, v, path, plen, depth, c);
		break;
	default:
		break;
	}
	return true;
}

/* Every string (member names too) valid UTF-8 without NUL; the strict
 * request parser already guarantees it, this keeps the guarantee local. */
static bool
strings_clean(struct json_object *v, int depth)
{
	size_t i;

	if (depth > LIM_JSON_DEPTH)
		return false;
	switch (json_object_get_type(v)) {
	case json_type_string: {
		size_t len = (size_t)json_object_get_string_len(v);
		const char *p = json_object_get_string(v);

		return memchr(p, '\0', len) == NULL && u8_valid(p, len);
	}
	case json_type_array:
		for (i = 0; i < json_object_array_length(v); i++) {
			if (!strings_clean(json_object_array_get_idx(v, i), depth + 1))
				return false;
		}
		return true;
	case json_type_object: {
		json_object_object_foreach(v, key, val)
		{
			if (!u8_valid(key, strlen(key)) || !strings_clean(val, depth + 1))
				return false;
		}
		return true;
	}
	default:
		return true;
	}
}

bool
tool_args_check(const struct tool_registry *r, const struct tool_def *t, struct json_object *args,
		char *msg, size_t msgsz)
{
	const struct tool_entry *e = tool_entry_find(r, t->name);
	char path[LIM_TOOL_NAME * 2 + 1];
	struct vctx c = {msg, msgsz};

	path[0] = '\0';
	if (msgsz > 0)
		msg[0] = '\0';
	if (e == NULL)
		return vfail(&c, path, "unknown tool");
	if (!json_object_is_type(args, json_type_object))
		return vfail(&c, path, "must be an object");
	if (!strings_clean(args, 0))
		return vfail(&c, path, "strings must be valid UTF-8 without NUL");
	return v_value(e->input_schema, args, path, 0, 0, &c);
}
