/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One RNG and one content-tag scheme for every driver: the model (its content rule),
 * slab-stress and the tests.
 *
 * RNG: splitmix64 derives a nonzero xorshift64 state per (seed, stream), so each thread
 * (or each engine) draws its own reproducible stream from one seed.
 *
 * Tags: a 64-bit tag per object; byte i of the object holds slab_tag_byte(tag, i). The
 * tagged ranges are the model's: up to SLAB_TAG_HEAD bytes from the start (after the
 * ctor word of a ctor cache) and the last SLAB_TAG_TAIL bytes. Writers that share the
 * memory with concurrent readers (SLAB_TYPESAFE_BY_RCU objects under RCU readers) pass
 * `atomic` and every aligned word is stored and loaded with one relaxed atomic access.
 */
#ifndef MODEL_SLAB_RNG_H
#define MODEL_SLAB_RNG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- RNG ---------------------------------------------------------------------------- */

static inline uint64_t slab_rng_seed(uint64_t seed, uint64_t stream)
{
	uint64_t z = seed + 0x9e3779b97f4a7c15ULL * (stream + 1);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	return z ? z : 1;
}

static inline uint64_t slab_rng_next(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

/* 0..n-1 (n > 0) */
static inline unsigned int slab_rng_below(uint64_t *s, unsigned int n)
{
	return (unsigned int)(slab_rng_next(s) % n);
}

static inline void slab_rng_bytes(uint64_t *s, uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len; i += 8) {
		uint64_t v = slab_rng_next(s);

		for (size_t k = 0; k < 8 && i + k < len; k++)
			buf[i + k] = (uint8_t)(v >> (8 * k));
	}
}

/* ---- content tags ------------------------------------------------------------------- */

#define SLAB_TAG_HEAD	64
#define SLAB_TAG_TAIL	8
/* Word 0 of every object of a ctor cache: what the constructor writes. */
#define SLAB_CTOR_MAGIC	0x5ab7a5e5c0ffee01ULL

static inline uint8_t slab_tag_byte(uint64_t tag, unsigned int i)
{
	return (uint8_t)((tag >> ((i & 7) * 8)) ^ (i * 0x3bu));
}

/* The word at byte offset off (a multiple of 8) as slab_tag_byte lays it out. */
static inline uint64_t slab_tag_word(uint64_t tag, unsigned int off)
{
	uint64_t w = 0;

	for (unsigned int k = 0; k < 8; k++)
		w |= (uint64_t)slab_tag_byte(tag, off + k) << (8 * k);
	return w;
}

struct slab_tag_ranges {
	unsigned int h0, h1, t0, end;	/* [h0, h1) and [t0, end) are tagged */
};

static inline struct slab_tag_ranges slab_tag_ranges(unsigned int size, bool ctor)
{
	struct slab_tag_ranges r;
	unsigned int start = ctor ? 8 : 0;

	r.h0 = start < size ? start : size;
	r.h1 = size < start + SLAB_TAG_HEAD ? size : start + SLAB_TAG_HEAD;
	if (r.h1 < r.h0)
		r.h1 = r.h0;
	r.t0 = size >= SLAB_TAG_TAIL && size - SLAB_TAG_TAIL > r.h1 ? size - SLAB_TAG_TAIL : r.h1;
	r.end = size;
	return r;
}

static inline void slab_tag_fill_range(uint8_t *p, unsigned int from, unsigned int to,
				       uint64_t tag, bool atomic)
{
	unsigned int i = from;

	for (; i < to && (i & 7); i++)
		atomic ? __atomic_store_n(&p[i], slab_tag_byte(tag, i), __ATOMIC_RELAXED) :
			 (void)(p[i] = slab_tag_byte(tag, i));
	for (; i + 8 <= to; i += 8) {
		uint64_t w = slab_tag_word(tag, i);

		if (atomic)
			__atomic_store_n((uint64_t *)(p + i), w, __ATOMIC_RELAXED);
		else
			__builtin_memcpy(p + i, &w, 8);
	}
	for (; i < to; i++)
		atomic ? __atomic_store_n(&p[i], slab_tag_byte(tag, i), __ATOMIC_RELAXED) :
			 (void)(p[i] = slab_tag_byte(tag, i));
}

/* First bad byte offset in [from, to), or -1. */
static inline int slab_tag_check_range(const uint8_t *p, unsigned int from, unsigned int to,
				       uint64_t tag, bool atomic)
{
	unsigned int i = from;

	for (; i < to && (i & 7); i++)
		if ((atomic ? __atomic_load_n(&p[i], __ATOMIC_RELAXED) : p[i]) != slab_tag_byte(tag, i))
			return (int)i;
	for (; i + 8 <= to; i += 8) {
		uint64_t w;

		if (atomic)
			w = __atomic_load_n((const uint64_t *)(p + i), __ATOMIC_RELAXED);
		else
			__builtin_memcpy(&w, p + i, 8);
		if (w != slab_tag_word(tag, i)) {
			for (unsigned int k = 0; k < 8; k++)
				if ((uint8_t)(w >> (8 * k)) != slab_tag_byte(tag, i + k))
					return (int)(i + k);
		}
	}
	for (; i < to; i++)
		if ((atomic ? __atomic_load_n(&p[i], __ATOMIC_RELAXED) : p[i]) != slab_tag_byte(tag, i))
			return (int)i;
	return -1;
}

static inline void slab_tag_write(void *obj, unsigned int size, bool ctor, uint64_t tag,
				  bool atomic)
{
	struct slab_tag_ranges r = slab_tag_ranges(size, ctor);

	slab_tag_fill_range(obj, r.h0, r.h1, tag, atomic);
	slab_tag_fill_range(obj, r.t0, r.end, tag, atomic);
}

/* -1 if the tag (and the ctor word) are intact, else the first bad byte offset. */
static inline int slab_tag_check(const void *obj, unsigned int size, bool ctor, uint64_t tag,
				 bool atomic)
{
	struct slab_tag_ranges r = slab_tag_ranges(size, ctor);
	int bad = slab_tag_check_range(obj, r.h0, r.h1, tag, atomic);

	if (bad < 0)
		bad = slab_tag_check_range(obj, r.t0, r.end, tag, atomic);
	if (bad < 0 && ctor && size >= 8 &&
	    (atomic ? __atomic_load_n((const uint64_t *)obj, __ATOMIC_RELAXED) :
		      *(const uint64_t *)obj) != SLAB_CTOR_MAGIC)
		bad = 0;
	return bad;
}

#endif
