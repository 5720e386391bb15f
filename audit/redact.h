#ifndef IG_AUDIT_REDACT_H
#define IG_AUDIT_REDACT_H

#include "handlers/tools.h"

/* Argument redaction for tool_start records (DESIGN §9, docs/audit.md),
 * keyed on each tool's real argument names (tool_def.args). */

struct audit;
struct json_object;

/* Returns a new object (the caller releases it) holding args as the audit
 * log may show them, member by member per rules:
 *   ARG_AUDIT_VERBATIM   copied; a string over LIM_AUDIT_VERBATIM bytes
 *                        becomes "<long:N>"
 *   ARG_AUDIT_TEXT       "<redacted:N>", N = the value's bytes (a string's
 *                        length, else its JSON text's)
 *   ARG_AUDIT_RECIPIENTS each address as "rcpt_<32 hex>" (audit_hash_value
 *                        of the trimmed, lower-cased address); accepts a
 *                        string, an array of strings and/or {name, address}
 *                        objects (name becomes "<redacted:N>")
 *   ARG_AUDIT_SECRET     omitted entirely
 * A member without a rule is treated as ARG_AUDIT_TEXT (fail safe). When the
 * result would exceed LIM_AUDIT_ARGS bytes it is replaced by
 * {"_omitted_bytes":N}. NULL only when out of memory. */
struct json_object *audit_redact_args(const struct audit *a, const struct tool_arg_rule *rules,
				      struct json_object *args);

/* The args_sha256 of a record: HMAC-SHA-256 keyed with the installation salt
 * over the canonical JSON of args (members sorted by name, no whitespace),
 * as 64 hex digits. Keyed so that a short redacted value (a search query)
 * cannot be confirmed by hashing guesses without the salt. */
void audit_args_hash(const struct audit *a, struct json_object *args, char out[65]);

#endif
