/* The tool registry: every tool family's definitions checked once at start
 * (names, schemas, argument rules, posture and rate class), their
 * tools/list entries rendered once. MCP revision 2025-11-25 "Tools"; tool
 * names follow its naming rule. */
#include "handlers/tools.h"

#include <stdio.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/limits.h"
#include "handlers/tools_fetch.h"
#include "handlers/tools_infra.h"
#include "handlers/tools_mutate.h"
#include "handlers/tools_read.h"
#include "handlers/tools_search.h"
#include "handlers/tools_send.h"
#include "store/state.h"

struct tool_entry {
	const struct tool_def *def;
	struct json_object *input_schema;
	char *json; /* this tool's tools/list entry */
	size_t json_len;
};

struct tool_registry {
	struct tool_entry *tools;
	size_t n;
	char *list_json;
	size_t list_len;
};

static bool
tool_name_valid(const char *name)
{
	size_t i;
	size_t len = strlen(name);

	if (len == 0 || len > LIM_TOOL_NAME)
		return false;
	for (i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '-'))
			return false;
	}
	return true;
}

/* Every tool states its policy (DESIGN §4.3, §8, §9): a rate class, and an
 * audit rule for exactly the properties of its input schema. */
static const char *
tool_policy_check(const struct tool_def *d, struct json_object *schema)
{
	struct json_object *props = NULL;
	const struct tool_arg_rule *r;
	size_t n_rules = 0;

	if (d->rate_class == TOOL_RATE_UNSET || d->args == NULL)
		return "tool without a rate class or argument rules";
	(void)json_object_object_get_ex(schema, "properties", &props);
	for (r = d->args; r->name != NULL; r++) {
		if (r->audit < ARG_AUDIT_VERBATIM || r->audit > ARG_AUDIT_SECRET)
			return "argument rule without an audit treatment";
		if (props == NULL || !json_object_object_get_ex(props, r->name, NULL))
			return "argument rule for a property the schema lacks";
		n_rules++;
	}
	if (props != NULL && json_object_object_length(props) != (int)n_rules)
		return "schema property without an argument rule";
	if (d->account_scoped &&
	    (props == NULL || !json_object_object_get_ex(props, "account", NULL)))
		return "account-scoped tool without an `account` property";
	return NULL;
}

/* Informative: the posture a tool and each of its sub-capabilities need
 * (docs/security-model.md), so that an agent can tell "not at this posture"
 * from "not offered". */
static struct json_object *
tool_policy_meta(const struct tool_def *d)
{
	struct json_object *meta = json_object_new_object();
	struct json_object *subs = json_object_new_object();
	const struct tool_arg_rule *r;
	char name[LIM_TOOL_NAME * 2 + 2];

	json_object_object_add(meta, "imapgate/minPosture",
			       json_object_new_string(posture_str(d->min_posture)));
	for (r = d->args; r->name != NULL; r++) {
		if (r->min_posture == POSTURE_READONLY)
			continue;
		(void)snprintf(name, sizeof(name), "%s.%s", d->name, r->name);
		json_object_object_add(subs, name,
				       json_object_new_string(posture_str(r->min_posture)));
	}
	if (json_object_object_length(subs) > 0)
		json_object_object_add(meta, "imapgate/subCapabilities", subs);
	else
		json_object_put(subs);
	return meta;
}

static struct json_object *
tool_def_json(const struct tool_def *d, struct json_object *input_schema, const char **error_r)
{
	struct json_object *t = json_object_new_object();
	struct json_object *ann = json_object_new_object();
	struct json_object *out;

	json_object_object_add(t, "name", json_object_new_string(d->name));
	if (d->title != NULL)
		json_object_object_add(t, "title", json_object_new_string(d->title));
	json_object_object_add(t, "description", json_object_new_string(d->description));
	json_object_object_add(t, "inputSchema", json_object_get(input_schema));
	if (d->output_schema != NULL) {
		out = json_parse_trusted(d->output_schema); /* trusted static text */
		if (out == NULL) {
			*error_r = "bad output schema";
			json_object_put(ann);
			json_object_put(t);
			return NULL;
		}
		json_object_object_add(t, "outputSchema", out);
	}
	if (d->title != NULL)
		json_object_object_add(ann, "title", json_object_new_string(d->title));
	json_object_object_add(ann, "readOnlyHint",
			       json_object_new_boolean((d->hints & TOOL_READ_ONLY) != 0));
	json_object_object_add(ann, "destructiveHint",
			       json_object_new_boolean((d->hints & TOOL_DESTRUCTIVE) != 0));
	json_object_object_add(ann, "idempotentHint",
			       json_object_new_boolean((d->hints & TOOL_IDEMPOTENT) != 0));
	json_object_object_add(ann, "openWorldHint",
			       json_object_new_boolean((d->hints & TOOL_OPEN_WORLD) != 0));
	json_object_object_add(t, "annotations", ann);
	json_object_object_add(t, "_meta", tool_policy_meta(d));
	return t;
}

/* The production tool families, in tools/list order. */
typedef const struct tool_def *const *(*tool_family_fn)(size_t *n_r);
static const tool_family_fn tool_families[] = {tools_infra,  tools_read,   tools_search, tools_fetch,
						 tools_thread, tools_mutate, tools_send};
#define N_FAMILIES (sizeof(tool_families) / sizeof(tool_families[0]))

struct tool_registry *
tool_registry_new(const struct tool_def *const *extra, size_t n_extra, const char **error_r)
{
	const struct tool_def *const *fam[N_FAMILIES + 1];
	size_t n_fam[N_FAMILIES + 1];
	struct tool_registry *r = calloc(1, sizeof(*r));
	struct json_object *arr = NULL;
	size_t n_all = n_extra;
	size_t f = 0;
	size_t k = 0;
	size_t i;
	size_t j;

	for (i = 0; i < N_FAMILIES; i++) {
		fam[i] = tool_families[i](&n_fam[i]);
		n_all += n_fam[i];
	}
	fam[N_FAMILIES] = extra;
	n_fam[N_FAMILIES] = n_extra;
	if (r == NULL)
		return NULL;
	if (n_all > LIM_TOOLS) {
		*error_r = "more tools than LIM_TOOLS";
		free(r);
		return NULL;
	}
	r->tools = calloc(n_all, sizeof(*r->tools));
	arr = json_object_new_array();
	if (r->tools == NULL || arr == NULL)
		goto fail;
	for (i = 0; i < n_all; i++) {
		const struct tool_def *d;
		struct json_object *schema;
		struct json_object *t;

		while (k == n_fam[f]) {
			f++;
			k = 0;
		}
		d = fam[f][k++];
		if (!tool_name_valid(d->name)) {
			*error_r = "invalid tool name";
			goto fail;
		}
		for (j = 0; j < r->n; j++) {
			if (strcmp(r->tools[j].def->name, d->name) == 0) {
				*error_r = "duplicate tool name";
				goto fail;
			}
		}
		schema = json_parse_trusted(d->input_schema); /* trusted static text */
		if (schema == NULL || !json_object_is_type(schema, json_type_object)) {
			json_object_put(schema);
			*error_r = "bad input schema";
			goto fail;
		}
		*error_r = tool_policy_check(d, schema);
		if (*error_r != NULL) {
			json_object_put(schema);
			goto fail;
		}
		r->tools[r->n].def = d;
		r->tools[r->n].input_schema = schema;
		r->n++;
		t = tool_def_json(d, schema, error_r);
		if (t == NULL)
			goto fail;
		r->tools[r->n - 1].json = strdup(json_object_to_json_string_ext(
			t, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		if (r->tools[r->n - 1].json == NULL) {
			json_object_put(t);
			*error_r = "out of memory";
			goto fail;
		}
		r->tools[r->n - 1].json_len = strlen(r->tools[r->n - 1].json);
		json_object_array_add(arr, t);
	}
	r->list_json = strdup(json_object_to_json_string_ext(
		arr, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	if (r->list_json == NULL)
		goto fail;
	r->list_len = strlen(r->list_json);
	json_object_put(arr);
	return r;
fail:
	json_object_put(arr);
	tool_registry_free(r);
	return NULL;
}

void
tool_registry_free(struct tool_registry *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->n; i++) {
		json_object_put(r->tools[i].input_schema);
		free(r->tools[i].json);
	}
	free(r->tools);
	free(r->list_json);
	free(r);
}

static const struct tool_entry *
tool_entry_find(const struct tool_registry *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		if (strcmp(r->tools[i].def->name, name) == 0)
			return &r->tools[i];
	}
	return NULL;
}

const struct tool_def *
tool_registry_find(const struct tool_registry *r, const char *name)
{
	const struct tool_entry *e = tool_entry_find(r, name);

	return e != NULL ? e->def : NULL;
}

struct json_object *
tool_registry_schema(const struct tool_registry *r, const struct tool_def *t)
{
	const struct tool_entry *e = tool_entry_find(r, t->name);

	return e != NULL ? e->input_schema : NULL;
}

const char *
tool_registry_list_json(const struct tool_registry *r, size_t *len_r)
{
	*len_r = r->list_len;
	return r->list_json;
}

size_t
tool_registry_count(const struct tool_registry *r)
{
	return r->n;
}

const struct tool_def *
tool_registry_at(const struct tool_registry *r, size_t i)
{
	return i < r->n ? r->tools[i].def : NULL;
}

const char *
tool_registry_entry_json(const struct tool_registry *r, size_t i, size_t *len_r)
{
	*len_r = r->tools[i].json_len;
	return r->tools[i].json;
}

