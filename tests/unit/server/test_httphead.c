/* Tests server/httphead.c: the strict Host grammar (a table of malformed
 * values, IPv6 literals included), trusted-proxy address lists, and the
 * request-head check over a simulation of libmicrohttpd 0.9.75's in-place
 * parse (NUL over CR, LF and the colon; values cut at the first NUL), with
 * every control byte at every position of every line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "server/httphead.h"

static struct slice
S(const char *s)
{
	return (struct slice){s, strlen(s)};
}

static void
test_host_table(void **state)
{
	static const char *const bad[] = {
		"localhost:1@evil", "user@localhost", "localhost:", "localhost:0",
		"localhost:65536", "localhost:123456", "localhost:80:1", "localhost:80a",
		"local host", "localhost/", "localhost?x", "%6cocalhost", ":8080", "",
		"[::1", "[::1]x", "[::1]:", "[::1]:99999", "[::1]:80:80", "[fe80::1%25lo]",
		"[::g]", "[]", "[127.0.0.1]", "::1", "[v1.x]", "localhost,evil", "[::1]]",
		"a\x01", "h\xc3\xa9",
	};
	static const struct {
		const char *v;
		const char *name;
		unsigned port;
	} good[] = {
		{"localhost", "localhost", 0}, {"LocalHost:8080", "LocalHost", 8080},
		{"127.0.0.1:1", "127.0.0.1", 1}, {"[::1]", "[::1]", 0},
		{"[::1]:65535", "[::1]", 65535}, {"[2001:db8::ffff:1.2.3.4]:443",
						  "[2001:db8::ffff:1.2.3.4]", 443},
		{"mail-mcp.example.com", "mail-mcp.example.com", 0},
	};
	struct slice name;
	unsigned port;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (httphead_host_parse(S(bad[i]), &name, &port))
			fail_msg("accepted Host %s", bad[i]);
	}
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_true(httphead_host_parse(S(good[i].v), &name, &port));
		assert_int_equal(name.len, strlen(good[i].name));
		assert_memory_equal(name.p, good[i].name, name.len);
		assert_int_equal(port, good[i].port);
	}
}

static void
addr(const char *s, uint8_t out[16])
{
	assert_true(netaddr_parse(S(s), out));
}

static void
test_nets(void **state)
{
	struct netaddr_net n[3];
	uint8_t a[16];

	(void)state;
	assert_true(netaddr_net_parse(S("10.0.0.0/8"), &n[0]));
	assert_true(netaddr_net_parse(S("2001:db8::/32"), &n[1]));
	assert_true(netaddr_net_parse(S("[::1]"), &n[2]));
	addr("10.200.3.4", a);
	assert_true(netaddr_net_match(n, 3, a));
	addr("11.0.0.1", a);
	assert_false(netaddr_net_match(n, 3, a));
	addr("[2001:db8:1::5]:443", a);
	assert_true(netaddr_net_match(n, 3, a));
	addr("2001:db9::5", a);
	assert_false(netaddr_net_match(n, 3, a));
	addr("::1", a);
	assert_true(netaddr_net_match(n, 3, a));
	addr("\"[::1]:80\"", a);
	assert_true(netaddr_net_match(n, 3, a));
	addr("10.1.1.1:8080", a);
	assert_true(netaddr_net_match(n, 3, a));
	assert_false(netaddr_net_parse(S("10.0.0.0/33"), &n[0]));
	assert_false(netaddr_net_parse(S("10.0.0.0/"), &n[0]));
	assert_false(netaddr_net_parse(S("example.com"), &n[0]));
	assert_false(netaddr_net_parse(S("::1/129"), &n[0]));
	assert_false(netaddr_parse(S("unknown"), a));
	assert_false(netaddr_parse(S("_hidden"), a));
	assert_false(netaddr_parse(S("1.2.3.4:0"), a));
	assert_false(netaddr_parse(S("1.2.3"), a));
}

static void
want_client(const char *const *lists, size_t n, bool fwd, const char *want)
{
	struct netaddr_net nets[2];
	struct slice sl[4];
	uint8_t got[16];
	uint8_t exp[16];
	size_t i;

	assert_true(netaddr_net_parse(S("10.0.0.0/8"), &nets[0]));
	assert_true(netaddr_net_parse(S("::1"), &nets[1]));
	for (i = 0; i < n; i++)
		sl[i] = S(lists[i]);
	if (want == NULL) {
		assert_false(httphead_forwarded_client(sl, n, fwd, nets, 2, got));
		return;
	}
	assert_true(httphead_forwarded_client(sl, n, fwd, nets, 2, got));
	addr(want, exp);
	assert_memory_equal(got, exp, 16);
}

static void
test_forwarded(void **state)
{
	(void)state;
	/* the right-most untrusted hop wins; what the client wrote on the left is ignored */
	want_client((const char *const[]){"1.1.1.1, 203.0.113.9, 10.0.0.2"}, 1, false,
		    "203.0.113.9");
	want_client((const char *const[]){"1.1.1.1", "203.0.113.9 , 10.0.0.2"}, 2, false,
		    "203.0.113.9");
	want_client((const char *const[]){"10.0.0.3, 10.0.0.2"}, 1, false, "10.0.0.3");
	want_client((const char *const[]){"garbage, 203.0.113.9"}, 1, false, "203.0.113.9");
	want_client((const char *const[]){"203.0.113.9, unknown"}, 1, false, NULL);
	want_client((const char *const[]){""}, 1, false, NULL);
	want_client((const char *const[]){"for=192.0.2.60;proto=http;by=203.0.113.43, "
					  "for=\"[2001:db8:cafe::17]:4711\""},
		    1, true, "2001:db8:cafe::17");
	want_client((const char *const[]){"for=192.0.2.60, for=10.1.2.3;proto=https"}, 1, true,
		    "192.0.2.60");
	want_client((const char *const[]){"proto=https"}, 1, true, NULL);
	want_client((const char *const[]){"for=\"_hidden\""}, 1, true, NULL);
}

/* A head in wire form, parsed the way libmicrohttpd 0.9.75 does it: each
 * line ends at CR or LF (CRLF counts once), those bytes and the colon become
 * NUL, a value starts after SP/HT, and its length is strlen. */
struct sim {
	char *block;
	size_t len;
	const char *version;
	struct httphead_field f[16];
	size_t n;
	bool mhd_refuses; /* MHD itself would answer 400 (no colon) */
};

static void
sim_parse(const char *wire, size_t wlen, struct sim *s)
{
	char *b = malloc(wlen);
	size_t pos = 0;
	bool first = true;

	memset(s, 0, sizeof(*s));
	memcpy(b, wire, wlen);
	s->block = b;
	while (pos < wlen) {
		size_t start = pos;
		char *line;

		while (pos < wlen && b[pos] != '\r' && b[pos] != '\n')
			pos++;
		if (pos + 1 < wlen && b[pos] == '\r' && b[pos + 1] == '\n')
			b[pos++] = '\0';
		b[pos++] = '\0';
		line = b + start;
		if (first) {
			char *sp = strrchr(line, ' ');

			s->version = sp != NULL ? sp + 1 : line;
			for (char *q = line; *q != '\0'; q++) {
				if (*q == ' ')
					*q = '\0';
			}
			first = false;
			continue;
		}
		if (*line == '\0')
			break; /* the empty line ends the head */
		{
			char *colon = strchr(line, ':');
			char *v;

			if (colon == NULL) {
				s->mhd_refuses = true;
				break;
			}
			*colon = '\0';
			v = colon + 1;
			while (*v == ' ' || *v == '\t')
				v++;
			s->f[s->n++] = (struct httphead_field){line, (size_t)(colon - line), v,
							       strlen(v)};
		}
	}
	s->len = pos;
}

static bool
sim_ok(const char *wire, size_t wlen)
{
	struct sim s;
	bool ok;

	sim_parse(wire, wlen, &s);
	ok = !s.mhd_refuses && httphead_block_ok(s.block, s.len, s.version, s.f, s.n);
	free(s.block);
	return ok;
}

static bool
sim_str(const char *wire)
{
	return sim_ok(wire, strlen(wire));
}

static void
test_block(void **state)
{
	static const char *const lines[] = {"Host: 127.0.0.1:8080", "Authorization: Bearer tok",
					    "X-Empty:", "X-Tab: a\tb"};
	char wire[512];
	char line[128];
	size_t i;
	int c;
	size_t pos;

	(void)state;
	assert_true(sim_str("GET /mcp HTTP/1.1\r\nHost: a\r\n\r\n"));
	assert_true(sim_str("GET /mcp HTTP/1.0\r\n\r\n"));
	assert_false(sim_str("GET /mcp HTTP/1.1\nHost: a\n\n"));
	assert_false(sim_str("GET /mcp HTTP/1.1\r\nHost: a\r\n b\r\n\r\n"));
	/* every control byte but HTAB at every position of every line */
	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		for (c = 0; c < 0x80; c++) {
			if (c != 0 && c != 0x7f && (c >= 0x20 || c == '\t'))
				continue;
			for (pos = 0; pos <= strlen(lines[i]); pos++) {
				size_t n = 0;
				size_t k;
				size_t ll = strlen(lines[i]);

				memcpy(line, lines[i], pos);
				line[pos] = (char)c;
				memcpy(line + pos + 1, lines[i] + pos, ll - pos);
				n += (size_t)snprintf(wire, sizeof(wire), "POST /mcp HTTP/1.1\r\n");
				for (k = 0; k < sizeof(lines) / sizeof(lines[0]); k++) {
					if (k == i) {
						memcpy(wire + n, line, ll + 1);
						n += ll + 1;
						memcpy(wire + n, "\r\n", 2);
						n += 2;
					} else {
						n += (size_t)snprintf(wire + n, sizeof(wire) - n,
								      "%s\r\n", lines[k]);
					}
				}
				memcpy(wire + n, "\r\n", 2);
				n += 2;
				if (sim_ok(wire, n))
					fail_msg("accepted 0x%02x at %zu of line %zu", c, pos, i);
			}
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_host_table),
		cmocka_unit_test(test_nets),
		cmocka_unit_test(test_forwarded),
		cmocka_unit_test(test_block),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
