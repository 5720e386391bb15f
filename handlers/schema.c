/* Tool arguments against the tool's inputSchema (tool_args_check): the
 * subset of JSON Schema our tools use, strict by default. */
#include "handlers/tools.h"

#include <stdio.h>
#include <json-c/json.h>
#include <string.h>

#include "base/limits.h"
#include "base/utf8.h"

/* The validator checks the JSON Schema keywords our tools use and ignores
 * the others (annotations such as description/title/default, and the
 * 2020-12 features the conformance fixture uses: $ref, allOf, if/then/else):
 *   type (string or array of strings), enum, const;
 *   strings: valid UTF-8 without NUL (always, anywhere in the arguments),
 *            minLength/maxLength in Unicode code points (JSON Schema's rule);
 *   numbers: minimum, maximum, exclusiveMinimum, exclusiveMaximum; "integer"
 *            means a JSON number without fraction or exponent;
 *   arrays:  items (one schema for every element), minItems, maxItems;
 *   objects: properties, required, additionalProperties. Strict by default:
 *            a member the schema does not list is refused unless the schema
 *            says additionalProperties: true (or gives a schema for them).
 *            A subschema with none of type/properties/additionalProperties
 *            (e.g. only a $ref) is not interpreted.
 * Messages name the argument path with schema-known names and indices only
 * (never client-supplied member names or values). */

struct vctx {
	char *msg;
	size_t msgsz;
};

/* what: static text; with unit != NULL the message reads "what N unit". */
static bool
vfail_n(struct vctx *c, const char *path, const char *what, long long n, const char *unit)
{
	char text[128];

	if (unit != NULL)
		(void)snprintf(text, sizeof(text), "%s %lld %s", what, n, unit);
	else
		(void)snprintf(text, sizeof(text), "%s", what);
	if (path[0] == '\0')
		(void)snprintf(c->msg, c->msgsz, "arguments: %s", text);
	else
		(void)snprintf(c->msg, c->msgsz, "argument `%s`: %s", path, text);
	return false;
}

static bool
vfail(struct vctx *c, const char *path, const char *what)
{
	return vfail_n(c, path, what, 0, NULL);
}

static bool
json_type_matches(struct json_object *v, const char *type)
{
	enum json_type t = json_object_get_type(v);

	if (strcmp(type, "string") == 0)
		return t == json_type_string;
	if (strcmp(type, "integer") == 0)
		return t == json_type_int;
	if (strcmp(type, "number") == 0)
		return t == json_type_int || t == json_type_double;
	if (strcmp(type, "boolean") == 0)
		return t == json_type_boolean;
	if (strcmp(type, "array") == 0)
		return t == json_type_array;
	if (strcmp(type, "object") == 0)
		return t == json_type_object;
	if (strcmp(type, "null") == 0)
		return t == json_type_null;
	return false; /* an unknown type name matches nothing */
}

static bool
v_type(struct json_object *ty, struct json_object *v)
{
	size_t i;

	if (json_object_is_type(ty, json_type_string))
		return json_type_matches(v, json_object_get_string(ty));
	if (!json_object_is_type(ty, json_type_array))
		return true;
	for (i = 0; i < json_object_array_length(ty); i++) {
		struct json_object *e = json_object_array_get_idx(ty, i);

		if (json_object_is_type(e, json_type_string) &&
		    json_type_matches(v, json_object_get_string(e)))
			return true;
	}
	return false;
}

static bool
kw_int(struct json_object *schema, const char *kw, long long *v_r)
{
	struct json_object *k;

	if (!json_object_object_get_ex(schema, kw, &k) ||
	    !(json_object_is_type(k, json_type_int) || json_object_is_type(k, json_type_double)))
		return false;
	*v_r = (long long)json_object_get_int64(k);
	return true;
}

static bool
kw_num(struct json_object *schema, const char *kw, double *v_r)
{
	struct json_object *k;

	if (!json_object_object_get_ex(schema, kw, &k) ||
	    !(json_object_is_type(k, json_type_int) || json_object_is_type(k, json_type_double)))
		return false;
	*v_r = json_object_get_double(k);
	return true;
}

/* Unicode code points in valid UTF-8: bytes that do not continue one. */
static size_t
u8_count(const char *p, size_t len)
{
	size_t n = 0;
	size_t i;

	for (i = 0; i < len; i++)
		n += ((unsigned char)p[i] & 0xc0) != 0x80;
	return n;
}

/* Compares a JSON number with a bound exactly when both are integers. */
static int
num_cmp(struct json_object *v, double bound, struct json_object *schema, const char *kw)
{
	struct json_object *k = NULL;

	(void)json_object_object_get_ex(schema, kw, &k);
	if (json_object_is_type(v, json_type_int) && json_object_is_type(k, json_type_int)) {
		int64_t a = json_object_get_int64(v);
		int64_t b = json_object_get_int64(k);

		return a < b ? -1 : a > b;
	}
	{
		double a = json_object_get_double(v);

		return a < bound ? -1 : a > bound;
	}
}

static bool v_value(struct json_object *schema, struct json_object *v, char *path, size_t plen,
		    int depth, struct vctx *c);

/* Appends ".name" or "[i]" to path (at plen); returns the new length, or
 * 0 when it does not fit (the path is then left as it was). */
static size_t
path_push(char *path, size_t plen, const char *name, size_t idx)
{
	int n;

	if (name != NULL)
		n = snprintf(path + plen, (size_t)LIM_TOOL_NAME * 2 - plen, "%s%s", plen > 0 ? "." : "",
			     name);
	else
		n = snprintf(path + plen, (size_t)LIM_TOOL_NAME * 2 - plen, "[%zu]", idx);
	if (n < 0 || (size_t)n >= (size_t)LIM_TOOL_NAME * 2 - plen) {
		path[plen] = '\0';
		return plen;
	}
	return plen + (size_t)n;
}

static bool /* NOLINTNEXTLINE(misc-no-recursion): depth checked against LIM_SCHEMA_DEPTH (v_value) */
v_object(struct json_object *schema, struct json_object *v, char *path, size_t plen, int depth,
	 struct vctx *c)
{
	struct json_object *props = NULL;
	struct json_object *req = NULL;
	struct json_object *addl = NULL;
	struct json_object *ps;
	size_t i;

	(void)json_object_object_get_ex(schema, "properties", &props);
	(void)json_object_object_get_ex(schema, "required", &req);
	(void)json_object_object_get_ex(schema, "additionalProperties", &addl);
	json_object_object_foreach(v, key, val)
	{
		size_t np;

		if (props != NULL && json_object_object_get_ex(props, key, &ps)) {
			np = path_push(path, plen, key, 0);
			if (!v_value(ps, val, path, np, depth + 1, c))
				return false;
			path[plen] = '\0';
			continue;
		}
		if (json_object_is_type(addl, json_type_boolean) && json_object_get_boolean(addl))
			continue;
		if (json_object_is_type(addl, json_type_object)) {
			if (!v_value(addl, val, path, plen, depth + 1, c))
				return false;
			continue;
		}
		return vfail(c, path, "unknown property");
	}
	if (json_object_is_type(req, json_type_array)) {
		for (i = 0; i < json_object_array_length(req); i++) {
			const char *name = json_object_get_string(json_object_array_get_idx(req, i));

			if (name != NULL && !json_object_object_get_ex(v, name, NULL)) {
				size_t np = path_push(path, plen, name, 0);

				(void)np;
				return vfail(c, path, "required");
			}
		}
	}
	return true;
}

static bool /* NOLINTNEXTLINE(misc-no-recursion): depth checked against LIM_SCHEMA_DEPTH */
v_value(struct json_object *schema, struct json_object *v, char *path, size_t plen, int depth,
	struct vctx *c)
{
	struct json_object *k = NULL;
	long long n;
	double d;
	size_t i;

	if (depth > LIM_SCHEMA_DEPTH)
		return vfail(c, path, "nested too deeply");
	if (!json_object_is_type(schema, json_type_object))
		return true; /* `true` schema or something we do not interpret */
	if (json_object_object_get_ex(schema, "type", &k) && !v_type(k, v))
		return vfail(c, path, "wrong type");
	if (json_object_object_get_ex(schema, "const", &k) && !json_object_equal(k, v))
		return vfail(c, path, "not the allowed value");
	if (json_object_object_get_ex(schema, "enum", &k) && json_object_is_type(k, json_type_array)) {
		for (i = 0; i < json_object_array_length(k); i++) {
			if (json_object_equal(json_object_array_get_idx(k, i), v))
				break;
		}
		if (i == json_object_array_length(k))
			return vfail(c, path, "not one of the allowed values");
	}
	switch (json_object_get_type(v)) {
	case json_type_string: {
		size_t len = (size_t)json_object_get_string_len(v);
		size_t cps = u8_count(json_object_get_string(v), len);

		if (kw_int(schema, "minLength", &n) && (long long)cps < n)
			return vfail_n(c, path, "shorter than", n, "characters");
		if (kw_int(schema, "maxLength", &n) && (long long)cps > n)
			return vfail_n(c, path, "longer than", n, "characters");
		break;
	}
	case json_type_int:
	case json_type_double:
		if (kw_num(schema, "minimum", &d) && num_cmp(v, d, schema, "minimum") < 0)
			return vfail(c, path, "below the minimum");
		if (kw_num(schema, "maximum", &d) && num_cmp(v, d, schema, "maximum") > 0)
			return vfail(c, path, "above the maximum");
		if (kw_num(schema, "exclusiveMinimum", &d) &&
		    num_cmp(v, d, schema, "exclusiveMinimum") <= 0)
			return vfail(c, path, "not above the exclusive minimum");
		if (kw_num(schema, "exclusiveMaximum", &d) &&
		    num_cmp(v, d, schema, "exclusiveMaximum") >= 0)
			return vfail(c, path, "not below the exclusive maximum");
		break;
	case json_type_array: {
		size_t len = json_object_array_length(v);
		struct json_object *items = NULL;

		if (kw_int(schema, "minItems", &n) && (long long)len < n)
			return vfail_n(c, path, "fewer than", n, "items");
		if (kw_int(schema, "maxItems", &n) && (long long)len > n)
			return vfail_n(c, path, "more than", n, "items");
		if (json_object_object_get_ex(schema, "items", &items)) {
			for (i = 0; i < len; i++) {
				size_t np = path_push(path, plen, NULL, i);

				if (!v_value(items, json_object_array_get_idx(v, i), path, np,
					     depth + 1, c))
					return false;
				path[plen] = '\0';
			}
		}
		break;
	}
	case json_type_object:
		/* strict where the schema describes an object; a schema we do
		 * not interpret ($ref, combinators) is not guessed at */
		if (json_object_object_get_ex(schema, "properties", NULL) ||
		    json_object_object_get_ex(schema, "type", NULL) ||
		    json_object_object_get_ex(schema, "additionalProperties", NULL))
			return v_object(schema, v, path, plen, depth, c);
		break;
	default:
		break;
	}
	return true;
}

/* Every string (member names too) valid UTF-8 without NUL; the strict
 * request parser already guarantees it, this keeps the guarantee local. */
static bool /* NOLINTNEXTLINE(misc-no-recursion): depth checked against LIM_JSON_DEPTH */
strings_clean(struct json_object *v, int depth)
{
	size_t i;

	if (depth > LIM_JSON_DEPTH)
		return false;
	switch (json_object_get_type(v)) {
	case json_type_string: {
		size_t len = (size_t)json_object_get_string_len(v);
		const char *p = json_object_get_string(v);

		return memchr(p, '\0', len) == NULL && u8_valid(p, len);
	}
	case json_type_array:
		for (i = 0; i < json_object_array_length(v); i++) {
			if (!strings_clean(json_object_array_get_idx(v, i), depth + 1))
				return false;
		}
		return true;
	case json_type_object: {
		json_object_object_foreach(v, key, val)
		{
			if (!u8_valid(key, strlen(key)) || !strings_clean(val, depth + 1))
				return false;
		}
		return true;
	}
	default:
		return true;
	}
}

bool
tool_args_check(const struct tool_registry *r, const struct tool_def *t, struct json_object *args,
		char *msg, size_t msgsz)
{
	struct json_object *schema = tool_registry_schema(r, t);
	char path[LIM_TOOL_NAME * 2 + 1];
	struct vctx c = {msg, msgsz};

	path[0] = '\0';
	if (msgsz > 0)
		msg[0] = '\0';
	if (schema == NULL)
		return vfail(&c, path, "unknown tool");
	if (!json_object_is_type(args, json_type_object))
		return vfail(&c, path, "must be an object");
	if (!strings_clean(args, 0))
		return vfail(&c, path, "strings must be valid UTF-8 without NUL");
	return v_value(schema, args, path, 0, 0, &c);
}
