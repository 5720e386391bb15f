/* The outbox sender thread (handlers/sender.h).
 *
 * Order per entry, each step committed before the next (DESIGN §10):
 *   claim (approved -> sending, committed) -> hash re-check -> audit
 *   send_intent (sync) -> SMTP -> audit send_result -> sent | failed |
 *   uncertain -> APPEND to \Sent with \Seen (through the account worker).
 * A kill at any point leaves the entry in `sending` at worst, which the
 * next start turns into `uncertain` for a human: never a second send. */
#include "handlers/sender.h"

#include <json-c/json.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/log.h"
#include "handlers/accounts.h"
#include "handlers/errors.h"
#include "handlers/send_audit.h"
#include "imap/cmd.h"
#include "imap/tls.h"
#include "imap/worker.h"
#include "base/config.h"
#include "imap/smtp.h"
#include "store/outbox.h"
#include "store/state.h"

#define SENDER_POLL_MS 1000

struct sender {
	const struct ig_config *cfg;
	struct accounts *accounts;
	struct audit *audit;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool stop;
};

/* ---- copy to \Sent -------------------------------------------------------- */

struct sent_job {
	struct wk_job job; /* first */
	unsigned char *mime;
	size_t len;
	int64_t outbox_id;
	char account[LIM_ACCOUNT_NAME + 1];
};

static void
sent_work(struct wk_job *job, struct imap_conn *c, struct imap_error *err)
{
	struct sent_job *j = (struct sent_job *)job;
	struct imap_folder_list fl = {NULL, 0};
	size_t skipped = 0;
	uint32_t uid[2] = {0, 0};
	size_t i;

	if (imap_list_folders(c, false, &fl, &skipped, err) != IMAP_FAIL_NONE)
		return;
	for (i = 0; i < fl.n; i++) {
		if (fl.f[i].special_use != NULL && strcasecmp(fl.f[i].special_use, "\\Sent") == 0 &&
		    !fl.f[i].noselect)
			break;
	}
	if (i == fl.n)
		imap_error_set(err, IMAP_FAIL_NOT_FOUND, "no \\Sent folder");
	else
		(void)imap_append(c, fl.f[i].name, "\\Seen",
				  (struct slice){(const char *)j->mime, j->len}, uid, err);
	imap_folder_list_free(&fl);
}

static void
sent_done(struct wk_job *job, const struct imap_error *err)
{
	struct sent_job *j = (struct sent_job *)job;

	if (err->fail != IMAP_FAIL_NONE)
		log_warn(0, "msg=\"copy to Sent failed\" outbox_id=%lld reason=%s",
			 (long long)j->outbox_id, imap_fail_str(err->fail));
	else
		log_info(0, "msg=\"copied to Sent\" outbox_id=%lld", (long long)j->outbox_id);
	free(j->mime);
	free(j);
}

static void
sent_copy(struct sender *s, struct outbox_entry *e)
{
	struct wk *w = accounts_worker(s->accounts, e->account);
	struct sent_job *j;

	if (w == NULL)
		return;
	j = calloc(1, sizeof(*j));
	if (j == NULL)
		return;
	j->mime = e->mime; /* taken */
	j->len = e->mime_len;
	e->mime = NULL;
	j->outbox_id = e->id;
	(void)snprintf(j->account, sizeof(j->account), "%s", e->account);
	j->job.run = sent_work;
	j->job.done = sent_done;
	if (wk_submit(w, &j->job) != IG_OK) {
		log_warn(0, "msg=\"copy to Sent not queued\" outbox_id=%lld", (long long)e->id);
		free(j->mime);
		free(j);
	}
}

/* ---- one entry -------------------------------------------------------------- */

static struct json_object *
fields_base(const struct outbox_entry *e)
{
	struct json_object *f = json_object_new_object();
	char hex[OUTBOX_HASH_HEX + 1];

	outbox_hash_hex(e->approved_hash, hex);
	json_object_object_add(f, "outbox_id", json_object_new_int64(e->id));
	json_object_object_add(f, "hash", json_object_new_string(hex));
	json_object_object_add(f, "path", json_object_new_string(e->autonomous ? "autonomous"
									       : "approval"));
	json_object_object_add(f, "approved_by",
			       json_object_new_string(e->approved_by ? e->approved_by : ""));
	json_object_object_add(f, "rcpt_count", json_object_new_int64((int64_t)e->n_rcpts));
	return f;
}

static bool
smtp_opts_from(const struct cfg_account *a, struct smtp_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->url = a->smtp_url;
	o->user = a->smtp_user;
	o->password_file = a->smtp_password_file;
	o->password_env = a->smtp_password_env;
	o->ca_file = a->smtp_tls_ca_file;
	o->connect_timeout_s = a->connect_timeout_s;
	o->timeout_s = a->smtp_timeout_s;
	if (a->smtp_tls_fingerprint_sha256 != NULL) {
		o->pinned = true;
		if (!imap_fingerprint_parse(a->smtp_tls_fingerprint_sha256, o->pin))
			return false;
	}
	return a->smtp_url != NULL;
}

static void
entry_send(struct sender *s, struct state *st, struct outbox_entry *e)
{
	const struct cfg_account *a = config_account_find(s->cfg, e->account);
	unsigned char h[OUTBOX_HASH_LEN];
	struct smtp_opts so;
	struct smtp_result res;
	struct json_object *f;
	enum outbox_state to;
	int64_t now = (int64_t)time(NULL);

	/* the bytes about to be sent must be the bytes a human approved */
	outbox_hash(e->mail_from, (const char *const *)e->rcpts, e->n_rcpts,
		    (struct slice){(const char *)e->mime, e->mime_len}, h);
	if (sodium_memcmp(h, e->approved_hash, sizeof(h)) != 0 ||
	    sodium_memcmp(h, e->hash, sizeof(h)) != 0) {
		log_warn(0, "msg=\"outbox entry changed after approval\" outbox_id=%lld",
			 (long long)e->id);
		f = fields_base(e);
		json_object_object_add(f, "decision", json_object_new_string("invalidated"));
		if (send_audit(s->audit, "approval", "sender", e->account, f, true) != IG_OK)
			log_warn(0, "msg=\"audit record failed\" kind=approval");
		if (outbox_unapprove(st, e->id, "the entry changed after approval; approve again",
				     now) != IG_OK)
			log_error(0, "msg=\"outbox update failed\" error=\"%s\"", state_errmsg());
		return;
	}
	if (a == NULL || !smtp_opts_from(a, &so)) {
		if (outbox_finish(st, e->id, OUTBOX_FAILED,
				  "the account has no usable SMTP configuration", now) != IG_OK)
			log_error(0, "msg=\"outbox update failed\" error=\"%s\"", state_errmsg());
		return;
	}
	/* Durable intent before any connection; no record, no send. */
	f = fields_base(e);
	if (send_audit(s->audit, "send_intent", e->token_name, e->account, f, true) != IG_OK) {
		if (outbox_finish(st, e->id, OUTBOX_FAILED, "the audit log is unavailable", now) !=
		    IG_OK)
			log_error(0, "msg=\"outbox update failed\" error=\"%s\"", state_errmsg());
		sodium_memzero(so.pin, sizeof(so.pin));
		return;
	}
	smtp_send(&so, e->mail_from, (const char *const *)e->rcpts, e->n_rcpts,
		  (struct slice){(const char *)e->mime, e->mime_len}, &res);
	sodium_memzero(so.pin, sizeof(so.pin));
	to = res.fail == SMTP_OK ? OUTBOX_SENT
	     : res.maybe_delivered ? OUTBOX_UNCERTAIN
				   : OUTBOX_FAILED;
	f = fields_base(e);
	json_object_object_add(f, "result", json_object_new_string(outbox_state_str(to)));
	json_object_object_add(f, "error_code", res.fail == SMTP_OK
							? NULL
							: json_object_new_string(
							  tool_err_code(tool_err_from_smtp(res.fail))));
	json_object_object_add(f, "smtp_reply", res.reply_code > 0
							? json_object_new_int64(res.reply_code)
							: NULL);
	if (send_audit(s->audit, "send_result", e->token_name, e->account, f, true) != IG_OK)
		log_warn(0, "msg=\"audit record failed\" kind=send_result");
	log_info(0, "msg=\"outbox send\" outbox_id=%lld result=%s reason=%s reply=%ld",
		 (long long)e->id, outbox_state_str(to), smtp_fail_str(res.fail), res.reply_code);
	if (outbox_finish(st, e->id, to, res.fail == SMTP_OK ? NULL : res.msg,
			  (int64_t)time(NULL)) != IG_OK)
		log_error(0, "msg=\"outbox update failed\" error=\"%s\"", state_errmsg());
	if (to == OUTBOX_SENT)
		sent_copy(s, e);
}

/* The start-up step: an entry found `sending` becomes `uncertain`, and that
 * change is audited in the same transaction (no record, no change: the entry
 * stays `sending`, is never sent, and the next start tries again). */
static enum ig_err
recovered_audit(const struct outbox_entry *e, void *ctx)
{
	struct sender *s = ctx;
	struct json_object *f = fields_base(e);

	json_object_object_add(f, "result", json_object_new_string("uncertain"));
	json_object_object_add(f, "error_code", json_object_new_string("interrupted"));
	json_object_object_add(f, "smtp_reply", NULL);
	json_object_object_add(f, "recovered", json_object_new_boolean(true));
	return send_audit(s->audit, "send_result", e->token_name, e->account, f, true);
}

/* ---- the thread ------------------------------------------------------------ */

static bool
wait_tick(struct sender *s)
{
	struct timespec ts;
	bool stop;

	(void)clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += SENDER_POLL_MS / 1000;
	pthread_mutex_lock(&s->lock);
	if (!s->stop)
		(void)pthread_cond_timedwait(&s->cond, &s->lock, &ts);
	stop = s->stop;
	pthread_mutex_unlock(&s->lock);
	return !stop;
}

static bool
stopping(struct sender *s)
{
	bool stop;

	pthread_mutex_lock(&s->lock);
	stop = s->stop;
	pthread_mutex_unlock(&s->lock);
	return stop;
}

static void *
sender_main(void *arg)
{
	struct sender *s = arg;
	struct state *st = NULL;
	const char *error = NULL;
	enum ig_err rerr;
	size_t n = 0;

	if (state_open(s->cfg->data_dir, &st, &error) != IG_OK) {
		log_error(0, "msg=\"outbox sender cannot open state.db\" error=\"%s\"",
			  error != NULL ? error : "?");
		return NULL;
	}
	rerr = outbox_recover(st, (int64_t)time(NULL), recovered_audit, s, &n);
	if (rerr != IG_OK)
		log_error(0, "msg=\"outbox recovery failed; interrupted entries stay 'sending' "
			     "(never sent) until a restart can audit them\" error=\"%s\"",
			  rerr == IG_EIO ? "the audit record cannot be written" : state_errmsg());
	else if (n > 0)
		log_warn(0, "msg=\"outbox entries interrupted while sending are now uncertain; "
			    "a human must check them\" count=%zu",
			 n);
	while (wait_tick(s)) {
		struct outbox_entry *e = NULL;
		enum ig_err err = IG_ENOTFOUND;

		while (!stopping(s) &&
		       (err = outbox_claim(st, (int64_t)time(NULL), &e)) == IG_OK) {
			entry_send(s, st, e);
			outbox_entry_free(e);
			e = NULL;
		}
		if (err != IG_OK && err != IG_ENOTFOUND)
			log_error(0, "msg=\"outbox claim failed\" error=\"%s\"", state_errmsg());
	}
	state_close(st);
	return NULL;
}

struct sender *
sender_start(const struct ig_config *cfg, struct accounts *accounts, struct audit *audit,
	     const char **error_r)
{
	struct sender *s = calloc(1, sizeof(*s));

	if (s == NULL) {
		*error_r = "out of memory";
		return NULL;
	}
	s->cfg = cfg;
	s->accounts = accounts;
	s->audit = audit;
	if (pthread_mutex_init(&s->lock, NULL) != 0) {
		free(s);
		*error_r = "cannot start the outbox sender";
		return NULL;
	}
	if (pthread_cond_init(&s->cond, NULL) != 0) {
		pthread_mutex_destroy(&s->lock);
		free(s);
		*error_r = "cannot start the outbox sender";
		return NULL;
	}
	if (pthread_create(&s->thread, NULL, sender_main, s) != 0) {
		pthread_cond_destroy(&s->cond);
		pthread_mutex_destroy(&s->lock);
		free(s);
		*error_r = "cannot start the outbox sender";
		return NULL;
	}
	return s;
}

void
sender_stop(struct sender *s)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&s->lock);
	s->stop = true;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->lock);
	(void)pthread_join(s->thread, NULL);
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->lock);
	free(s);
}
