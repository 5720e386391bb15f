/* Tests imap/worker.c against local sockets: a full queue refuses at once,
 * a silent server ends in a timeout within the deadline, stop interrupts a
 * hung job and joins, queued jobs are completed exactly once, and backoff
 * fails later jobs fast; a job cancelled while queued is skipped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include "imap/tls.h"
#include "imap/worker.h"

struct tjob {
	struct wk_job job;
	pthread_mutex_t lock;
	int done_count;
	int ran;
	enum imap_fail fail;
	int64_t done_ms;
	int cancel; /* atomic: what job.cancelled answers */
	int polls;  /* atomic: how often it was asked */
};

static bool
tjob_cancelled(struct wk_job *job)
{
	struct tjob *t = (struct tjob *)job;

	__atomic_add_fetch(&t->polls, 1, __ATOMIC_RELAXED);
	return __atomic_load_n(&t->cancel, __ATOMIC_ACQUIRE) != 0;
}

static void
tjob_run(struct wk_job *job, struct imap_conn *c, struct imap_error *err)
{
	struct tjob *t = (struct tjob *)job;

	(void)c;
	(void)err;
	t->ran++;
}

static void
tjob_done(struct wk_job *job, const struct imap_error *err)
{
	struct tjob *t = (struct tjob *)job;

	pthread_mutex_lock(&t->lock);
	t->done_count++;
	t->fail = err->fail;
	t->done_ms = imap_now_ms();
	pthread_mutex_unlock(&t->lock);
}

static void
tjob_init(struct tjob *t)
{
	memset(t, 0, sizeof(*t));
	pthread_mutex_init(&t->lock, NULL);
	t->job.run = tjob_run;
	t->job.done = tjob_done;
	t->job.timeout_s = 30;
}

static int
tjob_count(struct tjob *t)
{
	int n;

	pthread_mutex_lock(&t->lock);
	n = t->done_count;
	pthread_mutex_unlock(&t->lock);
	return n;
}

static void
wait_done(struct tjob *t, int64_t max_ms)
{
	int64_t end = imap_now_ms() + max_ms;

	while (tjob_count(t) == 0 && imap_now_ms() < end)
		usleep(5000);
}

/* A server that completes TCP handshakes (the backlog does) but never
 * accepts or answers. */
static int
silent_server(unsigned *port_r)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 16), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	*port_r = ntohs(sa.sin_port);
	return fd;
}

static struct wk *
start_worker(unsigned port, size_t cap, unsigned connect_timeout_s)
{
	struct wk_opts o;
	struct wk *w;

	memset(&o, 0, sizeof(o));
	o.name = "test";
	o.host = "127.0.0.1";
	o.port = port;
	o.user = "u";
	o.password_env = "IG_TEST_NO_SUCH_VARIABLE";
	o.pinned = true; /* never reached */
	o.connect_timeout_s = connect_timeout_s;
	o.command_timeout_s = 2;
	o.queue_cap = cap;
	w = wk_start(&o);
	assert_non_null(w);
	return w;
}

static void
test_queue_full_and_stop(void **state)
{
	unsigned port;
	int srv = silent_server(&port);
	struct wk *w = start_worker(port, 2, 30);
	struct tjob a;
	struct tjob b;
	struct tjob c;
	int64_t t0;

	(void)state;
	tjob_init(&a);
	tjob_init(&b);
	tjob_init(&c);
	assert_int_equal(wk_submit(w, &a.job), IG_OK);
	assert_int_equal(wk_submit(w, &b.job), IG_OK);
	/* a is running (hung in the TLS handshake), b queued: full */
	assert_int_equal(wk_submit(w, &c.job), IG_EBUSY);
	assert_int_equal(wk_pending(w), 2);
	usleep(100 * 1000);
	assert_int_equal(tjob_count(&a), 0);
	t0 = imap_now_ms();
	wk_stop(w);
	/* stop interrupts the hung handshake at once and joins */
	assert_true(imap_now_ms() - t0 < 2000);
	assert_int_equal(tjob_count(&a), 1);
	assert_int_equal(tjob_count(&b), 1);
	assert_int_equal(tjob_count(&c), 0);
	assert_int_equal(a.ran, 0);
	assert_int_equal(b.ran, 0);
	assert_int_not_equal(a.fail, IMAP_FAIL_NONE);
	assert_int_equal(b.fail, IMAP_FAIL_CONN_LOST);
	(void)close(srv);
}

static void
test_timeout_within_deadline(void **state)
{
	unsigned port;
	int srv = silent_server(&port);
	struct wk *w = start_worker(port, 4, 1);
	struct tjob a;
	struct tjob b;
	int64_t t0 = imap_now_ms();

	(void)state;
	tjob_init(&a);
	tjob_init(&b);
	assert_int_equal(wk_submit(w, &a.job), IG_OK);
	wait_done(&a, 5000);
	assert_int_equal(tjob_count(&a), 1);
	assert_int_equal(a.fail, IMAP_FAIL_TIMEOUT);
	assert_true(a.done_ms - t0 >= 900 && a.done_ms - t0 < 2500);
	/* in backoff: the next job fails at once with the same error */
	t0 = imap_now_ms();
	assert_int_equal(wk_submit(w, &b.job), IG_OK);
	wait_done(&b, 5000);
	assert_int_equal(b.fail, IMAP_FAIL_TIMEOUT);
	assert_true(b.done_ms - t0 < 200);
	wk_stop(w);
	(void)close(srv);
}

/* The job deadline counts from submission: a job stuck behind a hung one
 * ends by its own deadline, not one full timeout later. */
static void
test_queue_deadline(void **state)
{
	unsigned port;
	int srv = silent_server(&port);
	struct wk *w = start_worker(port, 4, 30);
	struct tjob a;
	struct tjob b;
	int64_t t0 = imap_now_ms();

	(void)state;
	tjob_init(&a);
	tjob_init(&b);
	a.job.timeout_s = 1;
	b.job.timeout_s = 1;
	assert_int_equal(wk_submit(w, &a.job), IG_OK);
	assert_int_equal(wk_submit(w, &b.job), IG_OK);
	wait_done(&b, 5000);
	assert_int_equal(tjob_count(&a), 1);
	assert_int_equal(tjob_count(&b), 1);
	assert_int_equal(a.fail, IMAP_FAIL_TIMEOUT);
	assert_int_equal(b.fail, IMAP_FAIL_TIMEOUT);
	assert_true(a.done_ms - t0 < 2500);
	assert_true(b.done_ms - t0 < 2500);
	wk_stop(w);
	(void)close(srv);
}

static void
test_connection_refused(void **state)
{
	unsigned port;
	int srv = silent_server(&port);
	struct wk *w;
	struct tjob a;
	bool up = true;
	int64_t last_ok = -1;

	(void)state;
	(void)close(srv); /* nothing listens on port now */
	w = start_worker(port, 4, 5);
	tjob_init(&a);
	assert_int_equal(wk_submit(w, &a.job), IG_OK);
	wait_done(&a, 5000);
	assert_int_equal(a.fail, IMAP_FAIL_CONN_LOST);
	assert_int_equal(a.ran, 0);
	/* the operator's account status: not logged in, nothing succeeded */
	wk_state(w, &up, &last_ok);
	assert_false(up);
	assert_int_equal(last_ok, 0);
	wk_stop(w);
	wk_stop(NULL);
}

/* wk_job_cancelled: false without a callback or while it says no; true
 * with IMAP_FAIL_CANCELLED once it says yes. */
static void
test_job_cancelled_flag(void **state)
{
	struct imap_error err = {.fail = IMAP_FAIL_NONE};
	struct tjob a;

	(void)state;
	tjob_init(&a);
	assert_false(wk_job_cancelled(&a.job, &err));
	a.job.cancelled = tjob_cancelled;
	assert_false(wk_job_cancelled(&a.job, &err));
	assert_int_equal(err.fail, IMAP_FAIL_NONE);
	a.cancel = 1;
	assert_true(wk_job_cancelled(&a.job, &err));
	assert_int_equal(err.fail, IMAP_FAIL_CANCELLED);
	assert_string_equal(imap_fail_str(IMAP_FAIL_CANCELLED), "cancelled");
	assert_int_equal(a.polls, 2);
}

/* A job cancelled while it waits in the queue is skipped: done() once with
 * IMAP_FAIL_CANCELLED, run() never, no connect (the account is in backoff
 * after a's timeout: an uncancelled b would fail with a's error). The
 * running job is not disturbed by its neighbour's cancel. */
static void
test_cancelled_queued_job_skipped(void **state)
{
	unsigned port;
	int srv = silent_server(&port);
	struct wk *w = start_worker(port, 4, 1);
	struct tjob a;
	struct tjob b;
	struct tjob c;

	(void)state;
	tjob_init(&a);
	tjob_init(&b);
	tjob_init(&c);
	a.job.cancelled = tjob_cancelled;
	b.job.cancelled = tjob_cancelled;
	c.job.cancelled = tjob_cancelled;
	assert_int_equal(wk_submit(w, &a.job), IG_OK);
	assert_int_equal(wk_submit(w, &b.job), IG_OK);
	assert_int_equal(wk_submit(w, &c.job), IG_OK);
	__atomic_store_n(&b.cancel, 1, __ATOMIC_RELEASE);
	wait_done(&c, 10000);
	assert_int_equal(tjob_count(&a), 1);
	assert_int_equal(tjob_count(&b), 1);
	assert_int_equal(tjob_count(&c), 1);
	assert_int_equal(a.fail, IMAP_FAIL_TIMEOUT);
	assert_int_equal(b.fail, IMAP_FAIL_CANCELLED);
	assert_int_equal(c.fail, IMAP_FAIL_TIMEOUT); /* backoff: a's error */
	assert_int_equal(a.ran + b.ran + c.ran, 0);
	assert_true(__atomic_load_n(&b.polls, __ATOMIC_RELAXED) >= 1);
	wk_stop(w);
	(void)close(srv);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_queue_full_and_stop),
		cmocka_unit_test(test_timeout_within_deadline),
		cmocka_unit_test(test_queue_deadline),
		cmocka_unit_test(test_job_cancelled_flag),
		cmocka_unit_test(test_cancelled_queued_job_skipped),
		cmocka_unit_test(test_connection_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
