#ifndef IG_CONTENT_MARKDOWN_H
#define IG_CONTENT_MARKDOWN_H

#include <stddef.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/slice.h"

/* Defuses the Markdown and raw-HTML constructs that make a client's renderer
 * fetch a URL when it displays the text (DESIGN §5 step 6), with CommonMark
 * backslash escapes so the rendered text reads the same:
 *   - every image opener "![" (inline, reference, collapsed and shortcut
 *     images) becomes "!\[";
 *   - an HTML tag that can load a resource ("<img", "<svg", "<iframe",
 *     "<video"..., or any tag followed within its paragraph by a src=,
 *     srcset=, lowsrc=, poster=, background= or style= attribute) becomes
 *     "\<tag...";
 *   - a link reference definition line ("[ref]: url", which renders as
 *     nothing and could feed an image elsewhere) becomes "\[ref]: url".
 * Run it on text that has passed u8_sanitize: NFKC and stripping can create
 * "![" from fullwidth or zero-width-split forms. Output stays valid UTF-8 and
 * NFKC, and running md_neutralize on it again changes nothing.
 * Appends to out; *count_r (may be NULL) receives the number of image and
 * fetching-tag constructs defused, for content_markdown_image_neutralized.
 * Returns IG_OK or out's sticky error. Linear time (one scan per paragraph
 * for tags). */
enum ig_err md_neutralize(struct slice in, struct buf *out, size_t *count_r) IG_MUST_CHECK;

#endif
