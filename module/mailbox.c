// SPDX-License-Identifier: GPL-2.0
/*
 * mbox: mailboxes, the notes' indirect communication.
 *
 * A mailbox queues messages in one FIFO per priority. Receivers take the
 * highest-priority, oldest message they are eligible for.
 *
 * Receiving is two-phase so that nothing is ever lost: a receiver marks the
 * message CLAIMED (other receivers skip it, it stays queued and counted),
 * copies it out with no lock held, and only then removes it. If the copy
 * faults the message goes back to QUEUED in place. A sender that waits for
 * delivery (a rendezvous, or MBOX_SEND_CONFIRM) and gives up (signal,
 * timeout) withdraws its message under the lock; a receiver that was copying
 * it sees WITHDRAWN afterwards and looks for another message. So a sender
 * told "delivered" was received exactly once, and one told "not delivered"
 * was not received at all.
 *
 * Zero capacity is the rendezvous: a sent message is an offer that waits in
 * the queue until a receiver takes it, and the send returns only then. A
 * non-blocking rendezvous send succeeds only if a waiting receiver would take
 * the message (-EAGAIN otherwise).
 */
#include <linux/anon_inodes.h>
#include <linux/cred.h>
#include <linux/file.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "mbox_internal.h"
#include "mbox_trace.h"

#define MBOX_OPEN_FLAGS (MBOX_OPEN_SEND | MBOX_OPEN_RECV | MBOX_OPEN_CREATE |	\
			 MBOX_OPEN_EXCL | MBOX_OPEN_CLOEXEC | MBOX_OPEN_NONBLOCK)
#define MBOX_MB_FLAGS	(MBOX_MB_DROP_OLDEST | MBOX_MB_BROADCAST)
#define MBOX_SEND_FLAGS	(MBOX_WAIT_FLAGS | MBOX_SEND_CONFIRM)
#define MBOX_RECV_FLAGS	(MBOX_WAIT_FLAGS | MBOX_RECV_PEEK | MBOX_RECV_TRUNC |	\
			 MBOX_RECV_FROM_PID)

atomic_long_t mbox_nr_mailboxes = ATOMIC_LONG_INIT(0);

static const struct mbox_obj_ops mbox_mailbox_obj_ops;
static const struct file_operations mbox_mailbox_fops;

static struct mbox_mailbox *to_mailbox(struct mbox_obj *obj)
{
	return container_of(obj, struct mbox_mailbox, obj);
}

/* ---- the queue; all under mb->lock ---- */

static bool mbox_has_room(struct mbox_mailbox *mb, u32 len)
{
	if (!mb->capacity)
		return true;	/* rendezvous offers are not buffered */
	if (mb->capacity != MBOX_CAPACITY_UNBOUNDED && mb->nr_msgs >= mb->capacity)
		return false;
	return !mb->max_bytes || mb->nr_bytes + len <= mb->max_bytes;
}

/* Room for @msg: on a link, its direction's capacity counts, not the inbox's. */
static bool mbox_room_for(struct mbox_mailbox *mb, struct mbox_msg *msg)
{
	struct mbox_chan *chan = msg->chan;

	if (!chan)
		return mbox_has_room(mb, msg->len);
	/* Offers wait for their receiver, and replies are never held up. */
	if (msg->confirm || msg->reply || chan->capacity == MBOX_CAPACITY_UNBOUNDED)
		return true;
	return chan->nr_msgs < chan->capacity;
}

/* Broadcast mailboxes keep one FIFO, in sequence order, in queue[0]. */
static unsigned int mbox_qidx(struct mbox_mailbox *mb, struct mbox_msg *msg)
{
	return (mb->mb_flags & MBOX_MB_BROADCAST) ? 0 : msg->prio;
}

static void mbox_enqueue(struct mbox_mailbox *mb, struct mbox_msg *msg)
{
	lockdep_assert_held(&mb->lock);
	msg->seq = msg->chan ? msg->chan->next_seq++ : mb->next_seq++;
	if (msg->chan) {
		msg->chan->nr_msgs++;
		msg->chan->sent++;
	}
	msg->state = MBOX_MSG_QUEUED;
	list_add_tail(&msg->node, &mb->queue[mbox_qidx(mb, msg)]);
	__set_bit(mbox_qidx(mb, msg), &mb->prio_map);
	mb->nr_msgs++;
	mb->nr_bytes += msg->len;
	mb->sent++;
}

/* Take @msg off the queue; the queue's reference passes to the caller. */
void mbox_dequeue(struct mbox_mailbox *mb, struct mbox_msg *msg)
{
	lockdep_assert_held(&mb->lock);
	list_del_init(&msg->node);
	if (list_empty(&mb->queue[mbox_qidx(mb, msg)]))
		__clear_bit(mbox_qidx(mb, msg), &mb->prio_map);
	mb->nr_msgs--;
	mb->nr_bytes -= msg->len;
	if (msg->chan)
		msg->chan->nr_msgs--;
}

/* Whether @rx takes @msg, whatever the message's state. */
static bool mbox_rx_matches(const struct mbox_rx *rx, const struct mbox_msg *msg)
{
	/* A reply goes only to its call. */
	if (msg->reply || (rx->flags & MBOX_RECV_REPLY))
		return msg->reply && (rx->flags & MBOX_RECV_REPLY) &&
		       msg->call_id == rx->call_id;
	if (rx->chan && msg->chan != rx->chan)
		return false;
	return !(rx->flags & MBOX_RECV_FROM_PID) || pid_vnr(msg->sender) == rx->from;
}

static bool mbox_rx_wants(const struct mbox_rx *rx, const struct mbox_msg *msg)
{
	return msg->state == MBOX_MSG_QUEUED && mbox_rx_matches(rx, msg);
}

/* The highest-priority, oldest message @rx may take, or NULL. */
struct mbox_msg *mbox_queue_find(struct mbox_mailbox *mb, const struct mbox_rx *rx)
{
	unsigned long map = mb->prio_map;
	struct mbox_msg *msg;

	lockdep_assert_held(&mb->lock);
	while (map) {
		unsigned long prio = __fls(map);

		list_for_each_entry(msg, &mb->queue[prio], node)
			if (mbox_rx_wants(rx, msg))
				return msg;
		__clear_bit(prio, &map);
	}
	return NULL;
}

/*
 * Would a receiver asleep now take @msg? Only the pid filter is checked: a
 * receiver with a short buffer is woken, gets -EMSGSIZE and leaves, and the
 * sender then sees it gone.
 */
static bool mbox_receiver_for(struct mbox_mailbox *mb, struct mbox_msg *msg)
{
	struct mbox_rx *rx;

	lockdep_assert_held(&mb->lock);
	list_for_each_entry(rx, &mb->receivers, node)
		if (mbox_rx_matches(rx, msg))
			return true;
	return false;
}

/* Drop the oldest message no sender waits on; false if there is none. */
static bool mbox_drop_oldest(struct mbox_mailbox *mb, struct list_head *dropped)
{
	struct mbox_msg *oldest = NULL, *msg;
	unsigned long prio;

	lockdep_assert_held(&mb->lock);
	for_each_set_bit(prio, &mb->prio_map, MBOX_PRIO_MAX + 1) {
		list_for_each_entry(msg, &mb->queue[prio], node) {
			if (msg->state != MBOX_MSG_QUEUED || msg->confirm)
				continue;
			if (!oldest || msg->seq < oldest->seq)
				oldest = msg;
			break;
		}
	}
	if (!oldest)
		return false;
	mbox_dequeue(mb, oldest);
	oldest->state = MBOX_MSG_WITHDRAWN;
	list_add_tail(&oldest->node, dropped);
	mb->dropped++;
	if (mb->mb_flags & MBOX_MB_BROADCAST)
		mbox_bcast_dropped(mb, oldest);
	else
		mb->missed++;
	return true;
}

void mbox_put_list(struct list_head *list)
{
	struct mbox_msg *msg, *next;

	list_for_each_entry_safe(msg, next, list, node) {
		list_del(&msg->node);
		mbox_msg_put(msg);
	}
}

/* ---- send ---- */

/*
 * Whether senders waiting for room on @mb all wait for the same thing, a
 * free slot, which every receive (or withdrawal) makes one of: then one
 * wake-up per slot wakes one of them (mbox_wait_locked_exclusive()), not
 * all. Not so on an endpoint's inbox (each link direction has its own
 * capacity), with a byte limit (a slot may be too small for one message and
 * not another), or on a broadcast mailbox (one receive may free several).
 */
static bool mbox_room_is_uniform(struct mbox_mailbox *mb, struct mbox_msg *msg)
{
	return !msg->chan && !mb->max_bytes && !(mb->mb_flags & MBOX_MB_BROADCAST);
}

/* Wait for room; with DROP_OLDEST make it. Called and returns locked. */
static int mbox_wait_room(struct mbox_mailbox *mb, struct mbox_msg *msg,
			  struct mbox_deadline *dl, struct list_head *dropped)
{
	int ret = 0;

	while (!mbox_room_for(mb, msg)) {
		if ((mb->mb_flags & MBOX_MB_DROP_OLDEST) && mbox_drop_oldest(mb, dropped))
			continue;
		if (msg->chan && msg->chan->dead)
			return -ECONNRESET;
		mb->send_waiters++;
		if (mbox_room_is_uniform(mb, msg))
			ret = mbox_wait_locked_exclusive(&mb->send_wq, &mb->lock,
							 dl, mb->obj.id);
		else
			ret = mbox_wait_locked(&mb->send_wq, &mb->lock, dl,
					       mb->obj.id);
		mb->send_waiters--;
		if (ret)
			break;
	}
	return ret;
}

/*
 * Wait until a receiver has @msg, or withdraw it. A non-blocking sender
 * waits only while a receiver that would take it is asleep.
 */
static int mbox_wait_delivered(struct mbox_mailbox *mb, struct mbox_msg *msg,
			       struct mbox_deadline *dl)
{
	struct mbox_deadline handoff = *dl;
	int ret = 0;

	handoff.nonblock = false;
	while (msg->state != MBOX_MSG_DELIVERED) {
		if (msg->chan && msg->chan->dead) {
			ret = -ECONNRESET;
			break;
		}
		if (dl->nonblock && msg->state == MBOX_MSG_QUEUED &&
		    !mbox_receiver_for(mb, msg)) {
			ret = -EAGAIN;
			break;
		}
		mb->send_waiters++;
		ret = mbox_wait_locked(&mb->send_wq, &mb->lock, &handoff,
				       mb->obj.id);
		mb->send_waiters--;
		if (ret)
			break;
	}
	if (msg->state == MBOX_MSG_DELIVERED)
		return 0;
	/* Not taken in time: withdraw, whether queued or being copied out. */
	mbox_dequeue(mb, msg);
	msg->state = MBOX_MSG_WITHDRAWN;
	mb->sent--;
	if (msg->chan)
		msg->chan->sent--;
	refcount_dec(&msg->ref);	/* the queue's; the caller still holds one */
	mbox_wake_poll(&mb->send_wq, EPOLLOUT | EPOLLWRNORM);
	return ret;
}

/**
 * mbox_queue_send - queue @msg on @mb and, if @msg->confirm, wait until a
 *	receiver has it
 * @mb: the mailbox, or an endpoint's inbox
 * @msg: the message (the caller's reference is consumed); @msg->confirm
 *	and, on a link, @msg->chan set
 * @dl: how long to wait for room and for the receiver
 * @seq: out: the message's sequence number
 *
 * The caller keeps @mb alive for the call (a descriptor of the mailbox, or
 * a reference to the link that delivers to the inbox): once queued, @msg may
 * be received and freed before the receivers are woken.
 *
 * Return: 0 or a negative errno; on a link, -ECONNRESET when it died.
 */
int mbox_queue_send(struct mbox_mailbox *mb, struct mbox_msg *msg,
		    struct mbox_deadline *dl, u64 *seq)
{
	LIST_HEAD(dropped);
	int ret;

	spin_lock(&mb->lock);
	ret = mbox_wait_room(mb, msg, dl, &dropped);
	if (ret)
		goto out_unlock;
	if (msg->chan) {
		ret = mbox_link_accepts(msg);
		if (ret)
			goto out_unlock;
	}
	if (msg->confirm && dl->nonblock && !mbox_receiver_for(mb, msg)) {
		ret = -EAGAIN;
		goto out_unlock;
	}
	mbox_enqueue(mb, msg);
	*seq = msg->seq;
	trace_mbox_send(mb->obj.id, msg);
	if (mb->mb_flags & MBOX_MB_BROADCAST)
		mbox_bcast_sent(mb, msg, &dropped);
	if (!msg->confirm) {
		spin_unlock(&mb->lock);
		/* After unlocking: a woken receiver does not spin on the lock. */
		if (dl->defer)
			dl->defer->queued++;
		else
			mbox_wake_poll(&mb->recv_wq, EPOLLIN | EPOLLRDNORM);
		mbox_put_list(&dropped);
		return 0;
	}
	mbox_wake_poll(&mb->recv_wq, EPOLLIN | EPOLLRDNORM);
	refcount_inc(&msg->ref);	/* the queue's; ours waits for delivery */
	ret = mbox_wait_delivered(mb, msg, dl);
out_unlock:
	spin_unlock(&mb->lock);
	mbox_put_list(&dropped);
	mbox_msg_put(msg);
	return ret;
}

static int mbox_check_send(struct mbox_mailbox *mb, struct file *file,
			   u32 len, u32 prio)
{
	if (!(file->f_mode & FMODE_WRITE))
		return -EBADF;
	if (prio > MBOX_PRIO_MAX)
		return -EINVAL;
	if (len > mb->msg_size_max || (mb->max_bytes && len > mb->max_bytes))
		return -EMSGSIZE;
	return 0;
}

/* Send @len bytes from @buf. Return: 0 or a negative errno. */
int mbox_send(struct mbox_file *mf, struct file *file, const void __user *buf,
	      u32 len, u32 prio, u32 flags, struct mbox_deadline *dl, u64 *seq)
{
	struct mbox_mailbox *mb = mf->mb;
	struct mbox_msg *msg;
	int ret;

	ret = mbox_check_send(mb, file, len, prio);
	if (ret)
		return ret;
	if ((mb->mb_flags & MBOX_MB_BROADCAST) && (flags & MBOX_SEND_CONFIRM))
		return -EINVAL;
	msg = mbox_msg_alloc(buf, len, mb->obj.user);
	if (IS_ERR(msg))
		return PTR_ERR(msg);
	msg->prio = prio;
	msg->confirm = (flags & MBOX_SEND_CONFIRM) || !mb->capacity;
	return mbox_queue_send(mb, msg, dl, seq);
}

/* ---- receive ---- */

/* Wait for a message @rx may take. Called and returns locked. */
static struct mbox_msg *mbox_wait_msg(struct mbox_mailbox *mb, struct mbox_rx *rx,
				      struct mbox_deadline *dl)
{
	struct mbox_msg *msg;
	int ret;

	while (!(msg = mbox_queue_find(mb, rx))) {
		/* What a dead peer sent is still received; then it is reset. */
		if (mb->dead || (rx->chan && rx->chan->dead))
			return ERR_PTR(-ECONNRESET);
		list_add_tail(&rx->node, &mb->receivers);
		mb->nr_receivers++;
		/* A rendezvous sender (or its poller) may now hand over. */
		if (!mb->capacity)
			wake_up_poll(&mb->send_wq, EPOLLOUT | EPOLLWRNORM);
		ret = mbox_wait_locked(&mb->recv_wq, &mb->lock, dl, mb->obj.id);
		list_del(&rx->node);
		mb->nr_receivers--;
		if (!mb->capacity)
			wake_up(&mb->send_wq);
		if (ret)
			return ERR_PTR(ret);
	}
	return msg;
}

/*
 * The sender's pid in the receiver's namespace. A link message whose sender
 * is reaped reports 0: its number may already name another process, and a
 * reply sent to it would reach that process (the link ID still names the
 * link).
 */
static pid_t mbox_msg_sender_nr(const struct mbox_msg *msg)
{
	if (msg->chan && !pid_has_task(msg->sender, PIDTYPE_TGID))
		return 0;
	return pid_vnr(msg->sender);
}

static void mbox_rx_fill(struct mbox_rx *rx, struct mbox_msg *msg)
{
	rx->len = msg->len;
	rx->prio = msg->prio;
	rx->seq = msg->seq;
	rx->pid = mbox_msg_sender_nr(msg);
	rx->uid = from_kuid_munged(current_user_ns(), msg->uid);
	rx->call_id = msg->call_id;
	rx->link_id = msg->chan ? msg->chan->link->id : 0;
}

/* Copy out a claimed (or, peeking, referenced) message. */
int mbox_copy_out(struct mbox_rx *rx, struct mbox_msg *msg)
{
	u32 n = min(msg->len, rx->buflen);

	mbox_rx_fill(rx, msg);
	return copy_to_user(rx->buf, msg->data, n) ? -EFAULT : n;
}

/*
 * Finish a receive after the copy: remove the message, or put it back if
 * the copy faulted. Return: the copy's result, or -EAGAIN when the sender
 * withdrew the message meanwhile (the caller looks again).
 */
static int mbox_finish_recv(struct mbox_mailbox *mb, struct mbox_rx *rx,
			    struct mbox_msg *msg, int copied,
			    struct mbox_deadline *dl)
{
	spin_lock(&mb->lock);
	if (msg->state == MBOX_MSG_WITHDRAWN) {
		spin_unlock(&mb->lock);
		mbox_msg_put(msg);
		return -EAGAIN;
	}
	if (copied < 0) {
		msg->state = MBOX_MSG_QUEUED;
		spin_unlock(&mb->lock);
		mbox_wake_poll(&mb->recv_wq, EPOLLIN | EPOLLRDNORM);
		/* Queued again, it can be dropped for a waiting sender. */
		if (mb->mb_flags & MBOX_MB_DROP_OLDEST)
			mbox_wake_poll(&mb->send_wq, EPOLLOUT | EPOLLWRNORM);
		mbox_msg_put(msg);
		return copied;
	}
	mbox_dequeue(mb, msg);
	msg->state = MBOX_MSG_DELIVERED;
	trace_mbox_recv(mb->obj.id, msg);
	mb->received++;
	if (msg->chan)
		msg->chan->received++;
	/* A server that receives a call keeps its record until it replies. */
	rx->call = msg->call;
	msg->call = NULL;
	rx->dropped = mb->missed;
	mb->missed = 0;
	spin_unlock(&mb->lock);
	if (dl->defer)
		dl->defer->freed++;
	else
		mbox_wake_poll(&mb->send_wq, EPOLLOUT | EPOLLWRNORM);
	mbox_msg_put(msg);	/* the queue's reference */
	mbox_msg_put(msg);	/* ours */
	return copied;
}

/**
 * mbox_queue_recv - receive one message from @mb (or an endpoint's inbox)
 * @mb: the queue
 * @rx: the request; its filters, buffer, and the results
 * @dl: how long to wait
 *
 * Return: bytes copied, or a negative errno (-EMSGSIZE: @rx->len is needed).
 */
int mbox_queue_recv(struct mbox_mailbox *mb, struct mbox_rx *rx,
		    struct mbox_deadline *dl)
{
	struct mbox_msg *msg;
	int ret;

again:
	spin_lock(&mb->lock);
	msg = mbox_wait_msg(mb, rx, dl);
	if (IS_ERR(msg)) {
		spin_unlock(&mb->lock);
		return PTR_ERR(msg);
	}
	if (msg->len > rx->buflen && !(rx->flags & MBOX_RECV_TRUNC)) {
		rx->len = msg->len;
		spin_unlock(&mb->lock);
		return -EMSGSIZE;
	}
	refcount_inc(&msg->ref);
	if (rx->flags & MBOX_RECV_PEEK) {
		spin_unlock(&mb->lock);
		ret = mbox_copy_out(rx, msg);
		mbox_msg_put(msg);
		return ret;
	}
	msg->state = MBOX_MSG_CLAIMED;
	spin_unlock(&mb->lock);

	ret = mbox_finish_recv(mb, rx, msg, mbox_copy_out(rx, msg), dl);
	if (ret == -EAGAIN)
		goto again;
	return ret;
}

int mbox_recv(struct mbox_file *mf, struct file *file, struct mbox_rx *rx,
	      struct mbox_deadline *dl)
{
	if (!(file->f_mode & FMODE_READ))
		return -EBADF;
	if (mf->mb->mb_flags & MBOX_MB_BROADCAST)
		return mbox_bcast_recv(mf, rx, dl);
	return mbox_queue_recv(mf->mb, rx, dl);
}

/**
 * mbox_wake_batch - the wake-ups a batch on @mb left to its end
 * @mb: the mailbox, or an endpoint's inbox
 * @w: what the batch's calls counted
 *
 * Receivers are woken once for all the messages queued; senders waiting for
 * room once per slot freed, so that as many exclusive waiters wake.
 */
void mbox_wake_batch(struct mbox_mailbox *mb, const struct mbox_wakes *w)
{
	if (w->queued)
		mbox_wake_poll(&mb->recv_wq, EPOLLIN | EPOLLRDNORM);
	/* As in mbox_wake_poll(): the mailbox's lock orders the check. */
	if (w->freed && waitqueue_active(&mb->send_wq))
		__wake_up(&mb->send_wq, TASK_NORMAL, w->freed,
			  poll_to_key(EPOLLOUT | EPOLLWRNORM));
}

/* ---- ioctls on a mailbox descriptor ---- */

static int mbox_cmd_send(struct mbox_ucmd *ucmd)
{
	struct mbox_send *cmd = ucmd->cmd;
	struct mbox_deadline dl;
	int ret;

	if (cmd->flags & ~MBOX_SEND_FLAGS)
		return -EINVAL;
	ret = mbox_deadline_init(&dl, ucmd->file, cmd->flags, cmd->timeout_ns);
	if (ret)
		return ret;
	ret = mbox_send(ucmd->file->private_data, ucmd->file,
			u64_to_user_ptr(cmd->buf), cmd->len, cmd->prio, cmd->flags,
			&dl, &cmd->seq);
	if (ret)
		return ret;
	/* The one output field: cheaper than writing the struct back. */
	return mbox_ucmd_put_u64(ucmd, offsetof(struct mbox_send, seq), cmd->seq);
}

int mbox_rx_from_cmd(struct mbox_rx *rx, const struct mbox_recv *cmd)
{
	/* Output fields (prio, seq, uid, dropped; pid without FROM_PID) are
	 * ignored on input, so a struct can be reused from call to call.
	 */
	if (cmd->flags & ~MBOX_RECV_FLAGS || cmd->__reserved)
		return -EINVAL;
	if ((cmd->flags & MBOX_RECV_FROM_PID) && cmd->pid <= 0)
		return -EINVAL;
	memset(rx, 0, sizeof(*rx));
	rx->buf = u64_to_user_ptr(cmd->buf);
	rx->buflen = cmd->len;
	rx->flags = cmd->flags;
	if (cmd->flags & MBOX_RECV_FROM_PID)
		rx->from = cmd->pid;
	return 0;
}

void mbox_rx_to_cmd(struct mbox_recv *cmd, const struct mbox_rx *rx)
{
	cmd->len = rx->len;
	cmd->prio = rx->prio;
	cmd->seq = rx->seq;
	cmd->pid = rx->pid;
	cmd->uid = rx->uid;
	cmd->dropped = rx->dropped;
}

static int mbox_cmd_recv(struct mbox_ucmd *ucmd)
{
	struct mbox_recv *cmd = ucmd->cmd;
	struct mbox_deadline dl;
	struct mbox_rx rx;
	int ret, err;

	ret = mbox_rx_from_cmd(&rx, cmd);
	if (ret)
		return ret;
	ret = mbox_deadline_init(&dl, ucmd->file, cmd->flags, cmd->timeout_ns);
	if (ret)
		return ret;
	ret = mbox_recv(ucmd->file->private_data, ucmd->file, &rx, &dl);
	if (ret < 0 && ret != -EMSGSIZE)
		return ret;
	/* -EMSGSIZE still reports the length needed. */
	mbox_rx_to_cmd(cmd, &rx);
	err = mbox_ucmd_respond(ucmd, sizeof(*cmd));
	return err ?: ret;
}

static int mbox_cmd_info(struct mbox_ucmd *ucmd)
{
	struct mbox_file *mf = ucmd->file->private_data;
	struct mbox_mailbox *mb = mf->mb;
	struct mbox_info *cmd = ucmd->cmd;

	if (cmd->flags)
		return -EINVAL;
	memset(cmd, 0, sizeof(*cmd));
	cmd->size = ucmd->user_size;
	cmd->id = mb->obj.id;
	strscpy(cmd->name, mb->obj.name, sizeof(cmd->name));
	cmd->mode = mb->obj.mode;
	cmd->uid = from_kuid_munged(current_user_ns(), mb->obj.uid);
	cmd->gid = from_kgid_munged(current_user_ns(), mb->obj.gid);
	cmd->mb_flags = mb->mb_flags;
	cmd->capacity = mb->capacity;
	cmd->msg_size_max = mb->msg_size_max;
	cmd->max_bytes = mb->max_bytes;
	if (!mbox_obj_is_linked(&mb->obj))
		cmd->state |= MBOX_STATE_UNLINKED;

	spin_lock(&mb->lock);
	cmd->msgs = mb->nr_msgs;
	cmd->bytes = mb->nr_bytes;
	cmd->sent = mb->sent;
	cmd->received = mb->received;
	cmd->dropped = mb->dropped;
	cmd->send_waiters = mb->send_waiters;
	cmd->recv_waiters = mb->nr_receivers;
	cmd->subscribers = mb->nr_subs;
	spin_unlock(&mb->lock);
	return mbox_ucmd_respond(ucmd, sizeof(*cmd));
}

static const struct mbox_ioctl_op mbox_mailbox_ops[] = {
	MBOX_IOCTL_OP(MBOX_CMD_SEND, mbox_cmd_send, struct mbox_send, seq),
	MBOX_IOCTL_OP(MBOX_CMD_RECV, mbox_cmd_recv, struct mbox_recv, __reserved),
	MBOX_IOCTL_OP(MBOX_CMD_SEND_BATCH, mbox_cmd_send_batch, struct mbox_batch,
		      __reserved),
	MBOX_IOCTL_OP(MBOX_CMD_RECV_BATCH, mbox_cmd_recv_batch, struct mbox_batch,
		      __reserved),
	MBOX_IOCTL_OP(MBOX_CMD_INFO, mbox_cmd_info, struct mbox_info, state),
	MBOX_IOCTL_OP(MBOX_CMD_SUBSCRIBE, mbox_cmd_subscribe, struct mbox_subscribe,
		      __reserved),
};

static long mbox_mailbox_ioctl(struct file *file, unsigned int cmd,
			       unsigned long arg)
{
	return mbox_ioctl_dispatch(file, cmd, arg, mbox_mailbox_ops,
				   ARRAY_SIZE(mbox_mailbox_ops));
}

/* ---- file operations: write/read are send/receive of one whole message ---- */

static ssize_t mbox_mailbox_write(struct file *file, const char __user *buf,
				  size_t count, loff_t *ppos)
{
	struct mbox_deadline dl;
	u64 seq;
	int ret;

	if (count > U32_MAX)
		return -EMSGSIZE;
	ret = mbox_deadline_init(&dl, file, 0, 0);
	if (!ret)
		ret = mbox_send(file->private_data, file, buf, count, 0, 0, &dl, &seq);
	return ret ?: count;
}

static ssize_t mbox_mailbox_read(struct file *file, char __user *buf,
				 size_t count, loff_t *ppos)
{
	struct mbox_deadline dl;
	struct mbox_rx rx = {
		.buf = buf,
		.buflen = min_t(size_t, count, U32_MAX),
	};
	int ret;

	ret = mbox_deadline_init(&dl, file, 0, 0);
	if (ret)
		return ret;
	return mbox_recv(file->private_data, file, &rx, &dl);
}

static __poll_t mbox_mailbox_poll(struct file *file, poll_table *pt)
{
	struct mbox_file *mf = file->private_data;
	struct mbox_mailbox *mb = mf->mb;
	struct mbox_rx any = { .flags = 0 };
	__poll_t mask = 0;

	poll_wait(file, &mb->recv_wq, pt);
	poll_wait(file, &mb->send_wq, pt);
	spin_lock(&mb->lock);
	if (mb->mb_flags & MBOX_MB_BROADCAST) {
		if (mbox_bcast_readable(mb, mf->sub))
			mask |= EPOLLIN | EPOLLRDNORM;
	} else if (mbox_queue_find(mb, &any)) {
		mask |= EPOLLIN | EPOLLRDNORM;
	}
	if (mb->capacity ? mbox_has_room(mb, 0) : mb->nr_receivers > 0)
		mask |= EPOLLOUT | EPOLLWRNORM;
	spin_unlock(&mb->lock);
	return mask;
}

static int mbox_mailbox_release(struct inode *inode, struct file *file)
{
	struct mbox_file *mf = file->private_data;

	mbox_bcast_unsubscribe(mf);
	mbox_obj_put(&mf->mb->obj);
	kfree(mf);
	return 0;
}

static const struct file_operations mbox_mailbox_fops = {
	.owner = THIS_MODULE,
	.read = mbox_mailbox_read,
	.write = mbox_mailbox_write,
	.poll = mbox_mailbox_poll,
	.unlocked_ioctl = mbox_mailbox_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.release = mbox_mailbox_release,
};

/* ---- creation, opening, destruction ---- */

/* Set up the queue part of @mb (zeroed memory); 0 sizes take defaults. */
void mbox_queue_init(struct mbox_mailbox *mb, u32 capacity, u32 msg_size_max)
{
	int prio;

	spin_lock_init(&mb->lock);
	for (prio = 0; prio <= MBOX_PRIO_MAX; prio++)
		INIT_LIST_HEAD(&mb->queue[prio]);
	INIT_LIST_HEAD(&mb->receivers);
	INIT_LIST_HEAD(&mb->subs);
	init_waitqueue_head(&mb->recv_wq);
	init_waitqueue_head(&mb->send_wq);
	mb->capacity = capacity;
	mb->msg_size_max = msg_size_max ?: mbox_limit_msg_size();
	mb->next_seq = 1;
}

/*
 * Move every queued message onto @freed, except those a receiver is copying
 * or a sender waits on: they are finished, or withdrawn, by their owners.
 */
void mbox_queue_purge(struct mbox_mailbox *mb, struct list_head *freed)
{
	struct mbox_msg *msg, *next;
	int prio;

	lockdep_assert_held(&mb->lock);
	for (prio = 0; prio <= MBOX_PRIO_MAX; prio++) {
		list_for_each_entry_safe(msg, next, &mb->queue[prio], node) {
			if (msg->state != MBOX_MSG_QUEUED || msg->confirm)
				continue;
			mbox_dequeue(mb, msg);
			msg->state = MBOX_MSG_WITHDRAWN;
			list_add_tail(&msg->node, freed);
		}
	}
}

static void mbox_mailbox_destroy(struct mbox_obj *obj)
{
	struct mbox_mailbox *mb = to_mailbox(obj);
	LIST_HEAD(freed);

	/* No descriptor is left, so nobody waits and nothing is claimed. */
	spin_lock(&mb->lock);
	mbox_queue_purge(mb, &freed);
	spin_unlock(&mb->lock);
	mbox_put_list(&freed);
	atomic_long_dec(&mbox_nr_mailboxes);
	kfree(mb);
}

/* /proc/mbox/objects: what MBOX_IOC_INFO reports. */
static void mbox_mailbox_show(struct seq_file *m, struct mbox_obj *obj)
{
	struct mbox_mailbox *mb = to_mailbox(obj);

	seq_printf(m, " flags=%#x capacity=%u msg_size_max=%u max_bytes=%llu",
		   mb->mb_flags, mb->capacity, mb->msg_size_max, mb->max_bytes);
	spin_lock(&mb->lock);
	seq_printf(m, " msgs=%llu bytes=%llu sent=%llu received=%llu dropped=%llu",
		   mb->nr_msgs, mb->nr_bytes, mb->sent, mb->received, mb->dropped);
	seq_printf(m, " send_waiters=%u recv_waiters=%u subscribers=%u",
		   mb->send_waiters, mb->nr_receivers, mb->nr_subs);
	spin_unlock(&mb->lock);
}

static const struct mbox_obj_ops mbox_mailbox_obj_ops = {
	.type = MBOX_TYPE_MAILBOX,
	.destroy = mbox_mailbox_destroy,
	.show = mbox_mailbox_show,
};

static int mbox_check_attrs(const struct mbox_open *cmd)
{
	if (!(cmd->flags & MBOX_OPEN_CREATE))
		return (cmd->mode || cmd->mb_flags || cmd->capacity ||
			cmd->msg_size_max || cmd->max_bytes) ? -EINVAL : 0;
	if (cmd->mode & ~0777 || cmd->mb_flags & ~MBOX_MB_FLAGS)
		return -EINVAL;
	if (cmd->msg_size_max > mbox_limit_msg_size())
		return -EINVAL;
	/* Dropping or broadcasting needs a buffer; a rendezvous has none. */
	if (!cmd->capacity && (cmd->mb_flags & (MBOX_MB_DROP_OLDEST | MBOX_MB_BROADCAST)))
		return -EINVAL;
	return 0;
}

static struct mbox_mailbox *mbox_mailbox_new(const struct mbox_open *cmd)
{
	struct mbox_mailbox *mb;
	int ret;

	mb = kzalloc(sizeof(*mb), GFP_KERNEL_ACCOUNT);
	if (!mb)
		return ERR_PTR(-ENOMEM);
	ret = mbox_obj_init(&mb->obj, &mbox_mailbox_obj_ops, cmd->mode);
	if (ret) {
		kfree(mb);
		return ERR_PTR(ret);
	}
	mbox_queue_init(mb, cmd->capacity, cmd->msg_size_max);
	mb->mb_flags = cmd->mb_flags;
	mb->max_bytes = cmd->max_bytes;
	atomic_long_inc(&mbox_nr_mailboxes);
	return mb;
}

/* Find or create the mailbox @cmd names. Return: referenced, or ERR_PTR. */
static struct mbox_obj *mbox_mailbox_make(const void *arg)
{
	struct mbox_mailbox *mb = mbox_mailbox_new(arg);

	return IS_ERR(mb) ? ERR_CAST(mb) : &mb->obj;
}

static struct mbox_mailbox *mbox_mailbox_get(struct mbox_open *cmd,
					     const char *name, bool *created)
{
	struct mbox_obj *obj;

	obj = mbox_obj_open(name, cmd->id, cmd->flags & MBOX_OPEN_CREATE,
			    cmd->flags & MBOX_OPEN_EXCL, &mbox_mailbox_obj_ops,
			    mbox_mailbox_make, cmd, created);
	return IS_ERR(obj) ? ERR_CAST(obj) : to_mailbox(obj);
}

static int mbox_open_check(const struct mbox_open *cmd, const char *name)
{
	bool create = cmd->flags & MBOX_OPEN_CREATE;

	if (cmd->flags & ~MBOX_OPEN_FLAGS)
		return -EINVAL;
	if (!(cmd->flags & (MBOX_OPEN_SEND | MBOX_OPEN_RECV)))
		return -EINVAL;
	if ((cmd->flags & MBOX_OPEN_EXCL) && !create)
		return -EINVAL;
	/* An ID is an input only when opening an existing, unnamed mailbox. */
	if (cmd->id && (create || *name))
		return -EINVAL;
	if (!create && !*name && !cmd->id)
		return -EINVAL;
	return mbox_check_attrs(cmd);
}

int mbox_mailbox_open(struct mbox_ucmd *ucmd)
{
	struct mbox_open *cmd = ucmd->cmd;
	char name[MBOX_NAME_MAX];
	struct mbox_mailbox *mb;
	struct mbox_file *mf;
	bool created = false;
	struct file *file;
	int ret, oflags;

	ret = mbox_name_from_user(name, cmd->name);
	if (ret)
		return ret;
	ret = mbox_open_check(cmd, name);
	if (ret)
		return ret;
	mb = mbox_mailbox_get(cmd, name, &created);
	if (IS_ERR(mb))
		return PTR_ERR(mb);
	if (!created) {
		ret = mbox_obj_permission(&mb->obj,
					  ((cmd->flags & MBOX_OPEN_RECV) ? MAY_READ : 0) |
					  ((cmd->flags & MBOX_OPEN_SEND) ? MAY_WRITE : 0));
		if (ret)
			goto err_put_mailbox;
	}

	mf = kzalloc(sizeof(*mf), GFP_KERNEL_ACCOUNT);
	if (!mf) {
		ret = -ENOMEM;
		goto err_put_mailbox;
	}
	mf->mb = mb;

	oflags = (cmd->flags & MBOX_OPEN_SEND) ?
		 ((cmd->flags & MBOX_OPEN_RECV) ? O_RDWR : O_WRONLY) : O_RDONLY;
	if (cmd->flags & MBOX_OPEN_NONBLOCK)
		oflags |= O_NONBLOCK;
	file = anon_inode_getfile("[mbox]", &mbox_mailbox_fops, mf, oflags);
	if (IS_ERR(file)) {
		ret = PTR_ERR(file);
		goto err_free_file;
	}
	/* From here on the file's release drops the mailbox. */
	cmd->id = mb->obj.id;
	return mbox_ucmd_install(ucmd, sizeof(*cmd), file,
				 cmd->flags & MBOX_OPEN_CLOEXEC);

err_free_file:
	kfree(mf);
err_put_mailbox:
	mbox_obj_put(&mb->obj);
	return ret;
}

int mbox_mailbox_unlink(struct mbox_ucmd *ucmd)
{
	struct mbox_unlink *cmd = ucmd->cmd;
	char name[MBOX_NAME_MAX];
	int ret;

	if (cmd->flags & ~MBOX_UNLINK_RING)
		return -EINVAL;
	ret = mbox_name_from_user(name, cmd->name);
	if (ret)
		return ret;
	if (!!*name == !!cmd->id)
		return -EINVAL;
	return mbox_obj_unlink(name, cmd->id, (cmd->flags & MBOX_UNLINK_RING) ?
			       &mbox_ring_obj_ops : &mbox_mailbox_obj_ops);
}
