#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the test VM (busybox sh): each selftest named on the command
# line, between markers that scripts/run-selftests.sh reads back. VAR=value
# arguments are exported for the tests that follow them; "run:COMMAND"
# runs a shell command line as one test (a TAP total of one pass or fail).
status=0
for t in "$@"; do
	case $t in
	run:*)
		t=${t#run:}
		echo "MBOX-TEST-BEGIN $t"
		sh -c "$t"
		rc=$?
		[ $rc -eq 0 ] && p=1 f=0 || p=0 f=1
		echo "# Totals: pass:$p fail:$f xfail:0 xpass:0 skip:0 error:0"
		echo "MBOX-TEST-END $t rc=$rc"
		[ $rc -eq 0 ] || status=1
		continue
		;;
	# VAR=value arguments set the environment of the tests after them.
	*=*) export "${t?}"; continue ;;
	esac
	echo "MBOX-TEST-BEGIN $t"
	"/mbox/bin/$t"
	rc=$?
	echo "MBOX-TEST-END $t rc=$rc"
	[ $rc -eq 0 ] || status=1
done
exit $status
