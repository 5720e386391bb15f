/* HTTP/1.1 front end on libmicrohttpd 0.9.75. RFC 9110/9112 for header
 * handling; RFC 6750 and RFC 9728 for the bearer challenge and the
 * protected-resource metadata; the MCP Streamable HTTP transport's security
 * rules (Origin validation, loopback Host checks). Debian's libmicrohttpd
 * accepts duplicate framing headers, so uniqueness is enforced here. */
#include "server/http.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/limits.h"
#include "base/log.h"
#include "server/auth.h"
#include "base/config.h"
#include "server/httpconn.h"
#include "server/httphead.h"
#include "server/http_int.h"
#include "server/mcp.h"
#include "server/stream.h"

#define MCP_PATH "/mcp"
#define PRM_PATH "/.well-known/oauth-protected-resource"
#define PRM_PATH_MCP "/.well-known/oauth-protected-resource/mcp"
#define SSE_BLOCK ((size_t)16 * 1024)

struct http {
	struct MHD_Daemon *d;
	const struct ig_config *cfg;
	struct mcp *mcp;
	struct auth *auth;
	struct http_route routes[HTTP_ROUTES_MAX]; /* the composition root's table */
	size_t n_routes;
	char *prm_json;          /* protected-resource metadata, built once */
	char *challenge;         /* WWW-Authenticate for a missing token */
	char *challenge_invalid; /* ... for a wrong one */
	atomic_ullong next_rid;
	atomic_size_t suspended;
	atomic_size_t active;
	struct netaddr_net *trusted; /* trusted_proxies, parsed */
	struct hconn_table *conns;
};

enum route { ROUTE_NONE, ROUTE_MCP, ROUTE_HEALTH, ROUTE_PRM, ROUTE_TABLE };

/* Per-request state (MHD's con_cls), freed when MHD reports completion. */
struct req {
	struct http *h;
	struct MHD_Connection *conn;
	uint64_t rid;
	int64_t start_ms;
	enum route route;
	enum mcp_http_method method;
	struct buf body;
	bool responded;
	bool suspended;
	size_t discarded; /* body bytes dropped after the limit was passed */
	struct token_info principal;
	const struct http_route *table; /* ROUTE_TABLE: its row */
	char table_url[HTTP_ROUTE_URL]; /* ROUTE_TABLE: the path */
	struct mcp_request mreq;
	struct mcp_call *call;
	unsigned status;
	struct hconn *hc;          /* the connection's entry; NULL if untracked */
	enum hconn_slot slot;      /* the per-token slot this request holds */
	int64_t slot_token;
	bool received;             /* the whole request has arrived */
};

/* Owned by an SSE response; freed by MHD through sse_free. */
struct sse_ctx {
	struct http *h;
	struct MHD_Connection *conn;
	struct stream *stream;
	struct mcp_call *call; /* the call this stream answers, if any */
	uint64_t rid;
};

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* --- responses --- */

static enum MHD_Result
respond_buf(struct req *r, unsigned status, const char *ctype, const char *body, size_t len,
	    const char *allow, const char *www_auth, const char *session_id)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	resp = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	if (resp == NULL)
		return MHD_NO;
	if (ctype != NULL)
		(void)MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	if (allow != NULL)
		(void)MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
	if (www_auth != NULL)
		(void)MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, www_auth);
	if (session_id != NULL && session_id[0] != '\0')
		(void)MHD_add_response_header(resp, "Mcp-Session-Id", session_id);
	(void)MHD_add_response_header(resp, "Cache-Control", "no-store");
	(void)MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	if (status >= 400 && status != 404 && status != 405 && status != 409)
		(void)MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
	ret = MHD_queue_response(r->conn, status, resp);
	MHD_destroy_response(resp);
	r->responded = true;
	r->status = status;
	return ret;
}

static enum MHD_Result
respond_error(struct req *r, unsigned status, const char *message)
{
	struct buf b;
	enum MHD_Result ret;

	buf_init(&b, 1024);
	buf_puts(&b, "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32000,\"message\":");
	buf_json_str(&b, sl_from_cstr(message));
	buf_puts(&b, "}}");
	ret = respond_buf(r, status, "application/json", b.p != NULL ? b.p : "", b.len, NULL,
			  NULL, NULL);
	buf_free(&b);
	return ret;
}

static enum MHD_Result
respond_unauthorized(struct req *r, bool invalid)
{
	static const char body[] = "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32001,"
				   "\"message\":\"Unauthorized: send a valid bearer token in the "
				   "Authorization header (Authorization: Bearer <token>)\"}}";

	return respond_buf(r, 401, "application/json", body, sizeof(body) - 1, NULL,
			   invalid ? r->h->challenge_invalid : r->h->challenge, NULL);
}

/* --- SSE --- */

static void
conn_suspend(void *conn)
{
	struct sse_ctx *ctx = conn;

	atomic_fetch_add(&ctx->h->suspended, 1);
	MHD_suspend_connection(ctx->conn);
}

static void
conn_wake(void *conn)
{
	struct sse_ctx *ctx = conn;

	MHD_resume_connection(ctx->conn);
	atomic_fetch_sub(&ctx->h->suspended, 1);
}

static ssize_t
sse_read(void *cls, uint64_t pos, char *out, size_t max)
{
	struct sse_ctx *ctx = cls;
	size_t n = 0;

	(void)pos;
	switch (stream_read(ctx->stream, ctx, out, max, &n, conn_suspend)) {
	case STREAM_DATA:
		return (ssize_t)n;
	case STREAM_WAIT:
		return 0;
	case STREAM_END:
		break;
	}
	return MHD_CONTENT_READER_END_OF_STREAM;
}

static void
sse_free(void *cls)
{
	struct sse_ctx *ctx = cls;

	if (stream_detach(ctx->stream, ctx) && ctx->call != NULL) {
		log_info(ctx->rid, "msg=\"client closed the stream\"");
		mcp_call_abandon(ctx->call);
	}
	stream_unref(ctx->stream);
	mcp_call_unref(ctx->call);
	free(ctx);
}

/* Takes the stream reference from reply. */
static enum MHD_Result
respond_stream(struct req *r, struct mcp_reply *reply)
{
	struct sse_ctx *ctx = calloc(1, sizeof(*ctx));
	struct MHD_Response *resp;
	enum MHD_Result ret;
	enum ig_err err;

	if (ctx == NULL)
		return respond_error(r, 500, "out of memory");
	ctx->h = r->h;
	ctx->conn = r->conn;
	ctx->stream = reply->stream;
	ctx->rid = r->rid;
	reply->stream = NULL;
	if (r->call != NULL) {
		ctx->call = r->call;
		r->call = NULL;
	}
	err = stream_attach(ctx->stream, ctx, conn_wake, reply->replay_after);
	if (err != IG_OK) {
		stream_unref(ctx->stream);
		mcp_call_unref(ctx->call);
		free(ctx);
		return respond_error(r, err == IG_EBUSY ? 409 : 404,
				     err == IG_EBUSY ? "Conflict: this stream is already open"
						     : "Stream not found");
	}
	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, SSE_BLOCK, sse_read, ctx,
						 sse_free);
	if (resp == NULL) {
		(void)stream_detach(ctx->stream, ctx);
		stream_unref(ctx->stream);
		mcp_call_unref(ctx->call);
		free(ctx);
		return MHD_NO;
	}
	(void)MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
	(void)MHD_add_response_header(resp, "Cache-Control", "no-cache, no-transform");
	(void)MHD_add_response_header(resp, "X-Accel-Buffering", "no");
	if (reply->session_id[0] != '\0')
		(void)MHD_add_response_header(resp, "Mcp-Session-Id", reply->session_id);
	ret = MHD_queue_response(r->conn, 200, resp);
	MHD_destroy_response(resp);
	r->responded = true;
	r->status = 200;
	return ret;
}

static enum MHD_Result
respond_reply(struct req *r, struct mcp_reply *reply)
{
	switch (reply->kind) {
	case MCP_REPLY_STREAM:
		return respond_stream(r, reply);
	case MCP_REPLY_BODY:
		return respond_buf(r, reply->status, reply->content_type,
				   reply->body.p != NULL ? reply->body.p : "", reply->body.len,
				   reply->allow, NULL, reply->session_id);
	case MCP_REPLY_CALL:
		break;
	}
	return respond_error(r, 500, "internal error");
}

/* --- calls waiting on the executor --- */

static void
req_suspend(void *conn)
{
	struct req *r = conn;

	r->suspended = true;
	atomic_fetch_add(&r->h->suspended, 1);
	MHD_suspend_connection(r->conn);
}

static void
req_wake(void *conn)
{
	struct req *r = conn;

	r->suspended = false;
	MHD_resume_connection(r->conn);
	atomic_fetch_sub(&r->h->suspended, 1);
}

static enum MHD_Result
poll_call(struct req *r)
{
	struct mcp_reply reply;
	enum MHD_Result ret = MHD_YES;

	mcp_reply_init(&reply);
	switch (mcp_call_poll(r->call, r, req_wake, req_suspend, &reply)) {
	case MCP_CALL_RUNNING:
		break;
	case MCP_CALL_STREAMING:
		ret = respond_stream(r, &reply);
		break;
	case MCP_CALL_DONE:
		ret = respond_reply(r, &reply);
		mcp_call_unref(r->call);
		r->call = NULL;
		break;
	}
	mcp_reply_clear(&reply);
	return ret;
}

/* --- routes --- */

static bool
param_header(void *ctx, const char *name, struct slice *v_r)
{
	struct req *r = ctx;
	char full[LIM_METHOD_NAME + 16];
	int n = snprintf(full, sizeof(full), "Mcp-Param-%s", name);

	if (n < 0 || (size_t)n >= sizeof(full))
		return false;
	return http_hdr_get(r->conn, full, v_r);
}

static enum MHD_Result
serve_mcp(struct req *r)
{
	struct mcp_reply reply;
	enum MHD_Result ret;
	struct slice v;

	r->mreq.method = r->method;
	r->mreq.body = buf_slice(&r->body);
	r->mreq.content_type_json = http_hdr_get(r->conn, "Content-Type", &v) && http_content_type_is_json(v);
	r->mreq.accept_present = http_hdr_get(r->conn, "Accept", &v);
	if (r->mreq.accept_present) {
		r->mreq.accept_json = http_accept_allows(v, "application", "json");
		r->mreq.accept_sse = http_accept_allows(v, "text", "event-stream");
	}
	r->mreq.session_id = http_hdr_opt(r->conn, "Mcp-Session-Id");
	r->mreq.protocol_version = http_hdr_opt(r->conn, "MCP-Protocol-Version");
	r->mreq.mcp_method = http_hdr_opt(r->conn, "Mcp-Method");
	r->mreq.mcp_name = http_hdr_opt(r->conn, "Mcp-Name");
	r->mreq.last_event_id = http_hdr_opt(r->conn, "Last-Event-ID");
	r->mreq.param_header = param_header;
	r->mreq.param_ctx = r;
	r->mreq.principal = &r->principal;
	r->mreq.rid = r->rid;

	/* One token cannot hold every stream or every executor slot: GET
	 * opens a stream, everything else is a call while it runs. */
	r->slot = r->method == MCP_HTTP_GET ? HCONN_SLOT_STREAM : HCONN_SLOT_CALL;
	if (!hconn_token_acquire(r->h->conns, r->principal.id, r->slot)) {
		bool stream = r->slot == HCONN_SLOT_STREAM;

		r->slot = HCONN_SLOT_NONE;
		log_info(r->rid, "msg=\"token cap\" kind=%s", stream ? "streams" : "calls");
		return respond_error(r, 429, stream ? "Too Many Requests: this token has too many "
						      "streams open"
						    : "Too Many Requests: this token has too many "
						      "requests in progress");
	}
	r->slot_token = r->principal.id;

	mcp_reply_init(&reply);
	mcp_handle(r->h->mcp, &r->mreq, &reply);
	if (reply.kind == MCP_REPLY_CALL) {
		r->call = reply.call;
		reply.call = NULL;
		ret = poll_call(r);
	} else {
		ret = respond_reply(r, &reply);
	}
	mcp_reply_clear(&reply);
	return ret;
}

static enum MHD_Result
serve_static(struct req *r)
{
	static const char ok[] = "{\"status\":\"ok\"}\n";

	if (r->method != MCP_HTTP_GET)
		return respond_buf(r, 405, NULL, "", 0, "GET", NULL, NULL);
	if (r->route == ROUTE_HEALTH)
		return respond_buf(r, 200, "application/json", ok, sizeof(ok) - 1, NULL, NULL,
				   NULL);
	if (r->h->prm_json[0] == '\0') /* no authorization server: see build_prm */
		return respond_error(r, 404, "Not Found");
	return respond_buf(r, 200, "application/json", r->h->prm_json, strlen(r->h->prm_json),
			   NULL, NULL, NULL);
}

/* A route of the table (the admin API, web/api.c): short state.db work,
 * like the token lookup every request already does on this thread. */
static enum MHD_Result
serve_table(struct req *r)
{
	static const char *const names[] = {"POST", "GET", "DELETE", "OTHER"};
	struct buf out;
	unsigned status;
	enum MHD_Result ret;

	buf_init(&out, (size_t)64 * 1024 * 1024);
	status = r->table->fn(r->table->ctx, &r->principal,
			      names[r->method <= MCP_HTTP_OTHER ? r->method : MCP_HTTP_OTHER],
			      r->table_url, buf_slice(&r->body), &out);
	if (buf_err(&out) != IG_OK) {
		buf_free(&out);
		return respond_error(r, 500, "Internal Server Error");
	}
	log_info(r->rid, "msg=\"%s\" status=%u admin=%d", r->table->log_msg, status,
		 r->principal.admin ? 1 : 0);
	ret = respond_buf(r, status, "application/json", out.p != NULL ? out.p : "", out.len,
			  status == 405 ? r->table->methods : NULL, NULL, NULL);
	buf_free(&out);
	return ret;
}

static enum route
route_of(struct req *r, const char *url)
{
	size_t i;

	if (strcmp(url, MCP_PATH) == 0)
		return ROUTE_MCP;
	if (strcmp(url, "/healthz") == 0)
		return ROUTE_HEALTH;
	if (strcmp(url, PRM_PATH) == 0 || strcmp(url, PRM_PATH_MCP) == 0)
		return ROUTE_PRM;
	/* the table: the row whose prefix is url, or a path above url */
	for (i = 0; i < r->h->n_routes && strlen(url) < HTTP_ROUTE_URL; i++) {
		const char *p = r->h->routes[i].prefix;
		size_t n = strlen(p);

		if (strncmp(url, p, n) == 0 && (url[n] == '\0' || url[n] == '/')) {
			r->table = &r->h->routes[i];
			return ROUTE_TABLE;
		}
	}
	return ROUTE_NONE;
}

static enum mcp_http_method
method_of(const char *m)
{
	if (strcmp(m, "POST") == 0)
		return MCP_HTTP_POST;
	if (strcmp(m, "GET") == 0)
		return MCP_HTTP_GET;
	if (strcmp(m, "DELETE") == 0)
		return MCP_HTTP_DELETE;
	return MCP_HTTP_OTHER;
}

/* True when Content-Length declares more than limit bytes. */
static bool
declared_too_large(struct req *r, size_t limit)
{
	struct slice v;
	unsigned long long n = 0;
	size_t i;

	if (!http_hdr_get(r->conn, "Content-Length", &v))
		return false;
	v = sl_trim_ows(v);
	for (i = 0; i < v.len; i++) {
		if (v.p[i] < '0' || v.p[i] > '9')
			return true; /* malformed: never accept it as small */
		n = n * 10 + (unsigned)(v.p[i] - '0');
		if (n > limit)
			return true;
	}
	return false;
}

/* Everything decided from the request head: hygiene, route, Origin, Host,
 * token, declared length. Returns true when a response was queued. */
static bool
check_head(struct req *r, const char *method, const char *url, const char *version,
	   enum MHD_Result *ret_r)
{
	const struct ig_config *cfg = r->h->cfg;
	struct slice v = {NULL, 0};
	struct slice host_name = {NULL, 0};
	unsigned host_port = 0;
	unsigned status;
	bool have;
	bool have_host;

	status = http_hdr_hygiene(r->conn, method, version);
	have_host = http_hdr_get(r->conn, "Host", &v);
	if (status == 0 && have_host &&
	    !httphead_host_parse(sl_trim_ows(v), &host_name, &host_port))
		status = 400;
	if (status != 0) {
		log_info(r->rid, "msg=\"refused header set\" status=%u", status);
		*ret_r = respond_error(r, status, status == 431 ? "Too many header fields"
								: "Bad Request: malformed or "
								  "duplicate header fields");
		return true;
	}
	r->route = route_of(r, url);
	if (r->route == ROUTE_NONE) {
		*ret_r = respond_error(r, 404, "Not Found");
		return true;
	}
	if (r->route != ROUTE_MCP && declared_too_large(r, cfg->max_body_preauth)) {
		*ret_r = respond_error(r, 413, "Payload Too Large");
		return true;
	}
	if (r->route == ROUTE_TABLE)
		(void)snprintf(r->table_url, sizeof(r->table_url), "%s", url);
	/* /mcp and the table's routes: Origin, Host and the token are checked */
	if (r->route != ROUTE_MCP && r->route != ROUTE_TABLE)
		return false;
	/* Check order (DESIGN §4.1): Origin, Host, token, then session. */
	if (http_hdr_get(r->conn, "Origin", &v) &&
	    !http_list_has_ci(cfg->allowed_origins, cfg->n_allowed_origins, sl_trim_ows(v))) {
		log_info(r->rid, "msg=\"origin refused\"");
		*ret_r = respond_error(r, 403, "Forbidden: Origin not allowed");
		return true;
	}
	(void)http_hdr_get(r->conn, "Host", &v);
	if (cfg->n_allowed_hosts > 0 &&
	    (!have_host || !http_host_allowed(cfg, sl_trim_ows(v), host_name))) {
		log_info(r->rid, "msg=\"host refused\"");
		*ret_r = respond_error(r, 403, "Forbidden: Host not allowed");
		return true;
	}
	have = http_hdr_get(r->conn, "Authorization", &v);
	switch (auth_check(r->h->auth, v, have, &r->principal)) {
	case AUTH_OK:
		/* Authenticated: a moderately oversized body is drained so the
		 * 413 reaches the client; a huge one is refused at once. */
		if (declared_too_large(r, cfg->max_body)) {
			/* With Expect: 100-continue the client has sent nothing
			 * yet: refuse before it does. */
			if (declared_too_large(r, 2 * cfg->max_body) ||
			    http_hdr_get(r->conn, "Expect", &v)) {
				*ret_r = respond_error(r, 413, "Payload Too Large");
				return true;
			}
			r->discarded = 1;
		}
		return false;
	case AUTH_MISSING:
		*ret_r = respond_unauthorized(r, false);
		return true;
	case AUTH_INVALID:
		log_info(r->rid, "msg=\"token rejected\"");
		*ret_r = respond_unauthorized(r, true);
		return true;
	case AUTH_ERROR:
		break;
	}
	*ret_r = respond_error(r, 503, "Service Unavailable: token store unavailable");
	return true;
}

/* The Forwarded and X-Forwarded-For fields, in received order. */
struct fwd_scan {
	struct slice fwd[LIM_HTTP_HEADERS];
	size_t n_fwd;
	struct slice xff[LIM_HTTP_HEADERS];
	size_t n_xff;
};

static enum MHD_Result
fwd_scan_one(void *cls, enum MHD_ValueKind kind, const char *key, size_t key_size,
	     const char *value, size_t value_size)
{
	struct fwd_scan *f = cls;

	(void)kind;
	if (key_size == 9 && strncasecmp(key, "forwarded", 9) == 0 && f->n_fwd < LIM_HTTP_HEADERS)
		f->fwd[f->n_fwd++] = (struct slice){value, value_size};
	if (key_size == 15 && strncasecmp(key, "x-forwarded-for", 15) == 0 &&
	    f->n_xff < LIM_HTTP_HEADERS)
		f->xff[f->n_xff++] = (struct slice){value, value_size};
	return MHD_YES;
}

/* The client's address: the peer's, unless the peer is one of
 * trusted_proxies and its Forwarded (preferred) or X-Forwarded-For names
 * one; an untrusted peer's headers are ignored. Then the per-client cap.
 * Returns true when a response was queued. */
static bool
check_client(struct req *r, enum MHD_Result *ret_r)
{
	struct fwd_scan f;
	uint8_t addr[16] = {0};
	bool named = false;

	if (r->hc == NULL)
		return false;
	if (hconn_peer_trusted(r->hc)) {
		memset(&f, 0, sizeof(f));
		(void)MHD_get_connection_values_n(r->conn, MHD_HEADER_KIND, fwd_scan_one, &f);
		if (f.n_fwd > 0)
			named = httphead_forwarded_client(f.fwd, f.n_fwd, true, r->h->trusted,
							  r->h->cfg->n_trusted_proxies, addr);
		else if (f.n_xff > 0)
			named = httphead_forwarded_client(f.xff, f.n_xff, false, r->h->trusted,
							  r->h->cfg->n_trusted_proxies, addr);
	}
	if (hconn_set_client(r->h->conns, r->hc, named ? addr : NULL))
		return false;
	log_info(r->rid, "msg=\"client cap\"");
	*ret_r = respond_error(r, 503, "Service Unavailable: too many requests from this client");
	return true;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
	   const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct http *h = cls;
	struct req *r = *con_cls;
	enum MHD_Result ret = MHD_YES;

	if (r == NULL) {
		const union MHD_ConnectionInfo *ci;

		r = calloc(1, sizeof(*r));
		if (r == NULL)
			return MHD_NO;
		ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
		r->hc = ci != NULL ? ci->socket_context : NULL;
		r->h = h;
		r->conn = conn;
		r->rid = atomic_fetch_add(&h->next_rid, 1) + 1;
		r->start_ms = now_ms();
		r->method = method_of(method);
		buf_init(&r->body, h->cfg->max_body);
		*con_cls = r;
		atomic_fetch_add(&h->active, 1);
		if (!check_head(r, method, url, version, &ret))
			(void)check_client(r, &ret);
		return ret;
	}
	if (r->responded) {
		*upload_data_size = 0; /* discard what the client still sends */
		return MHD_YES;
	}
	if (r->call != NULL)
		return poll_call(r);
	if (*upload_data_size > 0) {
		size_t limit = r->route == ROUTE_MCP ? h->cfg->max_body : h->cfg->max_body_preauth;

		size_t n = *upload_data_size;

		*upload_data_size = 0;
		if (r->discarded > 0 || r->body.len + n > limit) {
			/* Drain a bounded amount so the 413 reaches the client
			 * instead of a reset; beyond that, cut the connection. */
			r->discarded += n;
			return r->discarded > 2 * limit ? MHD_NO : MHD_YES;
		}
		buf_append(&r->body, upload_data, n);
		if (buf_err(&r->body) != IG_OK)
			return respond_error(r, 413, "Payload Too Large");
		return MHD_YES;
	}
	if (!r->received && r->hc != NULL)
		hconn_received(h->conns, r->hc); /* the request deadline stops here */
	r->received = true;
	if (r->discarded > 0)
		return respond_error(r, 413, "Payload Too Large");
	if (r->route == ROUTE_MCP)
		return serve_mcp(r);
	if (r->route == ROUTE_TABLE)
		return serve_table(r);
	return serve_static(r);
}

static void
on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
	     enum MHD_RequestTerminationCode toe)
{
	struct http *h = cls;
	struct req *r = *con_cls;
	char client[64] = "-";

	(void)conn;
	if (r == NULL)
		return;
	if (r->call != NULL) {
		mcp_call_abandon(r->call);
		mcp_call_unref(r->call);
	}
	hconn_token_release(h->conns, r->slot_token, r->slot);
	if (r->hc != NULL)
		hconn_client_str(r->hc, client, sizeof(client));
	log_info(r->rid, "msg=\"request\" status=%u ms=%lld end=%d client=%s", r->status,
		 (long long)(now_ms() - r->start_ms), (int)toe, client);
	if (r->hc != NULL)
		hconn_idle(h->conns, r->hc); /* keep-alive: the next request's deadline */
	buf_free(&r->body);
	free(r);
	*con_cls = NULL;
	atomic_fetch_sub(&h->active, 1);
}

/* The accept policy: refuse or evict rather than queue (httpconn.h). */
static enum MHD_Result
on_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
	struct http *h = cls;

	if (hconn_admit(h->conns, addr, addrlen))
		return MHD_YES;
	log_debug(0, "msg=\"connection refused\" reason=full");
	return MHD_NO;
}

static void
on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
	      enum MHD_ConnectionNotificationCode code)
{
	struct http *h = cls;
	const union MHD_ConnectionInfo *fd;
	const union MHD_ConnectionInfo *ad;
	socklen_t len;

	if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		/* before libmicrohttpd closes the socket: the reaper never
		 * shuts down a descriptor that has been reused */
		hconn_close(h->conns, *socket_context);
		*socket_context = NULL;
		return;
	}
	fd = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	ad = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (fd == NULL || ad == NULL || ad->client_addr == NULL)
		return;
	len = ad->client_addr->sa_family == AF_INET6 ? (socklen_t)sizeof(struct sockaddr_in6)
						     : (socklen_t)sizeof(struct sockaddr_in);
	*socket_context = hconn_open(h->conns, fd->connect_fd, ad->client_addr, len);
}

/* Routes are plain paths compared as sent: never percent-decoded, so a
 * decoded %00 cannot cut a URL short. */
static size_t
url_keep(void *cls, struct MHD_Connection *c, char *s)
{
	(void)cls;
	(void)c;
	return strlen(s);
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap) IG_PRINTF(2, 0);

static void
on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	char safe[512];
	int n;

	(void)cls;
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (n < 0)
		return;
	log_warn(0, "msg=\"mhd\" detail=\"%s\"", log_safe(safe, sizeof(safe), msg, strlen(msg)));
}

/* --- metadata --- */

/* RFC 9728 metadata must name at least one authorization server (the MCP
 * authorization spec too); without one configured there is nothing to
 * publish: "" (the metadata paths answer 404 and the challenge names no
 * metadata), so OAuth clients do not try to register a client against a
 * server that does not exist. */
static char *
build_prm(const struct ig_config *cfg)
{
	struct buf b;
	size_t i;

	if (cfg->n_authorization_servers == 0)
		return strdup("");
	buf_init(&b, (size_t)64 * 1024);
	buf_puts(&b, "{\"resource\":");
	buf_json_str(&b, sl_from_cstr(cfg->public_url));
	buf_puts(&b, ",\"authorization_servers\":[");
	for (i = 0; i < cfg->n_authorization_servers; i++) {
		if (i > 0)
			buf_putc(&b, ',');
		buf_json_str(&b, sl_from_cstr(cfg->authorization_servers[i]));
	}
	buf_puts(&b, "],\"bearer_methods_supported\":[\"header\"],\"scopes_supported\":[\"mcp\"],"
		     "\"resource_name\":\"imapgate\"}");
	if (buf_err(&b) != IG_OK) {
		buf_free(&b);
		return NULL;
	}
	return buf_take(&b);
}

/* RFC 9728 §3.1: the metadata URL inserts the well-known path between the
 * resource's origin and its path. */
static char *
build_challenge(const struct ig_config *cfg, bool invalid)
{
	const char *url = cfg->public_url;
	const char *scheme_end = strstr(url, "://");
	const char *path = scheme_end != NULL ? strchr(scheme_end + 3, '/') : NULL;
	size_t origin_len = path != NULL ? (size_t)(path - url) : strlen(url);
	struct buf b;

	buf_init(&b, 4096);
	if (cfg->n_authorization_servers > 0) {
		buf_puts(&b, "Bearer resource_metadata=\"");
		buf_append(&b, url, origin_len);
		buf_puts(&b, PRM_PATH);
		if (path != NULL && strcmp(path, "/") != 0)
			buf_puts(&b, path);
		buf_puts(&b, "\", scope=\"mcp\", ");
	} else {
		buf_puts(&b, "Bearer realm=\"imapgate\", ");
	}
	if (invalid)
		buf_puts(&b, "error=\"invalid_token\", error_description=\"The access token is "
			     "invalid, revoked or expired\"");
	else
		buf_puts(&b, "error_description=\"A bearer token is required: send it in the "
			     "Authorization header (Authorization: Bearer <token>)\"");
	if (buf_err(&b) != IG_OK) {
		buf_free(&b);
		return NULL;
	}
	return buf_take(&b);
}

/* --- lifecycle --- */

static bool
make_addr(const struct ig_config *cfg, struct sockaddr_storage *ss)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	char host[64];
	size_t len = strlen(cfg->listen_host);

	memset(ss, 0, sizeof(*ss));
	if (len > 0 && cfg->listen_host[0] == '[' && len < sizeof(host) + 1) {
		memcpy(host, cfg->listen_host + 1, len - 2);
		host[len - 2] = '\0';
	} else if (len < sizeof(host)) {
		memcpy(host, cfg->listen_host, len + 1);
	} else {
		return false;
	}
	if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)cfg->listen_port);
		return true;
	}
	if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)cfg->listen_port);
		return true;
	}
	return false;
}

struct http *
http_start(const struct ig_config *cfg, struct mcp *mcp, struct auth *auth,
	   const struct http_route *routes, size_t n_routes, const char **error_r)
{
	struct http *h = calloc(1, sizeof(*h));
	struct sockaddr_storage ss;
	struct hconn_limits lim;
	unsigned flags;
	size_t i;

	if (h == NULL || n_routes > HTTP_ROUTES_MAX) {
		*error_r = h == NULL ? "out of memory" : "too many HTTP routes";
		free(h);
		return NULL;
	}
	h->cfg = cfg;
	h->mcp = mcp;
	h->auth = auth;
	memcpy(h->routes, routes, n_routes * sizeof(*routes));
	h->n_routes = n_routes;
	h->prm_json = build_prm(cfg);
	h->challenge = build_challenge(cfg, false);
	h->challenge_invalid = build_challenge(cfg, true);
	if (h->prm_json == NULL || h->challenge == NULL || h->challenge_invalid == NULL) {
		*error_r = "out of memory";
		goto fail;
	}
	if (!make_addr(cfg, &ss)) {
		*error_r = "listen address is not a numeric IPv4 or IPv6 address";
		goto fail;
	}
	flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
		MHD_USE_ERROR_LOG;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	h->trusted = calloc(cfg->n_trusted_proxies + 1, sizeof(*h->trusted));
	if (h->trusted == NULL) {
		*error_r = "out of memory";
		goto fail;
	}
	for (i = 0; i < cfg->n_trusted_proxies; i++) {
		if (!netaddr_net_parse(sl_from_cstr(cfg->trusted_proxies[i]), &h->trusted[i])) {
			*error_r = "trusted_proxies: not an address or prefix";
			goto fail;
		}
	}
	lim = (struct hconn_limits){.max_connections = cfg->max_connections,
				    .per_client = cfg->max_connections_per_ip,
				    .request_timeout_s = cfg->request_timeout_s,
				    .streams_per_token = cfg->max_streams_per_token,
				    .calls_per_token = cfg->max_calls_per_token,
				    .trusted = h->trusted,
				    .n_trusted = cfg->n_trusted_proxies};
	h->conns = hconn_table_new(&lim);
	if (h->conns == NULL) {
		*error_r = "out of memory";
		goto fail;
	}
	h->d = MHD_start_daemon(
		flags, (uint16_t)cfg->listen_port, on_accept, h, on_request, h,
		/* the logger first, so MHD never prints on its own */
		MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, h,
		MHD_OPTION_UNESCAPE_CALLBACK, url_keep, h,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss, MHD_OPTION_NOTIFY_COMPLETED,
		on_completed, h, MHD_OPTION_NOTIFY_CONNECTION, on_connection, h,
		/* the caps are hconn's; MHD's own limit only has to leave room
		 * for evicted connections it has yet to clean up (at its limit
		 * it would stop accepting and let the backlog queue) */
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)cfg->max_connections * 2 + 16,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)cfg->connection_timeout_s,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, LIM_HTTP_HEADER_BYTES + (size_t)16 * 1024,
		/* no MHD_OPTION_LISTENING_ADDRESS_REUSE: with SO_REUSEPORT a
		 * second server on the same address would silently share the
		 * traffic (MHD's default SO_REUSEADDR only lets a restart bind
		 * while old connections linger in TIME_WAIT) */
		MHD_OPTION_END);
	if (h->d == NULL) {
		*error_r = "cannot listen (address in use or not available?)";
		goto fail;
	}
	return h;
fail:
	hconn_table_free(h->conns);
	free(h->trusted);
	free(h->prm_json);
	free(h->challenge);
	free(h->challenge_invalid);
	free(h);
	return NULL;
}

void
http_quiesce(struct http *h)
{
	MHD_socket s = MHD_quiesce_daemon(h->d);

	/* the listening socket is ours to close once quiesced */
	if (s != MHD_INVALID_SOCKET)
		(void)close(s);
}

size_t
http_suspended(struct http *h)
{
	return atomic_load(&h->suspended);
}

size_t
http_active(struct http *h)
{
	return atomic_load(&h->active);
}

void
http_stop(struct http *h)
{
	if (h == NULL)
		return;
	MHD_stop_daemon(h->d);
	hconn_table_free(h->conns); /* every connection is closed by now */
	free(h->trusted);
	free(h->prm_json);
	free(h->challenge);
	free(h->challenge_invalid);
	free(h);
}
