/* `imapgate serve`: the composition root. Wires the modules together (the
 * web/ admin routes into the server/ HTTP route table: the two folders are
 * siblings that know nothing of each other) and runs until a signal. */
#include "cli/serve.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store/audit.h"
#include "base/clock.h"
#include "base/limits.h"
#include "base/log.h"
#include "base/workq.h"
#include "handlers/accounts.h"
#include "handlers/dispatch.h"
#include "handlers/sender.h"
#include "handlers/tools.h"
#include "server/auth.h"
#include "base/config.h"
#include "server/http.h"
#include "server/mcp.h"
#include "web/api.h"

/* Waits up to deadline_ms for cond(h) to become false, checking every 20 ms. */
static bool
wait_until_clear(struct http *h, size_t (*count)(struct http *), int64_t deadline_ms)
{
	struct timespec ts = {0, 20 * 1000000L};
	int64_t waited = 0;

	while (count(h) > 0 && waited < deadline_ms) {
		(void)nanosleep(&ts, NULL);
		waited += 20;
	}
	return count(h) == 0;
}

static size_t
busy_requests(struct http *h)
{
	return http_active(h);
}

/* Blocks the stop signals in every thread (they inherit the mask) so that
 * only the main loop's sigtimedwait sees them. */
static void
signals_block(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGHUP);
	(void)pthread_sigmask(SIG_BLOCK, set, NULL);
	(void)signal(SIGPIPE, SIG_IGN);
}

static int
serve_loop(struct mcp *mcp, const sigset_t *set)
{
	struct timespec tick = {1, 0};
	int sig;

	for (;;) {
		sig = sigtimedwait(set, NULL, &tick);
		if (sig == SIGTERM || sig == SIGINT) {
			log_info(0, "msg=\"stopping\" signal=%d", sig);
			return sig;
		}
		if (sig == SIGHUP)
			log_info(0, "msg=\"SIGHUP ignored: restart to reload configuration\"");
		mcp_tick(mcp, mono_now_s());
	}
}

/* process_start / process_end (DESIGN §9), fsync'ed. */
static enum ig_err
audit_process(struct audit *au, const char *kind, const struct ig_config *cfg, int sig,
	      int64_t started_s, struct auth *auth)
{
	struct json_object *f = json_object_new_object();
	uint64_t written = 0;
	uint64_t failed = 0;
	enum ig_err err;

	json_object_object_add(f, "version", json_object_new_string(IG_VERSION));
	json_object_object_add(f, "pid", json_object_new_int64((int64_t)getpid()));
	if (strcmp(kind, "process_start") == 0) {
		json_object_object_add(f, "command", json_object_new_string("serve"));
		json_object_object_add(f, "listen", json_object_new_string(cfg->listen));
		json_object_object_add(f, "accounts", json_object_new_int64((int64_t)cfg->n_accounts));
	} else {
		audit_counts(au, &written, &failed);
		json_object_object_add(f, "signal", json_object_new_int(sig));
		json_object_object_add(f, "uptime_s", json_object_new_int64(mono_now_s() - started_s));
		json_object_object_add(f, "records_written", json_object_new_int64((int64_t)written));
		json_object_object_add(f, "records_failed", json_object_new_int64((int64_t)failed));
		json_object_object_add(f, "rejects_not_recorded",
				       json_object_new_int64(auth != NULL
								     ? (int64_t)auth_rejects_suppressed(auth)
								     : 0));
	}
	err = audit_append(au, kind, NULL, NULL, f, true);
	json_object_put(f);
	return err;
}

/* One server per data_dir: two would interleave state.db, cache.db and the
 * audit chain, and (with SO_REUSEPORT) split the listen address, so that
 * legacy sessions 404 at random. The lock is an flock on the directory
 * itself, held for the life of the process and released by the kernel
 * however it ends; only `serve` takes it, so the CLI commands that work
 * beside a running server (audit query, outbox approve, token …) still do.
 * Returns the open descriptor, or -1 with *error_r. */
static int
data_dir_lock(const char *dir, const char **error_r)
{
	static char msg[512];
	int fd;

	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		*error_r = "cannot create data_dir";
		return -1;
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		*error_r = "cannot open data_dir";
		return -1;
	}
	while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		if (errno == EINTR)
			continue;
		if (errno == EWOULDBLOCK)
			(void)snprintf(msg, sizeof(msg),
				       "another imapgate serve is running on data_dir %s "
				       "(it holds the data_dir lock); stop it first",
				       dir);
		else
			(void)snprintf(msg, sizeof(msg), "cannot lock data_dir %s", dir);
		*error_r = msg;
		(void)close(fd);
		return -1;
	}
	return fd;
}

#define ADMIN_ROUTES 2

/* The admin API's rows of the HTTP route table (web/api.h); returns how
 * many it wrote to out. */
static size_t
admin_routes(struct admin_ctx *admin, struct http_route out[ADMIN_ROUTES])
{
	out[0] = (struct http_route){ADMIN_OUTBOX_PATH, "GET, POST", "admin api",
				     admin_outbox_route, admin};
	out[1] = (struct http_route){ADMIN_ACCOUNTS_PATH, "GET", "admin api",
				     admin_accounts_route, admin};
	return ADMIN_ROUTES;
}

int
srv_run(const struct ig_config *cfg, const struct srv_opts *opts)
{
	const char *error = NULL;
	struct tool_registry *tools = NULL;
	struct disp *disp = NULL;
	char *disp_error = NULL;
	struct workq *wq = NULL;
	struct accounts *accounts = NULL;
	struct sender *sender = NULL;
	struct auth *auth = NULL;
	struct mcp *mcp = NULL;
	struct http *http = NULL;
	struct audit *au = NULL;
	struct admin_ctx admin;
	struct http_route routes[ADMIN_ROUTES];
	struct mcp_opts mo;
	sigset_t set;
	int sig = 0;
	int64_t started_s = mono_now_s();
	enum log_level lvl;
	int rc = 1;
	int64_t drain_ms = (int64_t)cfg->shutdown_timeout_s * 1000;
	int lock_fd;

	if (log_level_parse(cfg->log_level, &lvl))
		log_set_level(lvl);
	lock_fd = data_dir_lock(cfg->data_dir, &error);
	if (lock_fd < 0) {
		log_error(0, "msg=\"cannot start\" error=\"%s\"", error);
		return 1;
	}
	signals_block(&set);
	/* No audit log, no service (DESIGN §9). */
	if (audit_open(cfg->data_dir, &au, &error) != IG_OK)
		goto out;
	audit_set_max_bytes(au, cfg->audit_max_bytes);
	if (audit_process(au, "process_start", cfg, 0, started_s, NULL) != IG_OK) {
		error = "cannot write the audit log";
		goto out;
	}
	tools = tool_registry_new(opts->extra_tools, opts->n_extra_tools, &error);
	if (tools == NULL)
		goto out;
	/* tool overrides in the configuration are checked against the
	 * registry here (the config loader knows no tools) */
	disp = disp_new(cfg, tools, NULL, &disp_error);
	if (disp == NULL) {
		error = disp_error != NULL ? disp_error : "out of memory";
		goto out;
	}
	disp_set_audit(disp, au);
	auth = auth_new(cfg->data_dir, &error);
	if (auth == NULL)
		goto out;
	auth_set_audit(auth, au);
	wq = workq_new(LIM_WORKERS, LIM_WORK_QUEUE);
	if (wq == NULL) {
		error = "cannot start worker threads";
		goto out;
	}
	/* Account workers start before the HTTP server and stop after it has
	 * drained, so every accepted call can still be answered. */
	accounts = accounts_start_audited(cfg, au, &error);
	if (accounts == NULL)
		goto out;
	/* The outbox sender recovers interrupted sends before anything new
	 * can be approved through this process. */
	sender = sender_start(cfg, accounts, au, &error);
	if (sender == NULL)
		goto out;
	mo = (struct mcp_opts){.cfg = cfg,
			       .tools = tools,
			       .wq = wq,
			       .accounts = accounts,
			       .disp = disp,
			       .max_sessions = cfg->max_sessions,
			       .session_idle_s = cfg->session_idle_s};
	mcp = mcp_new(&mo);
	if (mcp == NULL) {
		error = "out of memory";
		goto out;
	}
	/* The admin API (web/api.h): decisions are audited to au. */
	admin = (struct admin_ctx){.cfg = cfg, .audit = au, .accounts = accounts, .disp = disp};
	http = http_start(cfg, mcp, auth, routes, admin_routes(&admin, routes), &error);
	if (http == NULL)
		goto out;
	log_info(0, "msg=\"listening\" listen=%s public_url=%s accounts=%zu fixtures=%zu",
		 cfg->listen, cfg->public_url, cfg->n_accounts, opts->n_extra_tools);
	sig = serve_loop(mcp, &set);

	/* Drain: stop accepting, let in-flight calls finish within the
	 * deadline, then end every stream so suspended readers wake. */
	http_quiesce(http);
	mcp_cancel_stream_waiters(mcp);
	if (!wait_until_clear(http, busy_requests, drain_ms))
		log_warn(0, "msg=\"drain deadline passed\" active=%zu", http_active(http));
	mcp_cancel_all(mcp);
	if (!wait_until_clear(http, http_suspended, 2000))
		log_error(0, "msg=\"connections still suspended\" count=%zu",
			  http_suspended(http));
	rc = 0;
out:
	if (error != NULL)
		log_error(0, "msg=\"cannot start\" error=\"%s\"", error);
	/* Completes what is still queued for IMAP (with an error) while the
	 * HTTP side can still deliver it, then joins the account threads. The
	 * sender goes first: it posts \Sent copies to the account workers. */
	sender_stop(sender);
	accounts_stop(accounts);
	http_stop(http);
	workq_free(wq);
	mcp_free(mcp);
	disp_free(disp);
	free(disp_error);
	if (au != NULL && audit_process(au, "process_end", cfg, sig, started_s, auth) != IG_OK)
		rc = 1;
	auth_free(auth);
	tool_registry_free(tools);
	audit_close(au);
	if (rc == 0)
		log_info(0, "msg=\"stopped\"");
	(void)close(lock_fd); /* releases the data_dir lock */
	return rc;
}
