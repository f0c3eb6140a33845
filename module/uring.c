// SPDX-License-Identifier: GPL-2.0
/*
 * mbox: io_uring commands (IORING_OP_URING_CMD) on mailbox, endpoint and
 * link descriptors.
 *
 * A command is an ioctl carried by an SQE: sqe->cmd_op is the MBOX_IOC_*
 * number, the SQE's command area a struct mbox_uring_cmd pointing at the
 * ioctl's own argument struct, and the descriptor's own ioctl handlers run
 * it (mbox_ucmd_dispatch()), so that every check, every result and the
 * exactly-once rules are the ioctl's. What io_uring adds is how a command
 * that would block waits:
 *
 *  - A command the user made non-blocking (MBOX_WAIT_NONBLOCK, O_NONBLOCK)
 *    runs once, as the ioctl would.
 *  - Otherwise it is first tried with MBOX_WAIT_NONBLOCK forced on (the
 *    user's struct never sees it). A receive that finds nothing parks
 *    (kernels with cancelable commands, 6.12): it waits on the receive wait
 *    queue of the descriptor's poll, and each wake-up retries the same
 *    non-blocking receive in the submitting task (task work) until it gets
 *    something other than -EAGAIN, its deadline passes (MBOX_WAIT_TIMEOUT in
 *    its struct: -ETIMEDOUT) or io_uring cancels it (-ECANCELED). No thread
 *    waits, and the message is taken by the same code as an ioctl's, in the
 *    process that asked for it.
 *  - A send that must wait, a call, on 6.1 a receive, and on 6.12 a
 *    receive with a linked timeout (mbox_uring_has_ltimeout()), go to
 *    io_uring's worker threads (io-wq) by returning -EAGAIN, where the
 *    handler blocks as the ioctl does; that wait is interruptible, so
 *    io_uring's cancellation of io-wq work (ring teardown, exit, linked
 *    timeouts) ends it. That cancellation comes after the ring's release
 *    has returned: meanwhile a command sees its ring dying before it runs,
 *    before each wait and after each wake-up (mbox_uring_gone()), and ends
 *    with -ECANCELED having taken and sent nothing.
 *
 * A parked receive holds the descriptor (io_uring holds the request's file)
 * and so the module: rmmod fails with -EBUSY meanwhile, and never waits.
 */
#include <linux/file.h>
#include <linux/hrtimer.h>
#include <linux/io_uring_types.h>
#include <linux/percpu-refcount.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/wait.h>

#include "stats.h"
#include "uring.h"
#include "wait.h"

/*
 * ---- Kernel API differences, in one place (and the probe in Kbuild) ----
 *
 * 6.1: <linux/io_uring.h>, the command area is ioucmd->cmd, no cancelable
 * commands (so no parking: a receive waits in io-wq). 6.12:
 * <linux/io_uring/cmd.h>, io_uring_sqe_cmd(), io_uring_cmd_mark_cancelable(),
 * IO_URING_F_CANCEL and IO_URING_F_TASK_DEAD. io_uring_cmd_done()'s res2 is
 * ssize_t on 6.1 and u64 on 6.12; it is always 0 here. 6.1's
 * io_uring_cmd() passes a positive result on as if it were an error code:
 * io-wq drops it (no CQE at all) and the submission path posts it as a
 * failure (breaking IOSQE_IO_LINK chains), so positive results are
 * completed with io_uring_cmd_done() there (MBOX_URING_DONE_POSITIVE).
 */
#ifdef MBOX_HAVE_URING_CANCEL
#include <linux/io_uring/cmd.h>
#define MBOX_URING_PARK		1
#define MBOX_URING_DONE_POSITIVE	0
static const void *mbox_uring_area(const struct io_uring_cmd *ioucmd)
{
	return io_uring_sqe_cmd(ioucmd->sqe);
}
#else
#include <linux/io_uring.h>
#define MBOX_URING_PARK		0
#define MBOX_URING_DONE_POSITIVE	1
static const void *mbox_uring_area(const struct io_uring_cmd *ioucmd)
{
	return ioucmd->cmd;
}
#endif

/* What a command does when it has to wait. */
enum mbox_uring_kind {
	MBOX_URING_SEND,	/* waits in io-wq */
	MBOX_URING_RECV,	/* parks (6.12) or waits in io-wq (6.1) */
	MBOX_URING_CALL,	/* waits in io-wq, never tried non-blocking */
};

/**
 * struct mbox_uring_req - one command, as read from its SQE
 * @file: the descriptor
 * @cmd: the ioctl number
 * @arg: the user's argument struct
 * @ops: the descriptor's dispatch table
 * @nr_ops: its size
 * @kind: enum mbox_uring_kind
 * @watch: ends the command's waits when its ring is torn down
 */
struct mbox_uring_req {
	struct file *file;
	unsigned int cmd;
	void __user *arg;
	const struct mbox_ioctl_op *ops;
	size_t nr_ops;
	enum mbox_uring_kind kind;
	struct mbox_wait_watch watch;
};

/* The argument structs of the receives keep their wait fields in one place. */
#define MBOX_URING_FLAGS_OFF	offsetof(struct mbox_recv, flags)
#define MBOX_URING_TIMEOUT_OFF	offsetof(struct mbox_recv, timeout_ns)
static_assert(offsetof(struct mbox_link_recv, flags) == MBOX_URING_FLAGS_OFF);
static_assert(offsetof(struct mbox_batch, flags) == MBOX_URING_FLAGS_OFF);
static_assert(offsetof(struct mbox_send, flags) == MBOX_URING_FLAGS_OFF);
static_assert(offsetof(struct mbox_link_send, flags) == MBOX_URING_FLAGS_OFF);
static_assert(offsetof(struct mbox_call, flags) == MBOX_URING_FLAGS_OFF);
static_assert(offsetof(struct mbox_link_recv, timeout_ns) == MBOX_URING_TIMEOUT_OFF);
static_assert(offsetof(struct mbox_batch, timeout_ns) == MBOX_URING_TIMEOUT_OFF);

static int mbox_uring_kind_of(unsigned int cmd)
{
	switch (cmd) {
	case MBOX_IOC_SEND:
	case MBOX_IOC_SEND_BATCH:
	case MBOX_IOC_LINK_SEND:
		return MBOX_URING_SEND;
	case MBOX_IOC_RECV:
	case MBOX_IOC_RECV_BATCH:
	case MBOX_IOC_LINK_RECV:
		return MBOX_URING_RECV;
	case MBOX_IOC_CALL:
		return MBOX_URING_CALL;
	}
	return -ENOTTY;
}

/*
 * Is the command's ring being torn down? Its release (the ring's last
 * close, or io_uring_queue_exit()) kills ctx->refs at once; the cancellation
 * of what still waits comes later, from a work item. A command that acts
 * in between takes or sends something whose completion nobody can see:
 * it must end instead, having done nothing (-ECANCELED).
 */
static bool mbox_uring_gone(void *arg)
{
	struct io_uring_cmd *ioucmd = arg;

	return percpu_ref_is_dying(&cmd_to_io_kiocb(ioucmd)->ctx->refs);
}

/* Read and check the SQE's part: the command area is the user's to change. */
/*
 * A 128-byte SQE's command area is 80 bytes: what follows struct
 * mbox_uring_cmd is reserved, so it must be zero (kept free for later).
 */
#define MBOX_URING_AREA128	80

static int mbox_uring_prep(struct io_uring_cmd *ioucmd, struct mbox_uring_req *req,
			   unsigned int issue_flags)
{
	const struct mbox_uring_cmd *area = mbox_uring_area(ioucmd);
	int kind = mbox_uring_kind_of(ioucmd->cmd_op);

	if (kind < 0)
		return kind;
	/* No registered buffers: the argument struct names the user's own. */
	if (ioucmd->flags & IORING_URING_CMD_FIXED)
		return -EINVAL;
	if (READ_ONCE(area->flags) || READ_ONCE(area->__reserved))
		return -EINVAL;
	if ((issue_flags & IO_URING_F_SQE128) &&
	    memchr_inv(area + 1, 0, MBOX_URING_AREA128 - sizeof(*area)))
		return -EINVAL;
	req->file = ioucmd->file;
	req->cmd = ioucmd->cmd_op;
	req->arg = u64_to_user_ptr(READ_ONCE(area->arg));
	req->kind = kind;
	req->watch.gone = mbox_uring_gone;
	req->watch.arg = ioucmd;
	return 0;
}

/*
 * Run the command's ioctl handler once, with @force_flags added; it and its
 * waits (io-wq) end with -ECANCELED once the ring is torn down.
 */
static int mbox_uring_run(const struct mbox_uring_req *req, u32 force_flags)
{
	long ret;

	if (mbox_uring_gone(req->watch.arg))
		return -ECANCELED;
	ret = mbox_ucmd_dispatch(req->file, req->cmd, req->arg, req->ops,
				 req->nr_ops, force_flags, &req->watch);

	/* io_uring does not restart: an interrupted wait is -EINTR. */
	if (ret == -ERESTARTSYS || ret == -ERESTARTNOINTR ||
	    ret == -ERESTARTNOHAND || ret == -ERESTART_RESTARTBLOCK)
		return -EINTR;
	return ret;
}

/*
 * Does the user let the command wait? The struct's flags are read again by
 * the handler; a user changing them meanwhile only changes how it waits.
 */
static int mbox_uring_may_wait(const struct mbox_uring_req *req, bool *may_wait)
{
	u32 flags;

	if (get_user(flags, (u32 __user *)(req->arg + MBOX_URING_FLAGS_OFF)))
		return -EFAULT;
	*may_wait = !(flags & MBOX_WAIT_NONBLOCK) && !(req->file->f_flags & O_NONBLOCK);
	return 0;
}

/*
 * Hand a command's final result to io_uring. It takes -EAGAIN from a
 * non-blocking issue as "retry in io-wq": a command whose answer really is
 * -EAGAIN (the user asked not to wait) is completed here instead, as are
 * positive results where io_uring would lose them (see above).
 */
static int mbox_uring_complete(struct io_uring_cmd *ioucmd, int ret,
			       unsigned int issue_flags)
{
	if ((ret > 0 && MBOX_URING_DONE_POSITIVE) ||
	    (ret == -EAGAIN && (issue_flags & IO_URING_F_NONBLOCK))) {
		io_uring_cmd_done(ioucmd, ret, 0, issue_flags);
		return -EIOCBQUEUED;
	}
	return ret;
}

#if MBOX_URING_PARK

/* struct mbox_uring_wait.state */
#define MBOX_UW_OWNED		BIT(0)	/* someone acts on the request */
#define MBOX_UW_WOKEN		BIT(1)	/* a wake-up came: try again */
#define MBOX_UW_TIMEDOUT	BIT(2)	/* the deadline passed */
#define MBOX_UW_CANCELED	BIT(3)	/* io_uring canceled it */

/**
 * struct mbox_uring_wait - a parked receive
 * @req: the command
 * @ioucmd: its io_uring request
 * @pt: the poll table that finds the receive wait queue
 * @head: that wait queue (the first one the descriptor's poll waits on)
 * @entry: our entry on @head
 * @timer: the deadline (MBOX_WAIT_TIMEOUT), when @timed
 * @timed: @timer is armed
 * @state: MBOX_UW_*. Whoever sets OWNED while it is clear owns the request
 *	until it clears it again or completes it: the issuer first, then the
 *	task work a wake-up, the deadline or a cancellation queues. A wake-up
 *	while someone owns it only sets WOKEN, which the owner sees before it
 *	lets go, so none is lost and only one party ever runs the receive.
 */
struct mbox_uring_wait {
	struct mbox_uring_req req;
	struct io_uring_cmd *ioucmd;
	poll_table pt;
	wait_queue_head_t *head;
	struct wait_queue_entry entry;
	struct hrtimer timer;
	bool timed;
	atomic_t state;
};

/*
 * Has the request a linked timeout (IORING_OP_LINK_TIMEOUT)? io_uring sets
 * REQ_F_LINK_TIMEOUT (from REQ_F_ARM_LTIMEOUT) before it issues the
 * request, and arms the timer after the issue returns. Its cancellation
 * (io_try_cancel()) looks in io-wq, the poll table, waitids, futexes and
 * timeouts, never at cancelable uring commands: a parked receive would not
 * see its deadline (the timeout would complete -ENOENT and leave it
 * waiting). Such a receive waits in io-wq instead, whose cancellation
 * interrupts it (TIF_NOTIFY_SIGNAL).
 */
static bool mbox_uring_has_ltimeout(struct io_uring_cmd *ioucmd)
{
	return cmd_to_io_kiocb(ioucmd)->flags & (REQ_F_LINK_TIMEOUT | REQ_F_ARM_LTIMEOUT);
}

static struct mbox_uring_wait **mbox_uring_pdu(struct io_uring_cmd *ioucmd)
{
	return io_uring_cmd_to_pdu(ioucmd, struct mbox_uring_wait *);
}

static void mbox_uring_task(struct io_uring_cmd *ioucmd, unsigned int issue_flags);

/* Set @bits; if nobody owned the request, own it and queue the task work. */
static void mbox_uring_kick(struct mbox_uring_wait *w, int bits)
{
	int old = atomic_read(&w->state);

	do {
		if ((old & bits) == bits && (old & MBOX_UW_OWNED))
			return;
	} while (!atomic_try_cmpxchg(&w->state, &old, old | bits | MBOX_UW_OWNED));
	if (!(old & MBOX_UW_OWNED))
		io_uring_cmd_complete_in_task(w->ioucmd, mbox_uring_task);
}

/*
 * Let go of the request, unless something came meanwhile. Return: true if
 * let go; false if the owner must look again.
 */
static bool mbox_uring_release(struct mbox_uring_wait *w)
{
	int old = atomic_read(&w->state);

	do {
		if (old & (MBOX_UW_WOKEN | MBOX_UW_TIMEDOUT | MBOX_UW_CANCELED))
			return false;
	} while (!atomic_try_cmpxchg(&w->state, &old, old & ~MBOX_UW_OWNED));
	return true;
}

static int mbox_uring_wake(struct wait_queue_entry *entry, unsigned int mode,
			   int sync, void *key)
{
	struct mbox_uring_wait *w = container_of(entry, struct mbox_uring_wait, entry);
	__poll_t mask = key_to_poll(key);

	/* A keyless wake-up (a shutdown) may concern us too. */
	if (mask && !(mask & (EPOLLIN | EPOLLRDNORM | EPOLLHUP | EPOLLERR)))
		return 0;
	mbox_uring_kick(w, MBOX_UW_WOKEN);
	return 0;
}

static enum hrtimer_restart mbox_uring_timeout(struct hrtimer *timer)
{
	struct mbox_uring_wait *w = container_of(timer, struct mbox_uring_wait, timer);

	mbox_uring_kick(w, MBOX_UW_TIMEDOUT);
	return HRTIMER_NORESTART;
}

/*
 * Every descriptor's poll waits on its receive wait queue first (the
 * queue's recv_wq); a mailbox's and a link's then on a send_wq, whose
 * wake-ups do not concern a receive.
 */
static void mbox_uring_queue_proc(struct file *file, wait_queue_head_t *head,
				  poll_table *pt)
{
	struct mbox_uring_wait *w = container_of(pt, struct mbox_uring_wait, pt);

	if (w->head)
		return;
	w->head = head;
	add_wait_queue(head, &w->entry);
}

/* Arm the deadline the user's struct asks for, as the ioctl would. */
static int mbox_uring_arm_timer(struct mbox_uring_wait *w)
{
	void __user *arg = w->req.arg;
	struct mbox_deadline dl;
	s64 timeout_ns;
	u32 flags;
	int ret;

	if (get_user(flags, (u32 __user *)(arg + MBOX_URING_FLAGS_OFF)) ||
	    get_user(timeout_ns, (s64 __user *)(arg + MBOX_URING_TIMEOUT_OFF)))
		return -EFAULT;
	ret = mbox_deadline_init(&dl, w->req.file, NULL, flags & MBOX_WAIT_FLAGS,
				 timeout_ns);
	if (ret || !dl.timed)
		return ret;
	hrtimer_init(&w->timer, dl.clock, HRTIMER_MODE_ABS);
	w->timer.function = mbox_uring_timeout;
	w->timed = true;
	hrtimer_start(&w->timer, dl.expires, HRTIMER_MODE_ABS);
	return 0;
}

/* Undo the parking; the owner calls it, after which nothing refers to @w. */
static void mbox_uring_unpark(struct mbox_uring_wait *w)
{
	/* Waits for a wake-up running on the entry: none can come after. */
	if (w->head)
		remove_wait_queue(w->head, &w->entry);
	if (w->timed)
		hrtimer_cancel(&w->timer);
	atomic_long_dec(&mbox_nr_uring_waits);
	kfree(w);
}

static void mbox_uring_finish(struct mbox_uring_wait *w, int ret,
			      unsigned int issue_flags)
{
	struct io_uring_cmd *ioucmd = w->ioucmd;

	mbox_uring_unpark(w);
	io_uring_cmd_done(ioucmd, ret, 0, issue_flags);
}

/* One non-blocking try, as the owner: the result, or -EAGAIN to wait on. */
static int mbox_uring_try(struct mbox_uring_wait *w)
{
	int state = atomic_fetch_andnot(MBOX_UW_WOKEN, &w->state);
	int ret;

	if (state & MBOX_UW_CANCELED)
		return -ECANCELED;
	ret = mbox_uring_run(&w->req, MBOX_WAIT_NONBLOCK);
	if (ret == -EAGAIN && (state & MBOX_UW_TIMEDOUT))
		return -ETIMEDOUT;
	return ret;
}

/*
 * Task work, in the submitting task (or, when that task is exiting or the
 * ring is going away, in a kernel worker: IO_URING_F_TASK_DEAD, and then
 * the user's memory is not touched and nothing is received).
 */
static void mbox_uring_task(struct io_uring_cmd *ioucmd, unsigned int issue_flags)
{
	struct mbox_uring_wait *w = *mbox_uring_pdu(ioucmd);
	int ret;

	do {
		if (issue_flags & IO_URING_F_TASK_DEAD)
			ret = -ECANCELED;
		else
			ret = mbox_uring_try(w);
		if (ret != -EAGAIN) {
			mbox_uring_finish(w, ret, issue_flags);
			return;
		}
	} while (!mbox_uring_release(w));
}

/*
 * IO_URING_F_CANCEL: ring teardown, the task's exit or its io_uring files
 * going away. Completed here when nobody owns the request; otherwise its
 * owner (queued task work) sees MBOX_UW_CANCELED and completes it.
 */
static int mbox_uring_cancel(struct io_uring_cmd *ioucmd, unsigned int issue_flags)
{
	struct mbox_uring_wait *w = *mbox_uring_pdu(ioucmd);
	int old = atomic_fetch_or(MBOX_UW_CANCELED | MBOX_UW_OWNED, &w->state);

	if (!(old & MBOX_UW_OWNED))
		mbox_uring_finish(w, -ECANCELED, issue_flags);
	return 0;
}

/*
 * A receive the user lets wait: try it; if there is nothing, park. The
 * entry is on the wait queue before the second try, so a message queued
 * after that try wakes it.
 */
static int mbox_uring_recv(struct io_uring_cmd *ioucmd, unsigned int issue_flags,
			   const struct mbox_uring_req *req)
{
	struct mbox_uring_wait *w;
	int ret;

	ret = mbox_uring_run(req, MBOX_WAIT_NONBLOCK);
	if (ret != -EAGAIN)
		return ret;
	w = kzalloc(sizeof(*w), GFP_KERNEL_ACCOUNT);
	if (!w)
		return -ENOMEM;
	w->req = *req;
	w->ioucmd = ioucmd;
	atomic_set(&w->state, MBOX_UW_OWNED);
	init_waitqueue_func_entry(&w->entry, mbox_uring_wake);
	init_poll_funcptr(&w->pt, mbox_uring_queue_proc);
	*mbox_uring_pdu(ioucmd) = w;
	atomic_long_inc(&mbox_nr_uring_waits);

	vfs_poll(req->file, &w->pt);
	ret = w->head ? mbox_uring_arm_timer(w) : -EOPNOTSUPP;
	if (!ret)
		ret = mbox_uring_try(w);
	if (ret != -EAGAIN) {
		mbox_uring_unpark(w);
		return ret;
	}
	io_uring_cmd_mark_cancelable(ioucmd, issue_flags);
	/* Woken (or timed out) already: the task work tries again. */
	if (!mbox_uring_release(w))
		io_uring_cmd_complete_in_task(ioucmd, mbox_uring_task);
	return -EIOCBQUEUED;
}

#else /* !MBOX_URING_PARK */

/* No parking: every receive that waits does so in io-wq. */
static bool mbox_uring_has_ltimeout(struct io_uring_cmd *ioucmd)
{
	return false;
}

static int mbox_uring_recv(struct io_uring_cmd *ioucmd, unsigned int issue_flags,
			   const struct mbox_uring_req *req)
{
	return -EOPNOTSUPP;
}

#endif /* MBOX_URING_PARK */

/**
 * mbox_uring_cmd - file_operations.uring_cmd of the mailbox, endpoint and
 *	link descriptors (see MBOX_URING_CMD())
 * @ioucmd: the command
 * @issue_flags: IO_URING_F_*
 * @ops: the descriptor's ioctl dispatch table
 * @nr_ops: its size
 *
 * Return: the ioctl's result; -EIOCBQUEUED when the command completes
 * later; -EAGAIN to have io-wq run it where it may block; -ENOTTY for a
 * command number io_uring does not carry (or the descriptor does not know);
 * -EINVAL for a bad command area.
 */
int mbox_uring_cmd(struct io_uring_cmd *ioucmd, unsigned int issue_flags,
		   const struct mbox_ioctl_op *ops, size_t nr_ops)
{
	struct mbox_uring_req req = { .ops = ops, .nr_ops = nr_ops };
	bool may_wait;
	int ret;

#if MBOX_URING_PARK
	if (issue_flags & IO_URING_F_CANCEL)
		return mbox_uring_cancel(ioucmd, issue_flags);
#endif
	ret = mbox_uring_prep(ioucmd, &req, issue_flags) ?:
	      mbox_uring_may_wait(&req, &may_wait);
	if (ret)
		return ret;
	/* A call tried without blocking would have sent its request. */
	if (may_wait && req.kind == MBOX_URING_CALL && (issue_flags & IO_URING_F_NONBLOCK))
		return -EAGAIN;
	if (!may_wait) {
		ret = mbox_uring_run(&req, 0);
	} else if (req.kind == MBOX_URING_RECV && MBOX_URING_PARK &&
		   !mbox_uring_has_ltimeout(ioucmd)) {
		ret = mbox_uring_recv(ioucmd, issue_flags, &req);
	} else if (!(issue_flags & IO_URING_F_NONBLOCK)) {
		/* In io-wq: block as the ioctl does. */
		ret = mbox_uring_run(&req, 0);
	} else {
		ret = mbox_uring_run(&req, MBOX_WAIT_NONBLOCK);
		if (ret == -EAGAIN)
			return ret;	/* io-wq runs it again, blocking */
	}
	return mbox_uring_complete(ioucmd, ret, issue_flags);
}
