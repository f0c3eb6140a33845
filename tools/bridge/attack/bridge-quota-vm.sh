#!/bin/sh
# Hostile tests of mbox-bridge, inside one of the two VMs (busybox sh), run
# by scripts/attack/bridge-attack.sh (a copy of check-bridge.sh):
#   bridge-attack-vm.sh ROLE PORT PASSWORD
# Phase 1 (both VMs): "chaos": messages flow both ways (c1: a->b, c2: b->a,
# 400 each, priorities 0-7, envelope on), each VM kills its own bridge with
# kill -9 at random moments (0.3-1.5 s apart), and the broker is killed -9
# twice (MARK broker-kill). Every message must arrive exactly once.
# Phase 2: single-VM abuse (vm-b: far mailbox recreated, rendezvous,
# broadcast, too big, a loop; vm-a: wrong vhost, SIGHUP, two instances,
# corrupt journal, a full state-dir; vm-b: the byte quota).
role=$1
port=$2
pass=$3
hostname "vm-$role"
state=/tmp/bridge-state
conf=/tmp/bridge.conf
log=/tmp/bridge.log
other=b; [ "$role" = b ] && other=a

res() { echo "RESULT $*"; }

broker() {	# PASSWORD [VHOST]
	cat <<EOC
[broker]
host = 10.0.2.100
port = $port
user = mbox
password = $1
vhost = ${2:-/}
connect-timeout = 3000
backoff-min = 100
backoff-max = 1000

[bridge]
state-dir = ${3:-$state}
EOC
}

supervise() {	# CONF LOG PIDFILE STOPFILE EXITS
	: >"$5"
	while [ ! -e "$4" ]; do
		mbox-bridge -c "$1" 2>>"$2" &
		echo $! >"$3"
		wait $!
		echo $? >>"$5"
		[ -e "$4" ] || sleep 0.3
	done
}

rnd_ms() { awk -v s="$$$(date +%N)" 'BEGIN { srand(s); print int(300 + rand() * 1200) }'; }

# Only the quota case (L6), on vm-b; vm-a does nothing.
[ "$role" = b ] || exit 0
echo "--- L6: an unbounded far mailbox and the sender's byte quota (bytes_per_user lowered to 2048 while it is being filled)"
mboxctl create unbsrc -m 0666 -c 1000 >/dev/null
mboxctl create unb -m 0666 -c unbounded >/dev/null
{
	broker "$pass" / /tmp/qstate
	printf '\n[out o-unb]\nmailbox = unbsrc\nqueue = l.unb\n'
	printf '\n[in i-unb]\nmailbox = unb\nqueue = l.unb\n'
} >/tmp/q.conf
mbox-bridge -c /tmp/q.conf 2>>/tmp/q.log &
qpid=$!
sleep 3
bridgecheck send unbsrc unb 100 >/dev/null
# root's queued bytes (unbsrc + unb) are now over this: the inbound
# bridge's next sends into the unbounded mailbox get EDQUOT
echo 2048 >/sys/module/mbox/parameters/bytes_per_user
bridgecheck wait unbsrc received 100 -t 60 >/dev/null
sleep 3
echo "    far mailbox queued $(bridgecheck get unb queued) before anyone reads"
echo 67108864 >/sys/module/mbox/parameters/bytes_per_user
bridgecheck recv unb unb 100 -t 20 -q 3 >/tmp/unb.out
rc=$?
echo "    receiver: $(cat /tmp/unb.out) (rc $rc)"
mbox-bridge -c /tmp/q.conf status | sed 's/^/    /'
grep -m 3 refusing /tmp/q.log | sed 's/^/    /'
res "L6 unbounded far mailbox + quota: rc=$rc $(cat /tmp/unb.out)"
kill -TERM $qpid; wait $qpid
exit 0
