#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Lay out mbox's kselftest target in a kernel tree, self-contained:
#
#   scripts/kselftest-export.sh LINUX/tools/testing/selftests/mbox
#
# DEST gets selftests/'s Makefile, config, settings, .gitignore, the tests
# and mbox_test.h, plus what the target builds itself (see selftests/Makefile):
# uapi/linux/mbox.h, lib/ (libmbox), tools/mboxctl/, examples/ and bench/, at
# the same paths as in mbox's tree. Then,
# in the kernel tree:
#
#   make -C tools/testing/selftests TARGETS=mbox install
#   tools/testing/selftests/kselftest_install/run_kselftest.sh -c mbox
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
[ $# -eq 1 ] || { echo "usage: $0 DEST (a kernel tree's tools/testing/selftests/mbox)" >&2; exit 2; }
dest=$1

rm -rf "$dest"
mkdir -p "$dest"/{uapi/linux,lib,tools/mboxctl,examples,bench/probe}
cd "$top"
cp -p selftests/Makefile selftests/config selftests/settings selftests/.gitignore \
	selftests/*_test.c selftests/mbox_test.h "$dest/"
cp -p uapi/linux/mbox.h "$dest/uapi/linux/"
cp -p lib/*.c lib/*.h "$dest/lib/"
cp -p tools/mboxctl/*.c tools/mboxctl/*.h "$dest/tools/mboxctl/"
cp -p examples/*.c "$dest/examples/"
cp -p bench/*.c bench/*.h "$dest/bench/"
cp -p bench/probe/*.c "$dest/bench/probe/"
