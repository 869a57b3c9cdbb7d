/* SPDX-License-Identifier: GPL-2.0 */
/* Kernel-style basic types and helpers shared by the platform and the allocator. */
#ifndef PLATFORM_TYPES_H
#define PLATFORM_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;

#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)
#define READ_ONCE(x)	__atomic_load_n(&(x), __ATOMIC_RELAXED)
#define WRITE_ONCE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)
/* Racy reads the kernel marks with data_race(): relaxed atomics so TSan agrees. */
#define data_race(x)	READ_ONCE(x)

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define ALIGN(x, a)	(((x) + ((a) - 1)) & ~((__typeof__(x))(a) - 1))
#define IS_ALIGNED(x, a) (((x) & ((__typeof__(x))(a) - 1)) == 0)
#define min(a, b)	((a) < (b) ? (a) : (b))
#define max(a, b)	((a) > (b) ? (a) : (b))
#define clamp(v, lo, hi) min(max(v, lo), hi)
#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))
#define struct_size(p, member, n) (sizeof(*(p)) + sizeof((p)->member[0]) * (n))
#define BIT(n)		(1UL << (n))

#define ZERO_SIZE_PTR	((void *)16)
#define ZERO_OR_NULL_PTR(x) ((unsigned long)(x) <= (unsigned long)ZERO_SIZE_PTR)

/* gfp flags: only the bits the allocator looks at. */
typedef unsigned int gfp_t;
#define __GFP_DIRECT_RECLAIM	0x001u	/* may sleep: blocking allocation */
#define __GFP_KSWAPD_RECLAIM	0x002u
#define __GFP_ZERO		0x004u
#define __GFP_THISNODE		0x008u
#define __GFP_NOMEMALLOC	0x010u
#define __GFP_NOWARN		0x020u
#define __GFP_NORETRY		0x040u
#define __GFP_ACCOUNT		0x080u
#define __GFP_NOFAIL		0x100u
#define __GFP_NO_OBJ_EXT	0x200u
#define __GFP_HIGH		0x400u
#define __GFP_MEMALLOC		0x800u	/* may use the reserves below the min watermark */
#define GFP_KERNEL	(__GFP_DIRECT_RECLAIM | __GFP_KSWAPD_RECLAIM)
#define GFP_NOWAIT	(__GFP_KSWAPD_RECLAIM | __GFP_NOWARN)
#define GFP_ATOMIC	(__GFP_HIGH | __GFP_KSWAPD_RECLAIM)

static inline bool gfpflags_allow_blocking(gfp_t gfp)
{
	return gfp & __GFP_DIRECT_RECLAIM;
}

/* The kernel: allow_spin is false only for kmalloc_nolock(), which passes no reclaim bits. */
static inline bool gfpflags_allow_spinning(gfp_t gfp)
{
	return gfp & (__GFP_DIRECT_RECLAIM | __GFP_KSWAPD_RECLAIM);
}

/*
 * Kernel list_head, enough of it. 16-byte aligned so that list_entry() on a list's own
 * head (the loop-termination step of list_for_each_entry) never forms a misaligned
 * pointer to an entry type that needs 16 bytes (struct slab's double-word freelist).
 */
struct list_head {
	struct list_head *next, *prev;
} __attribute__((aligned(16)));
#define LIST_HEAD_INIT(name) { &(name), &(name) }
static inline void INIT_LIST_HEAD(struct list_head *l) { l->next = l; l->prev = l; }
static inline void __list_add(struct list_head *n, struct list_head *prev, struct list_head *next)
{
	next->prev = n; n->next = next; n->prev = prev; prev->next = n;
}
static inline void list_add(struct list_head *n, struct list_head *h) { __list_add(n, h, h->next); }
static inline void list_add_tail(struct list_head *n, struct list_head *h) { __list_add(n, h->prev, h); }
static inline void list_del(struct list_head *e)
{
	e->next->prev = e->prev; e->prev->next = e->next; e->next = e->prev = NULL;
}
static inline void list_del_init(struct list_head *e) { list_del(e); INIT_LIST_HEAD(e); }
static inline bool list_empty(const struct list_head *h) { return h->next == h; }
static inline void list_move(struct list_head *e, struct list_head *h) { list_del(e); list_add(e, h); }
static inline void list_splice_init(struct list_head *from, struct list_head *to)
{
	if (list_empty(from))
		return;
	struct list_head *first = from->next, *last = from->prev, *at = to->next;
	first->prev = to; to->next = first; last->next = at; at->prev = last;
	INIT_LIST_HEAD(from);
}
#define list_entry(ptr, type, member) container_of(ptr, type, member)
#define list_first_entry(h, type, member) list_entry((h)->next, type, member)
#define list_for_each_entry(pos, h, member) \
	for (pos = list_entry((h)->next, __typeof__(*pos), member); &pos->member != (h); \
	     pos = list_entry(pos->member.next, __typeof__(*pos), member))
#define list_for_each_entry_safe(pos, n, h, member) \
	for (pos = list_entry((h)->next, __typeof__(*pos), member), \
	     n = list_entry(pos->member.next, __typeof__(*pos), member); &pos->member != (h); \
	     pos = n, n = list_entry(n->member.next, __typeof__(*n), member))

#endif
