/* Tests the cancel and progress plumbing of handlers/toolkit.c (B5): a
 * tool job asks its call whether it was cancelled (and remembers a yes),
 * and progress reports go out as notifications/progress only with a
 * progressToken, first and last always, strictly increasing, coalesced. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "handlers/call.h"
#include "handlers/toolkit.h"
#include "handlers/tools.h"
#include "imap/worker.h"

#define MAX_SEEN 64

struct sink {
	struct json_object *seen[MAX_SEEN];
	size_t n;
	bool cancelled;
};

static void
sink_emit(void *ctx, const char *json, size_t len)
{
	struct sink *s = ctx;

	assert_true(s->n < MAX_SEEN);
	s->seen[s->n] = json_tokener_parse(json);
	assert_non_null(s->seen[s->n]);
	assert_int_equal(strlen(json), len);
	s->n++;
}

static bool
sink_cancelled(void *ctx)
{
	return ((struct sink *)ctx)->cancelled;
}

static void
sink_clear(struct sink *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		json_object_put(s->seen[i]);
	memset(s, 0, sizeof(*s));
}

static void
nop_run(struct wk_job *job, struct imap_conn *c, struct imap_error *err)
{
	(void)job;
	(void)c;
	(void)err;
}

static void
nop_done(struct wk_job *job, const struct imap_error *err)
{
	(void)job;
	(void)err;
}

static void
nop_free(struct tk_job *j)
{
	free(j);
}

static void
call_init(struct tool_call *call, struct sink *s, bool token)
{
	static const struct tool_def def = {.name = "t"};

	memset(call, 0, sizeof(*call));
	call->def = &def;
	call->emit = sink_emit;
	call->is_cancelled = sink_cancelled;
	call->ctx = s;
	call->min_log_level = -1;
	call->progress_token = token ? json_object_new_string("tok-1") : NULL;
}

static double
num(struct json_object *msg, const char *key, bool *present)
{
	struct json_object *p = NULL;
	struct json_object *v = NULL;

	assert_true(json_object_object_get_ex(msg, "params", &p));
	*present = json_object_object_get_ex(p, key, &v);
	return *present ? json_object_get_double(v) : 0;
}

/* The job's cancel check asks the call; a yes sticks (the transport may
 * forget, the job must not restart its work), and wk_job_cancelled turns
 * it into IMAP_FAIL_CANCELLED for run(). */
static void
test_cancel_poll(void **state)
{
	struct imap_error err = {.fail = IMAP_FAIL_NONE};
	struct tool_call call;
	struct sink s;
	struct tk_job *j;

	(void)state;
	memset(&s, 0, sizeof(s));
	call_init(&call, &s, false);
	j = tk_read_job_new(&call, sizeof(*j), nop_run, nop_done, nop_free);
	assert_non_null(j);
	assert_non_null(j->job.cancelled);
	assert_false(j->job.cancelled(&j->job));
	assert_false(wk_job_cancelled(&j->job, &err));
	s.cancelled = true;
	assert_true(wk_job_cancelled(&j->job, &err));
	assert_int_equal(err.fail, IMAP_FAIL_CANCELLED);
	s.cancelled = false;
	assert_true(j->job.cancelled(&j->job));
	/* a write job gets the same check (cancelled while queued: not run) */
	nop_free(j);
	j = tk_job_new(&call, sizeof(*j), nop_run, nop_done, nop_free);
	assert_non_null(j);
	assert_false(j->job.cancelled(&j->job));
	s.cancelled = true;
	assert_true(j->job.cancelled(&j->job));
	/* the ERR_CANCELLED result a stopped job ends with */
	tk_imap_error(&call, &err);
	assert_non_null(strstr(json_object_to_json_string(call.result), "\"ERR_CANCELLED\""));
	nop_free(j);
	tool_call_clear(&call);
}

/* Without a progressToken nothing is sent; with one, every report that goes
 * out is a well-formed notifications/progress carrying the token, the values
 * strictly increase, the first and the final report always go out, and a
 * burst is coalesced (at most a few of 1000 reports in a tight loop). */
static void
test_progress(void **state)
{
	struct tool_call call;
	struct sink s;
	struct tk_job *j;
	struct json_object *v;
	double last = -1;
	bool has;
	size_t i;

	(void)state;
	memset(&s, 0, sizeof(s));
	call_init(&call, &s, false);
	j = tk_read_job_new(&call, sizeof(*j), nop_run, nop_done, nop_free);
	assert_non_null(j);
	tk_job_progress(j, 1, 10, "x");
	assert_int_equal(s.n, 0);
	nop_free(j);
	tool_call_clear(&call);

	call_init(&call, &s, true);
	j = tk_read_job_new(&call, sizeof(*j), nop_run, nop_done, nop_free);
	assert_non_null(j);
	for (i = 0; i <= 1000; i++)
		tk_job_progress(j, (double)i, 1000, "fetching envelopes");
	tk_job_progress(j, 500, 1000, NULL);  /* backwards: dropped */
	tk_job_progress(j, 1000, 1000, NULL); /* equal: dropped */
	assert_true(s.n >= 2);
	assert_true(s.n <= 50); /* coalesced: 1001 reports, a gap of LIM_PROGRESS_MS */
	for (i = 0; i < s.n; i++) {
		double p;

		assert_true(json_object_object_get_ex(s.seen[i], "method", &v));
		assert_string_equal(json_object_get_string(v), "notifications/progress");
		assert_true(json_object_object_get_ex(s.seen[i], "jsonrpc", &v));
		assert_string_equal(json_object_get_string(v), "2.0");
		assert_true(json_object_object_get_ex(s.seen[i], "params", &v));
		assert_true(json_object_object_get_ex(v, "progressToken", &v));
		assert_string_equal(json_object_get_string(v), "tok-1");
		p = num(s.seen[i], "progress", &has);
		assert_true(has);
		assert_true(p > last);
		last = p;
		assert_true(num(s.seen[i], "total", &has) == 1000 && has);
	}
	assert_true(num(s.seen[0], "progress", &has) == 0);
	assert_true(last == 1000);
	nop_free(j);
	sink_clear(&s);
	tool_call_clear(&call);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cancel_poll),
		cmocka_unit_test(test_progress),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
