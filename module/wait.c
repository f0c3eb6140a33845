// SPDX-License-Identifier: GPL-2.0
/*
 * mbox: blocking with timeouts and signals.
 *
 * Every blocking call takes the same four wait flags: non-blocking (or the
 * descriptor's O_NONBLOCK), a relative timeout, or an absolute one on
 * CLOCK_MONOTONIC or CLOCK_REALTIME. A call interrupted by a signal returns
 * -ERESTARTSYS (restarted under SA_RESTART, as POSIX does for mq_receive)
 * unless it had a relative timeout, which a restart would stretch: that one
 * returns -EINTR.
 */
#include <linux/hrtimer.h>
#include <linux/ktime.h>
#include <linux/sched/signal.h>

#include "wait.h"
#include "mbox_trace.h"

/**
 * mbox_deadline_init_timed - mbox_deadline_init() for flags that set a
 *	timeout or a clock
 * @dl: the deadline to fill
 * @file: the descriptor (its O_NONBLOCK makes the call non-blocking)
 * @watch: NULL, or what ends the call's waits early (an io_uring command's)
 * @flags: the call's MBOX_WAIT_* flags, with MBOX_WAIT_TIMEOUT,
 *	MBOX_WAIT_ABSTIME or MBOX_WAIT_REALTIME
 * @timeout_ns: its timeout (relative) or expiry (MBOX_WAIT_ABSTIME)
 *
 * Return: 0, or -EINVAL for flags and a timeout that do not go together.
 */
int mbox_deadline_init_timed(struct mbox_deadline *dl, struct file *file,
			     const struct mbox_wait_watch *watch, u32 flags,
			     s64 timeout_ns)
{
	*dl = (struct mbox_deadline){
		.nonblock = (flags & MBOX_WAIT_NONBLOCK) || (file->f_flags & O_NONBLOCK),
		.clock = CLOCK_MONOTONIC,
		.watch = watch,
	};
	dl->timed = flags & (MBOX_WAIT_TIMEOUT | MBOX_WAIT_ABSTIME);
	dl->relative = dl->timed && !(flags & MBOX_WAIT_ABSTIME);
	if (flags & MBOX_WAIT_REALTIME)
		dl->clock = CLOCK_REALTIME;
	if ((flags & MBOX_WAIT_REALTIME) && !(flags & MBOX_WAIT_ABSTIME))
		return -EINVAL;
	if (!dl->timed)
		return timeout_ns ? -EINVAL : 0;
	if (dl->relative) {
		if (timeout_ns < 0)
			return -EINVAL;
		dl->expires = ktime_add_safe(ktime_get(), ns_to_ktime(timeout_ns));
	} else {
		dl->expires = ns_to_ktime(timeout_ns);
	}
	return 0;
}

static bool mbox_deadline_passed(const struct mbox_deadline *dl)
{
	ktime_t now;

	if (!dl->timed)
		return false;
	now = dl->clock == CLOCK_REALTIME ? ktime_get_real() : ktime_get();
	return ktime_compare(now, dl->expires) >= 0;
}

/* Is the caller's watch up (struct mbox_wait_watch)? */
static bool mbox_wait_gone(const struct mbox_deadline *dl)
{
	return dl->watch && dl->watch->gone(dl->watch->arg);
}

/*
 * Whether a wait may begin: 0, or why not (non-blocking, the caller gone,
 * signal, deadline).
 */
static int mbox_wait_may_sleep(const struct mbox_deadline *dl)
{
	if (dl->nonblock)
		return -EAGAIN;
	if (mbox_wait_gone(dl))
		return -ECANCELED;
	if (signal_pending(current))
		return dl->relative ? -EINTR : -ERESTARTSYS;
	if (mbox_deadline_passed(dl))
		return -ETIMEDOUT;
	return 0;
}

static int mbox_wait_one(wait_queue_head_t *wq, spinlock_t *lock,
			 struct mbox_deadline *dl, u64 id, bool exclusive)
	__must_hold(lock)
{
	DEFINE_WAIT(wait);
	int ret;

	lockdep_assert_held(lock);
	ret = mbox_wait_may_sleep(dl);
	if (ret)
		return ret;

	if (exclusive)
		prepare_to_wait_exclusive(wq, &wait, TASK_INTERRUPTIBLE);
	else
		prepare_to_wait(wq, &wait, TASK_INTERRUPTIBLE);
	spin_unlock(lock);
	trace_mbox_block(id);
	if (dl->timed)
		schedule_hrtimeout_range_clock(&dl->expires, 0, HRTIMER_MODE_ABS,
					       dl->clock);
	else
		schedule();
	finish_wait(wq, &wait);
	trace_mbox_wake(id, signal_pending(current) ? -EINTR : 0);
	spin_lock(lock);
	if (!mbox_wait_gone(dl))
		return 0;
	/*
	 * Leaving without looking at the condition: an exclusive waiter may
	 * have taken the one wake-up of a unit (a free slot) that is now left
	 * unclaimed; pass it on to the next one.
	 */
	if (exclusive)
		wake_up(wq);
	return -ECANCELED;
}

/**
 * mbox_wait_locked - sleep on @wq once, dropping @lock while asleep
 * @wq: where the waker calls wake_up
 * @lock: the spinlock protecting the condition; held on entry and return
 * @dl: the caller's deadline
 * @id: the object waited on, for the mbox_block and mbox_wake tracepoints
 *
 * The caller checks its condition under @lock, calls this when it does not
 * hold, and checks again when this returns 0: the task is on @wq before
 * @lock is dropped, so a wake-up after the check is never lost.
 *
 * Return: 0 after a wake-up (or a spurious one), -EAGAIN for a non-blocking
 * call, -ETIMEDOUT once the deadline has passed, -ERESTARTSYS or -EINTR when
 * a signal is pending, -ECANCELED (before sleeping or after the wake-up)
 * once the deadline's watch says the caller is gone.
 */
int mbox_wait_locked(wait_queue_head_t *wq, spinlock_t *lock,
		     struct mbox_deadline *dl, u64 id)
	__must_hold(lock)
{
	return mbox_wait_one(wq, lock, dl, id, false);
}

/**
 * mbox_sleep_locked - sleep once, dropping @lock, until a waker that found
 *	the caller under @lock calls wake_up_process() (or a signal, or the
 *	deadline)
 * @lock: the spinlock under which the caller made itself findable to its
 *	wakers (and checked its condition); held on entry and return
 * @dl: the caller's deadline
 * @id: the object waited on, for the tracepoints
 *
 * No wait queue: the caller's own record is where its wakers look (as
 * ipc/mqueue.c keeps its receivers), which spares a wait queue's lock on
 * both sides. The task's state is set before @lock is dropped, so a
 * wake-up after the check is never lost.
 *
 * Return: as mbox_wait_locked().
 */
int mbox_sleep_locked(spinlock_t *lock, struct mbox_deadline *dl, u64 id)
	__must_hold(lock)
{
	int ret;

	lockdep_assert_held(lock);
	ret = mbox_wait_may_sleep(dl);
	if (ret)
		return ret;

	set_current_state(TASK_INTERRUPTIBLE);
	spin_unlock(lock);
	trace_mbox_block(id);
	if (dl->timed)
		schedule_hrtimeout_range_clock(&dl->expires, 0, HRTIMER_MODE_ABS,
					       dl->clock);
	else
		schedule();
	__set_current_state(TASK_RUNNING);
	trace_mbox_wake(id, signal_pending(current) ? -EINTR : 0);
	spin_lock(lock);
	return mbox_wait_gone(dl) ? -ECANCELED : 0;
}

/**
 * mbox_wait_locked_exclusive - mbox_wait_locked() as an exclusive waiter
 * @wq: where the waker calls wake_up
 * @lock: the spinlock protecting the condition; held on entry and return
 * @dl: the caller's deadline
 * @id: the object waited on, for the tracepoints
 *
 * A wake_up() wakes every non-exclusive waiter but only one exclusive one,
 * so a condition that one waker makes true for one waiter (a free slot)
 * wakes one task instead of the whole herd. Only for a condition that is
 * the same for every exclusive waiter on @wq, and whose every waker wakes
 * once per unit it makes available: then a woken waiter that finds the
 * condition false again lost the unit to a task that took it, and the
 * caller's loop (check, wait, check again before any error) never leaves a
 * unit unclaimed while a waiter sleeps. A waiter that leaves after a
 * wake-up without looking at the condition (its watch is up: -ECANCELED)
 * passes the wake-up on to the next exclusive waiter.
 *
 * Return: as mbox_wait_locked().
 */
int mbox_wait_locked_exclusive(wait_queue_head_t *wq, spinlock_t *lock,
			       struct mbox_deadline *dl, u64 id)
	__must_hold(lock)
{
	return mbox_wait_one(wq, lock, dl, id, true);
}
