#ifndef IG_HANDLERS_TOOLS_H
#define IG_HANDLERS_TOOLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/config.h"
#include "handlers/errors.h"
#include "store/audit_redact.h"

/* Tool definitions and the interface a tool implementation sees. Tool
 * descriptions and schemas are static text, never derived from mail. */

struct json_object;
struct tool_call;
struct token_info;
struct ig_config;

/* MCP log levels (RFC 5424 order). */
enum mcp_log_level {
	MCP_LOG_DEBUG,
	MCP_LOG_INFO,
	MCP_LOG_NOTICE,
	MCP_LOG_WARNING,
	MCP_LOG_ERROR,
	MCP_LOG_CRITICAL,
	MCP_LOG_ALERT,
	MCP_LOG_EMERGENCY,
};
const char *mcp_log_level_str(enum mcp_log_level l);
bool mcp_log_level_parse(const char *s, enum mcp_log_level *l_r);

enum tool_hint {
	TOOL_READ_ONLY = 1 << 0,
	TOOL_DESTRUCTIVE = 1 << 1,
	TOOL_IDEMPOTENT = 1 << 2,
	TOOL_OPEN_WORLD = 1 << 3,
};

/* Rate-limit class of a tool (DESIGN §8): drafts and sends draw on stricter
 * buckets than reads and other changes. TOOL_RATE_UNSET is refused by the
 * registry so that every tool states its class. */
enum tool_rate_class {
	TOOL_RATE_UNSET = 0,
	TOOL_RATE_INFRA, /* list_accounts, use_account: no mail work */
	TOOL_RATE_READ,
	TOOL_RATE_WRITE, /* flags, labels, moves, folders */
	TOOL_RATE_DRAFT,
	TOOL_RATE_SEND,
};

/* One rule per inputSchema property; the registry refuses a tool whose
 * schema has a property without a rule (or a rule without a property). */
struct tool_arg_rule {
	const char *name;
	enum audit_arg_class audit;
	/* A sub-capability (DESIGN §4.3, e.g. search.advanced_query): the
	 * argument may only be used where the effective posture is at least
	 * this. POSTURE_READONLY (0): no extra requirement. */
	enum posture min_posture;
};

struct tool_def {
	const char *name;          /* [A-Za-z0-9_.-]{1,128} */
	const char *title;
	const char *description;
	const char *input_schema;  /* JSON text of the inputSchema (object schema) */
	const char *output_schema; /* JSON text, or NULL */
	unsigned hints;            /* enum tool_hint */
	/* Policy (DESIGN §4.3, §8, §9), enforced by the dispatch chain for
	 * every call: */
	enum posture min_posture;  /* lowest effective posture that may call it */
	enum tool_rate_class rate_class;
	bool account_scoped;       /* takes an `account` argument (mail tools) */
	const struct tool_arg_rule *args; /* terminated by {NULL}; never NULL */
	/* Runs on an executor thread (may block on I/O); never on the HTTP
	 * thread. Sets the result with tool_call_result/tool_call_error. */
	void (*run)(struct tool_call *call);
};

/* --- for tool implementations --- */

/* The validated arguments object (never NULL; {} when absent). Borrowed. */
struct json_object *tool_call_args(struct tool_call *call);
const struct token_info *tool_call_principal(struct tool_call *call);
const struct ig_config *tool_call_config(struct tool_call *call);
/* The account the dispatch chain resolved for an account-scoped tool (the
 * `account` argument, else the token's only account), already checked
 * against the token; NULL for tools that act on no account. Borrowed from
 * the configuration. Tools never resolve accounts themselves. */
const struct cfg_account *tool_call_account(struct tool_call *call);
/* The effective posture of this call (account posture ∩ token cap; the
 * token cap for tools without an account). */
enum posture tool_call_posture(struct tool_call *call);
/* Sends notifications/progress when the caller supplied a progressToken. */
void tool_call_progress(struct tool_call *call, double progress, double total, const char *message);
/* Sends notifications/message when level passes the caller's log level. */
void tool_call_log(struct tool_call *call, enum mcp_log_level level, const char *logger,
		   const char *text);
/* True once the client has cancelled (closed the stream or sent
 * notifications/cancelled); a tool should stop early. */
bool tool_call_cancelled(struct tool_call *call);
/* Sets the CallToolResult; takes ownership of result. */
void tool_call_result(struct tool_call *call, struct json_object *result);
/* The _meta member of an error result holding {code, message,
 * retry_after_ms?}. */
#define TOOL_ERROR_META "imapgate/error"
/* Sets an isError result: content [{type:text, text:"CODE: message"}] and
 * _meta[TOOL_ERROR_META] = {code, message} with code tool_err_code(e)
 * (handlers/errors.h); no structuredContent (it would have to validate
 * against the tool's outputSchema). message NULL: the code's default
 * sentence (tool_err_text), "internal error" for a code without one. */
void tool_call_error(struct tool_call *call, enum tool_err e, const char *message);
/* The same with _meta[TOOL_ERROR_META].retry_after_ms. */
void tool_call_error_retry(struct tool_call *call, enum tool_err e, const char *message,
			   int64_t retry_after_ms);
/* Ends the HTTP connection carrying the response stream without ending the
 * stream; the client resumes with Last-Event-ID (SSE polling). */
void tool_call_close_stream(struct tool_call *call);
/* The client's declared capabilities object, or NULL. Borrowed. */
struct json_object *tool_call_client_caps(struct tool_call *call);
/* Answers with a JSON-RPC error instead of a result; takes data. */
void tool_call_rpc_error(struct tool_call *call, int code, const char *message,
			 struct json_object *data);
/* Marks the call asynchronous: run() returns without a result and the result
 * is delivered when tool_call_complete() is called (from any thread, e.g. an
 * account worker). Keeps executor threads free while an account is slow:
 * a hung account never ties up the threads other accounts need. */
void tool_call_defer(struct tool_call *call);
/* Finishes a deferred call after tool_call_result/_error/_rpc_error: the
 * dispatch chain records the outcome (breaker, audit) and delivers the
 * result. The call must not be touched afterwards. */
void tool_call_complete(struct tool_call *call);
/* Sleeps up to ms, returning early (false) when cancelled. */
bool tool_call_sleep(struct tool_call *call, unsigned ms);

/* The {code, message, retry_after_ms?} object of an error result set by
 * tool_call_error, or NULL. Borrowed from result. */
struct json_object *tool_result_error(struct json_object *result);

/* Builds {content:[{type:text,text:<json of structured>}], structuredContent}
 * from structured (ownership taken) — the usual successful result. */
struct json_object *tool_result_structured(struct json_object *structured);

/* --- the registry --- */

struct tool_registry;

/* Builds the registry from the production tools plus extra (test fixtures),
 * parsing every schema once. NULL with *error_r on a bad definition. */
struct tool_registry *tool_registry_new(const struct tool_def *const *extra, size_t n_extra,
					const char **error_r);
void tool_registry_free(struct tool_registry *r);
const struct tool_def *tool_registry_find(const struct tool_registry *r, const char *name);
/* The tool's parsed inputSchema (borrowed, lives as long as r). */
struct json_object *tool_registry_schema(const struct tool_registry *r, const struct tool_def *t);
/* The `tools` array of tools/list as JSON text, built once. */
const char *tool_registry_list_json(const struct tool_registry *r, size_t *len_r);
/* Tools by index, 0 .. count-1, in registration order. */
size_t tool_registry_count(const struct tool_registry *r);
const struct tool_def *tool_registry_at(const struct tool_registry *r, size_t i);
/* Tool i's tools/list entry as JSON text (lives as long as r). */
const char *tool_registry_entry_json(const struct tool_registry *r, size_t i, size_t *len_r);
/* Validates args strictly against the tool's input schema (the keywords
 * handlers/tools.c lists; strings in code points; unknown members refused
 * unless additionalProperties allows them; nesting up to
 * LIM_SCHEMA_DEPTH). Returns true, or false with a message naming the
 * argument (never echoing client values) in msg. Called by the dispatch
 * chain for every call. */
bool tool_args_check(const struct tool_registry *r, const struct tool_def *t,
		     struct json_object *args, char *msg, size_t msgsz);

#endif
