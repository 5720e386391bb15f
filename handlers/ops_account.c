/* Account status (handlers/ops_account.h): configuration, live worker
 * facts when the caller is the server, and cache facts from cache.db. */
#include "handlers/ops_account.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "base/config.h"
#include "base/slice.h"
#include "handlers/accounts.h"
#include "handlers/dispatch.h"
#include "imap/worker.h"
#include "store/cache.h"

/* data_dir/cache.db plus its WAL: what the cache takes on disk. */
static void
cache_stat(const char *data_dir, struct ops_cache_facts *f)
{
	char path[4200];
	struct stat st;

	memset(f, 0, sizeof(*f));
	(void)snprintf(path, sizeof(path), "%s/cache.db", data_dir);
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return;
	f->present = true;
	f->bytes = (int64_t)st.st_size;
	(void)snprintf(path, sizeof(path), "%s/cache.db-wal", data_dir);
	if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
		f->bytes += (int64_t)st.st_size;
}

struct warm_ctx {
	struct ops_account_status *s;
	bool failed;
};

static void
warm_add(void *ctx, struct slice name)
{
	struct warm_ctx *w = ctx;
	char *copy;

	if (w->s->n_warm >= LIM_SYNC_WARM) {
		w->s->warm_more = true;
		return;
	}
	copy = strndup(name.p, name.len);
	if (copy == NULL) {
		w->failed = true;
		return;
	}
	w->s->warm[w->s->n_warm++] = copy;
}

static void
warm_free(struct ops_account_status *s)
{
	size_t i;

	for (i = 0; i < s->n_warm; i++)
		free((char *)s->warm[i]);
	s->n_warm = 0;
}

enum ig_err
ops_account_status(const struct ig_config *cfg, const struct accounts *live, struct disp *disp,
		   void (*fn)(const struct ops_account_status *s, void *ctx), void *ctx,
		   struct ops_cache_facts *cache_r)
{
	struct cache_file *file = NULL;
	struct cache *c = NULL;
	const char *error = NULL;
	int64_t since = (int64_t)time(NULL) - LIM_SYNC_RECENT_S;
	enum ig_err err = IG_OK;
	size_t i;

	cache_stat(cfg->data_dir, cache_r);
	if (cache_r->present) {
		file = cache_file_new(cfg->data_dir);
		if (file == NULL)
			return IG_ENOMEM;
		cache_r->readable = cache_open(file, &c, NULL, &error) == IG_OK;
	}
	for (i = 0; i < cfg->n_accounts && err == IG_OK; i++) {
		const struct cfg_account *a = &cfg->accounts[i];
		struct ops_account_status s;
		struct warm_ctx w = {&s, false};
		struct wk *wk = live != NULL ? accounts_worker(live, a->name) : NULL;

		memset(&s, 0, sizeof(s));
		s.cfg = a;
		s.live = live != NULL;
		s.worker_running = wk != NULL;
		s.jobs_pending = wk != NULL ? wk_pending(wk) : 0;
		s.connected = -1;
		if (wk != NULL) {
			bool up;

			wk_state(wk, &up, &s.last_sync);
			s.connected = up ? 1 : 0;
		}
		s.breaker = disp != NULL ? disp_breaker_state(disp, a->name) : NULL;
		if (c != NULL &&
		    cache_folder_recent(c, sl_from_cstr(a->name), since, warm_add, &w) != IG_OK)
			cache_r->readable = false;
		if (w.failed)
			err = IG_ENOMEM;
		else
			fn(&s, ctx);
		warm_free(&s);
	}
	cache_close(c);
	cache_file_free(file);
	return err;
}
