#!/usr/bin/env bash
# Attack mbox-bridge's configuration parser on the host (`check` needs no
# /dev/mbox). Prints every case's exit status and message.
here=$(cd "$(dirname "$0")/../.." && pwd)
export LD_LIBRARY_PATH=$here/build/lib
B=$here/build/tools/mbox-bridge
d=$(mktemp -d); cd "$d" || exit 1
hdr='[broker]
host = h
user = u
password = p
'
t(){ printf '%s' "$2" > c.conf; out=$($B -c c.conf check 2>&1); echo "[$1] exit $? : $out"; }
t "no bindings" "$hdr"
t "dup key queue" "$hdr[out a]
mailbox = m
queue = q1
queue = q2
"
t "same mailbox bound out twice" "$hdr[out a]
mailbox = m
queue = q1
[out b]
mailbox = m
queue = q2
"
t "same mailbox in twice" "$hdr[in a]
mailbox = m
queue = q1
[in b]
mailbox = m
queue = q2
"
t "same queue, two inbound bindings" "$hdr[in a]
mailbox = m1
queue = q
[in b]
mailbox = m2
queue = q
"
t "out and in on same mailbox and queue (a loop)" "$hdr[out a]
mailbox = m
queue = q
[in b]
mailbox = m
queue = q
"
t "same queue, two outbound bindings with different args" "$hdr[out a]
mailbox = m1
queue = q
max-length = 5
[out b]
mailbox = m2
queue = q
"
t "max-length 0" "$hdr[out a]
mailbox = m
queue = q
max-length = 0
"
t "max-length 2^40" "$hdr[out a]
mailbox = m
queue = q
max-length = 1099511627776
"
t "password with #" "[broker]
host = h
user = u
password = ab#cd
[out a]
mailbox = m
queue = q
"
t "password starting with ;" "[broker]
host = h
user = u
password = ;secret
[out a]
mailbox = m
queue = q
"
t "duplicate [broker] sections" "$hdr[broker]
host = other
[out a]
mailbox = m
queue = q
"
t "queue name amq.foo (reserved by RabbitMQ)" "$hdr[out a]
mailbox = m
queue = amq.foo
"
t "queue name 255 chars" "$hdr[out a]
mailbox = m
queue = $(head -c 255 /dev/zero | tr '\0' q)
"
t "host with a space" "[broker]
host = a b
user = u
password = p
[out a]
mailbox = m
queue = q
"
t "prefetch/dedupe-window on an out binding" "$hdr[out a]
mailbox = m
queue = q
prefetch = 5
dedupe-window = 20
"
t "mailbox name 64 chars" "$hdr[out a]
mailbox = $(head -c 64 /dev/zero | tr '\0' m)
queue = q
"
t "binding name with ]" "$hdr[out a]b]
mailbox = m
queue = q
"
t "section [out] without name" "$hdr[out]
mailbox = m
"
t "status-file in a nonexistent dir" "$hdr[bridge]
status-file = /nonexistent/dir/status
[out a]
mailbox = m
queue = q
"
t "relative state-dir" "$hdr[bridge]
state-dir = rel
[out a]
mailbox = m
queue = q
"
t "vhost quoted empty" "$hdr vhost = \"\"
[out a]
mailbox = m
queue = q
"
t "password-file is a directory" "[broker]
host = h
user = u
password-file = /etc
[out a]
mailbox = m
queue = q
"
t "confirm-timeout 1 ms" "$hdr confirm-timeout = 1
[out a]
mailbox = m
queue = q
"
t "mailbox that does not exist (check is documented to check the file)" "$hdr[out a]
mailbox = no-such-mailbox-anywhere
queue = q
"
printf '%s[out a]\nmailbox = m\0garbage\nqueue = q\n' "$hdr" > c.conf
out=$($B -c c.conf check 2>&1); echo "[NUL byte in a value] exit $? : $out"
out=$($B -c /etc check 2>&1); echo "[a directory as config] exit $? : $out"
out=$($B -c /dev/null check 2>&1); echo "[empty config] exit $? : $out"
rm -rf "$d"
