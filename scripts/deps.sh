#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Install what building and testing mbox need, idempotently. Quiet when
# nothing is missing.
#
#   scripts/deps.sh [KERNEL|GROUP...]     (default: 6.1 6.12)
#
# KERNEL: 6.1, 6.12, 6.12-rt or debug (fetched or built into $MBOX_CACHE).
# GROUP: what one lane needs besides: install (make check-install), bench,
# kselftest (make check-kselftest: linux-source-6.12, rsync, both trees'
# kselftest framework unpacked), asan (make check-asan: sanitizer runtimes),
# posix-mq (make check-posix-mq: glibc-source, linux-source-6.12, popt).
#
# Host packages come from apt-get. Kernel headers and images are NOT installed
# on the host: scripts/kernel.sh downloads them with "apt-get download" and
# unpacks them with dpkg-deb into $MBOX_CACHE (no initramfs-tools run, nothing
# under /boot touched). The kselftest harness and checkpatch.pl are extracted
# from Debian's linux-source-6.1 tarball into $MBOX_CACHE as well.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/common.sh
. "$here/common.sh"

kernels=("$@")
[ ${#kernels[@]} -gt 0 ] || kernels=(6.1 6.12)

packages=(
	build-essential		# gcc, make, libc headers for libmbox and the tests
	qemu-system-x86		# the test VM
	busybox-static		# the VM's userland
	cpio			# initramfs
	linux-source-6.1	# kselftest_harness.h, checkpatch.pl, debug kernel
	sparse			# make lint (C=2)
	dwarves			# pahole, wanted by the 6.12 kbuild
	libelf1 zlib1g libssl3	# kbuild's host programs
	kmod			# modinfo
	xz-utils		# unpacking linux-source
	gawk			# summaries
	liburing-dev		# io_uring tests, example and bench (linked statically)
)
# Building the debug kernel from source needs more; so does checking the
# installation (make check-install: pkg-config, man page lint, DKMS).
for k in "${kernels[@]}"; do
	case $k in
	debug) packages+=(flex bison bc libelf-dev libssl-dev) ;;
	install) packages+=(pkgconf mandoc man-db dkms) ;;
	bench) packages+=(gnuplot-nox linux-perf) ;;
	bridge) packages+=(librabbitmq-dev rabbitmq-server socat) ;;
	# make check-kselftest: the 6.12 source tree (6.1's is above) and rsync
	# for the kernel's "make install"; coreutils' timeout for the VM.
	kselftest) packages+=(linux-source-6.12 rsync coreutils) ;;
	# make check-asan: gcc's AddressSanitizer and UBSan runtimes.
	asan) packages+=(libasan8 libubsan1) ;;
	# make check-posix-mq: the outside suites' sources (glibc's rt/ tests
	# and support/, the kernel's selftests/mqueue), popt for mq_perf_tests,
	# coreutils' timeout for the VM.
	posix-mq) packages+=(glibc-source linux-source-6.12 libpopt-dev coreutils) ;;
	esac
done

pkgs=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
		pkgs+=("$p")
	fi
done

if [ ${#pkgs[@]} -gt 0 ]; then
	log "installing: ${pkgs[*]}"
	as_root apt-get update -q >"$MBOX_CACHE/apt-update.log" 2>&1 ||
		die "apt-get update failed; see $MBOX_CACHE/apt-update.log"
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends "${pkgs[@]}" >"$MBOX_CACHE/apt-install.log" 2>&1 ||
		die "apt-get install failed; see $MBOX_CACHE/apt-install.log"
fi

# kselftest harness, checkpatch and kernel-doc from linux-source-6.1.
tools_dir=$MBOX_CACHE/linux-6.1-tools
if [ ! -f "$tools_dir/.ready" ] || [ ! -f "$tools_dir/scripts/kernel-doc" ]; then
	tarball=$(ls /usr/src/linux-source-6.1.tar.xz 2>/dev/null || true)
	[ -n "$tarball" ] || die "linux-source-6.1 is installed but its tarball is missing"
	log "extracting kselftest harness and checkpatch from $tarball"
	rm -rf "$tools_dir"
	mkdir -p "$tools_dir"
	tar -xJf "$tarball" -C "$tools_dir" --strip-components=1 \
		linux-source-6.1/tools/testing/selftests/kselftest.h \
		linux-source-6.1/tools/testing/selftests/kselftest_harness.h \
		linux-source-6.1/scripts/checkpatch.pl \
		linux-source-6.1/scripts/kernel-doc \
		linux-source-6.1/scripts/spelling.txt \
		linux-source-6.1/scripts/const_structs.checkpatch
	touch "$tools_dir/.ready"
fi

for k in "${kernels[@]}"; do
	case $k in
	install | bench | asan | posix-mq) ;;
	# Two VMs on the stock kernel, with a NIC (make check-bridge).
	bridge) "$here/kernel.sh" fetch 6.1 && "$here/nic-module.sh" 6.1 ;;
	# The kselftest framework of both source trees, unpacked once.
	kselftest) for t in 6.1 6.12; do "$here/kselftest-tree.sh" "$t" >/dev/null; done ;;
	*) "$here/kernel.sh" fetch "$k" ;;
	esac
done
