#ifndef IG_HANDLERS_POLICY_H
#define IG_HANDLERS_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "server/config.h"

/* Who may call what (DESIGN §4.2, §4.3, docs/security-model.md). Pure
 * functions over the configuration, the token and the tool definitions.
 *
 * Effective permission for a call = account posture ∩ token posture cap ∩
 * overrides. The posture level is min(account posture, token cap) (the
 * token cap alone for tools that act on no account). A tool runs when its
 * min_posture is at most that level and neither the token's nor the
 * account's overrides take it away; a sub-capability ("tool.argument", an
 * argument rule with min_posture above readonly) additionally needs its own
 * min_posture and must not be taken away itself. Overrides only remove:
 *   tools_deny  = names: those tools (with their sub-capabilities) and
 *                 sub-capabilities are refused;
 *   tools_allow = names: when set, only the tools and sub-capabilities it
 *                 names remain (naming a tool does not name its
 *                 sub-capabilities).
 * Account overrides apply to account-scoped tools only. */

struct tool_def;
struct tool_arg_rule;
struct tool_registry;
struct token_info;

/* One allow and one deny list, comma-separated (spaces around names are
 * ignored); NULL or "": not set. Borrowed. */
struct pol_overrides {
	const char *allow;
	const char *deny;
};

enum posture pol_posture(enum posture account, enum posture cap);

/* True when the comma list contains exactly name. */
bool pol_list_has(const char *list, const char *name);

/* Whether tool t may run at posture level eff under both override sets
 * (either may be NULL). */
bool pol_tool_allowed(const struct tool_def *t, enum posture eff, const struct pol_overrides *tok,
		      const struct pol_overrides *acc);
/* Whether argument r of t may be used (t itself allowed is the caller's
 * check). Arguments that are not sub-capabilities always may. */
bool pol_arg_allowed(const struct tool_def *t, const struct tool_arg_rule *r, enum posture eff,
		     const struct pol_overrides *tok, const struct pol_overrides *acc);
/* True for an argument rule that is a sub-capability. */
bool pol_arg_is_subcap(const struct tool_arg_rule *r);

/* The overrides of a token / account as pol_overrides. */
struct pol_overrides pol_token_overrides(const struct token_info *tok);
struct pol_overrides pol_account_overrides(const struct cfg_account *a);

/* Whether tok may call t on account a (NULL for tools that act on no
 * account; the caller has checked that tok holds a). */
bool pol_permits(const struct tool_def *t, const struct cfg_account *a,
		 const struct token_info *tok);

/* DESIGN §4.3, §8: folders that cannot be renamed or deleted — INBOX (any
 * case), Sent, Drafts, Trash, any folder whose special use (IMAP SPECIAL-USE
 * attribute, e.g. "\\Sent"; NULL when unknown) is \\Sent, \\Drafts or
 * \\Trash, and the account's protected_folders. The folder tools refuse
 * with ERR_PROTECTED_FOLDER. */
bool pol_folder_protected(const struct cfg_account *a, const char *folder,
			  const char *special_use);
/* DESIGN §4.3: expunge and delete_folder act only on folders the account's
 * expunge_folders list names exactly (none when unset); else
 * ERR_EXPUNGE_DENIED. A protected folder is never deletable regardless. */
bool pol_folder_expungeable(const struct cfg_account *a, const char *folder);

/* Checks that every name in list is a registered tool or sub-capability.
 * Returns true, or false with the first bad name copied to bad (NUL-
 * terminated, truncated to badsz). */
bool pol_list_check(const struct tool_registry *reg, const char *list, char *bad, size_t badsz);

#endif
