/* Argument redaction: structural fields verbatim, mail text as its size,
 * recipients as salted hashes, secrets never (DESIGN §9). */
#include "store/audit_redact.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "store/audit.h"
#include "store/audit_int.h"
#include "base/buf.h"
#include "base/limits.h"

static struct json_object *
redacted(size_t n)
{
	char s[48];

	(void)snprintf(s, sizeof(s), "<redacted:%zu>", n);
	return json_object_new_string(s);
}

/* Bytes of a value: a string's length, else its JSON text's. */
static size_t
value_bytes(struct json_object *v)
{
	struct buf b;
	size_t n;

	if (json_object_is_type(v, json_type_string))
		return (size_t)json_object_get_string_len(v);
	buf_init(&b, LIM_HTTP_BODY * 2);
	audit_json_put(&b, v, false);
	n = b.len;
	buf_free(&b);
	return n;
}

static struct json_object *
rcpt_hash(const struct audit *a, const char *s, size_t len)
{
	char norm[512];
	char out[64];
	size_t i;

	/* An address over 512 bytes is not one; hash it whole, unnormalized. */
	while (len > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		len--;
	}
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	if (len <= sizeof(norm)) {
		for (i = 0; i < len; i++) {
			char ch = s[i];

			if (ch >= 'A' && ch <= 'Z')
				ch = (char)(ch - 'A' + 'a');
			norm[i] = ch;
		}
		s = norm;
	}
	audit_hash_value(a, "rcpt_", s, len, out, sizeof(out));
	return json_object_new_string(out);
}

static struct json_object * /* NOLINTNEXTLINE(misc-no-recursion): one level (an address member is a string) */
rcpt_one(const struct audit *a, struct json_object *v)
{
	struct json_object *o;

	if (json_object_is_type(v, json_type_string))
		return rcpt_hash(a, json_object_get_string(v), (size_t)json_object_get_string_len(v));
	if (!json_object_is_type(v, json_type_object))
		return redacted(value_bytes(v));
	o = json_object_new_object();
	json_object_object_foreach(v, key, val)
	{
		if (strcmp(key, "address") == 0 && json_object_is_type(val, json_type_string))
			json_object_object_add(o, key, rcpt_one(a, val));
		else
			json_object_object_add(o, key, redacted(value_bytes(val)));
	}
	return o;
}

static struct json_object *
rcpt_value(const struct audit *a, struct json_object *v)
{
	struct json_object *arr;
	size_t i;

	if (!json_object_is_type(v, json_type_array))
		return rcpt_one(a, v);
	arr = json_object_new_array();
	for (i = 0; i < json_object_array_length(v); i++)
		json_object_array_add(arr, rcpt_one(a, json_object_array_get_idx(v, i)));
	return arr;
}

static struct json_object *
verbatim(struct json_object *v)
{
	char s[48];

	if (json_object_is_type(v, json_type_string) &&
	    (size_t)json_object_get_string_len(v) > LIM_AUDIT_VERBATIM) {
		(void)snprintf(s, sizeof(s), "<long:%d>", json_object_get_string_len(v));
		return json_object_new_string(s);
	}
	return json_object_get(v);
}

struct json_object *
audit_redact_args(const struct audit *a, audit_arg_class_fn class_of, const void *ctx,
		  struct json_object *args)
{
	struct json_object *out = json_object_new_object();
	struct buf b;

	if (out == NULL)
		return NULL;
	if (args == NULL || !json_object_is_type(args, json_type_object))
		return out;
	json_object_object_foreach(args, key, val)
	{
		enum audit_arg_class how = class_of != NULL ? class_of(ctx, key) : ARG_AUDIT_TEXT;

		switch (how) {
		case ARG_AUDIT_VERBATIM:
			json_object_object_add(out, key, verbatim(val));
			break;
		case ARG_AUDIT_RECIPIENTS:
			json_object_object_add(out, key, rcpt_value(a, val));
			break;
		case ARG_AUDIT_SECRET:
			break;
		case ARG_AUDIT_TEXT:
		default:
			json_object_object_add(out, key, redacted(value_bytes(val)));
			break;
		}
	}
	buf_init(&b, LIM_AUDIT_ARGS);
	audit_json_put(&b, out, false);
	if (buf_err(&b) != IG_OK) {
		size_t n = value_bytes(out);

		json_object_put(out);
		out = json_object_new_object();
		json_object_object_add(out, "_omitted_bytes", json_object_new_int64((int64_t)n));
	}
	buf_free(&b);
	return out;
}

void
audit_args_hash(const struct audit *a, struct json_object *args, char out[65])
{
	struct buf b;

	buf_init(&b, LIM_HTTP_BODY * 4);
	if (args != NULL)
		audit_json_put(&b, args, true);
	else
		buf_puts(&b, "{}");
	audit_hmac_hex(a, b.p != NULL ? b.p : "", b.len, out);
	buf_free(&b);
}
