#ifndef IG_HANDLERS_SEND_AUDIT_H
#define IG_HANDLERS_SEND_AUDIT_H

#include <stdbool.h>

#include "base/err.h"

/* The one place where the sending path writes audit records (DESIGN §9):
 * send_queued, send_intent (sync: on disk before any SMTP connection),
 * send_result, approval. Fields never carry mail text or recipients in
 * clear (ids, states, hashes, counts, names from the config and state.db).
 * Each record also goes to the log as one line. */

struct audit;
struct json_object;

/* Appends one record to a (store/audit.h) and logs it; takes ownership of
 * fields (may be NULL). With a NULL: only the log line, and IG_EIO when
 * sync is set (a record that must be durable cannot be skipped). IG_OK, or
 * an error after which a side-effecting caller must fail closed. */
enum ig_err send_audit(struct audit *a, const char *kind, const char *principal,
		       const char *account, struct json_object *fields, bool sync) IG_MUST_CHECK;

#endif
