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

# ---------------- phase 1: chaos
mboxctl create c1 -m 0666 -c 1000 >/dev/null
mboxctl create c2 -m 0666 -c 1000 >/dev/null
if [ "$role" = a ]; then out=c1 in=c2; else out=c2 in=c1; fi
{
	broker "$pass"
	printf '\n[out %s]\nmailbox = %s\nqueue = mbox.%s\n' $out $out $out
	printf '\n[in %s]\nmailbox = %s\nqueue = mbox.%s\nenvelope = yes\n' $in $in $in
} >$conf
supervise $conf $log /tmp/bridge.pid /tmp/bridge-stop /tmp/bridge-exits &
spv=$!
sleep 2
bridgecheck send -p 8 -d 15000 $out $out 400 >/tmp/send.out &
sendpid=$!
bridgecheck recv -p 8 -e vm-$other $in $in 400 -t 300 -q 6 >/tmp/recv.out &
recvpid=$!
# The killer: kill -9 of this VM's bridge at random moments while this
# VM's receiver waits (at most 40 kills).
(
	k=0
	while [ -d /proc/$recvpid ] && [ $k -lt 40 ]; do
		ms=$(rnd_ms)
		usleep $((ms * 1000))
		kill -9 "$(cat /tmp/bridge.pid)" 2>/dev/null && k=$((k + 1))
	done
	echo "$k" >/tmp/kills
) &
killer=$!
if [ "$role" = b ]; then
	bridgecheck wait c1 sent 100 -t 200 >/dev/null
	echo "MARK broker-kill"
	sleep 2
	echo "--- status while the broker is down (rc below)"
	timeout 15 mbox-bridge -c $conf status; echo "status rc=$?"
	bridgecheck wait c1 sent 250 -t 200 >/dev/null
	echo "MARK broker-kill"
fi
wait $recvpid
rc=$?
wait $killer
echo "chaos on vm-$role: $(cat /tmp/kills) kills of the local bridge; $(grep -c . /tmp/bridge-exits) bridge exits: $(sort /tmp/bridge-exits | uniq -c | tr '\n' ' ')"
echo "receiver of $in: $(cat /tmp/recv.out) (rc $rc)"
res "chaos $in exactly-once rc=$rc"
wait $sendpid
# Keep the outbound side running until the far side has it all.
bridgecheck wait $out received 400 -t 200 >/dev/null || echo "    $out did not drain: $(bridgecheck get $out received)"
sleep 8
touch /tmp/bridge-stop
kill -TERM "$(cat /tmp/bridge.pid)"
wait $spv
echo "--- exits: $(tr '\n' ' ' </tmp/bridge-exits)"
echo "--- dup/interrupted lines: $(grep -c 'dropped duplicate' $log) dup, $(grep -c 'was being sent when' $log) interrupted, $(grep -c 'refusing' $log) refusing, $(grep -c 'taken by another' $log) taken"
grep -E 'refusing|journal|failed|taken by another|Bad|error' $log | grep -v 'connect\|socket\|closed' | head -20

# ---------------- phase 2
lc=/tmp/l.conf
ll=/tmp/l.log
lst=/tmp/lstate
startl() {	# start a local bridge on $lc in the background, pid in $lpid
	mbox-bridge -c $lc 2>>$ll &
	lpid=$!
}
if [ "$role" = b ]; then
	for mb in orphsrc orph bigsrc:s small:1024 rdvsrc rdv:0 bcsrc loop; do
		case $mb in
		*:s) mboxctl create "${mb%%:*}" -m 0666 -c 64 >/dev/null ;;
		small:*) mboxctl create small -m 0666 -c 64 -s 1024 >/dev/null ;;
		rdv:*) mboxctl create rdv -m 0666 -c 0 >/dev/null ;;
		*) mboxctl create "$mb" -m 0666 -c 64 >/dev/null ;;
		esac
	done
	mboxctl create bc -m 0666 -c 64 --broadcast >/dev/null
	{
		broker "$pass" / $lst
		for p in orphsrc:orph bigsrc:small rdvsrc:rdv bcsrc:bc; do
			s=${p%%:*} d=${p#*:}
			printf '\n[out o-%s]\nmailbox = %s\nqueue = l.%s\n' $s $s $d
			printf '\n[in i-%s]\nmailbox = %s\nqueue = l.%s\n' $d $d $d
		done
		printf '\n[out o-loop]\nmailbox = loop\nqueue = l.loop\n'
		printf '\n[in i-loop]\nmailbox = loop\nqueue = l.loop\n'
	} >$lc
	mbox-bridge -c $lc check
	startl
	sleep 4
	echo "--- L1: the far mailbox is removed and created again while the bridge runs"
	mboxctl send orphsrc one two three
	got1=$(mboxctl recv orph -c 3 -t 15000 | tr '\n' ' ')
	echo "    before: received [$got1]"
	mboxctl rm orph
	mboxctl create orph -m 0666 -c 64 >/dev/null
	mboxctl send orphsrc four five six
	got2=$(mboxctl recv orph -c 3 -t 15000 | tr '\n' ' ')
	echo "    after recreate: received [$got2]"
	res "L1 recreated far mailbox: after=[$got2]"
	echo "--- L2: a message longer than the far mailbox's msg_size_max (1024), then a small one"
	head -c 2000 /dev/zero | tr '\0' x | mboxctl send bigsrc
	mboxctl send bigsrc small-after-big
	got=$(mboxctl recv small -t 15000 | head -c 80)
	echo "    far mailbox got: [$got]"
	res "L2 big then small: [$got]"
	echo "--- L3: a rendezvous far mailbox (capacity 0), nobody receiving for 4 s"
	mboxctl send rdvsrc r1 r2 r3
	sleep 4
	got=$(mboxctl recv rdv -c 3 -t 15000 | tr '\n' ' ')
	echo "    then received: [$got]"
	res "L3 rendezvous: [$got]"
	echo "--- L4: a broadcast far mailbox with no subscriber"
	mboxctl send bcsrc b1 b2 b3
	sleep 4
	got=$(mboxctl recv bc -c 3 -t 5000 2>&1 | tr '\n' ' ')
	echo "    a subscriber then received: [$got]"
	res "L4 broadcast far: [$got]"
	echo "--- L5: out and in bound to the same mailbox and queue (accepted by check)"
	mboxctl send loop once
	sleep 6
	mbox-bridge -c $lc status | grep -E 'BINDING|loop'
	sleep 4
	mbox-bridge -c $lc status | grep -E 'loop'
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
	echo "--- local bridge status"
	mbox-bridge -c $lc status
	kill -TERM $lpid; wait $lpid; echo "    local bridge exit $?"
	echo "--- local bridge log (filtered)"
	grep -v -E 'connecting|connected$|retrying' $ll | head -40
	exit 0
fi

# vm-a phase 2
mboxctl create hup -m 0666 -c 64 >/dev/null
{ broker "$pass" /no-such-vhost $lst; printf '\n[out hup]\nmailbox = hup\nqueue = l.hup\n'; } >/tmp/vh.conf
echo "--- A1: a vhost that does not exist"
out=$(timeout 40 mbox-bridge -c /tmp/vh.conf 2>&1); rc=$?
echo "$out" | tail -n 4 | sed 's/^/    /'
res "A1 wrong vhost rc=$rc"
{ broker "$pass" / $lst; printf '\n[out hup]\nmailbox = hup\nqueue = l.hup\n'; } >$lc
echo "--- A2: SIGHUP"
startl; sleep 4
kill -HUP $lpid; sleep 3
if [ -d /proc/$lpid ]; then echo "    still running after SIGHUP"; kill -TERM $lpid; fi
wait $lpid; rc=$?
tail -n 2 $ll | sed 's/^/    /'
res "A2 SIGHUP rc=$rc"
echo "--- A3: two instances on the same configuration and state-dir"
startl; p1=$lpid; sleep 4
startl; p2=$lpid; sleep 5
r1=no r2=no
[ -d /proc/$p1 ] && ! grep -q '^[0-9]* ([^)]*) Z' /proc/$p1/stat && r1=yes
[ -d /proc/$p2 ] && ! grep -q '^[0-9]* ([^)]*) Z' /proc/$p2/stat && r2=yes
mbox-bridge -c $lc status | head -1
res "A3 two instances: first running=$r1 second running=$r2"
kill -TERM $p1 $p2 2>/dev/null; wait $p1; wait $p2
echo "--- A4: a corrupt outbound journal"
echo garbage >$lst/hup.out
startl; sleep 6
if [ -d /proc/$lpid ]; then echo "    still running"; kill -TERM $lpid; fi
wait $lpid; rc=$?
tail -n 3 $ll | sed 's/^/    /'
res "A4 corrupt journal rc=$rc"
echo "--- A5: the outbound journal cannot be written (state-dir full) when a message is taken out of turn"
mboxctl create jn -m 0666 -c 1000 >/dev/null
mboxctl create jnrx -m 0666 -c 1000 >/dev/null
mkdir -p /tmp/fullst && mount -t tmpfs -o size=16k tmpfs /tmp/fullst
dd if=/dev/zero of=/tmp/fullst/fill bs=1k count=64 2>/dev/null
{ broker "$pass" / /tmp/fullst; printf '\n[out jn]\nmailbox = jn\nqueue = l.jn\n'; } >/tmp/jo.conf
{ broker "$pass" / /tmp/jost; printf '\n[out jn]\nmailbox = jn\nqueue = l.jn\n'; } >/tmp/jo2.conf
{ broker "$pass" / /tmp/jist; printf '\n[in jnrx]\nmailbox = jnrx\nqueue = l.jn\n'; } >/tmp/ji.conf
mbox-bridge -c /tmp/ji.conf 2>>/tmp/ji.log &
jipid=$!
mbox-bridge -c /tmp/jo.conf 2>>/tmp/jo.log &
jopid=$!
sleep 3
bridgecheck send -p 8 -d 10000 jn jn 200 >/dev/null &
jspid=$!
n=0; while [ -d /proc/$jopid ] && ! grep -q '^[0-9]* ([^)]*) Z' /proc/$jopid/stat && [ $n -lt 100 ]; do sleep 0.3; n=$((n+1)); done
[ -d /proc/$jopid ] && ! grep -q '^[0-9]* ([^)]*) Z' /proc/$jopid/stat && { echo '    (no overtake: still running)'; kill -TERM $jopid; }
wait $jopid; rc=$?
wait $jspid
echo "    outbound bridge with the full state-dir: exit $rc"
grep -E 'failed|journal|only in memory' /tmp/jo.log | head -3 | sed 's/^/    /'
mbox-bridge -c /tmp/jo2.conf 2>>/tmp/jo.log &
jopid=$!
bridgecheck recv -p 8 jnrx jn 200 -t 60 -q 3 >/tmp/jn.out
rc2=$?
echo "    receiver: $(cat /tmp/jn.out) (rc $rc2)"
res "A5 journal write fails: first bridge exit $rc, receiver rc=$rc2 $(cat /tmp/jn.out)"
kill -TERM $jopid $jipid; wait $jopid; wait $jipid
exit 0
