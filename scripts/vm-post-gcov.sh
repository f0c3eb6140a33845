#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the debug VM after rmmod (as /mbox/bin/vm-post.sh): sends the
# module's gcov data (kept after unload, gcov_persist) back over the output
# port, base64-encoded between markers, for scripts/coverage.sh.
dir=$(find /sys/kernel/debug/gcov -type d -path '*/k-debug/module' 2>/dev/null | head -n 1)
[ -n "$dir" ] || { echo "MBOX-GCOV-NONE"; exit 0; }
echo "MBOX-GCOV-BEGIN"
(cd "$dir" && tar -cf - ./*.gcda | gzip | base64)
echo "MBOX-GCOV-END"
