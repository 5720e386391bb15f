/* The audit log writer (DESIGN §9, docs/audit.md).
 *
 * Several processes append to one file (the server and CLI commands such as
 * `imapgate token create`), so nothing about the chain is kept on trust in
 * memory: under an exclusive flock on audit/audit.lock (a file that is never
 * renamed, so rotation cannot strand a waiter on a stale inode) each append
 * checks that its descriptor still names audit/audit.jsonl, derives seq and
 * prev from the file's last line unless the file is exactly as this handle
 * left it, and writes the record with one write(2). A pthread mutex orders
 * the threads of one process, since flock is per open file description. */
#include "store/audit.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store/audit_int.h"
#include "store/audit_prov.h"
#include "base/buf.h"
#include "base/limits.h"
#include "base/log.h"

#define AUDIT_FILE "audit.jsonl"
#define AUDIT_LOCK "audit.lock"
#define AUDIT_SALT "audit.salt"
#define SALT_LEN 32
#define TAIL_FIRST_READ 8192

struct chain {
	uint64_t seq;                 /* of the last complete record; 0: none yet */
	unsigned char prev[32];       /* SHA-256 of that record's line */
	unsigned char last_prev[32];  /* that record's own prev field */
	bool last_prev_ok;
	off_t torn;                   /* bytes after the last LF (a torn record) */
	unsigned char torn_hash[32];
	char rotated_from[40];        /* first record of a file: its predecessor */
};

struct audit {
	pthread_mutex_t lock;
	int dir_fd;
	int lock_fd;
	int fd; /* audit.jsonl, -1 until first use */
	int head_fd; /* <data_dir>/audit.head */
	uint64_t max_bytes;
	/* The chain state after this handle's last append, valid while the
	 * file still has this identity and size (nobody else appended). */
	bool cached;
	dev_t dev;
	ino_t ino;
	off_t size;
	uint64_t seq;
	unsigned char last[32];
	unsigned char salt[SALT_LEN];
	unsigned char key[AUDIT_KEY_LEN]; /* MACs the checkpoint */
	char process_id[33];
	uint64_t written;
	uint64_t failed;
	int last_errno; /* of the failing call in the current append, under lock */
	bool key_created; /* this process created audit.key: its next record says so */
	struct audit_prov *prov;
};

static const char *const reserved[] = {
	"seq", "ts", "process_id", "kind", "principal", "account", "prev",
	"rotated_from", "torn_tail_bytes", "torn_tail_sha256", "checkpoint_mismatch",
	"checkpoint_created",
};

static bool
is_reserved(const char *k)
{
	size_t i;

	for (i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
		if (strcmp(k, reserved[i]) == 0)
			return true;
	}
	return false;
}

static int
lock_ex(int fd)
{
	int rc;

	while ((rc = flock(fd, LOCK_EX)) != 0 && errno == EINTR)
		;
	return rc;
}

static ssize_t
pread_full(int fd, void *p, size_t n, off_t off)
{
	size_t got = 0;
	ssize_t r;

	while (got < n) {
		r = pread(fd, (char *)p + got, n - got, off + (off_t)got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

/* Reads seq from a line we wrote: it starts {"seq":<digits>, */
static bool
line_seq(const char *p, size_t len, uint64_t *seq_r)
{
	static const char pre[] = "{\"seq\":";
	size_t i = sizeof(pre) - 1;
	uint64_t v = 0;

	if (len <= i || memcmp(p, pre, i) != 0 || p[i] < '0' || p[i] > '9')
		return false;
	for (; i < len && p[i] >= '0' && p[i] <= '9'; i++) {
		if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, (uint64_t)(p[i] - '0'), &v))
			return false;
	}
	*seq_r = v;
	return i < len && p[i] == ',';
}

/* Reads prev from a line we wrote: it ends ,"prev":"<64 hex>"} */
static bool
line_prev(const char *p, size_t len, unsigned char out[32])
{
	static const char pre[] = ",\"prev\":\"";
	size_t plen = sizeof(pre) - 1;

	if (len < plen + 66 || memcmp(p + len - 66 - plen, pre, plen) != 0 ||
	    memcmp(p + len - 2, "\"}", 2) != 0)
		return false;
	return audit_hex_get(p + len - 66, out, 32);
}

/* Finds the chain state at the end of fd (size bytes): the last complete
 * line's seq and hash, and the torn bytes after it. *have_r is false when the
 * file holds no complete line. IG_EIO when the tail cannot be understood (a
 * damaged or foreign file: appending would extend a chain nobody can verify). */
static enum ig_err
tail_read(int fd, off_t size, struct chain *c, bool *have_r)
{
	size_t max_win = 2 * LIM_AUDIT_RECORD + 2;
	size_t win = TAIL_FIRST_READ;
	char *buf = NULL;
	enum ig_err err = IG_EIO;

	*have_r = false;
	c->torn = 0;
	if (size == 0)
		return IG_OK;
	for (;;) {
		size_t n = (uint64_t)size < win ? (size_t)size : win;
		bool whole = (off_t)n == size;
		size_t end;
		size_t i;
		size_t start;
		bool found;

		free(buf);
		buf = malloc(n);
		if (buf == NULL) {
			err = IG_ENOMEM;
			goto out;
		}
		if (pread_full(fd, buf, n, size - (off_t)n) != (ssize_t)n)
			goto out;
		end = n;
		if (buf[n - 1] != '\n') {
			for (i = n; i > 0 && buf[i - 1] != '\n'; i--)
				;
			if (i == 0 && !whole)
				goto grow;
			c->torn = (off_t)(n - i);
			crypto_hash_sha256(c->torn_hash, (const unsigned char *)buf + i, n - i);
			if (i == 0) { /* the whole file is one torn record */
				err = IG_OK;
				goto out;
			}
			end = i;
		}
		/* buf[end - 1] is the LF that ends the last complete line */
		found = false;
		for (i = end - 1; i > 0; i--) {
			if (buf[i - 1] == '\n') {
				found = true;
				break;
			}
		}
		if (!found && !whole)
			goto grow;
		start = found ? i : 0;
		if (!line_seq(buf + start, end - 1 - start, &c->seq))
			goto out;
		crypto_hash_sha256(c->prev, (const unsigned char *)buf + start, end - 1 - start);
		c->last_prev_ok = line_prev(buf + start, end - 1 - start, c->last_prev);
		*have_r = true;
		err = IG_OK;
		goto out;
grow:
		if (win >= max_win)
			goto out;
		win = max_win;
	}
out:
	free(buf);
	return err;
}

/* The highest n of audit-<n>.jsonl in the directory (0: none). */
static uint64_t
rotated_max(int dir_fd)
{
	int fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *e;
	uint64_t max = 0;

	if (d == NULL) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	while ((e = readdir(d)) != NULL) {
		const char *p = e->d_name;
		uint64_t v = 0;
		size_t i;

		if (strncmp(p, "audit-", 6) != 0)
			continue;
		for (i = 6; p[i] >= '0' && p[i] <= '9' && i < 26; i++)
			v = v * 10 + (uint64_t)(p[i] - '0');
		if (i > 6 && strcmp(p + i, ".jsonl") == 0 && v > max)
			max = v;
	}
	closedir(d);
	return max;
}

/* Chain state for a file without a complete record: continue from the last
 * rotated file, if any. */
static enum ig_err
chain_from_rotated(struct audit *a, struct chain *c)
{
	uint64_t n = rotated_max(a->dir_fd);
	struct chain rc;
	struct stat st;
	bool have = false;
	enum ig_err err;
	int fd;

	c->seq = 0;
	memset(c->prev, 0, sizeof(c->prev));
	if (n == 0)
		return IG_OK;
	(void)snprintf(c->rotated_from, sizeof(c->rotated_from), "audit-%" PRIu64 ".jsonl", n);
	fd = openat(a->dir_fd, c->rotated_from, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return IG_EIO;
	memset(&rc, 0, sizeof(rc));
	err = fstat(fd, &st) == 0 ? tail_read(fd, st.st_size, &rc, &have) : IG_EIO;
	close(fd);
	if (err != IG_OK)
		return err;
	if (have) {
		c->seq = rc.seq;
		memcpy(c->prev, rc.prev, sizeof(c->prev));
		memcpy(c->last_prev, rc.last_prev, sizeof(c->last_prev));
		c->last_prev_ok = rc.last_prev_ok;
	}
	return IG_OK;
}

static int
open_log(struct audit *a, int extra)
{
	int fd = openat(a->dir_fd, AUDIT_FILE,
			O_RDWR | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC | extra, 0600);

	if (fd >= 0)
		(void)fchmod(fd, 0600); /* whatever the umask was */
	return fd;
}

/* Makes a->fd name the current audit.jsonl (another process may have
 * rotated it away) and returns its stat. */
static enum ig_err
log_current(struct audit *a, struct stat *st)
{
	struct stat path_st;

	if (a->fd >= 0 &&
	    (fstatat(a->dir_fd, AUDIT_FILE, &path_st, AT_SYMLINK_NOFOLLOW) != 0 ||
	     path_st.st_ino != a->ino || path_st.st_dev != a->dev)) {
		close(a->fd);
		a->fd = -1;
		a->cached = false;
	}
	if (a->fd < 0) {
		a->fd = open_log(a, 0);
		if (a->fd < 0)
			return IG_EIO;
		(void)fsync(a->dir_fd);
	}
	if (fstat(a->fd, st) != 0 || !S_ISREG(st->st_mode))
		return IG_EIO;
	if (a->cached && (st->st_ino != a->ino || st->st_dev != a->dev || st->st_size != a->size))
		a->cached = false;
	a->ino = st->st_ino;
	a->dev = st->st_dev;
	return IG_OK;
}

static enum ig_err
rotate(struct audit *a, struct chain *c, struct stat *st)
{
	uint64_t n = rotated_max(a->dir_fd) + 1;
	char name[40];

	(void)snprintf(name, sizeof(name), "audit-%" PRIu64 ".jsonl", n);
	if (renameat(a->dir_fd, AUDIT_FILE, a->dir_fd, name) != 0)
		return IG_EIO;
	close(a->fd);
	a->fd = open_log(a, O_EXCL);
	(void)fsync(a->dir_fd);
	if (a->fd < 0 || fstat(a->fd, st) != 0)
		return IG_EIO;
	a->ino = st->st_ino;
	a->dev = st->st_dev;
	memcpy(c->rotated_from, name, sizeof(name));
	return IG_OK;
}

static void
ts_now(char out[32])
{
	struct timespec ts;
	struct tm tm;
	char base[20];

	clock_gettime(CLOCK_REALTIME, &ts);
	if (gmtime_r(&ts.tv_sec, &tm) == NULL ||
	    strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm) == 0) {
		(void)snprintf(out, 32, "1970-01-01T00:00:00.000Z");
		return;
	}
	(void)snprintf(out, 32, "%s.%03dZ", base, (int)(ts.tv_nsec / 1000000L) % 1000);
}

static void
str_or_null(struct buf *b, const char *s)
{
	if (s == NULL)
		buf_puts(b, "null");
	else
		audit_json_str(b, s, strlen(s));
}

/* Lock held, chain state c read from the files: does it end where the
 * checkpoint says the chain ended? NULL when it does (or, after a crash
 * between a record and its checkpoint, one record later); else a closed
 * vocabulary reason, written into the next record as checkpoint_mismatch so
 * that the evidence stays in the chain (verify reports it). */
static const char *
head_check(struct audit *a, const struct chain *c)
{
	struct audit_head h;

	switch (audit_head_read(a->head_fd, a->key, &h)) {
	case AUDIT_HEAD_BAD:
		return "checkpoint_damaged";
	case AUDIT_HEAD_NONE:
		return c->seq > 0 ? "checkpoint_missing" : NULL;
	case AUDIT_HEAD_OK:
		break;
	}
	if (h.seq == c->seq && sodium_memcmp(h.hash, c->prev, 32) == 0)
		return NULL;
	if (h.seq + 1 == c->seq && c->last_prev_ok && sodium_memcmp(h.hash, c->last_prev, 32) == 0)
		return NULL;
	if (h.seq > c->seq)
		return "log_truncated";
	if (h.seq < c->seq)
		return "log_extended";
	return "record_changed";
}

/* Lock held. Builds the line into line and writes it. */
static enum ig_err
append_locked(struct audit *a, const char *kind, const char *principal, const char *account,
	      const struct buf *middle, bool sync, struct buf *line)
{
	struct chain c;
	struct stat st;
	struct audit_head head;
	const char *mismatch = NULL;
	bool have = true;
	char ts[32];
	char hex[65];
	enum ig_err err;
	ssize_t w;
	size_t done;
	off_t size;

	memset(&c, 0, sizeof(c));
	if ((err = log_current(a, &st)) != IG_OK)
		return err;
	if (a->cached) {
		c.seq = a->seq;
		memcpy(c.prev, a->last, sizeof(c.prev));
	} else {
		if ((err = tail_read(a->fd, st.st_size, &c, &have)) != IG_OK)
			return err;
		if (!have && (err = chain_from_rotated(a, &c)) != IG_OK)
			return err;
		mismatch = head_check(a, &c);
		if (mismatch != NULL)
			log_error(0, "msg=\"audit log does not match its checkpoint (changed "
				     "outside the gateway?); recorded, audit verify will report "
				     "it\" reason=%s",
				  mismatch);
	}
	size = st.st_size;
	if (c.torn > 0) {
		/* A crash cut the last record short. Cut it off so the chain
		 * stays verifiable, and say so in the record that follows. */
		if (ftruncate(a->fd, size - c.torn) != 0)
			return IG_EIO;
		size -= c.torn;
	}
	if (a->max_bytes > 0 && size > 0 &&
	    (uint64_t)size + middle->len + 512 > a->max_bytes) {
		if ((err = rotate(a, &c, &st)) != IG_OK)
			return err;
		size = 0;
	}
	ts_now(ts);
	buf_reset(line);
	buf_appendf(line, "{\"seq\":%" PRIu64 ",\"ts\":\"%s\",\"process_id\":\"%s\",\"kind\":",
		    c.seq + 1, ts, a->process_id);
	str_or_null(line, kind);
	buf_puts(line, ",\"principal\":");
	str_or_null(line, principal);
	buf_puts(line, ",\"account\":");
	str_or_null(line, account);
	if (c.rotated_from[0] != '\0') {
		buf_puts(line, ",\"rotated_from\":");
		str_or_null(line, c.rotated_from);
	}
	if (c.torn > 0) {
		audit_hex_put(hex, c.torn_hash, sizeof(c.torn_hash));
		buf_appendf(line, ",\"torn_tail_bytes\":%lld,\"torn_tail_sha256\":\"%s\"",
			    (long long)c.torn, hex);
	}
	if (mismatch != NULL)
		buf_appendf(line, ",\"checkpoint_mismatch\":\"%s\"", mismatch);
	if (a->key_created)
		buf_puts(line, ",\"checkpoint_created\":true");
	buf_append(line, middle->p, middle->len);
	audit_hex_put(hex, c.prev, sizeof(c.prev));
	buf_appendf(line, ",\"prev\":\"%s\"}\n", hex);
	if (buf_err(line) != IG_OK)
		return buf_err(line) == IG_ELIMIT ? IG_ELIMIT : IG_ENOMEM;
	/* One write(2) in the normal case; a short write (the disk or the
	 * file size limit reached mid-record) is continued so that the
	 * failing call reports why (ENOSPC, EFBIG, EDQUOT). */
	done = 0;
	while (done < line->len) {
		w = write(a->fd, line->p + done, line->len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			a->last_errno = w < 0 ? errno : EIO;
			break;
		}
		done += (size_t)w;
	}
	if (done != line->len) {
		/* Never leave half a record behind a live writer. */
		if (done > 0 && ftruncate(a->fd, size) != 0)
			log_error(0, "msg=\"audit: cannot remove a partial record\"");
		a->cached = false;
		return IG_EIO;
	}
	head.seq = c.seq + 1;
	crypto_hash_sha256(head.hash, (const unsigned char *)line->p, line->len - 1);
	if (!audit_head_write(a->head_fd, a->key, &head)) {
		/* A record the checkpoint does not cover would be reported as
		 * appended behind the gateway's back: take it back. */
		a->last_errno = errno;
		if (ftruncate(a->fd, size) != 0)
			log_error(0, "msg=\"audit: cannot remove an unchecked record\"");
		a->cached = false;
		return IG_EIO;
	}
	a->cached = true;
	a->key_created = false;
	a->size = size + (off_t)line->len;
	a->seq = head.seq;
	memcpy(a->last, head.hash, sizeof(a->last));
	if (sync && (fdatasync(a->fd) != 0 || fdatasync(a->head_fd) != 0)) {
		a->last_errno = errno;
		return IG_EIO;
	}
	return IG_OK;
}

enum ig_err
audit_append(struct audit *a, const char *kind, const char *principal, const char *account,
	     struct json_object *fields, bool sync)
{
	struct buf middle;
	struct buf line;
	enum ig_err err = IG_OK;
	int saved_errno;

	if (a == NULL || kind == NULL)
		return IG_EINVAL;
	buf_init(&middle, LIM_AUDIT_RECORD);
	buf_init(&line, LIM_AUDIT_RECORD);
	if (fields != NULL && json_object_is_type(fields, json_type_object)) {
		json_object_object_foreach(fields, key, val)
		{
			if (is_reserved(key))
				continue;
			buf_putc(&middle, ',');
			audit_json_str(&middle, key, strlen(key));
			buf_putc(&middle, ':');
			audit_json_put(&middle, val, false);
		}
	}
	if (buf_err(&middle) != IG_OK)
		err = buf_err(&middle) == IG_ELIMIT ? IG_ELIMIT : IG_ENOMEM;
	pthread_mutex_lock(&a->lock);
	a->last_errno = 0;
	if (err == IG_OK) {
		if (lock_ex(a->lock_fd) != 0) {
			a->last_errno = errno;
			err = IG_EIO;
		} else {
			err = append_locked(a, kind, principal, account, &middle, sync, &line);
			if (err == IG_EIO && a->last_errno == 0)
				a->last_errno = errno; /* the failing call's, before flock */
			(void)flock(a->lock_fd, LOCK_UN);
		}
	}
	if (err == IG_OK)
		a->written++;
	else
		a->failed++;
	saved_errno = a->last_errno;
	pthread_mutex_unlock(&a->lock);
	if (err != IG_OK)
		log_error(0, "msg=\"audit append failed\" kind=%s err=%s errno=%d (%s)", kind,
			  ig_err_str(err), saved_errno,
			  saved_errno != 0 ? strerror(saved_errno) : "no system error");
	buf_free(&middle);
	buf_free(&line);
	return err;
}

static int
dir_open(int at, const char *name)
{
	if (mkdirat(at, name, 0700) != 0 && errno != EEXIST)
		return -1;
	return openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

/* Lock held; this process has just created audit.key. A log written before
 * checkpoints existed (an upgrade) has records but no checkpoint: the first
 * checkpoint covers the chain as it stands, so the upgrade is not reported
 * as tampering, and the next record says "checkpoint_created". Removing
 * audit.key (which needs write access to data_dir, where it could equally be
 * replaced) therefore starts the checkpoint afresh; docs/audit.md says so.
 * Removing only audit.head is still reported (checkpoint_missing). */
static enum ig_err
adopt_log(struct audit *a)
{
	struct chain c;
	struct stat st;
	struct audit_head head;
	bool have = true;
	enum ig_err err;

	memset(&c, 0, sizeof(c));
	if (fstat(a->fd, &st) != 0)
		return IG_EIO;
	if ((err = tail_read(a->fd, st.st_size, &c, &have)) != IG_OK)
		return err;
	if (!have && (err = chain_from_rotated(a, &c)) != IG_OK)
		return err;
	if (c.seq == 0)
		return IG_OK; /* a new log: its first record starts the chain */
	memset(&head, 0, sizeof(head));
	head.seq = c.seq;
	memcpy(head.hash, c.prev, sizeof(head.hash));
	if (!audit_head_write(a->head_fd, a->key, &head) || fdatasync(a->head_fd) != 0)
		return IG_EIO;
	log_info(0, "msg=\"audit: created audit.key; the checkpoint now covers the existing log "
		    "(up to seq %" PRIu64 ")\"",
		 c.seq);
	return IG_OK;
}

enum ig_err
audit_open(const char *data_dir, struct audit **a_r, const char **error_r)
{
	struct audit *a = calloc(1, sizeof(*a));
	unsigned char pid[16];
	int data_fd = -1;
	struct stat st;

	*a_r = NULL;
	if (a == NULL) {
		*error_r = "out of memory";
		return IG_ENOMEM;
	}
	a->dir_fd = a->lock_fd = a->fd = a->head_fd = -1;
	a->prov = audit_prov_new();
	if (a->prov == NULL || pthread_mutex_init(&a->lock, NULL) != 0) {
		audit_prov_free(a->prov);
		free(a);
		*error_r = "mutex";
		return IG_ENOMEM;
	}
	data_fd = dir_open(AT_FDCWD, data_dir);
	if (data_fd < 0) {
		*error_r = "cannot create or open the data directory";
		goto fail;
	}
	a->dir_fd = dir_open(data_fd, "audit");
	if (a->dir_fd < 0 || fstat(a->dir_fd, &st) != 0) {
		*error_r = "cannot create or open <data_dir>/audit";
		goto fail;
	}
	if ((st.st_mode & 077) != 0)
		(void)fchmod(a->dir_fd, 0700);
	a->lock_fd = openat(a->dir_fd, AUDIT_LOCK, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (a->lock_fd < 0 || lock_ex(a->lock_fd) != 0) {
		*error_r = "cannot open or lock audit/audit.lock";
		goto fail;
	}
	if (audit_key_load(data_fd, AUDIT_SALT, a->salt, sizeof(a->salt), true, NULL) != IG_OK) {
		(void)flock(a->lock_fd, LOCK_UN);
		*error_r = "cannot read or create <data_dir>/audit.salt (32 bytes)";
		goto fail;
	}
	if (audit_key_load(data_fd, AUDIT_KEY, a->key, sizeof(a->key), true, &a->key_created) !=
	    IG_OK) {
		(void)flock(a->lock_fd, LOCK_UN);
		*error_r = "cannot read or create <data_dir>/audit.key (32 bytes)";
		goto fail;
	}
	a->head_fd = openat(data_fd, AUDIT_HEAD, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (a->head_fd < 0) {
		(void)flock(a->lock_fd, LOCK_UN);
		*error_r = "cannot open or create <data_dir>/audit.head";
		goto fail;
	}
	a->fd = open_log(a, 0);
	if (a->fd >= 0 && a->key_created && adopt_log(a) != IG_OK) {
		(void)flock(a->lock_fd, LOCK_UN);
		*error_r = "cannot write the first checkpoint <data_dir>/audit.head";
		goto fail;
	}
	(void)flock(a->lock_fd, LOCK_UN);
	if (a->fd < 0 || fstat(a->fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		*error_r = "cannot open audit/audit.jsonl";
		goto fail;
	}
	a->ino = st.st_ino;
	a->dev = st.st_dev;
	close(data_fd);
	randombytes_buf(pid, sizeof(pid));
	audit_hex_put(a->process_id, pid, sizeof(pid));
	*a_r = a;
	return IG_OK;
fail:
	if (data_fd >= 0)
		close(data_fd);
	audit_close(a);
	return IG_EIO;
}

void
audit_close(struct audit *a)
{
	if (a == NULL)
		return;
	if (a->fd >= 0)
		close(a->fd);
	if (a->lock_fd >= 0)
		close(a->lock_fd);
	if (a->head_fd >= 0)
		close(a->head_fd);
	sodium_memzero(a->key, sizeof(a->key));
	if (a->dir_fd >= 0)
		close(a->dir_fd);
	sodium_memzero(a->salt, sizeof(a->salt));
	audit_prov_free(a->prov);
	pthread_mutex_destroy(&a->lock);
	free(a);
}

void
audit_set_max_bytes(struct audit *a, uint64_t max_bytes)
{
	pthread_mutex_lock(&a->lock);
	a->max_bytes = max_bytes;
	pthread_mutex_unlock(&a->lock);
}

struct audit_prov *
audit_prov_of(struct audit *a)
{
	return a->prov;
}

const char *
audit_process_id(const struct audit *a)
{
	return a->process_id;
}

void
audit_counts(struct audit *a, uint64_t *written_r, uint64_t *failed_r)
{
	pthread_mutex_lock(&a->lock);
	*written_r = a->written;
	*failed_r = a->failed;
	pthread_mutex_unlock(&a->lock);
}

void
audit_hash_value(const struct audit *a, const char *prefix, const void *p, size_t len, char *out,
		 size_t outsz)
{
	unsigned char h[16];
	char hex[33];

	crypto_generichash(h, sizeof(h), p, len, a->salt, sizeof(a->salt));
	audit_hex_put(hex, h, sizeof(h));
	(void)snprintf(out, outsz, "%s%s", prefix, hex);
}

void
audit_hmac_hex(const struct audit *a, const void *p, size_t len, char out[65])
{
	unsigned char h[crypto_auth_hmacsha256_BYTES];

	crypto_auth_hmacsha256_state st;
	crypto_auth_hmacsha256_init(&st, a->salt, sizeof(a->salt));
	crypto_auth_hmacsha256_update(&st, p, len);
	crypto_auth_hmacsha256_final(&st, h);
	audit_hex_put(out, h, sizeof(h));
}
