/* libFuzzer target for content/lookalike.c and content/filename.c. The input
 * is split at '\n' into a domain, a display name, an address, a second
 * address and a filename. Besides crashes it aborts when a warning detail
 * carries anything but printable ASCII (details must be sanitized), when a
 * legitimate-looking call warns on identical inputs, or when a sanitized
 * filename breaks its contract (no separator, no leading dot, at most 255
 * bytes of valid UTF-8, idempotent). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/utf8.h"
#include "content/filename.h"
#include "content/lookalike.h"
#include "content/warn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FIELDS 5
#define FIELD_MAX 2048

static void
check_details(const struct warn_list *w)
{
	size_t i;

	for (i = 0; i < w->n; i++) {
		for (const char *p = w->items[i].detail; *p != '\0'; p++) {
			if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
				abort();
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const known[] = {"paypal.com", "example.com", "bank.co.uk"};
	char f[FIELDS][FIELD_MAX + 1];
	size_t flen[FIELDS] = {0};
	const char *doms[FIELDS];
	struct warn_list w;
	struct buf a;
	struct buf b;
	size_t i;
	size_t k = 0;
	int rw = 0;

	for (i = 0; i < size && k < FIELDS; i++) {
		if (data[i] == '\n') {
			k++;
			continue;
		}
		if (flen[k] < FIELD_MAX)
			f[k][flen[k]++] = (char)data[i];
	}
	for (k = 0; k < FIELDS; k++) {
		f[k][flen[k]] = '\0';
		doms[k] = f[k];
	}
	warn_list_init(&w);
	look_domain(f[0], known, 3, "header.from", &w);
	look_domains_cross(doms, FIELDS, &w);
	look_display_name(f[1], f[2], "header.from", &w);
	look_reply_to(f[2], f[3], &w);
	look_filename(f[4], f[1], f[0], "attachment[1]", &w);
	check_details(&w);
	warn_list_free(&w);
	/* The same address on both sides is never a mismatch. */
	warn_list_init(&w);
	look_reply_to(f[2], f[2], &w);
	if (w.n != 0)
		abort();
	warn_list_free(&w);

	buf_init(&a, 4096);
	buf_init(&b, 4096);
	if (fname_sanitize(f[4], flen[4], &a, &rw) != IG_OK)
		abort();
	if (a.len == 0 || a.len > LIM_FILENAME || !u8_valid(a.p, a.len) ||
	    memchr(a.p, '/', a.len) != NULL || memchr(a.p, '\\', a.len) != NULL || a.p[0] == '.')
		abort();
	if (fname_sanitize(a.p, a.len, &b, &rw) != IG_OK || rw != 0 ||
	    !sl_eq(buf_slice(&a), buf_slice(&b)))
		abort();
	buf_free(&a);
	buf_free(&b);
	return 0;
}
