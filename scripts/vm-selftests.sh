#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the test VM (busybox sh): each selftest named on the command
# line, between markers that scripts/run-selftests.sh reads back. VAR=value
# arguments are exported for the tests that follow them.
status=0
for t in "$@"; do
	# VAR=value arguments set the environment of the tests after them.
	case $t in *=*) export "${t?}"; continue ;; esac
	echo "MBOX-TEST-BEGIN $t"
	"/mbox/bin/$t"
	rc=$?
	echo "MBOX-TEST-END $t rc=$rc"
	[ $rc -eq 0 ] || status=1
done
exit $status
