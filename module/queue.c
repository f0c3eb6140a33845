// SPDX-License-Identifier: GPL-2.0
/*
 * mbox: the message queue every message passes through.
 *
 * A queue holds messages in one FIFO per priority. Receivers take the
 * highest-priority, oldest message they are eligible for.
 *
 * Receiving is two-phase so that nothing is ever lost: a receiver marks the
 * message CLAIMED (other receivers skip it, it stays queued and counted),
 * copies it out with no lock held, and only then removes it. If the copy
 * faults the message goes back to QUEUED in place. A sender that waits for
 * delivery (a rendezvous, or MBOX_SEND_CONFIRM) and gives up (signal,
 * timeout, a dead flow) withdraws its message under the lock; a receiver
 * that was copying it sees WITHDRAWN afterwards and looks for another
 * message. So a sender told "delivered" was received exactly once, and one
 * told "not delivered" was not received at all.
 *
 * Zero capacity is the rendezvous: a sent message is an offer that waits in
 * the queue until a receiver takes it, and the send returns only then. A
 * non-blocking rendezvous send succeeds only if a waiting receiver would take
 * the message (-EAGAIN otherwise).
 *
 * Flows. The messages of one link direction share a queue (the receiving
 * endpoint's inbox) with the other links' but have their own capacity,
 * sequence numbers and death (struct mbox_flow); a receive may ask for one
 * flow only.
 *
 * Shutdown. A dead queue (mbox_queue_shutdown()) accepts nothing; whatever
 * reaches it later is freed under its lock by whoever brought it: a send
 * fails with -ECONNRESET, and a message whose copy-out faulted while the
 * queue died is dropped instead of requeued. Both are decided under the
 * lock that set @dead, so nothing can slip into a dead queue.
 */
#include <linux/cred.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "limits.h"
#include "mbox_trace.h"
#include "msg.h"
#include "queue.h"
#include "wait.h"

/*
 * Messages up to this long are copied out with the queue locked (page
 * faults disabled): about 100 ns of copying under the lock at most.
 */
#define MBOX_COPY_LOCKED_MAX	1024

#define MBOX_EPOLLIN	(EPOLLIN | EPOLLRDNORM)
#define MBOX_EPOLLOUT	(EPOLLOUT | EPOLLWRNORM)

static u64 mbox_qid(const struct mbox_queue *q)
{
	return *q->idp;
}

/* ---- setup and teardown ---- */

/**
 * mbox_queue_init - set up @q (zeroed memory)
 * @q: the queue
 * @ops: its owner's callbacks, or NULL
 * @idp: where its owner's ID is (tracepoints)
 * @qflags: MBOX_Q_*
 * @capacity: messages it may hold (0: rendezvous)
 * @msg_size_max: its largest message; 0 takes the msg_size_max parameter
 * @max_bytes: payload bytes it may hold; 0: no limit but quotas
 */
void mbox_queue_init(struct mbox_queue *q, const struct mbox_queue_ops *ops,
		     const u64 *idp, u32 qflags, u32 capacity, u32 msg_size_max,
		     u64 max_bytes)
{
	int prio;

	spin_lock_init(&q->lock);
	for (prio = 0; prio < MBOX_PRIO_LISTS; prio++)
		INIT_LIST_HEAD(&q->prio[prio]);
	q->levels = RB_ROOT_CACHED;
	INIT_LIST_HEAD(&q->receivers);
	INIT_LIST_HEAD(&q->expects);
	init_waitqueue_head(&q->recv_wq);
	init_waitqueue_head(&q->send_wq);
	q->ops = ops;
	q->idp = idp;
	q->qflags = qflags;
	q->capacity = capacity;
	q->msg_size_max = msg_size_max ?: mbox_limit_msg_size();
	q->max_bytes = max_bytes;
	q->next_seq = 1;
}

void mbox_flow_init(struct mbox_flow *flow, u64 id, u32 capacity)
{
	flow->id = id;
	flow->capacity = capacity;
	flow->next_seq = 1;
}

static bool mbox_rx_matches(const struct mbox_rx *rx, const struct mbox_msg *msg);

/*
 * Wake the receivers asleep on @q that would take @msg, or all of them
 * (@msg NULL). Under the lock, which a receiver holds to leave the list, so
 * each task is alive here. Every one that matches is woken, as a wait
 * queue would: one that then can not take the message (a short buffer)
 * leaves it to the others. A woken receiver stays listed (a rendezvous
 * sender still counts it) until it runs, but is woken only once: its
 * @task is cleared, and set again when it goes back to sleep.
 */
static void mbox_wake_receivers(struct mbox_queue *q, const struct mbox_msg *msg)
{
	struct mbox_rx *rx;

	lockdep_assert_held(&q->lock);
	list_for_each_entry(rx, &q->receivers, node) {
		if (!rx->task || (msg && !mbox_rx_matches(rx, msg)))
			continue;
		wake_up_process(rx->task);
		rx->task = NULL;
	}
}

/* Wake everybody waiting on @q: a state they wait on changed for good. */
static void mbox_queue_wake_all(struct mbox_queue *q)
{
	wake_up_all(&q->recv_wq);
	wake_up_all(&q->send_wq);
}

/**
 * mbox_flow_kill - @flow accepts nothing more; its waiters leave
 * @q: the queue @flow's messages are queued on
 * @flow: the flow
 *
 * What it had queued can still be received.
 */
void mbox_flow_kill(struct mbox_queue *q, struct mbox_flow *flow)
{
	spin_lock(&q->lock);
	flow->dead = true;
	mbox_wake_receivers(q, NULL);
	spin_unlock(&q->lock);
	mbox_queue_wake_all(q);
}

/* ---- priorities; all under q->lock ---- */

/*
 * The FIFOs that have messages, highest priority first: the levels (every
 * priority >= MBOX_PRIO_LISTS), then the lists in @prio_map. The next one
 * is found before the current one is returned, so the caller may empty and
 * free the level it was given.
 */
struct mbox_fifos {
	struct rb_node *next;
	unsigned long map;
};

static void mbox_fifos_start(struct mbox_queue *q, struct mbox_fifos *it)
{
	it->next = rb_first_cached(&q->levels);
	it->map = q->prio_map;
}

static struct list_head *mbox_fifos_next(struct mbox_queue *q,
					 struct mbox_fifos *it)
{
	struct mbox_level *level;
	unsigned long prio;

	if (it->next) {
		level = rb_entry(it->next, struct mbox_level, node);
		it->next = rb_next(it->next);
		return &level->msgs;
	}
	if (!it->map)
		return NULL;
	prio = __fls(it->map);
	__clear_bit(prio, &it->map);
	return &q->prio[prio];
}

static struct mbox_level *mbox_level_find(struct mbox_queue *q, u32 prio)
{
	struct rb_node *node = q->levels.rb_root.rb_node;

	while (node) {
		struct mbox_level *level = rb_entry(node, struct mbox_level, node);

		if (prio == level->prio)
			return level;
		node = prio > level->prio ? node->rb_left : node->rb_right;
	}
	return NULL;
}

/*
 * The FIFO of priority @prio >= MBOX_PRIO_LISTS; a new level, made of
 * *@spare (which is then used up), if there is none.
 */
static struct list_head *mbox_level_get(struct mbox_queue *q, u32 prio,
					struct mbox_level **spare)
{
	struct rb_node **link = &q->levels.rb_root.rb_node, *parent = NULL;
	struct mbox_level *level;
	bool leftmost = true;

	while (*link) {
		parent = *link;
		level = rb_entry(parent, struct mbox_level, node);
		if (prio == level->prio)
			return &level->msgs;
		if (prio > level->prio) {
			link = &parent->rb_left;
		} else {
			link = &parent->rb_right;
			leftmost = false;
		}
	}
	level = *spare;
	*spare = NULL;
	level->prio = prio;
	INIT_LIST_HEAD(&level->msgs);
	rb_link_node(&level->node, parent, link);
	rb_insert_color_cached(&level->node, &q->levels, leftmost);
	return &level->msgs;
}

/* A level left empty goes (kfree() does not sleep). */
static void mbox_level_put(struct mbox_queue *q, u32 prio)
{
	struct mbox_level *level = mbox_level_find(q, prio);

	if (WARN_ON_ONCE(!level) || !list_empty(&level->msgs))
		return;
	rb_erase_cached(&level->node, &q->levels);
	kfree(level);
}

/* Whether queueing @msg on @q needs a new level, if none exists by then. */
static bool mbox_needs_level(struct mbox_queue *q, struct mbox_msg *msg)
{
	return msg->prio >= MBOX_PRIO_LISTS && !(q->qflags & MBOX_Q_BCAST);
}

/*
 * Move every queued message onto @freed, except those a receiver is copying
 * or a sender waits on: they are finished, or withdrawn, by their owners.
 */
static void mbox_queue_purge_locked(struct mbox_queue *q, struct list_head *freed)
{
	struct mbox_msg *msg, *next;
	struct list_head *fifo;
	struct mbox_fifos it;
	bool last;

	lockdep_assert_held(&q->lock);
	mbox_fifos_start(q, &it);
	while ((fifo = mbox_fifos_next(q, &it))) {
		list_for_each_entry_safe(msg, next, fifo, node) {
			if (msg->state != MBOX_MSG_QUEUED || msg->confirm)
				continue;
			/*
			 * Taking a level's last message frees the level, and
			 * @fifo with it: then the walk must not go on.
			 */
			last = list_is_last(&msg->node, fifo);
			mbox_dequeue(q, msg);
			msg->state = MBOX_MSG_WITHDRAWN;
			list_add_tail(&msg->node, freed);
			if (last)
				break;
		}
	}
}

/* Free what @q holds; its owner is going away and nobody uses it. */
void mbox_queue_purge(struct mbox_queue *q)
{
	LIST_HEAD(freed);

	spin_lock(&q->lock);
	mbox_queue_purge_locked(q, &freed);
	spin_unlock(&q->lock);
	mbox_msg_put_list(&freed);
}

/**
 * mbox_queue_shutdown - @q accepts nothing more, ever
 * @q: the queue
 *
 * Queued messages are freed, waiters woken (they return -ECONNRESET).
 * Messages being copied out or waited on by their senders are finished by
 * those, and freed then because @q is dead (see the comment at the top).
 */
void mbox_queue_shutdown(struct mbox_queue *q)
{
	LIST_HEAD(freed);

	spin_lock(&q->lock);
	q->dead = true;
	mbox_queue_purge_locked(q, &freed);
	mbox_wake_receivers(q, NULL);
	spin_unlock(&q->lock);
	mbox_queue_wake_all(q);
	mbox_msg_put_list(&freed);
}

/* ---- the queue; all under q->lock ---- */

/* Room for @len more bytes (the message count aside for a rendezvous). */
static bool mbox_has_room(struct mbox_queue *q, u32 len)
{
	if (!q->capacity)
		return true;	/* rendezvous offers are not buffered */
	if (q->capacity != MBOX_CAPACITY_UNBOUNDED && q->nr_msgs >= q->capacity)
		return false;
	return !q->max_bytes || q->nr_bytes + len <= q->max_bytes;
}

/* Writable, as poll() sees it: room, or (rendezvous) a receiver waiting. */
bool mbox_queue_has_room(struct mbox_queue *q, u32 len)
{
	lockdep_assert_held(&q->lock);
	return q->capacity ? mbox_has_room(q, len) : q->nr_receivers > 0;
}

/* Room for @msg: in a flow, the flow's capacity counts, not the queue's. */
static bool mbox_room_for(struct mbox_queue *q, struct mbox_msg *msg)
{
	struct mbox_flow *flow = msg->flow;

	if (!flow)
		return mbox_has_room(q, msg->len);
	/* Offers wait for their receiver, and replies are never held up. */
	if (msg->confirm || msg->reply || flow->capacity == MBOX_CAPACITY_UNBOUNDED)
		return true;
	return flow->nr_msgs < flow->capacity;
}

static bool mbox_msg_dead(struct mbox_queue *q, struct mbox_msg *msg)
{
	return q->dead || (msg->flow && msg->flow->dead);
}

/* Broadcast queues keep one FIFO, in sequence order, in prio[0]. */
static unsigned int mbox_qidx(struct mbox_queue *q, struct mbox_msg *msg)
{
	return (q->qflags & MBOX_Q_BCAST) ? 0 : msg->prio;
}

/* Queue @msg; *@spare is a level, used up if @msg needs a new one. */
static void mbox_enqueue(struct mbox_queue *q, struct mbox_msg *msg,
			 struct mbox_level **spare)
{
	struct mbox_flow *flow = msg->flow;
	unsigned int idx = mbox_qidx(q, msg);

	lockdep_assert_held(&q->lock);
	msg->seq = flow ? flow->next_seq++ : q->next_seq++;
	if (flow) {
		flow->nr_msgs++;
		flow->sent++;
	}
	msg->state = MBOX_MSG_QUEUED;
	if (idx < MBOX_PRIO_LISTS) {
		list_add_tail(&msg->node, &q->prio[idx]);
		__set_bit(idx, &q->prio_map);
	} else {
		list_add_tail(&msg->node, mbox_level_get(q, idx, spare));
	}
	q->nr_msgs++;
	q->nr_bytes += msg->len;
	q->sent++;
}

/* Take @msg off the queue; the queue's reference passes to the caller. */
void mbox_dequeue(struct mbox_queue *q, struct mbox_msg *msg)
{
	unsigned int idx = mbox_qidx(q, msg);

	lockdep_assert_held(&q->lock);
	list_del_init(&msg->node);
	if (idx >= MBOX_PRIO_LISTS)
		mbox_level_put(q, idx);
	else if (list_empty(&q->prio[idx]))
		__clear_bit(idx, &q->prio_map);
	q->nr_msgs--;
	q->nr_bytes -= msg->len;
	if (msg->flow)
		msg->flow->nr_msgs--;
}

/*
 * Is @msg's sender the one @rx names? Decided in the receiver's pid
 * namespace, whoever asks (a sender checks for a waiting receiver): the
 * live process of that number by identity, so that a message of an earlier
 * process with the same number is not taken for its; when no live process
 * has it, any reaped sender that had it in that namespace.
 */
static bool mbox_rx_sender_matches(const struct mbox_rx *rx,
				   const struct mbox_msg *msg)
{
	if (rx->from)
		return msg->sender == rx->from;
	return pid_nr_ns(msg->sender, rx->from_ns) == rx->from_nr;
}

/* Whether @rx takes @msg, whatever the message's state. */
static bool mbox_rx_matches(const struct mbox_rx *rx, const struct mbox_msg *msg)
{
	/* A reply goes only to its call. */
	if (msg->reply || (rx->flags & MBOX_RECV_REPLY))
		return msg->reply && (rx->flags & MBOX_RECV_REPLY) &&
		       msg->call_id == rx->call_id;
	if (rx->flow && msg->flow != rx->flow)
		return false;
	if ((rx->flags & MBOX_RECV_SEQ) && msg->seq != rx->want_seq)
		return false;
	return !(rx->flags & MBOX_RECV_FROM_PID) || mbox_rx_sender_matches(rx, msg);
}

/*
 * May a receiver take @msg now? Not a confirmed message whose sender is
 * gone (its io_uring ring is being torn down): the sender withdraws it when
 * its wait ends, and nobody could see its completion.
 */
static bool mbox_msg_takeable(const struct mbox_msg *msg)
{
	return msg->state == MBOX_MSG_QUEUED &&
	       !(msg->watch && msg->watch->gone(msg->watch->arg));
}

static bool mbox_rx_wants(const struct mbox_rx *rx, const struct mbox_msg *msg)
{
	return mbox_msg_takeable(msg) && mbox_rx_matches(rx, msg);
}

/**
 * mbox_queue_find - the highest-priority, oldest message @rx may take
 * @q: the queue, locked
 * @rx: the request
 *
 * Return: the message (still queued), or NULL.
 */
struct mbox_msg *mbox_queue_find(struct mbox_queue *q, const struct mbox_rx *rx)
{
	struct list_head *fifo;
	struct mbox_fifos it;
	struct mbox_msg *msg;

	lockdep_assert_held(&q->lock);
	if (!q->nr_msgs)
		return NULL;
	/*
	 * The common case: no filter, no priority above the FIFOs', and the
	 * head of the highest one is free to take.
	 */
	if (!rx->flow && !(rx->flags & (MBOX_RECV_FROM_PID | MBOX_RECV_REPLY | MBOX_RECV_SEQ)) &&
	    q->prio_map && !rb_first_cached(&q->levels)) {
		msg = list_first_entry(&q->prio[__fls(q->prio_map)],
				       struct mbox_msg, node);
		if (mbox_msg_takeable(msg) && !msg->reply)
			return msg;
	}
	mbox_fifos_start(q, &it);
	for (fifo = mbox_fifos_next(q, &it); fifo; fifo = mbox_fifos_next(q, &it))
		list_for_each_entry(msg, fifo, node)
			if (mbox_rx_wants(rx, msg))
				return msg;
	return NULL;
}

/* Readable for @rx, as poll() sees it. */
bool mbox_queue_readable(struct mbox_queue *q, const struct mbox_rx *rx)
{
	bool ret;

	spin_lock(&q->lock);
	ret = mbox_queue_find(q, rx);
	spin_unlock(&q->lock);
	return ret;
}

/*
 * Would a receiver asleep now take @msg? Only the filters are checked: a
 * receiver with a short buffer is woken, gets -EMSGSIZE and leaves, and the
 * sender then sees it gone.
 */
static bool mbox_receiver_for(struct mbox_queue *q, struct mbox_msg *msg)
{
	struct mbox_rx *rx;

	lockdep_assert_held(&q->lock);
	list_for_each_entry(rx, &q->receivers, node)
		if (mbox_rx_matches(rx, msg))
			return true;
	return false;
}

static bool mbox_expected(struct mbox_queue *q, u64 call_id)
{
	struct mbox_expect *e;

	lockdep_assert_held(&q->lock);
	list_for_each_entry(e, &q->expects, node)
		if (e->call_id == call_id)
			return !(e->watch && e->watch->gone(e->watch->arg));
	return false;
}

void mbox_queue_expect(struct mbox_queue *q, struct mbox_expect *e)
{
	spin_lock(&q->lock);
	list_add(&e->node, &q->expects);
	spin_unlock(&q->lock);
}

void mbox_queue_unexpect(struct mbox_queue *q, struct mbox_expect *e)
{
	spin_lock(&q->lock);
	list_del_init(&e->node);
	spin_unlock(&q->lock);
}

/* Drop the oldest message no sender waits on; false if there is none. */
static bool mbox_drop_oldest(struct mbox_queue *q, struct list_head *dropped)
{
	struct mbox_msg *oldest = NULL, *msg;
	struct list_head *fifo;
	struct mbox_fifos it;

	lockdep_assert_held(&q->lock);
	mbox_fifos_start(q, &it);
	while ((fifo = mbox_fifos_next(q, &it))) {
		list_for_each_entry(msg, fifo, node) {
			if (msg->state != MBOX_MSG_QUEUED || msg->confirm)
				continue;
			if (!oldest || msg->seq < oldest->seq)
				oldest = msg;
			break;
		}
	}
	if (!oldest)
		return false;
	mbox_dequeue(q, oldest);
	oldest->state = MBOX_MSG_WITHDRAWN;
	list_add_tail(&oldest->node, dropped);
	q->dropped++;
	if (q->ops && q->ops->dropped)
		q->ops->dropped(q, oldest);
	else
		q->missed++;
	return true;
}

/* ---- send ---- */

/*
 * Whether senders waiting for room on @q all wait for the same thing, a
 * free slot, which every receive (or withdrawal) makes one of: then one
 * wake-up per slot wakes one of them (mbox_wait_locked_exclusive()), not
 * all. Not so for a flow (each has its own capacity), with a byte limit (a
 * slot may be too small for one message and not another), or on a
 * broadcast queue (one receive may free several).
 */
static bool mbox_room_is_uniform(struct mbox_queue *q, struct mbox_msg *msg)
{
	return !msg->flow && !q->max_bytes && !(q->qflags & MBOX_Q_BCAST);
}

/* Room for @msg now, made by dropping the oldest if @q does that. */
static bool mbox_make_room(struct mbox_queue *q, struct mbox_msg *msg,
			   struct list_head *dropped)
{
	while (!mbox_room_for(q, msg))
		if (!(q->qflags & MBOX_Q_DROP_OLDEST) || !mbox_drop_oldest(q, dropped))
			return false;
	return true;
}

/* Wait for room; with DROP_OLDEST make it. Called and returns locked. */
static int mbox_wait_room(struct mbox_queue *q, struct mbox_msg *msg,
			  struct mbox_deadline *dl, struct list_head *dropped)
{
	int ret = 0;

	while (!mbox_make_room(q, msg, dropped)) {
		if (mbox_msg_dead(q, msg))
			return -ECONNRESET;
		q->send_waiters++;
		if (mbox_room_is_uniform(q, msg))
			ret = mbox_wait_locked_exclusive(&q->send_wq, &q->lock,
							 dl, mbox_qid(q));
		else
			ret = mbox_wait_locked(&q->send_wq, &q->lock, dl,
					       mbox_qid(q));
		q->send_waiters--;
		if (ret)
			break;
	}
	return ret;
}

/* May @msg be queued now? Under the lock, after the room is there. */
static int mbox_queue_accepts(struct mbox_queue *q, struct mbox_msg *msg,
			      struct mbox_deadline *dl)
{
	if (mbox_msg_dead(q, msg))
		return -ECONNRESET;
	if (msg->reply && !mbox_expected(q, msg->call_id))
		return -ENOENT;
	if (msg->confirm && dl->nonblock && !mbox_receiver_for(q, msg))
		return -EAGAIN;
	return 0;
}

/* Withdraw @msg, queued or being copied out: its sender gave up. */
static void mbox_withdraw(struct mbox_queue *q, struct mbox_msg *msg)
{
	mbox_dequeue(q, msg);
	msg->state = MBOX_MSG_WITHDRAWN;
	q->sent--;
	if (msg->flow)
		msg->flow->sent--;
	refcount_dec(&msg->ref);	/* the queue's; the caller still holds one */
	mbox_wake_poll(&q->send_wq, MBOX_EPOLLOUT);
}

/*
 * Wait until a receiver has @msg, or withdraw it. A non-blocking sender
 * waits only while a receiver that would take it is asleep.
 */
static int mbox_wait_delivered(struct mbox_queue *q, struct mbox_msg *msg,
			       struct mbox_deadline *dl)
{
	struct mbox_deadline handoff = *dl;
	int ret = 0;

	handoff.nonblock = false;
	while (msg->state != MBOX_MSG_DELIVERED) {
		if (mbox_msg_dead(q, msg)) {
			ret = -ECONNRESET;
			break;
		}
		if (dl->nonblock && msg->state == MBOX_MSG_QUEUED &&
		    !mbox_receiver_for(q, msg)) {
			ret = -EAGAIN;
			break;
		}
		q->send_waiters++;
		ret = mbox_wait_locked(&q->send_wq, &q->lock, &handoff,
				       mbox_qid(q));
		q->send_waiters--;
		if (ret)
			break;
	}
	if (msg->state == MBOX_MSG_DELIVERED)
		return 0;
	mbox_withdraw(q, msg);
	return ret;
}

/*
 * Queue @msg (*@spare: a level, as for mbox_enqueue()) and tell who waits:
 * a receiver that would take it, the owner's ops. Under the lock.
 */
static void mbox_enqueue_tell(struct mbox_queue *q, struct mbox_msg *msg,
			      struct mbox_level **spare, struct list_head *dropped)
{
	mbox_enqueue(q, msg, spare);
	mbox_wake_receivers(q, msg);
	trace_mbox_send(mbox_qid(q), msg);
	if (q->ops && q->ops->queued)
		q->ops->queued(q, msg, dropped);
	if (q->nr_msgs == 1 && q->ops && q->ops->arrived &&
	    !mbox_receiver_for(q, msg))
		q->ops->arrived(q);
}

/**
 * mbox_queue_send - queue @msg on @q and, if @msg->confirm, wait until a
 *	receiver has it
 * @q: the queue
 * @msg: the message (the caller's reference is consumed); @msg->confirm,
 *	and in a flow @msg->flow, set
 * @dl: how long to wait for room and for the receiver
 * @seq: out: the message's sequence number
 *
 * The caller keeps @q alive for the call (a descriptor of its mailbox, or a
 * reference to the link that delivers to the inbox): once queued, @msg may
 * be received and freed before the receivers are woken.
 *
 * Return: 0 or a negative errno; -ECONNRESET when @q or the flow died,
 * -ENOENT for a reply nobody expects.
 */
int mbox_queue_send(struct mbox_queue *q, struct mbox_msg *msg,
		    struct mbox_deadline *dl, u64 *seq)
{
	struct mbox_level *spare = NULL;
	LIST_HEAD(dropped);
	int ret;

	/* Allocated before locking, in case @msg's priority has no level. */
	if (mbox_needs_level(q, msg)) {
		spare = kmalloc(sizeof(*spare), GFP_KERNEL_ACCOUNT);
		if (!spare) {
			mbox_msg_put(msg);
			return -ENOMEM;
		}
	}
	spin_lock(&q->lock);
	ret = mbox_wait_room(q, msg, dl, &dropped);
	if (!ret)
		ret = mbox_queue_accepts(q, msg, dl);
	if (ret)
		goto out_unlock;
	mbox_enqueue_tell(q, msg, &spare, &dropped);
	*seq = msg->seq;
	if (!msg->confirm) {
		spin_unlock(&q->lock);
		/* After unlocking: a woken receiver does not spin on the lock. */
		if (dl->defer)
			dl->defer->queued++;
		else
			mbox_wake_poll(&q->recv_wq, MBOX_EPOLLIN);
		mbox_msg_put_list(&dropped);
		kfree(spare);
		return 0;
	}
	/*
	 * A receiver leaves it alone once its sender is gone (its wait ends);
	 * set in the lock hold that queued it, so no receiver saw it without.
	 */
	msg->watch = dl->watch;
	mbox_wake_poll(&q->recv_wq, MBOX_EPOLLIN);
	refcount_inc(&msg->ref);	/* the queue's; ours waits for delivery */
	ret = mbox_wait_delivered(q, msg, dl);
out_unlock:
	spin_unlock(&q->lock);
	kfree(spare);
	mbox_msg_put_list(&dropped);
	mbox_msg_put(msg);
	return ret;
}

/* ---- receive ---- */

/* Wait for a message @rx may take. Called and returns locked. */
static struct mbox_msg *mbox_wait_msg(struct mbox_queue *q, struct mbox_rx *rx,
				      struct mbox_deadline *dl)
{
	struct mbox_msg *msg;
	int ret;

	while (!(msg = mbox_queue_find(q, rx))) {
		/* What a dead peer sent is still received; then it is reset. */
		if (q->dead || (rx->flow && rx->flow->dead))
			return ERR_PTR(-ECONNRESET);
		if (dl->nonblock)
			return ERR_PTR(-EAGAIN);
		rx->task = current;
		list_add_tail(&rx->node, &q->receivers);
		q->nr_receivers++;
		/* A rendezvous sender (or its poller) may now hand over. */
		if (!q->capacity)
			wake_up_poll(&q->send_wq, MBOX_EPOLLOUT);
		ret = mbox_sleep_locked(&q->lock, dl, mbox_qid(q));
		list_del(&rx->node);
		q->nr_receivers--;
		if (!q->capacity)
			wake_up(&q->send_wq);
		if (ret)
			return ERR_PTR(ret);
	}
	return msg;
}

/*
 * The sender's pid in the receiver's namespace. A message of a flow whose
 * sender is reaped reports 0: its number may already name another process,
 * and a reply sent to it would reach that process (the link ID still names
 * the link).
 */
static pid_t mbox_msg_sender_nr(const struct mbox_msg *msg)
{
	if (msg->flow && !pid_has_task(msg->sender, PIDTYPE_TGID))
		return 0;
	return pid_vnr(msg->sender);
}

static void mbox_rx_fill(struct mbox_rx *rx, struct mbox_msg *msg)
{
	rx->len = msg->len;
	rx->prio = msg->prio;
	rx->seq = msg->seq;
	if (msg->sender != rx->pid_of)
		rx->pid = mbox_msg_sender_nr(msg);
	/* The initial namespace maps every uid to itself: skip the lookup. */
	if (current_user_ns() == &init_user_ns)
		rx->uid = __kuid_val(msg->uid);
	else
		rx->uid = from_kuid_munged(current_user_ns(), msg->uid);
	rx->call_id = msg->call_id;
	rx->link_id = msg->flow ? msg->flow->id : 0;
}

/**
 * mbox_copy_out - copy a claimed (or, peeking, referenced) message out
 * @rx: the request: the buffer, and where the result goes
 * @msg: the message
 *
 * Return: the bytes copied, or -EFAULT.
 */
int mbox_copy_out(struct mbox_rx *rx, struct mbox_msg *msg)
{
	u32 n = min(msg->len, rx->buflen);

	mbox_rx_fill(rx, msg);
	return mbox_msg_copy_out(rx->buf, msg, n) ?: n;
}

/* The receive ends: a call no longer expects its reply. Under the lock. */
static void mbox_rx_end(struct mbox_queue *q, struct mbox_rx *rx)
{
	lockdep_assert_held(&q->lock);
	if (rx->expect)
		list_del_init(&rx->expect->node);
}

/*
 * A copy-out faulted: put @msg back in place, or free it if @q died
 * meanwhile (or @rx discards what it can not take).
 */
static void mbox_recv_fault(struct mbox_queue *q, struct mbox_rx *rx,
			    struct mbox_msg *msg)
{
	lockdep_assert_held(&q->lock);
	/*
	 * Under the lock that set @dead, so no shutdown can miss it: a dead
	 * queue's purge skipped it because it was claimed. An offer is its
	 * sender's to withdraw (the flow died first, so the sender is woken).
	 */
	if ((q->dead || rx->discard_on_fault) && !msg->confirm) {
		mbox_dequeue(q, msg);
		msg->state = MBOX_MSG_WITHDRAWN;
		refcount_dec(&msg->ref);	/* the queue's; we hold one */
		return;
	}
	msg->state = MBOX_MSG_QUEUED;
	mbox_wake_receivers(q, msg);
}

/* @rx takes @msg: off the queue, delivered. Under the lock. */
static __always_inline void mbox_take(struct mbox_queue *q,
				      struct mbox_rx *rx, struct mbox_msg *msg)
{
	mbox_rx_end(q, rx);
	mbox_dequeue(q, msg);
	msg->state = MBOX_MSG_DELIVERED;
	trace_mbox_recv(mbox_qid(q), msg);
	q->received++;
	if (msg->flow)
		msg->flow->received++;
	/* A receiver of a call keeps its record until it replies. */
	rx->call = msg->call;
	msg->call = NULL;
	/* What was reported; drops since then are the next receive's. */
	q->missed -= rx->dropped;
}

/*
 * @rx takes @msg (mbox_take()). Called locked; returns unlocked, the
 * queue's reference to @msg dropped.
 */
static void mbox_deliver(struct mbox_queue *q, struct mbox_rx *rx,
			 struct mbox_msg *msg, struct mbox_deadline *dl)
	__releases(&q->lock)
{
	mbox_take(q, rx, msg);
	spin_unlock(&q->lock);
	if (dl->defer)
		dl->defer->freed++;
	else
		mbox_wake_poll(&q->send_wq, MBOX_EPOLLOUT);
	mbox_msg_put(msg);
}

/*
 * The fast path: copy @msg out, and report it, with @q locked and page
 * faults disabled. Either every byte lands and the caller takes @msg in
 * the same lock hold (nothing can come between the copy and the taking,
 * so there is nothing to undo), or a page was missing, nothing counts and
 * the caller copies with the lock dropped. Only short messages: the lock
 * is held for the copy.
 *
 * Return: the bytes copied, or -EFAULT.
 */
static int mbox_copy_out_locked(struct mbox_rx *rx, struct mbox_msg *msg)
{
	u32 n = min(msg->len, rx->buflen);
	int ret = n;

	mbox_rx_fill(rx, msg);
	pagefault_disable();
	if (mbox_msg_copy_out(rx->buf, msg, n) || (rx->report && rx->report(rx)))
		ret = -EFAULT;
	pagefault_enable();
	rx->reported = ret >= 0 && rx->report;
	return ret;
}

/*
 * Finish a receive after the copy: remove the message, or put it back if
 * the copy faulted. Return: the copy's result; *@again when the sender
 * withdrew the message meanwhile (the caller looks again).
 */
static int mbox_finish_recv(struct mbox_queue *q, struct mbox_rx *rx,
			    struct mbox_msg *msg, int copied,
			    struct mbox_deadline *dl, bool *again)
{
	spin_lock(&q->lock);
	if (msg->state == MBOX_MSG_WITHDRAWN) {
		spin_unlock(&q->lock);
		mbox_msg_put(msg);
		*again = true;
		return 0;
	}
	mbox_rx_end(q, rx);
	if (copied < 0) {
		mbox_recv_fault(q, rx, msg);
		spin_unlock(&q->lock);
		mbox_wake_poll(&q->recv_wq, MBOX_EPOLLIN);
		/* Queued again, it can be dropped for a waiting sender. */
		if (q->qflags & MBOX_Q_DROP_OLDEST)
			mbox_wake_poll(&q->send_wq, MBOX_EPOLLOUT);
		mbox_msg_put(msg);
		return copied;
	}
	mbox_deliver(q, rx, msg, dl);
	mbox_msg_put(msg);	/* ours */
	return copied;
}

/*
 * Receive @msg in one lock hold (see mbox_copy_out_locked()). Called
 * locked, returns unlocked. Return: as mbox_queue_recv(); *@again when a
 * page was missing (@rx->slow is set: the caller copies with the lock
 * dropped next time).
 */
static int mbox_recv_locked(struct mbox_queue *q, struct mbox_rx *rx,
			    struct mbox_msg *msg, struct mbox_deadline *dl,
			    bool *again)
	__releases(&q->lock)
{
	int ret;

	if (!(rx->flags & MBOX_RECV_PEEK))
		rx->dropped = q->missed;
	ret = mbox_copy_out_locked(rx, msg);
	if (ret < 0) {
		rx->dropped = 0;
		spin_unlock(&q->lock);
		rx->slow = true;
		*again = true;
		return 0;
	}
	if (rx->flags & MBOX_RECV_PEEK) {
		mbox_rx_end(q, rx);
		spin_unlock(&q->lock);
		return ret;
	}
	mbox_deliver(q, rx, msg, dl);
	return ret;
}

/*
 * Take (or peek at) one message. Return: as mbox_queue_recv(); *@again
 * when the message went away while it was copied.
 */
static int mbox_recv_once(struct mbox_queue *q, struct mbox_rx *rx,
			  struct mbox_deadline *dl, bool *again)
{
	struct mbox_msg *msg;
	int ret;

	spin_lock(&q->lock);
	msg = mbox_wait_msg(q, rx, dl);
	if (IS_ERR(msg)) {
		ret = PTR_ERR(msg);
		goto out_end;
	}
	if (msg->len > rx->buflen && !(rx->flags & MBOX_RECV_TRUNC)) {
		rx->len = msg->len;
		ret = -EMSGSIZE;
		goto out_end;
	}
	if (msg->len <= MBOX_COPY_LOCKED_MAX && !rx->slow)
		return mbox_recv_locked(q, rx, msg, dl, again);
	refcount_inc(&msg->ref);
	if (rx->flags & MBOX_RECV_PEEK) {
		mbox_rx_end(q, rx);
		spin_unlock(&q->lock);
		ret = mbox_copy_out(rx, msg);
		mbox_msg_put(msg);
		return ret;
	}
	msg->state = MBOX_MSG_CLAIMED;
	rx->dropped = q->missed;
	spin_unlock(&q->lock);
	return mbox_finish_recv(q, rx, msg, mbox_copy_out(rx, msg), dl, again);

out_end:
	mbox_rx_end(q, rx);
	spin_unlock(&q->lock);
	return ret;
}

/**
 * mbox_queue_recv - receive one message from @q
 * @q: the queue
 * @rx: the request; its filters, buffer, and the results
 * @dl: how long to wait
 *
 * A message up to MBOX_COPY_LOCKED_MAX bytes is copied out, and with
 * @rx->report its results written to the caller's struct, in the lock hold
 * that takes it (@rx->reported is then set); a longer one, or one whose
 * buffer had a page missing, is claimed, copied with the lock dropped and
 * then taken (or put back if the copy faulted), and the caller writes the
 * results.
 *
 * Return: bytes copied, or a negative errno (-EMSGSIZE: @rx->len is needed).
 */
int mbox_queue_recv(struct mbox_queue *q, struct mbox_rx *rx,
		    struct mbox_deadline *dl)
{
	bool again;
	int ret;

	do {
		again = false;
		ret = mbox_recv_once(q, rx, dl, &again);
	} while (again);
	return ret;
}

/**
 * mbox_queue_wake_batch - the wake-ups a batch on @q left to its end
 * @q: the queue
 * @w: what the batch's calls counted
 *
 * Receivers are woken once for all the messages queued; senders waiting for
 * room once per slot freed, so that as many exclusive waiters wake.
 */
void mbox_queue_wake_batch(struct mbox_queue *q, const struct mbox_wakes *w)
{
	if (w->queued)
		mbox_wake_poll(&q->recv_wq, MBOX_EPOLLIN);
	/* As in mbox_wake_poll(): the queue's lock orders the check. */
	if (w->freed && waitqueue_active(&q->send_wq))
		__wake_up(&q->send_wq, TASK_NORMAL, w->freed,
			  poll_to_key(MBOX_EPOLLOUT));
}

/* ---- bursts: the entries of a batch that need no wait ---- */

/**
 * mbox_queue_room_hint - about how many messages @q takes now
 * @q: the queue
 *
 * Read without the lock, so only a hint (a batch allocates no more
 * messages than may fit); U32_MAX when room is not counted in messages or
 * can be made (drop-oldest).
 *
 * Return: free slots, as last seen.
 */
u32 mbox_queue_room_hint(struct mbox_queue *q)
{
	u64 used = READ_ONCE(q->nr_msgs);

	if (q->capacity == MBOX_CAPACITY_UNBOUNDED || q->max_bytes ||
	    (q->qflags & MBOX_Q_DROP_OLDEST))
		return U32_MAX;
	return used < q->capacity ? q->capacity - (u32)used : 0;
}

/*
 * How many messages outside any flow @q (locked) takes now, each without
 * a look at its room: where room is counted in messages alone, the free
 * slots (U32_MAX unbounded); 0 where each message must make or check its
 * own (drop-oldest, a byte bound, rendezvous).
 */
static u32 mbox_burst_room(struct mbox_queue *q)
{
	lockdep_assert_held(&q->lock);
	if (!q->capacity || q->max_bytes || (q->qflags & MBOX_Q_DROP_OLDEST))
		return 0;
	if (q->capacity == MBOX_CAPACITY_UNBOUNDED)
		return U32_MAX;
	return q->nr_msgs < q->capacity ? q->capacity - (u32)q->nr_msgs : 0;
}

/**
 * mbox_queue_send_burst - queue what can be queued at once, in one lock hold
 * @q: the queue
 * @msgs: new messages outside any flow, none confirmed; the references of
 *	those queued pass to @q, the caller keeps the others'
 * @n: how many
 * @dl: the batch's deadline, whose @defer counts the wake-ups
 * @seqs: out: the queued messages' sequence numbers
 * @full: out: set when the burst ended for want of room
 *
 * Messages are queued in order while there is room (made, on a drop-oldest
 * queue) and @q lives; the first that can not be queued at once (or whose
 * priority has no FIFO of its own) ends the burst, for the caller to send
 * the ordinary way. It never waits.
 *
 * Return: how many were queued.
 */
u32 mbox_queue_send_burst(struct mbox_queue *q, struct mbox_msg **msgs, u32 n,
			  struct mbox_deadline *dl, u64 *seqs, bool *full)
{
	LIST_HEAD(dropped);
	u32 k, room;

	spin_lock(&q->lock);
	room = mbox_burst_room(q);
	for (k = 0; k < n; k++) {
		struct mbox_msg *msg = msgs[k];

		if (WARN_ON_ONCE(msg->flow || msg->confirm || msg->reply) ||
		    mbox_needs_level(q, msg) || mbox_msg_dead(q, msg))
			break;
		if (k >= room && !mbox_make_room(q, msg, &dropped)) {
			*full = true;
			break;
		}
		mbox_enqueue_tell(q, msg, NULL, &dropped);
		seqs[k] = msg->seq;
	}
	spin_unlock(&q->lock);
	if (k && dl->defer)
		dl->defer->queued += k;
	else if (k)
		mbox_wake_poll(&q->recv_wq, MBOX_EPOLLIN);
	mbox_msg_put_list(&dropped);
	return k;
}

/*
 * Copy @msg out for @rx, into @slot's buffer, within a burst: copied and
 * reported with page faults disabled; the caller takes it in the same lock
 * hold. Return: false (nothing copied or reported) when it needs the
 * ordinary receive: too long for the buffer or for the locked copy, a
 * call's request, or a page missing.
 */
static bool mbox_burst_copy(struct mbox_queue *q, struct mbox_rx *rx,
			    const struct mbox_burst_slot *slot,
			    struct mbox_msg *msg)
{
	rx->buf = slot->buf;
	rx->buflen = slot->buflen;
	rx->report_to = slot->report_to;
	if ((msg->len > rx->buflen && !(rx->flags & MBOX_RECV_TRUNC)) ||
	    msg->len > MBOX_COPY_LOCKED_MAX || msg->call)
		return false;
	rx->dropped = q->missed;
	if (mbox_copy_out_locked(rx, msg) < 0) {
		rx->dropped = 0;
		return false;
	}
	return true;
}

/*
 * A burst's common case: the first messages of the highest FIFO (no level
 * above it), each copied out (mbox_burst_copy()) and taken as
 * mbox_queue_find() and mbox_take() would, one by one, and cut off the
 * FIFO together. Ends at the first message they would not take so (a
 * claimed one, a reply, a page missing...), for mbox_queue_recv_burst() to
 * go on the ordinary way. Return: how many were taken, into @taken.
 */
static u32 mbox_burst_take_run(struct mbox_queue *q, struct mbox_rx *rx,
			       const struct mbox_burst_slot *slots, u32 n,
			       struct mbox_msg **taken)
{
	struct list_head *fifo, run;
	struct mbox_msg *msg;
	unsigned int idx;
	u64 bytes = 0;
	u32 k = 0, i;

	lockdep_assert_held(&q->lock);
	if (!q->prio_map || rb_first_cached(&q->levels) ||
	    (q->qflags & MBOX_Q_BCAST))
		return 0;
	idx = __fls(q->prio_map);
	fifo = &q->prio[idx];
	list_for_each_entry(msg, fifo, node) {
		if (k == n || !mbox_msg_takeable(msg) || msg->reply || msg->flow ||
		    !mbox_burst_copy(q, rx, &slots[k], msg))
			break;
		msg->state = MBOX_MSG_DELIVERED;
		trace_mbox_recv(mbox_qid(q), msg);
		/* What was reported; drops since then are the next receive's. */
		q->missed -= rx->dropped;
		bytes += msg->len;
		/* Its sender's number holds for the rest of this lock hold. */
		rx->pid_of = msg->sender;
		taken[k++] = msg;
	}
	if (!k)
		return 0;
	/* The run is the FIFO's first @k messages, up to @msg (or all). */
	list_cut_before(&run, fifo, &msg->node);
	for (i = 0; i < k; i++)
		INIT_LIST_HEAD(&taken[i]->node);
	if (list_empty(fifo))
		__clear_bit(idx, &q->prio_map);
	q->nr_msgs -= k;
	q->nr_bytes -= bytes;
	q->received += k;
	return k;
}

/**
 * mbox_queue_recv_burst - receive what can be received at once, in one lock
 *	hold
 * @q: the queue
 * @rx: the requests' common part: no filter, @report set, MBOX_RECV_TRUNC
 *	at most
 * @slots: each request's buffer and struct (for @rx->report)
 * @n: how many, at most MBOX_BURST_MAX
 * @dl: the batch's deadline, whose @defer counts the wake-ups
 * @empty: out: set when the burst ended for want of a message
 *
 * Each message is copied out and reported as by the fast path of
 * mbox_queue_recv(), in order; the first request that finds nothing, or
 * whose message needs more than that path does, ends the burst, for the
 * caller to receive the ordinary way. It never waits.
 *
 * Return: how many were received (and reported).
 */
u32 mbox_queue_recv_burst(struct mbox_queue *q, struct mbox_rx *rx,
			  const struct mbox_burst_slot *slots, u32 n,
			  struct mbox_deadline *dl, bool *empty)
{
	struct mbox_msg *taken[MBOX_BURST_MAX];
	u32 k;

	if (WARN_ON_ONCE(n > MBOX_BURST_MAX))
		n = MBOX_BURST_MAX;
	spin_lock(&q->lock);
	/* Then whatever is left the way a receive finds it. */
	for (k = mbox_burst_take_run(q, rx, slots, n, taken); k < n; k++) {
		taken[k] = mbox_queue_find(q, rx);
		if (!taken[k]) {
			*empty = true;
			break;
		}
		if (!mbox_burst_copy(q, rx, &slots[k], taken[k]))
			break;
		mbox_take(q, rx, taken[k]);
		rx->pid_of = taken[k]->flow ? NULL : taken[k]->sender;
	}
	rx->pid_of = NULL;
	spin_unlock(&q->lock);
	if (k && dl->defer)
		dl->defer->freed += k;
	else if (k)
		mbox_wake_poll(&q->send_wq, MBOX_EPOLLOUT);
	mbox_msg_put_burst(taken, k);
	return k;
}

/* ---- receive requests ---- */

/**
 * mbox_rx_from_pid - the sender filter of a receive request
 * @rx: the request, initialised by mbox_rx_init()
 * @from: the sender's pid in the caller's pid namespace
 *
 * Return: 0 or -EINVAL.
 */
int mbox_rx_from_pid(struct mbox_rx *rx, pid_t from)
{
	if (from <= 0)
		return -EINVAL;
	/* Held for the receive: matched by identity where it can be. */
	rx->from = find_get_pid(from);
	rx->from_nr = from;
	rx->from_ns = task_active_pid_ns(current);
	return 0;
}

void mbox_rx_release(struct mbox_rx *rx)
{
	put_pid(rx->from);
	rx->from = NULL;
}
