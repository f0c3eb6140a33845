// SPDX-License-Identifier: GPL-2.0
/*
 * bridgecheck: the test driver of make check-bridge (scripts/bridge-vm.sh).
 *
 *   bridgecheck send MAILBOX TAG COUNT [-p NPRIO | -P P1,P2,...] [-s FIRST]
 *	[-d USEC] [-n]
 *	send "TAG I pid=P uid=U" for I = FIRST..COUNT-1 with priority
 *	I % NPRIO (-P: the (I % N)th of the N priorities listed, each
 *	0-32767, all different); -n: non-blocking, retrying an EAGAIN until
 *	it has lasted 3 s (then exit 3, printing how many went); -d: sleep
 *	between messages.
 *   bridgecheck recv MAILBOX TAG COUNT [-t SECONDS] [-q SECONDS] [-w] [-o]
 *	[-p NPRIO | -P P1,P2,...] [-e HOST] [-l]
 *	receive until all COUNT messages of TAG arrived (or -t ran out), then
 *	for -q more seconds (default 2) to catch duplicates. Checks: every
 *	index exactly once, the priority each carries, FIFO within a
 *	priority; -w: first wait until COUNT messages are queued, then also
 *	check strict priority order; -e HOST: every message starts with the
 *	inbound bridge's envelope line, whose host is HOST and whose pid and
 *	uid are the ones the sender wrote into the payload; -l: lossy (a
 *	drop-oldest path): messages may be missing, but the last must come,
 *	none twice, in order.
 *	Exit 0 when all checks pass, 1 otherwise; one summary line.
 *   bridgecheck wait MAILBOX FIELD MIN [-t SECONDS]
 *	wait until the mailbox's counter FIELD (queued, sent, received) >= MIN.
 *   bridgecheck get MAILBOX FIELD
 *	print that counter.
 *   bridgecheck clock
 *	print the time of day as mbox-bridge's log lines give it (HH:MM:SS.mmm).
 *   bridgecheck relay LPORT HOST PORT
 *	forward TCP connections to 127.0.0.1:LPORT to HOST:PORT, in one process
 *	(SIGSTOP it to make the broker look stalled: nothing is forwarded).
 *   bridgecheck amqp HOST PORT USER PASSWORD delete QUEUE
 *	delete a queue on the broker (an operator's rabbitmqctl delete_queue).
 *   bridgecheck amqp HOST PORT USER PASSWORD publish QUEUE BODY PRIO [XPRIO]
 *	publish BODY as a foreign (plain AMQP) publisher would: AMQP priority
 *	PRIO ("-": none), no message ID, and with XPRIO an x-mbox-priority
 *	header: "i:N" a number, "s:TEXT" a string. Waits for the confirm.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <amqp.h>
#include <amqp_tcp_socket.h>

#include "mbox.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int die_usage(void)
{
	fprintf(stderr, "usage: bridgecheck send|recv|wait ... (see the source's header)\n");
	return 2;
}

static long num(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*end || end == s || v < 0) {
		fprintf(stderr, "bridgecheck: '%s' is not a count\n", s);
		exit(2);
	}
	return v;
}

/* The priorities messages get, by index: I % NPRIO, or -P's list. */
struct prios {
	long n;
	long list[64];
};

static void prios_count(struct prios *pr, long n)
{
	if (n < 1 || n > 64) {
		fprintf(stderr, "bridgecheck: -p: 1 to 64 priorities\n");
		exit(2);
	}
	pr->n = n;
	for (long i = 0; i < n; i++)
		pr->list[i] = i;
}

static void prios_list(struct prios *pr, const char *arg)
{
	char *copy = strdup(arg), *save = NULL, *tok;

	pr->n = 0;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		long v = num(tok);

		if (pr->n == 64 || v > MBOX_PRIO_MAX) {
			fprintf(stderr, "bridgecheck: -P: up to 64 priorities of 0-%d\n",
				MBOX_PRIO_MAX);
			exit(2);
		}
		for (long i = 0; i < pr->n; i++)
			if (pr->list[i] == v) {
				fprintf(stderr, "bridgecheck: -P: %ld twice\n", v);
				exit(2);
			}
		pr->list[pr->n++] = v;
	}
	free(copy);
	if (!pr->n)
		prios_count(pr, 1);
}

static unsigned int prio_of(const struct prios *pr, long idx)
{
	return (unsigned int)pr->list[idx % pr->n];
}

static int open_mb(const char *name, unsigned int flags)
{
	int fd = mbox_open(-1, name, flags, NULL, NULL);

	if (fd < 0) {
		fprintf(stderr, "bridgecheck: mailbox '%s': %s\n", name, mbox_strerror(fd));
		exit(1);
	}
	return fd;
}

static int cmd_send(int argc, char **argv)
{
	struct prios pr = { .n = 1 };
	long first = 0, delay = 0, count, i;
	int nonblock = 0, opt, fd;

	while ((opt = getopt(argc, argv, "p:P:s:d:n")) != -1) {
		switch (opt) {
		case 'p': prios_count(&pr, num(optarg)); break;
		case 'P': prios_list(&pr, optarg); break;
		case 's': first = num(optarg); break;
		case 'd': delay = num(optarg); break;
		case 'n': nonblock = 1; break;
		default: return die_usage();
		}
	}
	if (argc - optind != 3)
		return die_usage();
	count = num(argv[optind + 2]);
	fd = open_mb(argv[optind], MBOX_OPEN_SEND);
	double stuck_since = 0;

	for (i = first; i < count; i++) {
		char buf[128];
		int n = snprintf(buf, sizeof(buf), "%s %ld pid=%d uid=%u", argv[optind + 1], i,
				 (int)getpid(), (unsigned int)getuid());
		int ret = mbox_send(fd, buf, (size_t)n, prio_of(&pr, i),
				    nonblock ? MBOX_WAIT_NONBLOCK : 0, 0);

		if (ret == -EAGAIN && nonblock) {
			if (!stuck_since)
				stuck_since = now_s();
			if (now_s() - stuck_since >= 3.0) {
				printf("sent %ld then EAGAIN for 3 s\n", i - first);
				return 3;
			}
			usleep(50000);
			i--;
			continue;
		}
		stuck_since = 0;
		if (ret < 0) {
			fprintf(stderr, "bridgecheck: send %ld: %s\n", i, mbox_strerror(ret));
			return 1;
		}
		if (delay)
			usleep((useconds_t)delay);
	}
	printf("sent %ld\n", count - first);
	return 0;
}

static int cmd_recv(int argc, char **argv)
{
	struct prios pr = { .n = 1 };
	long count, timeout = 120, quiet = 2;
	const char *host = NULL, *tag;
	int waitall = 0, lossy = 0, opt, fd;
	long got = 0, dups = 0, bad = 0, order = 0, prio_bad = 0, env_bad = 0;
	long *last_in_prio;
	unsigned char *seen;
	long last_prio = MBOX_PRIO_MAX + 1;
	double deadline, quiet_until = 0;

	while ((opt = getopt(argc, argv, "t:q:wop:P:e:l")) != -1) {
		switch (opt) {
		case 't': timeout = num(optarg); break;
		case 'q': quiet = num(optarg); break;
		case 'w': waitall = 1; break;
		case 'o': break;	/* FIFO within a priority is always checked */
		case 'p': prios_count(&pr, num(optarg)); break;
		case 'P': prios_list(&pr, optarg); break;
		case 'e': host = optarg; break;
		case 'l': lossy = 1; break;
		default: return die_usage();
		}
	}
	if (argc - optind != 3)
		return die_usage();
	tag = argv[optind + 1];
	count = num(argv[optind + 2]);
	seen = calloc((size_t)count + 1, 1);
	last_in_prio = malloc(64 * sizeof(long));
	if (!seen || !last_in_prio)
		return 1;
	for (int i = 0; i < 64; i++)
		last_in_prio[i] = -1;
	fd = open_mb(argv[optind], MBOX_OPEN_RECV);
	deadline = now_s() + (double)timeout;
	if (waitall) {
		struct mbox_info info;

		for (;;) {
			if (mbox_info(fd, &info) == 0 && info.msgs >= (unsigned long long)count)
				break;
			if (now_s() > deadline) {
				printf("%s: FAIL: only %llu of %ld messages queued after %ld s\n", tag,
				       (unsigned long long)info.msgs, count, timeout);
				return 1;
			}
			usleep(100000);
		}
	}
	for (;;) {
		char buf[4096], *p, *msg;
		struct mbox_recv meta;
		long idx, spid = -1, suid = -1;
		int n;
		double t = now_s();

		if ((got == count || (lossy && count && seen[count - 1])) && !quiet_until)
			quiet_until = t + (double)quiet;
		if (quiet_until && t >= quiet_until)
			break;
		if (!quiet_until && t >= deadline)
			break;
		n = mbox_recv(fd, buf, sizeof(buf) - 1, MBOX_WAIT_TIMEOUT, 200000000LL, &meta);
		if (n == -ETIMEDOUT)
			continue;
		if (n < 0) {
			fprintf(stderr, "bridgecheck: recv: %s\n", mbox_strerror(n));
			return 1;
		}
		buf[n] = '\0';
		msg = buf;
		if (host) {
			char h[64];
			long epid = -2, euid = -2;

			p = strchr(buf, '\n');
			if (!p || sscanf(buf, "from host=%63s pid=%ld uid=%ld", h, &epid, &euid) != 3) {
				env_bad++;
				continue;
			}
			*p = '\0';
			msg = p + 1;
			if (strcmp(h, host))
				env_bad++;
			spid = epid;
			suid = euid;
		}
		{
			char t2[64];
			long ppid, puid;

			if (sscanf(msg, "%63s %ld pid=%ld uid=%ld", t2, &idx, &ppid, &puid) != 4 ||
			    strcmp(t2, tag) || idx < 0 || idx >= count) {
				bad++;
				continue;
			}
			if (host && (spid != ppid || suid != puid))
				env_bad++;
		}
		if (seen[idx]) {
			dups++;
			continue;
		}
		seen[idx] = 1;
		got++;
		if (meta.prio != prio_of(&pr, idx))
			prio_bad++;
		/* FIFO within a priority: by the priority the index carries. */
		if (idx < last_in_prio[idx % pr.n])
			order++;
		last_in_prio[idx % pr.n] = idx;
		if (waitall && (long)meta.prio > last_prio)
			order++;
		last_prio = (long)meta.prio;
	}
	printf("%s: %ld of %ld received, %ld duplicates, %ld missing, %ld out of order, "
	       "%ld wrong priority, %ld bad identity, %ld foreign\n", tag, got, count, dups,
	       count - got, order, prio_bad, env_bad, bad);
	if (lossy)
		return (count && seen[count - 1] && !dups && !order && !prio_bad && !env_bad &&
			!bad) ? 0 : 1;
	return (got == count && !dups && !order && !prio_bad && !env_bad && !bad) ? 0 : 1;
}

static int counter(int fd, const char *f, unsigned long long *v)
{
	struct mbox_info info;

	if (mbox_info(fd, &info) < 0)
		return -1;
	if (!strcmp(f, "queued"))
		*v = info.msgs;
	else if (!strcmp(f, "sent"))
		*v = info.sent;
	else if (!strcmp(f, "received"))
		*v = info.received;
	else
		return -1;
	return 0;
}

static int cmd_get(int argc, char **argv)
{
	unsigned long long v;

	if (argc - optind != 2)
		return die_usage();
	if (counter(open_mb(argv[optind], MBOX_OPEN_SEND), argv[optind + 1], &v))
		return die_usage();
	printf("%llu\n", v);
	return 0;
}

static int cmd_wait(int argc, char **argv)
{
	long timeout = 60, min;
	int opt, fd;
	double deadline;

	while ((opt = getopt(argc, argv, "t:")) != -1) {
		if (opt != 't')
			return die_usage();
		timeout = num(optarg);
	}
	if (argc - optind != 3)
		return die_usage();
	min = num(argv[optind + 2]);
	fd = open_mb(argv[optind], MBOX_OPEN_SEND);
	deadline = now_s() + (double)timeout;
	for (;;) {
		unsigned long long v;
		const char *f = argv[optind + 1];

		if (counter(fd, f, &v))
			return die_usage();
		if (v >= (unsigned long long)min)
			return 0;
		if (now_s() > deadline) {
			printf("wait: %s %s is %llu, not %ld, after %ld s\n", argv[optind], f, v, min,
			       timeout);
			return 1;
		}
		usleep(50000);
	}
}

static int cmd_clock(void)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	printf("%02d:%02d:%02d.%03ld\n", tm.tm_hour, tm.tm_min, tm.tm_sec,
	       ts.tv_nsec / 1000000);
	return 0;
}

#define RELAY_MAX 16

/* Forward what one side of a pair has to the other; false at EOF or error. */
static bool relay_move(int from, int to)
{
	char buf[16384];
	ssize_t n = read(from, buf, sizeof(buf));

	if (n <= 0)
		return false;
	for (ssize_t off = 0; off < n;) {
		ssize_t w = write(to, buf + off, (size_t)(n - off));

		if (w <= 0)
			return false;
		off += w;
	}
	return true;
}

static int cmd_relay(int argc, char **argv)
{
	struct sockaddr_in la = { .sin_family = AF_INET }, ra = { .sin_family = AF_INET };
	int pair[RELAY_MAX][2], np = 0, one = 1, lfd;

	if (argc != 5)
		return die_usage();
	la.sin_port = htons((uint16_t)num(argv[2]));
	la.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ra.sin_port = htons((uint16_t)num(argv[4]));
	if (inet_pton(AF_INET, argv[3], &ra.sin_addr) != 1) {
		fprintf(stderr, "bridgecheck: relay: '%s' is no IPv4 address\n", argv[3]);
		return 2;
	}
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(lfd, (struct sockaddr *)&la, sizeof(la)) || listen(lfd, 8)) {
		perror("bridgecheck: relay: listen");
		return 1;
	}
	for (;;) {
		struct pollfd p[1 + 2 * RELAY_MAX];

		p[0] = (struct pollfd){ .fd = lfd, .events = np < RELAY_MAX ? POLLIN : 0 };
		for (int i = 0; i < np; i++) {
			p[1 + 2 * i] = (struct pollfd){ .fd = pair[i][0], .events = POLLIN };
			p[2 + 2 * i] = (struct pollfd){ .fd = pair[i][1], .events = POLLIN };
		}
		if (poll(p, (nfds_t)(1 + 2 * np), -1) < 0)
			continue;
		for (int i = np - 1; i >= 0; i--) {
			bool ok = true;

			if (p[1 + 2 * i].revents)
				ok = relay_move(pair[i][0], pair[i][1]);
			if (ok && p[2 + 2 * i].revents)
				ok = relay_move(pair[i][1], pair[i][0]);
			if (ok)
				continue;
			close(pair[i][0]);
			close(pair[i][1]);
			pair[i][0] = pair[np - 1][0];
			pair[i][1] = pair[np - 1][1];
			np--;
		}
		if (p[0].revents & POLLIN) {
			int c = accept(lfd, NULL, NULL), r;

			if (c < 0)
				continue;
			r = socket(AF_INET, SOCK_STREAM, 0);
			if (r < 0 || connect(r, (struct sockaddr *)&ra, sizeof(ra))) {
				close(c);
				if (r >= 0)
					close(r);
				continue;
			}
			pair[np][0] = c;
			pair[np][1] = r;
			np++;
		}
	}
}

static int amqp_fail(const char *what)
{
	fprintf(stderr, "bridgecheck: amqp: %s failed\n", what);
	return 1;
}

static int amqp_publish_foreign(amqp_connection_state_t c, char **argv, int argc)
{
	amqp_basic_properties_t p = { ._flags = AMQP_BASIC_DELIVERY_MODE_FLAG,
				      .delivery_mode = 2 };
	amqp_table_entry_t h = { .key = amqp_cstring_bytes("x-mbox-priority") };
	amqp_frame_t f;

	if (strcmp(argv[2], "-")) {
		p._flags |= AMQP_BASIC_PRIORITY_FLAG;
		p.priority = (uint8_t)num(argv[2]);
	}
	if (argc > 3) {
		if (!strncmp(argv[3], "i:", 2)) {
			h.value.kind = AMQP_FIELD_KIND_I64;
			h.value.value.i64 = strtoll(argv[3] + 2, NULL, 10);
		} else if (!strncmp(argv[3], "s:", 2)) {
			h.value.kind = AMQP_FIELD_KIND_UTF8;
			h.value.value.bytes = amqp_cstring_bytes(argv[3] + 2);
		} else {
			return die_usage();
		}
		p._flags |= AMQP_BASIC_HEADERS_FLAG;
		p.headers.num_entries = 1;
		p.headers.entries = &h;
	}
	amqp_confirm_select(c, 1);
	if (amqp_get_rpc_reply(c).reply_type != AMQP_RESPONSE_NORMAL)
		return amqp_fail("confirm.select");
	if (amqp_basic_publish(c, 1, amqp_empty_bytes, amqp_cstring_bytes(argv[0]), 1, 0, &p,
			       amqp_cstring_bytes(argv[1])))
		return amqp_fail("publish");
	for (;;) {
		if (amqp_simple_wait_frame(c, &f) != AMQP_STATUS_OK)
			return amqp_fail("waiting for the confirm");
		if (f.frame_type != AMQP_FRAME_METHOD)
			continue;
		if (f.payload.method.id == AMQP_BASIC_ACK_METHOD)
			return 0;
		if (f.payload.method.id == AMQP_BASIC_NACK_METHOD)
			return amqp_fail("publish (nacked)");
	}
}

static int cmd_amqp(int argc, char **argv)
{
	amqp_connection_state_t c;
	amqp_socket_t *s;
	int ret = 0;

	if (argc < 8)
		return die_usage();
	c = amqp_new_connection();
	s = amqp_tcp_socket_new(c);
	if (!s || amqp_socket_open(s, argv[2], (int)num(argv[3])))
		return amqp_fail("connect");
	if (amqp_login(c, "/", 0, 131072, 0, AMQP_SASL_METHOD_PLAIN, argv[4], argv[5])
	    .reply_type != AMQP_RESPONSE_NORMAL)
		return amqp_fail("login");
	amqp_channel_open(c, 1);
	if (amqp_get_rpc_reply(c).reply_type != AMQP_RESPONSE_NORMAL)
		return amqp_fail("channel.open");
	if (!strcmp(argv[6], "delete") && argc == 8) {
		amqp_queue_delete(c, 1, amqp_cstring_bytes(argv[7]), 0, 0);
		if (amqp_get_rpc_reply(c).reply_type != AMQP_RESPONSE_NORMAL)
			ret = amqp_fail("queue.delete");
	} else if (!strcmp(argv[6], "publish") && (argc == 10 || argc == 11)) {
		ret = amqp_publish_foreign(c, argv + 7, argc - 7);
	} else {
		ret = die_usage();
	}
	amqp_connection_close(c, AMQP_REPLY_SUCCESS);
	amqp_destroy_connection(c);
	return ret;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return die_usage();
	optind = 2;
	if (!strcmp(argv[1], "send"))
		return cmd_send(argc, argv);
	if (!strcmp(argv[1], "recv"))
		return cmd_recv(argc, argv);
	if (!strcmp(argv[1], "get"))
		return cmd_get(argc, argv);
	if (!strcmp(argv[1], "wait"))
		return cmd_wait(argc, argv);
	if (!strcmp(argv[1], "clock"))
		return cmd_clock();
	if (!strcmp(argv[1], "relay"))
		return cmd_relay(argc, argv);
	if (!strcmp(argv[1], "amqp"))
		return cmd_amqp(argc, argv);
	return die_usage();
}
