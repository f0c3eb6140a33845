#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: boot the stock 6.1 kernel once (no memory-debugging options,
# clocksource=tsc tsc=reliable) and run bench/ipcbench over every mechanism.
#
#   scripts/bench.sh [-k KERNEL] [-i] [-P] [IPCBENCH ARGS...]
#	-k: 6.1 (default) or 6.12 (make bench BENCH_KERNEL=6.12), with the
#	    module built for it in build/k-KERNEL/
#	-i: QEMU -icount mode; -P: profile the run with perf in the guest
#   BENCH_APPEND="..." adds kernel boot options (idle=poll, nohz=off, ...)
#
# Writes build/bench/: output.log (the tables), results.csv and
# results.json (every cell; their headers, like output.log's, name the
# source tree (git describe --always --dirty of the tree that "make bench"
# has just built the module, libmbox and ipcbench from), the kernel, its
# boot options, the vCPUs, the timing mode, QEMU and its TCG threading),
# which ipcbench writes itself in the VM (-o) and vm-run.sh brings back, and
# results.png (latency and throughput by message size; needs gnuplot).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
# shellcheck source=scripts/common.sh
. "$here/common.sh"

mode=realtime
vmkernel=6.1
vmopts=()
profile=()
while [ $# -gt 0 ]; do
	case $1 in
	-k) vmkernel=$2; shift ;;
	-i) mode=icount; vmopts+=(-i) ;;
	-P) profile=(--profile); vmopts+=(-f "$(command -v perf)") ;;
	*) break ;;
	esac
	shift
done
# Under -icount guest time runs faster than real time: longer trials, for
# the same wall-clock cost, smooth what little jitter is left; guest time
# is 32 ns per instruction (shift=5), so ipcbench prints instructions.
[ $mode = realtime ] || set -- -t 2 -i 32 "$@"
out=$top/build/bench
mkdir -p "$out"
# The regime classifier's host-side unit test: no verdict from a broken one.
"$out/regime-test" >"$out/regime-test.log" || die "regime-test failed; see $out/regime-test.log"
# "make bench" has just rebuilt whatever this tree changed, so this names the
# tree the module and the harness were built from.
source=$(git -C "$top" describe --always --dirty 2>/dev/null || echo unknown)
rm -f "$out/results.csv" "$out/results.json" "$out/results.png"
append="clocksource=tsc tsc=reliable${BENCH_APPEND:+ $BENCH_APPEND}"
qemu=$(qemu-system-x86_64 --version | head -n 1)
log "booting $vmkernel ($mode timing); the tables follow, files go to $out"
set +e
"$here/vm-run.sh" -k "$vmkernel" -n "${vmopts[@]}" -m "$top/build/k-$vmkernel/module/mbox.ko" \
	-l "$top/build/lib/libmbox.so.1" -l "$top/build/lib/libmbox-mq.so.1" \
	-f "$top/build/bench/ipcbench" -f "$top/build/bench/ipcprobe" -o "$out/vm" \
	-a "$append" -t "${MBOX_BENCH_TIMEOUT:-5400}" "$top/bench/vm-bench.sh" \
	"${profile[@]}" -l "source=$source" -l "qemu=$qemu" -l "timing=$mode" \
	-l "tcg=$([ $mode = icount ] && echo single || echo "${MBOX_TCG_THREAD:-multi}")" \
	-l "date=$(date -u +%FT%TZ)" "$@"
rc=$?
set -e
[ $rc -eq 0 ] || die "the benchmark run failed (exit $rc); see $out/vm"
cp "$out/vm/output.log" "$out/output.log"

csv=$out/results.csv
for f in results.csv results.json; do
	[ -f "$out/vm/files/$f" ] || die "ipcbench wrote no $f; see $out/vm"
	cp "$out/vm/files/$f" "$out/$f"
done
kernel=$(grep -a '^BENCH-KERNEL' "$out/output.log" | head -n 1 | cut -d' ' -f2- | tr -d '\r"')

if command -v gnuplot >/dev/null; then
	mechs=$(awk -F, '!/^#/ && $1 != "mechanism" && $1 != "memcpy" && $18 == "" { print $1 }' "$csv" | awk '!seen[$0]++' | tr '\n' ' ')
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
grep -a '^SELFCHECK\|^TARGET' "$out/output.log" | tr -d '\r' || true
