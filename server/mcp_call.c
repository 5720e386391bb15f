/* In-flight tools/call requests and batches. A call starts with nothing sent;
 * its first notification turns the reply into an SSE stream (priming event
 * first), otherwise the result goes out as plain JSON with the status its
 * error needs. This lazy choice lets a 2026-07-28 error carry HTTP 400 and
 * keeps plain curl usage plain. */
#include <stdlib.h>
#include <string.h>

#include "base/limits.h"
#include "base/workq.h"
#include "handlers/dispatch.h"
#include "server/mcp_int.h"
#include "server/session.h"
#include "server/stream.h"

#define TOO_LARGE_MSG                                                                              \
	"{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32603,\"message\":\"response too "   \
	"large\"}}"

struct mcp_call *
mcp_call_new(struct mcp *m, struct sess *sess, bool modern, const struct mcp_request *req,
	     struct json_object *id)
{
	struct mcp_call *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	if (pthread_mutex_init(&c->lock, NULL) != 0) {
		free(c);
		return NULL;
	}
	c->refs = 1;
	c->m = m;
	c->modern = modern;
	c->accept_sse = !req->accept_present || req->accept_sse;
	c->accept_json = !req->accept_present || req->accept_json;
	c->principal = *req->principal;
	c->id = id != NULL ? json_object_get(id) : NULL;
	c->state = MCP_CALL_RUNNING;
	buf_init(&c->body, LIM_HTTP_BODY * 4);
	if (sess != NULL) {
		sess_ref(sess);
		c->sess = sess;
	}
	pthread_mutex_lock(&m->lock);
	c->next = m->inflight;
	m->inflight = c;
	pthread_mutex_unlock(&m->lock);
	return c;
}

static void
mcp_call_unlink(struct mcp_call *c)
{
	struct mcp_call **pp;

	pthread_mutex_lock(&c->m->lock);
	for (pp = &c->m->inflight; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	pthread_mutex_unlock(&c->m->lock);
}

void
mcp_call_unref(struct mcp_call *c)
{
	bool last;

	if (c == NULL)
		return;
	pthread_mutex_lock(&c->lock);
	last = --c->refs == 0;
	pthread_mutex_unlock(&c->lock);
	if (!last)
		return;
	mcp_call_unlink(c);
	tool_call_clear(&c->tc);
	json_object_put(c->id);
	json_object_put(c->batch);
	json_object_put(c->client_caps);
	stream_unref(c->stream);
	sess_unref(c->sess);
	buf_free(&c->body);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

/* Lock held. Wakes the suspended connection so it polls again. */
static void
mcp_call_wake_locked(struct mcp_call *c)
{
	if (c->conn != NULL && c->suspended) {
		c->suspended = false;
		c->wake(c->conn);
	}
}

/* Lock held. Creates the SSE stream on first use: resumable inside a legacy
 * session (so Last-Event-ID can pick it up), primed with an event id. */
static bool
mcp_call_stream_locked(struct mcp_call *c)
{
	struct stream *s;
	uint64_t sid;

	if (c->stream != NULL)
		return true;
	if (c->sess != NULL) {
		sid = sess_next_stream_id(c->sess);
	} else {
		/* atomic: m->lock is taken before call locks elsewhere */
		sid = __atomic_add_fetch(&c->m->next_stateless_stream, 1, __ATOMIC_RELAXED);
	}
	s = stream_new(c->m->hub, sid, c->sess != NULL);
	if (s == NULL)
		return false;
	if (c->sess != NULL && sess_stream_add(c->sess, s) != IG_OK) {
		stream_unref(s);
		return false;
	}
	(void)stream_prime(s, c->sess != NULL ? MCP_SSE_RETRY_MS : 0);
	c->stream = s;
	c->state = MCP_CALL_STREAMING;
	mcp_call_wake_locked(c);
	return true;
}

static void
mcp_call_emit(void *ctx, const char *json, size_t len)
{
	struct mcp_call *c = ctx;

	pthread_mutex_lock(&c->lock);
	if (!c->cancelled && c->accept_sse && mcp_call_stream_locked(c))
		(void)stream_send(c->stream, json, len);
	pthread_mutex_unlock(&c->lock);
}

static bool
mcp_call_is_cancelled(void *ctx)
{
	struct mcp_call *c = ctx;
	bool cancelled;

	pthread_mutex_lock(&c->lock);
	cancelled = c->cancelled || (c->stream != NULL && stream_cancelled(c->stream));
	pthread_mutex_unlock(&c->lock);
	return cancelled;
}

static void
mcp_call_close_stream(void *ctx)
{
	struct mcp_call *c = ctx;

	pthread_mutex_lock(&c->lock);
	/* Only a resumable stream may be cut: the client must be able to
	 * come back for the rest. */
	if (!c->cancelled && c->accept_sse && c->sess != NULL && mcp_call_stream_locked(c))
		stream_close_connection(c->stream);
	pthread_mutex_unlock(&c->lock);
}

/* Delivers the final message: on the stream if one started (or the client
 * accepts only SSE), else as the JSON body. */
static void
mcp_call_finish(struct mcp_call *c, struct json_object *msg, unsigned status)
{
	size_t len = 0;
	const char *text = msg != NULL ? mcp_json_text(msg, &len) : NULL;

	pthread_mutex_lock(&c->lock);
	if (text != NULL && c->stream == NULL && !c->accept_json)
		(void)mcp_call_stream_locked(c);
	if (text != NULL && c->stream != NULL) {
		/* a result the stream cannot carry still ends the call */
		if (stream_finish(c->stream, text, len) != IG_OK)
			(void)stream_finish(c->stream, TOO_LARGE_MSG, strlen(TOO_LARGE_MSG));
	} else {
		c->status = text != NULL ? status : 202;
		buf_reset(&c->body);
		if (text != NULL)
			buf_append(&c->body, text, len);
		if (buf_err(&c->body) != IG_OK) {
			buf_reset(&c->body);
			buf_puts(&c->body, TOO_LARGE_MSG);
			c->status = 500;
		}
		c->state = MCP_CALL_DONE;
	}
	mcp_call_wake_locked(c);
	pthread_mutex_unlock(&c->lock);
}

static void
mcp_call_run_batch(struct mcp_call *c)
{
	struct json_object *out = json_object_new_array();
	struct json_object *resp;
	size_t i;

	for (i = 0; i < json_object_array_length(c->batch); i++) {
		resp = mcp_legacy_sync(c->m, c->sess, &c->principal,
				       json_object_array_get_idx(c->batch, i));
		if (resp != NULL)
			json_object_array_add(out, resp);
	}
	if (json_object_array_length(out) == 0)
		mcp_call_finish(c, NULL, 202);
	else
		mcp_call_finish(c, out, 200);
	json_object_put(out);
}

/* Delivers the tool's result and drops the job's reference. */
static void
mcp_call_complete(void *ctx)
{
	struct mcp_call *c = ctx;
	struct json_object *resp;
	unsigned status;

	/* 2026-07-28 puts protocol errors on HTTP 400 */
	status = c->modern && c->tc.rpc_error_code != 0 ? 400 : 200;
	resp = mcp_tool_response(&c->tc, c->id, c->modern);
	mcp_call_finish(c, resp, status);
	json_object_put(resp);
	mcp_call_unref(c);
}

static void
mcp_call_job(void *arg)
{
	struct mcp_call *c = arg;

	if (c->batch != NULL) {
		mcp_call_run_batch(c);
		mcp_call_unref(c);
		return;
	}
	c->tc.emit = mcp_call_emit;
	c->tc.is_cancelled = mcp_call_is_cancelled;
	c->tc.close_stream = mcp_call_close_stream;
	c->tc.complete = mcp_call_complete;
	c->tc.ctx = c;
	/* The chain delivers through mcp_call_complete exactly once (maybe
	 * from an account worker, maybe before this returns): c is not
	 * touched after this call. */
	disp_call(c->m->disp, &c->tc);
}

enum ig_err
mcp_call_start(struct mcp_call *c)
{
	enum ig_err err;

	pthread_mutex_lock(&c->lock);
	c->refs++; /* the job's */
	pthread_mutex_unlock(&c->lock);
	if (c->m->wq == NULL) {
		mcp_call_job(c);
		return IG_OK;
	}
	err = workq_submit(c->m->wq, mcp_call_job, c);
	if (err != IG_OK) {
		pthread_mutex_lock(&c->lock);
		c->refs--;
		pthread_mutex_unlock(&c->lock);
	}
	return err;
}

enum mcp_call_state
mcp_call_poll(struct mcp_call *c, void *conn, void (*wake)(void *conn),
	      void (*suspend)(void *conn), struct mcp_reply *out)
{
	enum mcp_call_state st;

	pthread_mutex_lock(&c->lock);
	st = c->state;
	switch (st) {
	case MCP_CALL_RUNNING:
		c->conn = conn;
		c->wake = wake;
		c->suspended = true;
		suspend(conn);
		break;
	case MCP_CALL_STREAMING:
		c->conn = NULL;
		out->kind = MCP_REPLY_STREAM;
		out->status = 200;
		stream_ref(c->stream);
		out->stream = c->stream;
		out->replay_after = UINT64_MAX;
		break;
	case MCP_CALL_DONE:
		c->conn = NULL;
		out->kind = MCP_REPLY_BODY;
		out->status = c->status;
		out->content_type = c->body.len > 0 ? "application/json" : NULL;
		buf_reset(&out->body);
		buf_append(&out->body, c->body.p, c->body.len);
		break;
	}
	pthread_mutex_unlock(&c->lock);
	return st;
}

void
mcp_call_abandon(struct mcp_call *c)
{
	pthread_mutex_lock(&c->lock);
	/* A legacy client may resume a stream later; disconnecting is not
	 * cancelling there (2025-11-25). Stateless clients cancel by closing. */
	if (c->modern || c->stream == NULL)
		c->cancelled = true;
	c->conn = NULL;
	c->suspended = false;
	pthread_mutex_unlock(&c->lock);
}

void
mcp_call_cancel_by_id(struct mcp *m, struct sess *sess, struct json_object *id)
{
	struct mcp_call *c;

	if (sess == NULL || id == NULL)
		return;
	pthread_mutex_lock(&m->lock);
	for (c = m->inflight; c != NULL; c = c->next) {
		/* only the same session's calls: ids are per session */
		if (c->sess == sess && c->id != NULL && json_object_equal(c->id, id)) {
			pthread_mutex_lock(&c->lock);
			c->cancelled = true;
			pthread_mutex_unlock(&c->lock);
		}
	}
	pthread_mutex_unlock(&m->lock);
}
