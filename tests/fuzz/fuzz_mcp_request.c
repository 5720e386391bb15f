/* libFuzzer target for the request path: HTTP body + MCP headers →
 * strict JSON → JSON-RPC/MCP handling (both eras, sessions, batches, tool
 * calls run inline). The first input byte picks the header variant; the rest
 * is the body. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "handlers/tools.h"
#include "base/config.h"
#include "server/mcp.h"
#include "store/state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ig_config *cfg;
static struct tool_registry *tools;
static struct mcp *mcp;
static struct token_info principal;
static char session_id[SESS_ID_LEN + 1];
static char session_id_0326[SESS_ID_LEN + 1];

static void
nop(void *conn)
{
	(void)conn;
}

static void
handle(struct mcp_request *req, struct mcp_reply *reply)
{
	struct mcp_reply polled;

	mcp_reply_init(reply);
	mcp_handle(mcp, req, reply);
	if (reply->kind == MCP_REPLY_CALL) {
		mcp_reply_init(&polled);
		/* without an executor the call has finished already */
		(void)mcp_call_poll(reply->call, &polled, nop, nop, &polled);
		mcp_reply_clear(&polled);
	}
}

static void
open_session(const char *proto, char *id_out)
{
	struct mcp_request req;
	struct mcp_reply reply;
	char body[256];
	int n = snprintf(body, sizeof(body),
			 "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{"
			 "\"protocolVersion\":\"%s\",\"capabilities\":{},\"clientInfo\":{"
			 "\"name\":\"fuzz\",\"version\":\"1\"}}}",
			 proto);

	memset(&req, 0, sizeof(req));
	req.method = MCP_HTTP_POST;
	req.body = (struct slice){body, (size_t)n};
	req.content_type_json = true;
	req.principal = &principal;
	handle(&req, &reply);
	memcpy(id_out, reply.session_id, SESS_ID_LEN + 1);
	mcp_reply_clear(&reply);
}

static void
setup(void)
{
	struct mcp_opts o;
	char *error = NULL;
	const char *err2 = NULL;

	if (sodium_init() < 0 || config_load(NULL, NULL, &cfg, &error) != IG_OK)
		abort();
	tools = tool_registry_new(NULL, 0, &err2);
	memset(&o, 0, sizeof(o));
	o.cfg = cfg;
	o.tools = tools;
	o.max_sessions = 4096;
	o.session_idle_s = 1000000;
	mcp = mcp_new(&o);
	if (tools == NULL || mcp == NULL)
		abort();
	principal.id = 1;
	principal.posture_cap = POSTURE_FULL;
	memcpy(principal.accounts, "*", 2);
	open_session("2025-11-25", session_id);
	open_session("2025-03-26", session_id_0326);
}

static struct mcp_hdr
hdr(const char *s)
{
	return (struct mcp_hdr){{s, strlen(s)}, true};
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const versions[] = {"2025-11-25", "2025-03-26", "2026-07-28",
					       "1999-01-01"};
	struct mcp_request req;
	struct mcp_reply reply;
	uint8_t sel;

	if (mcp == NULL)
		setup();
	if (size == 0)
		return 0;
	sel = data[0];
	memset(&req, 0, sizeof(req));
	req.method = (sel & 0x80) ? ((sel & 0x40) ? MCP_HTTP_GET : MCP_HTTP_DELETE) : MCP_HTTP_POST;
	req.body = (struct slice){(const char *)data + 1, size - 1};
	req.content_type_json = (sel & 0x20) == 0;
	req.accept_present = (sel & 0x10) != 0;
	req.accept_json = (sel & 0x01) != 0;
	req.accept_sse = (sel & 0x02) != 0;
	if (sel & 0x04)
		req.session_id = hdr((sel & 0x08) ? session_id_0326 : session_id);
	if (sel & 0x08)
		req.protocol_version = hdr(versions[(sel >> 2) & 3]);
	req.mcp_method = hdr("tools/call");
	req.mcp_name = hdr("list_accounts");
	req.last_event_id = hdr("1-0");
	req.principal = &principal;
	handle(&req, &reply);
	mcp_reply_clear(&reply);
	if (req.method == MCP_HTTP_DELETE) {
		/* keep later inputs able to reach a live session */
		open_session("2025-11-25", session_id);
		open_session("2025-03-26", session_id_0326);
	}
	return 0;
}
