// SPDX-License-Identifier: GPL-2.0
/*
 * ipcbench: the kernel's own IPC mechanisms, the peers mbox is held to:
 * pipe, FIFO, unix socketpair (stream, seqpacket), TCP loopback, POSIX mq,
 * SysV msg, and eventfd plus shared-memory slots.
 */
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mbox.h>

#include "bench.h"

int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int read_all(int fd, void *buf, size_t len)
{
	char *p = buf;
	size_t left = len;

	while (left) {
		ssize_t n = read(fd, p, left);

		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			return n ? -errno : -EPIPE;
		}
		p += n;
		left -= (size_t)n;
	}
	return (int)len;
}

/* ---- byte streams: fd[dir][0] is written, fd[dir][1] read ---- */

static int stream_send(struct chan *c, const void *buf, size_t len)
{
	return write_all(c->fd[c->send_dir][0], buf, len);
}

static int stream_recv(struct chan *c, void *buf, size_t len)
{
	return read_all(c->fd[c->recv_dir][1], buf, len);
}

static void close_fds(struct chan *c)
{
	for (int d = 0; d < 2; d++)
		for (int e = 0; e < 2; e++)
			if (c->fd[d][e] >= 0)
				close(c->fd[d][e]);
}

/* Sockets: one pair carries both directions. */
static void close_pair(struct chan *c)
{
	close(c->fd[0][0]);
	close(c->fd[0][1]);
}

static int pipe_setup(struct chan *c)
{
	for (int d = 0; d < 2; d++) {
		int p[2];

		if (pipe2(p, c->nonblock ? O_NONBLOCK : 0))
			return -errno;
		c->fd[d][0] = p[1];
		c->fd[d][1] = p[0];
	}
	return 0;
}

static int fifo_setup(struct chan *c)
{
	for (int d = 0; d < 2; d++) {
		char path[64];

		snprintf(path, sizeof(path), "/tmp/ipcbench-%d-%d", getpid(), d);
		unlink(path);
		if (mkfifo(path, 0600))
			return -errno;
		/* O_RDWR opens a FIFO without waiting for the other end. */
		c->fd[d][1] = open(path, O_RDWR);
		c->fd[d][0] = open(path, O_WRONLY);
		unlink(path);
		if (c->fd[d][0] < 0 || c->fd[d][1] < 0)
			return -errno;
	}
	return 0;
}

static void pair_fds(struct chan *c, const int sv[2])
{
	c->fd[0][0] = sv[0];	/* A writes its end, B reads the other */
	c->fd[0][1] = sv[1];
	c->fd[1][0] = sv[1];
	c->fd[1][1] = sv[0];
}

static int unix_setup(struct chan *c, int type)
{
	int sv[2];

	if (socketpair(AF_UNIX, type, 0, sv))
		return -errno;
	pair_fds(c, sv);
	return 0;
}

static int ustream_setup(struct chan *c)
{
	return unix_setup(c, SOCK_STREAM);
}

static int useq_setup(struct chan *c)
{
	int ret = unix_setup(c, SOCK_SEQPACKET);
	int sz = 4 << 20;

	if (!ret) {
		setsockopt(c->fd[0][0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
		setsockopt(c->fd[0][1], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	}
	return ret;
}

static int useq_send(struct chan *c, const void *buf, size_t len)
{
	while (send(c->fd[c->send_dir][0], buf, len, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return 0;
}

static int useq_recv(struct chan *c, void *buf, size_t len)
{
	ssize_t n;

	while ((n = recv(c->fd[c->recv_dir][1], buf, len, 0)) < 0)
		if (errno != EINTR)
			return -errno;
	return (int)n;
}

static int tcp_setup(struct chan *c)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	int one = 1, l, sv[2];

	l = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 1) ||
	    getsockname(l, (struct sockaddr *)&a, &alen))
		return -errno;
	sv[0] = socket(AF_INET, SOCK_STREAM, 0);
	if (sv[0] < 0 || connect(sv[0], (struct sockaddr *)&a, sizeof(a)))
		return -errno;
	sv[1] = accept(l, NULL, NULL);
	close(l);
	if (sv[1] < 0)
		return -errno;
	setsockopt(sv[0], IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(sv[1], IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	pair_fds(c, sv);
	return 0;
}

/* ---- POSIX message queues: fd[dir][0] is the queue ---- */

static int mq_setup(struct chan *c)
{
	struct mq_attr attr = { .mq_maxmsg = 64, .mq_msgsize = (long)c->size };

	for (int d = 0; d < 2; d++) {
		char name[64];

		snprintf(name, sizeof(name), "/ipcbench-%d-%d", getpid(), d);
		mq_unlink(name);
		c->fd[d][0] = mq_open(name, O_RDWR | O_CREAT | O_EXCL |
				      (c->nonblock ? O_NONBLOCK : 0), 0600, &attr);
		if (c->fd[d][0] < 0)
			return -errno;
		mq_unlink(name);
	}
	return 0;
}

static int mq_snd(struct chan *c, const void *buf, size_t len)
{
	while (mq_send(c->fd[c->send_dir][0], buf, len, 0))
		if (errno != EINTR)
			return -errno;
	return 0;
}

static int mq_rcv(struct chan *c, void *buf, size_t len)
{
	ssize_t n;

	while ((n = mq_receive(c->fd[c->recv_dir][0], buf, len, NULL)) < 0)
		if (errno != EINTR)
			return -errno;
	return (int)n;
}

static void mq_teardown(struct chan *c)
{
	mq_close(c->fd[0][0]);
	mq_close(c->fd[1][0]);
}

/*
 * ---- SysV message queues: id[dir] is the queue. The harness leaves
 * mech.hdr bytes before the payload, where the mtype goes: no staging copy ----
 */

static int sysv_setup(struct chan *c)
{
	for (int d = 0; d < 2; d++) {
		struct msqid_ds ds;
		int q = msgget(IPC_PRIVATE, IPC_CREAT | 0600);

		if (q < 0)
			return -errno;
		c->id[d] = (uint64_t)q;
		/* Room for 64 messages, as the other queues have. */
		if (!msgctl(q, IPC_STAT, &ds)) {
			ds.msg_qbytes = 64 * c->size;
			msgctl(q, IPC_SET, &ds);
		}
	}
	return 0;
}

static int sysv_send(struct chan *c, const void *buf, size_t len)
{
	long *m = (long *)((uintptr_t)buf - sizeof(long));

	*m = 1;		/* mtype */
	while (msgsnd((int)c->id[c->send_dir], m, len, c->nonblock ? IPC_NOWAIT : 0))
		if (errno != EINTR)
			return -errno;
	return 0;
}

static int sysv_recv(struct chan *c, void *buf, size_t len)
{
	long *m = (long *)((uintptr_t)buf - sizeof(long));
	ssize_t n;

	while ((n = msgrcv((int)c->id[c->recv_dir], m, len, 0,
			   c->nonblock ? IPC_NOWAIT : 0)) < 0)
		if (errno != EINTR)
			return -errno;
	return (int)n;
}

static void sysv_teardown(struct chan *c)
{
	msgctl((int)c->id[0], IPC_RMID, NULL);
	msgctl((int)c->id[1], IPC_RMID, NULL);
}

/*
 * ---- eventfd + shared memory: per direction, a ring of slots in shared
 * memory (64 deep, at most 4 MiB) and a semaphore eventfd, fd[dir][1],
 * that counts full slots: a send is one write(2) to it, a receive one
 * read(2). A sender that finds every slot full raises prod_waiting and
 * sleeps on fd[dir][0], which a receiver writes only then: so two eventfd
 * calls per message, the least that can wake a sleeping receiver. One
 * sender and one receiver per direction. ----
 */

#define EFD_RING	(4u << 20)

struct efd_ring {
	_Alignas(64) _Atomic uint64_t head;	/* the sender's */
	_Alignas(64) _Atomic uint64_t tail;	/* the receiver's */
	_Atomic uint32_t prod_waiting;
	_Alignas(64) uint8_t slots[];
};

static size_t efd_nslots(size_t size)
{
	size_t n = EFD_RING / size;

	return n > 64 ? 64 : n < 2 ? 2 : n;
}

static size_t efd_bytes(size_t size)
{
	return sizeof(struct efd_ring) + efd_nslots(size) * size;
}

static int efd_setup(struct chan *c)
{
	for (int d = 0; d < 2; d++) {
		c->fd[d][0] = eventfd(0, 0);
		c->fd[d][1] = eventfd(0, EFD_SEMAPHORE);
		c->shm[d] = mmap(NULL, efd_bytes(c->size), PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		if (c->fd[d][0] < 0 || c->fd[d][1] < 0 || c->shm[d] == MAP_FAILED)
			return -errno;
	}
	return 0;
}

/* In each process: a forked child does not inherit the parent's MAP_POPULATE. */
static int efd_attach(struct chan *c)
{
	for (int d = 0; d < 2; d++)
		if (madvise(c->shm[d], efd_bytes(c->size), MADV_POPULATE_WRITE))
			return -errno;
	return 0;
}

static int efd_send(struct chan *c, const void *buf, size_t len)
{
	int d = c->send_dir;
	struct efd_ring *r = c->shm[d];
	size_t nslots = efd_nslots(c->size);
	uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed), v = 1;

	while (head - atomic_load_explicit(&r->tail, memory_order_acquire) >= nslots) {
		atomic_store(&r->prod_waiting, 1);
		/* The receiver moves tail, then looks at the flag: check again. */
		if (head - atomic_load(&r->tail) >= nslots &&
		    read_all(c->fd[d][0], &v, sizeof(v)) < 0)
			return -errno;
	}
	memcpy(r->slots + head % nslots * c->size, buf, len);
	atomic_store_explicit(&r->head, head + 1, memory_order_release);
	v = 1;
	return write_all(c->fd[d][1], &v, sizeof(v));
}

static int efd_recv(struct chan *c, void *buf, size_t len)
{
	int d = c->recv_dir;
	struct efd_ring *r = c->shm[d];
	uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed), v;

	if (read_all(c->fd[d][1], &v, sizeof(v)) < 0)	/* one full slot, or sleep */
		return -errno;
	memcpy(buf, r->slots + tail % efd_nslots(c->size) * c->size, len);
	atomic_store(&r->tail, tail + 1);
	if (atomic_load(&r->prod_waiting)) {
		atomic_store(&r->prod_waiting, 0);
		v = 1;
		if (write_all(c->fd[d][0], &v, sizeof(v)))
			return -errno;
	}
	return (int)len;
}

static void efd_teardown(struct chan *c)
{
	close_fds(c);
	munmap(c->shm[0], efd_bytes(c->size));
	munmap(c->shm[1], efd_bytes(c->size));
}

const struct mech posix_mechs[] = {
	{ .name = "pipe", .caps = CAN_PINGPONG | CAN_STREAM | CAN_FANIN | CAN_MANY | CAN_NBPAIR,
	  .max_size = 1 << 20, .atomic_max = 4096, .setup = pipe_setup, .send = stream_send,
	  .recv = stream_recv, .teardown = close_fds },
	{ .name = "fifo", .caps = CAN_PINGPONG | CAN_STREAM, .max_size = 1 << 20,
	  .setup = fifo_setup, .send = stream_send, .recv = stream_recv,
	  .teardown = close_fds },
	{ .name = "unix-stream", .caps = CAN_PINGPONG | CAN_STREAM, .max_size = 1 << 20,
	  .setup = ustream_setup, .send = stream_send, .recv = stream_recv,
	  .teardown = close_pair },
	{ .name = "unix-seqpacket", .caps = CAN_PINGPONG | CAN_STREAM | CAN_FANIN | CAN_MANY,
	  .max_size = 64 << 10, .setup = useq_setup, .send = useq_send, .recv = useq_recv,
	  .teardown = close_pair },
	{ .name = "posix-mq",
	  .caps = CAN_PINGPONG | CAN_STREAM | CAN_FANIN | CAN_MANY | CAN_NBPAIR,
	  .max_size = 1 << 20, .setup = mq_setup, .send = mq_snd, .recv = mq_rcv,
	  .teardown = mq_teardown },
	{ .name = "sysv-msg",
	  .caps = CAN_PINGPONG | CAN_STREAM | CAN_FANIN | CAN_MANY | CAN_NBPAIR,
	  .max_size = 1 << 20, .hdr = sizeof(long), .setup = sysv_setup,
	  .send = sysv_send, .recv = sysv_recv, .teardown = sysv_teardown },
	{ .name = "eventfd-shm", .caps = CAN_PINGPONG | CAN_STREAM,
	  .max_size = 1 << 20, .setup = efd_setup, .attach = efd_attach, .send = efd_send,
	  .recv = efd_recv, .teardown = efd_teardown },
	{ .name = "tcp", .caps = CAN_PINGPONG | CAN_STREAM, .max_size = 1 << 20,
	  .setup = tcp_setup, .send = stream_send, .recv = stream_recv,
	  .teardown = close_pair },
};

const size_t nr_posix_mechs = sizeof(posix_mechs) / sizeof(posix_mechs[0]);
