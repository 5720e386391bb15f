/* Internals shared by the content/html*.c files; included only inside
 * content/. The public API is content/html.h. */
#ifndef IG_CONTENT_HTML_INT_H
#define IG_CONTENT_HTML_INT_H

#include <gumbo.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/slice.h"
#include "content/css.h"
#include "content/html.h"

/* ---- gumbo memory and tree helpers (html_tree.c) ------------------------ */

/* gumbo's allocations come from size classes of GMEM_GRAIN bytes carved out
 * of chunks, with one free list per class (gumbo allocates and frees many
 * small blocks: tokens, string buffers that grow by copying, vectors);
 * larger blocks are malloc'd and linked so they can be freed all at once.
 * live counts the bytes gumbo asked for and still holds (checked against
 * cap); held counts what the allocator took from malloc (at most
 * GMEM_HELD_FACTOR x cap, a bound on the memory fragmentation can keep). */
#define GMEM_GRAIN 16
#define GMEM_CLASSES 64 /* blocks up to 1 KiB come from chunks */
#define GMEM_HELD_FACTOR 2

struct gmem_chunk;
union ghdr;

struct gmem {
	union ghdr *head; /* large blocks */
	struct gmem_chunk *chunks;
	union ghdr *free_list[GMEM_CLASSES + 1];
	char *bump, *bump_end; /* the unused tail of the newest chunk */
	size_t chunk_size;
	size_t live;
	size_t held;
	size_t cap;
	jmp_buf jb;
};

/* Frees every block still live, without walking gumbo's tree. */
void html_gmem_free_all(struct gmem *m);
/* Parses html with m's capped allocator; NULL with *err set when the cap
 * was reached or memory ran out. */
GumboOutput *html_gumbo_parse_capped(struct gmem *m, struct slice html, enum ig_err *err);

const GumboVector *html_node_children(const GumboNode *n);
/* Next node in document order within root, optionally skipping n's subtree. */
const GumboNode *html_node_next(const GumboNode *n, const GumboNode *root, bool skip_children);

static inline struct slice
attr(const GumboNode *n, const char *name)
{
	const GumboAttribute *a = gumbo_get_attribute(&n->v.element.attributes, name);

	return a != NULL ? sl_from_cstr(a->value) : (struct slice){NULL, 0};
}

static inline bool
has_attr(const GumboNode *n, const char *name)
{
	return gumbo_get_attribute(&n->v.element.attributes, name) != NULL;
}

/* Lowercase tag name; unknown (custom) elements come from the source text. */
struct slice html_tag_name(const GumboNode *n, char *tmp, size_t tmpsz);

static inline bool
ascii_ws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

/* True when s has nothing a reader would notice. */
bool html_text_blank(const char *p, size_t len);
/* Does the subtree under n carry any text? */
bool html_subtree_has_text(const GumboNode *n);

enum ekind {
	EK_INLINE, /* rendered through */
	EK_DROP,   /* never rendered (UA display:none, active or embedded content) */
	EK_BLOCK1, /* block: one line break around it */
	EK_BLOCK2, /* paragraph-like: a blank line around it */
	EK_BR,
	EK_LI,
	EK_LIST, /* ul/ol: a blank line around the outermost one */
	EK_TR,
	EK_CELL,
	EK_PRE,
	EK_IMG,
};

enum ekind html_kind_of(struct slice name);

/* ---- hidden-content methods and computed state (html_style.c) ----------- */

enum hmethod {
	HM_DISPLAY_NONE,
	HM_VISIBILITY,
	HM_OPACITY,
	HM_FONT_SIZE,
	HM_HIDDEN_ATTR,
	HM_MSO_HIDE, /* a warning only: hidden in Outlook only, kept (html.c) */
	HM_ZERO_SIZE,
	HM_OFFSCREEN,
	HM_TEXT_INDENT,
	HM_CLIP,
	HM_TRANSFORM,
	HM_COLOR_MATCH,
	HM_TRANSPARENT_TEXT,
	HM_CONTENT_VISIBILITY,
	HM_DIALOG_CLOSED,
	HM_DETAILS_CLOSED,
	HM_LINE_HEIGHT,
	HM_UNEVALUABLE_COLOR, /* a warning only: the text is kept (see text_hidden) */
	HM_SOME_VIEWPORTS,    /* a warning only: hidden in some viewports, kept */
	HM_FONT_RAISED,       /* a warning only: tiny but raised by Chromium's minimum, kept */
	HM_COUNT_
};

/* The box an element generates, as far as hiding methods care (CSS Display
 * 3, after blockification): which properties apply depends on it. */
enum hdisp {
	HD_BLOCK, /* block container: block, inline-block, list-item, flow-root, caption */
	HD_NONE,
	HD_CONTENTS,   /* no box of its own */
	HD_INLINE,     /* non-replaced inline box */
	HD_FLEX,       /* flex or grid container (its children are blockified) */
	HD_TABLE,      /* table wrapper: grows to its content */
	HD_TABLE_PART, /* row, row group, column: no margins, grows to content */
	HD_CELL,       /* table cell: a block container that grows to its content */
};

/* What descendants inherit (or, for bg, see through transparent boxes). */
struct istate {
	struct css_color color; /* text colour, may carry alpha */
	struct css_color fill;  /* -webkit-text-fill-color when fill_set */
	struct css_color bg;    /* effective opaque background behind the box */
	double font_px;
	double opacity; /* product of ancestors' opacity */
	bool fill_set;
	bool color_unknown; /* text colour we could not evaluate */
	bool bg_unknown;    /* background colour we could not evaluate */
	bool vis_hidden;
	bool pre;
	enum hdisp disp;  /* this element's box (for its children: the parent's) */
	double indent_px; /* computed text-indent (inherited) */
	bool align_right; /* computed text-align is right or end (inherited) */
	bool cb_abs;      /* an ancestor is the containing block of absolute boxes */
	bool cb_fixed;    /* an ancestor is the containing block of fixed boxes */
	/* font_px is the used size; the specified size (what em and % in a
	 * descendant's font-size multiply) differs only when the smart minimum
	 * raised it (font_raised). font_abs: the size is absolute (px, pt, rem,
	 * calc()), not relative to the reader's default font size. */
	double font_spec_px;
	bool font_raised;
	bool font_abs;
};

/* Methods that remove the element's whole subtree (a bitmask of enum
 * hmethod), each only where CSS applies it to the element's box; p is the
 * parent's state; *opacity is multiplied by the element's opacity. */
/* True when the element is a non-replaced inline box whose negative left
 * margin (<= the off-screen offset) moves the start of its line off the page,
 * in a line that is not right-aligned: the browser pulls every inline box
 * after it on that line off the page too, up to the next forced break or
 * block boundary (html.c marks the rest of the line hidden). */
bool html_pulls_line(const struct css_decls *d, const GumboNode *n, const struct istate *p);
unsigned html_subtree_hidden(const struct css_decls *d, const GumboNode *n, const struct istate *p,
                             double *opacity);
/* Computes the state children inherit from parent p for element n. */
void html_inherit_state(const struct css_decls *d, const GumboNode *n, const struct istate *p,
                        struct istate *s, bool is_link);
/* Which per-text method hides text rendered with state s, or -1. */
int html_text_hidden(const struct istate *s);
/* Text rendered with state s is unreadably small as specified, shown only
 * because Chromium raises sizes relative to the reader's default to its
 * minimum (kept and reported: other engines do not raise it). */
bool html_text_font_raised(const struct istate *s);

/* ---- links (html_link.c) ------------------------------------------------ */

enum href_kind {
	HREF_NONE, /* empty or "#fragment": a link into the message itself */
	HREF_WEB,  /* absolute http(s) with a dotted host or IP literal */
	HREF_MAILTO,
	HREF_TEL,
	HREF_BAD, /* anything else: javascript:, data:, relative, malformed */
};

static inline char
lower(char c)
{
	if (c >= 'A' && c <= 'Z')
		c = (char)(c + 32);
	return c;
}

static inline bool
prefix_nocase(struct slice s, const char *p)
{
	size_t n = strlen(p);

	if (s.len < n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (lower(s.p[i]) != p[i])
			return false;
	return true;
}

/* WHATWG URL: leading/trailing C0 controls and spaces are stripped. */
struct slice html_href_trim(struct slice h);
/* Classifies an href and extracts the host it points to. */
enum href_kind html_href_classify(struct slice h, struct slice *host);
bool html_host_eq(struct slice a, struct slice b);
/* Does the visible link text name a domain other than the href's? */
bool html_link_text_mismatch(struct slice text, struct slice host);

/* ---- <base href> (html_link.c) ------------------------------------------ */

#define LIM_HTML_BASE 2048   /* bytes of a <base href> that is applied */
#define LIM_HTML_URL 4096    /* bytes of one href resolved against it */
#define LIM_HTML_URL_OPEN 16 /* resolved hrefs of links open at once (nested <a>) */

/* The document's base URL (WHATWG HTML "frozen base URL": the first base
 * element with an href, in tree order) and the storage of the hrefs resolved
 * against it. Zero-initialized: no base. */
struct html_base {
	struct slice href; /* the first <base href>, trimmed */
	bool seen;         /* a <base href> was found (usable or not) */
	bool usable;       /* absolute http(s) with a valid host, within LIM_HTML_BASE */
	size_t origin_end; /* end of "scheme://authority" in href */
	size_t path_end;   /* start of "?query" or "#fragment" (href.len: none) */
	size_t query_end;  /* start of "#fragment" (href.len: none) */
	char *pool;        /* LIM_HTML_URL_OPEN * LIM_HTML_URL bytes, on first use */
	size_t used;       /* a stack: the innermost open link's URL is on top */
};

/* Records element n (an HTML base element) when it is the first with an href. */
void html_base_note(struct html_base *b, const GumboNode *n);
/* Classifies href as html_href_classify does; with a usable base, a relative
 * reference (path-, root- and scheme-relative, query or fragment only, empty)
 * is first resolved against it as the WHATWG URL parser does for http(s)
 * (backslashes read as slashes, dot segments removed). *url_r is what the
 * link points to: the resolved URL (valid until html_base_release of it) or
 * href itself. A result over LIM_HTML_URL, or more than LIM_HTML_URL_OPEN
 * links open at once, is HREF_BAD with no host, as without a base. */
enum href_kind html_href_resolve(struct html_base *b, struct slice href, struct slice *url_r,
                                 struct slice *host_r);
/* Gives back url when it was resolved (links close innermost first). */
void html_base_release(struct html_base *b, struct slice url);
/* NULL-safe on a zeroed base. */
void html_base_free(struct html_base *b);

/* ---- output (html_out.c) ------------------------------------------------ */

struct writer {
	struct buf *out;
	size_t max;        /* bytes the output may hold */
	unsigned want_nl;  /* line breaks owed before the next text */
	unsigned trail_nl; /* line breaks at the end of the output */
	bool want_space;
	bool want_sep; /* a table-cell separator is owed */
	bool full;
};

/* Length of the longest prefix of p[0..n) that does not end inside a UTF-8
 * sequence (p is valid UTF-8 up to where it was cut). */
static inline size_t
u8_cut(const char *p, size_t n)
{
	size_t lead = n, need;
	unsigned char c;

	while (lead > 0 && ((unsigned char)p[lead - 1] & 0xC0) == 0x80 && n - lead < 3)
		lead--;
	if (lead == 0)
		return n;
	c = (unsigned char)p[lead - 1];
	if (c < 0x80)
		return n;
	need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
	return n - (lead - 1) >= need ? n : lead - 1;
}

/* Appends at most what fits, cutting on a UTF-8 boundary. */
void html_w_raw(struct writer *w, const char *p, size_t n);
/* Settles owed breaks/separators before visible content. */
void html_w_flush(struct writer *w);
void html_w_block(struct writer *w, unsigned k);
void html_w_br(struct writer *w);
/* Visible text with CSS normal-flow whitespace collapsing (or preserved). */
void html_w_text(struct writer *w, const char *p, size_t len, bool pre);
/* Escaped text for html_sanitize. */
void html_w_escaped(struct writer *w, const char *p, size_t len);
/* An href as shown in text: no whitespace or controls, capped. */
void html_w_href(struct writer *w, struct slice h);

#endif
