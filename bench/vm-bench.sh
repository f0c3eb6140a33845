#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the VM (make bench): raise the limits so that every mechanism
# can carry 1 MiB messages in queues of 64, then run ipcbench (with
# --profile first: under perf, and print the profile). ipcbench writes
# results.csv and results.json to $MBOX_OUT, which vm-run.sh brings back.
echo 64 > /proc/sys/fs/mqueue/msg_max
echo 2097152 > /proc/sys/fs/mqueue/msgsize_max
echo 2097152 > /proc/sys/kernel/msgmax
echo 268435456 > /proc/sys/kernel/msgmnb
echo 2097152 > /sys/module/mbox/parameters/msg_size_max
echo 1073741824 > /sys/module/mbox/parameters/bytes_per_user
echo "BENCH-KERNEL $(uname -r) $(nproc) vCPUs; cmdline: $(cat /proc/cmdline)"
echo "BENCH-CLOCKSOURCE $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
if [ "${1:-}" != --profile ]; then
	ipcbench -o "$MBOX_OUT" "$@" || exit
	# The posix-mq cells again, through libmbox-mq (docs/posix-mq.md); the
	# self-check's min-posix-mq loop and ipcprobe's posix-mq run with them
	# (ipcbench takes only matrix mechanisms in -m, and the preload reaches
	# ipcprobe too).
	echo "BENCH-SECTION posix-mq through LD_PRELOAD=libmbox-mq.so.1"
	mkdir -p "$MBOX_OUT/libmbox-mq"
	exec env LD_PRELOAD=libmbox-mq.so.1 ipcbench -o "$MBOX_OUT/libmbox-mq" \
		"$@" -m posix-mq -l impl=libmbox-mq
fi
# make bench PROFILE=1: sample every CPU (software cpu-clock: TCG has no
# PMU) while ipcbench runs the cells asked for, then show where the
# benchmark's processes spent their time, kernel and user, by symbol.
shift
echo 0 > /proc/sys/kernel/kptr_restrict
echo -1 > /proc/sys/kernel/perf_event_paranoid
perf record -q -a -e cpu-clock -F 10000 -o /tmp/perf.data -- ipcbench -M -o "$MBOX_OUT" "$@"
echo "BENCH-PROFILE where the ipcbench processes spent their time, by symbol (cpu-clock samples at 10 kHz, % of theirs):"
perf report -i /tmp/perf.data --stdio --comm ipcbench --sort dso,sym --percentage relative \
	--percent-limit 0.5 2>/dev/null | grep -v '^#' | grep -v '^$'
