/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mbox: the message queue beneath mailboxes, endpoint inboxes and broadcast
 * mailboxes (queue.c). It calls only messages, waiting and tracing; what
 * differs between its users is data (flags, flows, expected replies) or a
 * callback in struct mbox_queue_ops, never a call up into their files.
 *
 * Locking: mbox_queue.lock (spinlock) protects everything in the queue, the
 * @state of every message queued on it, the counters of every flow whose
 * messages it queues, its waiting receivers and its expected replies. No
 * two queue locks are ever held at once; nothing sleeps under one (user
 * memory is copied and memory allocated with no queue lock held). Inside it
 * nest only the wait queues' own locks.
 */
#ifndef _MBOX_QUEUE_H
#define _MBOX_QUEUE_H

#include <linux/list.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/rbtree.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <uapi/linux/mbox.h>

struct mbox_call_rec;
struct mbox_deadline;
struct mbox_msg;
struct mbox_queue;
struct mbox_wait_watch;
struct mbox_wakes;

/**
 * struct mbox_flow - one stream of messages within a queue (a link
 *	direction): its own capacity, sequence numbers and counters; all under
 *	the lock of the queue its messages are queued on
 * @id: reported to receivers as the message's link ID
 * @capacity: messages of the flow that may be queued (offers and replies
 *	excepted), or MBOX_CAPACITY_UNBOUNDED
 * @nr_msgs: messages queued now (offers and replies included)
 * @next_seq: sequence number of the next message
 * @sent: totals
 * @received: totals
 * @dead: nothing more is accepted; waits on it end with -ECONNRESET
 */
struct mbox_flow {
	u64 id;
	u32 capacity;
	u32 nr_msgs;
	u64 next_seq;
	u64 sent, received;
	bool dead;
};

/*
 * Priorities below MBOX_PRIO_LISTS have a FIFO each in the queue itself and
 * a bit in a word; higher ones (MQ_PRIO_MAX is 32768) get a struct
 * mbox_level, in a tree, while they have messages.
 */
#define MBOX_PRIO_LISTS		32

/**
 * struct mbox_level - the FIFO of one priority >= MBOX_PRIO_LISTS
 * @node: in the queue's @levels, highest priority leftmost
 * @prio: its priority
 * @msgs: its messages, oldest first
 */
struct mbox_level {
	struct rb_node node;
	u32 prio;
	struct list_head msgs;
};

/* Queue flags. */
#define MBOX_Q_BCAST		BIT(0)	/* one FIFO in sequence order, see ops */
#define MBOX_Q_DROP_OLDEST	BIT(1)	/* full: drop the oldest, not wait */

/**
 * struct mbox_queue_ops - what a queue's owner adds; all under the lock
 * @queued: a message was just queued; may move messages to @freed
 * @dropped: the overflow policy dropped a message
 * @arrived: a message was just queued into an empty queue and no waiting
 *	receiver takes it (the POSIX mq_notify() moment); must not sleep
 */
struct mbox_queue_ops {
	void (*queued)(struct mbox_queue *q, struct mbox_msg *msg,
		       struct list_head *freed);
	void (*dropped)(struct mbox_queue *q, struct mbox_msg *msg);
	void (*arrived)(struct mbox_queue *q);
};

/**
 * struct mbox_expect - a reply a receiver is waiting for (a call)
 * @node: in the queue's @expects, under its lock
 * @call_id: the call
 * @watch: the calling receive's watch (struct mbox_wait_watch), or NULL:
 *	while it is up the reply is refused (-ENOENT), as after the call
 *	gave up
 *
 * A reply is queued only while its expect is on the queue, and the expect
 * leaves the queue under the same lock hold in which its receive ends, so a
 * reply is either received by its call or refused (-ENOENT), never queued
 * for nobody.
 */
struct mbox_expect {
	struct list_head node;
	u64 call_id;
	const struct mbox_wait_watch *watch;
};

/**
 * struct mbox_queue - messages by priority, and who waits for them
 * @lock: see "Locking" above
 * @ops: the owner's callbacks (may be NULL)
 * @idp: the owner's object ID, for tracepoints
 * @qflags: MBOX_Q_*
 * @capacity: messages that may be queued; 0: rendezvous (offers only);
 *	MBOX_CAPACITY_UNBOUNDED: no limit but quotas
 * @msg_size_max: largest message
 * @max_bytes: payload bytes that may be queued; 0: no limit but quotas
 * @prio: one FIFO per priority below MBOX_PRIO_LISTS (MBOX_Q_BCAST:
 *	prio[0] only, in sequence order)
 * @prio_map: bit p set when prio[p] is not empty
 * @levels: the FIFOs of higher priorities that have messages (struct
 *	mbox_level), highest leftmost
 * @nr_msgs: messages queued (QUEUED or CLAIMED), offers included
 * @nr_bytes: their payload bytes
 * @next_seq: sequence number of the next message outside any flow
 * @sent: totals
 * @received: totals
 * @dropped: totals
 * @missed: dropped messages not yet reported to a receiver
 * @send_waiters: senders asleep, for room or for their message's delivery
 * @receivers: receivers asleep (struct mbox_rx), woken one by one; @recv_wq
 *	is for pollers, io_uring and broadcast subscribers
 * @nr_receivers: how many
 * @expects: replies waited for (struct mbox_expect)
 * @recv_wq: woken when a message is queued or becomes receivable again
 * @send_wq: woken when room is made, a message is delivered, or the set of
 *	waiting receivers changes
 * @dead: shut down: nothing more is queued, and what arrives late is freed
 */
struct mbox_queue {
	spinlock_t lock;	/* see above */
	const struct mbox_queue_ops *ops;
	const u64 *idp;
	u32 qflags;
	u32 capacity;
	u32 msg_size_max;
	u64 max_bytes;
	struct list_head prio[MBOX_PRIO_LISTS];
	unsigned long prio_map;
	struct rb_root_cached levels;
	u64 nr_msgs;
	u64 nr_bytes;
	u64 next_seq;
	u64 sent, received, dropped;
	u32 missed;
	u32 send_waiters;
	struct list_head receivers;
	u32 nr_receivers;
	struct list_head expects;
	wait_queue_head_t recv_wq;
	wait_queue_head_t send_wq;
	bool dead;
};

/**
 * struct mbox_rx - one receive request, and a waiting receiver
 * @node: in the queue's receivers list while asleep
 * @task: the receiving task while asleep, woken directly (under the
 *	queue's lock) by whoever makes a message it may take receivable; NULL
 *	once woken
 * @buf: the user's buffer
 * @buflen: the user's buffer
 * @flags: MBOX_RECV_*
 * @from: with MBOX_RECV_FROM_PID, the live process @from_nr names (a
 *	reference), or NULL when none does
 * @from_nr: with MBOX_RECV_FROM_PID, the sender's pid in @from_ns
 * @from_ns: the receiver's pid namespace
 * @flow: only messages of this flow (a link), or NULL
 * @expect: a call's expected reply, ended with the receive
 * @call_id: with MBOX_RECV_REPLY: the call whose reply is wanted; out: the
 *	message's call
 * @want_seq: with MBOX_RECV_SEQ: the sequence number of the one message
 *	wanted
 * @discard_on_fault: a message whose copy-out faults is dropped instead of
 *	put back (a call's reply: nobody else can take it)
 * @report: NULL, or writes the results (@len, @prio, ...) to the caller's
 *	argument struct at @report_to; see mbox_queue_recv()
 * @report_to: for @report
 * @reported: out: @report wrote the results, in the same lock hold that
 *	took the message
 * @slow: copy out only with the lock dropped (after a fault)
 * @call: out: a received call's record, now the receiver's to keep
 * @link_id: out: the message's flow ID, 0 for a mailbox's message
 * @len: the result
 * @prio: the result
 * @seq: the result
 * @pid: the result
 * @pid_of: within a receive burst's lock hold, the sender @pid is the number
 *	of (a message taken in that hold keeps it alive), for the next
 *	messages of the same sender; NULL otherwise
 * @uid: the result
 * @dropped: the result
 */
struct mbox_rx {
	struct list_head node;
	struct task_struct *task;
	void __user *buf;
	u32 buflen;
	u32 flags;
	struct pid *from;
	pid_t from_nr;
	struct pid_namespace *from_ns;
	struct mbox_flow *flow;
	struct mbox_expect *expect;
	bool discard_on_fault;
	int (*report)(const struct mbox_rx *rx);
	void __user *report_to;
	bool reported;
	bool slow;
	u64 call_id;
	u64 want_seq;
	struct mbox_call_rec *call;
	u64 link_id;
	u32 len;
	u32 prio;
	u64 seq;
	pid_t pid;
	struct pid *pid_of;
	u32 uid;
	u32 dropped;
};

/* The most receives one burst takes (their messages are kept on the stack). */
#define MBOX_BURST_MAX		16

/**
 * struct mbox_burst_slot - one receive of a burst (mbox_queue_recv_burst())
 * @buf: the user's buffer
 * @buflen: its size
 * @report_to: the user's argument struct, for the request's @report
 */
struct mbox_burst_slot {
	void __user *buf;
	u32 buflen;
	void __user *report_to;
};

void mbox_queue_init(struct mbox_queue *q, const struct mbox_queue_ops *ops,
		     const u64 *idp, u32 qflags, u32 capacity, u32 msg_size_max,
		     u64 max_bytes);
void mbox_flow_init(struct mbox_flow *flow, u64 id, u32 capacity);
void mbox_flow_kill(struct mbox_queue *q, struct mbox_flow *flow);
void mbox_queue_shutdown(struct mbox_queue *q);
void mbox_queue_purge(struct mbox_queue *q);
int mbox_queue_send(struct mbox_queue *q, struct mbox_msg *msg,
		    struct mbox_deadline *dl, u64 *seq);
int mbox_queue_recv(struct mbox_queue *q, struct mbox_rx *rx,
		    struct mbox_deadline *dl);
struct mbox_msg *mbox_queue_find(struct mbox_queue *q, const struct mbox_rx *rx);
bool mbox_queue_readable(struct mbox_queue *q, const struct mbox_rx *rx);
bool mbox_queue_has_room(struct mbox_queue *q, u32 len);
void mbox_queue_wake_batch(struct mbox_queue *q, const struct mbox_wakes *w);
u32 mbox_queue_room_hint(struct mbox_queue *q);
u32 mbox_queue_send_burst(struct mbox_queue *q, struct mbox_msg **msgs, u32 n,
			  struct mbox_deadline *dl, u64 *seqs, bool *full);
u32 mbox_queue_recv_burst(struct mbox_queue *q, struct mbox_rx *rx,
			  const struct mbox_burst_slot *slots, u32 n,
			  struct mbox_deadline *dl, bool *empty);
void mbox_queue_expect(struct mbox_queue *q, struct mbox_expect *e);
void mbox_queue_unexpect(struct mbox_queue *q, struct mbox_expect *e);
void mbox_dequeue(struct mbox_queue *q, struct mbox_msg *msg);
int mbox_rx_from_pid(struct mbox_rx *rx, pid_t from);

/**
 * mbox_rx_init - a receive request, from any command's fields
 * @rx: the request
 * @buf: the user's buffer
 * @len: its size
 * @flags: MBOX_RECV_* (checked by the caller)
 * @from: with MBOX_RECV_FROM_PID: the sender's pid in the caller's pid
 *	namespace, > 0
 *
 * Inline, so that the compiler folds it into the zeroing that
 * CONFIG_INIT_STACK_ALL_ZERO gives the caller's @rx. Release with
 * mbox_rx_release().
 *
 * Return: 0 or -EINVAL.
 */
static inline int mbox_rx_init(struct mbox_rx *rx, u64 buf, u32 len, u32 flags,
			       pid_t from)
{
	*rx = (struct mbox_rx){
		.buf = u64_to_user_ptr(buf),
		.buflen = len,
		.flags = flags,
	};
	return (flags & MBOX_RECV_FROM_PID) ? mbox_rx_from_pid(rx, from) : 0;
}

void mbox_rx_release(struct mbox_rx *rx);
int mbox_copy_out(struct mbox_rx *rx, struct mbox_msg *msg);

#endif /* _MBOX_QUEUE_H */
