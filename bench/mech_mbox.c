// SPDX-License-Identifier: GPL-2.0
/*
 * ipcbench: mbox's own mechanisms, as an application would use them:
 * mailboxes (one libmbox call per message; the same through write(2) and
 * read(2); batches of 16, each message filled and checked in its slot),
 * direct links (synchronous and asynchronous), rings (copying, zero-copy,
 * and a busy-polling consumer). System calls are
 * counted: one per call for mailboxes and links, and for rings the module's
 * own counters of sleeps and wake-ups (the data path makes none).
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mbox.h>

#include "bench.h"

#define BATCH		16
#define RING_DATA	(4u << 20)

/* ---- mailboxes: id[dir] unused, fd[dir][0] a descriptor of its mailbox ---- */

static int mb_setup(struct chan *c)
{
	struct mbox_attr attr = { .mode = 0600, .capacity = 64,
				  .msg_size_max = (uint32_t)c->size };
	unsigned int flags = MBOX_OPEN_CREATE | MBOX_OPEN_SEND | MBOX_OPEN_RECV;

	for (int d = 0; d < 2; d++) {
		c->fd[d][0] = mbox_open(-1, NULL, flags, &attr, NULL);
		if (c->fd[d][0] < 0)
			return c->fd[d][0];
		/* nb-pair: read(2)/write(2) follow the descriptor's O_NONBLOCK. */
		if (c->nonblock && fcntl(c->fd[d][0], F_SETFL, O_NONBLOCK))
			return -errno;
	}
	return 0;
}

static void mb_teardown(struct chan *c)
{
	close(c->fd[0][0]);
	close(c->fd[1][0]);
}

static int mb_send(struct chan *c, const void *buf, size_t len)
{
	c->syscalls++;
	return mbox_send(c->fd[c->send_dir][0], buf, len, 0,
			 c->nonblock ? MBOX_WAIT_NONBLOCK : 0, 0);
}

static int mb_recv(struct chan *c, void *buf, size_t len)
{
	c->syscalls++;
	return mbox_recv(c->fd[c->recv_dir][0], buf, len,
			 c->nonblock ? MBOX_WAIT_NONBLOCK : 0, 0, NULL);
}

/* The same mailboxes through write(2)/read(2): no ioctl, no argument struct. */
static int mb_write(struct chan *c, const void *buf, size_t len)
{
	ssize_t n;

	c->syscalls++;
	n = write(c->fd[c->send_dir][0], buf, len);
	return n < 0 ? -errno : (size_t)n == len ? 0 : -EIO;
}

static int mb_read(struct chan *c, void *buf, size_t len)
{
	ssize_t n;

	c->syscalls++;
	n = read(c->fd[c->recv_dir][0], buf, len);
	return n < 0 ? -errno : (int)n;
}

/* Batches: up to BATCH messages staged in c->batch, one call for all. */
static int mbb_attach(struct chan *c)
{
	c->batch = malloc(BATCH * c->size);
	c->sv = calloc(BATCH, sizeof(*c->sv));
	c->rv = calloc(BATCH, sizeof(*c->rv));
	return c->batch && c->sv && c->rv ? 0 : -ENOMEM;
}

static void mbb_detach(struct chan *c)
{
	free(c->batch);
	free(c->sv);
	free(c->rv);
}

static int mbb_flush(struct chan *c)
{
	unsigned int done = 0;

	while (done < c->batched) {
		int n;

		c->syscalls++;
		n = mbox_send_batch(c->fd[c->send_dir][0], c->sv + done,
				    c->batched - done, 0, 0);
		if (n < 0)
			return n;
		done += (unsigned int)n;
	}
	c->batched = 0;
	return 0;
}

/*
 * A batched message is filled and checked in its slot of the batch, the
 * buffer the batch call copies from and into: the same work per message
 * as the single-message cells, which fill and check the buffer their call
 * copies from and into (no copy into or out of the batch on top).
 */
static int mbb_send_zc(struct chan *c, uint64_t seq)
{
	uint8_t *slot = c->batch + c->batched * c->size;

	fill_msg(slot, c->size, seq, c->sampled);
	c->sv[c->batched] = (struct mbox_send){ .size = sizeof(struct mbox_send),
						.buf = (uintptr_t)slot,
						.len = (uint32_t)c->size };
	if (++c->batched == BATCH)
		return mbb_flush(c);
	return 0;
}

static int mbb_recv_zc(struct chan *c, uint64_t *seq)
{
	struct mbox_recv *r;

	if (c->batch_pos == c->batch_len) {
		/* Never take more than this process still wants: others may. */
		unsigned int want = c->recv_left < BATCH ? (unsigned int)c->recv_left : BATCH;
		int n;

		for (unsigned int i = 0; i < want; i++)
			c->rv[i] = (struct mbox_recv){ .size = sizeof(struct mbox_recv),
						       .buf = (uintptr_t)(c->batch + i * c->size),
						       .len = (uint32_t)c->size };
		c->syscalls++;
		n = mbox_recv_batch(c->fd[c->recv_dir][0], c->rv, want, 0, 0);
		if (n < 0)
			return n;
		c->batch_pos = 0;
		c->batch_len = (unsigned int)n;
	}
	r = &c->rv[c->batch_pos++];
	if (r->len != c->size ||
	    check_msg((const void *)(uintptr_t)r->buf, r->len, seq, c->sampled))
		return -EBADMSG;
	return 0;
}

/* ---- direct links: priv[0] holds the endpoint descriptor ---- */

static int link_attach(struct chan *c)
{
	int ep = mbox_endpoint(-1, 0, 64, NULL);

	if (ep < 0)
		return ep;
	c->fd[0][0] = ep;
	return 0;
}

static void link_detach(struct chan *c)
{
	close(c->fd[0][0]);
}

static int link_send_sync(struct chan *c, const void *buf, size_t len)
{
	c->syscalls++;
	return mbox_link_send(c->fd[0][0], c->peer, buf, len, 0, 0);
}

static int link_send_async(struct chan *c, const void *buf, size_t len)
{
	c->syscalls++;
	return mbox_link_send(c->fd[0][0], c->peer, buf, len, MBOX_LINK_ASYNC, 0);
}

static int link_recv(struct chan *c, void *buf, size_t len)
{
	c->syscalls++;
	return mbox_link_recv(c->fd[0][0], 0, buf, len, 0, 0, NULL);
}

/*
 * ---- rings: the parent keeps an observer handle per direction (shm[dir])
 * so the anonymous ring lives; a child attaches by ID in its role ----
 */

static int ring_setup(struct chan *c)
{
	struct mbox_ring_attr attr = { .mode = 0600, .data_size = RING_DATA };

	for (int d = 0; d < 2; d++) {
		struct mbox_ring *obs;
		struct mbox_ring_info in;
		int ret = mbox_ring_open(-1, NULL, MBOX_RING_CREATE, &attr, &obs);

		if (ret)
			return ret;
		c->shm[d] = obs;
		ret = mbox_ring_info(obs, &in);
		if (ret)
			return ret;
		c->id[d] = in.id;
	}
	return 0;
}

static void ring_teardown(struct chan *c)
{
	mbox_ring_close(c->shm[0]);
	mbox_ring_close(c->shm[1]);
}

static int ring_attach(struct chan *c)
{
	int ret = 0;

	c->priv[0] = c->priv[1] = NULL;
	if (c->send_dir >= 0)
		ret = mbox_ring_open_id(-1, c->id[c->send_dir], MBOX_RING_PRODUCER,
					(struct mbox_ring **)&c->priv[0]);
	if (!ret && c->recv_dir >= 0)
		ret = mbox_ring_open_id(-1, c->id[c->recv_dir], MBOX_RING_CONSUMER,
					(struct mbox_ring **)&c->priv[1]);
	return ret;
}

static void ring_detach(struct chan *c)
{
	if (c->priv[0])
		mbox_ring_close(c->priv[0]);
	if (c->priv[1])
		mbox_ring_close(c->priv[1]);
}

static int ring_send(struct chan *c, const void *buf, size_t len)
{
	return mbox_ring_send(c->priv[0], buf, len, 0, 0);
}

static int ring_recv(struct chan *c, void *buf, size_t len)
{
	return mbox_ring_recv(c->priv[1], buf, len, 0, 0);
}

/* The consumer never sleeps in the kernel: it polls the ring. */
static int ring_recv_poll(struct chan *c, void *buf, size_t len)
{
	for (;;) {
		int n = mbox_ring_recv(c->priv[1], buf, len, MBOX_WAIT_NONBLOCK, 0);

		if (n != -EAGAIN)
			return n;
		sched_yield();
	}
}

static int ring_send_zc(struct chan *c, uint64_t seq)
{
	void *p;
	int ret = mbox_ring_reserve(c->priv[0], c->size, &p, 0, 0);

	if (ret)
		return ret;
	fill_msg(p, c->size, seq, c->sampled);
	return mbox_ring_commit(c->priv[0]);
}

static int ring_recv_zc(struct chan *c, uint64_t *seq)
{
	const void *p;
	int n = mbox_ring_peek(c->priv[1], &p, 0, 0);

	if (n < 0)
		return n;
	if ((size_t)n != c->size || check_msg(p, (size_t)n, seq, c->sampled))
		return -EBADMSG;
	return mbox_ring_release(c->priv[1]);
}

/* Sleeps and wake-ups are the only system calls a ring's data path makes. */
static uint64_t ring_syscalls(struct chan *c)
{
	uint64_t n = 0;

	for (int d = 0; d < 2; d++) {
		struct mbox_ring_info in;

		if (!mbox_ring_info(c->shm[d], &in))
			n += in.prod_sleeps + in.cons_sleeps + in.wake_calls;
	}
	return n;
}

#define RING_MECH(_name, _recv, _szc, _rzc)					\
	{ .name = _name, .mbox = true, .caps = CAN_PINGPONG | CAN_STREAM,	\
	  .max_size = 1 << 20, .setup = ring_setup, .attach = ring_attach,	\
	  .send = ring_send, .recv = _recv, .send_zc = _szc, .recv_zc = _rzc,	\
	  .detach = ring_detach, .teardown = ring_teardown,			\
	  .kernel_syscalls = ring_syscalls }

const struct mech mbox_mechs[] = {
	{ .name = "mbox-mailbox", .mbox = true,
	  .caps = CAN_PINGPONG | CAN_STREAM | CAN_FANIN | CAN_MANY | CAN_NBPAIR,
	  .max_size = 1 << 20,
	  .setup = mb_setup, .send = mb_send, .recv = mb_recv, .teardown = mb_teardown },
	{ .name = "mbox-mailbox-rw", .mbox = true,
	  .caps = CAN_PINGPONG | CAN_STREAM | CAN_FANIN | CAN_MANY | CAN_NBPAIR,
	  .max_size = 1 << 20,
	  .setup = mb_setup, .send = mb_write, .recv = mb_read, .teardown = mb_teardown },
	{ .name = "mbox-mailbox-batch", .mbox = true,
	  .caps = CAN_STREAM | CAN_FANIN | CAN_MANY, .max_size = 64 << 10,
	  .setup = mb_setup, .attach = mbb_attach, .send_zc = mbb_send_zc,
	  .recv_zc = mbb_recv_zc, .flush = mbb_flush, .detach = mbb_detach, .teardown = mb_teardown },
	{ .name = "mbox-link-sync", .mbox = true, .caps = CAN_PINGPONG | CAN_STREAM | CAN_FANIN,
	  .max_size = 1 << 20, .attach = link_attach, .send = link_send_sync,
	  .recv = link_recv, .detach = link_detach },
	{ .name = "mbox-link-async", .mbox = true, .caps = CAN_PINGPONG | CAN_STREAM | CAN_FANIN,
	  .max_size = 1 << 20, .attach = link_attach, .send = link_send_async,
	  .recv = link_recv, .detach = link_detach },
	RING_MECH("mbox-ring", ring_recv, NULL, NULL),
	RING_MECH("mbox-ring-zc", ring_recv, ring_send_zc, ring_recv_zc),
	RING_MECH("mbox-ring-poll", ring_recv_poll, NULL, NULL),
};

const size_t nr_mbox_mechs = sizeof(mbox_mechs) / sizeof(mbox_mechs[0]);
