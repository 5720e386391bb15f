#ifndef IG_HANDLERS_SEND_AUDIT_H
#define IG_HANDLERS_SEND_AUDIT_H

#include <stdbool.h>

#include "base/err.h"

/* The one place where the sending path writes audit records (DESIGN §9):
 * send_intent (sync: durable before any SMTP connection), send_result,
 * approval. Fields never carry mail text or recipients in clear.
 *
 * Until audit/audit.h lands this writes one structured log line per record
 * (kind, principal, account, fields as JSON); the calls and their order
 * are final. */

struct json_object;
struct ig_config;

/* Records one event; takes ownership of fields (may be NULL). IG_OK, or an
 * error after which a side-effecting caller must fail closed. */
enum ig_err send_audit(const struct ig_config *cfg, const char *kind, const char *principal,
		       const char *account, struct json_object *fields, bool sync) IG_MUST_CHECK;

#endif
