# SPDX-License-Identifier: GPL-2.0
# Shared helpers for mbox's scripts; sourced, not run.

: "${MBOX_CACHE:=${XDG_CACHE_HOME:-$HOME/.cache}/mbox}"
export MBOX_CACHE
mkdir -p "$MBOX_CACHE"

log() { printf '%s: %s\n' "$(basename "$0")" "$*" >&2; }
die() { log "error: $*"; exit 1; }

as_root() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo "$@"
	else
		die "need root to run: $*"
	fi
}
