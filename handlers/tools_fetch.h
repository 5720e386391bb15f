#ifndef IG_HANDLERS_TOOLS_FETCH_H
#define IG_HANDLERS_TOOLS_FETCH_H

#include <stddef.h>

struct tool_def;

/* fetch_message, list_attachments, download_attachment (DESIGN §4.3):
 * one message read with BODY.PEEK[] through the content pipeline. */
const struct tool_def *const *tools_fetch(size_t *n_r);

/* get_thread and list_labels (handlers/tools_thread.c). */
const struct tool_def *const *tools_thread(size_t *n_r);

#endif
