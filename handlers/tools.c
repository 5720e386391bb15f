/* The tool_call interface a tool implementation sees (handlers/tools.h):
 * arguments, principal, results, errors, notifications. The registry is
 * handlers/registry.c, argument validation handlers/schema.c. */
#include "handlers/tools.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/buf.h"
#include "handlers/call.h"
#include "handlers/fence.h"

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

