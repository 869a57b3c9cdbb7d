// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the allocator under memory pressure: reserve (pfmemalloc) slabs, who may
 * take their objects, and how they are kept out of the sheaves that serve everyone. One
 * CPU, KASAN off (a free then reaches the sheaves), nodes of 256 pages with a min
 * watermark of 32; "below min" leaves 16 free pages, which only the reserves may take.
 */
#include "harness.h"
#include "slab_internal.h"	/* struct slab_sheaf: a lent sheaf remembers the reserves */

struct obj {
	struct rcu_head rcu;
	char pad[240];
};

/* The cases REQUIRE() it non-NULL. */
static struct kmem_cache *setup(void)
{
	test_config.arena_pages = 256;
	test_config.min_free_pages = 32;
	machine(1, 1, 0, false);
	return kmem_cache_create("pfm", sizeof(struct obj), NULL, SLAB_NO_MERGE);
}

/* Other users leave half of min free: only the reserves serve a new slab. */
static void below_min(void)
{
	page_alloc_set_pressure(0, 0);
	page_alloc_set_pressure(0, node_pages_free(0) - 16);
}

static void no_pressure(void)
{
	page_alloc_set_pressure(0, 0);
}

static bool enable_bug(const char *name)
{
	if (!slab_bugs_compiled_in()) {
		printf("  skipped: seeded bugs not compiled in\n");
		return false;
	}
	CHECK(!slab_bug_enable(name));
	return true;
}

TEST(memalloc_below_min_gets_a_reserve_object)
{
	struct kmem_cache *s = setup();
	void *p, *q;

	REQUIRE(s);
	below_min();
	p = kmem_cache_alloc(s, GFP_KERNEL | __GFP_MEMALLOC);
	REQUIRE(p);
	CHECK(slab_object_pfmemalloc(p));
	q = kmem_cache_alloc(s, GFP_KERNEL | __GFP_NOWARN);
	CHECK(q == NULL);	/* the reserve slab is not an ordinary caller's */
	no_pressure();
	kmem_cache_free(s, p);
	kmem_cache_destroy(s);
}

TEST(reserve_object_free_bypasses_the_sheaves)
{
	struct kmem_cache *s = setup();
	void *p;

	REQUIRE(s);
	below_min();
	p = kmem_cache_alloc(s, GFP_KERNEL | __GFP_MEMALLOC);
	REQUIRE(p && slab_object_pfmemalloc(p));
	kmem_cache_free(s, p);
	CHECK_EQ(ccount(s).in_pcs, 0);
	CHECK_EQ(st(s, FREE_SLOWPATH), 1);
	no_pressure();
	kmem_cache_destroy(s);
}

TEST(reserve_object_free_to_sheaves_with_seeded_bug)
{
	struct kmem_cache *s = setup();
	void *p;

	REQUIRE(s);
	if (!enable_bug("pfmemalloc_to_pcs"))
		return;
	below_min();
	p = kmem_cache_alloc(s, GFP_KERNEL | __GFP_MEMALLOC);
	REQUIRE(p);
	kmem_cache_free(s, p);
	CHECK_EQ(ccount(s).in_pcs, 1);
	/* and an ordinary allocation gets it back */
	CHECK(kmem_cache_alloc(s, GFP_KERNEL) == p);
	CHECK(validate_slab_cache(s) == 0);
	kmem_cache_free(s, p);
	no_pressure();
	kmem_cache_destroy(s);
	EXPECT_REPORTS(0);
}

TEST(ordinary_allocation_skips_a_reserve_partial_slab)
{
	struct kmem_cache *s = setup();
	void *p, *q;

	REQUIRE(s);
	below_min();
	p = kmem_cache_alloc(s, GFP_KERNEL | __GFP_MEMALLOC);
	REQUIRE(p && slab_object_pfmemalloc(p));
	CHECK(cinfo(s).nr_partial >= 1);	/* the rest of the reserve slab */
	no_pressure();
	q = kmem_cache_alloc(s, GFP_KERNEL);
	REQUIRE(q);
	CHECK(!slab_object_pfmemalloc(q));
	CHECK(virt_to_page(q) != virt_to_page(p));
	kmem_cache_free(s, q);
	kmem_cache_free(s, p);
	kmem_cache_destroy(s);
}

TEST(reserve_caller_takes_a_reserve_partial_slab_first)
{
	struct kmem_cache *s = setup();
	unsigned long pages;
	void *p, *q;

	REQUIRE(s);
	below_min();
	p = kmem_cache_alloc(s, GFP_KERNEL | __GFP_MEMALLOC);
	REQUIRE(p);
	pages = pages_in_use();
	q = kmem_cache_alloc(s, GFP_KERNEL | __GFP_MEMALLOC);
	REQUIRE(q);
	CHECK(slab_object_pfmemalloc(q));
	CHECK_EQ(pages_in_use(), pages);
	no_pressure();
	kmem_cache_free(s, q);
	kmem_cache_free(s, p);
	kmem_cache_destroy(s);
}

TEST(pf_memalloc_task_is_a_reserve_caller)
{
	struct kmem_cache *s = setup();
	unsigned int old;
	void *p;

	REQUIRE(s);
	below_min();
	old = memalloc_noreclaim_save();
	p = kmem_cache_alloc(s, GFP_KERNEL);
	memalloc_noreclaim_restore(old);
	REQUIRE(p);
	CHECK(slab_object_pfmemalloc(p));
	no_pressure();
	kmem_cache_free(s, p);
	kmem_cache_destroy(s);
}

TEST(nomemalloc_on_a_node_keeps_off_the_reserves_in_pf_memalloc_task)
{
	struct kmem_cache *s = setup();
	unsigned int old;
	void *p;

	REQUIRE(s);
	below_min();
	old = memalloc_noreclaim_save();
	p = kmem_cache_alloc_node(s, GFP_KERNEL | __GFP_NOMEMALLOC | __GFP_NOWARN, 0);
	memalloc_noreclaim_restore(old);
	CHECK(p == NULL);
	no_pressure();
	kmem_cache_destroy(s);
}

/* The sheaf is full of kfree_rcu'd objects, one of a reserve slab: after the grace period
 * rcu_free_sheaf() must not put it in the barn, where it would serve any allocation. */
TEST(rcu_free_sheaf_with_a_reserve_object_is_flushed)
{
	struct kmem_cache *s = setup();
	unsigned int cap = cinfo(s).sheaf_capacity;
	struct obj **p = calloc(cap, sizeof(*p));

	REQUIRE(s);
	REQUIRE(p && cap);
	below_min();
	REQUIRE((p[0] = kmem_cache_alloc(s, GFP_KERNEL | __GFP_MEMALLOC)));
	REQUIRE(slab_object_pfmemalloc(p[0]));
	no_pressure();
	for (unsigned int i = 1; i < cap; i++)
		REQUIRE((p[i] = kmem_cache_alloc(s, GFP_KERNEL)));
	for (unsigned int i = 0; i < cap; i++)
		kfree_rcu(p[i], rcu);
	CHECK_EQ(st(s, FREE_RCU_SHEAF), cap);
	rcu_gp_advance();
	CHECK_EQ(rcu_invoke_callbacks(-1), 1);	/* rcu_free_sheaf() */
	CHECK_EQ(ccount(s).in_barn, 0);
	CHECK_EQ(ccount(s).in_rcu_flight + ccount(s).allocated, 0);
	CHECK_EQ(validate_slab_cache(s), 0);	/* no reserve object in a sheaf */
	free(p);
	kmem_cache_destroy(s);
}

TEST(prefill_from_the_reserves_is_not_reused)
{
	struct kmem_cache *s = setup();
	struct slab_sheaf *sh;
	unsigned int old;

	REQUIRE(s);
	below_min();
	old = memalloc_noreclaim_save();
	sh = kmem_cache_prefill_sheaf(s, GFP_KERNEL, 1);
	memalloc_noreclaim_restore(old);
	REQUIRE(sh);
	CHECK(sh->pfmemalloc);
	CHECK(slab_sheaf_pfmemalloc_objects(sh) > 0);
	kmem_cache_return_sheaf(s, GFP_KERNEL, sh);
	/* flushed and freed, not kept as the CPU's spare */
	CHECK_EQ(st(s, SHEAF_RETURN_FAST), 0);
	CHECK_EQ(ccount(s).in_pcs, 0);
	CHECK(validate_slab_cache(s) == 0);
	no_pressure();
	kmem_cache_destroy(s);
}

TEST(prefill_without_the_reserves_fails_below_min)
{
	struct kmem_cache *s = setup();

	REQUIRE(s);
	below_min();
	CHECK(kmem_cache_prefill_sheaf(s, GFP_KERNEL | __GFP_NOWARN, 1) == NULL);
	no_pressure();
	kmem_cache_destroy(s);
}
