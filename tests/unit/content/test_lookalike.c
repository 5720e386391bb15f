/* Tests content/lookalike.c: real homographs (Cyrillic, Greek), A-labels,
 * bidi and invisible characters in domains, confusables against known
 * domains and within a message, display-name spoofs, Reply-To, filename
 * spoofs and type mismatches, and lists of legitimate inputs (multilingual
 * IDNs included) that must produce no warning at all. Each case states the
 * exact set of codes, so an extra warning fails as much as a missing one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "content/lookalike.h"
#include "content/warn.h"

enum {
	HOMO = 1 << 0,
	MIXED = 1 << 1,
	IDN = 1 << 2,
	CONF = 1 << 3,
	DSPOOF = 1 << 4,
	REPLY = 1 << 5,
	FSPOOF = 1 << 6,
	MISMATCH = 1 << 7,
};

static const char *const code_names[] = {
    "lookalike_homograph_domain",
    "lookalike_mixed_script",
    "lookalike_idn_punycode",
    "lookalike_confusable_domain",
    "lookalike_display_name_spoof",
    "lookalike_reply_to_mismatch",
    "lookalike_filename_extension_spoof",
    "parse_mime_type_mismatch",
};

static unsigned
codes_of(const struct warn_list *w)
{
	unsigned m = 0;
	size_t i;
	size_t k;

	for (i = 0; i < w->n; i++) {
		bool found = false;

		for (k = 0; k < sizeof(code_names) / sizeof(code_names[0]); k++) {
			if (strcmp(w->items[i].code, code_names[k]) == 0) {
				m |= 1u << k;
				found = true;
			}
		}
		if (!found)
			fail_msg("unexpected code %s", w->items[i].code);
		/* Details quote only ASCII. */
		for (const char *p = w->items[i].detail; *p != '\0'; p++)
			assert_true((unsigned char)*p < 0x80 && (unsigned char)*p >= 0x20);
	}
	return m;
}

static const char *const known[] = {"paypal.com", "apple.com", "example.com", "bank.co.uk"};

struct dom_case {
	const char *domain;
	unsigned want;
};

static const struct dom_case dom_cases[] = {
    /* Cyrillic а in paypal, as the shared corpus has it */
    {"p\xd0\xb0ypal.com", MIXED | IDN | CONF},
    {"xn--pypal-4ve.com", MIXED | IDN | CONF},
    {"service.p\xd0\xb0ypal.com", MIXED | IDN | CONF},
    /* all-Cyrillic аррӏе.com: single script, but whole-script confusable */
    {"\xd0\xb0\xd1\x80\xd1\x80\xd3\x8f\xd0\xb5.com", IDN | CONF},
    /* Greek omicrons */
    {"g\xce\xbf\xce\xbfgle.com", MIXED | IDN | CONF},
    /* UTS #39 does not map Greek epsilon to "e": mixed script only */
    {"\xce\xb5xample.com", MIXED | IDN},
    {"exampl\xd0\xb5.com", MIXED | IDN | CONF},
    /* Latin + Arabic-Indic digit */
    {"bank\xd9\xa1.com", MIXED | IDN | CONF},
    /* ASCII confusables of a known domain (UTS #39 maps 1 to l) */
    {"paypa1.com", CONF},
    {"app1e.com", CONF},
    {"bank.c0.uk", 0},
    /* A-label of a legitimate IDN: informational only */
    {"xn--mnchen-3ya.de", IDN},
    {"XN--MNCHEN-3YA.DE", IDN},
    {"xn--r8jz45g.jp", IDN},
    /* hidden characters */
    {"pay\xe2\x80\x8bpal.com", HOMO},
    {"evil\xe2\x80\xae"
     "moc.com",
     HOMO},
    {"exam\xe2\x81\xa6ple.com", HOMO},
    {"a\x01"
     "b.com",
     HOMO},
    {"a b.com", HOMO},
    {"bad\xff.com", HOMO},
    {"\xc2\xad"
     "apple.com",
     HOMO},
};

/* Legitimate domains, with the known list in place: nothing at all. */
static const char *const legit[] = {
    "example.com",
    "paypal.com",
    "PayPal.COM",
    "mail.paypal.com",
    "paypal.com.",
    "apple.com",
    "bank.co.uk",
    "online.bank.co.uk",
    "m\xc3\xbcnchen.de",
    "b\u00fccher.de",
    "fa\xc3\x9f.de",
    "stra\u00dfe.de",
    "\xe4\xbe\x8b\xe3\x81\x88.jp",
    "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e.jp",
    "\xe4\xb8\xad\xe5\x9b\xbd.cn",
    "\xed\x95\x9c\xea\xb5\xad.kr",
    "\xd0\xbf\xd1\x80\xd0\xb8\xd0\xbc\xd0\xb5\xd1\x80.\xd1\x80\xd1\x84",
    "\xd1\x81\xd0\xb0\xd1\x85\xd0\xb0\xd1\x80.\xd1\x80\xd1\x84",
    "\xce\xb5\xce\xbb\xce\xbb\xce\xb7\xce\xbd\xce\xb9\xce\xba\xce\xac.gr",
    "\xd9\x85\xd8\xab\xd8\xa7\xd9\x84.\xd8\xa5\xd8\xae\xd8\xaa\xd8\xa8\xd8\xa7\xd8\xb1",
    "\xd7\x93\xd7\x95\xd7\x92\xd7\x9e\xd7\x94.\xd7\x98\xd7\xa2\xd7\xa1\xd7\x98",
    "\u0909\u0926\u093e\u0939\u0930\u0923.\u092d\u093e\u0930\u0924", /* Devanagari */
    "sub-domain.example-site.org",
    "123.example.net",
    "mail.google.com",
    "lists.debian.org",
    "",
    "localhost",
};

static void
test_domains(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(dom_cases) / sizeof(dom_cases[0]); i++) {
		struct warn_list w;
		unsigned got;

		warn_list_init(&w);
		look_domain(dom_cases[i].domain, known, 4, "header.from", &w);
		got = codes_of(&w);
		if (got != dom_cases[i].want)
			fail_msg("%s: got %#x want %#x", dom_cases[i].domain, got,
			         dom_cases[i].want);
		if (w.n > 0)
			assert_string_equal(w.items[0].location, "header.from");
		warn_list_free(&w);
	}
}

static void
test_legit_domains(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(legit) / sizeof(legit[0]); i++) {
		struct warn_list w;

		warn_list_init(&w);
		look_domain(legit[i], known, 4, "header.from", &w);
		if (w.n != 0)
			fail_msg("%s: %s %s", legit[i], w.items[0].code, w.items[0].detail);
		look_domain(legit[i], NULL, 0, "header.from", &w);
		assert_int_equal(w.n, 0);
		warn_list_free(&w);
	}
}

static void
test_cross(void **state)
{
	static const char *const mixed[] = {
	    "paypal.com",        "www.p\xd0\xb0ypal.com", "example.org",
	    "lists.example.org", "xn--mnchen-3ya.de",     "m\xc3\xbcnchen.de",
	};
	static const char *const clean[] = {
	    "paypal.com",
	    "www.paypal.com",
	    "example.org",
	    "example.net",
	    "m\xc3\xbcnchen.de",
	    "xn--mnchen-3ya.de",
	    "\xe4\xbe\x8b\xe3\x81\x88.jp",
	};
	struct warn_list w;

	(void)state;
	warn_list_init(&w);
	look_domains_cross(mixed, 6, &w);
	assert_int_equal(w.n, 1);
	assert_string_equal(w.items[0].code, "lookalike_confusable_domain");
	/* the domains are the mail's: values (inside the fence), not detail */
	assert_string_equal(w.items[0].detail, "reason=cross_domain");
	assert_string_equal(w.items[0].values, "domain=paypal.com other=xn--pypal-4ve.com");
	warn_list_free(&w);
	warn_list_init(&w);
	look_domains_cross(clean, 7, &w);
	assert_int_equal(w.n, 0);
	look_domains_cross(clean, 1, &w);
	look_domains_cross(NULL, 0, &w);
	assert_int_equal(w.n, 0);
	warn_list_free(&w);
}

struct name_case {
	const char *name;
	const char *addr;
	unsigned want;
};

static const struct name_case name_cases[] = {
    {"support@paypal.com", "x@evil.example", DSPOOF},
    {"PayPal.com Support", "x@evil.example", DSPOOF},
    {"\"service@paypal.com\" via", "x@evil.example", DSPOOF},
    {"Amazon <order@amazon.com>", "x@evil.net", DSPOOF},
    {"\xef\xbd\x90\xef\xbd\x81\xef\xbd\x99\xef\xbd\x90\xef\xbd\x81\xef\xbd\x8c\xef\xbc\x8e\xef\xbd"
     "\x83\xef\xbd\x8f\xef\xbd\x8d",
     "x@evil.com", DSPOOF},
    {"pay\xe2\x80\x8bpal.com", "x@evil.com", DSPOOF},
    {"PAYPAL.COM", "x@evil.com", DSPOOF},
    /* legitimate */
    {"PayPal", "service@paypal.com", 0},
    {"paypal.com", "noreply@mail.paypal.com", 0},
    {"service@paypal.com", "service@paypal.com", 0},
    {"John Doe", "john@example.com", 0},
    {"john.doe", "john.doe@corp.example", 0},
    {"St.Louis Office", "x@stl.example", 0},
    {"Dr. J.R.R. Tolkien", "x@example.org", 0},
    {"v1.2.3 release bot", "x@example.org", 0},
    {"\xe5\xb1\xb1\xe7\x94\xb0\xe5\xa4\xaa\xe9\x83\x8e", "taro@example.jp", 0},
    {"M\xc3\xbcller, J\xc3\xbcrgen", "j@example.de", 0},
    {"", "x@example.org", 0},
};

static void
test_display_names(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(name_cases) / sizeof(name_cases[0]); i++) {
		struct warn_list w;
		unsigned got;

		warn_list_init(&w);
		look_display_name(name_cases[i].name, name_cases[i].addr, "header.from", &w);
		got = codes_of(&w);
		if (got != name_cases[i].want)
			fail_msg("%s: got %#x", name_cases[i].name, got);
		warn_list_free(&w);
	}
}

static void
test_reply_to(void **state)
{
	static const struct {
		const char *from;
		const char *reply;
		unsigned want;
	} c[] = {
	    {"support@paypal.com", "support@p\xd0\xb0ypal.com", REPLY},
	    {"a@example.com", "b@example.net", REPLY},
	    {"a@bank.co.uk", "b@other.co.uk", REPLY},
	    {"a@example.com", "b@mail.example.com", 0},
	    {"a@Example.COM", "b@example.com", 0},
	    {"a@mail.bank.co.uk", "b@bank.co.uk", 0},
	    {"a@xn--mnchen-3ya.de", "b@m\xc3\xbcnchen.de", 0},
	    {"a@example.com", NULL, 0},
	    {"no-at-sign", "b@example.net", 0},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct warn_list w;

		warn_list_init(&w);
		look_reply_to(c[i].from, c[i].reply, &w);
		if (codes_of(&w) != c[i].want)
			fail_msg("case %zu", i);
		if (w.n > 0)
			assert_string_equal(w.items[0].location, "header.reply_to");
		warn_list_free(&w);
	}
}

static void
test_filenames(void **state)
{
	static const struct {
		const char *name;
		const char *declared;
		const char *sniffed;
		unsigned want;
	} c[] = {
	    {"invoice\xe2\x80\xaegpj.exe", NULL, NULL, FSPOOF},
	    {"photo\xe2\x81\xa7"
	     "gpj.scr",
	     NULL, NULL, FSPOOF},
	    {"invoice.pdf.exe", NULL, NULL, FSPOOF},
	    {"INVOICE.PDF.EXE", NULL, NULL, FSPOOF},
	    {"scan.jpg.scr.", NULL, NULL, FSPOOF},
	    {"report.pdf              .exe", NULL, NULL, FSPOOF},
	    {"x.doc\xe2\x80\x8b.js", NULL, NULL, FSPOOF},
	    {"fake.png", "image/png", "application/x-msdownload", MISMATCH},
	    {"doc.pdf", "application/pdf", "application/x-dosexec", MISMATCH},
	    {"a.txt", "text/plain; charset=utf-8", "application/pdf", MISMATCH},
	    /* legitimate */
	    {"photo.jpg", "image/jpeg", "image/jpeg", 0},
	    {"photo.jpg", "image/jpg", "image/jpeg", 0},
	    {"pic.png", "image/png", "image/gif", 0},
	    {"setup.exe", "application/x-msdownload", "application/x-dosexec", 0},
	    {"setup.exe", "application/octet-stream", "application/x-dosexec", 0},
	    {"report.final.pdf", "application/pdf", "application/pdf", 0},
	    {"a.tar.gz", "application/gzip", "application/x-gzip", 0},
	    {"brief.docx",
	     "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	     "application/zip", 0},
	    {"book.xls", "application/vnd.ms-excel", "application/x-ole-storage", 0},
	    {"\xe8\xa6\x8b\xe7\xa9\x8d\xe6\x9b\xb8.pdf", "application/pdf", NULL, 0},
	    {"\xd8\xaa\xd9\x82\xd8\xb1\xd9\x8a\xd8\xb1.pdf", "application/pdf", "application/pdf",
	     0},
	    {"v1.2.3.zip", "application/zip", "application/zip", 0},
	    {"", NULL, NULL, 0},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct warn_list w;
		unsigned got;

		warn_list_init(&w);
		look_filename(c[i].name, c[i].declared, c[i].sniffed, "attachment[1]", &w);
		got = codes_of(&w);
		if (got != c[i].want)
			fail_msg("case %zu (%s): got %#x", i, c[i].name, got);
		warn_list_free(&w);
	}
	/* NULL everywhere is accepted. */
	{
		struct warn_list w;

		warn_list_init(&w);
		look_filename(NULL, NULL, NULL, "attachment[1]", &w);
		look_domain(NULL, NULL, 0, "x", &w);
		look_display_name(NULL, NULL, "x", &w);
		look_reply_to(NULL, NULL, &w);
		assert_int_equal(w.n, 0);
		warn_list_free(&w);
	}
}

/* Registrable domains come from the Public Suffix List (libpsl): multi-level
 * public suffixes beyond any short built-in table, wildcard and exception
 * rules, the private section (github.io, blogspot.com), IDN suffixes. */
static void
test_psl_registrable(void **state)
{
	static const struct {
		const char *in;
		const char *want; /* NULL: not analysable */
	} c[] = {
	    {"www.paypal.com", "paypal.com"},
	    {"WWW.PayPal.COM.", "paypal.com"},
	    {"news.bbc.co.uk", "bbc.co.uk"},
	    {"a.b.example.com.au", "example.com.au"},
	    {"shop.example.co.jp", "example.co.jp"},
	    {"x.y.example.edu.pl", "example.edu.pl"},  /* not in the old table */
	    {"alice.github.io", "alice.github.io"},    /* private section */
	    {"x.mallory.blogspot.com", "mallory.blogspot.com"},
	    {"a.b.c.kawasaki.jp", "b.c.kawasaki.jp"},  /* *.kawasaki.jp */
	    {"www.city.kawasaki.jp", "city.kawasaki.jp"}, /* !city.kawasaki.jp */
	    {"www.m\xc3\xbcnchen.de", "xn--mnchen-3ya.de"},
	    {"www.\xd0\xbf\xd1\x80\xd0\xb8\xd0\xbc\xd0\xb5\xd1\x80.\xd1\x80\xd1\x84",
	     "xn--e1afmkfd.xn--p1ai"},
	    /* fullwidth letters and the ideographic full stop, as UTS #46 maps them */
	    {"\xef\xbd\x90\xef\xbd\x81\xef\xbd\x99\xef\xbd\x90\xef\xbd\x81\xef\xbd\x8c\xe3\x80\x82"
	     "com",
	     "paypal.com"},
	    {"co.uk", "co.uk"}, /* a public suffix is its own */
	    {"192.0.2.10", "192.0.2.10"},
	    {"localhost", "localhost"},
	};
	char out[256];

	(void)state;
	assert_string_not_equal(look_psl_source(), "none");
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		bool ok = look_registrable(c[i].in, strlen(c[i].in), out, sizeof(out));

		if (!ok || strcmp(out, c[i].want) != 0)
			fail_msg("%s: got %s", c[i].in, ok ? out : "(failed)");
	}
	/* bounded: too long, NUL inside, no room */
	assert_false(look_registrable("a\0b.com", 7, out, sizeof(out)));
	assert_false(look_registrable("www.paypal.com", 14, out, 4));
	assert_false(look_registrable("", 0, out, sizeof(out)));
	{
		static char longd[LIM_LOOK_INPUT + 8];

		memset(longd, 'a', sizeof(longd) - 5);
		memcpy(longd + sizeof(longd) - 5, ".com", 5);
		assert_false(look_registrable(longd, strlen(longd), out, sizeof(out)));
	}
	assert_true(look_is_tld("com", 3));
	assert_true(look_is_tld("UK", 2));
	assert_true(look_is_tld("support", 7));
	assert_true(look_is_tld("\xd1\x80\xd1\x84", 4)); /* рф */
	assert_true(look_is_tld("xn--p1ai", 8));
	assert_false(look_is_tld("pdf", 3));
	assert_false(look_is_tld("co.uk", 5));
	assert_false(look_is_tld("", 0));
}

/* The PSL decides the look-alike checks too: different owners under one
 * private suffix differ, a deep multi-level suffix does not. */
static void
test_psl_lookalike(void **state)
{
	static const struct {
		const char *from;
		const char *reply;
		unsigned want;
	} c[] = {
	    {"a@alice.github.io", "b@mallory.github.io", REPLY},
	    {"a@shop.blogspot.com", "b@evil.blogspot.com", REPLY},
	    {"a@mail.example.edu.pl", "b@example.edu.pl", 0},
	    {"a@www.city.kawasaki.jp", "b@city.kawasaki.jp", 0},
	};
	struct warn_list w;

	(void)state;
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		warn_list_init(&w);
		look_reply_to(c[i].from, c[i].reply, &w);
		if (codes_of(&w) != c[i].want)
			fail_msg("case %zu", i);
		warn_list_free(&w);
	}
	warn_list_init(&w);
	look_display_name("alice.github.io", "x@mallory.github.io", "header.from", &w);
	assert_int_equal(codes_of(&w), DSPOOF);
	warn_list_free(&w);
}

/* look_init/look_shutdown pair up like GMime's: nested calls keep the list. */
static void
test_psl_init(void **state)
{
	char out[64];

	(void)state;
	look_init();
	look_init();
	/* the publicsuffix package's file, unless libpsl's own list is newer */
	assert_string_not_equal(look_psl_source(), "none");
	look_shutdown();
	assert_string_not_equal(look_psl_source(), "none");
	assert_true(look_registrable("a.b.example.co.uk", 17, out, sizeof(out)));
	assert_string_equal(out, "example.co.uk");
	look_shutdown();
	look_shutdown(); /* unbalanced: harmless */
	/* without a loaded list, libpsl's built-in one (no I/O) */
	assert_string_equal(look_psl_source(), "builtin");
	assert_true(look_registrable("a.b.example.co.uk", 17, out, sizeof(out)));
	assert_string_equal(out, "example.co.uk");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_domains),  cmocka_unit_test(test_legit_domains),
	    cmocka_unit_test(test_cross),    cmocka_unit_test(test_display_names),
	    cmocka_unit_test(test_reply_to), cmocka_unit_test(test_filenames),
	    cmocka_unit_test(test_psl_registrable), cmocka_unit_test(test_psl_lookalike),
	    cmocka_unit_test(test_psl_init),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
