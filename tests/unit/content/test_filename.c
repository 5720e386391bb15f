/* Tests content/filename.c: a table of hostile and ordinary names, then
 * properties over generated names (no separator, no leading dot, no
 * reserved device name, at most 255 bytes of valid UTF-8, idempotent, the
 * rewritten flag exact). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base/utf8.h"
#include "content/filename.h"

struct fn_case {
	const char *in;
	const char *want;
	int rewritten;
};

static const struct fn_case cases[] = {
    {"report.pdf", "report.pdf", 0},
    {"\xe8\xa6\x8b\xe7\xa9\x8d\xe6\x9b\xb8 2024.pdf",
     "\xe8\xa6\x8b\xe7\xa9\x8d\xe6\x9b\xb8 2024.pdf", 0},
    {"\xd8\xaa\xd9\x82\xd8\xb1\xd9\x8a\xd8\xb1.docx",
     "\xd8\xaa\xd9\x82\xd8\xb1\xd9\x8a\xd8\xb1.docx", 0},
    {"a.tar.gz", "a.tar.gz", 0},
    {"../../../etc/passwd", "passwd", 1},
    {"..\\..\\Windows\\win.ini", "win.ini", 1},
    {"C:\\Users\\x\\a.txt", "a.txt", 1},
    {"\xef\xbc\x8f"
     "etc\xef\xbc\x8fpasswd",
     "passwd", 1}, /* fullwidth solidus */
    {"/", "attachment", 1},
    {"", "attachment", 1},
    {"...", "attachment", 1},
    {".bashrc", "bashrc", 1},
    {"  name.txt  ", "name.txt", 1},
    {"name.txt.", "name.txt", 1},
    {"CON", "_CON", 1},
    {"con.txt", "_con.txt", 1},
    {"Aux .doc", "_Aux .doc", 1},
    {"NUL.tar.gz", "_NUL.tar.gz", 1},
    {"COM1", "_COM1", 1},
    {"lpt9.log", "_lpt9.log", 1},
    {"COM\xc2\xb9.txt", "_COM1.txt", 1}, /* superscript one: NFKC, then reserved */
    {"COM10", "COM10", 0},
    {"CONSOLE.txt", "CONSOLE.txt", 0},
    {"a:b*c?d\"e<f>g|h.txt", "a_b_c_d_e_f_g_h.txt", 1},
    {"tab\there", "tab_here", 1},
    {"line\r\nbreak", "line_break", 1},
    {"nul\0byte", "nulbyte", 1},
    {"invoice\xe2\x80\xaegpj.exe", "invoicegpj.exe", 1},
    {"zero\xe2\x80\x8bwidth.pdf", "zerowidth.pdf", 1},
    {"bad\xff.txt", "bad\xef\xbf\xbd.txt", 1},
};

/* Copies bytes that are not strings (no NUL wanted). */
static void
put_bytes(char *dst, const char *src, size_t n)
{
	memcpy(dst, src, n);
}

static void
check_case(const struct fn_case *c, size_t len)
{
	struct buf out;
	int rw = -1;

	buf_init(&out, 1024);
	assert_int_equal(fname_sanitize(c->in, len, &out, &rw), IG_OK);
	if (strcmp(out.p, c->want) != 0)
		fail_msg("'%s' -> '%s'", c->in, out.p);
	assert_int_equal(rw, c->rewritten);
	buf_free(&out);
}

static void
test_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = strlen(cases[i].in);

		if (strncmp(cases[i].in, "nul", 3) == 0 && strcmp(cases[i].want, "nulbyte") == 0)
			len = 8;
		check_case(&cases[i], len);
	}
}

static void
test_long(void **state)
{
	char in[1200];
	struct buf out;
	int rw = 0;
	size_t i;

	(void)state;
	/* 400 x "é" + ".pdf": cut on a character, extension kept */
	for (i = 0; i < 400; i++)
		put_bytes(in + 2 * i, "\xc3\xa9", 2);
	put_bytes(in + 800, ".pdf", 4);
	buf_init(&out, 1024);
	assert_int_equal(fname_sanitize(in, 804, &out, &rw), IG_OK);
	assert_true(out.len <= LIM_FILENAME);
	assert_int_equal(out.len, 254); /* 125 x "é" (250 bytes) + ".pdf" */
	assert_memory_equal(out.p + out.len - 4, ".pdf", 4);
	assert_true(u8_valid(out.p, out.len));
	assert_int_equal(rw, 1);
	buf_free(&out);
	/* a grapheme longer than the cap: "a" + 300 combining marks */
	in[0] = 'a';
	for (i = 0; i < 300; i++)
		put_bytes(in + 1 + 2 * i, "\xcc\x81", 2);
	buf_init(&out, 1024);
	assert_int_equal(fname_sanitize(in, 601, &out, &rw), IG_OK);
	assert_string_equal(out.p, "attachment");
	buf_free(&out);
}

static uint64_t rng_state;

static uint32_t
rng(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (uint32_t)((z ^ (z >> 31)) >> 32);
}

static const char *const parts[] = {
    ".",
    "..",
    "/",
    "\\",
    " ",
    "CON",
    "nul",
    "com1",
    "LPT3",
    "a",
    "report",
    ".pdf",
    ".exe",
    ":",
    "*",
    "\xe2\x80\xae",
    "\xe2\x80\x8b",
    "\xef\xbc\x8f",
    "\xef\xbc\x8e",
    "\xc3\xa9",
    "\xcc\x81",
    "\xe8\xa6\x8b",
    "\xf0\x9f\x98\x80",
    "\r\n",
    "\t",
    "\x01",
    "\xff",
    "\xc2\xb9",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
};

static void
test_properties(void **state)
{
	char in[2048];
	int iter;

	(void)state;
	rng_state = 2024;
	for (iter = 0; iter < 20000; iter++) {
		size_t n = 0;
		size_t k = rng() % 24;
		struct buf a;
		struct buf b;
		int rw1 = -1;
		int rw2 = -1;

		while (k-- > 0) {
			const char *p = parts[rng() % (sizeof(parts) / sizeof(parts[0]))];
			size_t pl = strlen(p);

			put_bytes(in + n, p, pl);
			n += pl;
		}
		buf_init(&a, 4096);
		buf_init(&b, 4096);
		assert_int_equal(fname_sanitize(in, n, &a, &rw1), IG_OK);
		assert_true(a.len > 0 && a.len <= LIM_FILENAME);
		assert_true(u8_valid(a.p, a.len));
		assert_null(memchr(a.p, '/', a.len));
		assert_null(memchr(a.p, '\\', a.len));
		assert_null(memchr(a.p, ':', a.len));
		assert_true(a.p[0] != '.' && a.p[0] != ' ');
		assert_true(a.p[a.len - 1] != '.' && a.p[a.len - 1] != ' ');
		assert_int_equal(rw1, a.len != n || memcmp(a.p, in, n) != 0);
		assert_int_equal(fname_sanitize(a.p, a.len, &b, &rw2), IG_OK);
		if (a.len != b.len || memcmp(a.p, b.p, a.len) != 0)
			fail_msg("not idempotent: '%s' -> '%s'", a.p, b.p);
		assert_int_equal(rw2, 0);
		buf_free(&a);
		buf_free(&b);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table),
	    cmocka_unit_test(test_long),
	    cmocka_unit_test(test_properties),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
