#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the debug VM after rmmod (as /mbox/bin/vm-post.sh): sends the
# module's gcov data (kept after unload, gcov_persist) back over the output
# port, base64-encoded between markers, for scripts/coverage.sh.
dir=$(find /sys/kernel/debug/gcov -type d -path '*/k-debug/module' 2>/dev/null | head -n 1)
[ -n "$dir" ] || { echo "MBOX-GCOV-NONE"; exit 0; }
# debugfs reports a size of 0 for the .gcda files (their data is made when
# read), so tar would copy them empty: read them into real files first.
copy=/tmp/mbox-gcov
mkdir -p $copy
for f in "$dir"/*.gcda; do
	cat "$f" > "$copy/$(basename "$f")"
done
echo "MBOX-GCOV-BEGIN"
(cd $copy && tar -cf - ./*.gcda | gzip | base64)
echo "MBOX-GCOV-END"
