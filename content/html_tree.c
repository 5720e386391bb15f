/* The gumbo side of the HTML renderer: gumbo's memory (tracked, capped, freed
 * without recursion, since gumbo's own tree destructor is recursive), tree
 * navigation helpers, and the element classes from the WHATWG rendering
 * rules (which tags are blocks, which are never rendered). */
#include "content/html.h"

#include <gumbo.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include "content/html_int.h"

/* Every block starts with the size gumbo asked for and its class (0 for a
 * large block, which also has the links of the large-block list in front);
 * a free block of a class holds the next free one of that class. */
union ghdr {
	struct {
		size_t size;
		size_t cls;
	} h;
	union ghdr *next_free;
	max_align_t align;
};

union gbig {
	struct {
		union ghdr *prev, *next; /* headers of the neighbouring large blocks */
	} l;
	max_align_t align;
};

struct gmem_chunk {
	struct gmem_chunk *next;
	max_align_t align[]; /* blocks start here, aligned like malloc's */
};

#define GMEM_CHUNK_MIN ((size_t)64 * 1024)
#define GMEM_CHUNK_MAX ((size_t)1024 * 1024)

static union gbig *
big_of(union ghdr *h)
{
	return (union gbig *)(void *)h - 1;
}

static void
held_add(struct gmem *m, size_t n)
{
	if (n > m->cap * GMEM_HELD_FACTOR - m->held)
		longjmp(m->jb, 1);
	m->held += n;
}

static void *
gmem_alloc_big(struct gmem *m, size_t n)
{
	union gbig *b;
	union ghdr *h;
	size_t total = sizeof(union gbig) + sizeof(union ghdr) + n; /* n <= cap: no overflow */

	held_add(m, total);
	b = malloc(total);
	if (b == NULL)
		longjmp(m->jb, 2);
	h = (union ghdr *)(void *)(b + 1);
	h->h.size = n;
	h->h.cls = 0;
	b->l.prev = NULL;
	b->l.next = m->head;
	if (m->head != NULL)
		big_of(m->head)->l.prev = h;
	m->head = h;
	return h + 1;
}

static void *
gmem_alloc(void *ud, size_t n)
{
	struct gmem *m = ud;
	union ghdr *h;
	size_t cls, bytes;

	if (n > m->cap || m->live + n > m->cap)
		longjmp(m->jb, 1);
	m->live += n;
	cls = n == 0 ? 1 : (n + GMEM_GRAIN - 1) / GMEM_GRAIN;
	if (cls > GMEM_CLASSES)
		return gmem_alloc_big(m, n);
	h = m->free_list[cls];
	if (h != NULL) {
		m->free_list[cls] = h->next_free;
	} else {
		bytes = sizeof(union ghdr) + cls * GMEM_GRAIN;
		if ((size_t)(m->bump_end - m->bump) < bytes) {
			struct gmem_chunk *c;
			size_t csz = m->chunk_size < GMEM_CHUNK_MIN ? GMEM_CHUNK_MIN : m->chunk_size;

			/* The old tail (under 1 KiB) is given up. Chunks grow so a
			 * big document takes few mallocs and a small one little. */
			held_add(m, csz);
			c = malloc(csz);
			if (c == NULL)
				longjmp(m->jb, 2);
			c->next = m->chunks;
			m->chunks = c;
			m->bump = (char *)c->align;
			m->bump_end = (char *)c + csz;
			m->chunk_size = csz * 2 > GMEM_CHUNK_MAX ? GMEM_CHUNK_MAX : csz * 2;
		}
		h = (union ghdr *)(void *)m->bump;
		m->bump += bytes;
	}
	h->h.size = n;
	h->h.cls = cls;
	return h + 1;
}

static void
gmem_free(void *ud, void *p)
{
	struct gmem *m = ud;
	union ghdr *h;
	size_t cls;

	if (p == NULL)
		return;
	h = (union ghdr *)p - 1;
	m->live -= h->h.size;
	cls = h->h.cls;
	if (cls != 0) {
		h->next_free = m->free_list[cls];
		m->free_list[cls] = h;
		return;
	}
	union gbig *b = big_of(h);

	if (b->l.prev != NULL)
		big_of(b->l.prev)->l.next = b->l.next;
	else
		m->head = b->l.next;
	if (b->l.next != NULL)
		big_of(b->l.next)->l.prev = b->l.prev;
	m->held -= sizeof(union gbig) + sizeof(union ghdr) + h->h.size;
	free(b);
}

void
html_gmem_free_all(struct gmem *m)
{
	union ghdr *h = m->head;
	struct gmem_chunk *c = m->chunks;

	while (h != NULL) {
		union gbig *b = big_of(h);

		h = b->l.next;
		free(b);
	}
	while (c != NULL) {
		struct gmem_chunk *next = c->next;

		free(c);
		c = next;
	}
	memset(m->free_list, 0, sizeof(m->free_list));
	m->head = NULL;
	m->chunks = NULL;
	m->bump = NULL;
	m->bump_end = NULL;
	m->chunk_size = 0;
	m->live = 0;
	m->held = 0;
}

/* Kept apart so that nothing the caller uses is live across setjmp. */
GumboOutput *
html_gumbo_parse_capped(struct gmem *m, struct slice html, enum ig_err *err)
{
	GumboOptions opt = kGumboDefaultOptions;
	int r;

	opt.allocator = gmem_alloc;
	opt.deallocator = gmem_free;
	opt.userdata = m;
	opt.max_errors = 0; /* parse errors are not used; do not store them */
	r = setjmp(m->jb);
	if (r != 0) {
		*err = r == 1 ? IG_ELIMIT : IG_ENOMEM;
		return NULL;
	}
	return gumbo_parse_with_options(&opt, html.p, html.len);
}

/* ---- tree helpers ------------------------------------------------------- */

const GumboVector *
html_node_children(const GumboNode *n)
{
	if (n->type == GUMBO_NODE_DOCUMENT)
		return &n->v.document.children;
	if (n->type == GUMBO_NODE_ELEMENT || n->type == GUMBO_NODE_TEMPLATE)
		return &n->v.element.children;
	return NULL;
}

/* Next node in document order within root, optionally skipping n's subtree;
 * uses parent links so it needs no stack. */
const GumboNode *
html_node_next(const GumboNode *n, const GumboNode *root, bool skip_children)
{
	const GumboVector *ch = html_node_children(n);

	if (!skip_children && ch != NULL && ch->length > 0)
		return ch->data[0];
	while (n != root && n != NULL) {
		const GumboNode *p = n->parent;
		const GumboVector *sib = p != NULL ? html_node_children(p) : NULL;

		if (sib != NULL && n->index_within_parent + 1 < sib->length)
			return sib->data[n->index_within_parent + 1];
		n = p;
	}
	return NULL;
}

/* Lowercase tag name; unknown (custom) elements come from the source text. */
struct slice
html_tag_name(const GumboNode *n, char *tmp, size_t tmpsz)
{
	if (n->v.element.tag != GUMBO_TAG_UNKNOWN)
		return sl_from_cstr(gumbo_normalized_tagname(n->v.element.tag));
	GumboStringPiece p = n->v.element.original_tag;
	size_t k = 0;

	gumbo_tag_from_original_text(&p);
	for (; k < p.length && k + 1 < tmpsz; k++) {
		char c = p.data[k];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c + 32);
		tmp[k] = c;
	}
	tmp[k] = '\0';
	return (struct slice){tmp, k};
}

/* True when s has nothing a reader would notice: ASCII whitespace, NBSP,
 * soft hyphen, zero-width and other blank format characters that preheader
 * padding and spacer cells are made of. */
bool
html_text_blank(const char *p, size_t len)
{
	size_t i = 0;

	while (i < len) {
		unsigned char c = (unsigned char)p[i];

		if (ascii_ws(c)) {
			i++;
			continue;
		}
		if (len - i >= 2 && c == 0xC2 &&
		    ((unsigned char)p[i + 1] == 0xA0 || (unsigned char)p[i + 1] == 0xAD)) {
			i += 2;
			continue;
		}
		if (len - i >= 2 && c == 0xCD && (unsigned char)p[i + 1] == 0x8F) {
			i += 2; /* U+034F combining grapheme joiner */
			continue;
		}
		if (len - i >= 3 && c == 0xE2 && (unsigned char)p[i + 1] == 0x80 &&
		    (unsigned char)p[i + 2] >= 0x80 && (unsigned char)p[i + 2] <= 0x8F) {
			i += 3; /* U+2000..U+200F spaces, ZWSP, ZWNJ, ZWJ, marks */
			continue;
		}
		if (len - i >= 3 && c == 0xE2 && (unsigned char)p[i + 1] == 0x81 &&
		    (unsigned char)p[i + 2] == 0xA0) {
			i += 3; /* U+2060 word joiner */
			continue;
		}
		if (len - i >= 3 && c == 0xEF && (unsigned char)p[i + 1] == 0xBB &&
		    (unsigned char)p[i + 2] == 0xBF) {
			i += 3; /* U+FEFF */
			continue;
		}
		if (len - i >= 3 && c == 0xE3 && (unsigned char)p[i + 1] == 0x80 &&
		    (unsigned char)p[i + 2] == 0x80) {
			i += 3; /* U+3000 ideographic space */
			continue;
		}
		return false;
	}
	return true;
}

/* Does the subtree under n carry any text? Used to report hidden content
 * only when something was actually hidden (spacer cells and empty hidden
 * divs are everywhere in legitimate mail). Script and style text does not
 * count: it is never shown anyway. */
bool
html_subtree_has_text(const GumboNode *n)
{
	const GumboNode *c = n;

	while (c != NULL) {
		bool skip = false;

		if ((c->type == GUMBO_NODE_TEXT || c->type == GUMBO_NODE_CDATA) &&
		    !html_text_blank(c->v.text.text, strlen(c->v.text.text)))
			return true;
		if (c != n && c->type == GUMBO_NODE_ELEMENT &&
		    (c->v.element.tag == GUMBO_TAG_SCRIPT || c->v.element.tag == GUMBO_TAG_STYLE))
			skip = true;
		c = html_node_next(c, n, skip);
	}
	return false;
}

/* ---- element classes ------------------------------------------------------ */

struct tag_kind {
	const char *name;
	unsigned char len;
	enum ekind kind;
};

#define TK(name, kind) {name, sizeof(name) - 1, kind}

/* Sorted for bsearch. DROP follows the brief and the WHATWG rendering
 * section: content a browser does not paint as text, or that is active. */
static const struct tag_kind tag_kinds[] = {
    TK("address", EK_BLOCK1),    TK("applet", EK_DROP),     TK("area", EK_DROP),
    TK("article", EK_BLOCK1),    TK("aside", EK_BLOCK1),    TK("audio", EK_DROP),
    TK("base", EK_DROP),         TK("basefont", EK_DROP),   TK("bgsound", EK_DROP),
    TK("blockquote", EK_BLOCK2), TK("body", EK_BLOCK1),     TK("br", EK_BR),
    TK("button", EK_DROP),       TK("canvas", EK_DROP),     TK("caption", EK_BLOCK1),
    TK("center", EK_BLOCK1),     TK("datalist", EK_DROP),   TK("dd", EK_BLOCK1),
    TK("details", EK_BLOCK1),    TK("dialog", EK_BLOCK1),   TK("dir", EK_LIST),
    TK("div", EK_BLOCK1),        TK("dl", EK_BLOCK2),       TK("dt", EK_BLOCK1),
    TK("embed", EK_DROP),        TK("fieldset", EK_BLOCK1), TK("figcaption", EK_BLOCK1),
    TK("figure", EK_BLOCK2),     TK("footer", EK_BLOCK1),   TK("form", EK_BLOCK1),
    TK("frame", EK_DROP),        TK("frameset", EK_DROP),   TK("h1", EK_BLOCK2),
    TK("h2", EK_BLOCK2),         TK("h3", EK_BLOCK2),       TK("h4", EK_BLOCK2),
    TK("h5", EK_BLOCK2),         TK("h6", EK_BLOCK2),       TK("head", EK_DROP),
    TK("header", EK_BLOCK1),     TK("hgroup", EK_BLOCK1),   TK("hr", EK_BLOCK2),
    TK("iframe", EK_DROP),       TK("image", EK_IMG),       TK("img", EK_IMG),
    TK("input", EK_DROP),        TK("isindex", EK_DROP),    TK("keygen", EK_DROP),
    TK("legend", EK_BLOCK1),     TK("li", EK_LI),           TK("link", EK_DROP),
    TK("listing", EK_PRE),       TK("main", EK_BLOCK1),     TK("map", EK_DROP),
    TK("math", EK_DROP),         TK("menu", EK_LIST),       TK("meta", EK_DROP),
    TK("nav", EK_BLOCK1),        TK("noembed", EK_DROP),    TK("noframes", EK_DROP),
    TK("noscript", EK_DROP),     TK("object", EK_DROP),     TK("ol", EK_LIST),
    TK("optgroup", EK_DROP),     TK("option", EK_DROP),     TK("p", EK_BLOCK2),
    TK("param", EK_DROP),        TK("picture", EK_DROP),    TK("plaintext", EK_PRE),
    TK("pre", EK_PRE),           TK("progress", EK_DROP),   TK("rp", EK_DROP),
    TK("script", EK_DROP),       TK("section", EK_BLOCK1),  TK("select", EK_DROP),
    TK("source", EK_DROP),       TK("style", EK_DROP),      TK("summary", EK_BLOCK1),
    TK("svg", EK_DROP),          TK("table", EK_BLOCK1),    TK("td", EK_CELL),
    TK("template", EK_DROP),     TK("textarea", EK_DROP),   TK("th", EK_CELL),
    TK("title", EK_DROP),        TK("tr", EK_TR),           TK("track", EK_DROP),
    TK("ul", EK_LIST),           TK("video", EK_DROP),      TK("xmp", EK_PRE),
};

enum ekind
html_kind_of(struct slice name)
{
	size_t lo = 0, hi = sizeof(tag_kinds) / sizeof(tag_kinds[0]);

	if (name.len == 0)
		return EK_INLINE;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct tag_kind *t = &tag_kinds[mid];
		/* The first byte decides most steps without a call. */
		int r = (unsigned char)name.p[0] - (unsigned char)t->name[0];

		if (r == 0) {
			size_t n = name.len < t->len ? name.len : t->len;

			r = memcmp(name.p, t->name, n);
			if (r == 0)
				r = name.len < t->len ? -1 : (name.len > t->len ? 1 : 0);
		}
		if (r == 0)
			return t->kind;
		if (r < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return EK_INLINE;
}
