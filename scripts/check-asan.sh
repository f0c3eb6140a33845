#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make check-asan: the suite, built with -fsanitize=address,undefined (libmbox,
# mboxctl, ipcbench, the examples and the tests: build/asan), in one VM boot;
# then a quick ipcbench run over every mechanism (one short trial a cell). Any AddressSanitizer,
# LeakSanitizer or UBSan report fails the lane, wherever it came from (a test,
# a forked child, mboxctl run by tools_test): reports go to files in the VM's
# /tmp (log_path), which the last step prints and counts. gcc's runtimes
# (libasan, libubsan) come into the VM as the programs' shared libraries.
# Ends with "N passed, N failed, N skipped".
#
#   scripts/check-asan.sh -k KERNEL -m MODULE -l LIBMBOX FILE...
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/common.sh
. "$here/common.sh"

kernel=6.1 module= lib=
while getopts "k:m:l:" opt; do
	case $opt in
	k) kernel=$OPTARG ;;
	m) module=$OPTARG ;;
	l) lib=$OPTARG ;;
	*) die "bad option" ;;
	esac
done
shift $((OPTIND - 1))

# halt_on_error/abort_on_error: the first finding ends the process (and so
# fails whatever ran it); detect_leaks: LeakSanitizer at exit; a small
# quarantine keeps forty sanitized processes within the VM's memory.
asan=log_path=/tmp/asan:halt_on_error=1:abort_on_error=1:detect_leaks=1
asan+=:quarantine_size_mb=16:malloc_context_size=20
ubsan=log_path=/tmp/ubsan:halt_on_error=1:abort_on_error=1:print_stacktrace=1

MBOX_CHECK_TIMEOUT=${MBOX_CHECK_TIMEOUT:-3000} \
exec "$here/run-selftests.sh" -k "$kernel" -m "$module" -l "$lib" \
	-o "$here/../build/vm-asan-$kernel" \
	-e "ASAN_OPTIONS=$asan" -e "UBSAN_OPTIONS=$ubsan" \
	-r "ipcbench -q -M -s 64 -r 1 -t 0.2" -r "sh /mbox/bin/vm-sanitizer-reports.sh" \
	"$here/vm-sanitizer-reports.sh" "$@"
