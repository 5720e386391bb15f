#ifndef IG_STORE_CACHE_H
#define IG_STORE_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/slice.h"

/* cache.db (DESIGN §7): disposable, derived data — per account and folder the
 * sync state (uidvalidity, uidnext, highestmodseq, progress of the initial
 * sync) and the sanitized envelopes of its messages, keyed (account, folder,
 * uidvalidity, uid), with an FTS5 (trigram) index over the envelope text and
 * optionally a sanitized body text.
 *
 * Threads: one struct cache is one SQLite connection, used by one thread at a
 * time (each account worker opens its own). All connections of a process
 * share one struct cache_file, which serializes rebuilds: when any connection
 * finds the file damaged, cache_rebuild moves cache.db (and -wal, -shm) aside
 * as cache.db.damaged-<unix time>-<n>, creates a fresh file and bumps a
 * generation counter; every other connection reopens at its next
 * cache_check(). Nothing read from a damaged file is ever handed out: rows
 * are validated (types, UTF-8, ranges) as they are read, and any
 * SQLITE_CORRUPT / SQLITE_NOTADB, failed quick_check, foreign application_id
 * or user_version at open, or invalid row marks the connection damaged
 * (cache_damaged) and makes the call fail with IG_EDB.
 *
 * Writes are batched by the caller between cache_begin and cache_commit: a
 * folder's sync state is written in the same transaction as its rows, so a
 * crash (kill -9) at any point leaves either the old or the new state, never
 * duplicates or partial rows.
 *
 * Text in and out is length-delimited (struct slice): any bytes, NUL
 * included, round-trip exactly, up to LIM_CACHE_TEXT per value (longer
 * values are refused with IG_ELIMIT). Text read back must be valid UTF-8. */

struct cache;
struct cache_file;

/* Shared by every connection of the process; data_dir is copied. NULL when
 * out of memory. */
struct cache_file *cache_file_new(const char *data_dir);
/* After every connection is closed. NULL-safe. */
void cache_file_free(struct cache_file *f);

/* Opens (creating 0600 if needed) data_dir/cache.db: WAL, busy_timeout
 * LIM_CACHE_BUSY_MS, foreign keys, PRAGMA quick_check, application_id and
 * user_version checked, statements prepared once. A damaged or foreign file
 * is moved aside and recreated (logged; *rebuilt_r set when not NULL).
 * *c_r is owned by the caller (cache_close). IG_EDB / IG_EIO with a static
 * *error_r when even a fresh file cannot be opened. */
enum ig_err cache_open(struct cache_file *f, struct cache **c_r, bool *rebuilt_r,
		       const char **error_r) IG_MUST_CHECK;
void cache_close(struct cache *c); /* NULL-safe; rolls back an open transaction */

/* Marks the connection damaged (a reader found a row whose content fails a
 * check the cache cannot make itself, e.g. JSON that does not parse); why is
 * static text for the log. */
void cache_mark_damaged(struct cache *c, const char *why);
/* True once this connection met damage; the owner should cache_rebuild. */
bool cache_damaged(const struct cache *c);
/* Moves the damaged file aside and reopens a fresh one (once per damage for
 * the whole process: a connection that finds another already rebuilt just
 * reopens). IG_OK when a usable file is open again. */
enum ig_err cache_rebuild(struct cache *c, const char **error_r) IG_MUST_CHECK;
/* Reopens when another connection rebuilt the file since this one opened;
 * rebuilds when this one is damaged. Call before each unit of work. Sets
 * *changed_r when the connection now sees a new, empty file. */
enum ig_err cache_check(struct cache *c, bool *changed_r) IG_MUST_CHECK;
/* Rebuilds performed by the process so far (tests, metrics). */
unsigned cache_generation(const struct cache *c);

/* Transactions (BEGIN IMMEDIATE / COMMIT / ROLLBACK). */
enum ig_err cache_begin(struct cache *c) IG_MUST_CHECK;
enum ig_err cache_commit(struct cache *c) IG_MUST_CHECK;
void cache_rollback(struct cache *c);

/* --- folders --- */

struct cache_folder {
	int64_t id;             /* row id; keys the folder's messages */
	uint32_t uidvalidity;
	uint32_t uidnext;       /* every UID below it is cached (when synced) */
	uint64_t highestmodseq; /* 0: no CONDSTORE */
	bool synced;            /* the initial sync completed */
	uint32_t sync_uid;      /* initial sync: every UID <= this is cached */
	int64_t last_used;      /* unix seconds of the last search (warmth) */
};

/* IG_OK with *f_r; IG_ENOTFOUND when the folder has no row. */
enum ig_err cache_folder_get(struct cache *c, struct slice account, struct slice name,
			     struct cache_folder *f_r) IG_MUST_CHECK;
/* Creates the folder row (uidvalidity set, nothing synced) or, when it
 * exists with another uidvalidity, deletes its messages and resets it
 * (UIDVALIDITY change). *f_r gets the row. Inside a transaction or not. */
enum ig_err cache_folder_reset(struct cache *c, struct slice account, struct slice name,
			       uint32_t uidvalidity, struct cache_folder *f_r) IG_MUST_CHECK;
/* Writes uidnext, highestmodseq, synced and sync_uid of f (by f->id). */
enum ig_err cache_folder_put(struct cache *c, const struct cache_folder *f) IG_MUST_CHECK;
/* Marks the folder used now (keeps it warm). */
enum ig_err cache_folder_touch(struct cache *c, int64_t folder_id, int64_t now) IG_MUST_CHECK;
/* Deletes the folder and its messages (folder gone on the server). */
enum ig_err cache_folder_drop(struct cache *c, int64_t folder_id) IG_MUST_CHECK;
/* Deletes the account's folder `name` and every folder below it (names that
 * start with name + delim; delim 0: flat, the folder alone) with their
 * messages: after a DELETE or RENAME on the server. Names compare byte for
 * byte. name is 1..LIM_IMAP_MAILBOX bytes. Inside a transaction or not. */
enum ig_err cache_folder_drop_tree(struct cache *c, struct slice account, struct slice name,
				   char delim) IG_MUST_CHECK;
/* Calls fn for each folder of the account used since `since` (unix s). */
enum ig_err cache_folder_recent(struct cache *c, struct slice account, int64_t since,
				void (*fn)(void *ctx, struct slice name), void *ctx) IG_MUST_CHECK;

/* --- messages --- */

enum cache_flag_bits {
	CACHE_SEEN = 1 << 0,
	CACHE_FLAGGED = 1 << 1,
	CACHE_ANSWERED = 1 << 2,
	CACHE_DRAFT = 1 << 3,
	CACHE_DELETED = 1 << 4,
};

/* One cached message. On writes the slices are the caller's; on reads they
 * point into SQLite's row memory, valid only during the callback. The
 * *_json fields are JSON texts the sync engine built (address arrays
 * [{"name","address"}], warnings [{code,detail,location}]); *_text fields
 * are the plain text the search matches. */
struct cache_msg {
	uint32_t uidvalidity;
	uint32_t uid;
	uint64_t modseq;
	int64_t internaldate; /* unix seconds */
	uint32_t size;
	struct slice flags;   /* space-separated, as the server sent them (sanitized) */
	unsigned flag_bits;   /* derived from flags on write; read back */
	struct slice date;    /* sanitized Date header */
	struct slice subject;
	struct slice from_json, to_json, cc_json;
	struct slice from_text, to_text, cc_text;
	struct slice message_id, in_reply_to, references, list_id;
	bool has_attachment;
	struct slice warnings_json;
	bool has_body;        /* read: body text indexed */
};

/* Inserts or replaces the message (folder_id, uidvalidity, uid). */
enum ig_err cache_msg_put(struct cache *c, int64_t folder_id, const struct cache_msg *m) IG_MUST_CHECK;
/* Sets flags (and modseq when not 0) of one message; *found_r false when
 * the message is not cached. */
enum ig_err cache_msg_flags(struct cache *c, int64_t folder_id, uint32_t uid, struct slice flags,
			    uint64_t modseq, bool *found_r) IG_MUST_CHECK;
/* The flag check (issue 12 A12): sets the message's flags, and the seen,
 * flagged, answered, draft and deleted columns derived from them, only when
 * a stored value differs (modseq untouched). *fixed_r: a row was changed.
 * Wrong values written behind the sync's back (the file edited while the
 * gateway was stopped) are corrected this way, not by CONDSTORE. */
enum ig_err cache_msg_flags_fix(struct cache *c, int64_t folder_id, uint32_t uid,
				struct slice flags, bool *fixed_r) IG_MUST_CHECK;
/* Recomputes the folder's kept counts (messages, unread) from its rows when
 * they differ; *fixed_r: they did. */
enum ig_err cache_folder_recount(struct cache *c, int64_t folder_id, bool *fixed_r) IG_MUST_CHECK;
enum ig_err cache_msg_delete(struct cache *c, int64_t folder_id, uint32_t uid) IG_MUST_CHECK;
/* Deletes every message with first <= uid <= last. */
enum ig_err cache_msg_delete_range(struct cache *c, int64_t folder_id, uint32_t first,
				   uint32_t last) IG_MUST_CHECK;
/* Reads one message; IG_ENOTFOUND when absent; fn sees validated fields. */
enum ig_err cache_msg_get(struct cache *c, int64_t folder_id, uint32_t uid,
			  void (*fn)(void *ctx, const struct cache_msg *m), void *ctx) IG_MUST_CHECK;
/* The folder's cached UIDs in ascending order (heap array, caller frees);
 * at most LIM_SYNC_UIDS. */
enum ig_err cache_msg_uids(struct cache *c, int64_t folder_id, uint32_t **uids_r,
			   size_t *n_r) IG_MUST_CHECK;
enum ig_err cache_msg_count(struct cache *c, int64_t folder_id, size_t *n_r) IG_MUST_CHECK;
/* Stores sanitized body text for the FTS index (LIM_CACHE_BODY). */
enum ig_err cache_body_put(struct cache *c, int64_t folder_id, uint32_t uid,
			   struct slice body) IG_MUST_CHECK;
/* Messages of the folder that have body text (index_bodies). */
enum ig_err cache_body_count(struct cache *c, int64_t folder_id, size_t *n_r) IG_MUST_CHECK;
/* Up to max UIDs among the newest `newest` messages that have no body text
 * yet, newest first; *n_r how many. */
enum ig_err cache_body_missing(struct cache *c, int64_t folder_id, size_t newest, uint32_t *uids,
			       size_t max, size_t *n_r) IG_MUST_CHECK;

/* --- search --- */

/* Criteria (DESIGN §4.3); NULL / 0 / -1 means "not given". Strings are
 * matched as case-insensitive substrings, as IMAP SEARCH does (ASCII case
 * folding, trigram FTS for terms of 3 bytes or more). */
struct cache_query {
	struct slice from, to, cc, subject, list_id;
	struct slice text; /* subject, addresses and body text */
	struct slice body; /* body text only */
	int64_t since, before; /* INTERNALDATE: since <= d < before (unix s); 0: none */
	int seen, flagged, answered, has_attachment; /* -1 any, 0 no, 1 yes */
	uint64_t larger, smaller; /* RFC822.SIZE bounds (exclusive); 0: none */
};

void cache_query_init(struct cache_query *q);

/* Matching messages newest first (INTERNALDATE, then UID), skipping offset,
 * at most limit (<= LIM_SEARCH_PAGE); *total_r is the number of all matches.
 * fn sees validated rows. Statements for each criteria shape are prepared
 * once and kept (LIM_CACHE_STMTS). IG_EINVAL for a term over LIM_SEARCH_TERM. */
enum ig_err cache_search(struct cache *c, int64_t folder_id, const struct cache_query *q,
			 size_t offset, size_t limit, size_t *total_r,
			 void (*fn)(void *ctx, const struct cache_msg *m), void *ctx) IG_MUST_CHECK;

/* For tests: the path of the open file. */
const char *cache_path(const struct cache *c);

#endif
