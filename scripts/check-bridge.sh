#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make check-bridge / make demo-bridge: a RabbitMQ broker on the host's
# loopback, two VMs ("machines") each with mbox.ko and mbox-bridge, reaching
# the broker through QEMU user networking (scripts/vm-run.sh -N).
#
#   scripts/check-bridge.sh [-d] -m MODULE -l LIBMBOX [-u TEST]... FILE...
#
#   -d   the demo (scripts/demo-bridge.sh in both VMs) instead of the tests
#   -u   a host-side unit test to run first (prints "... ok", exits 0)
#
# The broker runs as this user from build/bridge/rabbit (its own data
# directory, config, Erlang cookie, node name and epmd port), listening on
# 127.0.0.1:$MBOX_BRIDGE_PORT (default 35672) only, and is stopped at the
# end. Each VM runs scripts/bridge-vm.sh (role a: senders and outbound
# bindings; role b: inbound bindings and receivers); when vm-b prints "MARK
# broker-restart" the broker is restarted mid-stream. Ends with
# "N passed, N failed" (every "ok"/"not ok" line of both VMs, plus one
# failure per VM that itself failed: a splat, a timeout, rmmod).
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/common.sh
. "$here/common.sh"

demo=0
module=
libs=()
units=()
while getopts "dm:l:u:" opt; do
	case $opt in
	d) demo=1 ;;
	m) module=$OPTARG ;;
	l) libs+=(-l "$OPTARG") ;;
	u) units+=("$OPTARG") ;;
	*) die "bad option; see the header of $0" ;;
	esac
done
shift $((OPTIND - 1))
files=()
for f in "$@"; do files+=(-f "$f"); done

port=${MBOX_BRIDGE_PORT:-35672}
# A password of its own for every run: VMs left running by an earlier run
# that was killed (their bridges retry for ever) cannot log in to this
# run's broker and compete for its queues. Before this, such leftovers took
# half of the messages of some cases (two consumers served round-robin).
password=mbox-bridge-test-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
work=$here/../build/bridge
rabbit=$work/rabbit
start=$(date +%s)
stamp() { echo "=== [$(($(date +%s) - start))s] $*"; }

rabbit_bin=/usr/lib/rabbitmq/bin
[ -x $rabbit_bin/rabbitmq-server ] || die "rabbitmq-server is not installed; run scripts/deps.sh bridge"

broker_up() { (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null; }
# Before anything is removed: another run may be using $work and the port.
if broker_up; then
	echo "check-bridge.sh: 127.0.0.1:$port is in use (another check-bridge, or a broker left" \
		"running by a killed one: $(ss -Htlnp "sport = :$port" 2>/dev/null | grep -o 'users:.*' | head -n 1));" \
		"stop it, or set MBOX_BRIDGE_PORT" >&2
	echo "0 passed, 1 failed"
	exit 1
fi
rm -rf "$work"
mkdir -p "$rabbit/mnesia" "$rabbit/log"
cat >"$rabbit/rabbitmq.conf" <<EOF
listeners.tcp.default = 127.0.0.1:$port
default_user = mbox
default_pass = $password
loopback_users = none
disk_free_limit.absolute = 50MB
log.file.level = info
log.console = false
EOF
echo '[].' >"$rabbit/enabled_plugins"
export HOME=$rabbit	# the Erlang cookie lives here, not in ~
export RABBITMQ_NODENAME=mboxbridge$port@localhost
export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
export RABBITMQ_NODE_PORT=$port
export RABBITMQ_DIST_PORT=$((port + 1))
export ERL_EPMD_PORT=$((port + 2))
export ERL_EPMD_ADDRESS=127.0.0.1
export RABBITMQ_CONFIG_FILE=$rabbit/rabbitmq.conf
export RABBITMQ_ENABLED_PLUGINS_FILE=$rabbit/enabled_plugins
export RABBITMQ_MNESIA_BASE=$rabbit/mnesia
export RABBITMQ_LOG_BASE=$rabbit/log
export RABBITMQ_PID_FILE=$rabbit/rabbit.pid

rpid=
start_broker() {
	local t0 n=0
	t0=$(date +%s.%N)
	$rabbit_bin/rabbitmq-server >>"$rabbit/server.out" 2>&1 &
	rpid=$!
	until broker_up; do
		sleep 0.2
		n=$((n + 1))
		# Three minutes: a loaded host has taken a minute to boot the broker.
		if [ $n -gt 900 ] || ! kill -0 $rpid 2>/dev/null; then
			log "rabbitmq-server did not start; its output:"
			tail -n 30 "$rabbit/server.out" >&2
			return 1
		fi
	done
	log "broker up on 127.0.0.1:$port in $(echo "$(date +%s.%N) - $t0" | bc) s"
}
stop_broker() {
	[ -n "$rpid" ] || return 0
	kill -TERM $rpid 2>/dev/null
	local n=0
	while kill -0 $rpid 2>/dev/null && [ $n -lt 150 ]; do sleep 0.2; n=$((n + 1)); done
	kill -KILL $rpid 2>/dev/null
	wait $rpid 2>/dev/null
	rpid=
}
cleanup() {
	stop_broker
	# Our own epmd (port $ERL_EPMD_PORT), started by the broker.
	epmd -port "$ERL_EPMD_PORT" -kill >/dev/null 2>&1
	[ -n "${vma:-}" ] && kill "$vma" 2>/dev/null
	[ -n "${vmb:-}" ] && kill "$vmb" 2>/dev/null
}
trap cleanup EXIT

hostpass=0 hostfail=0
for u in ${units[@]+"${units[@]}"}; do
	if "$u"; then
		echo "ok - host: $(basename "$u")"
		hostpass=$((hostpass + 1))
	else
		echo "not ok - host: $(basename "$u")"
		hostfail=$((hostfail + 1))
	fi
done

stamp "starting rabbitmq-server on 127.0.0.1:$port (data in $rabbit)"
start_broker || { echo "$hostpass passed, $((hostfail + 1)) failed"; exit 1; }

script=$here/bridge-vm.sh
[ $demo -eq 1 ] && script=$here/demo-bridge.sh
stamp "booting vm-a and vm-b"
for r in a b; do
	"$here/vm-run.sh" -k 6.1 -m "$module" "${libs[@]}" "${files[@]}" -N "$port" -q \
		-o "$work/vm-$r" -t 600 "$script" "$r" "$port" "$password" &
	eval "vm$r=\$!"
done

# Follow both VMs' output, prefixed; restart the broker when vm-b asks.
restarted=0
sleep 1
tail -n +1 -F "$work/vm-a/output.log" 2>/dev/null | sed -u 's/^/[vm-a] /' &
ta=$!
tail -n +1 -F "$work/vm-b/output.log" 2>/dev/null | sed -u 's/^/[vm-b] /' &
tb=$!
while kill -0 "$vma" 2>/dev/null || kill -0 "$vmb" 2>/dev/null; do
	if [ $restarted -eq 0 ] && grep -q '^MARK broker-restart' "$work/vm-b/output.log" 2>/dev/null; then
		restarted=1
		stamp "vm-b is mid-stream: restarting the broker"
		stop_broker
		sleep 1
		start_broker || log "the broker did not come back"
		stamp "broker restarted"
	fi
	sleep 0.2
done
wait "$vma"
rca=$?
wait "$vmb"
rcb=$?
vma='' vmb=''
sleep 0.5
kill $ta $tb 2>/dev/null
wait $ta $tb 2>/dev/null
stamp "both VMs done (vm-a exit $rca, vm-b exit $rcb)"

if [ $demo -eq 1 ]; then
	[ $rca -eq 0 ] && [ $rcb -eq 0 ]
	exit
fi
pass=$(cat "$work"/vm-{a,b}/output.log | grep -c '^ok ')
fail=$(cat "$work"/vm-{a,b}/output.log | grep -c '^not ok ')
pass=$((pass + hostpass)) fail=$((fail + hostfail))
[ $rca -eq 0 ] || fail=$((fail + 1))
[ $rcb -eq 0 ] || fail=$((fail + 1))
if grep -q '^MARK broker-restart' "$work/vm-b/output.log" && [ $restarted -eq 0 ]; then
	fail=$((fail + 1))
fi
[ "$fail" -eq 0 ] || grep -h '^not ok ' "$work"/vm-{a,b}/output.log
grep -h '^bench ' "$work/vm-a/output.log"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
