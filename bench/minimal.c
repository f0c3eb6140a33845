// SPDX-License-Identifier: GPL-2.0
/*
 * ipcbench's self-check: minimal ping-pong loops, held against the
 * harness's own cells in the same boot. Each is the plainest loop of the
 * mechanism's calls: one message each way per round trip, no fill, no
 * check, no clock read, no function pointer, no error path beyond the
 * call's result. The harness times a whole trial of them exactly as it
 * times its cells (the processes meet at its barrier, pinned as its cells
 * are), so the difference between a minimal loop and the cell it is held
 * against is what the cell's per-message work adds to that cell. What the
 * trial runner itself might add (a process woken during the trial) moves
 * these loops as much as the cells: bench/probe/ipcprobe.c, a program of
 * its own, is the check for that.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <mqueue.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bench.h"

/* ---- pipe: fd[dir][0] written, fd[dir][1] read ---- */

static int mpipe_setup(struct chan *c)
{
	for (int d = 0; d < 2; d++) {
		int p[2];

		if (pipe(p))
			return -errno;
		c->fd[d][0] = p[1];
		c->fd[d][1] = p[0];
	}
	return 0;
}

static void mpipe_teardown(struct chan *c)
{
	for (int d = 0; d < 2; d++)
		for (int e = 0; e < 2; e++)
			close(c->fd[d][e]);
}

static int mpipe_loop(struct chan *c, int role, uint64_t n)
{
	int out = c->fd[c->send_dir][0], in = c->fd[c->recv_dir][1];
	ssize_t len = (ssize_t)c->size;
	char *buf = malloc(c->size);
	int ret = 0;

	if (!buf)
		return -ENOMEM;
	for (uint64_t i = 0; i < n; i++) {
		if (role == 0 && write(out, buf, c->size) != len) {
			ret = -EIO;
			break;
		}
		/* Messages up to PIPE_BUF arrive whole; larger ones may not. */
		for (ssize_t got = 0, r; got < len; got += r) {
			r = read(in, buf + got, c->size - (size_t)got);
			if (r <= 0) {
				ret = -EIO;
				goto out;
			}
		}
		if (role == 1 && write(out, buf, c->size) != len) {
			ret = -EIO;
			break;
		}
	}
out:
	free(buf);
	return ret;
}

/* ---- POSIX mq: fd[dir][0] is the queue ---- */

static int mmq_setup(struct chan *c)
{
	struct mq_attr attr = { .mq_maxmsg = 64, .mq_msgsize = (long)c->size };

	for (int d = 0; d < 2; d++) {
		char name[64];

		snprintf(name, sizeof(name), "/ipcbench-min-%d-%d", getpid(), d);
		mq_unlink(name);
		c->fd[d][0] = mq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, &attr);
		if (c->fd[d][0] < 0)
			return -errno;
		mq_unlink(name);
	}
	return 0;
}

static void mmq_teardown(struct chan *c)
{
	mq_close(c->fd[0][0]);
	mq_close(c->fd[1][0]);
}

static int mmq_loop(struct chan *c, int role, uint64_t n)
{
	mqd_t out = c->fd[c->send_dir][0], in = c->fd[c->recv_dir][0];
	char *buf = malloc(c->size);
	int ret = 0;

	if (!buf)
		return -ENOMEM;
	for (uint64_t i = 0; i < n && !ret; i++) {
		if (role == 0 && mq_send(out, buf, c->size, 0))
			ret = -errno;
		if (!ret && mq_receive(in, buf, c->size, NULL) < 0)
			ret = -errno;
		if (!ret && role == 1 && mq_send(out, buf, c->size, 0))
			ret = -errno;
	}
	free(buf);
	return ret;
}

/* ---- SysV msg: id[dir] is the queue ---- */

static int msysv_setup(struct chan *c)
{
	for (int d = 0; d < 2; d++) {
		struct msqid_ds ds;
		int q = msgget(IPC_PRIVATE, IPC_CREAT | 0600);

		if (q < 0)
			return -errno;
		c->id[d] = (uint64_t)q;
		if (!msgctl(q, IPC_STAT, &ds)) {
			ds.msg_qbytes = 64 * c->size;
			msgctl(q, IPC_SET, &ds);
		}
	}
	return 0;
}

static void msysv_teardown(struct chan *c)
{
	msgctl((int)c->id[0], IPC_RMID, NULL);
	msgctl((int)c->id[1], IPC_RMID, NULL);
}

static int msysv_loop(struct chan *c, int role, uint64_t n)
{
	int out = (int)c->id[c->send_dir], in = (int)c->id[c->recv_dir];
	long *m = malloc(sizeof(long) + c->size);
	int ret = 0;

	if (!m)
		return -ENOMEM;
	m[0] = 1;
	for (uint64_t i = 0; i < n && !ret; i++) {
		if (role == 0 && msgsnd(out, m, c->size, 0))
			ret = -errno;
		if (!ret && msgrcv(in, m, c->size, 0, 0) < 0)
			ret = -errno;
		if (!ret && role == 1 && msgsnd(out, m, c->size, 0))
			ret = -errno;
	}
	free(m);
	return ret;
}

/*
 * ---- futex: one 32-bit word per direction in shm[0]; a side stores the
 * round trip's number and always wakes, the other sleeps until it sees it.
 * No payload moves: this is the floor of a futex sleep and wake-up. ----
 */

static int mfutex_setup(struct chan *c)
{
	c->shm[0] = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	return c->shm[0] == MAP_FAILED ? -errno : 0;
}

static void mfutex_teardown(struct chan *c)
{
	munmap(c->shm[0], 4096);
}

static int mfutex_loop(struct chan *c, int role, uint64_t n)
{
	_Atomic uint32_t *w = c->shm[0];
	_Atomic uint32_t *out = &w[c->send_dir * 16], *in = &w[c->recv_dir * 16];

	for (uint32_t i = 1; i <= n; i++) {
		if (role == 0) {
			atomic_store(out, i);
			syscall(SYS_futex, out, FUTEX_WAKE, 1, NULL, NULL, 0);
		}
		while (atomic_load(in) != i)
			syscall(SYS_futex, in, FUTEX_WAIT, i - 1, NULL, NULL, 0);
		if (role == 1) {
			atomic_store(out, i);
			syscall(SYS_futex, out, FUTEX_WAKE, 1, NULL, NULL, 0);
		}
	}
	return 0;
}

const struct mech min_mechs[] = {
	{ .name = "min-pipe", .minimal_of = "pipe", .max_size = 1 << 20,
	  .setup = mpipe_setup, .pp_loop = mpipe_loop, .teardown = mpipe_teardown },
	{ .name = "min-posix-mq", .minimal_of = "posix-mq", .max_size = 1 << 20,
	  .setup = mmq_setup, .pp_loop = mmq_loop, .teardown = mmq_teardown },
	{ .name = "min-sysv-msg", .minimal_of = "sysv-msg", .max_size = 1 << 20,
	  .setup = msysv_setup, .pp_loop = msysv_loop, .teardown = msysv_teardown },
	{ .name = "min-futex", .minimal_of = "shm-futex", .max_size = 1 << 20,
	  .setup = mfutex_setup, .pp_loop = mfutex_loop, .teardown = mfutex_teardown },
};

const size_t nr_min_mechs = sizeof(min_mechs) / sizeof(min_mechs[0]);
