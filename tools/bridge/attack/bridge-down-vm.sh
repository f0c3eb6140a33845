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

# The broker down: status, SIGTERM and a fresh start while it is away, and
# messages sent meanwhile (vm-b alone; vm-a does nothing).
[ "$role" = b ] || exit 0
mboxctl create d1 -m 0666 -c 100 >/dev/null
mboxctl create d1rx -m 0666 -c 100 >/dev/null
{ broker "$pass" / /tmp/dst1; printf '\n[out d1]\nmailbox = d1\nqueue = l.d1\n'; printf '\n[in d1rx]\nmailbox = d1rx\nqueue = l.d1\n'; } >/tmp/d1.conf
{ broker "$pass" / /tmp/dst2; printf '\n[out d2]\nmailbox = d1\nqueue = l.d2\n'; } >/tmp/d2.conf
mbox-bridge -c /tmp/d1.conf 2>>/tmp/d1.log &
p1=$!
sleep 4
bridgecheck send d1 d1 20 >/dev/null
bridgecheck wait d1 received 20 -t 60 >/dev/null
echo "MARK broker-kill"
sleep 2
t0=$(date +%s)
echo "--- S1: status while the broker is down, bridge running"
timeout 20 mbox-bridge -c /tmp/d1.conf status; echo "    status rc=$? in $(( $(date +%s) - t0 )) s"
res "S1 status while broker down"
echo "--- S2: 20 more messages sent while the broker is down"
bridgecheck send -s 20 d1 d1 40 >/dev/null; echo "    sent rc=$?"
echo "--- S3: a second bridge started while the broker is down (config /tmp/d2.conf, idle binding)"
mbox-bridge -c /tmp/d2.conf 2>>/tmp/d2.log &
p2=$!
sleep 3
r=no; [ -d /proc/$p2 ] && ! grep -q '^[0-9]* ([^)]*) Z' /proc/$p2/stat && r=yes
echo "    running: $r"; tail -n 3 /tmp/d2.log | sed 's/^/    /'
t0=$(date +%s)
kill -TERM $p2; wait $p2; rc=$?
res "S3 started with the broker down: running=$r; SIGTERM while connecting: exit $rc after $(( $(date +%s) - t0 )) s"
bridgecheck recv d1rx d1 40 -t 120 -q 3 >/tmp/d1.out; rc=$?
echo "    receiver: $(cat /tmp/d1.out)"
res "S2 messages sent during the outage: rc=$rc $(cat /tmp/d1.out)"
t0=$(date +%s)
kill -TERM $p1; wait $p1; rc=$?
res "S4 SIGTERM after the outage: exit $rc after $(( $(date +%s) - t0 )) s"
grep -E 'd1: |d1rx: ' /tmp/d1.log | grep -v retrying | tail -n 8 | sed 's/^/    /'
exit 0
