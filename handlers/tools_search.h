#ifndef IG_HANDLERS_TOOLS_SEARCH_H
#define IG_HANDLERS_TOOLS_SEARCH_H

#include <stddef.h>

struct tool_def;

/* The search tool (DESIGN §4.3): structured criteria over a folder, served
 * from cache.db when the folder is synced (after a freshness check against
 * the server on the same call), otherwise by the server's UID SEARCH + UID
 * FETCH of the page's envelopes. Runs as a job on the account's worker. */
const struct tool_def *const *tools_search(size_t *n_r);

#endif
