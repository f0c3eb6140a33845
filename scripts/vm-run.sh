#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot a Debian kernel in QEMU with mbox.ko, run a script, bring its status back.
#
#   scripts/vm-run.sh [options] SCRIPT [ARG...]
#
#   -k KERNEL    6.1 (default), 6.12, 6.12-rt
#   -m MODULE    the mbox.ko built for KERNEL (required)
#   -f PATH      a file to put in the VM's /mbox/bin (repeatable); its shared
#                libraries (found with ldd, LD_LIBRARY_PATH honoured) come too
#   -l PATH      a shared library to put in the VM's /usr/lib (repeatable)
#   -d DIR       a directory tree to put in the VM's /mbox/ (as /mbox/NAME),
#                with the shared libraries of the programs in it (repeatable)
#   -P PATH      a host program to put at the same path in the VM, with its
#                libraries; it takes the place of busybox's applet of that
#                name (e.g. -P /usr/bin/timeout for coreutils' timeout)
#   -t SECONDS   wall-clock limit for the whole VM (default 900)
#   -o DIR       where to keep console.log and output.log (default: a temp dir);
#                files the script leaves in $MBOX_OUT (/mbox/out in the VM)
#                come back in DIR/files/ (a tar over a third serial port)
#   -a ARGS      extra kernel command line
#   -n           no memory-debugging boot options (for benchmarks)
#   -i           deterministic timing: one vCPU under QEMU -icount shift=5
#                (guest time is 32 ns per instruction executed)
#   -q           do not stream the script's output to stdout
#   -Q PLUGIN    load a QEMU TCG plugin ("path.so[,arg=value...]"; see
#                scripts/icount-profile.sh)
#   -N PORT      networking (repeatable): an e1000 NIC on QEMU user networking
#                with restrict=on; the guest's eth0 is 10.0.2.15 and reaches the
#                host's 127.0.0.1:PORT at 10.0.2.100:PORT (guestfwd through
#                socat), and nothing else. Needs the NIC module that
#                "scripts/deps.sh bridge" fetches.
#
# Inside the VM: busybox as userland, /proc, /sys, /dev, debugfs, tracefs,
# /dev/mqueue and /dev/shm mounted; "insmod mbox.ko", then SCRIPT runs from
# /tmp with /mbox/bin on PATH, MBOX_KO=/mbox/mbox.ko and MBOX_OUT=/mbox/out,
# then "rmmod mbox".
# The script's output goes over a second serial port (output.log), kept
# apart from the kernel console (console.log) so printk never splits it.
#
# Exit status: the script's, or 1 when it passed but rmmod failed, the
# kernel log shows a splat (WARNING, BUG, Oops, lockdep, KASAN, UBSAN,
# refcount_t, panic), the VM did not finish in time, or never reported.
# KVM is used when /dev/kvm boots a guest (probed once, cached; MBOX_KVM=no
# forces TCG), TCG otherwise (multi-threaded; MBOX_TCG_THREAD=single runs
# both vCPUs on one host thread).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/common.sh
. "$here/common.sh"

kernel=6.1
module=
timeout=900
outdir=
append=
quiet=0
nodebug=0
icount=0
fwd_ports=()
plugin=()
files=()
libs=()
dirs=()
places=()
while getopts "k:m:f:l:d:P:t:o:a:niqQ:N:" opt; do
	case $opt in
	k) kernel=$OPTARG ;;
	m) module=$OPTARG ;;
	f) files+=("$OPTARG") ;;
	l) libs+=("$OPTARG") ;;
	d) dirs+=("$OPTARG") ;;
	P) places+=("$OPTARG") ;;
	t) timeout=$OPTARG ;;
	o) outdir=$OPTARG ;;
	a) append=$OPTARG ;;
	n) nodebug=1 ;;
	i) icount=1 ;;
	q) quiet=1 ;;
	Q) plugin=(-plugin "$OPTARG") ;;
	N) fwd_ports+=("$OPTARG") ;;
	*) die "bad option; see the header of $0" ;;
	esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || die "no script given"
script=$1
shift
[ -f "$script" ] || die "no such script: $script"
[ -f "$module" ] || die "no module given (-m), or it does not exist: '$module'"

image=$("$here/kernel.sh" image "$kernel")
[ -n "$outdir" ] || outdir=$(mktemp -d)
mkdir -p "$outdir"
console=$outdir/console.log
output=$outdir/output.log
files_tar=$outdir/files.tar
rm -rf "$console" "$output" "$files_tar" "$outdir/files"

root=$(mktemp -d)
chmod 755 "$root"	# the VM's /: mktemp makes it 0700, which would lock out non-root tests
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,usr/lib,proc,sys,dev,tmp,run,mbox/bin}
cp /bin/busybox "$root/bin/busybox"
cp "$module" "$root/mbox/mbox.ko"
cp "$script" "$root/mbox/run.sh"
printf '%q ' "$@" >"$root/mbox/args"

# Shared objects a program needs, at the same paths as on the host.
copy_libs() {
	local f=$1 lib
	if ldd "$f" >/dev/null 2>&1; then
		for lib in $(ldd "$f" | awk '/=> \// { print $3 } /^\t\/.*ld-linux/ { print $1 }'); do
			[ -e "$root$lib" ] && continue
			mkdir -p "$root$(dirname "$lib")"
			cp -L "$lib" "$root$lib"
		done
	fi
}
copy_with_libs() {
	cp -L "$1" "$2"
	copy_libs "$1"
}
for f in ${files[@]+"${files[@]}"}; do
	copy_with_libs "$f" "$root/mbox/bin/"
done
for f in ${libs[@]+"${libs[@]}"}; do
	copy_with_libs "$f" "$root/usr/lib/"
done
for d in ${dirs[@]+"${dirs[@]}"}; do
	cp -a "$d" "$root/mbox/"
	while IFS= read -r f; do
		copy_libs "$f"
	done < <(find "$d" -type f -perm -u+x)
done
for f in ${places[@]+"${places[@]}"}; do
	mkdir -p "$root$(dirname "$f")"
	copy_with_libs "$f" "$root$f"
done

net=()
if [ ${#fwd_ports[@]} -gt 0 ]; then
	nic=$MBOX_CACHE/kernels/$("$here/kernel.sh" release "$kernel")/nic/e1000.ko
	[ -f "$nic" ] || die "no NIC module $nic; run scripts/deps.sh bridge"
	cp "$nic" "$root/mbox/e1000.ko"
	netdev=user,id=n0,restrict=on
	for p in "${fwd_ports[@]}"; do
		netdev+=",guestfwd=tcp:10.0.2.100:$p-cmd:socat -lf/dev/null - TCP:127.0.0.1:$p"
	done
	net=(-netdev "$netdev" -device e1000,netdev=n0)
fi

cat >"$root/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s
export PATH=/mbox/bin:/bin:/sbin:/usr/bin:/usr/sbin
export MBOX_KO=/mbox/mbox.ko MBOX_OUT=/mbox/out HOME=/tmp
mkdir -p $MBOX_OUT
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
# What udev would add: kselftest's runner writes to /dev/stdout.
ln -sf /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr
mkdir -p /dev/shm /dev/mqueue /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs tmpfs /tmp
mount -t mqueue mqueue /dev/mqueue 2>/dev/null
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
# Loopback, for the benchmark's TCP peer.
ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up 2>/dev/null
# vm-run.sh -N: user networking through an e1000 NIC.
if [ -f /mbox/e1000.ko ] && insmod /mbox/e1000.ko; then
	ip link set eth0 up && ip addr add 10.0.2.15/24 dev eth0 &&
		ip route add default via 10.0.2.2 ||
		echo "mbox-vm: could not configure eth0" > /dev/console
fi
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
echo 1 > /proc/sys/kernel/printk_devkmsg 2>/dev/null
stty -F /dev/ttyS1 raw -echo 2>/dev/null
stty -F /dev/ttyS2 raw -echo 2>/dev/null
echo "mbox-vm: kernel $(uname -r), $(nproc) cpus" > /dev/console
rc=200
rm_rc=-
kml=/sys/kernel/debug/kmemleak
# A debug kernel: forget what boot left (ACPI's early caches, say), so a
# leak reported later is ours. A scan reports only objects older than 5 s
# that were also unchanged since the scan before, and "clear" forgets only
# what has been reported: let boot age, scan twice, clear.
if [ -w $kml ]; then
	while [ "$(cut -d. -f1 /proc/uptime)" -lt 6 ]; do sleep 1; done
	echo scan > $kml
	echo scan > $kml
	echo clear > $kml
fi
if insmod /mbox/mbox.ko; then
	(cd /tmp && eval "sh /mbox/run.sh $(cat /mbox/args)") </dev/null >/dev/ttyS1 2>&1
	rc=$?
	if rmmod mbox; then rm_rc=0; else rm_rc=1; fi
	if [ -e /dev/mbox ]; then echo "mbox-vm: /dev/mbox still exists after rmmod" > /dev/console; rm_rc=1; fi
fi
if [ -w $kml ] && [ "$rm_rc" = 0 ]; then
	# Objects younger than 5 s are never reported: wait, scan twice.
	sleep 6; echo scan > $kml; echo scan > $kml
	# debugfs files have a size of 0 whatever they hold: read, then test.
	# Objects the boot task allocated (comm "swapper/N": ACPI's early
	# caches, say) can turn up at any scan, cleared or not; they are not
	# ours (the module allocates only in process context), so they are
	# left out. Backtraces can not name the module: it is gone by now.
	head -c 262144 $kml > /tmp/kmemleak.all
	awk 'function flush() { if (e != "" && e !~ /comm "swapper\//) printf "%s", e; e = "" }
	     /^unreferenced object/ { flush() }
	     { e = e $0 "\n" }
	     END { flush() }' /tmp/kmemleak.all | head -c 8000 > /tmp/kmemleak.txt
	if [ -s /tmp/kmemleak.txt ]; then
		echo "kmemleak: new suspected memory leaks:" > /dev/console
		cat /tmp/kmemleak.txt > /dev/console
	else
		echo "mbox-vm: kmemleak: nothing leaked" > /dev/console
	fi
fi
[ -x /mbox/bin/vm-post.sh ] && sh /mbox/bin/vm-post.sh >/dev/ttyS1 2>&1
# Files the script left in $MBOX_OUT: a tar over the third serial port
# (raw: no byte is translated; closing the port waits for it to drain).
if [ -n "$(ls -A $MBOX_OUT)" ]; then
	tar -C $MBOX_OUT -cf - . > /dev/ttyS2
	echo "mbox-vm: sent $(ls $MBOX_OUT | wc -l) file(s) from $MBOX_OUT" > /dev/console
fi
echo "MBOX-VM-RESULT rc=$rc rmmod=$rm_rc" > /dev/console
# reboot=t on the command line and -no-reboot: QEMU exits, with or without ACPI.
reboot -f
EOF
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet) >"$outdir/initramfs.cpio"

# KVM when /dev/kvm is there and really boots a kernel: some hosts (nested
# virtualisation) expose a /dev/kvm on which guests hang. The verdict is
# probed once per host kernel and QEMU version and cached.
kvm_works() {
	[ "${MBOX_KVM:-auto}" != no ] || return 1
	[ -r /dev/kvm ] && [ -w /dev/kvm ] || return 1
	local key
	key=$(uname -r)-$(qemu-system-x86_64 --version | head -n 1 | tr -cd '0-9.')
	local verdict=$MBOX_CACHE/kvm-probe-$key
	if [ ! -f "$verdict" ]; then
		local probe
		probe=$(mktemp)
		timeout 20 qemu-system-x86_64 -accel kvm -cpu host -m 256 -nodefaults \
			-nographic -no-reboot -kernel "$image" -serial "file:$probe" \
			-append "console=ttyS0 panic=-1" -monitor none </dev/null >/dev/null 2>&1
		if grep -q 'Kernel panic' "$probe"; then echo yes; else echo no; fi >"$verdict"
		rm -f "$probe"
		log "KVM probe: $(cat "$verdict") (cached in $verdict)"
	fi
	[ "$(cat "$verdict")" = yes ]
}
# MBOX_TCG_THREAD=single: both vCPUs on one host thread, round-robin.
accel=(-accel "tcg,thread=${MBOX_TCG_THREAD:-multi}" -cpu max)
smp=2
if [ $icount -eq 1 ]; then
	# One vCPU: with two, QEMU 7.2 hangs the 6.1 kernel's SMP bring-up
	# ("Booting SMP configuration") under any fixed shift, and shift=auto
	# (re-tuned to real time every second) is not deterministic. With one
	# vCPU and a fixed shift, guest time is 32 ns per instruction executed.
	accel=(-accel tcg,thread=single -cpu max -icount shift=5,sleep=off)
	smp=1
elif kvm_works; then
	accel=(-accel kvm -cpu host)
fi

cmdline="console=ttyS0 panic=-1 oops=panic panic_on_warn=1 softlockup_panic=1 reboot=t"
[ $nodebug -eq 1 ] || cmdline+=" slub_debug=FZPU page_poison=1 init_on_free=1"
cmdline+=" mitigations=off"
cmdline+=" 8250.nr_uarts=3 $append"

touch "$output"
set +e
timeout --foreground -k 10 "$timeout" qemu-system-x86_64 \
	"${accel[@]}" ${plugin[@]+"${plugin[@]}"} -smp $smp -m 1536 -nodefaults -nographic -no-reboot \
	-kernel "$image" -initrd "$outdir/initramfs.cpio" -append "$cmdline" \
	${net[@]+"${net[@]}"} \
	-serial "file:$console" -serial "file:$output" -serial "file:$files_tar" \
	-monitor none </dev/null >"$outdir/qemu.log" 2>&1 &
qpid=$!
if [ $quiet -eq 0 ]; then
	tail -n +1 -f --pid=$qpid "$output" &
	tpid=$!
fi
wait $qpid
qrc=$?
[ $quiet -eq 0 ] && wait $tpid 2>/dev/null
set -e

if [ -s "$files_tar" ]; then
	mkdir -p "$outdir/files"
	tar -xmf "$files_tar" -C "$outdir/files" || log "could not unpack the VM's files ($files_tar)"
fi

fail=0
if [ $qrc -eq 124 ] || [ $qrc -eq 137 ]; then
	log "FAIL: the VM did not finish within ${timeout}s (kernel $kernel)"
	fail=1
fi
splats='WARNING:|BUG:|Oops|general protection fault|Kernel panic|DEBUG_LOCKS_WARN_ON|INFO: lockdep|possible recursive locking|circular locking|inconsistent lock state|KASAN|UBSAN|refcount_t:|kmemleak: new suspected|Call Trace:|sleeping function called from invalid context'
if grep -Eq "$splats" "$console"; then
	log "FAIL: the kernel log shows a splat (kernel $kernel); first lines:"
	grep -En -A 20 "$splats" "$console" | head -n 60 >&2
	fail=1
fi
result=$(grep -ao 'MBOX-VM-RESULT rc=[0-9]* rmmod=[-0-9]*' "$console" | tail -n 1 || true)
if [ -z "$result" ]; then
	log "FAIL: the VM never reported a result (kernel $kernel); see $console"
	tail -n 30 "$console" >&2
	exit 1
fi
rc=$(echo "$result" | sed -E 's/.*rc=([0-9]+).*/\1/')
rmmod_rc=$(echo "$result" | sed -E 's/.*rmmod=([-0-9]+).*/\1/')
if [ "$rc" = 200 ]; then
	log "FAIL: insmod failed (kernel $kernel)"
	tail -n 20 "$console" >&2
	exit 1
fi
if [ "$rmmod_rc" != 0 ]; then
	log "FAIL: rmmod mbox failed after the run (kernel $kernel)"
	fail=1
fi
[ "$rc" -ne 0 ] && exit "$rc"
exit $fail
