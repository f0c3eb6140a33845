/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mbox: blocking with deadlines, timeouts and signals (wait.c). Below the
 * queue and the rings; knows only wait queues and spinlocks.
 */
#ifndef _MBOX_WAIT_H
#define _MBOX_WAIT_H

#include <linux/fs.h>
#include <linux/ktime.h>
#include <linux/poll.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <uapi/linux/mbox.h>

/**
 * struct mbox_wakes - wake-ups a batch leaves to its end
 * @queued: messages queued, for the receivers (one wake-up for them all)
 * @freed: slots freed, for the senders waiting for room (one each)
 */
struct mbox_wakes {
	u32 queued;
	u32 freed;
};

/**
 * struct mbox_wait_watch - what ends a caller's waits early
 * @gone: true once the caller's waits must end (its io_uring ring is being
 *	torn down, see uring.c): they then return -ECANCELED, before sleeping
 *	and after each wake-up, before the caller looks at its condition
 *	again, so that nothing more is taken or queued for a caller that can
 *	no longer be told
 * @arg: @gone's argument
 */
struct mbox_wait_watch {
	bool (*gone)(void *arg);
	void *arg;
};

/**
 * struct mbox_deadline - how long a blocking call may wait
 * @nonblock: never wait (-EAGAIN)
 * @timed: @expires is set
 * @relative: the caller gave a relative timeout (interrupted: -EINTR, not
 *	restarted, so the wait can not be stretched)
 * @clock: CLOCK_MONOTONIC or CLOCK_REALTIME
 * @expires: absolute expiry on @clock
 * @defer: NULL, or (batches) where to count the wake-ups that the call
 *	leaves to the batch's end, so that a batch wakes each side once
 * @watch: NULL, or what ends the waits early (struct mbox_wait_watch)
 */
struct mbox_deadline {
	bool nonblock;
	bool timed;
	bool relative;
	clockid_t clock;
	ktime_t expires;
	struct mbox_wakes *defer;
	const struct mbox_wait_watch *watch;
};

#define MBOX_WAIT_FLAGS (MBOX_WAIT_NONBLOCK | MBOX_WAIT_TIMEOUT |		\
			 MBOX_WAIT_ABSTIME | MBOX_WAIT_REALTIME)

int mbox_deadline_init_timed(struct mbox_deadline *dl, struct file *file,
			     const struct mbox_wait_watch *watch, u32 flags,
			     s64 timeout_ns);

/**
 * mbox_deadline_init - a blocking call's deadline, from its wait flags
 * @dl: the deadline to fill
 * @file: the descriptor (its O_NONBLOCK makes the call non-blocking)
 * @watch: NULL, or what ends the call's waits early (an io_uring command's)
 * @flags: the call's MBOX_WAIT_* flags
 * @timeout_ns: its timeout (relative) or expiry (MBOX_WAIT_ABSTIME)
 *
 * Inline for the common case, no timeout (every call's path): a timeout is
 * worked out by mbox_deadline_init_timed().
 *
 * Return: 0, or -EINVAL for flags and a timeout that do not go together.
 */
static inline int mbox_deadline_init(struct mbox_deadline *dl, struct file *file,
				     const struct mbox_wait_watch *watch,
				     u32 flags, s64 timeout_ns)
{
	if (unlikely(flags & (MBOX_WAIT_TIMEOUT | MBOX_WAIT_ABSTIME | MBOX_WAIT_REALTIME)))
		return mbox_deadline_init_timed(dl, file, watch, flags, timeout_ns);
	*dl = (struct mbox_deadline){
		.nonblock = (flags & MBOX_WAIT_NONBLOCK) || (file->f_flags & O_NONBLOCK),
		.clock = CLOCK_MONOTONIC,
		.watch = watch,
	};
	return timeout_ns ? -EINVAL : 0;
}

int mbox_wait_locked(wait_queue_head_t *wq, spinlock_t *lock,
		     struct mbox_deadline *dl, u64 id);
int mbox_sleep_locked(spinlock_t *lock, struct mbox_deadline *dl, u64 id);
int mbox_wait_locked_exclusive(wait_queue_head_t *wq, spinlock_t *lock,
			       struct mbox_deadline *dl, u64 id);

/**
 * mbox_wake_poll - wake_up_poll(), skipped when nobody waits on @wq
 * @wq: a queue's recv_wq or send_wq
 * @key: the poll events made ready
 *
 * Only after changing the condition under the queue's lock: its waiters
 * join @wq under that lock after checking the condition, and its pollers
 * join @wq before taking that lock to check; either way one of the two sees
 * the other, so an empty @wq here means nobody can miss the change.
 */
static inline void mbox_wake_poll(wait_queue_head_t *wq, __poll_t key)
{
	/* No barrier needed: the lock orders the check, see above. */
	if (waitqueue_active(wq))
		wake_up_poll(wq, key);
}

#endif /* _MBOX_WAIT_H */
