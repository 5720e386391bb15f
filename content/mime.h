#ifndef IG_CONTENT_MIME_H
#define IG_CONTENT_MIME_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/slice.h"

/* The MIME layer of the content pipeline (DESIGN §5 steps 1-2): raw RFC 5322
 * bytes in, decoded but not yet policy-sanitized UTF-8 out. Every string in
 * struct mime_msg is valid UTF-8 without NUL, still untrusted, and must pass
 * the Unicode policy (content/unicode.h) before it is shown to anyone;
 * content/msg.c does that. Limits come from base/limits.h (LIM_MIME_*). */

struct warn_list;

/* Once per process, in main before any thread: initializes GMime. */
void content_init(void);
/* At exit, after every thread is joined. */
void content_shutdown(void);

struct mime_addr {
	char *name;    /* display name, decoded; "" when none */
	char *address; /* addr-spec as written (local@domain), "" for an empty group */
};

struct mime_addr_list {
	struct mime_addr *v;
	size_t n;
	size_t dropped; /* addresses past LIM_MIME_ADDRESSES */
};

struct mime_attachment {
	char *part_id;            /* IMAP-style section number, "2", "1.3" */
	char *declared_type;      /* lower-case type/subtype as declared */
	const char *sniffed_type; /* static; NULL when no magic number matched */
	char *disposition;        /* "attachment" or "inline" */
	char *filename;           /* decoded, NOT sanitized (see fname_sanitize); NULL if none */
	bool filename_conflict;   /* filename and filename* (or name, name*) disagree */
	size_t size;              /* decoded bytes */
};

struct mime_list_info {
	char *id;          /* List-Id <...> value; NULL when absent */
	char *name;        /* List-Id phrase, decoded; NULL when absent */
	char *unsubscribe; /* List-Unsubscribe URIs, ", "-joined; NULL when absent */
	char *post;        /* List-Post URI or "NO"; NULL when absent */
	char *archive;     /* List-Archive URI; NULL when absent */
	char *help;        /* List-Help URI; NULL when absent */
	bool one_click;    /* List-Unsubscribe-Post: List-Unsubscribe=One-Click (RFC 8058) */
};

/* One inline text part (docs/content.md "Body choice"), in MIME order. */
#define MIME_NO_GROUP ((size_t)-1)
struct mime_text_part {
	bool html;
	size_t off, len; /* its decoded text: text_html (html) or text_plain [off, off + len) */
	bool truncated;  /* LIM_MIME_TEXT_PART or LIM_MIME_TEXT_TOTAL cut it */
	bool shown;      /* a mail client displays it: it is not an alternative the client
	                  * passes over (multipart/alternative shows its last child holding
	                  * HTML, else its last child holding text) */
	size_t group;    /* the outermost multipart/alternative above it (the same number for
	                  * every part of it), or MIME_NO_GROUP: shown in sequence */
};

struct mime_msg {
	char *subject;     /* decoded; NULL when absent */
	char *date;        /* raw Date value, unfolded; NULL when absent */
	char *date_iso;    /* the Date as UTC ISO 8601 when it parses; NULL otherwise */
	char *message_id;  /* without angle brackets; NULL when absent */
	char *in_reply_to; /* first msg-id, without brackets; NULL when absent */
	char **references; /* msg-ids without brackets, at most LIM_MIME_REFERENCES */
	size_t n_references;
	struct mime_addr_list from, to, cc, reply_to, sender;
	struct mime_list_info list;
	bool list_present; /* List-Id, List-Unsubscribe or List-Post seen (RFC 2369, 2919) */

	struct buf text_plain; /* inline text/plain parts, decoded, joined by a blank line */
	struct buf text_html;  /* inline text/html parts, decoded, joined */
	bool plain_truncated;  /* a plain part hit LIM_MIME_TEXT_PART or the total */
	bool html_truncated;
	size_t n_plain; /* inline text/plain parts found */
	size_t n_html;
	struct mime_text_part *tparts; /* the n_plain + n_html parts in MIME order */
	size_t n_tparts;

	struct mime_attachment *att;
	size_t n_att;

	size_t raw_size;          /* input bytes */
	size_t n_parts;           /* entities walked, containers included */
	size_t max_depth;         /* deepest nesting seen */
	size_t n_headers;         /* top-level header fields kept */
	size_t n_headers_dropped; /* fields removed by the smuggling scrub */
};

/* Parses raw (at most LIM_MIME_MESSAGE bytes) into m, which the caller
 * releases with mime_msg_free even on failure. Warnings (parse_*) go to w.
 * Returns IG_ELIMIT when the structure is over LIM_MIME_DEPTH, LIM_MIME_PARTS
 * or LIM_MIME_HEADERS or the input over LIM_MIME_MESSAGE (the message is
 * refused: ERR_TOO_LARGE), IG_EINVAL when it is not a message at all,
 * IG_ENOMEM; *error_r then holds a static description. */
enum ig_err mime_parse(struct slice raw, struct mime_msg *m, struct warn_list *w,
                       const char **error_r) IG_MUST_CHECK;
void mime_msg_free(struct mime_msg *m); /* NULL-safe; leaves m zeroed */

/* mime_parse, and the decoded content (transfer encoding undone, no charset
 * conversion) of the attachment whose part_id (as m->att reports it) is
 * part_id appended to out; an attached message (message/rfc822) comes out
 * serialized. *found_r says whether that part exists. Returns what
 * mime_parse returns, or out's sticky error (IG_ELIMIT when the part is over
 * out's maximum: the caller's size cap). m is released by the caller with
 * mime_msg_free. */
enum ig_err mime_part_content(struct slice raw, const char *part_id, struct mime_msg *m,
                              struct warn_list *w, struct buf *out, bool *found_r,
                              const char **error_r) IG_MUST_CHECK;

/* RFC 2047 decoding of one header value (unstructured text, or the phrase of
 * an address) to UTF-8 under the single rule of docs/content.md, appended to
 * out. Folding is removed; decoded CR, LF and NUL become spaces. Sets
 * *unknown_charset_r when an encoded word named a charset outside the
 * allow-list (it was decoded lossily). */
void mime_header_decode(struct slice raw, struct buf *out, bool *unknown_charset_r);

/* Converts in from the named charset (NULL or empty: undeclared) to UTF-8,
 * appending at most max bytes to out (cut on a code point boundary; *cut_r
 * set). Returns false when the charset is not on the allow-list: the bytes
 * were then read as UTF-8 with U+FFFD for invalid sequences. */
bool mime_charset_to_utf8(struct slice charset, struct slice in, struct buf *out, size_t max,
                          bool *cut_r);

/* The type the leading bytes p[0..len) announce by magic number (a static
 * MIME type such as "application/pdf"), or NULL. */
const char *mime_sniff(const unsigned char *p, size_t len);

/* True when a declared type and a sniffed one disagree in a way that matters:
 * not a generic declared type, not aliases of one another, not the same
 * family (an image declared as another image). */
bool mime_type_mismatch(const char *declared, const char *sniffed);

#endif
