#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# make demo: runs inside the VM once mbox.ko is loaded (busybox sh).
set -e
step() { printf '\n=== %s\n' "$*"; }

step "the module is loaded"
grep '^mbox ' /proc/modules
ls -l /dev/mbox

step "mboxctl asks the device which API it speaks"
mboxctl version
