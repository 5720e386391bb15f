/* IMAP commands.
 * RFC 3501 §6 (IMAP4rev1 commands), RFC 9051 §6, RFC 4959 (SASL-IR),
 * RFC 4616 (PLAIN), RFC 5161 (ENABLE), RFC 2971 (ID), RFC 6154 (SPECIAL-USE),
 * RFC 5258 (LIST-EXTENDED), RFC 5819 (LIST-STATUS), RFC 7162 (CONDSTORE,
 * QRESYNC), RFC 4731 (ESEARCH), RFC 6851 (MOVE), RFC 4315 (UIDPLUS),
 * RFC 2177 (IDLE), RFC 6855 (UTF8=ACCEPT).
 *
 * Arguments that come from callers go through imap_cmd_string or
 * imap_cmd_mailbox (quoted or literal, CR/LF/NUL refused); only text this
 * file builds from numbers and fixed words is written as atoms. */
#include "imap/cmd.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "base/buf.h"
#include "base/limits.h"
#include "base/utf8.h"
#include "imap/mutf7.h"
#include "imap/parse.h"
#include "imap/tls.h"
#include "imap/uidset.h"

static enum imap_fail
run_simple(struct imap_conn *c, struct imap_cmd *cmd, imap_untagged_fn fn, void *ctx,
	   uint32_t nums[2], struct imap_error *err)
{
	enum imap_fail f = imap_cmd_run(cmd, fn, ctx, nums, err);

	imap_cmd_free(cmd);
	(void)c;
	return f;
}

/* --- session --- */

static enum imap_fail
login_plain(struct imap_conn *c, const char *user, const char *password, struct imap_error *err)
{
	size_t ul = strlen(user);
	size_t pl = strlen(password);
	size_t raw_len = ul + pl + 2;
	size_t b64_len = sodium_base64_ENCODED_LEN(raw_len, sodium_base64_VARIANT_ORIGINAL);
	unsigned char *raw = NULL;
	char *b64 = NULL;
	struct imap_cmd cmd;
	enum imap_fail f;

	if (ul > LIM_IMAP_ARG || pl > LIM_IMAP_ARG) {
		imap_error_set(err, IMAP_FAIL_CONFIG, "user name or password too long");
		return IMAP_FAIL_CONFIG;
	}
	raw = malloc(raw_len);
	b64 = malloc(b64_len);
	if (raw == NULL || b64 == NULL) {
		free(raw);
		free(b64);
		imap_error_set(err, IMAP_FAIL_INTERNAL, "out of memory");
		return IMAP_FAIL_INTERNAL;
	}
	/* authzid NUL authcid NUL password, authzid empty (RFC 4616) */
	raw[0] = '\0';
	memcpy(raw + 1, user, ul);
	raw[1 + ul] = '\0';
	memcpy(raw + 2 + ul, password, pl);
	(void)sodium_bin2base64(b64, b64_len, raw, raw_len, sodium_base64_VARIANT_ORIGINAL);
	imap_cmd_init(&cmd, c, "AUTHENTICATE PLAIN");
	if (imap_conn_has_cap(c, "SASL-IR")) {
		imap_cmd_atom(&cmd, b64);
	} else {
		/* the response line goes after the server's '+' */
		buf_puts(&cmd.b, "\r\n");
		cmd.sync[cmd.n_sync++] = cmd.b.len;
		buf_puts(&cmd.b, b64);
	}
	f = imap_cmd_run(&cmd, NULL, NULL, NULL, err);
	imap_cmd_free(&cmd);
	sodium_memzero(raw, raw_len);
	sodium_memzero(b64, b64_len);
	free(raw);
	free(b64);
	return f;
}

enum imap_fail
imap_login(struct imap_conn *c, const char *user, const char *password, struct imap_error *err)
{
	struct imap_cmd cmd;
	enum imap_fail f;

	if (imap_conn_has_cap(c, "AUTH=PLAIN")) {
		f = login_plain(c, user, password, err);
	} else if (imap_conn_has_cap(c, "LOGINDISABLED")) {
		imap_error_set(err, IMAP_FAIL_AUTH, "server offers no usable login mechanism");
		return IMAP_FAIL_AUTH;
	} else {
		imap_cmd_init(&cmd, c, "LOGIN");
		imap_cmd_string(&cmd, sl_from_cstr(user));
		imap_cmd_string(&cmd, sl_from_cstr(password));
		f = imap_cmd_run(&cmd, NULL, NULL, NULL, err);
		imap_cmd_free(&cmd);
	}
	if (f == IMAP_FAIL_REFUSED || f == IMAP_FAIL_AUTH) {
		/* Never echo the server's words about credentials. */
		imap_error_set(err, IMAP_FAIL_AUTH, "the IMAP server refused the login");
		return IMAP_FAIL_AUTH;
	}
	if (f != IMAP_FAIL_NONE)
		return f;
	imap_conn_set_authenticated(c);
	/* Capabilities change after login; the OK usually carries them. */
	if (!imap_conn_has_cap(c, "IMAP4rev1") && !imap_conn_has_cap(c, "IMAP4rev2")) {
		imap_cmd_init(&cmd, c, "CAPABILITY");
		f = run_simple(c, &cmd, NULL, NULL, NULL, err);
	}
	return f;
}

enum imap_fail
imap_capability(struct imap_conn *c, struct imap_error *err)
{
	struct imap_cmd cmd;

	imap_cmd_init(&cmd, c, "CAPABILITY");
	return run_simple(c, &cmd, NULL, NULL, NULL, err);
}

struct enable_ctx {
	bool utf8;
};

static enum ig_err
on_enabled(void *ctx, const struct imap_resp *r)
{
	struct enable_ctx *e = ctx;
	size_t i;

	if (r->type != IMAP_U_ENABLED)
		return IG_OK;
	for (i = 0; i < r->u.caps.n; i++) {
		if (r->u.caps.names[i].len == 11 &&
		    strncasecmp(r->u.caps.names[i].p, "UTF8=ACCEPT", 11) == 0)
			e->utf8 = true;
	}
	return IG_OK;
}

enum imap_fail
imap_enable(struct imap_conn *c, bool condstore, bool qresync, bool utf8, struct imap_error *err)
{
	struct imap_cmd cmd;
	struct enable_ctx e = {false};
	bool any = false;
	enum imap_fail f;

	if (!imap_conn_has_cap(c, "ENABLE"))
		return IMAP_FAIL_NONE;
	imap_cmd_init(&cmd, c, "ENABLE");
	if (condstore && imap_conn_has_cap(c, "CONDSTORE")) {
		imap_cmd_atom(&cmd, "CONDSTORE");
		any = true;
	}
	if (qresync && imap_conn_has_cap(c, "QRESYNC")) {
		imap_cmd_atom(&cmd, "QRESYNC");
		any = true;
	}
	if (utf8 && imap_conn_has_cap(c, "UTF8=ACCEPT")) {
		imap_cmd_atom(&cmd, "UTF8=ACCEPT");
		any = true;
	}
	if (!any) {
		imap_cmd_free(&cmd);
		return IMAP_FAIL_NONE;
	}
	f = run_simple(c, &cmd, on_enabled, &e, NULL, err);
	if (f == IMAP_FAIL_NONE && e.utf8)
		imap_conn_set_utf8(c, true);
	return f;
}

enum imap_fail
imap_id(struct imap_conn *c, struct imap_error *err)
{
	struct imap_cmd cmd;

	if (!imap_conn_has_cap(c, "ID"))
		return IMAP_FAIL_NONE;
	imap_cmd_init(&cmd, c, "ID");
	imap_cmd_atom(&cmd, "(\"name\" \"imapgate\")");
	return run_simple(c, &cmd, NULL, NULL, NULL, err);
}

enum imap_fail
imap_noop(struct imap_conn *c, struct imap_error *err)
{
	struct imap_cmd cmd;

	imap_cmd_init(&cmd, c, "NOOP");
	return run_simple(c, &cmd, NULL, NULL, NULL, err);
}

enum imap_fail
imap_logout(struct imap_conn *c, struct imap_error *err)
{
	struct imap_cmd cmd;
	enum imap_fail f;

	imap_cmd_init(&cmd, c, "LOGOUT");
	f = run_simple(c, &cmd, NULL, NULL, NULL, err);
	/* The BYE before the tagged OK counts as a lost connection; after
	 * LOGOUT that is the expected outcome. */
	return f == IMAP_FAIL_CONN_LOST ? IMAP_FAIL_NONE : f;
}

/* --- LIST and STATUS --- */

void
imap_folder_list_free(struct imap_folder_list *l)
{
	size_t i;
	size_t j;

	if (l == NULL)
		return;
	for (i = 0; i < l->n; i++) {
		free(l->f[i].name);
		free(l->f[i].wire_name);
		for (j = 0; j < l->f[i].n_attrs; j++)
			free(l->f[i].attrs[j]);
		free(l->f[i].attrs);
	}
	free(l->f);
	l->f = NULL;
	l->n = 0;
}

struct list_ctx {
	struct imap_conn *c;
	struct imap_folder_list *out;
	size_t cap;
	size_t skipped;
};

static const char *const special_uses[] = {
	"\\All", "\\Archive", "\\Drafts", "\\Flagged", "\\Junk", "\\Sent", "\\Trash",
};

/* Decodes a mailbox name from the wire into a heap UTF-8 string, or NULL
 * when it is not a canonical name. */
static char *
name_decode(const struct imap_conn *c, struct slice wire)
{
	struct buf b;
	size_t i;

	buf_init(&b, 4 * (size_t)LIM_IMAP_MAILBOX);
	if (wire.len == 0 || wire.len > LIM_IMAP_MAILBOX)
		return NULL;
	if (imap_conn_utf8(c)) {
		if (!u8_valid(wire.p, wire.len))
			return NULL;
		for (i = 0; i < wire.len; i++) {
			if ((unsigned char)wire.p[i] < 0x20 || wire.p[i] == 0x7f)
				return NULL;
		}
		buf_append(&b, wire.p, wire.len);
	} else if (imap_mutf7_decode(wire, &b) != IG_OK) {
		buf_free(&b);
		return NULL;
	}
	if (buf_err(&b) != IG_OK) {
		buf_free(&b);
		return NULL;
	}
	if (b.p == NULL)
		buf_puts(&b, "");
	return buf_take(&b);
}

static struct imap_folder *
folder_find(struct imap_folder_list *l, struct slice wire)
{
	size_t i;

	/* LIST-STATUS sends STATUS right after its LIST: look there first. */
	for (i = l->n; i > 0; i--) {
		if (sl_eq_cstr(wire, l->f[i - 1].wire_name))
			return &l->f[i - 1];
	}
	return NULL;
}

static void
status_apply(struct imap_folder *f, const struct imap_status *st)
{
	f->has_status = true;
	f->messages = st->messages;
	f->unseen = st->unseen;
	f->uidnext = st->uidnext;
	f->uidvalidity = st->uidvalidity;
	f->highestmodseq = st->highestmodseq;
}

static enum ig_err
on_list(void *vctx, const struct imap_resp *r)
{
	struct list_ctx *x = vctx;
	struct imap_folder *f;
	size_t i;

	if (r->type == IMAP_U_STATUS) {
		f = folder_find(x->out, r->u.status.mailbox);
		if (f != NULL)
			status_apply(f, &r->u.status);
		return IG_OK;
	}
	if (r->type != IMAP_U_LIST)
		return IG_OK;
	if (x->out->n >= LIM_IMAP_FOLDERS)
		return IG_ELIMIT;
	if (x->out->n == x->cap) {
		size_t ncap = x->cap != 0 ? x->cap * 2 : 32;
		struct imap_folder *nf = realloc(x->out->f, ncap * sizeof(*nf));

		if (nf == NULL)
			return IG_ENOMEM;
		x->out->f = nf;
		x->cap = ncap;
	}
	f = &x->out->f[x->out->n];
	memset(f, 0, sizeof(*f));
	f->name = name_decode(x->c, r->u.list.name);
	if (f->name == NULL) {
		x->skipped++;
		return IG_OK;
	}
	f->wire_name = strndup(r->u.list.name.p, r->u.list.name.len);
	f->attrs = calloc(r->u.list.n_attrs + 1, sizeof(*f->attrs));
	if (f->wire_name == NULL || f->attrs == NULL) {
		free(f->name);
		free(f->wire_name);
		free(f->attrs);
		return IG_ENOMEM;
	}
	f->delim = r->u.list.delim;
	x->out->n++;
	for (i = 0; i < r->u.list.n_attrs; i++) {
		struct slice a = r->u.list.attrs[i];
		size_t k;

		f->attrs[f->n_attrs] = strndup(a.p, a.len);
		if (f->attrs[f->n_attrs] == NULL)
			return IG_ENOMEM;
		for (k = 0; k < sizeof(special_uses) / sizeof(special_uses[0]); k++) {
			if (f->special_use == NULL && sl_eq_cstr(a, special_uses[k]))
				f->special_use = special_uses[k];
		}
		if (a.len == 9 && strncasecmp(a.p, "\\Noselect", 9) == 0)
			f->noselect = true;
		if (a.len == 12 && strncasecmp(a.p, "\\NonExistent", 12) == 0)
			f->noselect = true;
		f->n_attrs++;
	}
	return IG_OK;
}

static const char *
status_items(const struct imap_conn *c)
{
	return imap_conn_has_cap(c, "CONDSTORE") ? "(MESSAGES UNSEEN UIDNEXT UIDVALIDITY HIGHESTMODSEQ)"
						 : "(MESSAGES UNSEEN UIDNEXT UIDVALIDITY)";
}

enum imap_fail
imap_list_folders(struct imap_conn *c, bool with_status, struct imap_folder_list *out,
		  size_t *skipped_r, struct imap_error *err)
{
	struct list_ctx x = {.c = c, .out = out};
	struct imap_cmd cmd;
	bool list_status = with_status && imap_conn_has_cap(c, "LIST-STATUS");
	enum imap_fail f;
	size_t i;

	out->f = NULL;
	out->n = 0;
	imap_cmd_init(&cmd, c, "LIST");
	imap_cmd_atom(&cmd, "\"\" \"*\"");
	if (list_status) {
		imap_cmd_atomf(&cmd, "RETURN (%sSTATUS %s)",
			       imap_conn_has_cap(c, "SPECIAL-USE") ? "SPECIAL-USE " : "",
			       status_items(c));
	}
	f = run_simple(c, &cmd, on_list, &x, NULL, err);
	if (f != IMAP_FAIL_NONE)
		goto fail;
	for (i = 0; with_status && !list_status && i < out->n; i++) {
		if (out->f[i].noselect)
			continue;
		f = imap_status(c, out->f[i].name, &out->f[i], err);
		if (f == IMAP_FAIL_NOT_FOUND)
			continue; /* deleted since LIST */
		if (f != IMAP_FAIL_NONE)
			goto fail;
	}
	*skipped_r = x.skipped;
	return IMAP_FAIL_NONE;
fail:
	imap_folder_list_free(out);
	return f;
}

struct status_ctx {
	struct imap_folder *f;
};

static enum ig_err
on_status(void *vctx, const struct imap_resp *r)
{
	struct status_ctx *x = vctx;

	/* One STATUS was asked for; its name is the one we sent. */
	if (r->type == IMAP_U_STATUS)
		status_apply(x->f, &r->u.status);
	return IG_OK;
}

enum imap_fail
imap_status(struct imap_conn *c, const char *name, struct imap_folder *f, struct imap_error *err)
{
	struct status_ctx x = {f};
	struct imap_cmd cmd;
	enum imap_fail rc;

	imap_cmd_init(&cmd, c, "STATUS");
	imap_cmd_mailbox(&cmd, sl_from_cstr(name));
	imap_cmd_atom(&cmd, status_items(c));
	rc = run_simple(c, &cmd, on_status, &x, NULL, err);
	/* Dovecot answers a missing mailbox with a bare NO (no [NONEXISTENT]) */
	if (rc == IMAP_FAIL_REFUSED)
		rc = err->fail = IMAP_FAIL_NOT_FOUND;
	return rc;
}

/* --- SELECT --- */

static enum ig_err
on_select(void *vctx, const struct imap_resp *r)
{
	struct imap_mailbox_state *st = vctx;

	if (r->type == IMAP_U_EXISTS)
		st->exists = r->u.num;
	if (r->type == IMAP_U_COND) {
		if (r->code == IMAP_CODE_UIDVALIDITY)
			st->uidvalidity = r->code_num[0];
		else if (r->code == IMAP_CODE_UIDNEXT)
			st->uidnext = r->code_num[0];
		else if (r->code == IMAP_CODE_HIGHESTMODSEQ)
			st->highestmodseq = r->code_modseq;
		else if (r->code == IMAP_CODE_NOMODSEQ)
			st->highestmodseq = 0;
	}
	return IG_OK;
}

enum imap_fail
imap_select(struct imap_conn *c, const char *name, bool read_only, uint32_t qresync_uidvalidity,
	    uint64_t qresync_modseq, struct imap_mailbox_state *st, struct imap_error *err)
{
	struct imap_cmd cmd;
	enum imap_fail f;

	memset(st, 0, sizeof(*st));
	imap_cmd_init(&cmd, c, read_only ? "EXAMINE" : "SELECT");
	imap_cmd_mailbox(&cmd, sl_from_cstr(name));
	if (qresync_uidvalidity != 0 && imap_conn_has_cap(c, "QRESYNC"))
		imap_cmd_atomf(&cmd, "(QRESYNC (%u %llu))", qresync_uidvalidity,
			       (unsigned long long)qresync_modseq);
	else if (imap_conn_has_cap(c, "CONDSTORE"))
		imap_cmd_atom(&cmd, "(CONDSTORE)");
	f = imap_cmd_run(&cmd, on_select, st, NULL, err);
	imap_cmd_free(&cmd);
	st->read_only = read_only;
	/* A NO to SELECT means the mailbox is not there (or not selectable). */
	if (f == IMAP_FAIL_REFUSED)
		f = err->fail = IMAP_FAIL_NOT_FOUND;
	return f;
}

/* --- SEARCH --- */

struct search_ctx {
	uint32_t *uids;
	size_t n, cap, max;
	bool over;
	bool has_count; /* ESEARCH COUNT: how many the server found */
	uint64_t count;
};

static enum ig_err
search_add(struct search_ctx *x, uint32_t uid)
{
	if (x->n >= x->max) {
		x->over = true;
		return IG_OK;
	}
	if (x->n == x->cap) {
		size_t ncap = x->cap != 0 ? x->cap * 2 : 256;
		uint32_t *nu;

		if (ncap > x->max)
			ncap = x->max;
		nu = realloc(x->uids, ncap * sizeof(*nu));
		if (nu == NULL)
			return IG_ENOMEM;
		x->uids = nu;
		x->cap = ncap;
	}
	x->uids[x->n++] = uid;
	return IG_OK;
}

/* Expands an ESEARCH ALL sequence set ("1:3,7") within the cap. */
static enum ig_err
search_add_set(struct search_ctx *x, struct slice set)
{
	size_t i = 0;

	while (i < set.len) {
		size_t start = i;
		size_t colon = 0;
		uint32_t a;
		uint32_t b;

		while (i < set.len && set.p[i] != ',') {
			if (set.p[i] == ':')
				colon = i;
			i++;
		}
		if (colon == 0) {
			if (!imap_parse_u32((struct slice){set.p + start, i - start}, &a))
				return IG_EINVAL;
			b = a;
		} else if (!imap_parse_u32((struct slice){set.p + start, colon - start}, &a) ||
			   !imap_parse_u32((struct slice){set.p + colon + 1, i - colon - 1}, &b)) {
			return IG_EINVAL;
		}
		if (a > b) {
			uint32_t t = a;

			a = b;
			b = t;
		}
		for (uint64_t u = a; u <= b && !x->over; u++) {
			if (search_add(x, (uint32_t)u) != IG_OK)
				return IG_ENOMEM;
		}
		i++;
	}
	return IG_OK;
}

static enum ig_err
on_search(void *vctx, const struct imap_resp *r)
{
	struct search_ctx *x = vctx;
	size_t i;

	if (r->type == IMAP_U_SEARCH) {
		for (i = 0; i < r->u.search.n; i++) {
			if (search_add(x, r->u.search.nums[i]) != IG_OK)
				return IG_ENOMEM;
		}
	} else if (r->type == IMAP_U_ESEARCH) {
		if (r->u.esearch.has_count) {
			x->has_count = true;
			x->count += r->u.esearch.count;
		}
		return search_add_set(x, r->u.esearch.all);
	}
	return IG_OK;
}

void
imap_search_return(struct imap_cmd *cmd)
{
	if (imap_conn_has_cap(cmd->c, "ESEARCH"))
		imap_cmd_atom(cmd, "RETURN (COUNT MIN MAX ALL)");
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a;
	uint32_t y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

enum imap_fail
imap_uid_search(struct imap_conn *c, const char *criteria, struct slice arg, size_t max_results,
		uint32_t **uids_r, size_t *n_r, struct imap_error *err)
{
	struct search_ctx x = {.max = max_results};
	struct imap_cmd cmd;
	enum imap_fail f;

	*uids_r = NULL;
	*n_r = 0;
	imap_cmd_init(&cmd, c, "UID SEARCH");
	imap_search_return(&cmd);
	if (!imap_conn_utf8(c))
		imap_cmd_atom(&cmd, "CHARSET UTF-8");
	imap_cmd_atom(&cmd, criteria);
	if (arg.p != NULL)
		imap_cmd_string(&cmd, arg);
	f = run_simple(c, &cmd, on_search, &x, NULL, err);
	if (f == IMAP_FAIL_NONE && x.has_count && !x.over && x.count != x.n) {
		imap_error_set(err, IMAP_FAIL_PROTOCOL, "ESEARCH COUNT disagrees with ALL");
		f = IMAP_FAIL_PROTOCOL;
	}
	if (f != IMAP_FAIL_NONE) {
		free(x.uids);
		return f;
	}
	if (x.n > 1)
		qsort(x.uids, x.n, sizeof(*x.uids), cmp_u32);
	*uids_r = x.uids;
	*n_r = x.n;
	return IMAP_FAIL_NONE;
}

/* --- FETCH, STORE, MOVE, COPY, EXPUNGE --- */

/* A UID set built by the layers above: digits, ':', ',' and '*' only. */
static bool
uidset_valid(const char *s)
{
	size_t i;

	if (s == NULL || s[0] == '\0' || strlen(s) > LIM_IMAP_ARG)
		return false;
	for (i = 0; s[i] != '\0'; i++) {
		if (!(s[i] >= '0' && s[i] <= '9') && s[i] != ':' && s[i] != ',' && s[i] != '*')
			return false;
	}
	return true;
}

static enum imap_fail
bad_arg(struct imap_error *err)
{
	imap_error_set(err, IMAP_FAIL_INVALID, "invalid UID set");
	return IMAP_FAIL_INVALID;
}

enum imap_fail
imap_uid_fetch(struct imap_conn *c, const char *uidset, const char *items, uint64_t changedsince,
	       bool vanished, imap_untagged_fn fn, void *ctx, struct imap_error *err)
{
	struct imap_cmd cmd;

	if (!uidset_valid(uidset))
		return bad_arg(err);
	imap_cmd_init(&cmd, c, "UID FETCH");
	imap_cmd_atom(&cmd, uidset);
	imap_cmd_atom(&cmd, items);
	if (changedsince != 0 && imap_conn_has_cap(c, "CONDSTORE")) {
		imap_cmd_atomf(&cmd, "(CHANGEDSINCE %llu%s)", (unsigned long long)changedsince,
			       vanished && imap_conn_has_cap(c, "QRESYNC") ? " VANISHED" : "");
	}
	return run_simple(c, &cmd, fn, ctx, NULL, err);
}

static bool
flags_valid(const char *s)
{
	size_t i;

	/* "\Seen $PendingReview": flag atoms separated by single spaces */
	for (i = 0; s[i] != '\0'; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch <= 0x20 ? ch != ' ' : ch >= 0x7f || strchr("(){\"%*]", ch) != NULL)
			return false;
	}
	return i > 0 && i < 1024;
}

enum imap_fail
imap_uid_store(struct imap_conn *c, const char *uidset, bool add, const char *flags,
	       uint64_t unchangedsince, struct imap_error *err)
{
	struct imap_cmd cmd;

	if (!uidset_valid(uidset) || !flags_valid(flags))
		return bad_arg(err);
	imap_cmd_init(&cmd, c, "UID STORE");
	imap_cmd_atom(&cmd, uidset);
	if (unchangedsince != 0 && imap_conn_has_cap(c, "CONDSTORE"))
		imap_cmd_atomf(&cmd, "(UNCHANGEDSINCE %llu)", (unsigned long long)unchangedsince);
	imap_cmd_atomf(&cmd, "%sFLAGS.SILENT (%s)", add ? "+" : "-", flags);
	return run_simple(c, &cmd, NULL, NULL, NULL, err);
}

/* MOVE sends COPYUID in an untagged OK before the expunges (RFC 6851 §4.3). */
static enum ig_err
on_copyuid(void *vctx, const struct imap_resp *r)
{
	struct imap_copyuid *cu = vctx;

	if (r->type == IMAP_U_COND && r->code == IMAP_CODE_COPYUID && cu != NULL &&
	    imap_copyuid_parse(r->code_arg, cu) != IG_OK) {
		/* a malformed mapping is not a failed move: the new UIDs are
		 * just unknown (cu->n == 0) */
		cu->n = 0;
	}
	return IG_OK;
}

enum imap_fail
imap_uid_copy(struct imap_conn *c, const char *uidset, const char *dest,
	      struct imap_copyuid *cu_r, struct imap_error *err)
{
	struct imap_cmd cmd;
	struct buf code;
	enum imap_fail f;

	if (cu_r != NULL) {
		cu_r->uidvalidity = 0;
		cu_r->n = 0;
	}
	if (!uidset_valid(uidset))
		return bad_arg(err);
	buf_init(&code, LIM_IMAP_LINE);
	imap_cmd_init(&cmd, c, "UID COPY");
	imap_cmd_atom(&cmd, uidset);
	imap_cmd_mailbox(&cmd, sl_from_cstr(dest));
	cmd.tagged_code_r = &code;
	f = run_simple(c, &cmd, NULL, NULL, NULL, err);
	if (f == IMAP_FAIL_NONE && cu_r != NULL && buf_err(&code) == IG_OK && code.len > 8 &&
	    strncasecmp(code.p, "COPYUID ", 8) == 0 &&
	    imap_copyuid_parse((struct slice){code.p + 8, code.len - 8}, cu_r) != IG_OK)
		cu_r->n = 0;
	buf_free(&code);
	return f;
}

enum imap_fail
imap_uid_move(struct imap_conn *c, const char *uidset, const char *dest,
	      struct imap_copyuid *cu_r, bool *fallback_r, struct imap_error *err)
{
	struct imap_cmd cmd;
	enum imap_fail f;

	*fallback_r = false;
	if (cu_r != NULL) {
		cu_r->uidvalidity = 0;
		cu_r->n = 0;
	}
	if (!uidset_valid(uidset))
		return bad_arg(err);
	if (imap_conn_has_cap(c, "MOVE")) {
		imap_cmd_init(&cmd, c, "UID MOVE");
		imap_cmd_atom(&cmd, uidset);
		imap_cmd_mailbox(&cmd, sl_from_cstr(dest));
		return run_simple(c, &cmd, on_copyuid, cu_r, NULL, err);
	}
	/* Without UIDPLUS a plain EXPUNGE would also remove messages someone
	 * else marked \Deleted: refuse rather than risk it. */
	if (!imap_conn_has_cap(c, "UIDPLUS")) {
		imap_error_set(err, IMAP_FAIL_UNSUPPORTED, "server offers neither MOVE nor UIDPLUS");
		return IMAP_FAIL_UNSUPPORTED;
	}
	*fallback_r = true;
	f = imap_uid_copy(c, uidset, dest, cu_r, err);
	if (f == IMAP_FAIL_NONE)
		f = imap_uid_store(c, uidset, true, "\\Deleted", 0, err);
	if (f == IMAP_FAIL_NONE)
		f = imap_expunge(c, uidset, err);
	return f;
}

enum imap_fail
imap_expunge(struct imap_conn *c, const char *uidset, struct imap_error *err)
{
	struct imap_cmd cmd;

	if (uidset == NULL) {
		imap_cmd_init(&cmd, c, "EXPUNGE");
		return run_simple(c, &cmd, NULL, NULL, NULL, err);
	}
	if (!uidset_valid(uidset))
		return bad_arg(err);
	if (!imap_conn_has_cap(c, "UIDPLUS")) {
		imap_error_set(err, IMAP_FAIL_UNSUPPORTED, "server does not offer UIDPLUS");
		return IMAP_FAIL_UNSUPPORTED;
	}
	imap_cmd_init(&cmd, c, "UID EXPUNGE");
	imap_cmd_atom(&cmd, uidset);
	return run_simple(c, &cmd, NULL, NULL, NULL, err);
}

/* --- APPEND, CREATE, DELETE, RENAME --- */

enum imap_fail
imap_append(struct imap_conn *c, const char *name, const char *flags, struct slice message,
	    uint32_t appenduid_r[2], struct imap_error *err)
{
	struct imap_cmd cmd;
	uint32_t nums[2] = {0, 0};
	enum imap_fail f;

	if ((flags != NULL && !flags_valid(flags)) || message.len == 0 ||
	    message.len > LIM_IMAP_LITERAL) {
		imap_error_set(err, IMAP_FAIL_INVALID, "invalid APPEND arguments");
		return IMAP_FAIL_INVALID;
	}
	imap_cmd_init(&cmd, c, "APPEND");
	imap_cmd_mailbox(&cmd, sl_from_cstr(name));
	if (flags != NULL)
		imap_cmd_atomf(&cmd, "(%s)", flags);
	/* The message is always a literal: it has CRLFs (and may have NULs,
	 * which imap_cmd_string refuses, so it is written here). */
	if (memchr(message.p, '\0', message.len) != NULL) {
		imap_cmd_free(&cmd);
		imap_error_set(err, IMAP_FAIL_INVALID, "message contains NUL");
		return IMAP_FAIL_INVALID;
	}
	if (imap_conn_has_cap(c, "LITERAL+")) {
		buf_appendf(&cmd.b, " {%zu+}\r\n", message.len);
	} else {
		buf_appendf(&cmd.b, " {%zu}\r\n", message.len);
		cmd.sync[cmd.n_sync++] = cmd.b.len;
	}
	buf_append(&cmd.b, message.p, message.len);
	f = run_simple(c, &cmd, NULL, NULL, nums, err);
	if (appenduid_r != NULL) {
		appenduid_r[0] = nums[0];
		appenduid_r[1] = nums[1];
	}
	return f;
}

static enum imap_fail
mailbox_cmd(struct imap_conn *c, const char *verb, const char *a, const char *b,
	    struct imap_error *err)
{
	struct imap_cmd cmd;

	imap_cmd_init(&cmd, c, verb);
	imap_cmd_mailbox(&cmd, sl_from_cstr(a));
	if (b != NULL)
		imap_cmd_mailbox(&cmd, sl_from_cstr(b));
	return run_simple(c, &cmd, NULL, NULL, NULL, err);
}

enum imap_fail
imap_create(struct imap_conn *c, const char *name, struct imap_error *err)
{
	return mailbox_cmd(c, "CREATE", name, NULL, err);
}

enum imap_fail
imap_delete(struct imap_conn *c, const char *name, struct imap_error *err)
{
	return mailbox_cmd(c, "DELETE", name, NULL, err);
}

enum imap_fail
imap_rename(struct imap_conn *c, const char *from, const char *to, struct imap_error *err)
{
	return mailbox_cmd(c, "RENAME", from, to, err);
}

/* --- IDLE --- */

enum imap_fail
imap_idle(struct imap_conn *c, unsigned wait_ms, bool *changed_r, struct imap_error *err)
{
	struct imap_cmd cmd;
	const struct imap_resp *r;
	enum imap_fail f;
	int64_t until;
	bool done_sent = false;

	*changed_r = false;
	if (!imap_conn_has_cap(c, "IDLE")) {
		imap_error_set(err, IMAP_FAIL_UNSUPPORTED, "server does not offer IDLE");
		return IMAP_FAIL_UNSUPPORTED;
	}
	imap_cmd_init(&cmd, c, "IDLE");
	f = imap_conn_send_line(c, buf_slice(&cmd.b), err);
	until = imap_now_ms() + wait_ms;
	while (f == IMAP_FAIL_NONE) {
		/* Before DONE, the end of our own wait is not an error; after
		 * it the server has a command timeout to finish. */
		f = imap_conn_read_soft(c, done_sent ? imap_now_ms() + (int64_t)LIM_IMAP_COMMAND_S * 1000
						     : until,
					!done_sent, &r, err);
		if (f == IMAP_FAIL_TIMEOUT && !done_sent) {
			f = imap_conn_send_line(c, SL_LIT("DONE"), err);
			done_sent = true;
			continue;
		}
		if (f != IMAP_FAIL_NONE)
			break;
		if (r->kind == IMAP_RESP_TAGGED) {
			if (!sl_eq_cstr(r->tag, cmd.tag) || r->cond != IMAP_OK) {
				imap_error_set(err, IMAP_FAIL_PROTOCOL, "IDLE refused");
				f = IMAP_FAIL_PROTOCOL;
			}
			break;
		}
		if (r->kind == IMAP_RESP_CONTINUE)
			continue;
		if (r->type == IMAP_U_COND && r->cond == IMAP_BYE) {
			imap_error_set(err, IMAP_FAIL_CONN_LOST, "server closed");
			f = IMAP_FAIL_CONN_LOST;
			break;
		}
		if (r->type != IMAP_U_COND) {
			*changed_r = true;
			if (!done_sent) {
				f = imap_conn_send_line(c, SL_LIT("DONE"), err);
				done_sent = true;
			}
		}
	}
	imap_cmd_free(&cmd);
	return f;
}
