#ifndef IG_CLI_CLI_USER_H
#define IG_CLI_CLI_USER_H

#include "cli/cli_audit.h"

/* `imapgate user add|list|passwd|disable|enable|remove|totp` (docs/cli.md):
 * argument parsing and output over handlers/ops_user.h. argv[0] is "user".
 * Passwords come from --password-file FILE or standard input, never from
 * the command line. Returns the exit status: 0 ok, 1 failure, 2 usage. */
int cli_user_main(int argc, char **argv, cli_config_fn config, void *ctx);

#endif
