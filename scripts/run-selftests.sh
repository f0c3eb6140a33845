#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make check: boot the VM once, run every selftest binary in it, and end with
# one summary line "N passed, N failed, N skipped".
#
#   scripts/run-selftests.sh -k KERNEL -m MODULE [-l LIB]... [-e VAR=VAL]...
#                            [-r COMMAND]... [-o DIR] FILE...
#
# FILEs whose names end in _test are run as kselftest binaries; the others
# are copied into the VM for the tests to use. Each -r COMMAND (a shell
# command line) runs after them and counts as one test that passes when it
# exits 0. Logs go to DIR (default build/vm-check-KERNEL). A failure of the VM itself (a
# kernel splat, rmmod failing, a timeout) counts as one more failed test.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/common.sh
. "$here/common.sh"

kernel=6.1
module=
libs=()
envs=()
runs=()
outdir=
while getopts "k:m:l:e:r:o:" opt; do
	case $opt in
	k) kernel=$OPTARG ;;
	m) module=$OPTARG ;;
	l) libs+=(-l "$OPTARG") ;;
	e) envs+=("$OPTARG") ;;
	r) runs+=("run:$OPTARG") ;;
	o) outdir=$OPTARG ;;
	*) die "bad option" ;;
	esac
done
shift $((OPTIND - 1))

files=()
tests=()
for f in "$@"; do
	files+=(-f "$f")
	case $(basename "$f") in *_test) tests+=("$(basename "$f")") ;; esac
done
[ ${#tests[@]} -gt 0 ] || die "no selftest binaries given"

[ -n "$outdir" ] || outdir=$here/../build/vm-check-$kernel
log "kernel $kernel: running ${#tests[@]} selftest binaries in the VM; logs in $outdir"
"$here/vm-run.sh" -k "$kernel" -m "$module" "${libs[@]}" "${files[@]}" \
	-o "$outdir" -t "${MBOX_CHECK_TIMEOUT:-2400}" "$here/vm-selftests.sh" \
	${envs[@]+"${envs[@]}"} "${tests[@]}" ${runs[@]+"${runs[@]}"}
vm_rc=$?

awk -v vm_rc="$vm_rc" -v kernel="$kernel" '
	/^MBOX-TEST-BEGIN / { name = substr($0, 17); begun[name] = 1; order[++n] = name; next }
	/^# Totals: / {
		for (i = 3; i <= NF; i++) {
			split($i, kv, ":")
			v[kv[1]] = kv[2] + 0
		}
		pass += v["pass"] + v["xfail"]
		fail += v["fail"] + v["xpass"] + v["error"]
		skip += v["skip"]
		failed_here[name] = v["fail"] + v["xpass"] + v["error"]
		totals[name] = 1
		next
	}
	/^1\.\.0 # SKIP/ { plan0[name] = 1; print "SKIPPED [" kernel "] " name ": " substr($0, 13) }
	/^not ok / { bad[++nbad] = name ": " substr($0, 8) }
	/^MBOX-TEST-END / {
		rc = $NF; sub("rc=", "", rc); ended[name] = 1
		if (!totals[name] && rc == 4 && plan0[name]) {
			skip++	# the whole binary skipped (KSFT_SKIP): no /dev/mbox or a feature
		} else if (!totals[name]) {
			fail++; bad[++nbad] = name ": exited (rc=" rc ") without a TAP summary"
		} else if (rc != 0 && !failed_here[name]) {
			fail++; bad[++nbad] = name ": exit status " rc " with no failed test"
		}
	}
	END {
		for (i = 1; i <= n; i++)
			if (!ended[order[i]]) {
				fail++; bad[++nbad] = order[i] ": did not finish"
			}
		if (vm_rc != 0 && fail == 0) {
			fail++; bad[++nbad] = "vm: the run failed (exit " vm_rc "): splat, rmmod or timeout; see above"
		}
		if (n == 0) {
			fail++; bad[++nbad] = "vm: no selftest ran"
		}
		for (i = 1; i <= nbad; i++)
			printf("FAILED [%s] %s\n", kernel, bad[i])
		printf("%d passed, %d failed, %d skipped\n", pass, fail, skip)
		exit fail != 0
	}
' "$outdir/output.log"
