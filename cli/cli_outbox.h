#ifndef IG_CLI_CLI_OUTBOX_H
#define IG_CLI_CLI_OUTBOX_H

struct ig_config;

/* `imapgate outbox SUB [ARGS]`: argv[0] is the sub-command (list, show,
 * approve, reject). cfg is loaded by the caller. Returns the exit status
 * (0 ok, 1 failure, 2 usage). */
int cli_outbox_run(const struct ig_config *cfg, int argc, char **argv);

#endif
