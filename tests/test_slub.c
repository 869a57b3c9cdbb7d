// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the allocator core (issue 3): alloc/free across CPUs and nodes, sheaves
 * and barns, refill sources, bulk, kmalloc classes, shrink, destroy, fault injection,
 * hotplug, invalid frees, cache merging, debug caches, memoryless nodes, stats, and the
 * part of KUnit's lib/tests/slub_kunit.c that needs no RCU.
 *
 * Every case runs on a fresh machine (see harness.h). Many cases turn KASAN emulation
 * off first: with it on, every free goes into the quarantine and never reaches a sheaf,
 * so the sheaf paths under test would not run.
 */
#include "harness.h"

#define MAX_FULL	10	/* MAX_FULL_SHEAVES / MAX_EMPTY_SHEAVES of the kernel */

static void kasan_off(void)
{
	test_config.kasan = false;
	test_reinit();
}

static unsigned long counts_sum(const struct slab_object_counts *c)
{
	return c->on_freelist + c->in_pcs + c->in_rcu_free + c->in_rcu_flight + c->in_barn +
	       c->in_prefilled + c->quarantined + c->deferred + c->allocated;
}

static int cmp_ptr(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)*(void *const *)a, y = (uintptr_t)*(void *const *)b;

	return x < y ? -1 : x > y;
}

/* No NULLs and no pointer twice: the allocator never hands out one object twice. */
static bool all_distinct(void **p, size_t n)
{
	void **copy = malloc((n ? n : 1) * sizeof(*copy));
	bool ok = true;

	memcpy(copy, p, n * sizeof(*copy));
	qsort(copy, n, sizeof(*copy), cmp_ptr);
	for (size_t i = 0; i < n; i++) {
		if (!copy[i] || (i && copy[i] == copy[i - 1]))
			ok = false;
	}
	free(copy);
	return ok;
}

/* A valid object of `s`: inside one of its slabs, at an object start, aligned. */
static bool valid_object(struct kmem_cache *s, void *p)
{
	return p && virt_to_cache(p) == s && slab_object_start(p) == p &&
	       ((uintptr_t)p % ARCH_KMALLOC_MINALIGN) == 0;
}

static void fill(void *p, unsigned int size, unsigned int tag)
{
	memset(p, (int)(tag & 0xff), size);
	if (size >= sizeof(unsigned int))
		memcpy(p, &tag, sizeof(tag));
}

static bool check_fill(const void *p, unsigned int size, unsigned int tag)
{
	const unsigned char *b = p;
	unsigned int got;

	if (size >= sizeof(unsigned int)) {
		memcpy(&got, p, sizeof(got));
		if (got != tag)
			return false;
	}
	for (unsigned int i = sizeof(unsigned int); i < size; i++) {
		if (b[i] != (tag & 0xff))
			return false;
	}
	return true;
}

static u64 rng_state;

static void rng_seed(u64 seed)
{
	rng_state = seed ? seed : 0x9e3779b97f4a7c15ULL;
}

static u64 rng_next(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/*
 * Allocate n objects spread over every online CPU, write a tag into each, free each on a
 * different CPU than it came from, and check contents survived and nothing is left.
 */
/* The k-th online CPU, counting round the machine. */
static int online_cpu(unsigned int k)
{
	unsigned int online = num_online_cpus();
	int cpu;

	k %= online ? online : 1;
	for_each_online_cpu(cpu) {
		if (k-- == 0)
			return cpu;
	}
	return 0;
}

static void roundtrip(struct kmem_cache *s, unsigned int n)
{
	unsigned int size = kmem_cache_size(s);
	unsigned long live0 = ccount(s).allocated;
	void **p = calloc(n, sizeof(*p));

	for (unsigned int i = 0; i < n; i++) {
		set_cpu(online_cpu(i));
		p[i] = kmem_cache_alloc(s, GFP_KERNEL);
		CHECK(valid_object(s, p[i]));
		if (!p[i])
			goto out;
		fill(p[i], size, i + 1);
	}
	CHECK(all_distinct(p, n));
	CHECK_EQ(ccount(s).allocated, live0 + n);
	for (unsigned int i = 0; i < n; i++)
		CHECK(check_fill(p[i], size, i + 1));
	for (unsigned int i = 0; i < n; i++) {
		set_cpu(online_cpu(i + 1));
		kmem_cache_free(s, p[i]);
	}
	CHECK_EQ(ccount(s).allocated, live0);
out:
	set_cpu(online_cpu(0));
	free(p);
}

TEST(roundtrip_across_cpus)
{
	unsigned long base = pages_in_use();

	for (int pass = 0; pass < 2; pass++) {
		if (pass == 1)
			kasan_off();
		base = pages_in_use();
		struct kmem_cache *s = kmem_cache_create("rt_cpus", 100, NULL, 0);

		REQUIRE(s);
		CHECK_EQ(kmem_cache_size(s), 100);
		roundtrip(s, 1000);
		roundtrip(s, 37);
		CHECK_EQ(validate_slab_cache(s), 0);
		kmem_cache_destroy(s);
		CHECK_EQ(pages_in_use(), base);
	}
}

TEST(roundtrip_across_nodes)
{
	machine(4, 2, 0, false);

	struct kmem_cache *s = kmem_cache_create("rt_nodes", 128, NULL, 0);
	enum { N = 400 };
	void *p[N];

	REQUIRE(s);
	/* Single-threaded, nothing migrates inside the allocator: a CPU's objects are local. */
	for (int i = 0; i < N; i++) {
		int cpu = i % 4;

		set_cpu(cpu);
		p[i] = kmem_cache_alloc(s, GFP_KERNEL);
		REQUIRE(valid_object(s, p[i]));
		CHECK_EQ(node_of(p[i]), cpu_to_node(cpu));
		fill(p[i], 128, (unsigned int)i);
	}
	CHECK(all_distinct(p, N));

	/* Objects freed on the other node's CPUs bypass the sheaves (remote free). */
	unsigned long slow0 = st(s, FREE_SLOWPATH), fast0 = st(s, FREE_FASTPATH);
	for (int i = 0; i < N; i++) {
		set_cpu((i + 1) % 4);
		CHECK(check_fill(p[i], 128, (unsigned int)i));
		kmem_cache_free(s, p[i]);
	}
	CHECK_EQ(st(s, FREE_SLOWPATH) - slow0, N);
	CHECK_EQ(st(s, FREE_FASTPATH) - fast0, 0);

	/* kmem_cache_alloc_node() honours the node from every CPU. */
	unsigned long mismatch0 = st(s, ALLOC_NODE_MISMATCH);
	for (int i = 0; i < N; i++) {
		int node = (i / 4) % 2;

		set_cpu(i % 4);
		p[i] = kmem_cache_alloc_node(s, GFP_KERNEL, node);
		REQUIRE(valid_object(s, p[i]));
		CHECK_EQ(node_of(p[i]), node);
	}
	CHECK(all_distinct(p, N));
	CHECK(st(s, ALLOC_NODE_MISMATCH) > mismatch0);
	for (int i = 0; i < N; i++) {
		set_cpu(i % 4);
		kmem_cache_free(s, p[i]);
	}
	set_cpu(0);

	/* kmalloc_node too. */
	for (int node = 0; node < 2; node++) {
		void *q = kmalloc_node(200, GFP_KERNEL, node);

		REQUIRE(q);
		CHECK_EQ(node_of(q), node);
		kfree(q);
	}
	CHECK_EQ(ccount(s).allocated, 0);
	kmem_cache_destroy(s);
}

/* The same round trips with the slab_lock() fallback instead of cmpxchg16b. */
TEST(roundtrip_without_cmpxchg_double)
{
	for (int pass = 0; pass < 2; pass++) {
		test_config.cmpxchg_double = false;
		machine(4, 2, 0, pass == 0);
		CHECK(!system_has_freelist_aba());

		unsigned long base = pages_in_use();
		struct kmem_cache *s = kmem_cache_create("rt_nocx", 72, NULL, 0);

		REQUIRE(s);
		roundtrip(s, 1500);
		/* Single-threaded: the locked fallback never has to retry. */
		CHECK_EQ(st(s, CMPXCHG_DOUBLE_FAIL), 0);
		CHECK(kmem_cache_shrink(s) == 0);
		CHECK_EQ(cinfo(s).nr_slabs, 0);
		kmem_cache_destroy(s);
		CHECK_EQ(pages_in_use(), base);
	}
	/* And with it, on the same workload, for comparison. */
	test_config.cmpxchg_double = true;
	machine(4, 2, 0, false);
	CHECK(system_has_freelist_aba());
	struct kmem_cache *s = kmem_cache_create("rt_cx", 72, NULL, 0);

	REQUIRE(s);
	roundtrip(s, 1500);
	CHECK_EQ(st(s, CMPXCHG_DOUBLE_FAIL), 0);
	kmem_cache_destroy(s);
}

/*
 * Free far more than main + spare hold on one CPU: full sheaves go to the barn until it
 * holds MAX_FULL, then the spare is flushed to slabs. Allocation takes the barn's full
 * sheaves back before touching slabs, also on another CPU of the node.
 */
TEST(barn_exchange_and_limits)
{
	kasan_off();
	struct kmem_cache *s = kmem_cache_create("barn", 64, NULL, 0);

	REQUIRE(s);
	unsigned int cap = cinfo(s).sheaf_capacity;
	REQUIRE(cap > 0);
	unsigned int n = 20 * cap;
	void **p = calloc(n, sizeof(*p));

	for (unsigned int i = 0; i < n; i++) {
		p[i] = kmem_cache_alloc(s, GFP_KERNEL);
		REQUIRE(valid_object(s, p[i]));
	}
	CHECK(all_distinct(p, n));
	/* Allocation alone puts no full sheaf into the barn. */
	CHECK_EQ(cinfo(s).barn_full, 0);
	CHECK_EQ(st(s, BARN_PUT), 0);

	for (unsigned int i = 0; i < n; i++)
		kmem_cache_free(s, p[i]);

	struct slab_cache_info info = cinfo(s);
	struct slab_object_counts c = ccount(s);

	CHECK(info.barn_full >= 1);
	CHECK(info.barn_full <= MAX_FULL);
	CHECK(info.barn_empty <= MAX_FULL);
	CHECK(st(s, BARN_PUT) >= info.barn_full);
	/* 20 sheaves' worth cannot all be cached: the barn refused some (E2BIG). */
	CHECK(st(s, BARN_PUT_FAIL) >= 1);
	CHECK(st(s, SHEAF_FLUSH) >= n - (MAX_FULL + 2) * cap);
	/* Only full-capacity sheaves sit on the barn's full list. */
	CHECK_EQ(c.in_barn, (unsigned long)info.barn_full * cap);
	CHECK(c.in_pcs <= 2 * cap);
	CHECK_EQ(c.allocated, 0);
	CHECK_EQ(counts_sum(&c), info.total_objects);

	/* Another CPU of the same node takes a full sheaf from the barn: the objects it gets
	 * are ones CPU 0 freed, and no slab is allocated or refilled for them. */
	unsigned long get0 = st(s, BARN_GET), slab0 = st(s, ALLOC_SLAB);
	unsigned long refill0 = st(s, SHEAF_REFILL);

	set_cpu(1);
	for (unsigned int i = 0; i < cap; i++) {
		void *q = kmem_cache_alloc(s, GFP_KERNEL);

		REQUIRE(q);
		CHECK(ptr_in(q, p, n));
		kmem_cache_free(s, q);
	}
	CHECK_EQ(slab_stat_cpu(s, BARN_GET, 1), 1);
	CHECK_EQ(st(s, ALLOC_SLAB), slab0);
	CHECK_EQ(st(s, SHEAF_REFILL), refill0);
	set_cpu(0);

	/* Allocating everything back drains every full sheaf of the barn, one BARN_GET each. */
	info = cinfo(s);
	unsigned int full_before = info.barn_full;

	get0 = st(s, BARN_GET);
	for (unsigned int i = 0; i < n; i++) {
		p[i] = kmem_cache_alloc(s, GFP_KERNEL);
		REQUIRE(p[i]);
	}
	CHECK(all_distinct(p, n));
	info = cinfo(s);
	CHECK_EQ(info.barn_full, 0);
	CHECK_EQ(st(s, BARN_GET) - get0, full_before);
	/* Exchanged empties are bounded by the limit plus what the two CPUs' pcs can give. */
	CHECK(info.barn_empty <= MAX_FULL + 2 * 2);

	for (unsigned int i = 0; i < n; i++)
		kmem_cache_free(s, p[i]);
	CHECK(cinfo(s).barn_full <= MAX_FULL);
	free(p);
	kmem_cache_destroy(s);
}

/* The first allocation from a fresh cache fills main from new slabs, then pops one. */
TEST(refill_from_new_slabs)
{
	kasan_off();
	struct kmem_cache *s = kmem_cache_create("refill_new", 256, NULL, 0);

	REQUIRE(s);
	struct slab_cache_info info = cinfo(s);
	unsigned int cap = info.sheaf_capacity, per = info.objects_per_slab;

	REQUIRE(cap > 0 && per > 0);
	CHECK_EQ(info.nr_slabs, 0);

	void *p = kmem_cache_alloc(s, GFP_KERNEL);

	REQUIRE(valid_object(s, p));
	info = cinfo(s);
	struct slab_object_counts c = ccount(s);

	CHECK_EQ(st(s, SHEAF_REFILL), cap);
	CHECK_EQ(st(s, ALLOC_SLAB), (cap + per - 1) / per);
	CHECK_EQ(info.nr_slabs, (cap + per - 1) / per);
	/* What the last new slab had left over went to the partial list. */
	CHECK_EQ(info.nr_partial, cap % per ? 1 : 0);
	CHECK_EQ(c.in_pcs, cap - 1);
	CHECK_EQ(c.allocated, 1);
	CHECK_EQ(st(s, ALLOC_FASTPATH), 1);
	CHECK_EQ(st(s, ALLOC_SLOWPATH), 0);

	kmem_cache_free(s, p);
	kmem_cache_destroy(s);
}

/* Holes punched into slabs and flushed back are what the next refill takes. */
TEST(refill_from_partial)
{
	kasan_off();
	struct kmem_cache *s = kmem_cache_create("refill_partial", 192, NULL, 0);

	REQUIRE(s);
	unsigned int cap = cinfo(s).sheaf_capacity;
	REQUIRE(cap > 0);
	unsigned int n = 4 * cap, nholes = 0;
	void **p = calloc(n, sizeof(*p)), **holes = calloc(n, sizeof(*holes));

	for (unsigned int i = 0; i < n; i++) {
		p[i] = kmem_cache_alloc(s, GFP_KERNEL);
		REQUIRE(p[i]);
	}
	for (unsigned int i = 0; i < n; i += 2) {
		kmem_cache_free(s, p[i]);
		holes[nholes++] = p[i];
		p[i] = NULL;
	}
	/* Shrink flushes every sheaf and barn back to the slabs. */
	kmem_cache_shrink(s);
	struct slab_object_counts c = ccount(s);
	struct slab_cache_info info = cinfo(s);

	CHECK_EQ(c.in_pcs, 0);
	CHECK_EQ(c.in_barn, 0);
	CHECK_EQ(c.allocated, n - nholes);
	CHECK(info.nr_partial >= 1);
	CHECK_EQ(info.objects_in_use, n - nholes);

	unsigned long slab0 = st(s, ALLOC_SLAB), refill0 = st(s, SHEAF_REFILL);
	void **q = calloc(cap, sizeof(*q));

	for (unsigned int i = 0; i < cap; i++) {
		q[i] = kmem_cache_alloc(s, GFP_KERNEL);
		REQUIRE(q[i]);
		CHECK(ptr_in(q[i], holes, nholes));
	}
	CHECK(all_distinct(q, cap));
	CHECK_EQ(st(s, ALLOC_SLAB), slab0);
	CHECK_EQ(st(s, SHEAF_REFILL) - refill0, cap);

	for (unsigned int i = 0; i < cap; i++)
		kmem_cache_free(s, q[i]);
	for (unsigned int i = 0; i < n; i++) {
		if (p[i])
			kmem_cache_free(s, p[i]);
	}
	free(q);
	free(holes);
	free(p);
	kmem_cache_destroy(s);
}

/*
 * A CPU whose node has no partial slabs refills from a remote node with more than
 * min_partial partial slabs before it allocates a new slab.
 */
TEST(refill_from_remote_node)
{
	machine(4, 2, 0, false);

	struct kmem_cache *s = kmem_cache_create("refill_remote", 128, NULL, 0);

	REQUIRE(s);
	struct slab_cache_info info = cinfo(s);
	unsigned int cap = info.sheaf_capacity, per = info.objects_per_slab;

	REQUIRE(cap > 0 && per > 1);
	unsigned int nslabs = info.min_partial + 4;
	unsigned int n = nslabs * per;

	while (n / 2 < 2 * cap)
		n += per;
	void **p = calloc(n, sizeof(*p));
	void **holes = calloc(n, sizeof(*holes));
	unsigned int nholes = 0;

	set_cpu(1);	/* node 1 */
	for (unsigned int i = 0; i < n; i++) {
		p[i] = kmem_cache_alloc(s, GFP_KERNEL);
		REQUIRE(p[i]);
		CHECK_EQ(node_of(p[i]), 1);
	}
	for (unsigned int i = 0; i < n; i += 2) {
		kmem_cache_free(s, p[i]);
		holes[nholes++] = p[i];
		p[i] = NULL;
	}
	set_cpu(0);	/* node 0 */
	kmem_cache_shrink(s);
	info = cinfo(s);
	CHECK(info.nr_partial > info.min_partial);

	unsigned long slab0 = st(s, ALLOC_SLAB);
	void **q = calloc(cap, sizeof(*q));

	for (unsigned int i = 0; i < cap; i++) {
		q[i] = kmem_cache_alloc(s, GFP_KERNEL);
		REQUIRE(q[i]);
		CHECK_EQ(node_of(q[i]), 1);
		CHECK(ptr_in(q[i], holes, nholes));
	}
	CHECK_EQ(st(s, ALLOC_SLAB), slab0);

	for (unsigned int i = 0; i < cap; i++)
		kmem_cache_free(s, q[i]);
	for (unsigned int i = 0; i < n; i++) {
		if (p[i])
			kmem_cache_free(s, p[i]);
	}
	free(q);
	free(holes);
	free(p);
	kmem_cache_destroy(s);
}

TEST(bulk_alloc_free)
{
	for (int pass = 0; pass < 2; pass++) {
		if (pass == 1)
			kasan_off();
		unsigned long base = pages_in_use();
		struct kmem_cache *s = kmem_cache_create("bulk", 96, NULL, 0);

		REQUIRE(s);
		unsigned int cap = cinfo(s).sheaf_capacity;
		size_t n = 3 * cap + 7;
		void **p = calloc(n, sizeof(*p));

		for (int round = 0; round < 4; round++) {
			set_cpu(round % 2);
			CHECK_EQ(kmem_cache_alloc_bulk(s, GFP_KERNEL, n, p), n);
			CHECK(all_distinct(p, n));
			for (size_t i = 0; i < n; i++) {
				CHECK(valid_object(s, p[i]));
				fill(p[i], 96, (unsigned int)i);
			}
			CHECK_EQ(ccount(s).allocated, n);
			for (size_t i = 0; i < n; i++)
				CHECK(check_fill(p[i], 96, (unsigned int)i));
			/* Mix bulk and single objects in one free_bulk call. */
			kmem_cache_free(s, p[0]);
			p[0] = kmem_cache_alloc(s, GFP_KERNEL);
			REQUIRE(p[0]);
			kmem_cache_free_bulk(s, n, p);
			CHECK_EQ(ccount(s).allocated, 0);
		}
		set_cpu(0);
		CHECK_EQ(validate_slab_cache(s), 0);

		/* All or nothing: with no pages to be had, nothing is handed out or lost. */
		kmem_cache_shrink(s);
		fault_fail_next(FAULT_PAGE_ALLOC, 1000000);
		CHECK_EQ(kmem_cache_alloc_bulk(s, GFP_KERNEL, n, p), 0);
		fault_reset();
		CHECK_EQ(ccount(s).allocated, 0);
		CHECK_EQ(validate_slab_cache(s), 0);

		free(p);
		kmem_cache_destroy(s);
		CHECK_EQ(pages_in_use(), base);
	}
}

TEST(kmalloc_size_classes)
{
	size_t prev_class = 0;

	CHECK(kmalloc(0, GFP_KERNEL) == ZERO_SIZE_PTR);
	kfree(NULL);
	kfree(ZERO_SIZE_PTR);
	CHECK(kmalloc_cache_for(KMALLOC_MAX_CACHE_SIZE + 1) == NULL);

	for (size_t n = 1; n <= KMALLOC_MAX_CACHE_SIZE; n += (n < 300 ? 1 : 61)) {
		struct kmem_cache *k = kmalloc_cache_for(n);
		unsigned char *p = kmalloc(n, GFP_KERNEL);

		REQUIRE(k && p);
		CHECK(virt_to_cache(p) == k);
		CHECK(cinfo(k).flags & SLAB_KMALLOC);
		size_t ks = ksize(p);

		CHECK_EQ(ks, kmem_cache_size(k));
		CHECK(ks >= n);
		/* Power-of-two classes (and 96/192 if present): never more than twice, or the
		 * smallest class. */
		CHECK(ks <= 2 * n || ks == (1u << KMALLOC_SHIFT_LOW));
		CHECK(ks >= prev_class);
		prev_class = ks;
		/* The whole ksize() is usable. */
		memset(p, 0xa5, ks);
		CHECK(((uintptr_t)p % ARCH_KMALLOC_MINALIGN) == 0);
		kfree(p);
	}
	/* Exact class sizes are their own class. */
	for (unsigned int shift = KMALLOC_SHIFT_LOW; shift <= KMALLOC_SHIFT_HIGH; shift++) {
		void *p = kmalloc(1UL << shift, GFP_KERNEL);

		REQUIRE(p);
		CHECK_EQ(ksize(p), 1UL << shift);
		kfree(p);
	}
	CHECK(kmalloc_cache_for(KMALLOC_MAX_CACHE_SIZE) != NULL);
}

/*
 * The kernel guarantees natural alignment for power-of-two kmalloc sizes
 * (Documentation/core-api/memory-allocation.rst; kmalloc caches are created with
 * align = size for power-of-two sizes), with KASAN metadata or not.
 */
TEST(kmalloc_natural_alignment)
{
	for (int pass = 0; pass < 2; pass++) {
		if (pass == 1)
			kasan_off();
		for (unsigned int shift = KMALLOC_SHIFT_LOW; shift <= KMALLOC_SHIFT_HIGH; shift++) {
			size_t size = 1UL << shift;
			void *p[8];
			int bad = 0;

			for (int i = 0; i < 8; i++) {
				p[i] = kmalloc(size, GFP_KERNEL);
				REQUIRE(p[i]);
				if ((uintptr_t)p[i] % min(size, PAGE_SIZE))
					bad++;
			}
			if (bad)
				fprintf(stderr, "  kmalloc(%zu): %d of 8 objects not %zu-aligned\n",
					size, bad, min(size, PAGE_SIZE));
			CHECK_EQ(bad, 0);
			for (int i = 0; i < 8; i++)
				kfree(p[i]);
		}
	}
}

TEST(kzalloc_zeroes_and_ksize)
{
	kasan_off();	/* so that the freed, dirtied object is what comes back */
	for (size_t n = 8; n <= 4096; n *= 2) {
		unsigned char *p = kmalloc(n, GFP_KERNEL);

		REQUIRE(p);
		memset(p, 0xff, ksize(p));
		kfree(p);
		p = kzalloc(n, GFP_KERNEL);
		REQUIRE(p);
		for (size_t i = 0; i < n; i++) {
			if (p[i]) {
				CHECK(!"kzalloc returned non-zero bytes");
				break;
			}
		}
		kfree(p);
	}
	struct kmem_cache *s = kmem_cache_create("zalloc", 120, NULL, 0);

	REQUIRE(s);
	unsigned char *o = kmem_cache_alloc(s, GFP_KERNEL);

	REQUIRE(o);
	memset(o, 0x5a, 120);
	kmem_cache_free(s, o);
	o = kmem_cache_zalloc(s, GFP_KERNEL);
	REQUIRE(o);
	for (int i = 0; i < 120; i++)
		CHECK(o[i] == 0);
	kmem_cache_free(s, o);
	kmem_cache_destroy(s);
}

/* Shrink with no live objects returns every slab, with and without KASAN. */
TEST(shrink_returns_empty_slabs)
{
	for (int pass = 0; pass < 2; pass++) {
		if (pass == 1)
			kasan_off();
		unsigned long base = pages_in_use();
		struct kmem_cache *s = kmem_cache_create("shrink", 300, NULL, 0);

		REQUIRE(s);
		enum { N = 2000 };
		void **p = calloc(N, sizeof(*p));

		for (int i = 0; i < N; i++) {
			set_cpu(i % 4);
			p[i] = kmem_cache_alloc(s, GFP_KERNEL);
			REQUIRE(p[i]);
		}
		unsigned long held = cinfo(s).pages;

		CHECK(held > 0);
		CHECK_EQ(pages_in_use(), base + held);
		/* Keep one object in its own slab live; free everything else. */
		for (int i = 1; i < N; i++) {
			set_cpu(i % 4);
			kmem_cache_free(s, p[i]);
		}
		set_cpu(0);
		CHECK(cinfo(s).pages > 1);
		CHECK(kmem_cache_shrink(s) == 1);	/* a slab remains */
		struct slab_cache_info info = cinfo(s);

		CHECK_EQ(info.nr_slabs, 1);
		CHECK_EQ(info.objects_in_use, 1);
		CHECK_EQ(info.barn_full + info.barn_empty, 0);
		CHECK_EQ(pages_in_use(), base + info.pages);
		CHECK(info.pages < held);
		CHECK_EQ(kasan_quarantine_objects(slab_kasan_info(s)), 0);

		kmem_cache_free(s, p[0]);
		CHECK(kmem_cache_shrink(s) == 0);
		info = cinfo(s);
		CHECK_EQ(info.nr_slabs, 0);
		CHECK_EQ(info.pages, 0);
		CHECK_EQ(pages_in_use(), base);
		CHECK(st(s, FREE_SLAB) >= 1);
		CHECK_EQ(st(s, ALLOC_SLAB) - st(s, FREE_SLAB), 0);
		free(p);
		kmem_cache_destroy(s);
	}
}

TEST(destroy_empty_cache_returns_every_page)
{
	for (int pass = 0; pass < 2; pass++) {
		if (pass == 1)
			kasan_off();
		unsigned long base = pages_in_use();
		size_t meta = platform_allocs_in_use();
		struct kmem_cache *s = kmem_cache_create("destroy_empty", 512, NULL, 0);

		REQUIRE(s);
		enum { N = 700 };
		void **p = calloc(N, sizeof(*p));

		/* Leave objects everywhere: main, spare, barn, partial slabs, quarantine. */
		for (int i = 0; i < N; i++) {
			set_cpu(i % 3);
			p[i] = kmem_cache_alloc(s, GFP_KERNEL);
			REQUIRE(p[i]);
		}
		for (int i = 0; i < N; i++) {
			set_cpu((i * 7) % 4);
			kmem_cache_free(s, p[i]);
		}
		set_cpu(0);
		CHECK(pages_in_use() > base);
		kmem_cache_destroy(s);
		CHECK_EQ(pages_in_use(), base);
		CHECK_EQ(kasan_quarantine_objects(NULL), 0);
		/* Cache struct, nodes, barns, sheaves and per-CPU arrays are all freed. */
		CHECK_EQ(platform_allocs_in_use(), meta);
		free(p);
	}
}

/*
 * The kernel's __kmem_cache_shutdown() reports the remaining objects (list_slab_objects)
 * and kmem_cache_destroy() then warns "Slab cache still has objects"; the cache is leaked.
 * Every report is a SLAB_LEAK; exactly one is the "still has objects" one.
 */
static int leak_reports_for(unsigned int nr_leaked, bool kasan)
{
	test_config.kasan = kasan;
	test_reinit();
	struct kmem_cache *s = kmem_cache_create("leaky", 64, NULL, SLAB_NO_MERGE);
	void *keep[8];
	int still = 0;

	if (!s)
		return -1;
	for (unsigned int i = 0; i < nr_leaked; i++)
		keep[i] = kmem_cache_alloc(s, GFP_KERNEL);
	/* Some freed objects too, which must not be reported. */
	for (int i = 0; i < 20; i++)
		kmem_cache_free(s, kmem_cache_alloc(s, GFP_KERNEL));
	kmem_cache_destroy(s);
	(void)keep;
	for (int i = 0; i < report_count(); i++) {
		const struct report *r = report_get(i);

		CHECK_EQ(r->kind, REPORT_SLAB_LEAK);
		if (strstr(r->message, "still has objects"))
			still++;
	}
	CHECK_EQ(still, 1);
	/* The leaked cache keeps its pages (leaked on purpose, not freed under a user). */
	CHECK(pages_in_use() > 0);
	return report_count();
}

TEST(destroy_with_live_object_reports_leak)
{
	int one = leak_reports_for(1, true);

	CHECK(one >= 2);	/* the objects report and the "still has objects" one */
	int one_nokasan = leak_reports_for(1, false);

	CHECK_EQ(one_nokasan, one);
	/* A second leaked object in the same slab adds at most one per-object report. */
	int two = leak_reports_for(2, false);

	CHECK(two == one || two == one + 1);
	EXPECT_REPORTS(two);
}

/*
 * Page allocations failing in the middle of refills (first slab ok, next fails, ...)
 * must lose no object: every object handed out is distinct, validate stays clean, and
 * after freeing everything destroy is clean and gives every page back.
 */
TEST(fault_injection_mid_refill)
{
	enum { OBJ = 200 };
	static const struct {
		u64 bits;
		unsigned int len;
	} patterns[] = {
		{ 0x2, 2 }, { 0x6, 3 }, { 0xa, 4 }, { 0x1e, 5 }, { 0xaaaa, 16 },
		{ 0x5555, 16 }, { 0xfffe, 16 }, { 0x3c3c3c3c, 32 },
	};

	for (int pass = 0; pass < 2; pass++) {
		if (pass == 1)
			kasan_off();
		unsigned long base = pages_in_use();
		/* A sheaf holds more objects than a slab: a fault can hit mid-refill. */
		struct kmem_cache *s = kmem_cache_create("faulty", OBJ, NULL, 0);

		REQUIRE(s);
		struct slab_cache_info info = cinfo(s);

		REQUIRE(info.sheaf_capacity > info.objects_per_slab);
		enum { MAXP = 4000 };
		void **p = calloc(MAXP, sizeof(*p));
		unsigned int n = 0;
		unsigned long injected = 0;

		for (size_t k = 0; k < ARRAY_SIZE(patterns); k++) {
			fault_fail_pattern(FAULT_PAGE_ALLOC, patterns[k].bits, patterns[k].len);
			for (int i = 0; i < 60 && n < MAXP; i++) {
				set_cpu((int)((k + (size_t)i) % 4));
				void *o = kmem_cache_alloc(s, GFP_KERNEL);

				if (!o)
					continue;	/* allowed: an injected fault */
				CHECK(valid_object(s, o));
				fill(o, OBJ, n);
				p[n++] = o;
			}
			/* Free some so later refills mix partial slabs and new ones. */
			for (unsigned int i = 0; i < n; i += 3) {
				if (p[i]) {
					kmem_cache_free(s, p[i]);
					p[i] = NULL;
				}
			}
			injected += fault_injected(FAULT_PAGE_ALLOC);
			fault_reset();
			CHECK_EQ(validate_slab_cache(s), 0);
		}
		set_cpu(0);
		CHECK(injected > 0);
		unsigned int live = 0;

		for (unsigned int i = 0; i < n; i++) {
			if (!p[i])
				continue;
			CHECK(check_fill(p[i], OBJ, i));
			p[live++] = p[i];
		}
		CHECK(all_distinct(p, live));
		CHECK_EQ(ccount(s).allocated, live);
		for (unsigned int i = 0; i < live; i++)
			kmem_cache_free(s, p[i]);
		CHECK_EQ(ccount(s).allocated, 0);
		CHECK_EQ(validate_slab_cache(s), 0);
		kmem_cache_destroy(s);
		CHECK_EQ(pages_in_use(), base);
		free(p);
	}
}

/*
 * A sheaf refill that gets a few objects from the partial list and then cannot allocate a
 * new slab must give those objects back (7.0 fix "slab: fix memory leak when
 * refill_sheaf() fails"); the slow path then still finds one of them.
 */
TEST(fault_refill_partial_fill_is_flushed)
{
	kasan_off();
	unsigned long base = pages_in_use();
	struct kmem_cache *s = kmem_cache_create("faulty_partial", 128, NULL, 0);

	REQUIRE(s);
	struct slab_cache_info info = cinfo(s);
	unsigned int cap = info.sheaf_capacity, per = info.objects_per_slab;

	REQUIRE(cap > 3 && per > 0);
	/* cap * per objects fill whole refills and whole slabs: nothing free anywhere. */
	unsigned int n = cap * per;
	void **p = calloc(n, sizeof(*p));

	for (unsigned int i = 0; i < n; i++) {
		p[i] = kmem_cache_alloc(s, GFP_KERNEL);
		REQUIRE(p[i]);
	}
	/* Three holes, flushed back to their slabs. */
	void *holes[3] = { p[1], p[n / 2], p[n - 2] };

	for (int i = 0; i < 3; i++)
		kmem_cache_free(s, holes[i]);
	kmem_cache_shrink(s);
	info = cinfo(s);
	REQUIRE(info.total_objects - info.objects_in_use == 3);
	CHECK_EQ(ccount(s).in_pcs, 0);

	unsigned long slabs = info.nr_slabs;

	fault_fail_next(FAULT_PAGE_ALLOC, 1000000);
	void *o = kmem_cache_alloc(s, GFP_KERNEL);
	unsigned long injected = fault_injected(FAULT_PAGE_ALLOC);

	fault_reset();
	CHECK(injected > 0);
	CHECK_EQ(cinfo(s).nr_slabs, slabs);
	CHECK(o != NULL);
	CHECK(ptr_in(o, holes, 3));
	struct slab_object_counts c = ccount(s);

	CHECK_EQ(c.allocated, n - 3 + (o ? 1 : 0));
	CHECK_EQ(counts_sum(&c), cinfo(s).total_objects);
	CHECK_EQ(c.on_freelist + c.in_pcs, o ? 2 : 3);
	CHECK_EQ(validate_slab_cache(s), 0);

	if (o)
		kmem_cache_free(s, o);
	for (unsigned int i = 0; i < n; i++) {
		if (!ptr_in(p[i], holes, 3))
			kmem_cache_free(s, p[i]);
	}
	free(p);
	kmem_cache_destroy(s);
	CHECK_EQ(pages_in_use(), base);
}

/* Empty-sheaf allocation failing only costs the fast path, never an object. */
TEST(fault_sheaf_alloc)
{
	kasan_off();
	struct kmem_cache *s = kmem_cache_create("faulty_sheaf", 64, NULL, 0);

	REQUIRE(s);
	unsigned int cap = cinfo(s).sheaf_capacity;
	unsigned int n = 6 * cap;
	void **p = calloc(n, sizeof(*p));

	fault_fail_next(FAULT_SHEAF_ALLOC, 1000000);
	for (unsigned int i = 0; i < n; i++) {
		p[i] = kmem_cache_alloc(s, GFP_KERNEL);
		REQUIRE(valid_object(s, p[i]));
	}
	CHECK(all_distinct(p, n));
	for (unsigned int i = 0; i < n; i++)
		kmem_cache_free(s, p[i]);
	CHECK(fault_injected(FAULT_SHEAF_ALLOC) > 0);
	fault_reset();
	struct slab_object_counts c = ccount(s);

	CHECK_EQ(c.allocated, 0);
	/* Without new sheaves, at most main and spare of CPU 0 cache objects. */
	CHECK(c.in_pcs + c.in_barn <= 2 * cap);
	CHECK_EQ(validate_slab_cache(s), 0);
	free(p);
	kmem_cache_destroy(s);
}

/*
 * A free that finds main full and can get no other sheaf (no spare, none in the barn, and
 * sheaf allocation failing) flushes main to the slabs and caches the object there, as
 * __pcs_replace_full_main() does: it never falls back to the slow path.
 */
TEST(free_flushes_full_main_when_no_sheaf_is_free)
{
	kasan_off();
	struct kmem_cache *s = kmem_cache_create("flush_main", 64, NULL, 0);

	REQUIRE(s);
	unsigned int cap = cinfo(s).sheaf_capacity;
	unsigned int n = 3 * cap;
	void **p = calloc(n, sizeof(*p));

	REQUIRE(p);
	fault_fail_next(FAULT_SHEAF_ALLOC, 1000000);
	for (unsigned int i = 0; i < n; i++)
		REQUIRE((p[i] = kmem_cache_alloc(s, GFP_KERNEL)));
	CHECK_EQ(cinfo(s).barn_empty, 0);

	unsigned long slow = st(s, FREE_SLOWPATH), flushed = st(s, SHEAF_FLUSH);

	for (unsigned int i = 0; i < n; i++)
		kmem_cache_free(s, p[i]);
	CHECK(fault_injected(FAULT_SHEAF_ALLOC) > 0);
	fault_reset();
	CHECK_EQ(st(s, FREE_SLOWPATH), slow);
	CHECK(st(s, SHEAF_FLUSH) > flushed);
	CHECK(ccount(s).in_pcs > 0);
	free(p);
	kmem_cache_destroy(s);
}

/*
 * allocate_slab() falls back to the smallest order that holds one object when the
 * preferred order fails. For an object of exactly one page both are order 0: a failed
 * page is no reason to try a bigger slab.
 */
TEST(page_sized_object_has_no_order_fallback)
{
	kasan_off();
	/* an object whose stride, KASAN's metadata included, is exactly one page */
	struct kmem_cache *s = kmem_cache_create("probe", PAGE_SIZE, NULL, SLAB_NO_MERGE);

	REQUIRE(s);
	unsigned int meta = cinfo(s).size - PAGE_SIZE;

	kmem_cache_destroy(s);
	s = kmem_cache_create("page_sized", PAGE_SIZE - meta, NULL, SLAB_NO_MERGE);
	REQUIRE(s);
	struct slab_cache_info info = cinfo(s);

	REQUIRE(info.size == PAGE_SIZE);
	CHECK_EQ(info.order, 0);
	fault_fail_next(FAULT_PAGE_ALLOC, 1);
	void *p = kmem_cache_alloc(s, GFP_KERNEL);

	fault_reset();
	CHECK_EQ(st(s, ORDER_FALLBACK), 0);
	info = cinfo(s);
	CHECK_EQ(info.pages, info.nr_slabs);
	CHECK_EQ(info.total_objects, info.nr_slabs);
	if (p)
		kmem_cache_free(s, p);
	kmem_cache_destroy(s);
}

/* slub_cpu_dead flushes the dead CPU's main and spare back to the slabs. */
TEST(cpu_down_flushes_sheaves)
{
	kasan_off();
	struct kmem_cache *s = kmem_cache_create("hotplug", 64, NULL, 0);

	REQUIRE(s);
	unsigned int cap = cinfo(s).sheaf_capacity;
	unsigned int n = cap + cap / 2;
	void **p = calloc(n, sizeof(*p));

	set_cpu(1);
	for (unsigned int i = 0; i < n; i++) {
		p[i] = kmem_cache_alloc(s, GFP_KERNEL);
		REQUIRE(p[i]);
	}
	for (unsigned int i = 0; i < n; i++)
		kmem_cache_free(s, p[i]);
	set_cpu(0);
	struct slab_object_counts before = ccount(s);
	unsigned long flush0 = st(s, SHEAF_FLUSH);

	CHECK(before.in_pcs > 0);
	CHECK_EQ(before.in_barn, 0);
	CHECK_EQ(cpu_down(1), 0);
	CHECK(!cpu_online(1));
	struct slab_object_counts after = ccount(s);

	CHECK_EQ(after.in_pcs, 0);
	CHECK_EQ(after.allocated, 0);
	CHECK_EQ(after.in_barn, before.in_barn);
	CHECK_EQ(after.on_freelist, cinfo(s).total_objects - after.in_barn);
	CHECK_EQ(st(s, SHEAF_FLUSH) - flush0, before.in_pcs);
	CHECK_EQ(validate_slab_cache(s), 0);

	/* The remaining CPUs keep working, and the CPU comes back usable. */
	roundtrip(s, 200);
	CHECK_EQ(cpu_up(1), 0);
	set_cpu(1);
	void *o = kmem_cache_alloc(s, GFP_KERNEL);

	CHECK(valid_object(s, o));
	kmem_cache_free(s, o);
	set_cpu(0);
	free(p);
	kmem_cache_destroy(s);

	/* With KASAN, the dead CPU's quarantine queue is freed too. */
	test_config.kasan = true;
	test_reinit();
	s = kmem_cache_create("hotplug_kasan", 64, NULL, 0);
	REQUIRE(s);
	set_cpu(2);
	for (int i = 0; i < 10; i++)
		kmem_cache_free(s, kmem_cache_alloc(s, GFP_KERNEL));
	set_cpu(0);
	CHECK_EQ(ccount(s).quarantined, 10);
	CHECK_EQ(cpu_down(2), 0);
	CHECK_EQ(ccount(s).quarantined, 0);
	CHECK_EQ(kasan_quarantine_objects(NULL), 0);
	CHECK_EQ(cpu_down(0), 0);	/* the test task moves off CPU 0 */
	CHECK(smp_processor_id() != 0);
	CHECK_EQ(cpu_down(1), 0);
	CHECK_EQ(cpu_down(3), -EBUSY);	/* the last online CPU stays */
	roundtrip(s, 50);
	kmem_cache_destroy(s);
}

TEST(double_free_is_reported)
{
	/* KASAN on: the first free quarantines, the second is a double free. */
	struct kmem_cache *s = kmem_cache_create("dfree", 64, NULL, 0);

	REQUIRE(s);
	void *p = kmem_cache_alloc(s, GFP_KERNEL);

	REQUIRE(p);
	kmem_cache_free(s, p);
	kmem_cache_free(s, p);
	CHECK_EQ(test_reports_of(REPORT_DOUBLE_FREE), 1);
	CHECK_EQ(report_count(), 1);
	CHECK(report_get(0) && report_get(0)->function[0]);
	CHECK_EQ(ccount(s).quarantined, 1);
	kmem_cache_destroy(s);
	EXPECT_REPORTS(1);
}

TEST(double_free_in_sheaf_and_on_freelist)
{
	kasan_off();
	struct kmem_cache *s = kmem_cache_create("dfree_sheaf", 64, NULL, 0);

	REQUIRE(s);
	void *p = kmem_cache_alloc(s, GFP_KERNEL);
	void *q = kmem_cache_alloc(s, GFP_KERNEL);
	/* r stays live so that shrink keeps q's slab (and q a freed object of it). */
	void *r = kmem_cache_alloc(s, GFP_KERNEL);

	REQUIRE(p && q && r);
	REQUIRE(compound_head(virt_to_page(q)) == compound_head(virt_to_page(r)));
	/* p sits in the CPU's main sheaf. */
	kmem_cache_free(s, p);
	struct slab_object_counts c = ccount(s);

	kmem_cache_free(s, p);
	CHECK_EQ(test_reports_of(REPORT_DOUBLE_FREE), 1);
	/* The bad free changed nothing: p is in the sheaf once. */
	struct slab_object_counts c2 = ccount(s);

	CHECK_EQ(c2.in_pcs, c.in_pcs);
	CHECK_EQ(c2.allocated, 2);

	/* q goes back to its slab's freelist, then is freed again. */
	kmem_cache_free(s, q);
	kmem_cache_shrink(s);
	kmem_cache_free(s, q);
	CHECK_EQ(test_reports_of(REPORT_DOUBLE_FREE), 2);
	CHECK_EQ(ccount(s).allocated, 1);
	kmem_cache_free(s, r);
	/* The same through kfree(). */
	void *k = kmalloc(64, GFP_KERNEL);

	REQUIRE(k);
	kfree(k);
	kfree(k);
	CHECK_EQ(test_reports_of(REPORT_DOUBLE_FREE), 3);
	CHECK_EQ(validate_slab_cache(s), 0);
	kmem_cache_destroy(s);
	EXPECT_REPORTS(3);
}

TEST(invalid_free_is_reported)
{
	struct kmem_cache *a = kmem_cache_create("inval_a", 64, NULL, SLAB_NO_MERGE);
	struct kmem_cache *b = kmem_cache_create("inval_b", 64, NULL, SLAB_NO_MERGE);
	long on_stack = 0;
	void *heap = malloc(64);

	REQUIRE(a && b && a != b);
	char *p = kmem_cache_alloc(a, GFP_KERNEL);

	REQUIRE(p);
	kmem_cache_free(a, heap);		/* not a slab pointer */
	CHECK_EQ(test_reports_of(REPORT_INVALID_FREE), 1);
	kmem_cache_free(a, p + 8);		/* inside an object, not its start */
	CHECK_EQ(test_reports_of(REPORT_INVALID_FREE), 2);
	kfree(&on_stack);			/* kfree of a non-slab, non-kmalloc pointer */
	CHECK_EQ(test_reports_of(REPORT_INVALID_FREE), 3);
	CHECK_EQ(report_count(), 3);
	/* None of these freed anything: p is still live. */
	CHECK_EQ(ccount(a).allocated, 1);
	/* An object freed into another cache is reported, then freed into its own, as the
	 * kernel's cache_from_obj() does. */
	kmem_cache_free(b, p);
	CHECK_EQ(test_reports_of(REPORT_INVALID_FREE), 4);
	CHECK_EQ(report_count(), 4);
	CHECK_EQ(ccount(a).allocated, 0);
	CHECK_EQ(ccount(b).allocated, 0);
	free(heap);
	kmem_cache_destroy(a);
	kmem_cache_destroy(b);
	EXPECT_REPORTS(4);
}

static void merge_ctor(void *obj)
{
	memset(obj, 0, 40);
}

/* 7.0: caches with automatic sheaves merge; explicit capacity, ctor, etc. do not. */
TEST(cache_merging)
{
	struct kmem_cache *a = kmem_cache_create("merge_a", 40, NULL, 0);

	REQUIRE(a);
	/* 40 bytes wastes too much in kmalloc-64 to alias it. */
	CHECK(a != kmalloc_cache_for(40));
	CHECK_EQ(cinfo(a).refcount, 1);

	struct kmem_cache *b = kmem_cache_create("merge_b", 40, NULL, 0);

	CHECK(b == a);
	CHECK_EQ(cinfo(a).refcount, 2);
	CHECK(cinfo(a).sheaf_capacity > 0);

	struct kmem_cache *nm = kmem_cache_create("merge_nomerge", 40, NULL, SLAB_NO_MERGE);
	struct kmem_cache_args ctor_args = { .ctor = merge_ctor };
	struct kmem_cache *ct = kmem_cache_create("merge_ctor", 40, &ctor_args, 0);
	struct kmem_cache *rcu = kmem_cache_create("merge_rcu", 40, NULL, SLAB_TYPESAFE_BY_RCU);
	struct kmem_cache_args cap_args = { .sheaf_capacity = 16 };
	struct kmem_cache *cap1 = kmem_cache_create("merge_cap1", 40, &cap_args, 0);
	struct kmem_cache *cap2 = kmem_cache_create("merge_cap2", 40, &cap_args, 0);
	struct kmem_cache *rz = kmem_cache_create("merge_rz", 40, NULL, SLAB_RED_ZONE);
	struct kmem_cache *nm2 = kmem_cache_create("merge_c", 40, NULL, 0);
	struct kmem_cache *all[] = { nm, ct, rcu, cap1, cap2, rz };

	for (size_t i = 0; i < ARRAY_SIZE(all); i++) {
		REQUIRE(all[i]);
		CHECK(all[i] != a);
		CHECK_EQ(cinfo(all[i]).refcount, 1);
		for (size_t j = 0; j < i; j++)
			CHECK(all[i] != all[j]);
	}
	/* A later plain cache still merges with the first mergeable one. */
	CHECK(nm2 == a);
	CHECK_EQ(cinfo(a).refcount, 3);
	CHECK(cinfo(cap1).sheaf_capacity >= 16);
	CHECK(cinfo(ct).has_ctor);

	/* Destroying an alias only drops a reference; the cache keeps working. */
	void *o = kmem_cache_alloc(a, GFP_KERNEL);

	REQUIRE(o);
	kmem_cache_destroy(b);
	kmem_cache_destroy(nm2);
	CHECK_EQ(cinfo(a).refcount, 1);
	CHECK(virt_to_cache(o) == a);
	kmem_cache_free(a, o);
	o = kmem_cache_alloc(a, GFP_KERNEL);
	CHECK(valid_object(a, o));
	kmem_cache_free(a, o);
	kmem_cache_destroy(a);
	for (size_t i = 0; i < ARRAY_SIZE(all); i++)
		kmem_cache_destroy(all[i]);
	CHECK_EQ(report_count(), 0);
}

/* A cache with a usercopy region (usersize) is never merged: a later plain cache of the
 * same size does not become its alias, as slab_unmergeable() has it. */
TEST(usercopy_cache_takes_no_alias)
{
	struct kmem_cache_args user = { .useroffset = 8, .usersize = 16 };
	struct kmem_cache *u = kmem_cache_create("merge_user", 40, &user, 0);
	struct kmem_cache *plain = kmem_cache_create("merge_plain", 40, NULL, 0);

	REQUIRE(u && plain);
	CHECK(plain != u);
	CHECK_EQ(cinfo(u).refcount, 1);
	kmem_cache_destroy(plain);
	kmem_cache_destroy(u);
}

/* An alias may be a little larger than the cache's object when the free pointer lies
 * inside the object: the new bytes overlap nothing the allocator keeps in a free object,
 * and the alias widens the cache's object size. */
TEST(slightly_larger_alias_merges_past_inner_free_pointer)
{
	struct kmem_cache *a = kmem_cache_create("merge_36", 36, NULL, 0);

	REQUIRE(a);
	REQUIRE(cinfo(a).offset < 36);
	struct kmem_cache *b = kmem_cache_create("merge_40", 40, NULL, 0);

	CHECK(b == a);
	CHECK_EQ(cinfo(a).refcount, 2);
	CHECK_EQ(cinfo(a).object_size, 40);
	kmem_cache_destroy(b);
	kmem_cache_destroy(a);
}

/* Debug caches (and NOLEAKTRACE ones, B11) have no sheaves and never use them. */
TEST(debug_caches_bypass_sheaves)
{
	static const slab_flags_t flags[] = {
		SLAB_RED_ZONE, SLAB_POISON, SLAB_STORE_USER, SLAB_CONSISTENCY_CHECKS,
		SLAB_RED_ZONE | SLAB_POISON | SLAB_STORE_USER, SLAB_NOLEAKTRACE,
	};

	kasan_off();
	for (size_t k = 0; k < ARRAY_SIZE(flags); k++) {
		unsigned long base = pages_in_use();
		struct kmem_cache *s = kmem_cache_create("debug", 64, NULL, flags[k]);
		enum { N = 300 };
		void *p[N];

		REQUIRE(s);
		CHECK_EQ(cinfo(s).sheaf_capacity, 0);
		for (int i = 0; i < N; i++) {
			set_cpu(i % 4);
			p[i] = kmem_cache_alloc(s, GFP_KERNEL);
			REQUIRE(valid_object(s, p[i]));
			fill(p[i], 64, (unsigned int)i);
		}
		CHECK(all_distinct(p, N));
		for (int i = 0; i < N; i++) {
			CHECK(check_fill(p[i], 64, (unsigned int)i));
			set_cpu((i + 1) % 4);
			kmem_cache_free(s, p[i]);
		}
		set_cpu(0);
		CHECK_EQ(st(s, ALLOC_FASTPATH), 0);
		CHECK_EQ(st(s, FREE_FASTPATH), 0);
		CHECK_EQ(st(s, ALLOC_SLOWPATH), N);
		CHECK_EQ(st(s, FREE_SLOWPATH), N);
		void *b[10];

		CHECK_EQ(kmem_cache_alloc_bulk(s, GFP_KERNEL, 10, b), 10);
		CHECK(all_distinct(b, 10));
		kmem_cache_free_bulk(s, 10, b);
		CHECK_EQ(st(s, ALLOC_FASTPATH), 0);
		CHECK_EQ(st(s, FREE_FASTPATH), 0);
		struct slab_object_counts c = ccount(s);

		CHECK_EQ(c.in_pcs + c.in_barn, 0);
		CHECK_EQ(cinfo(s).barn_full + cinfo(s).barn_empty, 0);
		CHECK_EQ(validate_slab_cache(s), 0);
		kmem_cache_destroy(s);
		CHECK_EQ(pages_in_use(), base);
	}
}

/*
 * A CPU on a memoryless node (no kmem_cache_node, no barn there): allocations come from
 * a node with memory and the sheaf paths bail out to the slab paths (the B5 fix).
 */
TEST(memoryless_node_cpu)
{
	for (int pass = 0; pass < 2; pass++) {
		machine(4, 2, 0x2, pass == 0);
		CHECK(!node_state_memory(1));
		CHECK_EQ(cpu_to_node(1), 1);

		unsigned long base = pages_in_use();
		struct kmem_cache *s = kmem_cache_create("memless", 64, NULL, 0);

		REQUIRE(s);
		unsigned int n = 3 * cinfo(s).sheaf_capacity + 5;
		void **p = calloc(n, sizeof(*p));

		set_cpu(1);
		for (unsigned int i = 0; i < n; i++) {
			p[i] = kmem_cache_alloc(s, GFP_KERNEL);
			REQUIRE(valid_object(s, p[i]));
			CHECK_EQ(node_of(p[i]), 0);
		}
		CHECK(all_distinct(p, n));
		for (unsigned int i = 0; i < n; i++)
			kmem_cache_free(s, p[i]);
		/* 7.0 has no barn for this CPU's node: its sheaves stay unused. */
		CHECK_EQ(slab_stat_cpu(s, ALLOC_FASTPATH, 1), 0);
		CHECK_EQ(slab_stat_cpu(s, FREE_FASTPATH, 1), 0);

		CHECK_EQ(kmem_cache_alloc_bulk(s, GFP_KERNEL, n, p), n);
		kmem_cache_free_bulk(s, n, p);
		/* Objects of node 0 freed on CPU 3 (node 1) and CPU 0 (node 0). */
		roundtrip(s, 300);
		set_cpu(0);
		CHECK_EQ(ccount(s).allocated, 0);
		kmem_cache_destroy(s);
		CHECK_EQ(pages_in_use(), base);
		free(p);

		set_cpu(1);
		void *k = kmalloc(100, GFP_KERNEL);
		void *kn = kmalloc_node(100, GFP_KERNEL, 1);	/* node without memory */

		CHECK(k && kn);
		CHECK_EQ(node_of(k), 0);
		CHECK_EQ(node_of(kn), 0);
		kfree(k);
		kfree(kn);
		set_cpu(0);
	}
}

/* Stat identities over a seeded mixed workload of single-object operations. */
TEST(stats_identities)
{
	machine(4, 2, 0, false);

	struct kmem_cache *s = kmem_cache_create("stats", 80, NULL, 0);

	REQUIRE(s);
	long sheaves0 = (long)cinfo(s).sheaves_alive;
	long sheaf_net0 = (long)st(s, SHEAF_ALLOC) - (long)st(s, SHEAF_FREE);
	enum { MAXLIVE = 3000 };
	void **live = calloc(MAXLIVE, sizeof(*live));
	unsigned long nlive = 0, nallocs = 0, nfrees = 0;

	rng_seed(12345);
	for (int step = 0; step < 20000; step++) {
		u64 r = rng_next();

		set_cpu((int)(r % 4));
		bool do_alloc = nlive == 0 || (nlive < MAXLIVE && ((r >> 8) % 100) < 55);

		if (do_alloc) {
			void *o = ((r >> 20) % 7 == 0)
				? kmem_cache_alloc_node(s, GFP_KERNEL, (int)((r >> 24) % 2))
				: kmem_cache_alloc(s, GFP_KERNEL);

			REQUIRE(o);
			live[nlive++] = o;
			nallocs++;
		} else {
			unsigned long i = (unsigned long)((r >> 32) % nlive);

			kmem_cache_free(s, live[i]);
			live[i] = live[--nlive];
			nfrees++;
		}
		if (step % 5000 == 4999)
			kmem_cache_shrink(s);
	}
	set_cpu(0);

	struct slab_cache_info info = cinfo(s);
	struct slab_object_counts c = ccount(s);

	CHECK_EQ(st(s, ALLOC_FASTPATH) + st(s, ALLOC_SLOWPATH), nallocs);
	CHECK_EQ(st(s, FREE_FASTPATH) + st(s, FREE_SLOWPATH), nfrees);
	CHECK(st(s, ALLOC_FASTPATH) > 0 && st(s, FREE_FASTPATH) > 0);
	CHECK(st(s, FREE_SLOWPATH) > 0);	/* remote frees */
	CHECK_EQ(c.allocated, nlive);
	CHECK_EQ(counts_sum(&c), info.total_objects);
	CHECK_EQ(info.objects_in_use, info.total_objects - c.on_freelist);
	CHECK_EQ(st(s, ALLOC_SLAB) - st(s, FREE_SLAB), info.nr_slabs);
	CHECK_EQ((long)st(s, SHEAF_ALLOC) - (long)st(s, SHEAF_FREE) - sheaf_net0,
		 (long)info.sheaves_alive - sheaves0);
	CHECK_EQ(c.in_barn, (unsigned long)info.barn_full * info.sheaf_capacity);
	CHECK(info.barn_full <= 2 * MAX_FULL);	/* two nodes */
	CHECK_EQ(slab_pages_total(), pages_in_use());
	for (int item = 0; item < NR_SLUB_STAT_ITEMS; item++) {
		unsigned long sum = 0;

		for (int cpu = 0; cpu < 4; cpu++)
			sum += slab_stat_cpu(s, (enum stat_item)item, cpu);
		CHECK_EQ(sum, st(s, (enum stat_item)item));
		CHECK(slab_stat_name((enum stat_item)item) != NULL);
	}
	CHECK(!strcmp(slab_stat_name(ALLOC_FASTPATH), "alloc_fastpath"));
	CHECK(!strcmp(slab_stat_name(SHEAF_RETURN_SLOW), "sheaf_return_slow"));

	for (unsigned long i = 0; i < nlive; i++)
		kmem_cache_free(s, live[i]);
	CHECK_EQ(ccount(s).allocated, 0);
	free(live);
	kmem_cache_destroy(s);
}

/* lockdep-lite: an AB-BA pair, a missing lock, a spinning lock in NMI. */
TEST(lockdep_lite_catches_inversion)
{
#ifndef SLAB_LOCKDEP
	printf("  skipped: built without SLAB_LOCKDEP\n");
#else
	static spinlock_t lock_a, lock_b;

	spin_lock_init_named(&lock_a, "test_lock_a");
	spin_lock_init_named(&lock_b, "test_lock_b");

	spin_lock(&lock_a);
	spin_lock(&lock_b);
	spin_unlock(&lock_b);
	spin_unlock(&lock_a);
	CHECK_EQ(report_count(), 0);

	spin_lock(&lock_b);
	spin_lock(&lock_a);
	spin_unlock(&lock_a);
	spin_unlock(&lock_b);
	CHECK_EQ(test_reports_of(REPORT_LOCK_INVERSION), 1);
	REQUIRE(report_count() == 1);
	CHECK(strstr(report_get(0)->message, "test_lock_a") ||
	      strstr(report_get(0)->details, "test_lock_a"));

	/* Seen once, not again. */
	spin_lock(&lock_b);
	spin_lock(&lock_a);
	spin_unlock(&lock_a);
	spin_unlock(&lock_b);
	CHECK_EQ(test_reports_of(REPORT_LOCK_INVERSION), 1);

	lockdep_assert_held(&lock_a);
	CHECK_EQ(test_reports_of(REPORT_LOCK_NOT_HELD), 1);
	spin_lock(&lock_a);
	lockdep_assert_held(&lock_a);
	spin_unlock(&lock_a);
	CHECK_EQ(test_reports_of(REPORT_LOCK_NOT_HELD), 1);
	lockdep_assert_cpus_held();
	CHECK_EQ(test_reports_of(REPORT_LOCK_NOT_HELD), 2);
	cpus_read_lock();
	lockdep_assert_cpus_held();
	cpus_read_unlock();
	CHECK_EQ(test_reports_of(REPORT_LOCK_NOT_HELD), 2);

	irq_enter(true);
	CHECK(spin_trylock(&lock_a));	/* trylock is fine in NMI */
	spin_unlock(&lock_a);
	CHECK_EQ(test_reports_of(REPORT_BAD_CONTEXT), 0);
	spin_lock(&lock_a);
	spin_unlock(&lock_a);
	irq_exit();
	CHECK_EQ(test_reports_of(REPORT_BAD_CONTEXT), 1);
	EXPECT_REPORTS(4);
#endif
}

/*
 * A CPU that must refill its main sheaf and has no spare takes an empty sheaf from the
 * barn before it allocates a new one (barn_get_empty_sheaf() in
 * __pcs_replace_empty_main()): the barn's empties are there to be reused.
 */
TEST(refill_reuses_barn_empty_sheaf)
{
	kasan_off();
	struct kmem_cache *s = kmem_cache_create("barn_empty", 64, NULL, 0);

	REQUIRE(s);
	unsigned int cap = cinfo(s).sheaf_capacity;
	unsigned int n = 4 * cap;
	void **p = calloc(n, sizeof(*p));

	REQUIRE(p);
	/* CPU 1 keeps two full sheaves and leaves two in the barn. */
	set_cpu(1);
	for (unsigned int i = 0; i < n; i++)
		REQUIRE((p[i] = kmem_cache_alloc(s, GFP_KERNEL)));
	for (unsigned int i = 0; i < n; i++)
		kmem_cache_free(s, p[i]);
	set_cpu(0);
	CHECK_EQ(cinfo(s).barn_full, 2);
	CHECK_EQ(cinfo(s).barn_empty, 0);
	/* CPU 0 exchanges its empty main for them, one after the other. */
	for (unsigned int i = 0; i < 2 * cap; i++)
		REQUIRE((p[i] = kmem_cache_alloc(s, GFP_KERNEL)));
	CHECK_EQ(cinfo(s).barn_full, 0);
	CHECK_EQ(cinfo(s).barn_empty, 2);

	unsigned long sheaf_alloc = st(s, SHEAF_ALLOC), refill = st(s, SHEAF_REFILL);

	REQUIRE((p[2 * cap] = kmem_cache_alloc(s, GFP_KERNEL)));
	CHECK_EQ(cinfo(s).barn_empty, 1);
	CHECK_EQ(st(s, SHEAF_ALLOC), sheaf_alloc);
	CHECK(st(s, SHEAF_REFILL) > refill);
	for (unsigned int i = 0; i <= 2 * cap; i++)
		kmem_cache_free(s, p[i]);
	free(p);
	kmem_cache_destroy(s);
}
