/* Draft and send tools: create_draft, send_email, list_pending (DESIGN §4.3,
 * §10; docs/sending.md).
 *
 * An agent can only propose mail: create_draft APPENDs to \Drafts, and
 * send_email queues an outbox entry that a human approves outside the
 * agent's reach (imapgate outbox, the admin API). Inputs are validated
 * field by field (imap/compose.h); the recipient allow-list and the daily
 * quota apply before an entry exists. IMAP work (the parent of a reply,
 * the APPEND) runs as a job on the account's worker. */
#include "handlers/tools_send.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/buf.h"
#include "base/limits.h"
#include "base/log.h"
#include "handlers/call.h"
#include "handlers/send_audit.h"
#include "handlers/toolkit.h"
#include "handlers/tools.h"
#include "imap/cmd.h"
#include "imap/parse.h"
#include "imap/worker.h"
#include "base/config.h"
#include "imap/compose.h"
#include "store/outbox.h"
#include "store/state.h"

/* ---- arguments ------------------------------------------------------------ */

struct send_args {
	struct compose_addr to[LIM_SEND_RCPTS], cc[LIM_SEND_RCPTS], bcc[LIM_SEND_RCPTS];
	size_t n_to, n_cc, n_bcc;
	const char *subject;   /* NULL: only allowed for replies */
	const char *body_text;
	bool reply;
	char folder[LIM_IMAP_MAILBOX + 1];
	uint32_t uid;
};

/* A JSON string without NUL bytes, or NULL. Borrowed from o. */
static const char *
json_str(struct json_object *o)
{
	const char *s;

	if (o == NULL || !json_object_is_type(o, json_type_string))
		return NULL;
	s = json_object_get_string(o);
	if (strlen(s) != (size_t)json_object_get_string_len(o))
		return NULL;
	return s;
}

static const char *
addrs_parse(struct json_object *args, const char *key, struct compose_addr *v, size_t *n_r,
	    size_t *total)
{
	struct json_object *arr;
	size_t i;

	*n_r = 0;
	if (!json_object_object_get_ex(args, key, &arr))
		return NULL;
	if (!json_object_is_type(arr, json_type_array))
		return "recipients must be arrays of {name, address}";
	for (i = 0; i < json_object_array_length(arr); i++) {
		struct json_object *o = json_object_array_get_idx(arr, i);
		struct json_object *a = NULL;
		struct json_object *nm = NULL;

		if (!json_object_is_type(o, json_type_object))
			return "recipients must be arrays of {name, address}";
		json_object_object_foreach(o, k, val)
		{
			(void)val;
			if (strcmp(k, "name") != 0 && strcmp(k, "address") != 0)
				return "a recipient has an unknown field (only name, address)";
		}
		if (++*total > LIM_SEND_RCPTS)
			return "too many recipients";
		(void)json_object_object_get_ex(o, "address", &a);
		(void)json_object_object_get_ex(o, "name", &nm);
		v[*n_r].address = json_str(a);
		v[*n_r].name = nm != NULL ? json_str(nm) : "";
		if (v[*n_r].address == NULL || !compose_address_valid(v[*n_r].address))
			return "a recipient address is not a plain local@domain address";
		if (v[*n_r].name == NULL || !compose_header_text_valid(v[*n_r].name, LIM_SEND_NAME))
			return "a recipient name is too long or contains control characters";
		(*n_r)++;
	}
	return NULL;
}

static const char *
args_parse(struct json_object *args, struct send_args *a)
{
	struct json_object *v;
	size_t total = 0;
	const char *e;

	memset(a, 0, sizeof(*a));
	if ((e = addrs_parse(args, "to", a->to, &a->n_to, &total)) != NULL ||
	    (e = addrs_parse(args, "cc", a->cc, &a->n_cc, &total)) != NULL ||
	    (e = addrs_parse(args, "bcc", a->bcc, &a->n_bcc, &total)) != NULL)
		return e;
	if (a->n_to + a->n_cc == 0)
		return "at least one recipient in `to` or `cc` is required";
	if (json_object_object_get_ex(args, "subject", &v)) {
		a->subject = json_str(v);
		if (a->subject == NULL || !compose_header_text_valid(a->subject, LIM_SEND_SUBJECT))
			return "`subject` is too long, not UTF-8, or contains control characters";
	}
	if (!json_object_object_get_ex(args, "body_text", &v) || (a->body_text = json_str(v)) == NULL)
		return "`body_text` is required (a string without NUL)";
	if (strlen(a->body_text) > LIM_SEND_BODY)
		return "`body_text` is too long";
	if (json_object_object_get_ex(args, "in_reply_to", &v)) {
		struct json_object *f = NULL;
		struct json_object *u = NULL;
		const char *fs;
		int64_t uid;

		if (!json_object_is_type(v, json_type_object))
			return "`in_reply_to` must be {folder, uid}";
		json_object_object_foreach(v, k, val)
		{
			(void)val;
			if (strcmp(k, "folder") != 0 && strcmp(k, "uid") != 0)
				return "`in_reply_to` has an unknown field (only folder, uid)";
		}
		(void)json_object_object_get_ex(v, "folder", &f);
		(void)json_object_object_get_ex(v, "uid", &u);
		fs = json_str(f);
		if (fs == NULL || fs[0] == '\0' || strlen(fs) > LIM_IMAP_MAILBOX ||
		    !compose_header_text_valid(fs, LIM_IMAP_MAILBOX))
			return "`in_reply_to.folder` must be a folder name";
		if (u == NULL || !json_object_is_type(u, json_type_int))
			return "`in_reply_to.uid` must be an integer";
		uid = json_object_get_int64(u);
		if (uid < 1 || uid > UINT32_MAX)
			return "`in_reply_to.uid` is out of range";
		(void)snprintf(a->folder, sizeof(a->folder), "%s", fs);
		a->uid = (uint32_t)uid;
		a->reply = true;
	} else if (a->subject == NULL) {
		return "`subject` is required (except for replies)";
	}
	return NULL;
}

/* ---- shared IMAP job: the parent of a reply, then (drafts) APPEND ---------- */

struct send_job {
	struct tk_job tk; /* first */
	struct send_args a;
	struct json_object *args; /* a's strings point into it; owned ref */
	bool is_draft;
	const char *from;
	/* parent */
	struct buf parent_hdr;
	char *in_reply_to, *references, *parent_subject;
	/* draft result */
	char msgid[LIM_SEND_MSGID + 1];
	char drafts[LIM_IMAP_MAILBOX + 1];
	uint32_t appenduid[2];
	enum tool_err fail_code; /* set by the job for a non-IMAP failure (NONE: none) */
	const char *fail_msg;
};

static void
send_job_free(struct tk_job *t)
{
	struct send_job *j = (struct send_job *)t;

	buf_free(&j->parent_hdr);
	free(j->in_reply_to);
	free(j->references);
	free(j->parent_subject);
	json_object_put(j->args);
	free(j);
}

static enum ig_err
parent_cb(void *ctx, const struct imap_resp *r)
{
	struct send_job *j = ctx;

	if (r->kind == IMAP_RESP_UNTAGGED && r->type == IMAP_U_FETCH && r->u.fetch.has_section &&
	    !r->u.fetch.section_nil && j->parent_hdr.len == 0) {
		buf_append(&j->parent_hdr, r->u.fetch.section_data.p, r->u.fetch.section_data.len);
		if (buf_err(&j->parent_hdr) != IG_OK)
			return IG_ELIMIT;
	}
	return IG_OK;
}

/* Fetches the parent's threading headers; sets j->fail_* for a parent
 * that does not exist or has no Message-ID. */
static void
parent_fetch(struct send_job *j, struct imap_conn *c, struct imap_error *err)
{
	struct imap_mailbox_state ms;
	char uidset[16];
	enum ig_err e;

	if (imap_select(c, j->a.folder, true, 0, 0, &ms, err) != IMAP_FAIL_NONE)
		return;
	(void)snprintf(uidset, sizeof(uidset), "%u", j->a.uid);
	if (imap_uid_fetch(c, uidset, "(UID BODY.PEEK[HEADER.FIELDS (MESSAGE-ID REFERENCES SUBJECT)])",
			   0, false, parent_cb, j, err) != IMAP_FAIL_NONE)
		return;
	if (j->parent_hdr.len == 0) {
		j->fail_code = TOOL_ERR_NOT_FOUND;
		j->fail_msg = "the message in `in_reply_to` does not exist";
		return;
	}
	e = compose_reply_ids(buf_slice(&j->parent_hdr), &j->in_reply_to, &j->references,
			      &j->parent_subject);
	if (e != IG_OK) {
		j->fail_code = e == IG_ENOTFOUND ? TOOL_ERR_INVALID_INPUT : TOOL_ERR_INTERNAL;
		j->fail_msg = e == IG_ENOTFOUND ? "the message in `in_reply_to` has no usable "
						  "Message-ID to reply to"
						: "out of memory";
	}
}

/* Composes into out; sets j->fail_* on invalid input. */
static bool
compose(struct send_job *j, struct buf *out)
{
	struct compose_in in;
	char *subject = NULL;
	const char *error = NULL;
	enum ig_err e;

	memset(&in, 0, sizeof(in));
	in.from_address = j->from;
	in.to = j->a.to;
	in.n_to = j->a.n_to;
	in.cc = j->a.cc;
	in.n_cc = j->a.n_cc;
	in.body_text = j->a.body_text;
	in.date = (int64_t)time(NULL);
	if (j->a.reply) {
		subject = compose_reply_subject(j->a.subject != NULL ? j->a.subject
								      : j->parent_subject);
		if (subject == NULL) {
			j->fail_code = TOOL_ERR_INTERNAL;
			j->fail_msg = "out of memory";
			return false;
		}
		in.subject = subject;
		in.in_reply_to = j->in_reply_to;
		in.references = j->references;
	} else {
		in.subject = j->a.subject;
	}
	e = compose_build(&in, out, j->msgid, &error);
	free(subject);
	if (e != IG_OK) {
		j->fail_code = e == IG_ELIMIT ? TOOL_ERR_TOO_LARGE : TOOL_ERR_INVALID_INPUT;
		j->fail_msg = error;
		return false;
	}
	return true;
}

/* ---- create_draft ------------------------------------------------------------ */

static void
draft_work(struct wk_job *job, struct imap_conn *c, struct imap_error *err)
{
	struct send_job *j = (struct send_job *)job;
	struct imap_folder_list fl = {NULL, 0};
	struct buf msg;
	size_t skipped = 0;
	size_t i;

	buf_init(&msg, LIM_SEND_MESSAGE);
	if (j->a.reply) {
		parent_fetch(j, c, err);
		if (err->fail != IMAP_FAIL_NONE || j->fail_code != TOOL_ERR_NONE)
			goto out;
	}
	if (!compose(j, &msg))
		goto out;
	if (imap_list_folders(c, false, &fl, &skipped, err) != IMAP_FAIL_NONE)
		goto out;
	for (i = 0; i < fl.n; i++) {
		if (fl.f[i].special_use != NULL && strcasecmp(fl.f[i].special_use, "\\Drafts") == 0 &&
		    !fl.f[i].noselect) {
			(void)snprintf(j->drafts, sizeof(j->drafts), "%s", fl.f[i].name);
			break;
		}
	}
	if (j->drafts[0] == '\0') {
		j->fail_code = TOOL_ERR_NOT_FOUND;
		j->fail_msg = "the account has no \\Drafts folder (SPECIAL-USE)";
		goto out;
	}
	(void)imap_append(c, j->drafts, "\\Draft $PendingReview", buf_slice(&msg), j->appenduid,
			  err);
out:
	imap_folder_list_free(&fl);
	buf_free(&msg);
}

static void
draft_done(struct wk_job *job, const struct imap_error *err)
{
	struct send_job *j = (struct send_job *)job;
	struct json_object *out;
	struct json_object *meta;
	struct json_object *u;

	if (err->fail != IMAP_FAIL_NONE) {
		tk_imap_error(j->tk.call, err);
	} else if (j->fail_code != TOOL_ERR_NONE) {
		tool_call_error(j->tk.call, j->fail_code, j->fail_msg);
	} else {
		char *folder = tk_name_filter(j->drafts);

		out = json_object_new_object();
		meta = json_object_new_object();
		json_object_object_add(meta, "account", json_object_new_string(j->tk.account));
		/* the \Drafts folder's name is the server's: inside the fence */
		json_object_object_add(meta, "folder_special_use", json_object_new_string("\\Drafts"));
		json_object_object_add(meta, "uid", j->appenduid[1] != 0
							    ? json_object_new_int64(j->appenduid[1])
							    : NULL);
		json_object_object_add(meta, "uidvalidity",
				       j->appenduid[0] != 0 ? json_object_new_int64(j->appenduid[0])
							    : NULL);
		json_object_object_add(meta, "message_id", json_object_new_string(j->msgid));
		json_object_object_add(meta, "flags", json_object_new_string("\\Draft $PendingReview"));
		json_object_object_add(meta, "bcc_kept", json_object_new_boolean(false));
		json_object_object_add(out, "meta", meta);
		u = json_object_new_object();
		json_object_object_add(u, "folder", json_object_new_string(folder ? folder : ""));
		json_object_object_add(out, "untrusted", u);
		if (j->a.n_bcc > 0) {
			struct json_object *w = json_object_new_array();
			struct json_object *o = json_object_new_object();

			json_object_object_add(o, "code", json_object_new_string("draft_bcc_dropped"));
			json_object_object_add(o, "detail",
					       json_object_new_string("Bcc is never stored in a "
								      "message; use send_email to "
								      "send to Bcc recipients"));
			json_object_object_add(o, "location", json_object_new_string("bcc"));
			json_object_array_add(w, o);
			json_object_object_add(out, "security_warnings", w);
		}
		free(folder);
		tool_call_result(j->tk.call, tool_result_structured(out));
	}
	tk_job_finish(&j->tk);
}

static struct send_job *
job_new(struct tool_call *call, const char **account_r)
{
	const struct ig_config *cfg = tool_call_config(call);
	const char *account = tk_account_resolve(call);
	const struct cfg_account *acc;
	struct send_job *j;
	const char *e;

	if (account == NULL)
		return NULL;
	acc = config_account_find(cfg, account);
	j = calloc(1, sizeof(*j));
	if (j == NULL) {
		tool_call_error(call, TOOL_ERR_INTERNAL, "out of memory");
		return NULL;
	}
	j->args = json_object_get(tool_call_args(call));
	buf_init(&j->parent_hdr, LIM_SEND_PARENT_HEADER);
	j->tk.free_fn = send_job_free;
	if ((e = args_parse(j->args, &j->a)) != NULL) {
		tool_call_error(call, TOOL_ERR_INVALID_INPUT, e);
		send_job_free(&j->tk);
		return NULL;
	}
	j->from = cfg_account_address(acc);
	if (j->from == NULL || !compose_address_valid(j->from)) {
		tool_call_error(call, TOOL_ERR_CONFIG,
				"the account has no mail address (set `address` in its section)");
		send_job_free(&j->tk);
		return NULL;
	}
	(void)snprintf(j->tk.account, sizeof(j->tk.account), "%s", account);
	*account_r = account;
	return j;
}

static void
create_draft_run(struct tool_call *call)
{
	const char *account = NULL;
	struct send_job *j = job_new(call, &account);

	if (j == NULL)
		return;
	j->is_draft = true;
	j->tk.job.run = draft_work;
	j->tk.job.done = draft_done;
	tk_job_post(call, &j->tk, account);
}

/* ---- send_email ------------------------------------------------------------ */

/* Envelope recipients: to, cc, bcc without duplicates (case-insensitive). */
static size_t
envelope(const struct send_args *a, const char **rc)
{
	const struct compose_addr *lists[3] = {a->to, a->cc, a->bcc};
	size_t ns[3] = {a->n_to, a->n_cc, a->n_bcc};
	size_t n = 0;
	size_t l;
	size_t i;
	size_t k;

	for (l = 0; l < 3; l++) {
		for (i = 0; i < ns[l]; i++) {
			for (k = 0; k < n; k++) {
				if (strcasecmp(rc[k], lists[l][i].address) == 0)
					break;
			}
			if (k == n)
				rc[n++] = lists[l][i].address;
		}
	}
	return n;
}

/* Policy, compose, outbox entry, result. Runs on an executor thread or, for
 * replies, in the worker's done(). */
static void
send_finish(struct send_job *j)
{
	struct tool_call *call = j->tk.call;
	const struct ig_config *cfg = tool_call_config(call);
	const struct token_info *tok = tool_call_principal(call);
	const struct cfg_account *acc = config_account_find(cfg, j->tk.account);
	const char *rc[3 * LIM_SEND_RCPTS];
	const char *error = NULL;
	struct outbox_new n;
	struct state *st = NULL;
	struct json_object *out;
	struct json_object *meta;
	struct json_object *f;
	struct buf msg;
	int64_t id = 0;
	size_t nr;
	size_t i;
	enum ig_err e;
	bool autonomous = !acc->send_requires_approval;

	buf_init(&msg, LIM_SEND_MESSAGE);
	nr = envelope(&j->a, rc);
	if (acc->smtp_url == NULL) {
		tool_call_error(call, TOOL_ERR_CONFIG, "the account has no smtp_url: it cannot send");
		goto out;
	}
	if (autonomous && acc->allowed_recipients == NULL) {
		tool_call_error(call, TOOL_ERR_CONFIG,
				"sending without approval needs `allowed_recipients` for the account");
		goto out;
	}
	if (acc->allowed_recipients != NULL) {
		if (!compose_patterns_valid(acc->allowed_recipients)) {
			tool_call_error(call, TOOL_ERR_CONFIG, "the account's allowed_recipients is invalid");
			goto out;
		}
		for (i = 0; i < nr; i++) {
			if (!compose_rcpt_allowed(acc->allowed_recipients, rc[i])) {
				tool_call_error(call, TOOL_ERR_POSTURE_DENIED,
						"a recipient is not in the account's allowed_recipients");
				goto out;
			}
		}
	}
	if (!compose(j, &msg)) {
		tool_call_error(call, j->fail_code, j->fail_msg);
		goto out;
	}
	if (state_open(cfg->data_dir, &st, &error) != IG_OK) {
		tool_call_error(call, TOOL_ERR_INTERNAL, "the outbox is unavailable");
		goto out;
	}
	memset(&n, 0, sizeof(n));
	n.token_id = tok->id;
	n.token_name = tok->name;
	n.account = j->tk.account;
	n.mail_from = j->from;
	n.rcpts = rc;
	n.n_rcpts = nr;
	n.subject = j->a.subject != NULL ? j->a.subject : "";
	n.message_id = j->msgid;
	n.mime = buf_slice(&msg);
	n.autonomous = autonomous;
	n.quota = acc->daily_send_quota ? acc->daily_send_quota : LIM_SEND_QUOTA_DEFAULT;
	n.now = (int64_t)time(NULL);
	e = outbox_create(st, &n, &id);
	if (e == IG_ELIMIT) {
		tool_call_error(call, TOOL_ERR_RATE_LIMITED,
				"the account's daily_send_quota is used up (rolling 24 hours)");
		goto out;
	}
	if (e != IG_OK) {
		tool_call_error(call, TOOL_ERR_INTERNAL, "the outbox is unavailable");
		goto out;
	}
	f = json_object_new_object();
	json_object_object_add(f, "outbox_id", json_object_new_int64(id));
	json_object_object_add(f, "path", json_object_new_string(autonomous ? "autonomous"
									    : "approval"));
	json_object_object_add(f, "rcpt_count", json_object_new_int64((int64_t)nr));
	/* Log line only until the dispatch chain hands tools an audit handle
	 * (its tool_end record covers the call); the sender's send_intent
	 * (sync) is what gates the actual send. */
	if (send_audit(NULL, "send_queued", tok->name, j->tk.account, f, false) != IG_OK)
		log_warn(0, "msg=\"audit record failed\" kind=send_queued");
	out = json_object_new_object();
	meta = json_object_new_object();
	json_object_object_add(meta, "account", json_object_new_string(j->tk.account));
	json_object_object_add(meta, "status", json_object_new_string(autonomous ? "queued_autonomous"
										: "pending_approval"));
	json_object_object_add(meta, "outbox_id", json_object_new_int64(id));
	json_object_object_add(meta, "message_id", json_object_new_string(j->msgid));
	json_object_object_add(meta, "recipient_count", json_object_new_int64((int64_t)nr));
	json_object_object_add(meta, "note",
			       json_object_new_string(
				       autonomous ? "sending without approval (the account's "
						    "send_requires_approval = false); see list_pending"
						  : "a human must approve this message before it is "
						    "sent; see list_pending for its state"));
	json_object_object_add(out, "meta", meta);
	tool_call_result(call, tool_result_structured(out));
out:
	state_close(st);
	buf_free(&msg);
}

static void
send_parent_work(struct wk_job *job, struct imap_conn *c, struct imap_error *err)
{
	parent_fetch((struct send_job *)job, c, err);
}

static void
send_parent_done(struct wk_job *job, const struct imap_error *err)
{
	struct send_job *j = (struct send_job *)job;

	if (err->fail != IMAP_FAIL_NONE)
		tk_imap_error(j->tk.call, err);
	else if (j->fail_code != TOOL_ERR_NONE)
		tool_call_error(j->tk.call, j->fail_code, j->fail_msg);
	else
		send_finish(j);
	tk_job_finish(&j->tk);
}

static void
send_email_run(struct tool_call *call)
{
	const char *account = NULL;
	struct send_job *j = job_new(call, &account);

	if (j == NULL)
		return;
	if (!j->a.reply) {
		j->tk.call = call;
		send_finish(j);
		send_job_free(&j->tk);
		return;
	}
	j->tk.job.run = send_parent_work;
	j->tk.job.done = send_parent_done;
	j->tk.job.idempotent = true; /* only reads the parent */
	tk_job_post(call, &j->tk, account);
}

/* ---- list_pending ------------------------------------------------------------ */

struct pending_ctx {
	struct json_object *arr;
	const struct token_info *tok;
	const char *account; /* NULL: every account the token holds */
};

static void
pending_one(const struct outbox_entry *e, void *ctx)
{
	struct pending_ctx *p = ctx;
	struct json_object *o;

	if (!token_allows_account(p->tok, e->account) ||
	    (p->account != NULL && strcmp(p->account, e->account) != 0))
		return;
	o = json_object_new_object();
	json_object_object_add(o, "outbox_id", json_object_new_int64(e->id));
	json_object_object_add(o, "account", json_object_new_string(e->account));
	json_object_object_add(o, "state", json_object_new_string(outbox_state_str(e->state)));
	json_object_object_add(o, "path", json_object_new_string(e->autonomous ? "autonomous"
									       : "approval"));
	json_object_object_add(o, "created_at", json_object_new_int64(e->created_at));
	json_object_object_add(o, "updated_at", json_object_new_int64(e->updated_at));
	json_object_object_add(o, "sent_at", e->sent_at ? json_object_new_int64(e->sent_at) : NULL);
	json_object_object_add(o, "recipient_count", json_object_new_int64((int64_t)e->n_rcpts));
	json_object_object_add(o, "message_id", json_object_new_string(e->message_id));
	json_object_object_add(o, "last_error",
			       e->last_error != NULL ? json_object_new_string(e->last_error) : NULL);
	json_object_array_add(p->arr, o);
}

static void
list_pending_run(struct tool_call *call)
{
	const struct ig_config *cfg = tool_call_config(call);
	const struct token_info *tok = tool_call_principal(call);
	struct pending_ctx p = {NULL, tok, NULL};
	struct json_object *v;
	struct json_object *out;
	struct json_object *meta;
	struct state *st = NULL;
	const char *error = NULL;
	int64_t limit = 50;

	if (json_object_object_get_ex(tool_call_args(call), "account", &v)) {
		p.account = tk_account_resolve(call);
		if (p.account == NULL)
			return;
	}
	if (json_object_object_get_ex(tool_call_args(call), "limit", &v)) {
		limit = json_object_get_int64(v);
		if (limit < 1 || limit > LIM_OUTBOX_LIST) {
			tool_call_error(call, TOOL_ERR_INVALID_INPUT, "`limit` must be 1..1000");
			return;
		}
	}
	if (state_open(cfg->data_dir, &st, &error) != IG_OK) {
		tool_call_error(call, TOOL_ERR_INTERNAL, "the outbox is unavailable");
		return;
	}
	p.arr = json_object_new_array();
	/* the token's own entries only: never another token's, even on the
	 * same account */
	if (outbox_list(st, tok->id, (size_t)limit, pending_one, &p) != IG_OK) {
		json_object_put(p.arr);
		state_close(st);
		tool_call_error(call, TOOL_ERR_INTERNAL, "the outbox is unavailable");
		return;
	}
	state_close(st);
	out = json_object_new_object();
	meta = json_object_new_object();
	json_object_object_add(meta, "count", json_object_new_int64((int64_t)json_object_array_length(p.arr)));
	json_object_object_add(meta, "entries", p.arr);
	json_object_object_add(out, "meta", meta);
	tool_call_result(call, tool_result_structured(out));
}

/* ---- definitions ------------------------------------------------------------ */

#define ADDR_LIST_SCHEMA(what)                                                               \
	"{\"type\":\"array\",\"maxItems\":100,\"description\":\"" what "\",\"items\":{"          \
	"\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\",\"maxLength\":256},"  \
	"\"address\":{\"type\":\"string\",\"maxLength\":254}},\"required\":[\"address\"],"      \
	"\"additionalProperties\":false}}"

#define COMPOSE_PROPS                                                                        \
	"\"account\":{\"type\":\"string\",\"description\":\"Account name from list_accounts; "  \
	"required when the token holds several accounts.\"},"                                   \
	"\"to\":" ADDR_LIST_SCHEMA("Recipients: [{name, address}]") ","                          \
	"\"cc\":" ADDR_LIST_SCHEMA("Copy recipients: [{name, address}]") ","                     \
	"\"bcc\":" ADDR_LIST_SCHEMA("Blind copies: only in the envelope, never in the message") "," \
	"\"subject\":{\"type\":\"string\",\"maxLength\":900,\"description\":\"Subject; optional " \
	"for replies (then the parent's, with one Re: prefix).\"},"                              \
	"\"body_text\":{\"type\":\"string\",\"description\":\"Plain-text body (UTF-8).\"},"     \
	"\"in_reply_to\":{\"type\":\"object\",\"description\":\"Reply to this message: sets "  \
	"In-Reply-To, References and a Re: subject.\",\"properties\":{\"folder\":{\"type\":"   \
	"\"string\"},\"uid\":{\"type\":\"integer\",\"minimum\":1}},\"required\":[\"folder\","   \
	"\"uid\"],\"additionalProperties\":false}"

static const struct tool_arg_rule compose_rules[] = {
	{"account", ARG_AUDIT_VERBATIM, POSTURE_READONLY},
	{"to", ARG_AUDIT_RECIPIENTS, POSTURE_READONLY},
	{"cc", ARG_AUDIT_RECIPIENTS, POSTURE_READONLY},
	{"bcc", ARG_AUDIT_RECIPIENTS, POSTURE_READONLY},
	{"subject", ARG_AUDIT_TEXT, POSTURE_READONLY},
	{"body_text", ARG_AUDIT_TEXT, POSTURE_READONLY},
	{"in_reply_to", ARG_AUDIT_VERBATIM, POSTURE_READONLY},
	{NULL, 0, 0},
};

static const struct tool_def create_draft = {
	.name = "create_draft",
	.title = "Create a draft",
	.description = "Composes a plain-text message from the account's address and saves it "
		       "in the \\Drafts folder flagged \\Draft and $PendingReview for a human to "
		       "review. Never sends. Bcc is not stored in a draft. With in_reply_to "
		       "{folder, uid} the draft threads under that message.",
	.input_schema = "{\"type\":\"object\",\"properties\":{" COMPOSE_PROPS
			"},\"required\":[\"body_text\"],\"additionalProperties\":false}",
	.output_schema = NULL,
	.hints = TOOL_OPEN_WORLD,
	.min_posture = POSTURE_DRAFT_SAFE,
	.rate_class = TOOL_RATE_DRAFT,
	.account_scoped = true,
	.args = compose_rules,
	.run = create_draft_run,
};

static const struct tool_def send_email = {
	.name = "send_email",
	.title = "Send an email (queued for human approval)",
	.description = "Queues a plain-text message from the account's address. By default a "
		       "human must approve it (imapgate outbox approve, or the web console) "
		       "before it is sent; the result is {status: pending_approval, outbox_id}. "
		       "Recipients outside the account's allow-list and sends over the daily "
		       "quota are refused. Check the state with list_pending.",
	.input_schema = "{\"type\":\"object\",\"properties\":{" COMPOSE_PROPS
			"},\"required\":[\"body_text\"],\"additionalProperties\":false}",
	.output_schema = NULL,
	.hints = TOOL_OPEN_WORLD,
	.min_posture = POSTURE_FULL,
	.rate_class = TOOL_RATE_SEND,
	.account_scoped = true,
	.args = compose_rules,
	.run = send_email_run,
};

static const struct tool_arg_rule list_pending_rules[] = {
	{"account", ARG_AUDIT_VERBATIM, POSTURE_READONLY},
	{"limit", ARG_AUDIT_VERBATIM, POSTURE_READONLY},
	{NULL, 0, 0},
};

static const struct tool_def list_pending = {
	.name = "list_pending",
	.title = "List this token's outgoing mail",
	.description = "Lists the messages this token queued with send_email and their states "
		       "(pending, approved, rejected, sending, sent, failed, uncertain), newest "
		       "first.",
	.input_schema = "{\"type\":\"object\",\"properties\":{\"account\":{\"type\":\"string\"},"
			"\"limit\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":1000}},"
			"\"additionalProperties\":false}",
	.output_schema = NULL,
	.hints = TOOL_READ_ONLY | TOOL_IDEMPOTENT,
	.min_posture = POSTURE_DRAFT_SAFE,
	.rate_class = TOOL_RATE_READ,
	.account_scoped = true,
	.args = list_pending_rules,
	.run = list_pending_run,
};

static const struct tool_def *const send_tools[] = {&create_draft, &send_email, &list_pending};

const struct tool_def *const *
tools_send(size_t *n_r)
{
	*n_r = sizeof(send_tools) / sizeof(send_tools[0]);
	return send_tools;
}
