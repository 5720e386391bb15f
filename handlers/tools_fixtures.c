/* Fixture tools whose behaviour the official MCP conformance scenarios
 * (@modelcontextprotocol/conformance) define. Linked only into imapgate-test:
 * the production binary does not contain this file. */
#include "handlers/tools_fixtures.h"

#include <json-c/json.h>

#include "handlers/tools.h"

#define NO_ARGS "{\"type\":\"object\",\"properties\":{}}"
#define RED_PIXEL_PNG                                                                              \
	"iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC"
#define TINY_WAV "UklGRiwAAABXQVZFZm10IBAAAAABAAEAQB8AAEAfAAABAAgAZGF0YQgAAACAgICAgICAgA=="

static struct json_object *
text_item(const char *text)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "type", json_object_new_string("text"));
	json_object_object_add(o, "text", json_object_new_string(text));
	return o;
}

static struct json_object *
media_item(const char *type, const char *data, const char *mime)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "type", json_object_new_string(type));
	json_object_object_add(o, "data", json_object_new_string(data));
	json_object_object_add(o, "mimeType", json_object_new_string(mime));
	return o;
}

static struct json_object *
resource_item(const char *uri, const char *mime, const char *text)
{
	struct json_object *o = json_object_new_object();
	struct json_object *r = json_object_new_object();

	json_object_object_add(r, "uri", json_object_new_string(uri));
	json_object_object_add(r, "mimeType", json_object_new_string(mime));
	json_object_object_add(r, "text", json_object_new_string(text));
	json_object_object_add(o, "type", json_object_new_string("resource"));
	json_object_object_add(o, "resource", r);
	return o;
}

static void
result_of(struct tool_call *call, struct json_object *item)
{
	struct json_object *r = json_object_new_object();
	struct json_object *content = json_object_new_array();

	json_object_array_add(content, item);
	json_object_object_add(r, "content", content);
	tool_call_result(call, r);
}

static void
simple_text_run(struct tool_call *call)
{
	result_of(call, text_item("This is a simple text response for testing."));
}

static void
image_run(struct tool_call *call)
{
	result_of(call, media_item("image", RED_PIXEL_PNG, "image/png"));
}

static void
audio_run(struct tool_call *call)
{
	result_of(call, media_item("audio", TINY_WAV, "audio/wav"));
}

static void
embedded_run(struct tool_call *call)
{
	result_of(call, resource_item("test://embedded-resource", "text/plain",
				      "This is an embedded resource content."));
}

static void
mixed_run(struct tool_call *call)
{
	struct json_object *r = json_object_new_object();
	struct json_object *content = json_object_new_array();

	json_object_array_add(content, text_item("Multiple content types test:"));
	json_object_array_add(content, media_item("image", RED_PIXEL_PNG, "image/png"));
	json_object_array_add(content, resource_item("test://mixed-content-resource",
						     "application/json",
						     "{\"test\":\"data\",\"value\":123}"));
	json_object_object_add(r, "content", content);
	tool_call_result(call, r);
}

static void
error_run(struct tool_call *call)
{
	struct json_object *r = json_object_new_object();
	struct json_object *content = json_object_new_array();

	json_object_array_add(content,
			      text_item("This tool intentionally returns an error for testing"));
	json_object_object_add(r, "content", content);
	json_object_object_add(r, "isError", json_object_new_boolean(1));
	tool_call_result(call, r);
}

static void
progress_run(struct tool_call *call)
{
	tool_call_progress(call, 0, 100, NULL);
	if (!tool_call_sleep(call, 50))
		return;
	tool_call_progress(call, 50, 100, NULL);
	if (!tool_call_sleep(call, 50))
		return;
	tool_call_progress(call, 100, 100, NULL);
	result_of(call, text_item("Progress tool completed"));
}

static void
logging_run(struct tool_call *call)
{
	tool_call_log(call, MCP_LOG_INFO, "test", "Tool execution started");
	if (!tool_call_sleep(call, 50))
		return;
	tool_call_log(call, MCP_LOG_INFO, "test", "Tool processing data");
	if (!tool_call_sleep(call, 50))
		return;
	tool_call_log(call, MCP_LOG_INFO, "test", "Tool execution completed");
	result_of(call, text_item("Logging tool completed"));
}

static void
schema_run(struct tool_call *call)
{
	result_of(call, text_item("JSON Schema 2020-12 tool called"));
}

static void
reconnection_run(struct tool_call *call)
{
	/* Close the SSE connection mid-call; the client reconnects with
	 * Last-Event-ID and receives the result from the replay log. */
	if (!tool_call_sleep(call, 100))
		return;
	tool_call_close_stream(call);
	if (!tool_call_sleep(call, 200))
		return;
	result_of(call, text_item("Reconnection test completed"));
}

static void
missing_capability_run(struct tool_call *call)
{
	struct json_object *caps = tool_call_client_caps(call);
	struct json_object *data;
	struct json_object *req;

	if (caps != NULL && json_object_object_get_ex(caps, "sampling", NULL)) {
		result_of(call, text_item("The client declared sampling"));
		return;
	}
	data = json_object_new_object();
	req = json_object_new_object();
	json_object_object_add(req, "sampling", json_object_new_object());
	json_object_object_add(data, "requiredCapabilities", req);
	tool_call_rpc_error(call, -32021, "Missing required client capability: sampling", data);
}

static const struct tool_arg_rule no_rules[] = {{NULL, 0, 0}};
static const struct tool_arg_rule schema_rules[] = {
	{"name", ARG_AUDIT_TEXT, POSTURE_READONLY},
	{"address", ARG_AUDIT_TEXT, POSTURE_READONLY},
	{"contactMethod", ARG_AUDIT_VERBATIM, POSTURE_READONLY},
	{"phone", ARG_AUDIT_TEXT, POSTURE_READONLY},
	{"email", ARG_AUDIT_RECIPIENTS, POSTURE_READONLY},
	{NULL, 0, 0},
};
static const struct tool_arg_rule region_rules[] = {
	{"region", ARG_AUDIT_VERBATIM, POSTURE_READONLY},
	{NULL, 0, 0},
};

static const struct tool_def fx_simple_text = {
	.name = "test_simple_text",
	.description = "Returns a simple text response (conformance fixture).",
	.input_schema = NO_ARGS,
	.hints = TOOL_READ_ONLY,
	.rate_class = TOOL_RATE_INFRA,
	.args = no_rules,
	.run = simple_text_run,
};
static const struct tool_def fx_image = {
	.name = "test_image_content",
	.description = "Returns image content (conformance fixture).",
	.input_schema = NO_ARGS,
	.hints = TOOL_READ_ONLY,
	.rate_class = TOOL_RATE_INFRA,
	.args = no_rules,
	.run = image_run,
};
static const struct tool_def fx_audio = {
	.name = "test_audio_content",
	.description = "Returns audio content (conformance fixture).",
	.input_schema = NO_ARGS,
	.hints = TOOL_READ_ONLY,
	.rate_class = TOOL_RATE_INFRA,
	.args = no_rules,
	.run = audio_run,
};
static const struct tool_def fx_embedded = {
	.name = "test_embedded_resource",
	.description = "Returns an embedded resource (conformance fixture).",
	.input_schema = NO_ARGS,
	.hints = TOOL_READ_ONLY,
	.rate_class = TOOL_RATE_INFRA,
	.args = no_rules,
	.run = embedded_run,
};
static const struct tool_def fx_mixed = {
	.name = "test_multiple_content_types",
	.description = "Returns text, image and resource content (conformance fixture).",
	.input_schema = NO_ARGS,
	.hints = TOOL_READ_ONLY,
	.rate_class = TOOL_RATE_INFRA,
	.args = no_rules,
	.run = mixed_run,
};
static const struct tool_def fx_error = {
	.name = "test_error_handling",
	.description = "Always returns a tool error (conformance fixture).",
	.input_schema = NO_ARGS,
	.hints = TOOL_READ_ONLY,
	.rate_class = TOOL_RATE_INFRA,
	.args = no_rules,
	.run = error_run,
};
static const struct tool_def fx_progress = {
	.name = "test_tool_with_progress",
	.description = "Reports progress 0, 50, 100 (conformance fixture).",
	.input_schema = NO_ARGS,
	.hints = TOOL_READ_ONLY,
	.rate_class = TOOL_RATE_INFRA,
	.args = no_rules,
	.run = progress_run,
};
static const struct tool_def fx_logging = {
	.name = "test_tool_with_logging",
	.description = "Sends three info log messages (conformance fixture).",
	.input_schema = NO_ARGS,
	.hints = TOOL_READ_ONLY,
	.rate_class = TOOL_RATE_INFRA,
	.args = no_rules,
	.run = logging_run,
};
static const struct tool_def fx_logging_modern = {
	.name = "test_logging_tool",
	.description = "Sends log messages when the request set a log level (conformance fixture).",
	.input_schema = NO_ARGS,
	.hints = TOOL_READ_ONLY,
	.rate_class = TOOL_RATE_INFRA,
	.args = no_rules,
	.run = logging_run,
};
static const struct tool_def fx_schema = {
	.name = "json_schema_2020_12_tool",
	.description = "Tool with JSON Schema 2020-12 features",
	.input_schema =
		"{\"$schema\":\"https://json-schema.org/draft/2020-12/schema\",\"type\":\"object\","
		"\"$defs\":{\"address\":{\"$anchor\":\"addressDef\",\"type\":\"object\","
		"\"properties\":{\"street\":{\"type\":\"string\"},\"city\":{\"type\":\"string\"}}}},"
		"\"properties\":{\"name\":{\"type\":\"string\"},\"address\":{\"$ref\":"
		"\"#/$defs/address\"},\"contactMethod\":{\"type\":\"string\",\"enum\":[\"phone\","
		"\"email\"]},\"phone\":{\"type\":\"string\"},\"email\":{\"type\":\"string\"}},"
		"\"allOf\":[{\"anyOf\":[{\"required\":[\"phone\"]},{\"required\":[\"email\"]}]}],"
		"\"if\":{\"properties\":{\"contactMethod\":{\"const\":\"phone\"}},\"required\":"
		"[\"contactMethod\"]},\"then\":{\"required\":[\"phone\"]},\"else\":{\"required\":"
		"[\"email\"]},\"additionalProperties\":false}",
	.hints = TOOL_READ_ONLY,
	.rate_class = TOOL_RATE_INFRA,
	.args = schema_rules,
	.run = schema_run,
};
static const struct tool_def fx_reconnection = {
	.name = "test_reconnection",
	.description = "Closes the SSE stream mid-call to test resumption (conformance fixture).",
	.input_schema = NO_ARGS,
	.hints = TOOL_READ_ONLY,
	.rate_class = TOOL_RATE_INFRA,
	.args = no_rules,
	.run = reconnection_run,
};
static const struct tool_def fx_missing_cap = {
	.name = "test_missing_capability",
	.description = "Requires the client's sampling capability (conformance fixture).",
	.input_schema = NO_ARGS,
	.hints = TOOL_READ_ONLY,
	.rate_class = TOOL_RATE_INFRA,
	.args = no_rules,
	.run = missing_capability_run,
};

static void
streaming_elicitation_run(struct tool_call *call)
{
	/* Stateless servers may not send requests to the client; a plain
	 * result is the conformant answer. */
	result_of(call, text_item("No elicitation in stateless mode"));
}

static void
custom_header_run(struct tool_call *call)
{
	result_of(call, text_item("Custom header accepted"));
}

static const struct tool_def fx_streaming_elicitation = {
	.name = "test_streaming_elicitation",
	.description = "Returns a plain result; never sends requests (conformance fixture).",
	.input_schema = NO_ARGS,
	.hints = TOOL_READ_ONLY,
	.rate_class = TOOL_RATE_INFRA,
	.args = no_rules,
	.run = streaming_elicitation_run,
};
static const struct tool_def fx_custom_header = {
	.name = "test_custom_header",
	.description = "Takes a parameter mirrored in the Mcp-Param-Region header (conformance "
		       "fixture).",
	.input_schema = "{\"type\":\"object\",\"properties\":{\"region\":{\"type\":\"string\","
			"\"x-mcp-header\":\"Region\"}},\"required\":[\"region\"]}",
	.hints = TOOL_READ_ONLY,
	.rate_class = TOOL_RATE_INFRA,
	.args = region_rules,
	.run = custom_header_run,
};

static const struct tool_def *const fixtures[] = {
	&fx_simple_text, &fx_image,   &fx_audio,    &fx_embedded,     &fx_mixed,
	&fx_error,       &fx_progress, &fx_logging, &fx_logging_modern, &fx_schema,
	&fx_reconnection, &fx_missing_cap, &fx_streaming_elicitation, &fx_custom_header,
};

const struct tool_def *const *
tool_fixtures(size_t *n_r)
{
	*n_r = sizeof(fixtures) / sizeof(fixtures[0]);
	return fixtures;
}
