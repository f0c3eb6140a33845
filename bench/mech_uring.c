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
 * Many mailboxes, one server (fan-in only): each of the four senders sends
 * round-robin into MANY_PER_SENDER mailboxes of its own (MANY_MBOX in all),
 * with mbox_send() as mbox-mailbox does; the receiving process serves all
 * of them, either
 *   mbox-uring-loop       from one thread and one ring: a MBOX_IOC_RECV
 *                         command posted on every mailbox (parked, on
 *                         6.12), each one checked in its slot and posted
 *                         again when its CQE comes, or
 *   mbox-thread-per-mbox  with one thread per mailbox, each blocking in
 *                         mbox_recv() and checking what it got in its own
 *                         buffer (the harness's receive loop waits for the
 *                         threads at its first call; its other calls are
 *                         empty).
 * The same fill, check and message count as mbox-mailbox's fan-in, which
 * serves one shared mailbox.
 *
 * System calls counted: io_uring_enter (or the batch ioctl) per call made.
 */
#include <errno.h>
#include <pthread.h>
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

/* ---- many mailboxes, one server: a ring loop or a thread per mailbox ---- */

#define MANY_SENDERS	4	/* the fan-in pattern's */
#define MANY_PER_SENDER	4
#define MANY_MBOX	(MANY_SENDERS * MANY_PER_SENDER)

struct many;

/* One mailbox as the server sees it. */
struct many_box {
	struct many *m;
	int fd;
	uint8_t *slot;			/* the buffer its receives copy into */
	uint64_t left;			/* messages still to come */
	struct mbox_recv rv;		/* the ring's command */
	pthread_t thread;		/* the thread per mailbox */
	uint64_t syscalls;
	int err;
};

struct many {
	struct chan *c;
	struct io_uring ring;
	bool ring_up, joined;
	unsigned int nthreads;
	uint64_t sent;			/* a sender's count, for its round robin */
	uint8_t *slots;
	struct many_box box[MANY_MBOX];
};

static struct many *mn(struct chan *c)
{
	return c->priv[0];
}

static int many_setup(struct chan *c)
{
	struct mbox_attr attr = { .mode = 0600, .capacity = 64,
				  .msg_size_max = (uint32_t)c->size };
	unsigned int flags = MBOX_OPEN_CREATE | MBOX_OPEN_SEND | MBOX_OPEN_RECV;

	c->mfd = malloc(MANY_MBOX * sizeof(*c->mfd));
	if (!c->mfd)
		return -ENOMEM;
	for (c->nmfd = 0; c->nmfd < MANY_MBOX; c->nmfd++) {
		int fd = mbox_open(-1, NULL, flags, &attr, NULL);

		if (fd < 0)
			return fd;
		c->mfd[c->nmfd] = fd;
	}
	return 0;
}

static void many_teardown(struct chan *c)
{
	for (unsigned int i = 0; i < c->nmfd; i++)
		close(c->mfd[i]);
	free(c->mfd);
	c->mfd = NULL;
	c->nmfd = 0;
}

/* Both cells: the per-mailbox state, and what each mailbox will carry. */
static int many_attach_common(struct chan *c)
{
	struct many *m = calloc(1, sizeof(*m));
	uint64_t per = c->recv_left / MANY_SENDERS;

	if (!m)
		return -ENOMEM;
	c->priv[0] = m;
	m->c = c;
	if (c->recv_dir < 0)
		return 0;
	m->slots = malloc(MANY_MBOX * c->size);
	if (!m->slots)
		return -ENOMEM;
	for (unsigned int i = 0; i < MANY_MBOX; i++) {
		struct many_box *b = &m->box[i];
		unsigned int j = i % MANY_PER_SENDER;

		b->m = m;
		b->fd = c->mfd[i];
		b->slot = m->slots + i * c->size;
		/* Sender i / MANY_PER_SENDER's messages j, j + 4, j + 8, ... */
		b->left = per > j ? (per - j + MANY_PER_SENDER - 1) / MANY_PER_SENDER : 0;
	}
	return 0;
}

static void many_detach(struct chan *c)
{
	struct many *m = mn(c);

	/*
	 * Threads not joined: the role failed and its process exits now,
	 * taking them with it; they may still use the slots.
	 */
	if (!m || (m->nthreads && !m->joined))
		return;
	if (m->ring_up)
		io_uring_queue_exit(&m->ring);
	free(m->slots);
	free(m);
	c->priv[0] = NULL;
}

/* Every sender: round robin over its own mailboxes, as mbox-mailbox sends. */
static int many_send(struct chan *c, const void *buf, size_t len)
{
	struct many *m = mn(c);
	int fd = c->mfd[c->role * MANY_PER_SENDER + m->sent++ % MANY_PER_SENDER];

	c->syscalls++;
	return mbox_send(fd, buf, len, 0, 0, 0);
}

/* mbox-uring-loop: a receive posted on every mailbox that has more to come. */
static void loop_post(struct many *m, unsigned int i)
{
	struct many_box *b = &m->box[i];
	struct io_uring_sqe *sqe = io_uring_get_sqe(&m->ring);

	b->rv = (struct mbox_recv){ .size = sizeof(struct mbox_recv),
				    .buf = (uintptr_t)b->slot,
				    .len = (uint32_t)m->c->size };
	mbox_prep_cmd(sqe, b->fd, MBOX_IOC_RECV, &b->rv);
	io_uring_sqe_set_data64(sqe, i);
}

static int loop_attach(struct chan *c)
{
	struct many *m;
	int ret = many_attach_common(c);

	if (ret || c->recv_dir < 0)
		return ret;
	m = mn(c);
	ret = io_uring_queue_init(MANY_MBOX, &m->ring, 0);
	if (ret)
		return ret;
	m->ring_up = true;
	for (unsigned int i = 0; i < MANY_MBOX; i++)
		if (m->box[i].left)
			loop_post(m, i);
	return 0;
}

/*
 * The event loop, one message per call: take the next CQE (entering the
 * kernel, with the receives posted since, only when none is there), check
 * the message in its mailbox's slot, post that mailbox's receive again.
 */
static int loop_recv(struct chan *c, uint64_t *seq)
{
	struct many *m = mn(c);
	struct io_uring_cqe *cqe;
	struct many_box *b;
	int ret;

	while (io_uring_peek_cqe(&m->ring, &cqe)) {
		c->syscalls++;
		ret = io_uring_submit_and_wait(&m->ring, 1);
		if (ret < 0)
			return ret;
	}
	b = &m->box[cqe->user_data % MANY_MBOX];
	ret = cqe->res;
	io_uring_cqe_seen(&m->ring, cqe);
	if (ret < 0)
		return ret;
	if ((size_t)ret != c->size || b->rv.len != c->size || !b->left ||
	    check_msg(b->slot, c->size, seq, c->sampled))
		return -EBADMSG;
	if (--b->left)
		loop_post(m, (unsigned int)(b - m->box));
	return 0;
}

/* mbox-thread-per-mbox: each thread receives and checks its mailbox's messages. */
static void *box_thread(void *arg)
{
	struct many_box *b = arg;
	struct chan *c = b->m->c;
	uint64_t seq;

	for (; b->left; b->left--) {
		int n;

		b->syscalls++;
		n = mbox_recv(b->fd, b->slot, c->size, 0, 0, NULL);
		if (n < 0) {
			b->err = n;
			break;
		}
		if ((size_t)n != c->size || check_msg(b->slot, c->size, &seq, c->sampled)) {
			b->err = -EBADMSG;
			break;
		}
	}
	return NULL;
}

static int threads_attach(struct chan *c)
{
	struct many *m;
	int ret = many_attach_common(c);

	if (ret || c->recv_dir < 0)
		return ret;
	m = mn(c);
	/* Started now, they block on empty mailboxes until the senders start. */
	for (; m->nthreads < MANY_MBOX; m->nthreads++) {
		ret = pthread_create(&m->box[m->nthreads].thread, NULL, box_thread,
				     &m->box[m->nthreads]);
		if (ret)
			return -ret;
	}
	return 0;
}

static int threads_recv(struct chan *c, uint64_t *seq)
{
	struct many *m = mn(c);
	int err = 0;

	*seq = 0;
	if (m->joined)
		return 0;
	for (unsigned int i = 0; i < m->nthreads; i++) {
		pthread_join(m->box[i].thread, NULL);
		c->syscalls += m->box[i].syscalls;
		if (!err)
			err = m->box[i].err;
	}
	m->joined = true;
	return err;
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
	{ .name = "mbox-uring-loop", .mbox = true, .caps = CAN_FANIN, .max_size = 64 << 10,
	  .setup = many_setup, .attach = loop_attach, .send = many_send,
	  .recv_zc = loop_recv, .detach = many_detach, .teardown = many_teardown },
	{ .name = "mbox-thread-per-mbox", .mbox = true, .caps = CAN_FANIN,
	  .max_size = 64 << 10, .setup = many_setup, .attach = threads_attach,
	  .send = many_send, .recv_zc = threads_recv, .detach = many_detach,
	  .teardown = many_teardown },
};

const size_t nr_uring_mechs = sizeof(uring_mechs) / sizeof(uring_mechs[0]);
