// SPDX-License-Identifier: GPL-2.0
/*
 * What every fuzz target shares: the seeded bugs from SLAB_BUGS=name[,name] (read once, at
 * initialisation) and ASan's options. Linked into each target by slab_fuzz_target().
 */
#include <stdio.h>
#include <stdlib.h>
#include "bugs.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
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
		fprintf(stderr, "%s: SLAB_BUGS: %s\n", argc && *argc ? (*argv)[0] : "fuzz", err);
		exit(2);
	}
	return 0;
}
