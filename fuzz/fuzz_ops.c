// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_ops: the deterministic op-sequence fuzz target. Any input decodes to a valid
 * program (model/ops.h), which runs on a freshly reset machine against the allocator
 * and the shadow model. The first unexpected report aborts after printing the op index
 * and the last 20 ops, so libFuzzer/AFL++ record the input as a crash.
 *
 * Seeded bugs come from SLAB_BUGS=name[,name] (fuzz_target.c).
 * With the header's misuse bit, inputs also free freed objects, free into other caches
 * and touch freed objects: the model expects the report each of those must give, so the
 * fuzzer tests that every misuse is caught, and only a missing or extra report crashes.
 */
#include <stdio.h>
#include <stdlib.h>
#include "exec.h"
#include "ops.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

long fuzz_encode_program(const struct program *p, uint8_t *buf, size_t cap);

long fuzz_encode_program(const struct program *p, uint8_t *buf, size_t cap)
{
	return program_encode(p, buf, cap);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct program p;
	static const struct exec_opts eopts = { .abort_mode = true };
	struct exec_result r;

	program_decode(data, size, &p);
	exec_program(&p, &eopts, &r);
	return 0;
}
