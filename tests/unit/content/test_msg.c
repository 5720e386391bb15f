/* Tests content/msg.c: the shape of the {meta, untrusted, security_warnings}
 * object (docs/content.md), include_html, known_domains, the audit channel
 * for tag-character payloads, body choice and refusals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "base/buf.h"
#include "content/mime.h"
#include "content/msg.h"

static struct json_object *
get(struct json_object *o, const char *a, const char *b)
{
	struct json_object *x = NULL, *y = NULL;

	if (!json_object_object_get_ex(o, a, &x))
		return NULL;
	if (b == NULL)
		return x;
	if (!json_object_object_get_ex(x, b, &y))
		return NULL;
	return y;
}

static bool
has_warning(struct json_object *res, const char *code)
{
	struct json_object *ws = get(res, "security_warnings", NULL), *c;
	size_t i, n = ws != NULL ? json_object_array_length(ws) : 0;

	for (i = 0; i < n; i++) {
		if (json_object_object_get_ex(json_object_array_get_idx(ws, i), "code", &c) &&
		    strcmp(json_object_get_string(c), code) == 0)
			return true;
	}
	return false;
}

static struct json_object *
run(const char *raw, const struct content_opts *opts, struct buf *audit)
{
	struct json_object *res = NULL;
	const char *msg = NULL;

	assert_int_equal(msg_sanitize(sl_from_cstr(raw), opts, &res, audit, &msg), IG_OK);
	assert_non_null(res);
	return res;
}

static void
test_shape(void **state)
{
	static const char *const meta_fields[] = {"size",
	                                          "part_count",
	                                          "max_depth",
	                                          "attachment_count",
	                                          "mailing_list_present",
	                                          "body_source",
	                                          "body_truncated",
	                                          "body_bytes",
	                                          "text_plain_parts",
	                                          "text_html_parts",
	                                          "headers_dropped",
	                                          "date_utc",
	                                          "warnings_dropped"};
	static const char *const untrusted_fields[] = {
	    "subject",     "from",       "to",   "cc",        "reply_to",    "date", "message_id",
	    "in_reply_to", "references", "list", "body_text", "attachments", "links"};
	struct json_object *res;
	size_t i;

	(void)state;
	res = run("From: \"A\" <a@example.com>\nTo: b@example.org\nSubject: Hi\n"
	          "Date: Tue, 3 Mar 2026 10:00:00 +0000\nMessage-ID: <x@example.com>\n\n"
	          "See https://example.com/page, thanks.\n",
	          NULL, NULL);
	for (i = 0; i < sizeof(meta_fields) / sizeof(meta_fields[0]); i++) {
		if (!json_object_object_get_ex(get(res, "meta", NULL), meta_fields[i], NULL))
			fail_msg("meta.%s missing", meta_fields[i]);
	}
	for (i = 0; i < sizeof(untrusted_fields) / sizeof(untrusted_fields[0]); i++) {
		if (!json_object_object_get_ex(get(res, "untrusted", NULL), untrusted_fields[i],
		                               NULL))
			fail_msg("untrusted.%s missing", untrusted_fields[i]);
	}
	assert_null(get(res, "untrusted", "body_html"));
	assert_string_equal(json_object_get_string(get(res, "meta", "body_source")), "text/plain");
	assert_string_equal(json_object_get_string(get(res, "meta", "date_utc")),
	                    "2026-03-03T10:00:00Z");
	assert_string_equal(json_object_get_string(get(res, "untrusted", "message_id")),
	                    "x@example.com");
	assert_int_equal(json_object_array_length(get(res, "untrusted", "links")), 1);
	assert_string_equal(
	    json_object_get_string(
	        get(json_object_array_get_idx(get(res, "untrusted", "links"), 0), "url", NULL)),
	    "https://example.com/page");
	assert_int_equal(json_object_array_length(get(res, "security_warnings", NULL)), 0);
	json_object_put(res);
}

static void
test_include_html(void **state)
{
	static const char raw[] =
	    "From: a@example.com\nContent-Type: text/html\n\n"
	    "<p onclick=\"x()\">Hello <b>there</b></p><script>bad()</script>\n";
	struct content_opts opts = {.include_html = true};
	struct json_object *res, *h;

	(void)state;
	res = run(raw, &opts, NULL);
	h = get(res, "untrusted", "body_html");
	assert_non_null(h);
	assert_non_null(strstr(json_object_get_string(h), "there"));
	assert_null(strstr(json_object_get_string(h), "onclick"));
	assert_null(strstr(json_object_get_string(h), "bad()"));
	assert_string_equal(json_object_get_string(get(res, "meta", "body_source")), "text/html");
	json_object_put(res);
}

static void
test_known_domains(void **state)
{
	static const char *const known[] = {"paypal.com"};
	static const char raw[] = "From: PayPal <service@paypa1.com>\n\nhello\n";
	struct content_opts opts = {.known_domains = known, .n_known_domains = 1};
	struct json_object *res;

	(void)state;
	res = run(raw, &opts, NULL);
	assert_true(has_warning(res, "lookalike_confusable_domain"));
	json_object_put(res);
	res = run(raw, NULL, NULL);
	assert_false(has_warning(res, "lookalike_confusable_domain"));
	json_object_put(res);
}

static void
test_tag_payload_to_audit_only(void **state)
{
	/* "hi" in tag characters after the text. */
	static const char raw[] = "From: a@example.com\nContent-Type: text/plain; charset=utf-8\n\n"
	                          "ok\xf3\xa0\x81\xa8\xf3\xa0\x81\xa9\n";
	struct buf audit;
	struct json_object *res;
	const char *s;

	(void)state;
	buf_init(&audit, 4096);
	res = run(raw, NULL, &audit);
	assert_true(has_warning(res, "unicode_tag_chars_stripped"));
	assert_non_null(audit.p);
	assert_non_null(strstr(audit.p, "hi"));
	s = json_object_to_json_string(res);
	assert_null(strstr(s, "\xf3\xa0\x81\xa8"));
	json_object_put(res);
	buf_free(&audit);
}

static void
test_alternative_agree_prefers_plain(void **state)
{
	static const char raw[] =
	    "From: a@example.com\nContent-Type: multipart/alternative; boundary=A\n\n"
	    "--A\nContent-Type: text/plain\n\nThe meeting is on Friday at noon in room four.\n"
	    "--A\nContent-Type: text/html\n\n<p>The meeting is on <b>Friday</b> at noon in room "
	    "four.</p>\n--A--\n";
	struct json_object *res;

	(void)state;
	res = run(raw, NULL, NULL);
	assert_string_equal(json_object_get_string(get(res, "meta", "body_source")), "text/plain");
	assert_false(has_warning(res, "parse_alternative_mismatch"));
	json_object_put(res);
}

static void
test_refusal(void **state)
{
	struct json_object *res = (struct json_object *)1;
	const char *msg = NULL;
	struct buf b;
	size_t i;

	(void)state;
	buf_init(&b, 1 << 20);
	for (i = 0; i < 300; i++)
		buf_appendf(&b, "X-%zu: v\n", i);
	buf_puts(&b, "\nbody\n");
	assert_int_equal(msg_sanitize(buf_slice(&b), NULL, &res, NULL, &msg), IG_ELIMIT);
	assert_null(res);
	assert_non_null(msg);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_shape),
	    cmocka_unit_test(test_include_html),
	    cmocka_unit_test(test_known_domains),
	    cmocka_unit_test(test_tag_payload_to_audit_only),
	    cmocka_unit_test(test_alternative_agree_prefers_plain),
	    cmocka_unit_test(test_refusal),
	};
	int rc;

	content_init();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	content_shutdown();
	return rc;
}
