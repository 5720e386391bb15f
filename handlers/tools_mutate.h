#ifndef IG_HANDLERS_TOOLS_MUTATE_H
#define IG_HANDLERS_TOOLS_MUTATE_H

#include <stddef.h>

struct tool_def;

/* The mutating tools (DESIGN §4.3, docs/tools.md): mark_read, mark_unread,
 * flag, unflag, add_label, remove_label, move_message, delete_message,
 * expunge, create_folder, rename_folder, delete_folder. Each runs as one
 * non-idempotent job on the account's worker; the guards live in
 * handlers/policy.h. Static table; never NULL. */
const struct tool_def *const *tools_mutate(size_t *n_r);

#endif
