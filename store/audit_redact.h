#ifndef IG_STORE_AUDIT_REDACT_H
#define IG_STORE_AUDIT_REDACT_H

/* How the audit log records one argument (DESIGN §9). Each tool declares
 * the class of each of its arguments (handlers/tools.h, struct
 * tool_arg_rule); this file owns the classes and the mechanism. */
enum audit_arg_class {
	ARG_AUDIT_VERBATIM = 1, /* structural: account, folder, uid, flags, limits */
	ARG_AUDIT_TEXT,         /* mail text (subject, body, queries): "<redacted:N>" */
	ARG_AUDIT_RECIPIENTS,   /* addresses: salted hashes only */
	ARG_AUDIT_SECRET,       /* never written, not even its length */
};

/* The class of the argument called name; ctx is the caller's (e.g. a tool's
 * rule table). */
typedef enum audit_arg_class (*audit_arg_class_fn)(const void *ctx, const char *name);

/* Argument redaction for tool_start records (DESIGN §9, docs/audit.md),
 * keyed on each tool's real argument names (classified by class_of). */

struct audit;
struct json_object;

/* Returns a new object (the caller releases it) holding args as the audit
 * log may show them, member by member per class_of(ctx, name):
 *   ARG_AUDIT_VERBATIM   copied; a string over LIM_AUDIT_VERBATIM bytes
 *                        becomes "<long:N>"
 *   ARG_AUDIT_TEXT       "<redacted:N>", N = the value's bytes (a string's
 *                        length, else its JSON text's)
 *   ARG_AUDIT_RECIPIENTS each address as "rcpt_<32 hex>" (audit_hash_value
 *                        of the trimmed, lower-cased address); accepts a
 *                        string, an array of strings and/or {name, address}
 *                        objects (name becomes "<redacted:N>")
 *   ARG_AUDIT_SECRET     omitted entirely
 * A class outside the enum (or a NULL class_of) is treated as
 * ARG_AUDIT_TEXT (fail safe). When the
 * result would exceed LIM_AUDIT_ARGS bytes it is replaced by
 * {"_omitted_bytes":N}. NULL only when out of memory. */
struct json_object *audit_redact_args(const struct audit *a, audit_arg_class_fn class_of,
				      const void *ctx, struct json_object *args);

/* The args_sha256 of a record: HMAC-SHA-256 keyed with the installation salt
 * over the canonical JSON of args (members sorted by name, no whitespace),
 * as 64 hex digits. Keyed so that a short redacted value (a search query)
 * cannot be confirmed by hashing guesses without the salt. */
void audit_args_hash(const struct audit *a, struct json_object *args, char out[65]);

#endif
