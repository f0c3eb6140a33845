#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make check-kselftest: mbox's tests the kernel's way, for each KERNEL given
# (6.1, 6.12):
#  1. lay the target out in tools/testing/selftests/mbox of a copy of that
#     kernel's linux-source tree (the kselftest framework only; see
#     scripts/kselftest-tree.sh and scripts/kselftest-export.sh);
#  2. build and install it with the kernel's own
#     "make -C tools/testing/selftests TARGETS=mbox" and "... install";
#  3. boot that kernel with our module and run the installed
#     "run_kselftest.sh -c mbox" (coreutils' timeout in the VM: the runner
#     calls "timeout --foreground", which busybox's rejects);
#     make check runs the fuzzer and kill-stress at full length on both
#     kernels already: here they get 10,000 operations and 3 s (override
#     with MBOX_FUZZ_OPS, MBOX_KILL_SECONDS);
#  4. count the TAP results: every test case (each binary's "Totals"), a
#     binary skipped as a whole as one skip, a binary the runner reports
#     "not ok" with no failed case (timeout, crash) as one failure.
# Ends with "N passed, N failed, N skipped" over all kernels.
#
#   scripts/check-kselftest.sh KERNEL...
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
# shellcheck source=scripts/common.sh
. "$here/common.sh"
cd "$top"

# The kernel's make must not inherit ours (variables, -j, MAKELEVEL).
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES

pass=0 fail=0 skip=0
for k in "$@"; do
	start=$(date +%s)
	work=$top/build/kselftest-$k
	tree=$("$here/kselftest-tree.sh" "$k") || { fail=$((fail + 1)); continue; }
	rm -rf "$work"
	mkdir -p "$work"
	cp -a "$tree" "$work/linux"
	sel=$work/linux/tools/testing/selftests
	"$here/kselftest-export.sh" "$sel/mbox"
	log "kernel $k: make -C tools/testing/selftests TARGETS=mbox (log: $work/build.log)"
	if ! { make -j2 -C "$sel" TARGETS=mbox FORCE_TARGETS=1 USERCFLAGS=-Werror &&
		make -C "$sel" TARGETS=mbox FORCE_TARGETS=1 install; } >"$work/build.log" 2>&1; then
		tail -n 40 "$work/build.log"
		echo "FAILED [$k] the kselftest target did not build or install"
		fail=$((fail + 1))
		continue
	fi
	inst=$sel/kselftest_install
	log "kernel $k: $(grep -c '^mbox:' "$inst/kselftest-list.txt") tests installed; running run_kselftest.sh -c mbox in the VM"
	"$here/vm-run.sh" -k "$k" -m "build/k-$k/module/mbox.ko" -d "$inst" -P /usr/bin/timeout \
		-o "$top/build/vm-kselftest-$k" -t "${MBOX_CHECK_TIMEOUT:-2400}" "$here/vm-kselftest.sh" \
		MBOX_FUZZ_OPS="${MBOX_FUZZ_OPS:-10000}" MBOX_KILL_SECONDS="${MBOX_KILL_SECONDS:-3}"
	vm_rc=$?
	line=$(awk -v vm_rc="$vm_rc" -v kernel="$k" '
		# The runner: "ok N selftests: mbox: NAME [# SKIP]" / "not ok ...".
		/^1\.\.[0-9]+$/ { planned = substr($0, 4) + 0; next }
		/^# selftests: mbox: / { name = $4; next }
		/^# # Totals: / {
			for (i = 4; i <= NF; i++) {
				split($i, kv, ":")
				v[kv[1]] = kv[2] + 0
			}
			pass += v["pass"] + v["xfail"]
			f = v["fail"] + v["xpass"] + v["error"]
			fail += f
			skip += v["skip"]
			failed_here[name] = f
			totals[name] = 1
			next
		}
		/^# not ok / { bad[++nbad] = name ": " substr($0, 10); next }
		/^# 1\.\.0 # SKIP/ { print "SKIPPED [" kernel "] " name ": " substr($0, 15) > "/dev/stderr"; next }
		/^(not )?ok [0-9]+ selftests: mbox: / {
			results++
			n = $0; sub(/^(not )?ok [0-9]+ selftests: mbox: /, "", n); sub(/ .*/, "", n)
			if ($1 == "ok" && $0 ~ /# SKIP/ && !totals[n]) {
				skip++
			} else if ($1 == "not" && !failed_here[n]) {
				fail++; bad[++nbad] = n ": " $0
			} else if (!totals[n]) {
				fail++; bad[++nbad] = n ": no TAP totals: " $0
			}
		}
		END {
			if (results < planned || planned == 0) {
				fail++; bad[++nbad] = "runner: " results " of " planned " results"
			}
			if (vm_rc != 0 && fail == 0) {
				fail++; bad[++nbad] = "vm: the run failed (exit " vm_rc "): splat, rmmod or timeout; see above"
			}
			for (i = 1; i <= nbad; i++)
				printf("FAILED [%s] %s\n", kernel, bad[i]) > "/dev/stderr"
			printf("%d %d %d\n", pass, fail, skip)
		}
	' "$top/build/vm-kselftest-$k/output.log" 2>&1 >"$work/counts")
	[ -n "$line" ] && echo "$line"
	read -r p f s <"$work/counts"
	echo "kselftest [$k]: $p passed, $f failed, $s skipped ($(($(date +%s) - start)) s)"
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
done
echo "$pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
