#ifndef IG_SERVER_STREAM_H
#define IG_SERVER_STREAM_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"

/* An SSE stream (MCP Streamable HTTP): the logical sequence of events the
 * server sends in answer to one POST, or on a session's standalone GET. It
 * outlives the HTTP connection that carries it so that a client can resume
 * with Last-Event-ID (replay from a bounded per-stream log). Event ids are
 * "<stream>-<seq>", unique across every stream of a session.
 *
 * All functions lock the stream hub's mutex; none blocks. A producer (tool
 * worker) appends events; the HTTP layer reads bytes and is woken through the
 * callback it registered when it attached. */

struct stream_hub;
struct stream;

/* Called with the hub lock held when bytes become available for a suspended
 * reader or the stream ends. Must not block or call back into the hub. */
typedef void (*stream_wake_fn)(void *conn);

/* Returns a new hub (one per server), or NULL. */
struct stream_hub *stream_hub_new(void);
void stream_hub_free(struct stream_hub *hub); /* NULL-safe; all streams released */
pthread_mutex_t *stream_hub_lock(struct stream_hub *hub);

/* Creates a stream with the given id; one reference owned by the caller.
 * resumable: keep a replay log (legacy sessions). */
struct stream *stream_new(struct stream_hub *hub, uint64_t id, bool resumable);
void stream_ref(struct stream *s);
void stream_unref(struct stream *s); /* NULL-safe */
uint64_t stream_id(const struct stream *s);

/* Appends one SSE event carrying data (a JSON-RPC message, one line) and
 * wakes the reader. Returns IG_ELIMIT when the undelivered queue is full
 * (a reader that stopped reading), IG_EINVAL after the stream finished. */
enum ig_err stream_send(struct stream *s, const char *data, size_t len);
/* Appends the final event (the response) and marks the stream finished: the
 * reader gets end-of-stream after draining. */
enum ig_err stream_finish(struct stream *s, const char *data, size_t len);
/* Queues the priming event (id + empty data, and retry: when retry_ms > 0). */
enum ig_err stream_prime(struct stream *s, unsigned retry_ms);
/* Appends an SSE comment line (keep-alive); never stored for replay. */
void stream_keepalive(struct stream *s);
/* Ends the current connection without finishing the stream (SSE polling:
 * the client reconnects with Last-Event-ID and gets the rest). */
void stream_close_connection(struct stream *s);
/* Marks the stream cancelled (client gone for good, session deleted, or
 * shutdown) and ends any attached connection. */
void stream_cancel(struct stream *s);
bool stream_cancelled(struct stream *s);
bool stream_finished(struct stream *s);

/* Attaches a connection. last_seq == UINT64_MAX: deliver what is queued
 * (events sent before the first attach are queued) and new events;
 * otherwise replay the log after last_seq. A connection already attached is
 * replaced: it gets end-of-stream at its next stream_read (woken if
 * suspended) and its stream_detach is a no-op. IG_ENOTFOUND if the stream
 * was cancelled. */
enum ig_err stream_attach(struct stream *s, void *conn, stream_wake_fn wake, uint64_t last_seq);
/* Detaches conn (no-op if another connection is attached now). Returns true
 * when the stream had not finished and was not closed by the server, i.e.
 * the client went away mid-stream. */
bool stream_detach(struct stream *s, void *conn);

enum stream_read_status { STREAM_DATA, STREAM_WAIT, STREAM_END };
/* Copies up to max queued bytes for conn into out (*n_r). STREAM_WAIT: nothing
 * now, and suspend(conn) has been called under the lock, so a concurrent
 * producer's wake cannot be lost. STREAM_END: the connection should end. */
enum stream_read_status stream_read(struct stream *s, void *conn, char *out, size_t max,
				    size_t *n_r, void (*suspend)(void *conn));

/* Seconds since the last byte was queued (for keep-alive and idle limits). */
int64_t stream_idle_s(struct stream *s, int64_t now);

/* Sends a keep-alive comment to every attached stream idle for at least
 * keepalive_s, and ends the connection of standalone (listener) streams
 * without a real event for idle_s (0: never); called from the ticker. */
void stream_hub_tick(struct stream_hub *hub, int64_t now, int64_t keepalive_s, int64_t idle_s);
/* Cancels every stream (shutdown): attached readers are woken and end. */
void stream_hub_cancel_all(struct stream_hub *hub);
/* Marks a standalone GET stream: it has no end of its own, so shutdown
 * ends it first (stream_hub_cancel_listeners). */
void stream_mark_listener(struct stream *s);
void stream_hub_cancel_listeners(struct stream_hub *hub);
/* Number of streams with an attached connection. */
size_t stream_hub_attached(struct stream_hub *hub);

/* Parses an event id "<stream>-<seq>". */
bool stream_event_id_parse(const char *s, size_t len, uint64_t *stream_r, uint64_t *seq_r);

#endif
