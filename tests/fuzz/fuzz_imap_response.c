/* libFuzzer target for imap/parse.c. The first 8 bytes seed where the rest
 * is split; the parse of the split stream must render exactly like the
 * parse of the whole (abort otherwise), which checks that the parser's state
 * lives in its struct and no byte is lost or reread at a boundary. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/limits.h"
#include "imap/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Parses in, cutting it into pieces whose lengths come from seed (0: whole),
 * and renders every response plus the final status into out. */
static void
run(const char *in, size_t len, uint64_t seed, struct buf *out)
{
	struct imap_parser *p = imap_parser_new(1024 * 1024);
	size_t pos = 0;
	enum ig_err err = IG_AGAIN;

	if (p == NULL)
		abort();
	while (pos < len) {
		size_t piece = len - pos;
		size_t used = 0;
		const struct imap_resp *r;
		const char *e = NULL;

		if (seed != 0) {
			/* xorshift: piece lengths 1..64 */
			seed ^= seed << 13;
			seed ^= seed >> 7;
			seed ^= seed << 17;
			piece = 1 + (size_t)(seed % 64);
			if (piece > len - pos)
				piece = len - pos;
		}
		err = imap_parser_feed(p, in + pos, piece, &used, &r, &e);
		if (used > piece)
			abort();
		pos += used;
		if (err == IG_OK) {
			imap_resp_render(r, out);
			continue;
		}
		if (err != IG_AGAIN) {
			if (e == NULL)
				abort();
			buf_appendf(out, "error %d %s\n", (int)err, e);
			break;
		}
		if (used != piece)
			abort(); /* AGAIN must take everything */
	}
	if (err == IG_AGAIN)
		buf_puts(out, "incomplete\n");
	imap_parser_free(p);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t seed = 0;
	struct buf whole;
	struct buf split;

	if (size < 8)
		return 0;
	memcpy(&seed, data, 8);
	seed |= 1; /* never 0: that means "whole" */
	buf_init(&whole, 64 * 1024 * 1024);
	buf_init(&split, 64 * 1024 * 1024);
	run((const char *)data + 8, size - 8, 0, &whole);
	run((const char *)data + 8, size - 8, seed, &split);
	if (buf_err(&whole) != buf_err(&split) || whole.len != split.len ||
	    (whole.len > 0 && memcmp(whole.p, split.p, whole.len) != 0))
		abort();
	buf_free(&whole);
	buf_free(&split);
	return 0;
}
