#include "base/workq.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

struct workq_job {
	workq_fn fn;
	void *arg;
};

struct workq {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct workq_job *ring;
	size_t cap;
	size_t head;
	size_t count;
	size_t running;
	bool stopping;
	pthread_t *threads;
	size_t nthreads;
};

static void *
workq_thread(void *arg)
{
	struct workq *q = arg;
	struct workq_job job;

	pthread_mutex_lock(&q->lock);
	for (;;) {
		while (q->count == 0 && !q->stopping)
			pthread_cond_wait(&q->cond, &q->lock);
		if (q->count == 0)
			break;
		job = q->ring[q->head];
		q->head = (q->head + 1) % q->cap;
		q->count--;
		q->running++;
		pthread_mutex_unlock(&q->lock);
		job.fn(job.arg);
		pthread_mutex_lock(&q->lock);
		q->running--;
	}
	pthread_mutex_unlock(&q->lock);
	return NULL;
}

struct workq *
workq_new(size_t nthreads, size_t cap)
{
	struct workq *q = calloc(1, sizeof(*q));
	size_t i;

	if (q == NULL || cap == 0 || nthreads == 0)
		goto fail;
	q->cap = cap;
	q->ring = calloc(cap, sizeof(*q->ring));
	q->threads = calloc(nthreads, sizeof(*q->threads));
	if (q->ring == NULL || q->threads == NULL)
		goto fail;
	if (pthread_mutex_init(&q->lock, NULL) != 0)
		goto fail;
	if (pthread_cond_init(&q->cond, NULL) != 0) {
		pthread_mutex_destroy(&q->lock);
		goto fail;
	}
	for (i = 0; i < nthreads; i++) {
		if (pthread_create(&q->threads[i], NULL, workq_thread, q) != 0)
			break;
		q->nthreads++;
	}
	if (q->nthreads == 0) {
		pthread_cond_destroy(&q->cond);
		pthread_mutex_destroy(&q->lock);
		goto fail;
	}
	return q;
fail:
	if (q != NULL) {
		free(q->ring);
		free(q->threads);
		free(q);
	}
	return NULL;
}

enum ig_err
workq_submit(struct workq *q, workq_fn fn, void *arg)
{
	enum ig_err err = IG_OK;

	pthread_mutex_lock(&q->lock);
	if (q->stopping) {
		err = IG_EINVAL;
	} else if (q->count == q->cap) {
		err = IG_EBUSY;
	} else {
		q->ring[(q->head + q->count) % q->cap] = (struct workq_job){fn, arg};
		q->count++;
		pthread_cond_signal(&q->cond);
	}
	pthread_mutex_unlock(&q->lock);
	return err;
}

size_t
workq_pending(struct workq *q)
{
	size_t n;

	pthread_mutex_lock(&q->lock);
	n = q->count + q->running;
	pthread_mutex_unlock(&q->lock);
	return n;
}

void
workq_free(struct workq *q)
{
	size_t i;

	if (q == NULL)
		return;
	pthread_mutex_lock(&q->lock);
	q->stopping = true;
	pthread_cond_broadcast(&q->cond);
	pthread_mutex_unlock(&q->lock);
	for (i = 0; i < q->nthreads; i++)
		pthread_join(q->threads[i], NULL);
	pthread_cond_destroy(&q->cond);
	pthread_mutex_destroy(&q->lock);
	free(q->ring);
	free(q->threads);
	free(q);
}
