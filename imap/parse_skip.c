/* Skipping one over-limit FETCH response (imap/parse_skip.h).
 * RFC 3501 §4.3 (literals), §9 (quoted strings, CRLF ends a line). */
#include "imap/parse_skip.h"

#include <string.h>

#include "base/limits.h"

static bool
take_num(struct slice s, size_t *i, uint32_t *v_r)
{
	uint64_t v = 0;
	size_t start = *i;

	while (*i < s.len && s.p[*i] >= '0' && s.p[*i] <= '9') {
		v = v * 10 + (uint64_t)(s.p[*i] - '0');
		if (v > UINT32_MAX)
			return false;
		(*i)++;
	}
	*v_r = (uint32_t)v;
	return *i > start && *i - start <= 10;
}

static bool
take_lit(struct slice s, size_t *i, const char *lit)
{
	size_t n = strlen(lit);
	size_t k;

	if (s.len - *i < n)
		return false;
	for (k = 0; k < n; k++) {
		char c = s.p[*i + k];

		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		if (c != lit[k])
			return false;
	}
	*i += n;
	return true;
}

bool
imap_skip_fetch_head(struct slice head, uint32_t *seq_r, bool *has_uid_r, uint32_t *uid_r)
{
	size_t i = 0;
	uint32_t seq = 0;
	uint32_t uid = 0;

	*has_uid_r = false;
	if (!take_lit(head, &i, "* ") || !take_num(head, &i, &seq) || seq == 0 ||
	    !take_lit(head, &i, " FETCH ("))
		return false;
	*seq_r = seq;
	if (take_lit(head, &i, "UID ") && take_num(head, &i, &uid) && uid != 0 && i < head.len &&
	    (head.p[i] == ' ' || head.p[i] == ')')) {
		*uid_r = uid;
		*has_uid_r = true;
	}
	return true;
}

static void
tail_put(struct imap_skip *s, char c)
{
	if (s->tail_len == IMAP_SKIP_TAIL) {
		memmove(s->tail, s->tail + 1, IMAP_SKIP_TAIL - 1);
		s->tail_len--;
	}
	s->tail[s->tail_len++] = c;
}

void
imap_skip_start(struct imap_skip *s, size_t lit_left, bool in_quote, bool esc, bool cr,
                struct slice seg)
{
	size_t k;

	s->lit_left = lit_left;
	s->in_quote = in_quote;
	s->esc = esc;
	s->cr = cr;
	s->tail_len = 0;
	s->total = 0;
	k = seg.len > IMAP_SKIP_TAIL ? seg.len - IMAP_SKIP_TAIL : 0;
	for (; k < seg.len; k++)
		if (seg.p[k] != '\r')
			tail_put(s, seg.p[k]);
}

/* A line ending in "{n}", "{n+}" or "~{n}": *n_r. */
static bool
tail_literal(const struct imap_skip *s, uint64_t *n_r)
{
	size_t end = s->tail_len;
	size_t i;
	uint64_t n = 0;

	if (end < 3 || s->tail[end - 1] != '}')
		return false;
	end--;
	if (s->tail[end - 1] == '+')
		end--;
	i = end;
	while (i > 0 && s->tail[i - 1] >= '0' && s->tail[i - 1] <= '9')
		i--;
	if (i == end || i == 0 || s->tail[i - 1] != '{' || end - i > 19)
		return false;
	for (; i < end; i++)
		n = n * 10 + (uint64_t)(s->tail[i] - '0');
	*n_r = n;
	return true;
}

enum ig_err
imap_skip_feed(struct imap_skip *s, const char *in, size_t len, size_t *used_r)
{
	size_t i = 0;

	while (i < len) {
		char c;

		if (s->lit_left > 0) {
			size_t k = len - i < s->lit_left ? len - i : s->lit_left;

			i += k;
			s->lit_left -= k;
			s->total += k;
			continue;
		}
		c = in[i++];
		if (++s->total > LIM_IMAP_SKIP) {
			*used_r = i;
			return IG_ELIMIT;
		}
		if (c == '\0' || (s->cr && c != '\n')) {
			*used_r = i;
			return IG_EINVAL;
		}
		if (c == '\r') {
			s->cr = true;
			continue;
		}
		if (c == '\n') {
			uint64_t n;

			if (!s->cr || s->in_quote) {
				*used_r = i;
				return IG_EINVAL;
			}
			s->cr = false;
			if (tail_literal(s, &n)) {
				if (n > LIM_IMAP_SKIP - s->total) {
					*used_r = i;
					return IG_ELIMIT;
				}
				s->lit_left = (size_t)n;
				s->tail_len = 0;
				continue;
			}
			*used_r = i;
			return IG_OK;
		}
		if (s->in_quote) {
			if (s->esc)
				s->esc = false;
			else if (c == '\\')
				s->esc = true;
			else if (c == '"')
				s->in_quote = false;
		} else if (c == '"') {
			s->in_quote = true;
		}
		tail_put(s, c);
	}
	*used_r = i;
	return IG_AGAIN;
}
