/* Bearer tokens: RFC 6750 (Authorization header only), tokens stored hashed
 * in state.db and compared in constant time (store/state.c). */
#include "server/auth.h"

#include <pthread.h>
#include <stdlib.h>
#include <strings.h>

#include "base/clock.h"
#include "base/log.h"

struct auth {
	pthread_mutex_t lock;
	struct state *st;
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

enum auth_result
auth_check(struct auth *a, struct slice header, bool present, struct token_info *info_r)
{
	struct slice token;
	enum ig_err err;

	if (!present || !auth_bearer_parse(header, &token))
		return AUTH_MISSING;
	pthread_mutex_lock(&a->lock);
	err = state_token_verify(a->st, token, wall_now_s(), info_r);
	pthread_mutex_unlock(&a->lock);
	if (err == IG_OK)
		return AUTH_OK;
	if (err == IG_EAUTH)
		return AUTH_INVALID;
	log_error(0, "msg=\"token lookup failed\" err=%s", ig_err_str(err));
	return AUTH_ERROR;
}
