#ifndef IG_HANDLERS_POLICY_H
#define IG_HANDLERS_POLICY_H

#include <stdbool.h>

/* The guards of the mutating tools, in one place (DESIGN §4.3, §8): which
 * folder names and keywords a tool may send to the server, which folders
 * are protected from rename and delete, and where expunge and delete_folder
 * may act. Pure functions of their arguments (config and a folder listing);
 * no I/O, no state. Every returned message is static text that never
 * echoes the rejected value. */

struct cfg_account;
struct imap_folder_list;

/* A folder name as a tool receives it (decoded UTF-8): valid UTF-8,
 * 1..LIM_FOLDER_ARG bytes, no C0/C1 control, DEL or bidirectional
 * formatting character, no LIST wildcard ('*', '%'), no leading '#'
 * (namespace prefix) and no '\' (quoted-string escape some servers store).
 * NULL when acceptable, else why not. */
const char *policy_folder_name_check(const char *name);

/* The same name against the server's hierarchy delimiter (0: flat): no
 * empty level (leading, trailing or doubled delimiter) and no "." or ".."
 * level. NULL when acceptable. */
const char *policy_folder_path_check(const char *name, char delim);

/* A keyword (label) for add_label/remove_label: 1..LIM_LABEL bytes of RFC
 * 3501 atom characters (printable ASCII without SP ( ) { % * " \ ]), so
 * no system flag (they start with '\') and nothing 8-bit. NULL when
 * acceptable. */
const char *policy_keyword_check(const char *kw);

/* Whether two folder names denote the same folder: "INBOX" in any case
 * (RFC 3501 §5.1), other names byte for byte. */
bool policy_folder_same(const char *a, const char *b);

/* Protected folders of account a: INBOX, every folder l marks \Sent,
 * \Drafts or \Trash (SPECIAL-USE), and the names in a->protected_folders
 * (comma list). Compared ignoring ASCII case: a name that differs from a
 * protected one only in case is refused too (some servers fold case). l may
 * be NULL (config and INBOX only). */
bool policy_folder_protected(const struct cfg_account *a, const struct imap_folder_list *l,
			     const char *name);

/* Checks before DELETE name: NULL when allowed, else the reason for
 * ERR_PROTECTED_FOLDER: name is protected, or an ancestor of a protected
 * folder (with delimiter delim, 0: flat). */
const char *policy_delete_check(const struct cfg_account *a, const struct imap_folder_list *l,
				char delim, const char *name);

/* Checks before RENAME from to: NULL when allowed, else the reason for
 * ERR_PROTECTED_FOLDER: from is protected or an ancestor of a protected
 * folder (renaming would take it along), or to is protected or lies inside
 * a protected folder. */
const char *policy_rename_check(const struct cfg_account *a, const struct imap_folder_list *l,
				char delim, const char *from, const char *to);

/* Whether expunge and delete_folder may act on folder: only when it is
 * listed in a->expunge_folders (exact names; INBOX in any case). Nothing is
 * allowed without the list. */
bool policy_expunge_allowed(const struct cfg_account *a, const char *folder);

#endif
