#ifndef IG_HANDLERS_TOOLS_INFRA_H
#define IG_HANDLERS_TOOLS_INFRA_H

#include <stddef.h>

struct tool_def;

/* The infrastructure tools every posture has (DESIGN §4.3): list_accounts. */
const struct tool_def *const *tools_infra(size_t *n_r);

#endif
