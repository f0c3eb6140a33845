#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: boot the stock 6.1 kernel once (no memory-debugging options,
# clocksource=tsc tsc=reliable) and run bench/ipcbench over every mechanism.
#
#   scripts/bench.sh [-i] [-P] [IPCBENCH ARGS...]
#	-i: QEMU -icount mode; -P: profile the run with perf in the guest
#
# Writes build/bench/: output.log (the tables), results.csv, results.json
# (every cell, with the kernel, QEMU and boot parameters) and results.png
# (latency and throughput by message size; needs gnuplot).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
# shellcheck source=scripts/common.sh
. "$here/common.sh"

mode=realtime
vmopts=()
profile=()
while [ $# -gt 0 ]; do
	case $1 in
	-i) mode=icount; vmopts+=(-i) ;;
	-P) profile=(--profile); vmopts+=(-f "$(command -v perf)") ;;
	*) break ;;
	esac
	shift
done
# Under -icount guest time runs faster than real time: longer trials, for
# the same wall-clock cost, smooth what little jitter is left.
[ $mode = realtime ] || set -- -t 2 "$@"
out=$top/build/bench
mkdir -p "$out"
append="clocksource=tsc tsc=reliable"
log "booting 6.1 ($mode timing); the tables follow, files go to $out"
set +e
"$here/vm-run.sh" -k 6.1 -n "${vmopts[@]}" -m "$top/build/k-6.1/module/mbox.ko" \
	-l "$top/build/lib/libmbox.so.1" -f "$top/build/bench/ipcbench" -o "$out/vm" \
	-a "$append" -t "${MBOX_BENCH_TIMEOUT:-5400}" "$top/bench/vm-bench.sh" \
	"${profile[@]}" "$@"
rc=$?
set -e
[ $rc -eq 0 ] || die "the benchmark run failed (exit $rc); see $out/vm"
cp "$out/vm/output.log" "$out/output.log"

csv=$out/results.csv
grep -a '^CSV,' "$out/output.log" | sed 's/^CSV,//' | tr -d '\r' >"$csv"
kernel=$(grep -a '^BENCH-KERNEL' "$out/output.log" | head -n 1 | cut -d' ' -f2- | tr -d '\r"')
clock=$(grep -a '^BENCH-CLOCKSOURCE' "$out/output.log" | head -n 1 | cut -d' ' -f2 | tr -d '\r')
qemu=$(qemu-system-x86_64 --version | head -n 1)
awk -F, -v kernel="$kernel" -v qemu="$qemu" -v mode="$mode" -v clock="$clock" \
	-v date="$(date -u +%FT%TZ)" '
	NR == 1 { for (i = 1; i <= NF; i++) key[i] = $i; next }
	{
		row = sprintf("    {\"%s\": \"%s\", \"%s\": \"%s\"", key[1], $1, key[2], $2)
		for (i = 3; i <= NF; i++)
			row = row sprintf(", \"%s\": %s", key[i], $i)
		rows[++n] = row "}"
	}
	END {
		printf "{\n  \"kernel\": \"%s\",\n  \"qemu\": \"%s\",\n", kernel, qemu
		printf "  \"timing\": \"%s\",\n  \"clocksource\": \"%s\",\n  \"date\": \"%s\",\n", mode, clock, date
		printf "  \"cells\": [\n"
		for (i = 1; i <= n; i++)
			printf "%s%s\n", rows[i], i < n ? "," : ""
		printf "  ]\n}\n"
	}' "$csv" >"$out/results.json"

if command -v gnuplot >/dev/null; then
	mechs=$(awk -F, 'NR > 1 && $1 != "memcpy" { print $1 }' "$csv" | awk '!seen[$0]++' | tr '\n' ' ')
	# -icount runs one vCPU: its ping-pong is pp-same.
	pp=pp-cross pp_title="different vCPUs"
	[ $mode = realtime ] || pp=pp-same pp_title="one vCPU"
	gnuplot <<PLOT 2>"$out/gnuplot.log" || log "gnuplot failed; see $out/gnuplot.log"
set terminal pngcairo size 1400,600 noenhanced
set output "$out/results.png"
set datafile separator ","
set multiplot layout 1,2 title "mbox vs. Linux IPC (${kernel%% *}, $mode timing)"
set logscale xy
set xlabel "message size (bytes)"
set key outside right font ",8"
set ylabel "ping-pong p50 round trip (us), $pp_title"
plot for [m in "$mechs"] "$csv" using (strcol(1) eq m && strcol(2) eq "$pp" ? \$3 : 1/0):(\$7 > 0 ? \$7 : 1/0) with linespoints title m
set ylabel "one-way streaming (MB/s)"
plot for [m in "$mechs"] "$csv" using (strcol(1) eq m && strcol(2) eq "stream" ? \$3 : 1/0):6 with linespoints title m
unset multiplot
PLOT
fi
log "results: $csv, $out/results.json$([ -f "$out/results.png" ] && echo ", $out/results.png")"
grep -a '^TARGET' "$out/output.log" | tr -d '\r' || true
