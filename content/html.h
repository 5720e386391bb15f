#ifndef IG_CONTENT_HTML_H
#define IG_CONTENT_HTML_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/slice.h"
#include "content/warn.h"

/* Limits of the HTML renderer (DESIGN §5 step 4). */
#define LIM_HTML_INPUT ((size_t)2 * 1024 * 1024)      /* bytes handed to the HTML parser */
#define LIM_HTML_NESTING 512                          /* open elements (estimated before parsing) */
#define LIM_HTML_PARSE_MEM ((size_t)96 * 1024 * 1024) /* live gumbo memory while parsing */
#define LIM_HTML_NODES 200000                         /* tree nodes visited */
#define LIM_HTML_DEPTH (LIM_HTML_NESTING + 128) /* rendered nesting (implied elements add some) */

struct html_stats {
	size_t hidden_removed;   /* hidden constructs that carried text, all methods */
	size_t scripts;          /* <script> elements */
	size_t styles;           /* <style> elements */
	size_t remote_images;    /* <img>/background images that would be fetched */
	size_t links;            /* <a href> rendered */
	size_t link_mismatches;  /* link text names another domain than the href */
	size_t unparsable_hrefs; /* hrefs that are not absolute http(s)/mailto/tel URLs */
	bool truncated;          /* output cap or node budget reached */
};

/* Renders HTML (UTF-8, already charset-decoded) to the text a human sees.
 * gumbo parses it as a browser would (WHATWG HTML); script, style, template,
 * head, title, noscript, iframe, object, embed, svg, math, form controls and
 * comments are dropped; content hidden by any method of DESIGN §5 step 4 is
 * dropped and each method is reported once as html_hidden_content_detected
 * ("method=display_none", ...) when the hidden part carried text. Links render
 * as "text [href]"; images are dropped (remote ones counted and reported).
 * Block structure becomes newlines, list items "- " (ol: "1. "), table cells
 * " | ", whitespace collapses as in CSS normal flow.
 *
 * out receives raw text (the Unicode policy runs afterwards) and is never
 * pushed past out->max: when the rendering would not fit, out holds a prefix
 * cut on a UTF-8 boundary and st->truncated is set (IG_OK is still
 * returned; the caller reports parse_body_truncated). w and st may be NULL.
 * Returns IG_ENOMEM, or IG_ELIMIT when the input is over LIM_HTML_INPUT,
 * nests deeper than LIM_HTML_NESTING, parsing needed more than
 * LIM_HTML_PARSE_MEM or the stylesheet matching budget ran out; out is then
 * left as it was. Such input is refused rather than cut because a <style>
 * block after the cut could be what hides the text before it; callers must
 * not cut HTML either. */
enum ig_err html_to_text(struct slice html, struct buf *out, struct warn_list *w,
                         struct html_stats *st) IG_MUST_CHECK;

/* Sanitized HTML for include_html: only p br div span a b i u em strong ul
 * ol li table thead tbody tfoot tr td th h1-h6 blockquote pre code hr survive
 * (other elements are unwrapped, dropped ones as in html_to_text are removed
 * with their content); attributes only href on a (absolute http, https or
 * mailto), title, colspan and rowspan (digits); no images, scripts, event
 * handlers, style attributes or remote resources. Hidden content is removed
 * as in html_to_text. Text and attribute values are escaped. Warnings are
 * added to w (pass NULL when html_to_text already reported them). Same
 * truncation and error rules as html_to_text; a truncated result may end
 * with elements left open but never inside a tag or character reference. */
enum ig_err html_sanitize(struct slice html, struct buf *out, struct warn_list *w) IG_MUST_CHECK;

#endif
