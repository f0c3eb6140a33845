#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Prove the hardening lane catches what it is meant to catch: build the
# module with one deliberately injected bug (scripts/bugs/NAME.patch) against
# the debug kernel, run the part of the lane that should catch it, and check
# that the run fails and the expected detector fired.
#
#   scripts/bug-drill.sh [NAME...]     (default: every scripts/bugs/*.patch)
#
# Needs "make check-debug" (or "make KERNEL=debug selftests") to have built
# the debug kernel and the selftests. Nothing in the source tree changes: each
# drill builds in build/drill/NAME. Ends with "N caught, N missed".
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
# shellcheck source=scripts/common.sh
. "$here/common.sh"

# The tests each drill runs, and what the kernel log or the tests must show.
declare -A tests=(
	[missing-put]="mailbox_test"
	[use-after-free-on-close]="mailbox_test"
	[unchecked-alloc]="failnth_test"
	[unbalanced-lock]="mailbox_test"
)
declare -A expect=(
	[missing-put]="kmemleak: new suspected memory leaks"
	[use-after-free-on-close]="KASAN: (slab-)?use-after-free"
	[unchecked-alloc]="KASAN: null-ptr-deref|BUG: kernel NULL pointer dereference"
	[unbalanced-lock]="lock held when returning to user space"
)

kdir=$("$here/debug-kernel.sh" kdir) || exit 1
bin=$top/build/selftests
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
	for p in "$here"/bugs/*.patch; do
		n=$(basename "$p" .patch)
		names+=("$n")
	done
fi

caught=0 missed=0
for n in "${names[@]}"; do
	patch=$here/bugs/$n.patch
	[ -f "$patch" ] && [ -n "${tests[$n]:-}" ] || die "unknown drill: $n"
	dir=$top/build/drill/$n
	rm -rf "$dir"
	mkdir -p "$dir/uapi/linux"
	cp -r "$top/Kbuild" "$top/module" "$dir/"
	cp "$top/uapi/linux/mbox.h" "$dir/uapi/linux/"
	log "$n: applying $(basename "$patch") and building"
	if ! patch -s -p1 -d "$dir" <"$patch" ||
	   ! make -s -C "$kdir" M="$dir" modules >"$dir/build.log" 2>&1; then
		log "$n: could not build the bugged module; see $dir/build.log"
		missed=$((missed + 1))
		continue
	fi
	files=()
	for t in ${tests[$n]}; do
		files+=(-f "$bin/$t")
	done
	log "$n: running ${tests[$n]} on the debug kernel"
	"$here/vm-run.sh" -q -k debug -m "$dir/module/mbox.ko" -l "$top/build/lib/libmbox.so.1" \
		"${files[@]}" -o "$dir/vm" -t 900 "$here/vm-selftests.sh" ${tests[$n]} \
		>"$dir/run.log" 2>&1
	rc=$?
	hit=$(cat "$dir/vm/console.log" "$dir/vm/output.log" 2>/dev/null |
		grep -Eam 1 "${expect[$n]}" || true)
	if [ "$rc" -ne 0 ] && [ -n "$hit" ]; then
		echo "CAUGHT $n: the run failed (exit $rc); the kernel said: $(echo "$hit" | tr -s ' ' | cut -c1-120)"
		caught=$((caught + 1))
	else
		echo "MISSED $n: exit $rc, no match for '${expect[$n]}'; logs in $dir"
		missed=$((missed + 1))
	fi
done
echo "$caught caught, $missed missed"
[ "$missed" -eq 0 ]
