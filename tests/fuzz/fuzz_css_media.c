/* libFuzzer target for content/css_media.c: the input is a media query list
 * (or, with the first byte odd, sheet text). css_media_eval must not crash,
 * must return a mask within CSS_MQ_ALL, and must agree with itself through
 * css_media_resolve: the resolved prelude for viewport v evaluates to "all"
 * exactly when v is in the mask (the per-viewport sheets html.c builds).
 * With the second bit set too, the sheet text is used as written (html.c
 * resolves the text as written, normalizing each prelude). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "content/css.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf norm, out;
	unsigned m = 0, differ[CSS_MQ_VIEWPORTS] = {0};
	size_t count = 0;

	if (size == 0 || size > 4096)
		return 0;
	buf_init(&norm, 16384);
	css_normalize((struct slice){(const char *)data + 1, size - 1}, &norm);
	if (buf_err(&norm) != IG_OK)
		goto out_norm;
	if ((data[0] & 1) == 0) {
		if (css_media_eval(buf_slice(&norm), &m) == 0 && (m & ~CSS_MQ_ALL) != 0)
			abort();
		goto out_norm;
	}
	struct slice sheet = (data[0] & 2) != 0 ? (struct slice){(const char *)data + 1, size - 1}
	                                        : buf_slice(&norm);

	if (css_media_scan(sheet, differ, &count) != 0)
		goto out_norm;
	for (unsigned v = 0; v < CSS_MQ_VIEWPORTS; v++) {
		buf_init(&out, 65536);
		css_media_resolve(sheet, v, &out);
		/* every prelude left is "all" or "not all" */
		if (buf_err(&out) == IG_OK) {
			unsigned differ2[CSS_MQ_VIEWPORTS] = {0};
			size_t c2 = 0;

			if (css_media_scan(buf_slice(&out), differ2, &c2) != 0 || c2 != count)
				abort();
			for (unsigned a = 0; a < CSS_MQ_VIEWPORTS; a++)
				if (differ2[a] != 0)
					abort(); /* resolved preludes tell no viewports apart */
		}
		buf_free(&out);
	}
out_norm:
	buf_free(&norm);
	return 0;
}
