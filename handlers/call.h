#ifndef IG_HANDLERS_CALL_H
#define IG_HANDLERS_CALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "handlers/audit_tool.h"
#include "handlers/tools.h"

struct accounts;
struct disp;

/* How the transport runs a tool: it fills a tool_call, runs it on an
 * executor thread, and receives notifications through emit(). The transport
 * owns delivery (which stream, which session); the tool never sees it. */
struct tool_call {
	const struct tool_def *def;
	struct json_object *args;            /* owned */
	const struct token_info *principal;  /* borrowed for the call's lifetime */
	const struct ig_config *cfg;         /* borrowed */
	struct accounts *accounts;           /* borrowed; account workers (NULL: none) */
	struct json_object *progress_token;  /* owned; NULL when none */
	int min_log_level;                   /* -1: send no log notifications */
	/* Delivers one JSON-RPC notification (complete JSON text). */
	void (*emit)(void *ctx, const char *json, size_t len);
	bool (*is_cancelled)(void *ctx);
	/* Ends the HTTP connection carrying the stream without ending the
	 * stream (SSE polling); NULL when the transport cannot resume. */
	void (*close_stream)(void *ctx);
	void *ctx;
	struct json_object *client_caps;     /* borrowed; declared client capabilities or NULL */
	/* Asynchronous tools (IMAP work on an account worker): the tool calls
	 * tool_call_defer() before returning and tool_call_complete() later, from
	 * any thread; complete() then delivers the result. */
	bool deferred;
	void (*complete)(void *ctx);
	/* A JSON-RPC error instead of a result (protocol-level refusal). */
	int rpc_error_code;                  /* 0: none */
	const char *rpc_error_message;       /* static */
	struct json_object *rpc_error_data;  /* owned */
	struct json_object *result;          /* owned; set by the tool */

	/* Set by the dispatch chain (handlers/dispatch.c), the only code that
	 * runs a tool: there is no other entry point to def->run. */
	struct disp *disp;
	const struct cfg_account *account; /* resolved account, or NULL */
	enum posture posture;              /* effective posture */
	int64_t started_ms;
	uint64_t brk_ticket;               /* breaker probe ticket (0: not a probe) */
	bool brk_admitted;                 /* the breaker must hear the outcome */
	bool brk_refused;                  /* the error is the server's refusal of
					    * this call's command: not its health */
	struct audit_span span;            /* ties tool_end to tool_start */
	bool audit_started;
	int pending;                       /* run() return + completion (atomic) */
};
/* Frees args, progress token and result; NULL-safe; not call itself. */
void tool_call_clear(struct tool_call *call);

#endif
