#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Line coverage of module/ after a debug-kernel run:
#
#   scripts/coverage.sh OUTPUT_LOG OBJDIR [MIN_PERCENT]
#
# OUTPUT_LOG is the VM's output (the gcov data scripts/vm-post-gcov.sh sent
# between markers), OBJDIR the module's build directory (build/k-debug/module,
# with the .gcno files and sources). Prints each file's coverage, the total
# and the lines never run, and fails when the total is below MIN_PERCENT.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/common.sh
. "$here/common.sh"

[ $# -ge 2 ] || die "usage: $0 OUTPUT_LOG OBJDIR [MIN_PERCENT]"
out=$1
obj=$2
min=${3:-0}

grep -q '^MBOX-GCOV-BEGIN' "$out" || die "no gcov data in $out (is the module built with gcov?)"
sed -n '/^MBOX-GCOV-BEGIN/,/^MBOX-GCOV-END/p' "$out" | sed '1d;$d' | tr -d '\r' |
	base64 -d | gzip -d | tar -xf - -C "$obj"

cd "$obj"
rm -f ./*.gcov
gcov -o . ./*.c >/dev/null 2>&1 || true
total=0 run=0
printf '%-14s %6s %6s %7s\n' file lines run cover
for g in *.c.gcov; do
	f=${g%.gcov}
	# gcov marks lines never run "#####", and lines with no code "-".
	n=$(grep -cE '^ *([0-9]+\*?|#####):' "$g" || true)
	r=$(grep -cE '^ *[0-9]+\*?:' "$g" || true)
	total=$((total + n)) run=$((run + r))
	awk -v f="$f" -v n="$n" -v r="$r" \
		'BEGIN { printf "%-14s %6d %6d %6.1f%%\n", f, n, r, n ? 100 * r / n : 100 }'
done
pct=$(awk -v t="$total" -v r="$run" 'BEGIN { printf "%.1f", t ? 100 * r / t : 0 }')
echo "total: $run of $total lines run in module/: $pct%"
echo "lines never run:"
for g in *.c.gcov; do
	{ grep -E '^ *#####:' "$g" || true; } | sed -E "s/^ *#####: *([0-9]+):/  ${g%.gcov}:\1:/"
done
awk -v p="$pct" -v m="$min" 'BEGIN { exit !(p + 0 >= m + 0) }' ||
	die "module coverage $pct% is below $min%"
