/* libFuzzer target for the tool argument validator (handlers/tools.c,
 * tool_args_check): strictly parsed request arguments against every
 * production tool's schema and a schema that uses every supported keyword.
 * Besides crashes it checks that a refusal always carries a message. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "handlers/tools.h"
#include "base/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
noop_run(struct tool_call *call)
{
	(void)call;
}

static const struct tool_arg_rule rules[] = {
	{"account", ARG_AUDIT_VERBATIM, POSTURE_READONLY},
	{"folder", ARG_AUDIT_VERBATIM, POSTURE_READONLY},
	{"limit", ARG_AUDIT_VERBATIM, POSTURE_READONLY},
	{"ratio", ARG_AUDIT_VERBATIM, POSTURE_READONLY},
	{"order", ARG_AUDIT_VERBATIM, POSTURE_READONLY},
	{"uids", ARG_AUDIT_VERBATIM, POSTURE_READONLY},
	{"to", ARG_AUDIT_RECIPIENTS, POSTURE_READONLY},
	{"opt", ARG_AUDIT_VERBATIM, POSTURE_READONLY},
	{"free", ARG_AUDIT_VERBATIM, POSTURE_READONLY},
	{NULL, 0, 0},
};

static const struct tool_def every_keyword = {
	.name = "every_keyword",
	.description = "fuzz",
	.input_schema =
		"{\"type\":\"object\",\"properties\":{"
		"\"account\":{\"type\":\"string\"},"
		"\"folder\":{\"type\":\"string\",\"minLength\":1,\"maxLength\":3},"
		"\"limit\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":100},"
		"\"ratio\":{\"type\":\"number\",\"exclusiveMinimum\":0,\"exclusiveMaximum\":1},"
		"\"order\":{\"type\":\"string\",\"enum\":[\"asc\",\"desc\",1,null]},"
		"\"uids\":{\"type\":\"array\",\"items\":{\"type\":\"integer\",\"minimum\":1},"
		"\"minItems\":1,\"maxItems\":3},"
		"\"to\":{\"type\":\"array\",\"items\":{\"type\":\"object\",\"properties\":{"
		"\"address\":{\"type\":\"string\",\"const\":\"x\"}},\"required\":[\"address\"],"
		"\"additionalProperties\":{\"type\":\"integer\"}}},"
		"\"opt\":{\"type\":[\"string\",\"null\"]},"
		"\"free\":{\"type\":\"object\",\"additionalProperties\":true}"
		"},\"required\":[\"account\"],\"additionalProperties\":false}",
	.min_posture = POSTURE_READONLY,
	.rate_class = TOOL_RATE_READ,
	.account_scoped = true,
	.args = rules,
	.run = noop_run,
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tool_registry *reg;
	static const struct tool_def *const extra[] = {&every_keyword};
	struct json_object *args = NULL;
	const char *err = NULL;
	char msg[256];
	size_t i;

	if (reg == NULL) {
		reg = tool_registry_new(extra, 1, &err);
		if (reg == NULL)
			abort();
	}
	if (json_parse_strict((struct slice){(const char *)data, size}, &args, &err) != IG_OK)
		return 0;
	for (i = 0; i < tool_registry_count(reg); i++) {
		msg[0] = '\0';
		if (!tool_args_check(reg, tool_registry_at(reg, i), args, msg, sizeof(msg)) &&
		    msg[0] == '\0')
			abort();
	}
	json_object_put(args);
	return 0;
}
