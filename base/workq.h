#ifndef IG_BASE_WORKQ_H
#define IG_BASE_WORKQ_H

#include <stddef.h>

#include "base/err.h"

/* A bounded work queue served by a fixed set of threads. Jobs never run on
 * the submitting thread; a full queue refuses (IG_EBUSY) instead of blocking,
 * so HTTP callbacks can fail fast. Every thread is joined by workq_free. */
struct workq;

typedef void (*workq_fn)(void *arg);

/* Starts nthreads threads over a queue of at most cap pending jobs. */
struct workq *workq_new(size_t nthreads, size_t cap);
/* Queues fn(arg). IG_EBUSY when full, IG_EINVAL after shutdown began. */
enum ig_err workq_submit(struct workq *q, workq_fn fn, void *arg) IG_MUST_CHECK;
/* Runs the remaining jobs, stops and joins the threads, frees q. NULL-safe. */
void workq_free(struct workq *q);
/* Jobs queued or running. */
size_t workq_pending(struct workq *q);

#endif
