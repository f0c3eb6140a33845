#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the VM (scripts/icount-profile.sh): the limits vm-bench.sh
# sets, one ipcbench cell, then the kernel's text symbols for the host to
# attribute the plugin's counts with (the host can not read the guest's
# module addresses otherwise).
echo 64 > /proc/sys/fs/mqueue/msg_max
echo 2097152 > /proc/sys/fs/mqueue/msgsize_max
echo 2097152 > /sys/module/mbox/parameters/msg_size_max
echo 1073741824 > /sys/module/mbox/parameters/bytes_per_user
echo 0 > /proc/sys/kernel/kptr_restrict
ipcbench -M -C -q -r 1 "$@" > "$MBOX_OUT/ipcbench.log" 2>&1 || exit
# A cell that failed (the watchdog killed it) counted something else.
if grep -E ': failed$|no progress, killed' "$MBOX_OUT/ipcbench.log"; then
	echo "vm-profile.sh: the cell failed; see ipcbench.log" >&2
	exit 1
fi
grep ' [tT] ' /proc/kallsyms > "$MBOX_OUT/kallsyms"
