/* libFuzzer target for imap/mutf7.c: whatever decodes must encode back to
 * exactly the input (decoding is strict, so every accepted name is
 * canonical), and whatever encodes must decode back to the input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/utf8.h"
#include "imap/mutf7.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
same(const struct buf *b, const uint8_t *data, size_t size)
{
	if (b->len != size || (size > 0 && memcmp(b->p, data, size) != 0))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct slice in = {(const char *)data, size};
	struct buf dec;
	struct buf enc;

	buf_init(&dec, 1 << 20);
	buf_init(&enc, 1 << 20);
	if (imap_mutf7_decode(in, &dec) == IG_OK) {
		if (!u8_valid(dec.p, dec.len))
			abort();
		if (imap_mutf7_encode(buf_slice(&dec), &enc) != IG_OK)
			abort();
		same(&enc, data, size);
	}
	buf_reset(&dec);
	buf_reset(&enc);
	if (imap_mutf7_encode(in, &enc) == IG_OK) {
		if (imap_mutf7_decode(buf_slice(&enc), &dec) != IG_OK)
			abort();
		same(&dec, data, size);
	}
	buf_free(&dec);
	buf_free(&enc);
	return 0;
}
