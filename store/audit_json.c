/* One-line JSON for audit records (RFC 8259 §7 escaping, plus U+2028/U+2029
 * and C1 controls, which some log tools treat as line breaks), and the hex
 * the records, the verifier and the checkpoint write and read. */
#include "store/audit_int.h"

#include <inttypes.h>
#include <json-c/json.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/limits.h"
#include "base/utf8.h"

/* Length of the well-formed UTF-8 sequence at p (1..4), 0 when malformed. */
static size_t
u8_seq_len(const unsigned char *p, size_t avail)
{
	size_t n;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4;
	else
		return 0;
	if (n > avail || !u8_valid((const char *)p, n))
		return 0;
	return n;
}

void
audit_json_str(struct buf *b, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	size_t n;

	buf_putc(b, '"');
	while (i < len) {
		unsigned char c = p[i];

		if (c < 0x80) {
			if (c == '"' || c == '\\') {
				buf_putc(b, '\\');
				buf_putc(b, (char)c);
			} else if (c == '\n') {
				buf_puts(b, "\\n");
			} else if (c == '\r') {
				buf_puts(b, "\\r");
			} else if (c == '\t') {
				buf_puts(b, "\\t");
			} else if (c < 0x20 || c == 0x7f) {
				buf_appendf(b, "\\u%04x", c);
			} else {
				buf_putc(b, (char)c);
			}
			i++;
			continue;
		}
		n = u8_seq_len(p + i, len - i);
		if (n == 0) {
			buf_puts(b, "\\ufffd");
			i++;
			continue;
		}
		if (n == 2 && c == 0xc2 && p[i + 1] <= 0x9f) /* C1 controls, NEL among them */
			buf_appendf(b, "\\u%04x", p[i + 1]);
		else if (n == 3 && c == 0xe2 && p[i + 1] == 0x80 && (p[i + 2] == 0xa8 || p[i + 2] == 0xa9))
			buf_puts(b, p[i + 2] == 0xa8 ? "\\u2028" : "\\u2029");
		else
			buf_append(b, p + i, n);
		i += n;
	}
	buf_putc(b, '"');
}

static int
key_cmp(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

static void /* NOLINTNEXTLINE(misc-no-recursion): deeper than LIM_JSON_DEPTH is written as null */
json_put_depth(struct buf *b, struct json_object *v, bool sorted, int depth)
{
	size_t i;
	size_t n;
	bool first = true;

	if (depth > LIM_JSON_DEPTH) {
		buf_puts(b, "null");
		return;
	}
	switch (json_object_get_type(v)) {
	case json_type_null:
		buf_puts(b, "null");
		break;
	case json_type_boolean:
		buf_puts(b, json_object_get_boolean(v) ? "true" : "false");
		break;
	case json_type_int:
		buf_appendf(b, "%" PRId64, json_object_get_int64(v));
		break;
	case json_type_double:
		if (!isfinite(json_object_get_double(v)))
			buf_puts(b, "null");
		else
			buf_puts(b, json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
		break;
	case json_type_string:
		audit_json_str(b, json_object_get_string(v), (size_t)json_object_get_string_len(v));
		break;
	case json_type_array:
		buf_putc(b, '[');
		n = json_object_array_length(v);
		for (i = 0; i < n; i++) {
			if (i > 0)
				buf_putc(b, ',');
			json_put_depth(b, json_object_array_get_idx(v, i), sorted, depth + 1);
		}
		buf_putc(b, ']');
		break;
	case json_type_object:
		buf_putc(b, '{');
		if (!sorted) {
			json_object_object_foreach(v, key, val)
			{
				if (!first)
					buf_putc(b, ',');
				first = false;
				audit_json_str(b, key, strlen(key));
				buf_putc(b, ':');
				json_put_depth(b, val, sorted, depth + 1);
			}
		} else {
			const char **keys;
			struct json_object *val;

			n = (size_t)json_object_object_length(v);
			keys = n > 0 ? calloc(n, sizeof(*keys)) : NULL;
			if (n > 0 && keys == NULL) {
				b->err = IG_ENOMEM;
				return;
			}
			i = 0;
			json_object_object_foreach(v, key, unused)
			{
				(void)unused;
				if (i < n)
					keys[i++] = key;
			}
			if (i > 1)
				qsort(keys, i, sizeof(*keys), key_cmp);
			for (n = i, i = 0; i < n; i++) {
				if (i > 0)
					buf_putc(b, ',');
				audit_json_str(b, keys[i], strlen(keys[i]));
				buf_putc(b, ':');
				(void)json_object_object_get_ex(v, keys[i], &val);
				json_put_depth(b, val, sorted, depth + 1);
			}
			free(keys);
		}
		buf_putc(b, '}');
		break;
	}
}

void
audit_json_put(struct buf *b, struct json_object *v, bool sorted)
{
	json_put_depth(b, v, sorted, 0);
}

void
audit_hex_put(char *out, const unsigned char *p, size_t n)
{
	static const char hx[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hx[p[i] >> 4];
		out[2 * i + 1] = hx[p[i] & 15];
	}
	out[2 * n] = '\0';
}

bool
audit_hex_get(const char *s, unsigned char *out, size_t n)
{
	size_t i;

	for (i = 0; i < 2 * n; i++) {
		char c = s[i];
		int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;

		if (v < 0)
			return false;
		if (i % 2 == 0)
			out[i / 2] = (unsigned char)(v << 4);
		else
			out[i / 2] |= (unsigned char)v;
	}
	return true;
}
