#ifndef IG_HANDLERS_TOOLS_FIXTURES_H
#define IG_HANDLERS_TOOLS_FIXTURES_H

#include <stddef.h>

struct tool_def;

/* The fixture tools the official MCP conformance scenarios call. This file is
 * compiled only into imapgate-test (CMake target), never into imapgate. */
const struct tool_def *const *tool_fixtures(size_t *n_r);

#endif
