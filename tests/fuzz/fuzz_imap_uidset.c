/* libFuzzer target for imap/uidset.c: a UID set that parses formats back to
 * a set that parses to the same values (sorted), and a COPYUID argument that
 * parses has equal-length source and destination lists within the cap. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "imap/uidset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a;
	uint32_t y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct slice in = {(const char *)data, size};
	static uint32_t a[256];
	static uint32_t b[256];
	static struct imap_copyuid cu;
	size_t na = 0;
	size_t nb = 0;
	size_t i;
	size_t k;
	struct buf out;

	if (imap_uidset_parse(in, a, 256, &na) == IG_OK) {
		if (na == 0)
			abort();
		buf_init(&out, 1 << 16);
		if (imap_uidset_format(a, na, &out) != IG_OK || buf_err(&out) != IG_OK)
			abort();
		if (imap_uidset_parse(buf_slice(&out), b, 256, &nb) != IG_OK)
			abort();
		qsort(a, na, sizeof(*a), cmp_u32);
		/* formatting drops duplicates */
		for (i = 0, k = 0; i < na; i++) {
			if (i > 0 && a[i] == a[i - 1])
				continue;
			if (k >= nb || b[k] != a[i])
				abort();
			k++;
		}
		if (k != nb)
			abort();
		buf_free(&out);
	}
	if (imap_copyuid_parse(in, &cu) == IG_OK) {
		if (cu.n == 0 || cu.n > LIM_IMAP_COPYUID || cu.uidvalidity == 0)
			abort();
		for (i = 0; i < cu.n; i++) {
			if (cu.src[i] == 0 || cu.dst[i] == 0)
				abort();
		}
	} else if (cu.n != 0) {
		abort();
	}
	return 0;
}
