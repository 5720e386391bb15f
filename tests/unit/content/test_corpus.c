/* Runs the content pipeline (content/msg.c) on every fixture of the shared
 * adversarial corpus ($IG_SOURCE_DIR/../shared/corpus/upstream/<name>/) and of
 * the project's own (tests/corpus/<name>/), judging each exactly as
 * ../shared/corpus/README.md says: expect, must_contain (body_text),
 * must_not_contain (every untrusted string and every warning text),
 * warning_codes, forbidden_warning_codes, meta.{attachment_count,
 * mailing_list_present, body_truncated}. An unknown field in expected.json is
 * an error, so a typo cannot switch a check off. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "base/buf.h"
#include "base/limits.h"
#include "content/mime.h"
#include "content/msg.h"

#define FIXTURE_MAX (LIM_MIME_MESSAGE + 1)
#define WALK_MAX 65536 /* JSON values visited per result */

static bool
read_file(const char *path, struct buf *b, size_t max)
{
	FILE *f = fopen(path, "rb");
	char chunk[65536];
	size_t n;

	buf_init(b, max);
	if (f == NULL)
		return false;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_append(b, chunk, n);
	(void)fclose(f);
	return buf_err(b) == IG_OK;
}

static struct json_object *
parse_json(const struct buf *b)
{
	struct json_tokener *t = json_tokener_new_ex(LIM_JSON_DEPTH);
	struct json_object *o;

	if (t == NULL)
		return NULL;
	json_tokener_set_flags(t, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(t, b->p != NULL ? b->p : "", (int)b->len);
	if (json_tokener_get_error(t) != json_tokener_success) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(t);
	return o;
}

struct verdict {
	char why[1024];
	bool failed;
};

static void fail_with(struct verdict *v, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
fail_with(struct verdict *v, const char *fmt, ...)
{
	va_list ap;
	size_t used = strlen(v->why);

	if (used + 4 >= sizeof(v->why))
		return;
	if (used > 0) {
		memcpy(v->why + used, "; ", 3);
		used += 2;
	}
	va_start(ap, fmt);
	/* The NOLINT: the clang 14 false positive cli/cli.c notes too. */
	(void)vsnprintf(v->why + used, sizeof(v->why) - used, fmt,
	                ap); /* NOLINT(clang-analyzer-valist.*) */
	va_end(ap);
	v->failed = true;
}

static bool
key_allowed(const char *k, const char *const *allowed)
{
	size_t i;

	for (i = 0; allowed[i] != NULL; i++) {
		if (strcmp(k, allowed[i]) == 0)
			return true;
	}
	return false;
}

/* Checks expected.json's shape; unknown fields are an error. */
static void
check_fields(struct json_object *exp, struct verdict *v)
{
	static const char *const top[] = {"description",
	                                  "expect",
	                                  "must_contain",
	                                  "must_not_contain",
	                                  "warning_codes",
	                                  "forbidden_warning_codes",
	                                  "meta",
	                                  "error_kind",
	                                  NULL};
	static const char *const meta[] = {"attachment_count", "mailing_list_present",
	                                   "body_truncated", NULL};
	struct json_object *m;

	if (!json_object_is_type(exp, json_type_object)) {
		fail_with(v, "expected.json is not an object");
		return;
	}
	json_object_object_foreach(exp, k, val)
	{
		(void)val;
		if (!key_allowed(k, top))
			fail_with(v, "unknown field '%s' in expected.json", k);
	}
	if (json_object_object_get_ex(exp, "meta", &m)) {
		if (!json_object_is_type(m, json_type_object)) {
			fail_with(v, "meta is not an object");
			return;
		}
		json_object_object_foreach(m, mk, mval)
		{
			(void)mval;
			if (!key_allowed(mk, meta))
				fail_with(v, "unknown field 'meta.%s' in expected.json", mk);
		}
	}
}

/* Every string under the result's untrusted and security_warnings members,
 * visited with an explicit stack. */
static const char *
find_in_texts(struct json_object *res, const char *needle)
{
	struct json_object **stack = calloc(WALK_MAX, sizeof(struct json_object *));
	struct json_object *o;
	size_t sp = 0, visited = 0, i, n;
	const char *hit = NULL;

	if (stack == NULL)
		return "(out of memory)";
	if (json_object_object_get_ex(res, "untrusted", &o))
		stack[sp++] = o;
	if (json_object_object_get_ex(res, "security_warnings", &o))
		stack[sp++] = o;
	while (sp > 0 && hit == NULL && visited++ < WALK_MAX) {
		o = stack[--sp];
		switch (json_object_get_type(o)) {
		case json_type_string:
			if (strstr(json_object_get_string(o), needle) != NULL)
				hit = "an untrusted or warning string";
			break;
		case json_type_array:
			n = json_object_array_length(o);
			for (i = 0; i < n && sp < WALK_MAX; i++)
				stack[sp++] = json_object_array_get_idx(o, i);
			break;
		case json_type_object: {
			json_object_object_foreach(o, k, val)
			{
				if (strstr(k, needle) != NULL)
					hit = "a key";
				if (val != NULL && sp < WALK_MAX)
					stack[sp++] = val;
			}
			break;
		}
		default:
			break;
		}
	}
	free(stack);
	return hit;
}

static bool
has_code(struct json_object *res, const char *code)
{
	struct json_object *ws, *c;
	size_t i, n;

	if (!json_object_object_get_ex(res, "security_warnings", &ws))
		return false;
	n = json_object_array_length(ws);
	for (i = 0; i < n; i++) {
		if (json_object_object_get_ex(json_object_array_get_idx(ws, i), "code", &c) &&
		    strcmp(json_object_get_string(c), code) == 0)
			return true;
	}
	return false;
}

static struct json_object *
path_get(struct json_object *o, const char *a, const char *b)
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

static void
judge(const char *dir, struct json_object *exp, struct verdict *v)
{
	char path[4096];
	struct buf raw, audit;
	struct json_object *res = NULL, *arr, *m, *body;
	const char *expect = "ok", *msg = NULL, *text;
	enum ig_err err;
	size_t i, n;

	check_fields(exp, v);
	if (v->failed)
		return;
	if (json_object_object_get_ex(exp, "expect", &arr))
		expect = json_object_get_string(arr);
	if (strcmp(expect, "ok") != 0 && strcmp(expect, "error") != 0) {
		fail_with(v, "expect must be \"ok\" or \"error\"");
		return;
	}
	n = (size_t)snprintf(path, sizeof(path), "%.4000s/input.eml", dir);
	if (n >= sizeof(path) || !read_file(path, &raw, FIXTURE_MAX)) {
		fail_with(v, "cannot read input.eml");
		buf_free(&raw);
		return;
	}
	buf_init(&audit, 1 << 20);
	err = msg_sanitize(buf_slice(&raw), NULL, &res, &audit, &msg);
	buf_free(&raw);
	buf_free(&audit);
	if (strcmp(expect, "error") == 0) {
		if (err != IG_ELIMIT)
			fail_with(v, "expected refusal with ERR_TOO_LARGE, got %s",
			          ig_err_str(err));
		json_object_put(res);
		return;
	}
	if (err != IG_OK) {
		fail_with(v, "refused: %s (%s)", ig_err_str(err), msg != NULL ? msg : "");
		return;
	}
	body = path_get(res, "untrusted", "body_text");
	text = body != NULL ? json_object_get_string(body) : "";
	if (json_object_object_get_ex(exp, "must_contain", &arr)) {
		n = json_object_array_length(arr);
		for (i = 0; i < n; i++) {
			const char *s = json_object_get_string(json_object_array_get_idx(arr, i));

			if (strstr(text, s) == NULL)
				fail_with(v, "body_text lacks \"%s\"", s);
		}
	}
	if (json_object_object_get_ex(exp, "must_not_contain", &arr)) {
		n = json_object_array_length(arr);
		for (i = 0; i < n; i++) {
			const char *s = json_object_get_string(json_object_array_get_idx(arr, i));
			const char *where = find_in_texts(res, s);

			if (where != NULL)
				fail_with(v, "forbidden \"%s\" found in %s", s, where);
		}
	}
	if (json_object_object_get_ex(exp, "warning_codes", &arr)) {
		n = json_object_array_length(arr);
		for (i = 0; i < n; i++) {
			const char *c = json_object_get_string(json_object_array_get_idx(arr, i));

			if (!has_code(res, c))
				fail_with(v, "warning %s missing", c);
		}
	}
	if (json_object_object_get_ex(exp, "forbidden_warning_codes", &arr)) {
		n = json_object_array_length(arr);
		for (i = 0; i < n; i++) {
			const char *c = json_object_get_string(json_object_array_get_idx(arr, i));

			if (has_code(res, c))
				fail_with(v, "forbidden warning %s present", c);
		}
	}
	if (json_object_object_get_ex(exp, "meta", &m)) {
		json_object_object_foreach(m, k, want)
		{
			struct json_object *got = path_get(res, "meta", k);

			if (got == NULL) {
				fail_with(v, "meta.%s missing from the result", k);
			} else if (json_object_is_type(want, json_type_boolean)) {
				if (json_object_get_boolean(got) != json_object_get_boolean(want))
					fail_with(v, "meta.%s is %s", k,
					          json_object_get_boolean(got) ? "true" : "false");
			} else if (json_object_get_int64(got) != json_object_get_int64(want)) {
				fail_with(v, "meta.%s is %lld, want %lld", k,
				          (long long)json_object_get_int64(got),
				          (long long)json_object_get_int64(want));
			}
		}
	}
	json_object_put(res);
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs every fixture under root; returns the number that failed, or -1
 * when root does not exist. */
static int
run_root(const char *root, int *passed_r)
{
	DIR *d = opendir(root);
	struct dirent *e;
	char *names[1024];
	size_t n = 0, i;
	int failed = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL && n < sizeof(names) / sizeof(names[0])) {
		char p[4096];
		struct stat st;

		if (e->d_name[0] == '.')
			continue;
		(void)snprintf(p, sizeof(p), "%s/%s/expected.json", root, e->d_name);
		if (stat(p, &st) != 0)
			continue;
		names[n] = strdup(e->d_name);
		if (names[n] != NULL)
			n++;
	}
	(void)closedir(d);
	qsort(names, n, sizeof(names[0]), name_cmp);
	for (i = 0; i < n; i++) {
		char dir[4096], p[4200];
		struct verdict v = {{0}, false};
		struct buf eb;
		struct json_object *exp;

		(void)snprintf(dir, sizeof(dir), "%s/%s", root, names[i]);
		(void)snprintf(p, sizeof(p), "%s/expected.json", dir);
		if (!read_file(p, &eb, 1 << 20) || (exp = parse_json(&eb)) == NULL) {
			fail_with(&v, "expected.json unreadable or not strict JSON");
		} else {
			judge(dir, exp, &v);
			json_object_put(exp);
		}
		buf_free(&eb);
		if (v.failed) {
			failed++;
			printf("FAIL %s: %s\n", names[i], v.why);
		} else {
			(*passed_r)++;
			printf("PASS %s\n", names[i]);
		}
		free(names[i]);
	}
	return failed;
}

static const char *
source_dir(void)
{
	const char *s = getenv("IG_SOURCE_DIR");

	return s != NULL ? s : ".";
}

static void
test_shared_corpus(void **state)
{
	char root[4096];
	int passed = 0, failed;

	(void)state;
	(void)snprintf(root, sizeof(root), "%s/../shared/corpus/upstream", source_dir());
	failed = run_root(root, &passed);
	if (failed < 0) {
		printf("SKIP shared corpus absent (%s)\n", root);
		skip();
	}
	printf("shared corpus: %d passed, %d failed\n", passed, failed);
	assert_int_equal(failed, 0);
	assert_true(passed > 0);
}

static void
test_project_corpus(void **state)
{
	char root[4096];
	int passed = 0, failed;

	(void)state;
	(void)snprintf(root, sizeof(root), "%s/tests/corpus", source_dir());
	failed = run_root(root, &passed);
	printf("project corpus: %d passed, %d failed\n", passed, failed);
	assert_int_equal(failed, 0);
	assert_true(passed >= 10);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_shared_corpus),
	    cmocka_unit_test(test_project_corpus),
	};
	int rc;

	content_init();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	content_shutdown();
	return rc;
}
