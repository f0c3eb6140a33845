#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# make demo-bridge, inside each of the two VMs (busybox sh):
#
#   demo-bridge.sh ROLE PORT PASSWORD
#
# vm-a sends into its local mailbox "orders"; its mbox-bridge carries the
# messages to the queue "demo.orders" on the broker (the host's loopback,
# seen as 10.0.2.100); vm-b's mbox-bridge delivers them into vm-b's own
# mailbox "orders", where mboxctl receives them, highest priority first,
# with the sender's identity from vm-a in an envelope line.
role=$1
port=$2
pass=$3
hostname "vm-$role"
step() { printf '\n=== %s\n' "$*"; }
run() { echo "\$ $*"; "$@"; }

cat >/tmp/bridge.conf <<EOF
[broker]
host = 10.0.2.100
port = $port
user = mbox
password = $pass

[bridge]
state-dir = /tmp/bridge-state

[$( [ "$role" = a ] && echo out || echo in ) orders]
mailbox = orders
queue = demo.orders
$( [ "$role" = b ] && echo "envelope = yes")
EOF

step "vm-$role: a mailbox 'orders' and the bridge's configuration"
run mboxctl create orders -m 0666 -c 16
cat /tmp/bridge.conf
mbox-bridge -c /tmp/bridge.conf 2>/tmp/bridge.log &
bpid=$!
sleep 2

if [ "$role" = a ]; then
	step "vm-a: send three orders with priorities 1, 7, 3 (pid $$)"
	run mboxctl send orders -p 1 "order 1: 2 kg flour"
	run mboxctl send orders -p 7 "order 2: URGENT, 1 l milk"
	run mboxctl send orders -p 3 "order 3: 6 eggs"
	sleep 3
	step "vm-a: the bridge took them out only once the broker confirmed each"
	run mboxctl info orders
	run mbox-bridge -c /tmp/bridge.conf status
else
	step "vm-b: wait until the three orders are here, then receive them"
	n=0
	while [ "$(mboxctl info orders | awk '/^queued/ { print $2 }')" != 3 ] && [ $n -lt 120 ]; do
		sleep 0.5
		n=$((n + 1))
	done
	run mboxctl recv orders -v -n
	run mboxctl recv orders -v -n
	run mboxctl recv orders -v -n
	run mbox-bridge -c /tmp/bridge.conf status
fi
sleep 2
kill -TERM $bpid
wait $bpid
step "vm-$role: the bridge's log"
cat /tmp/bridge.log
