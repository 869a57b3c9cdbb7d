// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_ops: the deterministic op-sequence fuzz target. Any input decodes to a valid
 * program (model/ops.h), which runs on a freshly reset machine against the allocator
 * and the shadow model. The first unexpected report aborts after printing the op index
 * and the last 20 ops, so libFuzzer/AFL++ record the input as a crash.
 *
 * Seeded bugs come from SLAB_BUGS=name[,name] (read once, at initialisation).
 * With the header's misuse bit, inputs also free freed objects, free into other caches
 * and touch freed objects: the model expects the report each of those must give, so the
 * fuzzer tests that every misuse is caught, and only a missing or extra report crashes.
 */
#include <stdio.h>
#include <stdlib.h>
#include "bugs.h"
#include "exec.h"
#include "ops.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

const char *__asan_default_options(void);

/*
 * ASan's quarantine guards only the host heap here: allocator metadata (caches, sheaves,
 * barns). Slab objects live in the emulated page arena behind the emulated KASAN
 * quarantine. At the default 256 MB every metadata allocation touches fresh memory and
 * page faults cost a quarter of each execution; 16 MB still spans many programs.
 * ASAN_OPTIONS in the environment overrides this.
 */
const char *__asan_default_options(void)
{
	return "quarantine_size_mb=16";
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[512];

	if (slab_bugs_from_env(err, sizeof(err))) {
		fprintf(stderr, "fuzz_ops: SLAB_BUGS: %s\n", err);
		exit(2);
	}
	return 0;
}

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
