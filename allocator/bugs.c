// SPDX-License-Identifier: GPL-2.0
/* Seeded-bug switches: names, descriptions and run-time selection (see bugs.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bugs.h"

#ifdef SLAB_SEEDED_BUGS
unsigned long slab_bugs_enabled;
#else
static unsigned long slab_bugs_enabled;
#endif

static const char *const bug_names[] = {
#define X(name, desc) #name,
	SLAB_BUG_LIST(X)
#undef X
};

static const char *const bug_descriptions[] = {
#define X(name, desc) desc,
	SLAB_BUG_LIST(X)
#undef X
};

const char *slab_bug_name(enum slab_bug bug)
{
	return bug < NR_SLAB_BUGS ? bug_names[bug] : NULL;
}

const char *slab_bug_description(enum slab_bug bug)
{
	return bug < NR_SLAB_BUGS ? bug_descriptions[bug] : NULL;
}

bool slab_bugs_compiled_in(void)
{
#ifdef SLAB_SEEDED_BUGS
	return true;
#else
	return false;
#endif
}

int slab_bug_enable(const char *name)
{
	for (int i = 0; i < NR_SLAB_BUGS; i++) {
		if (!strcmp(name, bug_names[i])) {
			if (!slab_bugs_compiled_in())
				return -1;
			slab_bugs_enabled |= 1UL << i;
			return 0;
		}
	}
	return -1;
}

int slab_bugs_parse(const char *list, char *err, unsigned long err_len)
{
	char buf[256], *tok, *save = NULL;

	snprintf(buf, sizeof(buf), "%s", list);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int len;

		if (!*tok)
			continue;
		if (!slab_bugs_compiled_in()) {
			snprintf(err, err_len, "seeded bug '%s' requested, but this build has no seeded bugs (configure with -DSLAB_SEEDED_BUGS=ON, e.g. the default, asan, tsan or fuzz-seeded preset)", tok);
			return -1;
		}
		if (slab_bug_enable(tok) == 0)
			continue;
		len = snprintf(err, err_len, "unknown seeded bug '%s'; known:", tok);
		for (int i = 0; i < NR_SLAB_BUGS && len > 0 && (unsigned long)len < err_len; i++)
			len += snprintf(err + len, err_len - (unsigned long)len, " %s", bug_names[i]);
		return -1;
	}
	return 0;
}

int slab_bugs_from_env(char *err, unsigned long err_len)
{
	const char *env = getenv("SLAB_BUGS");

	if (!env || !*env)
		return 0;
	return slab_bugs_parse(env, err, err_len);
}

void slab_bugs_clear(void)
{
	slab_bugs_enabled = 0;
}

unsigned long slab_bugs_mask(void)
{
	return slab_bugs_enabled;
}

void slab_bugs_set_mask(unsigned long mask)
{
	slab_bugs_enabled = slab_bugs_compiled_in() ? mask : 0;
}
