#ifndef IG_HANDLERS_TOOLS_SEND_H
#define IG_HANDLERS_TOOLS_SEND_H

#include <stddef.h>

struct tool_def;

/* create_draft, send_email, list_pending (DESIGN §4.3, §10). Static
 * definitions; *n_r gets the count. */
const struct tool_def *const *tools_send(size_t *n_r);

#endif
