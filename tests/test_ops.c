// SPDX-License-Identifier: GPL-2.0
/*
 * The operation language: binary and text round trips over many pseudo-random programs,
 * garbage input (random bytes decode to valid programs; random text gives clean errors),
 * and the parser's error positions.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "harness.h"
#include "ops.h"
#include "slab_rng.h"

/* The binary header's length (prog_binary.c: two bytes, misuse in bit 7 of byte 1). */
#define HDR_LEN		2
#define HDR_MISUSE	0x80

static uint64_t rng = 0x2545f4914f6cdd1dULL;

/* the shared generator (model/slab_rng.h) */
static uint64_t next_rand(void)
{
	return slab_rng_next(&rng);
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

/* Every kind of schedule decision prints as it was written: a minimised trace replays. */
TEST(decisions_print_as_written)
{
	static const char *const dec[] = {
		"@t0 SP_op:1 switch t1",
		"@t1 SP_unlock:2 migrate cpu0",
		"@t0 SP_lock:1 irq kfree_rcu o0",
		"@t0 SP_slab_free_before_cmpxchg:2 nmi kmalloc_nolock size=64 -> o5",
		"@t0 SP_op:2 cpu_down cpu1",
		"@t0 SP_op:3 gp",
		"@t1 SP_op:1 work cpu1",
	};
	char src[512], buf[512], err[200];

	for (size_t i = 0; i < sizeof(dec) / sizeof(dec[0]); i++) {
		snprintf(src, sizeof(src),
			 "machine cpus=2 sched=on\ncpu0 create size=64 -> c0\ncpu1 alloc c0 -> o0\n%s\n",
			 dec[i]);
		REQUIRE(program_parse(src, strlen(src), &p1, err, sizeof(err)) == 0);
		REQUIRE(p1.nr_dec == 1);
		decision_format(&p1.dec[0], buf, sizeof(buf));
		if (strcmp(buf, dec[i]))
			fprintf(stderr, "  printed `%s`, written `%s`\n", buf, dec[i]);
		CHECK(!strcmp(buf, dec[i]));
	}
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

/* ------------------------------------------------------------------ table-driven properties
 *
 * Every op kind of op_table[] (prefixes aside) is generated many times with random
 * arguments in random valid states, and its binary and text forms must give it back. A new
 * op entry is covered without writing a test for it; a kind the generator never produces
 * fails the test by name.
 */

#define GEN_MIN_PER_KIND 200

static int gen_count[NR_OP_KINDS];

static bool gen_kind(int k)
{
	return !(op_table[k].flags & OPF_PREFIX);
}

/* An op byte for kind k (with the escape for opcodes >= 31) and a random CPU choice. */
static size_t put_opcode(uint8_t *b, int k)
{
	unsigned int code = op_table[k].opcode, cpu = (unsigned int)next_rand() & 0xe0;

	if (code >= 31) {
		b[0] = (uint8_t)(31 | cpu);
		b[1] = (uint8_t)(code - 31);
		return 2;
	}
	b[0] = (uint8_t)(code | cpu);
	return 1;
}

/* Bytes that decode to an op of kind k when the state has candidates for it: sometimes
 * behind a prefix (irq/nmi), then the op byte and random argument bytes. */
static size_t gen_bytes(uint8_t *b, int k)
{
	size_t n = 0;

	if (next_rand() % 4 == 0)
		for (int pk = 0; pk < NR_OP_KINDS; pk++)
			if ((op_table[pk].flags & OPF_PREFIX) && next_rand() % 2) {
				n += put_opcode(b + n, pk);
				for (int i = 0; i < 2; i++)
					b[n++] = (uint8_t)next_rand();
			}
	n += put_opcode(b + n, k);
	for (int i = 0; i < 40; i++)
		b[n++] = (uint8_t)next_rand();
	return n;
}

static const char *fmt_op(const struct op *op)
{
	static char buf[4][512];
	static int i;

	i = (i + 1) % 4;
	op_format(op, buf[i], sizeof(buf[i]));
	return buf[i];
}

/* One op of kind k in state st; checks its own binary form in st on the way. */
static bool gen_op(struct pstate *st, int k, struct op *op)
{
	static uint8_t b[256], e[256];

	for (int tries = 0; tries < 3; tries++) {
		size_t n = gen_bytes(b, k);
		struct op back;
		char err[200];

		if (!op_decode_one(st, b, n, 1ull << k, op))
			continue;
		if (op->kind != k || prog_check(st, op, err, sizeof(err))) {
			fprintf(stderr, "  op_decode_one gave `%s` for %s: %s\n", fmt_op(op),
				op_table[k].name, err);
			test_failures++;
			return false;
		}
		/* op_encode in st, then decoding any op kind from those bytes followed by
		 * garbage: the same op (so the encoder writes exactly what the decoder reads) */
		long len = op_encode(st, op, e, sizeof(e) - 64);
		if (len <= 0) {
			fprintf(stderr, "  op_encode failed for `%s`\n", fmt_op(op));
			test_failures++;
			return false;
		}
		for (int i = 0; i < 64; i++)
			e[len + i] = (uint8_t)next_rand();
		if (!op_decode_one(st, e, (size_t)len + 64, ~0ull, &back) || !op_equal(op, &back)) {
			fprintf(stderr, "  %s: op_encode -> decode gave `%s` for `%s`\n",
				op_table[k].name, fmt_op(&back), fmt_op(op));
			test_failures++;
			return false;
		}
		gen_count[k]++;
		return true;
	}
	return false;
}

/* A random valid program of up to max_ops ops, each of a random kind (uniform over the
 * table), generated in the state the earlier ops left; st is that state at the end. */
static void gen_program(struct program *p, struct pstate *st, int max_ops)
{
	uint8_t hdr[HDR_LEN] = { (uint8_t)next_rand(), (uint8_t)next_rand() };
	int want = 1 + (int)(next_rand() % (unsigned int)max_ops);

	program_decode(hdr, sizeof(hdr), p);	/* a random machine, no ops */
	pstate_init(st, &p->m);
	for (int i = 0; i < want * 3 && p->nr_ops < want && !test_failures; i++) {
		int k = (int)(next_rand() % NR_OP_KINDS);
		struct op op;

		if (!gen_kind(k) || !gen_op(st, k, &op))
			continue;
		*program_append(p) = op;
		prog_apply(st, &op);
	}
}

/* Which op two programs first differ in (for the failure message). */
static void report_diff(const char *what, int iter, const struct program *a,
			const struct program *b)
{
	fprintf(stderr, "  iteration %d: %s\n", iter, what);
	if (a->nr_ops != b->nr_ops)
		fprintf(stderr, "    %d ops, got %d\n", a->nr_ops, b->nr_ops);
	for (int i = 0; i < a->nr_ops && i < b->nr_ops; i++)
		if (!op_equal(&a->ops[i], &b->ops[i])) {
			fprintf(stderr, "    op %d (%s): `%s`, got `%s`\n", i, op_name(a->ops[i].kind),
				fmt_op(&a->ops[i]), fmt_op(&b->ops[i]));
			break;
		}
	test_failures++;
}

static bool require_every_kind(void)
{
	bool ok = true;

	for (int k = 0; k < NR_OP_KINDS; k++)
		if (gen_kind(k) && gen_count[k] < GEN_MIN_PER_KIND) {
			fprintf(stderr, "  %s generated %d times (want >= %d)\n", op_table[k].name,
				gen_count[k], GEN_MIN_PER_KIND);
			ok = false;
		}
	return ok;
}

TEST(op_table_names_and_opcodes)
{
	for (int k = 0; k < NR_OP_KINDS; k++) {
		const struct op_desc *d = &op_table[k];

		REQUIRE(d->name && d->name[0]);
		CHECK(!strcmp(op_name(k), d->name));
		CHECK(d->opcode <= OP_MAX_OPCODE);
		CHECK(d->nargs <= OP_MAX_ARGS);
		CHECK_EQ(op_kind_of_opcode(d->opcode), k);
		CHECK(gen_kind(k) ? d->run != NULL : d->run == NULL);
		for (int j = 0; j < k; j++) {
			if (!strcmp(op_table[j].name, d->name)) {
				fprintf(stderr, "  %s named twice\n", d->name);
				test_failures++;
			}
			if (op_table[j].opcode == d->opcode) {
				fprintf(stderr, "  opcode %u used by %s and %s\n", d->opcode,
					op_table[j].name, d->name);
				test_failures++;
			}
		}
	}
	/* every other code is unused */
	int used = 0;
	for (unsigned int c = 0; c <= OP_MAX_OPCODE + 1; c++) {
		int k = op_kind_of_opcode(c);
		if (k >= 0) {
			used++;
			CHECK(k < NR_OP_KINDS && op_table[k].opcode == c);
		}
	}
	CHECK_EQ(used, NR_OP_KINDS);
	CHECK_EQ(op_kind_of_opcode(OP_MAX_OPCODE + 1), -1);
	CHECK_EQ(op_kind_of_opcode(~0u), -1);
}

/* Each generated op: op_encode -> decode (gen_op); whole programs: decode(encode(p)) == p
 * and encode(decode(encode(p))) gives the same bytes. */
TEST(op_table_binary_round_trip)
{
	static struct pstate st;
	static uint8_t enc2[sizeof(enc)];

	memset(gen_count, 0, sizeof(gen_count));
	for (int iter = 0; iter < 700 && !test_failures; iter++) {
		int bad;
		char err[200];

		gen_program(&p1, &st, 120);
		if (program_validate(&p1, &bad, err, sizeof(err))) {
			fprintf(stderr, "  iteration %d: generated op %d invalid: %s\n", iter, bad, err);
			test_failures++;
			return;
		}
		long n = program_encode(&p1, enc, sizeof(enc));
		REQUIRE(n >= HDR_LEN);
		program_decode(enc, (size_t)n, &p2);
		if (!program_equal(&p1, &p2)) {
			report_diff("decode(encode(p)) != p", iter, &p1, &p2);
			return;
		}
		long n2 = program_encode(&p2, enc2, sizeof(enc2));
		if (n2 != n || memcmp(enc, enc2, (size_t)n)) {
			fprintf(stderr, "  iteration %d: encode(decode(encode(p))) != encode(p)\n", iter);
			test_failures++;
			return;
		}
	}
	if (!test_failures)	/* a kind that never came: by name */
		REQUIRE(require_every_kind());
}

static long print_to(const struct program *p, char *buf, size_t cap)
{
	FILE *f = fmemopen(buf, cap, "w");
	long n;

	if (!f)
		return -1;
	program_print(p, f);
	n = ftell(f);
	fclose(f);
	return n;
}

/* op_format -> parse: the printed program (each op's op_format line after the printed
 * prefix) parses back to the same ops. */
TEST(op_table_text_round_trip)
{
	static struct pstate st;
	static char big[1 << 17];

	memset(gen_count, 0, sizeof(gen_count));
	for (int iter = 0; iter < 700 && !test_failures; iter++) {
		char err[200];

		gen_program(&p1, &st, 120);
		long tl = print_to(&p1, big, sizeof(big));
		REQUIRE(tl > 0 && tl < (long)sizeof(big) - 1);
		if (program_parse(big, (size_t)tl, &p3, err, sizeof(err))) {
			int line = atoi(err);
			fprintf(stderr, "  iteration %d: printed program does not parse: %s\n", iter, err);
			/* line 1 is the machine line */
			if (line >= 2 && line - 2 < p1.nr_ops)
				fprintf(stderr, "    the line of op %d (%s): `%s`\n", line - 2,
					op_name(p1.ops[line - 2].kind), fmt_op(&p1.ops[line - 2]));
			test_failures++;
			return;
		}
		if (!program_equal(&p1, &p3)) {
			report_diff("parse(print(p)) != p", iter, &p1, &p3);
			return;
		}
		CHECK_EQ(p3.m.misuse, program_has_misuse(&p1));
	}
	if (!test_failures)	/* a kind that never came: by name */
		REQUIRE(require_every_kind());
}

/* Give every handle bound by an op of p a new name: later bindings get smaller names, with
 * gaps, so no name is canonical; an alloc_bulk range stays contiguous. */
static void rename_handles(struct program *p)
{
	enum { SPACE = PROG_BIN_MAX_OPS * PROG_MAX_LIST + 1 };
	static uint32_t mo[SPACE], mc[SPACE], ms[SPACE];
	uint32_t base = 7 + (uint32_t)(next_rand() % 50) + (uint32_t)p->nr_ops * (PROG_MAX_LIST + 3);

	for (int i = 0; i < p->nr_ops; i++) {
		struct op *op = &p->ops[i];
		const struct op_desc *d = &op_table[op->kind];

		for (int a = 0; a < d->nargs; a++) {
			const struct arg_desc *x = &d->args[a];

			switch ((enum arg_type)x->type) {
			case ARG_CACHE:
				if (op->has_cache || !(x->flags & ARGF_OPTIONAL))
					op->cache = mc[op->cache];
				break;
			case ARG_OBJ:
				op->obj = mo[op->obj];
				break;
			case ARG_OBJ_LIST:
				for (int j = 0; j < op->nlist; j++)
					op->list[j] = mo[op->list[j]];
				break;
			case ARG_SHEAF:
				op->sheaf = ms[op->sheaf];
				break;
			default:
				break;
			}
		}
		base -= PROG_MAX_LIST + 1 + (uint32_t)(next_rand() % 3);
		switch ((enum op_result)d->result) {
		case RES_CACHE:
			mc[op->dst] = base;
			op->dst = base;
			break;
		case RES_SHEAF:
			ms[op->dst] = base;
			op->dst = base;
			break;
		case RES_OBJ:
		case RES_OBJS:
			for (int j = 0; j < (d->result == RES_OBJS ? op->n : 1); j++)
				mo[op->dst + (uint32_t)j] = base + (uint32_t)j;
			op->dst = base;
			break;
		case RES_NONE:
			break;
		}
	}
}

/* Canonical names: a generated (canonical) program is a fixed point; a renamed one is valid,
 * prints and parses with its names, and canonicalises (idempotently) back to the original,
 * also through the encoder. */
TEST(op_table_canonicalize_idempotent)
{
	static struct pstate st;
	static struct program q;
	static char big[1 << 17];

	memset(gen_count, 0, sizeof(gen_count));
	for (int iter = 0; iter < 700 && !test_failures; iter++) {
		int bad;
		char err[200];

		gen_program(&p1, &st, 120);
		program_copy(&q, &p1);
		program_canonicalize(&q);
		if (!program_equal(&p1, &q)) {
			report_diff("canonicalize changed a canonical program", iter, &p1, &q);
			return;
		}
		rename_handles(&q);
		if (program_validate(&q, &bad, err, sizeof(err))) {
			fprintf(stderr, "  iteration %d: renamed op %d `%s` invalid: %s\n", iter, bad,
				fmt_op(&q.ops[bad]), err);
			test_failures++;
			return;
		}
		long tl = print_to(&q, big, sizeof(big));
		REQUIRE(tl > 0 && tl < (long)sizeof(big) - 1);
		if (program_parse(big, (size_t)tl, &p3, err, sizeof(err))) {
			fprintf(stderr, "  iteration %d: renamed program does not parse: %s\n", iter, err);
			test_failures++;
			return;
		}
		if (!program_equal(&q, &p3)) {
			report_diff("parse(print(renamed)) != renamed", iter, &q, &p3);
			return;
		}
		long n = program_encode(&q, enc, sizeof(enc));
		REQUIRE(n >= HDR_LEN);
		program_decode(enc, (size_t)n, &p2);
		if (!program_equal(&p1, &p2)) {
			report_diff("decode(encode(renamed)) != p", iter, &p1, &p2);
			return;
		}
		program_canonicalize(&q);
		if (!program_equal(&p1, &q)) {
			report_diff("canonicalize(renamed) != p", iter, &p1, &q);
			return;
		}
		program_canonicalize(&q);
		if (!program_equal(&p1, &q)) {
			report_diff("canonicalize is not idempotent", iter, &p1, &q);
			return;
		}
	}
	if (!test_failures)	/* a kind that never came: by name */
		REQUIRE(require_every_kind());
}

/* Programs decoded from random bytes (every kind at the rate random bytes give it, with the
 * misuse bit either way): decode -> encode -> decode, print -> parse, canonicalize. */
TEST(random_programs_round_trip_every_way)
{
	static struct program q;
	static char big[1 << 17];

	for (int iter = 0; iter < 1500; iter++) {
		size_t len;
		char err[200];

		random_bytes(&len);
		program_decode(bytes, len, &p1);
		long n = program_encode(&p1, enc, sizeof(enc));
		REQUIRE(n >= HDR_LEN);
		program_decode(enc, (size_t)n, &p2);
		if (!program_equal(&p1, &p2)) {
			report_diff("decode(encode(p)) != p", iter, &p1, &p2);
			return;
		}
		long tl = print_to(&p2, big, sizeof(big));
		REQUIRE(tl > 0 && tl < (long)sizeof(big) - 1);
		if (program_parse(big, (size_t)tl, &p3, err, sizeof(err))) {
			fprintf(stderr, "  iteration %d: printed program does not parse: %s\n", iter, err);
			test_failures++;
			return;
		}
		if (!program_equal(&p2, &p3)) {
			report_diff("parse(print(p)) != p", iter, &p2, &p3);
			return;
		}
		program_copy(&q, &p3);
		program_canonicalize(&q);
		program_canonicalize(&q);
		if (!program_equal(&p1, &q)) {
			report_diff("canonicalize(canonicalize(p)) != p", iter, &p1, &q);
			return;
		}
	}
}
