// SPDX-License-Identifier: GPL-2.0
/*
 * The scheduling-point registry and the scheduler hooks (see sched.h).
 */
#include <pthread.h>
#include <string.h>
#include "sched_point.h"

#define MAX_SCHED_POINTS 256

static const struct sched_point_desc platform_points[NR_PLATFORM_SCHED_POINTS] = {
	[SP_LOCK] = { "SP_lock", "spin_lock/mutex_lock/local_lock", "before a blocking acquisition" },
	[SP_UNLOCK] = { "SP_unlock", "spin_unlock/mutex_unlock/local_unlock", "after the release" },
	[SP_CALL_RCU] = { "SP_call_rcu", "call_rcu", "before the callback is queued" },
	[SP_QUEUE_WORK] = { "SP_queue_work", "queue_work_on", "after the work is queued" },
	[SP_FLUSH_WORK] = { "SP_flush_work", "flush_work", "before waiting for the work" },
	[SP_HOTPLUG_STEP] = { "SP_hotplug_step", "cpuhp_invoke_callback", "between two hotplug states" },
};

static const struct sched_point_desc *points[MAX_SCHED_POINTS];
static int nr_points;
static pthread_mutex_t points_lock = PTHREAD_MUTEX_INITIALIZER;

const struct sched_ops *sched_ops_active;
static unsigned long wakeups;	/* atomic: stress threads release locks too */

static void register_platform_points(void)
{
	if (!nr_points)
		for (int i = 0; i < NR_PLATFORM_SCHED_POINTS; i++)
			points[nr_points++] = &platform_points[i];
}

int sched_points_register(const struct sched_point_desc *d, int n)
{
	int base = -1;

	pthread_mutex_lock(&points_lock);
	register_platform_points();
	for (int i = 0; i < nr_points; i++)
		if (points[i] == d)
			base = i;
	if (base < 0 && nr_points + n <= MAX_SCHED_POINTS) {
		base = nr_points;
		for (int i = 0; i < n; i++)
			points[nr_points++] = &d[i];
	}
	pthread_mutex_unlock(&points_lock);
	return base;
}

int sched_nr_points(void)
{
	int n;

	pthread_mutex_lock(&points_lock);
	register_platform_points();
	n = nr_points;
	pthread_mutex_unlock(&points_lock);
	return n;
}

const struct sched_point_desc *sched_point_desc(int id)
{
	return id >= 0 && id < sched_nr_points() ? points[id] : NULL;
}

int sched_point_lookup(const char *name)
{
	int n = sched_nr_points();

	for (int i = 0; i < n; i++)
		if (!strcmp(points[i]->name, name))
			return i;
	return -1;
}

void sched_set_ops(const struct sched_ops *ops)
{
	sched_ops_active = ops;
}

bool sched_active(void)
{
	return sched_ops_active != NULL;
}

bool sched_wait(const void *on, const char *what)
{
	if (!sched_ops_active)
		return false;
	sched_ops_active->wait(on, what);
	return true;
}

void sched_wake(void)
{
	__atomic_add_fetch(&wakeups, 1, __ATOMIC_RELAXED);
}

unsigned long sched_wakeups(void)
{
	return __atomic_load_n(&wakeups, __ATOMIC_RELAXED);
}
