/* Tests imap/sync*.c without a server: the decisions a folder sync takes
 * from the cached state and the server's STATUS / EXAMINE answers
 * (UIDVALIDITY change -> reset, UIDNEXT / HIGHESTMODSEQ deltas, which UIDs
 * to fetch), the UID-list diff of a reconcile, the warm folder list from
 * the configuration, INTERNALDATE, and a cache row built from a parsed
 * FETCH (flag filtering, References / List-Id, attachments). Exposed
 * through imap/sync_int.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "base/limits.h"
#include "base/slice.h"
#include "imap/cmd.h"
#include "imap/parse.h"
#include "imap/sync.h"
#include "imap/sync_int.h"
#include "store/cache.h"

static struct cache_folder
folder(uint32_t uidvalidity, uint32_t uidnext, uint64_t modseq, bool synced)
{
	struct cache_folder f;

	memset(&f, 0, sizeof(f));
	f.id = 1;
	f.uidvalidity = uidvalidity;
	f.uidnext = uidnext;
	f.highestmodseq = modseq;
	f.synced = synced;
	return f;
}

static struct imap_mailbox_state
examine(uint32_t uidvalidity, uint32_t uidnext, uint64_t modseq, uint32_t exists)
{
	struct imap_mailbox_state st;

	memset(&st, 0, sizeof(st));
	st.uidvalidity = uidvalidity;
	st.uidnext = uidnext;
	st.highestmodseq = modseq;
	st.exists = exists;
	st.read_only = true;
	return st;
}

/* STATUS stands in for EXAMINE only for a synced folder with a modseq, and
 * says "unchanged" only when all three values agree. */
static void
test_status(void **state)
{
	struct cache_folder f = folder(7, 100, 5000, true);
	struct imap_folder st;

	(void)state;
	assert_true(sync_status_usable(true, &f));
	assert_false(sync_status_usable(false, &f)); /* no row yet */
	f.synced = false;
	assert_false(sync_status_usable(true, &f)); /* initial sync not done */
	f.synced = true;
	f.highestmodseq = 0;
	assert_false(sync_status_usable(true, &f)); /* no CONDSTORE: STATUS cannot tell */
	f.highestmodseq = 5000;

	memset(&st, 0, sizeof(st));
	st.uidvalidity = 7;
	st.uidnext = 100;
	st.highestmodseq = 5000;
	assert_true(sync_status_unchanged(&f, &st));
	st.uidvalidity = 8;
	assert_false(sync_status_unchanged(&f, &st));
	st.uidvalidity = 7;
	st.uidnext = 101; /* something arrived */
	assert_false(sync_status_unchanged(&f, &st));
	st.uidnext = 100;
	st.highestmodseq = 5001; /* a flag changed or a message was expunged */
	assert_false(sync_status_unchanged(&f, &st));
}

/* RFC 3501 §2.3.1.1: a new UIDVALIDITY makes every cached UID meaningless. */
static void
test_reset(void **state)
{
	struct cache_folder f = folder(7, 100, 5000, true);

	(void)state;
	assert_true(sync_needs_reset(false, &f, 7)); /* never cached */
	assert_false(sync_needs_reset(true, &f, 7));
	assert_true(sync_needs_reset(true, &f, 8));
	assert_true(sync_needs_reset(true, &f, 6));
}

/* The initial sync keeps the modseq seen when it started, once. */
static void
test_start_modseq(void **state)
{
	struct cache_folder f = folder(7, 0, 0, false);
	struct imap_mailbox_state st = examine(7, 50, 900, 49);

	(void)state;
	assert_true(sync_keeps_start_modseq(&f, &st));
	st.highestmodseq = 0; /* no CONDSTORE */
	assert_false(sync_keeps_start_modseq(&f, &st));
	st.highestmodseq = 900;
	f.sync_uid = 20; /* resumed: keeps what it had when it started */
	assert_false(sync_keeps_start_modseq(&f, &st));
	f.sync_uid = 0;
	f.highestmodseq = 800;
	assert_false(sync_keeps_start_modseq(&f, &st));
}

static void
test_delta_unchanged(void **state)
{
	struct cache_folder f = folder(7, 100, 5000, true);
	struct imap_mailbox_state st = examine(7, 100, 5000, 99);

	(void)state;
	assert_true(sync_delta_unchanged(&f, &st));
	st.uidnext = 102;
	assert_false(sync_delta_unchanged(&f, &st));
	st.uidnext = 100;
	st.highestmodseq = 5003;
	assert_false(sync_delta_unchanged(&f, &st));
	/* without CONDSTORE an equal UIDNEXT says nothing of flags */
	f.highestmodseq = 0;
	st.highestmodseq = 0;
	assert_false(sync_delta_unchanged(&f, &st));
}

static void
test_delta_plan(void **state)
{
	struct cache_folder f = folder(7, 100, 5000, true);
	struct imap_mailbox_state st = examine(7, 105, 5010, 104);
	struct sync_delta d;

	(void)state;
	/* CONDSTORE, new mail and changes: new 100:*, changes of 1:99 since 5000 */
	sync_delta_plan(&f, &st, &d);
	assert_int_equal(d.new_from, 100);
	assert_int_equal(d.known_to, 99);
	assert_true(d.cond);
	assert_int_equal(d.changedsince, 5000);

	/* same modseq: no flag fetch at all, nothing new */
	st = examine(7, 100, 5000, 99);
	sync_delta_plan(&f, &st, &d);
	assert_int_equal(d.new_from, 0);
	assert_int_equal(d.known_to, 0);
	assert_true(d.cond);

	/* no CONDSTORE: a full flag refresh of the known UIDs every time */
	f = folder(7, 100, 0, true);
	st = examine(7, 100, 0, 99);
	sync_delta_plan(&f, &st, &d);
	assert_int_equal(d.new_from, 0);
	assert_int_equal(d.known_to, 99);
	assert_false(d.cond);
	assert_int_equal(d.changedsince, 0);

	/* the server gained CONDSTORE but nothing is kept: no CHANGEDSINCE */
	st = examine(7, 103, 40, 102);
	sync_delta_plan(&f, &st, &d);
	assert_int_equal(d.new_from, 100);
	assert_int_equal(d.known_to, 99);
	assert_false(d.cond);

	/* an empty folder that never had a message: only new ones */
	f = folder(7, 1, 10, true);
	st = examine(7, 3, 12, 2);
	sync_delta_plan(&f, &st, &d);
	assert_int_equal(d.new_from, 1);
	assert_int_equal(d.known_to, 0);
	/* uidnext 0 kept (the server gave none): from UID 1 */
	f = folder(7, 0, 0, true);
	sync_delta_plan(&f, &st, &d);
	assert_int_equal(d.new_from, 1);
	assert_int_equal(d.known_to, 0);

	/* UIDNEXT went down (a broken server): nothing new is fetched */
	f = folder(7, 100, 0, true);
	st = examine(7, 90, 0, 80);
	sync_delta_plan(&f, &st, &d);
	assert_int_equal(d.new_from, 0);
	assert_int_equal(d.known_to, 99);
}

/* "UID n:*" returns the highest UID even when it is below n. */
static void
test_uids_after(void **state)
{
	uint32_t a[] = {3, 5, 7, 9};
	uint32_t b[] = {4};

	(void)state;
	assert_int_equal(sync_uids_after(a, 4, 5), 2);
	assert_int_equal(a[0], 7);
	assert_int_equal(a[1], 9);
	assert_int_equal(sync_uids_after(b, 1, 10), 0);
	assert_int_equal(sync_uids_after(b, 1, 0), 1);
	assert_int_equal(sync_uids_after(b, 0, 0), 0);
}

static void
test_uid_diff(void **state)
{
	static const uint32_t srv[] = {1, 2, 4, 6, 9};
	static const uint32_t have[] = {2, 3, 4, 7};
	uint32_t miss[8];
	uint32_t gone[8];
	size_t nm = 99, ng = 99;

	(void)state;
	/* 9 is at or above UIDNEXT: left to the fetch of new messages */
	sync_uid_diff(srv, 5, have, 4, 9, miss, &nm, gone, &ng);
	assert_int_equal(nm, 2);
	assert_int_equal(miss[0], 1);
	assert_int_equal(miss[1], 6);
	assert_int_equal(ng, 2);
	assert_int_equal(gone[0], 3);
	assert_int_equal(gone[1], 7);

	sync_uid_diff(srv, 5, have, 4, 10, miss, &nm, gone, &ng);
	assert_int_equal(nm, 3);
	assert_int_equal(miss[2], 9);

	/* server empty: every cached row goes */
	sync_uid_diff(NULL, 0, have, 4, 100, miss, &nm, gone, &ng);
	assert_int_equal(nm, 0);
	assert_int_equal(ng, 4);
	assert_int_equal(gone[3], 7);

	/* cache empty: everything below is missing */
	sync_uid_diff(srv, 5, NULL, 0, 100, miss, &nm, gone, &ng);
	assert_int_equal(nm, 5);
	assert_int_equal(ng, 0);

	/* equal lists: nothing to do */
	sync_uid_diff(have, 4, have, 4, 100, miss, &nm, gone, &ng);
	assert_int_equal(nm, 0);
	assert_int_equal(ng, 0);
}

/* The configured warm list: trimmed, deduplicated, empties and names over
 * the limit dropped. */
static void
test_warm_config(void **state)
{
	struct sync *s = calloc(1, sizeof(*s));
	char *list;
	size_t n = LIM_IMAP_MAILBOX + 1;

	(void)state;
	assert_non_null(s);
	list = malloc(n + 64);
	assert_non_null(list);
	memcpy(list, " INBOX , Sent,,Sent,\tArchive\t, ,", 32);
	memset(list + 32, 'x', n);
	memcpy(list + 32 + n, ",Lists/dev", 11);
	s->o.warm_folders = list;
	sync_warm_config(s);
	assert_int_equal(s->n_warm, 4);
	assert_string_equal(s->warm[0], "INBOX");
	assert_string_equal(s->warm[1], "Sent");
	assert_string_equal(s->warm[2], "Archive");
	assert_string_equal(s->warm[3], "Lists/dev");
	sync_warm_add(s, "Sent", 4);
	assert_int_equal(s->n_warm, 4);
	sync_warm_add(s, "Sentx", 4); /* by length: "Sent" again */
	assert_int_equal(s->n_warm, 4);
	sync_ctx_close(s); /* frees the list; the cache is NULL */
	free(list);
}

static void
test_internaldate(void **state)
{
	int64_t t = 0;

	(void)state;
	assert_true(sync_internaldate_parse(SL_LIT("17-Jul-1996 02:44:25 -0700"), &t));
	assert_int_equal(t, 837596665);
	assert_true(sync_internaldate_parse(SL_LIT(" 1-Jan-1970 00:00:00 +0000"), &t));
	assert_int_equal(t, 0);
	assert_true(sync_internaldate_parse(SL_LIT("1-Jan-1970 01:00:00 +0100"), &t));
	assert_int_equal(t, 0);
	assert_true(sync_internaldate_parse(SL_LIT("29-Feb-2024 23:59:59 +0000"), &t));
	assert_int_equal(t, 1709251199);
	assert_false(sync_internaldate_parse(SL_LIT("17-Foo-1996 02:44:25 -0700"), &t));
	assert_false(sync_internaldate_parse(SL_LIT("17-Jul-1996 25:44:25 -0700"), &t));
	assert_false(sync_internaldate_parse(SL_LIT("17-Jul-1996 02:44:25 0700"), &t));
	assert_false(sync_internaldate_parse(SL_LIT(""), &t));
}

/* Only printable-ASCII flags of sane length reach the cache. */
static void
test_flags_text(void **state)
{
	struct slice flags[5] = {SL_LIT("\\Seen"), SL_LIT("bad flag"), SL_LIT(""),
				 SL_LIT("\x01x"), SL_LIT("$Label1")};
	struct imap_fetch f;
	struct buf b;

	(void)state;
	memset(&f, 0, sizeof(f));
	f.has_flags = true;
	f.flags = flags;
	f.n_flags = 5;
	buf_init(&b, 1024);
	sync_flags_text(&f, &b);
	buf_puts(&b, "");
	assert_string_equal(b.p, "\\Seen $Label1");
	buf_reset(&b);
	f.has_flags = false;
	sync_flags_text(&f, &b);
	assert_int_equal(b.len, 0);
	buf_free(&b);
}

#define ROW_RESP                                                                                 \
	"* 1 FETCH (UID 12 MODSEQ (77) FLAGS (\\Answered $Ok) INTERNALDATE "                 \
	"\"02-Jan-2024 10:00:00 +0000\" RFC822.SIZE 999 ENVELOPE (NIL \"Re: plan\" "             \
	"((\"Ann\" NIL \"ann\" \"example.org\")) NIL NIL ((NIL NIL \"bob\" \"example.org\")) NIL " \
	"NIL \"<p@example.org>\" \"<c@example.org>\") BODYSTRUCTURE (\"text\" \"plain\" "          \
	"(\"charset\" \"us-ascii\") NIL NIL \"7bit\" 10 1 NIL (\"attachment\" (\"filename\" "      \
	"\"n.txt\")) NIL NIL) BODY[HEADER.FIELDS (REFERENCES LIST-ID)] {65}\r\nReferences: "      \
	"<a@example.org>\r\n <p@example.org>\r\nList-Id: <l.x>\r\n\r\n)\r\n"

static bool
has(struct slice s, const char *want)
{
	return memmem(s.p, s.len, want, strlen(want)) != NULL;
}

/* A parsed FETCH as the cache row the sync stores. */
static void
test_conv_row(void **state)
{
	struct imap_parser *p = imap_parser_new(1 << 20);
	struct sync_conv *v = sync_conv_new();
	const struct imap_resp *r = NULL;
	const char *err = NULL;
	size_t used = 0;
	struct cache_msg m;
	enum ig_err e;

	(void)state;
	assert_non_null(p);
	assert_non_null(v);
	e = imap_parser_feed(p, ROW_RESP, strlen(ROW_RESP), &used, &r, &err);
	if (e != IG_OK)
		fail_msg("%s", err != NULL ? err : "?");
	assert_int_equal(r->type, IMAP_U_FETCH);
	assert_int_equal(sync_conv_fetch(v, &r->u.fetch, 9, NULL, 0, &m), IG_OK);
	assert_int_equal(m.uid, 12);
	assert_int_equal(m.uidvalidity, 9);
	assert_int_equal(m.modseq, 77);
	assert_int_equal(m.size, 999);
	assert_int_equal(m.internaldate, 1704189600);
	assert_true(m.has_attachment); /* the disposition's filename */
	assert_true(sl_eq(m.flags, SL_LIT("\\Answered $Ok")));
	assert_true(sl_eq(m.subject, SL_LIT("Re: plan")));
	assert_true(sl_eq(m.from_text, SL_LIT("Ann <ann@example.org>")));
	assert_true(sl_eq(m.to_text, SL_LIT("bob@example.org")));
	assert_int_equal(m.cc_text.len, 0);
	assert_true(sl_eq(m.in_reply_to, SL_LIT("<p@example.org>")));
	assert_true(sl_eq(m.message_id, SL_LIT("<c@example.org>")));
	/* the folded References line is joined */
	assert_true(has(m.references, "<a@example.org>"));
	assert_true(has(m.references, "<p@example.org>"));
	assert_null(memchr(m.references.p, '\n', m.references.len));
	/* kept as written after the colon (the leading blank too) */
	assert_true(sl_eq(m.list_id, SL_LIT(" <l.x>")));
	assert_true(sl_eq(m.references, SL_LIT(" <a@example.org> <p@example.org>")));
	assert_true(has(m.from_json, "\"address\":\"ann@example.org\""));
	assert_true(has(m.warnings_json, "["));
	sync_conv_free(v);
	imap_parser_free(p);
}

/* Right-to-left marks in a right-to-left subject are prose, kept without a
 * warning (as content/msg.c keeps them); inside a Latin word they are still
 * stripped and reported. */
static void
test_conv_rtl_subject(void **state)
{
	/* =?utf-8?b?...?= of "<shalom> RLM <olam>", and of "pay RLM pal" */
	static const char *const subjects[2] = {"=?utf-8?b?16nXnNeV153igI8g16LXldec150=?=", "=?utf-8?b?cGF54oCPcGFs?="};
	static const bool keep[2] = {true, false};
	struct cache_msg m;

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		struct imap_parser *p = imap_parser_new(1 << 20);
		struct sync_conv *v = sync_conv_new();
		const struct imap_resp *r = NULL;
		const char *err = NULL;
		size_t used = 0;
		char resp[512];
		bool kept;

		assert_non_null(p);
		assert_non_null(v);
		(void)snprintf(resp, sizeof(resp),
		               "* 1 FETCH (UID 3 FLAGS () INTERNALDATE \"02-Jan-2024 10:00:00 +0000\" "
		               "RFC822.SIZE 9 ENVELOPE (NIL \"%s\" NIL NIL NIL NIL NIL NIL NIL "
		               "\"<m@x>\"))\r\n",
		               subjects[i]);
		assert_int_equal(imap_parser_feed(p, resp, strlen(resp), &used, &r, &err), IG_OK);
		assert_int_equal(sync_conv_fetch(v, &r->u.fetch, 9, NULL, 0, &m), IG_OK);
		kept = memmem(m.subject.p, m.subject.len, "\xe2\x80\x8f", 3) != NULL;
		assert_int_equal(kept, keep[i]);
		assert_int_equal(has(m.warnings_json, "unicode_bidi_override_stripped"), !kept);
		sync_conv_free(v);
		imap_parser_free(p);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status),        cmocka_unit_test(test_reset),
		cmocka_unit_test(test_start_modseq),  cmocka_unit_test(test_delta_unchanged),
		cmocka_unit_test(test_delta_plan),    cmocka_unit_test(test_uids_after),
		cmocka_unit_test(test_uid_diff),      cmocka_unit_test(test_warm_config),
		cmocka_unit_test(test_internaldate),  cmocka_unit_test(test_flags_text),
		cmocka_unit_test(test_conv_row),      cmocka_unit_test(test_conv_rtl_subject),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
