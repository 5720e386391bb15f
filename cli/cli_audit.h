#ifndef IG_CLI_CLI_AUDIT_H
#define IG_CLI_CLI_AUDIT_H

struct ig_config;

/* Loads the configuration for a command, honouring a --config given after
 * the command (config_path, NULL when none). Returns 0 with *cfg_r (the
 * caller frees it with config_free) or the exit status to return. */
typedef int (*cli_config_fn)(void *ctx, const char *config_path, struct ig_config **cfg_r);

/* `imapgate audit verify|query` (docs/audit.md, docs/cli.md). argv[0] is
 * "audit". Verdicts and records go to stdout, messages to stderr. Returns the
 * exit status: 0 ok, 1 a defect was found or the log cannot be read, 2 usage. */
int cli_audit_main(int argc, char **argv, cli_config_fn config, void *ctx);

#endif
