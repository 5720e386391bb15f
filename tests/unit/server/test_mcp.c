/* Unit tests for the MCP transport (server/mcp.c, server/mcp_call.c):
 * JSON-RPC framing, era selection, session rules, 2026-07-28 header checks,
 * batches, tool-call replies. No sockets: requests go straight to mcp_handle
 * and tool calls run inline. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <json-c/json.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "handlers/tools.h"
#include "base/config.h"
#include "server/mcp.h"
#include "store/state.h"

#define META "\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\"," \
	     "\"io.modelcontextprotocol/clientCapabilities\":{}}"

struct fx {
	struct ig_config *cfg;
	struct tool_registry *tools;
	struct mcp *mcp;
	struct token_info tok;
	struct token_info other;
};

static struct mcp_hdr
hdr(const char *s)
{
	return (struct mcp_hdr){{s, s != NULL ? strlen(s) : 0}, s != NULL};
}

static void
nop(void *conn)
{
	(void)conn;
}

/* Sends one POST and returns the status; *msg_r gets the parsed JSON body
 * (NULL when empty). */
static unsigned
post(struct fx *f, const struct token_info *tok, const char *sid, const char *pv,
     const char *mmethod, const char *mname, const char *body, struct json_object **msg_r,
     char *sid_out)
{
	struct mcp_request req;
	struct mcp_reply reply;
	struct mcp_reply polled;
	unsigned status;

	memset(&req, 0, sizeof(req));
	req.method = MCP_HTTP_POST;
	req.body = (struct slice){body, strlen(body)};
	req.content_type_json = true;
	req.accept_present = true;
	req.accept_json = true;
	req.accept_sse = true;
	req.session_id = hdr(sid);
	req.protocol_version = hdr(pv);
	req.mcp_method = hdr(mmethod);
	req.mcp_name = hdr(mname);
	req.principal = tok;
	mcp_reply_init(&reply);
	mcp_handle(f->mcp, &req, &reply);
	if (reply.kind == MCP_REPLY_CALL) {
		mcp_reply_init(&polled);
		assert_int_equal(mcp_call_poll(reply.call, &polled, nop, nop, &polled),
				 MCP_CALL_DONE);
		mcp_reply_clear(&reply);
		reply = polled;
	}
	assert_int_equal(reply.kind, MCP_REPLY_BODY);
	status = reply.status;
	*msg_r = reply.body.len > 0 ? json_tokener_parse(reply.body.p) : NULL;
	if (sid_out != NULL)
		memcpy(sid_out, reply.session_id, SESS_ID_LEN + 1);
	mcp_reply_clear(&reply);
	return status;
}

static int
err_code(struct json_object *msg)
{
	struct json_object *e;
	struct json_object *c;

	if (msg == NULL || !json_object_object_get_ex(msg, "error", &e) ||
	    !json_object_object_get_ex(e, "code", &c))
		return 0;
	return json_object_get_int(c);
}

static bool
id_is(struct json_object *msg, const char *json)
{
	struct json_object *id;

	if (!json_object_object_get_ex(msg, "id", &id))
		return false;
	return strcmp(json_object_to_json_string_ext(id, JSON_C_TO_STRING_PLAIN), json) == 0;
}

static int
setup(void **state)
{
	static struct fx f;
	char *error = NULL;
	const char *e2 = NULL;
	struct mcp_opts o;

	memset(&f, 0, sizeof(f));
	assert_int_equal(config_load(NULL, NULL, &f.cfg, &error), IG_OK);
	f.tools = tool_registry_new(NULL, 0, &e2);
	assert_non_null(f.tools);
	memset(&o, 0, sizeof(o));
	o.cfg = f.cfg;
	o.tools = f.tools;
	o.max_sessions = 16;
	o.session_idle_s = 3600;
	f.mcp = mcp_new(&o);
	assert_non_null(f.mcp);
	f.tok.id = 1;
	f.tok.posture_cap = POSTURE_FULL;
	memcpy(f.tok.accounts, "*", 2);
	f.other = f.tok;
	f.other.id = 2;
	*state = &f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	mcp_free(f->mcp);
	tool_registry_free(f->tools);
	config_free(f->cfg);
	return 0;
}

static void
open_session(struct fx *f, const char *proto, char *sid)
{
	char body[256];
	struct json_object *msg;

	(void)snprintf(body, sizeof(body),
		       "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{"
		       "\"protocolVersion\":\"%s\",\"capabilities\":{}}}",
		       proto);
	assert_int_equal(post(f, &f->tok, NULL, NULL, NULL, NULL, body, &msg, sid), 200);
	assert_int_equal(strlen(sid), SESS_ID_LEN);
	json_object_put(msg);
}

static void
test_parse_errors(void **state)
{
	static const char *const bad[] = {
		"", "{", "nul", "{\"a\":1,\"a\":2}", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]"
		"]]]]]]]]]]]]]]]]]]]]]]", "{\"x\":\"\xc3\x28\"}", "{} {}",
	};
	struct fx *f = *state;
	struct json_object *msg;
	struct json_object *id;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(post(f, &f->tok, NULL, NULL, NULL, NULL, bad[i], &msg, NULL), 400);
		assert_int_equal(err_code(msg), -32700);
		assert_true(json_object_object_get_ex(msg, "id", &id));
		assert_null(id); /* "id": null */
		json_object_put(msg);
	}
}

static void
test_invalid_requests(void **state)
{
	static const char *const bad[] = {
		"42", "\"x\"", "{\"id\":1,\"method\":\"ping\"}",
		"{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"ping\"}",
		"{\"jsonrpc\":\"2.0\",\"id\":{},\"method\":\"ping\"}",
		"{\"jsonrpc\":\"2.0\",\"id\":1.5,\"method\":\"ping\"}",
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":7}",
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",\"params\":[]}",
	};
	struct fx *f = *state;
	struct json_object *msg;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(post(f, &f->tok, NULL, NULL, NULL, NULL, bad[i], &msg, NULL), 400);
		assert_int_equal(err_code(msg), -32600);
		json_object_put(msg);
	}
}

static void
test_session_rules(void **state)
{
	struct fx *f = *state;
	char sid[SESS_ID_LEN + 1];
	struct json_object *msg;
	static const char ping[] = "{\"jsonrpc\":\"2.0\",\"id\":\"p\",\"method\":\"ping\"}";

	/* no session, not initialize */
	assert_int_equal(post(f, &f->tok, NULL, NULL, NULL, NULL, ping, &msg, NULL), 400);
	assert_true(id_is(msg, "\"p\""));
	json_object_put(msg);
	open_session(f, "2025-11-25", sid);
	assert_int_equal(post(f, &f->tok, sid, NULL, NULL, NULL, ping, &msg, NULL), 200);
	assert_true(id_is(msg, "\"p\""));
	json_object_put(msg);
	/* any known legacy version is accepted; unknown → 400 */
	assert_int_equal(post(f, &f->tok, sid, "2025-03-26", NULL, NULL, ping, &msg, NULL), 200);
	json_object_put(msg);
	assert_int_equal(post(f, &f->tok, sid, "1999-01-01", NULL, NULL, ping, &msg, NULL), 400);
	json_object_put(msg);
	/* another token cannot use it: same answer as an unknown id */
	assert_int_equal(post(f, &f->other, sid, NULL, NULL, NULL, ping, &msg, NULL), 404);
	json_object_put(msg);
	assert_int_equal(post(f, &f->tok, "00000000000000000000000000000000", NULL, NULL, NULL,
			      ping, &msg, NULL),
			 404);
	json_object_put(msg);
	/* initialize again on the session */
	assert_int_equal(post(f, &f->tok, sid, NULL, NULL, NULL,
			      "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"initialize\",\"params\":{"
			      "\"protocolVersion\":\"2025-11-25\"}}",
			      &msg, NULL),
			 200);
	assert_int_equal(err_code(msg), -32600);
	json_object_put(msg);
	/* notifications and client responses: 202, no body */
	assert_int_equal(post(f, &f->tok, sid, NULL, NULL, NULL,
			      "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}", &msg,
			      NULL),
			 202);
	assert_null(msg);
	assert_int_equal(post(f, &f->tok, sid, NULL, NULL, NULL,
			      "{\"jsonrpc\":\"2.0\",\"id\":5,\"result\":{}}", &msg, NULL),
			 202);
	assert_null(msg);
	/* unknown method */
	assert_int_equal(post(f, &f->tok, sid, NULL, NULL, NULL,
			      "{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"nope/nope\"}", &msg, NULL),
			 200);
	assert_int_equal(err_code(msg), -32601);
	json_object_put(msg);
}

static void
test_initialize_negotiation(void **state)
{
	struct fx *f = *state;
	struct json_object *msg;
	struct json_object *res;
	struct json_object *pv;
	char sid[SESS_ID_LEN + 1];

	assert_int_equal(post(f, &f->tok, NULL, NULL, NULL, NULL,
			      "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{"
			      "\"protocolVersion\":\"2099-01-01\",\"capabilities\":{}}}",
			      &msg, sid),
			 200);
	assert_true(json_object_object_get_ex(msg, "result", &res));
	assert_true(json_object_object_get_ex(res, "protocolVersion", &pv));
	assert_string_equal(json_object_get_string(pv), "2025-11-25");
	json_object_put(msg);
	assert_int_equal(post(f, &f->tok, NULL, NULL, NULL, NULL,
			      "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{}}",
			      &msg, sid),
			 400);
	assert_int_equal(err_code(msg), -32602);
	json_object_put(msg);
}

/* The safety instructions reach both eras: initialize and server/discover
 * (a 2026-07-28 client never initializes) give the same non-empty text. */
static void
test_instructions_both_eras(void **state)
{
	struct fx *f = *state;
	struct json_object *msg;
	struct json_object *res;
	struct json_object *v;
	char sid[SESS_ID_LEN + 1];
	char init_text[512];

	assert_int_equal(post(f, &f->tok, NULL, NULL, NULL, NULL,
			      "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{"
			      "\"protocolVersion\":\"2025-11-25\",\"capabilities\":{}}}",
			      &msg, sid),
			 200);
	assert_true(json_object_object_get_ex(msg, "result", &res));
	assert_true(json_object_object_get_ex(res, "instructions", &v));
	assert_non_null(strstr(json_object_get_string(v), "untrusted"));
	(void)snprintf(init_text, sizeof(init_text), "%s", json_object_get_string(v));
	json_object_put(msg);
	assert_int_equal(post(f, &f->tok, NULL, "2026-07-28", "server/discover", NULL,
			      "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"server/discover\","
			      "\"params\":{" META "}}",
			      &msg, NULL),
			 200);
	assert_true(json_object_object_get_ex(msg, "result", &res));
	assert_true(json_object_object_get_ex(res, "instructions", &v));
	assert_string_equal(json_object_get_string(v), init_text);
	json_object_put(msg);
}

static void
test_batches(void **state)
{
	struct fx *f = *state;
	char old[SESS_ID_LEN + 1];
	char cur[SESS_ID_LEN + 1];
	struct json_object *msg;
	static const char batch[] =
		"[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"},"
		"{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"},"
		"{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":"
		"\"list_accounts\"}}]";

	open_session(f, "2025-03-26", old);
	open_session(f, "2025-11-25", cur);
	assert_int_equal(post(f, &f->tok, old, NULL, NULL, NULL, batch, &msg, NULL), 200);
	assert_true(json_object_is_type(msg, json_type_array));
	assert_int_equal(json_object_array_length(msg), 2);
	json_object_put(msg);
	assert_int_equal(post(f, &f->tok, cur, NULL, NULL, NULL, batch, &msg, NULL), 400);
	assert_int_equal(err_code(msg), -32600);
	json_object_put(msg);
	assert_int_equal(post(f, &f->tok, NULL, NULL, NULL, NULL, batch, &msg, NULL), 400);
	json_object_put(msg);
	assert_int_equal(post(f, &f->tok, old, NULL, NULL, NULL, "[]", &msg, NULL), 400);
	json_object_put(msg);
}

static void
test_modern_checks(void **state)
{
	struct fx *f = *state;
	struct json_object *msg;
	struct json_object *res;
	struct json_object *v;
	static const char list[] =
		"{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"tools/list\",\"params\":{" META "}}";

	assert_int_equal(post(f, &f->tok, NULL, "2026-07-28", "tools/list", NULL, list, &msg, NULL),
			 200);
	assert_true(json_object_object_get_ex(msg, "result", &res));
	assert_true(json_object_object_get_ex(res, "resultType", &v));
	assert_true(json_object_object_get_ex(res, "ttlMs", &v));
	assert_true(json_object_object_get_ex(res, "cacheScope", &v));
	json_object_put(msg);
	/* header missing, wrong method header, case matters, whitespace allowed */
	assert_int_equal(post(f, &f->tok, NULL, NULL, "tools/list", NULL, list, &msg, NULL), 400);
	json_object_put(msg);
	assert_int_equal(post(f, &f->tok, NULL, "2026-07-28", NULL, NULL, list, &msg, NULL), 400);
	assert_int_equal(err_code(msg), -32020);
	assert_true(id_is(msg, "9"));
	json_object_put(msg);
	assert_int_equal(post(f, &f->tok, NULL, "2026-07-28", "TOOLS/LIST", NULL, list, &msg, NULL),
			 400);
	assert_int_equal(err_code(msg), -32020);
	json_object_put(msg);
	assert_int_equal(post(f, &f->tok, NULL, "2026-07-28", "  tools/list ", NULL, list, &msg,
			      NULL),
			 200);
	json_object_put(msg);
	/* base64-encoded header value */
	assert_int_equal(post(f, &f->tok, NULL, "2026-07-28", "=?base64?dG9vbHMvbGlzdA==?=", NULL,
			      list, &msg, NULL),
			 200);
	json_object_put(msg);
	/* missing _meta → -32602; version mismatch → -32020; unsupported → -32022 */
	assert_int_equal(post(f, &f->tok, NULL, "2026-07-28", "server/discover", NULL,
			      "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"server/discover\","
			      "\"params\":{}}",
			      &msg, NULL),
			 400);
	assert_int_equal(err_code(msg), -32602);
	json_object_put(msg);
	assert_int_equal(post(f, &f->tok, NULL, "2025-11-25", "tools/list", NULL, list, &msg, NULL),
			 400);
	json_object_put(msg);
	assert_int_equal(post(f, &f->tok, NULL, "v9", "tools/list", NULL,
			      "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/list\",\"params\":{"
			      "\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"v9\","
			      "\"io.modelcontextprotocol/clientCapabilities\":{}}}}",
			      &msg, NULL),
			 400);
	assert_int_equal(err_code(msg), -32022);
	json_object_put(msg);
	/* removed and unknown methods: 404 / -32601, id echoed */
	assert_int_equal(post(f, &f->tok, NULL, "2026-07-28", "initialize", NULL,
			      "{\"jsonrpc\":\"2.0\",\"id\":500,\"method\":\"initialize\",\"params\":{"
			      META "}}",
			      &msg, NULL),
			 404);
	assert_int_equal(err_code(msg), -32601);
	assert_true(id_is(msg, "500"));
	json_object_put(msg);
}

static void
test_modern_tool_call(void **state)
{
	struct fx *f = *state;
	struct json_object *msg;
	struct json_object *res;
	struct json_object *v;
	static const char call[] = "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"tools/call\",\"params\":"
				   "{\"name\":\"list_accounts\",\"arguments\":{}," META "}}";
	static const char unknown[] = "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"tools/call\","
				      "\"params\":{\"name\":\"nope\"," META "}}";

	assert_int_equal(post(f, &f->tok, NULL, "2026-07-28", "tools/call", "list_accounts", call,
			      &msg, NULL),
			 200);
	assert_true(json_object_object_get_ex(msg, "result", &res));
	assert_true(json_object_object_get_ex(res, "structuredContent", &v));
	assert_true(json_object_object_get_ex(res, "resultType", &v));
	json_object_put(msg);
	assert_int_equal(post(f, &f->tok, NULL, "2026-07-28", "tools/call", "other", call, &msg,
			      NULL),
			 400);
	assert_int_equal(err_code(msg), -32020);
	json_object_put(msg);
	assert_int_equal(post(f, &f->tok, NULL, "2026-07-28", "tools/call", NULL, call, &msg, NULL),
			 400);
	json_object_put(msg);
	assert_int_equal(post(f, &f->tok, NULL, "2026-07-28", "tools/call", "nope", unknown, &msg,
			      NULL),
			 400);
	assert_int_equal(err_code(msg), -32602);
	json_object_put(msg);
}

static void
test_tool_input_validation(void **state)
{
	struct fx *f = *state;
	char sid[SESS_ID_LEN + 1];
	struct json_object *msg;
	struct json_object *res;
	struct json_object *v;

	open_session(f, "2025-11-25", sid);
	/* unknown argument: a tool error the model can read, not a protocol error */
	assert_int_equal(post(f, &f->tok, sid, NULL, NULL, NULL,
			      "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{"
			      "\"name\":\"list_accounts\",\"arguments\":{\"x\":1}}}",
			      &msg, NULL),
			 200);
	assert_true(json_object_object_get_ex(msg, "result", &res));
	assert_true(json_object_object_get_ex(res, "isError", &v));
	assert_true(json_object_get_boolean(v));
	json_object_put(msg);
	assert_int_equal(post(f, &f->tok, sid, NULL, NULL, NULL,
			      "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{"
			      "\"name\":\"list_accounts\",\"arguments\":[]}}",
			      &msg, NULL),
			 200);
	assert_int_equal(err_code(msg), -32602);
	json_object_put(msg);
}

static void
test_get_delete(void **state)
{
	struct fx *f = *state;
	struct mcp_request req;
	struct mcp_reply reply;
	char sid[SESS_ID_LEN + 1];
	struct json_object *msg;

	open_session(f, "2025-11-25", sid);
	memset(&req, 0, sizeof(req));
	req.principal = &f->tok;
	req.method = MCP_HTTP_GET;
	req.session_id = hdr(sid);
	req.accept_present = true;
	req.accept_sse = true;
	mcp_reply_init(&reply);
	mcp_handle(f->mcp, &req, &reply);
	assert_int_equal(reply.kind, MCP_REPLY_STREAM);
	mcp_reply_clear(&reply);
	/* 2026-07-28 has no GET stream */
	req.session_id = hdr(NULL);
	req.protocol_version = hdr("2026-07-28");
	mcp_reply_init(&reply);
	mcp_handle(f->mcp, &req, &reply);
	assert_int_equal(reply.status, 405);
	mcp_reply_clear(&reply);
	req.method = MCP_HTTP_DELETE;
	req.session_id = hdr(sid);
	req.protocol_version = hdr(NULL);
	mcp_reply_init(&reply);
	mcp_handle(f->mcp, &req, &reply);
	assert_int_equal(reply.status, 200);
	mcp_reply_clear(&reply);
	assert_int_equal(post(f, &f->tok, sid, NULL, NULL, NULL,
			      "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}", &msg, NULL),
			 404);
	json_object_put(msg);
	req.method = MCP_HTTP_OTHER;
	mcp_reply_init(&reply);
	mcp_handle(f->mcp, &req, &reply);
	assert_int_equal(reply.status, 405);
	assert_non_null(reply.allow);
	mcp_reply_clear(&reply);
}

static void
test_media_types(void **state)
{
	struct fx *f = *state;
	struct mcp_request req;
	struct mcp_reply reply;

	memset(&req, 0, sizeof(req));
	req.principal = &f->tok;
	req.method = MCP_HTTP_POST;
	req.body = SL_LIT("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}");
	mcp_reply_init(&reply);
	mcp_handle(f->mcp, &req, &reply);
	assert_int_equal(reply.status, 415);
	mcp_reply_clear(&reply);
	req.content_type_json = true;
	req.accept_present = true;
	mcp_reply_init(&reply);
	mcp_handle(f->mcp, &req, &reply);
	assert_int_equal(reply.status, 406);
	mcp_reply_clear(&reply);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_invalid_requests),
		cmocka_unit_test(test_session_rules),
		cmocka_unit_test(test_initialize_negotiation),
		cmocka_unit_test(test_instructions_both_eras),
		cmocka_unit_test(test_batches),
		cmocka_unit_test(test_modern_checks),
		cmocka_unit_test(test_modern_tool_call),
		cmocka_unit_test(test_tool_input_validation),
		cmocka_unit_test(test_get_delete),
		cmocka_unit_test(test_media_types),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, setup, teardown);
}
