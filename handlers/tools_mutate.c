/* The mutating tools (DESIGN §4.3; docs/tools.md "Changing mail"):
 * flags and labels (RFC 3501 §6.4.6 STORE), moves (RFC 6851 MOVE, else
 * RFC 4315 UIDPLUS COPY + STORE + UID EXPUNGE), delete to \Trash (RFC 6154),
 * expunge, and CREATE / RENAME / DELETE of folders.
 *
 * run() validates every argument and the guards that need no server data
 * (expunge allow-list), then posts ONE job to the account's worker; the job
 * selects, re-checks UIDVALIDITY, lists folders where the guards need the
 * server's special-use folders, and only then changes anything. A refusal
 * decided on the worker leaves the server untouched. Jobs are never retried
 * (job.idempotent = false): a dropped connection part-way is reported, not
 * replayed. Messages never echo mail content, folder names from the server
 * or server text beyond imap/'s filtered error texts.
 *
 * The same job keeps cache.db equal to the server (DESIGN §7) once the
 * change is made: sync_folder_now for every folder whose messages changed
 * (source and destination of a move, \Trash for delete_message), and a
 * renamed or deleted folder leaves the cache with everything below it. So
 * the next search agrees without waiting for the idle sync. */
#include "handlers/tools_mutate.h"

#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/buf.h"
#include "base/limits.h"
#include "base/log.h"
#include "handlers/call.h"
#include "handlers/policy.h"
#include "handlers/toolkit.h"
#include "handlers/tools.h"
#include "imap/cmd.h"
#include "imap/sync.h"
#include "imap/uidset.h"
#include "imap/worker.h"
#include "base/config.h"
#include "store/cache.h"

enum mut_op {
	OP_STORE,  /* mark_read … remove_label */
	OP_MOVE,   /* move_message */
	OP_TRASH,  /* delete_message */
	OP_EXPUNGE,
	OP_CREATE,
	OP_RENAME,
	OP_DELETE, /* delete_folder */
};

struct mut_job {
	struct tk_job tk; /* first */
	const struct cfg_account *acct; /* borrowed: the config outlives the workers */
	enum mut_op op;
	/* inputs, validated in run() */
	bool add;
	char flag[LIM_LABEL + 1];
	char folder[LIM_FOLDER_ARG + 1];
	char target[LIM_FOLDER_ARG + 1]; /* move destination, new folder name */
	uint32_t uids[LIM_TOOL_UIDS];
	size_t n_uids;
	uint32_t expected_uidvalidity; /* 0: not given */
	/* outcome */
	enum tool_err code; /* a refusal decided on the worker (NONE: none); static message */
	const char *msg;
	uint32_t uidvalidity;
	uint32_t *done;   /* UIDs acted on (heap, ascending) */
	size_t n_done;
	uint32_t missing[LIM_TOOL_UIDS];
	size_t n_missing;
	bool expunged_all; /* expunge without uids: every \Deleted message */
	size_t n_expunged;
	bool fallback;
	char *trash; /* delete_message: the \Trash folder's name (server data) */
	char delim;  /* rename/delete_folder: the server's hierarchy delimiter */
	struct imap_copyuid cu;
};

static void
mut_job_free(struct tk_job *t)
{
	struct mut_job *j = (struct mut_job *)t;

	free(j->done);
	free(j->trash);
	free(j);
}

static void
refuse(struct mut_job *j, enum tool_err code, const char *msg)
{
	j->code = code;
	j->msg = msg;
}

/* --- worker side --- */

/* SELECT the folder read-write and hold the caller to its UIDVALIDITY. */
static bool
select_checked(struct mut_job *j, struct imap_conn *c, struct imap_error *err)
{
	struct imap_mailbox_state st;

	if (imap_select(c, j->folder, false, 0, 0, &st, err) != IMAP_FAIL_NONE)
		return false;
	j->uidvalidity = st.uidvalidity;
	if (j->expected_uidvalidity != 0 && st.uidvalidity != j->expected_uidvalidity) {
		refuse(j, TOOL_ERR_UID_VALIDITY_CHANGED,
		       "the folder's UIDVALIDITY differs from expected_uidvalidity: its UIDs "
		       "now name other messages; search again");
		return false;
	}
	return true;
}

/* prefix, the UID set of v[n] and suffix as a heap string; NULL on failure
 * (err set). */
static char *
uid_set(const char *prefix, const uint32_t *v, size_t n, const char *suffix,
	struct imap_error *err)
{
	struct buf b;
	bool ok;

	buf_init(&b, LIM_IMAP_ARG);
	buf_puts(&b, prefix);
	ok = imap_uidset_format(v, n, &b) == IG_OK;
	buf_puts(&b, suffix);
	if (!ok || buf_err(&b) != IG_OK) {
		buf_free(&b);
		imap_error_set(err, IMAP_FAIL_INTERNAL, "cannot build the UID set");
		return NULL;
	}
	return buf_take(&b);
}

/* Which of the requested UIDs exist (and match extra, e.g. " DELETED"):
 * j->done gets them, j->missing the rest. */
static bool
find_uids(struct mut_job *j, struct imap_conn *c, const char *extra, struct imap_error *err)
{
	char *crit = uid_set("UID ", j->uids, j->n_uids, extra, err);
	size_t i;
	size_t k = 0;
	bool ok;

	if (crit == NULL)
		return false;
	ok = imap_uid_search(c, crit, (struct slice){NULL, 0}, LIM_TOOL_UIDS, &j->done,
			     &j->n_done, err) == IMAP_FAIL_NONE;
	free(crit);
	if (!ok)
		return false;
	/* j->uids is sorted and unique (run() made it so), so is j->done */
	j->n_missing = 0;
	for (i = 0; i < j->n_uids; i++) {
		while (k < j->n_done && j->done[k] < j->uids[i])
			k++;
		if (k >= j->n_done || j->done[k] != j->uids[i])
			j->missing[j->n_missing++] = j->uids[i];
	}
	return true;
}

/* After select_checked: the UID set of the requested messages that exist,
 * as a heap string; NULL when none does (refused) or on failure (err set). */
static char *
found_set(struct mut_job *j, struct imap_conn *c, struct imap_error *err)
{
	if (!select_checked(j, c, err) || !find_uids(j, c, "", err))
		return NULL;
	if (j->n_done == 0) {
		refuse(j, TOOL_ERR_NOT_FOUND, "no such message in this folder");
		return NULL;
	}
	return uid_set("", j->done, j->n_done, "", err);
}

static const struct imap_folder *
folder_find(const struct imap_folder_list *l, const char *name)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		if (pol_folder_same(l->f[i].name, name))
			return &l->f[i];
	}
	return NULL;
}

/* The hierarchy delimiter: the named folder's, else the first one a folder
 * reports (servers use one per namespace; imapgate sees the personal one). */
static char
folder_delim(const struct imap_folder_list *l, const struct imap_folder *f)
{
	size_t i;

	if (f != NULL && f->delim != 0)
		return f->delim;
	for (i = 0; i < l->n; i++) {
		if (l->f[i].delim != 0)
			return l->f[i].delim;
	}
	return 0;
}

static const struct imap_folder *
folder_special(const struct imap_folder_list *l, const char *use)
{
	size_t i;
	size_t k;

	for (i = 0; i < l->n; i++) {
		for (k = 0; k < l->f[i].n_attrs; k++) {
			if (strcasecmp(l->f[i].attrs[k], use) == 0)
				return &l->f[i];
		}
	}
	return NULL;
}

static void
work_store(struct mut_job *j, struct imap_conn *c, struct imap_error *err)
{
	char *set = found_set(j, c, err);

	if (set != NULL)
		(void)imap_uid_store(c, set, j->add, j->flag, 0, err);
	free(set);
}

/* MOVE (or the UIDPLUS fallback) of the existing requested UIDs to dest. */
static void
move_to(struct mut_job *j, struct imap_conn *c, const char *dest, struct imap_error *err)
{
	char *set = found_set(j, c, err);

	if (set != NULL)
		(void)imap_uid_move(c, set, dest, &j->cu, &j->fallback, err);
	free(set);
}

static void
work_trash(struct mut_job *j, struct imap_conn *c, struct imap_error *err)
{
	struct imap_folder_list l = {NULL, 0};
	const struct imap_folder *t;
	size_t skipped = 0;

	if (imap_list_folders(c, false, &l, &skipped, err) != IMAP_FAIL_NONE)
		goto out;
	t = folder_special(&l, "\\Trash");
	if (t == NULL) {
		refuse(j, TOOL_ERR_NOT_FOUND,
		       "the account has no \\Trash folder (SPECIAL-USE); use move_message");
		goto out;
	}
	if (pol_folder_same(t->name, j->folder)) {
		refuse(j, TOOL_ERR_INVALID_INPUT,
		       "the messages are already in the \\Trash folder; nothing was changed "
		       "(expunge removes them for good where the operator allows it)");
		goto out;
	}
	j->trash = strdup(t->name);
	if (j->trash == NULL) {
		imap_error_set(err, IMAP_FAIL_INTERNAL, "out of memory");
		goto out;
	}
	move_to(j, c, t->name, err);
out:
	imap_folder_list_free(&l);
}

static void
work_expunge(struct mut_job *j, struct imap_conn *c, struct imap_error *err)
{
	char *set;

	if (!select_checked(j, c, err))
		return;
	if (j->n_uids == 0) {
		/* the whole folder: report what is marked, then EXPUNGE */
		j->expunged_all = true;
		if (imap_uid_search(c, "DELETED", (struct slice){NULL, 0}, LIM_EXPUNGE_COUNT,
				    &j->done, &j->n_done, err) != IMAP_FAIL_NONE)
			return;
		if (imap_expunge(c, NULL, err) == IMAP_FAIL_NONE)
			j->n_expunged = j->n_done;
		return;
	}
	if (!imap_conn_has_cap(c, "UIDPLUS")) {
		imap_error_set(err, IMAP_FAIL_UNSUPPORTED,
			       "the server lacks UIDPLUS: expunging only some UIDs is impossible");
		return;
	}
	if (!find_uids(j, c, " DELETED", err) || j->n_done == 0)
		return;
	set = uid_set("", j->done, j->n_done, "", err);
	if (set == NULL)
		return;
	if (imap_expunge(c, set, err) == IMAP_FAIL_NONE)
		j->n_expunged = j->n_done;
	free(set);
}

/* *code_r = code; returns why (NULL: no refusal). */
static const char *
deny(enum tool_err *code_r, enum tool_err code, const char *why)
{
	*code_r = code;
	return why;
}

/* The guards of a folder operation that need the server's folder list l
 * (f: the folder named by the call, or NULL): NULL when it may go ahead,
 * else the refusal's message and its code in *code_r. */
static const char *
folder_guard(const struct mut_job *j, const struct imap_folder_list *l,
	     const struct imap_folder *f, enum tool_err *code_r)
{
	const char *why;

	switch (j->op) {
	case OP_CREATE:
		if (f != NULL)
			return deny(code_r, TOOL_ERR_INVALID_INPUT, "a folder with this name exists");
		return deny(code_r, TOOL_ERR_INVALID_INPUT, pol_folder_path_check(j->folder, j->delim));
	case OP_RENAME:
		if (f == NULL)
			return deny(code_r, TOOL_ERR_NOT_FOUND, "no such folder");
		why = pol_rename_check(j->acct, l, j->delim, j->folder, j->target);
		if (why != NULL)
			return deny(code_r, TOOL_ERR_PROTECTED_FOLDER, why);
		if (folder_find(l, j->target) != NULL)
			return deny(code_r, TOOL_ERR_INVALID_INPUT, "a folder with the new name exists");
		return deny(code_r, TOOL_ERR_INVALID_INPUT, pol_folder_path_check(j->target, j->delim));
	case OP_DELETE:
		/* protection first: a protected folder is refused as such even
		 * when it is also on the expunge allow-list */
		why = pol_delete_check(j->acct, l, j->delim, j->folder);
		if (why != NULL)
			return deny(code_r, TOOL_ERR_PROTECTED_FOLDER, why);
		if (!pol_folder_expungeable(j->acct, j->folder))
			return deny(code_r, TOOL_ERR_EXPUNGE_DENIED,
				    "delete_folder may only act on folders in the account's "
				    "expunge_folders list");
		if (f == NULL)
			return deny(code_r, TOOL_ERR_NOT_FOUND, "no such folder");
		return NULL;
	default:
		return NULL;
	}
}

static void
work_folder(struct mut_job *j, struct imap_conn *c, struct imap_error *err)
{
	struct imap_folder_list l = {NULL, 0};
	const struct imap_folder *f;
	enum tool_err code = TOOL_ERR_NONE;
	const char *why;
	size_t skipped = 0;

	if (imap_list_folders(c, false, &l, &skipped, err) != IMAP_FAIL_NONE)
		goto out;
	f = folder_find(&l, j->folder);
	j->delim = folder_delim(&l, f);
	why = folder_guard(j, &l, f, &code);
	if (why != NULL) {
		refuse(j, code, why);
		goto out;
	}
	switch (j->op) {
	case OP_CREATE:
		(void)imap_create(c, j->folder, err);
		break;
	case OP_RENAME:
		(void)imap_rename(c, j->folder, j->target, err);
		break;
	case OP_DELETE:
		(void)imap_delete(c, j->folder, err);
		break;
	default:
		imap_error_set(err, IMAP_FAIL_INTERNAL, "bad operation");
		break;
	}
out:
	imap_folder_list_free(&l);
}

/* After a change: folder's cache rows brought up to date on this
 * connection. A failure here is logged, not returned: the change is made
 * and must not look undone (or be retried); the next search's own
 * freshness check catches the cache up. */
static void
cache_sync(struct sync *s, struct imap_conn *c, const char *folder)
{
	struct imap_error e = {.fail = IMAP_FAIL_NONE};

	if (sync_folder_now(s, c, folder, &e) != IMAP_FAIL_NONE)
		log_warn(0, "msg=\"cache not updated after a change\" error=%s",
			 imap_fail_str(e.fail));
}

/* After RENAME or DELETE: the folder and everything below it leave the
 * cache (their rows would name folders that no longer exist); a renamed
 * folder that was cached is synced again under its new name. */
static void
cache_forget(struct mut_job *j, struct sync *s, struct imap_conn *c)
{
	struct cache *cache = sync_cache(s);
	struct slice acc = sl_from_cstr(j->tk.account);
	struct cache_folder f;
	bool had = false;

	if (cache == NULL)
		return;
	had = cache_folder_get(cache, acc, sl_from_cstr(j->folder), &f) == IG_OK;
	if (cache_begin(cache) != IG_OK ||
	    cache_folder_drop_tree(cache, acc, sl_from_cstr(j->folder), j->delim) != IG_OK ||
	    cache_commit(cache) != IG_OK) {
		/* stale rows heal themselves: a search of a folder the server
		 * no longer has drops its rows */
		cache_rollback(cache);
		log_warn(0, "msg=\"cache rows of a renamed or deleted folder not dropped\"");
		return;
	}
	sync_folders_changed(s);
	if (j->op == OP_RENAME && had)
		cache_sync(s, c, j->target);
}

static void
mut_cache(struct mut_job *j, struct imap_conn *c)
{
	struct sync *s = sync_of_job(&j->tk.job);

	if (s == NULL)
		return;
	switch (j->op) {
	case OP_STORE:
	case OP_EXPUNGE:
		cache_sync(s, c, j->folder);
		break;
	case OP_MOVE:
	case OP_TRASH:
		cache_sync(s, c, j->folder);
		cache_sync(s, c, j->op == OP_MOVE ? j->target : j->trash);
		break;
	case OP_RENAME:
	case OP_DELETE:
		cache_forget(j, s, c);
		break;
	case OP_CREATE:
		break; /* a new folder holds nothing the cache could have */
	}
}

static void
mut_work(struct wk_job *job, struct imap_conn *c, struct imap_error *err)
{
	struct mut_job *j = (struct mut_job *)job;

	switch (j->op) {
	case OP_STORE:
		work_store(j, c, err);
		break;
	case OP_MOVE:
		move_to(j, c, j->target, err);
		break;
	case OP_TRASH:
		work_trash(j, c, err);
		break;
	case OP_EXPUNGE:
		work_expunge(j, c, err);
		break;
	case OP_CREATE:
	case OP_RENAME:
	case OP_DELETE:
		work_folder(j, c, err);
		break;
	}
	if (err->fail == IMAP_FAIL_NONE && j->code == TOOL_ERR_NONE)
		mut_cache(j, c);
}

/* --- results --- */

static struct json_object *
u32_array(const uint32_t *v, size_t n)
{
	struct json_object *a = json_object_new_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_object_array_add(a, json_object_new_int64(v[i]));
	return a;
}

/* meta of a change to messages: the folder's UIDVALIDITY, the UIDs acted on
 * and those not found; with what each operation adds. */
static void
meta_messages(const struct mut_job *j, struct json_object *meta)
{
	json_object_object_add(meta, "uidvalidity", json_object_new_int64(j->uidvalidity));
	/* expunge of a whole folder may count more than a page of UIDs */
	json_object_object_add(meta, "uids",
			       u32_array(j->done, j->n_done < LIM_TOOL_UIDS ? j->n_done
									: LIM_TOOL_UIDS));
	if (j->n_done > LIM_TOOL_UIDS)
		json_object_object_add(meta, "uids_truncated", json_object_new_boolean(1));
	json_object_object_add(meta, "missing_uids", u32_array(j->missing, j->n_missing));
	if (j->op == OP_STORE) {
		json_object_object_add(meta, "flag", json_object_new_string(j->flag));
		json_object_object_add(meta, "action",
				       json_object_new_string(j->add ? "added" : "removed"));
	}
	if (j->op == OP_EXPUNGE) {
		json_object_object_add(meta, "expunged_count",
				       json_object_new_int64((int64_t)j->n_expunged));
		json_object_object_add(meta, "all_deleted", json_object_new_boolean(j->expunged_all));
	}
}

/* What a move (move_message, delete_message) adds to the result out and
 * its meta: the new UIDs, the destination, the fallback's warning. */
static void
meta_move(const struct mut_job *j, struct json_object *out, struct json_object *meta)
{
	struct json_object *nu = json_object_new_array();
	size_t i;

	for (i = 0; i < j->n_done; i++) {
		uint32_t d = imap_copyuid_lookup(&j->cu, j->done[i]);

		json_object_array_add(nu, d != 0 ? json_object_new_int64(d) : NULL);
	}
	json_object_object_add(meta, "new_uids", nu);
	json_object_object_add(meta, "destination_uidvalidity",
			       j->cu.uidvalidity != 0 ? json_object_new_int64(j->cu.uidvalidity)
						      : NULL);
	json_object_object_add(meta, "server_non_atomic_move_fallback",
			       json_object_new_boolean(j->fallback));
	if (j->op == OP_MOVE) {
		json_object_object_add(meta, "destination", json_object_new_string(j->target));
	} else {
		struct json_object *u = json_object_new_object();
		char *name = tk_name_filter(j->trash);

		/* the \Trash folder's name is the server's text */
		json_object_object_add(meta, "destination_special_use",
				       json_object_new_string("\\Trash"));
		json_object_object_add(u, "destination",
				       json_object_new_string(name != NULL ? name : ""));
		free(name);
		json_object_object_add(out, "untrusted", u);
	}
	if (j->fallback) {
		struct json_object *w = json_object_new_array();
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "code",
				       json_object_new_string("server_non_atomic_move_fallback"));
		json_object_object_add(o, "detail",
				       json_object_new_string("the server has no MOVE: the messages "
							      "were copied, flagged \\Deleted and "
							      "expunged by UID (UIDPLUS); not atomic"));
		json_object_object_add(o, "location", json_object_new_string("move"));
		json_object_array_add(w, o);
		json_object_object_add(out, "security_warnings", w);
	}
}

static void
mut_done(struct wk_job *job, const struct imap_error *err)
{
	struct mut_job *j = (struct mut_job *)job;
	struct json_object *out;
	struct json_object *meta;

	if (err->fail != IMAP_FAIL_NONE || j->code != TOOL_ERR_NONE) {
		if (err->fail != IMAP_FAIL_NONE)
			tk_imap_error(j->tk.call, err);
		else
			tool_call_error(j->tk.call, j->code, j->msg);
		tk_job_finish(&j->tk);
		return;
	}
	out = json_object_new_object();
	meta = json_object_new_object();
	json_object_object_add(meta, "account", json_object_new_string(j->tk.account));
	json_object_object_add(meta, "folder", json_object_new_string(j->folder));
	switch (j->op) {
	case OP_CREATE:
		json_object_object_add(meta, "created", json_object_new_boolean(1));
		break;
	case OP_RENAME:
		json_object_object_add(meta, "new_name", json_object_new_string(j->target));
		json_object_object_add(meta, "renamed", json_object_new_boolean(1));
		break;
	case OP_DELETE:
		json_object_object_add(meta, "deleted", json_object_new_boolean(1));
		break;
	case OP_MOVE:
	case OP_TRASH:
		meta_messages(j, meta);
		meta_move(j, out, meta);
		break;
	case OP_STORE:
	case OP_EXPUNGE:
		meta_messages(j, meta);
		break;
	}
	json_object_object_add(out, "meta", meta);
	tk_job_reply(&j->tk, out, NULL);
}

/* --- argument checks (run on the executor thread, before any I/O) --- */

static const char *
arg_string(struct json_object *args, const char *key)
{
	struct json_object *v = NULL;

	if (!json_object_object_get_ex(args, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static bool
u32_value(struct json_object *v, uint32_t *out)
{
	int64_t x;

	if (!json_object_is_type(v, json_type_int))
		return false;
	x = json_object_get_int64(v);
	if (x < 1 || x > (int64_t)UINT32_MAX)
		return false;
	*out = (uint32_t)x;
	return true;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a;
	uint32_t y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* uid or uids (not both): 1..LIM_TOOL_UIDS unique UIDs, sorted into j. */
static const char *
args_uids(struct json_object *args, struct mut_job *j, bool required)
{
	struct json_object *one = NULL;
	struct json_object *many = NULL;
	bool has_one = json_object_object_get_ex(args, "uid", &one);
	bool has_many = json_object_object_get_ex(args, "uids", &many);
	size_t i;
	size_t n;

	if (has_one && has_many)
		return "give `uid` or `uids`, not both";
	if (!has_one && !has_many)
		return required ? "`uid` or `uids` is required" : NULL;
	if (has_one) {
		if (!u32_value(one, &j->uids[0]))
			return "`uid` must be an integer from 1 to 4294967295";
		j->n_uids = 1;
		return NULL;
	}
	if (!json_object_is_type(many, json_type_array))
		return "`uids` must be an array of integers";
	n = json_object_array_length(many);
	if (n == 0 || n > LIM_TOOL_UIDS)
		return "`uids` must hold 1 to 100 UIDs";
	for (i = 0; i < n; i++) {
		if (!u32_value(json_object_array_get_idx(many, i), &j->uids[i]))
			return "`uids` must hold integers from 1 to 4294967295";
	}
	qsort(j->uids, n, sizeof(j->uids[0]), cmp_u32);
	for (i = 1; i < n; i++) {
		if (j->uids[i] == j->uids[i - 1])
			return "`uids` must not repeat a UID";
	}
	j->n_uids = n;
	return NULL;
}

static const char *
args_folder(const char *value, const char *missing, char out[LIM_FOLDER_ARG + 1])
{
	const char *why;

	if (value == NULL)
		return missing;
	why = pol_folder_name_check(value);
	if (why != NULL)
		return why;
	(void)snprintf(out, LIM_FOLDER_ARG + 1, "%s", value);
	return NULL;
}

/* The second folder of a move or rename (argument key) into j->target: a
 * valid name that is not j->folder's. */
static const char *
args_target(struct json_object *args, struct mut_job *j, const char *key, const char *missing,
	    const char *same)
{
	const char *why = args_folder(arg_string(args, key), missing, j->target);

	if (why == NULL && pol_folder_same(j->folder, j->target))
		why = same;
	return why;
}

struct mut_spec {
	enum mut_op op;
	const char *flag; /* OP_STORE: the system flag, or NULL: the `label` argument */
	bool add;
};

static void
mut_run(struct tool_call *call, const struct mut_spec *spec)
{
	struct json_object *args = tool_call_args(call);
	const char *account = tk_account_resolve(call);
	enum tool_err code = TOOL_ERR_INVALID_INPUT;
	const char *why = NULL;
	struct json_object *v = NULL;
	struct mut_job *j;

	if (account == NULL)
		return;
	j = tk_job_new(call, sizeof(*j), mut_work, mut_done, mut_job_free);
	if (j == NULL)
		return;
	j->op = spec->op;
	j->add = spec->add;
	j->acct = tool_call_account(call);
	why = args_folder(arg_string(args, "folder"), "`folder` is required", j->folder);
	if (why == NULL && (spec->op == OP_STORE || spec->op == OP_MOVE || spec->op == OP_TRASH ||
			    spec->op == OP_EXPUNGE))
		why = args_uids(args, j, spec->op != OP_EXPUNGE);
	if (why == NULL && json_object_object_get_ex(args, "expected_uidvalidity", &v) &&
	    !u32_value(v, &j->expected_uidvalidity))
		why = "`expected_uidvalidity` must be an integer from 1 to 4294967295";
	if (why == NULL && spec->op == OP_STORE) {
		if (spec->flag != NULL) {
			(void)snprintf(j->flag, sizeof(j->flag), "%s", spec->flag);
		} else {
			const char *label = arg_string(args, "label");

			why = label == NULL ? "`label` is required" : pol_keyword_check(label);
			if (why == NULL)
				(void)snprintf(j->flag, sizeof(j->flag), "%s", label);
		}
	}
	if (why == NULL && spec->op == OP_MOVE)
		why = args_target(args, j, "destination", "`destination` is required",
				  "`destination` is the folder the messages are in");
	if (why == NULL && spec->op == OP_RENAME)
		why = args_target(args, j, "new_name", "`new_name` is required",
				  "`new_name` is the folder's current name");
	/* The allow-list needs no server data: refuse before any I/O. (For
	 * delete_folder the worker checks protection first, then this.) */
	if (why == NULL && spec->op == OP_EXPUNGE && !pol_folder_expungeable(j->acct, j->folder))
		why = deny(&code, TOOL_ERR_EXPUNGE_DENIED,
			   "expunge may only act on folders in the account's expunge_folders list");
	if (why != NULL) {
		mut_job_free(&j->tk);
		tool_call_error(call, code, why);
		return;
	}
	tk_job_post(call, &j->tk, account); /* never replayed after a drop (tk_job_new) */
}

/* --- definitions --- */

#define P_FOLDER(what)                                                                             \
	"\"folder\":{\"type\":\"string\",\"minLength\":1,\"maxLength\":255,\"description\":\"" what \
	"\"}"
#define P_UIDS                                                                                     \
	"\"uid\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":4294967295,\"description\":"    \
	"\"One message UID (from search). Give uid or uids, not both.\"},"                         \
	"\"uids\":{\"type\":\"array\",\"items\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":"  \
	"4294967295},\"minItems\":1,\"maxItems\":100,\"uniqueItems\":true,\"description\":"        \
	"\"Up to 100 message UIDs in the folder.\"},"                                              \
	"\"expected_uidvalidity\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":4294967295,"   \
	"\"description\":\"The folder's UIDVALIDITY the UIDs were read under (search meta); "     \
	"when the server's differs nothing is changed (ERR_UID_VALIDITY_CHANGED).\"}"
#define SCHEMA(props, req)                                                                         \
	"{\"type\":\"object\",\"properties\":{" props "},\"required\":[" req                       \
	"],\"additionalProperties\":false}"

/* the arguments naming messages: account, folder and uid/uids */
#define MSG_PROPS TK_SCHEMA_ACCOUNT "," P_FOLDER("Folder holding the messages.") "," P_UIDS
#define MSG_SCHEMA SCHEMA(MSG_PROPS, "\"folder\"")
#define LABEL_SCHEMA                                                                               \
	SCHEMA(MSG_PROPS ",\"label\":{\"type\":\"string\",\"minLength\":1,\"maxLength\":256,"    \
			 "\"description\":\"An IMAP keyword: printable ASCII without space or "   \
			 "( ) { % * \\\" \\\\ ]; system flags (\\\\Seen ...) are refused.\"}",   \
	       "\"folder\",\"label\"")

#define MSG_OUT                                                                                    \
	"{\"type\":\"object\",\"properties\":{\"meta\":{\"type\":\"object\",\"properties\":{"    \
	"\"account\":{\"type\":\"string\"},\"folder\":{\"type\":\"string\"},\"uidvalidity\":"     \
	"{\"type\":\"integer\"},\"uids\":{\"type\":\"array\",\"items\":{\"type\":\"integer\"}},"  \
	"\"missing_uids\":{\"type\":\"array\",\"items\":{\"type\":\"integer\"}}},\"required\":"   \
	"[\"account\",\"folder\",\"uidvalidity\",\"uids\",\"missing_uids\"]}},\"required\":"     \
	"[\"meta\"]}"
#define FOLDER_OUT                                                                                 \
	"{\"type\":\"object\",\"properties\":{\"meta\":{\"type\":\"object\",\"properties\":{"    \
	"\"account\":{\"type\":\"string\"},\"folder\":{\"type\":\"string\"}},\"required\":"       \
	"[\"account\",\"folder\"]}},\"required\":[\"meta\"]}"

/* Every argument is audited verbatim: folder names, UIDs and keywords are
 * what the audit log exists to show. */
#define RULE(nm) {nm, ARG_AUDIT_VERBATIM, POSTURE_READONLY}
#define MSG_RULES                                                                                  \
	RULE("account"), RULE("folder"), RULE("uid"), RULE("uids"), RULE("expected_uidvalidity")

static const struct tool_arg_rule msg_rules[] = {MSG_RULES, {NULL, 0, 0}};
static const struct tool_arg_rule label_rules[] = {MSG_RULES, RULE("label"), {NULL, 0, 0}};
static const struct tool_arg_rule move_rules[] = {MSG_RULES, RULE("destination"), {NULL, 0, 0}};
static const struct tool_arg_rule folder_rules[] = {RULE("account"), RULE("folder"), {NULL, 0, 0}};
static const struct tool_arg_rule rename_rules[] = {RULE("account"), RULE("folder"),
						    RULE("new_name"), {NULL, 0, 0}};

/* One tool named var: var##_run hands mut_run the spec {op, flag, add}; the
 * tool_def var has output schema out, argument rules, hints and minimum
 * posture as given, the write rate class and one account per call; the
 * variable arguments are its .title, .description and .input_schema. */
#define MUT_TOOL(var, op, flag, add, out, rules, hints_, posture, ...)                            \
	static void var##_run(struct tool_call *call)                                              \
	{                                                                                          \
		static const struct mut_spec spec = {op, flag, add};                               \
		mut_run(call, &spec);                                                              \
	}                                                                                          \
	static const struct tool_def var = {                                                       \
		.name = #var,                                                                      \
		__VA_ARGS__,                                                                       \
		.output_schema = out,                                                              \
		.hints = hints_,                                                                   \
		.min_posture = posture,                                                            \
		.rate_class = TOOL_RATE_WRITE,                                                     \
		.account_scoped = true,                                                            \
		.args = rules,                                                                     \
		.run = var##_run,                                                                  \
	}

#define UIDS_NOTE                                                                                  \
	" Takes uid or uids (up to 100) from search in folder; UIDs not in the folder are "       \
	"reported in missing_uids. With expected_uidvalidity, nothing changes if the folder's "    \
	"UIDVALIDITY differs."

/* A system flag or a label set or removed: idempotent, draft-safe. */
#define STORE_TOOL(var, flag, add, schema, rules, ttl, desc)                                       \
	MUT_TOOL(var, OP_STORE, flag, add, MSG_OUT, rules, TOOL_IDEMPOTENT | TOOL_OPEN_WORLD,      \
		 POSTURE_DRAFT_SAFE, .title = (ttl), .description = desc UIDS_NOTE,                \
		 .input_schema = (schema)) /* NOLINT(bugprone-macro-parentheses): desc is pasted */

STORE_TOOL(mark_read, "\\Seen", true, MSG_SCHEMA, msg_rules, "Mark messages read",
	   "Sets the \\Seen flag on messages.");
STORE_TOOL(mark_unread, "\\Seen", false, MSG_SCHEMA, msg_rules, "Mark messages unread",
	   "Removes the \\Seen flag from messages.");
STORE_TOOL(flag, "\\Flagged", true, MSG_SCHEMA, msg_rules, "Flag messages",
	   "Sets the \\Flagged flag (star) on messages.");
STORE_TOOL(unflag, "\\Flagged", false, MSG_SCHEMA, msg_rules, "Unflag messages",
	   "Removes the \\Flagged flag (star) from messages.");
STORE_TOOL(add_label, NULL, true, LABEL_SCHEMA, label_rules, "Add a label",
	   "Adds an IMAP keyword (label) to messages. Keywords are ASCII atoms; "
	   "system flags are refused (use mark_read/flag).");
STORE_TOOL(remove_label, NULL, false, LABEL_SCHEMA, label_rules, "Remove a label",
	   "Removes an IMAP keyword (label) from messages.");

MUT_TOOL(move_message, OP_MOVE, NULL, false, MSG_OUT, move_rules, TOOL_OPEN_WORLD,
	 POSTURE_DRAFT_SAFE, .title = "Move messages",
	 .description = "Moves messages to another folder (IMAP MOVE; on servers without MOVE: "
			"COPY, \\Deleted and UID EXPUNGE of exactly these UIDs, which needs "
			"UIDPLUS, and meta.server_non_atomic_move_fallback is true). "
			"meta.new_uids gives each moved message's UID in the destination "
			"(null when the server does not say)." UIDS_NOTE,
	 .input_schema = SCHEMA(MSG_PROPS ",\"destination\":{\"type\":\"string\",\"minLength\":1,"
					  "\"maxLength\":255,\"description\":\"Folder to move "
					  "them to (must exist).\"}",
				"\"folder\",\"destination\""));

MUT_TOOL(delete_message, OP_TRASH, NULL, false, MSG_OUT, msg_rules,
	 TOOL_DESTRUCTIVE | TOOL_OPEN_WORLD, POSTURE_FULL, .title = "Delete messages (to Trash)",
	 .description = "Moves messages to the account's \\Trash folder (SPECIAL-USE); nothing "
			"is erased. Messages already in \\Trash are refused "
			"(ERR_INVALID_INPUT); erasing for good is expunge." UIDS_NOTE,
	 .input_schema = MSG_SCHEMA);

MUT_TOOL(expunge, OP_EXPUNGE, NULL, false, MSG_OUT, msg_rules,
	 TOOL_DESTRUCTIVE | TOOL_IDEMPOTENT | TOOL_OPEN_WORLD, POSTURE_DESTRUCTIVE,
	 .title = "Expunge deleted messages",
	 .description = "Permanently removes messages marked \\Deleted from a folder: only those "
			"among uid/uids when given (UID EXPUNGE), else every one. Only on "
			"folders the operator lists in expunge_folders (else "
			"ERR_EXPUNGE_DENIED).",
	 .input_schema = SCHEMA(TK_SCHEMA_ACCOUNT "," P_FOLDER("Folder to expunge.") "," P_UIDS,
				"\"folder\""));

MUT_TOOL(create_folder, OP_CREATE, NULL, false, FOLDER_OUT, folder_rules, TOOL_OPEN_WORLD,
	 POSTURE_FULL, .title = "Create a folder",
	 .description = "Creates a folder. Use the server's hierarchy delimiter (list_folders) "
			"for subfolders; no empty levels, wildcards or control characters.",
	 .input_schema = SCHEMA(TK_SCHEMA_ACCOUNT "," P_FOLDER("Name of the new folder."),
				"\"folder\""));

MUT_TOOL(rename_folder, OP_RENAME, NULL, false, FOLDER_OUT, rename_rules, TOOL_OPEN_WORLD,
	 POSTURE_FULL, .title = "Rename a folder",
	 .description = "Renames a folder. Protected folders (INBOX, \\Sent, \\Drafts, \\Trash "
			"and the operator's protected_folders), folders containing one, and new "
			"names that are or lie inside a protected folder are refused "
			"(ERR_PROTECTED_FOLDER).",
	 .input_schema = SCHEMA(TK_SCHEMA_ACCOUNT "," P_FOLDER("Folder to rename.")
					",\"new_name\":{\"type\":\"string\",\"minLength\":1,"
					"\"maxLength\":255,\"description\":\"Its new name.\"}",
				"\"folder\",\"new_name\""));

MUT_TOOL(delete_folder, OP_DELETE, NULL, false, FOLDER_OUT, folder_rules,
	 TOOL_DESTRUCTIVE | TOOL_OPEN_WORLD, POSTURE_DESTRUCTIVE, .title = "Delete a folder",
	 .description = "Deletes a folder and the messages in it. Protected folders and their "
			"parents are refused (ERR_PROTECTED_FOLDER); other folders only when the "
			"operator lists them in expunge_folders (else ERR_EXPUNGE_DENIED).",
	 .input_schema = SCHEMA(TK_SCHEMA_ACCOUNT "," P_FOLDER("Folder to delete."), "\"folder\""));

static const struct tool_def *const mutate_tools[] = {
	&mark_read,    &mark_unread,   &flag,          &unflag,
	&add_label,    &remove_label,  &move_message,  &delete_message,
	&expunge,      &create_folder, &rename_folder, &delete_folder,
};

const struct tool_def *const *
tools_mutate(size_t *n_r)
{
	*n_r = sizeof(mutate_tools) / sizeof(mutate_tools[0]);
	return mutate_tools;
}
