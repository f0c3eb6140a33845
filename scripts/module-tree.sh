#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Copy what kbuild needs to build mbox.ko out of tree into DEST: Kbuild,
# module/ (Kbuild, sources, the internal header) and uapi/linux/*.h. The one
# copy step behind the VM modules (build/k-KERNEL), "make dkms-src" and
# "make lint" (build/lint-KERNEL).
#
#   scripts/module-tree.sh DEST
set -euo pipefail

[ $# -eq 1 ] || { echo "usage: $0 DEST" >&2; exit 2; }
top=$(cd "$(dirname "$0")/.." && pwd)
dest=$1
mkdir -p "$dest/module" "$dest/uapi/linux"
cd "$top"
cp -p Kbuild "$dest/"
cp -p module/Kbuild module/*.c module/*.h "$dest/module/"
cp -p uapi/linux/*.h "$dest/uapi/linux/"
