#ifndef IG_HANDLERS_POLICY_H
#define IG_HANDLERS_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "base/config.h"

/* Who may call what (DESIGN §4.2, §4.3, docs/security-model.md), and the
 * folder guards of the mutating tools (below). Pure
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

/* The guards of the mutating tools (DESIGN §4.3, §8): which folder names
 * and keywords a tool may send to the server, which folders are protected
 * from rename and delete, and where expunge and delete_folder may act. Pure
 * functions of their arguments (config and a folder listing); no I/O. Every
 * returned message is static text that never echoes the rejected value. */

struct imap_folder_list;

/* A folder name as a tool receives it (decoded UTF-8): valid UTF-8,
 * 1..LIM_FOLDER_ARG bytes, no C0/C1 control, DEL or bidirectional
 * formatting character, no LIST wildcard ('*', '%'), no leading '#'
 * (namespace prefix) and no '\' (quoted-string escape some servers store).
 * NULL when acceptable, else why not. */
const char *pol_folder_name_check(const char *name);

/* The same name against the server's hierarchy delimiter (0: flat): no
 * empty level (leading, trailing or doubled delimiter) and no "." or ".."
 * level. NULL when acceptable. */
const char *pol_folder_path_check(const char *name, char delim);

/* A keyword (label) for add_label/remove_label: 1..LIM_LABEL bytes of RFC
 * 3501 atom characters (printable ASCII without SP ( ) { % * " \ ]), so
 * no system flag (they start with '\') and nothing 8-bit. NULL when
 * acceptable. */
const char *pol_keyword_check(const char *kw);

/* Whether two folder names denote the same folder: "INBOX" in any case
 * (RFC 3501 §5.1), other names byte for byte. */
bool pol_folder_same(const char *a, const char *b);

/* Protected folders of account a (NULL: none configured): INBOX, Sent,
 * Drafts, Trash (and, when a delimiter is known, INBOX<delim>Sent, …: the
 * classic layout), every folder l marks \Sent, \Drafts or \Trash
 * (SPECIAL-USE), and the names in a->protected_folders (comma list, at most
 * LIM_PROTECTED_FOLDERS). Compared ignoring ASCII case: a name that differs
 * from a protected one only in case is refused too (some servers fold
 * case). l may be NULL (fixed and configured names only). The folder tools
 * refuse with ERR_PROTECTED_FOLDER. */
bool pol_folder_protected(const struct cfg_account *a, const struct imap_folder_list *l,
                          const char *name);

/* Checks before DELETE name: NULL when allowed, else the reason for
 * ERR_PROTECTED_FOLDER: name is protected, or an ancestor of a protected
 * folder (with delimiter delim, 0: flat). */
const char *pol_delete_check(const struct cfg_account *a, const struct imap_folder_list *l,
                             char delim, const char *name);

/* Checks before RENAME from to: NULL when allowed, else the reason for
 * ERR_PROTECTED_FOLDER: from is protected or an ancestor of a protected
 * folder (renaming would take it along), or to is protected or lies inside
 * a protected folder other than INBOX (INBOX protects itself only: on the
 * classic layout every folder lies inside it). */
const char *pol_rename_check(const struct cfg_account *a, const struct imap_folder_list *l,
                             char delim, const char *from, const char *to);

/* Whether expunge and delete_folder may act on folder (else
 * ERR_EXPUNGE_DENIED): only when a->expunge_folders names it (exact names,
 * INBOX in any case; at most LIM_PROTECTED_FOLDERS entries). Nothing is
 * allowed without the list; a protected folder is never deletable
 * regardless (pol_delete_check). */
bool pol_folder_expungeable(const struct cfg_account *a, const char *folder);

/* Checks that every name in list is a registered tool or sub-capability.
 * Returns true, or false with the first bad name copied to bad (NUL-
 * terminated, truncated to badsz). */
bool pol_list_check(const struct tool_registry *reg, const char *list, char *bad, size_t badsz);

#endif
