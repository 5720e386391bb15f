/* libFuzzer target for the envelope sanitizer: bytes are parsed as IMAP
 * responses (imap/parse.c), every FETCH goes through the sync engine's
 * conversion (imap/sync.h sync_conv_fetch, the one sanitizer) and its row
 * through envelope_json_cached (handlers/envelope.c), and envelope_json
 * must give the same object. Besides crashes and leaks it checks the output
 * contract: a row envelope_json_cached accepts, valid UTF-8 JSON with no
 * bidi override or zero-width character in any text. The first 26 bytes
 * also go through the INTERNALDATE parsers. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "base/slice.h"
#include "base/utf8.h"
#include "content/mime.h"
#include "handlers/envelope.h"
#include "imap/parse.h"
#include "imap/sync.h"
#include "store/cache.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int initialized;

static void
check(struct json_object *o)
{
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	                                                      JSON_C_TO_STRING_NOSLASHESCAPE);
	size_t len = strlen(s);

	if (!u8_valid(s, len) || memmem(s, len, "\xe2\x80\xae", 3) != NULL ||
	    memmem(s, len, "\xe2\x80\x8b", 3) != NULL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const known[] = {"paypal.com", "example.com"};
	struct imap_parser *p;
	struct sync_conv *v;
	size_t pos = 0;
	char iso[32];
	int64_t t;

	if (!initialized) {
		content_init();
		initialized = 1;
	}
	if (size >= 26) {
		(void)envelope_internaldate_iso((struct slice){(const char *)data, 26}, iso,
		                                sizeof(iso));
		(void)sync_internaldate_parse((struct slice){(const char *)data, 26}, &t);
	}
	p = imap_parser_new(1024 * 1024);
	v = sync_conv_new();
	if (p == NULL || v == NULL)
		abort();
	while (pos < size) {
		const struct imap_resp *r = NULL;
		const char *e = NULL;
		size_t used = 0;
		enum ig_err err =
		    imap_parser_feed(p, (const char *)data + pos, size - pos, &used, &r, &e);

		pos += used;
		if (err != IG_OK)
			break;
		if (r->kind == IMAP_RESP_UNTAGGED && r->type == IMAP_U_FETCH) {
			const struct imap_fetch *f = &r->u.fetch;
			struct json_object *o, *again;
			struct cache_msg m;
			bool bad = false;

			if (sync_conv_fetch(v, f, 1, known, 2, &m) != IG_OK) {
				if (f->envelope != NULL)
					abort(); /* only a missing ENVELOPE may fail */
				if (envelope_json(f, "INBOX", known, 2) != NULL)
					abort();
				continue;
			}
			o = envelope_json_cached(&m, "INBOX", &bad);
			if (o == NULL || bad)
				abort();
			check(o);
			again = envelope_json(f, "INBOX", known, 2);
			if (again == NULL || !json_object_equal(o, again))
				abort();
			json_object_put(again);
			json_object_put(o);
		}
	}
	sync_conv_free(v);
	imap_parser_free(p);
	return 0;
}
