#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Check that the calls between the module's files form no cycle: a file may
# call (or use the data of) files below it, never one above it, so that a
# reader can take the layers one at a time (docs/internals.md).
#
#   scripts/layers.sh DIR     DIR holds the built module's objects (*.o)
#
# The graph comes from the objects' symbol tables: file A depends on file B
# when A has an undefined symbol that B defines. tsort(1) reports a cycle;
# the script prints the edges of the files involved and fails. With -v it
# prints the layers, lowest first.
set -euo pipefail

verbose=0
[ "${1:-}" = -v ] && { verbose=1; shift; }
dir=${1:?usage: layers.sh [-v] DIR}

objs=()
for o in "$dir"/*.o; do
	case $(basename "$o") in mbox.o | mbox.mod.o | *.mod.o) continue ;; esac
	objs+=("$o")
done
[ ${#objs[@]} -gt 0 ] || { echo "layers.sh: no objects in $dir" >&2; exit 2; }

defs=$(mktemp) edges=$(mktemp)
trap 'rm -f "$defs" "$edges"' EXIT
for o in "${objs[@]}"; do
	nm --defined-only -g "$o" | awk -v f="$(basename "$o" .o)" '{ print $3, f }'
done | sort -u >"$defs"
for o in "${objs[@]}"; do
	f=$(basename "$o" .o)
	nm -u "$o" | awk '{ print $2 }' | sort -u |
		join - "$defs" | awk -v f="$f" '$2 != f { print f, $2 }'
done | sort -u >"$edges"

# Every file appears, even with no edge.
for o in "${objs[@]}"; do b=$(basename "$o" .o); echo "$b $b"; done >>"$edges"
if ! order=$(tsort "$edges" 2>/tmp/layers.$$); then
	cat /tmp/layers.$$ >&2
	rm -f /tmp/layers.$$
	echo "layers.sh: the calls between module files form a cycle; edges (caller callee):" >&2
	grep -v '^\(.*\) \1$' "$edges" >&2
	exit 1
fi
if grep -q 'loop' /tmp/layers.$$; then
	cat /tmp/layers.$$ >&2
	rm -f /tmp/layers.$$
	echo "layers.sh: the calls between module files form a cycle" >&2
	exit 1
fi
rm -f /tmp/layers.$$
[ $verbose = 1 ] && echo "$order" | tac | tr '\n' ' ' && echo
exit 0
