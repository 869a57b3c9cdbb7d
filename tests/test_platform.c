// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the emulated platform: page allocator, fault injection, CPUs and hotplug,
 * locks and lockdep-lite, the reporter, double-word cmpxchg, and real-thread mutual
 * exclusion. Page counts are checked as deltas: kmem_cache_init() may hold pages.
 */
#include <pthread.h>
#include <semaphore.h>
#include <setjmp.h>
#include <stdint.h>
#include "harness.h"
#include "slab_internal.h"	/* slab_mutex, for the lock-order test */

static int last_report_kind(void)
{
	const struct report *r = report_get(report_count() - 1);

	return r ? (int)r->kind : -1;
}

TEST(page_alloc_orders_round_trip)
{
	unsigned long base = pages_in_use();

	for (unsigned int order = 0; order <= MAX_PAGE_ORDER; order++) {
		unsigned long nr = 1UL << order;
		struct page *page = alloc_pages_node(0, GFP_KERNEL, order);
		char *addr;

		REQUIRE(page);
		addr = page_address(page);
		REQUIRE(addr);
		CHECK(IS_ALIGNED((uintptr_t)addr, PAGE_SIZE));
		CHECK(page->flags & PG_head);
		CHECK(page->flags & PG_allocated);
		CHECK_EQ(compound_order(page), order);
		CHECK_EQ(page_to_nid(page), 0);
		CHECK_EQ(pages_in_use(), base + nr);
		for (unsigned long i = 0; i < nr; i++) {
			CHECK(compound_head(page + i) == page);
			CHECK(virt_to_page(addr + i * PAGE_SIZE + 123) == page + i);
			CHECK(page_address(page + i) == addr + i * PAGE_SIZE);
		}
		memset(addr, 0xa5, nr * PAGE_SIZE);	/* the memory is usable */
		__free_pages(page, order);
		CHECK_EQ(pages_in_use(), base);
		/* A freed block is reused first for its order. */
		struct page *again = alloc_pages_node(0, GFP_KERNEL, order);
		CHECK(again == page);
		__free_pages(again, order);
	}
	CHECK_EQ(pages_in_use(), base);
}

TEST(page_alloc_zero_and_bad_order)
{
	struct page *page = alloc_pages_node(0, GFP_KERNEL, 1);

	REQUIRE(page);
	memset(page_address(page), 0xff, 2 * PAGE_SIZE);
	__free_pages(page, 1);
	page = alloc_pages_node(0, GFP_KERNEL | __GFP_ZERO, 1);
	REQUIRE(page);
	const unsigned char *p = page_address(page);
	CHECK(p[0] == 0 && p[2 * PAGE_SIZE - 1] == 0);
	__free_pages(page, 1);

	CHECK(alloc_pages_node(0, GFP_KERNEL | __GFP_NOWARN, MAX_PAGE_ORDER + 1) == NULL);
	CHECK_EQ(report_count(), 0);
	CHECK(alloc_pages_node(0, GFP_KERNEL, MAX_PAGE_ORDER + 1) == NULL);
	CHECK_EQ(last_report_kind(), REPORT_WARN);
	EXPECT_REPORTS(1);
}

TEST(virt_to_page_outside_arena)
{
	int on_stack = 0;
	void *heap = malloc(64);
	void *meta = platform_zalloc(64);

	CHECK(virt_to_page(NULL) == NULL);
	CHECK(virt_to_page(&on_stack) == NULL);
	CHECK(virt_to_page(heap) == NULL);
	CHECK(virt_to_page(meta) == NULL);
	CHECK(virt_to_page(&test_config) == NULL);
	free(heap);
	platform_free(meta);
}

TEST(numa_counts_and_memoryless_fallback)
{
	test_config.nr_nodes = 3;
	for (int cpu = 0; cpu < MAX_CPUS; cpu++)
		test_config.cpu_node[cpu] = cpu % 3;
	test_config.memoryless_nodes = BIT(1);
	test_reinit();

	CHECK(node_state_memory(0));
	CHECK(!node_state_memory(1));
	CHECK(node_state_memory(2));
	CHECK_EQ(cpu_to_node(1), 1);
	CHECK_EQ(cpu_to_mem(1), 1);	/* its own node, memoryless or not */
	CHECK_EQ(next_memory_node(1), 2);
	CHECK_EQ(next_memory_node(2), 0);
	CHECK_EQ(first_memory_node(), 0);
	CHECK_EQ(node_pages_total(1), 0);
	CHECK_EQ(node_pages_total(2), test_config.arena_pages);

	unsigned long n0 = node_pages_in_use(0), n2 = node_pages_in_use(2);
	struct page *a = alloc_pages_node(0, GFP_KERNEL, 2);
	struct page *b = alloc_pages_node(2, GFP_KERNEL, 1);
	struct page *c = alloc_pages_node(1, GFP_KERNEL, 0);

	REQUIRE(a && b && c);
	CHECK_EQ(page_to_nid(a), 0);
	CHECK_EQ(page_to_nid(b), 2);
	CHECK_EQ(page_to_nid(c), 2);	/* memoryless node 1 falls back to node 2 */
	CHECK_EQ(node_pages_in_use(0), n0 + 4);
	CHECK_EQ(node_pages_in_use(1), 0);
	CHECK_EQ(node_pages_in_use(2), n2 + 3);
	CHECK(alloc_pages_node(1, GFP_KERNEL | __GFP_THISNODE, 0) == NULL);

	/* NUMA_NO_NODE on a CPU of the memoryless node: numa_mem_id() then fallback. */
	set_cpu(1);
	struct page *d = alloc_pages_node(NUMA_NO_NODE, GFP_KERNEL, 0);
	REQUIRE(d);
	CHECK_EQ(page_to_nid(d), 2);
	set_cpu(0);

	__free_pages(a, 2);
	__free_pages(b, 1);
	__free_pages(c, 0);
	__free_pages(d, 0);
	CHECK_EQ(node_pages_in_use(0), n0);
	CHECK_EQ(node_pages_in_use(2), n2);
}

TEST(fault_injection_next_and_pattern)
{
	struct page *p;

	fault_fail_next(FAULT_PAGE_ALLOC, 2);
	CHECK(alloc_pages_node(0, GFP_KERNEL, 0) == NULL);
	CHECK(alloc_pages_node(0, GFP_KERNEL, 0) == NULL);
	p = alloc_pages_node(0, GFP_KERNEL, 0);
	CHECK(p);
	__free_pages(p, 0);
	CHECK_EQ(fault_injected(FAULT_PAGE_ALLOC), 2);

	/* A registered site: ids are stable, registering again gives the same one. */
	int site = fault_site_register("test_site");
	REQUIRE(site >= NR_PLATFORM_FAULT_SITES);
	CHECK_EQ(fault_site_register("test_site"), site);
	CHECK_EQ(fault_site_lookup("test_site"), site);
	CHECK(!strcmp(fault_site_name(site), "test_site"));
	CHECK(!strcmp(fault_site_name(FAULT_PAGE_ALLOC), "page_alloc"));
	CHECK_EQ(fault_site_register(""), -1);
	CHECK(fault_site_name(-1) == NULL);
	CHECK(!should_fail(-1));	/* invalid sites never fail */
	fault_fail_next(-1, 5);
	/* the allocator's own site is registered by kmem_cache_init() */
	CHECK(FAULT_SHEAF_ALLOC >= NR_PLATFORM_FAULT_SITES);
	CHECK_EQ(fault_site_lookup("sheaf_alloc"), FAULT_SHEAF_ALLOC);

	/* Pattern 0b1101 over 4 calls: fail, pass, fail, fail; then pass. */
	fault_fail_pattern(site, 0xd, 4);
	CHECK(should_fail(site));
	CHECK(!should_fail(site));
	CHECK(should_fail(site));
	CHECK(should_fail(site));
	CHECK(!should_fail(site));
	CHECK_EQ(fault_injected(site), 3);
	CHECK_EQ(fault_injected(FAULT_PAGE_ALLOC), 2);	/* sites are independent */

	fault_fail_next(site, 1);
	fault_reset();
	CHECK(!should_fail(site));
	CHECK_EQ(fault_injected(site), 0);
	CHECK_EQ(fault_site_lookup("test_site"), site);	/* registrations survive */
}

static void alloc_sequence(uintptr_t *addrs, int n)
{
	struct page *pages[16];

	for (int i = 0; i < n; i++) {
		pages[i] = alloc_pages_node(0, GFP_KERNEL, (unsigned int)i % (MAX_PAGE_ORDER + 1));
		addrs[i] = pages[i] ? (uintptr_t)page_address(pages[i]) : 0;
	}
	for (int i = 0; i < n; i += 2) {
		if (pages[i])
			__free_pages(pages[i], (unsigned int)i % (MAX_PAGE_ORDER + 1));
	}
}

TEST(arena_reset_reuses_same_pages)
{
	uintptr_t first[16], second[16];
	unsigned long in_use;

	test_reinit();
	alloc_sequence(first, 16);
	in_use = pages_in_use();
	test_reinit();
	alloc_sequence(second, 16);
	CHECK_EQ(pages_in_use(), in_use);
	for (int i = 0; i < 16; i++) {
		CHECK(first[i] != 0);
		CHECK_EQ(first[i], second[i]);
	}
	test_reinit();	/* the odd blocks above are not the case's to free */
}

TEST(arena_exhaustion_and_split)
{
	struct page *big, *small[17];
	struct page **pages;
	unsigned long base, n = 0;

	test_config.arena_pages = 512;
	test_reinit();
	base = pages_in_use();
	pages = calloc(test_config.arena_pages, sizeof(*pages));
	REQUIRE(pages);
	big = alloc_pages_node(0, GFP_KERNEL, 4);
	REQUIRE(big);
	while ((pages[n] = alloc_pages_node(0, GFP_KERNEL | __GFP_NOWARN, 0)))
		n++;
	CHECK_EQ(base + 16 + n, test_config.arena_pages);
	CHECK_EQ(node_pages_in_use(0), test_config.arena_pages);

	/* The arena is full: order-0 requests now split the freed order-4 block. */
	__free_pages(big, 4);
	for (int i = 0; i < 16; i++) {
		small[i] = alloc_pages_node(0, GFP_KERNEL, 0);
		REQUIRE(small[i]);
		CHECK(small[i] >= big && small[i] < big + 16);
	}
	small[16] = alloc_pages_node(0, GFP_KERNEL, 0);
	CHECK(small[16] == NULL);
	for (int i = 0; i < 16; i++)
		__free_pages(small[i], 0);
	/* No coalescing: sixteen free order-0 pages do not make an order-4 block. */
	CHECK(alloc_pages_node(0, GFP_KERNEL, 4) == NULL);
	for (unsigned long i = 0; i < n; i++)
		__free_pages(pages[i], 0);
	CHECK_EQ(pages_in_use(), base);
	free(pages);
}

#if defined(__SANITIZE_ADDRESS__)
#define TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_ASAN 1
#endif
#endif

#ifdef TEST_ASAN
#include <sanitizer/asan_interface.h>
#endif

/*
 * A reset leaves no page usable that the last program did not free: under ASan a stale
 * pointer into a block still allocated at the reset faults, as one into a freed block
 * does (__free_pages() poisons those).
 */
TEST(arena_reset_poisons_blocks_left_allocated)
{
#ifdef TEST_ASAN
	struct page *p0, *p2;
	char *a0, *a2;

	p0 = alloc_pages_node(0, GFP_KERNEL, 0);
	p2 = alloc_pages_node(0, GFP_KERNEL, 2);
	REQUIRE(p0 && p2);
	a0 = page_address(p0);
	a2 = page_address(p2);
	memset(a0, 0x5a, PAGE_SIZE);
	memset(a2, 0x5a, PAGE_SIZE << 2);
	CHECK(!__asan_region_is_poisoned(a2, PAGE_SIZE << 2));
	test_reinit();	/* neither block was freed */
	REQUIRE(!(virt_to_page(a0)->flags & PG_allocated));
	REQUIRE(!(virt_to_page(a2)->flags & PG_allocated));
	CHECK(__asan_address_is_poisoned(a0));
	CHECK(__asan_address_is_poisoned(a0 + PAGE_SIZE - 1));
	for (int i = 0; i < 4; i++)
		CHECK(__asan_address_is_poisoned(a2 + i * PAGE_SIZE));
	CHECK(__asan_address_is_poisoned(a2 + (PAGE_SIZE << 2) - 1));
#else
	printf("  skipped: poisoning is ASan's (poison_pages() is empty without it)\n");
#endif
}

static int cb_log[16];
static int cb_n;

static int log_startup(unsigned int cpu, int state)
{
	if (cb_n < 16)
		cb_log[cb_n++] = 100 + state * 10 + (int)cpu;
	return 0;
}

static int log_teardown(unsigned int cpu, int state)
{
	if (cb_n < 16)
		cb_log[cb_n++] = 200 + state * 10 + (int)cpu;
	return 0;
}

static int up0(unsigned int cpu) { return log_startup(cpu, 0); }
static int up1(unsigned int cpu) { return log_startup(cpu, 1); }
static int up2(unsigned int cpu) { return log_startup(cpu, 2); }
static int down0(unsigned int cpu) { return log_teardown(cpu, 0); }
static int down1(unsigned int cpu) { return log_teardown(cpu, 1); }
static int down2(unsigned int cpu) { return log_teardown(cpu, 2); }

TEST(cpu_hotplug_order_and_errors)
{
	struct task other;

	cpuhp_setup_state(CPUHP_SLUB_DEAD, "test:0", up0, down0);
	cpuhp_setup_state(CPUHP_RCU_DEAD, "test:1", up1, down1);
	cpuhp_setup_state(CPUHP_AP_KASAN_ONLINE, "test:2", up2, down2);
	cb_n = 0;

	CHECK_EQ(num_online_cpus(), 4);
	CHECK_EQ(cpu_down(1), 0);
	CHECK(!cpu_online(1));
	CHECK_EQ(num_online_cpus(), 3);
	REQUIRE(cb_n == 3);
	CHECK_EQ(cb_log[0], 221);	/* teardown from the highest state down */
	CHECK_EQ(cb_log[1], 211);
	CHECK_EQ(cb_log[2], 201);
	CHECK_EQ(cpu_down(1), -EINVAL);
	CHECK_EQ(cpu_down(-1), -EINVAL);
	CHECK_EQ(cpu_down(4), -EINVAL);
	CHECK_EQ(cpu_up(4), -EINVAL);
	CHECK_EQ(cpu_up(2), -EINVAL);	/* already online */

	cb_n = 0;
	CHECK_EQ(cpu_up(1), 0);
	CHECK(cpu_online(1));
	REQUIRE(cb_n == 3);
	CHECK_EQ(cb_log[0], 101);	/* startup upwards */
	CHECK_EQ(cb_log[1], 111);
	CHECK_EQ(cb_log[2], 121);
	CHECK_EQ(hotplug_events(), 2);

	/* Tasks on a dying CPU move to the next online CPU, wrapping around. */
	task_init(&other, "other", 3);
	set_cpu(2);
	CHECK_EQ(cpu_down(2), 0);
	CHECK_EQ(smp_processor_id(), 3);
	CHECK_EQ(cpu_down(3), 0);
	CHECK_EQ(smp_processor_id(), 0);
	CHECK_EQ(other.cpu, 0);
	CHECK_EQ(cpu_down(1), 0);
	CHECK_EQ(cpu_down(0), -EBUSY);	/* the last online CPU */
	CHECK(cpu_online(0));
	CHECK_EQ(num_online_cpus(), 1);
	CHECK_EQ(cpu_up(3), 0);
	CHECK_EQ(hotplug_events(), 6);
	task_exit(&other);
	/* Give the allocator its own hotplug callbacks back. */
	test_reinit();
}

TEST(cpus_lock_tracking)
{
	CHECK(!cpus_read_held());
	lockdep_assert_cpus_held();
	cpus_read_lock();
	cpus_read_lock();	/* recursive read */
	CHECK(cpus_read_held());
	lockdep_assert_cpus_held();
	cpus_read_unlock();
	CHECK(cpus_read_held());
	cpus_read_unlock();
	CHECK(!cpus_read_held());
	cpus_write_lock();
	CHECK(cpus_read_held());
	lockdep_assert_cpus_held();
	cpus_write_unlock();
#ifdef SLAB_LOCKDEP
	CHECK_EQ(test_reports_of(REPORT_LOCK_NOT_HELD), 1);
	EXPECT_REPORTS(1);
#endif
}

TEST(migration_refused_under_local_lock_or_irq)
{
	local_trylock_t l;

	local_trylock_init(&l);
	local_lock(&l);
	CHECK_EQ(current->local_locks_held, 1);
	CHECK(!task_migrate(current, 1));
	CHECK_EQ(last_report_kind(), REPORT_WARN);
	CHECK_EQ(smp_processor_id(), 0);
	local_unlock(&l);
	CHECK_EQ(current->local_locks_held, 0);

	irq_enter(false);
	CHECK(in_hardirq() && in_interrupt() && !in_nmi());
	CHECK(!task_migrate(current, 1));
	irq_exit();
	CHECK(in_task());

	CHECK(task_migrate(current, 1));
	CHECK_EQ(smp_processor_id(), 1);
	CHECK(task_migrate(current, 0));
	/* An offline CPU runs no task: refused without a report. */
	CHECK_EQ(cpu_down(2), 0);
	CHECK(!task_migrate(current, 2));
	CHECK_EQ(report_count(), 2);
	EXPECT_REPORTS(2);
}

TEST(local_trylock_fails_when_held)
{
	local_trylock_t l;

	local_trylock_init(&l);
	CHECK(local_trylock(&l));
	CHECK_EQ(current->local_locks_held, 1);
	irq_enter(false);	/* an interrupt on this CPU finds it taken */
	CHECK(!local_trylock(&l));
	CHECK_EQ(current->local_locks_held, 1);
	irq_exit();
	local_unlock(&l);
	CHECK_EQ(current->local_locks_held, 0);
	irq_enter(true);	/* trylock is fine in NMI */
	CHECK(local_trylock(&l));
	local_unlock(&l);
	irq_exit();
}

#ifdef SLAB_LOCKDEP
TEST(lockdep_reports_inversion_once)
{
	spinlock_t a, b;
	const struct report *r;
	char sig[128];

	spin_lock_init_named(&a, "test_lock_a");
	spin_lock_init_named(&b, "test_lock_b");
	spin_lock(&a);
	spin_lock(&b);
	spin_unlock(&b);
	spin_unlock(&a);
	CHECK_EQ(report_count(), 0);

	spin_lock(&b);
	spin_lock(&a);
	spin_unlock(&a);
	spin_unlock(&b);
	CHECK_EQ(test_reports_of(REPORT_LOCK_INVERSION), 1);
	r = report_get(report_count() - 1);
	REQUIRE(r);
	CHECK_EQ(r->kind, REPORT_LOCK_INVERSION);
	CHECK(strstr(r->message, "test_lock_a") && strstr(r->message, "test_lock_b"));
	CHECK(strstr(r->message, "possible circular locking dependency"));
	report_signature(r, sig, sizeof(sig));
	CHECK(!strcmp(sig, "LOCK_INVERSION in test_lockdep_reports_inversion_once"));

	/* Once per pair. */
	spin_lock(&b);
	spin_lock(&a);
	spin_unlock(&a);
	spin_unlock(&b);
	EXPECT_REPORTS(1);
}

TEST(lockdep_consistent_order_is_quiet)
{
	spinlock_t a, b, c;
	struct mutex m;
	int classes = lockdep_nr_classes();

	spin_lock_init_named(&a, "order_a");
	spin_lock_init_named(&b, "order_b");
	spin_lock_init_named(&c, "order_c");
	mutex_init(&m);
	for (int i = 0; i < 3; i++) {
		mutex_lock(&m);
		spin_lock(&a);
		spin_lock(&b);
		spin_lock(&c);
		spin_unlock(&b);	/* out-of-order release is fine */
		spin_unlock(&c);
		spin_unlock(&a);
		spin_lock(&b);
		spin_lock(&c);
		spin_unlock(&c);
		spin_unlock(&b);
		mutex_unlock(&m);
	}
	/* A trylock records no dependency: b then trylock a is not an inversion. */
	spin_lock(&b);
	CHECK(spin_trylock(&a));
	spin_unlock(&a);
	spin_unlock(&b);
	CHECK_EQ(lockdep_nr_classes(), classes + 4);
	CHECK_EQ(current->nr_held, 0);
	CHECK_EQ(report_count(), 0);
}

TEST(lockdep_hotplug_lock_vs_slab_mutex)
{
	cpus_read_lock();
	mutex_lock(&slab_mutex);
	mutex_unlock(&slab_mutex);
	cpus_read_unlock();
	CHECK_EQ(report_count(), 0);

	mutex_lock(&slab_mutex);
	cpus_read_lock();
	cpus_read_unlock();
	mutex_unlock(&slab_mutex);
	CHECK_EQ(test_reports_of(REPORT_LOCK_INVERSION), 1);
	const struct report *r = report_get(0);
	REQUIRE(r);
	CHECK(strstr(r->message, "cpu_hotplug_lock") && strstr(r->message, "slab_mutex"));
	EXPECT_REPORTS(1);
}

TEST(lockdep_assert_held_and_bad_context)
{
	spinlock_t l;

	spin_lock_init(&l);
	lockdep_assert_held(&l);
	CHECK_EQ(last_report_kind(), REPORT_LOCK_NOT_HELD);
	spin_lock(&l);
	CHECK(__lock_held_by_current(&l.c));
	lockdep_assert_held(&l);
	spin_unlock(&l);
	CHECK_EQ(report_count(), 1);

	irq_enter(true);
	CHECK(in_nmi());
	spin_lock(&l);
	CHECK_EQ(last_report_kind(), REPORT_BAD_CONTEXT);
	spin_unlock(&l);
	CHECK(spin_trylock(&l));	/* trylock is allowed in NMI */
	spin_unlock(&l);
	CHECK_EQ(report_count(), 2);
	might_alloc(GFP_KERNEL, "nmi_alloc");
	CHECK_EQ(last_report_kind(), REPORT_BAD_CONTEXT);
	might_alloc(0, "nmi_alloc_nolock");	/* kmalloc_nolock: no reclaim bits */
	irq_exit();
	might_alloc(GFP_KERNEL, "task_alloc");
	CHECK_EQ(test_reports_of(REPORT_BAD_CONTEXT), 2);
	EXPECT_REPORTS(3);
}

/*
 * A new machine (platform_init() -> lockdep_reset()) starts with no classes and no lock
 * order: b -> a after a reinit is not an inversion of the a -> b seen before it.
 */
TEST(lockdep_reinit_forgets_lock_order)
{
	spinlock_t a, b;
	int classes = lockdep_nr_classes();

	spin_lock_init_named(&a, "reinit_a");
	spin_lock_init_named(&b, "reinit_b");
	spin_lock(&a);
	spin_lock(&b);
	spin_unlock(&b);
	spin_unlock(&a);
	CHECK_EQ(lockdep_nr_classes(), classes + 2);
	test_reinit();
	CHECK_EQ(lockdep_nr_classes(), classes);	/* as at the case's start */
	spin_lock(&b);
	spin_lock(&a);
	spin_unlock(&a);
	spin_unlock(&b);
	CHECK_EQ(lockdep_nr_classes(), classes + 2);
	CHECK_EQ(report_count(), 0);
}

/*
 * Switched off at run time, lockdep-lite still tracks what a task holds, as many locks as
 * held[] has entries, plain and trylocked, and forgets each on release.
 */
TEST(lockdep_off_tracks_held_locks_to_the_limit)
{
	static struct task t;
	spinlock_t l[ARRAY_SIZE(t.held)];
	int n = (int)ARRAY_SIZE(l);

	lockdep_set_enabled(false);
	task_init(&t, "holder", 0);
	task_switch(&t);
	for (int i = 0; i < n; i++) {
		spin_lock_init(&l[i]);
		if (i % 2)
			CHECK(spin_trylock(&l[i]));
		else
			spin_lock(&l[i]);
		CHECK_EQ(t.nr_held, i + 1);
		CHECK(t.held[i].lock == &l[i].c);
	}
	for (int i = 0; i < n; i++)
		spin_unlock(&l[i]);
	CHECK_EQ(t.nr_held, 0);
	task_switch(boot_task());
	task_exit(&t);
	lockdep_set_enabled(true);
	CHECK_EQ(report_count(), 0);
}
#endif

TEST(self_deadlock_is_a_bug)
{
	static spinlock_t l;
	static struct task other;
	jmp_buf jb;
	volatile int jumped = 0;

	spin_lock_init(&l);
	report_set_bug_jmp(&jb);
	spin_lock(&l);
	if (setjmp(jb) == 0) {
		spin_lock(&l);	/* same task: never succeeds */
		CHECK(0);
	} else {
		jumped = 1;
	}
	CHECK(jumped);
	CHECK_EQ(last_report_kind(), REPORT_BUG);
	CHECK(!strncmp(report_get(0)->message, "deadlock: ", 10));

	/* Another task of this OS thread: it would wait for a holder that never runs. */
	task_init(&other, "other", 0);
	task_switch(&other);
	jumped = 0;
	if (setjmp(jb) == 0)
		spin_lock(&l);
	else
		jumped = 1;
	task_switch(boot_task());
	CHECK(jumped);
	CHECK_EQ(test_reports_of(REPORT_BUG), 2);
	spin_unlock(&l);
	task_exit(&other);
	report_set_bug_jmp(NULL);
	EXPECT_REPORTS(2);
}

static long test_context;

static long get_test_context(void)
{
	return test_context;
}

TEST(report_format_and_signature)
{
	const struct report *r;
	char sig[128], *text = NULL;
	size_t len = 0;
	FILE *f;
	int no_reuse = report_kind_register("MODEL_no_reuse");

	/* registered kinds: printed as-is, ids stable, platform names not taken */
	REQUIRE(no_reuse >= NR_PLATFORM_REPORT_KINDS);
	CHECK_EQ(report_kind_register("MODEL_no_reuse"), no_reuse);
	CHECK_EQ(report_kind_register("WARN"), REPORT_WARN);
	CHECK_EQ(report_kind_register(""), -1);
	CHECK(report_nr_kinds() > no_reuse);

	report_set_quiet(true);
	report_simple(REPORT_WARN, "my_func", "hello %d", 42);
	test_context = 12;
	report_set_context_hook(get_test_context, "op");
	report_begin(no_reuse, "alloc", "object %d reused", 7);
	report_detail("obj: %d", 7);
	report_detail("line one\nline two");
	report_end();
	report_set_context_hook(NULL, NULL);
	report_set_quiet(false);

	r = report_get(0);
	REQUIRE(r);
	CHECK_EQ(r->kind, REPORT_WARN);
	CHECK(!strcmp(r->function, "my_func"));
	CHECK(!strcmp(r->message, "hello 42"));
	CHECK_EQ(r->cpu, 0);
	CHECK_EQ(r->task, 0);
	CHECK_EQ(r->context, -1);
	report_signature(r, sig, sizeof(sig));
	CHECK(!strcmp(sig, "WARN in my_func"));

	/* without a context hook: CPU and task only */
	f = open_memstream(&text, &len);
	REQUIRE(f);
	report_print(r, f);
	fclose(f);
	CHECK(!strcmp(text, "==slabtorture== WARN in my_func: hello 42\n"
		      "  cpu: 0  task: 0\n"));
	free(text);

	r = report_get(1);
	REQUIRE(r);
	CHECK_EQ(r->kind, no_reuse);
	CHECK_EQ(r->context, 12);
	report_signature(r, sig, sizeof(sig));
	CHECK(!strcmp(sig, "MODEL_no_reuse in alloc"));
	text = NULL;
	f = open_memstream(&text, &len);
	REQUIRE(f);
	report_print(r, f);
	fclose(f);
	CHECK(!strcmp(text, "==slabtorture== MODEL_no_reuse in alloc: object 7 reused\n"
		      "  obj: 7\n  line one\n  line two\n  cpu: 0  task: 0  op: 12\n"));
	free(text);

	CHECK_EQ(report_count(), 2);
	CHECK_EQ(report_count_kind(REPORT_WARN), 1);
	CHECK_EQ(report_count_kind(no_reuse), 1);
	CHECK(report_get(2) == NULL);
	CHECK_EQ(report_kind_parse("LOCK_INVERSION"), REPORT_LOCK_INVERSION);
	CHECK_EQ(report_kind_parse("SLAB_LEAK"), REPORT_SLAB_LEAK);
	CHECK_EQ(report_kind_parse("MODEL_no_reuse"), no_reuse);
	CHECK_EQ(report_kind_parse("MODEL_never_registered"), -1);
	CHECK_EQ(report_kind_parse("NOPE"), -1);
	CHECK(!strcmp(report_kind_name(REPORT_USE_AFTER_FREE), "USE_AFTER_FREE"));
	CHECK(!strcmp(report_kind_name(no_reuse), "MODEL_no_reuse"));
	CHECK(!strcmp(report_kind_name(-1), "UNKNOWN"));
	EXPECT_REPORTS(2);
}

/* Every report is kept, in order, and the storage is reused after report_reset(). */
TEST(report_storage_unbounded)
{
	const int n = 100000;
	const struct report *first;

	report_set_quiet(true);
	for (int i = 0; i < n; i++)
		report_simple(REPORT_WARN, "many", "report %d", i);
	first = report_get(0);
	REQUIRE(first);
	CHECK_EQ(report_count(), n);
	CHECK_EQ(report_count_kind(REPORT_WARN), n);
	for (int i = 0; i < n; i += 997) {
		const struct report *r = report_get(i);
		char want[32];

		REQUIRE(r);
		snprintf(want, sizeof(want), "report %d", i);
		CHECK(!strcmp(r->message, want));
	}
	CHECK(!strcmp(report_get(n - 1)->message, "report 99999"));
	CHECK(report_get(n) == NULL);
	/* kept reports never move while more are recorded */
	CHECK(report_get(0) == first && !strcmp(first->message, "report 0"));

	report_reset();
	CHECK_EQ(report_count(), 0);
	CHECK(report_get(0) == NULL);
	report_simple(REPORT_WARN, "again", "x");
	CHECK(report_get(0) == first);	/* the first block is reused */
	CHECK(!strcmp(report_get(0)->function, "again"));
	report_set_quiet(false);
	EXPECT_REPORTS(1);
}

/* Stress threads record concurrently while others read kept reports. */
#define REPORT_THREADS 4
#define REPORTS_PER_THREAD 5000
static int report_torn;			/* atomic */

static void *report_writer(void *arg)
{
	long id = (long)arg;
	struct task t;

	task_init(&t, "reporter", 0);
	task_switch(&t);
	for (int i = 0; i < REPORTS_PER_THREAD; i++) {
		report_simple(REPORT_WARN, "writer", "thread %ld report %d", id, i);
		const struct report *r = report_get(i);
		if (r && strncmp(r->message, "thread ", 7))
			__atomic_store_n(&report_torn, 1, __ATOMIC_RELAXED);
	}
	task_exit(&t);
	return NULL;
}

TEST(report_storage_threads)
{
	pthread_t th[REPORT_THREADS];

	report_torn = 0;
	report_set_quiet(true);
	for (long i = 0; i < REPORT_THREADS; i++)
		REQUIRE(!pthread_create(&th[i], NULL, report_writer, (void *)i));
	for (int i = 0; i < REPORT_THREADS; i++)
		pthread_join(th[i], NULL);
	report_set_quiet(false);
	CHECK_EQ(__atomic_load_n(&report_torn, __ATOMIC_RELAXED), 0);
	CHECK_EQ(report_count(), REPORT_THREADS * REPORTS_PER_THREAD);
	for (int i = 0; i < report_count(); i++)
		REQUIRE(report_get(i) && !strncmp(report_get(i)->message, "thread ", 7));
	EXPECT_REPORTS(REPORT_THREADS * REPORTS_PER_THREAD);
}

TEST(config_validation_and_clamping)
{
	struct platform_config c;

	platform_config_default(&c);
	CHECK(platform_config_valid(&c) == NULL);
	CHECK_EQ(c.nr_cpus, 4);
	CHECK(c.kasan && c.cmpxchg_double);
	CHECK_EQ(c.arena_pages, 16384);
	c.nr_cpus = 0;
	CHECK(platform_config_valid(&c) != NULL);
	c.nr_cpus = 65;
	CHECK(platform_config_valid(&c) != NULL);
	c.nr_cpus = 4;
	c.nr_nodes = 9;
	CHECK(platform_config_valid(&c) != NULL);
	c.nr_nodes = 2;
	c.cpu_node[3] = 2;
	CHECK(platform_config_valid(&c) != NULL);
	c.cpu_node[3] = 1;
	CHECK(platform_config_valid(&c) == NULL);
	c.memoryless_nodes = 3;
	CHECK(platform_config_valid(&c) != NULL);
	c.memoryless_nodes = 2;
	c.arena_pages = 0;
	CHECK(platform_config_valid(&c) != NULL);

	test_config.nr_cpus = 100;
	test_config.nr_nodes = 2;
	test_config.cpu_node[5] = 7;
	test_config.memoryless_nodes = 3;
	test_reinit();
	CHECK_EQ(nr_cpu_ids, 64);
	CHECK_EQ(num_online_cpus(), 64);
	CHECK_EQ(nr_node_ids, 2);
	CHECK_EQ(cpu_to_node(5), 1);
	CHECK(node_state_memory(0));
	CHECK(!node_state_memory(1));
	CHECK(platform_config_valid(platform_config()) == NULL);
}

TEST(cmpxchg_double_word_semantics)
{
	double_word_t w = { .first = (void *)0x1000, .second = 7 };
	double_word_t old = w, new_val = { .first = (void *)0x2000, .second = 8 };
	double_word_t snap;

	CHECK(system_has_freelist_aba());
	CHECK(cmpxchg_double_word(&w, &old, new_val));
	CHECK(w.first == (void *)0x2000 && w.second == 8);
	/* Stale expectation: fails, leaves w alone, returns the current value in old. */
	old.first = (void *)0x1000;
	old.second = 8;
	CHECK(!cmpxchg_double_word(&w, &old, (double_word_t){ .first = NULL, .second = 0 }));
	CHECK(old.first == (void *)0x2000 && old.second == 8);
	CHECK(w.first == (void *)0x2000 && w.second == 8);
	/* Only the second word differs: still a failure. */
	old.second = 9;
	CHECK(!cmpxchg_double_word(&w, &old, (double_word_t){ .first = NULL, .second = 0 }));
	CHECK_EQ(old.second, 8);
	snap = read_double_word(&w);
	CHECK(snap.first == w.first && snap.second == w.second);
	w.full = 0;
	snap = read_double_word(&w);
	CHECK(snap.full == 0);

	test_config.cmpxchg_double = false;
	test_reinit();
	CHECK(!system_has_freelist_aba());
}

#define THREAD_ITERS	20000
#define NR_THREADS	4

static spinlock_t shared_lock;
static long shared_counter;		/* protected by shared_lock only */
static double_word_t shared_dw;
static int dw_torn;			/* atomic */

static void *hammer(void *arg)
{
	struct task t;
	int cpu = (int)(intptr_t)arg;

	task_init(&t, "hammer", cpu);
	task_switch(&t);
	for (int i = 0; i < THREAD_ITERS; i++) {
		double_word_t old = read_double_word(&shared_dw), new_val;

		spin_lock(&shared_lock);
		shared_counter++;
		spin_unlock(&shared_lock);

		/* Invariant second == 2 * first holds in every snapshot. */
		do {
			if (old.second != 2 * (uintptr_t)old.first)
				__atomic_add_fetch(&dw_torn, 1, __ATOMIC_RELAXED);
			new_val.first = (void *)((uintptr_t)old.first + 1);
			new_val.second = old.second + 2;
		} while (!cmpxchg_double_word(&shared_dw, &old, new_val));
	}
	task_exit(&t);
	return NULL;
}

TEST(threads_spinlock_and_cmpxchg_double)
{
	pthread_t th[NR_THREADS];

	spin_lock_init(&shared_lock);
	shared_counter = 0;
	shared_dw.full = 0;
	dw_torn = 0;
	for (int i = 0; i < NR_THREADS; i++)
		REQUIRE(!pthread_create(&th[i], NULL, hammer, (void *)(intptr_t)i));
	for (int i = 0; i < NR_THREADS; i++)
		pthread_join(th[i], NULL);
	CHECK_EQ(shared_counter, NR_THREADS * THREAD_ITERS);
	CHECK_EQ((uintptr_t)shared_dw.first, NR_THREADS * THREAD_ITERS);
	CHECK_EQ(shared_dw.second, 2 * NR_THREADS * THREAD_ITERS);
	CHECK_EQ(dw_torn, 0);
}

static int worker_bad;			/* atomic */
static int worker_stop;			/* atomic */

static void *occupier(void *arg)
{
	struct task t;

	task_init(&t, "occupier", 1);
	task_switch(&t);
	while (!__atomic_load_n(&worker_stop, __ATOMIC_ACQUIRE)) {
		cpu_occupy();
		if (!cpu_online(smp_processor_id()))
			__atomic_add_fetch(&worker_bad, 1, __ATOMIC_RELAXED);
		cpus_read_lock();
		cpus_read_unlock();
		cpu_unoccupy();
	}
	task_exit(&t);
	return NULL;
}

TEST(hotplug_waits_for_occupied_cpus)
{
	pthread_t th[2];

	worker_bad = 0;
	worker_stop = 0;
	for (int i = 0; i < 2; i++)
		REQUIRE(!pthread_create(&th[i], NULL, occupier, NULL));
	for (int i = 0; i < 200; i++) {
		int cpu = 1 + i % 3;

		CHECK_EQ(cpu_down(cpu), 0);
		CHECK_EQ(cpu_up(cpu), 0);
	}
	__atomic_store_n(&worker_stop, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	CHECK_EQ(worker_bad, 0);
	CHECK_EQ(hotplug_events(), 400);
}

struct lazy_result {
	int id;
	int cpu;
	bool was_null;
	bool stable;
};

static void *lazy_boot(void *arg)
{
	struct lazy_result *res = arg;
	struct task *t;

	res->was_null = current == NULL;
	t = current_task();
	res->stable = current == t && boot_task() == t;
	res->id = t->id;
	res->cpu = t->cpu;
	return NULL;
}

TEST(threads_get_a_boot_task)
{
	struct lazy_result res = { .id = -1, .cpu = -1 };
	pthread_t th;

	REQUIRE(!pthread_create(&th, NULL, lazy_boot, &res));
	pthread_join(th, NULL);
	CHECK(res.was_null);
	CHECK(res.stable);
	CHECK(res.id > 0);	/* 0 is this thread's boot task */
	CHECK_EQ(res.cpu, 0);
	CHECK(current == boot_task());
	CHECK_EQ(current->id, 0);
	CHECK_EQ(current->cpu, 0);
}

/* A task made for a CPU that is not there, or offline, starts on an online one. */
TEST(task_init_on_bad_cpu_takes_an_online_one)
{
	struct task a, b, c;

	task_init(&a, "bad_low", -1);
	CHECK(cpu_online(task_get_cpu(&a)));
	task_init(&b, "bad_high", (int)nr_cpu_ids);
	CHECK(cpu_online(task_get_cpu(&b)));
	REQUIRE(cpu_down(2) == 0);
	task_init(&c, "offline", 2);
	CHECK(cpu_online(task_get_cpu(&c)));
	task_exit(&a);
	task_exit(&b);
	task_exit(&c);
	REQUIRE(cpu_up(2) == 0);
}

/* Dropping cpu_hotplug_lock for write is a wakeup (sched_point.h): a scheduler retries a
 * task waiting for the lock only after one, so without it the reader waits forever. */
TEST(cpus_write_unlock_wakes_waiters)
{
	unsigned long before;

	cpus_write_lock();
	before = sched_wakeups();
	cpus_write_unlock();
	CHECK(sched_wakeups() > before);
}

/* Leaving an occupied CPU is a wakeup: cpu_down() of that CPU waits (with a scheduler,
 * as a waiter retried only after a wakeup) for the occupancy to drain. */
TEST(cpu_unoccupy_wakes_waiters)
{
	unsigned long before;

	cpu_occupy();
	before = sched_wakeups();
	cpu_unoccupy();
	CHECK(sched_wakeups() > before);
}

/*
 * A task whose CPU went offline (another thread's boot task: not registered, so cpu_down()
 * leaves it there) moves to an online CPU in cpu_occupy() and occupies that one (hotplug.h)
 * instead of waiting for its CPU to come back. A fake scheduler ends an endless wait.
 */
static jmp_buf occupy_escape;
static int occupy_waits;

static void occupy_point(int id) { (void)id; }

static void occupy_wait(const void *on, const char *what)
{
	(void)on;
	(void)what;
	if (++occupy_waits > 100)
		longjmp(occupy_escape, 1);	/* it would wait forever */
}

static const struct sched_ops occupy_ops = { .point = occupy_point, .wait = occupy_wait };

struct stray_occupier {
	sem_t placed;
	sem_t go;
	bool placed_ok;
	int cpu;		/* the CPU it occupied; -1: cpu_occupy() never returned */
	bool online;
};

static void *stray_occupier_fn(void *arg)
{
	struct stray_occupier *s = arg;

	s->placed_ok = task_migrate(NULL, 1);
	sem_post(&s->placed);
	sem_wait(&s->go);
	if (!setjmp(occupy_escape)) {
		cpu_occupy();
		s->cpu = smp_processor_id();
		s->online = cpu_online(s->cpu);
		cpu_unoccupy();
	}
	return NULL;
}

TEST(cpu_occupy_moves_task_off_offline_cpu)
{
	struct stray_occupier s = { .cpu = -1 };
	pthread_t th;

	sem_init(&s.placed, 0, 0);
	sem_init(&s.go, 0, 0);
	REQUIRE(!pthread_create(&th, NULL, stray_occupier_fn, &s));
	sem_wait(&s.placed);
	CHECK(s.placed_ok);
	CHECK_EQ(cpu_down(1), 0);	/* the thread's task stays on CPU 1 */
	occupy_waits = 0;
	sched_set_ops(&occupy_ops);
	sem_post(&s.go);
	pthread_join(th, NULL);
	sched_set_ops(NULL);
	CHECK_EQ(s.cpu, 2);		/* the next online CPU */
	CHECK(s.online);
	CHECK_EQ(cpu_up(1), 0);
	sem_destroy(&s.placed);
	sem_destroy(&s.go);
}

/* A cpu_down() that cannot complete (the caller itself is pinned to the CPU by a local
 * lock: a BUG) leaves the CPU online, as the kernel rolls a failed offline back. */
TEST(cpu_down_pinned_by_caller_leaves_cpu_online)
{
	local_trylock_t l;
	jmp_buf jb;
	volatile int jumped = 0;

	local_trylock_init(&l);
	set_cpu(1);
	local_lock(&l);
	report_set_bug_jmp(&jb);
	if (setjmp(jb) == 0)
		cpu_down(1);
	else
		jumped = 1;
	report_set_bug_jmp(NULL);
	local_unlock(&l);
	CHECK(jumped);
	CHECK(cpu_online(1));
	CHECK_EQ(num_online_cpus(), 4);
	CHECK_EQ(smp_processor_id(), 1);	/* not migrated */
	CHECK_EQ(test_reports_of(REPORT_BUG), 1);
	/* unpinned, the same cpu_down() goes through */
	CHECK_EQ(cpu_down(1), 0);
	CHECK_EQ(smp_processor_id(), 2);
	CHECK_EQ(cpu_up(1), 0);
	set_cpu(0);
	EXPECT_REPORTS(1);
}
