/* libFuzzer target for the BODYSTRUCTURE and ENVELOPE readers of
 * imap/parse.c: the input is wrapped into a FETCH response, and every tree
 * the parser accepts must respect LIM_IMAP_BODY_DEPTH, LIM_IMAP_BODY_PARTS
 * and LIM_IMAP_ADDRESSES (abort otherwise). The first byte picks the item. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/limits.h"
#include "imap/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_env(const struct imap_envelope *e)
{
	const struct imap_addr_list *l[] = {&e->from, &e->sender, &e->reply_to,
					    &e->to,   &e->cc,     &e->bcc};
	size_t i;

	for (i = 0; i < 6; i++) {
		if (l[i]->n > LIM_IMAP_ADDRESSES)
			abort();
	}
}

/* Walks the tree with an explicit stack, counting parts. */
static void
check_body(const struct imap_body *root)
{
	const struct imap_body **stack = malloc(LIM_IMAP_BODY_PARTS * sizeof(*stack));
	size_t top = 0;
	size_t parts = 0;
	size_t i;

	if (stack == NULL)
		abort();
	stack[top++] = root;
	while (top > 0) {
		const struct imap_body *b = stack[--top];

		if (++parts > LIM_IMAP_BODY_PARTS || b->depth >= LIM_IMAP_BODY_DEPTH)
			abort();
		if (b->envelope != NULL)
			check_env(b->envelope);
		for (i = 0; i < b->n_kids; i++) {
			if (b->kids[i].depth != b->depth + 1 || top >= LIM_IMAP_BODY_PARTS)
				abort();
			stack[top++] = &b->kids[i];
		}
	}
	free(stack);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const items[] = {"BODYSTRUCTURE", "BODY", "ENVELOPE"};
	struct imap_parser *p;
	const struct imap_resp *r;
	const char *e = NULL;
	struct buf b;
	size_t used;

	if (size < 1)
		return 0;
	buf_init(&b, 2 * 1024 * 1024);
	buf_puts(&b, "* 1 FETCH (UID 5 ");
	buf_puts(&b, items[data[0] % 3]);
	buf_putc(&b, ' ');
	buf_append(&b, data + 1, size - 1);
	buf_puts(&b, ")\r\n");
	p = imap_parser_new(LIM_IMAP_RESPONSE);
	if (p == NULL || buf_err(&b) != IG_OK)
		abort();
	if (imap_parser_feed(p, b.p, b.len, &used, &r, &e) == IG_OK && r->type == IMAP_U_FETCH) {
		if (r->u.fetch.body != NULL)
			check_body(r->u.fetch.body);
		if (r->u.fetch.envelope != NULL)
			check_env(r->u.fetch.envelope);
	}
	imap_parser_free(p);
	buf_free(&b);
	return 0;
}
