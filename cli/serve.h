#ifndef IG_CLI_SERVE_H
#define IG_CLI_SERVE_H

#include <stddef.h>

#include "base/config.h"

struct tool_def;

/* What `imapgate serve` passes to the server. */
struct srv_opts {
	/* Extra tools linked only into the test binary (conformance fixtures);
	 * the production binary passes none and cannot expose them. */
	const struct tool_def *const *extra_tools;
	size_t n_extra_tools;
};

/* Runs the HTTP/MCP server until SIGTERM or SIGINT, then drains in-flight
 * requests within cfg->shutdown_timeout_s. Opens its own state.db connections.
 * Returns the process exit status (0 after a clean shutdown, 1 on a start-up
 * failure, which it logs). */
int srv_run(const struct ig_config *cfg, const struct srv_opts *opts);

#endif
