/* get_thread and list_labels (DESIGN §4.3). get_thread: the conversation of
 * one message by its Message-ID, In-Reply-To and References (RFC 5322
 * §3.6.4), found with UID SEARCH HEADER in the folder (and optionally the
 * account's \Sent folder, RFC 6154) and returned as envelopes only
 * (handlers/envelope.h). The server's HEADER search matches substrings, so
 * every hit is checked against the ids before it is returned. list_labels:
 * FLAGS and PERMANENTFLAGS of a folder (RFC 3501 §7.2.6, §7.1). */
#include "handlers/tools_fetch.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/limits.h"
#include "handlers/call.h"
#include "handlers/envelope.h"
#include "handlers/msgref.h"
#include "handlers/toolkit.h"
#include "handlers/tools.h"
#include "imap/cmd.h"
#include "imap/parse.h"
#include "imap/worker.h"

#define THREAD_ITEMS                                                                               \
	"(UID ENVELOPE FLAGS INTERNALDATE RFC822.SIZE BODYSTRUCTURE "                              \
	"BODY.PEEK[HEADER.FIELDS (REFERENCES LIST-ID)])"

/* A set of message-ids (without brackets), validated so that each can sit in
 * a quoted IMAP string as is: printable ASCII without '"' and '\'. */
struct ids {
	char *v[LIM_THREAD_IDS];
	size_t n;
};

static bool
id_ok(struct slice s)
{
	size_t i;

	if (s.len == 0 || s.len > LIM_MSGID)
		return false;
	for (i = 0; i < s.len; i++) {
		unsigned char c = (unsigned char)s.p[i];

		if (c <= 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>')
			return false;
	}
	return true;
}

static bool
ids_has(const struct ids *x, struct slice s)
{
	size_t i;

	for (i = 0; i < x->n; i++) {
		if (strlen(x->v[i]) == s.len && memcmp(x->v[i], s.p, s.len) == 0)
			return true;
	}
	return false;
}

static void
ids_add(struct ids *x, struct slice s)
{
	if (x->n == LIM_THREAD_IDS || !id_ok(s) || ids_has(x, s))
		return;
	x->v[x->n] = strndup(s.p, s.len);
	if (x->v[x->n] != NULL)
		x->n++;
}

static void
ids_free(struct ids *x)
{
	size_t i;

	for (i = 0; i < x->n; i++)
		free(x->v[i]);
	x->n = 0;
}

/* The <msg-id>s in raw (References, In-Reply-To, Message-ID) as slices
 * without brackets, at most max; returns how many. */
static size_t
each_id(struct slice raw, struct slice *out, size_t max)
{
	size_t i = 0, n = 0;

	while (i < raw.len && n < max) {
		const char *lt = memchr(raw.p + i, '<', raw.len - i);
		const char *gt;

		if (lt == NULL)
			break;
		gt = memchr(lt, '>', raw.len - (size_t)(lt - raw.p));
		if (gt == NULL)
			break;
		out[n++] = (struct slice){lt + 1, (size_t)(gt - lt - 1)};
		i = (size_t)(gt - raw.p) + 1;
	}
	return n;
}

/* The References header value inside a HEADER.FIELDS answer, into b. */
static struct slice
references_of(const struct imap_fetch *f, struct buf *b)
{
	buf_reset(b);
	if (!f->has_section || f->section_nil || f->section.len < 13 ||
	    strncasecmp(f->section.p, "HEADER.FIELDS", 13) != 0)
		return (struct slice){NULL, 0};
	envelope_header_field(f->section_data, "References", b);
	return buf_slice(b);
}

struct thread_job {
	struct tk_job tk; /* first */
	struct msgref ref;
	bool include_sent;
	size_t limit;
	struct tk_known known; /* the account's known_domains */
	struct msgref_fail fail;
	uint32_t uidvalidity;
	struct ids ids; /* the conversation's ids */
	bool target_found;
	const char *cur_folder; /* while fetching: the folder the envelopes belong to */
	struct json_object *messages;
	struct json_object *searched;
	bool truncated;
	bool done_ok;
	struct buf scratch; /* a References value while it is examined */
};

static void
thread_job_free(struct tk_job *t)
{
	struct thread_job *j = (struct thread_job *)t;

	ids_free(&j->ids);
	json_object_put(j->messages);
	json_object_put(j->searched);
	buf_free(&j->scratch);
	tk_known_free(&j->known);
	free(j);
}

/* Collects the target's ids. */
static enum ig_err
on_target(void *vctx, const struct imap_resp *r)
{
	struct thread_job *j = vctx;
	const struct imap_fetch *f = msgref_fetch_of(&j->ref, r);
	struct slice refs[LIM_MIME_REFERENCES];
	struct slice one[1];
	size_t n, i;

	if (f == NULL || (f->envelope == NULL && !f->over_limit))
		return IG_OK;
	j->target_found = true; /* over a limit: its References, if any, still count */
	if (f->envelope != NULL && each_id(f->envelope->message_id, one, 1) == 1)
		ids_add(&j->ids, one[0]);
	if (f->envelope != NULL && each_id(f->envelope->in_reply_to, one, 1) == 1)
		ids_add(&j->ids, one[0]);
	n = each_id(references_of(f, &j->scratch), refs, LIM_MIME_REFERENCES);
	/* the root first, then the nearest ancestors */
	if (n > 0)
		ids_add(&j->ids, refs[0]);
	for (i = n; i > 1; i--)
		ids_add(&j->ids, refs[i - 1]);
	return IG_OK;
}

static bool
belongs(struct thread_job *j, const struct imap_fetch *f)
{
	struct slice refs[LIM_MIME_REFERENCES];
	struct slice one[1];
	size_t n, i;

	if (f->envelope == NULL)
		return false;
	if (each_id(f->envelope->message_id, one, 1) == 1 && ids_has(&j->ids, one[0]))
		return true;
	if (each_id(f->envelope->in_reply_to, one, 1) == 1 && ids_has(&j->ids, one[0]))
		return true;
	n = each_id(references_of(f, &j->scratch), refs, LIM_MIME_REFERENCES);
	for (i = 0; i < n; i++) {
		if (ids_has(&j->ids, refs[i]))
			return true;
	}
	return false;
}

static enum ig_err
on_member(void *vctx, const struct imap_resp *r)
{
	struct thread_job *j = vctx;
	const struct imap_fetch *f = &r->u.fetch;
	struct json_object *e;

	if (r->type != IMAP_U_FETCH || !f->has_uid || (f->envelope == NULL && !f->over_limit))
		return IG_OK;
	if (!belongs(j, f) && !(f->uid == j->ref.uid && strcmp(j->cur_folder, j->ref.folder) == 0))
		return IG_OK;
	if (json_object_array_length(j->messages) >= j->limit) {
		j->truncated = true;
		return IG_OK;
	}
	e = envelope_json(f, j->cur_folder, j->known.v, j->known.n);
	if (e == NULL)
		return IG_ENOMEM;
	json_object_array_add(j->messages, e);
	return IG_OK;
}

/* OR k1 OR k2 ... kn over HEADER Message-ID/References/In-Reply-To. */
static void
criteria(const struct ids *x, struct buf *b)
{
	static const char *const fields[3] = {"Message-ID", "References", "In-Reply-To"};
	size_t total = x->n * 3, k = 0, i, f;

	for (i = 0; i < x->n; i++) {
		for (f = 0; f < 3; f++) {
			if (++k < total)
				buf_puts(b, "OR ");
			buf_appendf(b, "HEADER %s \"<%s>\" ", fields[f], x->v[i]);
		}
	}
	if (b->len > 0)
		b->len--; /* the last space */
	if (b->p != NULL)
		b->p[b->len] = '\0';
}

/* Searches one (already examined) folder and fetches the members. */
static bool
thread_folder(struct thread_job *j, struct imap_conn *c, const char *folder, struct imap_error *err)
{
	struct buf crit, set;
	uint32_t *uids = NULL;
	size_t n = 0, i, first;
	bool have_target = strcmp(folder, j->ref.folder) == 0;
	bool ok = false;

	buf_init(&crit, LIM_IMAP_ARG);
	buf_init(&set, LIM_IMAP_ARG);
	json_object_array_add(j->searched, json_object_new_string(folder));
	if (j->ids.n > 0) {
		criteria(&j->ids, &crit);
		if (buf_err(&crit) != IG_OK)
			goto out;
		if (imap_uid_search(c, crit.p, (struct slice){NULL, 0}, LIM_IMAP_UNTAGGED, &uids,
		                    &n, err) != IMAP_FAIL_NONE)
			goto out;
	}
	/* newest (highest UIDs) first when there are more than the limit */
	first = n > j->limit ? n - j->limit : 0;
	if (first > 0)
		j->truncated = true;
	for (i = first; i < n; i++)
		buf_appendf(&set, "%s%u", set.len > 0 ? "," : "", uids[i]);
	if (have_target)
		buf_appendf(&set, "%s%u", set.len > 0 ? "," : "", j->ref.uid);
	if (set.len > 0) {
		j->cur_folder = folder;
		if (imap_uid_fetch(c, set.p, THREAD_ITEMS, 0, false, on_member, j, err) !=
		    IMAP_FAIL_NONE)
			goto out;
	}
	ok = true;
out:
	free(uids);
	buf_free(&crit);
	buf_free(&set);
	return ok;
}

static int
by_date(const void *a, const void *b)
{
	struct json_object *x = *(struct json_object *const *)a;
	struct json_object *y = *(struct json_object *const *)b;
	struct json_object *dx = NULL, *dy = NULL;
	const char *sx, *sy;
	int c;

	(void)json_object_object_get_ex(x, "internaldate", &dx);
	(void)json_object_object_get_ex(y, "internaldate", &dy);
	sx = dx != NULL ? json_object_get_string(dx) : "";
	sy = dy != NULL ? json_object_get_string(dy) : "";
	c = strcmp(sx, sy);
	if (c != 0)
		return c;
	(void)json_object_object_get_ex(x, "uid", &dx);
	(void)json_object_object_get_ex(y, "uid", &dy);
	return json_object_get_int64(dx) < json_object_get_int64(dy)   ? -1
	       : json_object_get_int64(dx) > json_object_get_int64(dy) ? 1
	                                                               : 0;
}

static void
thread_work(struct wk_job *job, struct imap_conn *c, struct imap_error *err)
{
	struct thread_job *j = (struct thread_job *)job;

	memset(&j->fail, 0, sizeof(j->fail));
	ids_free(&j->ids);
	j->target_found = false;
	j->truncated = false;
	j->done_ok = false;
	json_object_put(j->messages);
	json_object_put(j->searched);
	j->messages = json_object_new_array();
	j->searched = json_object_new_array();
	if (!msgref_examine(c, &j->ref, &j->uidvalidity, &j->fail, err))
		goto out;
	if (msgref_uid_fetch(c, &j->ref, THREAD_ITEMS, on_target, j, err) != IMAP_FAIL_NONE)
		goto out;
	if (!j->target_found) {
		msgref_fail_not_found(&j->fail);
		goto out;
	}
	if (!thread_folder(j, c, j->ref.folder, err))
		goto out;
	if (j->include_sent && j->ids.n > 0) {
		struct imap_folder_list l = {0};
		struct imap_mailbox_state st;
		size_t skipped = 0, i;
		const char *sent = NULL;

		if (imap_list_folders(c, false, &l, &skipped, err) != IMAP_FAIL_NONE)
			goto out;
		for (i = 0; i < l.n; i++) {
			if (l.f[i].special_use != NULL &&
			    strcmp(l.f[i].special_use, "\\Sent") == 0 &&
			    strcmp(l.f[i].name, j->ref.folder) != 0)
				sent = l.f[i].name;
		}
		if (sent != NULL) {
			char *name = tk_name_filter(sent);
			bool ok = name != NULL &&
			          imap_select(c, sent, true, 0, 0, &st, err) == IMAP_FAIL_NONE &&
			          thread_folder(j, c, name, err);

			/* thread_folder keeps pointers to name only while it runs */
			free(name);
			if (!ok) {
				imap_folder_list_free(&l);
				goto out;
			}
		}
		imap_folder_list_free(&l);
	}
	json_object_array_sort(j->messages, by_date);
	j->done_ok = true;
out:
	msgref_settle(c, &j->fail, err);
}

static void
thread_done(struct wk_job *job, const struct imap_error *err)
{
	struct thread_job *j = (struct thread_job *)job;
	struct json_object *meta, *u;

	if (!j->done_ok || err->fail != IMAP_FAIL_NONE) {
		msgref_job_fail(&j->tk, &j->fail, err);
		return;
	}
	meta = json_object_new_object();
	u = json_object_new_object();
	msgref_meta(meta, j->tk.account, &j->ref, j->uidvalidity);
	json_object_object_add(
	    meta, "count", json_object_new_int64((int64_t)json_object_array_length(j->messages)));
	json_object_object_add(meta, "truncated", json_object_new_boolean(j->truncated));
	/* folder names the server gave (the \Sent folder's): inside the fence */
	json_object_object_add(u, "folders_searched", j->searched);
	j->searched = NULL;
	json_object_object_add(u, "messages", j->messages);
	j->messages = NULL;
	tk_job_reply(&j->tk, tk_result_new(meta, u), NULL);
}

static void
get_thread_run(struct tool_call *call)
{
	const char *account = tk_account_resolve(call);
	struct json_object *args = tool_call_args(call);
	struct json_object *v = NULL;
	struct thread_job *j;

	if (account == NULL)
		return;
	j = tk_read_job_new(call, sizeof(*j), thread_work, thread_done, thread_job_free);
	if (j == NULL)
		return;
	j->limit = LIM_THREAD_MESSAGES;
	buf_init(&j->scratch, LIM_MIME_HEADER_VALUE);
	if (!msgref_parse(call, &j->ref)) {
		thread_job_free(&j->tk);
		return;
	}
	if (json_object_object_get_ex(args, "include_sent", &v))
		j->include_sent = json_object_get_boolean(v);
	if (json_object_object_get_ex(args, "limit", &v)) {
		int64_t n = json_object_get_int64(v);

		if (n < 1 || n > LIM_THREAD_MESSAGES) {
			tool_call_error(call, TOOL_ERR_INVALID_INPUT, "`limit` must be 1..100");
			thread_job_free(&j->tk);
			return;
		}
		j->limit = (size_t)n;
	}
	tk_known_load(&j->known, call, account);
	tk_job_post(call, &j->tk, account);
}

/* --- list_labels --- */

struct labels_job {
	struct tk_job tk; /* first */
	char folder[LIM_FOLDER_ARG + 1];
	struct msgref_fail fail;
	uint32_t uidvalidity;
	struct json_object *system;
	struct json_object *keywords;
	bool any_keyword; /* \* in PERMANENTFLAGS: new keywords may be created */
	bool have_permanent;
	struct json_object *permanent;
};

static void
labels_job_free(struct tk_job *t)
{
	struct labels_job *j = (struct labels_job *)t;

	json_object_put(j->system);
	json_object_put(j->keywords);
	json_object_put(j->permanent);
	free(j);
}

static bool
arr_has(struct json_object *a, struct slice s)
{
	size_t i;

	for (i = 0; i < json_object_array_length(a); i++) {
		struct json_object *x = json_object_array_get_idx(a, i);

		if ((size_t)json_object_get_string_len(x) == s.len &&
		    strncasecmp(json_object_get_string(x), s.p, s.len) == 0)
			return true;
	}
	return false;
}

static void
labels_add(struct labels_job *j, const struct imap_caps *fl, bool permanent)
{
	size_t i;

	for (i = 0; i < fl->n; i++) {
		struct slice f = fl->names[i];
		struct json_object *dst;

		if (permanent && f.len == 2 && memcmp(f.p, "\\*", 2) == 0) {
			j->any_keyword = true;
			continue;
		}
		if (!envelope_flag_ok(f))
			continue;
		if (permanent && json_object_array_length(j->permanent) < LIM_LABELS &&
		    !arr_has(j->permanent, f))
			json_object_array_add(j->permanent,
			                      json_object_new_string_len(f.p, (int)f.len));
		dst = f.p[0] == '\\' ? j->system : j->keywords;
		if (json_object_array_length(dst) < LIM_LABELS && !arr_has(dst, f))
			json_object_array_add(dst, json_object_new_string_len(f.p, (int)f.len));
	}
}

static enum ig_err
on_examine(void *vctx, const struct imap_resp *r)
{
	struct labels_job *j = vctx;

	if (r->type == IMAP_U_FLAGS)
		labels_add(j, &r->flags, false);
	else if (r->type == IMAP_U_COND && r->code == IMAP_CODE_PERMANENTFLAGS) {
		j->have_permanent = true;
		labels_add(j, &r->flags, true);
	} else if (r->type == IMAP_U_COND && r->code == IMAP_CODE_UIDVALIDITY)
		j->uidvalidity = r->code_num[0];
	return IG_OK;
}

static void
labels_work(struct wk_job *job, struct imap_conn *c, struct imap_error *err)
{
	struct labels_job *j = (struct labels_job *)job;
	struct imap_cmd cmd;

	memset(&j->fail, 0, sizeof(j->fail));
	json_object_put(j->system);
	json_object_put(j->keywords);
	json_object_put(j->permanent);
	j->system = json_object_new_array();
	j->keywords = json_object_new_array();
	j->permanent = json_object_new_array();
	j->any_keyword = false;
	j->have_permanent = false;
	/* SELECT, not EXAMINE: a read-only open announces no permanent flags
	 * (RFC 3501 §6.3.2; Dovecot answers PERMANENTFLAGS ()), so nothing
	 * could tell whether labels may be stored. Only SELECT is sent: no
	 * message or flag is touched. */
	imap_cmd_init(&cmd, c, "SELECT");
	imap_cmd_mailbox(&cmd, sl_from_cstr(j->folder));
	(void)imap_cmd_run(&cmd, on_examine, j, NULL, err);
	imap_cmd_free(&cmd);
	if (err->fail == IMAP_FAIL_REFUSED || err->fail == IMAP_FAIL_NOT_FOUND) {
		j->fail.code = TOOL_ERR_NOT_FOUND;
		j->fail.msg = "no such folder";
	}
	msgref_settle(c, &j->fail, err);
}

static void
labels_done(struct wk_job *job, const struct imap_error *err)
{
	struct labels_job *j = (struct labels_job *)job;
	struct json_object *meta, *u;

	if (j->fail.code != TOOL_ERR_NONE || err->fail != IMAP_FAIL_NONE) {
		msgref_job_fail(&j->tk, &j->fail, err);
		return;
	}
	meta = json_object_new_object();
	u = json_object_new_object();
	json_object_object_add(meta, "account", json_object_new_string(j->tk.account));
	json_object_object_add(meta, "folder", json_object_new_string(j->folder));
	json_object_object_add(meta, "uidvalidity", json_object_new_int64(j->uidvalidity));
	json_object_object_add(meta, "new_keywords_allowed",
	                       json_object_new_boolean(j->any_keyword));
	json_object_object_add(u, "system_flags", j->system);
	json_object_object_add(u, "keywords", j->keywords);
	json_object_object_add(u, "permanent_flags", j->have_permanent ? j->permanent : NULL);
	if (!j->have_permanent)
		json_object_put(j->permanent);
	j->system = j->keywords = j->permanent = NULL;
	tk_job_reply(&j->tk, tk_result_new(meta, u), NULL);
}

static void
list_labels_run(struct tool_call *call)
{
	const char *account = tk_account_resolve(call);
	struct json_object *v = NULL;
	struct labels_job *j;
	const char *f = "INBOX";
	size_t len, i;

	if (account == NULL)
		return;
	if (json_object_object_get_ex(tool_call_args(call), "folder", &v))
		f = json_object_get_string(v);
	len = strlen(f);
	for (i = 0; i < len; i++) {
		if ((unsigned char)f[i] < 0x20 || f[i] == 0x7f)
			break;
	}
	if (len == 0 || len > LIM_FOLDER_ARG || i != len) {
		tool_call_error(call, TOOL_ERR_INVALID_INPUT,
		                "`folder` must be 1..255 bytes without control characters");
		return;
	}
	j = tk_read_job_new(call, sizeof(*j), labels_work, labels_done, labels_job_free);
	if (j == NULL)
		return;
	memcpy(j->folder, f, len + 1);
	tk_job_post(call, &j->tk, account);
}

static const struct tool_arg_rule get_thread_rules[] = {
    {"account", ARG_AUDIT_VERBATIM, POSTURE_READONLY},
    MSGREF_ARG_RULES,
    {"include_sent", ARG_AUDIT_VERBATIM, POSTURE_READONLY},
    {"limit", ARG_AUDIT_VERBATIM, POSTURE_READONLY},
    {NULL, 0, 0},
};

static const struct tool_def get_thread = {
    .name = "get_thread",
    .title = "Get a message's conversation",
    .description = "Returns the conversation a message belongs to (by Message-ID, In-Reply-To and "
                   "References) as envelopes only, oldest first: uid, folder, message_id, "
                   "in_reply_to, subject, from, to, cc, date, internaldate, size, flags, "
                   "has_attachment, security_warnings. Searches the message's folder and, with "
                   "include_sent, the account's Sent folder. At most `limit` (default and "
                   "maximum 100) envelopes; meta.truncated says when there were more.",
    .input_schema = "{\"type\":\"object\",\"properties\":{" TK_SCHEMA_ACCOUNT
                    ",\"folder\":{\"type\":\"string\",\"description\":\"Folder of the message.\"},"
                    "\"uid\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":4294967295},"
                    "\"expected_uidvalidity\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":"
                    "4294967295},\"include_sent\":{\"type\":\"boolean\",\"description\":\"Also "
                    "search the \\\\Sent folder.\"},\"limit\":{\"type\":\"integer\",\"minimum\":1,"
                    "\"maximum\":100}},\"required\":[\"folder\",\"uid\"],"
                    "\"additionalProperties\":false}",
    .output_schema = NULL,
    TK_READ_TOOL_DEF,
    .args = get_thread_rules,
    .run = get_thread_run,
};

static const struct tool_arg_rule list_labels_rules[] = {
    {"account", ARG_AUDIT_VERBATIM, POSTURE_READONLY},
    {"folder", ARG_AUDIT_VERBATIM, POSTURE_READONLY},
    {NULL, 0, 0},
};

static const struct tool_def list_labels = {
    .name = "list_labels",
    .title = "List flags and labels",
    .description = "Lists the flags a folder knows (FLAGS) and those that can be stored "
                   "permanently (PERMANENTFLAGS), system flags (\\Seen, \\Flagged ...) apart "
                   "from keywords/labels ($Important, custom ones), and whether new "
                   "keywords may be created. Only plain IMAP atoms are reported.",
    .input_schema = "{\"type\":\"object\",\"properties\":{" TK_SCHEMA_ACCOUNT
                    ",\"folder\":{\"type\":\"string\",\"description\":\"Folder to examine; "
                    "default INBOX.\"}},\"additionalProperties\":false}",
    .output_schema = NULL,
    TK_READ_TOOL_DEF,
    .args = list_labels_rules,
    .run = list_labels_run,
};

static const struct tool_def *const thread_tools[] = {&get_thread, &list_labels};

const struct tool_def *const *
tools_thread(size_t *n_r)
{
	*n_r = sizeof(thread_tools) / sizeof(thread_tools[0]);
	return thread_tools;
}
