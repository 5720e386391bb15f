/* libFuzzer target for reply threading from a parent's raw header block
 * (compose_reply_ids, untrusted server data) and the Re: subject rule.
 * Checks: every id written is a well-formed <id@host> without spaces or
 * controls, References holds at most LIM_SEND_REFERENCES ids and ends with
 * In-Reply-To, the subject is valid UTF-8 without C0 controls, and the
 * resulting fields are accepted by compose_build (no input can produce a
 * threading header the builder would refuse or a header line break). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/limits.h"
#include "base/utf8.h"
#include "content/mime.h"
#include "imap/compose.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_id_list(const char *s, size_t max)
{
	size_t n = 0;

	for (;;) {
		size_t len = strcspn(s, " ");
		size_t i;

		if (len < 5 || s[0] != '<' || s[len - 1] != '>' || memchr(s, '@', len) == NULL)
			abort();
		for (i = 0; i < len; i++) {
			if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
				abort();
		}
		if (++n > max)
			abort();
		if (s[len] == '\0')
			return;
		s += len + 1;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool inited;
	struct slice in = {(const char *)data, size};
	char *irt = NULL, *refs = NULL, *subj = NULL, *re;
	size_t i;

	if (!inited) {
		content_init();
		inited = true;
	}
	if (compose_reply_ids(in, &irt, &refs, &subj) != IG_OK)
		return 0;
	check_id_list(irt, 1);
	check_id_list(refs, LIM_SEND_REFERENCES);
	if (strlen(refs) < strlen(irt) || strcmp(refs + strlen(refs) - strlen(irt), irt) != 0)
		abort();
	if (!u8_valid(subj, strlen(subj)))
		abort();
	for (i = 0; subj[i] != '\0'; i++) {
		if ((unsigned char)subj[i] < 0x20 || subj[i] == 0x7f)
			abort();
	}
	re = compose_reply_subject(subj);
	if (re != NULL) {
		struct compose_addr to = {NULL, "bob@example.test"};
		struct compose_in ci = {0};
		char msgid[LIM_SEND_MSGID + 1];
		const char *error = NULL;
		struct buf b;

		ci.from_address = "alice@example.test";
		ci.to = &to;
		ci.n_to = 1;
		ci.subject = re;
		ci.body_text = "x";
		ci.in_reply_to = irt;
		ci.references = refs;
		ci.date = 1700000000;
		buf_init(&b, LIM_SEND_MESSAGE);
		/* a subject that decodes to C1 controls or U+2028 is refused;
		 * anything else must compose */
		if (compose_header_text_valid(re, LIM_SEND_SUBJECT)) {
			size_t line = 0;

			if (compose_build(&ci, &b, msgid, &error) != IG_OK)
				abort();
			/* CRLF only, no line over 998 bytes (RFC 5322 §2.1.1) */
			for (i = 0; i < b.len; i++) {
				if (b.p[i] == '\r') {
					if (i + 1 >= b.len || b.p[i + 1] != '\n')
						abort();
					i++;
					line = 0;
				} else if (b.p[i] == '\n' || ++line > 998) {
					abort();
				}
			}
		}
		buf_free(&b);
		free(re);
	}
	free(irt);
	free(refs);
	free(subj);
	return 0;
}
