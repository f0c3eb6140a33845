#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the outside POSIX message-queue suites that make check-posix-mq runs,
# from Debian's source packages, at test time (nothing of them is kept in
# this repository):
#
#   scripts/posix-mq-suites.sh OUTDIR KERNEL...
#
#   OUTDIR/KERNEL/mq_open_tests, mq_perf_tests
#       tools/testing/selftests/mqueue of linux-source-KERNEL, built as its
#       Makefile says (-O2, -lrt -lpthread -lpopt)
#   OUTDIR/glibc/tst-mqueue1 .. tst-mqueue10
#       rt/tst-mqueue*.c of glibc-source, built against that tree's own
#       support/ harness (test-skeleton.c, support/test-driver.c and the
#       libsupport objects). The stand-in for glibc's build system is only
#       what it would pass on the command line: the *_PATH strings and
#       TIMEOUTFACTOR, two of its internal headers (intprops.h,
#       array_length.h, copied from the same tarball) and an empty config.h.
#       The -time64 variants are the same tests on 64-bit and are not built.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/common.sh
. "$here/common.sh"

[ $# -ge 2 ] || die "usage: $0 OUTDIR KERNEL..."
out=$1
shift
mkdir -p "$out"
cc=${CC:-gcc}

# ---- the kernel's selftests/mqueue, per kernel ----
for k in "$@"; do
	pkg=linux-source-$k
	tarball=/usr/src/$pkg.tar.xz
	[ -f "$tarball" ] || die "$pkg is not installed; run: scripts/deps.sh posix-mq"
	ver=$(dpkg-query -W -f='${Version}' "$pkg")
	src=$MBOX_CACHE/posix-mq/linux-$k-${ver//[^A-Za-z0-9.+-]/_}
	if [ ! -f "$src/.ready" ]; then
		log "unpacking tools/testing/selftests/mqueue of $pkg $ver"
		rm -rf "$MBOX_CACHE/posix-mq/linux-$k-"*
		mkdir -p "$src"
		tar -xJf "$tarball" -C "$src" --strip-components=4 \
			"$pkg/tools/testing/selftests/mqueue" \
			"$pkg/tools/testing/selftests/kselftest.h"
		touch "$src/.ready"
	fi
	mkdir -p "$out/$k"
	for t in mq_open_tests mq_perf_tests; do
		if [ ! -x "$out/$k/$t" ] || [ "$src/.ready" -nt "$out/$k/$t" ]; then
			nice $cc -O2 -w -o "$out/$k/$t" "$src/mqueue/$t.c" -lrt -lpthread -lpopt ||
				die "building $t of $pkg failed"
		fi
	done
done

# ---- glibc's rt/tst-mqueue*, against its support/ harness ----
gtar=$(ls /usr/src/glibc/glibc-*.tar.xz 2>/dev/null | head -n 1)
[ -n "$gtar" ] || die "glibc-source is not installed; run: scripts/deps.sh posix-mq"
gver=$(dpkg-query -W -f='${Version}' glibc-source)
gtop=$(basename "$gtar" .tar.xz)
gsrc=$MBOX_CACHE/posix-mq/glibc-${gver//[^A-Za-z0-9.+-]/_}
if [ ! -f "$gsrc/.ready" ]; then
	log "unpacking rt/tst-mqueue* and support/ of glibc-source $gver"
	rm -rf "$MBOX_CACHE/posix-mq/glibc-"*
	mkdir -p "$gsrc"
	tar -xJf "$gtar" -C "$gsrc" --strip-components=1 --wildcards \
		"$gtop/rt/tst-mqueue*" "$gtop/support/*" "$gtop/test-skeleton.c" \
		"$gtop/include/intprops.h" "$gtop/include/array_length.h"
	touch "$gsrc/.ready"
fi

g=$out/glibc
if [ ! -f "$g/.built" ] || [ "$gsrc/.ready" -nt "$g/.built" ]; then
	log "building glibc's support library and tst-mqueue1..10"
	rm -rf "$g"
	mkdir -p "$g/obj" "$g/inc"
	cp "$gsrc/include/intprops.h" "$gsrc/include/array_length.h" "$g/inc/"
	: >"$g/inc/config.h"
	defs=(-DTIMEOUTFACTOR=1)
	for v in SRCDIR OBJDIR OBJDIR_ELF_LDSO INSTDIR LIBDIR BINDIR SBINDIR SLIBDIR \
		ROOTSBINDIR COMPLOCALEDIR; do
		defs+=("-D${v}_PATH=\"/\"")
	done
	flags=(-std=gnu11 -O1 -w -D_GNU_SOURCE -include limits.h -I"$gsrc" -I"$gsrc/support"
		-I"$g/inc" "${defs[@]}")
	skipped=()
	for f in "$gsrc"/support/*.c; do
		b=$(basename "$f" .c)
		case $b in
		# Tests of the harness itself, container tools and the driver
		# (test-driver.c is #included by each test).
		tst-* | *container* | links-dso-program* | test-driver) continue ;;
		esac
		nice $cc "${flags[@]}" -c -o "$g/obj/$b.o" "$f" 2>/dev/null || skipped+=("$b")
	done
	[ ${#skipped[@]} -eq 0 ] ||
		log "support/ objects that need glibc's build tree (not needed here): ${skipped[*]}"
	ar rcs "$g/libsupport.a" "$g"/obj/*.o
	for n in 1 2 3 4 5 6 7 8 9 10; do
		nice $cc "${flags[@]}" -o "$g/tst-mqueue$n" "$gsrc/rt/tst-mqueue$n.c" \
			"$g/libsupport.a" -lrt -lpthread ||
			die "building glibc's tst-mqueue$n failed"
	done
	touch "$g/.built"
fi
