#ifndef IG_STORE_OUTBOX_H
#define IG_STORE_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/limits.h"
#include "base/slice.h"

/* The outbox in state.db (DESIGN §10, docs/sending.md): mail an agent asked
 * to send, bound to a SHA-256 over the exact MIME bytes and the envelope.
 * States and their only transitions:
 *
 *   pending --approve--> approved --claim--> sending --> sent | failed
 *   pending --reject---> rejected                    \--> uncertain
 *   approved (hash changed at send time) --> pending (approval dropped)
 *   sending found at start-up --> uncertain (never resent automatically)
 *
 * Functions use the connection of a struct state (store/state.h): one
 * thread at a time. Strings in entries are heap-owned by the entry. */

struct state;

enum outbox_state {
	OUTBOX_PENDING,
	OUTBOX_APPROVED,
	OUTBOX_REJECTED,
	OUTBOX_SENDING,
	OUTBOX_SENT,
	OUTBOX_FAILED,
	OUTBOX_UNCERTAIN,
};

#define OUTBOX_HASH_LEN 32
#define OUTBOX_HASH_HEX (2 * OUTBOX_HASH_LEN)

struct outbox_entry {
	int64_t id;
	int64_t token_id;
	char *token_name;
	char *account;
	enum outbox_state state;
	bool autonomous;        /* created under send_requires_approval = false */
	int64_t created_at, updated_at, approved_at, sent_at; /* unix seconds; 0: not yet */
	char *mail_from;
	char **rcpts;           /* envelope recipients, Bcc included */
	size_t n_rcpts;
	char *subject;          /* for listings; validated UTF-8 */
	char *message_id;       /* "<...>" */
	unsigned char *mime;    /* the exact bytes (CRLF); NULL in listings */
	size_t mime_len;
	unsigned char hash[OUTBOX_HASH_LEN];          /* bound at creation */
	unsigned char approved_hash[OUTBOX_HASH_LEN]; /* all zero until approved */
	char *approved_by;      /* approver's name, or NULL */
	char *last_error;       /* static-ish gateway text, never server text */
};

struct outbox_new {
	int64_t token_id;
	const char *token_name;
	const char *account;
	const char *mail_from;
	const char *const *rcpts;
	size_t n_rcpts;
	const char *subject;
	const char *message_id;
	struct slice mime;
	bool autonomous;   /* created already approved by "autonomous:<token>" */
	unsigned quota;    /* entries per account per rolling 24 h (0: no limit) */
	int64_t now;
};

const char *outbox_state_str(enum outbox_state s);
bool outbox_state_parse(const char *s, enum outbox_state *s_r);

/* SHA-256 over a domain-separated, length-prefixed encoding of from, every
 * recipient in order, and the MIME bytes. */
void outbox_hash(const char *from, const char *const *rcpts, size_t n_rcpts, struct slice mime,
		 unsigned char out[OUTBOX_HASH_LEN]);
void outbox_hash_hex(const unsigned char h[OUTBOX_HASH_LEN], char out[OUTBOX_HASH_HEX + 1]);

/* Creates an entry (pending, or approved when n->autonomous) after checking
 * the account's quota in the same transaction. IG_ELIMIT when the quota is
 * used up; IG_EDB on failure (see state_errmsg). */
enum ig_err outbox_create(struct state *st, const struct outbox_new *n, int64_t *id_r) IG_MUST_CHECK;

/* Loads one entry with its MIME bytes. IG_ENOTFOUND when absent. *e_r is
 * heap-owned (outbox_entry_free). */
enum ig_err outbox_get(struct state *st, int64_t id, struct outbox_entry **e_r) IG_MUST_CHECK;
void outbox_entry_free(struct outbox_entry *e); /* NULL-safe */

/* Calls fn for entries newest first, without MIME bytes: all (token_id < 0)
 * or one token's, at most limit (<= LIM_OUTBOX_LIST). */
enum ig_err outbox_list(struct state *st, int64_t token_id, size_t limit,
			void (*fn)(const struct outbox_entry *e, void *ctx), void *ctx) IG_MUST_CHECK;

/* Approves a pending entry for approver: recomputes the hash over the
 * stored bytes and refuses (IG_EINVAL, "changed since it was queued") when
 * it differs from the hash bound at creation, or from expect_hash_hex when
 * given (the approver confirms what they reviewed). IG_EEXIST when the
 * entry is not pending; IG_ENOTFOUND when absent. */
enum ig_err outbox_approve(struct state *st, int64_t id, const char *approver,
			   const char *expect_hash_hex, int64_t now,
			   const char **error_r) IG_MUST_CHECK;
/* Rejects a pending or approved (not yet claimed) entry. */
enum ig_err outbox_reject(struct state *st, int64_t id, const char *by, int64_t now) IG_MUST_CHECK;

/* Claims the oldest approved entry: approved -> sending, committed before
 * returning, so a crash from here on can never lead to a second send.
 * IG_ENOTFOUND when none is waiting. */
enum ig_err outbox_claim(struct state *st, int64_t now, struct outbox_entry **e_r) IG_MUST_CHECK;
/* Ends a sending entry in state to (sent, failed, uncertain), with err
 * (static text, may be NULL). A hash mismatch found at send time uses
 * outbox_unapprove instead. */
enum ig_err outbox_finish(struct state *st, int64_t id, enum outbox_state to, const char *err,
			  int64_t now) IG_MUST_CHECK;
/* sending -> pending with the approval cleared (content changed). */
enum ig_err outbox_unapprove(struct state *st, int64_t id, const char *why,
			     int64_t now) IG_MUST_CHECK;
/* At start-up: every entry still `sending` becomes `uncertain` (a crash
 * during a send; a human decides), in one transaction. fn (may be NULL) is
 * called for each entry inside it, after its update (the sender writes the
 * audit record there); when fn fails nothing changes and its error is
 * returned. *n_r gets how many changed. */
enum ig_err outbox_recover(struct state *st, int64_t now,
			   enum ig_err (*fn)(const struct outbox_entry *e, void *ctx), void *ctx,
			   size_t *n_r) IG_MUST_CHECK;

#endif
