#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make lint: checkpatch.pl --strict and kernel-doc over module/ and uapi/,
# then for each kernel a W=1 build with -Werror and sparse (C=2), whose
# objects must show no cycle of calls between files (scripts/layers.sh).
# Any finding fails.
#
#   scripts/lint.sh KERNEL...
#   scripts/lint.sh --checkpatch-only      (make checkpatch)
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/common.sh
. "$here/common.sh"
cd "$here/.."

only_checkpatch=0
if [ "${1:-}" = --checkpatch-only ]; then
	only_checkpatch=1
	shift
fi

status=0
checkpatch=$MBOX_CACHE/linux-6.1-tools/scripts/checkpatch.pl
[ -f "$checkpatch" ] || die "missing $checkpatch (from linux-source-6.1): run make deps"
out=$(perl "$checkpatch" --strict --no-tree --quiet --show-types \
	-f module/*.c module/*.h uapi/linux/*.h 2>&1)
if [ -n "$out" ]; then
	printf '%s\n' "$out"
	log "checkpatch --strict: findings above"
	status=1
else
	log "checkpatch --strict: clean"
fi
[ $only_checkpatch -eq 0 ] || exit $status

kerneldoc=$MBOX_CACHE/linux-6.1-tools/scripts/kernel-doc
out=$(perl "$kerneldoc" -none module/*.c module/*.h uapi/linux/*.h 2>&1)
if [ -n "$out" ]; then
	printf '%s\n' "$out"
	log "kernel-doc: findings above"
	status=1
else
	log "kernel-doc: clean"
fi

# The public headers must compile on their own, in strict C and in C++.
hdr_status=0
for hdr in linux/mbox.h mbox.h; do
	for lang in "c -std=c11" "c++ -std=c++11"; do
		# shellcheck disable=SC2086 # $lang is "language standard"
		if ! echo "#include <$hdr>" | gcc -x $lang -fsyntax-only -Wall -Wextra \
			-Werror -pedantic -Iuapi -Ilib - ; then
			log "<$hdr> is not self-contained (${lang%% *})"
			hdr_status=1
		fi
	done
done
[ $hdr_status -eq 0 ] && log "public headers: self-contained in C11 and C++11"
[ $hdr_status -eq 0 ] || status=1

for k in "$@"; do
	dir=build/lint-$k
	rm -rf "$dir"
	"$here/module-tree.sh" "$dir"
	kdir=$("$here/kernel.sh" kdir "$k") || exit 1
	out=$(make -s -C "$kdir" M="$PWD/$dir" W=1 C=2 KCFLAGS=-Werror modules 2>&1)
	rc=$?
	# Anything but the informational BTF note is a finding.
	findings=$(printf '%s\n' "$out" | grep -v -e '^Skipping BTF generation' -e '^$' || true)
	if [ $rc -ne 0 ] || [ -n "$findings" ]; then
		printf '%s\n' "$findings"
		log "kernel $k: W=1 / sparse (C=2) findings above"
		status=1
	else
		log "kernel $k: W=1 and sparse (C=2) clean"
	fi
	if "$here/layers.sh" "$dir/module"; then
		log "kernel $k: no cycle of calls between module files"
	else
		status=1
	fi
done
exit $status
