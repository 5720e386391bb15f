/* Dispatch chain figures (bench/README.md): what the chain adds to a call.
 * Prints, on this machine:
 *   - tools/list for a principal (permission bitset + cached text copy);
 *   - a whole synchronous tools/call of list_accounts through the chain
 *     (validation, posture, rate limit, audit hooks, run, completion);
 *   - rl_take throughput per thread with 4 threads on 4 tenants, once with
 *     every tenant under its limit and once with tenant 0 hammering an
 *     exhausted bucket (the others' rate should not drop).
 * usage: dispatch_bench [ITERATIONS]   (figures only; never fails on slowness) */
#include <json-c/json.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/clock.h"
#include "handlers/call.h"
#include "handlers/dispatch.h"
#include "handlers/ratelimit.h"
#include "handlers/tools.h"
#include "base/config.h"
#include "store/state.h"

#define THREADS 4

static long iters = 200000;

static double
now_s(void)
{
	return (double)mono_now_ms() / 1000.0;
}

struct rl_arg {
	struct rl *rl;
	int id;
	bool limited;
	double rate; /* takes per second, out */
};

static void *
rl_thread(void *p)
{
	struct rl_arg *a = p;
	char key[32];
	struct rl_req q;
	int64_t retry;
	double t0 = now_s();
	long refused = 0;
	long i;

	(void)snprintf(key, sizeof(key), "t:%d", a->id);
	q.key = key;
	/* the limited tenant's bucket is tiny and stays empty; others never run dry */
	q.rate = a->limited ? (struct rl_rate){1, 3600} : (struct rl_rate){1000000, 1};
	for (i = 0; i < iters; i++)
		refused += rl_take(a->rl, &q, 1, &retry) != IG_OK;
	a->rate = (double)iters / (now_s() - t0);
	a->limited = refused > 0;
	return NULL;
}

static void
rl_round(bool with_hammer)
{
	struct rl *rl = rl_new(NULL);
	pthread_t th[THREADS];
	struct rl_arg args[THREADS];
	int i;

	for (i = 0; i < THREADS; i++) {
		args[i] = (struct rl_arg){rl, i, with_hammer && i == 0, 0};
		if (pthread_create(&th[i], NULL, rl_thread, &args[i]) != 0)
			exit(1);
	}
	for (i = 0; i < THREADS; i++)
		(void)pthread_join(th[i], NULL);
	printf("rl_take, %d threads%s:", THREADS,
	       with_hammer ? " (tenant 0 at its limit)" : "");
	for (i = 0; i < THREADS; i++)
		printf(" t%d %.2f M/s%s", i, args[i].rate / 1e6, args[i].limited ? " (refused)" : "");
	printf("\n");
	rl_free(rl);
}

int
main(int argc, char **argv)
{
	struct ig_config *cfg = NULL;
	struct tool_registry *reg;
	struct disp *d;
	struct token_info tok;
	char *error = NULL;
	const char *e2 = NULL;
	struct buf b;
	double t0;
	long i;

	if (argc > 1)
		iters = strtol(argv[1], NULL, 10);
	if (config_load(NULL, NULL, &cfg, &error) != IG_OK)
		return 1;
	cfg->token_rate_limit = (struct cfg_rate){0, 1}; /* off: measure the chain, not refusals */
	reg = tool_registry_new(NULL, 0, &e2);
	d = reg != NULL ? disp_new(cfg, reg, NULL, &error) : NULL;
	if (d == NULL)
		return 1;
	memset(&tok, 0, sizeof(tok));
	tok.id = 1;
	tok.posture_cap = POSTURE_FULL;
	memcpy(tok.accounts, "*", 2);

	buf_init(&b, 1 << 20);
	t0 = now_s();
	for (i = 0; i < iters; i++) {
		buf_reset(&b);
		if (disp_tools_list(d, &tok, &b) != IG_OK)
			return 1;
	}
	printf("tools/list per principal: %.0f ns/call (%zu bytes)\n",
	       (now_s() - t0) * 1e9 / (double)iters, b.len);
	buf_free(&b);

	t0 = now_s();
	for (i = 0; i < iters; i++) {
		struct tool_call tc;

		memset(&tc, 0, sizeof(tc));
		tc.def = tool_registry_find(reg, "list_accounts");
		tc.args = json_object_new_object();
		tc.principal = &tok;
		tc.cfg = cfg;
		tc.min_log_level = -1;
		disp_call(d, &tc);
		tool_call_clear(&tc);
	}
	printf("tools/call list_accounts through the chain: %.0f ns/call\n",
	       (now_s() - t0) * 1e9 / (double)iters);
	rl_round(false);
	rl_round(true);
	disp_free(d);
	tool_registry_free(reg);
	config_free(cfg);
	return 0;
}
