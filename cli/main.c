/* imapgate entry point: process-wide library setup before any thread
 * (STYLE §5), then the command line (cli/cli.c). */
#include <curl/curl.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <unistd.h>

#include "content/mime.h"
#include "cli/cli.h"
#include "cli/serve.h"
#ifdef IG_TEST_FIXTURES
#include "handlers/tools_fixtures.h"
#endif

int
main(int argc, char **argv)
{
	struct srv_opts opts = {NULL, 0};
	int rc;

	if (sodium_init() < 0 || sqlite3_initialize() != SQLITE_OK) {
		(void)fputs("imapgate: cannot initialise libsodium or SQLite\n", stderr);
		return 1;
	}
	/* GMime, ICU and libcurl setup must happen before any thread starts */
	content_init();
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		(void)fputs("imapgate: cannot initialise libcurl\n", stderr);
		content_shutdown();
		return 1;
	}
#ifdef IG_TEST_FIXTURES
	/* Only the imapgate-test binary is built with the conformance fixtures. */
	opts.extra_tools = tool_fixtures(&opts.n_extra_tools);
#endif
	rc = cli_main(argc, argv, environ, &opts);
	curl_global_cleanup();
	content_shutdown();
	return rc;
}
