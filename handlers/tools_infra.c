/* Infrastructure tools: what the calling token may reach. */
#include "handlers/tools_infra.h"

#include <json-c/json.h>

#include "handlers/tools.h"
#include "base/config.h"
#include "store/state.h"

static void
list_accounts_run(struct tool_call *call)
{
	const struct ig_config *cfg = tool_call_config(call);
	const struct token_info *tok = tool_call_principal(call);
	struct json_object *out = json_object_new_object();
	struct json_object *arr = json_object_new_array();
	size_t i;

	for (i = 0; i < cfg->n_accounts; i++) {
		const struct cfg_account *a = &cfg->accounts[i];
		struct json_object *o;
		enum posture eff;

		if (!token_allows_account(tok, a->name))
			continue;
		/* effective posture = account posture ∩ token cap */
		eff = a->posture < tok->posture_cap ? a->posture : tok->posture_cap;
		o = json_object_new_object();
		json_object_object_add(o, "name", json_object_new_string(a->name));
		/* the configured mail address, never a bare login name */
		if (cfg_account_address(a) != NULL)
			json_object_object_add(o, "address",
					       json_object_new_string(cfg_account_address(a)));
		json_object_object_add(o, "posture", json_object_new_string(posture_str(eff)));
		json_object_array_add(arr, o);
	}
	json_object_object_add(out, "accounts", arr);
	tool_call_result(call, tool_result_structured(out));
}

static const struct tool_arg_rule list_accounts_rules[] = {{NULL, 0, 0}};

static const struct tool_def list_accounts = {
	.name = "list_accounts",
	.title = "List mail accounts",
	.description = "Lists the mail accounts this token may use, with the effective posture "
		       "(readonly, draft-safe, full or destructive) for each. Pass an account's "
		       "name as the `account` argument of other tools.",
	.input_schema = "{\"type\":\"object\",\"properties\":{},\"additionalProperties\":false}",
	.output_schema =
		"{\"type\":\"object\",\"properties\":{\"accounts\":{\"type\":\"array\",\"items\":"
		"{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\"},"
		"\"address\":{\"type\":\"string\"},\"posture\":{\"type\":\"string\",\"enum\":"
		"[\"readonly\",\"draft-safe\",\"full\",\"destructive\"]}},"
		"\"required\":[\"name\",\"posture\"]}}},\"required\":[\"accounts\"]}",
	.hints = TOOL_READ_ONLY | TOOL_IDEMPOTENT,
	.min_posture = POSTURE_READONLY,
	.rate_class = TOOL_RATE_INFRA,
	.account_scoped = false,
	.args = list_accounts_rules,
	.run = list_accounts_run,
};

static const struct tool_def *const infra_tools[] = {&list_accounts};

const struct tool_def *const *
tools_infra(size_t *n_r)
{
	*n_r = sizeof(infra_tools) / sizeof(infra_tools[0]);
	return infra_tools;
}
