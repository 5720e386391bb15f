#ifndef IG_SERVER_MCP_H
#define IG_SERVER_MCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/slice.h"
#include "server/session.h"
#include "store/state.h"

/* The MCP Streamable HTTP transport, dual-era (DESIGN §4.1): legacy sessions
 * (revisions 2025-03-26, 2025-06-18, 2025-11-25) and the stateless revision
 * 2026-07-28. It knows JSON-RPC and MCP, not sockets: server/http.c hands it
 * an authenticated request and turns the reply into HTTP. */

struct mcp;
struct mcp_call;
struct stream;
struct tool_registry;
struct workq;
struct accounts;
struct disp;
struct ig_config;

struct mcp_opts {
	const struct ig_config *cfg;
	const struct tool_registry *tools;
	struct workq *wq; /* executor for tool calls; NULL: run inline (fuzzing) */
	struct accounts *accounts; /* account workers handed to tools; may be NULL */
	struct disp *disp; /* the dispatch chain (borrowed); NULL: mcp_new makes its own */
	size_t max_sessions;
	int64_t session_idle_s;
};

/* Returns a transport, or NULL. Borrowed pointers must outlive it. */
struct mcp *mcp_new(const struct mcp_opts *o);
/* Cancels every stream and frees; in-flight calls must have ended. NULL-safe. */
void mcp_free(struct mcp *m);
/* Periodic work: session expiry, SSE keep-alives. */
void mcp_tick(struct mcp *m, int64_t now);
/* Shutdown, first step: end the standalone GET streams (they never end on
 * their own) so that only real work remains in flight. */
void mcp_cancel_stream_waiters(struct mcp *m);
/* Shutdown: cancel every call and stream so suspended readers end. */
void mcp_cancel_all(struct mcp *m);
size_t mcp_session_count(struct mcp *m);

enum mcp_http_method { MCP_HTTP_POST, MCP_HTTP_GET, MCP_HTTP_DELETE, MCP_HTTP_OTHER };

struct mcp_hdr {
	struct slice v;
	bool present;
};

/* One authenticated HTTP request to the MCP endpoint. */
struct mcp_request {
	enum mcp_http_method method;
	struct slice body;
	bool content_type_json; /* Content-Type is application/json (parameters ignored) */
	bool accept_json;       /* Accept allows application/json */
	bool accept_sse;        /* Accept allows text/event-stream */
	bool accept_present;
	struct mcp_hdr session_id;
	struct mcp_hdr protocol_version;
	struct mcp_hdr mcp_method;
	struct mcp_hdr mcp_name;
	struct mcp_hdr last_event_id;
	/* Mcp-Param-* headers: lookup by the name after the prefix
	 * (case-insensitive); supplied by the HTTP layer. */
	bool (*param_header)(void *ctx, const char *name, struct slice *v_r);
	void *param_ctx;
	const struct token_info *principal;
	uint64_t rid;
};

enum mcp_reply_kind {
	MCP_REPLY_BODY,   /* status + body (possibly empty) */
	MCP_REPLY_STREAM, /* an SSE stream to attach (GET, resumption) */
	MCP_REPLY_CALL,   /* an in-flight call: suspend and poll on wake */
};

struct mcp_reply {
	enum mcp_reply_kind kind;
	unsigned status;
	struct buf body;
	const char *content_type;        /* static; NULL for an empty body */
	char session_id[SESS_ID_LEN + 1]; /* Mcp-Session-Id to send; "" none */
	const char *allow;               /* Allow header for 405 */
	struct stream *stream;           /* MCP_REPLY_STREAM: one reference */
	uint64_t replay_after;           /* attach after this seq (UINT64_MAX: live only) */
	struct mcp_call *call;           /* MCP_REPLY_CALL: one reference */
};

void mcp_reply_init(struct mcp_reply *r);
/* Frees the body and drops stream/call references. NULL-safe. */
void mcp_reply_clear(struct mcp_reply *r);

/* Handles one request. Never blocks: tool calls run on the executor and come
 * back as MCP_REPLY_CALL. */
void mcp_handle(struct mcp *m, const struct mcp_request *req, struct mcp_reply *reply);

/* --- in-flight calls (server/mcp_call.c) --- */

enum mcp_call_state {
	MCP_CALL_RUNNING,   /* nothing to send yet: stay suspended */
	MCP_CALL_STREAMING, /* an SSE stream started: attach *stream_r */
	MCP_CALL_DONE,      /* complete: send status/body as JSON */
};

/* Registers the connection to wake (from any thread) when the call's state
 * changes; returns the state now. With MCP_CALL_RUNNING, suspend(conn) is
 * called under the call's lock so that a wake cannot be lost. */
enum mcp_call_state mcp_call_poll(struct mcp_call *c, void *conn, void (*wake)(void *conn),
				  void (*suspend)(void *conn), struct mcp_reply *out);
/* The connection went away before the call answered: cancel the tool. */
void mcp_call_abandon(struct mcp_call *c);
void mcp_call_unref(struct mcp_call *c); /* NULL-safe */

#endif
