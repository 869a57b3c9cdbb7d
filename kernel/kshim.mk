# SPDX-License-Identifier: GPL-2.0
# Build the kernel's tools/testing/radix-tree suites on slabtorture's reference allocator.
#
#   make -C <tree>/tools/testing/radix-tree -f <repo>/kernel/kshim.mk \
#        KT_DIR=<repo>/kernel KT_OBJ=<dir>/slabkt.o maple xarray idr-test main
#
# This file includes the kernel's own Makefile unchanged and changes two objects only:
#
#   linux.o  the kernel's tools/testing/shared/linux.c (the kmem_cache mock), compiled as
#            the kernel compiles it, every global it defines made weak, then linked
#            (ld -r) with the shim (slab_shim.c, strong definitions of the whole slab
#            interface) and with our allocator (KT_OBJ). The shim's definitions win; any
#            non-slab part of linux.c the shim does not define stays the kernel's.
#   slab.o   tools/lib/slab.c (kmalloc/kfree on malloc), weakened the same way: the
#            shim's kmalloc/kfree go to our kmalloc caches.
#
# KT_OBJ is libslab.a + libslabmodel.a + kernel/kt_bridge.c as one relocatable object in
# which every global except kt_* carries the prefix st_ (scripts/kernel-tests.sh makes
# it): our kernel names (kmalloc, kmem_cache_*, call_rcu, rcu_read_lock, current, ...)
# never meet the suites' own. Undefined references are not renamed: our liburcu RCU
# backend calls urcu_memb_* in the very liburcu the suites link (-lurcu), so the
# allocator's grace periods wait for the client's readers. liburcu forbids registering a
# thread twice, and both the suites and our backend register the threads they use: the
# link wraps urcu_memb_(un)register_thread (slab_shim.c) so each thread is registered once,
# with a count.

KT_DIR ?= $(error KT_DIR: the kernel/ directory of slabtorture)
KT_OBJ ?= $(error KT_OBJ: the prefixed allocator object)

include Makefile

# The prefilled-sheaf API exists in the kernel's mock from Linux 6.18 on.
KT_SHEAVES := $(shell grep -qs kmem_cache_prefill_sheaf ../../include/linux/slab.h && echo -DKT_HAVE_SHEAVES)
LDFLAGS += -Wl,--wrap=urcu_memb_register_thread -Wl,--wrap=urcu_memb_unregister_thread

slab_shim.o: $(KT_DIR)/slab_shim.c $(KT_DIR)/kt_bridge.h $(SHARED_DEPS)
	$(CC) -c $(CFLAGS) $(KT_SHEAVES) -I$(KT_DIR) $< -o $@

# Weaken every global a mock object defines: nm lists them, objcopy weakens them.
define kt_weaken
	nm -g --defined-only $(1) | awk 'NF == 3 { print $$3 }' > $(1).syms
	objcopy --weaken-symbols=$(1).syms $(1) $(2)
endef

linux.o: ../shared/linux.c slab_shim.o $(KT_OBJ) $(KT_DIR)/kshim.mk
	$(CC) -c $(CFLAGS) $< -o linux-mock.o
	$(call kt_weaken,linux-mock.o,linux-mock-weak.o)
	ld -r -o $@ linux-mock-weak.o slab_shim.o $(KT_OBJ)

slab.o: ../../lib/slab.c $(KT_DIR)/kshim.mk
	$(CC) -c $(CFLAGS) $< -o slab-mock.o
	$(call kt_weaken,slab-mock.o,$@)
