// SPDX-License-Identifier: GPL-2.0
/*
 * The operation language: binary and text round trips over many pseudo-random programs,
 * garbage input (random bytes decode to valid programs; random text gives clean errors),
 * and the parser's error positions.
 */
#include <stdio.h>
#include <string.h>
#include "harness.h"
#include "ops.h"

/* The binary header's length (prog_binary.c: two bytes, misuse in bit 7 of byte 1). */
#define HDR_LEN		2
#define HDR_MISUSE	0x80

static uint64_t rng = 0x2545f4914f6cdd1dULL;

static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static struct program p1, p2, p3;
static uint8_t bytes[4096], enc[65536];
static char text[1 << 16];

static void random_bytes(size_t *len)
{
	*len = next_rand() % 1200;
	for (size_t i = 0; i < *len; i++)
		bytes[i] = (uint8_t)next_rand();
}

TEST(binary_round_trip)
{
	int nonempty = 0;

	for (int iter = 0; iter < 3000; iter++) {
		size_t len;
		int bad;
		char err[160];

		random_bytes(&len);
		program_decode(bytes, len, &p1);
		REQUIRE(program_validate(&p1, &bad, err, sizeof(err)) == 0);
		nonempty += p1.nr_ops > 0;
		long n = program_encode(&p1, enc, sizeof(enc));
		REQUIRE(n >= HDR_LEN);
		program_decode(enc, (size_t)n, &p2);
		if (!program_equal(&p1, &p2)) {
			fprintf(stderr, "  iteration %d: decode(encode(p)) != p\n", iter);
			test_failures++;
			return;
		}
	}
	CHECK(nonempty > 2500);
}

TEST(text_round_trip)
{
	for (int iter = 0; iter < 2000; iter++) {
		size_t len;
		char err[200];

		random_bytes(&len);
		program_decode(bytes, len, &p1);
		FILE *f = fmemopen(text, sizeof(text), "w");
		REQUIRE(f);
		program_print(&p1, f);
		long tl = ftell(f);
		fclose(f);
		if (program_parse(text, (size_t)tl, &p3, err, sizeof(err))) {
			fprintf(stderr, "  iteration %d: printed program does not parse: %s\n", iter, err);
			test_failures++;
			return;
		}
		if (!program_equal(&p1, &p3)) {
			fprintf(stderr, "  iteration %d: parse(print(p)) != p\n", iter);
			test_failures++;
			return;
		}
	}
}

/* The header's misuse bit is the only way into misuse: with it clear no decoded program
 * frees or touches a freed object; with it set many do, and the encoder sets it exactly
 * for programs that need it. */
TEST(misuse_bit_decodes_only_into_misuse_programs)
{
	int with_misuse = 0;

	for (int iter = 0; iter < 3000; iter++) {
		size_t len;
		bool bit;

		random_bytes(&len);
		if (len < HDR_LEN)
			continue;
		bit = iter & 1;
		if (bit)
			bytes[1] |= HDR_MISUSE;
		else
			bytes[1] &= (uint8_t)~HDR_MISUSE;
		program_decode(bytes, len, &p1);
		CHECK_EQ(p1.m.misuse, bit);
		if (!bit && program_has_misuse(&p1)) {
			fprintf(stderr, "  iteration %d: misuse decoded with the bit clear\n", iter);
			test_failures++;
			return;
		}
		with_misuse += bit && program_has_misuse(&p1);
		long n = program_encode(&p1, enc, sizeof(enc));
		REQUIRE(n >= HDR_LEN);
		CHECK_EQ(!!(enc[1] & HDR_MISUSE), program_has_misuse(&p1));
	}
	CHECK(with_misuse > 300);
}

TEST(canonical_names)
{
	static const char src[] =
		"machine cpus=2\n"
		"cpu0 create size=64 -> c5\n"
		"cpu0 alloc c5 -> o40\n"
		"cpu1 alloc_bulk c5 -> o7..o9\n"
		"cpu0 free_bulk c5 o8 o40\n"
		"cpu0 prefill c5 n=3 -> s2\n";
	char err[200];
	long n;

	REQUIRE(program_parse(src, sizeof(src) - 1, &p1, err, sizeof(err)) == 0);
	n = program_encode(&p1, enc, sizeof(enc));
	REQUIRE(n > 0);
	program_decode(enc, (size_t)n, &p2);
	CHECK_EQ(p2.nr_ops, 5);
	CHECK_EQ(p2.ops[0].dst, 0);		/* c5 -> c0 */
	CHECK_EQ(p2.ops[1].dst, 0);		/* o40 -> o0 */
	CHECK_EQ(p2.ops[2].dst, 1);		/* o7..o9 -> o1..o3 */
	CHECK_EQ(p2.ops[3].list[0], 2);	/* o8 -> o2 */
	CHECK_EQ(p2.ops[3].list[1], 0);
	program_canonicalize(&p1);
	CHECK(program_equal(&p1, &p2));
}

/* The nolock ops' context is one byte of their own: flipping it is all an NMI needs. */
TEST(nolock_ops_carry_their_context)
{
	static const char src[] =
		"machine cpus=1 kasan=off\n"
		"cpu0 kmalloc_nolock size=4096 -> o0\n"
		"cpu0 nmi kfree_nolock o0\n";
	char err[200];
	long n;

	REQUIRE(program_parse(src, sizeof(src) - 1, &p1, err, sizeof(err)) == 0);
	n = program_encode(&p1, enc, sizeof(enc));
	/* header, kmalloc_nolock (op, size x2, node, ctx), kfree_nolock (op, object, ctx) */
	REQUIRE(n == HDR_LEN + 5 + 3);
	CHECK_EQ(enc[n - 1], CTX_NMI);
	for (int ctx = CTX_TASK; ctx <= CTX_NMI; ctx++) {
		enc[n - 1] = (uint8_t)ctx;
		program_decode(enc, (size_t)n, &p2);
		REQUIRE(p2.nr_ops == 2);
		CHECK_EQ(p2.ops[1].kind, OP_KFREE_NOLOCK);
		CHECK_EQ(p2.ops[1].ctx, ctx);
	}

	/* an irq prefix wins over the op's own byte */
	uint8_t pre[16];
	memcpy(pre, enc, HDR_LEN + 5);
	pre[HDR_LEN + 5] = (uint8_t)op_table[OP_IRQ].opcode;
	pre[HDR_LEN + 6] = 1;		/* NMI */
	memcpy(pre + HDR_LEN + 7, enc + HDR_LEN + 5, 3);
	pre[HDR_LEN + 9] = CTX_TASK;
	program_decode(pre, HDR_LEN + 10, &p2);
	REQUIRE(p2.nr_ops == 2);
	CHECK_EQ(p2.ops[1].ctx, CTX_NMI);
}

static void expect_error(const char *src, const char *want)
{
	char err[200];

	if (!program_parse(src, strlen(src), &p1, err, sizeof(err))) {
		fprintf(stderr, "  parsed, expected error %s\n", want);
		test_failures++;
	} else if (strncmp(err, want, strlen(want))) {
		fprintf(stderr, "  error `%s`, expected `%s...`\n", err, want);
		test_failures++;
	}
}

TEST(parse_errors_name_line_and_column)
{
	expect_error("cpu0 allocate c0 -> o0\n", "1:6: unknown op");
	expect_error("machine cpus=9\n", "1:14: cpus must be");
	expect_error("cpu0 create size=64 -> c0\ncpu0 alloc c1 -> o0\n", "2:6: c1 is not a live cache");
	expect_error("# c\ncpu0 create size=64 -> c0\ncpu0 alloc c0 -> o0\ncpu0 free o1\n",
		     "4:6: o1 is not a live");
	expect_error("cpu0 create size=64 flags=typesafe|ctor -> c0\n", "1:27: unknown flag");
	expect_error("cpu0 kmalloc size=64\n", "1:21: kmalloc needs a result");
	expect_error("cpu0 nmi kmalloc size=64 -> o0\n", "1:10: kmalloc is not allowed in nmi");
	expect_error("machine cpus=2\ncpu1 cpu_down cpu1\n", "2:6: cpu1 is not another online CPU");
	expect_error("cpu0 create size=64 -> c0\ncpu0 alloc c0 -> o0\ncpu0 alloc c0 -> o0\n",
		     "3:6: o0 is still bound");
	expect_error("machine nodes=2 memoryless=0,1\n", "1:1: at least one node");
	expect_error("cpu0 gp\nmachine cpus=2\n", "2:1: the machine line");
	expect_error("cpu0 create size=16 -> c0\ncpu0 alloc c0 -> o0\ncpu0 kfree_rcu o0\n",
		     "3:6: o0 is not a live object with room for an rcu_head");
}

TEST(random_text_never_crashes)
{
	static const char *const words[] = {
		"cpu0", "cpu1", "cpu9", "irq", "nmi", "create", "alloc", "free", "kfree_rcu",
		"destroy", "barrier", "->", "c0", "o0", "o1", "s0", "size=64", "size=", "n=3",
		"gfp=atomic", "flags=ctor", "machine", "cpus=2", "#", "all", "page", "next=2",
		"o0..o3", "alloc_bulk", "prefill", "pattern=0x5", "=", "..", "cpu", "\t", "\x7f",
	};
	int errors = 0;

	for (int iter = 0; iter < 20000; iter++) {
		size_t len = 0;
		int nw = 1 + (int)(next_rand() % 12);
		char err[200];

		for (int w = 0; w < nw && len < 400; w++) {
			const char *s = words[next_rand() % ARRAY_SIZE(words)];
			if (next_rand() % 8 == 0) {
				text[len++] = (char)(next_rand() % 256);
			} else {
				memcpy(text + len, s, strlen(s));
				len += strlen(s);
			}
			text[len++] = next_rand() % 5 ? ' ' : '\n';
		}
		if (program_parse(text, len, &p1, err, sizeof(err))) {
			int line, col;
			errors++;
			/* every error starts with line:col: */
			if (sscanf(err, "%d:%d:", &line, &col) != 2 || line < 1 || col < 1) {
				fprintf(stderr, "  malformed error `%s`\n", err);
				test_failures++;
				return;
			}
		}
	}
	CHECK(errors > 1000);
}
