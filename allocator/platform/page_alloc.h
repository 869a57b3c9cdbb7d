/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The emulated page allocator: one arena of 4 KiB pages per node with memory, each page
 * with a descriptor (struct page) in a parallel array, so virt_to_page() works on any
 * pointer (NULL outside the arenas). Allocations of order 0..MAX_PAGE_ORDER come from
 * per-order free lists, falling back to a bump pointer; pages of a compound allocation
 * point at their head. Freed pages are not coalesced.
 *
 * The arenas are mmap'd once; platform_reset() rewinds them without munmap/mmap (fuzzers
 * run 10^4+ programs a second), clearing only descriptors that were used.
 *
 * The allocator overlays its struct slab on struct page (the `slab` area below), as the
 * kernel does; page_alloc.c never interprets that area.
 *
 * Memory pressure (mm/page_alloc.c, one zone per node): each node has a page budget (its
 * arena) and min/low/high watermarks. An allocation that would take the node's free pages
 * below its watermark (min; less for __GFP_HIGH) is refused unless the caller may use the
 * reserves (gfp_pfmemalloc_allowed()); a page given from the reserves is marked
 * PG_pfmemalloc. Other users' memory is page_alloc_set_pressure(): pages the node lends to
 * nobody we know. There is no reclaim: only frees raise the free level again. With min 0
 * (the default) there are no reserves and nothing is ever pfmemalloc.
 */
#ifndef PLATFORM_PAGE_ALLOC_H
#define PLATFORM_PAGE_ALLOC_H

#include "types.h"
#include "cpu.h"

#define PAGE_SHIFT	12
#define PAGE_SIZE	(1UL << PAGE_SHIFT)
#define MAX_PAGE_ORDER	4

#define PG_slab		0x1UL	/* page belongs to a slab (set by the allocator) */
#define PG_head		0x2UL	/* first page of an allocation */
#define PG_allocated	0x4UL	/* page is allocated (set by page_alloc.c) */
#define PG_pfmemalloc	0x8UL	/* given from the reserves below the min watermark */

/* words of struct page that the slab allocator overlays with its struct slab */
#define PAGE_OVERLAY_WORDS	16

struct page {
	unsigned long flags;
	struct page *head;		/* first page of the allocation (itself if head) */
	unsigned int order;		/* valid on the head page */
	int node;
	unsigned long slab[PAGE_OVERLAY_WORDS] __attribute__((aligned(16)));	/* struct slab overlay (slab.h) */
};

/* Allocate 2^order pages on node `nid` (NUMA_NO_NODE: numa_mem_id()). A node without
 * memory falls back to the next node with memory unless __GFP_THISNODE. Returns NULL when
 * the watermarks refuse it on every node tried, the arenas are exhausted or a fault is
 * injected (see fault.h). The memory is not zeroed. Reports BAD_CONTEXT if called in NMI
 * context with a gfp that allows spinning. */
struct page *alloc_pages_node(int nid, gfp_t gfp, unsigned int order);
void __free_pages(struct page *page, unsigned int order);

void *page_address(const struct page *page);
struct page *virt_to_page(const void *addr);	/* NULL if not in an arena */
static inline struct page *compound_head(struct page *page) { return page->head; }
static inline int page_to_nid(const struct page *page) { return page->node; }
static inline unsigned int compound_order(const struct page *page) { return page->head->order; }
static inline bool page_is_pfmemalloc(const struct page *page) { return page->head->flags & PG_pfmemalloc; }

/* Whether an allocation with `gfp`, in the current context, may use the reserves
 * (__gfp_pfmemalloc_flags(): __GFP_NOMEMALLOC forbids, __GFP_MEMALLOC allows, and so does
 * a PF_MEMALLOC task outside interrupts). */
bool gfp_pfmemalloc_allowed(gfp_t gfp);

struct node_watermarks {
	unsigned long min, low, high;
};
/* The watermarks of node `nid` (all 0 without reserves). */
void node_watermarks(int nid, struct node_watermarks *wm);
/* Pages of node `nid` neither allocated nor held by pressure. */
unsigned long node_pages_free(int nid);
/* Other users hold `pages` of node `nid` from now on (taken from its free pages or given
 * back to them; at most what is free). Returns the pages they hold. */
unsigned long page_alloc_set_pressure(int nid, unsigned long pages);
unsigned long page_alloc_pressure(int nid);
/* Allocations refused by the watermarks: the caller had no right to the reserves. */
unsigned long page_alloc_refused(void);
/* Pages given from the reserves (PG_pfmemalloc), since page_alloc_init(). */
unsigned long page_alloc_reserve_pages(void);

/* Pages currently allocated, per node and in total. */
unsigned long node_pages_in_use(int nid);
unsigned long pages_in_use(void);
/* Allocations that failed because every arena they may use was full (reserves too). */
unsigned long page_alloc_exhausted(void);
/* Allocations a node with memory could not serve, served by another node (the zonelist). */
unsigned long page_alloc_fallbacks(void);
/* Arena capacity in pages for each node with memory (platform_config.arena_pages): the
 * node's page budget. */
unsigned long node_pages_total(int nid);

/* Call fn on the head page of every allocation, node by node in address order
 * (introspection; callers must be quiesced). Returns the number of allocations. */
unsigned long page_alloc_walk(void (*fn)(struct page *head, void *arg), void *arg);

/* min_free: the min watermark in pages (0: no reserves); low and high follow from it as
 * in __setup_per_zone_wmarks(). */
void page_alloc_init(unsigned long pages_per_node, unsigned long min_free);
void page_alloc_reset(void);

#endif
