# SPDX-License-Identifier: GPL-2.0
#
# mbox: build, test and lint. See README.md.
#
#   make                  module, libmbox, selftests, tools
#   make demo             boot the VM with the module and show it working
#   make check            the whole selftest suite in the VM (KERNEL=6.1|6.12)
#   make check-kselftest  the suite as a kselftest target in linux-source-6.1
#                         and 6.12 trees, built, installed and run the kernel's
#                         way (run_kselftest.sh) in the VM
#   make check-asan       libmbox, mboxctl, ipcbench, examples and the tests
#                         built with -fsanitize=address,undefined, run in the VM
#   make lint             checkpatch --strict, sparse (C=2), W=1 on both kernels
#   make icount-profile   one benchmark cell's instructions, function by
#                         function (BENCH_ARGS="-p pp-same -s 64 -m mbox-mailbox")
#   make checkpatch       checkpatch --strict alone
#   make install          module, libmbox (+ mbox.pc), headers, mboxctl, man
#                         pages; honours DESTDIR and PREFIX (docs/install.md)
#   make uninstall        removes them again (same DESTDIR, PREFIX, KERNEL)
#   make check-install    install into a scratch DESTDIR, pkg-config, man lint,
#                         dkms build against Debian's headers package
#   make check-posix-mq   libmbox-mq against outside suites: the kernel's
#                         selftests/mqueue and glibc's rt/tst-mqueue*, each
#                         run on the kernel's mqueue and through
#                         LD_PRELOAD=libmbox-mq.so, on 6.1 and 6.12
#   make check-bridge     the mailbox bridge over RabbitMQ: a broker on the
#                         host's loopback, two VMs (docs/bridge.md)
#   make demo-bridge      two VMs exchanging messages through the broker
#   make deps             install what is missing (done by demo/check/lint)
#
# A plain "make" never installs anything: when the kselftest harness or a
# cached Debian kernel is missing, it says so and points at "make deps".
#
# The module is built against $(KDIR) in place when KDIR is given (or when the
# running kernel has its headers installed and KERNEL is not given): that is
# the "build on a test machine and insmod module/mbox.ko" case. Otherwise it is
# built under build/k-$(KERNEL)/ against the Debian kernel that
# scripts/kernel.sh keeps in $(MBOX_CACHE); the VM targets always use those.

KERNEL ?= 6.1
KERNELS := 6.1 6.12
O := $(CURDIR)/build
MBOX_CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/mbox
export MBOX_CACHE

RUNNING_KDIR := /lib/modules/$(shell uname -r)/build
ifeq ($(origin KDIR),undefined)
ifeq ($(origin KERNEL),file)
ifneq ($(wildcard $(RUNNING_KDIR)/Makefile),)
KDIR := $(RUNNING_KDIR)
endif
endif
endif

# gcc unless CC is given (environment or command line); make's built-in
# default "cc" does not count as given.
ifeq ($(origin CC),default)
CC := gcc
endif
WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wpointer-arith -Wformat=2 -Wundef
# SANITIZE=1 (make check-asan builds that way, into build/asan): every user
# program and libmbox with AddressSanitizer and UBSan, any finding fatal.
ifneq ($(SANITIZE),)
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
endif
USER_CFLAGS := -std=c11 -D_GNU_SOURCE -O2 -g $(WARN) -Iuapi -Ilib $(SAN_FLAGS)
HARNESS_DIR = $(MBOX_CACHE)/linux-6.1-tools/tools/testing/selftests
TEST_CFLAGS = -std=gnu11 -D_GNU_SOURCE -O2 -g $(WARN) -Wno-missing-prototypes \
	-Iuapi -Ilib -isystem $(HARNESS_DIR) -pthread $(SAN_FLAGS)

kdir = $(shell scripts/kernel.sh kdir $(1) 2>/dev/null)
KSRCS := Kbuild module/Kbuild $(wildcard module/*.c module/*.h) uapi/linux/mbox.h

# liburing (Debian's liburing-dev) is linked statically into what uses it,
# so that the VM needs nothing more than libmbox.
URING_LIBS := -l:liburing.a

LIB_VERSION := 1
LIB_HDRS := lib/mbox.h uapi/linux/mbox.h
LIB_A := $(O)/lib/libmbox.a
LIB_SO := $(O)/lib/libmbox.so.$(LIB_VERSION)

TEST_SRCS := $(wildcard selftests/*_test.c)
TESTS := $(patsubst selftests/%.c,$(O)/selftests/%,$(TEST_SRCS))
# Tests that need the debug kernel (fault injection): make check-debug only.
DEBUG_TEST_SRCS := $(wildcard selftests/debug/*_test.c)
DEBUG_TESTS := $(patsubst selftests/debug/%.c,$(O)/selftests/%,$(DEBUG_TEST_SRCS))
MBOXCTL_SRCS := $(wildcard tools/mboxctl/*.c)
TOOLS := $(O)/tools/mboxctl
BENCH := $(O)/bench/ipcbench $(O)/bench/ipcprobe
EXAMPLE_SRCS := $(wildcard examples/*.c)
EXAMPLES := $(patsubst examples/%.c,$(O)/examples/%,$(EXAMPLE_SRCS))

VM_MODULE = $(O)/k-$(KERNEL)/module/mbox.ko
VM_FILES = $(TESTS) $(TOOLS) $(EXAMPLES) $(BENCH)

.PHONY: all module vm-module lib selftests tools examples deps check check-debug demo lint \
	checkpatch clean install uninstall dkms-src check-install bench bench-bin bench-test check-kselftest \
	check-asan bridge check-bridge demo-bridge mq-lib check-posix-mq icount-profile
all: module lib selftests tools examples bench-bin

deps:
	@scripts/deps.sh $(KERNEL)

ifdef KDIR
module:
	$(MAKE) -C $(KDIR) M=$(CURDIR) W=1 modules
else
module: vm-module
endif

# Build for one Debian kernel in its own tree, so 6.1 and 6.12 objects never mix.
vm-module: $(VM_MODULE)
# The kernel must be in the cache already ("make deps" fetches it): a plain
# make only says so.
$(O)/k-%/module/mbox.ko: $(KSRCS)
	@scripts/kernel.sh kdir $* >/dev/null
	@scripts/module-tree.sh $(O)/k-$*
	$(MAKE) -C $(call kdir,$*) M=$(O)/k-$* W=1 modules
	@touch $@

lib: $(LIB_A) $(LIB_SO) $(O)/lib/libmbox.so mq-lib

LIB_OBJS := $(patsubst lib/%.c,$(O)/lib/%.o,$(wildcard lib/*.c))

$(O)/lib/%.o: lib/%.c $(LIB_HDRS) lib/internal.h
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -fPIC -fvisibility=hidden -c -o $@ $<

$(LIB_A): $(LIB_OBJS)
	$(AR) rcs $@ $^

$(LIB_SO): $(LIB_OBJS) lib/libmbox.map
	$(CC) $(SAN_FLAGS) -shared -Wl,-soname,libmbox.so.$(LIB_VERSION) \
		-Wl,--version-script=lib/libmbox.map -Wl,-z,defs -o $@ $(LIB_OBJS)

$(O)/lib/libmbox.so: $(LIB_SO)
	ln -sf libmbox.so.$(LIB_VERSION) $@

# libmbox-mq: the POSIX message-queue API over mailboxes (docs/posix-mq.md),
# to LD_PRELOAD or to link with -lmbox-mq ahead of libc.
MQ_VERSION := 1
MQ_A := $(O)/lib/libmbox-mq.a
MQ_SO := $(O)/lib/libmbox-mq.so.$(MQ_VERSION)
mq-lib: $(MQ_A) $(MQ_SO) $(O)/lib/libmbox-mq.so

$(O)/lib/mq/mbox-mq.o: lib/mq/mbox-mq.c uapi/linux/mbox.h
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -pthread -fPIC -fvisibility=hidden -c -o $@ $<

$(MQ_A): $(O)/lib/mq/mbox-mq.o
	$(AR) rcs $@ $^

$(MQ_SO): $(O)/lib/mq/mbox-mq.o lib/mq/libmbox-mq.map
	$(CC) $(SAN_FLAGS) -shared -pthread -Wl,-soname,libmbox-mq.so.$(MQ_VERSION) \
		-Wl,--version-script=lib/mq/libmbox-mq.map -Wl,-z,defs -o $@ $<

$(O)/lib/libmbox-mq.so: $(MQ_SO)
	ln -sf libmbox-mq.so.$(MQ_VERSION) $@

# libmbox-mq's own regression cases, run by check-posix-mq on the kernel's
# mqueue and through the shim (a plain <mqueue.h> program, not linked to it).
MQ_REGRESS := $(O)/lib/mq/mq_regress
$(MQ_REGRESS): lib/mq/mq_regress.c uapi/linux/mbox.h
	@mkdir -p $(@D)
	$(CC) -std=gnu11 -O2 -g -Wall -Wextra -Werror -Iuapi -pthread -o $@ $<

selftests: $(TESTS) $(DEBUG_TESTS)

$(O)/selftests/%: selftests/debug/%.c $(wildcard selftests/*.h) $(LIB_HDRS) $(O)/lib/libmbox.so
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) -o $@ $< -L$(O)/lib -lmbox

$(O)/selftests/%: selftests/%.c $(wildcard selftests/*.h) $(LIB_HDRS) $(O)/lib/libmbox.so
	@test -f $(HARNESS_DIR)/kselftest_harness.h || { echo "missing \
	$(HARNESS_DIR)/kselftest_harness.h (from linux-source-6.1): run make deps" >&2; exit 1; }
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) -o $@ $< -L$(O)/lib -lmbox $(if $(filter uring%,$(@F)),$(URING_LIBS))

tools: $(TOOLS)

$(O)/tools/mboxctl: $(MBOXCTL_SRCS) tools/mboxctl/mboxctl.h $(LIB_HDRS) $(O)/lib/libmbox.so
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -o $@ $(MBOXCTL_SRCS) -L$(O)/lib -lmbox

bench-bin: $(BENCH)

$(O)/bench/ipcbench: $(wildcard bench/*.c bench/*.h) $(LIB_HDRS) $(O)/lib/libmbox.so
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -pthread -o $@ $(wildcard bench/*.c) -L$(O)/lib -lmbox $(URING_LIBS) -lm

# ipcbench's independent self-check: a program of its own, no shared code.
$(O)/bench/ipcprobe: bench/probe/ipcprobe.c
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -o $@ $<

# Host-side unit test of ipcbench's regime classifier (scripts/bench.sh runs it).
$(O)/bench/regime-test: bench/test/regime_test.c bench/regime.c bench/regime.h
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -o $@ bench/test/regime_test.c bench/regime.c -lm

bench-test: $(O)/bench/regime-test
	$(O)/bench/regime-test

# Examples build as a user's program would: <mbox.h> and -lmbox.
examples: $(EXAMPLES)

$(O)/examples/%: examples/%.c $(LIB_HDRS) $(O)/lib/libmbox.so
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -o $@ $< -L$(O)/lib -lmbox $(if $(filter uring%,$(@F)),$(URING_LIBS))

# The two quick-start commands: each installs what is missing first.
check: deps
	@$(MAKE) --no-print-directory vm-module lib selftests tools examples bench-bin
	@scripts/run-selftests.sh -k $(KERNEL) -m $(VM_MODULE) \
		-l $(LIB_SO) $(VM_FILES)

demo: deps
	@$(MAKE) --no-print-directory vm-module lib selftests tools examples bench-bin
	@scripts/vm-run.sh -k $(KERNEL) -m $(VM_MODULE) -l $(LIB_SO) -l $(MQ_SO) \
		-o $(O)/vm-demo-$(KERNEL) -t 600 \
		$(addprefix -f ,$(VM_FILES)) scripts/demo.sh

# The hardening lane (docs/hardening.md): the whole suite, the fault-injection
# sweep, a 200,000-operation fuzz run and a longer kill-stress on the debug
# kernel (built from linux-source-6.1 on first use, then cached); any splat or
# kmemleak report fails it; then the module's line coverage. The fault-
# injection sweep runs first, on a fresh boot: after the whole suite had run,
# its ring part once stopped making progress (it passes alone; open, see the
# notes of this round).
DEBUG_O := $(O)/k-debug
check-debug: deps
	@scripts/deps.sh debug
	@$(MAKE) --no-print-directory KERNEL=debug vm-module lib selftests tools examples bench-bin
	@cp scripts/vm-post-gcov.sh $(DEBUG_O)/vm-post.sh
	@scripts/run-selftests.sh -k debug -m $(DEBUG_O)/module/mbox.ko -l $(LIB_SO) \
		-e MBOX_FUZZ_OPS=$(or $(FUZZ_OPS),200000) -e MBOX_KILL_SECONDS=20 \
		$(DEBUG_TESTS) $(VM_FILES) $(DEBUG_O)/vm-post.sh
	@scripts/coverage.sh $(O)/vm-check-debug/output.log $(DEBUG_O)/module $(or $(MIN_COVERAGE),90)

checkpatch:
	@scripts/lint.sh --checkpatch-only

# The suite as a kselftest target (selftests/Makefile) in the kselftest
# framework of linux-source-6.1 and -6.12: laid out by
# scripts/kselftest-export.sh, built and installed by the kernel's own
# "make -C tools/testing/selftests TARGETS=mbox [install]", run by the
# installed run_kselftest.sh -c mbox in a VM of the matching kernel.
KSFT_KERNELS ?= 6.1 6.12
check-kselftest:
	@scripts/deps.sh $(KSFT_KERNELS) kselftest
	@$(MAKE) --no-print-directory $(patsubst %,$(O)/k-%/module/mbox.ko,$(KSFT_KERNELS))
	@scripts/check-kselftest.sh $(KSFT_KERNELS)

# User space under AddressSanitizer and UBSan (build/asan): the suite, a
# quick ipcbench run, and any sanitizer report fails the lane.
ASAN_O := $(O)/asan
check-asan: deps
	@scripts/deps.sh asan
	@$(MAKE) --no-print-directory vm-module bench-bin
	@$(MAKE) --no-print-directory O=$(ASAN_O) SANITIZE=1 lib selftests tools examples bench-bin
	@scripts/check-asan.sh -k $(KERNEL) -m $(VM_MODULE) -l $(ASAN_O)/lib/libmbox.so.1 \
		$(patsubst $(O)/%,$(ASAN_O)/%,$(filter-out $(O)/bench/ipcprobe,$(VM_FILES))) \
		$(O)/bench/ipcprobe

lint:
	@scripts/deps.sh $(KERNELS)
	@$(MAKE) --no-print-directory lib selftests tools examples bench-bin
	@scripts/lint.sh $(KERNELS)

# ---- installing (docs/install.md) ----
VERSION := 1.0
PREFIX ?= /usr/local
BINDIR := $(PREFIX)/bin
LIBDIR := $(PREFIX)/lib
INCDIR := $(PREFIX)/include
MANDIR := $(PREFIX)/share/man
DOCDIR := $(PREFIX)/share/doc/mbox
# The module for the kernel it is installed for: built in place against
# $(KDIR) when there is one (the running kernel's headers), otherwise the
# Debian kernel $(KERNEL) that the VM targets use.
INSTALL_KO = $(if $(KDIR),module/mbox.ko,$(VM_MODULE))
KRELEASE = $(if $(KDIR),$(shell cat $(KDIR)/include/config/kernel.release),$(shell scripts/kernel.sh release $(KERNEL)))

$(O)/lib/mbox.pc: lib/mbox.pc.in Makefile
	@mkdir -p $(@D)
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' $< >$@

$(O)/lib/libmbox-mq.pc: lib/mq/libmbox-mq.pc.in Makefile
	@mkdir -p $(@D)
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' $< >$@

install: module lib tools $(O)/lib/mbox.pc $(O)/lib/libmbox-mq.pc
	install -D -m 0644 $(INSTALL_KO) $(DESTDIR)/lib/modules/$(KRELEASE)/extra/mbox.ko
	@if [ -z "$(DESTDIR)" ]; then depmod -a $(KRELEASE); fi
	install -D -m 0755 $(LIB_SO) $(DESTDIR)$(LIBDIR)/libmbox.so.$(LIB_VERSION)
	ln -sf libmbox.so.$(LIB_VERSION) $(DESTDIR)$(LIBDIR)/libmbox.so
	install -D -m 0644 $(LIB_A) $(DESTDIR)$(LIBDIR)/libmbox.a
	install -D -m 0644 $(O)/lib/mbox.pc $(DESTDIR)$(LIBDIR)/pkgconfig/mbox.pc
	install -D -m 0755 $(MQ_SO) $(DESTDIR)$(LIBDIR)/libmbox-mq.so.$(MQ_VERSION)
	ln -sf libmbox-mq.so.$(MQ_VERSION) $(DESTDIR)$(LIBDIR)/libmbox-mq.so
	install -D -m 0644 $(MQ_A) $(DESTDIR)$(LIBDIR)/libmbox-mq.a
	install -D -m 0644 $(O)/lib/libmbox-mq.pc $(DESTDIR)$(LIBDIR)/pkgconfig/libmbox-mq.pc
	install -D -m 0644 lib/mbox.h $(DESTDIR)$(INCDIR)/mbox.h
	install -D -m 0644 uapi/linux/mbox.h $(DESTDIR)$(INCDIR)/linux/mbox.h
	install -D -m 0755 $(O)/tools/mboxctl $(DESTDIR)$(BINDIR)/mboxctl
	install -D -m 0644 man/mbox.4 $(DESTDIR)$(MANDIR)/man4/mbox.4
	install -D -m 0644 man/libmbox.3 $(DESTDIR)$(MANDIR)/man3/libmbox.3
	install -D -m 0644 man/libmbox-mq.3 $(DESTDIR)$(MANDIR)/man3/libmbox-mq.3
	install -D -m 0644 man/mboxctl.1 $(DESTDIR)$(MANDIR)/man1/mboxctl.1
	install -D -m 0644 tools/udev/60-mbox.rules $(DESTDIR)$(DOCDIR)/60-mbox.rules
	@if [ -z "$(DESTDIR)" ] && command -v ldconfig >/dev/null; then ldconfig; fi

# Removes what install put in place (same PREFIX, DESTDIR and kernel).
uninstall:
	rm -f $(DESTDIR)/lib/modules/$(KRELEASE)/extra/mbox.ko
	@if [ -z "$(DESTDIR)" ] && [ -d /lib/modules/$(KRELEASE) ]; then depmod -a $(KRELEASE); fi
	rm -f $(DESTDIR)$(LIBDIR)/libmbox.so.$(LIB_VERSION) $(DESTDIR)$(LIBDIR)/libmbox.so \
		$(DESTDIR)$(LIBDIR)/libmbox.a $(DESTDIR)$(LIBDIR)/pkgconfig/mbox.pc \
		$(DESTDIR)$(LIBDIR)/libmbox-mq.so.$(MQ_VERSION) $(DESTDIR)$(LIBDIR)/libmbox-mq.so \
		$(DESTDIR)$(LIBDIR)/libmbox-mq.a $(DESTDIR)$(LIBDIR)/pkgconfig/libmbox-mq.pc \
		$(DESTDIR)$(MANDIR)/man3/libmbox-mq.3 \
		$(DESTDIR)$(INCDIR)/mbox.h $(DESTDIR)$(INCDIR)/linux/mbox.h \
		$(DESTDIR)$(BINDIR)/mboxctl $(DESTDIR)$(MANDIR)/man4/mbox.4 \
		$(DESTDIR)$(MANDIR)/man3/libmbox.3 $(DESTDIR)$(MANDIR)/man1/mboxctl.1 \
		$(DESTDIR)$(DOCDIR)/60-mbox.rules
	@rmdir $(DESTDIR)$(DOCDIR) 2>/dev/null || true
	@if [ -z "$(DESTDIR)" ] && command -v ldconfig >/dev/null; then ldconfig; fi

# The source tree DKMS wants in /usr/src/mbox-$(VERSION) (DKMS_SRC=...).
DKMS_SRC ?= $(DESTDIR)/usr/src/mbox-$(VERSION)
dkms-src:
	scripts/module-tree.sh $(DKMS_SRC)
	cp dkms.conf $(DKMS_SRC)/

# Benchmarks (docs/performance.md): the stock 6.1 kernel (BENCH_KERNEL=6.12:
# Debian's 6.12, where io_uring receives park), one boot, every mechanism.
# BENCH_ARGS go to ipcbench (e.g. -q for a quick smoke run);
# ICOUNT=1 runs under QEMU's -icount; PROFILE=1 samples the run with perf in
# the guest and prints where the time went, by symbol.
BENCH_KERNEL ?= 6.1
bench: deps
	@scripts/deps.sh bench $(BENCH_KERNEL)
	@$(MAKE) --no-print-directory KERNEL=$(BENCH_KERNEL) vm-module lib bench-bin \
		$(O)/bench/regime-test
	@scripts/bench.sh -k $(BENCH_KERNEL) $(if $(ICOUNT),-i) $(if $(PROFILE),-P) $(BENCH_ARGS)

# Where one cell's instructions go, function by function (a QEMU plugin
# counts the guest's executed blocks; docs/performance.md):
#   make icount-profile BENCH_ARGS="-p pp-same -s 64 -m mbox-mailbox"
icount-profile: deps
	@scripts/deps.sh bench
	@$(MAKE) --no-print-directory KERNEL=6.1 vm-module lib mq-lib bench-bin
	@scripts/icount-profile.sh $(BENCH_ARGS)

# The POSIX message-queue conformance lane (docs/posix-mq.md): suites from
# Debian's linux-source-6.1/6.12 and glibc-source, built at test time, each
# run twice per kernel: on the kernel's mqueue, then through libmbox-mq.
PMQ_KERNELS ?= 6.1 6.12
check-posix-mq: deps
	@scripts/deps.sh $(PMQ_KERNELS) posix-mq
	@$(MAKE) --no-print-directory lib $(MQ_REGRESS) \
		$(patsubst %,$(O)/k-%/module/mbox.ko,$(PMQ_KERNELS))
	@scripts/check-posix-mq.sh $(PMQ_KERNELS)

check-install: deps
	@scripts/deps.sh install
	@$(MAKE) --no-print-directory lib tools
	@scripts/check-install.sh

# The mailbox bridge over RabbitMQ (docs/bridge.md). Not part of "all": it
# needs librabbitmq-dev ("scripts/deps.sh bridge" installs it).
BRIDGE_SRCS := tools/bridge/main.c tools/bridge/config.c tools/bridge/state.c \
	tools/bridge/amqp.c tools/bridge/worker.c
BRIDGE_BINS := $(O)/tools/mbox-bridge $(O)/tools/bridgecheck $(O)/tools/bridge-bench
bridge: $(BRIDGE_BINS) $(O)/tools/bridge-dedupe-test

$(O)/tools/bridge-dedupe-test: tools/bridge/dedupe_test.c tools/bridge/state.c tools/bridge/bridge.h
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -o $@ $< tools/bridge/state.c

$(O)/tools/mbox-bridge: $(BRIDGE_SRCS) tools/bridge/bridge.h $(LIB_HDRS) $(O)/lib/libmbox.so
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -pthread -o $@ $(BRIDGE_SRCS) -L$(O)/lib -lmbox -lrabbitmq

$(O)/tools/bridgecheck: tools/bridge/bridgecheck.c $(LIB_HDRS) $(O)/lib/libmbox.so
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -o $@ $< -L$(O)/lib -lmbox -lrabbitmq

$(O)/tools/bridge-bench: tools/bridge/bridge-bench.c $(LIB_HDRS) $(O)/lib/libmbox.so
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -pthread -o $@ $< -L$(O)/lib -lmbox -lrabbitmq

check-bridge: deps
	@scripts/deps.sh bridge
	@$(MAKE) --no-print-directory KERNEL=6.1 vm-module lib tools bridge
	@scripts/check-bridge.sh -m $(O)/k-6.1/module/mbox.ko -l $(LIB_SO) \
		-u $(O)/tools/bridge-dedupe-test $(BRIDGE_BINS) $(TOOLS)

demo-bridge: deps
	@scripts/deps.sh bridge
	@$(MAKE) --no-print-directory KERNEL=6.1 vm-module lib tools bridge
	@scripts/check-bridge.sh -d -m $(O)/k-6.1/module/mbox.ko -l $(LIB_SO) \
		$(BRIDGE_BINS) $(TOOLS)

clean:
	rm -rf $(O)
	@if [ -n "$(KDIR)" ]; then $(MAKE) -C $(KDIR) M=$(CURDIR) clean; fi
