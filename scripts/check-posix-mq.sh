#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make check-posix-mq: libmbox-mq against suites nobody here wrote.
#
#   scripts/check-posix-mq.sh KERNEL...      (default: 6.1 6.12)
#
# Also runs libmbox-mq's own regression cases (lib/mq/mq_regress.c, suite
# "mq_regress"), compared the same way.
#
# Builds the kernel's selftests/mqueue and glibc's rt/tst-mqueue* from
# Debian's source packages (scripts/posix-mq-suites.sh), then boots one VM
# per kernel that runs every case twice: on the kernel's mqueue (the
# baseline) and through LD_PRELOAD=libmbox-mq.so (scripts/vm-posix-mq.sh).
# Prints both pass counts side by side per suite, every case the shim fails
# that the kernel passes, and one summary line "N passed, N failed, N
# skipped": a run that passes counts as passed; a shim failure of a case the
# kernel passes is a failure, unless docs/posix-mq.md lists it under "Known
# differences" (then skipped, with its reason); runs the suite skips, and
# cases the kernel itself fails (the baseline's environment), are skipped.
# mq_perf_tests is built but not run (docs/posix-mq.md).
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
# shellcheck source=scripts/common.sh
. "$here/common.sh"

kernels=("$@")
[ ${#kernels[@]} -gt 0 ] || kernels=(6.1 6.12)
build=$top/build
suites=$build/posix-mq
shim=$build/lib/libmbox-mq.so.1
[ -f "$shim" ] || die "$shim is missing: run make lib"
[ -f "$build/lib/mq/mq_regress" ] || die "$build/lib/mq/mq_regress is missing: run make build/lib/mq/mq_regress"
# glibc's pthread_cancel() loads libgcc_s for unwinding (tst-mqueue8).
libgcc=$(readlink -f "$(${CC:-gcc} -print-file-name=libgcc_s.so.1)")
[ -f "$libgcc" ] || die "libgcc_s.so.1 not found"

"$here/posix-mq-suites.sh" "$suites" "${kernels[@]}" || die "building the suites failed"

# Known differences: "- `SUITE CASE`: reason" lines in docs/posix-mq.md.
known=$(sed -n 's/^- `\([^ `]*\) \([^ `]*\)`: \(.*\)$/\1 \2 \3/p' "$top/docs/posix-mq.md")

logs=()
vm_rcs=()
for k in "${kernels[@]}"; do
	ko=$build/k-$k/module/mbox.ko
	[ -f "$ko" ] || die "$ko is missing: run make vm-module KERNEL=$k"
	o=$build/vm-posix-mq-$k
	files=(-f "$suites/$k/mq_open_tests" -f "$build/lib/mq/mq_regress")
	for n in 1 2 3 4 5 6 7 8 9 10; do files+=(-f "$suites/glibc/tst-mqueue$n"); done
	log "kernel $k: both suites on the kernel's mqueue and through libmbox-mq; logs in $o"
	"$here/vm-run.sh" -k "$k" -m "$ko" -l "$shim" -l "$libgcc" "${files[@]}" -P /usr/bin/timeout \
		-o "$o" -t "${MBOX_CHECK_TIMEOUT:-3600}" -q "$here/vm-posix-mq.sh"
	vm_rcs+=($?)
	logs+=("$o/output.log")
done

i=0
for k in "${kernels[@]}"; do
	awk -v kernel="$k" -v vm_rc="${vm_rcs[$i]}" -v known="$known" '
	BEGIN {
		n = split(known, lines, "\n")
		for (j = 1; j <= n; j++) {
			split(lines[j], f, " ")
			reason = lines[j]; sub(/^[^ ]+ [^ ]+ /, "", reason)
			excuse[f[1] " " f[2]] = reason
		}
	}
	/^PMQ-CASE / {
		key = $2 " " $3
		if (!(key in seen)) { seen[key] = 1; order[++nc] = key; suite[key] = $2 }
		res[key, $4] = $5
		if (!($2 in tot)) { sorder[++ns] = $2; tot[$2] = 0 }
	}
	END {
		for (c = 1; c <= nc; c++) {
			key = order[c]; s = suite[key]; tot[s]++
			k = res[key, "kernel"]; m = res[key, "mbox"]
			if (k == "pass") { kp[s]++; pass++ }
			if (m == "pass") { mp[s]++; pass++ }
			if (k == "skip") skip++
			if (m == "skip") skip++
			if (k == "fail") {
				skip++; note[++nn] = "baseline fails (environment): " key
				if (m == "fail") skip++
				continue
			}
			if (k == "pass" && m != "pass" && m != "skip") {
				if (key in excuse) {
					skip++; note[++nn] = "known difference: " key ": " excuse[key]
				} else {
					fail++; bad[++nb] = key (m == "" ? " (no result)" : "")
				}
			}
		}
		printf("posix-mq [%s] %-16s %8s %12s\n", kernel, "suite", "kernel", "libmbox-mq")
		for (j = 1; j <= ns; j++) {
			s = sorder[j]
			printf("posix-mq [%s] %-16s %4d/%-3d %8d/%-3d\n", kernel, s, kp[s], tot[s], mp[s], tot[s])
		}
		for (j = 1; j <= nn; j++)
			printf("NOTE [%s] %s\n", kernel, note[j])
		if (nc == 0) { fail++; bad[++nb] = "vm: no case ran" }
		if (vm_rc != 0) { fail++; bad[++nb] = "vm: the run failed (exit " vm_rc "): splat, rmmod or timeout" }
		for (j = 1; j <= nb; j++)
			printf("FAILED [%s] %s\n", kernel, bad[j])
		printf("TOTALS %d %d %d\n", pass, fail, skip)
	}' "${logs[$i]}"
	i=$((i + 1))
done | awk '
	/^TOTALS / { p += $2; f += $3; s += $4; next }
	{ print }
	END { printf("%d passed, %d failed, %d skipped\n", p, f, s); exit f != 0 }'
