#ifndef IG_HANDLERS_MSGREF_H
#define IG_HANDLERS_MSGREF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/limits.h"
#include "handlers/errors.h"
#include "imap/conn.h"

/* How the read tools address one message (DESIGN §4.3): `folder` (UTF-8
 * name) + `uid` (1..2^32-1) + optional `expected_uidvalidity`, and the IMAP
 * steps every such tool starts with. A missing folder or message is
 * ERR_NOT_FOUND, a UIDVALIDITY other than the expected one
 * ERR_UID_VALIDITY_CHANGED. */

struct tool_call;
struct json_object;
struct imap_fetch;
struct imap_resp;
struct tk_job;

struct msgref {
	char folder[LIM_FOLDER_ARG + 1];
	uint32_t uid;
	uint32_t expected_uidvalidity; /* 0: not given */
};

/* A tool failure decided on the worker (not an IMAP failure): message is
 * a static string; code TOOL_ERR_NONE (a zeroed struct) when none. */
struct msgref_fail {
	enum tool_err code;
	const char *msg;
};

/* Reads folder, uid and expected_uidvalidity from the call's arguments
 * (the schema has checked their types). False after setting
 * ERR_INVALID_INPUT: folder empty, over LIM_FOLDER_ARG bytes or holding
 * controls; uid or uidvalidity outside 1..2^32-1. */
bool msgref_parse(struct tool_call *call, struct msgref *r);

/* The tool_arg_rule rows (handlers/tools.h) for folder, uid and
 * expected_uidvalidity: audited verbatim, read-only posture. */
#define MSGREF_ARG_RULES                                                                           \
	{"folder", ARG_AUDIT_VERBATIM, POSTURE_READONLY},                                          \
	{"uid", ARG_AUDIT_VERBATIM, POSTURE_READONLY},                                             \
	{"expected_uidvalidity", ARG_AUDIT_VERBATIM, POSTURE_READONLY}

/* EXAMINE the folder (read-only: nothing read later sets \Seen) and check
 * the UIDVALIDITY. Returns false with *fail or err set. */
bool msgref_examine(struct imap_conn *c, const struct msgref *r, uint32_t *uidvalidity_r,
                    struct msgref_fail *fail, struct imap_error *err);

/* UID FETCH r's uid with items (a parenthesized FETCH item list), fn
 * called for each untagged response on the worker thread. Returns the
 * IMAP outcome, also in err. */
enum imap_fail msgref_uid_fetch(struct imap_conn *c, const struct msgref *r, const char *items,
                                imap_untagged_fn fn, void *ctx, struct imap_error *err);

/* The FETCH data of resp when resp is a FETCH response carrying r's uid,
 * else NULL (other untagged responses, other messages, no UID item).
 * Borrowed from resp. */
const struct imap_fetch *msgref_fetch_of(const struct msgref *r, const struct imap_resp *resp);

/* Sets *fail to ERR_NOT_FOUND "no message with this uid in the folder". */
void msgref_fail_not_found(struct msgref_fail *fail);

/* At the end of run(): a tool failure decided after the server refused a
 * command (fail is ERR_NOT_FOUND while err is set) is the tool's, not the
 * connection's, so err is cleared unless the connection broke. */
void msgref_settle(struct imap_conn *c, const struct msgref_fail *fail, struct imap_error *err);

/* What UID FETCH said about the message itself. */
struct msgref_info {
	bool found;
	uint32_t size;             /* RFC822.SIZE */
	char internaldate[32];     /* UTC ISO 8601, "" when absent or unparsable */
	struct json_object *flags; /* owned array of plain-atom flags; NULL before fetch */
};

/* UID FETCH uid (UID FLAGS INTERNALDATE RFC822.SIZE). found false (and
 * *fail = ERR_NOT_FOUND) when the server returns nothing for the UID;
 * ERR_TOO_LARGE when the size is over max. */
bool msgref_info(struct imap_conn *c, const struct msgref *r, size_t max, struct msgref_info *info,
                 struct msgref_fail *fail, struct imap_error *err);
void msgref_info_clear(struct msgref_info *info);

/* UID FETCH uid (BODY.PEEK[]) into raw (never sets \Seen). raw's maximum is
 * the cap: a larger answer is ERR_TOO_LARGE; a literal over LIM_IMAP_LITERAL
 * is refused by the parser before it is buffered. */
bool msgref_fetch_raw(struct imap_conn *c, const struct msgref *r, struct buf *raw,
                      struct msgref_fail *fail, struct imap_error *err);

/* msgref_fetch_raw for a tool job: a message of more than LIM_FETCH_CHUNK
 * bytes (size: its RFC822.SIZE) is read in partial fetches
 * (BODY.PEEK[]<origin.LIM_FETCH_CHUNK>) with progress reported (bytes read)
 * and the job's cancellation checked between them; false with err
 * IMAP_FAIL_CANCELLED when it was cancelled. The same bytes, same caps. */
bool msgref_fetch_raw_job(struct imap_conn *c, const struct msgref *r, uint32_t size,
                          struct buf *raw, struct tk_job *j, struct msgref_fail *fail,
                          struct imap_error *err);

/* The standard meta members: account, folder, uid, uidvalidity. */
void msgref_meta(struct json_object *meta, const char *account, const struct msgref *r,
                 uint32_t uidvalidity);

/* Sets the call's error from fail (when set) or err. */
void msgref_error(struct tool_call *call, const struct msgref_fail *fail,
                  const struct imap_error *err);

/* From done(): msgref_error on j's call, then tk_job_finish(j). */
void msgref_job_fail(struct tk_job *j, const struct msgref_fail *fail,
                     const struct imap_error *err);

#endif
