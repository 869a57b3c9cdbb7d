// SPDX-License-Identifier: GPL-2.0
/*
 * Fibers on ucontext. A fiber that never finishes (its program was stopped by a report)
 * is simply abandoned: its stack returns to the pool at the next fiber_init().
 */
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include "fiber.h"

#if defined(__SANITIZE_ADDRESS__)
#define FIBER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FIBER_ASAN 1
#endif
#endif

#if defined(__SANITIZE_THREAD__)
#define FIBER_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define FIBER_TSAN 1
#endif
#endif

#ifdef FIBER_TSAN
/* TSan follows a switch of stacks only when told: each fiber is a TSan fiber. */
void *__tsan_get_current_fiber(void);
void *__tsan_create_fiber(unsigned flags);
void __tsan_destroy_fiber(void *fiber);
void __tsan_switch_to_fiber(void *fiber, unsigned flags);
static void *tsan_sched_fiber;
#endif

#ifdef FIBER_ASAN
void __asan_unpoison_memory_region(const volatile void *addr, size_t size);
void __sanitizer_start_switch_fiber(void **fake_stack_save, const void *bottom, size_t size);
void __sanitizer_finish_switch_fiber(void *fake_stack_save, const void **bottom_old,
				     size_t *size_old);
#endif

#define FIBER_STACK	(512 * 1024)
#define POOL_MAX	64

static ucontext_t sched_ctx;
static struct fiber *running;
#ifdef FIBER_ASAN
static void *sched_fake_stack;
static const void *sched_stack_bottom;
static size_t sched_stack_size;
#endif

/* Stacks: mmap'd once, handed out again per fiber_init(). */
static void *pool[POOL_MAX];
static int pool_n;

static void *stack_get(void)
{
	void *s;

	if (pool_n) {
		s = pool[--pool_n];
#ifdef FIBER_ASAN
		/* an abandoned fiber leaves its frames' redzones poisoned */
		__asan_unpoison_memory_region(s, FIBER_STACK);
#endif
		return s;
	}
	s = mmap(NULL, FIBER_STACK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK,
		 -1, 0);
	if (s == MAP_FAILED)
		abort();
	return s;
}

static void stack_put(void *s)
{
	if (pool_n < POOL_MAX)
		pool[pool_n++] = s;
	else
		munmap(s, FIBER_STACK);
}

static void fiber_entry(unsigned int lo, unsigned int hi)
{
	struct fiber *f = (struct fiber *)(((uintptr_t)hi << 32) | lo);

#ifdef FIBER_ASAN
	__sanitizer_finish_switch_fiber(NULL, &sched_stack_bottom, &sched_stack_size);
#endif
	f->fn(f->arg);
	f->finished = true;
	running = NULL;
#ifdef FIBER_TSAN
	__tsan_switch_to_fiber(tsan_sched_fiber, 0);
#endif
#ifdef FIBER_ASAN
	/* this stack is done: no fake stack to keep */
	__sanitizer_start_switch_fiber(NULL, sched_stack_bottom, sched_stack_size);
#endif
	setcontext(&sched_ctx);
}

void fiber_init(struct fiber *f, void (*fn)(void *arg), void *arg)
{
	if (f->stack)
		stack_put(f->stack);
	f->stack = stack_get();
	f->stack_size = FIBER_STACK;
	f->fn = fn;
	f->arg = arg;
	f->started = f->finished = false;
	f->asan_fake_stack = NULL;
#ifdef FIBER_TSAN
	if (f->tsan_fiber)
		__tsan_destroy_fiber(f->tsan_fiber);
	f->tsan_fiber = __tsan_create_fiber(0);
#endif
}

void fiber_run(struct fiber *f)
{
	if (f->finished)
		return;
	if (!f->started) {
		uintptr_t p = (uintptr_t)f;

		getcontext(&f->ctx);
		f->ctx.uc_stack.ss_sp = f->stack;
		f->ctx.uc_stack.ss_size = f->stack_size;
		f->ctx.uc_link = NULL;
		makecontext(&f->ctx, (void (*)(void))fiber_entry, 2, (unsigned int)p,
			    (unsigned int)(p >> 32));
		f->started = true;
	}
	running = f;
#ifdef FIBER_TSAN
	tsan_sched_fiber = __tsan_get_current_fiber();
	__tsan_switch_to_fiber(f->tsan_fiber, 0);
#endif
#ifdef FIBER_ASAN
	__sanitizer_start_switch_fiber(&sched_fake_stack, f->stack, f->stack_size);
#endif
	swapcontext(&sched_ctx, &f->ctx);
#ifdef FIBER_ASAN
	__sanitizer_finish_switch_fiber(sched_fake_stack, NULL, NULL);
#endif
	running = NULL;
}

void fiber_yield(void)
{
	struct fiber *f = running;

	if (!f)
		return;
#ifdef FIBER_TSAN
	__tsan_switch_to_fiber(tsan_sched_fiber, 0);
#endif
#ifdef FIBER_ASAN
	__sanitizer_start_switch_fiber(&f->asan_fake_stack, sched_stack_bottom, sched_stack_size);
#endif
	swapcontext(&f->ctx, &sched_ctx);
#ifdef FIBER_ASAN
	__sanitizer_finish_switch_fiber(f->asan_fake_stack, &sched_stack_bottom, &sched_stack_size);
#endif
	running = f;
}

struct fiber *fiber_current(void)
{
	return running;
}

void fiber_release_stacks(void)
{
	while (pool_n)
		munmap(pool[--pool_n], FIBER_STACK);
}
