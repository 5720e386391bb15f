/* libFuzzer target for imap/searchkey.c (search.advanced_query): whatever
 * the validator accepts has no CR, LF, NUL or literal opener outside quoted
 * strings, balanced parentheses, closed quotes, is within the limits, and
 * gives the same answer fed whole or one byte at a time. Also runs the
 * UID-set parser of imap/uidset.c and the INTERNALDATE parser of imap/sync.c
 * on the same bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/limits.h"
#include "imap/searchkey.h"
#include "imap/sync.h"
#include "imap/uidset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
range(void *ctx, uint32_t a, uint32_t b)
{
	(void)ctx;
	if (a == 0 || a > b)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct slice s = {(const char *)data, size};
	struct searchkey k;
	enum ig_err whole = searchkey_check(s, NULL);
	enum ig_err bytes = IG_OK;
	int64_t t;
	size_t i;
	int depth = 0;
	int quote = 0;
	int esc = 0;

	searchkey_init(&k);
	for (i = 0; i < size && bytes == IG_OK; i++)
		bytes = searchkey_feed(&k, s.p + i, 1);
	if (bytes == IG_OK)
		bytes = searchkey_finish(&k, NULL);
	if ((whole == IG_OK) != (bytes == IG_OK))
		abort();
	if (whole == IG_OK) {
		if (size == 0 || size > LIM_SEARCH_KEY)
			abort();
		for (i = 0; i < size; i++) {
			char c = s.p[i];

			if (c == '\r' || c == '\n' || c == '\0')
				abort();
			if (quote) {
				if (esc)
					esc = 0;
				else if (c == '\\')
					esc = 1;
				else if (c == '"')
					quote = 0;
				continue;
			}
			if (c == '"')
				quote = 1;
			else if (c == '{')
				abort();
			else if (c == '(')
				depth++;
			else if (c == ')' && --depth < 0)
				abort();
			if (depth > LIM_SEARCH_KEY_DEPTH)
				abort();
		}
		if (quote || depth != 0)
			abort();
	}
	switch (imap_uidset_ranges(s, 1000, range, NULL)) {
	case IG_OK:
	case IG_EINVAL:
	case IG_ELIMIT:
		break;
	default:
		abort();
	}
	(void)sync_internaldate_parse(s, &t);
	return 0;
}
