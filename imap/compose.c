/* Composing outgoing mail (imap/compose.h).
 *
 * RFC 5322 (message format), RFC 5321 §4.1.2 / §4.5.3 (address syntax and
 * lengths), RFC 2045/2047 (MIME, encoded words: GMime's job), RFC 5322 §3.6.4
 * (Message-ID, In-Reply-To, References).
 *
 * Header injection is impossible by construction: every text that ends up
 * in a header is checked for controls here and then handed to GMime, which
 * encodes non-ASCII and quotes display names; addresses are restricted to
 * a grammar that contains no character with a meaning in a header. */
#include "imap/compose.h"

#include <gmime/gmime.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/utf8.h"

static bool
atext(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c != 0 && strchr("!#$%&'*+/=?^_`{|}~-", c) != NULL);
}

static bool
domain_valid(const char *d, size_t len)
{
	size_t label = 0;
	size_t i;

	if (len == 0 || len > 253)
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)d[i];

		if (c == '.') {
			if (label == 0 || d[i - 1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-'))
			return false;
		if (c == '-' && label == 0)
			return false;
		if (++label > 63)
			return false;
	}
	return label > 0 && d[len - 1] != '-';
}

bool
compose_address_valid(const char *s)
{
	const char *at;
	size_t len;
	size_t i;

	if (s == NULL)
		return false;
	len = strnlen(s, LIM_SEND_ADDRESS + 1);
	at = strrchr(s, '@');
	if (len == 0 || len > LIM_SEND_ADDRESS || at == NULL || at == s ||
	    (size_t)(at - s) > LIM_SEND_LOCAL)
		return false;
	for (i = 0; s + i < at; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.') {
			if (i == 0 || s[i - 1] == '.' || s + i + 1 == at)
				return false;
		} else if (!atext(c)) {
			return false;
		}
	}
	return domain_valid(at + 1, strlen(at + 1));
}

bool
compose_header_text_valid(const char *s, size_t max)
{
	size_t len;
	size_t i;

	if (s == NULL)
		return false;
	len = strnlen(s, max + 1);
	if (len > max || !u8_valid(s, len))
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f)
			return false;
		/* C1 controls U+0080..U+009F are C2 80..C2 9F */
		if (c == 0xc2 && i + 1 < len && (unsigned char)s[i + 1] < 0xa0)
			return false;
		/* U+2028 LINE SEPARATOR, U+2029 PARAGRAPH SEPARATOR */
		if (c == 0xe2 && i + 2 < len && (unsigned char)s[i + 1] == 0x80 &&
		    ((unsigned char)s[i + 2] == 0xa8 || (unsigned char)s[i + 2] == 0xa9))
			return false;
	}
	return true;
}

/* Trims spaces and tabs around [*p, *p + *len). */
static void
trim(const char **p, size_t *len)
{
	while (*len > 0 && (**p == ' ' || **p == '\t')) {
		(*p)++;
		(*len)--;
	}
	while (*len > 0 && ((*p)[*len - 1] == ' ' || (*p)[*len - 1] == '\t'))
		(*len)--;
}

static bool
pattern_valid(const char *p, size_t len)
{
	char tmp[LIM_SEND_ADDRESS + 1];

	if (len == 0 || len > LIM_SEND_ADDRESS)
		return false;
	if (len > 2 && p[0] == '*' && p[1] == '@')
		return domain_valid(p + 2, len - 2);
	memcpy(tmp, p, len);
	tmp[len] = '\0';
	return compose_address_valid(tmp);
}

bool
compose_patterns_valid(const char *patterns)
{
	const char *p = patterns;
	size_t n = 0;

	if (patterns == NULL)
		return true;
	for (;;) {
		size_t len = strcspn(p, ",");
		const char *e = p;
		size_t elen = len;

		trim(&e, &elen);
		if (!pattern_valid(e, elen) || ++n > LIM_SEND_PATTERNS)
			return false;
		if (p[len] == '\0')
			return true;
		p += len + 1;
	}
}

bool
compose_rcpt_allowed(const char *patterns, const char *address)
{
	const char *at = strrchr(address, '@');
	const char *p = patterns;
	size_t alen = strlen(address);

	if (patterns == NULL || at == NULL)
		return false;
	for (;;) {
		size_t len = strcspn(p, ",");
		const char *e = p;
		size_t elen = len;

		trim(&e, &elen);
		if (elen > 2 && e[0] == '*' && e[1] == '@') {
			if (strlen(at + 1) == elen - 2 && strncasecmp(at + 1, e + 2, elen - 2) == 0)
				return true;
		} else if (elen == alen && strncasecmp(e, address, elen) == 0) {
			/* Local parts are case-sensitive in theory (RFC 5321
			 * §2.4); every mail system in use treats them
			 * case-insensitively, and matching that way only ever
			 * widens to the same mailbox. */
			return true;
		}
		if (p[len] == '\0')
			return false;
		p += len + 1;
	}
}

void
compose_crlf(const char *p, size_t len, struct buf *out)
{
	size_t i;
	size_t start = 0;

	for (i = 0; i < len; i++) {
		if (p[i] != '\r' && p[i] != '\n')
			continue;
		buf_append(out, p + start, i - start);
		buf_append(out, "\r\n", 2);
		if (p[i] == '\r' && i + 1 < len && p[i + 1] == '\n')
			i++;
		start = i + 1;
	}
	buf_append(out, p + start, len - start);
}

/* Body text: valid UTF-8, no NUL; other controls are the author's business
 * (TAB, form feed) but bare CR becomes a line break like any other. */
static bool
body_valid(const char *s)
{
	size_t len = strnlen(s, LIM_SEND_BODY + 1);

	return len <= LIM_SEND_BODY && u8_valid(s, len);
}

/* 7bit is only right for ASCII without long lines; everything else goes
 * quoted-printable, which keeps lines short and survives any relay. */
static bool
body_is_7bit(const char *s)
{
	size_t line = 0;

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c >= 0x80)
			return false;
		if (c == '\n') {
			line = 0;
			continue;
		}
		if (++line > 900)
			return false;
	}
	return true;
}

/* msg-id = "<" id-left "@" id-right ">", printable ASCII without space,
 * brackets or backslash; at most LIM_SEND_MSGID bytes with the brackets. */
static bool
msgid_valid(const char *p, size_t len)
{
	size_t i;
	bool at = false;

	if (len < 5 || len > LIM_SEND_MSGID || p[0] != '<' || p[len - 1] != '>')
		return false;
	for (i = 1; i + 1 < len; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c <= 0x20 || c >= 0x7f || c == '<' || c == '>' || c == '\\' || c == '"')
			return false;
		if (c == '@')
			at = true;
	}
	return at && p[1] != '@' && p[len - 2] != '@';
}

/* "<a> <b> ..." made of valid ids, single spaces. */
static bool
msgid_list_valid(const char *s)
{
	size_t n = 0;

	if (s == NULL || *s == '\0')
		return false;
	for (;;) {
		size_t len = strcspn(s, " ");

		if (!msgid_valid(s, len) || ++n > LIM_SEND_REFERENCES)
			return false;
		if (s[len] == '\0')
			return true;
		s += len + 1;
	}
}

static void
random_id(char out[33])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[16];
	size_t i;

	randombytes_buf(raw, sizeof(raw));
	for (i = 0; i < sizeof(raw); i++) {
		out[2 * i] = hex[raw[i] >> 4];
		out[2 * i + 1] = hex[raw[i] & 15];
	}
	out[32] = '\0';
}

static bool
add_addrs(GMimeMessage *msg, GMimeAddressType type, const struct compose_addr *v, size_t n,
	  const char **error_r)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const char *name = v[i].name != NULL ? v[i].name : "";

		if (!compose_address_valid(v[i].address)) {
			*error_r = "an address is not a plain local@domain address";
			return false;
		}
		if (!compose_header_text_valid(name, LIM_SEND_NAME)) {
			*error_r = "a display name is too long, not UTF-8, or contains control "
				   "characters";
			return false;
		}
		g_mime_message_add_mailbox(msg, type, name, v[i].address);
	}
	return true;
}

/* LF line endings for GMime; the output is converted to CRLF at the end. */
static char *
body_lf(const char *s)
{
	size_t len = strlen(s);
	char *out = malloc(len + 1);
	size_t i;
	size_t o = 0;

	if (out == NULL)
		return NULL;
	for (i = 0; i < len; i++) {
		if (s[i] == '\r') {
			out[o++] = '\n';
			if (i + 1 < len && s[i + 1] == '\n')
				i++;
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = '\0';
	return out;
}

enum ig_err
compose_build(const struct compose_in *in, struct buf *out, char msgid_r[LIM_SEND_MSGID + 1],
	      const char **error_r)
{
	GMimeMessage *msg = NULL;
	GMimeTextPart *part = NULL;
	GMimeStream *body_stream = NULL;
	GMimeDataWrapper *wrapper = NULL;
	GMimeStream *mem = NULL;
	GMimeFormatOptions *fo = NULL;
	GDateTime *dt = NULL;
	GByteArray *ba;
	char *body = NULL;
	char rnd[33];
	char idbuf[LIM_SEND_MSGID + 1];
	const char *domain;
	enum ig_err err = IG_EINVAL;
	int n;

	msgid_r[0] = '\0';
	if (!compose_address_valid(in->from_address)) {
		*error_r = "the account's address is not a valid address (set `address`)";
		return IG_EINVAL;
	}
	if (in->n_to + in->n_cc == 0) {
		*error_r = "at least one recipient in `to` or `cc` is required";
		return IG_EINVAL;
	}
	if (!compose_header_text_valid(in->subject, LIM_SEND_SUBJECT)) {
		*error_r = "`subject` is too long, not UTF-8, or contains control characters";
		return IG_EINVAL;
	}
	if (in->body_text == NULL || !body_valid(in->body_text)) {
		*error_r = "`body_text` is too long or not valid UTF-8";
		return IG_EINVAL;
	}
	if ((in->in_reply_to != NULL &&
	     !msgid_valid(in->in_reply_to, strlen(in->in_reply_to))) ||
	    (in->references != NULL && !msgid_list_valid(in->references))) {
		*error_r = "invalid threading ids";
		return IG_EINVAL;
	}
	domain = strrchr(in->from_address, '@') + 1;
	msg = g_mime_message_new(TRUE);
	g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_FROM, NULL, in->from_address);
	if (!add_addrs(msg, GMIME_ADDRESS_TYPE_TO, in->to, in->n_to, error_r) ||
	    !add_addrs(msg, GMIME_ADDRESS_TYPE_CC, in->cc, in->n_cc, error_r))
		goto out;
	g_mime_message_set_subject(msg, in->subject, "utf-8");
	dt = g_date_time_new_from_unix_utc(in->date);
	if (dt == NULL) {
		*error_r = "invalid date";
		goto out;
	}
	g_mime_message_set_date(msg, dt);
	random_id(rnd);
	n = snprintf(idbuf, sizeof(idbuf), "%s@%s", rnd, domain);
	if (n < 0 || (size_t)n + 2 > LIM_SEND_MSGID) {
		*error_r = "the account's domain is too long for a Message-ID";
		goto out;
	}
	g_mime_message_set_message_id(msg, idbuf);
	msgid_r[0] = '<';
	memcpy(msgid_r + 1, idbuf, (size_t)n);
	msgid_r[n + 1] = '>';
	msgid_r[n + 2] = '\0';
	if (in->in_reply_to != NULL)
		g_mime_object_set_header(GMIME_OBJECT(msg), "In-Reply-To", in->in_reply_to, NULL);
	if (in->references != NULL)
		g_mime_object_set_header(GMIME_OBJECT(msg), "References", in->references, NULL);

	body = body_lf(in->body_text);
	if (body == NULL) {
		err = IG_ENOMEM;
		*error_r = "out of memory";
		goto out;
	}
	part = g_mime_text_part_new_with_subtype("plain");
	body_stream = g_mime_stream_mem_new_with_buffer(body, strlen(body));
	wrapper = g_mime_data_wrapper_new_with_stream(body_stream, GMIME_CONTENT_ENCODING_DEFAULT);
	g_mime_part_set_content(GMIME_PART(part), wrapper);
	g_mime_object_set_content_type_parameter(GMIME_OBJECT(part), "charset", "utf-8");
	g_mime_part_set_content_encoding(GMIME_PART(part),
					 body_is_7bit(body) ? GMIME_CONTENT_ENCODING_7BIT
							    : GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE);
	g_mime_message_set_mime_part(msg, GMIME_OBJECT(part));

	mem = g_mime_stream_mem_new();
	fo = g_mime_format_options_new();
	g_mime_format_options_set_newline_format(fo, GMIME_NEWLINE_FORMAT_UNIX);
	if (g_mime_object_write_to_stream(GMIME_OBJECT(msg), fo, mem) < 0) {
		err = IG_EINTERNAL;
		*error_r = "cannot compose the message";
		goto out;
	}
	ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
	compose_crlf((const char *)ba->data, ba->len, out);
	if (buf_err(out) != IG_OK) {
		err = IG_ELIMIT;
		*error_r = "the composed message is too large";
		goto out;
	}
	err = IG_OK;
out:
	if (fo != NULL)
		g_mime_format_options_free(fo);
	if (mem != NULL)
		g_object_unref(mem);
	if (wrapper != NULL)
		g_object_unref(wrapper);
	if (body_stream != NULL)
		g_object_unref(body_stream);
	if (part != NULL)
		g_object_unref(part);
	if (dt != NULL)
		g_date_time_unref(dt);
	if (msg != NULL)
		g_object_unref(msg);
	free(body);
	if (err != IG_OK)
		msgid_r[0] = '\0';
	return err;
}

/* ---- replies ----------------------------------------------------------- */

/* The unfolded value of the first header field called name in a raw
 * header block, heap-owned, or NULL. Stops at the empty line. */
static char *
header_get(struct slice h, const char *name)
{
	size_t nlen = strlen(name);
	size_t i = 0;

	while (i < h.len) {
		size_t eol = i;

		while (eol < h.len && h.p[eol] != '\n')
			eol++;
		if (eol == i || (eol == i + 1 && h.p[i] == '\r'))
			return NULL; /* end of the header block */
		if (eol - i > nlen && strncasecmp(h.p + i, name, nlen) == 0 &&
		    h.p[i + nlen] == ':') {
			struct buf v;
			size_t j = i + nlen + 1;

			buf_init(&v, LIM_SEND_PARENT_HEADER);
			for (;;) {
				size_t e = eol;

				if (e > j && h.p[e - 1] == '\r')
					e--;
				buf_append(&v, h.p + j, e - j);
				j = eol + 1;
				if (j >= h.len || (h.p[j] != ' ' && h.p[j] != '\t'))
					break;
				eol = j;
				while (eol < h.len && h.p[eol] != '\n')
					eol++;
			}
			if (v.p == NULL)
				buf_puts(&v, "");
			if (buf_err(&v) != IG_OK || memchr(v.p, '\0', v.len) != NULL) {
				buf_free(&v);
				return NULL;
			}
			return buf_take(&v);
		}
		i = eol + 1;
	}
	return NULL;
}

/* Collects the well-formed <ids> of s (at most max, keeping the last). */
static size_t
ids_collect(const char *s, struct slice *ids, size_t max)
{
	size_t n = 0;

	while (s != NULL && (s = strchr(s, '<')) != NULL) {
		const char *e = strchr(s, '>');

		if (e == NULL)
			break;
		if (msgid_valid(s, (size_t)(e - s) + 1)) {
			if (n == max) {
				memmove(ids, ids + 1, (max - 1) * sizeof(*ids));
				n--;
			}
			ids[n].p = s;
			ids[n].len = (size_t)(e - s) + 1;
			n++;
		}
		s = e + 1;
	}
	return n;
}

/* Decoded subject with controls turned into spaces, cut on a UTF-8
 * boundary so that "Re: " still fits LIM_SEND_SUBJECT. */
static char *
subject_clean(const char *raw)
{
	char *dec;
	size_t len;
	size_t i;
	char *out;

	while (*raw == ' ' || *raw == '\t')
		raw++;
	dec = g_mime_utils_header_decode_text(NULL, raw);

	if (dec == NULL)
		return strdup("");
	len = strlen(dec);
	if (!u8_valid(dec, len)) {
		g_free(dec);
		return strdup("");
	}
	out = calloc(len + 1, 1); /* zeroed: every byte is written below, which the analyzer cannot follow */
	if (out == NULL) {
		g_free(dec);
		return NULL;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)dec[i];

		out[i] = dec[i];
		if (c < 0x20 || c == 0x7f)
			out[i] = ' ';
		if (c == 0xc2 && i + 1 < len && (unsigned char)dec[i + 1] < 0xa0) {
			out[i] = ' ';
			out[++i] = ' ';
		} else if (c == 0xe2 && i + 2 < len && (unsigned char)dec[i + 1] == 0x80 &&
			   ((unsigned char)dec[i + 2] == 0xa8 || (unsigned char)dec[i + 2] == 0xa9)) {
			out[i] = ' ';
			out[++i] = ' ';
			out[++i] = ' ';
		}
	}
	out[len] = '\0';
	g_free(dec);
	len = strlen(out);
	if (len > LIM_SEND_SUBJECT - 4) {
		len = LIM_SEND_SUBJECT - 4;
		while (len > 0 && ((unsigned char)out[len] & 0xc0) == 0x80)
			len--;
		out[len] = '\0';
	}
	return out;
}

enum ig_err
compose_reply_ids(struct slice header, char **in_reply_to_r, char **refs_r, char **subject_r)
{
	struct slice ids[LIM_SEND_REFERENCES];
	struct slice parent[1];
	char *mid = NULL;
	char *refs = NULL;
	char *subj = NULL;
	struct buf b;
	enum ig_err err = IG_ENOTFOUND;
	size_t n;
	size_t i;

	*in_reply_to_r = *refs_r = *subject_r = NULL;
	buf_init(&b, (LIM_SEND_MSGID + 1) * LIM_SEND_REFERENCES + 1);
	if (header.len > LIM_SEND_PARENT_HEADER)
		header.len = LIM_SEND_PARENT_HEADER;
	mid = header_get(header, "Message-ID");
	if (mid == NULL || ids_collect(mid, parent, 1) != 1)
		goto out;
	refs = header_get(header, "References");
	n = ids_collect(refs, ids, LIM_SEND_REFERENCES - 1);
	for (i = 0; i < n; i++) {
		/* the parent's own id is appended last; never twice */
		if (ids[i].len == parent[0].len && memcmp(ids[i].p, parent[0].p, ids[i].len) == 0)
			continue;
		buf_append(&b, ids[i].p, ids[i].len);
		buf_putc(&b, ' ');
	}
	buf_append(&b, parent[0].p, parent[0].len);
	if (buf_err(&b) != IG_OK) {
		err = IG_ENOMEM;
		goto out;
	}
	free(refs);
	refs = header_get(header, "Subject");
	subj = subject_clean(refs != NULL ? refs : "");
	*in_reply_to_r = strndup(parent[0].p, parent[0].len);
	*refs_r = buf_take(&b);
	*subject_r = subj;
	subj = NULL;
	if (*in_reply_to_r == NULL || *refs_r == NULL || *subject_r == NULL) {
		free(*in_reply_to_r);
		free(*refs_r);
		free(*subject_r);
		*in_reply_to_r = *refs_r = *subject_r = NULL;
		err = IG_ENOMEM;
		goto out;
	}
	err = IG_OK;
out:
	buf_free(&b);
	free(mid);
	free(refs);
	free(subj);
	return err;
}

/* Length of a leading "Re:" / "RE :" / "re:" prefix (with the spaces
 * after it), or 0. */
static size_t
re_prefix(const char *s)
{
	size_t i = 0;

	if ((s[0] != 'R' && s[0] != 'r') || (s[1] != 'E' && s[1] != 'e'))
		return 0;
	i = 2;
	while (s[i] == ' ')
		i++;
	if (s[i] != ':')
		return 0;
	i++;
	while (s[i] == ' ')
		i++;
	return i;
}

char *
compose_reply_subject(const char *s)
{
	struct buf b;
	size_t k;

	while ((k = re_prefix(s)) > 0)
		s += k;
	buf_init(&b, strlen(s) + 8);
	buf_puts(&b, "Re: ");
	buf_puts(&b, s);
	if (buf_err(&b) != IG_OK) {
		buf_free(&b);
		return NULL;
	}
	return buf_take(&b);
}
