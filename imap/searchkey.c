/* search.advanced_query validation (imap/searchkey.h). RFC 3501 §9:
 * search-key, quoted, atom; RFC 7888 literal forms refused outright. */
#include "imap/searchkey.h"

#include <string.h>

#include "base/limits.h"

void
searchkey_init(struct searchkey *k)
{
	memset(k, 0, sizeof(*k));
}

static enum ig_err
fail(struct searchkey *k, enum ig_err e, const char *msg)
{
	k->error = msg;
	return e;
}

/* A byte inside a quoted string: UTF-8 checked as it streams by (no
 * overlongs, surrogates or code points above U+10FFFF). */
static bool
quoted_byte(struct searchkey *k, unsigned char c)
{
	if (k->u8_need > 0) {
		unsigned char lo = 0x80;
		unsigned char hi = 0xbf;

		if (k->u8_second) {
			if (k->u8_lead == 0xe0)
				lo = 0xa0;
			else if (k->u8_lead == 0xed)
				hi = 0x9f;
			else if (k->u8_lead == 0xf0)
				lo = 0x90;
			else if (k->u8_lead == 0xf4)
				hi = 0x8f;
		}
		if (c < lo || c > hi)
			return false;
		k->u8_second = false;
		k->u8_need--;
		return true;
	}
	if (c < 0x80)
		return c >= 0x20 && c != 0x7f;
	if (c >= 0xc2 && c <= 0xdf)
		k->u8_need = 1;
	else if (c >= 0xe0 && c <= 0xef)
		k->u8_need = 2;
	else if (c >= 0xf0 && c <= 0xf4)
		k->u8_need = 3;
	else
		return false;
	k->u8_lead = c;
	k->u8_second = true;
	return true;
}

static bool
atom_char(unsigned char c)
{
	/* RFC 3501 ATOM-CHAR minus list-wildcards and quoted-specials; ']'
	 * is allowed (resp-specials only matter in responses), '{' is not
	 * (a literal could follow), '*' is allowed (sequence sets). */
	return c > 0x20 && c < 0x7f && c != '(' && c != ')' && c != '{' && c != '"' &&
	       c != '\\' && c != '%';
}

enum ig_err
searchkey_feed(struct searchkey *k, const char *p, size_t n)
{
	size_t i;

	if (k->error != NULL)
		return IG_EINVAL;
	if (n > LIM_SEARCH_KEY || k->len + n > LIM_SEARCH_KEY)
		return fail(k, IG_ELIMIT, "advanced_query is too long");
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		k->len++;
		if (c == '\r' || c == '\n' || c == '\0')
			return fail(k, IG_EINVAL, "advanced_query contains CR, LF or NUL");
		if (k->in_quote) {
			if (k->escape) {
				if (c != '"' && c != '\\')
					return fail(k, IG_EINVAL,
						    "advanced_query: bad escape in a quoted string");
				k->escape = false;
			} else if (k->u8_need == 0 && c == '\\') {
				k->escape = true;
			} else if (k->u8_need == 0 && c == '"') {
				k->in_quote = false;
				k->prev = '"';
			} else if (!quoted_byte(k, c)) {
				return fail(k, IG_EINVAL,
					    "advanced_query: invalid character in a quoted string");
			}
			continue;
		}
		if (c == ' ') {
			if (k->prev == ' ' || k->prev == 0 || k->prev == '(')
				return fail(k, IG_EINVAL, "advanced_query: stray space");
			k->in_atom = false;
			k->prev = c;
			continue;
		}
		if (c == '"' || c == '(') {
			/* a new token must be separated from the previous one */
			if (k->prev != 0 && k->prev != ' ' && k->prev != '(')
				return fail(k, IG_EINVAL, "advanced_query: missing space");
		}
		if (c == '"') {
			if (++k->tokens > LIM_SEARCH_KEY_TOKENS)
				return fail(k, IG_ELIMIT, "advanced_query has too many terms");
			k->in_quote = true;
			k->in_atom = false;
			continue;
		}
		if (c == '(') {
			if (++k->depth > LIM_SEARCH_KEY_DEPTH)
				return fail(k, IG_ELIMIT, "advanced_query is nested too deeply");
			k->in_atom = false;
			k->prev = c;
			continue;
		}
		if (c == ')') {
			if (k->depth == 0 || k->prev == '(' || k->prev == ' ')
				return fail(k, IG_EINVAL, "advanced_query: unbalanced parentheses");
			k->depth--;
			k->in_atom = false;
			k->prev = c;
			continue;
		}
		if (c == '{' || c == '~')
			return fail(k, IG_EINVAL, "advanced_query: literals are not allowed");
		if (!atom_char(c))
			return fail(k, IG_EINVAL, "advanced_query: invalid character");
		if (!k->in_atom) {
			if (k->prev == '"' || k->prev == ')')
				return fail(k, IG_EINVAL, "advanced_query: missing space");
			if (++k->tokens > LIM_SEARCH_KEY_TOKENS)
				return fail(k, IG_ELIMIT, "advanced_query has too many terms");
			k->in_atom = true;
		}
		k->prev = c;
	}
	return IG_OK;
}

enum ig_err
searchkey_finish(struct searchkey *k, const char **error_r)
{
	const char *dummy;

	if (error_r == NULL)
		error_r = &dummy;
	if (k->error == NULL) {
		if (k->in_quote)
			k->error = "advanced_query: unterminated quoted string";
		else if (k->depth != 0)
			k->error = "advanced_query: unbalanced parentheses";
		else if (k->tokens == 0)
			k->error = "advanced_query is empty";
		else if (k->prev == ' ')
			k->error = "advanced_query: trailing space";
	}
	*error_r = k->error;
	return k->error == NULL ? IG_OK : IG_EINVAL;
}

enum ig_err
searchkey_check(struct slice key, const char **error_r)
{
	struct searchkey k;
	enum ig_err e;

	searchkey_init(&k);
	e = searchkey_feed(&k, key.p, key.len);
	if (e != IG_OK) {
		if (error_r != NULL)
			*error_r = k.error;
		return e;
	}
	return searchkey_finish(&k, error_r);
}
