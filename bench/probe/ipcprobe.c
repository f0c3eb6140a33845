// SPDX-License-Identifier: GPL-2.0
/*
 * ipcprobe: ipcbench's independent self-check. A ping-pong of one message
 * each way per round trip over one mechanism, in a program of its own: no
 * code shared with ipcbench (no trial runner, no barrier, no watchdog, no
 * fill, no check, no clock inside the loop). The process forks once; the
 * parent (pinned to vCPU 0) sends first, the child (pinned to -c CPU)
 * answers; after WARMUP round trips the parent reads the clock, runs COUNT
 * round trips, reads it again, and blocks in waitpid() for the child.
 *
 * Usage: ipcprobe [-c CPU] MECH SIZE COUNT
 *   MECH: pipe, posix-mq, sysv-msg (SIZE-byte messages) or futex (a word
 *   per direction, no payload: SIZE is ignored)
 * Prints "ipcprobe MECH SIZE COUNT NS" (NS: nanoseconds for the COUNT
 * round trips) and exits 0, or prints why not and exits 1 (2: bad usage).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <mqueue.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define WARMUP		16
#define MAX_COUNT	4000000ull
#define MAX_SIZE	(1u << 20)

struct probe {
	size_t size;
	char *buf;
	long *msg;			/* SysV: mtype, then the payload */
	int pfd[2][2];			/* pipes, per direction: read, write end */
	mqd_t mq[2];
	int sq[2];
	_Atomic uint32_t *word;		/* futex: a word per direction */
};

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/* Round trips [from, to) as side @side (0 sends first); 0 or -1. */
static int pipe_rt(struct probe *p, int side, uint64_t from, uint64_t to)
{
	int in = p->pfd[!side][0], out = p->pfd[side][1];
	ssize_t len = (ssize_t)p->size;

	for (uint64_t i = from; i < to; i++) {
		if (side == 0 && write(out, p->buf, p->size) != len)
			return -1;
		for (ssize_t got = 0, r; got < len; got += r) {
			r = read(in, p->buf + got, p->size - (size_t)got);
			if (r <= 0)
				return -1;
		}
		if (side == 1 && write(out, p->buf, p->size) != len)
			return -1;
	}
	return 0;
}

static int mq_rt(struct probe *p, int side, uint64_t from, uint64_t to)
{
	mqd_t in = p->mq[!side], out = p->mq[side];

	for (uint64_t i = from; i < to; i++) {
		if (side == 0 && mq_send(out, p->buf, p->size, 0))
			return -1;
		if (mq_receive(in, p->buf, p->size, NULL) < 0)
			return -1;
		if (side == 1 && mq_send(out, p->buf, p->size, 0))
			return -1;
	}
	return 0;
}

static int sysv_rt(struct probe *p, int side, uint64_t from, uint64_t to)
{
	int in = p->sq[!side], out = p->sq[side];

	for (uint64_t i = from; i < to; i++) {
		if (side == 0 && msgsnd(out, p->msg, p->size, 0))
			return -1;
		if (msgrcv(in, p->msg, p->size, 0, 0) < 0)
			return -1;
		if (side == 1 && msgsnd(out, p->msg, p->size, 0))
			return -1;
	}
	return 0;
}

/* A side stores the round trip's number and wakes; the other sleeps until it sees it. */
static int futex_rt(struct probe *p, int side, uint64_t from, uint64_t to)
{
	_Atomic uint32_t *out = &p->word[side * 16], *in = &p->word[!side * 16];

	for (uint32_t i = (uint32_t)from + 1; i <= (uint32_t)to; i++) {
		if (side == 0) {
			atomic_store(out, i);
			syscall(SYS_futex, out, FUTEX_WAKE, 1, NULL, NULL, 0);
		}
		while (atomic_load(in) != i)
			syscall(SYS_futex, in, FUTEX_WAIT, i - 1, NULL, NULL, 0);
		if (side == 1) {
			atomic_store(out, i);
			syscall(SYS_futex, out, FUTEX_WAKE, 1, NULL, NULL, 0);
		}
	}
	return 0;
}

static int setup(struct probe *p, const char *mech)
{
	if (!strcmp(mech, "pipe"))
		return pipe(p->pfd[0]) || pipe(p->pfd[1]) ? -1 : 0;
	if (!strcmp(mech, "posix-mq")) {
		struct mq_attr attr = { .mq_maxmsg = 64, .mq_msgsize = (long)p->size };

		for (int d = 0; d < 2; d++) {
			char name[64];

			snprintf(name, sizeof(name), "/ipcprobe-%d-%d", getpid(), d);
			p->mq[d] = mq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, &attr);
			if (p->mq[d] < 0)
				return -1;
			mq_unlink(name);
		}
		return 0;
	}
	if (!strcmp(mech, "sysv-msg")) {
		p->msg = calloc(1, sizeof(long) + p->size);
		if (!p->msg)
			return -1;
		p->msg[0] = 1;
		for (int d = 0; d < 2; d++) {
			struct msqid_ds ds;

			p->sq[d] = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
			if (p->sq[d] < 0)
				return -1;
			if (!msgctl(p->sq[d], IPC_STAT, &ds)) {
				ds.msg_qbytes = 64 * p->size;
				msgctl(p->sq[d], IPC_SET, &ds);
			}
		}
		return 0;
	}
	if (!strcmp(mech, "futex")) {
		p->word = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
			       -1, 0);
		return p->word == MAP_FAILED ? -1 : 0;
	}
	errno = EINVAL;
	return -1;
}

static void teardown(struct probe *p, const char *mech)
{
	if (!strcmp(mech, "sysv-msg")) {
		msgctl(p->sq[0], IPC_RMID, NULL);
		msgctl(p->sq[1], IPC_RMID, NULL);
	}
}

/* A decimal number in [0, max], or -1. */
static long long number(const char *s, unsigned long long max)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || *s == '+' || v > max)
		return -1;
	return (long long)v;
}

int main(int argc, char **argv)
{
	int (*rt)(struct probe *p, int side, uint64_t from, uint64_t to);
	struct probe p = { 0 };
	const char *mech;
	long long size, n;
	uint64_t count;
	int c, cpu = 0, st, bad;
	int64_t t0, t1;
	pid_t kid;

	while ((c = getopt(argc, argv, "c:")) != -1) {
		if (c != 'c' || (cpu = (int)number(optarg, CPU_SETSIZE - 1)) < 0)
			goto usage;
	}
	if (argc - optind != 3)
		goto usage;
	mech = argv[optind];
	rt = !strcmp(mech, "pipe") ? pipe_rt : !strcmp(mech, "posix-mq") ? mq_rt :
	     !strcmp(mech, "sysv-msg") ? sysv_rt : !strcmp(mech, "futex") ? futex_rt : NULL;
	size = number(argv[optind + 1], MAX_SIZE);
	n = number(argv[optind + 2], MAX_COUNT);
	if (!rt || size < 1 || n < 1)
		goto usage;
	p.size = (size_t)size;
	count = (uint64_t)n;
	p.buf = calloc(1, p.size);
	if (!p.buf || setup(&p, mech)) {
		fprintf(stderr, "ipcprobe: %s: %s\n", mech, strerror(errno));
		return 1;
	}
	pin(0);
	kid = fork();
	if (kid < 0) {
		fprintf(stderr, "ipcprobe: fork: %s\n", strerror(errno));
		return 1;
	}
	if (kid == 0) {
		pin(cpu);
		_exit(rt(&p, 1, 0, WARMUP + count) ? 1 : 0);
	}
	bad = rt(&p, 0, 0, WARMUP);
	t0 = now_ns();
	bad = bad || rt(&p, 0, WARMUP, WARMUP + count);
	t1 = now_ns();
	if (bad)
		kill(kid, SIGKILL);
	while (waitpid(kid, &st, 0) < 0 && errno == EINTR)
		;
	teardown(&p, mech);
	if (bad || !WIFEXITED(st) || WEXITSTATUS(st)) {
		fprintf(stderr, "ipcprobe: %s: the ping-pong failed\n", mech);
		return 1;
	}
	printf("ipcprobe %s %zu %llu %lld\n", mech, p.size, (unsigned long long)count,
	       (long long)(t1 - t0));
	return 0;
usage:
	fprintf(stderr, "usage: ipcprobe [-c CPU] pipe|posix-mq|sysv-msg|futex SIZE COUNT\n");
	return 2;
}
