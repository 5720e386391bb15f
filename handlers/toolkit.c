/* Shared by the mail tools: account resolution, jobs on account workers,
 * IMAP error mapping, name filtering (handlers/toolkit.h). */
#include "handlers/toolkit.h"
#include "handlers/errors.h"

#include <json-c/json.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/limits.h"
#include "base/log.h"
#include "handlers/accounts.h"
#include "handlers/call.h"
#include "handlers/tools.h"
#include "imap/conn.h"
#include "base/config.h"
#include "store/state.h"

/* The dispatch chain resolved and checked the account before run() (token
 * scope, DESIGN §8); tools never resolve accounts themselves. */
const char *
tk_account_resolve(struct tool_call *call)
{
	const struct cfg_account *a = tool_call_account(call);

	if (a == NULL) {
		/* only a tool registered without account_scoped gets here */
		tool_call_error(call, TOOL_ERR_INTERNAL, "tool called without an account");
		return NULL;
	}
	return a->name;
}

/* Copies a decoded name, replacing C0/C1 controls, DEL and bidirectional
 * formatting characters (which can make a name display as another) with
 * U+FFFD. The input is valid UTF-8 (imap/ guarantees it). */
char *
tk_name_filter(const char *s)
{
	size_t len = strlen(s);
	struct buf b;
	size_t i = 0;

	buf_init(&b, 4 * (size_t)LIM_IMAP_MAILBOX);
	while (i < len) {
		unsigned char c = (unsigned char)s[i];
		size_t n = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
		uint32_t cp = n == 1 ? c : (uint32_t)(c & (0x7f >> n));
		size_t k;

		if (i + n > len)
			break;
		for (k = 1; k < n; k++)
			cp = (cp << 6) | ((unsigned char)s[i + k] & 0x3f);
		if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x200e || cp == 0x200f ||
		    (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069))
			buf_puts(&b, "\xef\xbf\xbd");
		else
			buf_append(&b, s + i, n);
		i += n;
	}
	if (b.p == NULL)
		buf_puts(&b, "");
	if (buf_err(&b) != IG_OK) {
		buf_free(&b);
		return NULL;
	}
	return buf_take(&b);
}

/* --- jobs on the account worker --- */

static void
tk_job_free(struct tk_job *j)
{
	if (j->sync) {
		pthread_cond_destroy(&j->cond);
		pthread_mutex_destroy(&j->lock);
	}
	j->free_fn(j);
}

/* Delivers the result set on j->call and releases the job. */
void
tk_job_finish(struct tk_job *j)
{
	if (!j->sync) {
		struct tool_call *call = j->call;

		tk_job_free(j);
		tool_call_complete(call);
		return;
	}
	pthread_mutex_lock(&j->lock);
	j->finished = true;
	pthread_cond_signal(&j->cond);
	pthread_mutex_unlock(&j->lock);
}

/* Posts j to the account's worker, deferring the call. On failure the call
 * gets its error at once. */
void
tk_job_post(struct tool_call *call, struct tk_job *j, const char *account)
{
	struct wk *w = accounts_worker(call->accounts, account);
	enum ig_err err;
	bool sync;

	j->call = call;
	(void)snprintf(j->account, sizeof(j->account), "%s", account);
	/* job.timeout_s (0: LIM_IMAP_JOB_S) and job.idempotent are the tool's
	 * choice: only reads may be retried on a fresh connection. */
	if (w == NULL) {
		tool_call_error(call, TOOL_ERR_INTERNAL, "account worker not running");
		tk_job_free(j);
		return;
	}
	j->sync = call->complete == NULL;
	if (j->sync) {
		if (pthread_mutex_init(&j->lock, NULL) != 0) {
			j->sync = false;
			j->free_fn(j);
			tool_call_error(call, TOOL_ERR_INTERNAL, "out of resources");
			return;
		}
		if (pthread_cond_init(&j->cond, NULL) != 0) {
			pthread_mutex_destroy(&j->lock);
			j->sync = false;
			j->free_fn(j);
			tool_call_error(call, TOOL_ERR_INTERNAL, "out of resources");
			return;
		}
	} else {
		/* before submit: the worker may complete before we return */
		tool_call_defer(call);
	}
	/* j belongs to the worker once submitted: an asynchronous job may be
	 * finished and freed before wk_submit returns, so nothing of j is read
	 * after it except in the synchronous case (j then waits for us). */
	sync = j->sync;
	err = wk_submit(w, &j->job);
	if (err != IG_OK) {
		bool deferred = !sync;

		tool_call_error(call, err == IG_EBUSY ? TOOL_ERR_BUSY : TOOL_ERR_CONNECTION_LOST,
				err == IG_EBUSY ? NULL /* the code's own sentence */
						: "the gateway is shutting down");
		tk_job_free(j);
		if (deferred)
			tool_call_complete(call);
		return;
	}
	if (!sync)
		return;
	/* The worker guarantees done() within the job deadline or at stop. */
	pthread_mutex_lock(&j->lock);
	while (!j->finished)
		pthread_cond_wait(&j->cond, &j->lock);
	pthread_mutex_unlock(&j->lock);
	tk_job_free(j);
}

void
tk_imap_error(struct tool_call *call, const struct imap_error *err)
{
	enum tool_err e = tool_err_from_imap(err->fail);

	if (err->msg[0] != '\0') /* err->msg is filtered for logs (imap/conn.h) */
		log_info(0, "msg=\"tool failed\" tool=%s error=%s detail=\"%s\"", call->def->name,
			 tool_err_code(e), err->msg);
	/* a refusal answers this caller's own request: it must not open the
	 * account's breaker for every other caller (DESIGN §8) */
	call->brk_refused = err->refused;
	tool_call_error(call, e, tool_err_imap_text(err->fail));
}

/* wk_job.cancelled: asks the transport (a mutex and a flag, never I/O)
 * until the answer is yes, then remembers it. */
static bool
tk_job_cancel_poll(struct wk_job *job)
{
	struct tk_job *j = (struct tk_job *)job;

	if (__atomic_load_n(&j->cancelled, __ATOMIC_ACQUIRE))
		return true;
	if (j->call == NULL || !tool_call_cancelled(j->call))
		return false;
	__atomic_store_n(&j->cancelled, true, __ATOMIC_RELEASE);
	return true;
}

void
tk_job_progress(struct tk_job *j, double done, double total, const char *message)
{
	struct tool_call *call = j->call;
	int64_t now;
	bool last = total > 0 && done >= total;

	if (call == NULL || call->progress_token == NULL || call->emit == NULL)
		return;
	if (j->progress_sent && done <= j->progress_last)
		return;
	now = mono_now_ms();
	if (j->progress_sent && !last && now - j->progress_ms < LIM_PROGRESS_MS)
		return;
	j->progress_sent = true;
	j->progress_last = done;
	j->progress_ms = now;
	tool_call_progress(call, done, total, message);
}

void *
tk_job_new(struct tool_call *call, size_t size,
	   void (*run)(struct wk_job *job, struct imap_conn *c, struct imap_error *err),
	   void (*done)(struct wk_job *job, const struct imap_error *err),
	   void (*free_fn)(struct tk_job *j))
{
	struct tk_job *j = calloc(1, size);

	if (j == NULL) {
		tool_call_error(call, TOOL_ERR_INTERNAL, "out of memory");
		return NULL;
	}
	j->job.run = run;
	j->job.done = done;
	j->job.idempotent = false;
	j->job.cancelled = tk_job_cancel_poll;
	j->call = call;
	j->free_fn = free_fn;
	return j;
}

void *
tk_read_job_new(struct tool_call *call, size_t size,
		void (*run)(struct wk_job *job, struct imap_conn *c, struct imap_error *err),
		void (*done)(struct wk_job *job, const struct imap_error *err),
		void (*free_fn)(struct tk_job *j))
{
	struct tk_job *j = tk_job_new(call, size, run, done, free_fn);

	if (j != NULL)
		j->job.idempotent = true; /* a read may rerun on a fresh connection */
	return j;
}

struct json_object *
tk_result_new(struct json_object *meta, struct json_object *untrusted)
{
	struct json_object *out = json_object_new_object();

	json_object_object_add(out, "meta", meta);
	json_object_object_add(out, "untrusted", untrusted);
	return out;
}

void
tk_job_reply(struct tk_job *j, struct json_object *structured, struct json_object *extra)
{
	struct json_object *r = tool_result_structured(structured);

	if (extra != NULL) {
		struct json_object *content = NULL;

		if (json_object_object_get_ex(r, "content", &content))
			json_object_array_add(content, extra);
		else
			json_object_put(extra);
	}
	tool_call_result(j->call, r);
	tk_job_finish(j);
}

void
tk_known_load(struct tk_known *k, struct tool_call *call, const char *account)
{
	const struct cfg_account *a = config_account_find(tool_call_config(call), account);
	char *s, *comma;

	if (a == NULL || a->known_domains == NULL)
		return;
	k->list = strdup(a->known_domains);
	s = k->list;
	while (s != NULL && *s != '\0' && k->n < TK_KNOWN_MAX) {
		comma = strchr(s, ',');
		if (comma != NULL)
			*comma = '\0';
		while (*s == ' ')
			s++;
		if (*s != '\0')
			k->v[k->n++] = s;
		s = comma != NULL ? comma + 1 : NULL;
	}
}

void
tk_known_free(struct tk_known *k)
{
	free(k->list);
	k->list = NULL;
	k->n = 0;
}
