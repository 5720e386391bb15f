/* store/audit.c, store/audit_verify.c: the hash chain under threads and processes,
 * tamper detection, torn records, rotation, one-line records. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <json-c/json.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store/audit.h"
#include "store/audit_verify.h"
#include "base/json.h"

#include "files.h"

static char *
tmpdir_new(void)
{
	char tmpl[] = "/tmp/ig-audit-XXXXXX";
	char *d = mkdtemp(tmpl);

	assert_non_null(d);
	return strdup(d);
}

static char *
log_path(const char *dir)
{
	static char p[512];

	(void)snprintf(p, sizeof(p), "%s/audit/audit.jsonl", dir);
	return p;
}

static char *
audit_dir(const char *dir)
{
	static char p[512];

	(void)snprintf(p, sizeof(p), "%s/audit", dir);
	return p;
}

static void
append_n(struct audit *a, int n, const char *tag)
{
	int i;

	for (i = 0; i < n; i++) {
		struct json_object *f = json_object_new_object();

		json_object_object_add(f, "tag", json_object_new_string(tag));
		json_object_object_add(f, "i", json_object_new_int(i));
		assert_int_equal(audit_append(a, "cache", "tok", NULL, f, false), IG_OK);
		json_object_put(f);
	}
}

static void
verify_ok(const char *path, uint64_t records)
{
	struct audit_verify_report r;

	assert_int_equal(audit_verify(path, 0, NULL, &r), IG_OK);
	if (!r.ok)
		fprintf(stderr, "verify: %s line %llu: %s\n", r.file, (unsigned long long)r.line, r.why);
	assert_true(r.ok);
	assert_false(r.torn);
	assert_int_equal(r.records, records);
}

/* Line start offsets of a file's content (at most 4096 lines). */
static size_t
lines_index(const char *p, size_t len, size_t *starts)
{
	size_t n = 0;
	size_t i;

	if (len > 0)
		starts[n++] = 0;
	for (i = 0; i + 1 < len; i++) {
		if (p[i] == '\n')
			starts[n++] = i + 1;
	}
	return n;
}

static void
test_basic_and_one_line(void **state)
{
	char *dir = tmpdir_new();
	struct audit *a = NULL;
	const char *error = NULL;
	/* CR, LF, NEL, U+2028, U+2029, a NUL-free control, invalid UTF-8 */
	static const char nasty[] = "a\rb\nc\xc2\x85"
				    "d\xe2\x80\xa8"
				    "e\xe2\x80\xa9"
				    "f\x01g\xff\xfeh\"\\";
	struct json_object *f;
	struct stat st;
	size_t len;
	char *p;
	size_t i;
	size_t nl = 0;

	(void)state;
	assert_int_equal(audit_open(dir, &a, &error), IG_OK);
	assert_int_equal(strlen(audit_process_id(a)), 32);
	f = json_object_new_object();
	json_object_object_add(f, "nasty", json_object_new_string_len(nasty, sizeof(nasty) - 1));
	json_object_object_add(f, "seq", json_object_new_int(999)); /* reserved: dropped */
	assert_int_equal(audit_append(a, "tool_start", "ag\nent", "acc\xe2\x80\xa8t", f, true), IG_OK);
	json_object_put(f);
	append_n(a, 20, "x");
	audit_close(a);
	assert_int_equal(stat(log_path(dir), &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(stat(audit_dir(dir), &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	p = file_read(log_path(dir), &len);
	for (i = 0; i < len; i++)
		nl += p[i] == '\n';
	assert_int_equal(nl, 21);
	assert_null(memmem(p, len, "\xe2\x80\xa8", 3));
	assert_null(memmem(p, len, "\xe2\x80\xa9", 3));
	assert_null(memmem(p, len, "\xc2\x85", 2));
	assert_null(memchr(p, '\r', len));
	{
		char *end = memchr(p, '\n', len);
		struct json_object *o = NULL;
		struct json_object *v;

		assert_int_equal(json_parse_strict((struct slice){p, (size_t)(end - p)}, &o, NULL),
				 IG_OK);
		assert_true(json_object_object_get_ex(o, "seq", &v));
		assert_int_equal(json_object_get_int(v), 1);
		assert_true(json_object_object_get_ex(o, "principal", &v));
		assert_string_equal(json_object_get_string(v), "ag\nent");
		assert_true(json_object_object_get_ex(o, "nasty", &v));
		assert_string_equal(json_object_get_string(v),
				    "a\rb\nc\xc2\x85"
				    "d\xe2\x80\xa8"
				    "e\xe2\x80\xa9"
				    "f\x01g\xef\xbf\xbd\xef\xbf\xbdh\"\\");
		json_object_put(o);
	}
	free(p);
	verify_ok(log_path(dir), 21);
	verify_ok(audit_dir(dir), 21);
	rm_rf(dir);
	free(dir);
}

struct thr {
	struct audit *a;
	int id;
	int n;
};

static void *
thr_run(void *arg)
{
	struct thr *t = arg;
	int i;

	for (i = 0; i < t->n; i++) {
		struct json_object *f = json_object_new_object();

		json_object_object_add(f, "t", json_object_new_int(t->id));
		json_object_object_add(f, "i", json_object_new_int(i));
		if (audit_append(t->a, "cache", NULL, NULL, f, false) != IG_OK)
			abort();
		json_object_put(f);
	}
	return NULL;
}

struct order {
	int next[16];
	uint64_t last_seq;
	bool bad;
	size_t n;
};

static bool
order_check(const char *line, size_t len, struct json_object *rec, void *ctx)
{
	struct order *o = ctx;
	struct json_object *t;
	struct json_object *i;
	struct json_object *s;

	(void)line;
	(void)len;
	if (!json_object_object_get_ex(rec, "t", &t) || !json_object_object_get_ex(rec, "i", &i) ||
	    !json_object_object_get_ex(rec, "seq", &s) ||
	    (uint64_t)json_object_get_int64(s) != o->last_seq + 1 ||
	    json_object_get_int(i) != o->next[json_object_get_int(t) & 15]) {
		o->bad = true;
		return false;
	}
	o->last_seq++;
	o->next[json_object_get_int(t) & 15]++;
	o->n++;
	return true;
}

static void
test_threads(void **state)
{
	char *dir = tmpdir_new();
	struct audit *a = NULL;
	const char *error = NULL;
	pthread_t th[16];
	struct thr t[16];
	struct order o;
	int i;

	(void)state;
	assert_int_equal(audit_open(dir, &a, &error), IG_OK);
	for (i = 0; i < 16; i++) {
		t[i] = (struct thr){a, i, 10000};
		assert_int_equal(pthread_create(&th[i], NULL, thr_run, &t[i]), 0);
	}
	for (i = 0; i < 16; i++)
		pthread_join(th[i], NULL);
	audit_close(a);
	verify_ok(audit_dir(dir), 160000);
	memset(&o, 0, sizeof(o));
	assert_int_equal(audit_scan(audit_dir(dir), order_check, &o), IG_OK);
	assert_false(o.bad);
	assert_int_equal(o.n, 160000);
	rm_rf(dir);
	free(dir);
}

static void
test_processes(void **state)
{
	char *dir = tmpdir_new();
	struct audit *a = NULL;
	const char *error = NULL;
	pid_t kids[3];
	int i;
	int status;

	(void)state;
	for (i = 0; i < 3; i++) {
		kids[i] = fork();
		assert_true(kids[i] >= 0);
		if (kids[i] == 0) {
			/* Each process its own handle, as server and CLI do; a
			 * small rotation size makes them rotate under each other. */
			if (audit_open(dir, &a, &error) != IG_OK)
				_exit(3);
			audit_set_max_bytes(a, 256 * 1024);
			append_n(a, 4000, i == 0 ? "p0" : i == 1 ? "p1" : "p2");
			audit_close(a);
			_exit(0);
		}
	}
	for (i = 0; i < 3; i++) {
		assert_int_equal(waitpid(kids[i], &status, 0), kids[i]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	verify_ok(audit_dir(dir), 12000);
	rm_rf(dir);
	free(dir);
}

/* Builds a 50-record log and returns its content. */
static char *
log50(const char *dir, size_t *len_r)
{
	struct audit *a = NULL;
	const char *error = NULL;

	assert_int_equal(audit_open(dir, &a, &error), IG_OK);
	append_n(a, 50, "tamper");
	audit_close(a);
	return file_read(log_path(dir), len_r);
}

static void
expect_defect(const char *path, uint64_t line, uint64_t seq)
{
	struct audit_verify_report r;

	assert_int_equal(audit_verify(path, 0, NULL, &r), IG_OK);
	if (r.ok || r.line != line || r.seq != seq)
		fprintf(stderr, "verify: ok=%d line %llu seq %llu: %s\n", r.ok,
			(unsigned long long)r.line, (unsigned long long)r.seq, r.why);
	assert_false(r.ok);
	assert_int_equal(r.line, line);
	assert_int_equal(r.seq, seq);
}

static void
test_tamper(void **state)
{
	char *dir = tmpdir_new();
	size_t starts[4096];
	size_t len;
	char *orig = log50(dir, &len);
	char *p = malloc(len);
	size_t n = lines_index(orig, len, starts);
	char *q;
	struct audit_verify_report r;
	char anchor[65];

	(void)state;
	assert_int_equal(n, 50);
	verify_ok(log_path(dir), 50);

	/* a flipped byte inside a value of record 10: the link from record
	 * 11 breaks */
	memcpy(p, orig, len);
	q = strstr(p + starts[9], "\"process_id\":\"") + 14;
	*q = *q == 'a' ? 'b' : 'a';
	file_write(log_path(dir), p, len);
	expect_defect(log_path(dir), 11, 11);

	/* a flipped structural byte: record 10 itself no longer parses */
	memcpy(p, orig, len);
	p[starts[9]] = 'x';
	file_write(log_path(dir), p, len);
	expect_defect(log_path(dir), 10, 0);

	/* a flipped digit of record 10's seq */
	memcpy(p, orig, len);
	p[starts[9] + 8] = '7'; /* {"seq":10 -> {"seq":17 */
	file_write(log_path(dir), p, len);
	expect_defect(log_path(dir), 10, 17);

	/* record 10 deleted: line 10 holds seq 11 */
	memcpy(p, orig, starts[9]);
	memcpy(p + starts[9], orig + starts[10], len - starts[10]);
	file_write(log_path(dir), p, len - (starts[10] - starts[9]));
	expect_defect(log_path(dir), 10, 11);

	/* records 10 and 11 swapped */
	memcpy(p, orig, starts[9]);
	memcpy(p + starts[9], orig + starts[10], starts[11] - starts[10]);
	memcpy(p + starts[9] + (starts[11] - starts[10]), orig + starts[9], starts[10] - starts[9]);
	memcpy(p + starts[11], orig + starts[11], len - starts[11]);
	file_write(log_path(dir), p, len);
	expect_defect(log_path(dir), 10, 11);

	/* truncated inside the last record: reported as torn, tolerated */
	file_write(log_path(dir), orig, len - 7);
	assert_int_equal(audit_verify(log_path(dir), 0, NULL, &r), IG_OK);
	assert_true(r.ok);
	assert_true(r.torn);
	assert_int_equal(r.line, 50);
	assert_int_equal(r.records, 49);

	/* truncated inside record 20: record 20 is torn and 21..50 are gone;
	 * with an anchor remembered from before, detected */
	file_write(log_path(dir), orig, len);
	assert_int_equal(audit_verify(log_path(dir), 0, NULL, &r), IG_OK);
	memcpy(anchor, r.last_sha256, sizeof(anchor));
	assert_int_equal(audit_verify(log_path(dir), 50, anchor, &r), IG_OK);
	assert_true(r.ok);
	file_write(log_path(dir), orig, starts[20]);
	assert_int_equal(audit_verify(log_path(dir), 50, anchor, &r), IG_OK);
	assert_false(r.ok);
	assert_int_equal(r.seq, 50);
	/* ... and a replaced last record fails the anchor hash */
	memcpy(p, orig, len);
	q = strstr(p + starts[49], "\"process_id\":\"") + 14;
	*q = *q == 'a' ? 'b' : 'a';
	file_write(log_path(dir), p, len);
	assert_int_equal(audit_verify(log_path(dir), 50, anchor, &r), IG_OK);
	assert_false(r.ok);
	assert_int_equal(r.line, 50);

	/* a record inserted (copy of record 5 after record 5) */
	memcpy(p, orig, starts[5]);
	memcpy(p + starts[5], orig + starts[4], starts[5] - starts[4]);
	file_write(log_path(dir), p, starts[5] + (starts[5] - starts[4]));
	expect_defect(log_path(dir), 6, 5);

	free(p);
	free(orig);
	rm_rf(dir);
	free(dir);
}

static void
test_torn_repair(void **state)
{
	char *dir = tmpdir_new();
	struct audit *a = NULL;
	const char *error = NULL;
	struct audit_verify_report r;
	size_t len;
	char *orig = log50(dir, &len);
	char *p;
	int fd;

	(void)state;
	/* a crash in the middle of record 51 */
	fd = open(log_path(dir), O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "{\"seq\":51,\"ts\":\"2025-", 22), 22);
	close(fd);
	assert_int_equal(audit_verify(audit_dir(dir), 0, NULL, &r), IG_OK);
	assert_true(r.ok);
	assert_true(r.torn);
	assert_int_equal(r.line, 51);
	assert_int_equal(r.torn_bytes, 22);
	/* the next writer cuts it off and says so */
	assert_int_equal(audit_open(dir, &a, &error), IG_OK);
	append_n(a, 5, "after");
	audit_close(a);
	verify_ok(audit_dir(dir), 55);
	p = file_read(log_path(dir), &len);
	assert_non_null(strstr(p, "\"seq\":51,"));
	assert_non_null(strstr(p, "\"torn_tail_bytes\":22,\"torn_tail_sha256\":\""));
	free(p);
	free(orig);
	rm_rf(dir);
	free(dir);
}

static void
test_rotation(void **state)
{
	char *dir = tmpdir_new();
	struct audit *a = NULL;
	struct audit *b = NULL;
	const char *error = NULL;
	struct audit_verify_report r;
	char path[600];
	char **files = NULL;
	size_t n = 0;
	size_t i;
	size_t len;
	char *p;

	(void)state;
	assert_int_equal(audit_open(dir, &a, &error), IG_OK);
	assert_int_equal(audit_open(dir, &b, &error), IG_OK);
	audit_set_max_bytes(a, 4096);
	audit_set_max_bytes(b, 4096);
	for (i = 0; i < 100; i++) {
		append_n(a, 1, "a");
		append_n(b, 1, "b");
	}
	audit_close(a);
	audit_close(b);
	assert_int_equal(audit_log_files(audit_dir(dir), &files, &n), IG_OK);
	assert_true(n > 5);
	for (i = 0; i + 1 < n; i++) {
		struct stat st;

		assert_int_equal(stat(files[i], &st), 0);
		assert_true(st.st_size <= 4096);
	}
	p = file_read(files[1], &len);
	assert_non_null(strstr(p, "\"rotated_from\":\"audit-1.jsonl\""));
	free(p);
	verify_ok(audit_dir(dir), 200);
	/* a rotated file cut short breaks the link into the next file */
	p = file_read(files[1], &len);
	file_write(files[1], p, (size_t)(strrchr(p, '\n') - p) - 10);
	free(p);
	assert_int_equal(audit_verify(audit_dir(dir), 0, NULL, &r), IG_OK);
	assert_false(r.ok);
	assert_string_equal(r.file, files[1]);
	/* a missing rotated file is noticed by the next file's rotated_from */
	(void)snprintf(path, sizeof(path), "%s", files[1]);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(audit_verify(audit_dir(dir), 0, NULL, &r), IG_OK);
	assert_false(r.ok);
	for (i = 0; i < n; i++)
		free(files[i]);
	free(files);
	rm_rf(dir);
	free(dir);
}

static void
test_time_parse(void **state)
{
	int64_t ms;

	(void)state;
	assert_true(audit_time_parse("0", 1, &ms));
	assert_int_equal(ms, 0);
	assert_true(audit_time_parse("1700000000", 10, &ms));
	assert_int_equal(ms, 1700000000000LL);
	assert_true(audit_time_parse("2023-11-14T22:13:20Z", 20, &ms));
	assert_int_equal(ms, 1700000000000LL);
	assert_true(audit_time_parse("2023-11-14T23:13:20.250+01:00", 29, &ms));
	assert_int_equal(ms, 1700000000250LL);
	assert_true(audit_time_parse("2023-11-14", 10, &ms));
	assert_int_equal(ms, 1699920000000LL);
	assert_false(audit_time_parse("2023-11-14T22:13:20", 19, &ms));
	assert_false(audit_time_parse("2023-13-14T22:13:20Z", 20, &ms));
	assert_false(audit_time_parse("yesterday", 9, &ms));
}

/* A failed append logs the errno of the call that failed: here EFBIG from
 * the file size limit, both when the record does not fit at all and when
 * only its beginning fits (a short write, which sets no errno by itself);
 * the partial record is removed and the chain stays valid. */
static void
test_failure_errno(void **state)
{
	static const struct {
		const char *name;
		rlim_t room; /* bytes the file may still grow */
	} cases[] = {{"no room", 0}, {"room for part of the record", 40}};
	char *dir = tmpdir_new();
	char errpath[600];
	struct audit *a = NULL;
	const char *error = NULL;
	struct rlimit old;
	struct rlimit lim;
	struct stat st;
	char want[32];
	size_t i;

	(void)state;
	assert_int_equal(audit_open(dir, &a, &error), IG_OK);
	append_n(a, 3, "before");
	(void)snprintf(errpath, sizeof(errpath), "%s/stderr", dir);
	(void)snprintf(want, sizeof(want), "errno=%d", EFBIG);
	assert_true(signal(SIGXFSZ, SIG_IGN) != SIG_ERR);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct json_object *f = json_object_new_object();
		int saved = dup(2);
		int fd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		enum ig_err err;
		size_t len;
		char *text;

		assert_true(saved >= 0 && fd >= 0);
		assert_int_equal(stat(log_path(dir), &st), 0);
		assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
		lim = old;
		lim.rlim_cur = (rlim_t)st.st_size + cases[i].room;
		json_object_object_add(f, "pad",
				       json_object_new_string("0123456789012345678901234567890123456789"));
		assert_int_equal(dup2(fd, 2), 2);
		assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
		err = audit_append(a, "cache", NULL, NULL, f, true);
		assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
		assert_int_equal(dup2(saved, 2), 2);
		close(saved);
		close(fd);
		json_object_put(f);
		text = file_read(errpath, &len);
		if (strstr(text, want) == NULL)
			fprintf(stderr, "%s: logged: %s\n", cases[i].name, text);
		assert_int_equal(err, IG_EIO);
		assert_non_null(strstr(text, "audit append failed"));
		assert_non_null(strstr(text, want));
		assert_false(isdigit((unsigned char)strstr(text, want)[strlen(want)]));
		free(text);
		/* nothing of the failed record is left */
		verify_ok(audit_dir(dir), 3);
	}
	audit_close(a);
	rm_rf(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic_and_one_line),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_processes),
		cmocka_unit_test(test_tamper),
		cmocka_unit_test(test_torn_repair),
		cmocka_unit_test(test_rotation),
		cmocka_unit_test(test_time_parse),
		cmocka_unit_test(test_failure_errno),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
