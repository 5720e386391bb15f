/* The dispatch chain (DESIGN §8; handlers/dispatch.h): every tools/call
 * passes here, and only here is a tool's run() called. */
#include "handlers/dispatch.h"

#include <json-c/json.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handlers/audit_tool.h"
#include "base/buf.h"
#include "base/limits.h"
#include "base/log.h"
#include "handlers/accounts.h"
#include "handlers/breaker.h"
#include "handlers/errors.h"
#include "handlers/call.h"
#include "handlers/policy.h"
#include "handlers/ratelimit.h"
#include "handlers/tools.h"
#include "base/config.h"
#include "store/state.h"

#define LIST_WORDS (LIM_TOOLS / 64)
#define RATE_KEY 128

/* One cached tools/list answer: the tools of one permission set. */
struct list_entry {
	uint64_t bits[LIST_WORDS];
	char *json;
	size_t len;
};

struct disp {
	const struct ig_config *cfg;
	const struct tool_registry *reg;
	struct ig_clock clock;
	struct rl *rl;
	struct breaker **brk; /* one per cfg->accounts[i] */
	pthread_rwlock_t list_lock; /* readers copy cached lists in parallel */
	struct list_entry *lists;
	size_t n_lists;
	struct audit *audit; /* borrowed; NULL: no audit log (unit tests) */
};

/* ---- configuration ------------------------------------------------------- */

static enum ig_err
check_list(const struct tool_registry *reg, const struct cfg_account *a, const char *key,
	   const char *list, char **error_r)
{
	char bad[256];
	struct buf b;

	if (pol_list_check(reg, list, bad, sizeof(bad)))
		return IG_OK;
	buf_init(&b, 1024);
	buf_appendf(&b,
		    "[account %s] %s: unknown tool or sub-capability '%s' (names are tool "
		    "names from tools/list, or tool.argument sub-capabilities such as "
		    "search.advanced_query)",
		    a->name, key, bad);
	*error_r = buf_err(&b) == IG_OK ? buf_take(&b) : strdup("unknown tool in an override");
	buf_free(&b);
	return IG_ECONFIG;
}

enum ig_err
disp_config_check(const struct ig_config *cfg, const struct tool_registry *reg, char **error_r)
{
	size_t i;

	*error_r = NULL;
	for (i = 0; i < cfg->n_accounts; i++) {
		const struct cfg_account *a = &cfg->accounts[i];

		if (check_list(reg, a, "tools_allow", a->tools_allow, error_r) != IG_OK ||
		    check_list(reg, a, "tools_deny", a->tools_deny, error_r) != IG_OK)
			return IG_ECONFIG;
	}
	return IG_OK;
}

struct disp *
disp_new(const struct ig_config *cfg, const struct tool_registry *reg,
	 const struct ig_clock *clock, char **error_r)
{
	struct disp *d = NULL;
	size_t i;

	*error_r = NULL;
	if (disp_config_check(cfg, reg, error_r) != IG_OK)
		return NULL;
	d = calloc(1, sizeof(*d));
	if (d == NULL || pthread_rwlock_init(&d->list_lock, NULL) != 0) {
		free(d);
		goto nomem;
	}
	d->cfg = cfg;
	d->reg = reg;
	d->clock = clock != NULL ? *clock : IG_CLOCK_MONO;
	d->rl = rl_new(&d->clock);
	d->brk = calloc(cfg->n_accounts + 1, sizeof(struct breaker *));
	d->lists = calloc(LIM_LIST_CACHE, sizeof(*d->lists));
	if (d->rl == NULL || d->brk == NULL || d->lists == NULL)
		goto fail;
	for (i = 0; i < cfg->n_accounts; i++) {
		d->brk[i] = brk_new(&d->clock);
		if (d->brk[i] == NULL)
			goto fail;
	}
	return d;
fail:
	disp_free(d);
nomem:
	*error_r = strdup("dispatch: out of memory");
	return NULL;
}

void
disp_set_audit(struct disp *d, struct audit *audit)
{
	d->audit = audit;
}

void
disp_free(struct disp *d)
{
	size_t i;

	if (d == NULL)
		return;
	if (d->brk != NULL && d->cfg != NULL) {
		for (i = 0; i < d->cfg->n_accounts; i++)
			brk_free(d->brk[i]);
	}
	free(d->brk);
	for (i = 0; d->lists != NULL && i < d->n_lists; i++)
		free(d->lists[i].json);
	free(d->lists);
	rl_free(d->rl);
	pthread_rwlock_destroy(&d->list_lock);
	free(d);
}

static struct breaker *
disp_breaker(struct disp *d, const struct cfg_account *a)
{
	size_t i = (size_t)(a - d->cfg->accounts);

	return i < d->cfg->n_accounts ? d->brk[i] : NULL;
}

const char *
disp_breaker_state(struct disp *d, const char *account)
{
	size_t i;

	for (i = 0; i < d->cfg->n_accounts; i++) {
		if (strcmp(d->cfg->accounts[i].name, account) == 0)
			return d->brk[i] != NULL ? brk_state_str(brk_state(d->brk[i])) : NULL;
	}
	return NULL;
}

static int64_t
disp_now(const struct disp *d)
{
	return d->clock.now_ms(d->clock.ctx);
}

/* ---- audit hooks ---------------------------------------------------------- */

/* tool_start (DESIGN §9): written for every call that passed validation,
 * scope, posture, breaker and rate limits, before it runs. A failure
 * refuses side-effecting tools (the caller answers ERR_INTERNAL without
 * running); a read tool proceeds (audit_append logged the failure). */
static enum ig_err
disp_audit_start(struct disp *d, struct tool_call *call)
{
	return audit_tool_start(d->audit, call->def, call->principal->name,
				call->account != NULL ? call->account->name : NULL, call->args,
				&call->span);
}

/* tool_end: once for EVERY call, when its outcome is final (deferred calls:
 * at completion, on whatever thread completed them). A call the chain
 * refused before tool_start (validation, scope, posture, breaker, rate
 * limit) gets a tool_end of status "rejected" with its error code, so that
 * probing for what a token may do is on record. The result is decided; a
 * write failure here is logged by audit_append. */
static void
disp_audit_end(struct disp *d, struct tool_call *call, const char *error_code)
{
	const char *account = call->account != NULL ? call->account->name : NULL;
	enum ig_err err;

	if (d->audit == NULL || call->def == NULL || call->principal == NULL)
		return;
	if (call->audit_started)
		err = audit_tool_end(d->audit, call->def, call->principal->name, account,
				     &call->span, call->result, call->rpc_error_code);
	else
		err = audit_tool_rejected(d->audit, call->def, call->principal->name, account,
					  error_code);
	(void)err;
}

/* ---- completion ----------------------------------------------------------- */

/* The ERR_* code of an isError result (ERR_UNKNOWN for text that is no
 * code of handlers/errors.c), "RPC_ERROR", or NULL. Static. */
static const char *
result_error_code(struct tool_call *call)
{
	struct json_object *v;
	struct json_object *err;
	enum tool_err e = TOOL_ERR_UNKNOWN;

	if (call->rpc_error_code != 0)
		return "RPC_ERROR";
	if (!json_object_object_get_ex(call->result, "isError", &v) ||
	    !json_object_get_boolean(v))
		return NULL;
	err = tool_result_error(call->result);
	if (err == NULL || !json_object_object_get_ex(err, "code", &v) ||
	    !json_object_is_type(v, json_type_string))
		e = TOOL_ERR_TOOL; /* a tool result with isError but no code (fixtures) */
	else
		(void)tool_err_parse(json_object_get_string(v), &e);
	return tool_err_code(e);
}

/* The end of every call: outcome to the breaker, audit tool_end, delivery. */
/* Whether result, serialized as the transport will (server/mcp.c), is over
 * LIM_TOOL_RESULT. A larger result could not be sent: the client would see a
 * transport failure (HTTP 500, id null) instead of this call's typed error.
 * json-c serializes into the object's own buffer; the transport serializes
 * the envelope again, so a result costs two passes (microseconds for the
 * usual few kilobytes). */
static bool
result_too_large(struct json_object *result)
{
	size_t len = 0;

	(void)json_object_to_json_string_length(
		result, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	return len > LIM_TOOL_RESULT;
}

static void
disp_finish(struct tool_call *call)
{
	struct disp *d = call->disp;
	const char *code;
	struct breaker *b;

	if (call->result == NULL && call->rpc_error_code == 0)
		tool_call_error(call, TOOL_ERR_INTERNAL, "the tool produced no result");
	if (call->result != NULL && result_too_large(call->result))
		tool_call_error(call, TOOL_ERR_TOO_LARGE,
				"the result is larger than one answer can carry "
				"(LIM_TOOL_RESULT); ask for less, e.g. a smaller max_bytes or limit");
	code = result_error_code(call);
	if (call->brk_admitted && (b = disp_breaker(d, call->account)) != NULL)
		brk_record(b, call->brk_ticket,
			   call->rpc_error_code != 0 || call->brk_refused ? BRK_UNRELATED
									  : brk_classify(code));
	disp_audit_end(d, call, code);
	if (call->complete != NULL)
		call->complete(call->ctx);
}

void
tool_call_complete(struct tool_call *call)
{
	/* The last of (run() returned, tool completed) finishes the call. */
	if (__atomic_sub_fetch(&call->pending, 1, __ATOMIC_ACQ_REL) == 0)
		disp_finish(call);
}

/* ---- the chain ------------------------------------------------------------ */

/* Step 2: the account of an account-scoped call. */
static bool
disp_scope(struct disp *d, struct tool_call *call)
{
	const struct ig_config *cfg = d->cfg;
	const struct token_info *tok = call->principal;
	struct json_object *v = NULL;
	const struct cfg_account *only = NULL;
	size_t n = 0;
	size_t i;

	if (json_object_object_get_ex(call->args, "account", &v)) {
		const struct cfg_account *a = json_object_is_type(v, json_type_string)
						      ? config_account_find(cfg, json_object_get_string(v))
						      : NULL;

		/* one answer for "does not exist" and "not yours": nothing
		 * about other tenants' accounts can be learnt here */
		if (a == NULL || !token_allows_account(tok, a->name)) {
			tool_call_error(call, TOOL_ERR_NOT_FOUND, "no such account");
			return false;
		}
		call->account = a;
		return true;
	}
	for (i = 0; i < cfg->n_accounts; i++) {
		if (token_allows_account(tok, cfg->accounts[i].name)) {
			only = &cfg->accounts[i];
			n++;
		}
	}
	if (n == 1) {
		call->account = only;
		return true;
	}
	if (n == 0)
		tool_call_error(call, TOOL_ERR_NOT_FOUND, "this token has no mail account");
	else
		tool_call_error(call, TOOL_ERR_INVALID_INPUT,
				"`account` is required: this token holds several accounts "
				"(see list_accounts)");
	return false;
}

/* An argument "uses" a sub-capability unless it is absent, null or false. */
static bool
arg_used(struct json_object *args, const char *name)
{
	struct json_object *v = NULL;

	if (!json_object_object_get_ex(args, name, &v) || v == NULL)
		return false;
	return !(json_object_is_type(v, json_type_boolean) && !json_object_get_boolean(v));
}

/* Step 3: posture and overrides, tool and sub-capabilities. */
static bool
disp_posture(struct disp *d, struct tool_call *call)
{
	struct pol_overrides to = pol_token_overrides(call->principal);
	struct pol_overrides ao = {NULL, NULL};
	const struct tool_arg_rule *r;
	char msg[LIM_TOOL_NAME + 96];

	(void)d;
	if (call->account != NULL) {
		ao = pol_account_overrides(call->account);
		call->posture = pol_posture(call->account->posture, call->principal->posture_cap);
	} else {
		call->posture = call->principal->posture_cap;
	}
	if (!pol_tool_allowed(call->def, call->posture, &to, call->account ? &ao : NULL)) {
		tool_call_error(call, TOOL_ERR_POSTURE_DENIED,
				call->account != NULL
					? "this tool is not available to this token on this account"
					: "this tool is not available to this token");
		return false;
	}
	for (r = call->def->args; r->name != NULL; r++) {
		if (!pol_arg_is_subcap(r) || !arg_used(call->args, r->name) ||
		    pol_arg_allowed(call->def, r, call->posture, &to, call->account ? &ao : NULL))
			continue;
		(void)snprintf(msg, sizeof(msg),
			       "argument `%s` is not available to this token on this account",
			       r->name);
		tool_call_error(call, TOOL_ERR_POSTURE_DENIED, msg);
		return false;
	}
	return true;
}

/* Step 4. */
static bool
disp_breaker_admit(struct disp *d, struct tool_call *call)
{
	struct breaker *b;
	int64_t retry = 0;

	if (call->account == NULL || (b = disp_breaker(d, call->account)) == NULL)
		return true;
	if (brk_admit(b, &call->brk_ticket, &retry) != IG_OK) {
		/* the code's own sentence (handlers/errors.c) */
		tool_call_error_retry(call, TOOL_ERR_CIRCUIT_OPEN, NULL, retry);
		return false;
	}
	call->brk_admitted = true;
	return true;
}

static struct rl_rate
rate_of(struct cfg_rate r)
{
	return (struct rl_rate){r.count, r.period_s};
}

/* Step 5: one token from each bucket that applies, or none. */
static bool
disp_rate(struct disp *d, struct tool_call *call)
{
	const struct token_info *tok = call->principal;
	const struct cfg_account *a = call->account;
	enum tool_rate_class cls = call->def->rate_class;
	const char *suffix = cls == TOOL_RATE_DRAFT ? "draft" : cls == TOOL_RATE_SEND ? "send" : NULL;
	char keys[4][RATE_KEY];
	struct rl_req reqs[4];
	size_t n = 0;
	int64_t retry = 0;
	enum ig_err err;

	(void)snprintf(keys[n], RATE_KEY, "t:%lld", (long long)tok->id);
	reqs[n] = (struct rl_req){keys[n], rate_of(tok->rate_set ? tok->rate_limit
								  : d->cfg->token_rate_limit)};
	n++;
	if (suffix != NULL) {
		(void)snprintf(keys[n], RATE_KEY, "t:%lld:%s", (long long)tok->id, suffix);
		reqs[n] = (struct rl_req){keys[n], rate_of(cls == TOOL_RATE_DRAFT
								   ? d->cfg->draft_rate_limit
								   : d->cfg->send_rate_limit)};
		n++;
	}
	if (a != NULL) {
		(void)snprintf(keys[n], RATE_KEY, "a:%s", a->name);
		reqs[n] = (struct rl_req){keys[n], rate_of(a->rate_limit)};
		n++;
		if (suffix != NULL) {
			(void)snprintf(keys[n], RATE_KEY, "a:%s:%s", a->name, suffix);
			reqs[n] = (struct rl_req){keys[n], rate_of(cls == TOOL_RATE_DRAFT
									   ? a->draft_rate_limit
									   : a->send_rate_limit)};
			n++;
		}
	}
	err = rl_take(d->rl, reqs, n, &retry);
	if (err == IG_OK)
		return true;
	if (err == IG_ELIMIT)
		tool_call_error_retry(call, TOOL_ERR_RATE_LIMITED, NULL, retry);
	else
		tool_call_error(call, TOOL_ERR_BUSY, "too many rate-limit buckets; retry shortly");
	return false;
}

void
disp_call(struct disp *d, struct tool_call *call)
{
	char msg[256];

	call->disp = d;
	call->started_ms = disp_now(d);
	call->account = NULL;
	call->posture = POSTURE_READONLY;
	call->brk_admitted = false;
	call->brk_ticket = 0;
	call->brk_refused = false;
	call->audit_started = false;
	call->deferred = false;
	__atomic_store_n(&call->pending, 2, __ATOMIC_RELEASE);
	if (call->result != NULL || call->rpc_error_code != 0)
		goto done; /* the transport already answered */
	if (!tool_args_check(d->reg, call->def, call->args, msg, sizeof(msg))) {
		tool_call_error(call, TOOL_ERR_INVALID_INPUT, msg);
		goto done;
	}
	if (call->def->account_scoped && !disp_scope(d, call))
		goto done;
	if (!disp_posture(d, call) || !disp_breaker_admit(d, call) || !disp_rate(d, call))
		goto done;
	if (disp_audit_start(d, call) != IG_OK && audit_tool_side_effecting(call->def)) {
		tool_call_error(call, TOOL_ERR_INTERNAL,
				"the audit log cannot be written; changes are refused");
		goto done;
	}
	call->audit_started = true;
	call->def->run(call);
	if (!call->deferred)
		goto done;
	/* Deferred: the tool completes from another thread, maybe already. */
	if (__atomic_sub_fetch(&call->pending, 1, __ATOMIC_ACQ_REL) == 0)
		disp_finish(call);
	return;
done:
	disp_finish(call);
}

/* ---- tools/list ----------------------------------------------------------- */

static void
bits_set(uint64_t *bits, size_t i)
{
	bits[i / 64] |= (uint64_t)1 << (i % 64);
}

static void
list_bits(struct disp *d, const struct token_info *tok, uint64_t bits[LIST_WORDS])
{
	size_t n = tool_registry_count(d->reg);
	size_t i;
	size_t j;

	memset(bits, 0, LIST_WORDS * sizeof(bits[0]));
	for (i = 0; i < n; i++) {
		const struct tool_def *t = tool_registry_at(d->reg, i);

		if (!t->account_scoped) {
			if (pol_permits(t, NULL, tok))
				bits_set(bits, i);
			continue;
		}
		for (j = 0; j < d->cfg->n_accounts; j++) {
			const struct cfg_account *a = &d->cfg->accounts[j];

			if (token_allows_account(tok, a->name) && pol_permits(t, a, tok)) {
				bits_set(bits, i);
				break;
			}
		}
	}
}

static void
list_build(struct disp *d, const uint64_t bits[LIST_WORDS], struct buf *out)
{
	size_t n = tool_registry_count(d->reg);
	bool first = true;
	size_t i;

	buf_putc(out, '[');
	for (i = 0; i < n; i++) {
		const char *json;
		size_t len;

		if ((bits[i / 64] & ((uint64_t)1 << (i % 64))) == 0)
			continue;
		json = tool_registry_entry_json(d->reg, i, &len);
		if (!first)
			buf_putc(out, ',');
		buf_append(out, json, len);
		first = false;
	}
	buf_putc(out, ']');
}

enum ig_err
disp_tools_list(struct disp *d, const struct token_info *tok, struct buf *out)
{
	uint64_t bits[LIST_WORDS];
	struct list_entry *e;
	struct buf b;
	size_t i;

	list_bits(d, tok, bits);
	pthread_rwlock_rdlock(&d->list_lock);
	for (i = 0; i < d->n_lists; i++) {
		e = &d->lists[i];
		if (memcmp(e->bits, bits, sizeof(bits)) == 0) {
			buf_append(out, e->json, e->len);
			pthread_rwlock_unlock(&d->list_lock);
			return buf_err(out);
		}
	}
	pthread_rwlock_unlock(&d->list_lock);
	buf_init(&b, LIM_HTTP_BODY * 4);
	list_build(d, bits, &b);
	if (buf_err(&b) != IG_OK) {
		buf_free(&b);
		return IG_ENOMEM;
	}
	buf_append(out, b.p, b.len);
	pthread_rwlock_wrlock(&d->list_lock);
	/* another thread may have added the same set meanwhile; a full cache
	 * still answers, just without keeping the text */
	for (i = 0; i < d->n_lists; i++) {
		if (memcmp(d->lists[i].bits, bits, sizeof(bits)) == 0)
			break;
	}
	if (i == d->n_lists && d->n_lists < LIM_LIST_CACHE) {
		e = &d->lists[d->n_lists];
		memcpy(e->bits, bits, sizeof(bits));
		e->len = b.len;
		e->json = buf_take(&b);
		if (e->json != NULL)
			d->n_lists++;
	}
	pthread_rwlock_unlock(&d->list_lock);
	buf_free(&b);
	return buf_err(out);
}
