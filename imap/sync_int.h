#ifndef IG_IMAP_SYNC_INT_H
#define IG_IMAP_SYNC_INT_H

/* Internals shared by the files of the sync engine (imap/sync*.c) and its
 * unit test; not for other modules (imap/sync.h is the API).
 *
 *   sync.c         the struct sync: open/close, idle passes, warm folders,
 *                  cache trouble, the public entry points
 *   sync_folder.c  one folder brought up to date (folder_sync and its
 *                  steps), the decisions they take, the flag check
 *   sync_fetch.c   UID SEARCH, UID FETCH into cache rows (initial batches,
 *                  delta fetches, over-limit refetch), body indexing
 *   sync_conv.c    the envelope conversion (pure) and INTERNALDATE */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "content/warn.h"
#include "imap/sync.h"

struct imap_mailbox_state;
struct imap_folder;
struct json_object;

struct sync {
	struct sync_opts o;
	struct cache *cache;
	bool cache_failed;   /* open failed: serve from IMAP only */
	int64_t retry_at_ms; /* idle sync paused until */
	bool idle_done;      /* every warm folder synced (and bodies indexed) */
	bool warm_listed;
	char **warm;
	size_t n_warm;
	struct wk *yield_w;  /* idle: stop between batches when a job waits */
	unsigned cache_gen;
	/* flag check (flag_check): folder ids compared with the server since
	 * the start or the last rolling pass, and when the next pass is due */
	int64_t *checked;
	size_t n_checked;
	int64_t check_at_ms;
};

/* ---- sync.c --------------------------------------------------------------- */

/* Whether the idle sync should stop between batches: a job is waiting. */
bool sync_should_yield(struct sync *s);
/* After a failed cache call: rolls back, and when the file is damaged
 * rebuilds it (audited) or gives the cache up (s->cache NULL). */
void sync_note_cache_trouble(struct sync *s);
/* Adds a folder name to the warm list (deduplicated, at most
 * LIM_SYNC_WARM names of at most LIM_IMAP_MAILBOX bytes; others dropped). */
void sync_warm_add(struct sync *s, const char *name, size_t len);
/* The configured warm list (s->o.warm_folders, comma-separated, blanks
 * around names ignored) added to s->warm. */
void sync_warm_config(struct sync *s);

/* ---- sync_folder.c: one folder ------------------------------------------ */

/* The core: EXAMINE, then initial sync (when initial_ok) or delta. */
enum imap_fail sync_folder_sync(struct sync *s, struct imap_conn *c, const char *name,
				bool initial_ok, struct cache_folder *f_r, bool *cached_r,
				bool *yielded_r, struct imap_error *err);

/* The decisions of a folder sync, pure so the unit test can hold them to
 * the protocol (RFC 3501 §2.3.1.1 UIDVALIDITY, RFC 7162 CONDSTORE). */

/* Whether a STATUS may stand in for EXAMINE: the folder is cached, fully
 * synced and has a HIGHESTMODSEQ to compare. */
bool sync_status_usable(bool have, const struct cache_folder *f);
/* Whether STATUS answers say nothing changed since f (same UIDVALIDITY,
 * UIDNEXT and HIGHESTMODSEQ; the message count is checked apart). */
bool sync_status_unchanged(const struct cache_folder *f, const struct imap_folder *st);
/* Whether the folder's rows must be dropped and the folder started over:
 * not cached yet, or a different UIDVALIDITY. */
bool sync_needs_reset(bool have, const struct cache_folder *f, uint32_t uidvalidity);
/* Whether an initial sync about to start keeps the server's HIGHESTMODSEQ
 * of now (see sync.c's file comment): none kept and nothing fetched yet. */
bool sync_keeps_start_modseq(const struct cache_folder *f, const struct imap_mailbox_state *st);
/* Whether EXAMINE's answers say nothing changed since f (UIDNEXT and a
 * non-zero HIGHESTMODSEQ equal; the message count is checked apart). */
bool sync_delta_unchanged(const struct cache_folder *f, const struct imap_mailbox_state *st);

/* What a delta fetches. */
struct sync_delta {
	uint32_t new_from;     /* new messages: UID FETCH new_from:*; 0: none */
	uint32_t known_to;     /* flag changes and expunges: UID FETCH 1:known_to; 0: none */
	bool cond;             /* CONDSTORE on both sides: MODSEQ, CHANGEDSINCE */
	uint64_t changedsince; /* when cond: the kept HIGHESTMODSEQ */
};
/* The delta from the cached f to the EXAMINE answers st. */
void sync_delta_plan(const struct cache_folder *f, const struct imap_mailbox_state *st,
		     struct sync_delta *d_r);

/* Keeps the UIDs above after, in order, in uids[0..return) (a search for
 * "n:*" returns the highest UID even when it is below n). */
size_t sync_uids_after(uint32_t *uids, size_t n, uint32_t after);

/* The UID-list diff of a reconcile: srv (the server's, ascending) against
 * have (the cache's, ascending). miss[0..*nm_r) are server UIDs below
 * `below` the cache lacks (room for ns), gone[0..*ng_r) cached UIDs the
 * server lacks (room for nh); both ascending. */
void sync_uid_diff(const uint32_t *srv, size_t ns, const uint32_t *have, size_t nh,
		   uint32_t below, uint32_t *miss, size_t *nm_r, uint32_t *gone, size_t *ng_r);

/* ---- sync_fetch.c: UID FETCH into the cache ------------------------------- */

/* Starts a UID SEARCH (RETURN (ALL) when the server has ESEARCH). */
void sync_search_begin(struct imap_cmd *cmd, struct imap_conn *c);
/* Fetches uids (sorted) into the folder in batches, each committed with
 * sync_uid when initial is true (in_tx: inside the caller's transaction,
 * no commits). Cache trouble is not an IMAP failure: *yielded_r is set and
 * the caller sees it from the cache's state. */
enum imap_fail sync_fetch_batches(struct sync *s, struct imap_conn *c, struct cache_folder *f,
				  const uint32_t *uids, size_t n, bool initial, bool in_tx,
				  bool *yielded_r, struct imap_error *err);
/* Delta steps, inside the caller's transaction; *cache_err_r when a cache
 * write failed. New messages (d->new_from:*), then flag changes and
 * expunges among the known ones (1:d->known_to, CHANGEDSINCE and VANISHED
 * when the server offers them). A step with nothing to do (0) does nothing. */
enum imap_fail sync_fetch_new(struct sync *s, struct imap_conn *c, const struct cache_folder *f,
			      const struct sync_delta *d, bool *cache_err_r,
			      struct imap_error *err);
enum imap_fail sync_fetch_changes(struct sync *s, struct imap_conn *c,
				  const struct cache_folder *f, const struct sync_delta *d,
				  bool *cache_err_r, struct imap_error *err);
/* One batch of body text for the folder; *more_r when some remain. */
enum imap_fail sync_bodies_batch(struct sync *s, struct imap_conn *c, const char *name,
				 bool *selected, bool *more_r, struct imap_error *err);

/* ---- sync_conv.c: the envelope conversion -------------------------------- */

struct sync_conv {
	struct buf t[12];
	struct warn_list w;
	struct json_object *addr[3];
	char *json[4];
	const char *const *known; /* look-alike domains of the conversion running */
	size_t n_known;
};

/* An embedded converter (sync_conv_new/free are the heap ones). */
void sync_conv_init(struct sync_conv *v);
void sync_conv_reset(struct sync_conv *v);
void sync_conv_fini(struct sync_conv *v);
/* The FETCH's flags as the cache keeps them: at most 64, each printable
 * ASCII of at most 128 bytes, space-separated (appended to out). */
void sync_flags_text(const struct imap_fetch *f, struct buf *out);

#endif
