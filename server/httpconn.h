#ifndef IG_SERVER_HTTPCONN_H
#define IG_SERVER_HTTPCONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "server/httphead.h"

/* Connection bookkeeping for the HTTP front end (issue 12, A6): every open
 * connection with its phase and deadline, the per-address and global caps,
 * the request deadline (slowloris), and the per-token caps on open streams
 * and in-flight calls. libmicrohttpd's own limits queue connections past the
 * cap in the listen backlog and time out silence only; this table refuses or
 * evicts instead, and its reaper thread closes requests that take too long
 * to arrive. Thread-safe: one mutex. */

struct hconn_table;
struct hconn;

struct hconn_limits {
	size_t max_connections;      /* open connections */
	size_t per_client;           /* connections (direct) / requests (proxied) per client */
	unsigned request_timeout_s;  /* from open or the previous response to a whole request */
	size_t streams_per_token;    /* SSE responses open at once */
	size_t calls_per_token;      /* other /mcp requests in progress at once */
	const struct netaddr_net *trusted; /* trusted_proxies; borrowed for the table's life */
	size_t n_trusted;
};

/* Returns a table with its reaper thread running, or NULL. */
struct hconn_table *hconn_table_new(const struct hconn_limits *lim);
/* Stops and joins the reaper; every hconn must have been closed. NULL-safe. */
void hconn_table_free(struct hconn_table *t);

/* The accept policy, before the connection exists. At the global cap (or at
 * the peer's per-address cap, unless the peer is a trusted proxy) the oldest
 * connection still waiting for its request is shut down to make room (of the
 * same address when the address is what is full); when none is waiting, the
 * new one is refused: nothing waits unaccepted in the backlog. */
bool hconn_admit(struct hconn_table *t, const struct sockaddr *peer, socklen_t len);
/* Registers an accepted connection (waiting for its first request). NULL
 * when out of memory (the caller closes the connection). */
struct hconn *hconn_open(struct hconn_table *t, int fd, const struct sockaddr *peer,
			 socklen_t len);
/* Forgets c; before libmicrohttpd closes its socket. NULL-safe. */
void hconn_close(struct hconn_table *t, struct hconn *c);

/* The request on c has fully arrived: no deadline until hconn_idle. */
void hconn_received(struct hconn_table *t, struct hconn *c);
/* c's response ended (keep-alive): the next request's deadline starts. */
void hconn_idle(struct hconn_table *t, struct hconn *c);

/* True when c's peer is one of trusted_proxies. */
bool hconn_peer_trusted(const struct hconn *c);
/* Sets the address the request's client has: addr (the one trusted proxies
 * named), or the peer's when addr is NULL. Returns false when that client already has per_client
 * other connections with requests: the caller answers 503. */
bool hconn_set_client(struct hconn_table *t, struct hconn *c, const uint8_t addr[16]);
/* The client address in text (numeric, from inet_ntop) for the log. */
void hconn_client_str(const struct hconn *c, char *out, size_t outsz);

enum hconn_slot { HCONN_SLOT_NONE, HCONN_SLOT_STREAM, HCONN_SLOT_CALL };
/* Takes one slot of kind for token_id; false when the token is at its cap.
 * Every successful acquire is paired with one release. */
bool hconn_token_acquire(struct hconn_table *t, int64_t token_id, enum hconn_slot kind);
void hconn_token_release(struct hconn_table *t, int64_t token_id, enum hconn_slot kind);

/* Shuts down the connections whose request deadline passed by now_ms
 * (CLOCK_MONOTONIC milliseconds); returns how many. The reaper thread calls
 * it every 250 ms; tests may call it directly. */
size_t hconn_reap(struct hconn_table *t, int64_t now_ms);
/* Open connections (evicted ones not counted). */
size_t hconn_count(struct hconn_table *t);

/* The 16-byte form (IPv4 mapped) of a socket address; false for others. */
bool hconn_addr_of(const struct sockaddr *sa, socklen_t len, uint8_t out[16]);

#endif
