/* Per-account IMAP worker threads (DESIGN §3, §6; STYLE §5).
 *
 * The queue is bounded and submit never blocks, so HTTP and executor threads
 * fail fast (ERR_BUSY) instead of piling up behind a slow account. While the
 * account is in backoff after a failed connect, jobs fail at once with the
 * last error rather than each waiting for its own connect timeout. Shutdown
 * writes to a pipe that every poll in this thread also watches, so even a
 * job blocked on a silent server ends immediately. */
#include "imap/worker.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "base/clock.h"
#include "base/limits.h"
#include "base/log.h"
#include "imap/cmd.h"
#include "imap/tls.h"

struct wk {
	struct wk_opts o;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct wk_job *head, *tail;
	size_t queued;
	bool running;  /* a job is being run */
	bool stopping;
	/* for wk_state (under lock; written by the worker thread) */
	bool connected;     /* logged in now */
	int64_t last_ok_s;  /* unix seconds of the last job or sync slice that succeeded */
	int abort_pipe[2];
	/* worker thread only */
	struct imap_conn *conn;
	int64_t last_used_ms;
	int64_t next_attempt_ms; /* backoff: no connect before this */
	unsigned backoff_s;
	struct imap_error last_err;
	void *ctx; /* wk_opts.ctx_open's result */
};

static void
backoff_fail(struct wk *w, const struct imap_error *err)
{
	unsigned max = w->o.backoff_max_s != 0 ? w->o.backoff_max_s : LIM_IMAP_BACKOFF_MAX_S;

	w->backoff_s = w->backoff_s == 0 ? 1 : w->backoff_s * 2;
	if (w->backoff_s > max)
		w->backoff_s = max;
	w->next_attempt_ms = imap_now_ms() + (int64_t)w->backoff_s * 1000;
	w->last_err = *err;
}

bool
wk_password_read(const char *file, const char *env, char *buf, size_t size,
		 struct imap_error *err)
{
	size_t n = 0;

	if (file != NULL) {
		int fd = open(file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		ssize_t r;

		if (fd < 0) {
			imap_error_set(err, IMAP_FAIL_CONFIG, "cannot read the account's password_file");
			return false;
		}
		while (n < size - 1 && (r = read(fd, buf + n, size - 1 - n)) != 0) {
			if (r < 0) {
				if (errno == EINTR)
					continue;
				(void)close(fd);
				imap_error_set(err, IMAP_FAIL_CONFIG,
					       "cannot read the account's password_file");
				return false;
			}
			n += (size_t)r;
		}
		(void)close(fd);
	} else if (env != NULL) {
		const char *v = getenv(env);

		n = v != NULL ? strlen(v) : 0;
		if (v == NULL || n >= size) {
			imap_error_set(err, IMAP_FAIL_CONFIG, "the account's password_env is not set");
			return false;
		}
		memcpy(buf, v, n);
	}
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	if (n == 0 || memchr(buf, '\0', n) != NULL) {
		imap_error_set(err, IMAP_FAIL_CONFIG, "the account's password is empty or invalid");
		return false;
	}
	return true;
}

/* Publishes what wk_state reports (worker thread). ok: IMAP work just
 * succeeded on the connection. */
static void
state_note(struct wk *w, bool ok)
{
	pthread_mutex_lock(&w->lock);
	w->connected = w->conn != NULL && !imap_conn_broken(w->conn);
	if (ok)
		w->last_ok_s = wall_now_s();
	pthread_mutex_unlock(&w->lock);
}

static void
conn_drop(struct wk *w)
{
	imap_conn_free(w->conn);
	w->conn = NULL;
	state_note(w, false);
}

/* Connects and logs in unless a usable connection exists. */
static bool
conn_ensure(struct wk *w, int64_t job_deadline, struct imap_error *err)
{
	struct imap_conn_opts co;
	char *password;
	int64_t left;
	bool ok;

	if (w->conn != NULL && !imap_conn_broken(w->conn))
		return true;
	conn_drop(w);
	if (imap_now_ms() < w->next_attempt_ms) {
		*err = w->last_err;
		return false;
	}
	memset(&co, 0, sizeof(co));
	co.host = w->o.host;
	co.port = w->o.port;
	co.starttls = w->o.starttls;
	co.ca_file = w->o.ca_file;
	co.pinned = w->o.pinned;
	memcpy(co.pin, w->o.pin, sizeof(co.pin));
	co.connect_timeout_s = w->o.connect_timeout_s != 0 ? w->o.connect_timeout_s
							   : LIM_IMAP_CONNECT_S;
	co.command_timeout_s = w->o.command_timeout_s != 0 ? w->o.command_timeout_s
							   : LIM_IMAP_COMMAND_S;
	left = (job_deadline - imap_now_ms() + 999) / 1000;
	if (left < 1)
		left = 1;
	if ((int64_t)co.connect_timeout_s > left)
		co.connect_timeout_s = (unsigned)left;
	co.log_id = w->o.log_id;
	w->conn = imap_conn_open(&co, err);
	sodium_memzero(co.pin, sizeof(co.pin));
	if (w->conn == NULL) {
		log_warn(0, "msg=\"IMAP connect failed\" account=%llx error=%s",
			 w->o.log_id, imap_fail_str(err->fail));
		backoff_fail(w, err);
		return false;
	}
	imap_conn_set_job_deadline(w->conn, job_deadline);
	ok = true;
	if (!imap_conn_authenticated(w->conn)) {
		password = sodium_malloc(LIM_IMAP_PASSWORD + 1);
		if (password == NULL) {
			imap_error_set(err, IMAP_FAIL_INTERNAL, "out of memory");
			ok = false;
		} else {
			ok = wk_password_read(w->o.password_file, w->o.password_env, password,
					      LIM_IMAP_PASSWORD + 1, err) &&
			     imap_login(w->conn, w->o.user, password, err) == IMAP_FAIL_NONE;
			sodium_free(password); /* wipes */
		}
	}
	if (ok)
		ok = imap_enable(w->conn, true, true, true, err) == IMAP_FAIL_NONE;
	if (!ok) {
		log_warn(0, "msg=\"IMAP login failed\" account=%llx error=%s",
			 w->o.log_id, imap_fail_str(err->fail));
		conn_drop(w);
		backoff_fail(w, err);
		return false;
	}
	log_info(0, "msg=\"IMAP connected\" account=%llx tls=%s", w->o.log_id,
		 imap_conn_tls_version(w->conn));
	if (w->o.on_login != NULL) {
		unsigned char fp[32];

		imap_conn_fingerprint(w->conn, fp);
		w->o.on_login(w->o.on_login_ctx, w->o.name, fp, imap_conn_tls_version(w->conn));
	}
	w->backoff_s = 0;
	w->next_attempt_ms = 0;
	return true;
}

bool
wk_job_cancelled(struct wk_job *job, struct imap_error *err)
{
	if (job->cancelled == NULL || !job->cancelled(job))
		return false;
	imap_error_set(err, IMAP_FAIL_CANCELLED, "cancelled by the client");
	return true;
}

/* The failure a job reports when its connection is broken after it ran.
 * Whatever step met the dead connection first, the cause is the drop: a
 * "no such folder" or "no result" inferred from an answer that never came
 * is CONN_LOST (then retried once when the job allows). A deadline, a
 * malformed or oversized answer keep their own code: they are why the
 * connection was given up. */
static enum imap_fail
job_fail_on_broken(struct wk *w, enum imap_fail f)
{
	switch (f) {
	case IMAP_FAIL_TIMEOUT:
	case IMAP_FAIL_PROTOCOL:
	case IMAP_FAIL_TOO_LARGE:
	case IMAP_FAIL_CONN_LOST:
	case IMAP_FAIL_CANCELLED: /* the client's; never retried */
		return f;
	case IMAP_FAIL_NONE:
		/* a job that completed despite the drop keeps its result */
		log_info(0, "msg=\"IMAP connection lost after the job's answer\" account=%llx",
			 w->o.log_id);
		return f;
	default:
		return IMAP_FAIL_CONN_LOST;
	}
}

static void
job_run(struct wk *w, struct wk_job *job)
{
	struct imap_error err = {.fail = IMAP_FAIL_NONE};
	unsigned t = job->timeout_s != 0 ? job->timeout_s : LIM_IMAP_JOB_S;
	/* The caller's wait starts at submission: time spent queued behind a
	 * slow job counts, so no call waits longer than its deadline. */
	int64_t deadline = job->queued_ms + (int64_t)t * 1000;
	bool fresh;
	int attempt;

	/* A job cancelled while queued is skipped: nothing reaches the server. */
	if (wk_job_cancelled(job, &err)) {
		log_info(0, "msg=\"job cancelled before it started\" account=%llx", w->o.log_id);
		job->done(job, &err);
		return;
	}
	if (imap_now_ms() >= deadline) {
		imap_error_set(&err, IMAP_FAIL_TIMEOUT, "timed out in the account's queue");
		job->done(job, &err);
		return;
	}
	for (attempt = 0; attempt < 2; attempt++) {
		fresh = w->conn == NULL || imap_conn_broken(w->conn);
		memset(&err, 0, sizeof(err));
		if (attempt > 0 && wk_job_cancelled(job, &err))
			break;
		if (!conn_ensure(w, deadline, &err))
			break;
		imap_conn_set_job_deadline(w->conn, deadline);
		job->ctx = w->ctx;
		job->run(job, w->conn, &err);
		w->last_used_ms = imap_now_ms();
		if (w->conn != NULL && imap_conn_broken(w->conn)) {
			err.fail = job_fail_on_broken(w, err.fail);
			conn_drop(w);
		}
		/* A reused connection the server had silently closed: one
		 * retry on a fresh one for jobs that may run twice. */
		if (err.fail != IMAP_FAIL_CONN_LOST || fresh || !job->idempotent ||
		    imap_now_ms() >= deadline)
			break;
		log_info(0, "msg=\"IMAP connection lost; job retried on a new session\" account=%llx",
			 w->o.log_id);
	}
	if (w->conn != NULL)
		imap_conn_set_job_deadline(w->conn, 0);
	state_note(w, err.fail == IMAP_FAIL_NONE && w->conn != NULL);
	job->done(job, &err);
}

static void
idle_logout(struct wk *w)
{
	struct imap_error err;

	if (w->conn == NULL)
		return;
	if (!imap_conn_broken(w->conn)) {
		imap_conn_set_job_deadline(w->conn, imap_now_ms() + 2000);
		(void)imap_logout(w->conn, &err);
	}
	conn_drop(w);
}

/* One slice of the owner's background work on a logged-in connection. */
static void
idle_work(struct wk *w)
{
	struct imap_error err = {.fail = IMAP_FAIL_NONE};
	int64_t deadline = imap_now_ms() + (int64_t)LIM_IMAP_JOB_S * 1000;

	if (!conn_ensure(w, deadline, &err))
		return;
	imap_conn_set_job_deadline(w->conn, deadline);
	w->o.idle_run(w->ctx, w, w->conn, &err);
	w->last_used_ms = imap_now_ms();
	if (w->conn != NULL && imap_conn_broken(w->conn))
		conn_drop(w);
	if (w->conn != NULL)
		imap_conn_set_job_deadline(w->conn, 0);
	state_note(w, err.fail == IMAP_FAIL_NONE && w->conn != NULL);
}

static bool
idle_wanted(struct wk *w)
{
	int64_t now = imap_now_ms();

	return w->o.idle_run != NULL && w->o.idle_want != NULL && w->ctx != NULL &&
	       now >= w->next_attempt_ms && w->o.idle_want(w->ctx, now);
}

static void *
wk_main(void *arg)
{
	struct wk *w = arg;
	unsigned idle_s = w->o.idle_logout_s != 0 ? w->o.idle_logout_s : LIM_IMAP_IDLE_LOGOUT_S;

	imap_set_abort_fd(w->abort_pipe[0]);
	w->ctx = w->o.ctx_open != NULL ? w->o.ctx_open(w->o.ctx_arg) : NULL;
	pthread_mutex_lock(&w->lock);
	for (;;) {
		struct wk_job *job;

		while (w->head == NULL && !w->stopping) {
			struct timespec ts;

			if (idle_wanted(w)) {
				w->running = true;
				pthread_mutex_unlock(&w->lock);
				idle_work(w);
				pthread_mutex_lock(&w->lock);
				w->running = false;
				continue;
			}
			if (w->conn == NULL && w->o.idle_run == NULL) {
				pthread_cond_wait(&w->cond, &w->lock);
				continue;
			}
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += 1;
			(void)pthread_cond_timedwait(&w->cond, &w->lock, &ts);
			if (w->head == NULL && !w->stopping &&
			    imap_now_ms() - w->last_used_ms >= (int64_t)idle_s * 1000) {
				pthread_mutex_unlock(&w->lock);
				idle_logout(w);
				pthread_mutex_lock(&w->lock);
			}
		}
		if (w->stopping)
			break;
		job = w->head;
		w->head = job->next;
		if (w->head == NULL)
			w->tail = NULL;
		w->running = true;
		pthread_mutex_unlock(&w->lock);
		job_run(w, job);
		pthread_mutex_lock(&w->lock);
		w->running = false;
		w->queued--;
	}
	pthread_mutex_unlock(&w->lock);
	/* A polite LOGOUT only if the stop did not interrupt us. */
	imap_set_abort_fd(-1);
	idle_logout(w);
	if (w->o.ctx_close != NULL)
		w->o.ctx_close(w->ctx);
	return NULL;
}

struct wk *
wk_start(const struct wk_opts *o)
{
	struct wk *w = calloc(1, sizeof(*w));

	if (w == NULL)
		return NULL;
	w->o = *o;
	w->abort_pipe[0] = w->abort_pipe[1] = -1;
	if (pipe2(w->abort_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
		goto fail;
	if (pthread_mutex_init(&w->lock, NULL) != 0)
		goto fail;
	if (pthread_cond_init(&w->cond, NULL) != 0) {
		pthread_mutex_destroy(&w->lock);
		goto fail;
	}
	if (pthread_create(&w->thread, NULL, wk_main, w) != 0) {
		pthread_cond_destroy(&w->cond);
		pthread_mutex_destroy(&w->lock);
		goto fail;
	}
	return w;
fail:
	if (w->abort_pipe[0] >= 0) {
		(void)close(w->abort_pipe[0]);
		(void)close(w->abort_pipe[1]);
	}
	sodium_memzero(w->o.pin, sizeof(w->o.pin));
	free(w);
	return NULL;
}

enum ig_err
wk_submit(struct wk *w, struct wk_job *job)
{
	size_t cap = w->o.queue_cap != 0 ? w->o.queue_cap : LIM_IMAP_QUEUE;
	enum ig_err err = IG_OK;

	job->next = NULL;
	job->queued_ms = imap_now_ms();
	pthread_mutex_lock(&w->lock);
	if (w->stopping) {
		err = IG_EINVAL;
	} else if (w->queued >= cap) {
		err = IG_EBUSY;
	} else {
		if (w->tail != NULL)
			w->tail->next = job;
		else
			w->head = job;
		w->tail = job;
		w->queued++;
		pthread_cond_signal(&w->cond);
	}
	pthread_mutex_unlock(&w->lock);
	return err;
}

void
wk_state(struct wk *w, bool *connected_r, int64_t *last_ok_s_r)
{
	pthread_mutex_lock(&w->lock);
	*connected_r = w->connected;
	*last_ok_s_r = w->last_ok_s;
	pthread_mutex_unlock(&w->lock);
}

size_t
wk_pending(struct wk *w)
{
	size_t n;

	pthread_mutex_lock(&w->lock);
	n = w->queued;
	pthread_mutex_unlock(&w->lock);
	return n;
}

bool
wk_jobs_waiting(struct wk *w)
{
	bool r;

	pthread_mutex_lock(&w->lock);
	r = w->head != NULL || w->stopping;
	pthread_mutex_unlock(&w->lock);
	return r;
}

const char *
wk_name(const struct wk *w)
{
	return w->o.name;
}

void
wk_stop(struct wk *w)
{
	struct imap_error err;
	struct wk_job *job;
	struct wk_job *next;

	if (w == NULL)
		return;
	pthread_mutex_lock(&w->lock);
	w->stopping = true;
	job = w->head;
	w->head = w->tail = NULL;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
	/* Interrupts I/O of a running job only if there is one: an idle
	 * connection still gets its LOGOUT. */
	pthread_mutex_lock(&w->lock);
	if (w->running)
		(void)!write(w->abort_pipe[1], "x", 1);
	pthread_mutex_unlock(&w->lock);
	(void)pthread_join(w->thread, NULL);
	imap_error_set(&err, IMAP_FAIL_CONN_LOST, "the gateway is shutting down");
	for (; job != NULL; job = next) {
		next = job->next;
		job->done(job, &err);
	}
	(void)close(w->abort_pipe[0]);
	(void)close(w->abort_pipe[1]);
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->lock);
	sodium_memzero(w->o.pin, sizeof(w->o.pin));
	free(w);
}
