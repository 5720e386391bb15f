#ifndef IG_CLI_CLI_H
#define IG_CLI_CLI_H

#include "cli/serve.h"

/* The `imapgate` command line (docs/cli.md): global options, then a command
 * (serve, check, token create|list|revoke). argv/envp as given to main;
 * serve_opts is what `serve` passes to srv_run. sodium_init() must have run.
 * Returns the process exit status: 0 ok, 1 failure, 2 usage error. */
int cli_main(int argc, char **argv, char *const *envp, const struct srv_opts *serve_opts);

#endif
