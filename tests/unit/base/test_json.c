/* Tests base/json.c: valid documents, every rejection rule, limits at and
 * one past the boundary, truncation at every byte, and agreement with json-c
 * and strtod where they are the reference. Inputs are copied into exact-size
 * heap buffers so ASan sees any read past the end of a slice. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "base/buf.h"
#include "base/limits.h"
#include "base/json.h"

/* Validates n bytes of s from an exact-size copy; *msg_r may be NULL. */
static enum ig_err
validate_n(const char *s, size_t n, const char **msg_r)
{
	char *copy = malloc(n > 0 ? n : 1);
	const char *msg = NULL;
	enum ig_err err;

	assert_non_null(copy);
	if (n > 0)
		memcpy(copy, s, n);
	err = json_validate_strict((struct slice){copy, n}, &msg);
	free(copy);
	if (msg_r != NULL)
		*msg_r = msg;
	return err;
}

static enum ig_err
validate(const char *s)
{
	return validate_n(s, strlen(s), NULL);
}

/* Parses with json_parse_strict and checks it agrees with the validator. */
static enum ig_err
parse_n(const char *s, size_t n, struct json_object **obj_r)
{
	char *copy = malloc(n > 0 ? n : 1);
	/* Not NULL, so a failure that forgets to clear *obj_r is caught. */
	struct json_object *obj = (struct json_object *)&copy;
	const char *msg = NULL;
	enum ig_err verr;
	enum ig_err err;

	assert_non_null(copy);
	if (n > 0)
		memcpy(copy, s, n);
	verr = json_validate_strict((struct slice){copy, n}, NULL);
	err = json_parse_strict((struct slice){copy, n}, &obj, &msg);
	free(copy);
	assert_int_equal(err, verr);
	if (err != IG_OK) {
		assert_null(obj);
		assert_non_null(msg);
	} else {
		assert_null(msg);
	}
	if (obj_r != NULL)
		*obj_r = obj;
	else
		json_object_put(obj);
	return err;
}

static const char *const valid_docs[] = {
	"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}",
	"{\"jsonrpc\":\"2.0\",\"id\":\"abc\",\"method\":\"tools/call\",\"params\":{}}",
	"{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}",
	"[{\"id\":1,\"method\":\"ping\"},{\"id\":2,\"method\":\"ping\"}]",
	"{\"params\":{\"name\":\"search\",\"arguments\":{\"query\":\"from:a\",\"limit\":20}}}",
	"{}",
	"[]",
	"[[]]",
	"{\"a\":{}}",
	"\"\"",
	"\"x\"",
	"0",
	"-0",
	"123",
	"1.5e-3",
	"true",
	"false",
	"null",
	" \t\r\n{ \"a\" : [ 1 , 2 , { } , [ ] ] , \"b\" : null } \n",
	"{\"\":0}",
	"{\"a\":1,\"ab\":2,\"b\":3}",
	"{\"a\":{\"a\":{\"a\":1}}}",
	"[{\"a\":1},{\"a\":1}]",
	"{\"a\":{\"x\":1},\"b\":{\"x\":1}}",
	"\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u0001\"",
	"\"\\u00e9 \\u20AC \\ud83d\\ude00 \\uDBFF\\uDFFF\"",
	"\"caf\xc3\xa9 \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf\"",
	"\"\x7f\"", /* DEL is not a control character in RFC 8259 */
	"{\"\xc3\xa9\":1,\"e\\u0301\":2}", /* not normalised: different keys */
	"{\"a\":1,\"A\":2}",
	"[1,-1,0.5,-0.5,1e5,1E5,1e+5,1e-5,0e0,0.0e-0]",
};

static void
test_valid_documents(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(valid_docs) / sizeof(valid_docs[0]); i++) {
		if (parse_n(valid_docs[i], strlen(valid_docs[i]), NULL) != IG_OK)
			fail_msg("valid document %zu rejected: %s", i, valid_docs[i]);
	}
}

static void
test_parse_builds_object(void **state)
{
	struct json_object *obj = NULL;
	struct json_object *v = NULL;
	const char *doc = valid_docs[1];

	(void)state;
	assert_int_equal(parse_n(doc, strlen(doc), &obj), IG_OK);
	assert_true(json_object_is_type(obj, json_type_object));
	assert_true(json_object_object_get_ex(obj, "method", &v));
	assert_string_equal(json_object_get_string(v), "tools/call");
	assert_true(json_object_object_get_ex(obj, "id", &v));
	assert_string_equal(json_object_get_string(v), "abc");
	json_object_put(obj);

	/* Escapes arrive unescaped, surrogate pairs as one UTF-8 character. */
	doc = "{\"k\\u0061\":\"\\ud83d\\ude00\\n\"}";
	assert_int_equal(parse_n(doc, strlen(doc), &obj), IG_OK);
	assert_true(json_object_object_get_ex(obj, "ka", &v));
	assert_string_equal(json_object_get_string(v), "\xf0\x9f\x98\x80\n");
	json_object_put(obj);

	/* A top-level number has no closing delimiter for json-c to see. */
	assert_int_equal(parse_n("42", 2, &obj), IG_OK);
	assert_int_equal(json_object_get_int64(obj), 42);
	json_object_put(obj);
	assert_int_equal(parse_n("-9223372036854775808", 20, &obj), IG_OK);
	assert_true(json_object_get_int64(obj) == INT64_MIN);
	json_object_put(obj);
	assert_int_equal(parse_n("1e-400", 6, &obj), IG_OK);
	assert_true(json_object_get_double(obj) == 0.0);
	json_object_put(obj);

	/* `null` is a valid document whose object is NULL. */
	assert_int_equal(parse_n("null", 4, &obj), IG_OK);
	assert_null(obj);
}

struct reject_case {
	const char *doc;
	enum ig_err err;
	const char *msg; /* NULL: any message */
};

static const struct reject_case reject_cases[] = {
	{"", IG_EINVAL, "unexpected end of input"},
	{"   ", IG_EINVAL, "unexpected end of input"},
	{"{", IG_EINVAL, "unexpected end of input"},
	{"[1,", IG_EINVAL, "unexpected end of input"},
	{"\"abc", IG_EINVAL, "unexpected end of input"},
	{"{} {}", IG_EINVAL, "trailing data"},
	{"[]]", IG_EINVAL, "trailing data"},
	{"1 2", IG_EINVAL, "trailing data"},
	{"{}x", IG_EINVAL, "trailing data"},
	{"nullx", IG_EINVAL, "trailing data"},
	{"[1,]", IG_EINVAL, "syntax error"},
	{"[,1]", IG_EINVAL, "syntax error"},
	{"{\"a\":1,}", IG_EINVAL, "syntax error"},
	{"{,}", IG_EINVAL, "syntax error"},
	{"{\"a\"}", IG_EINVAL, "syntax error"},
	{"{\"a\" 1}", IG_EINVAL, "syntax error"},
	{"{\"a\":}", IG_EINVAL, "syntax error"},
	{"{a:1}", IG_EINVAL, "syntax error"},
	{"{'a':1}", IG_EINVAL, "syntax error"},
	{"{1:1}", IG_EINVAL, "syntax error"},
	{"[1 2]", IG_EINVAL, "syntax error"},
	{"[1:2]", IG_EINVAL, "syntax error"},
	{"{\"a\":1]", IG_EINVAL, "syntax error"},
	{"[1}", IG_EINVAL, "syntax error"},
	{"]", IG_EINVAL, "syntax error"},
	{"}", IG_EINVAL, "syntax error"},
	{"tru", IG_EINVAL, "syntax error"},
	{"True", IG_EINVAL, "syntax error"},
	{"nul", IG_EINVAL, "syntax error"},
	{"undefined", IG_EINVAL, "syntax error"},
	{"/* c */ {}", IG_EINVAL, "syntax error"},
	{"{} // c", IG_EINVAL, "trailing data"},
	{"'a'", IG_EINVAL, "syntax error"},
	{"\xef\xbb\xbf{}", IG_EINVAL, "syntax error"}, /* BOM */
	{"\f{}", IG_EINVAL, "syntax error"},           /* not JSON whitespace */
	{"\v{}", IG_EINVAL, "syntax error"},
	{"\xc2\xa0{}", IG_EINVAL, "syntax error"},     /* NBSP */
	{"\"a\tb\"", IG_EINVAL, "control character in string"},
	{"\"a\nb\"", IG_EINVAL, "control character in string"},
	{"\"\x1f\"", IG_EINVAL, "control character in string"},
	{"\"\\x41\"", IG_EINVAL, "invalid escape"},
	{"\"\\'\"", IG_EINVAL, "invalid escape"},
	{"\"\\U0041\"", IG_EINVAL, "invalid escape"},
	{"\"\\u12\"", IG_EINVAL, "invalid \\u escape"},
	{"\"\\u00G0\"", IG_EINVAL, "invalid \\u escape"},
	{"\"\\u0000\"", IG_EINVAL, "\\u0000 in string"},
	{"{\"\\u0000\":1}", IG_EINVAL, "\\u0000 in string"},
	{"\"\\ud800\"", IG_EINVAL, "unpaired surrogate"},
	{"\"\\udc00\"", IG_EINVAL, "unpaired surrogate"},
	{"\"\\udfff\\ud800\"", IG_EINVAL, "unpaired surrogate"},
	{"\"\\ud800\\ud800\"", IG_EINVAL, "unpaired surrogate"},
	{"\"\\ud800\\u0041\"", IG_EINVAL, "unpaired surrogate"},
	{"\"\\ud800x\"", IG_EINVAL, "unpaired surrogate"},
	{"\"\\ud800\\n\"", IG_EINVAL, "unpaired surrogate"},
	{"\"\\ud800\\", IG_EINVAL, "unpaired surrogate"},
	{"\"\\ud800\\udc0", IG_EINVAL, "unpaired surrogate"},
	{"\"\\", IG_EINVAL, "unexpected end of input"},
	{"{\"a\":1,\"a\":2}", IG_EINVAL, "duplicate key"},
	{"{\"a\":1,\"\\u0061\":2}", IG_EINVAL, "duplicate key"},
	{"{\"\\u0061\":1,\"\\u0061\":2}", IG_EINVAL, "duplicate key"},
	{"{\"/\":1,\"\\/\":2}", IG_EINVAL, "duplicate key"},
	{"{\"\":1,\"\":2}", IG_EINVAL, "duplicate key"},
	{"{\"\xf0\x9f\x98\x80\":1,\"\\ud83d\\ude00\":2}", IG_EINVAL, "duplicate key"},
	{"{\"\xc3\xa9\":1,\"\\u00E9\":2}", IG_EINVAL, "duplicate key"},
	{"{\"a\":{\"b\":1,\"c\":2},\"a\":3}", IG_EINVAL, "duplicate key"},
	{"{\"x\":{\"b\":1,\"b\":2}}", IG_EINVAL, "duplicate key"},
	{"[{\"a\":1},{\"b\":1,\"b\":1}]", IG_EINVAL, "duplicate key"},
	{"{\"a\":1,\"b\":2,\"c\":3,\"a\":4}", IG_EINVAL, "duplicate key"},
	{"\"\xc0\xaf\"", IG_EINVAL, "invalid UTF-8"},
	{"\xff", IG_EINVAL, "invalid UTF-8"},
	{"[1]\xff", IG_EINVAL, "invalid UTF-8"},
};

static void
test_rejections(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(reject_cases) / sizeof(reject_cases[0]); i++) {
		const struct reject_case *c = &reject_cases[i];
		const char *msg = NULL;
		enum ig_err err = validate_n(c->doc, strlen(c->doc), &msg);

		if (err != c->err || msg == NULL || (c->msg != NULL && strcmp(msg, c->msg) != 0))
			fail_msg("case %zu (%s): got %s \"%s\", want %s \"%s\"", i, c->doc,
				 ig_err_str(err), msg != NULL ? msg : "(null)", ig_err_str(c->err),
				 c->msg != NULL ? c->msg : "*");
		assert_int_equal(parse_n(c->doc, strlen(c->doc), NULL), c->err);
	}
}

static void
test_nul_anywhere(void **state)
{
	static const char with_nul[] = "{\"a\":\"x\0y\"}";
	const char *doc = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}";
	size_t n = strlen(doc);
	char buf[64];
	const char *msg = NULL;
	size_t i;

	(void)state;
	assert_int_equal(validate_n(with_nul, sizeof(with_nul) - 1, &msg), IG_EINVAL);
	assert_string_equal(msg, "NUL byte");
	/* The NUL a C string would end at is not the end of the slice. */
	assert_int_equal(validate_n("{}\0", 3, &msg), IG_EINVAL);
	assert_string_equal(msg, "NUL byte");
	for (i = 0; i <= n; i++) {
		memcpy(buf, doc, i);
		buf[i] = '\0';
		memcpy(buf + i + 1, doc + i, n - i);
		assert_int_equal(validate_n(buf, n + 1, NULL), IG_EINVAL);
	}
}

enum nest_kind {
	NEST_ARRAYS,
	NEST_OBJECTS,
	NEST_MIXED,
};

/* Builds n nested containers around a scalar: [[...[1]...]] or
 * {"a":{"a":...1}}, alternating when mixed. */
static char *
nested(enum nest_kind kind, size_t n) /* NOLINT(bugprone-easily-swappable-parameters) */
{
	struct buf b;
	size_t i;

	buf_init(&b, 1 << 20);
	for (i = 0; i < n; i++) {
		bool obj = kind == NEST_OBJECTS || (kind == NEST_MIXED && i % 2 == 0);

		buf_puts(&b, obj ? "{\"a\":" : "[");
	}
	buf_putc(&b, '1');
	for (i = n; i > 0; i--) {
		bool obj = kind == NEST_OBJECTS || (kind == NEST_MIXED && (i - 1) % 2 == 0);

		buf_putc(&b, obj ? '}' : ']');
	}
	assert_int_equal(buf_err(&b), IG_OK);
	return buf_take(&b);
}

static void
test_depth_limit(void **state)
{
	static const enum nest_kind kinds[] = {NEST_ARRAYS, NEST_OBJECTS, NEST_MIXED};
	size_t k;

	(void)state;
	for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		char *at = nested(kinds[k], LIM_JSON_DEPTH);
		char *over = nested(kinds[k], LIM_JSON_DEPTH + 1);
		char *far = nested(kinds[k], 100000);
		const char *msg = NULL;

		/* parse_n also runs json-c: its own depth must admit ours. */
		assert_int_equal(parse_n(at, strlen(at), NULL), IG_OK);
		assert_int_equal(validate_n(over, strlen(over), &msg), IG_ELIMIT);
		assert_string_equal(msg, "nesting too deep");
		assert_int_equal(parse_n(over, strlen(over), NULL), IG_ELIMIT);
		assert_int_equal(validate_n(far, strlen(far), NULL), IG_ELIMIT);
		free(at);
		free(over);
		free(far);
	}
}

/* json_parse_trusted: our own text builds as json-c builds it, a top-level
 * number ends at the NUL, broken text gives NULL, and the nesting limit
 * holds (deep text is refused, not recursed into). */
static void
test_parse_trusted(void **state)
{
	static const enum nest_kind kinds[] = {NEST_ARRAYS, NEST_OBJECTS, NEST_MIXED};
	struct json_object *o;
	struct json_object *v = NULL;
	size_t k;

	(void)state;
	o = json_parse_trusted("{\"type\":\"object\",\"properties\":{\"a\":[1,2]}}");
	assert_non_null(o);
	assert_true(json_object_object_get_ex(o, "properties", &v));
	assert_true(json_object_is_type(v, json_type_object));
	json_object_put(o);
	o = json_parse_trusted("42");
	assert_non_null(o);
	assert_int_equal(json_object_get_int64(o), 42);
	json_object_put(o);
	o = json_parse_trusted("[]");
	assert_non_null(o);
	assert_int_equal(json_object_array_length(o), 0);
	json_object_put(o);
	assert_null(json_parse_trusted(""));
	assert_null(json_parse_trusted("{\"a\":"));
	assert_null(json_parse_trusted("[1 2]"));
	assert_null(json_parse_trusted("nul"));
	for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		char *at = nested(kinds[k], LIM_JSON_DEPTH);
		char *far = nested(kinds[k], 100000);

		o = json_parse_trusted(at);
		assert_non_null(o);
		json_object_put(o);
		assert_null(json_parse_trusted(far));
		free(at);
		free(far);
	}
}

/* {"k0":0,"k1":0,...} with n members; dup_last repeats the first name. */
static char *
wide_object(size_t n, bool dup_last)
{
	struct buf b;
	size_t i;

	buf_init(&b, 1 << 24);
	buf_putc(&b, '{');
	for (i = 0; i < n; i++) {
		if (i > 0)
			buf_putc(&b, ',');
		buf_appendf(&b, "\"k%zu\":0", dup_last && i == n - 1 ? (size_t)0 : i);
	}
	buf_putc(&b, '}');
	assert_int_equal(buf_err(&b), IG_OK);
	return buf_take(&b);
}

static void
test_keys_limit(void **state)
{
	char *at = wide_object(LIM_JSON_KEYS, false);
	char *over = wide_object(LIM_JSON_KEYS + 1, false);
	char *dup = wide_object(LIM_JSON_KEYS, true);
	const char *msg = NULL;

	(void)state;
	assert_int_equal(parse_n(at, strlen(at), NULL), IG_OK);
	assert_int_equal(validate_n(over, strlen(over), &msg), IG_ELIMIT);
	assert_string_equal(msg, "too many keys");
	assert_int_equal(validate_n(dup, strlen(dup), &msg), IG_EINVAL);
	assert_string_equal(msg, "duplicate key");
	free(at);
	free(over);
	free(dup);
}

static char *
long_string(size_t reps, const char *unit, bool as_key)
{
	struct buf b;
	size_t i;

	buf_init(&b, 16u << 20);
	buf_puts(&b, as_key ? "{\"" : "\"");
	for (i = 0; i < reps; i++)
		buf_puts(&b, unit);
	buf_puts(&b, as_key ? "\":1}" : "\"");
	assert_int_equal(buf_err(&b), IG_OK);
	return buf_take(&b);
}

static void
test_string_limit(void **state)
{
	struct {
		size_t reps;
		const char *unit;
		bool as_key;
		enum ig_err err;
	} cases[] = {
		{(size_t)LIM_JSON_STRING, "a", false, IG_OK},
		{(size_t)LIM_JSON_STRING + 1, "a", false, IG_ELIMIT},
		{(size_t)LIM_JSON_STRING, "a", true, IG_OK},
		{(size_t)LIM_JSON_STRING + 1, "a", true, IG_ELIMIT},
		/* The limit counts unescaped bytes: "\u00e9" is 2 of them. */
		{(size_t)LIM_JSON_STRING / 2, "\\u00e9", false, IG_OK},
		{(size_t)LIM_JSON_STRING / 2 + 1, "\\u00e9", true, IG_ELIMIT},
		{(size_t)LIM_JSON_STRING / 4, "\\ud83d\\ude00", true, IG_OK},
		{(size_t)LIM_JSON_STRING / 4 + 1, "\\ud83d\\ude00", false, IG_ELIMIT},
		{(size_t)LIM_JSON_STRING, "\\n", false, IG_OK},
		{(size_t)LIM_JSON_STRING + 1, "\\n", false, IG_ELIMIT},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *doc = long_string(cases[i].reps, cases[i].unit, cases[i].as_key);
		const char *msg = NULL;
		enum ig_err err = validate_n(doc, strlen(doc), &msg);

		if (err != cases[i].err)
			fail_msg("case %zu: got %s (%s)", i, ig_err_str(err), msg ? msg : "-");
		if (err == IG_ELIMIT)
			assert_string_equal(msg, "string too long");
		free(doc);
	}
}

static void
test_document_too_large(void **state)
{
	const char *msg = NULL;

	(void)state;
	/* json-c takes an int length; the check must come before any read. */
	assert_int_equal(json_validate_strict((struct slice){"{}", (size_t)INT_MAX + 1}, &msg),
			 IG_ELIMIT);
	assert_string_equal(msg, "document too large");
}

/* Every proper prefix of a document that ends in a closing bracket is
 * incomplete; any prefix at all must be handled without a crash, and
 * json_parse_strict must agree with the validator on it (parse_n checks). */
static void
test_every_prefix(void **state)
{
	size_t i;
	size_t n;

	(void)state;
	for (i = 0; i < sizeof(valid_docs) / sizeof(valid_docs[0]); i++) {
		const char *doc = valid_docs[i];
		size_t len = strlen(doc);
		bool closed = doc[len - 1] == '}' || doc[len - 1] == ']' || doc[len - 1] == '"';

		for (n = 0; n < len; n++) {
			enum ig_err err = parse_n(doc, n, NULL);

			if (closed && err != IG_EINVAL)
				fail_msg("doc %zu prefix %zu accepted", i, n);
		}
	}
}

/* Replacing any one byte of a valid document never crashes, and the two
 * entry points keep agreeing. */
static void
test_byte_mutations(void **state)
{
	static const unsigned char repl[] = {0x00, '"', '\\', '{', '}', '[', ']', ',', ':', '0',
					     'e', '-', ' ', 0x1f, 0x80, 0xc3, 0xff};
	size_t d;
	size_t i;
	size_t r;

	(void)state;
	for (d = 0; d < sizeof(valid_docs) / sizeof(valid_docs[0]); d++) {
		const char *doc = valid_docs[d];
		size_t len = strlen(doc);
		char *m = malloc(len);

		assert_non_null(m);
		for (i = 0; i < len; i++) {
			for (r = 0; r < sizeof(repl); r++) {
				/* Unterminated on purpose: the slice has no NUL. */
				/* NOLINTNEXTLINE(bugprone-not-null-terminated-result) */
				memcpy(m, doc, len);
				m[i] = (char)repl[r];
				(void)parse_n(m, len, NULL);
			}
		}
		free(m);
	}
}

struct utf8_case {
	const char *bytes; /* placed inside a JSON string */
	bool valid;
};

static const struct utf8_case utf8_cases[] = {
	{"\xc2\x80", true},
	{"\xdf\xbf", true},
	{"\xe0\xa0\x80", true},
	{"\xef\xbf\xbf", true},
	{"\xf0\x90\x80\x80", true},
	{"\xf4\x8f\xbf\xbf", true}, /* U+10FFFF */
	{"\xc0\x80", false},        /* overlong NUL */
	{"\xc1\xbf", false},
	{"\xe0\x9f\xbf", false},
	{"\xf0\x8f\xbf\xbf", false},
	{"\xed\xa0\x80", false}, /* U+D800 */
	{"\xed\xbf\xbf", false}, /* U+DFFF */
	{"\xf4\x90\x80\x80", false}, /* U+110000 */
	{"\xf5\x80\x80\x80", false},
	{"\xf8\x88\x80\x80\x80", false},
	{"\xfe", false},
	{"\xff", false},
	{"\x80", false},
	{"\xc3", false},
	{"\xe2\x82", false},
	{"\xf0\x9f\x98", false},
};

static void
test_utf8_in_strings(void **state)
{
	char doc[32];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(utf8_cases) / sizeof(utf8_cases[0]); i++) {
		const char *msg = NULL;
		int n = snprintf(doc, sizeof(doc), "{\"%s\":\"%s\"}", utf8_cases[i].bytes,
				 utf8_cases[i].bytes);
		enum ig_err err;

		assert_true(n > 0 && (size_t)n < sizeof(doc));
		err = validate_n(doc, (size_t)n, &msg);
		if (utf8_cases[i].valid) {
			assert_int_equal(parse_n(doc, (size_t)n, NULL), IG_OK);
		} else {
			assert_int_equal(err, IG_EINVAL);
			assert_string_equal(msg, "invalid UTF-8");
		}
	}
}

struct num_case {
	const char *text;
	enum ig_err err;
};

#define DBL_INF_DIGITS                                                                       \
	"17976931348623158079372897140530341507993413271003782693617377898044496829"        \
	"27647509466490179775872070963302864166928879109465555478519404026306574886"        \
	"71505820681908902000708383676273854845817711531764475730270069855571366959"        \
	"62284291481986083493647529271907416844436551070434271155969950809304288017"        \
	"7904174497792"
#define DBL_INF_DIGITS_MINUS_1                                                               \
	"17976931348623158079372897140530341507993413271003782693617377898044496829"        \
	"27647509466490179775872070963302864166928879109465555478519404026306574886"        \
	"71505820681908902000708383676273854845817711531764475730270069855571366959"        \
	"62284291481986083493647529271907416844436551070434271155969950809304288017"        \
	"7904174497791"

static const struct num_case num_cases[] = {
	{"0", IG_OK},
	{"-0", IG_OK},
	{"1", IG_OK},
	{"-1", IG_OK},
	{"10", IG_OK},
	{"1.5", IG_OK},
	{"-1.5e10", IG_OK},
	{"1E5", IG_OK},
	{"1e+5", IG_OK},
	{"1e-5", IG_OK},
	{"0.0", IG_OK},
	{"0e0", IG_OK},
	{"0.000e99999", IG_OK},
	{"0e99999999999999999999999", IG_OK},
	{"9223372036854775807", IG_OK},
	{"-9223372036854775808", IG_OK},
	{"1000000000000000000", IG_OK},
	{"1.7976931348623157e308", IG_OK},
	{"1.7976931348623158e308", IG_OK}, /* rounds down to DBL_MAX */
	{"-1.7976931348623157e308", IG_OK},
	{"1e308", IG_OK},
	{"0.1e309", IG_OK},
	{"17976931348623157e292", IG_OK},
	{"0.0000017976931348623157e314", IG_OK},
	{DBL_INF_DIGITS_MINUS_1 ".0", IG_OK},
	{DBL_INF_DIGITS_MINUS_1 ".999999999999999999999", IG_OK},
	{"1e-400", IG_OK},
	{"-1e-99999999999999999999", IG_OK},
	{"4.9e-324", IG_OK},
	{"9223372036854775808", IG_EINVAL},
	{"-9223372036854775809", IG_EINVAL},
	{"18446744073709551615", IG_EINVAL},
	{"99999999999999999999999999", IG_EINVAL},
	{"1e400", IG_EINVAL},
	{"-1e400", IG_EINVAL},
	{"1.8e308", IG_EINVAL},
	{"1e309", IG_EINVAL},
	{"1.797693134862315808e308", IG_EINVAL},
	{DBL_INF_DIGITS ".0", IG_EINVAL},
	{DBL_INF_DIGITS "e0", IG_EINVAL},
	{"0." DBL_INF_DIGITS "e309", IG_EINVAL},
	{"0.000" DBL_INF_DIGITS "e312", IG_EINVAL},
	{"1e99999999999999999999", IG_EINVAL},
	{"01", IG_EINVAL},
	{"-01", IG_EINVAL},
	{"00", IG_EINVAL},
	{"+1", IG_EINVAL},
	{".5", IG_EINVAL},
	{"1.", IG_EINVAL},
	{"1.e5", IG_EINVAL},
	{"1e", IG_EINVAL},
	{"1e+", IG_EINVAL},
	{"1e-", IG_EINVAL},
	{"-", IG_EINVAL},
	{"--1", IG_EINVAL},
	{"-a", IG_EINVAL},
	{"0x10", IG_EINVAL},
	{"1.2.3", IG_EINVAL},
	{"1e5e5", IG_EINVAL},
	{"1e5.5", IG_EINVAL},
	{"1-2", IG_EINVAL},
	{"1+2", IG_EINVAL},
	{"NaN", IG_EINVAL},
	{"Infinity", IG_EINVAL},
	{"-Infinity", IG_EINVAL},
	{"1_000", IG_EINVAL},
	{"\xd9\xa1", IG_EINVAL}, /* ARABIC-INDIC DIGIT ONE */
};

static void
test_numbers(void **state)
{
	char doc[1024];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(num_cases) / sizeof(num_cases[0]); i++) {
		const char *t = num_cases[i].text;
		int n;

		/* Alone, where the number is the last byte, and inside an array. */
		if (validate(t) != num_cases[i].err)
			fail_msg("number \"%s\": got %s", t, ig_err_str(validate(t)));
		n = snprintf(doc, sizeof(doc), "[%s]", t);
		assert_true(n > 0 && (size_t)n < sizeof(doc));
		assert_int_equal(parse_n(doc, (size_t)n, NULL), num_cases[i].err);
		n = snprintf(doc, sizeof(doc), "{\"n\":%s }", t);
		assert_true(n > 0 && (size_t)n < sizeof(doc));
		assert_int_equal(parse_n(doc, (size_t)n, NULL), num_cases[i].err);
	}
}

/* Near the overflow boundary the validator must agree with strtod, which
 * (glibc) rounds correctly. */
static void
test_float_boundary_vs_strtod(void **state)
{
	static const char *const heads[] = {
		"1.797693134862315", "1.7976931348623157", "1.7976931348623158",
		"1.79769313486231580793728971405303415079934132710037826936173778980",
		"1.79769313486231580793728971405303415079934132710037826936173778981",
		"1.79769313486231570814527423731704356798070567525844996598917476803",
		"1.8", "9.99", "1", "0.999", "17.976931348623157", "0.17976931348623158",
	};
	char text[256];
	size_t h;
	int e;
	int tail;

	(void)state;
	for (h = 0; h < sizeof(heads) / sizeof(heads[0]); h++) {
		for (e = 300; e <= 312; e++) {
			for (tail = 0; tail < 20; tail++) {
				int n = snprintf(text, sizeof(text), "%s%de%d", heads[h], tail, e);
				double d;
				enum ig_err want;

				assert_true(n > 0 && (size_t)n < sizeof(text));
				if (strchr(heads[h], '.') == NULL)
					continue; /* an integer mantissa then "e": fine too */
				d = strtod(text, NULL);
				want = isfinite(d) ? IG_OK : IG_EINVAL;
				if (validate(text) != want)
					fail_msg("%s: strtod says %s", text,
						 isfinite(d) ? "finite" : "inf");
			}
		}
	}
}

/* A body of many maximal objects stays fast: duplicate detection is not
 * quadratic in the document. */
static void
test_many_wide_objects_fast(void **state)
{
	struct buf b;
	char *obj = wide_object(LIM_JSON_KEYS, false);
	clock_t t0;
	double secs;

	(void)state;
	buf_init(&b, 4u << 20);
	buf_putc(&b, '[');
	while (b.len < (size_t)LIM_HTTP_BODY - strlen(obj) - 2) {
		if (b.len > 1)
			buf_putc(&b, ',');
		buf_puts(&b, obj);
	}
	buf_putc(&b, ']');
	assert_int_equal(buf_err(&b), IG_OK);
	t0 = clock();
	assert_int_equal(validate_n(b.p, b.len, NULL), IG_OK);
	secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
	/* Tens of milliseconds in practice; the bound allows for sanitizers. */
	assert_true(secs < 5.0);
	buf_free(&b);
	free(obj);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_documents),
		cmocka_unit_test(test_parse_builds_object),
		cmocka_unit_test(test_rejections),
		cmocka_unit_test(test_nul_anywhere),
		cmocka_unit_test(test_depth_limit),
		cmocka_unit_test(test_parse_trusted),
		cmocka_unit_test(test_keys_limit),
		cmocka_unit_test(test_string_limit),
		cmocka_unit_test(test_document_too_large),
		cmocka_unit_test(test_every_prefix),
		cmocka_unit_test(test_byte_mutations),
		cmocka_unit_test(test_utf8_in_strings),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_float_boundary_vs_strtod),
		cmocka_unit_test(test_many_wide_objects_fast),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
