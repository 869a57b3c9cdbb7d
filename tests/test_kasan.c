// SPDX-License-Identifier: GPL-2.0
/*
 * The KASAN platform on a fake cache (objects in a host buffer, a release callback that
 * records what the quarantine gives back), independent of the allocator.
 */
#include <pthread.h>
#include <sched.h>
#include "harness.h"

#define FAKE_MAX	256

struct fake_cache {
	struct kasan_cache kc;
	char *mem;
	size_t mem_size;
	unsigned int stride;
	unsigned int nr;
	void *released[FAKE_MAX];
	int nr_released;
};

static void fake_release(struct kasan_cache *kc, void *obj)
{
	struct fake_cache *fc = container_of(kc, struct fake_cache, kc);

	/* release() sees a freed object, as __slab_free would */
	if (kasan_get_state(kc, obj) != KASAN_STATE_FREE)
		test_failures++;
	if (fc->nr_released < FAKE_MAX)
		fc->released[fc->nr_released] = obj;
	fc->nr_released++;
}

static void fake_init(struct fake_cache *fc, const char *name, unsigned int size,
		      unsigned int nr, bool typesafe)
{
	unsigned int stride = size;

	memset(fc, 0, sizeof(*fc));
	kasan_cache_create(&fc->kc, name, size, &stride, typesafe, fake_release);
	fc->stride = stride;
	fc->nr = nr;
	fc->mem_size = ALIGN((size_t)stride * nr, 64);
	fc->mem = aligned_alloc(64, fc->mem_size);
	kasan_poison_new_slab(&fc->kc, fc->mem, stride, nr);
}

static void fake_destroy(struct fake_cache *fc)
{
	kasan_quarantine_remove_cache(&fc->kc);
	kasan_unpoison_pages(fc->mem, fc->mem_size);
	free(fc->mem);
	fc->mem = NULL;
}

static void *obj(struct fake_cache *fc, unsigned int i)
{
	return fc->mem + (size_t)i * fc->stride;
}

static void *fake_alloc(struct fake_cache *fc, unsigned int i)
{
	kasan_slab_alloc(&fc->kc, obj(fc, i));
	return obj(fc, i);
}

/* The allocator's free path: check, then the hook; true if quarantined. */
static bool fake_free(struct fake_cache *fc, unsigned int i)
{
	if (!kasan_check_free(&fc->kc, obj(fc, i), "fake_free"))
		return false;
	return kasan_slab_free(&fc->kc, obj(fc, i), fc->kc.typesafe_by_rcu, false);
}

static size_t obj_bytes(struct fake_cache *fc)
{
	size_t before = kasan_quarantine_bytes();
	unsigned int i = fc->nr - 1;

	fake_alloc(fc, i);
	fake_free(fc, i);
	size_t b = kasan_quarantine_bytes() - before;

	kasan_quarantine_remove_cache(&fc->kc);
	fc->nr_released = 0;
	return b;
}

TEST(cache_create_layout)
{
	struct kasan_cache kc;
	unsigned int size = 13;

	kasan_cache_create(&kc, "layout", 13, &size, false, fake_release);
	CHECK_EQ(kc.meta_offset, 16);
	CHECK_EQ(size, ALIGN(16 + (unsigned int)sizeof(struct kasan_obj_meta), 8u));
	/* the allocator already placed a word behind the payload: meta goes after it */
	size = 24;
	kasan_cache_create(&kc, "layout", 13, &size, false, fake_release);
	CHECK_EQ(kc.meta_offset, 24);
	CHECK(size >= 24 + sizeof(struct kasan_obj_meta));
	CHECK(IS_ALIGNED(size, 8u));
}

TEST(quarantine_under_budget_holds)
{
	struct fake_cache fc;
	unsigned int i;

	fake_init(&fc, "under", 64, 8, false);
	for (i = 0; i < 5; i++) {
		fake_alloc(&fc, i);
		CHECK(fake_free(&fc, i));
		CHECK_EQ(kasan_get_state(&fc.kc, obj(&fc, i)), KASAN_STATE_QUARANTINED);
	}
	CHECK_EQ(kasan_quarantine_objects(&fc.kc), 5);
	CHECK_EQ(kasan_quarantine_objects(NULL), 5);
	CHECK(kasan_quarantine_bytes() >= 5 * 64);
	kasan_quarantine_reduce();
	CHECK_EQ(fc.nr_released, 0);
	CHECK_EQ(kasan_quarantine_objects(&fc.kc), 5);
	fake_destroy(&fc);
	CHECK_EQ(fc.nr_released, 5);
	CHECK_EQ(kasan_quarantine_objects(NULL), 0);
	CHECK_EQ(kasan_quarantine_bytes(), 0);
}

/* A 64 KiB quarantine and 128 KiB of 1000-byte objects freed into it on CPU 0, one by one;
 * returns how many (0: the object is smaller than asked), *per the bytes of each. */
static unsigned int fill_over_budget(struct fake_cache *fc, const char *name, size_t *per)
{
	unsigned int i, n;

	test_config.quarantine_bytes = 64 << 10;
	test_reinit();
	fake_init(fc, name, 1000, 160, false);
	*per = obj_bytes(fc);
	if (*per < 1000)
		return 0;
	n = (unsigned int)((128 << 10) / *per);
	for (i = 0; i < n; i++) {
		fake_alloc(fc, i);
		CHECK(fake_free(fc, i));
	}
	return n;
}

/*
 * Budget 64 KiB on 4 CPUs: per-CPU queues hold 8 KiB, the global ring 32 KiB. Freeing
 * 128 KiB on one CPU spills batches to the ring; reduce gives back the oldest objects,
 * first freed first, until the ring is within budget.
 */
TEST(quarantine_over_budget_frees_oldest)
{
	struct fake_cache fc;
	unsigned int i, n;
	size_t per;

	n = fill_over_budget(&fc, "over", &per);
	REQUIRE(n);
	CHECK_EQ(fc.nr_released, 0);		/* nothing leaves on its own */
	CHECK_EQ(kasan_quarantine_objects(&fc.kc), n);
	kasan_quarantine_reduce();
	REQUIRE(fc.nr_released > 0);
	for (i = 0; i < (unsigned int)fc.nr_released; i++)
		CHECK(fc.released[i] == obj(&fc, i));
	for (i = fc.nr_released; i < n; i++)
		CHECK_EQ(kasan_get_state(&fc.kc, obj(&fc, i)), KASAN_STATE_QUARANTINED);
	CHECK_EQ(kasan_quarantine_objects(&fc.kc), n - fc.nr_released);
	CHECK_EQ(kasan_quarantine_bytes(), (n - fc.nr_released) * per);
	CHECK(kasan_quarantine_bytes() <= (64 << 10));
	/* within budget now: another reduce is a no-op */
	i = fc.nr_released;
	kasan_quarantine_reduce();
	CHECK_EQ(fc.nr_released, (int)i);
	fake_destroy(&fc);
	CHECK_EQ(fc.nr_released, (int)n);
}

/*
 * Spilled queues fill the ring batch by batch and reduce frees the oldest batches only
 * until the ring is within budget (mm/kasan/quarantine.c): the ring keeps more than its
 * 32 KiB budget less one ~8 KiB batch, not just CPU 0's queue (at most 8 KiB).
 */
TEST(quarantine_reduce_keeps_newest_batches)
{
	struct fake_cache fc;
	unsigned int n;
	size_t per;

	n = fill_over_budget(&fc, "newest", &per);
	REQUIRE(n);
	kasan_quarantine_reduce();
	CHECK(fc.nr_released > 0);
	CHECK(kasan_quarantine_bytes() <= (64 << 10));
	CHECK(kasan_quarantine_bytes() > (24 << 10) - per);
	/* an object of the newest batch: CPU 0's queue holds at most 8 KiB after it */
	CHECK_EQ(kasan_get_state(&fc.kc, obj(&fc, n - 1 - (unsigned int)((8 << 10) / per))),
		 KASAN_STATE_QUARANTINED);
	fake_destroy(&fc);
	CHECK_EQ(fc.nr_released, (int)n);
}

/*
 * A reducer gives its batches back outside quarantine_lock. remove_cache must wait for it
 * (the kernel's synchronize_srcu(&remove_cache_srcu)): when it returns, every object of
 * the cache is back in its slab, none still on its way in another thread's reduce.
 */
static struct fake_cache *race_fc;
static pthread_t race_reducer, race_remover;
static bool race_started;
static int race_remover_waited;		/* atomic: remove_cache waited for a reducer */
static int race_remover_done;		/* atomic: remove_cache returned */
static int race_released_at_return;	/* objects released when it returned */
static bool race_gate;			/* the reducer's first release opens the race */

static void race_point(int id)
{
	(void)id;
}

static void race_wait(const void *on, const char *what)
{
	(void)on;
	(void)what;
	__atomic_store_n(&race_remover_waited, 1, __ATOMIC_RELEASE);
	sched_yield();
}

static const struct sched_ops race_ops = { .point = race_point, .wait = race_wait };

static void *race_remove(void *arg)
{
	(void)arg;
	kasan_quarantine_remove_cache(&race_fc->kc);
	race_released_at_return = race_fc->nr_released;
	__atomic_store_n(&race_remover_done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* The reducer's release: at its first object, let remove_cache run on another thread
 * until it either waits for this reducer or returns. */
static void race_release(struct kasan_cache *kc, void *o)
{
	fake_release(kc, o);
	if (!race_gate || !pthread_equal(pthread_self(), race_reducer))
		return;
	race_gate = false;
	if (pthread_create(&race_remover, NULL, race_remove, NULL)) {
		test_failures++;
		return;
	}
	race_started = true;
	while (!__atomic_load_n(&race_remover_waited, __ATOMIC_ACQUIRE) &&
	       !__atomic_load_n(&race_remover_done, __ATOMIC_ACQUIRE))
		sched_yield();
}

TEST(remove_cache_waits_for_reducer_in_flight)
{
	struct fake_cache fc;
	unsigned int i, n;
	size_t per;

	test_config.quarantine_bytes = 64 << 10;
	test_reinit();
	fake_init(&fc, "inflight", 1000, 160, false);
	per = obj_bytes(&fc);
	REQUIRE(per >= 1000);
	n = (unsigned int)((128 << 10) / per);
	for (i = 0; i < n; i++) {
		fake_alloc(&fc, i);
		CHECK(fake_free(&fc, i));
	}
	race_fc = &fc;
	race_reducer = pthread_self();
	race_remover_waited = race_remover_done = 0;
	race_started = false;
	fc.kc.release = race_release;
	race_gate = true;
	sched_set_ops(&race_ops);
	kasan_quarantine_reduce();
	if (race_started)
		pthread_join(race_remover, NULL);
	sched_set_ops(NULL);
	fc.kc.release = fake_release;
	REQUIRE(race_started);
	CHECK(race_remover_waited);
	CHECK_EQ(race_released_at_return, (int)n);
	CHECK_EQ(kasan_quarantine_objects(&fc.kc), 0);
	fake_destroy(&fc);
	CHECK_EQ(fc.nr_released, (int)n);
}

/* Objects of two caches in per-CPU queues of two CPUs and in the global ring. */
TEST(remove_cache_only_that_cache)
{
	struct fake_cache a, b;
	unsigned int i;

	test_config.quarantine_bytes = 64 << 10;
	test_reinit();
	fake_init(&a, "cache_a", 1000, 64, false);
	fake_init(&b, "cache_b", 500, 64, false);
	for (i = 0; i < 40; i++) {
		set_cpu(i < 38 ? 0 : 1);	/* CPU 0 spills to the ring, CPU 1 does not */
		fake_alloc(&a, i);
		fake_alloc(&b, i);
		CHECK(fake_free(&a, i));
		CHECK(fake_free(&b, i));
	}
	set_cpu(0);
	CHECK_EQ(kasan_quarantine_objects(&a.kc), 40);
	CHECK_EQ(kasan_quarantine_objects(&b.kc), 40);
	size_t b_bytes = kasan_quarantine_bytes();

	kasan_quarantine_remove_cache(&a.kc);
	CHECK_EQ(a.nr_released, 40);
	CHECK_EQ(b.nr_released, 0);
	CHECK_EQ(kasan_quarantine_objects(&a.kc), 0);
	CHECK_EQ(kasan_quarantine_objects(&b.kc), 40);
	CHECK_EQ(kasan_quarantine_objects(NULL), 40);
	CHECK(kasan_quarantine_bytes() < b_bytes);
	for (i = 0; i < 40; i++) {
		CHECK_EQ(kasan_get_state(&a.kc, obj(&a, i)), KASAN_STATE_FREE);
		CHECK_EQ(kasan_get_state(&b.kc, obj(&b, i)), KASAN_STATE_QUARANTINED);
	}
	/* b's queues stayed intact: its objects still come back oldest first */
	kasan_cache_shrink(&b.kc);
	CHECK_EQ(b.nr_released, 40);
	CHECK_EQ(kasan_quarantine_bytes(), 0);
	fake_destroy(&a);
	fake_destroy(&b);
}

static long track_op = -1;

static long get_track_op(void)
{
	return track_op;
}

TEST(double_free_reported_with_tracks)
{
	struct fake_cache fc;

	fake_init(&fc, "dbl", 32, 4, false);
	report_set_context_hook(get_track_op, "op");	/* as the executor does */
	track_op = 7;
	fake_alloc(&fc, 1);
	track_op = 8;
	CHECK(fake_free(&fc, 1));
	track_op = 9;
	report_set_quiet(true);
	CHECK(!kasan_check_free(&fc.kc, obj(&fc, 1), "kmem_cache_free"));
	report_set_quiet(false);
	EXPECT_REPORTS(1);
	CHECK_EQ(test_reports_of(REPORT_DOUBLE_FREE), 1);
	const struct report *r = report_get(0);

	REQUIRE(r);
	CHECK(!strcmp(r->function, "kmem_cache_free"));
	CHECK(strstr(r->message, "quarantined") != NULL);
	CHECK(strstr(r->details, "cache: dbl") != NULL);
	CHECK(strstr(r->details, "allocated by: cpu 0") != NULL);
	CHECK(strstr(r->details, "op 7") != NULL);
	CHECK(strstr(r->details, "freed by: cpu 0") != NULL);
	CHECK(strstr(r->details, "op 8") != NULL);
	CHECK(strstr(r->details, "op: 9") != NULL);	/* the report's own context */
	report_set_context_hook(NULL, NULL);
	track_op = -1;
	fake_destroy(&fc);
}

TEST(kasan_off_no_quarantine)
{
	struct fake_cache fc;

	test_config.kasan = false;
	test_reinit();
	CHECK(!kasan_enabled());
	fake_init(&fc, "off", 32, 4, false);
	fake_alloc(&fc, 0);
	CHECK(!fake_free(&fc, 0));
	CHECK_EQ(kasan_quarantine_objects(NULL), 0);
	/* the state is kept anyway: the allocator moves it, a second free is still caught */
	kasan_set_state(&fc.kc, obj(&fc, 0), KASAN_STATE_IN_SHEAF);
	report_set_quiet(true);
	CHECK(!kasan_check_free(&fc.kc, obj(&fc, 0), "kfree"));
	report_set_quiet(false);
	EXPECT_REPORTS(1);
	CHECK_EQ(test_reports_of(REPORT_DOUBLE_FREE), 1);
	fake_destroy(&fc);
}

TEST(no_quarantine_free)
{
	struct fake_cache fc;

	fake_init(&fc, "nolock", 32, 4, false);
	fake_alloc(&fc, 0);
	CHECK(kasan_check_free(&fc.kc, obj(&fc, 0), "kfree_nolock"));
	CHECK(!kasan_slab_free(&fc.kc, obj(&fc, 0), false, true));
	CHECK_EQ(kasan_quarantine_objects(&fc.kc), 0);
	fake_destroy(&fc);
}

TEST(typesafe_by_rcu_access)
{
	struct fake_cache fc;

	fake_init(&fc, "typesafe", 48, 4, true);
	fake_alloc(&fc, 2);
	CHECK(kasan_check_free(&fc.kc, obj(&fc, 2), "kmem_cache_free"));
	CHECK(!kasan_slab_free(&fc.kc, obj(&fc, 2), true, false));
	CHECK_EQ(kasan_quarantine_objects(&fc.kc), 0);
	kasan_set_state(&fc.kc, obj(&fc, 2), KASAN_STATE_IN_SHEAF);
	rcu_read_lock();
	CHECK(kasan_check_access(&fc.kc, obj(&fc, 2), 8, false, "reader"));
	rcu_read_unlock();
	kasan_set_state(&fc.kc, obj(&fc, 2), KASAN_STATE_FREE);
	rcu_read_lock();
	CHECK(kasan_check_access(&fc.kc, obj(&fc, 2), 8, false, "reader"));
	rcu_read_unlock();
	/* outside rcu_read_lock() it is a use after free */
	report_set_quiet(true);
	CHECK(!kasan_check_access(&fc.kc, obj(&fc, 2), 8, false, "reader"));
	report_set_quiet(false);
	EXPECT_REPORTS(1);
	CHECK_EQ(test_reports_of(REPORT_USE_AFTER_FREE), 1);
	fake_destroy(&fc);
}

TEST(use_after_free_reported)
{
	struct fake_cache fc;

	fake_init(&fc, "uaf", 64, 4, false);
	fake_alloc(&fc, 0);
	CHECK(kasan_check_access(&fc.kc, obj(&fc, 0), 64, true, "writer"));
	CHECK(fake_free(&fc, 0));
	report_set_quiet(true);
	CHECK(!kasan_check_access(&fc.kc, obj(&fc, 0), 8, true, "writer"));
	/* a non-typesafe freed object is not protected by rcu_read_lock() */
	rcu_read_lock();
	CHECK(!kasan_check_access(&fc.kc, obj(&fc, 0), 8, false, "reader"));
	rcu_read_unlock();
	report_set_quiet(false);
	EXPECT_REPORTS(2);
	CHECK_EQ(test_reports_of(REPORT_USE_AFTER_FREE), 2);
	const struct report *r = report_get(0);

	REQUIRE(r);
	CHECK(!strcmp(r->function, "writer"));
	CHECK(strstr(r->details, "state: quarantined") != NULL);
	/* a kfree_rcu'd object stays readable by RCU readers until its grace period ends */
	fake_alloc(&fc, 1);
	kasan_set_state(&fc.kc, obj(&fc, 1), KASAN_STATE_RCU_PENDING);
	rcu_read_lock();
	CHECK(kasan_check_access(&fc.kc, obj(&fc, 1), 8, false, "reader"));
	rcu_read_unlock();
	fake_destroy(&fc);
}

TEST(cpu_offline_drains_its_queue)
{
	struct fake_cache fc;
	unsigned int i;

	fake_init(&fc, "hotplug", 64, 8, false);
	set_cpu(1);
	for (i = 0; i < 3; i++) {
		fake_alloc(&fc, i);
		CHECK(fake_free(&fc, i));
	}
	set_cpu(0);
	fake_alloc(&fc, 3);
	CHECK(fake_free(&fc, 3));
	REQUIRE(cpu_down(1) == 0);
	CHECK_EQ(fc.nr_released, 3);
	for (i = 0; i < 3; i++)
		CHECK(fc.released[i] == obj(&fc, i));
	CHECK_EQ(kasan_quarantine_objects(&fc.kc), 1);
	/* back online, the CPU quarantines again */
	REQUIRE(cpu_up(1) == 0);
	set_cpu(1);
	fake_alloc(&fc, 4);
	CHECK(fake_free(&fc, 4));
	set_cpu(0);
	CHECK_EQ(kasan_quarantine_objects(&fc.kc), 2);
	fake_destroy(&fc);
}

/* ------------------------------------------------------------------ object histories */

TEST(history_off_by_default)
{
	struct kasan_event_rec ev[KASAN_HISTORY_RING];
	unsigned long dropped = 1;
	struct fake_cache fc;

	CHECK(!kasan_history_enabled());
	fake_init(&fc, "hoff", 32, 4, false);
	fake_alloc(&fc, 0);
	CHECK(fake_free(&fc, 0));
	kasan_history(&fc.kc, obj(&fc, 0), KASAN_EV_FREE_MAIN);
	CHECK_EQ(kasan_history_get(&fc.kc, obj(&fc, 0), ev, KASAN_HISTORY_RING, &dropped), 0);
	CHECK_EQ(dropped, 0);
	/* a report without history prints none */
	report_set_quiet(true);
	CHECK(!kasan_check_free(&fc.kc, obj(&fc, 0), "kmem_cache_free"));
	report_set_quiet(false);
	EXPECT_REPORTS(1);
	REQUIRE(report_get(0));
	CHECK(strstr(report_get(0)->details, "history") == NULL);
	fake_destroy(&fc);
}

TEST(history_records_in_order)
{
	struct kasan_event_rec ev[KASAN_HISTORY_RING];
	struct task *t = current_task();
	unsigned long dropped;
	struct fake_cache fc;
	unsigned int n;

	fake_init(&fc, "horder", 32, 4, false);
	kasan_history_enable(true);
	report_set_context_hook(get_track_op, "op");
	t->last_point = 0;				/* no point passed yet */
	track_op = 3;
	fake_alloc(&fc, 1);
	kasan_history(&fc.kc, obj(&fc, 1), KASAN_EV_ALLOC_SHEAF);
	track_op = 4;
	set_cpu(1);
	t->last_point = SP_CALL_RCU + 1;		/* as sched_point(SP_CALL_RCU) sets it */
	CHECK(fake_free(&fc, 1));			/* quarantined: recorded by kasan */
	track_op = 5;
	set_cpu(0);
	kasan_quarantine_remove_cache(&fc.kc);		/* released from the quarantine */
	/* another object's events do not show in this one's history */
	fake_alloc(&fc, 2);
	kasan_history(&fc.kc, obj(&fc, 2), KASAN_EV_ALLOC_SLAB);

	n = kasan_history_get(&fc.kc, obj(&fc, 1), ev, KASAN_HISTORY_RING, &dropped);
	REQUIRE(n == 3);
	CHECK_EQ(dropped, 0);
	CHECK_EQ(ev[0].type, KASAN_EV_ALLOC_SHEAF);
	CHECK_EQ(ev[0].context, 3);
	CHECK_EQ(ev[0].cpu, 0);
	CHECK_EQ(ev[0].point, -1);
	CHECK_EQ(ev[0].task, t->id);
	CHECK(ev[0].task_name && !strcmp(ev[0].task_name, t->name));
	CHECK(!strcmp(ev[0].where, "test_history_records_in_order"));
	CHECK_EQ(ev[1].type, KASAN_EV_QUARANTINED);
	CHECK_EQ(ev[1].context, 4);
	CHECK_EQ(ev[1].cpu, 1);
	CHECK_EQ(ev[1].point, SP_CALL_RCU);
	CHECK_EQ(ev[2].type, KASAN_EV_UNQUARANTINED);
	CHECK_EQ(ev[2].context, 5);
	CHECK_EQ(ev[2].cpu, 0);
	CHECK(!strcmp(ev[2].where, "kasan_quarantine_remove_cache"));
	CHECK(ev[0].seq < ev[1].seq && ev[1].seq < ev[2].seq);
	CHECK_EQ(kasan_history_get(&fc.kc, obj(&fc, 2), ev, KASAN_HISTORY_RING, &dropped), 1);
	CHECK_EQ(ev[0].type, KASAN_EV_ALLOC_SLAB);
	/* a new slab over the same memory starts with no history */
	kasan_poison_new_slab(&fc.kc, fc.mem, fc.stride, fc.nr);
	CHECK_EQ(kasan_history_get(&fc.kc, obj(&fc, 1), ev, KASAN_HISTORY_RING, &dropped), 0);
	kasan_history_enable(false);
	report_set_context_hook(NULL, NULL);
	track_op = -1;
	t->last_point = 0;
	fake_destroy(&fc);
}

TEST(history_bounded)
{
	struct kasan_event_rec ev[KASAN_HISTORY_RING];
	unsigned long dropped;
	struct fake_cache fc;
	unsigned int n, extra = 5;

	fake_init(&fc, "hbound", 32, 2, false);
	kasan_history_enable(true);
	report_set_context_hook(get_track_op, "op");
	for (unsigned int i = 0; i < KASAN_HISTORY_RING + extra; i++) {
		track_op = (long)i;
		kasan_history(&fc.kc, obj(&fc, 0), KASAN_EV_FREE_MAIN);
	}
	n = kasan_history_get(&fc.kc, obj(&fc, 0), ev, KASAN_HISTORY_RING, &dropped);
	CHECK_EQ(n, KASAN_HISTORY_RING);
	CHECK_EQ(dropped, extra);
	for (unsigned int i = 0; i < n; i++)
		CHECK_EQ(ev[i].context, (long)(extra + i));	/* the oldest were dropped */
	/* a smaller buffer gets the newest, the rest counted as dropped */
	n = kasan_history_get(&fc.kc, obj(&fc, 0), ev, 4, &dropped);
	CHECK_EQ(n, 4);
	CHECK_EQ(dropped, KASAN_HISTORY_RING + extra - 4);
	CHECK_EQ(ev[3].context, (long)(KASAN_HISTORY_RING + extra - 1));
	/* the report says how many were dropped */
	fake_alloc(&fc, 0);
	report_set_quiet(true);
	report_begin(REPORT_WARN, "test", "history");
	kasan_report_history(&fc.kc, obj(&fc, 0));
	report_end();
	report_set_quiet(false);
	EXPECT_REPORTS(1);
	REQUIRE(report_get(0));
	CHECK(strstr(report_get(0)->details, "(5 older events dropped)") != NULL);
	kasan_history_enable(false);
	report_set_context_hook(NULL, NULL);
	track_op = -1;
	fake_destroy(&fc);
}

TEST(history_printed_in_report)
{
	struct task *t = current_task();
	struct fake_cache fc;
	const struct report *r;

	fake_init(&fc, "hrep", 32, 4, false);
	kasan_history_enable(true);
	report_set_context_hook(get_track_op, "op");
	track_op = 7;
	fake_alloc(&fc, 1);
	kasan_history(&fc.kc, obj(&fc, 1), KASAN_EV_ALLOC_SHEAF);
	track_op = 8;
	t->last_point = SP_CALL_RCU + 1;
	CHECK(fake_free(&fc, 1));
	kasan_cache_shutdown(&fc.kc);		/* drains it: released, then the cache event */
	track_op = 9;
	fake_alloc(&fc, 1);
	CHECK(fake_free(&fc, 1));		/* quarantined after the shutdown */
	track_op = 10;
	report_set_quiet(true);
	CHECK(!kasan_check_free(&fc.kc, obj(&fc, 1), "kmem_cache_free"));
	report_set_quiet(false);
	EXPECT_REPORTS(1);
	r = report_get(0);
	REQUIRE(r);
	/* the signature line is unchanged; the history is detail lines */
	CHECK(!strcmp(r->function, "kmem_cache_free"));
	CHECK(strstr(r->details, "history of") != NULL);
	CHECK(strstr(r->details, "op 7 cpu 0 task boot") != NULL);
	CHECK(strstr(r->details, "at -: allocated from a percpu sheaf [test_history_printed_in_report]") != NULL);
	CHECK(strstr(r->details, "op 8 cpu 0") != NULL);
	CHECK(strstr(r->details, "at SP_call_rcu: quarantined [kasan_quarantine_put]") != NULL);
	CHECK(strstr(r->details, "released from the quarantine to its slab [kasan_cache_shutdown]") != NULL);
	CHECK(strstr(r->details, "kasan_cache_shutdown() drained the quarantine of its cache") != NULL);
	CHECK(strstr(r->details, "op 9 cpu 0") != NULL);
	CHECK(strstr(r->details, "quarantined after kasan_cache_shutdown()") != NULL);
	/* in order: released, shutdown, quarantined again */
	{
		const char *a = strstr(r->details, "released from the quarantine");
		const char *b = strstr(r->details, "drained the quarantine of its cache");
		const char *c = strstr(r->details, "quarantined after kasan_cache_shutdown()");

		CHECK(a && b && c && a < b && b < c);
	}
	CHECK(strstr(r->details, "op: 10") != NULL);	/* the report's own context, last */
	if (test_failures)
		fputs(r->details, stderr);
	kasan_history_enable(false);
	report_set_context_hook(NULL, NULL);
	track_op = -1;
	t->last_point = 0;
	fake_destroy(&fc);
}
