#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Debian kernels for building and booting mbox, kept in $MBOX_CACHE/kernels.
#
#   scripts/kernel.sh fetch KERNEL     download + unpack if not cached (quiet
#                                      when cached)
#   scripts/kernel.sh kdir KERNEL      print the headers dir (for make -C)
#   scripts/kernel.sh image KERNEL     print the bzImage path
#   scripts/kernel.sh release KERNEL   print the kernel release (uname -r)
#
# KERNEL is 6.1 (Debian 12's stock kernel, via linux-headers-amd64) or 6.12
# (the newest 6.12 Debian 12 ships), or 6.12-rt for its PREEMPT_RT flavour,
# or "debug" for the debug kernel scripts/debug-kernel.sh builds ("debug-6.12":
# the same from linux-source-6.12, outside the lanes).
# Headers, their -common and kbuild packages and the unsigned image are
# fetched with "apt-get download" and unpacked with dpkg-deb: nothing is
# installed on the host and /boot is never touched.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/common.sh
. "$here/common.sh"

[ $# -eq 2 ] || die "usage: $0 fetch|kdir|image|release KERNEL"
verb=$1
kernel=$2
top=$MBOX_CACHE/kernels
link=$top/$kernel

headers_package() {
	case $kernel in
	6.1)
		apt-cache depends linux-headers-amd64 2>/dev/null |
			awk '/Depends: linux-headers-6\.1\.[0-9]+-[0-9]+-amd64$/ { print $2; exit }'
		;;
	6.12 | 6.12-rt)
		local flavour=amd64
		[ "$kernel" = 6.12-rt ] && flavour=rt-amd64
		apt-cache pkgnames linux-headers-6.12. 2>/dev/null |
			grep -E "^linux-headers-6\.12\.[0-9]+\+deb12-$flavour\$" |
			sort -V | tail -n 1
		;;
	*)
		die "unsupported kernel '$kernel' (supported: 6.1, 6.12, 6.12-rt)"
		;;
	esac
}

fetch() {
	[ -f "$link/.ready" ] && return 0
	local hdr
	hdr=$(headers_package)
	if [ -z "$hdr" ]; then
		as_root apt-get update -q >"$MBOX_CACHE/apt-update.log" 2>&1 ||
			die "apt-get update failed; see $MBOX_CACHE/apt-update.log"
		hdr=$(headers_package)
	fi
	[ -n "$hdr" ] || die "no Debian headers package found for kernel $kernel"
	local rel=${hdr#linux-headers-}
	local dir=$top/$rel
	if [ ! -f "$dir/.ready" ]; then
		log "fetching Debian kernel $rel (headers and image) into $dir"
		local deps
		deps=$(apt-cache depends "$hdr" |
			awk '/Depends: linux-(headers-.*-common(-rt)?|kbuild-.*)$/ { print $2 }')
		local dl
		dl=$(mktemp -d)
		chmod 755 "$dl"
		# shellcheck disable=SC2086
		(cd "$dl" && apt-get download -q "$hdr" $deps "linux-image-$rel-unsigned" \
			>"$dl/download.log" 2>&1) || {
			cat "$dl/download.log" >&2
			die "apt-get download failed for kernel $rel"
		}
		rm -rf "$dir"
		mkdir -p "$dir"
		local deb
		for deb in "$dl"/linux-headers-*.deb "$dl"/linux-kbuild-*.deb; do
			dpkg-deb -x "$deb" "$dir"
		done
		dpkg-deb --fsys-tarfile "$dl"/linux-image-*.deb |
			tar -x -C "$dir" "./boot/vmlinuz-$rel" "./boot/config-$rel"
		# The headers' Makefile includes the -common tree by absolute path.
		sed -i "s|include /usr/src/|include $dir/usr/src/|" \
			"$dir/usr/src/linux-headers-$rel/Makefile"
		echo "$rel" >"$dir/release"
		rm -rf "$dl"
		touch "$dir/.ready"
	fi
	ln -sfn "$rel" "$link"
}

need() {
	[ -f "$link/.ready" ] || die "kernel $kernel is not in $MBOX_CACHE/kernels; run: make deps KERNEL=$kernel (or scripts/deps.sh $kernel)"
	cat "$link/release"
}

# The debug kernels are built from source, not fetched: see debug-kernel.sh.
case $kernel in
debug | debug-6.12)
	base=6.1
	[ "$kernel" = debug ] || base=${kernel#debug-}
	case $verb in
	fetch) exec "$here/debug-kernel.sh" build "$base" >/dev/null ;;
	*) exec "$here/debug-kernel.sh" "$verb" "$base" ;;
	esac
	;;
esac

case $verb in
fetch) fetch ;;
release) need ;;
# "rel=$(need)" and not "echo ...$(need)": a failure inside echo's argument
# would not stop the script.
kdir) rel=$(need) && echo "$link/usr/src/linux-headers-$rel" ;;
image) rel=$(need) && echo "$link/boot/vmlinuz-$rel" ;;
*) die "unknown verb '$verb'" ;;
esac
