#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The debug kernel: Debian's linux-source-6.1, "make tinyconfig" plus
# scripts/debug.config (KASAN, lockdep, kmemleak, UBSAN, fault injection,
# gcov, ...), built once and cached in $MBOX_CACHE/debug-kernel/KEY, where
# KEY is the source package's version and the fragment's hash.
#
#   scripts/debug-kernel.sh build [BASE]     build if not cached (prints the tree)
#   scripts/debug-kernel.sh kdir [BASE]      the build tree (for make -C), if built
#   scripts/debug-kernel.sh image [BASE]     its bzImage
#   scripts/debug-kernel.sh release [BASE]   its kernel release
#
# BASE is 6.1 (the default: the debug lane's kernel) or 6.12 (from
# linux-source-6.12; kernel name "debug-6.12" for scripts/kernel.sh,
# vm-run.sh -k and make KERNEL=; not in any lane yet). Each base keeps its
# own cache. A 6.1 build takes about 7 minutes on two cores; the log is
# kept next to it.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/common.sh
. "$here/common.sh"

fragment=$here/debug.config
base=${2:-6.1}
case $base in
6.1 | 6.12) ;;
*) die "unknown debug kernel base '$base' (6.1 or 6.12)" ;;
esac
tarball=/usr/src/linux-source-$base.tar.xz
# What one base needs on top of the fragment (scripts/debug-6.12.config).
fragments=("$fragment")
[ ! -f "$here/debug-$base.config" ] || fragments+=("$here/debug-$base.config")

key() {
	local ver hash
	ver=$(dpkg-query -W -f '${Version}' "linux-source-$base" 2>/dev/null) ||
		die "linux-source-$base is not installed (run scripts/deps.sh)"
	hash=$(cat "${fragments[@]}" | sha256sum | cut -c1-12)
	# The 6.1 key is the fragment's alone, as it always was.
	[ "$base" != 6.1 ] || hash=$(sha256sum "$fragment" | cut -c1-12)
	echo "$base-$ver-$hash"
}

dir=$MBOX_CACHE/debug-kernel/$(key)
tree=$dir/linux-source-$base

build() {
	if [ -f "$dir/.ready" ]; then
		echo "$tree"
		return 0
	fi
	[ -f "$tarball" ] || die "missing $tarball (run scripts/deps.sh)"
	rm -rf "$dir"
	mkdir -p "$dir"
	log "debug kernel: unpacking linux-source-$base into $dir"
	tar -xf "$tarball" -C "$dir"
	local mk=(make -C "$tree" ARCH=x86_64 -j"$(nproc)")
	log "debug kernel: configuring (tinyconfig + scripts/debug.config)"
	"${mk[@]}" tinyconfig >"$dir/build.log" 2>&1
	(cd "$tree" && ARCH=x86_64 scripts/kconfig/merge_config.sh -m .config "${fragments[@]}") \
		>>"$dir/build.log" 2>&1
	"${mk[@]}" olddefconfig >>"$dir/build.log" 2>&1
	# Every option asked for must have survived olddefconfig.
	local missing
	missing=$(grep -E '^CONFIG_[A-Z0-9_]+=y' "$fragment" | while read -r opt; do
		grep -qx "$opt" "$tree/.config" || echo "${opt%=y}"
	done)
	[ -z "$missing" ] || die "debug kernel: options not enabled: $missing"
	log "debug kernel: building $base (log: $dir/build.log)"
	"${mk[@]}" bzImage modules >>"$dir/build.log" 2>&1 ||
		die "debug kernel: build failed; see $dir/build.log"
	touch "$dir/.ready"
	# Older builds of this base (another source version or fragment) are
	# of no more use.
	find "$MBOX_CACHE/debug-kernel" -mindepth 1 -maxdepth 1 -type d \
		-name "$base-*" ! -name "$(basename "$dir")" -exec rm -rf {} +
	log "debug kernel: ready in $tree"
	echo "$tree"
}

ready() {
	[ -f "$dir/.ready" ] || die "the debug kernel is not built (scripts/debug-kernel.sh build)"
}

case ${1:-} in
build) build ;;
kdir) ready; echo "$tree" ;;
image) ready; echo "$tree/arch/x86/boot/bzImage" ;;
release) ready; make -s -C "$tree" ARCH=x86_64 kernelrelease ;;
*) die "usage: $0 build|kdir|image|release" ;;
esac
