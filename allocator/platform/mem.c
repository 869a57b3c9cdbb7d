// SPDX-License-Identifier: GPL-2.0
/*
 * Tracked host-heap allocations for allocator metadata. Each block carries a header on a
 * doubly linked list so platform_mem_reset() can free what a leaked cache left behind.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mem.h"

struct mem_block {
	struct mem_block *next, *prev;
	size_t size;
} __attribute__((aligned(64)));	/* payload cache-line aligned: per-CPU structs ask for it */

static struct mem_block mem_head = { &mem_head, &mem_head, 0 };
static pthread_mutex_t mem_lock = PTHREAD_MUTEX_INITIALIZER;
static size_t mem_bytes;
static unsigned long mem_allocs;

void *platform_zalloc(size_t size)
{
	size_t bytes = (sizeof(struct mem_block) + size + 63) & ~(size_t)63;
	struct mem_block *b = aligned_alloc(64, bytes);

	if (b)
		memset(b, 0, bytes);
	if (!b) {
		fprintf(stderr, "slabtorture: host out of memory (%zu bytes)\n", size);
		abort();
	}
	b->size = size;
	pthread_mutex_lock(&mem_lock);
	b->next = mem_head.next;
	b->prev = &mem_head;
	mem_head.next->prev = b;
	mem_head.next = b;
	mem_bytes += size;
	mem_allocs++;
	pthread_mutex_unlock(&mem_lock);
	return b + 1;
}

void platform_free(void *p)
{
	struct mem_block *b;

	if (!p)
		return;
	b = (struct mem_block *)p - 1;
	pthread_mutex_lock(&mem_lock);
	b->prev->next = b->next;
	b->next->prev = b->prev;
	mem_bytes -= b->size;
	mem_allocs--;
	pthread_mutex_unlock(&mem_lock);
	free(b);
}

size_t platform_mem_in_use(void)
{
	size_t bytes;

	pthread_mutex_lock(&mem_lock);
	bytes = mem_bytes;
	pthread_mutex_unlock(&mem_lock);
	return bytes;
}

unsigned long platform_allocs_in_use(void)
{
	unsigned long n;

	pthread_mutex_lock(&mem_lock);
	n = mem_allocs;
	pthread_mutex_unlock(&mem_lock);
	return n;
}

void platform_mem_reset(void)
{
	struct mem_block *b, *next;

	pthread_mutex_lock(&mem_lock);
	b = mem_head.next;
	mem_head.next = mem_head.prev = &mem_head;
	mem_bytes = 0;
	mem_allocs = 0;
	pthread_mutex_unlock(&mem_lock);
	for (; b != &mem_head; b = next) {
		next = b->next;
		free(b);
	}
}
