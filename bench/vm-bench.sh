#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the VM (make bench): raise the limits so that every mechanism
# can carry 1 MiB messages in queues of 64, then run ipcbench.
echo 64 > /proc/sys/fs/mqueue/msg_max
echo 2097152 > /proc/sys/fs/mqueue/msgsize_max
echo 2097152 > /proc/sys/kernel/msgmax
echo 268435456 > /proc/sys/kernel/msgmnb
echo 2097152 > /sys/module/mbox/parameters/msg_size_max
echo 1073741824 > /sys/module/mbox/parameters/bytes_per_user
echo "BENCH-KERNEL $(uname -r) $(nproc) vCPUs; cmdline: $(cat /proc/cmdline)"
echo "BENCH-CLOCKSOURCE $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
exec ipcbench "$@"
