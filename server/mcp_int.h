#ifndef IG_SERVER_MCP_INT_H
#define IG_SERVER_MCP_INT_H

/* Internals shared by server/mcp.c (request handling) and server/mcp_call.c
 * (in-flight calls). */

#include <json-c/json.h>
#include <pthread.h>

#include "handlers/call.h"
#include "server/mcp.h"

#define MCP_SSE_RETRY_MS 1000 /* retry: hint sent with the priming event */

struct mcp {
	const struct ig_config *cfg;
	const struct tool_registry *tools;
	struct workq *wq;
	struct accounts *accounts;
	struct disp *disp; /* the dispatch chain every tools/call goes through */
	bool own_disp;
	struct sess_table *sessions;
	struct stream_hub *hub;
	pthread_mutex_t lock; /* in-flight list, stateless stream ids */
	struct mcp_call *inflight;
	uint64_t next_stateless_stream;
};

/* What an in-flight call runs: one tools/call, or a 2025-03-26 batch. */
struct mcp_call {
	pthread_mutex_t lock;
	unsigned refs;
	struct mcp *m;
	struct mcp_call *next; /* m->inflight */
	struct sess *sess;     /* reference, or NULL when stateless */
	bool modern;
	bool accept_sse;
	bool accept_json;
	struct token_info principal;
	struct json_object *id;    /* request id (owned) */
	struct json_object *batch; /* owned; a batch instead of one tool call */
	struct tool_call tc;
	struct json_object *client_caps; /* owned */
	enum mcp_call_state state;
	struct stream *stream;
	unsigned status;
	struct buf body;
	void *conn;
	void (*wake)(void *conn);
	bool suspended;
	bool cancelled;
};

/* Serializes compact JSON (one line). Returned text lives as long as obj. */
const char *mcp_json_text(struct json_object *obj, size_t *len_r);

/* Builds {"jsonrpc":"2.0","id":id,"error":{code,message[,data]}}; takes data. */
struct json_object *mcp_error_msg(struct json_object *id, int code, const char *message,
				  struct json_object *data);
/* Builds {"jsonrpc":"2.0","id":id,"result":result}; takes result. */
struct json_object *mcp_result_msg(struct json_object *id, struct json_object *result);

/* Creates a call (one reference for the caller). */
struct mcp_call *mcp_call_new(struct mcp *m, struct sess *sess, bool modern,
			      const struct mcp_request *req, struct json_object *id);
/* Queues the call on the executor (a second reference travels with the job);
 * runs it inline without an executor. IG_EBUSY when the queue is full. */
enum ig_err mcp_call_start(struct mcp_call *c);
/* Cancels the in-flight call of sess with this request id (notifications/cancelled). */
void mcp_call_cancel_by_id(struct mcp *m, struct sess *sess, struct json_object *id);

/* Dispatches one legacy request synchronously (batches run on the executor);
 * returns the response message or NULL for a notification. */
struct json_object *mcp_legacy_sync(struct mcp *m, struct sess *sess,
				    const struct token_info *principal, struct json_object *msg);
/* Runs a tool call to completion on the calling thread (for batches).
 * Returns the response message. */
struct json_object *mcp_tool_call_sync(struct mcp *m, const struct token_info *principal,
				       struct sess *sess, struct json_object *id,
				       struct json_object *params);
/* Prepares c->tc from tools/call params; on a protocol error returns the
 * error response message (and leaves c untouched), else NULL. */
struct json_object *mcp_tool_prepare(struct mcp *m, struct tool_call *tc,
				     const struct token_info *principal,
				     struct json_object *params, struct json_object *id,
				     bool modern, int session_log_level);
/* Turns a finished tool_call into the response message. */
struct json_object *mcp_tool_response(struct tool_call *tc, struct json_object *id, bool modern);

#endif
