#ifndef IG_HANDLERS_OPS_AUDIT_H
#define IG_HANDLERS_OPS_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

/* Audit-log operator actions (docs/audit.md): query and verify, both
 * read-only (no lock is taken, so both work while the server appends), and
 * the opening of the log that every audited operator action writes to. */

struct audit;
struct audit_verify_report;
struct ig_config;

/* Opens cfg->data_dir's audit log for an operator action (handlers/ops.h),
 * rotating at cfg->audit_max_bytes like the server. *a_r is the caller's
 * (audit_close). On failure *error_r is static text or NULL. */
enum ig_err ops_audit_open(const struct ig_config *cfg, struct audit **a_r,
			   const char **error_r) IG_MUST_CHECK;

/* What `audit query` selects; every set field must match. */
struct ops_audit_filter {
	bool have_since;
	bool have_until;
	int64_t since_ms;    /* ts >= since */
	int64_t until_ms;    /* ts < until */
	const char *kind;    /* NULL: any */
	const char *tool;
	const char *token;   /* the principal, or the token a token record is about */
	const char *account;
	uint64_t limit;      /* matches passed to fn; 0: no limit */
};

/* Calls fn(line, len, ctx) for every complete record of the log at path (a
 * file, or a directory with its rotated files, oldest first) that matches
 * q; fn returns false to stop. IG_ENOTFOUND when there is no log there;
 * otherwise as audit_scan. */
enum ig_err ops_audit_query(const char *path, const struct ops_audit_filter *q,
			    bool (*fn)(const char *line, size_t len, void *ctx),
			    void *ctx) IG_MUST_CHECK;

/* The data directory whose checkpoint covers path (the parent of a log
 * directory, or of the directory of audit.jsonl) into out. false for a
 * rotated file on its own (the checkpoint names a later record). */
bool ops_audit_checkpoint_dir(const char *path, char *out, size_t size);

/* Verifies the hash chain of the log at path (anchor_seq 0: no anchor;
 * anchor_hex: 64 hex digits) and, when data_dir is not NULL, the log
 * against the checkpoint kept there. As audit_verify_checkpoint. */
enum ig_err ops_audit_verify(const char *path, const char *data_dir, uint64_t anchor_seq,
			     const char *anchor_hex,
			     struct audit_verify_report *r) IG_MUST_CHECK;

#endif
