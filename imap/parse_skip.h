#ifndef IG_IMAP_PARSE_SKIP_H
#define IG_IMAP_PARSE_SKIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/slice.h"

/* Skipping one over-limit FETCH response (imap/parse.c). A single message
 * whose FETCH response breaks a response limit (a line over LIM_IMAP_LINE, a
 * literal over LIM_IMAP_LITERAL, the response cap, too many literals) must
 * degrade that message, not the command or the connection: the framer hands
 * the rest of such a response to this state machine, which reads it to its
 * end without keeping it (literals by count, quoted strings tracked so a CRLF
 * is only taken where it ends a line), and the parser then reports a FETCH
 * with over_limit set. Bounded by LIM_IMAP_SKIP bytes; malformed framing is
 * still an error. Byte-at-a-time safe: all state lives in the struct. */

#define IMAP_SKIP_TAIL 24 /* line bytes kept to spot a "{n}" announcement */

struct imap_skip {
	uint32_t seq; /* from the head: "* seq FETCH (" */
	uint32_t uid; /* from the head: "(UID uid" as the first item */
	bool has_uid;
	size_t lit_left; /* literal bytes still to drop */
	bool cr, in_quote, esc;
	char tail[IMAP_SKIP_TAIL];
	size_t tail_len;
	uint64_t total; /* bytes dropped so far */
};

/* True when head (the start of a response as received) is an untagged FETCH
 * "* seq FETCH (" with seq > 0; *uid_r is set (and *has_uid_r true) only when
 * the item list starts with "UID n" (Dovecot and most servers put it first). */
bool imap_skip_fetch_head(struct slice head, uint32_t *seq_r, bool *has_uid_r, uint32_t *uid_r);

/* Starts skipping in the framer's state: lit_left literal bytes still to come
 * (0: inside a line), the quote/escape/CR state of the line, and seg, the
 * bytes of the current line segment so far (its last bytes are kept). */
void imap_skip_start(struct imap_skip *s, size_t lit_left, bool in_quote, bool esc, bool cr,
                     struct slice seg);

/* Drops bytes from in[0..len) and sets *used_r to how many it took. IG_AGAIN:
 * all taken, the response goes on; IG_OK: the response ended (bytes after it
 * were not taken); IG_EINVAL on malformed framing (NUL, bare CR or LF, a
 * quoted string open at the end of a line); IG_ELIMIT past LIM_IMAP_SKIP. */
enum ig_err imap_skip_feed(struct imap_skip *s, const char *in, size_t len,
                           size_t *used_r) IG_MUST_CHECK;

#endif
