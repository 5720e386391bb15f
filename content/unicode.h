#ifndef IG_CONTENT_UNICODE_H
#define IG_CONTENT_UNICODE_H

#include <stddef.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/slice.h"

struct warn_list;

/* Hidden ASCII decoded from Unicode tag characters is kept for the audit log
 * up to this many bytes; the rest is counted in u8_report.tags only. */
#define LIM_U8_TAG_PAYLOAD 1024

/* What u8_sanitize removed or replaced, per class (DESIGN §5 step 5). */
struct u8_report {
	size_t zero_width;          /* Cf / default-ignorable (ZWSP, BOM, WJ, soft hyphen...) */
	size_t bidi;                /* U+202A..E, U+2066..9; U+061C, U+200E/F except where
	                             * u8_sanitize_text keeps them */
	size_t c0c1;                /* C0 except TAB/LF, DEL, C1 */
	size_t tags;                /* U+E0000..E007F outside emoji flag tag sequences */
	size_t variation_selectors; /* VS outside emoji presentation sequences */
	size_t private_use;         /* Co */
	size_t unassigned;          /* Cn, noncharacters included (Unicode of the linked ICU) */
	size_t invalid_utf8;        /* ill-formed subsequences replaced by U+FFFD */
	struct buf tag_payload;     /* decoded ASCII hidden in tag characters: audit log only,
	                             * never shown to the agent */
};

void u8_report_init(struct u8_report *r);
/* NULL-safe. */
void u8_report_free(struct u8_report *r);

/* Sanitizes in (any bytes) and appends the result to out: ill-formed UTF-8
 * becomes U+FFFD; CRLF and CR become LF; zero-width and invisible format
 * characters, tag characters, variation selectors outside emoji sequences,
 * bidi controls, C0/C1 controls except TAB and LF, private-use and
 * unassigned code points are removed and counted into rep (which accumulates
 * over calls; may be NULL); then NFKC. Emoji ZWJ, keycap and flag (regional indicator and
 * tag) sequences are kept, and ZWJ/ZWNJ between letters of the scripts that
 * need them (Arabic, Indic...). The appended text is valid UTF-8, and
 * sanitizing it again returns it unchanged (idempotent, NFKC-stable).
 * Returns IG_OK, IG_ELIMIT when out would pass its maximum (out's sticky
 * error; what was appended before stays) or in.len exceeds 512 MiB, IG_ENOMEM,
 * or IG_EINTERNAL on an ICU failure. Time is linear in in.len; scratch memory
 * is bounded per 64 KiB chunk (not by in.len) for all text except long runs
 * of combining or stripped characters, where it is linear. NFKC may expand
 * text (U+FDFA: 3 bytes become 33), so size out's maximum for that; hitting
 * it stops the work early. */
enum ig_err u8_sanitize(struct slice in, struct buf *out, struct u8_report *rep) IG_MUST_CHECK;

/* u8_sanitize for prose (a body, a subject, a display name): the implicit
 * bidi marks LRM, RLM and ALM (U+200E, U+200F, U+061C), which right-to-left
 * writing needs around numbers and punctuation, are kept when the text
 * holds a right-to-left letter (bidi class R or AL: Hebrew, Arabic...) and
 * the mark does not sit between two letters or digits of one direction
 * (inside a word, where it changes nothing a reader sees). Elsewhere they
 * are stripped and counted as bidi, as u8_sanitize does; embeddings,
 * overrides and isolates are always stripped. Identifiers (addresses,
 * domains, URLs, file names) take u8_sanitize. The same guarantees and
 * return values as u8_sanitize; idempotent in this mode. */
enum ig_err u8_sanitize_text(struct slice in, struct buf *out, struct u8_report *rep) IG_MUST_CHECK;

/* Adds one warning per non-zero class of rep to w, detail "count=N":
 * unicode_zero_width_stripped, unicode_bidi_override_stripped,
 * unicode_c0_c1_stripped, unicode_tag_chars_stripped,
 * unicode_variation_selector_stripped, unicode_private_use_stripped,
 * unicode_unassigned_stripped, unicode_invalid_utf8_replaced. The tag payload
 * is not put into w. */
void u8_report_warn(const struct u8_report *rep, struct warn_list *w, const char *location);

/* Returns the largest n <= max_bytes such that p[0..n) ends on an extended
 * grapheme cluster boundary (UAX #29), so a truncated text never splits a
 * character, an emoji sequence or a base from its combining marks. Returns
 * len when len <= max_bytes. p should be valid UTF-8; the result never splits
 * a UTF-8 sequence either way. */
size_t u8_truncate_graphemes(const char *p, size_t len, size_t max_bytes);

#endif
