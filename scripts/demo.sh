#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# make demo: runs inside the VM once mbox.ko is loaded (busybox sh).
# Everything here goes through mboxctl, i.e. through libmbox and the ioctls.
set -e
step() { printf '\n=== %s\n' "$*"; }
# Show a command as a user would type it, then run it.
run() {
	printf '$'
	for a in "$@"; do
		case $a in *' '*) printf " '%s'" "$a" ;; *) printf ' %s' "$a" ;; esac
	done
	printf '\n'
	"$@"
}
# Wait (up to 30 s) until the shell condition $1 holds: what a step shows
# next depends on another process having got that far, which no fixed
# sleep ensures on a loaded TCG host. Fails the demo if it never holds.
await() {
	n=0
	until eval "$1"; do
		if [ $n -ge 150 ]; then
			echo "  (30 s and still not: $1)"
			return 1
		fi
		sleep 0.2
		n=$((n + 1))
	done
}

step "the module is loaded"
grep '^mbox ' /proc/modules
ls -l /dev/mbox
run mboxctl version

step "a bounded mailbox 'jobs' (capacity 4): create it and look at it"
run mboxctl create jobs -m 0666 -c 4
run mboxctl info jobs

step "a blocking receive waits for a message, and wakes up when one is sent"
(mboxctl recv jobs -v | sed 's/^/  [receiver] got: /') &
receiver=$!
await "mboxctl info jobs | grep -q ' 1 receivers'"
mboxctl info jobs | grep waiting
run mboxctl send jobs "wake up"
wait $receiver
mboxctl info jobs | grep waiting

step "3 producers x 5 messages, 2 consumers: every message arrives once"
for p in 1 2 3; do
	( for n in 1 2 3 4 5; do echo "job $p.$n"; done | mboxctl send jobs ) &
done
for c in a b; do
	( mboxctl recv jobs -f -t 2000 > /tmp/consumer-$c ) &
done
wait
for c in a b; do
	echo "  consumer $c got $(wc -l < /tmp/consumer-$c) messages"
done
echo "  all jobs, sorted:"
sort /tmp/consumer-a /tmp/consumer-b | tr '\n' ' ' | fold -w 70 | sed 's/^/    /'
echo
total=$(cat /tmp/consumer-a /tmp/consumer-b | sort -u | wc -l)
echo "  $total distinct jobs received"
[ "$total" = 15 ]
mboxctl info jobs | grep -E 'queued|totals'

step "a full mailbox: a non-blocking send fails, a timed send times out"
run mboxctl send jobs one two three four
run mboxctl send jobs -n five || echo "  (exit status $?: the mailbox is full)"
run mboxctl send jobs -t 300 five || echo "  (exit status $?: timed out after 300 ms)"
run mboxctl recv jobs -c 4

step "priorities: highest first, FIFO within a priority"
run mboxctl send jobs -p 1 "low"
run mboxctl send jobs -p 9 "urgent"
run mboxctl send jobs -p 5 "normal 1"
run mboxctl send jobs -p 5 "normal 2"
run mboxctl recv jobs -c 4 -v

step "a rendezvous mailbox (capacity 0): the sender waits for a receiver"
run mboxctl create meet -c 0
start=$(date +%s)
( mboxctl send meet "handshake" && echo "  [sender] send returned after $(( $(date +%s) - start )) s" ) &
sender=$!
await "mboxctl info meet | grep -q ' 1 senders'"
echo "  the sender is blocked, its message offered but not taken:"
mboxctl info meet | grep -E 'kind|queued|waiting'
run mboxctl recv meet -v
wait $sender

step "a broadcast mailbox: every subscriber gets every message"
run mboxctl create news --broadcast -c 8
for s in 1 2 3; do
	( mboxctl recv news -c 2 | sed "s/^/  [subscriber $s] /" ) &
done
# a subscriber that came after the send would wait for good
await "mboxctl info news | grep -q '^subscribers: *3$'"
mboxctl info news | grep subscribers
run mboxctl send news "edition 1" "edition 2"
wait

step "direct links: processes named by pid, one link per pair"
echo '$ mboxctl listen -c 3 -v -e > /tmp/listener 2>&1 &'
mboxctl listen -c 3 -v -e > /tmp/listener 2>&1 &
listener=$!
await "grep -q 'reachable as pid' /tmp/listener"
cat /tmp/listener
run mboxctl tell "$listener" "hello by rendezvous"
echo "  (tell returned once the listener had the message)"
run mboxctl tell -a "$listener" "queued, and tell returns at once"
run mboxctl call "$listener" "a call, echoed back"
wait $listener
echo "  what the listener printed:"
sed 's/^/    /' /tmp/listener

step "RPC: a key-value service (examples/kv_server.c) and its client"
echo '$ kv_server -v &'
kv_server -v &
server=$!
await "mboxctl ls | grep -q ' pid=$server '"
run kv_client $server set colour "deep blue"
run kv_client $server get colour
run kv_client $server get shape || echo "  (exit status $?)"
echo "  eight clients at once, each gets the reply to its own call:"
for i in 1 2 3 4 5 6 7 8; do kv_client $server set "k$i" "v$i" >/dev/null & done
wait_clients() { for p in $(jobs -p); do [ "$p" = "$server" ] || wait "$p"; done; }
wait_clients
run kv_client $server keys
echo "  the server is stopped, a client calls it, and the server is killed:"
kill -STOP $server
echo '$ kv_client '$server' get colour'
( kv_client $server get colour || echo "  (exit status $?)" ) &
client=$!
sleep 1
echo "  [1 s later the client is still waiting; kill -9 $server]"
kill -9 $server
wait $client
wait $server 2>/dev/null || true
echo "  and a call to a process that is gone:"
run kv_client $server get colour || echo "  (exit status $?)"

step "POSIX message queues: one unmodified program, the kernel's mqueue, then mbox"
echo "  mq_hello is a plain <mqueue.h> program (examples/mq_hello.c); on the kernel:"
run mq_hello /hello
run ls /dev/mqueue
mq_hello -u /hello
echo "  the same binary with libmbox-mq preloaded: the queue is an mbox mailbox"
run env LD_PRELOAD=libmbox-mq.so.1 mq_hello /hello
run ls /dev/mqueue
run mboxctl info hello
run env LD_PRELOAD=libmbox-mq.so.1 mq_hello -u /hello

step "a shared ring segment: a named pipe of records in shared memory"
run mboxctl ring create logs -s 8192
echo '$ mboxctl ring recv logs &'
mboxctl ring recv logs | sed 's/^/  [consumer] /' &
await "mboxctl ring info logs | grep -q '^consumer: *attached'"
run mboxctl ring info logs
echo '$ seq 1 5 | mboxctl ring send logs    # the consumer gets them, then end of stream'
seq 1 5 | mboxctl ring send logs
wait
run mboxctl ring info logs
run mboxctl ring rm logs

step "zero-copy streaming through a ring (examples/ring_stream.c)"
echo "  the producer writes records in place, the consumer reads them in place;"
echo "  the kernel is entered only when one side must sleep or wake the other:"
run ring_stream 200000 64
run ring_stream 20000 4000

step "one io_uring loop serves mailboxes, a link endpoint and TCP (examples/uring_server.c)"
echo "  receives wait parked in the kernel (6.12) or in io-wq (6.1), not in a"
echo "  thread per source; the server forks a producer, a caller and a TCP client:"
run uring_server -m 3 -n 20

step "errors say what went wrong, with an exit status to test"
run mboxctl recv nosuch || echo "  (exit status $?)"
run mboxctl create jobs -x || echo "  (exit status $?)"
run mboxctl send jobs -p 99 x || echo "  (exit status $?)"

step "unlink everything: the module's counters return to zero"
run mboxctl stats
run mboxctl rm jobs meet news
run mboxctl stats
