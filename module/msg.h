/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mbox: messages (msg.c). Below the queue; knows nothing of what a message
 * travels through: whoever attaches something to a message (a link
 * reference, a call record) sets @release to drop it.
 */
#ifndef _MBOX_MSG_H
#define _MBOX_MSG_H

#include <linux/compiler_types.h>
#include <linux/list.h>
#include <linux/pid.h>
#include <linux/refcount.h>
#include <linux/types.h>
#include <linux/uidgid.h>

struct mbox_call_rec;
struct mbox_flow;
struct mbox_user;

struct mbox_wait_watch;

enum mbox_msg_state {
	MBOX_MSG_QUEUED,	/* waiting for a receiver */
	MBOX_MSG_CLAIMED,	/* a receiver is copying it out */
	MBOX_MSG_DELIVERED,	/* received; off the queue */
	MBOX_MSG_WITHDRAWN,	/* its sender gave up, or it was dropped */
};

/**
 * struct mbox_msg - one message
 * @node: in its queue while QUEUED or CLAIMED (under the queue's lock)
 * @ref: the queue's reference, a claiming receiver's, a confirming sender's
 * @state: enum mbox_msg_state (under the queue's lock)
 * @confirm: its sender waits until it is delivered (rendezvous or
 *	MBOX_SEND_CONFIRM); such a message is never dropped
 * @prio: priority
 * @reply: a reply: received only by the receive that expects @call_id
 * @len: payload length
 * @seq: sequence number in its queue (or its flow)
 * @pending: broadcast: subscribers that have not received it yet
 * @sender: the sending process (thread group)
 * @uid: the sender's effective uid
 * @user: the sender's accounting, charged mbox_msg_charge(@len)
 * @flow: the stream within its queue it belongs to (a link direction), or
 *	NULL
 * @call: a call's request: the record the receiver keeps until it replies
 * @call_id: a call's request or reply: the call
 * @release: drops what was attached to the message (@flow's owner, @call)
 *	when it is freed; NULL if nothing was
 * @watch: a @confirm message's sender's watch (struct mbox_wait_watch), or
 *	NULL: while it is up, no receiver takes the message (the sender, an
 *	io_uring command whose ring is being torn down, is about to withdraw
 *	it); valid while the message is queued
 * @data: payload
 */
struct mbox_msg {
	struct list_head node;
	refcount_t ref;
	u8 state;
	bool confirm;
	bool reply;
	u16 prio;
	u32 len;
	u64 seq;
	u32 pending;
	struct pid *sender;
	kuid_t uid;
	struct mbox_user *user;
	struct mbox_flow *flow;
	struct mbox_call_rec *call;
	u64 call_id;
	void (*release)(struct mbox_msg *msg);
	const struct mbox_wait_watch *watch;
	u8 data[];
};

/**
 * struct mbox_msg_src - what a message of a burst is made from
 * @buf: the user's buffer
 * @len: its length
 * @prio: the message's priority
 */
struct mbox_msg_src {
	const void __user *buf;
	u32 len;
	u32 prio;
};

size_t mbox_msg_charge(size_t len);
struct mbox_msg *mbox_msg_alloc(const void __user *buf, size_t len,
				struct mbox_user *hint);
int mbox_msg_alloc_burst(const struct mbox_msg_src *src, u32 n,
			 struct mbox_user *hint, struct mbox_msg **msgs);
int mbox_msg_init(void);
void mbox_msg_exit(void);
int mbox_msg_copy_out(void __user *buf, const struct mbox_msg *msg, size_t n);
void mbox_msg_put(struct mbox_msg *msg);
void mbox_msg_put_burst(struct mbox_msg **msgs, u32 n);
void mbox_msg_put_list(struct list_head *list);

#endif /* _MBOX_MSG_H */
