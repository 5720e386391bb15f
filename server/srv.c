/* `imapgate serve`: wires the modules together and runs until a signal. */
#include "server/srv.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>

#include "base/clock.h"
#include "base/limits.h"
#include "base/log.h"
#include "base/workq.h"
#include "audit/audit.h"
#include "handlers/accounts.h"
#include "handlers/dispatch.h"
#include "handlers/sender.h"
#include "handlers/tools.h"
#include "server/auth.h"
#include "server/config.h"
#include "server/http.h"
#include "server/mcp.h"

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

static void
serve_loop(struct mcp *mcp, const sigset_t *set)
{
	struct timespec tick = {1, 0};
	int sig;

	for (;;) {
		sig = sigtimedwait(set, NULL, &tick);
		if (sig == SIGTERM || sig == SIGINT) {
			log_info(0, "msg=\"stopping\" signal=%d", sig);
			return;
		}
		if (sig == SIGHUP)
			log_info(0, "msg=\"SIGHUP ignored: restart to reload configuration\"");
		mcp_tick(mcp, mono_now_s());
	}
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
	struct audit *audit = NULL;
	struct auth *auth = NULL;
	struct mcp *mcp = NULL;
	struct http *http = NULL;
	struct mcp_opts mo;
	sigset_t set;
	enum log_level lvl;
	int rc = 1;
	int64_t drain_ms = (int64_t)cfg->shutdown_timeout_s * 1000;

	if (log_level_parse(cfg->log_level, &lvl))
		log_set_level(lvl);
	signals_block(&set);
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
	auth = auth_new(cfg->data_dir, &error);
	if (auth == NULL)
		goto out;
	wq = workq_new(LIM_WORKERS, LIM_WORK_QUEUE);
	if (wq == NULL) {
		error = "cannot start worker threads";
		goto out;
	}
	/* Account workers start before the HTTP server and stop after it has
	 * drained, so every accepted call can still be answered. */
	accounts = accounts_start(cfg, &error);
	if (accounts == NULL)
		goto out;
	/* The outbox sender recovers interrupted sends before anything new
	 * can be approved through this process. */
	if (audit_open(cfg->data_dir, &audit, &error) != IG_OK)
		goto out;
	sender = sender_start(cfg, accounts, audit, &error);
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
	http = http_start(cfg, mcp, auth, audit, &error);
	if (http == NULL)
		goto out;
	log_info(0, "msg=\"listening\" listen=%s public_url=%s accounts=%zu fixtures=%zu",
		 cfg->listen, cfg->public_url, cfg->n_accounts, opts->n_extra_tools);
	serve_loop(mcp, &set);

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
	auth_free(auth);
	audit_close(audit);
	tool_registry_free(tools);
	if (rc == 0)
		log_info(0, "msg=\"stopped\"");
	return rc;
}
