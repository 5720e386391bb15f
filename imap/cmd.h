#ifndef IG_IMAP_CMD_H
#define IG_IMAP_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/slice.h"
#include "imap/conn.h"

/* IMAP commands with typed results, on top of imap/conn.h. Names passed in
 * are UTF-8; names handed back are decoded UTF-8 (heap strings owned by the
 * result). Every function returns IMAP_FAIL_NONE or the failure, with err
 * set. */

struct imap_resp;

/* LOGIN or AUTHENTICATE PLAIN (preferred when offered). The password is
 * wiped from every buffer the command used; it is never logged. */
enum imap_fail imap_login(struct imap_conn *c, const char *user, const char *password,
			  struct imap_error *err);
/* CAPABILITY: the connection's list is replaced by the answer. */
enum imap_fail imap_capability(struct imap_conn *c, struct imap_error *err);
/* ENABLE the given extensions among CONDSTORE, QRESYNC, UTF8=ACCEPT when
 * offered; records UTF8=ACCEPT on the connection. */
enum imap_fail imap_enable(struct imap_conn *c, bool condstore, bool qresync, bool utf8,
			   struct imap_error *err);
/* ID (RFC 2971) with the client name only. */
enum imap_fail imap_id(struct imap_conn *c, struct imap_error *err);
enum imap_fail imap_noop(struct imap_conn *c, struct imap_error *err);
/* LOGOUT; the connection is unusable afterwards (free it). */
enum imap_fail imap_logout(struct imap_conn *c, struct imap_error *err);

struct imap_folder {
	char *name;          /* decoded UTF-8 */
	char *wire_name;     /* as the server sent it (modified UTF-7 or UTF-8) */
	char delim;          /* 0: none */
	char **attrs;        /* "\HasNoChildren", "\Sent" ... */
	size_t n_attrs;
	const char *special_use; /* one of attrs, or NULL */
	bool noselect;
	bool has_status;
	uint32_t messages, unseen, uidnext, uidvalidity;
	uint64_t highestmodseq;
};

struct imap_folder_list {
	struct imap_folder *f;
	size_t n;
};

/* LIST "" "*" (with RETURN (SPECIAL-USE STATUS (...)) when LIST-STATUS is
 * offered, else STATUS per selectable folder). At most LIM_IMAP_FOLDERS.
 * Folders whose names fail strict modified UTF-7 decoding are skipped and
 * counted in *skipped_r. */
enum imap_fail imap_list_folders(struct imap_conn *c, bool with_status,
				 struct imap_folder_list *out, size_t *skipped_r,
				 struct imap_error *err);
void imap_folder_list_free(struct imap_folder_list *l);

/* STATUS name (MESSAGES UNSEEN UIDNEXT UIDVALIDITY [HIGHESTMODSEQ]). */
enum imap_fail imap_status(struct imap_conn *c, const char *name, struct imap_folder *f,
			   struct imap_error *err);

struct imap_mailbox_state {
	uint32_t exists, uidvalidity, uidnext;
	uint64_t highestmodseq; /* 0: NOMODSEQ or no CONDSTORE */
	bool read_only;
};

/* SELECT (read_only false) or EXAMINE. With qresync_uidvalidity != 0 and
 * QRESYNC enabled, the QRESYNC form (uidvalidity, modseq) is sent. */
enum imap_fail imap_select(struct imap_conn *c, const char *name, bool read_only,
			   uint32_t qresync_uidvalidity, uint64_t qresync_modseq,
			   struct imap_mailbox_state *st, struct imap_error *err);

/* UID SEARCH with a criteria string the caller built from validated parts
 * (CHARSET UTF-8 is added; imap_search_return). *uids_r
 * is a heap array of at most max_results UIDs in ascending order. */
enum imap_fail imap_uid_search(struct imap_conn *c, const char *criteria, struct slice arg,
			       size_t max_results, uint32_t **uids_r, size_t *n_r,
			       struct imap_error *err);

/* Appends RETURN (COUNT MIN MAX ALL) to a UID SEARCH being built when the
 * server offers ESEARCH (RFC 4731): the hits come as a sequence set of
 * ranges, with their count to check it against. */
void imap_search_return(struct imap_cmd *cmd);

/* UID FETCH uidset items [CHANGEDSINCE modseq [VANISHED]]; fn sees every
 * FETCH (and VANISHED) response. */
enum imap_fail imap_uid_fetch(struct imap_conn *c, const char *uidset, const char *items,
			      uint64_t changedsince, bool vanished, imap_untagged_fn fn,
			      void *ctx, struct imap_error *err);

/* UID STORE uidset (+|-)FLAGS.SILENT (flags) [UNCHANGEDSINCE n]. */
enum imap_fail imap_uid_store(struct imap_conn *c, const char *uidset, bool add,
			      const char *flags, uint64_t unchangedsince, struct imap_error *err);

struct imap_copyuid; /* imap/uidset.h */

/* UID MOVE, or without MOVE (needs UIDPLUS, else IMAP_FAIL_UNSUPPORTED and
 * nothing done) UID COPY + UID STORE +FLAGS.SILENT (\Deleted) + UID EXPUNGE
 * of exactly uidset, so messages others marked \Deleted stay. *fallback_r
 * says whether the non-atomic path ran (a failure part-way may leave copies
 * in dest or \Deleted flags in the source). cu_r (may be NULL) gets the
 * server's COPYUID mapping; n = 0 when the server sent none or an unusable
 * one (more than LIM_IMAP_COPYUID pairs, malformed). */
enum imap_fail imap_uid_move(struct imap_conn *c, const char *uidset, const char *dest,
			     struct imap_copyuid *cu_r, bool *fallback_r,
			     struct imap_error *err);
/* UID COPY; cu_r (may be NULL) as for imap_uid_move. */
enum imap_fail imap_uid_copy(struct imap_conn *c, const char *uidset, const char *dest,
			     struct imap_copyuid *cu_r, struct imap_error *err);
/* UID EXPUNGE uidset (UIDPLUS), or EXPUNGE when uidset is NULL. */
enum imap_fail imap_expunge(struct imap_conn *c, const char *uidset, struct imap_error *err);

/* APPEND name (flags) message; *appenduid_r gets [APPENDUID v uid] or 0s. */
enum imap_fail imap_append(struct imap_conn *c, const char *name, const char *flags,
			   struct slice message, uint32_t appenduid_r[2], struct imap_error *err);

enum imap_fail imap_create(struct imap_conn *c, const char *name, struct imap_error *err);
enum imap_fail imap_delete(struct imap_conn *c, const char *name, struct imap_error *err);
enum imap_fail imap_rename(struct imap_conn *c, const char *from, const char *to,
			   struct imap_error *err);

/* IDLE until an untagged response arrives or wait_ms pass, then DONE.
 * *changed_r says whether anything arrived. */
enum imap_fail imap_idle(struct imap_conn *c, unsigned wait_ms, bool *changed_r,
			 struct imap_error *err);

#endif
