#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make icount-profile: where one ipcbench cell's instructions go, function
# by function. Boots the stock 6.1 kernel twice under QEMU -icount (one
# vCPU, nokaslr) with the tbcount plugin (bench/prof/tbcount.c), runs the
# cell with -n N and then with -n N/10, and divides the difference of the
# two runs' counts by the 0.9 N units (messages, pairs or round trips, as
# the cell counts them): boot, set-up and teardown cancel out.
#
#   scripts/icount-profile.sh [-n N] [-T TOP] IPCBENCH-ARGS...
#	e.g. -p pp-same -s 64 -m mbox-mailbox     (one cell)
#
# Prints each function's instructions per unit (TOP lines, default 40),
# user space as one line, and the total. Check the total against the
# cell's instr column in "make bench ICOUNT=1" before reading the split:
# docs/performance.md says where the two agree and where they do not.
# To sum the functions by kind of work (user space, the system call's path,
# argument structs, message memory, queue and wait, the rest), list them all
# (-T 1000) and run bench/prof/kinds.awk on the output.
# Files: build/prof/.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
# shellcheck source=scripts/common.sh
. "$here/common.sh"

# -n and -T are taken out wherever they are; the rest goes to ipcbench.
n=100000 lines=40 args=()
while [ $# -gt 0 ]; do
	case $1 in
	-n) n=${2:-}; shift ;;
	-T) lines=${2:-}; shift ;;
	*) args+=("$1") ;;
	esac
	shift
done
set -- ${args[@]+"${args[@]}"}
[ $# -gt 0 ] || die "no ipcbench arguments (one cell: -p PATTERN -s SIZE -m MECHANISM)"
[ "$n" -ge 100 ] 2>/dev/null || die "-n wants a count of at least 100"
[ "$lines" -ge 1 ] 2>/dev/null || die "-T wants a number of lines"
small=$((n / 10))

out=$top/build/prof
mkdir -p "$out"
gcc -std=c11 -O2 -Wall -Wextra -Werror -shared -fPIC -o "$out/tbcount.so" \
	"$top/bench/prof/tbcount.c"

# One boot: the plugin's counts for the cell run with -n $1.
run() {
	local count=$1

	shift
	"$here/vm-run.sh" -k 6.1 -n -i -q -Q "$out/tbcount.so,out=$out/tb-$count.txt" \
		-m "$top/build/k-6.1/module/mbox.ko" -l "$top/build/lib/libmbox.so.1" \
		-l "$top/build/lib/libmbox-mq.so.1" -f "$top/build/bench/ipcbench" \
		-o "$out/vm-$count" -a "clocksource=tsc tsc=reliable nokaslr" -t 1800 \
		"$top/bench/prof/vm-profile.sh" -n "$count" "$@" ||
		die "the run with -n $count failed; see $out/vm-$count/"
}

# Instructions per function: each block's count goes to the symbol at or
# below its address (both lists as 16 hex digits, sorted together).
per_function() {
	{
		awk '{ print $1, "S", $3 }' "$out/vm-$n/files/kallsyms"
		awk '{ printf "%s B %.0f\n", $1, $2 * $3 }' "$1"
	} | LC_ALL=C sort -k1,1 -k2,2r |
	awk '$2 == "S" { sym = $3; next }
	     $1 == "0000000000000001" { t["[user-space]"] += $3; next }
	     { t[sym == "" ? "[before the first symbol]" : sym] += $3 }
	     END { for (s in t) printf "%s %.0f\n", s, t[s] }'
}

log "counting $* with -n $n, then -n $small (two boots under -icount)"
run "$n" "$@"
run "$small" "$@"
per_function "$out/tb-$n.txt" >"$out/big.txt"
per_function "$out/tb-$small.txt" >"$out/small.txt"
units=$((n - small))
{
	printf 'instructions per unit (%d units: the difference of the two runs)\n' "$units"
	awk -v units="$units" '
		NR == FNR { small[$1] = $2; next }
		{ d = ($2 - small[$1]) / units; total += d }
		d >= 0.05 { printf "%10.1f  %s\n", d, $1 }
		END { printf "%10.1f  total\n", total > "/dev/stderr" }' \
		"$out/small.txt" "$out/big.txt" 2>"$out/total.txt" | sort -rn | head -n "$lines"
	cat "$out/total.txt"
} | tee "$out/profile.txt"
