#ifndef IG_IMAP_MUTF7_H
#define IG_IMAP_MUTF7_H

#include "base/err.h"
#include "base/slice.h"

struct buf;

/* Modified UTF-7 mailbox names (RFC 3501 §5.1.3), strict in both directions. */

/* Appends the UTF-8 form of the modified UTF-7 name in to out. IG_EINVAL for
 * anything but the canonical encoding: bytes outside 0x20..0x7e, a base64
 * run that is empty (other than "&-"), encodes printable ASCII, is adjacent
 * to another run, has non-zero pad bits or a partial UTF-16 unit, holds an
 * unpaired surrogate or NUL, or is not closed by '-'. IG_ELIMIT when out's
 * maximum is reached (check buf_err too). */
enum ig_err imap_mutf7_decode(struct slice in, struct buf *out) IG_MUST_CHECK;

/* Appends the modified UTF-7 form of the UTF-8 name in to out. IG_EINVAL when
 * in is not valid UTF-8 or contains NUL or other C0 controls. */
enum ig_err imap_mutf7_encode(struct slice in, struct buf *out) IG_MUST_CHECK;

#endif
