/* Connection limits of the HTTP front end: caps that refuse or evict rather
 * than queue, a whole-request deadline against slow senders (the "slowloris"
 * attack), client addresses behind trusted proxies, per-token caps. See
 * httpconn.h and docs/deployment.md. */
#include "server/httpconn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum phase {
	PH_WAITING, /* no complete request yet: deadline runs, may be evicted */
	PH_BUSY,    /* request received: being answered (calls, streams) */
};

struct hconn {
	struct hconn *prev;
	struct hconn *next;
	int fd;
	enum phase phase;
	bool evicted;       /* shut down by us; libmicrohttpd has yet to close it */
	bool trusted_peer;
	int64_t since_ms;   /* when the current wait began */
	uint8_t peer[16];
	uint8_t client[16]; /* peer, or the address trusted proxies named */
};

struct tok_count {
	struct tok_count *next;
	int64_t token_id;
	size_t streams;
	size_t calls;
};

struct hconn_table {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t reaper;
	bool stop;
	struct hconn_limits lim;
	struct hconn *head; /* oldest first */
	struct hconn *tail;
	size_t count;       /* not evicted */
	struct tok_count *tokens;
};

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool
hconn_addr_of(const struct sockaddr *sa, socklen_t len, uint8_t out[16])
{
	if (sa == NULL)
		return false;
	if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *in4 = (const struct sockaddr_in *)(const void *)sa;

		memset(out, 0, 10);
		out[10] = 0xff;
		out[11] = 0xff;
		memcpy(out + 12, &in4->sin_addr, 4);
		return true;
	}
	if (sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;

		memcpy(out, &in6->sin6_addr, 16);
		return true;
	}
	return false;
}

static void *
reaper_main(void *arg)
{
	struct hconn_table *t = arg;

	pthread_mutex_lock(&t->lock);
	while (!t->stop) {
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += 250L * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		(void)pthread_cond_timedwait(&t->cond, &t->lock, &ts);
		if (t->stop)
			break;
		pthread_mutex_unlock(&t->lock);
		(void)hconn_reap(t, mono_ms());
		pthread_mutex_lock(&t->lock);
	}
	pthread_mutex_unlock(&t->lock);
	return NULL;
}

struct hconn_table *
hconn_table_new(const struct hconn_limits *lim)
{
	struct hconn_table *t = calloc(1, sizeof(*t));
	pthread_condattr_t ca;

	if (t == NULL)
		return NULL;
	t->lim = *lim;
	if (pthread_mutex_init(&t->lock, NULL) != 0) {
		free(t);
		return NULL;
	}
	if (pthread_condattr_init(&ca) != 0 ||
	    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0 ||
	    pthread_cond_init(&t->cond, &ca) != 0) {
		pthread_mutex_destroy(&t->lock);
		free(t);
		return NULL;
	}
	(void)pthread_condattr_destroy(&ca);
	if (pthread_create(&t->reaper, NULL, reaper_main, t) != 0) {
		pthread_cond_destroy(&t->cond);
		pthread_mutex_destroy(&t->lock);
		free(t);
		return NULL;
	}
	return t;
}

void
hconn_table_free(struct hconn_table *t)
{
	struct tok_count *tc;

	if (t == NULL)
		return;
	pthread_mutex_lock(&t->lock);
	t->stop = true;
	pthread_cond_signal(&t->cond);
	pthread_mutex_unlock(&t->lock);
	(void)pthread_join(t->reaper, NULL);
	while (t->head != NULL) {
		struct hconn *c = t->head;

		t->head = c->next;
		free(c);
	}
	while ((tc = t->tokens) != NULL) {
		t->tokens = tc->next;
		free(tc);
	}
	pthread_cond_destroy(&t->cond);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

/* Lock held. Shuts c's socket down; libmicrohttpd sees the end of the
 * stream, closes the connection and calls hconn_close. */
static void
evict_locked(struct hconn_table *t, struct hconn *c)
{
	c->evicted = true;
	t->count--;
	(void)shutdown(c->fd, SHUT_RDWR);
}

/* Lock held. The oldest connection still waiting for a request (of addr
 * when addr is not NULL). */
static struct hconn *
oldest_waiting_locked(struct hconn_table *t, const uint8_t *addr)
{
	struct hconn *c;

	for (c = t->head; c != NULL; c = c->next) {
		if (c->evicted || c->phase != PH_WAITING)
			continue;
		if (addr == NULL || memcmp(c->peer, addr, 16) == 0)
			return c;
	}
	return NULL;
}

bool
hconn_admit(struct hconn_table *t, const struct sockaddr *peer, socklen_t len)
{
	uint8_t addr[16];
	struct hconn *c;
	struct hconn *victim;
	size_t same = 0;
	bool ok = true;

	if (!hconn_addr_of(peer, len, addr))
		return false;
	pthread_mutex_lock(&t->lock);
	if (!netaddr_net_match(t->lim.trusted, t->lim.n_trusted, addr)) {
		for (c = t->head; c != NULL; c = c->next) {
			if (!c->evicted && memcmp(c->peer, addr, 16) == 0)
				same++;
		}
		if (same >= t->lim.per_client) {
			victim = oldest_waiting_locked(t, addr);
			if (victim != NULL)
				evict_locked(t, victim);
			else
				ok = false;
		}
	}
	if (ok && t->count >= t->lim.max_connections) {
		victim = oldest_waiting_locked(t, NULL);
		if (victim != NULL)
			evict_locked(t, victim);
		else
			ok = false;
	}
	pthread_mutex_unlock(&t->lock);
	return ok;
}

struct hconn *
hconn_open(struct hconn_table *t, int fd, const struct sockaddr *peer, socklen_t len)
{
	struct hconn *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->fd = fd;
	c->phase = PH_WAITING;
	c->since_ms = mono_ms();
	if (!hconn_addr_of(peer, len, c->peer))
		memset(c->peer, 0, sizeof(c->peer));
	memcpy(c->client, c->peer, 16);
	c->trusted_peer = netaddr_net_match(t->lim.trusted, t->lim.n_trusted, c->peer);
	pthread_mutex_lock(&t->lock);
	c->prev = t->tail;
	if (t->tail != NULL)
		t->tail->next = c;
	else
		t->head = c;
	t->tail = c;
	t->count++;
	pthread_mutex_unlock(&t->lock);
	return c;
}

void
hconn_close(struct hconn_table *t, struct hconn *c)
{
	if (c == NULL)
		return;
	pthread_mutex_lock(&t->lock);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		t->head = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	else
		t->tail = c->prev;
	if (!c->evicted)
		t->count--;
	pthread_mutex_unlock(&t->lock);
	free(c);
}

void
hconn_received(struct hconn_table *t, struct hconn *c)
{
	pthread_mutex_lock(&t->lock);
	c->phase = PH_BUSY;
	pthread_mutex_unlock(&t->lock);
}

void
hconn_idle(struct hconn_table *t, struct hconn *c)
{
	pthread_mutex_lock(&t->lock);
	c->phase = PH_WAITING;
	c->since_ms = mono_ms();
	memcpy(c->client, c->peer, 16);
	pthread_mutex_unlock(&t->lock);
}

bool
hconn_peer_trusted(const struct hconn *c)
{
	return c->trusted_peer;
}

bool
hconn_set_client(struct hconn_table *t, struct hconn *c, const uint8_t addr[16])
{
	struct hconn *o;
	size_t same = 0;

	pthread_mutex_lock(&t->lock);
	memcpy(c->client, addr != NULL ? addr : c->peer, 16);
	for (o = t->head; o != NULL; o = o->next) {
		if (o != c && !o->evicted && o->phase == PH_BUSY &&
		    memcmp(o->client, c->client, 16) == 0)
			same++;
	}
	pthread_mutex_unlock(&t->lock);
	return same < t->lim.per_client;
}

void
hconn_client_str(const struct hconn *c, char *out, size_t outsz)
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	if (memcmp(c->client, mapped, 12) == 0) {
		if (inet_ntop(AF_INET, c->client + 12, out, (socklen_t)outsz) != NULL)
			return;
	} else if (inet_ntop(AF_INET6, c->client, out, (socklen_t)outsz) != NULL) {
		return;
	}
	(void)snprintf(out, outsz, "-");
}

/* Lock held. The counters of token_id, created when create is true. */
static struct tok_count *
tok_find_locked(struct hconn_table *t, int64_t token_id, bool create)
{
	struct tok_count *tc;

	for (tc = t->tokens; tc != NULL; tc = tc->next) {
		if (tc->token_id == token_id)
			return tc;
	}
	if (!create)
		return NULL;
	tc = calloc(1, sizeof(*tc));
	if (tc == NULL)
		return NULL;
	tc->token_id = token_id;
	tc->next = t->tokens;
	t->tokens = tc;
	return tc;
}

bool
hconn_token_acquire(struct hconn_table *t, int64_t token_id, enum hconn_slot kind)
{
	struct tok_count *tc;
	bool ok = false;

	if (kind == HCONN_SLOT_NONE)
		return true;
	pthread_mutex_lock(&t->lock);
	tc = tok_find_locked(t, token_id, true);
	if (tc != NULL && kind == HCONN_SLOT_STREAM && tc->streams < t->lim.streams_per_token) {
		tc->streams++;
		ok = true;
	} else if (tc != NULL && kind == HCONN_SLOT_CALL && tc->calls < t->lim.calls_per_token) {
		tc->calls++;
		ok = true;
	}
	pthread_mutex_unlock(&t->lock);
	return ok;
}

void
hconn_token_release(struct hconn_table *t, int64_t token_id, enum hconn_slot kind)
{
	struct tok_count **pp;
	struct tok_count *tc;

	if (kind == HCONN_SLOT_NONE)
		return;
	pthread_mutex_lock(&t->lock);
	for (pp = &t->tokens; (tc = *pp) != NULL; pp = &tc->next) {
		if (tc->token_id != token_id)
			continue;
		if (kind == HCONN_SLOT_STREAM && tc->streams > 0)
			tc->streams--;
		if (kind == HCONN_SLOT_CALL && tc->calls > 0)
			tc->calls--;
		if (tc->streams == 0 && tc->calls == 0) {
			*pp = tc->next;
			free(tc);
		}
		break;
	}
	pthread_mutex_unlock(&t->lock);
}

size_t
hconn_reap(struct hconn_table *t, int64_t now_ms)
{
	int64_t limit = (int64_t)t->lim.request_timeout_s * 1000;
	struct hconn *c;
	size_t n = 0;

	pthread_mutex_lock(&t->lock);
	for (c = t->head; c != NULL; c = c->next) {
		if (c->evicted || c->phase != PH_WAITING || now_ms - c->since_ms < limit)
			continue;
		evict_locked(t, c);
		n++;
	}
	pthread_mutex_unlock(&t->lock);
	return n;
}

size_t
hconn_count(struct hconn_table *t)
{
	size_t n;

	pthread_mutex_lock(&t->lock);
	n = t->count;
	pthread_mutex_unlock(&t->lock);
	return n;
}
