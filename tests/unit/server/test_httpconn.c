/* Tests server/httpconn.c: eviction instead of queueing at the global and
 * per-address caps, refusal when nothing is evictable, trusted proxies
 * exempt from the per-address cap, the request deadline, per-token caps.
 * Connections are socketpairs: an evicted one reads end-of-stream. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "server/httpconn.h"

struct fake {
	int fds[2]; /* [0] is "ours" (the table shuts it down), [1] the client */
	struct hconn *c;
};

static struct sockaddr_in
sin_of(const char *ip)
{
	struct sockaddr_in a;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	assert_int_equal(inet_pton(AF_INET, ip, &a.sin_addr), 1);
	return a;
}

static bool
admit(struct hconn_table *t, const char *ip)
{
	struct sockaddr_in a = sin_of(ip);

	return hconn_admit(t, (struct sockaddr *)&a, sizeof(a));
}

static void
fake_open(struct hconn_table *t, struct fake *f, const char *ip)
{
	struct sockaddr_in a = sin_of(ip);

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, f->fds), 0);
	f->c = hconn_open(t, f->fds[0], (struct sockaddr *)&a, sizeof(a));
	assert_non_null(f->c);
}

/* true when the table shut our end down (the client side sees EOF) */
static bool
fake_evicted(struct fake *f)
{
	char b;

	return recv(f->fds[1], &b, 1, MSG_DONTWAIT) == 0;
}

static void
fake_close(struct hconn_table *t, struct fake *f)
{
	hconn_close(t, f->c);
	(void)close(f->fds[0]);
	(void)close(f->fds[1]);
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
test_evict_not_queue(void **state)
{
	struct netaddr_net trusted;
	struct hconn_limits lim = {.max_connections = 4, .per_client = 2,
				   .request_timeout_s = 3600, .streams_per_token = 1,
				   .calls_per_token = 1, .trusted = &trusted, .n_trusted = 1};
	struct hconn_table *t;
	struct fake f[8];
	size_t i;

	(void)state;
	assert_true(netaddr_net_parse((struct slice){"10.9.9.9", 8}, &trusted));
	t = hconn_table_new(&lim);
	assert_non_null(t);
	/* per address: the third from 10.0.0.1 evicts its oldest waiting one */
	for (i = 0; i < 2; i++) {
		assert_true(admit(t, "10.0.0.1"));
		fake_open(t, &f[i], "10.0.0.1");
	}
	assert_true(admit(t, "10.0.0.1"));
	assert_true(fake_evicted(&f[0]));
	assert_false(fake_evicted(&f[1]));
	fake_open(t, &f[2], "10.0.0.1");
	/* f[1] and f[2] busy: a third from that address is refused */
	hconn_received(t, f[1].c);
	hconn_received(t, f[2].c);
	assert_false(admit(t, "10.0.0.1"));
	/* the global cap: 10.0.0.2 fills it; the next evicts the oldest waiting */
	assert_true(admit(t, "10.0.0.2"));
	fake_open(t, &f[3], "10.0.0.2");
	assert_true(admit(t, "10.0.0.3"));
	fake_open(t, &f[4], "10.0.0.3");
	assert_int_equal(hconn_count(t), 4);
	assert_true(admit(t, "10.0.0.4"));
	assert_true(fake_evicted(&f[3]));
	fake_open(t, &f[5], "10.0.0.4");
	hconn_received(t, f[4].c);
	hconn_received(t, f[5].c);
	/* everything busy: refused, nothing evicted */
	assert_false(admit(t, "10.0.0.5"));
	assert_false(fake_evicted(&f[1]) || fake_evicted(&f[2]) || fake_evicted(&f[4]) ||
		     fake_evicted(&f[5]));
	/* a keep-alive connection waits again after its response */
	hconn_idle(t, f[5].c);
	assert_true(admit(t, "10.0.0.5"));
	assert_true(fake_evicted(&f[5]));
	for (i = 0; i < 6; i++)
		fake_close(t, &f[i]);
	assert_int_equal(hconn_count(t), 0);
	/* a trusted proxy is not capped per address (only globally) */
	for (i = 0; i < 4; i++) {
		assert_true(admit(t, "10.9.9.9"));
		fake_open(t, &f[i], "10.9.9.9");
	}
	for (i = 0; i < 4; i++)
		assert_false(fake_evicted(&f[i]));
	assert_true(hconn_peer_trusted(f[0].c));
	for (i = 0; i < 4; i++)
		fake_close(t, &f[i]);
	hconn_table_free(t);
}

static void
test_deadline(void **state)
{
	struct hconn_limits lim = {.max_connections = 8, .per_client = 8,
				   .request_timeout_s = 5, .streams_per_token = 1,
				   .calls_per_token = 1};
	struct hconn_table *t = hconn_table_new(&lim);
	struct fake a;
	struct fake b;

	(void)state;
	fake_open(t, &a, "10.0.0.1");
	fake_open(t, &b, "10.0.0.1");
	hconn_received(t, b.c);
	assert_int_equal(hconn_reap(t, now_ms()), 0);
	/* past the deadline: the waiting one goes, the busy one stays */
	assert_int_equal(hconn_reap(t, now_ms() + 6000), 1);
	assert_true(fake_evicted(&a));
	assert_false(fake_evicted(&b));
	fake_close(t, &a);
	fake_close(t, &b);
	hconn_table_free(t);
}

static void
test_client_and_tokens(void **state)
{
	struct hconn_limits lim = {.max_connections = 8, .per_client = 2,
				   .request_timeout_s = 5, .streams_per_token = 2,
				   .calls_per_token = 1};
	struct hconn_table *t = hconn_table_new(&lim);
	uint8_t client[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 203, 0, 113, 7};
	struct fake f[3];
	char s[64];
	size_t i;

	(void)state;
	for (i = 0; i < 3; i++)
		fake_open(t, &f[i], "10.9.9.9");
	assert_true(hconn_set_client(t, f[0].c, client));
	hconn_received(t, f[0].c);
	assert_true(hconn_set_client(t, f[1].c, client));
	hconn_received(t, f[1].c);
	assert_false(hconn_set_client(t, f[2].c, client)); /* third busy of 203.0.113.7 */
	hconn_client_str(f[2].c, s, sizeof(s));
	assert_string_equal(s, "203.0.113.7");
	assert_true(hconn_set_client(t, f[2].c, NULL)); /* the peer itself */
	hconn_client_str(f[2].c, s, sizeof(s));
	assert_string_equal(s, "10.9.9.9");
	for (i = 0; i < 3; i++)
		fake_close(t, &f[i]);
	/* per-token slots */
	assert_true(hconn_token_acquire(t, 1, HCONN_SLOT_STREAM));
	assert_true(hconn_token_acquire(t, 1, HCONN_SLOT_STREAM));
	assert_false(hconn_token_acquire(t, 1, HCONN_SLOT_STREAM));
	assert_true(hconn_token_acquire(t, 1, HCONN_SLOT_CALL));
	assert_false(hconn_token_acquire(t, 1, HCONN_SLOT_CALL));
	assert_true(hconn_token_acquire(t, 2, HCONN_SLOT_STREAM));
	assert_true(hconn_token_acquire(t, 2, HCONN_SLOT_CALL));
	hconn_token_release(t, 1, HCONN_SLOT_STREAM);
	assert_true(hconn_token_acquire(t, 1, HCONN_SLOT_STREAM));
	hconn_token_release(t, 1, HCONN_SLOT_STREAM);
	hconn_token_release(t, 1, HCONN_SLOT_STREAM);
	hconn_token_release(t, 1, HCONN_SLOT_CALL);
	hconn_token_release(t, 2, HCONN_SLOT_STREAM);
	hconn_token_release(t, 2, HCONN_SLOT_CALL);
	hconn_table_free(t); /* ASan: no counter left behind */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_evict_not_queue),
		cmocka_unit_test(test_deadline),
		cmocka_unit_test(test_client_and_tokens),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
