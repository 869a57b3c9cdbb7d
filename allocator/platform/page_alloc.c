// SPDX-License-Identifier: GPL-2.0
/*
 * The emulated page allocator.
 *
 * Each node with memory owns an arena: pages, a parallel struct page array and a free-link
 * array, all from one MAP_NORESERVE mapping made once and kept across platform_init()
 * calls (remapped only when a config asks for more pages than mapped). Pages are handed
 * out from per-order free lists, then from a bump pointer, then by splitting a larger free
 * block; freed blocks go back to their order's list without coalescing. Everything is
 * index-based and address-independent, so the same program gets the same pages.
 *
 * The bump pointer is the high-water mark: page_alloc_reset() clears only descriptors
 * below it, so a reset costs O(pages used), not O(arena).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "page_alloc.h"
#include "fault.h"
#include "locks.h"
#include "report.h"

#if defined(__SANITIZE_ADDRESS__)
#define PAGE_ALLOC_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PAGE_ALLOC_ASAN 1
#endif
#endif

#ifdef PAGE_ALLOC_ASAN
#include <sanitizer/asan_interface.h>
#define poison_pages(addr, size)	ASAN_POISON_MEMORY_REGION(addr, size)
#define unpoison_pages(addr, size)	ASAN_UNPOISON_MEMORY_REGION(addr, size)
#else
#define poison_pages(addr, size)	((void)(addr), (void)(size))
#define unpoison_pages(addr, size)	((void)(addr), (void)(size))
#endif

#define NO_PAGE		UINT32_MAX

struct arena {
	pthread_mutex_t lock;
	char *base;			/* page memory */
	struct page *pages;		/* descriptors */
	uint32_t *next_free;		/* free-list link of a free block's first page */
	unsigned long mapped;		/* pages mapped */
	unsigned long active;		/* pages usable under the current config */
	bool has_memory;		/* node has memory in the current config */
	unsigned long bump;		/* first never-allocated page: the high-water mark */
	uint32_t free_head[MAX_PAGE_ORDER + 1];
	unsigned long in_use;		/* atomic: pages allocated */
	unsigned long pressure;		/* atomic: pages other users hold */
	struct node_watermarks wm;
};

static struct arena arenas[MAX_NUMNODES];
static bool arenas_inited;

static size_t arena_bytes(unsigned long pages)
{
	return pages * (PAGE_SIZE + sizeof(struct page) + sizeof(uint32_t));
}

static void arena_unmap(struct arena *a)
{
	if (!a->base)
		return;
	unpoison_pages(a->base, a->mapped * PAGE_SIZE);
	munmap(a->base, arena_bytes(a->mapped));
	a->base = NULL;
	a->pages = NULL;
	a->next_free = NULL;
	a->mapped = 0;
}

static void arena_map(struct arena *a, unsigned long pages)
{
	char *mem = mmap(NULL, arena_bytes(pages), PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (mem == MAP_FAILED) {
		fprintf(stderr, "slabtorture: cannot map a %lu-page arena\n", pages);
		abort();
	}
	a->base = mem;
	/* Descriptors after the pages: PAGE_SIZE multiples keep them 16-byte aligned. */
	a->pages = (struct page *)(mem + pages * PAGE_SIZE);
	a->next_free = (uint32_t *)(a->pages + pages);
	a->mapped = pages;
	a->bump = 0;
	poison_pages(a->base, pages * PAGE_SIZE);
}

static void arena_rewind(struct arena *a)
{
	/* __free_pages() poisoned every freed block; only blocks a program left allocated
	 * need it here. Poisoning the whole high-water range instead cost a tenth of a
	 * fuzzing run. */
	for (unsigned long i = 0; i < a->bump;) {
		const struct page *p = &a->pages[i];
		unsigned long nr = 1;

		/* stepping block by block, an allocated page here is a block's head */
		if (p->flags & PG_allocated) {
			nr = 1UL << p->order;
			poison_pages(a->base + i * PAGE_SIZE, nr * PAGE_SIZE);
		}
		i += nr;
	}
	if (a->bump)
		memset(a->pages, 0, a->bump * sizeof(struct page));
	a->bump = 0;
	for (int o = 0; o <= MAX_PAGE_ORDER; o++)
		a->free_head[o] = NO_PAGE;
	__atomic_store_n(&a->in_use, 0UL, __ATOMIC_RELAXED);
	__atomic_store_n(&a->pressure, 0UL, __ATOMIC_RELAXED);
}

/* Allocations that failed because the arenas were full (not injected faults), those the
 * watermarks refused, those the asked node was too full for and another node served, and
 * the pages given from the reserves. */
static long exhausted, refused, fallbacks, reserve_pages;

/* __setup_per_zone_wmarks(): low and high are min plus a quarter of min (or a tenth of a
 * percent of the node, the default watermark_scale_factor), once and twice. */
static void set_watermarks(struct arena *a, unsigned long min_free)
{
	unsigned long step = max(min_free / 4, a->active / 1000);

	if (!min_free || !a->has_memory) {
		a->wm = (struct node_watermarks){ 0, 0, 0 };
		return;
	}
	a->wm.min = min_free;
	a->wm.low = min_free + step;
	a->wm.high = min_free + 2 * step;
}

void page_alloc_init(unsigned long pages_per_node, unsigned long min_free)
{
	__atomic_store_n(&exhausted, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&refused, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&fallbacks, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&reserve_pages, 0, __ATOMIC_RELAXED);
	if (!arenas_inited) {
		for (int n = 0; n < MAX_NUMNODES; n++)
			pthread_mutex_init(&arenas[n].lock, NULL);
		arenas_inited = true;
	}
	/* Free-list links are 32-bit page indices. */
	pages_per_node = clamp(pages_per_node, 1UL, (unsigned long)NO_PAGE - 1);
	for (int n = 0; n < MAX_NUMNODES; n++) {
		struct arena *a = &arenas[n];

		arena_rewind(a);
		a->has_memory = n < (int)nr_node_ids && node_state_memory(n);
		a->active = a->has_memory ? pages_per_node : 0;
		if (a->has_memory && a->mapped < pages_per_node) {
			arena_unmap(a);
			arena_map(a, pages_per_node);
		}
		set_watermarks(a, min_free);
	}
}

void page_alloc_reset(void)
{
	for (int n = 0; n < MAX_NUMNODES; n++) {
		pthread_mutex_lock(&arenas[n].lock);
		arena_rewind(&arenas[n]);
		pthread_mutex_unlock(&arenas[n].lock);
	}
}

static inline unsigned long page_index(const struct arena *a, const struct page *page)
{
	return (unsigned long)(page - a->pages);
}

static struct arena *page_arena(const struct page *page)
{
	uintptr_t p = (uintptr_t)page;

	for (int n = 0; n < MAX_NUMNODES; n++) {
		const struct arena *a = &arenas[n];
		uintptr_t first = (uintptr_t)a->pages;

		if (a->active && p >= first && p - first < a->active * sizeof(struct page) &&
		    (p - first) % sizeof(struct page) == 0)
			return &arenas[n];
	}
	return NULL;
}

/* Take a block of 2^order pages; the caller holds a->lock. Returns its first index. */
static uint32_t arena_take(struct arena *a, unsigned int order)
{
	unsigned long nr = 1UL << order;
	uint32_t idx;

	if (a->free_head[order] != NO_PAGE) {
		idx = a->free_head[order];
		a->free_head[order] = a->next_free[idx];
		return idx;
	}
	if (a->bump + nr <= a->active) {
		idx = (uint32_t)a->bump;
		a->bump += nr;
		return idx;
	}
	/* Arena full: split the smallest larger free block, returning the rest as blocks of
	 * decreasing order. */
	for (unsigned int o = order + 1; o <= MAX_PAGE_ORDER; o++) {
		if (a->free_head[o] == NO_PAGE)
			continue;
		idx = a->free_head[o];
		a->free_head[o] = a->next_free[idx];
		while (o > order) {
			uint32_t buddy;

			o--;
			buddy = idx + (uint32_t)(1UL << o);
			a->next_free[buddy] = a->free_head[o];
			a->free_head[o] = buddy;
		}
		return idx;
	}
	return NO_PAGE;
}

static unsigned long arena_free_pages(const struct arena *a)
{
	unsigned long used = __atomic_load_n(&a->in_use, __ATOMIC_RELAXED) +
			     __atomic_load_n(&a->pressure, __ATOMIC_RELAXED);

	return a->active > used ? a->active - used : 0;
}

/*
 * The watermark a request must leave free (__zone_watermark_ok()): min, less half of it
 * for __GFP_HIGH and a quarter of the rest again when the caller cannot block
 * (ALLOC_MIN_RESERVE, ALLOC_NON_BLOCK).
 */
static unsigned long request_watermark(const struct arena *a, gfp_t gfp)
{
	unsigned long min = a->wm.min;

	if (gfp & __GFP_HIGH) {
		min -= min / 2;
		if (!gfpflags_allow_blocking(gfp))
			min -= min / 4;
	}
	return min;
}

enum refusal { REFUSED_NONE, REFUSED_WATERMARK, REFUSED_FULL };

static struct page *arena_alloc(struct arena *a, int nid, gfp_t gfp, unsigned int order,
				bool reserves, enum refusal *why)
{
	unsigned long nr = 1UL << order, free;
	bool pfmemalloc = false;
	struct page *head;
	uint32_t idx;

	pthread_mutex_lock(&a->lock);
	free = arena_free_pages(a);
	if (free < nr + request_watermark(a, gfp)) {
		/* get_page_from_freelist() failed; the slow path retries with
		 * ALLOC_NO_WATERMARKS if the caller may, and marks what it gets */
		if (free < nr || !reserves) {
			pthread_mutex_unlock(&a->lock);
			*why = free < nr ? REFUSED_FULL : REFUSED_WATERMARK;
			return NULL;
		}
		pfmemalloc = true;
	}
	idx = arena_take(a, order);
	if (idx == NO_PAGE) {
		pthread_mutex_unlock(&a->lock);
		*why = REFUSED_FULL;
		return NULL;
	}
	head = &a->pages[idx];
	for (unsigned long i = 0; i < nr; i++) {
		struct page *p = head + i;

		memset(p, 0, sizeof(*p));
		p->head = head;
		p->node = nid;
		p->flags = PG_allocated;
	}
	head->flags |= PG_head | (pfmemalloc ? PG_pfmemalloc : 0);
	head->order = order;
	__atomic_add_fetch(&a->in_use, nr, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&a->lock);
	if (pfmemalloc)
		__atomic_add_fetch(&reserve_pages, nr, __ATOMIC_RELAXED);

	unpoison_pages(a->base + (unsigned long)idx * PAGE_SIZE, nr * PAGE_SIZE);
	if (gfp & __GFP_ZERO)
		memset(a->base + (unsigned long)idx * PAGE_SIZE, 0, nr * PAGE_SIZE);
	return head;
}

bool gfp_pfmemalloc_allowed(gfp_t gfp)
{
	if (gfp & __GFP_NOMEMALLOC)
		return false;
	if (gfp & __GFP_MEMALLOC)
		return true;
	return !in_interrupt() && (current->flags & PF_MEMALLOC);
}

struct page *alloc_pages_node(int nid, gfp_t gfp, unsigned int order)
{
	enum refusal why = REFUSED_NONE, worst = REFUSED_NONE;
	struct page *page;
	bool reserves;

	might_alloc(gfp, __func__);
	if (order > MAX_PAGE_ORDER) {
		WARN(!(gfp & __GFP_NOWARN), "page allocation of order %u > MAX_PAGE_ORDER %d",
		     order, MAX_PAGE_ORDER);
		return NULL;
	}
	if (should_fail(FAULT_PAGE_ALLOC))
		return NULL;
	if (nid == NUMA_NO_NODE)
		nid = numa_mem_id();
	if (WARN(nid < 0 || nid >= (int)nr_node_ids, "page allocation on bad node %d", nid))
		return NULL;
	if (!node_state_memory(nid)) {
		if (gfp & __GFP_THISNODE)
			return NULL;
		nid = next_memory_node(nid);
	}
	reserves = gfp_pfmemalloc_allowed(gfp);
	page = arena_alloc(&arenas[nid], nid, gfp, order, reserves, &why);
	if (page)
		return page;
	worst = why;
	/* The zonelist: the other nodes with memory, in next_memory_node() order. */
	for (int n = next_memory_node(nid); n != nid && !(gfp & __GFP_THISNODE);
	     n = next_memory_node(n)) {
		page = arena_alloc(&arenas[n], n, gfp, order, reserves, &why);
		if (page) {
			__atomic_add_fetch(&fallbacks, 1, __ATOMIC_RELAXED);
			return page;
		}
		if (why == REFUSED_WATERMARK)
			worst = why;
	}
	/* A node's watermark refused it: the reserves could have served the caller. */
	__atomic_add_fetch(worst == REFUSED_WATERMARK ? &refused : &exhausted, 1, __ATOMIC_RELAXED);
	return NULL;
}

unsigned long page_alloc_refused(void)
{
	return (unsigned long)__atomic_load_n(&refused, __ATOMIC_RELAXED);
}

unsigned long page_alloc_reserve_pages(void)
{
	return (unsigned long)__atomic_load_n(&reserve_pages, __ATOMIC_RELAXED);
}

void node_watermarks(int nid, struct node_watermarks *wm)
{
	if (nid < 0 || nid >= MAX_NUMNODES)
		*wm = (struct node_watermarks){ 0, 0, 0 };
	else
		*wm = arenas[nid].wm;
}

unsigned long node_pages_free(int nid)
{
	if (nid < 0 || nid >= MAX_NUMNODES)
		return 0;
	return arena_free_pages(&arenas[nid]);
}

unsigned long page_alloc_set_pressure(int nid, unsigned long pages)
{
	struct arena *a;
	unsigned long held;

	if (nid < 0 || nid >= MAX_NUMNODES)
		return 0;
	a = &arenas[nid];
	pthread_mutex_lock(&a->lock);
	held = __atomic_load_n(&a->pressure, __ATOMIC_RELAXED);
	pages = min(pages, held + arena_free_pages(a));
	__atomic_store_n(&a->pressure, pages, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&a->lock);
	return pages;
}

unsigned long page_alloc_pressure(int nid)
{
	if (nid < 0 || nid >= MAX_NUMNODES)
		return 0;
	return __atomic_load_n(&arenas[nid].pressure, __ATOMIC_RELAXED);
}

unsigned long page_alloc_exhausted(void)
{
	return (unsigned long)__atomic_load_n(&exhausted, __ATOMIC_RELAXED);
}

unsigned long page_alloc_fallbacks(void)
{
	return (unsigned long)__atomic_load_n(&fallbacks, __ATOMIC_RELAXED);
}

void __free_pages(struct page *page, unsigned int order)
{
	struct arena *a;
	unsigned long idx, nr = 1UL << order;

	if (!page)
		return;
	a = page_arena(page);
	if (WARN(!a, "Bad page state: %p is not a page descriptor", (void *)page))
		return;
	idx = page_index(a, page);
	pthread_mutex_lock(&a->lock);
	if (!(page->flags & PG_allocated) || !(page->flags & PG_head) || page->order != order) {
		unsigned long flags = page->flags;
		unsigned int porder = page->order;

		pthread_mutex_unlock(&a->lock);
		report_simple(REPORT_WARN, __func__,
			      "Bad page state: node %d page %lu flags %#lx order %u freed as order %u",
			      a->pages[idx].node, idx, flags, porder, order);
		return;
	}
	for (unsigned long i = 0; i < nr; i++) {
		struct page *p = page + i;

		p->flags = 0;
		p->head = p;
		p->order = 0;
	}
	/* Poison before the block is back on a free list: once it is there another thread
	 * may take and unpoison it, and a late poison would land on its new owner. */
	poison_pages(a->base + idx * PAGE_SIZE, nr * PAGE_SIZE);
	a->next_free[idx] = a->free_head[order];
	a->free_head[order] = (uint32_t)idx;
	__atomic_sub_fetch(&a->in_use, nr, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&a->lock);
}

void *page_address(const struct page *page)
{
	const struct arena *a = page ? page_arena(page) : NULL;

	if (!a)
		return NULL;
	return a->base + page_index(a, page) * PAGE_SIZE;
}

struct page *virt_to_page(const void *addr)
{
	uintptr_t p = (uintptr_t)addr;

	for (int n = 0; n < MAX_NUMNODES; n++) {
		struct arena *a = &arenas[n];
		uintptr_t base = (uintptr_t)a->base;

		if (a->active && p >= base && p - base < a->active * PAGE_SIZE)
			return &a->pages[(p - base) >> PAGE_SHIFT];
	}
	return NULL;
}

unsigned long node_pages_in_use(int nid)
{
	if (nid < 0 || nid >= MAX_NUMNODES)
		return 0;
	return __atomic_load_n(&arenas[nid].in_use, __ATOMIC_RELAXED);
}

unsigned long pages_in_use(void)
{
	unsigned long total = 0;

	for (int n = 0; n < MAX_NUMNODES; n++)
		total += node_pages_in_use(n);
	return total;
}

unsigned long node_pages_total(int nid)
{
	if (nid < 0 || nid >= MAX_NUMNODES)
		return 0;
	return arenas[nid].active;
}

unsigned long page_alloc_walk(void (*fn)(struct page *head, void *arg), void *arg)
{
	unsigned long n = 0;

	for (int nid = 0; nid < MAX_NUMNODES; nid++) {
		struct arena *a = &arenas[nid];

		if (!a->base || !a->has_memory)
			continue;
		for (unsigned long i = 0; i < a->bump; i++) {
			struct page *page = &a->pages[i];

			if ((page->flags & (PG_allocated | PG_head)) != (PG_allocated | PG_head))
				continue;
			fn(page, arg);
			n++;
			i += (1UL << page->order) - 1;
		}
	}
	return n;
}
