// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the page allocator's memory pressure: watermarks, the reserves and who may
 * use them, PG_pfmemalloc, other users' pages (pressure), and what each refusal counts as.
 * Every case runs on one node of 256 pages with a min watermark of 32 (low 40, high 48),
 * and brings the node to a known number of free pages with pressure first.
 */
#include "harness.h"

#define BUDGET	256
#define MIN	32

static void setup(void)
{
	test_config.arena_pages = BUDGET;
	test_config.min_free_pages = MIN;
	test_reinit();
}

/* Other users hold what it takes to leave `free` pages free on node 0. */
static void leave_free(unsigned long free)
{
	unsigned long used = node_pages_in_use(0);

	REQUIRE(used + free <= BUDGET);
	CHECK_EQ(page_alloc_set_pressure(0, BUDGET - used - free), BUDGET - used - free);
	CHECK_EQ(node_pages_free(0), free);
}

TEST(watermarks_follow_min)
{
	struct node_watermarks wm;

	setup();
	node_watermarks(0, &wm);
	CHECK_EQ(wm.min, MIN);
	CHECK_EQ(wm.low, MIN + MIN / 4);
	CHECK_EQ(wm.high, MIN + MIN / 2);
}

TEST(no_reserves_without_min)
{
	struct node_watermarks wm;
	struct page *p;

	test_config.arena_pages = BUDGET;
	test_reinit();
	node_watermarks(0, &wm);
	CHECK_EQ(wm.min, 0);
	leave_free(1);
	p = alloc_pages_node(0, GFP_KERNEL, 0);
	REQUIRE(p);
	CHECK(!page_is_pfmemalloc(p));
	__free_pages(p, 0);
}

TEST(ordinary_allocation_stops_at_min)
{
	unsigned long refused;
	struct page *p;

	setup();
	leave_free(MIN + 1);
	p = alloc_pages_node(0, GFP_KERNEL, 0);
	REQUIRE(p);
	CHECK(!page_is_pfmemalloc(p));
	refused = page_alloc_refused();
	CHECK(alloc_pages_node(0, GFP_KERNEL | __GFP_NOWARN, 0) == NULL);
	CHECK_EQ(page_alloc_refused(), refused + 1);
	__free_pages(p, 0);
	/* a free raises the level again */
	p = alloc_pages_node(0, GFP_KERNEL, 0);
	CHECK(p != NULL);
	__free_pages(p, 0);
}

TEST(order_counts_all_its_pages)
{
	setup();
	leave_free(MIN + 3);
	CHECK(alloc_pages_node(0, GFP_KERNEL | __GFP_NOWARN, 2) == NULL);
	leave_free(MIN + 4);
	struct page *p = alloc_pages_node(0, GFP_KERNEL, 2);
	CHECK(p != NULL);
	__free_pages(p, 2);
}

TEST(atomic_dips_below_min)
{
	struct page *p;

	setup();
	/* __GFP_HIGH halves min, a caller that cannot block takes a quarter of that off */
	leave_free(13);
	p = alloc_pages_node(0, GFP_ATOMIC, 0);
	REQUIRE(p);
	CHECK(!page_is_pfmemalloc(p));
	CHECK(alloc_pages_node(0, GFP_NOWAIT, 0) == NULL);
	CHECK(alloc_pages_node(0, GFP_ATOMIC, 0) == NULL);
	__free_pages(p, 0);
}

TEST(memalloc_gfp_gets_a_reserve_page)
{
	unsigned long reserve;
	struct page *p;

	setup();
	reserve = page_alloc_reserve_pages();
	leave_free(1);
	p = alloc_pages_node(0, GFP_KERNEL | __GFP_MEMALLOC, 0);
	REQUIRE(p);
	CHECK(page_is_pfmemalloc(p));
	CHECK_EQ(page_alloc_reserve_pages(), reserve + 1);
	__free_pages(p, 0);
	/* the flag goes with the page: above min the same page is an ordinary one */
	leave_free(MIN + 10);
	p = alloc_pages_node(0, GFP_KERNEL | __GFP_MEMALLOC, 0);
	REQUIRE(p);
	CHECK(!page_is_pfmemalloc(p));
	__free_pages(p, 0);
}

TEST(nomemalloc_wins_over_memalloc)
{
	setup();
	leave_free(MIN);
	CHECK(!gfp_pfmemalloc_allowed(GFP_KERNEL | __GFP_MEMALLOC | __GFP_NOMEMALLOC));
	CHECK(alloc_pages_node(0, GFP_KERNEL | __GFP_MEMALLOC | __GFP_NOMEMALLOC, 0) == NULL);
}

TEST(pf_memalloc_task_may_use_reserves_outside_interrupts)
{
	unsigned int old;
	struct page *p;

	setup();
	leave_free(MIN);
	CHECK(!gfp_pfmemalloc_allowed(GFP_KERNEL));
	old = memalloc_noreclaim_save();
	CHECK(gfp_pfmemalloc_allowed(GFP_KERNEL));
	CHECK(!gfp_pfmemalloc_allowed(GFP_KERNEL | __GFP_NOMEMALLOC));
	p = alloc_pages_node(0, GFP_KERNEL, 0);
	REQUIRE(p);
	CHECK(page_is_pfmemalloc(p));
	irq_enter(false);
	CHECK(!gfp_pfmemalloc_allowed(GFP_ATOMIC));
	CHECK(gfp_pfmemalloc_allowed(GFP_ATOMIC | __GFP_MEMALLOC));
	irq_exit();
	memalloc_noreclaim_restore(old);
	CHECK(!gfp_pfmemalloc_allowed(GFP_KERNEL));
	__free_pages(p, 0);
}

TEST(reserves_run_out_as_exhaustion)
{
	unsigned long exhausted, refused;
	struct page *p;

	setup();
	leave_free(1);
	p = alloc_pages_node(0, GFP_KERNEL | __GFP_MEMALLOC, 0);
	REQUIRE(p);
	exhausted = page_alloc_exhausted();
	refused = page_alloc_refused();
	/* nothing is free: not even the reserves serve it, and that is no watermark's doing */
	CHECK(alloc_pages_node(0, GFP_KERNEL | __GFP_MEMALLOC | __GFP_NOWARN, 0) == NULL);
	CHECK_EQ(page_alloc_exhausted(), exhausted + 1);
	CHECK_EQ(page_alloc_refused(), refused);
	__free_pages(p, 0);
}

TEST(pressure_takes_at_most_what_is_free)
{
	unsigned long used;

	setup();
	used = node_pages_in_use(0);
	CHECK_EQ(page_alloc_set_pressure(0, 10 * BUDGET), BUDGET - used);
	CHECK_EQ(node_pages_free(0), 0);
	CHECK_EQ(page_alloc_set_pressure(0, 5), 5);
	CHECK_EQ(page_alloc_pressure(0), 5);
	CHECK_EQ(node_pages_free(0), BUDGET - used - 5);
	CHECK_EQ(page_alloc_set_pressure(0, 0), 0);
	CHECK_EQ(node_pages_free(0), BUDGET - used);
	/* pressure is not slab memory */
	CHECK_EQ(node_pages_in_use(0), used);
}

TEST(reinit_forgets_pressure)
{
	setup();
	page_alloc_set_pressure(0, 100);
	setup();
	CHECK_EQ(page_alloc_pressure(0), 0);
}

TEST(min_free_is_at_most_a_quarter_of_the_budget)
{
	struct platform_config c;

	platform_config_default(&c);
	CHECK_EQ(c.min_free_pages, 0);
	c.arena_pages = 64;
	c.min_free_pages = 16;
	CHECK(platform_config_valid(&c) == NULL);
	c.min_free_pages = 17;
	CHECK(platform_config_valid(&c) != NULL);
	test_config.arena_pages = 64;
	test_config.min_free_pages = 1000;
	test_reinit();
	CHECK_EQ(platform_config()->min_free_pages, 16);
}
