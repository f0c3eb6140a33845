#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the test VM (busybox sh, /dev/mqueue mounted, mbox.ko loaded):
# each outside suite twice, first on the kernel's POSIX message queues (the
# baseline), then with LD_PRELOAD=libmbox-mq.so. One line per case and run
# for scripts/check-posix-mq.sh:
#
#   PMQ-CASE SUITE CASE kernel|mbox pass|fail|skip
shim=/usr/lib/libmbox-mq.so.1
out=/tmp/pmq.out

# run MODE COMMAND...: the command, with the shim preloaded in mode mbox.
run() {
	mode=$1
	shift
	if [ "$mode" = mbox ]; then
		LD_PRELOAD=$shim "$@"
	else
		"$@"
	fi
}

show() {
	sed "s/^/    [$1] /" "$out" | head -n 80
}

for mode in kernel mbox; do
	# The kernel's selftests/mqueue: one case per PASS/FAIL line, and its
	# exit status (it stops at the first unexpected error).
	echo "== $mode: mq_open_tests"
	run "$mode" timeout 300 /mbox/bin/mq_open_tests >"$out" 2>&1
	rc=$?
	show "$mode"
	grep -E '(PASS|FAIL)[[:space:]]*$' "$out" | while IFS= read -r line; do
		case $line in *PASS*) r=pass ;; *) r=fail ;; esac
		name=$(echo "$line" | sed -e 's/[[:space:]]*\(PASS\|FAIL\)[[:space:]]*$//' \
			-e 's/[^A-Za-z0-9=>]\{1,\}/_/g' -e 's/_*$//')
		echo "PMQ-CASE mq_open_tests $name $mode $r"
	done
	[ $rc -eq 0 ] && r=pass || r=fail
	echo "PMQ-CASE mq_open_tests exit_status $mode $r"
	# Leave no queue behind for the other run.
	rm -f /dev/mqueue/* 2>/dev/null

	# libmbox-mq's own cases: "CASE name pass|fail" lines, and the status.
	echo "== $mode: mq_regress"
	run "$mode" timeout 300 /mbox/bin/mq_regress >"$out" 2>&1
	rc=$?
	show "$mode"
	sed -n 's/^CASE \([^ ]*\) \([a-z]*\)$/PMQ-CASE mq_regress \1 '"$mode"' \2/p' "$out"
	[ $rc -eq 0 ] && r=pass || r=fail
	echo "PMQ-CASE mq_regress exit_status $mode $r"
	rm -f /dev/mqueue/* 2>/dev/null

	# glibc's rt/tst-mqueue1..10: exit 0 passes, 77 is UNSUPPORTED.
	for n in 1 2 3 4 5 6 7 8 9 10; do
		t=tst-mqueue$n
		echo "== $mode: $t"
		if [ $n = 7 ]; then
			set -- -- /mbox/bin/$t
		else
			set --
		fi
		run "$mode" env TIMEOUTFACTOR=10 timeout 600 /mbox/bin/$t "$@" >"$out" 2>&1
		rc=$?
		show "$mode"
		case $rc in 0) r=pass ;; 77) r=skip ;; *) r=fail ;; esac
		echo "PMQ-CASE glibc $t $mode $r"
	done
done
exit 0
