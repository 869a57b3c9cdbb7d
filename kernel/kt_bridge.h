/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The narrow interface between the two halves of the kernel-test shim.
 *
 * slab_shim.c is compiled with the kernel's tools/ headers (its struct rcu_head, gfp_t,
 * list_head, ...); kt_bridge.c with ours (allocator/include, allocator/platform). The two
 * sets of headers cannot meet in one translation unit, so they talk only through these
 * plain-C functions: pointers, integers and our own gfp bits (KT_GFP_*, the values of
 * allocator/platform/types.h, checked by a _Static_assert in kt_bridge.c).
 *
 * Every kt_* symbol keeps its name when the allocator is linked for the shim; every other
 * global of kt_bridge.o, libslab.a and libslabmodel.a gets the prefix `st_` (see
 * kernel/kshim.mk and docs/kernel-tests.md).
 */
#ifndef KT_BRIDGE_H
#define KT_BRIDGE_H

#include <stddef.h>

#define KT_GFP_DIRECT_RECLAIM	0x001u
#define KT_GFP_KSWAPD_RECLAIM	0x002u
#define KT_GFP_ZERO		0x004u
#define KT_GFP_THISNODE		0x008u
#define KT_GFP_NOMEMALLOC	0x010u
#define KT_GFP_NOWARN		0x020u
#define KT_GFP_NORETRY		0x040u
#define KT_GFP_ACCOUNT		0x080u
#define KT_GFP_NOFAIL		0x100u
#define KT_GFP_HIGH		0x400u

struct kt_cache;	/* our struct kmem_cache, opaque to the client half */

/* Creates the emulated machine on first use (idempotent, thread-safe). */
void kt_init(void);
struct kt_cache *kt_cache_create(const char *name, unsigned int size, unsigned int align,
				 int hwcache_align, void (*ctor)(void *));
void *kt_alloc(struct kt_cache *s, unsigned int gfp);
void kt_free(struct kt_cache *s, void *p);
int kt_alloc_bulk(struct kt_cache *s, unsigned int gfp, size_t n, void **p);
void kt_free_bulk(struct kt_cache *s, size_t n, void **p);
void kt_shrink(struct kt_cache *s);
void kt_destroy(struct kt_cache *s);
unsigned int kt_object_size(struct kt_cache *s);
void *kt_kmalloc(size_t size, unsigned int gfp);
void kt_kfree(const void *p);
/* kfree_rcu(): `head` is the rcu_head inside the object `ptr`. */
void kt_kfree_rcu(void *head, void *ptr);
void kt_kvfree_rcu_barrier(void);
/* Prefilled sheaves (the maple tree of 6.18+). */
void *kt_prefill_sheaf(struct kt_cache *s, unsigned int gfp, unsigned int n);
int kt_refill_sheaf(struct kt_cache *s, unsigned int gfp, void **sheafp, unsigned int n);
void *kt_alloc_from_sheaf(struct kt_cache *s, unsigned int gfp, void *sheaf);
void kt_return_sheaf(struct kt_cache *s, unsigned int gfp, void *sheaf);
unsigned int kt_sheaf_size(void *sheaf);

/* Objects of `s` the allocator says its users own (a walk of every slab, sheaf and
 * quarantine: the introspection API's slab_count_objects()), or -1 when the allocator
 * cannot be walked now (another client thread is inside it). */
long kt_allocated(struct kt_cache *s);
/* The shim's own count of live objects of `s`, for the cross-check in kt_allocated(). */
void kt_count(struct kt_cache *s, long delta);

/* A failed non-blocking allocation the mock semantics of kmem_cache_set_non_kernel()
 * impose: counted at the shim's fault site "non_kernel" (slabtorture's fault statistics). */
void kt_non_kernel_fail(void);
/* Report a finding of the shim itself (kind KT_<what>) through our reporter. */
void kt_report(const char *what, const char *func, const char *msg);

#endif
