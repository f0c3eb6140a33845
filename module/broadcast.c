// SPDX-License-Identifier: GPL-2.0
/*
 * mbox: broadcast mailboxes.
 *
 * A broadcast mailbox keeps its messages in one FIFO (its queue's prio[0],
 * in sequence order: MBOX_Q_BCAST). Every subscription has its own
 * position (the next sequence number it has not received); each message
 * counts the subscribers that still have to receive it (@pending) and is
 * freed when that reaches zero (mbox_bcast_queue_ops tells the queue). Messages sent
 * while nobody is subscribed are delivered to nobody and freed at once.
 *
 * A lagging subscriber holds messages in the mailbox, so it fills: by default
 * senders then block (or get -EAGAIN), which slows everyone to the slowest
 * subscriber. With MBOX_MB_DROP_OLDEST the oldest message is dropped
 * instead, every subscriber that had not received it is moved past it, and
 * its next receive reports how many it missed in mbox_recv.dropped.
 */
#include <linux/poll.h>
#include <linux/slab.h>

#include "mailbox.h"
#include "mbox_trace.h"
#include "msg.h"
#include "ucmd.h"
#include "wait.h"

static struct mbox_mailbox *to_bcast(struct mbox_queue *q)
{
	return container_of(q, struct mbox_mailbox, q);
}

static struct mbox_msg *mbox_bcast_next(struct mbox_mailbox *mb,
					struct mbox_sub *sub)
{
	struct mbox_msg *msg;

	lockdep_assert_held(&mb->q.lock);
	list_for_each_entry(msg, &mb->q.prio[0], node)
		if (msg->seq >= sub->next_seq)
			return msg;
	return NULL;
}

/* Free (onto @freed) the messages every subscriber has received. */
static void mbox_bcast_reap(struct mbox_mailbox *mb, struct list_head *freed)
{
	struct mbox_msg *msg, *next;

	lockdep_assert_held(&mb->q.lock);
	list_for_each_entry_safe(msg, next, &mb->q.prio[0], node) {
		if (msg->pending)
			break;
		mbox_dequeue(&mb->q, msg);
		msg->state = MBOX_MSG_DELIVERED;
		list_add_tail(&msg->node, freed);
	}
}

/* A message was just queued: it is due to every current subscriber. */
static void mbox_bcast_queued(struct mbox_queue *q, struct mbox_msg *msg,
			      struct list_head *freed)
{
	struct mbox_mailbox *mb = to_bcast(q);

	lockdep_assert_held(&q->lock);
	msg->pending = mb->nr_subs;
	mbox_bcast_reap(mb, freed);
}

/* The overflow policy dropped @msg: move everyone who lacked it past it. */
static void mbox_bcast_dropped(struct mbox_queue *q, struct mbox_msg *msg)
{
	struct mbox_mailbox *mb = to_bcast(q);
	struct mbox_sub *sub;

	lockdep_assert_held(&q->lock);
	list_for_each_entry(sub, &mb->subs, node) {
		if (sub->next_seq <= msg->seq) {
			sub->next_seq = msg->seq + 1;
			sub->missed++;
		}
	}
}

const struct mbox_queue_ops mbox_bcast_queue_ops = {
	.queued = mbox_bcast_queued,
	.dropped = mbox_bcast_dropped,
};

/* Poll: has @sub a message to receive? Under the queue's lock. */
bool mbox_bcast_readable(struct mbox_mailbox *mb, struct mbox_sub *sub)
{
	return sub && mbox_bcast_next(mb, sub);
}

static void mbox_bcast_consume(struct mbox_mailbox *mb, struct mbox_sub *sub,
			       struct mbox_msg *msg, struct mbox_rx *rx,
			       struct list_head *freed)
{
	spin_lock(&mb->q.lock);
	if (msg->state == MBOX_MSG_WITHDRAWN) {
		/* Dropped while we copied it: we have it after all. */
		sub->missed--;
	} else {
		sub->next_seq = msg->seq + 1;
		msg->pending--;
		mbox_bcast_reap(mb, freed);
	}
	mb->q.received++;
	/* What was reported; drops since then are the next receive's. */
	sub->missed -= rx->dropped;
	spin_unlock(&mb->q.lock);
	wake_up_poll(&mb->q.send_wq, EPOLLOUT | EPOLLWRNORM);
}

/* Wait for the subscription's next message. Called and returns locked. */
static struct mbox_msg *mbox_bcast_wait(struct mbox_mailbox *mb,
					struct mbox_sub *sub, struct mbox_rx *rx,
					struct mbox_deadline *dl)
{
	struct mbox_msg *msg;
	int ret;

	while (!(msg = mbox_bcast_next(mb, sub))) {
		list_add_tail(&rx->node, &mb->q.receivers);
		mb->q.nr_receivers++;
		ret = mbox_wait_locked(&mb->q.recv_wq, &mb->q.lock, dl, mb->obj.id);
		list_del(&rx->node);
		mb->q.nr_receivers--;
		if (ret)
			return ERR_PTR(ret);
	}
	return msg;
}

int mbox_bcast_recv(struct mbox_file *mf, struct mbox_rx *rx,
		    struct mbox_deadline *dl)
{
	struct mbox_sub *sub = READ_ONCE(mf->sub);
	struct mbox_mailbox *mb = mf->mb;
	struct mbox_msg *msg;
	LIST_HEAD(freed);
	int ret;

	if (!sub)
		return -ENOTCONN;
	/* A subscription is read in send order: no sender or seq to pick. */
	if (rx->flags & (MBOX_RECV_FROM_PID | MBOX_RECV_SEQ))
		return -EINVAL;
	if (mutex_lock_interruptible(&sub->lock))
		return dl->relative ? -EINTR : -ERESTARTSYS;

	spin_lock(&mb->q.lock);
	msg = mbox_bcast_wait(mb, sub, rx, dl);
	if (IS_ERR(msg)) {
		ret = PTR_ERR(msg);
		goto out_unlock;
	}
	if (msg->len > rx->buflen && !(rx->flags & MBOX_RECV_TRUNC)) {
		rx->len = msg->len;
		ret = -EMSGSIZE;
		goto out_unlock;
	}
	refcount_inc(&msg->ref);
	if (!(rx->flags & MBOX_RECV_PEEK))
		rx->dropped = sub->missed;
	spin_unlock(&mb->q.lock);

	ret = mbox_copy_out(rx, msg);
	if (ret >= 0 && !(rx->flags & MBOX_RECV_PEEK)) {
		trace_mbox_recv(mb->obj.id, msg);
		mbox_bcast_consume(mb, sub, msg, rx, &freed);
	}
	mbox_msg_put(msg);
	goto out;

out_unlock:
	spin_unlock(&mb->q.lock);
out:
	mutex_unlock(&sub->lock);
	mbox_msg_put_list(&freed);
	return ret;
}

int mbox_cmd_subscribe(struct mbox_ucmd *ucmd)
{
	struct mbox_file *mf = ucmd->file->private_data;
	struct mbox_subscribe *cmd = ucmd->cmd;
	struct mbox_mailbox *mb = mf->mb;
	struct mbox_sub *sub;

	if (cmd->flags || cmd->__reserved)
		return -EINVAL;
	if (!(mb->mb_flags & MBOX_MB_BROADCAST))
		return -EINVAL;
	if (!(ucmd->file->f_mode & FMODE_READ))
		return -EBADF;
	sub = kzalloc(sizeof(*sub), GFP_KERNEL_ACCOUNT);
	if (!sub)
		return -ENOMEM;
	mutex_init(&sub->lock);

	spin_lock(&mb->q.lock);
	if (mf->sub) {
		spin_unlock(&mb->q.lock);
		mutex_destroy(&sub->lock);
		kfree(sub);
		return -EALREADY;
	}
	sub->next_seq = mb->q.next_seq;
	list_add_tail(&sub->node, &mb->subs);
	mb->nr_subs++;
	WRITE_ONCE(mf->sub, sub);
	spin_unlock(&mb->q.lock);
	return 0;
}

/* The descriptor is being released: nobody else can use its subscription. */
void mbox_bcast_unsubscribe(struct mbox_file *mf)
{
	struct mbox_mailbox *mb = mf->mb;
	struct mbox_sub *sub = mf->sub;
	struct mbox_msg *msg;
	LIST_HEAD(freed);

	if (!sub)
		return;
	spin_lock(&mb->q.lock);
	list_for_each_entry(msg, &mb->q.prio[0], node)
		if (msg->seq >= sub->next_seq)
			msg->pending--;
	list_del(&sub->node);
	mb->nr_subs--;
	mbox_bcast_reap(mb, &freed);
	spin_unlock(&mb->q.lock);
	wake_up_poll(&mb->q.send_wq, EPOLLOUT | EPOLLWRNORM);
	mbox_msg_put_list(&freed);
	mutex_destroy(&sub->lock);
	kfree(sub);
}
