/* Tests content/warn.c: the bounded list, and the split of warnings into
 * the part shown outside the fence (code, detail, location) and the values
 * that go inside it, with indexes that follow filtering. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "content/warn.h"

static const char *
str(struct json_object *o, const char *k)
{
	struct json_object *v = NULL;

	return json_object_object_get_ex(o, k, &v) ? json_object_get_string(v) : NULL;
}

static int
keep_attachment(struct json_object *w)
{
	const char *loc = str(w, "location");

	return loc != NULL && strcmp(loc, "attachment") == 0;
}

static void
test_split(void **state)
{
	struct warn_list w;
	struct json_object *full, *a, *vals = NULL, *x;
	size_t i;

	(void)state;
	warn_list_init(&w);
	warn_add(&w, "html_script_stripped", "body.html", "count=%d", 2);
	warn_add_values(&w, "lookalike_reply_to_mismatch", "header.reply_to",
	                "from=a.example reply_to=b.example", "%s", "");
	warn_add_values(&w, "parse_mime_type_mismatch", "attachment", "declared=application/x-y",
	                "sniffed=%s", "image");
	warn_add_values(&w, "parse_attachment_filename_rewritten", "attachment", "", "part=%s",
	                "2");
	assert_int_equal(w.n, 4);
	assert_null(w.items[0].values);
	assert_null(w.items[3].values); /* "" is none */

	/* inside the fence: values kept as a member */
	full = warn_list_json(&w);
	assert_string_equal(str(json_object_array_get_idx(full, 1), "values"),
	                    "from=a.example reply_to=b.example");
	assert_null(str(json_object_array_get_idx(full, 0), "values"));

	/* outside: no values in the array; values apart, by index */
	a = warn_list_json_split(&w, &vals);
	assert_int_equal(json_object_array_length(a), 4);
	for (i = 0; i < 4; i++) {
		assert_null(str(json_object_array_get_idx(a, i), "values"));
		assert_non_null(str(json_object_array_get_idx(a, i), "detail"));
	}
	assert_string_equal(str(json_object_array_get_idx(a, 2), "detail"), "sniffed=image");
	assert_non_null(vals);
	assert_int_equal(json_object_array_length(vals), 2);
	x = json_object_array_get_idx(vals, 0);
	assert_string_equal(str(x, "warning"), "1");
	x = json_object_array_get_idx(vals, 1);
	assert_string_equal(str(x, "warning"), "2");
	assert_string_equal(str(x, "values"), "declared=application/x-y");
	json_object_put(a);
	json_object_put(vals);

	/* filtered: indexes refer to the kept items */
	a = warn_json_split(full, keep_attachment, &vals);
	assert_int_equal(json_object_array_length(a), 2);
	assert_int_equal(json_object_array_length(vals), 1);
	x = json_object_array_get_idx(vals, 0);
	assert_string_equal(str(x, "warning"), "0");
	assert_string_equal(str(x, "values"), "declared=application/x-y");
	json_object_put(a);
	json_object_put(vals);

	/* nothing with values: no values array */
	warn_list_free(&w);
	warn_add(&w, "html_script_stripped", "body.html", "count=%d", 1);
	a = warn_list_json_split(&w, &vals);
	assert_null(vals);
	json_object_put(a);
	json_object_put(full);
	warn_list_free(&w);
}

static void
test_bounded(void **state)
{
	struct warn_list w;
	size_t i;

	(void)state;
	warn_list_init(&w);
	for (i = 0; i < LIM_CONTENT_WARNINGS + 10; i++)
		warn_add_values(&w, "x", "body", "domain=a.example", "n=%zu", i);
	assert_int_equal(w.n, LIM_CONTENT_WARNINGS);
	assert_int_equal(w.dropped, 10);
	warn_list_free(&w);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_split),
	    cmocka_unit_test(test_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
