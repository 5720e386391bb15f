/* Message addressing shared by the read tools (handlers/msgref.h). RFC 3501
 * §6.3.2 (EXAMINE), §6.4.8 (UID FETCH), §2.3.1.1 (UIDVALIDITY). */
#include "handlers/msgref.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/utf8.h"
#include "handlers/call.h"
#include "handlers/envelope.h"
#include "handlers/tools.h"
#include "handlers/toolkit.h"
#include "imap/cmd.h"
#include "imap/parse.h"

static bool
u32_arg(struct json_object *args, const char *name, bool required, uint32_t *v_r)
{
	struct json_object *v = NULL;
	int64_t n;

	*v_r = 0;
	if (!json_object_object_get_ex(args, name, &v))
		return !required;
	n = json_object_get_int64(v);
	if (n < 1 || n > (int64_t)UINT32_MAX)
		return false;
	*v_r = (uint32_t)n;
	return true;
}

bool
msgref_parse(struct tool_call *call, struct msgref *r)
{
	struct json_object *args = tool_call_args(call);
	struct json_object *v = NULL;
	const char *f;
	size_t len, i;

	memset(r, 0, sizeof(*r));
	if (!json_object_object_get_ex(args, "folder", &v)) {
		tool_call_error(call, TOOL_ERR_INVALID_INPUT, "`folder` is required");
		return false;
	}
	f = json_object_get_string(v);
	len = (size_t)json_object_get_string_len(v);
	if (len == 0 || len > LIM_FOLDER_ARG || strlen(f) != len || !u8_valid(f, len)) {
		tool_call_error(call, TOOL_ERR_INVALID_INPUT,
		                "`folder` must be 1..255 bytes of UTF-8 without NUL");
		return false;
	}
	for (i = 0; i < len; i++) {
		if ((unsigned char)f[i] < 0x20 || f[i] == 0x7f) {
			tool_call_error(call, TOOL_ERR_INVALID_INPUT,
			                "`folder` must not contain control characters");
			return false;
		}
	}
	memcpy(r->folder, f, len + 1);
	if (!u32_arg(args, "uid", true, &r->uid)) {
		tool_call_error(call, TOOL_ERR_INVALID_INPUT,
		                "`uid` must be an integer 1..4294967295");
		return false;
	}
	if (!u32_arg(args, "expected_uidvalidity", false, &r->expected_uidvalidity)) {
		tool_call_error(call, TOOL_ERR_INVALID_INPUT,
		                "`expected_uidvalidity` must be an integer 1..4294967295");
		return false;
	}
	return true;
}

bool
msgref_examine(struct imap_conn *c, const struct msgref *r, uint32_t *uidvalidity_r,
               struct msgref_fail *fail, struct imap_error *err)
{
	struct imap_mailbox_state st;

	if (imap_select(c, r->folder, true, 0, 0, &st, err) != IMAP_FAIL_NONE) {
		if (err->fail == IMAP_FAIL_NOT_FOUND) {
			fail->code = TOOL_ERR_NOT_FOUND;
			fail->msg = "no such folder";
		}
		return false;
	}
	*uidvalidity_r = st.uidvalidity;
	if (r->expected_uidvalidity != 0 && st.uidvalidity != r->expected_uidvalidity) {
		fail->code = TOOL_ERR_UID_VALIDITY_CHANGED;
		fail->msg = "the folder's UIDVALIDITY changed: UIDs from before are void; "
		            "search again";
		return false;
	}
	return true;
}

struct info_ctx {
	const struct msgref *r;
	struct msgref_info *info;
};

static enum ig_err
on_info(void *vctx, const struct imap_resp *resp)
{
	struct info_ctx *x = vctx;
	const struct imap_fetch *f = msgref_fetch_of(x->r, resp);
	size_t i;

	if (f == NULL)
		return IG_OK;
	x->info->found = true;
	if (f->has_size)
		x->info->size = f->size;
	if (f->has_internaldate)
		(void)envelope_internaldate_iso(f->internaldate, x->info->internaldate,
		                                sizeof(x->info->internaldate));
	if (f->has_flags) {
		json_object_put(x->info->flags);
		x->info->flags = json_object_new_array();
		for (i = 0; x->info->flags != NULL && i < f->n_flags; i++) {
			if (envelope_flag_ok(f->flags[i]))
				json_object_array_add(x->info->flags,
				                      json_object_new_string_len(
				                          f->flags[i].p, (int)f->flags[i].len));
		}
	}
	return IG_OK;
}

enum imap_fail
msgref_uid_fetch(struct imap_conn *c, const struct msgref *r, const char *items,
                 imap_untagged_fn fn, void *ctx, struct imap_error *err)
{
	char set[16];

	(void)snprintf(set, sizeof(set), "%u", r->uid);
	return imap_uid_fetch(c, set, items, 0, false, fn, ctx, err);
}

const struct imap_fetch *
msgref_fetch_of(const struct msgref *r, const struct imap_resp *resp)
{
	const struct imap_fetch *f = &resp->u.fetch;

	if (resp->type != IMAP_U_FETCH || !f->has_uid || f->uid != r->uid)
		return NULL;
	return f;
}

void
msgref_fail_not_found(struct msgref_fail *fail)
{
	fail->code = TOOL_ERR_NOT_FOUND;
	fail->msg = "no message with this uid in the folder";
}

bool
msgref_info(struct imap_conn *c, const struct msgref *r, size_t max, struct msgref_info *info,
            struct msgref_fail *fail, struct imap_error *err)
{
	struct info_ctx x = {r, info};

	memset(info, 0, sizeof(*info));
	if (msgref_uid_fetch(c, r, "(UID FLAGS INTERNALDATE RFC822.SIZE)", on_info, &x, err) !=
	    IMAP_FAIL_NONE) {
		/* some servers answer NO for a UID that is gone */
		if (err->fail == IMAP_FAIL_REFUSED || err->fail == IMAP_FAIL_NOT_FOUND)
			msgref_fail_not_found(fail);
		return false;
	}
	if (!info->found) {
		msgref_fail_not_found(fail);
		return false;
	}
	if (info->flags == NULL)
		info->flags = json_object_new_array();
	if (info->size > max) {
		fail->code = TOOL_ERR_TOO_LARGE;
		fail->msg = "the message is larger than the gateway's limit";
		return false;
	}
	return true;
}

void
msgref_info_clear(struct msgref_info *info)
{
	json_object_put(info->flags);
	info->flags = NULL;
}

struct raw_ctx {
	const struct msgref *r;
	struct buf *raw;
	bool found;
	bool over;
};

static enum ig_err
on_raw(void *vctx, const struct imap_resp *resp)
{
	struct raw_ctx *x = vctx;
	const struct imap_fetch *f = msgref_fetch_of(x->r, resp);

	if (f != NULL && f->over_limit) {
		x->found = true; /* dropped unread by the parser: too large */
		x->over = true;
		return IG_OK;
	}
	if (f == NULL || !f->has_section || f->section.len != 0 || f->origin != 0)
		return IG_OK;
	x->found = true;
	buf_reset(x->raw);
	if (f->section_nil)
		return IG_OK;
	buf_append(x->raw, f->section_data.p, f->section_data.len);
	if (buf_err(x->raw) != IG_OK)
		x->over = true;
	return IG_OK;
}

bool
msgref_fetch_raw(struct imap_conn *c, const struct msgref *r, struct buf *raw,
                 struct msgref_fail *fail, struct imap_error *err)
{
	struct raw_ctx x = {r, raw, false, false};

	if (msgref_uid_fetch(c, r, "(UID BODY.PEEK[])", on_raw, &x, err) != IMAP_FAIL_NONE) {
		if (err->fail == IMAP_FAIL_REFUSED || err->fail == IMAP_FAIL_NOT_FOUND)
			msgref_fail_not_found(fail);
		return false;
	}
	if (x.over) {
		fail->code = TOOL_ERR_TOO_LARGE;
		fail->msg = "the message is larger than the gateway's limit";
		return false;
	}
	if (!x.found) {
		msgref_fail_not_found(fail);
		return false;
	}
	return true;
}

/* One partial answer: BODY[]<origin> for the chunk asked (RFC 3501
 * §6.4.5: the origin echoes the request). */
struct chunk_ctx {
	const struct msgref *r;
	uint32_t origin;
	struct buf *raw;
	size_t got;
	bool found;
	bool over;
};

static enum ig_err
on_chunk(void *vctx, const struct imap_resp *resp)
{
	struct chunk_ctx *x = vctx;
	const struct imap_fetch *f = msgref_fetch_of(x->r, resp);

	if (f == NULL || !f->has_section || f->section.len != 0 || f->origin != x->origin ||
	    x->found)
		return IG_OK;
	x->found = true;
	if (f->section_nil)
		return IG_OK;
	buf_append(x->raw, f->section_data.p, f->section_data.len);
	x->got = f->section_data.len;
	if (buf_err(x->raw) != IG_OK)
		x->over = true;
	return IG_OK;
}

bool
msgref_fetch_raw_job(struct imap_conn *c, const struct msgref *r, uint32_t size,
                     struct buf *raw, struct tk_job *j, struct msgref_fail *fail,
                     struct imap_error *err)
{
	char items[64];
	uint32_t origin = 0;

	if (size <= LIM_FETCH_CHUNK) {
		if (!msgref_fetch_raw(c, r, raw, fail, err))
			return false;
		tk_job_progress(j, (double)raw->len, (double)raw->len, "message read");
		return true;
	}
	buf_reset(raw);
	for (;;) {
		struct chunk_ctx x = {r, origin, raw, 0, false, false};

		/* between commands: a cancel leaves the connection clean */
		if (wk_job_cancelled(&j->job, err))
			return false;
		(void)snprintf(items, sizeof(items), "(UID BODY.PEEK[]<%u.%zu>)", origin,
		               (size_t)LIM_FETCH_CHUNK);
		if (msgref_uid_fetch(c, r, items, on_chunk, &x, err) != IMAP_FAIL_NONE) {
			if (err->fail == IMAP_FAIL_REFUSED || err->fail == IMAP_FAIL_NOT_FOUND)
				msgref_fail_not_found(fail);
			return false;
		}
		if (x.over || raw->len > UINT32_MAX - LIM_FETCH_CHUNK) {
			fail->code = TOOL_ERR_TOO_LARGE;
			fail->msg = "the message is larger than the gateway's limit";
			return false;
		}
		if (!x.found) {
			if (origin == 0) {
				msgref_fail_not_found(fail);
				return false;
			}
			break; /* nothing past the end */
		}
		/* RFC822.SIZE is the server's word, not a bound: the message ends
		 * with the first short chunk */
		tk_job_progress(j, (double)raw->len, (double)(raw->len > size ? raw->len : size),
		                "message read");
		if (x.got < LIM_FETCH_CHUNK)
			break;
		origin = (uint32_t)raw->len;
	}
	tk_job_progress(j, (double)raw->len, (double)raw->len, "message read");
	return true;
}

void
msgref_meta(struct json_object *meta, const char *account, const struct msgref *r,
            uint32_t uidvalidity)
{
	json_object_object_add(meta, "account", json_object_new_string(account));
	json_object_object_add(meta, "folder", json_object_new_string(r->folder));
	json_object_object_add(meta, "uid", json_object_new_int64(r->uid));
	json_object_object_add(meta, "uidvalidity", json_object_new_int64(uidvalidity));
}

void
msgref_error(struct tool_call *call, const struct msgref_fail *fail, const struct imap_error *err)
{
	if (fail->code != TOOL_ERR_NONE)
		tool_call_error(call, fail->code, fail->msg);
	else if (err->fail != IMAP_FAIL_NONE)
		tk_imap_error(call, err);
	else
		tool_call_error(call, TOOL_ERR_INTERNAL, "the request failed");
}

void
msgref_job_fail(struct tk_job *j, const struct msgref_fail *fail, const struct imap_error *err)
{
	msgref_error(j->call, fail, err);
	tk_job_finish(j);
}

void
msgref_settle(struct imap_conn *c, const struct msgref_fail *fail, struct imap_error *err)
{
	if (fail->code == TOOL_ERR_NOT_FOUND && err->fail != IMAP_FAIL_NONE &&
	    !imap_conn_broken(c)) {
		err->fail = IMAP_FAIL_NONE;
		err->msg[0] = '\0';
	}
}
