/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where the fiber scheduler's decisions come from (sched_exec.c): the program's written
 * decisions (a trace), the fuzzer's bytes (one byte per scheduling point), or PCT
 * (random task priorities and depth-1 priority change points, each of which may also
 * migrate the task, raise an interrupt op, start hotplug, end a grace period or run
 * callbacks or work: races within one CPU need those, not only a switch). Decisions taken from bytes
 * or PCT can be recorded into a program, which then replays the same schedule as text.
 */
#ifndef MODEL_SCHED_EXEC_H
#define MODEL_SCHED_EXEC_H

#include "ops.h"

#define PCT_MAX_DEPTH 16

enum sched_source_kind { SCHED_WRITTEN, SCHED_BYTES, SCHED_PCT };

struct sched_source {
	enum sched_source_kind kind;
	const uint8_t *bytes;		/* SCHED_BYTES */
	size_t len, pos;
	int depth;			/* SCHED_PCT: D */
	unsigned long change[PCT_MAX_DEPTH];	/* steps at which the running task's priority drops */
	/* and what else happens there: an action other than ACT_SWITCH (a migration, an
	 * interrupt op, hotplug, a grace period, callbacks, work) or NR_SCHED_ACTIONS for
	 * none; its two argument bytes as a fuzzer's schedule would give them */
	uint8_t event[PCT_MAX_DEPTH];
	uint8_t event_arg[PCT_MAX_DEPTH][2];
	/* initial priorities, distinct, >= depth: the program tasks t0..t7, then the kworkers
	 * of cpu0..cpu7 and the unbound one (they run in parallel too) */
	int prio[2 * PROG_MAX_CPUS + 1];
};

void sched_set_source(const struct sched_source *src);
/* Append every decision taken to rec's decisions (NULL: record nothing). */
void sched_set_record(struct program *rec);
/* Scheduling points program tasks reached in the last run (PCT's k). */
unsigned long sched_steps(void);
/* For each registered scheduling point (ids 0..n-1): how often the last run's tasks
 * reached it. */
void sched_points_reached(uint32_t *count, int n);
/* The report kind of a deadlock among the scheduler's tasks. */
int sched_deadlock_kind(void);

#endif

/*
 * fuzz_sched's input: two bytes (little-endian) give the length L of the program part
 * (taken modulo what follows), the next L bytes are a program in the binary form, and
 * the rest are the schedule: one decision byte per scheduling point (sched_exec.c).
 */
void sched_input_decode(const uint8_t *data, size_t size, struct program *p,
			struct sched_source *src);
/* A schedule byte below this lets the task go on; byte b at or above it takes action
 * (b - SCHED_BYTE_ACTION) % NR_SCHED_ACTIONS, its argument from the next byte. */
#define SCHED_BYTE_ACTION	208
