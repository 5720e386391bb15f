/* Unit tests for server/stream.c: framing, priming, replay after
 * Last-Event-ID, suspension without lost wake-ups, limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "base/limits.h"

#include "server/stream.h"

struct fake_conn {
	int suspended;
	int woken;
};

static void
fake_suspend(void *conn)
{
	((struct fake_conn *)conn)->suspended++;
}

static void
fake_wake(void *conn)
{
	((struct fake_conn *)conn)->woken++;
}

/* Reads everything available into out; returns the last status. */
static enum stream_read_status
drain(struct stream *s, struct fake_conn *c, char *out, size_t outsz, size_t *len_r)
{
	enum stream_read_status st;
	size_t n;

	*len_r = 0;
	for (;;) {
		/* tiny reads: framing must survive arbitrary chunking */
		st = stream_read(s, c, out + *len_r, 7 < outsz - *len_r - 1 ? 7 : outsz - *len_r - 1,
				 &n, fake_suspend);
		if (st != STREAM_DATA)
			break;
		*len_r += n;
	}
	out[*len_r] = '\0';
	return st;
}

static void
test_prime_events_finish(void **state)
{
	struct stream_hub *hub = stream_hub_new();
	struct stream *s = stream_new(hub, 5, true);
	struct fake_conn c = {0, 0};
	char out[4096];
	size_t len;

	(void)state;
	assert_int_equal(stream_prime(s, 1000), IG_OK);
	assert_int_equal(stream_send(s, "{\"a\":1}", 7), IG_OK); /* queued before attach */
	assert_int_equal(stream_attach(s, &c, fake_wake, UINT64_MAX), IG_OK);
	assert_int_equal(drain(s, &c, out, sizeof(out), &len), STREAM_WAIT);
	assert_string_equal(out, "id: 5-0\nretry: 1000\ndata: \n\nid: 5-1\ndata: {\"a\":1}\n\n");
	assert_int_equal(c.suspended, 1);
	assert_int_equal(stream_finish(s, "{\"r\":2}", 7), IG_OK);
	assert_int_equal(c.woken, 1);
	assert_int_equal(drain(s, &c, out, sizeof(out), &len), STREAM_END);
	assert_string_equal(out, "id: 5-2\ndata: {\"r\":2}\n\n");
	assert_int_equal(stream_send(s, "x", 1), IG_EINVAL); /* after finish */
	assert_false(stream_detach(s, &c));                   /* finished: not "gone" */
	stream_unref(s);
	stream_hub_free(hub);
}

static void
test_newlines_cannot_end_event(void **state)
{
	struct stream_hub *hub = stream_hub_new();
	struct stream *s = stream_new(hub, 1, false);
	struct fake_conn c = {0, 0};
	char out[512];
	size_t len;

	(void)state;
	assert_int_equal(stream_attach(s, &c, fake_wake, UINT64_MAX), IG_OK);
	assert_int_equal(stream_send(s, "a\n\nid: 9-9\r\nb", 13), IG_OK);
	(void)drain(s, &c, out, sizeof(out), &len);
	assert_string_equal(out, "id: 1-1\ndata: a\ndata: \ndata: id: 9-9\ndata: \ndata: b\n\n");
	stream_unref(s);
	stream_hub_free(hub);
}

static void
test_resume_after_close(void **state)
{
	struct stream_hub *hub = stream_hub_new();
	struct stream *s = stream_new(hub, 3, true);
	struct fake_conn c1 = {0, 0};
	struct fake_conn c2 = {0, 0};
	struct fake_conn c3 = {0, 0};
	char out[1024];
	size_t len;
	uint64_t sid;
	uint64_t seq;

	(void)state;
	assert_int_equal(stream_prime(s, 1000), IG_OK);
	assert_int_equal(stream_attach(s, &c1, fake_wake, UINT64_MAX), IG_OK);
	assert_int_equal(stream_send(s, "one", 3), IG_OK);
	(void)drain(s, &c1, out, sizeof(out), &len);
	/* the server ends the connection mid-stream (SSE polling) */
	stream_close_connection(s);
	assert_int_equal(drain(s, &c1, out, sizeof(out), &len), STREAM_END);
	assert_false(stream_detach(s, &c1));
	assert_int_equal(stream_send(s, "two", 3), IG_OK);
	assert_int_equal(stream_finish(s, "three", 5), IG_OK);
	/* a second connection for the same stream replaces the first, which
	 * ends without a byte more; the replay goes to the new one */
	assert_int_equal(stream_attach(s, &c2, fake_wake, 1), IG_OK);
	assert_int_equal(stream_attach(s, &c3, fake_wake, 1), IG_OK);
	assert_int_equal(drain(s, &c2, out, sizeof(out), &len), STREAM_END);
	assert_int_equal(len, 0);
	assert_false(stream_detach(s, &c2));
	assert_int_equal(drain(s, &c3, out, sizeof(out), &len), STREAM_END);
	assert_string_equal(out, "id: 3-2\ndata: two\n\nid: 3-3\ndata: three\n\n");
	assert_true(stream_event_id_parse("3-1", 3, &sid, &seq));
	assert_int_equal(sid, 3);
	assert_int_equal(seq, 1);
	(void)stream_detach(s, &c3);
	stream_unref(s);
	stream_hub_free(hub);
}

/* Issue #12 B6: a standalone GET stream whose connection died without the
 * server noticing (the reader waits, suspended) is taken over at once by
 * the client's next GET, with or without Last-Event-ID. */
static void
test_new_get_replaces_dead_stream(void **state)
{
	struct stream_hub *hub = stream_hub_new();
	struct stream *s = stream_new(hub, 0, true);
	struct fake_conn dead = {0, 0};
	struct fake_conn fresh = {0, 0};
	struct fake_conn resumed = {0, 0};
	char out[1024];
	size_t len;

	(void)state;
	stream_mark_listener(s);
	assert_int_equal(stream_attach(s, &dead, fake_wake, UINT64_MAX), IG_OK);
	assert_int_equal(stream_send(s, "a", 1), IG_OK);
	assert_int_equal(drain(s, &dead, out, sizeof(out), &len), STREAM_WAIT);
	assert_string_equal(out, "id: 0-1\ndata: a\n\n");
	/* the peer vanished; an event is queued for it but never read */
	assert_int_equal(stream_send(s, "b", 1), IG_OK);
	assert_int_equal(dead.woken, 1);
	assert_int_equal(stream_read(s, &dead, out, 4, &len, fake_suspend), STREAM_DATA);
	assert_int_equal(len, 4);
	/* a new GET without Last-Event-ID: new events only, never the rest of
	 * a half-sent frame */
	assert_int_equal(stream_attach(s, &fresh, fake_wake, UINT64_MAX), IG_OK);
	assert_int_equal(drain(s, &dead, out, sizeof(out), &len), STREAM_END);
	assert_int_equal(len, 0);
	assert_int_equal(stream_send(s, "c", 1), IG_OK);
	assert_int_equal(drain(s, &fresh, out, sizeof(out), &len), STREAM_WAIT);
	assert_string_equal(out, "id: 0-3\ndata: c\n\n");
	/* the old connection's cleanup does not touch the new one */
	assert_false(stream_detach(s, &dead));
	/* that one dies too (suspended: it is woken to end); the next GET
	 * resumes after the last event the client saw */
	assert_int_equal(stream_attach(s, &resumed, fake_wake, 1), IG_OK);
	assert_int_equal(fresh.woken, 1);
	assert_int_equal(drain(s, &fresh, out, sizeof(out), &len), STREAM_END);
	assert_int_equal(drain(s, &resumed, out, sizeof(out), &len), STREAM_WAIT);
	assert_string_equal(out, "id: 0-2\ndata: b\n\nid: 0-3\ndata: c\n\n");
	assert_int_equal(stream_hub_attached(hub), 1);
	assert_false(stream_detach(s, &fresh));
	assert_true(stream_detach(s, &resumed));
	stream_unref(s);
	stream_hub_free(hub);
}

static void
test_client_gone_and_cancel(void **state)
{
	struct stream_hub *hub = stream_hub_new();
	struct stream *s = stream_new(hub, 1, false);
	struct fake_conn c = {0, 0};
	char out[256];
	size_t len;

	(void)state;
	assert_int_equal(stream_attach(s, &c, fake_wake, UINT64_MAX), IG_OK);
	assert_int_equal(drain(s, &c, out, sizeof(out), &len), STREAM_WAIT);
	assert_int_equal(stream_hub_attached(hub), 1);
	stream_hub_cancel_all(hub);
	assert_int_equal(c.woken, 1);
	assert_true(stream_cancelled(s));
	assert_int_equal(drain(s, &c, out, sizeof(out), &len), STREAM_END);
	assert_false(stream_detach(s, &c));
	stream_unref(s);

	s = stream_new(hub, 2, false);
	assert_int_equal(stream_attach(s, &c, fake_wake, UINT64_MAX), IG_OK);
	assert_true(stream_detach(s, &c)); /* unfinished and not closed by us */
	assert_false(stream_detach(s, &c));
	stream_unref(s);
	stream_hub_free(hub);
}

static void
test_event_id_parse(void **state)
{
	static const char *const bad[] = {"", "-", "1-", "-1", "1", "a-1", "1-1-1", "1 -1",
					  "99999999999999999999-1", "1-99999999999999999999"};
	uint64_t a;
	uint64_t b;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(stream_event_id_parse(bad[i], strlen(bad[i]), &a, &b));
	assert_true(stream_event_id_parse("18446744073709551615-0", 22, &a, &b));
	assert_int_equal(a, UINT64_MAX);
}

static void
test_replay_is_bounded(void **state)
{
	struct stream_hub *hub = stream_hub_new();
	struct stream *s = stream_new(hub, 1, true);
	struct fake_conn c = {0, 0};
	static char out[1 << 20];
	size_t len;
	int i;

	(void)state;
	for (i = 0; i < 1000; i++)
		assert_int_equal(stream_send(s, "0123456789", 10), IG_OK);
	assert_int_equal(stream_attach(s, &c, fake_wake, 0), IG_OK);
	(void)drain(s, &c, out, sizeof(out), &len);
	assert_true(len > 0);
	assert_true(len < 64 * 40); /* only the retained tail is replayed */
	assert_non_null(strstr(out, "id: 1-1000\n"));
	assert_null(strstr(out, "id: 1-1\n"));
	stream_unref(s);
	stream_hub_free(hub);
}

static void
test_keepalive_and_idle_limit(void **state)
{
	struct stream_hub *hub = stream_hub_new();
	struct stream *listener = stream_new(hub, 1, true);
	struct stream *post = stream_new(hub, 2, true);
	struct fake_conn c1 = {0, 0};
	struct fake_conn c2 = {0, 0};
	char out[256];
	size_t len;
	int64_t t0;

	(void)state;
	stream_mark_listener(listener);
	assert_int_equal(stream_attach(listener, &c1, fake_wake, UINT64_MAX), IG_OK);
	assert_int_equal(stream_attach(post, &c2, fake_wake, UINT64_MAX), IG_OK);
	assert_int_equal(drain(listener, &c1, out, sizeof(out), &len), STREAM_WAIT);
	assert_int_equal(drain(post, &c2, out, sizeof(out), &len), STREAM_WAIT);
	t0 = stream_idle_s(listener, 0); /* = -last_write */
	/* keep-alive after 15 s of silence, as a comment line */
	stream_hub_tick(hub, -t0 + 15, 15, 600);
	assert_int_equal(c1.woken, 1);
	assert_int_equal(drain(listener, &c1, out, sizeof(out), &len), STREAM_WAIT);
	assert_string_equal(out, ": keep-alive\n\n");
	/* keep-alives do not count as activity: the listener ends at 600 s,
	 * the stream answering a POST does not */
	stream_hub_tick(hub, -t0 + 600, 15, 600);
	assert_int_equal(drain(listener, &c1, out, sizeof(out), &len), STREAM_END);
	assert_int_equal(drain(post, &c2, out, sizeof(out), &len), STREAM_WAIT);
	assert_false(stream_detach(listener, &c1));
	(void)stream_detach(post, &c2);
	stream_unref(listener);
	stream_unref(post);
	stream_hub_free(hub);
}

/* A result on a stream may be as large as a JSON answer (LIM_STREAM_EVENT,
 * above the queue of small events): it is delivered whole and ends the
 * stream; a larger one is refused (the caller then ends the stream with a
 * short error) rather than dropped silently. */
static void
test_large_final_event(void **state)
{
	struct stream_hub *hub = stream_hub_new();
	struct stream *s = stream_new(hub, 9, false);
	struct fake_conn c = {0, 0};
	size_t big = LIM_HTTP_BODY * 3;
	char *data = malloc(LIM_STREAM_EVENT + 1);
	char *out = malloc(big + 4096);
	size_t len = 0;
	size_t n;
	enum stream_read_status st;

	(void)state;
	assert_non_null(data);
	assert_non_null(out);
	memset(data, 'x', LIM_STREAM_EVENT + 1);
	assert_int_equal(stream_attach(s, &c, fake_wake, UINT64_MAX), IG_OK);
	assert_int_equal(stream_send(s, "{\"p\":1}", 7), IG_OK);
	assert_int_not_equal(stream_finish(s, data, LIM_STREAM_EVENT + 1), IG_OK);
	assert_int_equal(stream_finish(s, data, big), IG_OK);
	for (;;) {
		st = stream_read(s, &c, out + len, big + 4096 - len, &n, fake_suspend);
		if (st != STREAM_DATA)
			break;
		len += n;
	}
	assert_int_equal(st, STREAM_END);
	/* id lines, "data: " prefixes, the small event and the big one whole */
	assert_true(len > big);
	assert_non_null(memmem(out, len, "{\"p\":1}", 7));
	assert_int_equal(out[len - 1], '\n');
	assert_int_equal(out[len - 2], '\n');
	assert_int_equal(out[len - 3], 'x');
	stream_unref(s);
	stream_hub_free(hub);
	free(data);
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prime_events_finish),
		cmocka_unit_test(test_newlines_cannot_end_event),
		cmocka_unit_test(test_resume_after_close),
		cmocka_unit_test(test_new_get_replaces_dead_stream),
		cmocka_unit_test(test_client_gone_and_cancel),
		cmocka_unit_test(test_event_id_parse),
		cmocka_unit_test(test_replay_is_bounded),
		cmocka_unit_test(test_keepalive_and_idle_limit),
		cmocka_unit_test(test_large_final_event),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
