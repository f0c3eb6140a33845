// SPDX-License-Identifier: GPL-2.0
/*
 * mbox: messages.
 *
 * A message is one allocation (header and payload), charged to the sending
 * task's memory cgroup and to the sending user's byte quota. Its payload is
 * copied from user space before any lock is taken. Whoever attaches
 * references to a message sets its @release, which drops them when the
 * message is freed.
 */
#include <linux/cred.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "limits.h"
#include "msg.h"
#include "registry.h"
#include "stats.h"
#include "user.h"

/* What a message of @len bytes counts against its sender's quota. */
size_t mbox_msg_charge(size_t len)
{
	return size_add(sizeof(struct mbox_msg), len);
}

/*
 * The sending user's accounting: @hint (the accounting of the object sent
 * through, kept alive by it) when it is the sender's, which saves the
 * lookup under the global users lock on every message.
 */
static struct mbox_user *mbox_msg_user(struct mbox_user *hint)
{
	kuid_t euid = current_euid();

	if (hint && uid_eq(hint->uid, euid)) {
		refcount_inc(&hint->ref);
		return hint;
	}
	return mbox_user_get(euid);
}

static struct mbox_msg *mbox_msg_new(size_t len, struct mbox_user *hint)
{
	struct mbox_msg *msg;
	int ret;

	if (len > MBOX_MSG_SIZE_LIMIT)
		return ERR_PTR(-EMSGSIZE);
	msg = kvmalloc(mbox_msg_charge(len), GFP_KERNEL_ACCOUNT);
	if (!msg)
		return ERR_PTR(-ENOMEM);
	msg->user = mbox_msg_user(hint);
	if (!msg->user) {
		ret = -ENOMEM;
		goto err_free_msg;
	}
	ret = mbox_obj_charge_bytes(msg->user, mbox_msg_charge(len));
	if (ret)
		goto err_put_user;

	INIT_LIST_HEAD(&msg->node);
	refcount_set(&msg->ref, 1);
	msg->state = MBOX_MSG_QUEUED;
	msg->confirm = false;
	msg->prio = 0;
	msg->reply = false;
	msg->len = len;
	msg->seq = 0;
	msg->pending = 0;
	msg->flow = NULL;
	msg->call = NULL;
	msg->call_id = 0;
	msg->release = NULL;
	/* current's own tgid pid cannot go away under it: no RCU needed. */
	msg->sender = get_pid(task_tgid(current));
	msg->uid = current_euid();
	atomic_long_inc(&mbox_nr_msgs);
	atomic_long_add(len, &mbox_nr_bytes);
	return msg;

err_put_user:
	mbox_user_put(msg->user);
err_free_msg:
	kvfree(msg);
	return ERR_PTR(ret);
}

/**
 * mbox_msg_alloc - a new message holding a copy of a user buffer
 * @buf: the user's message
 * @len: its length
 * @hint: the accounting of the object the message is sent through (its
 *	creator's), used when the sender is the same user; may be NULL
 *
 * Return: the message with one reference, or ERR_PTR(-EMSGSIZE, -ENOMEM,
 * -EDQUOT, -EFAULT).
 */
struct mbox_msg *mbox_msg_alloc(const void __user *buf, size_t len,
				struct mbox_user *hint)
{
	struct mbox_msg *msg = mbox_msg_new(len, hint);

	if (IS_ERR(msg))
		return msg;
	if (copy_from_user(msg->data, buf, len)) {
		mbox_msg_put(msg);
		return ERR_PTR(-EFAULT);
	}
	return msg;
}

void mbox_msg_put(struct mbox_msg *msg)
{
	if (!refcount_dec_and_test(&msg->ref))
		return;
	atomic_long_dec(&mbox_nr_msgs);
	atomic_long_sub(msg->len, &mbox_nr_bytes);
	mbox_user_uncharge_bytes(msg->user, mbox_msg_charge(msg->len));
	mbox_user_put(msg->user);
	put_pid(msg->sender);
	if (msg->release)
		msg->release(msg);
	kvfree(msg);
}

/* Drop one reference to each message on @list, which is left in pieces. */
void mbox_msg_put_list(struct list_head *list)
{
	struct mbox_msg *msg, *next;

	list_for_each_entry_safe(msg, next, list, node) {
		list_del(&msg->node);
		mbox_msg_put(msg);
	}
}
