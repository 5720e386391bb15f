/* Strict JSON for untrusted request bodies: RFC 8259 (grammar, §7 strings,
 * §8.1 UTF-8) plus the policy in json.h. json-c alone is not enough: it keeps
 * the last of duplicate keys, accepts "\u0000", lone surrogates and 1e400,
 * and its own limits are not ours. So a single-pass validator with an
 * explicit stack runs first, and json-c only builds documents it accepted. */
#include "base/json.h"

#include <assert.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "base/limits.h"
#include "base/utf8.h"

/* A member name is stored as a 4-byte length then its unescaped bytes. */
static_assert(LIM_JSON_STRING <= UINT32_MAX, "key length must fit the record header");
#define KEY_HDR sizeof(uint32_t)

/* Saturation point for digit counts and exponents: far beyond the ±309
 * decimal exponents that matter, far below int64 overflow when added. */
#define NUM_SAT 1000000000

/* The smallest decimal value that rounds to infinity as an IEEE 754 double:
 * halfway between DBL_MAX and 2^1024, (2^54 - 1) * 2^970, which rounds up
 * (DBL_MAX has an odd significand). As a digit string d1 d2 ... meaning
 * 0.d1d2... * 10^309. */
static const char dbl_inf_digits[] =
	"17976931348623158079372897140530341507993413271003782693617377898044496829"
	"27647509466490179775872070963302864166928879109465555478519404026306574886"
	"71505820681908902000708383676273854845817711531764475730270069855571366959"
	"62284291481986083493647529271907416844436551070434271155969950809304288017"
	"7904174497792";
#define DBL_INF_EXP10 309

/* Unescaped names of the members of every open object, innermost last. When
 * an object closes its names are checked and popped, so the stack never
 * holds more than the open objects' names. */
struct keystack {
	char *p;
	size_t len;
	size_t cap;
};

struct jv_frame {
	bool is_obj;
	size_t nkeys;
	size_t key_off; /* where this object's names start in the keystack */
};

struct jv {
	const unsigned char *s;
	size_t len;
	size_t pos;
	struct keystack keys;
	struct slice *sorted; /* LIM_JSON_KEYS entries, allocated on first use */
	const char *error;
};

enum jv_state {
	JV_VALUE,      /* a value must come next */
	JV_FIRST_ELEM, /* just after '[': a value or ']' */
	JV_FIRST_KEY,  /* just after '{': a member name or '}' */
	JV_KEY,        /* after ',' in an object: a member name */
	JV_COLON,      /* after a member name */
	JV_NEXT,       /* after a value inside a container: ',' or its closer */
	JV_DONE,       /* the top-level value is complete: only whitespace may follow */
};

static enum ig_err
jv_fail(struct jv *v, enum ig_err err, const char *msg)
{
	v->error = msg;
	return err;
}

static enum ig_err
ks_append(struct jv *v, const void *p, size_t n)
{
	struct keystack *ks = &v->keys;
	size_t need;
	size_t ncap;
	char *np;

	if (__builtin_add_overflow(ks->len, n, &need))
		return jv_fail(v, IG_ELIMIT, "document too large");
	if (need > ks->cap) {
		ncap = ks->cap != 0 ? ks->cap : 1024;
		while (ncap < need) {
			if (__builtin_mul_overflow(ncap, 2, &ncap))
				return jv_fail(v, IG_ELIMIT, "document too large");
		}
		np = realloc(ks->p, ncap);
		if (np == NULL)
			return jv_fail(v, IG_ENOMEM, "out of memory");
		ks->p = np;
		ks->cap = ncap;
	}
	if (n > 0)
		memcpy(ks->p + ks->len, p, n);
	ks->len = need;
	return IG_OK;
}

/* qsort's comparator signature, hence the NOLINT. */
static int
key_cmp(const void *a, const void *b) /* NOLINT(bugprone-easily-swappable-parameters) */
{
	const struct slice *x = a;
	const struct slice *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = n > 0 ? memcmp(x->p, y->p, n) : 0;

	if (c != 0)
		return c;
	return (x->len > y->len) - (x->len < y->len);
}

/* Sorting the closing object's names makes duplicate detection O(k log k)
 * per object and immune to hash flooding; equal names end up adjacent. */
static enum ig_err
jv_close_object(struct jv *v, const struct jv_frame *f)
{
	if (f->nkeys >= 2) {
		size_t off = f->key_off;
		size_t n = 0;
		size_t i;

		if (v->sorted == NULL) {
			v->sorted = calloc(LIM_JSON_KEYS, sizeof(*v->sorted));
			if (v->sorted == NULL)
				return jv_fail(v, IG_ENOMEM, "out of memory");
		}
		while (off < v->keys.len && n < LIM_JSON_KEYS) {
			uint32_t klen;

			memcpy(&klen, v->keys.p + off, KEY_HDR);
			v->sorted[n].p = v->keys.p + off + KEY_HDR;
			v->sorted[n].len = klen;
			n++;
			off += KEY_HDR + klen;
		}
		qsort(v->sorted, n, sizeof(*v->sorted), key_cmp);
		for (i = 1; i < n; i++) {
			if (key_cmp(&v->sorted[i - 1], &v->sorted[i]) == 0)
				return jv_fail(v, IG_EINVAL, "duplicate key");
		}
	}
	v->keys.len = f->key_off;
	return IG_OK;
}

static int
hex_val(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Reads the 4 hex digits after "\u" at s[i]; -1 when they are not there. */
static int32_t
jv_hex4(const struct jv *v, size_t i)
{
	int32_t cp = 0;
	size_t k;

	if (v->len - i < 4)
		return -1;
	for (k = 0; k < 4; k++) {
		int h = hex_val(v->s[i + k]);

		if (h < 0)
			return -1;
		cp = cp * 16 + h;
	}
	return cp;
}

/* Decodes the escape whose backslash is at *ip into out[0..*n_r) and moves
 * *ip past it. UTF-16 surrogates must come as a high-low pair (RFC 8259 §7);
 * U+0000 is refused because no caller ever wants NUL inside a C string. */
static enum ig_err
jv_escape(struct jv *v, size_t *ip, char out[4], size_t *n_r)
{
	size_t i = *ip + 1;
	int32_t cp;

	if (i == v->len)
		return jv_fail(v, IG_EINVAL, "unexpected end of input");
	*n_r = 1;
	switch (v->s[i]) {
	case '"':
	case '\\':
	case '/':
		out[0] = (char)v->s[i];
		break;
	case 'b':
		out[0] = '\b';
		break;
	case 'f':
		out[0] = '\f';
		break;
	case 'n':
		out[0] = '\n';
		break;
	case 'r':
		out[0] = '\r';
		break;
	case 't':
		out[0] = '\t';
		break;
	case 'u':
		cp = jv_hex4(v, i + 1);
		if (cp < 0)
			return jv_fail(v, IG_EINVAL, "invalid \\u escape");
		i += 4;
		if (cp == 0)
			return jv_fail(v, IG_EINVAL, "\\u0000 in string");
		if (cp >= 0xdc00 && cp <= 0xdfff)
			return jv_fail(v, IG_EINVAL, "unpaired surrogate");
		if (cp >= 0xd800 && cp <= 0xdbff) {
			int32_t lo;

			if (v->len - i < 3 || v->s[i + 1] != '\\' || v->s[i + 2] != 'u')
				return jv_fail(v, IG_EINVAL, "unpaired surrogate");
			lo = jv_hex4(v, i + 3);
			if (lo < 0xdc00 || lo > 0xdfff)
				return jv_fail(v, IG_EINVAL, "unpaired surrogate");
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			i += 6;
		}
		*n_r = u8_encode((uint32_t)cp, out);
		if (*n_r == 0)
			return jv_fail(v, IG_EINTERNAL, "escape encoding failed");
		break;
	default:
		return jv_fail(v, IG_EINVAL, "invalid escape");
	}
	*ip = i + 1;
	return IG_OK;
}

/* Scans the string whose opening quote is at v->pos. A member name (is_key)
 * is also unescaped onto the keystack for the duplicate check. The length
 * limit applies to the unescaped bytes, which is what the application sees. */
static enum ig_err
jv_string(struct jv *v, bool is_key)
{
	size_t i = v->pos + 1;
	size_t run = i;
	size_t rec = v->keys.len;
	size_t n = 0;
	enum ig_err err;
	uint32_t klen;

	if (is_key && (err = ks_append(v, "\0\0\0\0", KEY_HDR)) != IG_OK)
		return err;
	for (;;) {
		unsigned char c;
		char dec[4];
		size_t dn;

		if (i == v->len)
			return jv_fail(v, IG_EINVAL, "unexpected end of input");
		c = v->s[i];
		if (c == '"')
			break;
		if (c < 0x20)
			return jv_fail(v, IG_EINVAL, "control character in string");
		if (c != '\\') {
			i++;
			if (++n > (size_t)LIM_JSON_STRING)
				return jv_fail(v, IG_ELIMIT, "string too long");
			continue;
		}
		if (is_key && (err = ks_append(v, v->s + run, i - run)) != IG_OK)
			return err;
		if ((err = jv_escape(v, &i, dec, &dn)) != IG_OK)
			return err;
		run = i;
		n += dn;
		if (n > (size_t)LIM_JSON_STRING)
			return jv_fail(v, IG_ELIMIT, "string too long");
		if (is_key && (err = ks_append(v, dec, dn)) != IG_OK)
			return err;
	}
	if (is_key) {
		if ((err = ks_append(v, v->s + run, i - run)) != IG_OK)
			return err;
		klen = (uint32_t)n;
		memcpy(v->keys.p + rec, &klen, KEY_HDR);
	}
	v->pos = i + 1;
	return IG_OK;
}

static bool
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static size_t
sat_count(size_t n)
{
	return n > NUM_SAT ? NUM_SAT : n;
}

/* Whether the decimal number with mantissa mant (digits and at most one '.')
 * and exponent exp10 rounds to infinity. Decided exactly by comparing with
 * dbl_inf_digits rather than with strtod, which would need a NUL-terminated
 * copy and depends on the locale. */
static bool
jv_float_overflows(struct slice mant, int64_t exp10)
{
	const unsigned char *s = (const unsigned char *)mant.p;
	size_t first = 0; /* first significant digit */
	size_t count = 0;
	bool in_frac = false;
	int64_t e;
	size_t i;
	size_t k = 0;

	while (first < mant.len && (s[first] == '0' || s[first] == '.')) {
		if (s[first] == '.')
			in_frac = true;
		first++;
	}
	if (first == mant.len)
		return false; /* zero */
	if (!in_frac) {
		/* ddd.ddd: the integer digits raise the exponent. */
		for (i = first; i < mant.len && s[i] != '.'; i++)
			count++;
		e = (int64_t)sat_count(count) + exp10;
	} else {
		/* 0.000ddd: the zeros after the point lower it. */
		for (i = first; i > 0 && s[i - 1] != '.'; i--)
			count++;
		e = exp10 - (int64_t)sat_count(count);
	}
	if (e != DBL_INF_EXP10)
		return e > DBL_INF_EXP10;
	for (i = first; i < mant.len; i++) {
		if (s[i] == '.')
			continue;
		if (k == sizeof(dbl_inf_digits) - 1)
			return true; /* equal so far and longer: at least the boundary */
		if (s[i] != (unsigned char)dbl_inf_digits[k])
			return s[i] > (unsigned char)dbl_inf_digits[k];
		k++;
	}
	/* A prefix of the boundary (whose last digit is not 0) is below it,
	 * unless it is all of it. */
	return k == sizeof(dbl_inf_digits) - 1;
}

/* Integers must fit int64 so json-c neither saturates nor switches to uint64. */
static bool
jv_int_fits(const struct jv *v, size_t d0, size_t d1, bool neg)
{
	const char *lim = neg ? "9223372036854775808" : "9223372036854775807";
	size_t n = d1 - d0;

	if (n != 19)
		return n < 19;
	return memcmp(v->s + d0, lim, 19) <= 0;
}

/* RFC 8259 §6: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)? */
static enum ig_err
jv_number(struct jv *v)
{
	const unsigned char *s = v->s;
	size_t i = v->pos;
	size_t d0; /* integer digits */
	size_t d1;
	size_t m1; /* end of the mantissa */
	bool neg = false;
	bool is_float = false;
	int64_t exp10 = 0;
	struct slice mant;

	if (s[i] == '-') {
		neg = true;
		i++;
	}
	d0 = i;
	if (i < v->len && s[i] == '0') {
		i++;
	} else if (i < v->len && s[i] >= '1' && s[i] <= '9') {
		while (i < v->len && is_digit(s[i]))
			i++;
	} else {
		return jv_fail(v, IG_EINVAL, "invalid number");
	}
	d1 = i;
	if (i < v->len && s[i] == '.') {
		size_t f0;

		is_float = true;
		f0 = ++i;
		while (i < v->len && is_digit(s[i]))
			i++;
		if (i == f0)
			return jv_fail(v, IG_EINVAL, "invalid number");
	}
	m1 = i;
	if (i < v->len && (s[i] == 'e' || s[i] == 'E')) {
		bool exp_neg = false;
		size_t e0;

		is_float = true;
		i++;
		if (i < v->len && (s[i] == '+' || s[i] == '-'))
			exp_neg = s[i++] == '-';
		e0 = i;
		while (i < v->len && is_digit(s[i])) {
			if (exp10 < NUM_SAT)
				exp10 = exp10 * 10 + (s[i] - '0');
			i++;
		}
		if (i == e0)
			return jv_fail(v, IG_EINVAL, "invalid number");
		if (exp_neg)
			exp10 = -exp10;
	}
	/* "01", "1.2.3", "1e2e3": the grammar has ended but the token has not. */
	if (i < v->len && (is_digit(s[i]) || s[i] == '.' || s[i] == 'e' || s[i] == 'E' ||
			   s[i] == '+' || s[i] == '-'))
		return jv_fail(v, IG_EINVAL, "invalid number");
	mant = (struct slice){(const char *)s + d0, m1 - d0};
	if (is_float ? jv_float_overflows(mant, exp10) : !jv_int_fits(v, d0, d1, neg))
		return jv_fail(v, IG_EINVAL, "number out of range");
	v->pos = i;
	return IG_OK;
}

static enum ig_err
jv_literal(struct jv *v, const char *lit)
{
	size_t n = strlen(lit);

	if (v->len - v->pos < n || memcmp(v->s + v->pos, lit, n) != 0)
		return jv_fail(v, IG_EINVAL, "syntax error");
	v->pos += n;
	return IG_OK;
}

static enum ig_err
jv_scalar(struct jv *v, unsigned char c)
{
	switch (c) {
	case '"':
		return jv_string(v, false);
	case 't':
		return jv_literal(v, "true");
	case 'f':
		return jv_literal(v, "false");
	case 'n':
		return jv_literal(v, "null");
	default:
		if (c == '-' || is_digit(c))
			return jv_number(v);
		return jv_fail(v, IG_EINVAL, "syntax error");
	}
}

static void
jv_skip_ws(struct jv *v)
{
	while (v->pos < v->len) {
		unsigned char c = v->s[v->pos];

		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			break;
		v->pos++;
	}
}

/* The grammar as a state machine over an explicit stack of open containers,
 * so hostile nesting costs a bounded array, never C stack. */
static enum ig_err
jv_run(struct jv *v)
{
	struct jv_frame stack[LIM_JSON_DEPTH];
	size_t depth = 0;
	enum jv_state st = JV_VALUE;
	enum ig_err err;

	for (;;) {
		struct jv_frame *top = depth > 0 ? &stack[depth - 1] : NULL;
		unsigned char c;

		jv_skip_ws(v);
		if (v->pos == v->len) {
			if (st == JV_DONE)
				return IG_OK;
			return jv_fail(v, IG_EINVAL, "unexpected end of input");
		}
		c = v->s[v->pos];
		switch (st) {
		case JV_DONE:
			return jv_fail(v, IG_EINVAL, "trailing data");
		case JV_FIRST_ELEM:
		case JV_FIRST_KEY:
			if (top != NULL && c == (top->is_obj ? '}' : ']'))
				goto close;
			st = st == JV_FIRST_KEY ? JV_KEY : JV_VALUE;
			continue;
		case JV_VALUE:
			if (c == '{' || c == '[') {
				if (depth == LIM_JSON_DEPTH)
					return jv_fail(v, IG_ELIMIT, "nesting too deep");
				stack[depth].is_obj = c == '{';
				stack[depth].nkeys = 0;
				stack[depth].key_off = v->keys.len;
				depth++;
				v->pos++;
				st = c == '{' ? JV_FIRST_KEY : JV_FIRST_ELEM;
				continue;
			}
			if ((err = jv_scalar(v, c)) != IG_OK)
				return err;
			st = depth > 0 ? JV_NEXT : JV_DONE;
			continue;
		case JV_KEY:
			if (c != '"' || top == NULL)
				return jv_fail(v, IG_EINVAL, "syntax error");
			if (++top->nkeys > LIM_JSON_KEYS)
				return jv_fail(v, IG_ELIMIT, "too many keys");
			if ((err = jv_string(v, true)) != IG_OK)
				return err;
			st = JV_COLON;
			continue;
		case JV_COLON:
			if (c != ':')
				return jv_fail(v, IG_EINVAL, "syntax error");
			v->pos++;
			st = JV_VALUE;
			continue;
		case JV_NEXT:
			if (top == NULL)
				return jv_fail(v, IG_EINTERNAL, "validator state");
			if (c == ',') {
				v->pos++;
				st = top->is_obj ? JV_KEY : JV_VALUE;
				continue;
			}
			if (c == (top->is_obj ? '}' : ']'))
				goto close;
			return jv_fail(v, IG_EINVAL, "syntax error");
		}
		return jv_fail(v, IG_EINTERNAL, "validator state");
close:
		if (top->is_obj && (err = jv_close_object(v, top)) != IG_OK)
			return err;
		depth--;
		v->pos++;
		st = depth > 0 ? JV_NEXT : JV_DONE;
	}
}

enum ig_err
json_validate_strict(struct slice text, const char **error_r)
{
	struct jv v = {
		.s = (const unsigned char *)text.p,
		.len = text.len,
	};
	enum ig_err err;

	if (text.len > INT_MAX) {
		err = jv_fail(&v, IG_ELIMIT, "document too large");
	} else if (text.len > 0 && memchr(text.p, '\0', text.len) != NULL) {
		err = jv_fail(&v, IG_EINVAL, "NUL byte");
	} else if (!u8_valid(text.p, text.len)) {
		/* Validated once up front, so the grammar below can treat every
		 * byte >= 0x80 as part of a well-formed sequence. */
		err = jv_fail(&v, IG_EINVAL, "invalid UTF-8");
	} else {
		err = jv_run(&v);
	}
	free(v.keys.p);
	free(v.sorted);
	if (error_r != NULL)
		*error_r = err == IG_OK ? NULL : v.error;
	return err;
}

enum ig_err
json_parse_strict(struct slice text, struct json_object **obj_r, const char **error_r)
{
	struct json_tokener *tok = NULL;
	struct json_object *obj = NULL;
	enum json_tokener_error jerr;
	const char *msg = NULL;
	enum ig_err err;
	size_t end;

	*obj_r = NULL;
	err = json_validate_strict(text, &msg);
	if (err != IG_OK)
		goto out;
	err = IG_ENOMEM;
	msg = "out of memory";
	/* A backstop only. json-c's stack also holds the innermost scalar, so
	 * LIM_JSON_DEPTH containers around a value need one more level. */
	tok = json_tokener_new_ex(LIM_JSON_DEPTH + 1);
	if (tok == NULL)
		goto out;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	obj = json_tokener_parse_ex(tok, text.p, (int)text.len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	if (jerr == json_tokener_continue) {
		/* A top-level number has no closing delimiter; json-c takes a
		 * NUL as the end of input. */
		obj = json_tokener_parse_ex(tok, "", 1);
		jerr = json_tokener_get_error(tok);
		end = text.len;
	}
	/* The validator accepted the text, so json-c disagreeing is a bug on
	 * one side; refuse the document rather than guess. */
	err = IG_EINVAL;
	msg = "syntax error";
	if (jerr != json_tokener_success || end > text.len)
		goto out;
	for (; end < text.len; end++) {
		char c = text.p[end];

		if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
			msg = "trailing data";
			goto out;
		}
	}
	*obj_r = obj;
	obj = NULL;
	msg = NULL;
	err = IG_OK;
out:
	json_object_put(obj); /* NULL-safe */
	if (tok != NULL)
		json_tokener_free(tok);
	if (error_r != NULL)
		*error_r = msg;
	return err;
}

struct json_object *
json_parse_trusted(const char *text)
{
	struct json_tokener *tok;
	struct json_object *obj;

	tok = json_tokener_new_ex(LIM_JSON_DEPTH + 1); /* as in json_parse_strict */
	if (tok == NULL)
		return NULL;
	/* -1: the length is strlen(text) + 1, so a top-level number ends at the
	 * NUL, as with json-c's one-call parser. */
	obj = json_tokener_parse_ex(tok, text, -1);
	if (json_tokener_get_error(tok) != json_tokener_success) {
		json_object_put(obj); /* NULL-safe */
		obj = NULL;
	}
	json_tokener_free(tok);
	return obj;
}
