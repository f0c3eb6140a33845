#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Fetch the e1000 NIC driver of a cached Debian kernel, for VMs with
# networking (scripts/vm-run.sh -N; make check-bridge, make demo-bridge).
#
#   scripts/nic-module.sh KERNEL      (6.1, 6.12, 6.12-rt)
#
# The kernel's image package is downloaded with "apt-get download" and only
# e1000.ko is unpacked, to $MBOX_CACHE/kernels/RELEASE/nic/e1000.ko (Debian's
# e1000 has no module dependencies). Idempotent and quiet when done.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/common.sh
. "$here/common.sh"

[ $# -eq 1 ] || die "usage: $0 KERNEL"
rel=$("$here/kernel.sh" release "$1")
dir=$MBOX_CACHE/kernels/$rel/nic
[ -f "$dir/e1000.ko" ] && exit 0
log "fetching the e1000 NIC module of $rel into $dir"
dl=$(mktemp -d)
chmod 755 "$dl"
trap 'rm -rf "$dl"' EXIT
(cd "$dl" && apt-get download -q "linux-image-$rel-unsigned" >"$dl/download.log" 2>&1) || {
	cat "$dl/download.log" >&2
	die "apt-get download linux-image-$rel-unsigned failed"
}
mkdir -p "$dl/x" "$dir"
dpkg-deb --fsys-tarfile "$dl"/linux-image-*.deb |
	tar -x -C "$dl/x" --wildcards "./lib/modules/$rel/kernel/drivers/net/ethernet/intel/e1000/e1000.ko*"
ko=$(find "$dl/x" -name 'e1000.ko*' | head -n 1)
[ -n "$ko" ] || die "no e1000.ko in linux-image-$rel-unsigned"
case $ko in
*.xz) xz -dc "$ko" >"$dir/e1000.ko.tmp" ;;
*.zst) zstd -dqc "$ko" >"$dir/e1000.ko.tmp" ;;
*) cp "$ko" "$dir/e1000.ko.tmp" ;;
esac
mv "$dir/e1000.ko.tmp" "$dir/e1000.ko"
