#ifndef IG_SERVER_SESSION_H
#define IG_SERVER_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/slice.h"

/* Legacy-era MCP sessions (Mcp-Session-Id): 128-bit random ids shown as 32
 * hex characters, each bound to the token that created it, held in a capped
 * table with idle expiry. A session names its SSE streams so that a client
 * can resume one with Last-Event-ID; it never sees another session's streams.
 * Thread-safe: one mutex per table. */

#define SESS_ID_LEN 32
#define SESS_STREAMS 32 /* streams remembered per session for resumption */

struct sess_table;
struct sess;
struct stream;
struct stream_hub;

/* Returns a table holding at most cap sessions, each expiring after idle_s
 * seconds without a request; or NULL. */
struct sess_table *sess_table_new(size_t cap, int64_t idle_s);
/* Frees every session (their streams are cancelled); NULL-safe. */
void sess_table_free(struct sess_table *t);

/* Creates a session owned by token_id that negotiated proto. Expires idle
 * sessions first when full; IG_EBUSY if still full. A token holds at most
 * LIM_SESSIONS_PER_TOKEN (or cap, if smaller): past that its least recently
 * used session that no request holds is evicted, and IG_EBUSY when all of
 * them are in use, so one token never fills the table for the others. *s_r
 * carries a reference the caller drops with sess_unref. */
enum ig_err sess_create(struct sess_table *t, int64_t token_id, const char *proto, int64_t now,
			struct sess **s_r) IG_MUST_CHECK;
/* Finds a live session by id for token_id and marks it used. IG_ENOTFOUND
 * when unknown, expired, terminated or owned by another token — the same
 * answer, so ids cannot be probed across tokens. */
enum ig_err sess_find(struct sess_table *t, struct slice id, int64_t token_id, int64_t now,
		      struct sess **s_r) IG_MUST_CHECK;
void sess_ref(struct sess *s);
void sess_unref(struct sess *s); /* NULL-safe */
/* Terminates (DELETE): later finds fail and its streams are cancelled. */
void sess_terminate(struct sess *s);
/* Expires sessions idle for too long; returns how many. */
size_t sess_expire(struct sess_table *t, int64_t now);
size_t sess_count(struct sess_table *t);

/* Accessors (values are copied under the table lock). */
const char *sess_id(const struct sess *s); /* immutable */
int64_t sess_token_id(const struct sess *s); /* immutable */
void sess_proto(struct sess *s, char *out, size_t outsz);
void sess_set_log_level(struct sess *s, int level);
int sess_log_level(struct sess *s); /* -1: never set */
uint64_t sess_next_stream_id(struct sess *s);

/* Remembers stream (takes a reference) for resumption; the oldest finished
 * stream is forgotten when SESS_STREAMS are held. IG_EBUSY if all are live. */
enum ig_err sess_stream_add(struct sess *s, struct stream *st) IG_MUST_CHECK;
/* Returns a referenced stream of this session by id, or NULL. */
struct stream *sess_stream_find(struct sess *s, uint64_t id);
/* The standalone GET stream: returns it referenced, creating it with hub when
 * absent; NULL on allocation failure. */
struct stream *sess_standalone(struct sess *s, struct stream_hub *hub);

#endif
