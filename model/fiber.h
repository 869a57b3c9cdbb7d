/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Fibers: cooperative contexts on one OS thread (ucontext), with the ASan and TSan
 * annotations that keep their bookkeeping right across switches. The scheduler runs on the thread's own
 * stack; every fiber switches back to it. Stacks are kept and reused: a fuzzer starts and
 * ends thousands of fibers a second.
 */
#ifndef MODEL_FIBER_H
#define MODEL_FIBER_H

#include <stdbool.h>
#include <stddef.h>
#include <ucontext.h>

struct fiber {
	ucontext_t ctx;
	void *stack;
	size_t stack_size;
	void (*fn)(void *arg);
	void *arg;
	bool started, finished;
	void *asan_fake_stack;
	void *tsan_fiber;
};

/* Prepare f to run fn(arg) on its own stack the first time it is switched to. */
void fiber_init(struct fiber *f, void (*fn)(void *arg), void *arg);
/* From the scheduler into f, until f yields or finishes. */
void fiber_run(struct fiber *f);
/* From inside the running fiber back to the scheduler. */
void fiber_yield(void);
/* The fiber running now, NULL in the scheduler. */
struct fiber *fiber_current(void);
/* Give every fiber stack back (end of process, or a test). */
void fiber_release_stacks(void);

#endif
