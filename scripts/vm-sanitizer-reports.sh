#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the test VM, last, in make check-asan: prints every
# AddressSanitizer/LeakSanitizer/UBSan report the run left in /tmp (their
# log_path) and fails when there is one.
n=0
for f in /tmp/asan.* /tmp/ubsan.*; do
	[ -e "$f" ] || continue
	n=$((n + 1))
	echo "sanitizer report $f:"
	cat "$f"
done
echo "sanitizer reports: $n"
[ $n -eq 0 ]
