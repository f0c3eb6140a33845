// SPDX-License-Identifier: GPL-2.0
/*
 * bridgecheck: the test driver of make check-bridge (scripts/bridge-vm.sh).
 *
 *   bridgecheck send MAILBOX TAG COUNT [-p NPRIO] [-s FIRST] [-d USEC] [-n]
 *	send "TAG I pid=P uid=U" for I = FIRST..COUNT-1 with priority
 *	I % NPRIO; -n: non-blocking, retrying an EAGAIN until it has lasted
 *	3 s (then exit 3, printing how many went); -d: sleep between messages.
 *   bridgecheck recv MAILBOX TAG COUNT [-t SECONDS] [-q SECONDS] [-w] [-o]
 *	[-p NPRIO] [-e HOST] [-l]
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
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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
	long nprio = 1, first = 0, delay = 0, count, i;
	int nonblock = 0, opt, fd;

	while ((opt = getopt(argc, argv, "p:s:d:n")) != -1) {
		switch (opt) {
		case 'p': nprio = num(optarg); break;
		case 's': first = num(optarg); break;
		case 'd': delay = num(optarg); break;
		case 'n': nonblock = 1; break;
		default: return die_usage();
		}
	}
	if (argc - optind != 3 || nprio < 1 || nprio > 32)
		return die_usage();
	count = num(argv[optind + 2]);
	fd = open_mb(argv[optind], MBOX_OPEN_SEND);
	double stuck_since = 0;

	for (i = first; i < count; i++) {
		char buf[128];
		int n = snprintf(buf, sizeof(buf), "%s %ld pid=%d uid=%u", argv[optind + 1], i,
				 (int)getpid(), (unsigned int)getuid());
		int ret = mbox_send(fd, buf, (size_t)n, (unsigned int)(i % nprio),
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
	long nprio = 1, count, timeout = 120, quiet = 2;
	const char *host = NULL, *tag;
	int waitall = 0, lossy = 0, opt, fd;
	long got = 0, dups = 0, bad = 0, order = 0, prio_bad = 0, env_bad = 0;
	long *last_in_prio;
	unsigned char *seen;
	long last_prio = 1000;
	double deadline, quiet_until = 0;

	while ((opt = getopt(argc, argv, "t:q:wop:e:l")) != -1) {
		switch (opt) {
		case 't': timeout = num(optarg); break;
		case 'q': quiet = num(optarg); break;
		case 'w': waitall = 1; break;
		case 'o': break;	/* FIFO within a priority is always checked */
		case 'p': nprio = num(optarg); break;
		case 'e': host = optarg; break;
		case 'l': lossy = 1; break;
		default: return die_usage();
		}
	}
	if (argc - optind != 3 || nprio < 1 || nprio > 32)
		return die_usage();
	tag = argv[optind + 1];
	count = num(argv[optind + 2]);
	seen = calloc((size_t)count + 1, 1);
	last_in_prio = malloc(32 * sizeof(long));
	if (!seen || !last_in_prio)
		return 1;
	for (int i = 0; i < 32; i++)
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
		if ((long)meta.prio != idx % nprio)
			prio_bad++;
		if (idx < last_in_prio[meta.prio % 32])
			order++;
		last_in_prio[meta.prio % 32] = idx;
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
	return die_usage();
}
