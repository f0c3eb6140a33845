#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The part of a Debian linux-source tree that building, installing and running
# a kselftest target needs, unpacked once into $MBOX_CACHE/kselftest/:
#
#   scripts/kselftest-tree.sh KERNEL     (6.1 or 6.12) prints the tree's top
#
# That is tools/testing/selftests' own Makefile, lib.mk, harness headers,
# runner scripts and kselftest/ helpers, plus the few kbuild files they
# include (scripts/subarch.include, tools/scripts/, tools/include/); not the
# other targets, not the kernel sources. Needs the linux-source-KERNEL package
# (scripts/deps.sh kselftest installs it): this script installs nothing.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/common.sh
. "$here/common.sh"

[ $# -eq 1 ] || die "usage: $0 KERNEL (6.1 or 6.12)"
k=$1
case $k in 6.1 | 6.12) ;; *) die "no kselftest tree for kernel '$k' (6.1 or 6.12)" ;; esac
pkg=linux-source-$k
tarball=/usr/src/$pkg.tar.xz
ver=$(dpkg-query -W -f='${Version}' "$pkg" 2>/dev/null || true)
ver=${ver//[^A-Za-z0-9.+-]/_}	# a tilde in a path upsets make
[ -n "$ver" ] && [ -f "$tarball" ] ||
	die "$pkg is not installed; run: scripts/deps.sh kselftest (make check-kselftest does)"
dir=$MBOX_CACHE/kselftest/$k-$ver
if [ ! -f "$dir/.ready" ]; then
	log "unpacking the kselftest framework of $pkg $ver into $dir"
	rm -rf "$MBOX_CACHE/kselftest/$k-"*
	mkdir -p "$dir"
	s=$pkg/tools/testing/selftests
	tar -xJf "$tarball" -C "$dir" --strip-components=1 --wildcards --no-wildcards-match-slash \
		"$s/Makefile" "$s/lib.mk" "$s/*.h" "$s/*.sh" "$s/kselftest/*" \
		"$pkg/scripts/subarch.include" "$pkg/tools/scripts/*" "$pkg/tools/include/*"
	touch "$dir/.ready"
fi
echo "$dir"
