/* The tool registry, the tool_call interface and the infrastructure tools.
 * MCP revision 2025-11-25 "Tools"; tool names follow its naming rule. */
#include "handlers/tools.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/buf.h"
#include "base/limits.h"
#include "handlers/call.h"
#include "handlers/fence.h"
#include "handlers/tools_fetch.h"
#include "handlers/tools_infra.h"
#include "handlers/tools_read.h"
#include "handlers/tools_search.h"
#include "handlers/tools_send.h"
#include "server/config.h"
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

void
tool_call_error(struct tool_call *call, const char *code, const char *message)
{
	struct json_object *r = json_object_new_object();
	struct json_object *content = json_object_new_array();
	struct json_object *text = json_object_new_object();
	struct json_object *sc = json_object_new_object();
	struct json_object *err = json_object_new_object();
	struct buf b;

	buf_init(&b, 4096);
	buf_appendf(&b, "%s: %s", code, message);
	json_object_object_add(text, "type", json_object_new_string("text"));
	json_object_object_add(text, "text",
			       json_object_new_string(buf_err(&b) == IG_OK ? b.p : code));
	json_object_array_add(content, text);
	json_object_object_add(err, "code", json_object_new_string(code));
	json_object_object_add(err, "message", json_object_new_string(message));
	json_object_object_add(sc, "error", err);
	json_object_object_add(r, "content", content);
	json_object_object_add(r, "structuredContent", sc);
	json_object_object_add(r, "isError", json_object_new_boolean(1));
	buf_free(&b);
	tool_call_result(call, r);
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

void
tool_call_defer(struct tool_call *call)
{
	call->deferred = true;
}

void
tool_call_complete(struct tool_call *call)
{
	if (call->result == NULL && call->rpc_error_code == 0)
		tool_call_error(call, "ERR_INTERNAL", "the tool produced no result");
	if (call->complete != NULL)
		call->complete(call->ctx);
}

void
tool_call_run(struct tool_call *call)
{
	call->def->run(call);
	if (call->deferred)
		return;
	if (call->result == NULL && call->rpc_error_code == 0)
		tool_call_error(call, "ERR_INTERNAL", "the tool produced no result");
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
		out = json_tokener_parse(d->output_schema); /* trusted static text */
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
	return t;
}

/* The production tool families, in tools/list order. */
typedef const struct tool_def *const *(*tool_family_fn)(size_t *n_r);
static const tool_family_fn tool_families[] = {tools_infra, tools_read, tools_search,
						 tools_fetch, tools_thread, tools_send};
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
		schema = json_tokener_parse(d->input_schema); /* trusted static text */
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
	for (i = 0; i < r->n; i++)
		json_object_put(r->tools[i].input_schema);
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
	return true; /* a keyword we do not check here */
}

const char *
tool_args_check(const struct tool_registry *r, const struct tool_def *t, struct json_object *args)
{
	const struct tool_entry *e = tool_entry_find(r, t->name);
	struct json_object *props = NULL;
	struct json_object *req = NULL;
	struct json_object *addl = NULL;
	struct json_object *ps;
	struct json_object *ty;
	size_t i;

	if (e == NULL)
		return "unknown tool";
	if (!json_object_is_type(args, json_type_object))
		return "arguments must be an object";
	(void)json_object_object_get_ex(e->input_schema, "properties", &props);
	(void)json_object_object_get_ex(e->input_schema, "required", &req);
	(void)json_object_object_get_ex(e->input_schema, "additionalProperties", &addl);
	json_object_object_foreach(args, key, val)
	{
		if (props == NULL || !json_object_object_get_ex(props, key, &ps)) {
			if (addl != NULL && json_object_is_type(addl, json_type_boolean) &&
			    !json_object_get_boolean(addl))
				return "unknown argument";
			continue;
		}
		if (json_object_object_get_ex(ps, "type", &ty) &&
		    json_object_is_type(ty, json_type_string) &&
		    !json_type_matches(val, json_object_get_string(ty)))
			return "argument has the wrong type";
	}
	if (req != NULL && json_object_is_type(req, json_type_array)) {
		for (i = 0; i < json_object_array_length(req); i++) {
			const char *name = json_object_get_string(json_object_array_get_idx(req, i));

			if (name != NULL && !json_object_object_get_ex(args, name, NULL))
				return "missing required argument";
		}
	}
	return NULL;
}
