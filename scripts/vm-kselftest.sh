#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the test VM (busybox sh, coreutils' timeout as /usr/bin/timeout):
# the kernel's own runner over the installed "mbox" collection. VAR=value
# arguments are exported first (the tests' knobs, such as MBOX_FUZZ_OPS).
for a in "$@"; do
	export "${a?}"
done
cd /mbox/kselftest_install || exit 1
./run_kselftest.sh -c mbox
