/* Bearer tokens: RFC 6750 (Authorization header only), tokens stored hashed
 * in state.db and compared in constant time (store/state.c). */
#include "server/auth.h"

#include <json-c/json.h>
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <strings.h>

#include "store/audit.h"
#include "base/clock.h"
#include "base/limits.h"
#include "base/log.h"

struct auth {
	pthread_mutex_t lock;
	struct state *st;
	/* 401 records: at most LIM_AUDIT_REJECTS_PER_MIN per minute (a flood
	 * must not fill the disk); the rest are counted. Under lock. */
	struct audit *audit;
	int64_t reject_window_s;
	unsigned reject_count;
	uint64_t suppressed;       /* since the last record that reported them */
	uint64_t suppressed_total;
};

struct auth *
auth_new(const char *data_dir, const char **error_r)
{
	struct auth *a = calloc(1, sizeof(*a));

	if (a == NULL) {
		*error_r = "out of memory";
		return NULL;
	}
	if (state_open(data_dir, &a->st, error_r) != IG_OK) {
		free(a);
		return NULL;
	}
	if (pthread_mutex_init(&a->lock, NULL) != 0) {
		state_close(a->st);
		free(a);
		*error_r = "mutex";
		return NULL;
	}
	return a;
}

void
auth_free(struct auth *a)
{
	if (a == NULL)
		return;
	state_close(a->st);
	pthread_mutex_destroy(&a->lock);
	free(a);
}

static bool
is_token68(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/' || c == '=';
}

bool
auth_bearer_parse(struct slice h, struct slice *token_r)
{
	size_t i;

	h = sl_trim_ows(h);
	if (h.len < 7 || strncasecmp(h.p, "Bearer", 6) != 0 || (h.p[6] != ' ' && h.p[6] != '\t'))
		return false;
	h.p += 7;
	h.len -= 7;
	h = sl_trim_ows(h);
	if (h.len == 0)
		return false;
	for (i = 0; i < h.len; i++) {
		if (!is_token68(h.p[i]))
			return false;
	}
	*token_r = h;
	return true;
}

void
auth_set_audit(struct auth *a, struct audit *audit)
{
	a->audit = audit;
}

uint64_t
auth_rejects_suppressed(struct auth *a)
{
	uint64_t n;

	pthread_mutex_lock(&a->lock);
	n = a->suppressed_total;
	pthread_mutex_unlock(&a->lock);
	return n;
}

/* A `token` record with event "rejected": the reason and, for a presented
 * token, the first 8 hex digits of its SHA-256 (enough to match a stored
 * token hash, useless to replay). Not fsync'ed: it is written on the HTTP
 * thread and changes no state. */
static void
reject_audit(struct auth *a, const char *reason, const struct slice *token)
{
	struct json_object *f;
	unsigned char h[crypto_hash_sha256_BYTES];
	char prefix[9];
	uint64_t suppressed;
	int64_t now = mono_now_s();
	size_t i;

	if (a->audit == NULL)
		return;
	pthread_mutex_lock(&a->lock);
	if (now - a->reject_window_s >= 60) {
		a->reject_window_s = now;
		a->reject_count = 0;
	}
	if (a->reject_count >= LIM_AUDIT_REJECTS_PER_MIN) {
		a->suppressed++;
		a->suppressed_total++;
		pthread_mutex_unlock(&a->lock);
		return;
	}
	a->reject_count++;
	suppressed = a->suppressed;
	a->suppressed = 0;
	pthread_mutex_unlock(&a->lock);
	f = json_object_new_object();
	json_object_object_add(f, "event", json_object_new_string("rejected"));
	json_object_object_add(f, "reason", json_object_new_string(reason));
	if (token != NULL) {
		crypto_hash_sha256(h, (const unsigned char *)token->p, token->len);
		for (i = 0; i < 4; i++)
			(void)snprintf(prefix + 2 * i, 3, "%02x", h[i]);
		json_object_object_add(f, "token_sha256_prefix", json_object_new_string(prefix));
		sodium_memzero(h, sizeof(h));
	}
	if (suppressed > 0)
		json_object_object_add(f, "suppressed_before", json_object_new_int64((int64_t)suppressed));
	if (audit_append(a->audit, "token", NULL, NULL, f, false) != IG_OK) {
		/* logged by audit_append; the request is refused either way */
	}
	json_object_put(f);
}

enum auth_result
auth_check(struct auth *a, struct slice header, bool present, struct token_info *info_r)
{
	struct slice token;
	enum ig_err err;

	if (!present || !auth_bearer_parse(header, &token)) {
		reject_audit(a, present ? "malformed" : "missing", NULL);
		return AUTH_MISSING;
	}
	pthread_mutex_lock(&a->lock);
	err = state_token_verify(a->st, token, wall_now_s(), info_r);
	pthread_mutex_unlock(&a->lock);
	if (err == IG_OK)
		return AUTH_OK;
	if (err == IG_EAUTH) {
		reject_audit(a, "invalid", &token);
		return AUTH_INVALID;
	}
	log_error(0, "msg=\"token lookup failed\" err=%s", ig_err_str(err));
	return AUTH_ERROR;
}
