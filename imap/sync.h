#ifndef IG_IMAP_SYNC_H
#define IG_IMAP_SYNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "imap/conn.h"
#include "store/cache.h"

/* The sync engine (DESIGN §7): keeps cache.db's envelopes of an account's
 * folders equal to the server's, on the account's worker thread.
 *
 * Initial sync: UID SEARCH for the folder's UIDs, then UID FETCH (UID FLAGS
 * INTERNALDATE RFC822.SIZE ENVELOPE BODYSTRUCTURE [MODSEQ] and the
 * References / List-Id header fields) in batches of LIM_SYNC_BATCH, each
 * batch committed together with the folder's progress. Envelope text is
 * sanitized once, through content/ (RFC 2047, Unicode rules, look-alike
 * checks), and stored with its warnings.
 * Deltas: UID FETCH of new UIDs; flag changes and expunges with
 * CHANGEDSINCE (+ VANISHED under QRESYNC) when the server has CONDSTORE,
 * otherwise a full flag refresh; a message-count check against EXISTS
 * catches anything else (UID list diff). A UIDVALIDITY change drops the
 * folder's rows and starts over. A delta is applied in one transaction.
 *
 * Threads: a struct sync belongs to one account worker (imap/worker.h). The
 * worker creates it with sync_ctx_open on its own thread (so its SQLite
 * connection is that thread's), runs sync_idle_* between jobs, and hands it
 * to every job as job->ctx: a job reaches it with sync_of_job(). */

struct sync;
struct wk;
struct wk_job;
struct imap_cmd;
struct cache_file;
struct audit;

struct sync_opts {
	const char *account;             /* strings must outlive the sync */
	struct cache_file *file;         /* shared cache.db; NULL: no cache at all */
	const char *warm_folders;        /* comma list; NULL: INBOX + special-use */
	size_t index_bodies;             /* newest N messages per warm folder get body text */
	const char *const *known_domains; /* for look-alike checks; may be NULL */
	size_t n_known_domains;
	unsigned long long log_id;
	struct audit *audit;             /* cache rebuilds are recorded (kind "cache"); NULL: log only */
	unsigned flag_check_s;           /* each folder's cached flags and counts are compared
					    in full with the server at its first sync after the
					    start and again after this long; 0:
					    LIM_SYNC_FLAG_CHECK_S */
};

/* wk_opts.ctx_open / ctx_close / idle_want / idle_run. ctx_open takes a
 * struct sync_opts * (which must outlive the worker) and returns a struct
 * sync *, or NULL when out of memory (the worker then runs without one). */
void *sync_ctx_open(void *opts);
void sync_ctx_close(void *sync);
bool sync_idle_want(void *sync, int64_t now_ms);
void sync_idle_run(void *sync, struct wk *w, struct imap_conn *c, struct imap_error *err);

/* The account's sync from inside a job's run(): NULL when the worker has
 * none (then serve from IMAP directly). */
struct sync *sync_of_job(const struct wk_job *job);

/* The sync's cache connection, checked (reopened after another thread's
 * rebuild, rebuilt when damaged); NULL when the cache is unusable now. Only
 * on the worker thread, only until the job returns. */
struct cache *sync_cache(struct sync *s);

/* Brings one folder's cache up to date on the job's logged-in connection:
 * for use by jobs right after they changed the folder (flags, moves,
 * appends, expunges), so the next search sees the change. Afterwards the
 * folder may be selected read-only (EXAMINE) or not selected at all (when a
 * STATUS showed nothing changed): call it after the job's own commands, and
 * SELECT again before any further command that needs a mailbox. A
 * folder whose initial sync has not completed is only marked warm (the idle
 * sync catches up). Returns IMAP_FAIL_NONE or the IMAP failure (err set);
 * cache trouble is never an IMAP failure: the cache is rebuilt and the call
 * still succeeds. */
enum imap_fail sync_folder_now(struct sync *s, struct imap_conn *c, const char *folder,
			       struct imap_error *err);

/* The account's folder hierarchy changed (a job renamed or deleted a
 * folder and dropped it from the cache): the idle sync lists its warm
 * folders again before its next pass, so it never keeps asking the server
 * for a folder that is gone. Worker thread only. */
void sync_folders_changed(struct sync *s);

/* Like sync_folder_now, also marking the folder used (kept warm). On
 * IMAP_FAIL_NONE, *f_r is the folder's cache state and *cached_r says whether
 * the cache holds all of it now (initial sync complete and delta applied). */
enum imap_fail sync_folder_fresh(struct sync *s, struct imap_conn *c, const char *folder,
				 struct cache_folder *f_r, bool *cached_r, struct imap_error *err);

/* Fetches the envelopes of the given UIDs (at most LIM_SEARCH_PAGE) from the
 * selected folder and converts them exactly as the cache stores them; fn
 * sees each (order of the server's responses). s may be NULL (no look-alike
 * domains known). The conversion is sync_conv_fetch's. */
enum imap_fail sync_fetch_envelopes(struct sync *s, struct imap_conn *c, const uint32_t *uids,
				    size_t n, void (*fn)(void *ctx, const struct cache_msg *m),
				    void *ctx, struct imap_error *err);

/* The envelope conversion (the one sanitizer of envelope text): a parsed
 * FETCH response (ENVELOPE, FLAGS, INTERNALDATE, RFC822.SIZE, BODYSTRUCTURE,
 * MODSEQ, the References / List-Id header fields) as a cache.db row, with
 * its security warnings in warnings_json, exactly as the sync engine stores
 * it. Pure: no cache, no connection, any thread. */
struct sync_conv;
struct imap_fetch;

/* A converter; reuse it for many responses. NULL when out of memory. */
struct sync_conv *sync_conv_new(void);
/* NULL-safe; invalidates the slices of the last conversion. */
void sync_conv_free(struct sync_conv *v);

/* Converts f (borrowed) into *m_r without touching the cache. known are the
 * domains for look-alike checks (may be NULL when n_known is 0). Items f
 * lacks come out empty or 0 (uid 0 without UID, internaldate 0 without a
 * parsable INTERNALDATE). m_r's slices point into v and live until the next
 * sync_conv_fetch or sync_conv_free on v. Strings are cut as the cache keeps
 * them (LIM_CACHE_SUBJECT, LIM_MIME_HEADER_VALUE, LIM_MIME_ADDRESSES
 * addresses per list). Returns IG_OK; IG_EINVAL when f has no ENVELOPE;
 * IG_ENOMEM or IG_ELIMIT when a buffer failed (*m_r is then unusable). */
enum ig_err sync_conv_fetch(struct sync_conv *v, const struct imap_fetch *f,
			    uint32_t uidvalidity, const char *const *known, size_t n_known,
			    struct cache_msg *m_r) IG_MUST_CHECK;

/* Runs a UID SEARCH command the caller built with imap_cmd_init(cmd, c,
 * "UID SEARCH") [+ "RETURN (ALL)" when ESEARCH is offered] + criteria, and
 * frees it. *uids_r: heap array, ascending, no duplicates, at most max (more
 * is IMAP_FAIL_TOO_LARGE). */
enum imap_fail sync_uid_search(struct imap_cmd *cmd, size_t max, uint32_t **uids_r, size_t *n_r,
			       struct imap_error *err);

/* RFC 3501 date-time ("17-Jul-1996 02:44:25 -0700") to unix seconds. */
bool sync_internaldate_parse(struct slice s, int64_t *t_r);

#endif
