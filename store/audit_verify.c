/* Reading and verifying the audit log (docs/audit.md). The log is trusted
 * input (DESIGN §2) but verify exists for the day it was tampered with, so
 * it is parsed strictly and with the same bounds as the writer. */
#include "store/audit_verify.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store/audit_int.h"
#include "base/limits.h"
#include "base/json.h"

/* --- files --- */

struct rot {
	uint64_t n;
	char *path;
};

static int
rot_cmp(const void *x, const void *y)
{
	const struct rot *a = x;
	const struct rot *b = y;

	return a->n < b->n ? -1 : a->n > b->n;
}

static bool
rotated_name(const char *p, uint64_t *n_r)
{
	uint64_t v = 0;
	size_t i;

	if (strncmp(p, "audit-", 6) != 0)
		return false;
	for (i = 6; p[i] >= '0' && p[i] <= '9'; i++) {
		if (i >= 26)
			return false;
		v = v * 10 + (uint64_t)(p[i] - '0');
	}
	*n_r = v;
	return i > 6 && strcmp(p + i, ".jsonl") == 0;
}

static char *
path_join(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = malloc(n);

	if (p != NULL)
		(void)snprintf(p, n, "%s/%s", dir, name);
	return p;
}

enum ig_err
audit_log_files(const char *path, char ***paths_r, size_t *n_r)
{
	struct rot *v = NULL;
	size_t n = 0;
	size_t cap = 0;
	char **out = NULL;
	struct stat st;
	struct dirent *e;
	DIR *d;
	size_t i;
	bool live;
	enum ig_err err = IG_ENOMEM;

	*paths_r = NULL;
	*n_r = 0;
	if (stat(path, &st) != 0)
		return errno == ENOENT ? IG_ENOTFOUND : IG_EIO;
	if (!S_ISDIR(st.st_mode)) {
		out = calloc(1, sizeof(*out));
		if (out == NULL || (out[0] = strdup(path)) == NULL) {
			free(out);
			return IG_ENOMEM;
		}
		*paths_r = out;
		*n_r = 1;
		return IG_OK;
	}
	d = opendir(path);
	if (d == NULL)
		return IG_EIO;
	while ((e = readdir(d)) != NULL) {
		uint64_t k;

		if (!rotated_name(e->d_name, &k))
			continue;
		if (n == LIM_AUDIT_FILES) {
			err = IG_ELIMIT;
			goto fail;
		}
		if (n == cap) {
			size_t nc = cap == 0 ? 16 : cap * 2;
			struct rot *nv = realloc(v, nc * sizeof(*nv));

			if (nv == NULL)
				goto fail;
			v = nv;
			cap = nc;
		}
		v[n].n = k;
		v[n].path = path_join(path, e->d_name);
		if (v[n].path == NULL)
			goto fail;
		n++;
	}
	closedir(d);
	d = NULL;
	if (n > 0)
		qsort(v, n, sizeof(*v), rot_cmp);
	out = calloc(n + 1, sizeof(*out));
	if (out == NULL)
		goto fail;
	for (i = 0; i < n; i++) {
		out[i] = v[i].path;
		v[i].path = NULL;
	}
	out[n] = path_join(path, "audit.jsonl");
	if (out[n] == NULL)
		goto fail;
	live = stat(out[n], &st) == 0;
	if (!live) {
		free(out[n]);
		out[n] = NULL;
	}
	free(v);
	if (n + live == 0) {
		free(out);
		return IG_ENOTFOUND;
	}
	*paths_r = out;
	*n_r = n + live;
	return IG_OK;
fail:
	if (d != NULL)
		closedir(d);
	for (i = 0; i < n; i++)
		free(v[i].path);
	free(v);
	if (out != NULL) {
		for (i = 0; i <= n; i++)
			free(out[i]);
		free(out);
	}
	return err;
}

static void
files_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* --- line reader --- */

struct lr {
	int fd;
	char *buf;
	size_t cap;
	size_t start;
	size_t end;
	bool eof;
};

enum lr_res { LR_LINE, LR_EOF, LR_TOO_LONG, LR_ERROR };

static enum lr_res
lr_next(struct lr *l, const char **p_r, size_t *len_r)
{
	char *nl;
	ssize_t r;

	for (;;) {
		nl = memchr(l->buf + l->start, '\n', l->end - l->start);
		if (nl != NULL) {
			*p_r = l->buf + l->start;
			*len_r = (size_t)(nl - *p_r);
			l->start += *len_r + 1;
			return *len_r > LIM_AUDIT_RECORD ? LR_TOO_LONG : LR_LINE;
		}
		if (l->end - l->start > LIM_AUDIT_RECORD)
			return LR_TOO_LONG;
		if (l->eof) {
			*p_r = l->buf + l->start;
			*len_r = l->end - l->start; /* the torn tail, if any */
			return LR_EOF;
		}
		memmove(l->buf, l->buf + l->start, l->end - l->start);
		l->end -= l->start;
		l->start = 0;
		do {
			r = read(l->fd, l->buf + l->end, l->cap - l->end);
		} while (r < 0 && errno == EINTR);
		if (r < 0)
			return LR_ERROR;
		if (r == 0)
			l->eof = true;
		l->end += (size_t)r;
	}
}

static bool
lr_open(struct lr *l, const char *path)
{
	memset(l, 0, sizeof(*l));
	l->cap = LIM_AUDIT_RECORD + (size_t)64 * 1024;
	l->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (l->fd < 0)
		return false;
	l->buf = malloc(l->cap);
	if (l->buf == NULL) {
		close(l->fd);
		return false;
	}
	return true;
}

static void
lr_close(struct lr *l)
{
	if (l->fd >= 0)
		close(l->fd);
	free(l->buf);
}

/* --- verify --- */

struct vstate;
static void checkpoint_end(struct vstate *vs, const char *file);

struct vstate {
	struct audit_verify_report *r;
	bool have_prev;
	uint64_t prev_seq;
	unsigned char prev_hash[32];
	uint64_t anchor_seq;
	const char *anchor_hex;
	bool anchor_seen;
	const char *prev_file; /* basename of the previous file */
	const struct audit_head *ck; /* the checkpoint, or NULL */
	bool ck_seen;
	/* to read the checkpoint again after the scan (a writer was active) */
	int head_fd;
	const unsigned char *key;
};

static const char *
base_name(const char *p)
{
	const char *s = strrchr(p, '/');

	return s != NULL ? s + 1 : p;
}

static bool defect(struct vstate *vs, const char *file, uint64_t line, uint64_t seq,
		   const char *fmt, ...) IG_PRINTF(5, 6);

static bool
defect(struct vstate *vs, const char *file, uint64_t line, uint64_t seq, const char *fmt, ...)
{
	va_list ap;

	vs->r->ok = false;
	(void)snprintf(vs->r->file, sizeof(vs->r->file), "%s", file);
	vs->r->line = line;
	vs->r->seq = seq;
	va_start(ap, fmt);
	(void)vsnprintf(vs->r->why, sizeof(vs->r->why), fmt, ap);
	va_end(ap);
	return false;
}

static bool
str_or_null(struct json_object *o, const char *k)
{
	struct json_object *v;

	return json_object_object_get_ex(o, k, &v) &&
	       (v == NULL || json_object_is_type(v, json_type_string));
}

static bool
get_str(struct json_object *o, const char *k, const char **s_r)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_string))
		return false;
	*s_r = json_object_get_string(v);
	return true;
}

static bool
is_hex64(const char *s)
{
	size_t i;

	for (i = 0; i < 64; i++) {
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	}
	return s[64] == '\0';
}

static bool
check_record(struct vstate *vs, const char *file, bool first_file, uint64_t line, const char *p,
	     size_t len)
{
	struct json_object *o = NULL;
	struct json_object *v;
	const char *error = NULL;
	const char *prev;
	const char *s;
	char want[65];
	int64_t seq;
	bool ok = false;

	if (len == 0)
		return defect(vs, file, line, 0, "empty line");
	if (json_parse_strict((struct slice){p, len}, &o, &error) != IG_OK || o == NULL ||
	    !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return defect(vs, file, line, 0, "not a JSON object (%s)",
			      error != NULL ? error : "wrong type");
	}
	if (len < 8 || memcmp(p, "{\"seq\":", 7) != 0 || !json_object_object_get_ex(o, "seq", &v) ||
	    !json_object_is_type(v, json_type_int) || (seq = json_object_get_int64(v)) < 1) {
		defect(vs, file, line, 0, "does not begin with a positive seq");
		goto out;
	}
	if (!get_str(o, "ts", &s) || !get_str(o, "process_id", &s) || !get_str(o, "kind", &s) ||
	    !str_or_null(o, "principal") || !str_or_null(o, "account")) {
		defect(vs, file, line, (uint64_t)seq,
		       "lacks ts, process_id, kind, principal or account");
		goto out;
	}
	if (!get_str(o, "prev", &prev) || !is_hex64(prev)) {
		defect(vs, file, line, (uint64_t)seq, "prev is not 64 hex digits");
		goto out;
	}
	if (vs->have_prev) {
		if ((uint64_t)seq != vs->prev_seq + 1) {
			defect(vs, file, line, (uint64_t)seq,
			       "seq %" PRId64 " where %" PRIu64 " was expected (records removed, "
			       "reordered or inserted)",
			       seq, vs->prev_seq + 1);
			goto out;
		}
		audit_hex_put(want, vs->prev_hash, 32);
		if (strcmp(prev, want) != 0) {
			defect(vs, file, line, (uint64_t)seq,
			       "prev does not match the SHA-256 of the previous line (that line "
			       "was altered, or records were replaced)");
			goto out;
		}
	} else {
		vs->r->first_seq = (uint64_t)seq;
		if (seq == 1 && strcmp(prev, "0000000000000000000000000000000000000000000000000000000000000000") != 0) {
			defect(vs, file, line, 1, "seq 1 with a non-zero prev");
			goto out;
		}
		/* Only archiving whole rotated files (oldest first) may remove
		 * the start of the chain; their successor names them. */
		if (seq != 1 && (line != 1 || !json_object_object_get_ex(o, "rotated_from", &v))) {
			defect(vs, file, line, (uint64_t)seq,
			       "the log begins at seq %" PRId64 " without rotated_from (its first "
			       "records were removed)",
			       seq);
			goto out;
		}
	}
	if (json_object_object_get_ex(o, "checkpoint_mismatch", &v)) {
		defect(vs, file, line, (uint64_t)seq,
		       "the writer found the log did not match its checkpoint before this record "
		       "(%s): records were changed or removed outside the gateway",
		       json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "?");
		goto out;
	}
	if (json_object_object_get_ex(o, "rotated_from", &v)) {
		if (line != 1 || !json_object_is_type(v, json_type_string)) {
			defect(vs, file, line, (uint64_t)seq, "rotated_from outside a file's first record");
			goto out;
		}
		if (vs->prev_file != NULL && strcmp(json_object_get_string(v), vs->prev_file) != 0) {
			defect(vs, file, line, (uint64_t)seq,
			       "rotated_from does not name the previous file (files missing?)");
			goto out;
		}
	} else if (line == 1 && !first_file) {
		defect(vs, file, line, (uint64_t)seq, "first record of a later file lacks rotated_from");
		goto out;
	}
	crypto_hash_sha256(vs->prev_hash, (const unsigned char *)p, len);
	audit_hex_put(vs->r->last_sha256, vs->prev_hash, 32);
	if (vs->ck != NULL && (uint64_t)seq == vs->ck->seq) {
		vs->ck_seen = true;
		if (sodium_memcmp(vs->prev_hash, vs->ck->hash, 32) != 0) {
			defect(vs, file, line, (uint64_t)seq,
			       "differs from the checkpoint (the record was edited, or the chain up "
			       "to it rewritten)");
			goto out;
		}
	}
	if (vs->anchor_seq != 0 && (uint64_t)seq == vs->anchor_seq) {
		vs->anchor_seen = true;
		if (vs->anchor_hex == NULL || strcmp(vs->anchor_hex, vs->r->last_sha256) != 0) {
			defect(vs, file, line, (uint64_t)seq, "does not match the anchor hash");
			goto out;
		}
	}
	vs->have_prev = true;
	vs->prev_seq = (uint64_t)seq;
	vs->r->last_seq = (uint64_t)seq;
	vs->r->records++;
	ok = true;
out:
	json_object_put(o);
	return ok;
}

/* After the last record: the checkpoint's record must have been seen; at
 * most one record may follow it (written just before a crash). */
static void
checkpoint_end(struct vstate *vs, const char *file)
{
	struct audit_verify_report *r = vs->r;

	r->checkpoint = true;
	if (vs->ck == NULL || vs->ck->seq == 0) {
		/* checkpoint never written: fine for an empty log only */
		if (r->records > 0)
			(void)defect(vs, file, 0, 0, "the log has records but no checkpoint");
		return;
	}
	r->checkpoint_seq = vs->ck->seq;
	if (!vs->ck_seen) {
		r->torn = false;
		(void)defect(vs, file, 0, vs->ck->seq,
			     "the checkpoint names seq %" PRIu64 " but the log %s%" PRIu64
			     " (records removed at the end, emptied, or the last record turned "
			     "into a torn one)",
			     vs->ck->seq, r->records == 0 ? "is empty" : "ends at seq ",
			     r->records == 0 ? (uint64_t)0 : r->last_seq);
		if (r->records == 0)
			(void)snprintf(r->why, sizeof(r->why),
				       "the checkpoint names seq %" PRIu64 " but the log has no "
				       "complete record (emptied, or the last record turned into a "
				       "torn one)",
				       vs->ck->seq);
		return;
	}
	if (r->last_seq > vs->ck->seq + 1 && vs->head_fd >= 0) {
		/* The gateway may have appended while we read: the log was
		 * read after the checkpoint, so a checkpoint read now that
		 * covers the records seen accounts for them. */
		struct audit_head h2;

		if (audit_head_read(vs->head_fd, vs->key, &h2) == AUDIT_HEAD_OK &&
		    h2.seq > vs->ck->seq && h2.seq + 1 >= r->last_seq) {
			r->checkpoint_seq = h2.seq < r->last_seq ? h2.seq : r->last_seq;
			r->after_checkpoint = r->last_seq - r->checkpoint_seq;
			return;
		}
	}
	if (r->last_seq > vs->ck->seq + 1) {
		r->torn = false;
		(void)defect(vs, file, 0, vs->ck->seq + 1,
			     "%" PRIu64 " records after the checkpoint (seq %" PRIu64
			     ") were not written by the gateway (appended without the key)",
			     r->last_seq - vs->ck->seq, vs->ck->seq);
		return;
	}
	r->after_checkpoint = r->last_seq - vs->ck->seq;
}

static enum ig_err
verify_run(const char *path, uint64_t anchor_seq, const char *anchor_hex,
	   const struct audit_head *ck, int head_fd, const unsigned char *key,
	   struct audit_verify_report *r)
{
	struct vstate vs;
	char **files = NULL;
	size_t n = 0;
	size_t i;
	enum ig_err err;

	memset(r, 0, sizeof(*r));
	memset(&vs, 0, sizeof(vs));
	vs.r = r;
	vs.anchor_seq = anchor_seq;
	vs.anchor_hex = anchor_hex;
	vs.ck = ck;
	vs.head_fd = head_fd;
	vs.key = key;
	r->ok = true;
	if ((err = audit_log_files(path, &files, &n)) != IG_OK)
		return err;
	r->files = n;
	for (i = 0; i < n && r->ok; i++) {
		struct lr l;
		const char *p;
		size_t len;
		uint64_t line = 0;
		enum lr_res res;

		if (!lr_open(&l, files[i])) {
			err = IG_EIO;
			break;
		}
		while ((res = lr_next(&l, &p, &len)) == LR_LINE) {
			line++;
			if (!check_record(&vs, files[i], i == 0, line, p, len))
				break;
		}
		if (r->ok && res == LR_TOO_LONG)
			defect(&vs, files[i], line + 1, 0, "line longer than %zu bytes",
			       (size_t)LIM_AUDIT_RECORD);
		else if (r->ok && res == LR_ERROR)
			err = IG_EIO;
		else if (r->ok && res == LR_EOF && len > 0) {
			if (i + 1 < n) {
				defect(&vs, files[i], line + 1, 0,
				       "torn record (%zu bytes without a line end) inside a rotated file",
				       len);
			} else {
				r->torn = true;
				r->torn_bytes = len;
				(void)snprintf(r->file, sizeof(r->file), "%s", files[i]);
				r->line = line + 1;
				(void)snprintf(r->why, sizeof(r->why),
					       "torn final record (%zu bytes without a line end): an "
					       "interrupted write, tolerated",
					       len);
			}
		}
		lr_close(&l);
		vs.prev_file = base_name(files[i]);
	}
	if (err == IG_OK && r->ok && anchor_seq != 0 && !vs.anchor_seen) {
		r->ok = false;
		r->torn = false;
		(void)snprintf(r->file, sizeof(r->file), "%s", n > 0 ? files[n - 1] : path);
		r->line = 0;
		r->seq = anchor_seq;
		(void)snprintf(r->why, sizeof(r->why),
			       "the log ends at seq %" PRIu64 ", before the anchored seq %" PRIu64
			       " (truncated?)",
			       r->last_seq, anchor_seq);
	}
	if (err == IG_OK && r->ok && ck != NULL)
		checkpoint_end(&vs, n > 0 ? files[n - 1] : path);
	files_free(files, n);
	return err;
}

enum ig_err
audit_verify(const char *path, uint64_t anchor_seq, const char *anchor_hex,
	     struct audit_verify_report *r)
{
	return verify_run(path, anchor_seq, anchor_hex, NULL, -1, NULL, r);
}

enum ig_err
audit_verify_checkpoint(const char *path, const char *data_dir, uint64_t anchor_seq,
			const char *anchor_hex, struct audit_verify_report *r)
{
	unsigned char key[AUDIT_KEY_LEN];
	struct audit_head h;
	enum audit_head_res hr = AUDIT_HEAD_BAD;
	const char *why = NULL;
	enum ig_err err;
	int dfd = open(data_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int hfd = -1;

	memset(&h, 0, sizeof(h));
	if (dfd < 0)
		return IG_EIO;
	err = audit_key_load(dfd, AUDIT_KEY, key, sizeof(key), false, NULL);
	if (err == IG_ENOTFOUND)
		why = "no checkpoint key (<data_dir>/audit.key is missing)";
	else if (err != IG_OK)
		why = "the checkpoint key <data_dir>/audit.key cannot be read (32 bytes)";
	else if ((hfd = openat(dfd, AUDIT_HEAD, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		why = errno == ENOENT ? "no checkpoint (<data_dir>/audit.head is missing)"
				      : "the checkpoint <data_dir>/audit.head cannot be read";
	else if ((hr = audit_head_read(hfd, key, &h)) == AUDIT_HEAD_BAD)
		why = "the checkpoint <data_dir>/audit.head fails its MAC (forged or damaged)";
	close(dfd);
	/* no checkpoint yet: only a log without records is consistent with that */
	err = verify_run(path, anchor_seq, anchor_hex, why == NULL ? &h : NULL, hfd, key, r);
	if (hfd >= 0)
		close(hfd);
	sodium_memzero(key, sizeof(key));
	if (err == IG_ENOTFOUND && why == NULL && hr == AUDIT_HEAD_NONE)
		return err;
	if (err == IG_ENOTFOUND && why == NULL) {
		memset(r, 0, sizeof(*r));
		r->checkpoint = true;
		r->checkpoint_seq = h.seq;
		(void)snprintf(r->file, sizeof(r->file), "%s", path);
		(void)snprintf(r->why, sizeof(r->why),
			       "the log is gone but the checkpoint names seq %" PRIu64
			       " (log files deleted)",
			       h.seq);
		return IG_OK;
	}
	if (err != IG_OK || !r->ok)
		return err;
	if (why == NULL && hr == AUDIT_HEAD_NONE && r->records > 0)
		why = "the log has records but the checkpoint was never written or was emptied";
	if (why != NULL) {
		r->ok = false;
		r->torn = false;
		r->line = 0;
		r->seq = 0;
		(void)snprintf(r->why, sizeof(r->why), "%s", why);
	}
	return IG_OK;
}

enum ig_err
audit_scan(const char *path,
	   bool (*fn)(const char *line, size_t len, struct json_object *rec, void *ctx), void *ctx)
{
	char **files = NULL;
	size_t n = 0;
	size_t i;
	enum ig_err err;
	bool go = true;

	if ((err = audit_log_files(path, &files, &n)) != IG_OK)
		return err;
	for (i = 0; i < n && go; i++) {
		struct lr l;
		const char *p;
		size_t len;
		enum lr_res res;

		if (!lr_open(&l, files[i])) {
			if (errno == ENOENT) /* rotated away between listing and opening */
				continue;
			err = IG_EIO;
			break;
		}
		while (go && (res = lr_next(&l, &p, &len)) != LR_EOF && res != LR_ERROR) {
			struct json_object *o = NULL;

			if (res == LR_TOO_LONG) {
				/* skip to the next line end */
				l.start = l.end;
				continue;
			}
			if (json_parse_strict((struct slice){p, len}, &o, NULL) == IG_OK && o != NULL &&
			    json_object_is_type(o, json_type_object))
				go = fn(p, len, o, ctx);
			json_object_put(o);
		}
		lr_close(&l);
	}
	files_free(files, n);
	return err;
}

/* --- time --- */

static bool
digits(const char *s, size_t n, int *v_r)
{
	size_t i;
	int v = 0;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*v_r = v;
	return true;
}

bool
audit_time_parse(const char *s, size_t len, int64_t *ms_r)
{
	struct tm tm;
	int y, mo, d, h = 0, mi = 0, se = 0, oh, om;
	int64_t ms = 0;
	int64_t t;
	size_t i;

	if (len > 0 && len <= 12) {
		bool all = true;

		for (i = 0; i < len; i++)
			all = all && s[i] >= '0' && s[i] <= '9';
		if (all) {
			t = 0;
			for (i = 0; i < len; i++)
				t = t * 10 + (s[i] - '0');
			*ms_r = t * 1000;
			return true;
		}
	}
	if (len < 10 || s[4] != '-' || s[7] != '-' || !digits(s, 4, &y) || !digits(s + 5, 2, &mo) ||
	    !digits(s + 8, 2, &d) || mo < 1 || mo > 12 || d < 1 || d > 31)
		return false;
	if (len > 10) {
		if ((s[10] != 'T' && s[10] != 't' && s[10] != ' ') || len < 19 || s[13] != ':' ||
		    s[16] != ':' || !digits(s + 11, 2, &h) || !digits(s + 14, 2, &mi) ||
		    !digits(s + 17, 2, &se) || h > 23 || mi > 59 || se > 60)
			return false;
		i = 19;
		if (i < len && s[i] == '.') {
			int scale = 100;

			for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
				ms += (int64_t)(s[i] - '0') * scale;
				scale /= 10;
			}
		}
		if (i >= len)
			return false; /* RFC 3339 requires the offset */
		if (s[i] == 'Z' || s[i] == 'z') {
			i++;
			oh = om = 0;
		} else if ((s[i] == '+' || s[i] == '-') && len - i == 6 && s[i + 3] == ':' &&
			   digits(s + i + 1, 2, &oh) && digits(s + i + 4, 2, &om) && oh < 24 &&
			   om < 60) {
			if (s[i] == '-') {
				oh = -oh;
				om = -om;
			}
			i += 6;
		} else {
			return false;
		}
		if (i != len)
			return false;
	} else {
		oh = om = 0;
	}
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	t = (int64_t)timegm(&tm);
	if (t == -1 && y != 1969)
		return false;
	*ms_r = (t - (int64_t)oh * 3600 - (int64_t)om * 60) * 1000 + ms;
	return true;
}
