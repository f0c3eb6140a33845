#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# make check-bridge, inside one of the two VMs (busybox sh):
#
#   bridge-vm.sh ROLE PORT PASSWORD
#
# ROLE "a" is the near machine (senders, outbound bindings), "b" the far one
# (inbound bindings, receivers). They meet only through the broker at
# 10.0.2.100:PORT (the host's loopback). Each case prints "ok - ..." or
# "not ok - ..."; scripts/check-bridge.sh counts them. "MARK ..." lines tell
# the host when to act (restart the broker).
role=$1
port=$2
pass=$3
hostname "vm-$role"
state=/tmp/bridge-state
conf=/tmp/bridge.conf
log=/tmp/bridge.log

check() {
	desc=$1
	shift
	if "$@"; then echo "ok - $desc"; else echo "not ok - $desc"; fi
}

broker() {
	cat <<EOF
[broker]
host = 10.0.2.100
port = $port
user = mbox
password = $1
connect-timeout = 3000
backoff-min = 100
backoff-max = 1000

[bridge]
state-dir = $state
EOF
}

# The same queue arguments on both sides (the broker refuses a mismatch).
binding() {	# DIR NAME [extra lines]
	dir=$1 name=$2
	shift 2
	printf '\n[%s %s]\nmailbox = %s\nqueue = mbox.%s\n' "$dir" "$name" "$name" "$name"
	for l in "$@"; do echo "$l"; done
}

# The bridge runs under a supervisor that restarts it whenever it exits, as
# systemd's Restart= would; its exit statuses go to /tmp/bridge-exits. The
# first run gets the environment given (the crash hook).
supervise() {
	first="$*"
	: >/tmp/bridge-exits
	while [ ! -e /tmp/bridge-stop ]; do
		# shellcheck disable=SC2086
		env $first mbox-bridge -c $conf 2>>$log &
		echo $! >/tmp/bridge.pid
		wait $!
		echo $? >>/tmp/bridge-exits
		first=
		[ -e /tmp/bridge-stop ] || sleep 0.3
	done
}
start_bridge() {	# [ENV=VALUE]
	supervise "$@" &
	spvpid=$!
	sleep 0.2
}
# Wait up to $1 seconds for the bridge to have exited with status $2.
wait_bridge_exit() {
	n=0
	while ! grep -qx "$2" /tmp/bridge-exits && [ $n -lt $(($1 * 5)) ]; do
		sleep 0.2
		n=$((n + 1))
	done
	grep -qx "$2" /tmp/bridge-exits
}

# Whether process $1 (our child) still runs: a zombie does not.
running() {
	[ -r "/proc/$1/stat" ] && ! grep -q '^[0-9]* ([^)]*) Z' "/proc/$1/stat"
}

# Wait up to $1 seconds until the shell condition $2 holds (a fixed sleep
# before a check is no synchronisation on a loaded TCG host): 0 as soon as
# it does, 1 if it never did. The check after it says what failed.
await() {	# SECONDS CONDITION
	n=0
	until eval "$2"; do
		[ $n -lt $(($1 * 5)) ] || return 1
		sleep 0.2
		n=$((n + 1))
	done
}

kill_bridge() {
	kill -9 "$(cat /tmp/bridge.pid)"
}

# Wait up to $1 seconds until every binding is connected.
wait_connected() {
	n=0
	while mbox-bridge -c $conf status | awk 'NR > 2 && $5 != "connected" { bad = 1 } END { exit !bad }'; do
		[ $n -lt $(($1 * 5)) ] || return 1
		sleep 0.2
		n=$((n + 1))
	done
}

status_field() {	# BINDING COLUMN(7 dups, 6 messages, 10 connects)
	mbox-bridge -c $conf status | awk -v b="$1" -v c="$2" '$1 == b { print $c }'
}

finish() {
	echo "--- mbox-bridge status on vm-$role"
	mbox-bridge -c $conf status
	touch /tmp/bridge-stop
	kill -TERM "$(cat /tmp/bridge.pid)"
	wait "$spvpid"
	rc=$(tail -n 1 /tmp/bridge-exits)
	check "vm-$role: the bridge stops cleanly on SIGTERM (exit $rc)" [ "$rc" -eq 0 ]
	echo "--- mbox-bridge log on vm-$role"
	cat $log
}

if [ "$role" = a ]; then
	for mb in prio:100 k1:1000 k2:1000 k3:1000 r:1000 full:5 ctl:4 bench:64 benchrx:64 lossy:100; do
		mboxctl create "${mb%%:*}" -m 0666 -c "${mb#*:}" >/dev/null
	done
	mboxctl create news -m 0666 -c 64 -B >/dev/null
	{
		broker "$pass"
		for b in prio k1 k2 k3 r ctl; do binding out $b; done
		binding out full "max-length = 5" "overflow = reject-publish"
		binding out bench
		printf '\n[in benchrx]\nmailbox = benchrx\nqueue = mbox.bench\n'
		binding out lossy "max-length = 10" "overflow = drop-head"
		printf '\n[out news]\nmailbox = news\nexchange = mbox.news\n'
	} >$conf

	# --- bad configuration and a wrong password: clear error, exit 1
	bad() {	# DESC EXPECTED-TEXT (config on stdin)
		cat >/tmp/bad.conf
		out=$(mbox-bridge -c /tmp/bad.conf 2>&1)
		rc=$?
		echo "    mbox-bridge said: $out (exit $rc)"
		check "bad config: $1" sh -c "[ $rc -eq 1 ] && echo \"\$0\" | grep -q -- \"$2\"" "$out"
	}
	bad_check() {	# DESC EXPECTED-TEXT: "check" on the last bad config
		out=$(mbox-bridge -c /tmp/bad.conf check 2>&1)
		rc=$?
		echo "    mbox-bridge check said: $out (exit $rc)"
		check "check: $1, exit 1" sh -c "[ $rc -eq 1 ] && echo \"\$0\" | grep -q -- \"$2\"" "$out"
	}
	out=$(mbox-bridge -c /nonexistent.conf 2>&1)
	rc=$?
	echo "    mbox-bridge said: $out (exit $rc)"
	check "bad config: a missing file is named, exit 1" \
		sh -c "[ $rc -eq 1 ] && echo \"\$0\" | grep -q 'nonexistent.conf: cannot open'" "$out"
	printf '[broker]\nhots = x\n' | bad "an unknown key, with its line" "bad.conf:2: unknown key 'hots'"
	printf '[broker]\nhost = h\nport = 99999\n' | bad "a port out of range" "port: '99999' is not"
	{ broker x; printf '[out x]\nmailbox = prio\nqueue = q\nexchange = e\n'; } |
		bad "queue and exchange together" "exactly one of queue and exchange"
	{ broker x; printf '[out x]\nmailbox = nosuch\nqueue = q\n'; } |
		bad "a mailbox that does not exist" "cannot open mailbox 'nosuch'"
	{ broker x; printf 'state-dir = /tmp/other\n'; binding out prio; } |
		bad "a key given twice" "'state-dir' given twice"
	{ broker x; printf '[broker]\nport = 5672\n'; binding out prio; } |
		bad "a second [broker] section" "a second \\[broker\\] section"
	{ broker x; binding out prio; printf '\n[out prio2]\nmailbox = prio\nqueue = q2\n'; } |
		bad "one mailbox bound by two out bindings" "already bound by \\[out prio\\]"
	{ broker x; binding out prio; printf '\n[in back]\nmailbox = prio\nqueue = mbox.prio\n'; } |
		bad "out and in on the same mailbox and queue (a loop)" "a loop"
	{ broker x; binding out prio; printf 'max-priority = 3\0\n'; } |
		bad "a NUL byte" "a NUL byte"
	{ broker x; binding out prio "max-length = 5" "overflow = reject-publish" "window = 4"; } |
		bad "window > 1 on a reject-publish queue (it would reorder)" "would reorder messages"
	{ broker x; binding in prio "window = 4"; } |
		bad "window on an in binding" "window applies to out bindings"
	# numbers are decimal digits only, booleans yes or no, max-length >= 1
	{ broker x; binding out prio "max-length = 0"; } |
		bad "max-length = 0 (a queue that never holds a message), with its line" \
		"bad.conf:[0-9]*: max-length: 0 would make a queue that never holds"
	{ broker x; binding out prio "window = 010"; } |
		bad "a leading zero (window = 010)" "bad.conf:[0-9]*: window: '010' is not a whole number"
	{ broker x; binding in prio "envelope = 1"; } |
		bad "envelope = 1 (booleans are yes or no)" "bad.conf:[0-9]*: envelope: '1' is not yes or no"
	# the state-dir's own files are the bridge's: a status file there is "status"
	{ broker x; echo "status-file = $state/lock"; binding out prio; } |
		bad "a status-file over the state-dir's lock" "status-file $state/lock is in the state-dir"
	{ broker x; echo "status-file = $state/../$(basename "$state")/prio.in"; binding out prio; } |
		bad "a status-file over a binding's dedupe log (another spelling of the state-dir)" \
		"prio.in is in the state-dir"
	{ broker x; echo 'status-file = /nonexistent/dir/status'; binding out prio; } |
		bad "a status-file in a missing directory, at start" \
		"status-file /nonexistent/dir/status: cannot write it: No such file or directory"
	bad_check "a status-file in a missing directory" "its directory /nonexistent/dir does not exist"
	# a state-dir that is a file, or under one: refused by run and by check
	: >/tmp/sdfile
	for sd in /tmp/sdfile /tmp/sdfile/sub; do
		{ broker x; binding out prio; } | sed "s#^state-dir = .*#state-dir = $sd#" |
			bad "a state-dir $sd (a file, or under one), at start" \
			"state-dir $sd: Not a directory"
		bad_check "a state-dir $sd (a file, or under one)" "state-dir $sd: not a directory"
	done
	rm -f /tmp/sdfile
	{ broker 'p#w;d'; binding out prio; echo '  # a comment'; echo '; another'; } >/tmp/hash.conf
	out=$(mbox-bridge -c /tmp/hash.conf check 2>&1)
	check "a password with # and ; is accepted, comment lines skipped ($out)" \
		mbox-bridge -c /tmp/hash.conf check
	check "mbox-bridge check accepts the real configuration" mbox-bridge -c $conf check
	# check: every configured mailbox exists, each missing one named (and
	# only those), exit 1
	{
		broker x
		binding out prio
		printf '\n[out gone1]\nmailbox = nosuch1\nqueue = q1\n'
		printf '\n[in gone2]\nmailbox = nosuch2\nqueue = q2\n'
	} >/tmp/missing.conf
	out=$(mbox-bridge -c /tmp/missing.conf check 2>&1)
	rc=$?
	echo "$out" | sed 's/^/    /'
	missing_named() {
		[ "$rc" -eq 1 ] && [ "$(echo "$out" | wc -l)" -eq 2 ] &&
			echo "$out" | grep -q "missing.conf:[0-9]*: \[out gone1\]: mailbox 'nosuch1' does not exist" &&
			echo "$out" | grep -q "missing.conf:[0-9]*: \[in gone2\]: mailbox 'nosuch2' does not exist"
	}
	check "check: each missing mailbox named with its binding, exit 1" missing_named
	{ broker wrong-password; binding out prio; } >/tmp/wrongpw.conf
	out=$(timeout 60 mbox-bridge -c /tmp/wrongpw.conf 2>&1)
	rc=$?
	echo "$out" | tail -n 3 | sed 's/^/    /'
	check "a wrong password: exit 1 and says so" \
		sh -c "[ $rc -eq 1 ] && echo \"\$0\" | grep -q 'wrong user or password'" "$out"

	# --- priorities, identity and per-priority order (checked on vm-b)
	start_bridge MBOX_BRIDGE_CRASH=inflight:k1:100
	check "prio: 64 messages with priorities 0-7 sent" bridgecheck send -p 8 prio prio 64 >/dev/null
	# prio is published, and confirmed, before k1's crash test kills the
	# bridge (on a loaded host the two overlapped: vm-b then took k2's
	# crash before prio's last messages came)
	n=0
	until [ "$(status_field prio 6)" -ge 64 ] 2>/dev/null || [ $n -ge 600 ]; do
		sleep 0.2
		n=$((n + 1))
	done

	# --- the outbound bridge dies between the broker's confirm and the
	# message's removal from the mailbox (the worst moment): at the first
	# confirm from the 100th on that leaves other messages in flight
	bridgecheck send k1 k1 300 >/dev/null
	wait_bridge_exit 120 137
	rc=$?
	left=$(bridgecheck get k1 queued)
	check "k1: the outbound bridge was killed (SIGKILL) mid-stream, $left of 300 still queued" \
		sh -c "[ $rc -eq 0 ] && [ ${left:-0} -gt 0 ]"
	# several were in flight at the kill (window = 16): the restarted bridge
	# read them all back from the journal (REPUB) and publishes them again
	n=0
	until [ "$(status_field k1 8)" -ge 2 ] 2>/dev/null || [ $n -ge 50 ]; do
		sleep 0.2
		n=$((n + 1))
	done
	rp=$(status_field k1 8)
	check "k1: $rp messages were in flight at the kill, read back from the journal" \
		[ "${rp:-0}" -ge 2 ]

	# --- k2: the far bridge is the one killed (vm-b); just send
	bridgecheck send k2 k2 300 >/dev/null

	# --- k3: plain kill -9 of both bridges at arbitrary points (paced, so
	# that vm-b's kill too falls mid-stream)
	bridgecheck send -d 20000 k3 k3 500 >/dev/null &
	k3pid=$!
	bridgecheck wait k3 received 120 -t 120 >/dev/null
	kill_bridge
	running $k3pid
	check "k3: kill -9 of the outbound bridge mid-stream ($(bridgecheck get k3 sent) of 500 sent)" [ $? -eq 0 ]
	wait $k3pid

	# --- r: the broker restarts mid-stream. The host restarts it when vm-b
	# has some of the messages; the first 400 are paced so that the restart
	# falls among them, the last 200 are sent once this bridge has seen the
	# broker go, so some messages certainly cross after the restart.
	n0=$(wc -l <$log)
	bridgecheck send -d 20000 r r 400 >/dev/null
	n=0
	until tail -n +$((n0 + 1)) $log | grep -q 'out r: .* -> disconnected'; do
		[ $n -lt 600 ] || break
		sleep 0.2
		n=$((n + 1))
	done
	check "r: the outbound bridge saw the broker go away mid-stream" \
		sh -c "tail -n +$((n0 + 1)) $log | grep -q 'out r: .* -> disconnected'"
	check "r: 200 more messages sent while the broker restarts" \
		bridgecheck send -s 400 r r 600
	n=0
	until tail -n +$((n0 + 1)) $log | grep -q 'out r: connecting -> connected'; do
		[ $n -lt 600 ] || break
		sleep 0.2
		n=$((n + 1))
	done

	# --- full: a full far mailbox pushes back to the near sender
	wait_connected 60
	out=$(bridgecheck send -n full full 40)
	rc=$?
	sent=$(echo "$out" | awk '{ print $2 }')
	echo "    full: non-blocking sender: $out"
	check "full: a non-blocking send gets EAGAIN (for 3 s on end) once the far mailbox is full" [ "$rc" -eq 3 ]
	sleep 2
	bridgecheck send -s "${sent:-0}" full full 40 >/tmp/full.out &
	spid=$!
	# blocked in the kernel on the full mailbox, and refused by the broker
	sender_blocked() { mboxctl info full | grep -q ' 1 senders' && running "$spid"; }
	nacked() { [ "$(status_field full 9)" -gt 0 ] 2>/dev/null; }
	await 30 sender_blocked
	await 30 nacked
	check "full: a blocking sender blocks" sender_blocked
	rej=$(status_field full 9)
	check "full: the broker refused publishes meanwhile (reject-publish: $rej nacks)" \
		[ "${rej:-0}" -gt 0 ]
	mboxctl send ctl drain
	wait $spid
	check "full: the blocked sender completes once the far side receives" [ $? -eq 0 ]

	# --- lossy: a drop-oldest path (drop-head queue of 10, far mailbox of 5
	# that nobody reads yet): the oldest are dropped, the newest arrive
	bridgecheck send lossy lossy 50 >/dev/null
	bridgecheck wait lossy received 50 -t 60 >/dev/null
	check "lossy: the near bridge published all 50 (the queue dropped the oldest)" [ $? -eq 0 ]
	mboxctl send ctl lossy

	# --- news: a broadcast mailbox -> a fanout exchange -> two far bindings
	check "news: 50 messages sent to the broadcast mailbox" bridgecheck send news news 50

	# --- the benchmark: both bridges here, one clock
	echo "--- benchmark (through the bridge, then a plain librabbitmq pair)"
	check "bench: through the bridge" bridge-bench mbox bench benchrx 500
	check "bench: plain librabbitmq publisher/consumer" \
		bridge-bench amqp 10.0.2.100 "$port" mbox "$pass" mbox.bench-plain 500
	# Let every outbound mailbox drain before stopping.
	for mb in prio k1 k2 k3 r full ctl lossy news; do
		bridgecheck wait "$mb" received "$(bridgecheck get "$mb" sent)" -t 60 >/dev/null ||
			echo "    $mb did not drain"
	done

	# --- one bridge per state directory; SIGHUP is ignored
	out=$(timeout 30 mbox-bridge -c $conf 2>&1)
	rc=$?
	echo "    second bridge: $out (exit $rc)"
	check "a second bridge on the same state-dir exits 1 and says why" \
		sh -c "[ $rc -eq 1 ] && echo \"\$0\" | grep -q 'already running on state-dir'" "$out"
	bpid=$(cat /tmp/bridge.pid)
	kill -HUP "$bpid"
	await 30 "grep -q 'SIGHUP: ignored' $log"
	check "SIGHUP is logged and ignored: the bridge keeps running" \
		sh -c "grep -q 'SIGHUP: ignored' $log && [ -r /proc/$bpid/stat ] && ! grep -q '^[0-9]* ([^)]*) Z' /proc/$bpid/stat"
	finish
	exit 0
fi

# ---- role b: the far machine
for mb in prio:100 k1:1000 k2:1000 k3:1000 r:1000 full:5 ctl:4 lossy:5 news1:100 news2:100; do
	mboxctl create "${mb%%:*}" -m 0666 -c "${mb#*:}" >/dev/null
done
{
	broker "$pass"
	binding in prio "envelope = yes"
	for b in k1 k2 k3 r ctl; do binding in $b; done
	binding in full "max-length = 5" "overflow = reject-publish" "prefetch = 1"
	binding in lossy "max-length = 10" "overflow = drop-head" "prefetch = 1"
	printf '\n[in news1]\nmailbox = news1\nexchange = mbox.news\n'
	printf '\n[in news2]\nmailbox = news2\nexchange = mbox.news\n'
} >$conf
# The first instance dies after putting k2's 100th message in the mailbox,
# before acking it (the worst moment for the inbound side).
start_bridge MBOX_BRIDGE_CRASH=sent:k2:100

check "prio: priorities, sender identity, per-priority order survive the trip" \
	bridgecheck recv -w -p 8 -e vm-a prio prio 64 -t 180
check "k1: outbound bridge killed after a confirm: every message exactly once" \
	bridgecheck recv k1 k1 300 -t 180
d=$(grep -c 'in k1: dropped duplicate .*(published again)' $log)
check "k1: the republished message (same ID) was dropped ($d duplicates)" [ "$d" -ge 1 ]

bridgecheck recv k2 k2 300 -t 180 >/tmp/k2.out &
rpid=$!
wait_bridge_exit 180 137
check "k2: the inbound bridge was killed (SIGKILL) after a send, before its ack" [ $? -eq 0 ]
wait $rpid
rc=$?
cat /tmp/k2.out
check "k2: inbound bridge killed after a send: every message exactly once" [ $rc -eq 0 ]
grep -q 'it reached the mailbox' $log
check "k2: the restarted bridge found the interrupted message in the mailbox" [ $? -eq 0 ]
d=$(grep -c 'in k2: dropped duplicate .*(redelivered by the broker)' $log)
check "k2: its redelivery was dropped ($d duplicates)" [ "$d" -ge 1 ]

bridgecheck recv k3 k3 500 -t 180 >/tmp/k3.out &
rpid=$!
# Early in the stream: after vm-a's own kill its backlog arrives as a burst,
# which on a busy host could otherwise finish before the kill lands.
bridgecheck wait k3 sent 100 -t 120 >/dev/null
kill_bridge
n=$(bridgecheck get k3 sent)
# Whether the kill lands mid-stream depends on timing: when vm-a's backlog
# is already queued at the broker it arrives in a burst that can end first.
# Then say so; the exactly-once check below holds either way.
if [ "$n" -lt 500 ]; then
	check "k3: kill -9 of the inbound bridge mid-stream ($n of 500 delivered)" true
else
	echo "# k3: the inbound bridge was killed after its last delivery (the burst ended first)"
fi
wait $rpid
rc=$?
cat /tmp/k3.out
check "k3: kill -9 of both bridges mid-stream: every message exactly once" [ $rc -eq 0 ]

n0=$(wc -l <$log)
bridgecheck recv r r 600 -t 240 >/tmp/r.out &
rpid=$!
bridgecheck wait r sent 60 -t 120 >/dev/null
echo "MARK broker-restart"
wait $rpid
rc=$?
cat /tmp/r.out
check "r: broker restart mid-stream: every message exactly once" [ $rc -eq 0 ]
c=$(tail -n +$((n0 + 1)) $log | grep -c 'in r: connecting -> connected')
check "r: the inbound binding reconnected after the restart ($c times)" [ "$c" -ge 1 ]

bridgecheck wait full queued 5 -t 120 >/dev/null
check "full: the far mailbox filled up" [ $? -eq 0 ]
msg=$(mboxctl recv ctl -t 120000)
check "full: the near side says it saw EAGAIN and a blocked sender ($msg)" [ "$msg" = drain ]
check "full: then every message arrives exactly once, in order" \
	bridgecheck recv full full 40 -t 120

msg=$(mboxctl recv ctl -t 120000)
check "lossy: the near side published all 50 ($msg)" [ "$msg" = lossy ]
bridgecheck recv -l lossy lossy 50 -t 60 >/tmp/lossy.out
rc=$?
cat /tmp/lossy.out
n=$(awk '{ print $2 }' /tmp/lossy.out)
check "lossy: drop-head kept the newest, dropped the oldest ($n of 50 arrived, the last among them, in order, none twice)" \
	sh -c "[ $rc -eq 0 ] && [ ${n:-50} -lt 50 ]"

bridgecheck recv news1 news 50 -t 120 >/tmp/news1.out &
n1=$!
bridgecheck recv news2 news 50 -t 120 >/tmp/news2.out
rc2=$?
wait $n1
rc1=$?
cat /tmp/news1.out /tmp/news2.out
check "news: a broadcast mailbox through a fanout exchange: each far binding gets every message once" \
	sh -c "[ $rc1 -eq 0 ] && [ $rc2 -eq 0 ]"

# ---- a second bridge, all on this machine, with its own state directory
qconf=/tmp/q.conf qlog=/tmp/q.log qstate=/tmp/qstate
mboxctl create unbsrc -m 0666 -c 1000 >/dev/null
mboxctl create unb -m 0666 -c unbounded >/dev/null
mboxctl create resrc -m 0666 -c 100 >/dev/null
mboxctl create re -m 0666 -c 100 >/dev/null
mboxctl create jn -m 0666 -c 100 >/dev/null
mboxctl create jnrx -m 0666 -c 100 >/dev/null
mboxctl create widesrc -m 0666 -c 100 >/dev/null
mboxctl create wide -m 0666 -c 100 >/dev/null
mboxctl create jk -m 0666 -c 100 >/dev/null
mboxctl create jkrx -m 0666 -c 100 >/dev/null
mboxctl create ct -m 0666 -c 10 >/dev/null
for mb in qdsrc qd jfa jfb jfarx sfsrc sf fp cr; do mboxctl create $mb -m 0666 -c 100 >/dev/null; done
broker "$pass" | sed "s|^state-dir = .*|state-dir = $qstate|" >$qconf
printf '\n[out o-unb]\nmailbox = unbsrc\nqueue = l.unb\n' >>$qconf
printf '\n[in i-unb]\nmailbox = unb\nqueue = l.unb\n' >>$qconf
printf '\n[out o-re]\nmailbox = resrc\nqueue = l.re\n' >>$qconf
printf '\n[in i-re]\nmailbox = re\nqueue = l.re\n' >>$qconf
printf '\n[in i-jn]\nmailbox = jnrx\nqueue = l.jn\n' >>$qconf
printf '\n[out o-wide]\nmailbox = widesrc\nqueue = l.wide\n' >>$qconf
printf '\n[in i-wide]\nmailbox = wide\nqueue = l.wide\n' >>$qconf
printf '\n[in i-jk]\nmailbox = jkrx\nqueue = l.jk\n' >>$qconf
printf '\n[out o-qd]\nmailbox = qdsrc\nqueue = l.qd\n' >>$qconf
printf '\n[in i-qd]\nmailbox = qd\nqueue = l.qd\n' >>$qconf
printf '\n[in i-jfa]\nmailbox = jfarx\nqueue = l.jfa\n' >>$qconf
printf '\n[out o-sf]\nmailbox = sfsrc\nqueue = l.sf\n' >>$qconf
printf '\n[in i-fp]\nmailbox = fp\nqueue = l.fp\n' >>$qconf
# a corrupt outbound journal: only its binding is concerned
mkdir -p $qstate
echo garbage >$qstate/o-re.out
# odd names: no index, an index too long, a dangling symbolic link
: >$qstate/o-re.out.-1
: >$qstate/o-re.out.99999999999999999999999
ln -s /nonexistent $qstate/o-re.out.1000002
mbox-bridge -c $qconf 2>>$qlog &
qpid=$!
# what the two checks below look for, all logged at the bridge's start
await 30 "ls $qstate/o-re.out.corrupt.* >/dev/null 2>&1 && grep -q 'o-re.out is corrupt' $qlog &&
	grep -q 'out o-re: ignoring $qstate/o-re.out.-1: named like' $qlog &&
	grep -q 'out o-re: ignoring $qstate/o-re.out.99999999999999999999999: named like' $qlog &&
	grep -q 'out o-re: ignoring journal $qstate/o-re.out.1000002: it cannot be opened' $qlog"
check "corrupt journal: moved aside with a clear message, the bridge runs on" \
	sh -c "ls $qstate/o-re.out.corrupt.* >/dev/null 2>&1 && grep -q 'o-re.out is corrupt' $qlog && [ -r /proc/$qpid/stat ]"
grep 'out o-re: ignoring' $qlog | sed 's/^/    /'
check "odd journal names (o-re.out.-1, an index of 23 digits, a dangling symlink): each one logged" \
	sh -c "grep -q 'out o-re: ignoring $qstate/o-re.out.-1: named like' $qlog &&
	       grep -q 'out o-re: ignoring $qstate/o-re.out.99999999999999999999999: named like' $qlog &&
	       grep -q 'out o-re: ignoring journal $qstate/o-re.out.1000002: it cannot be opened' $qlog"

# --- the sender's byte quota (EDQUOT) on the far mailbox is temporary
q0=$(cat /sys/module/mbox/parameters/bytes_per_user)
bridgecheck send unbsrc unb 100 >/dev/null
echo 2048 >/sys/module/mbox/parameters/bytes_per_user
bridgecheck wait unbsrc received 100 -t 60 >/dev/null
await 30 "grep -q 'in i-unb: sending into mailbox .unb.: .*retrying' $qlog"
echo "    far mailbox queued $(bridgecheck get unb queued) of 100 under the quota"
check "quota: EDQUOT held the delivery (logged), nothing refused" \
	sh -c "grep -q 'in i-unb: sending into mailbox .unb.: .*retrying' $qlog && ! grep -q 'refusing' $qlog"
echo "$q0" >/sys/module/mbox/parameters/bytes_per_user
bridgecheck recv unb unb 100 -t 60 >/tmp/unb.out
rc=$?
cat /tmp/unb.out
check "quota: once the quota allows it, all 100 arrive exactly once, in order" [ $rc -eq 0 ]

# --- the far mailbox is removed and created again while the bridge runs
bridgecheck send resrc re 3 >/dev/null
check "re: 3 messages before the removal" bridgecheck recv re re 3 -t 60
mboxctl rm re
mboxctl create re -m 0666 -c 100 >/dev/null
bridgecheck send resrc re2 3 >/dev/null
bridgecheck recv re re2 3 -t 60 >/tmp/re.out
rc=$?
cat /tmp/re.out
check "re: the recreated mailbox gets the next 3 (reopened by name)" \
	sh -c "[ $rc -eq 0 ] && grep -q 'in i-re: mailbox .re. .* was removed: reopening' $qlog"
mboxctl rm resrc
mboxctl create resrc -m 0666 -c 100 >/dev/null
bridgecheck send resrc re3 3 >/dev/null
bridgecheck recv re re3 3 -t 60 >/tmp/re.out
rc=$?
cat /tmp/re.out
check "re: the near mailbox removed and created again: reopened by name, the next 3 arrive" \
	sh -c "[ $rc -eq 0 ] && grep -q 'out o-re: mailbox .resrc. .* was removed: reopened' $qlog"

# --- priorities above 31 (AMQP's priority is an octet; the broker orders
# everything from x-max-priority 31 up as one level): the exact priority
# travels in x-mbox-priority; all 64 queued at the far mailbox first, then
# strict priority order, FIFO within each priority, each one's own priority
wp=0,7,31,32,33,100,1000,32767
check "wide: 64 messages with priorities $wp sent" \
	bridgecheck send -P $wp widesrc wide 64
check "wide: exact priorities above 31, strict priority order, FIFO within each" \
	bridgecheck recv -w -P $wp wide wide 64 -t 120

# --- killed after journaling a message, before taking it out of the mailbox
# (MBOX_BRIDGE_CRASH=journaled): the restarted bridge takes exactly that one
# out by its seq, although a message of higher priority is at the head now,
# and publishes it once (no duplicate for the far side to drop)
{ broker "$pass" | sed "s|^state-dir = .*|state-dir = /tmp/jkst|"
  printf '\n[out jk]\nmailbox = jk\nqueue = l.jk\nwindow = 1\n'; } >/tmp/jk.conf
bridgecheck send -p 20 jk jk 20 >/dev/null
MBOX_BRIDGE_CRASH=journaled:jk:5 mbox-bridge -c /tmp/jk.conf 2>>/tmp/jk.log
rc=$?
left=$(bridgecheck get jk queued)
check "jk: killed after journaling its 5th message, before taking it (exit $rc, $left of 20 still queued)" \
	sh -c "[ $rc -eq 137 ] && [ $left -eq 16 ]"
bridgecheck send -s 20 -p 21 jk jk 21 >/dev/null
mbox-bridge -c /tmp/jk.conf 2>>/tmp/jk.log &
jkpid=$!
bridgecheck recv -p 21 jkrx jk 21 -t 60 >/tmp/jk.out
rc=$?
cat /tmp/jk.out
d=$(grep -c 'in i-jk: dropped duplicate' $qlog)
check "jk: all 21 exactly once, the journaled one taken out by its seq, none published twice ($d duplicates)" \
	sh -c "[ $rc -eq 0 ] && [ $d -eq 0 ] && grep -q 'out jk: journaled message seq .* was still in mailbox .jk.: took it out' /tmp/jk.log"
kill -TERM $jkpid
wait $jkpid

# --- a sub-second confirm timeout: the broker stalls (a relay in front of
# it is stopped); the bridge gives up after confirm-timeout ms, not rounded
# to seconds, and publishes again once the broker answers
bridgecheck relay 35999 10.0.2.100 "$port" &
relpid=$!
{ broker "$pass" | sed -e "s|^state-dir = .*|state-dir = /tmp/ctst|" \
	-e "s|^host = .*|host = 127.0.0.1|" -e "s|^port = .*|port = 35999|" |
	awk '{ print } /^backoff-max/ { print "confirm-timeout = 1950" }'
  printf '\n[out ct]\nmailbox = ct\nqueue = l.ct\n'; } >/tmp/ct.conf
mbox-bridge -c /tmp/ct.conf 2>>/tmp/ct.log &
ctpid=$!
n=0
until grep -q 'out ct: connecting -> connected' /tmp/ct.log || [ $n -ge 300 ]; do
	sleep 0.2
	n=$((n + 1))
done
kill -STOP $relpid
t0=$(bridgecheck clock)
bridgecheck send ct ct 1 >/dev/null
n=0
until grep -q 'no confirm from the broker within 1950 ms' /tmp/ct.log || [ $n -ge 100 ]; do
	sleep 0.2
	n=$((n + 1))
done
t1=$(grep -m 1 'no confirm from the broker within 1950 ms' /tmp/ct.log | cut -d' ' -f1)
el=$(echo "$t0 $t1" | awk '{ split($1, a, ":"); split($2, b, ":");
	print int(((b[1] - a[1]) * 3600 + (b[2] - a[2]) * 60 + (b[3] - a[3])) * 1000 + 0.5) }')
# The bridge says how long ago it had published the message; the send
# before that publish bounds it from below, whatever the guest's load.
# Only the lower bounds are tight (a loaded host makes the bridge late,
# never early): rounded to whole seconds as before, 1950 ms gave up 1.0-2.2
# s after the publish, below 1950 ms for all but the last 0.05-0.25 s of a
# second; the upper bound only catches a wait of another second.
w=$(grep -m 1 'no confirm from the broker within 1950 ms' /tmp/ct.log |
	sed -n 's/.*was published \([0-9]*\) ms ago.*/\1/p')
echo "    confirm timeout: sent at $t0, given up at $t1 (${el:-?} ms after the send, ${w:-?} ms after the publish)"
check "confirm-timeout = 1950 ms is honoured to the millisecond (given up ${w:-?} ms after the publish, ${el:-?} ms after the send)" \
	sh -c "[ -n '$t1' ] && [ ${el:--1} -ge 1950 ] && [ ${w:--1} -ge 1950 ] && [ ${w:--1} -lt 2950 ]"
kill -CONT $relpid
n=0
ct_confirmed() {
	[ "$(mbox-bridge -c /tmp/ct.conf status | awk '$1 == "ct" { print $6 }')" = 1 ]
}
until ct_confirmed || [ $n -ge 300 ]; do
	sleep 0.2
	n=$((n + 1))
done
ct_done() {
	ct_confirmed && [ "$(bridgecheck get ct queued)" -eq 0 ] &&
		! ls /tmp/ctst/ct.out* >/dev/null 2>&1
}
check "ct: once the broker answers, the message is published again and confirmed" ct_done
kill -TERM $ctpid
wait $ctpid
kill $relpid

# --- the outbound journal cannot be written: the message stays in the mailbox
mkdir -p /tmp/fullst && mount -t tmpfs -o size=16k tmpfs /tmp/fullst
dd if=/dev/zero of=/tmp/fullst/fill bs=1k count=64 2>/dev/null
{ broker "$pass" | sed "s|^state-dir = .*|state-dir = /tmp/fullst|"
  printf '\n[out jn]\nmailbox = jn\nqueue = l.jn\n'; } >/tmp/jo.conf
sed "s|^state-dir = .*|state-dir = /tmp/jost|" /tmp/jo.conf >/tmp/jo2.conf
bridgecheck send jn jn 20 >/dev/null
out=$(timeout 60 mbox-bridge -c /tmp/jo.conf 2>&1)
rc=$?
echo "$out" | grep -m 2 journal | sed 's/^/    /'
check "journal write fails: exit 1, clear error, all 20 still in the mailbox" \
	sh -c "[ $rc -eq 1 ] && echo \"\$0\" | grep -q 'stays in mailbox' && [ \$(bridgecheck get jn queued) -eq 20 ]" "$out"
# then killed (as by kill -9) after its 5th receive, before that message's publish
MBOX_BRIDGE_CRASH=received:jn:5 mbox-bridge -c /tmp/jo2.conf 2>>/tmp/jo.log
rc=$?
mbox-bridge -c /tmp/jo2.conf 2>>/tmp/jo.log &
jpid=$!
bridgecheck recv jnrx jn 20 -t 60 >/tmp/jn.out
rc2=$?
cat /tmp/jn.out
check "journal: killed between receive and publish (exit $rc), then all 20 exactly once" \
	sh -c "[ $rc -eq 137 ] && [ $rc2 -eq 0 ]"
# --- qd: the queue is deleted on the broker (an operator's delete_queue)
# while both bindings idle: the broker cancels the inbound consumer
# (basic.cancel); the binding says so, declares the queue again and
# consumes, and the next messages arrive
check "qd: 5 messages before the queue is deleted" sh -c \
	"bridgecheck send qdsrc qd 5 >/dev/null && bridgecheck recv qd qd 5 -t 60"
check "qd: queue l.qd deleted on the broker" \
	bridgecheck amqp 10.0.2.100 "$port" mbox "$pass" delete l.qd
sleep 1
bridgecheck send qdsrc qd2 20 >/dev/null
bridgecheck recv qd qd2 20 -t 40 >/tmp/qd.out
rc=$?
cat /tmp/qd.out
grep 'i-qd: ' $qlog | tail -n 4 | sed 's/^/    /'
qds=$(mbox-bridge -c $qconf status | awk '$1 == "i-qd"')
echo "    status: $qds"
check "qd: the cancel is logged and in the status, the binding consumes again: 20 of 20" \
	sh -c "[ $rc -eq 0 ] && grep -q 'in i-qd: connected -> disconnected: the broker cancelled the consumer' $qlog && echo '$qds' | grep -q 'connected .*cancelled the consumer'"

# --- jf: a journal file written for another binding (jfb's, copied into
# the state dir as jfa.out.7: a careless restore) is moved aside with a log
# line naming both files, never published on jfa's queue
for x in jfa jfb; do
	{ broker "$pass" | sed "s|^state-dir = .*|state-dir = /tmp/${x}st|"
	  printf '\n[out %s]\nmailbox = %s\nqueue = l.%s\n' $x $x $x; } >/tmp/$x.conf
done
bridgecheck send jfb jfb 1 >/dev/null
MBOX_BRIDGE_CRASH=confirmed:jfb:1 mbox-bridge -c /tmp/jfb.conf 2>>/tmp/jf.log
rc=$?
f=
for x in /tmp/jfbst/jfb.out.[0-9]*; do
	[ -e "$x" ] && f=${x##*/} && break
done
mkdir -p /tmp/jfast
[ -n "$f" ] && cp "/tmp/jfbst/$f" /tmp/jfast/jfa.out.7
check "jf: jfb's journal file $f (killed after its confirm, exit $rc) copied in as jfa.out.7" \
	[ -e /tmp/jfast/jfa.out.7 ]
bridgecheck send jfa jfa 3 >/dev/null
mbox-bridge -c /tmp/jfa.conf 2>>/tmp/jf.log &
jfpid=$!
bridgecheck recv jfarx jfa 3 -t 60 >/tmp/jf.out
rc=$?
cat /tmp/jf.out
grep 'out jfa: journal' /tmp/jf.log | sed 's/^/    /'
check "jf: the foreign journal file is moved aside, logged with both names, not published (3 of 3 of jfa's own, nothing foreign)" \
	sh -c "[ $rc -eq 0 ] && ls /tmp/jfast/jfa.out.7.foreign.* >/dev/null 2>&1 && grep -q \"out jfa: journal /tmp/jfast/jfa.out.7 was written by binding 'jfb', not by this one: moved it aside to /tmp/jfast/jfa.out.7.foreign\" /tmp/jf.log"
kill -TERM $jfpid
wait $jfpid

# --- sf: the inbound bridge's state dir fills up while it runs: it stops
# (exit 1) naming the file and the cause, before delivering; once there is
# room again every message arrives once
mkdir -p /tmp/sfst && mount -t tmpfs -o size=16k tmpfs /tmp/sfst
{ broker "$pass" | sed "s|^state-dir = .*|state-dir = /tmp/sfst|"
  echo 'status-file = /tmp/sf.status'
  printf '\n[in i-sf]\nmailbox = sf\nqueue = l.sf\n'; } >/tmp/sf.conf
mbox-bridge -c /tmp/sf.conf 2>>/tmp/sf.log &
sfpid=$!
n=0
until grep -q 'in i-sf: connecting -> connected' /tmp/sf.log || [ $n -ge 300 ]; do
	sleep 0.2
	n=$((n + 1))
done
dd if=/dev/zero of=/tmp/sfst/fill bs=1k count=64 2>/dev/null
bridgecheck send sfsrc sf 3 >/dev/null
n=0
while running $sfpid && [ $n -lt 300 ]; do
	sleep 0.2
	n=$((n + 1))
done
running $sfpid && kill -TERM $sfpid
wait $sfpid
rc=$?
grep 'in i-sf: .*state file' /tmp/sf.log | sed 's/^/    /'
q=$(bridgecheck get sf queued)
check "sf: state dir full: exit $rc, the log names the file and 'No space left', $q delivered" \
	sh -c "[ $rc -eq 1 ] && [ $q -eq 0 ] && grep -q 'in i-sf: .*state file /tmp/sfst/i-sf.in: No space left on device' /tmp/sf.log"
rm -f /tmp/sfst/fill
mbox-bridge -c /tmp/sf.conf 2>>/tmp/sf.log &
sfpid=$!
check "sf: with room again, all 3 exactly once" bridgecheck recv sf sf 3 -t 60
kill -TERM $sfpid
wait $sfpid
umount /tmp/sfst

# --- fp: a foreign publisher's x-mbox-priority that is no priority (out of
# range, negative, not a number): delivered at the AMQP priority (or 0),
# each one logged
amqp_pub() { bridgecheck amqp 10.0.2.100 "$port" mbox "$pass" publish l.fp "$@"; }
amqp_pub "fp 0 pid=0 uid=0" - i:99999 &&
	amqp_pub "fp 1 pid=0 uid=0" 3 s:high &&
	amqp_pub "fp 2 pid=0 uid=0" 5 i:-5
check "fp: 3 foreign messages published (x-mbox-priority 99999, 'high', -5)" [ $? -eq 0 ]
bridgecheck recv -P 0,3,5 fp fp 3 -t 60 >/tmp/fp.out
rc=$?
cat /tmp/fp.out
grep 'in i-fp: ' $qlog | grep -v connect | sed 's/^/    /'
n=$(grep -c "in i-fp: message without ID: x-mbox-priority .* is not a priority" $qlog)
check "fp: delivered at priorities 0 (none), 3 and 5 (AMQP), each logged ($n lines)" \
	sh -c "[ $rc -eq 0 ] && [ $n -eq 3 ] && grep -q \"x-mbox-priority 'high' is not a priority .*: delivered at priority 3 (its AMQP priority)\" $qlog"

# --- cr: a closed port is said as such (the connect's errno), not only as
# librabbitmq's "a socket error occurred"
{ broker "$pass" | sed -e "s|^state-dir = .*|state-dir = /tmp/crst|" \
	-e "s|^host = .*|host = 127.0.0.1|" -e "s|^port = .*|port = 1|"
  printf '\n[in cr]\nmailbox = cr\nqueue = l.cr\n'; } >/tmp/cr.conf
mbox-bridge -c /tmp/cr.conf 2>>/tmp/cr.log &
crpid=$!
n=0
until grep -q 'cannot connect' /tmp/cr.log || [ $n -ge 100 ]; do
	sleep 0.2
	n=$((n + 1))
done
kill -TERM $crpid
wait $crpid
grep -m 1 'cannot connect' /tmp/cr.log | sed 's/^/    /'
check "cr: a closed port is logged as 'Connection refused'" \
	grep -q 'in cr: .*cannot connect to 127.0.0.1:1: a socket error occurred (Connection refused)' /tmp/cr.log

kill -TERM $jpid $qpid
wait $jpid
wait $qpid
echo "--- the second bridge's log"
cat $qlog /tmp/jo.log /tmp/jk.log /tmp/ct.log /tmp/jf.log /tmp/sf.log
finish
exit 0
