// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_sched: the op-sequence fuzz target with interleavings inside ops. The input is a
 * program and a schedule (model/sched_exec.h): the program's tasks run as fibers, and at
 * every scheduling point the allocator reaches, a byte of the schedule decides whether the
 * task goes on or another task runs, the task migrates, an interrupt op arrives, a CPU
 * goes down or up, a grace period ends, RCU callbacks or queued work run. Same oracles as
 * fuzz_ops; a deadlock among the tasks is a report too. Replays bit-identically.
 *
 * Seeded bugs come from SLAB_BUGS=name[,name] (fuzz_target.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include "exec.h"
#include "ops.h"
#include "sched_exec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

long fuzz_encode_program(const struct program *p, uint8_t *buf, size_t cap);

/* A text program as fuzz_sched input: its binary form, and no schedule (written
 * decisions have no binary form: the program runs in program order). */
long fuzz_encode_program(const struct program *p, uint8_t *buf, size_t cap)
{
	long n = cap >= 2 ? program_encode(p, buf + 2, cap - 2) : -1;

	if (n < 0)
		return -1;
	/* the length is taken modulo what follows: give it no schedule bytes to spare */
	buf[0] = (uint8_t)n;
	buf[1] = (uint8_t)(n >> 8);
	return n + 2 < (long)cap ? n + 2 : -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct program p;
	static const struct exec_opts eopts = { .abort_mode = true };
	struct sched_source src;
	struct exec_result r;

	sched_input_decode(data, size, &p, &src);
	sched_set_source(&src);
	exec_program(&p, &eopts, &r);
	return 0;
}
