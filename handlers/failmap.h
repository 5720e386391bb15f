#ifndef IG_HANDLERS_FAILMAP_H
#define IG_HANDLERS_FAILMAP_H

#include "imap/conn.h"

/* The one table from an IMAP failure to what a tool call answers (STYLE §2):
 * the MCP error code and the fixed sentence the agent reads. The server's own
 * NO/BAD text is never part of it (it goes to the log, filtered). Both return
 * static strings; a value outside enum imap_fail is "ERR_INTERNAL" /
 * "internal error". */
const char *imap_fail_code(enum imap_fail f);
const char *imap_fail_text(enum imap_fail f);

#endif
