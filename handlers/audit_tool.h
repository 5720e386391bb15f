#ifndef IG_HANDLERS_AUDIT_TOOL_H
#define IG_HANDLERS_AUDIT_TOOL_H

#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"
#include "handlers/tools.h"

/* tool_start / tool_end records (DESIGN §9, docs/audit.md), written by the
 * dispatch chain around every tool call. */

struct audit;
struct json_object;

/* What ties a tool_end to its tool_start; filled by audit_tool_start. */
struct audit_span {
	char call_id[33];  /* 32 random hex digits, in both records */
	int64_t start_ms;  /* monotonic, for duration_ms */
	bool started;      /* the tool_start record was written */
};

/* audit_redact_args (store/audit_redact.h) with the classes of a tool's
 * argument rules (NULL-terminated; an argument without a rule is mail text). */
struct json_object *audit_tool_redact_args(const struct audit *a, const struct tool_arg_rule *rules,
					   struct json_object *args);

/* True for tools whose call must not run unaudited: min_posture above
 * readonly, or rate class WRITE, DRAFT or SEND. */
bool audit_tool_side_effecting(const struct tool_def *t);

/* Writes tool_start {tool, call_id, args (audit_redact_args), args_sha256}.
 * principal/account may be NULL. On failure the caller refuses a
 * side-effecting tool with ERR_INTERNAL before running it and lets a read
 * tool proceed (the failure is logged here). a NULL: IG_OK, nothing written. */
enum ig_err audit_tool_start(struct audit *a, const struct tool_def *t, const char *principal,
			     const char *account, struct json_object *args,
			     struct audit_span *sp) IG_MUST_CHECK;

/* Writes tool_end {tool, call_id, status ("ok" | "error" | "rpc_error" |
 * "cancelled" for an ERR_CANCELLED result: the worker stopped the job),
 * error_code, duration_ms, result_summary {ids, ids_total, bytes, warnings,
 * warning_codes}, provenance}. result is the CallToolResult (borrowed; may be
 * NULL when rpc_error_code != 0). Ids are "<folder>/<uid>" for every object
 * in structuredContent with an integer `uid` (folder from the nearest
 * enclosing `folder`, else meta.folder), or a salted "mid_…" hash of a `message_id` (mail
 * text); at most LIM_AUDIT_IDS are listed. provenance: for a side-effecting
 * tool, the ids ("<account>:<folder>/<uid>") this principal was returned by
 * read tools within LIM_AUDIT_PROV_WINDOW_S (at most LIM_AUDIT_PROV_IDS);
 * for a read tool only their count. A read tool's ids then join the
 * principal's provenance ring. a NULL: IG_OK, nothing written. */
enum ig_err audit_tool_end(struct audit *a, const struct tool_def *t, const char *principal,
			   const char *account, const struct audit_span *sp,
			   struct json_object *result, int rpc_error_code) IG_MUST_CHECK;

/* Writes tool_end {tool, call_id, status "rejected", error_code, duration_ms
 * 0} for a call the dispatch chain refused before tool_start (invalid
 * input, scope, posture, breaker, rate limit). error_code is an ERR_* code
 * of handlers/errors.c (anything else is recorded as ERR_UNKNOWN). a NULL:
 * IG_OK. */
enum ig_err audit_tool_rejected(struct audit *a, const struct tool_def *t, const char *principal,
				const char *account, const char *error_code) IG_MUST_CHECK;

#endif
