#ifndef IG_CONTENT_CSS_H
#define IG_CONTENT_CSS_H

/* The small part of CSS (CSS 2.1, CSS Syntax 3, CSS Color 4, Selectors 4)
 * that html.c needs to decide whether text in an HTML mail is visible to a
 * human: declarations from style="" attributes and <style> blocks, colours,
 * lengths and simple selectors. Nothing here lays anything out; it only
 * answers "would a browser hide this?" and "what colour is this text on?". */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/slice.h"

#define LIM_CSS_TEXT ((size_t)1024 * 1024) /* normalized <style> text kept per message */
#define LIM_CSS_RULES 2048  /* selector+declaration pairs kept (only relevant ones) */
#define LIM_CSS_DECLS 64    /* declarations read from one block or style="" */
#define LIM_CSS_CLASSES 32  /* classes of one element considered for matching */
#define LIM_CSS_COMPOUNDS 16 /* compound selectors in one complex selector */
#define LIM_CSS_MATCH_WORK ((uint64_t)20 * 1000 * 1000) /* selector steps per message */

/* The properties that can hide content or change the text/background colour;
 * everything else is dropped at parse time. */
enum css_prop {
	CP_DISPLAY,
	CP_VISIBILITY,
	CP_OPACITY,
	CP_FILTER,
	CP_FONT_SIZE,
	CP_FONT,
	CP_MSO_HIDE,
	CP_WIDTH,
	CP_HEIGHT,
	CP_MAX_WIDTH,
	CP_MAX_HEIGHT,
	CP_OVERFLOW,
	CP_OVERFLOW_X,
	CP_OVERFLOW_Y,
	CP_POSITION,
	CP_LEFT,
	CP_TOP,
	CP_RIGHT,
	CP_BOTTOM,
	CP_MARGIN,
	CP_MARGIN_LEFT,
	CP_MARGIN_TOP,
	CP_TEXT_INDENT,
	CP_CLIP,
	CP_CLIP_PATH,
	CP_TRANSFORM,
	CP_TRANSLATE,
	CP_SCALE,
	CP_LINE_HEIGHT,
	CP_CONTENT_VISIBILITY,
	CP_COLOR,
	CP_TEXT_FILL_COLOR,
	CP_BACKGROUND_COLOR,
	CP_BACKGROUND,
	CP_FLOAT, /* blockifies: decides which properties apply to a box */
	CP_TEXT_ALIGN, /* right-aligned lines keep their text on screen */
	CP_COUNT_
};

/* An sRGB colour with alpha 0..255. */
struct css_color {
	uint8_t r, g, b, a;
};

/* The winning declaration per property after the cascade. val points into
 * text owned by whoever filled the set (the stylesheet or a scratch buffer)
 * and is already normalized: comments removed, escapes decoded, lowercase. */
struct css_slot {
	struct slice val;
	uint64_t prio; /* !important, inline, specificity, source order; higher wins */
	bool set;
};

struct css_decls {
	struct css_slot s[CP_COUNT_];
};

/* Cascade order packed into one integer: !important beats inline beats
 * specificity beats source order (CSS 2.1 §6.4.3). Presentational hints
 * (bgcolor, <font color>) use 0 and so lose to every author rule. */
#define CSS_PRIO_IMPORTANT (1ull << 62)
#define CSS_PRIO_INLINE (1ull << 61)
#define CSS_PRIO_SPEC_SHIFT 32

/* Normalizes CSS text into out: comments become a space, escapes are
 * decoded (an escaped delimiter becomes '_', so it cannot end a declaration
 * the browser would have kept whole), ASCII is lowercased. Bounded by
 * out->max. */
void css_normalize(struct slice css, struct buf *out);

/* Parses a normalized declaration list ("a:b; c:d !important") and merges
 * the relevant declarations into d with base priority prio. The slots point
 * into decls, which must outlive d's use. At most LIM_CSS_DECLS are read. */
void css_decls_apply(struct css_decls *d, struct slice decls, uint64_t prio);

/* Sets slot p to val with priority prio when prio >= the slot's priority. */
void css_slot_set(struct css_decls *d, enum css_prop p, struct slice val, uint64_t prio);

/* Parses a CSS colour (hex, rgb[a](), hsl[a](), hwb(), lab(), lch(),
 * oklab(), oklch(), color(srgb|srgb-linear|display-p3 ...) with display-p3
 * approximated as srgb, the CSS Color 4 named and system colours,
 * transparent; also a hash-less 3/6-digit hex as the quirks-mode
 * hashless-colour quirk does). Returns false for currentcolor, inherit,
 * color-mix(), var(), relative colours and anything unparsable. */
bool css_color_parse(struct slice v, struct css_color *c);
/* WHATWG "rules for parsing a legacy colour value" (bgcolor, <font color>):
 * every string except "" and "transparent" yields some colour. */
bool css_legacy_color_parse(struct slice v, struct css_color *c);
/* Finds the first colour token in a shorthand such as background. */
bool css_color_in_shorthand(struct slice v, struct css_color *c);

/* Parses a length to CSS px. em/rem/ex/ch use font_px, % uses pct_base
 * (pass a negative pct_base when percentages cannot be resolved: they then
 * fail). calc()/min()/max()/clamp() are reduced to their smallest length term
 * (conservative: it can only make content look more hidden). */
bool css_length_px(struct slice v, double font_px, double pct_base, double *px);

/* Evaluates a calc() of lengths and numbers joined by + - * / (CSS Values 3
 * §10) exactly, to px; false when it has nested parentheses, divides by
 * zero or mixes what cannot be resolved. For font-size, where the
 * conservative smallest-term rule of css_length_px would hide
 * calc(12px * 0.9). */
bool css_calc_px(struct slice v, double font_px, double pct_base, double *px);

/* Composites fg (with alpha) over an opaque bg. */
struct css_color css_blend(struct css_color fg, struct css_color bg);

/* WCAG 2 contrast ratio (1 to 21) of text colour fg, its alpha multiplied
 * by opacity, composited over the opaque background bg, against bg; in
 * floating point (no rounding of the blend to 8 bits). Text under
 * CSS_MIN_CONTRAST is unreadable: the browser oracle's threshold
 * (docs/content.md, "The browser oracle"). */
double css_text_contrast(struct css_color fg, double opacity, struct css_color bg);
#define CSS_MIN_CONTRAST 1.2

struct GumboInternalNode; /* gumbo.h's GumboNode */

/* An element as selectors see it. html.c keeps one per open element, linked
 * to its parent. tag, id and cls pick the candidate rules; node (the
 * element in the gumbo tree, which must be the whole parsed document) is
 * what selectors are matched against: attributes, siblings, children
 * (:has(), :empty) and the document's quirks mode come from the tree. With
 * node NULL no rule matches. */
struct css_elem {
	struct slice tag; /* lowercase */
	struct slice id;  /* may be empty */
	struct slice cls; /* the raw class attribute; may be empty */
	const struct css_elem *parent;
	const struct GumboInternalNode *node;
};

struct css_sheet;

/* Returns a new, empty stylesheet or NULL. */
struct css_sheet *css_sheet_new(void);
void css_sheet_free(struct css_sheet *s); /* NULL-safe */
/* Adds the rules of one <style> block (raw text). Rules inside @media are
 * kept only when the query names no feature (plain "screen", "all"); other
 * at-rules except @supports are skipped. A rule whose selector list holds
 * an invalid selector is dropped whole. Rules whose declarations touch no
 * property of enum css_prop are not kept. Returns IG_ELIMIT when the text or
 * rule caps were reached (the rules kept so far stay usable). */
enum ig_err css_sheet_add(struct css_sheet *s, struct slice css);
/* Merges every rule that matches e into d (Selectors Level 4; see
 * css_select.c for what is taken). All elements matched against one sheet
 * must belong to one document. Returns false when the per-message matching
 * budget (LIM_CSS_MATCH_WORK) is exhausted. */
bool css_sheet_match(struct css_sheet *s, const struct css_elem *e, struct css_decls *d);
/* Number of rules kept (for tests). */
size_t css_sheet_rules(const struct css_sheet *s);
/* Style rules that were dropped because a selector of their list is
 * invalid or not modelled (e.g. an unknown pseudo-class, ::first-line) and
 * that held declarations able to hide text. Such a rule matches nothing, as
 * in a browser for an invalid selector; html.c reports the count as
 * html_css_selector_unsupported. */
size_t css_sheet_unsupported(const struct css_sheet *s);

/* ---- media queries (css_media.c) ---------------------------------------- */

/* The viewports media queries are evaluated against (docs/content.md, "Media
 * queries"): 320x568 and 375x667 (touch, 2dppx), 600x800, 800x600 and
 * 1280x800 (mouse, 1dppx); all screen, light colour scheme. Bit v of a
 * viewport mask stands for viewport v. */
#define CSS_MQ_VIEWPORTS 5
#define CSS_MQ_ALL ((1u << CSS_MQ_VIEWPORTS) - 1)
#define CSS_MQ_DEPTH 32 /* nested parentheses in one query; deeper is an error */

/* Width in CSS px of viewport v. */
unsigned css_mq_viewport_width(unsigned v);
/* Evaluates a normalized media query list (an @media prelude or a media
 * attribute) into *mask, the viewports it matches in (Media Queries 4:
 * unknown features and malformed queries match nothing; an empty list
 * matches all). Returns -1 when a query nests deeper than CSS_MQ_DEPTH: the
 * caller must then not decide visibility (fail closed). */
int css_media_eval(struct slice q, unsigned *mask);
/* Marks in differ[a] bit b when mask m tells viewports a and b apart. */
void css_media_differ_add(unsigned *differ, unsigned m);
/* Evaluates every @media prelude of sheet text css (as written or
 * normalized; comments and strings are skipped) into differ
 * (css_media_differ_add), counting them in *count. Returns -1 as
 * css_media_eval does. */
int css_media_scan(struct slice css, unsigned *differ, size_t *count);
/* Copies sheet text css (as written: selectors keep their case and
 * escapes) to out with every @media prelude replaced by " all " or
 * " not all " as it evaluates in viewport vp. */
void css_media_resolve(struct slice css, unsigned vp, struct buf *out);

#endif
