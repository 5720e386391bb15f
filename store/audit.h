#ifndef IG_STORE_AUDIT_H
#define IG_STORE_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

/* The audit log (DESIGN §9, docs/audit.md): append-only JSONL in
 * <data_dir>/audit/audit.jsonl, one record per line, each line written with
 * exactly one write(2). Every record is
 *   {"seq":N,"ts":"<RFC 3339 UTC, ms>","process_id":"<32 hex>","kind":"…",
 *    "principal":"<token name>"|null,"account":"<name>"|null, …fields…,
 *    "prev":"<SHA-256 hex of the previous line's bytes, without its LF>"}
 * so the lines form a hash chain that `imapgate audit verify` checks. seq
 * grows by one per record across every process appending to the same log
 * (server and CLI commands): each append takes a flock on audit/audit.lock
 * and derives seq and prev from the file's last record under it.
 *
 * Kinds written by the gateway: process_start, process_end, auth, token,
 * tool_start, tool_end, send_intent, send_result, approval, cache, user, login.
 *
 * A struct audit is thread-safe. Records never carry mail text, recipients
 * in clear, credentials or token secrets: callers pass already-redacted
 * fields (store/audit_redact.h for tool arguments). */

struct audit;
struct json_object;

/* Opens (creating a 0700 directory and 0600 files) <data_dir>/audit/audit.jsonl
 * for appending, and the per-installation redaction salt <data_dir>/audit.salt
 * (32 random bytes, created once; kept outside audit/ so that shipping the log
 * elsewhere does not ship the salt). A random process_id (16 bytes) is drawn
 * for this handle: open one per process. *a_r is owned by the caller
 * (audit_close). IG_EIO with a static *error_r on failure. */
enum ig_err audit_open(const char *data_dir, struct audit **a_r, const char **error_r) IG_MUST_CHECK;
void audit_close(struct audit *a); /* NULL-safe */

/* Size-based rotation: before a record would take audit.jsonl past
 * max_bytes, the file is renamed audit-<n>.jsonl (n one above the highest
 * existing) and a new audit.jsonl begins whose first record carries
 * "rotated_from":"audit-<n>.jsonl" and prev = hash of that file's last line,
 * so the chain is verifiable across files. 0 (the default) never rotates. */
void audit_set_max_bytes(struct audit *a, uint64_t max_bytes);

/* Appends one record {seq, ts, process_id, kind, principal, account,
 * ...fields, prev}: exactly one write(2) per record, one line (CR, LF and
 * every control character, U+2028 and U+2029 are escaped; invalid UTF-8
 * becomes U+FFFD), fdatasync when sync is true. kind is a static
 * [a-z_]+ name; principal and account may be NULL (written as null); fields
 * (a JSON object or NULL) is borrowed and already redacted: its members are
 * written in order after `account`, except the reserved names above. A
 * torn final line left by a crash is cut off first and reported in the new
 * record as "torn_tail_bytes"/"torn_tail_sha256". Returns IG_ELIMIT when the
 * record would exceed LIM_AUDIT_RECORD, IG_EIO when the log cannot be
 * written (side-effecting callers must then fail closed). */
enum ig_err audit_append(struct audit *a, const char *kind, const char *principal,
			 const char *account, struct json_object *fields, bool sync) IG_MUST_CHECK;

/* The process_id of this handle (32 lowercase hex digits; lives as long as a). */
const char *audit_process_id(const struct audit *a);

/* Records written and appends that failed through this handle. */
void audit_counts(struct audit *a, uint64_t *written_r, uint64_t *failed_r);

/* Salted hash of a value that must not appear in clear but whose equality
 * matters (recipient addresses, Message-IDs): prefix + 32 hex digits of a
 * BLAKE2b-128 keyed with the installation's salt. Writes at most outsz
 * bytes (NUL included); 64 bytes always suffice for a prefix of up to 16. */
void audit_hash_value(const struct audit *a, const char *prefix, const void *p, size_t len,
		      char *out, size_t outsz);

/* HMAC-SHA-256 (keyed with the salt) of bytes, as 64 hex digits + NUL. */
void audit_hmac_hex(const struct audit *a, const void *p, size_t len, char out[65]);

#endif
