/* Tests imap/cmd.c and imap/conn.c against a real Dovecot started by
 * tests/imap/dovecot.sh: every command, pinned and CA-verified TLS, STARTTLS,
 * a wrong pin, and non-ASCII mailbox names round-tripping. Runs when
 * IG_DOVECOT_DIR names a running test Dovecot's directory (its `env` file
 * is read); skipped otherwise, e.g.
 *   tests/imap/dovecot.sh start /tmp/igdv && IG_DOVECOT_DIR=/tmp/igdv ./unit_imap_test_cmd */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/buf.h"
#include "imap/cmd.h"
#include "imap/parse.h"
#include "imap/tls.h"
#include "imap/uidset.h"

struct dv {
	char dir[512];
	unsigned imaps_port, imap_port;
	char fingerprint[128];
	char ca_file[600];
	char password[128];
};

static struct dv dv;

static bool
env_line(const char *line, const char *key, char *out, size_t outsz)
{
	size_t k = strlen(key);
	size_t n;

	if (strncmp(line, key, k) != 0 || line[k] != '=')
		return false;
	n = strcspn(line + k + 1, "\n");
	if (n >= outsz)
		return false;
	memcpy(out, line + k + 1, n);
	out[n] = '\0';
	return true;
}

static unsigned
to_port(const char *s)
{
	unsigned long v = strtoul(s, NULL, 10);

	return v > 0 && v < 65536 ? (unsigned)v : 0;
}

static int
setup(void **state)
{
	const char *dir = getenv("IG_DOVECOT_DIR");
	char path[700];
	char line[512];
	char tmp[128];
	FILE *f;
	size_t n;

	(void)state;
	if (dir == NULL) {
		/* not silent: say why and where these cases do run */
		(void)printf("SKIP: IG_DOVECOT_DIR not set; tests/integration/imap_suite.sh runs "
			     "these cases against a real Dovecot\n");
		return 0;
	}
	(void)snprintf(dv.dir, sizeof(dv.dir), "%s", dir);
	(void)snprintf(path, sizeof(path), "%s/env", dir);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (env_line(line, "IMAPS_PORT", tmp, sizeof(tmp)))
			dv.imaps_port = to_port(tmp);
		else if (env_line(line, "IMAP_PORT", tmp, sizeof(tmp)))
			dv.imap_port = to_port(tmp);
		else if (env_line(line, "FINGERPRINT", dv.fingerprint, sizeof(dv.fingerprint)))
			continue;
		else
			(void)env_line(line, "CA_FILE", dv.ca_file, sizeof(dv.ca_file));
	}
	(void)fclose(f);
	(void)snprintf(path, sizeof(path), "%s/alice.pw", dir);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	n = fread(dv.password, 1, sizeof(dv.password) - 1, f);
	dv.password[n] = '\0';
	dv.password[strcspn(dv.password, "\r\n")] = '\0';
	(void)fclose(f);
	return 0;
}

#define NEED_DOVECOT()                                                                             \
	do {                                                                                       \
		if (dv.imaps_port == 0)                                                            \
			skip();                                                                    \
	} while (0)

static struct imap_conn *
open_conn(bool starttls, bool pinned, bool wrong_pin, struct imap_error *err)
{
	struct imap_conn_opts o;

	memset(&o, 0, sizeof(o));
	o.host = "127.0.0.1";
	o.port = starttls ? dv.imap_port : dv.imaps_port;
	o.starttls = starttls;
	o.connect_timeout_s = 5;
	o.command_timeout_s = 10;
	if (pinned) {
		o.pinned = true;
		assert_true(imap_fingerprint_parse(dv.fingerprint, o.pin));
		if (wrong_pin)
			o.pin[5] ^= 1;
	} else {
		o.ca_file = dv.ca_file;
	}
	return imap_conn_open(&o, err);
}

static void
test_tls_modes(void **state)
{
	struct imap_error err = {.fail = IMAP_FAIL_NONE};
	struct imap_conn *c;
	unsigned char fp[32];
	char hex[96];

	(void)state;
	NEED_DOVECOT();
	c = open_conn(false, true, false, &err);
	assert_non_null(c);
	imap_conn_fingerprint(c, fp);
	imap_fingerprint_format(fp, hex);
	assert_string_equal(hex, dv.fingerprint);
	assert_string_equal(imap_conn_tls_version(c), "TLSv1.2");
	assert_true(imap_conn_has_cap(c, "IMAP4rev1"));
	imap_conn_free(c);

	c = open_conn(true, false, false, &err); /* STARTTLS + CA file */
	assert_non_null(c);
	assert_true(imap_conn_tls_verified(c));
	assert_false(imap_conn_has_cap(c, "STARTTLS")); /* capabilities re-read over TLS */
	imap_conn_free(c);

	c = open_conn(false, true, true, &err);
	assert_null(c);
	assert_int_equal(err.fail, IMAP_FAIL_TLS);

	c = open_conn(true, true, true, &err);
	assert_null(c);
	assert_int_equal(err.fail, IMAP_FAIL_TLS);
}

static void
test_login_refused(void **state)
{
	struct imap_error err = {.fail = IMAP_FAIL_NONE};
	struct imap_conn *c;

	(void)state;
	NEED_DOVECOT();
	c = open_conn(false, true, false, &err);
	assert_non_null(c);
	assert_int_equal(imap_login(c, "alice", "not-the-password", &err), IMAP_FAIL_AUTH);
	assert_null(strstr(err.msg, "not-the-password"));
	imap_conn_free(c);
}

struct fetch_seen {
	int fetches;
	uint32_t uid;
	bool envelope, body, section;
	uint32_t size;
};

static enum ig_err
on_fetch(void *ctx, const struct imap_resp *r)
{
	struct fetch_seen *s = ctx;

	if (r->type != IMAP_U_FETCH)
		return IG_OK;
	s->fetches++;
	s->uid = r->u.fetch.uid;
	s->envelope |= r->u.fetch.envelope != NULL;
	s->body |= r->u.fetch.body != NULL;
	if (r->u.fetch.has_section) {
		s->section = true;
		s->size = (uint32_t)r->u.fetch.section_data.len;
	}
	return IG_OK;
}

static const struct imap_folder *
find_folder(const struct imap_folder_list *l, const char *name)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		if (strcmp(l->f[i].name, name) == 0)
			return &l->f[i];
	}
	return NULL;
}

static void
test_every_command(void **state)
{
	static const char msg[] = "From: a@example.com\r\nTo: b@example.com\r\n"
				  "Subject: test \xc3\xa4\r\nMessage-ID: <t1@example.com>\r\n"
				  "Content-Type: text/plain; charset=utf-8\r\n\r\nhello world\r\n";
	const char *box = "T\xc3\xa4st \xe6\x97\xa5\xe6\x9c\xac & more";
	const char *box2 = "Renamed \xf0\x9f\x98\x80";
	struct imap_error err = {.fail = IMAP_FAIL_NONE};
	struct imap_folder_list l;
	struct imap_mailbox_state st;
	struct fetch_seen seen;
	struct imap_folder one;
	struct imap_conn *c;
	uint32_t nums[2];
	struct imap_copyuid *cu;
	bool fallback;
	uint32_t *uids = NULL;
	size_t n = 0;
	size_t skipped = 0;
	char set[32];
	bool changed;

	(void)state;
	NEED_DOVECOT();
	c = open_conn(false, true, false, &err);
	assert_non_null(c);
	assert_int_equal(imap_login(c, "alice", dv.password, &err), IMAP_FAIL_NONE);
	assert_true(imap_conn_authenticated(c));
	assert_int_equal(imap_id(c, &err), IMAP_FAIL_NONE);
	assert_int_equal(imap_enable(c, true, true, false, &err), IMAP_FAIL_NONE);
	assert_int_equal(imap_noop(c, &err), IMAP_FAIL_NONE);

	(void)imap_delete(c, box, &err);
	(void)imap_delete(c, box2, &err);
	assert_int_equal(imap_create(c, box, &err), IMAP_FAIL_NONE);
	assert_int_equal(imap_create(c, box, &err), IMAP_FAIL_EXISTS);

	assert_int_equal(imap_list_folders(c, true, &l, &skipped, &err), IMAP_FAIL_NONE);
	assert_int_equal(skipped, 0);
	assert_non_null(find_folder(&l, "INBOX"));
	assert_non_null(find_folder(&l, box));
	assert_true(find_folder(&l, box)->has_status);
	assert_string_equal(find_folder(&l, "Sent")->special_use, "\\Sent");
	imap_folder_list_free(&l);

	memset(&one, 0, sizeof(one));
	assert_int_equal(imap_status(c, box, &one, &err), IMAP_FAIL_NONE);
	assert_true(one.has_status);
	assert_int_equal(one.messages, 0);

	assert_int_equal(imap_append(c, box, "\\Seen", (struct slice){msg, sizeof(msg) - 1}, nums,
				     &err),
			 IMAP_FAIL_NONE);
	assert_true(nums[0] != 0 && nums[1] == 1);

	assert_int_equal(imap_select(c, box, false, 0, 0, &st, &err), IMAP_FAIL_NONE);
	assert_int_equal(st.exists, 1);
	assert_true(st.uidvalidity != 0);
	assert_true(st.highestmodseq != 0);
	assert_int_equal(imap_select(c, "No such folder", true, 0, 0, &st, &err),
			 IMAP_FAIL_NOT_FOUND);
	assert_int_equal(imap_select(c, box, false, one.uidvalidity, 1, &st, &err),
			 IMAP_FAIL_NONE);

	assert_int_equal(imap_uid_search(c, "SUBJECT", sl_from_cstr("test \xc3\xa4"), 100, &uids,
					 &n, &err),
			 IMAP_FAIL_NONE);
	assert_int_equal(n, 1);
	assert_int_equal(uids[0], 1);
	free(uids);
	assert_int_equal(imap_uid_search(c, "ALL", (struct slice){NULL, 0}, 100, &uids, &n, &err),
			 IMAP_FAIL_NONE);
	assert_int_equal(n, 1);
	free(uids);

	memset(&seen, 0, sizeof(seen));
	assert_int_equal(imap_uid_fetch(c, "1:*",
					"(UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODYSTRUCTURE "
					"MODSEQ BODY.PEEK[]<0.11>)",
					0, false, on_fetch, &seen, &err),
			 IMAP_FAIL_NONE);
	assert_int_equal(seen.fetches, 1);
	assert_int_equal(seen.uid, 1);
	assert_true(seen.envelope && seen.body && seen.section);
	assert_int_equal(seen.size, 11);

	assert_int_equal(imap_uid_store(c, "1", true, "\\Flagged $Test", 0, &err), IMAP_FAIL_NONE);
	assert_int_equal(imap_uid_store(c, "1", false, "\\Flagged", 0, &err), IMAP_FAIL_NONE);
	assert_int_equal(imap_uid_store(c, "1", true, "bad(flag", 0, &err), IMAP_FAIL_INVALID);
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(imap_uid_fetch(c, "1:*", "(UID FLAGS)", 1, true, on_fetch, &seen, &err),
			 IMAP_FAIL_NONE);
	assert_int_equal(seen.fetches, 1);

	cu = calloc(1, sizeof(*cu));
	assert_non_null(cu);
	assert_int_equal(imap_uid_copy(c, "1", "Archive", cu, &err), IMAP_FAIL_NONE);
	/* COPYUID from the tagged OK: UID 1 got some UID in Archive */
	assert_true(cu->uidvalidity != 0 && cu->n == 1 && cu->src[0] == 1 && cu->dst[0] != 0);
	assert_int_equal(imap_uid_move(c, "1", "Trash", cu, &fallback, &err), IMAP_FAIL_NONE);
	assert_false(fallback); /* Dovecot offers MOVE */
	/* COPYUID from the untagged OK before the expunge */
	assert_true(cu->uidvalidity != 0 && cu->n == 1 && cu->src[0] == 1);
	/* UID 1 is gone: nothing to move, whatever the destination */
	assert_int_equal(imap_uid_move(c, "1", "No such folder", cu, &fallback, &err),
			 IMAP_FAIL_NONE);
	free(cu);
	assert_int_equal(imap_select(c, box, false, 0, 0, &st, &err), IMAP_FAIL_NONE);
	assert_int_equal(st.exists, 0);
	assert_int_equal(imap_expunge(c, NULL, &err), IMAP_FAIL_NONE);
	(void)snprintf(set, sizeof(set), "%u", 1u);
	assert_int_equal(imap_expunge(c, set, &err), IMAP_FAIL_NONE);
	assert_int_equal(imap_uid_fetch(c, "1 OR 2", "(UID)", 0, false, NULL, NULL, &err),
			 IMAP_FAIL_INVALID);

	assert_int_equal(imap_idle(c, 200, &changed, &err), IMAP_FAIL_NONE);
	assert_false(changed);

	/* Dovecot still answers STATUS for the old name of a renamed
	 * selected mailbox, so select another one first */
	assert_int_equal(imap_select(c, "INBOX", true, 0, 0, &st, &err), IMAP_FAIL_NONE);
	assert_int_equal(imap_rename(c, box, box2, &err), IMAP_FAIL_NONE);
	assert_int_equal(imap_status(c, box, &one, &err), IMAP_FAIL_NOT_FOUND);
	assert_int_equal(imap_delete(c, box2, &err), IMAP_FAIL_NONE);
	assert_int_equal(imap_create(c, "bad\r\nname", &err), IMAP_FAIL_INVALID);
	assert_int_equal(imap_logout(c, &err), IMAP_FAIL_NONE);
	imap_conn_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tls_modes),
		cmocka_unit_test(test_login_refused),
		cmocka_unit_test(test_every_command),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
