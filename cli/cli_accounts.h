#ifndef IG_CLI_CLI_ACCOUNTS_H
#define IG_CLI_CLI_ACCOUNTS_H

#include "cli/cli_audit.h"

/* `imapgate accounts [--json]` (docs/cli.md): the configured accounts and
 * the cache facts any process can read (handlers/ops_account.h). A CLI
 * process has no account workers, so the live facts (worker, connection,
 * breaker, last sync) are reported as unknown; the running server's are at
 * GET /admin/accounts. argv[0] is "accounts". Returns the exit status: 0
 * ok, 1 failure, 2 usage. */
int cli_accounts_main(int argc, char **argv, cli_config_fn config, void *ctx);

#endif
