/* MCP sessions, Streamable HTTP transport "Session Management" (revisions
 * 2025-03-26 .. 2025-11-25). */
#include "server/session.h"

#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "base/limits.h"
#include "server/stream.h"

struct sess {
	struct sess_table *t;
	struct sess *next; /* hash chain */
	unsigned refs;     /* table holds one while live */
	bool live;
	char id[SESS_ID_LEN + 1];
	int64_t token_id;
	char proto[LIM_PROTOCOL_VERSION + 1];
	int log_level;
	int64_t last_used;
	uint64_t seq;      /* creation order: ties in last_used (seconds) go oldest first */
	uint64_t next_stream;
	struct stream *streams[SESS_STREAMS];
	struct stream *standalone;
};

struct sess_table {
	pthread_mutex_t lock;
	size_t cap;
	size_t token_cap; /* sessions one token may hold */
	uint64_t next_seq;
	size_t count;
	int64_t idle_s;
	size_t nbuckets;
	struct sess **buckets;
};

static size_t
sess_hash(const char *id, size_t len, size_t nbuckets)
{
	uint64_t h = 1469598103934665603ULL;
	size_t i;

	/* ids are random already; FNV just spreads them over the buckets */
	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)id[i]) * 1099511628211ULL;
	return (size_t)(h % nbuckets);
}

struct sess_table *
sess_table_new(size_t cap, int64_t idle_s)
{
	struct sess_table *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->cap = cap;
	t->token_cap = cap < LIM_SESSIONS_PER_TOKEN ? cap : LIM_SESSIONS_PER_TOKEN;
	t->idle_s = idle_s;
	t->nbuckets = cap < 16 ? 16 : cap;
	t->buckets = calloc(t->nbuckets, sizeof(struct sess *));
	if (t->buckets == NULL || pthread_mutex_init(&t->lock, NULL) != 0) {
		free(t->buckets);
		free(t);
		return NULL;
	}
	return t;
}

static void
sess_release_streams(struct sess *s)
{
	size_t i;

	for (i = 0; i < SESS_STREAMS; i++) {
		if (s->streams[i] != NULL) {
			stream_cancel(s->streams[i]);
			stream_unref(s->streams[i]);
			s->streams[i] = NULL;
		}
	}
	if (s->standalone != NULL) {
		stream_cancel(s->standalone);
		stream_unref(s->standalone);
		s->standalone = NULL;
	}
}

/* Lock held. Unlinks s from the table and drops the table's reference;
 * returns true when the caller must free it (no other references). */
static bool
sess_unlink_locked(struct sess_table *t, struct sess *s)
{
	struct sess **pp = &t->buckets[sess_hash(s->id, SESS_ID_LEN, t->nbuckets)];

	while (*pp != NULL && *pp != s)
		pp = &(*pp)->next;
	if (*pp == s)
		*pp = s->next;
	s->live = false;
	t->count--;
	return --s->refs == 0;
}

static void
sess_destroy(struct sess *s)
{
	sess_release_streams(s);
	free(s);
}

void
sess_table_free(struct sess_table *t)
{
	size_t i;
	struct sess *s;

	if (t == NULL)
		return;
	for (i = 0; i < t->nbuckets; i++) {
		while ((s = t->buckets[i]) != NULL) {
			t->buckets[i] = s->next;
			sess_destroy(s);
		}
	}
	pthread_mutex_destroy(&t->lock);
	free(t->buckets);
	free(t);
}

/* Lock held. Collects expired sessions onto *dead (chained by next). */
static size_t
sess_expire_locked(struct sess_table *t, int64_t now, struct sess **dead)
{
	size_t i;
	size_t n = 0;
	struct sess **pp;
	struct sess *s;

	for (i = 0; i < t->nbuckets; i++) {
		pp = &t->buckets[i];
		while ((s = *pp) != NULL) {
			if (now - s->last_used < t->idle_s) {
				pp = &s->next;
				continue;
			}
			*pp = s->next;
			s->live = false;
			t->count--;
			n++;
			if (--s->refs == 0) {
				s->next = *dead;
				*dead = s;
			}
		}
	}
	return n;
}

/* Lock held. Keeps token_id under its share of the table so that one tenant
 * never fills it for the others: at the share, the token's least recently
 * used session that no request holds is evicted (onto *dead when it must be
 * freed). Returns false when every one of its sessions is in use. */
static bool
sess_token_make_room_locked(struct sess_table *t, int64_t token_id, struct sess **dead)
{
	struct sess *oldest = NULL;
	struct sess *s;
	size_t n = 0;
	size_t i;

	for (i = 0; i < t->nbuckets; i++) {
		for (s = t->buckets[i]; s != NULL; s = s->next) {
			if (s->token_id != token_id)
				continue;
			n++;
			if (s->refs == 1 &&
			    (oldest == NULL || s->last_used < oldest->last_used ||
			     (s->last_used == oldest->last_used && s->seq < oldest->seq)))
				oldest = s;
		}
	}
	if (n < t->token_cap)
		return true;
	if (oldest == NULL)
		return false;
	if (sess_unlink_locked(t, oldest)) {
		oldest->next = *dead;
		*dead = oldest;
	}
	return true;
}

static void
sess_free_list(struct sess *dead)
{
	struct sess *s;

	while ((s = dead) != NULL) {
		dead = s->next;
		sess_destroy(s);
	}
}

enum ig_err
sess_create(struct sess_table *t, int64_t token_id, const char *proto, int64_t now,
	    struct sess **s_r)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char rnd[SESS_ID_LEN / 2];
	struct sess *dead = NULL;
	struct sess *s;
	size_t i;
	size_t b;

	*s_r = NULL;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return IG_ENOMEM;
	randombytes_buf(rnd, sizeof(rnd));
	for (i = 0; i < sizeof(rnd); i++) {
		s->id[2 * i] = hex[rnd[i] >> 4];
		s->id[2 * i + 1] = hex[rnd[i] & 15];
	}
	s->id[SESS_ID_LEN] = '\0';
	s->t = t;
	s->token_id = token_id;
	s->log_level = -1;
	s->last_used = now;
	s->next_stream = 1;
	s->live = true;
	s->refs = 2; /* the table's and the caller's */
	(void)strncpy(s->proto, proto, sizeof(s->proto) - 1);

	pthread_mutex_lock(&t->lock);
	if (t->count >= t->cap)
		(void)sess_expire_locked(t, now, &dead);
	if (!sess_token_make_room_locked(t, token_id, &dead) || t->count >= t->cap) {
		pthread_mutex_unlock(&t->lock);
		sess_free_list(dead);
		free(s);
		return IG_EBUSY;
	}
	s->seq = t->next_seq++;
	b = sess_hash(s->id, SESS_ID_LEN, t->nbuckets);
	s->next = t->buckets[b];
	t->buckets[b] = s;
	t->count++;
	pthread_mutex_unlock(&t->lock);
	sess_free_list(dead);
	*s_r = s;
	return IG_OK;
}

enum ig_err
sess_find(struct sess_table *t, struct slice id, int64_t token_id, int64_t now, struct sess **s_r)
{
	struct sess *s;
	struct sess *found = NULL;
	bool dead = false;

	*s_r = NULL;
	if (id.len != SESS_ID_LEN)
		return IG_ENOTFOUND;
	pthread_mutex_lock(&t->lock);
	for (s = t->buckets[sess_hash(id.p, id.len, t->nbuckets)]; s != NULL; s = s->next) {
		if (sodium_memcmp(s->id, id.p, SESS_ID_LEN) == 0) {
			found = s;
			break;
		}
	}
	if (found != NULL && now - found->last_used >= t->idle_s) {
		dead = sess_unlink_locked(t, found);
		if (!dead)
			found = NULL;
	} else if (found != NULL && found->token_id == token_id) {
		found->last_used = now;
		found->refs++;
		*s_r = found;
	}
	pthread_mutex_unlock(&t->lock);
	if (dead)
		sess_destroy(found);
	return *s_r != NULL ? IG_OK : IG_ENOTFOUND;
}

void
sess_ref(struct sess *s)
{
	pthread_mutex_lock(&s->t->lock);
	s->refs++;
	pthread_mutex_unlock(&s->t->lock);
}

void
sess_unref(struct sess *s)
{
	struct sess_table *t;
	bool last;

	if (s == NULL)
		return;
	t = s->t;
	pthread_mutex_lock(&t->lock);
	last = --s->refs == 0;
	pthread_mutex_unlock(&t->lock);
	if (last)
		sess_destroy(s);
}

void
sess_terminate(struct sess *s)
{
	struct sess_table *t = s->t;
	bool last = false;
	struct stream *streams[SESS_STREAMS + 1];
	size_t i;
	size_t n = 0;

	pthread_mutex_lock(&t->lock);
	if (s->live)
		last = sess_unlink_locked(t, s);
	/* Cancel outside the table lock: streams take the hub lock. */
	for (i = 0; i < SESS_STREAMS; i++) {
		if (s->streams[i] != NULL) {
			streams[n++] = s->streams[i];
			stream_ref(s->streams[i]);
		}
	}
	if (s->standalone != NULL) {
		streams[n++] = s->standalone;
		stream_ref(s->standalone);
	}
	pthread_mutex_unlock(&t->lock);
	for (i = 0; i < n; i++) {
		stream_cancel(streams[i]);
		stream_unref(streams[i]);
	}
	if (last)
		sess_destroy(s);
}

size_t
sess_expire(struct sess_table *t, int64_t now)
{
	struct sess *dead = NULL;
	size_t n;

	pthread_mutex_lock(&t->lock);
	n = sess_expire_locked(t, now, &dead);
	pthread_mutex_unlock(&t->lock);
	sess_free_list(dead);
	return n;
}

size_t
sess_count(struct sess_table *t)
{
	size_t n;

	pthread_mutex_lock(&t->lock);
	n = t->count;
	pthread_mutex_unlock(&t->lock);
	return n;
}

const char *
sess_id(const struct sess *s)
{
	return s->id;
}

int64_t
sess_token_id(const struct sess *s)
{
	return s->token_id;
}

void
sess_proto(struct sess *s, char *out, size_t outsz)
{
	pthread_mutex_lock(&s->t->lock);
	(void)strncpy(out, s->proto, outsz - 1);
	out[outsz - 1] = '\0';
	pthread_mutex_unlock(&s->t->lock);
}

void
sess_set_log_level(struct sess *s, int level)
{
	pthread_mutex_lock(&s->t->lock);
	s->log_level = level;
	pthread_mutex_unlock(&s->t->lock);
}

int
sess_log_level(struct sess *s)
{
	int level;

	pthread_mutex_lock(&s->t->lock);
	level = s->log_level;
	pthread_mutex_unlock(&s->t->lock);
	return level;
}

uint64_t
sess_next_stream_id(struct sess *s)
{
	uint64_t id;

	pthread_mutex_lock(&s->t->lock);
	id = s->next_stream++;
	pthread_mutex_unlock(&s->t->lock);
	return id;
}

enum ig_err
sess_stream_add(struct sess *s, struct stream *st)
{
	struct stream *evict = NULL;
	size_t i;
	size_t slot = SESS_STREAMS;
	uint64_t oldest = UINT64_MAX;

	pthread_mutex_lock(&s->t->lock);
	for (i = 0; i < SESS_STREAMS; i++) {
		if (s->streams[i] == NULL) {
			slot = i;
			break;
		}
	}
	if (slot == SESS_STREAMS) {
		/* forget the oldest finished stream (ids grow monotonically) */
		for (i = 0; i < SESS_STREAMS; i++) {
			if (stream_finished(s->streams[i]) && stream_id(s->streams[i]) < oldest) {
				oldest = stream_id(s->streams[i]);
				slot = i;
			}
		}
	}
	if (slot == SESS_STREAMS) {
		pthread_mutex_unlock(&s->t->lock);
		return IG_EBUSY;
	}
	evict = s->streams[slot];
	stream_ref(st);
	s->streams[slot] = st;
	pthread_mutex_unlock(&s->t->lock);
	stream_unref(evict);
	return IG_OK;
}

struct stream *
sess_stream_find(struct sess *s, uint64_t id)
{
	struct stream *found = NULL;
	size_t i;

	pthread_mutex_lock(&s->t->lock);
	if (s->standalone != NULL && stream_id(s->standalone) == id)
		found = s->standalone;
	for (i = 0; found == NULL && i < SESS_STREAMS; i++) {
		if (s->streams[i] != NULL && stream_id(s->streams[i]) == id)
			found = s->streams[i];
	}
	if (found != NULL)
		stream_ref(found);
	pthread_mutex_unlock(&s->t->lock);
	return found;
}

struct stream *
sess_standalone(struct sess *s, struct stream_hub *hub)
{
	struct stream *st;

	pthread_mutex_lock(&s->t->lock);
	if (s->standalone == NULL) {
		s->standalone = stream_new(hub, s->next_stream++, true);
		if (s->standalone != NULL)
			stream_mark_listener(s->standalone);
	}
	st = s->standalone;
	if (st != NULL)
		stream_ref(st);
	pthread_mutex_unlock(&s->t->lock);
	return st;
}
