/* SSE streams for MCP Streamable HTTP (spec revision 2025-11-25, "Resumability
 * and Redelivery"; WHATWG HTML "Server-sent events" for the framing). */
#include "server/stream.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/limits.h"

struct stream_event {
	struct stream_event *next;
	uint64_t seq;
	size_t len;
	char frame[]; /* the complete SSE frame, ready to resend */
};

struct stream {
	struct stream_hub *hub;
	struct stream *hub_prev;
	struct stream *hub_next;
	unsigned refs;
	uint64_t id;
	uint64_t next_seq;
	bool resumable;
	/* replay log, oldest first */
	struct stream_event *log_head;
	struct stream_event *log_tail;
	size_t log_count;
	size_t log_bytes;
	struct buf out; /* bytes not yet handed to the attached connection */
	bool finished;
	bool cancelled;
	bool closing; /* end the current connection after draining */
	bool close_on_attach; /* closing was asked before a connection attached */
	bool ever_attached; /* before the first attach, events queue in out */
	bool listener; /* a session's standalone GET stream */
	void *conn;
	stream_wake_fn wake;
	bool suspended;
	int64_t last_write;
	int64_t last_event; /* last real event (not keep-alive) or attach */
};

struct stream_hub {
	pthread_mutex_t lock;
	struct stream *head;
};

static int64_t
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec;
}

struct stream_hub *
stream_hub_new(void)
{
	struct stream_hub *hub = calloc(1, sizeof(*hub));

	if (hub == NULL)
		return NULL;
	if (pthread_mutex_init(&hub->lock, NULL) != 0) {
		free(hub);
		return NULL;
	}
	return hub;
}

static void stream_destroy(struct stream *s);

void
stream_hub_free(struct stream_hub *hub)
{
	struct stream *s;

	if (hub == NULL)
		return;
	while ((s = hub->head) != NULL) {
		hub->head = s->hub_next;
		stream_destroy(s);
	}
	pthread_mutex_destroy(&hub->lock);
	free(hub);
}

pthread_mutex_t *
stream_hub_lock(struct stream_hub *hub)
{
	return &hub->lock;
}

struct stream *
stream_new(struct stream_hub *hub, uint64_t id, bool resumable)
{
	struct stream *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->hub = hub;
	s->refs = 1;
	s->id = id;
	s->next_seq = 1;
	s->resumable = resumable;
	s->last_write = now_s();
	s->last_event = s->last_write;
	/* room for one whole event besides the queue of small ones */
	buf_init(&s->out, LIM_STREAM_QUEUE + LIM_STREAM_EVENT);
	pthread_mutex_lock(&hub->lock);
	s->hub_next = hub->head;
	if (hub->head != NULL)
		hub->head->hub_prev = s;
	hub->head = s;
	pthread_mutex_unlock(&hub->lock);
	return s;
}

static void
stream_destroy(struct stream *s)
{
	struct stream_event *e;

	while ((e = s->log_head) != NULL) {
		s->log_head = e->next;
		free(e);
	}
	buf_free(&s->out);
	free(s);
}

void
stream_ref(struct stream *s)
{
	pthread_mutex_lock(&s->hub->lock);
	s->refs++;
	pthread_mutex_unlock(&s->hub->lock);
}

void
stream_unref(struct stream *s)
{
	struct stream_hub *hub;

	if (s == NULL)
		return;
	hub = s->hub;
	pthread_mutex_lock(&hub->lock);
	if (--s->refs > 0) {
		pthread_mutex_unlock(&hub->lock);
		return;
	}
	if (s->hub_prev != NULL)
		s->hub_prev->hub_next = s->hub_next;
	else
		hub->head = s->hub_next;
	if (s->hub_next != NULL)
		s->hub_next->hub_prev = s->hub_prev;
	pthread_mutex_unlock(&hub->lock);
	stream_destroy(s);
}

uint64_t
stream_id(const struct stream *s)
{
	return s->id;
}

/* Lock held. Wakes a suspended reader so it sees new bytes or the end. */
static void
stream_wake_locked(struct stream *s)
{
	if (s->conn != NULL && s->suspended) {
		s->suspended = false;
		s->wake(s->conn);
	}
}

/* Lock held. Keeps the replay log within its count and byte limits. */
static void
stream_log_add(struct stream *s, uint64_t seq, const char *frame, size_t len)
{
	struct stream_event *e;

	if (!s->resumable || len > LIM_SSE_REPLAY_BYTES)
		return;
	e = malloc(sizeof(*e) + len);
	if (e == NULL)
		return; /* replay is best effort; live delivery is unaffected */
	e->next = NULL;
	e->seq = seq;
	e->len = len;
	memcpy(e->frame, frame, len);
	if (s->log_tail != NULL)
		s->log_tail->next = e;
	else
		s->log_head = e;
	s->log_tail = e;
	s->log_count++;
	s->log_bytes += len;
	while (s->log_count > LIM_SSE_REPLAY_EVENTS || s->log_bytes > LIM_SSE_REPLAY_BYTES) {
		struct stream_event *old = s->log_head;

		if (old == NULL)
			break;
		s->log_head = old->next;
		if (s->log_head == NULL)
			s->log_tail = NULL;
		s->log_count--;
		s->log_bytes -= old->len;
		free(old);
	}
}

/* Formats one event; data lines are split so that a stray newline can never
 * end the event early. */
static void
frame_event(struct buf *f, uint64_t stream, uint64_t seq, const char *data, size_t len)
{
	size_t i;
	size_t start = 0;

	buf_appendf(f, "id: %" PRIu64 "-%" PRIu64 "\n", stream, seq);
	for (i = 0; i <= len; i++) {
		if (i == len || data[i] == '\n' || data[i] == '\r') {
			buf_puts(f, "data: ");
			buf_append(f, data + start, i - start);
			buf_putc(f, '\n');
			start = i + 1;
		}
	}
	buf_putc(f, '\n');
}

static enum ig_err
stream_event_add(struct stream *s, const char *data, size_t len, bool final)
{
	struct buf frame;
	enum ig_err err = IG_OK;
	uint64_t seq;

	buf_init(&frame, LIM_STREAM_EVENT);
	pthread_mutex_lock(&s->hub->lock);
	if (s->finished || s->cancelled) {
		err = IG_EINVAL;
		goto out;
	}
	seq = s->next_seq++;
	frame_event(&frame, s->id, seq, data, len);
	if ((err = buf_err(&frame)) != IG_OK)
		goto out;
	stream_log_add(s, seq, frame.p, frame.len);
	if (s->conn != NULL || !s->ever_attached) {
		buf_append(&s->out, frame.p, frame.len);
		if ((err = buf_err(&s->out)) != IG_OK) {
			/* The reader stopped reading: end this connection; a resumable
			 * stream can still be picked up again from the log. */
			buf_reset(&s->out);
			s->closing = true;
		}
	}
	if (final)
		s->finished = true;
	s->last_write = now_s();
	s->last_event = s->last_write;
	stream_wake_locked(s);
out:
	pthread_mutex_unlock(&s->hub->lock);
	buf_free(&frame);
	return err;
}

enum ig_err
stream_send(struct stream *s, const char *data, size_t len)
{
	return stream_event_add(s, data, len, false);
}

enum ig_err
stream_finish(struct stream *s, const char *data, size_t len)
{
	return stream_event_add(s, data, len, true);
}

enum ig_err
stream_prime(struct stream *s, unsigned retry_ms)
{
	enum ig_err err;

	pthread_mutex_lock(&s->hub->lock);
	buf_appendf(&s->out, "id: %" PRIu64 "-0\n", s->id);
	if (retry_ms > 0)
		buf_appendf(&s->out, "retry: %u\n", retry_ms);
	buf_puts(&s->out, "data: \n\n");
	err = buf_err(&s->out);
	stream_wake_locked(s);
	pthread_mutex_unlock(&s->hub->lock);
	return err;
}

static void
stream_keepalive_locked(struct stream *s, int64_t now)
{
	if (s->conn == NULL || s->finished || s->cancelled)
		return;
	buf_puts(&s->out, ": keep-alive\n\n");
	if (buf_err(&s->out) != IG_OK) {
		buf_reset(&s->out);
		s->closing = true;
	}
	s->last_write = now;
	stream_wake_locked(s);
}

void
stream_keepalive(struct stream *s)
{
	pthread_mutex_lock(&s->hub->lock);
	stream_keepalive_locked(s, now_s());
	pthread_mutex_unlock(&s->hub->lock);
}

void
stream_close_connection(struct stream *s)
{
	pthread_mutex_lock(&s->hub->lock);
	if (s->conn != NULL) {
		s->closing = true;
		stream_wake_locked(s);
	} else if (!s->ever_attached) {
		s->close_on_attach = true;
	}
	pthread_mutex_unlock(&s->hub->lock);
}

static void
stream_cancel_locked(struct stream *s)
{
	s->cancelled = true;
	stream_wake_locked(s);
}

void
stream_cancel(struct stream *s)
{
	pthread_mutex_lock(&s->hub->lock);
	stream_cancel_locked(s);
	pthread_mutex_unlock(&s->hub->lock);
}

bool
stream_cancelled(struct stream *s)
{
	bool c;

	pthread_mutex_lock(&s->hub->lock);
	c = s->cancelled;
	pthread_mutex_unlock(&s->hub->lock);
	return c;
}

bool
stream_finished(struct stream *s)
{
	bool f;

	pthread_mutex_lock(&s->hub->lock);
	f = s->finished;
	pthread_mutex_unlock(&s->hub->lock);
	return f;
}

enum ig_err
stream_attach(struct stream *s, void *conn, stream_wake_fn wake, uint64_t last_seq)
{
	struct stream_event *e;
	enum ig_err err = IG_OK;

	pthread_mutex_lock(&s->hub->lock);
	if (s->cancelled) {
		err = IG_ENOTFOUND;
		goto out;
	}
	if (s->conn != NULL) {
		/* The newest connection wins (issue #12 B6): a client that
		 * reconnects has dropped the old one, even when the server has
		 * not noticed yet (no FIN; only failed keep-alives would tell,
		 * tens of seconds later, and SDK clients stop retrying before).
		 * The old reader ends at its next read (it is woken if it
		 * waits); bytes queued for it may be half a frame, so they go. */
		if (s->suspended) {
			s->suspended = false;
			s->wake(s->conn);
		}
		buf_reset(&s->out);
	}
	s->conn = conn;
	s->wake = wake;
	s->suspended = false;
	s->closing = s->close_on_attach;
	s->close_on_attach = false;
	s->ever_attached = true;
	s->last_event = now_s();
	if (last_seq != UINT64_MAX) {
		/* resumption: the log is the truth, not what the last connection
		 * had queued */
		buf_reset(&s->out);
		for (e = s->log_head; e != NULL; e = e->next) {
			if (e->seq > last_seq)
				buf_append(&s->out, e->frame, e->len);
		}
		if (buf_err(&s->out) != IG_OK)
			buf_reset(&s->out);
	}
out:
	pthread_mutex_unlock(&s->hub->lock);
	return err;
}

bool
stream_detach(struct stream *s, void *conn)
{
	bool gone = false;

	pthread_mutex_lock(&s->hub->lock);
	if (s->conn == conn) {
		gone = !s->finished && !s->cancelled && !s->closing;
		s->conn = NULL;
		s->suspended = false;
		s->closing = false;
		buf_reset(&s->out);
	}
	pthread_mutex_unlock(&s->hub->lock);
	return gone;
}

enum stream_read_status
stream_read(struct stream *s, void *conn, char *out, size_t max, size_t *n_r,
	    void (*suspend)(void *conn))
{
	enum stream_read_status st;
	size_t n;

	*n_r = 0;
	pthread_mutex_lock(&s->hub->lock);
	if (s->conn == conn && s->out.len > 0 && !s->cancelled) {
		n = s->out.len < max ? s->out.len : max;
		memcpy(out, s->out.p, n);
		buf_consume(&s->out, n);
		*n_r = n;
		st = STREAM_DATA;
	} else if (s->conn != conn || s->finished || s->cancelled || s->closing) {
		st = STREAM_END;
	} else {
		suspend(conn);
		s->suspended = true;
		st = STREAM_WAIT;
	}
	pthread_mutex_unlock(&s->hub->lock);
	return st;
}

int64_t
stream_idle_s(struct stream *s, int64_t now)
{
	int64_t idle;

	pthread_mutex_lock(&s->hub->lock);
	idle = now - s->last_write;
	pthread_mutex_unlock(&s->hub->lock);
	return idle;
}

void
stream_hub_tick(struct stream_hub *hub, int64_t now, int64_t keepalive_s, int64_t idle_s)
{
	struct stream *s;

	pthread_mutex_lock(&hub->lock);
	for (s = hub->head; s != NULL; s = s->hub_next) {
		if (s->conn == NULL)
			continue;
		/* A standalone stream with nothing to say for this long is
		 * ended; the client reconnects when it wants to listen again.
		 * Keep-alives alone must not hold a connection forever. */
		if (s->listener && idle_s > 0 && now - s->last_event >= idle_s) {
			s->closing = true;
			stream_wake_locked(s);
		} else if (now - s->last_write >= keepalive_s) {
			stream_keepalive_locked(s, now);
		}
	}
	pthread_mutex_unlock(&hub->lock);
}

void
stream_hub_cancel_all(struct stream_hub *hub)
{
	struct stream *s;

	pthread_mutex_lock(&hub->lock);
	for (s = hub->head; s != NULL; s = s->hub_next)
		stream_cancel_locked(s);
	pthread_mutex_unlock(&hub->lock);
}

void
stream_mark_listener(struct stream *s)
{
	pthread_mutex_lock(&s->hub->lock);
	s->listener = true;
	pthread_mutex_unlock(&s->hub->lock);
}

void
stream_hub_cancel_listeners(struct stream_hub *hub)
{
	struct stream *s;

	pthread_mutex_lock(&hub->lock);
	for (s = hub->head; s != NULL; s = s->hub_next) {
		if (s->listener)
			stream_cancel_locked(s);
	}
	pthread_mutex_unlock(&hub->lock);
}

size_t
stream_hub_attached(struct stream_hub *hub)
{
	struct stream *s;
	size_t n = 0;

	pthread_mutex_lock(&hub->lock);
	for (s = hub->head; s != NULL; s = s->hub_next)
		n += s->conn != NULL;
	pthread_mutex_unlock(&hub->lock);
	return n;
}

bool
stream_event_id_parse(const char *s, size_t len, uint64_t *stream_r, uint64_t *seq_r)
{
	uint64_t v[2] = {0, 0};
	size_t i;
	int part = 0;
	bool digit = false;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '-' && part == 0 && digit) {
			part = 1;
			digit = false;
			continue;
		}
		if (c < '0' || c > '9')
			return false;
		if (__builtin_mul_overflow(v[part], 10, &v[part]) ||
		    __builtin_add_overflow(v[part], (uint64_t)(c - '0'), &v[part]))
			return false;
		digit = true;
	}
	if (part != 1 || !digit)
		return false;
	*stream_r = v[0];
	*seq_r = v[1];
	return true;
}
