#ifndef IG_IMAP_WORKER_H
#define IG_IMAP_WORKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "imap/conn.h"

/* One thread per mail account owns that account's IMAP connection (DESIGN
 * §3, STYLE §5). Callers post jobs on a bounded queue and never wait: a
 * full queue refuses at once (IG_EBUSY), and each job's completion callback
 * runs on the worker thread. The connection is opened lazily, logged out
 * after an idle period, and reopened with capped exponential backoff; every
 * command and every job has a deadline, so a hung server stalls only its
 * own account. */

struct wk;

struct wk_opts {
	const char *name;          /* account name (logs); strings must outlive the worker */
	const char *host;
	unsigned port;
	bool starttls;
	const char *user;
	const char *password_file; /* read at each connect */
	const char *password_env;  /* or this variable */
	bool pinned;
	unsigned char pin[32];
	const char *ca_file;
	unsigned connect_timeout_s;  /* 0: LIM_IMAP_CONNECT_S */
	unsigned command_timeout_s;  /* 0: LIM_IMAP_COMMAND_S */
	unsigned idle_logout_s;      /* 0: LIM_IMAP_IDLE_LOGOUT_S */
	unsigned backoff_max_s;      /* 0: LIM_IMAP_BACKOFF_MAX_S */
	size_t queue_cap;            /* 0: LIM_IMAP_QUEUE */
	unsigned long long log_id;   /* hashed account id for log lines */
	/* Called on the worker thread after each successful login with the
	 * server certificate's observed SHA-256 fingerprint and the TLS
	 * version (the audit log's `auth` record; imap/ knows nothing of the
	 * audit module). NULL: none. */
	void (*on_login)(void *ctx, const char *account, const unsigned char fp[32],
			 const char *tls_version);
	void *on_login_ctx;
	/* Optional per-account context owned by the worker thread (the sync
	 * engine's struct sync, with its own SQLite connection): ctx_open(ctx_arg)
	 * runs on the thread before any job, ctx_close(ctx) when it ends; jobs
	 * see the context as job->ctx while they run. */
	void *(*ctx_open)(void *arg);
	void (*ctx_close)(void *ctx);
	void *ctx_arg;
	/* Optional background work while no job is queued (initial sync of warm
	 * folders). idle_want answers without I/O whether there is any now;
	 * idle_run does a bounded slice of it on a logged-in connection and
	 * returns soon after wk_jobs_waiting() turns true, so jobs wait at most
	 * one batch. Neither runs while the account is in connect backoff. */
	bool (*idle_want)(void *ctx, int64_t now_ms);
	void (*idle_run)(void *ctx, struct wk *w, struct imap_conn *c, struct imap_error *err);
};

struct wk_job {
	/* Runs on the worker thread with a logged-in connection; sets err on
	 * failure (err->fail stays IMAP_FAIL_NONE on success). */
	void (*run)(struct wk_job *job, struct imap_conn *c, struct imap_error *err);
	/* Called exactly once per accepted job with the outcome: after run, or
	 * without run when connecting failed, the job's deadline passed in the
	 * queue, or the worker stopped. May free the job. */
	void (*done)(struct wk_job *job, const struct imap_error *err);
	unsigned timeout_s; /* whole-job deadline from submission; 0: LIM_IMAP_JOB_S */
	bool idempotent;    /* may be rerun once on a fresh connection after a drop */
	/* Set by the worker before run: the account's context (what
	 * wk_opts.ctx_open returned; NULL when none). Only valid in run. */
	void *ctx;
	/* Optional: true once the job's caller no longer wants it (the
	 * client cancelled). Called on the worker thread only; must not
	 * block. The worker asks before a queued job starts (a cancelled one
	 * is skipped: no connect, no run, done() with IMAP_FAIL_CANCELLED)
	 * and between retries; run() asks at its own safe points, between
	 * IMAP commands, through wk_job_cancelled. NULL: never cancelled. */
	bool (*cancelled)(struct wk_job *job);
	/* internal */
	struct wk_job *next;
	int64_t queued_ms;
};

/* For run() at a safe point (no command in flight, so the connection stays
 * usable): true, with err set to IMAP_FAIL_CANCELLED, when job->cancelled
 * says the job is no longer wanted; the job then returns at once. */
bool wk_job_cancelled(struct wk_job *job, struct imap_error *err);

/* Reads an account's password from file (preferred) or the environment
 * variable env into buf (NUL-terminated, trailing CR/LF removed, at most
 * size - 1 bytes). False with err (IMAP_FAIL_CONFIG) when unreadable, empty
 * or holding a NUL. The caller wipes buf. */
bool wk_password_read(const char *file, const char *env, char *buf, size_t size,
		      struct imap_error *err);

/* Starts the account's thread. NULL when out of memory or threads. */
struct wk *wk_start(const struct wk_opts *o);
/* Queues job. IG_EBUSY when the queue is full, IG_EINVAL once stopping.
 * On IG_OK the job belongs to the worker until done() runs. */
enum ig_err wk_submit(struct wk *w, struct wk_job *job) IG_MUST_CHECK;
/* Interrupts the running job (its I/O fails at once), completes queued jobs
 * with IMAP_FAIL_CONN_LOST, logs out when idle, joins the thread and frees.
 * NULL-safe. */
void wk_stop(struct wk *w);
/* Jobs queued or running (for metrics and tests). */
size_t wk_pending(struct wk *w);
/* For the operator's account status (any thread): whether the worker is
 * logged in now, and the unix time of the last job or background sync slice
 * that succeeded (0: none yet). */
void wk_state(struct wk *w, bool *connected_r, int64_t *last_ok_s_r);
const char *wk_name(const struct wk *w);
/* True when a job is queued (idle work should yield). Any thread. */
bool wk_jobs_waiting(struct wk *w);

#endif
