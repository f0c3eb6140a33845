#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make check-install: what a packager or a user installing by hand would do.
#  1. "make install DESTDIR=... PREFIX=/usr" lays out the expected files;
#  2. pkg-config --cflags --libs mbox, against that tree, builds and links a
#     program that runs;
#  3. the man pages lint clean (mandoc -T lint, man --warnings);
#  4. DKMS builds the module against Debian's installed 6.1 headers package
#     (installed here if missing): dkms add, build, remove;
#  5. "make uninstall" with the same DESTDIR and PREFIX leaves no file behind.
# Ends with "N passed, N failed, N skipped" like make check.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
# shellcheck source=scripts/common.sh
. "$here/common.sh"
cd "$top"

pass=0 fail=0
ok() { echo "ok: $*"; pass=$((pass + 1)); }
bad() { echo "FAILED: $*"; fail=$((fail + 1)); }

dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
rel=$(scripts/kernel.sh release 6.1)

# 1. The layout.
if make --no-print-directory install KERNEL=6.1 DESTDIR="$dest" PREFIX=/usr >"$dest.log" 2>&1; then
	missing=
	for f in "lib/modules/$rel/extra/mbox.ko" usr/lib/libmbox.so.1 usr/lib/libmbox.so \
		usr/lib/libmbox.a usr/lib/pkgconfig/mbox.pc usr/include/mbox.h \
		usr/include/linux/mbox.h usr/bin/mboxctl usr/share/man/man4/mbox.4 \
		usr/share/man/man3/libmbox.3 usr/share/man/man1/mboxctl.1 \
		usr/share/doc/mbox/60-mbox.rules usr/lib/libmbox-mq.so.1 usr/lib/libmbox-mq.so \
		usr/lib/libmbox-mq.a usr/lib/pkgconfig/libmbox-mq.pc \
		usr/share/man/man3/libmbox-mq.3; do
		[ -e "$dest/$f" ] || missing+=" $f"
	done
	if [ -z "$missing" ]; then ok "make install DESTDIR PREFIX=/usr: every file in place"
	else bad "make install: missing:$missing"; fi
else
	bad "make install failed:"
	tail -n 20 "$dest.log"
fi
rm -f "$dest.log"

# 2. pkg-config, compile, link, run.
export PKG_CONFIG_PATH=$dest/usr/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$dest
flags=$(pkg-config --cflags --libs mbox 2>&1)
if [ $? -eq 0 ] && [[ $flags == *-lmbox* ]]; then
	ok "pkg-config --cflags --libs mbox: $flags"
	cat >"$dest/use.c" <<'PROG'
#include <errno.h>
#include <stdio.h>
#include <mbox.h>

int main(void)
{
	struct mbox_stats st = { .size = sizeof(st) };
	int fd = mbox_dev_open(0);

	(void)st;
	printf("%s\n", fd < 0 ? mbox_strerror(fd) : "device open");
	return fd == -ENOENT || fd >= 0 ? 0 : 1;
}
PROG
	# shellcheck disable=SC2086
	if gcc -std=c11 -Wall -Wextra -Werror -o "$dest/use" "$dest/use.c" $flags &&
	   out=$(LD_LIBRARY_PATH=$dest/usr/lib "$dest/use"); then
		ok "a program built with pkg-config's flags links and runs ($out)"
	else
		bad "a program built with pkg-config's flags did not build or run"
	fi
else
	bad "pkg-config --cflags --libs mbox: $flags"
fi

# 2b. libmbox-mq through pkg-config: mq_open binds to it, not to libc.
flags=$(pkg-config --cflags --libs libmbox-mq 2>&1)
if [ $? -eq 0 ] && [[ $flags == *-lmbox-mq* ]]; then
	printf '#include <mqueue.h>\nint main(void) { return mq_unlink("/") == -1 ? 0 : 1; }\n' \
		>"$dest/usemq.c"
	# shellcheck disable=SC2086
	if gcc -std=c11 -Wall -Wextra -Werror -o "$dest/usemq" "$dest/usemq.c" $flags &&
	   LD_LIBRARY_PATH=$dest/usr/lib "$dest/usemq" &&
	   LD_LIBRARY_PATH=$dest/usr/lib LD_DEBUG=bindings "$dest/usemq" 2>&1 |
	   grep -q "libmbox-mq.*symbol \`mq_unlink'"; then
		ok "pkg-config libmbox-mq ($flags): mq_unlink binds to libmbox-mq"
	else
		bad "a program built with libmbox-mq's pkg-config flags does not bind to it"
	fi
else
	bad "pkg-config --cflags --libs libmbox-mq: $flags"
fi
unset PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR

# 3. Man pages.
for m in man/*.[0-9]; do
	lint=$(mandoc -T lint -W warning "$m" 2>&1)
	warn=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings=all -l "$m" 2>&1 >/dev/null)
	if [ -z "$lint$warn" ]; then ok "man page $m lints clean"
	else bad "man page $m: $lint $warn"; fi
done

# 4. DKMS against Debian's headers package for the 6.1 kernel.
if ! dpkg-query -W -f='${Status}' "linux-headers-$rel" 2>/dev/null | grep -q 'ok installed'; then
	log "installing linux-headers-$rel for the DKMS build"
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		"linux-headers-$rel" >"$MBOX_CACHE/apt-headers.log" 2>&1 ||
		bad "apt-get install linux-headers-$rel failed; see $MBOX_CACHE/apt-headers.log"
fi
src=/usr/src/mbox-1.0
as_root dkms remove mbox/1.0 --all >/dev/null 2>&1
as_root rm -rf "$src"

if as_root make --no-print-directory dkms-src DKMS_SRC="$src" >/dev/null &&
   as_root dkms add mbox/1.0 >"$dest/dkms.log" 2>&1 &&
   as_root dkms build mbox/1.0 -k "$rel" >>"$dest/dkms.log" 2>&1; then
	ko=$(find /var/lib/dkms/mbox/1.0/"$rel" -name 'mbox.ko*' | head -n 1)
	if [ -n "$ko" ] && modinfo "$ko" | grep -q "^vermagic: *$rel "; then
		ok "dkms add + build against linux-headers-$rel: $ko"
	else
		bad "dkms build left no mbox.ko for $rel"
	fi
else
	bad "dkms add/build failed:"
	tail -n 30 "$dest/dkms.log"
	find /var/lib/dkms/mbox -name make.log -exec tail -n 30 {} \; 2>/dev/null
fi
as_root dkms remove mbox/1.0 --all >/dev/null 2>&1
as_root rm -rf "$src"

# 5. make uninstall takes every installed file away again.
rm -f "$dest/use" "$dest/use.c" "$dest/usemq" "$dest/usemq.c" "$dest/dkms.log"
if make --no-print-directory uninstall KERNEL=6.1 DESTDIR="$dest" PREFIX=/usr >"$dest.log" 2>&1; then
	left=$(find "$dest" -type f -o -type l)
	if [ -z "$left" ]; then ok "make uninstall DESTDIR PREFIX=/usr: nothing left"
	else bad "make uninstall left:" $left; fi
else
	bad "make uninstall failed:"
	tail -n 20 "$dest.log"
fi
rm -f "$dest.log"

echo "$pass passed, $fail failed, 0 skipped"
[ "$fail" -eq 0 ]
