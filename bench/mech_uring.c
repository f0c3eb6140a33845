// SPDX-License-Identifier: GPL-2.0
/*
 * ipcbench: mailboxes through io_uring (docs/io_uring.md).
 *
 *   mbox-uring-32      32 MBOX_IOC_SEND (or RECV) commands per io_uring_enter
 *   mbox-batch-32      the batch ioctls with 32 entries, for comparison
 *   mbox-uring-sqpoll  one command per message on an SQPOLL ring: the
 *                      kernel thread submits, the process only polls the CQ
 *                      (compare with mbox-ring, the shared-memory ring)
 *
 * System calls counted: io_uring_enter (or the batch ioctl) per call made.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <liburing.h>
#include <mbox.h>
#include <mbox_uring.h>

#include "bench.h"

#define UBATCH		32
#define SPIN		20000	/* CQ polls before an SQPOLL waiter sleeps */

struct ustate {
	struct io_uring ring;
	uint8_t *slots;
	struct mbox_send sv[UBATCH];
	struct mbox_recv rv[UBATCH];
	struct mbox_batch b;
	unsigned int staged, pos, len, order[UBATCH];
};

static struct ustate *us(struct chan *c)
{
	return c->priv[0];
}

static int u_setup(struct chan *c)
{
	struct mbox_attr attr = { .mode = 0600, .capacity = 64,
				  .msg_size_max = (uint32_t)c->size };
	unsigned int flags = MBOX_OPEN_CREATE | MBOX_OPEN_SEND | MBOX_OPEN_RECV;

	for (int d = 0; d < 2; d++) {
		c->fd[d][0] = mbox_open(-1, NULL, flags, &attr, NULL);
		if (c->fd[d][0] < 0)
			return c->fd[d][0];
	}
	return 0;
}

static void u_teardown(struct chan *c)
{
	close(c->fd[0][0]);
	close(c->fd[1][0]);
}

static int u_attach_flags(struct chan *c, unsigned int setup, bool ring)
{
	struct io_uring_params p = { .flags = setup, .sq_thread_idle = 1000 };
	struct ustate *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	c->priv[0] = s;
	s->slots = malloc(UBATCH * c->size);
	if (!s->slots)
		return -ENOMEM;
	return ring ? io_uring_queue_init_params(2 * UBATCH, &s->ring, &p) : 0;
}

static int u_attach(struct chan *c)
{
	return u_attach_flags(c, 0, true);
}

static int b_attach(struct chan *c)
{
	return u_attach_flags(c, 0, false);
}

static int sq_attach(struct chan *c)
{
	return u_attach_flags(c, IORING_SETUP_SQPOLL, true);
}

static void u_detach_ring(struct chan *c, bool ring)
{
	struct ustate *s = us(c);

	if (!s)
		return;
	if (ring)
		io_uring_queue_exit(&s->ring);
	free(s->slots);
	free(s);
}

static void u_detach(struct chan *c)
{
	u_detach_ring(c, true);
}

static void b_detach(struct chan *c)
{
	u_detach_ring(c, false);
}

/* Submit what is prepared and reap @n completions; CQE order in s->order. */
static int u_run(struct chan *c, unsigned int n)
{
	struct ustate *s = us(c);
	int ret;

	c->syscalls++;
	ret = io_uring_submit_and_wait(&s->ring, n);
	if (ret < 0)
		return ret;
	for (unsigned int i = 0; i < n; i++) {
		struct io_uring_cqe *cqe;

		ret = io_uring_wait_cqe(&s->ring, &cqe);
		if (ret)
			return ret;
		ret = cqe->res;
		s->order[i] = (unsigned int)cqe->user_data;
		io_uring_cqe_seen(&s->ring, cqe);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/*
 * Messages are filled in their slot, the buffer the command copies from,
 * and checked in the slot the command copied into: the same work per
 * message as the single-message cells (no copy into or out of a slot on
 * top of it).
 */
static void u_stage(struct chan *c, uint64_t seq)
{
	struct ustate *s = us(c);
	uint8_t *slot = s->slots + s->staged * c->size;

	fill_msg(slot, c->size, seq, c->sampled);
	s->sv[s->staged] = (struct mbox_send){ .size = sizeof(struct mbox_send),
					       .buf = (uintptr_t)slot,
					       .len = (uint32_t)c->size };
	s->staged++;
}

static int u_flush(struct chan *c)
{
	struct ustate *s = us(c);

	for (unsigned int i = 0; i < s->staged; i++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&s->ring);

		mbox_prep_cmd(sqe, c->fd[c->send_dir][0], MBOX_IOC_SEND, &s->sv[i]);
		io_uring_sqe_set_data64(sqe, i);
	}
	if (s->staged) {
		int ret = u_run(c, s->staged);

		if (ret)
			return ret;
	}
	s->staged = 0;
	return 0;
}

static int u_send(struct chan *c, uint64_t seq)
{
	u_stage(c, seq);
	return us(c)->staged == UBATCH ? u_flush(c) : 0;
}

static unsigned int u_want(struct chan *c)
{
	/* Never take more than this process still wants: others may. */
	return c->recv_left < UBATCH ? (unsigned int)c->recv_left : UBATCH;
}

static void u_arm_rv(struct chan *c, unsigned int want)
{
	struct ustate *s = us(c);

	for (unsigned int i = 0; i < want; i++)
		s->rv[i] = (struct mbox_recv){ .size = sizeof(struct mbox_recv),
					       .buf = (uintptr_t)(s->slots + i * c->size),
					       .len = (uint32_t)c->size };
}

static int u_deliver(struct chan *c, unsigned int idx, uint64_t *seq)
{
	struct mbox_recv *r = &us(c)->rv[idx];

	if (r->len != c->size ||
	    check_msg((const void *)(uintptr_t)r->buf, r->len, seq, c->sampled))
		return -EBADMSG;
	return 0;
}

static int u_recv(struct chan *c, uint64_t *seq)
{
	struct ustate *s = us(c);

	if (s->pos == s->len) {
		unsigned int want = u_want(c);
		int ret;

		u_arm_rv(c, want);
		for (unsigned int i = 0; i < want; i++) {
			struct io_uring_sqe *sqe = io_uring_get_sqe(&s->ring);

			mbox_prep_cmd(sqe, c->fd[c->recv_dir][0], MBOX_IOC_RECV, &s->rv[i]);
			io_uring_sqe_set_data64(sqe, i);
		}
		ret = u_run(c, want);
		if (ret)
			return ret;
		s->pos = 0;
		s->len = want;
	}
	/* In the order the messages were taken (the CQEs' order). */
	return u_deliver(c, s->order[s->pos++], seq);
}

/* ---- the batch ioctls with the same 32 ---- */

static int b_flush(struct chan *c)
{
	struct ustate *s = us(c);
	unsigned int done = 0;

	while (done < s->staged) {
		int n;

		c->syscalls++;
		n = mbox_send_batch(c->fd[c->send_dir][0], s->sv + done, s->staged - done, 0, 0);
		if (n < 0)
			return n;
		done += (unsigned int)n;
	}
	s->staged = 0;
	return 0;
}

static int b_send(struct chan *c, uint64_t seq)
{
	u_stage(c, seq);
	return us(c)->staged == UBATCH ? b_flush(c) : 0;
}

static int b_recv(struct chan *c, uint64_t *seq)
{
	struct ustate *s = us(c);

	if (s->pos == s->len) {
		unsigned int want = u_want(c);
		int n;

		u_arm_rv(c, want);
		c->syscalls++;
		n = mbox_recv_batch(c->fd[c->recv_dir][0], s->rv, want, 0, 0);
		if (n < 0)
			return n;
		for (int i = 0; i < n; i++)
			s->order[i] = (unsigned int)i;
		s->pos = 0;
		s->len = (unsigned int)n;
	}
	return u_deliver(c, s->order[s->pos++], seq);
}

/* ---- SQPOLL: one command per message, the CQ polled before sleeping ---- */

static int sq_one(struct chan *c)
{
	struct ustate *s = us(c);
	struct io_uring_cqe *cqe;
	int ret;

	/* With SQPOLL this enters the kernel only to wake an idle SQ thread. */
	if (io_uring_sq_ready(&s->ring) && IO_URING_READ_ONCE(*s->ring.sq.kflags) &
	    IORING_SQ_NEED_WAKEUP)
		c->syscalls++;
	ret = io_uring_submit(&s->ring);
	if (ret < 0)
		return ret;
	for (int i = 0; i < SPIN; i++)
		if (!io_uring_peek_cqe(&s->ring, &cqe))
			goto got;
	c->syscalls++;
	ret = io_uring_wait_cqe(&s->ring, &cqe);
	if (ret)
		return ret;
got:
	ret = cqe->res;
	io_uring_cqe_seen(&s->ring, cqe);
	return ret;
}

static int sq_send(struct chan *c, uint64_t seq)
{
	struct ustate *s = us(c);

	u_stage(c, seq);
	s->staged = 0;
	mbox_prep_cmd(io_uring_get_sqe(&s->ring), c->fd[c->send_dir][0], MBOX_IOC_SEND,
		      &s->sv[0]);
	return sq_one(c);
}

static int sq_recv(struct chan *c, uint64_t *seq)
{
	struct ustate *s = us(c);
	int ret;

	u_arm_rv(c, 1);
	mbox_prep_cmd(io_uring_get_sqe(&s->ring), c->fd[c->recv_dir][0], MBOX_IOC_RECV,
		      &s->rv[0]);
	ret = sq_one(c);
	return ret < 0 ? ret : u_deliver(c, 0, seq);
}

const struct mech uring_mechs[] = {
	{ .name = "mbox-uring-32", .mbox = true, .caps = CAN_STREAM, .max_size = 64 << 10,
	  .setup = u_setup, .attach = u_attach, .send_zc = u_send, .recv_zc = u_recv,
	  .flush = u_flush, .detach = u_detach, .teardown = u_teardown },
	{ .name = "mbox-batch-32", .mbox = true, .caps = CAN_STREAM, .max_size = 64 << 10,
	  .setup = u_setup, .attach = b_attach, .send_zc = b_send, .recv_zc = b_recv,
	  .flush = b_flush, .detach = b_detach, .teardown = u_teardown },
	{ .name = "mbox-uring-sqpoll", .mbox = true, .caps = CAN_PINGPONG | CAN_STREAM,
	  .max_size = 1 << 20, .setup = u_setup, .attach = sq_attach, .send_zc = sq_send,
	  .recv_zc = sq_recv, .detach = u_detach, .teardown = u_teardown },
};

const size_t nr_uring_mechs = sizeof(uring_mechs) / sizeof(uring_mechs[0]);
