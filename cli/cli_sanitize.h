#ifndef IG_CLI_CLI_SANITIZE_H
#define IG_CLI_CLI_SANITIZE_H

/* `imapgate sanitize [--include-html] [--known-domains D1,D2] FILE|-`
 * (docs/cli.md, docs/content.md): runs the content pipeline on one message
 * and prints on stdout the JSON object fetch_message returns for it, pretty
 * and UTF-8; a refused message prints {"error":{code,message}} and exits 1.
 * argv[0] is "sanitize". Returns the exit status: 0 ok, 1 failure, 2 usage. */
int cli_sanitize_main(int argc, char **argv);

#endif
