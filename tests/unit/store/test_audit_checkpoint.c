/* store/audit_checkpoint.c: tamper evidence without an operator-kept anchor. A
 * table of tamperings, each applied to a fresh log (one file, or rotated
 * across several), then the real `imapgate audit verify` is run on it: every
 * tampering must exit non-zero naming the problem; the untampered log, a
 * genuinely torn final record and a crash between a record and its checkpoint
 * must still verify. Also: the next append after a tampering keeps the
 * evidence in the chain instead of hiding it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <json-c/json.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/unit/sibling_bin.h"
#include "store/audit.h"
#include "store/audit_verify.h"

#include "files.h"

#define N_RECORDS 50
#define MAX_LINES 4096

static char imapgate_bin[600];

struct log {
	char dir[64];      /* the data directory */
	char adir[96];     /* its audit/ */
	char **files;      /* chain order */
	size_t n_files;
};

static void
append_n(const char *dir, int n, uint64_t max_bytes)
{
	struct audit *a = NULL;
	const char *error = NULL;
	int i;

	assert_int_equal(audit_open(dir, &a, &error), IG_OK);
	audit_set_max_bytes(a, max_bytes);
	for (i = 0; i < n; i++) {
		struct json_object *f = json_object_new_object();

		json_object_object_add(f, "i", json_object_new_int(i));
		json_object_object_add(f, "pad",
				       json_object_new_string("0123456789abcdef0123456789"));
		assert_int_equal(audit_append(a, "cache", "tok", NULL, f, false), IG_OK);
		json_object_put(f);
	}
	audit_close(a);
}

static void
log_files(struct log *l)
{
	size_t i;

	for (i = 0; i < l->n_files; i++)
		free(l->files[i]);
	free(l->files);
	l->files = NULL;
	l->n_files = 0;
	if (audit_log_files(l->adir, &l->files, &l->n_files) != IG_OK)
		l->n_files = 0;
}

/* A fresh log of N_RECORDS; rotated into several files when rotate. */
static void
log_new(struct log *l, bool rotate)
{
	memset(l, 0, sizeof(*l));
	(void)snprintf(l->dir, sizeof(l->dir), "/tmp/ig-ckpt-XXXXXX");
	assert_non_null(mkdtemp(l->dir));
	(void)snprintf(l->adir, sizeof(l->adir), "%s/audit", l->dir);
	append_n(l->dir, N_RECORDS, rotate ? 2048 : 0);
	log_files(l);
	assert_true(rotate ? l->n_files >= 4 : l->n_files == 1);
}

static void
log_free(struct log *l)
{
	size_t i;

	for (i = 0; i < l->n_files; i++)
		free(l->files[i]);
	free(l->files);
	rm_rf(l->dir);
}

static const char *
live(const struct log *l)
{
	return l->files[l->n_files - 1];
}

/* Runs `imapgate audit verify DIR`; returns its exit status, output in out. */
static int
run_verify_opt(const char *opt, const char *path, char *out, size_t outsz)
{
	char cmd[1400];
	FILE *p;
	size_t n;
	int st;

	(void)snprintf(cmd, sizeof(cmd), "'%s' audit verify %s '%s' 2>&1", imapgate_bin, opt, path);
	p = popen(cmd, "r");
	assert_non_null(p);
	n = fread(out, 1, outsz - 1, p);
	out[n] = '\0';
	st = pclose(p);
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static int
run_verify(const char *path, char *out, size_t outsz)
{
	return run_verify_opt("", path, out, outsz);
}

/* Every line of every file, in chain order, into one array (for edits). */
struct lines {
	char *text[MAX_LINES];
	size_t file[MAX_LINES]; /* which file the line is in */
	size_t n;
	bool torn_last;          /* the last file ends without a LF */
};

static void
lines_load(const struct log *l, struct lines *ls)
{
	size_t f;

	memset(ls, 0, sizeof(*ls));
	for (f = 0; f < l->n_files; f++) {
		size_t len;
		char *p = file_read(l->files[f], &len);
		char *s = p;
		char *nl;

		while ((nl = memchr(s, '\n', len - (size_t)(s - p))) != NULL) {
			assert_true(ls->n < MAX_LINES);
			ls->text[ls->n] = strndup(s, (size_t)(nl - s));
			ls->file[ls->n++] = f;
			s = nl + 1;
		}
		free(p);
	}
}

static void
lines_store(const struct log *l, struct lines *ls)
{
	size_t f;
	size_t i;

	for (f = 0; f < l->n_files; f++) {
		FILE *o = fopen(l->files[f], "wb");

		assert_non_null(o);
		for (i = 0; i < ls->n; i++) {
			if (ls->file[i] == f)
				assert_true(fprintf(o, "%s\n", ls->text[i]) > 0);
		}
		fclose(o);
	}
	for (i = 0; i < ls->n; i++)
		free(ls->text[i]);
	ls->n = 0;
}

/* Rewrites prev of every line after `from` so the chain is valid again: what
 * a forger with write access to the log (but not the key) can do. */
static void
rechain(struct lines *ls, size_t from)
{
	size_t i;

	for (i = from + 1; i < ls->n; i++) {
		unsigned char h[32];
		char *t = ls->text[i];
		size_t len = strlen(t);
		char hex[65];

		crypto_hash_sha256(h, (const unsigned char *)ls->text[i - 1],
				   strlen(ls->text[i - 1]));
		sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
		assert_true(len > 66 && strcmp(t + len - 2, "\"}") == 0);
		memcpy(t + len - 66, hex, 64);
	}
}

/* An edit that keeps the line valid JSON: the tag value changes. */
static void
forge(char *line)
{
	char *q = strstr(line, "\"pad\":\"0");

	assert_non_null(q);
	q[7] = 'X';
}

/* --- tamperings --- */

static void
t_delete_first(struct log *l)
{
	struct lines ls;
	size_t i;

	lines_load(l, &ls);
	for (i = 0; i < 5; i++)
		free(ls.text[i]);
	memmove(ls.text, ls.text + 5, (ls.n - 5) * sizeof(ls.text[0]));
	memmove(ls.file, ls.file + 5, (ls.n - 5) * sizeof(ls.file[0]));
	ls.n -= 5;
	lines_store(l, &ls);
}

static void
t_edit_last(struct log *l)
{
	struct lines ls;

	lines_load(l, &ls);
	forge(ls.text[ls.n - 1]);
	lines_store(l, &ls);
}

static void
t_edit_as_torn(struct log *l)
{
	struct lines ls;
	size_t len;
	char *p;

	lines_load(l, &ls);
	forge(ls.text[ls.n - 1]);
	lines_store(l, &ls);
	p = file_read(live(l), &len);
	file_write(live(l), p, len - 1); /* no final LF: looks like a torn write */
	free(p);
}

static void
t_empty(struct log *l)
{
	size_t i;

	for (i = 0; i < l->n_files; i++)
		file_write(l->files[i], "", 0);
}

static void
t_rechain(struct log *l)
{
	struct lines ls;

	lines_load(l, &ls);
	forge(ls.text[10]);
	rechain(&ls, 10);
	lines_store(l, &ls);
}

static void
t_truncate_end(struct log *l)
{
	struct lines ls;
	size_t i;

	lines_load(l, &ls);
	for (i = ls.n - 3; i < ls.n; i++)
		free(ls.text[i]);
	ls.n -= 3;
	lines_store(l, &ls);
}

static void
t_append_forged(struct log *l)
{
	struct lines ls;
	size_t i;

	lines_load(l, &ls);
	for (i = 0; i < 2; i++) {
		ls.text[ls.n] = strdup(ls.text[ls.n - 1]);
		ls.file[ls.n] = ls.file[ls.n - 1];
		ls.n++;
	}
	/* seq +1, +2 and chained */
	for (i = ls.n - 2; i < ls.n; i++) {
		char *t = ls.text[i];
		char buf[64];
		char *end = strchr(t + 7, ',');
		unsigned long long seq = strtoull(t + 7, NULL, 10) + (i == ls.n - 2 ? 1 : 2);
		char *nt;

		(void)snprintf(buf, sizeof(buf), "{\"seq\":%llu", seq);
		nt = malloc(strlen(buf) + strlen(end) + 1);
		assert_non_null(nt);
		(void)snprintf(nt, strlen(buf) + strlen(end) + 1, "%s%s", buf, end);
		free(t);
		ls.text[i] = nt;
	}
	rechain(&ls, ls.n - 3);
	lines_store(l, &ls);
}

static void
t_delete_live(struct log *l)
{
	assert_int_equal(unlink(live(l)), 0);
}

static void
t_delete_all(struct log *l)
{
	size_t i;

	for (i = 0; i < l->n_files; i++)
		assert_int_equal(unlink(l->files[i]), 0);
}

static void
t_delete_newest_rotated(struct log *l)
{
	assert_int_equal(unlink(l->files[l->n_files - 2]), 0);
}

static void
t_head_deleted(struct log *l)
{
	char p[128];

	(void)snprintf(p, sizeof(p), "%s/audit.head", l->dir);
	assert_int_equal(unlink(p), 0);
}

static void
t_head_forged(struct log *l)
{
	char p[128];
	char slot[320];

	/* what a forger without the key can write: any MAC but the right one */
	(void)snprintf(p, sizeof(p), "%s/audit.head", l->dir);
	memset(slot, ' ', sizeof(slot));
	(void)snprintf(slot, 160, "igh1 %020d %064d %064d", 48, 0, 0);
	slot[strlen(slot)] = ' ';
	slot[159] = '\n';
	memcpy(slot + 160, slot, 160);
	(void)snprintf(slot + 160, 160, "igh1 %020d %064d %064d", 49, 0, 0);
	slot[160 + strlen(slot + 160)] = ' ';
	slot[319] = '\n';
	file_write(p, slot, sizeof(slot));
}

/* --- legitimate states --- */

static void
ok_untouched(struct log *l)
{
	(void)l;
}

static void
ok_torn(struct log *l)
{
	int fd = open(live(l), O_WRONLY | O_APPEND);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, "{\"seq\":51,\"ts\":\"2025-", 22), 22);
	close(fd);
}

/* A crash after a record's write(2), before its checkpoint: the head names
 * the record before. */
static void
ok_crash_before_checkpoint(struct log *l)
{
	char p[128];
	size_t len;
	char *head;

	(void)snprintf(p, sizeof(p), "%s/audit.head", l->dir);
	head = file_read(p, &len);
	append_n(l->dir, 1, l->n_files > 1 ? 2048 : 0);
	file_write(p, head, len);
	free(head);
	log_files(l);
}

/* An installation upgraded from a version without checkpoints: a log, no
 * audit.key, no audit.head. The next writer creates the key and adopts the
 * chain as it stands (not reported as tampering); its record says so. */
static void
ok_upgrade_without_checkpoint(struct log *l)
{
	char p[128];
	char *text;
	size_t len;

	(void)snprintf(p, sizeof(p), "%s/audit.key", l->dir);
	assert_int_equal(unlink(p), 0);
	(void)snprintf(p, sizeof(p), "%s/audit.head", l->dir);
	assert_int_equal(unlink(p), 0);
	append_n(l->dir, 1, l->n_files > 1 ? 2048 : 0);
	log_files(l);
	text = file_read(live(l), &len);
	assert_non_null(strstr(text, "\"seq\":51,"));
	assert_non_null(strstr(text, "\"checkpoint_created\":true"));
	free(text);
}

static void
ok_archive_oldest(struct log *l)
{
	assert_int_equal(unlink(l->files[0]), 0);
	assert_int_equal(unlink(l->files[1]), 0);
}

struct tcase {
	const char *name;
	void (*apply)(struct log *l);
	bool rotate;
	int exit_code;
	const char *says; /* a phrase of the output */
};

static const struct tcase cases[] = {
	{"untampered", ok_untouched, false, 0, "checkpoint: seq 50 matches"},
	{"untampered, rotated", ok_untouched, true, 0, "checkpoint: seq 50 matches"},
	{"torn final record after a crash", ok_torn, false, 0, "TORN:"},
	{"torn final record, rotated", ok_torn, true, 0, "TORN:"},
	{"crash between record and checkpoint", ok_crash_before_checkpoint, false, 0,
	 "seq 51 follows it"},
	{"crash between record and checkpoint, rotated", ok_crash_before_checkpoint, true, 0,
	 "seq 51 follows it"},
	{"oldest rotated files archived", ok_archive_oldest, true, 0, "checkpoint: seq 50 matches"},
	{"upgraded from a version without checkpoints", ok_upgrade_without_checkpoint, false, 0,
	 "checkpoint: seq 51 matches"},
	{"upgraded without checkpoints, rotated", ok_upgrade_without_checkpoint, true, 0,
	 "checkpoint: seq 51 matches"},

	{"first records of the live file deleted", t_delete_first, false, 1,
	 "begins at seq 6 without rotated_from"},
	{"first records deleted, rotated", t_delete_first, true, 1,
	 "begins at seq 6 without rotated_from"},
	{"last record edited", t_edit_last, false, 1, "differs from the checkpoint"},
	{"last record edited, rotated", t_edit_last, true, 1, "differs from the checkpoint"},
	{"edit disguised as a torn final line", t_edit_as_torn, false, 1,
	 "the checkpoint names seq 50 but the log ends at seq 49"},
	{"edit disguised as torn, rotated", t_edit_as_torn, true, 1,
	 "the checkpoint names seq 50 but the log ends at seq 49"},
	{"log emptied", t_empty, false, 1, "no complete record"},
	{"log emptied, rotated", t_empty, true, 1, "no complete record"},
	{"forgery re-chained", t_rechain, false, 1, "differs from the checkpoint"},
	{"forgery re-chained across rotated files", t_rechain, true, 1,
	 "differs from the checkpoint"},
	{"last records cut at a line boundary", t_truncate_end, false, 1,
	 "the checkpoint names seq 50 but the log ends at seq 47"},
	{"forged records appended and chained", t_append_forged, false, 1,
	 "2 records after the checkpoint (seq 50)"},
	{"live file deleted after rotation", t_delete_live, true, 1,
	 "the checkpoint names seq 50 but the log ends at seq"},
	{"every log file deleted", t_delete_all, false, 1, "the log is gone"},
	{"newest rotated file deleted", t_delete_newest_rotated, true, 1,
	 "records removed, reordered or inserted"},
	{"checkpoint deleted", t_head_deleted, false, 1, "audit.head is missing"},
	{"checkpoint forged without the key", t_head_forged, false, 1, "fails its MAC"},
};

static void
test_table(void **state)
{
	char out[8192];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct tcase *c = &cases[i];
		struct log l;
		int rc;

		log_new(&l, c->rotate);
		c->apply(&l);
		rc = run_verify(l.adir, out, sizeof(out));
		if (rc != c->exit_code || strstr(out, c->says) == NULL)
			fprintf(stderr, "case '%s': exit %d (want %d), want \"%s\" in:\n%s\n",
				c->name, rc, c->exit_code, c->says, out);
		assert_int_equal(rc, c->exit_code);
		assert_non_null(strstr(out, c->says));
		if (c->exit_code != 0)
			assert_non_null(strstr(out, "FAIL: "));
		log_free(&l);
	}
}

/* After a tampering, the gateway keeps appending: the evidence must stay in
 * the chain (checkpoint_mismatch in the next record), not be papered over
 * by a new checkpoint that matches the altered log. */
static void
test_append_after_tamper(void **state)
{
	static void (*const tamper[])(struct log *l) = {
		t_edit_last, t_rechain, t_truncate_end, t_empty, t_head_deleted, t_head_forged,
		t_append_forged, t_delete_live,
	};
	char out[8192];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(tamper) / sizeof(tamper[0]); i++) {
		struct log l;
		int rc;

		log_new(&l, tamper[i] == t_delete_live);
		tamper[i](&l);
		append_n(l.dir, 3, tamper[i] == t_delete_live ? 2048 : 0);
		rc = run_verify(l.adir, out, sizeof(out));
		if (rc == 0)
			fprintf(stderr, "tampering %zu hidden by the next append:\n%s\n", i, out);
		assert_int_equal(rc, 1);
		assert_non_null(strstr(out, "FAIL: "));
		log_free(&l);
	}
}

/* The key and the checkpoint live outside the audit directory, 0600. */
static void
test_key_outside(void **state)
{
	struct log l;
	char p[160];
	struct stat st;

	(void)state;
	log_new(&l, false);
	(void)snprintf(p, sizeof(p), "%s/audit.key", l.dir);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_size, 32);
	(void)snprintf(p, sizeof(p), "%s/audit.head", l.dir);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	(void)snprintf(p, sizeof(p), "%s/audit.key", l.adir);
	assert_int_not_equal(stat(p, &st), 0);
	log_free(&l);
}

/* Where the checkpoint is looked up, and how to do without it. */
static void
test_cli_paths(void **state)
{
	char out[8192];
	struct log l;

	(void)state;
	log_new(&l, true);
	/* the live file names its directory's checkpoint */
	assert_int_equal(run_verify(live(&l), out, sizeof(out)), 0);
	assert_non_null(strstr(out, "checkpoint: seq 50 matches"));
	/* a rotated file alone: chain only, said on stderr */
	assert_int_equal(run_verify(l.files[1], out, sizeof(out)), 0);
	assert_non_null(strstr(out, "not a live log"));
	assert_non_null(strstr(out, "checkpoint: not checked"));
	/* a copy without its checkpoint: --no-checkpoint */
	t_head_deleted(&l);
	assert_int_equal(run_verify(l.adir, out, sizeof(out)), 1);
	assert_int_equal(run_verify_opt("--no-checkpoint", l.adir, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "checkpoint: not checked"));
	log_free(&l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_append_after_tamper),
		cmocka_unit_test(test_key_outside),
		cmocka_unit_test(test_cli_paths),
	};

	if (sodium_init() < 0)
		return 1;
	/* the imapgate binary is built beside this test */
	if (!sibling_bin("imapgate", imapgate_bin, sizeof(imapgate_bin)))
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
