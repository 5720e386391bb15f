#ifndef IG_HANDLERS_TOOLS_READ_H
#define IG_HANDLERS_TOOLS_READ_H

#include <stddef.h>

struct tool_def;

/* Read tools that need the mail server (DESIGN §4.3): list_folders. They
 * reach the account workers through tool_call->accounts. */
const struct tool_def *const *tools_read(size_t *n_r);

#endif
