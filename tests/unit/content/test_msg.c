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

/* The fence property (issue #12 A5) over the content pipeline: a message
 * whose every sender-controlled field carries "cnry" (header names and
 * values, addresses and display names, domains in links, MIME types and
 * parameters, file names, charset labels) and which trips every warning
 * that quotes mail text. Nothing outside `untrusted` — meta, every
 * warning's code, detail and location — may contain it; the values are
 * inside, tied to their warning by index. */
static void
test_fence_canaries(void **state)
{
	static const char raw[] =
	    "From: \"support@cnryclaim.com\" <x@cnryfrom.com>\n"
	    "Reply-To: r@cnryreply.net\n"
	    "To: t@xn--cnrypuny-i1a.com, u@xn--cnrymx-tvf.com\n"
	    "Cc: c@cnrycc.org\n"
	    "Subject: cnrysubject\n"
	    "Message-ID: <cnrymsgid@cnryfrom.com>\n"
	    "List-Id: <cnrylist.cnryfrom.com>\n"
	    "X-Cnryhdr: =?utf-8?q?cnryopen\n"
	    "X-Cnryhdr2: cnryclose?=\n"
	    "MIME-Version: 1.0\n"
	    "Content-Type: multipart/mixed; boundary=\"cnryb\"\n"
	    "\n"
	    "--cnryb\n"
	    "Content-Type: text/plain; charset=\"x-cnrycharset\"\n"
	    "\n"
	    "cnrybody http://cnryx.com/a http://xn--cnry-86d.com/b http://xn--cnrypuny-i1a.com/c\n"
	    "--cnryb\n"
	    "Content-Type: application/x-cnrydecl; name=\"cnryfile.txt      .exe\"\n"
	    "Content-Disposition: attachment; filename=\"cnryfile.txt      .exe\"\n"
	    "Content-Transfer-Encoding: base64\n"
	    "\n"
	    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAA=\n"
	    "--cnryb--\n";
	static const char *const codes[] = {
	    "lookalike_display_name_spoof",
	    "lookalike_reply_to_mismatch",
	    "lookalike_idn_punycode",
	    "lookalike_mixed_script",
	    "lookalike_confusable_domain",
	    "parse_mime_type_mismatch",
	    "parse_charset_unknown",
	    "parse_header_smuggling_blocked",
	    "lookalike_filename_extension_spoof",
	};
	static const char *const inside[] = {"cnryclaim",     "cnryreply", "x-cnrydecl",
	                                     "x-cnrycharset", "x-cnryhdr", "cnrypuny",
	                                     "cnrymx"};
	const char *const known[] = {"cnryfrom.com"};
	struct content_opts opts = {false, known, 0};
	struct json_object *res, *trusted, *vals, *ws;
	char *t, *u;
	size_t i;

	(void)state;
	res = run(raw, &opts, NULL);
	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (!has_warning(res, codes[i]))
			fail_msg("warning %s not raised: the property would hold vacuously",
			         codes[i]);
	trusted = json_object_new_object();
	json_object_object_foreach(res, key, val)
	{
		if (strcmp(key, "untrusted") != 0)
			json_object_object_add(trusted, key, json_object_get(val));
	}
	t = strdup(json_object_to_json_string_ext(trusted, JSON_C_TO_STRING_PLAIN));
	u = strdup(
	    json_object_to_json_string_ext(get(res, "untrusted", NULL), JSON_C_TO_STRING_PLAIN));
	assert_non_null(t);
	assert_non_null(u);
	for (i = 0; t[i] != '\0'; i++)
		t[i] = (char)(t[i] >= 'A' && t[i] <= 'Z' ? t[i] - 'A' + 'a' : t[i]);
	for (i = 0; u[i] != '\0'; i++)
		u[i] = (char)(u[i] >= 'A' && u[i] <= 'Z' ? u[i] - 'A' + 'a' : u[i]);
	if (strstr(t, "cnry") != NULL)
		fail_msg("sender text outside the fence: %s", strstr(t, "cnry"));
	for (i = 0; i < sizeof(inside) / sizeof(inside[0]); i++)
		if (strstr(u, inside[i]) == NULL)
			fail_msg("%s missing inside the fence", inside[i]);
	/* every value points at a warning */
	vals = get(res, "untrusted", "security_warning_values");
	ws = get(res, "security_warnings", NULL);
	assert_non_null(vals);
	for (i = 0; i < json_object_array_length(vals); i++) {
		int64_t k =
		    json_object_get_int64(get(json_object_array_get_idx(vals, i), "warning", NULL));

		assert_true(k >= 0 && (size_t)k < json_object_array_length(ws));
	}
	free(t);
	free(u);
	json_object_put(trusted);
	json_object_put(res);
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
	    cmocka_unit_test(test_fence_canaries),
	};
	int rc;

	content_init();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	content_shutdown();
	return rc;
}
