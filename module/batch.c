// SPDX-License-Identifier: GPL-2.0
/*
 * mbox: batched send and receive.
 *
 * One system call moves up to MBOX_BATCH_MAX messages. Each entry is a struct
 * mbox_send or struct mbox_recv of entry_size bytes (extensible like every
 * argument struct). Only the first message may wait; the rest go through
 * only if they can at once. The call returns how many went through; an error
 * is returned only if the first message fails. The other side is woken once
 * per batch: the receivers once for all the messages sent, the senders
 * waiting for room once per message received.
 */
#include <linux/uaccess.h>

#include "mbox_internal.h"

static int mbox_batch_check(const struct mbox_batch *cmd, size_t min_entry,
			    u32 flags)
{
	if (cmd->flags & ~flags || cmd->__reserved)
		return -EINVAL;
	if (!cmd->count || cmd->count > MBOX_BATCH_MAX)
		return -EINVAL;
	if (cmd->entry_size < min_entry || cmd->entry_size > PAGE_SIZE)
		return -EINVAL;
	return 0;
}

static void __user *mbox_batch_entry(const struct mbox_batch *cmd, u32 i)
{
	/* i < MBOX_BATCH_MAX and entry_size <= PAGE_SIZE: no overflow. */
	return u64_to_user_ptr(cmd->msgs + (u64)i * cmd->entry_size);
}

static int mbox_batch_done(struct mbox_ucmd *ucmd, u32 done, int err)
{
	struct mbox_batch *cmd = ucmd->cmd;
	int ret;

	if (!done)
		return err;
	cmd->done = done;
	ret = mbox_ucmd_respond(ucmd, sizeof(*cmd));
	return ret ?: done;
}

static int mbox_send_entry(struct mbox_file *mf, struct file *file,
			   void __user *uentry, u32 entry_size,
			   struct mbox_deadline *dl)
{
	struct mbox_send e;
	int ret;

	ret = copy_struct_from_user(&e, sizeof(e), uentry, entry_size);
	if (ret)
		return ret;
	if (e.size || e.flags || e.timeout_ns)
		return -EINVAL;
	ret = mbox_send(mf, file, u64_to_user_ptr(e.buf), e.len, e.prio, 0, dl,
			&e.seq);
	if (ret)
		return ret;
	/* The message is sent: a fault here only loses its sequence number. */
	if (put_user(e.seq, (u64 __user *)(uentry + offsetof(struct mbox_send, seq))))
		return 1;
	return 0;
}

int mbox_cmd_send_batch(struct mbox_ucmd *ucmd)
{
	struct mbox_file *mf = ucmd->file->private_data;
	struct mbox_batch *cmd = ucmd->cmd;
	struct mbox_wakes wakes = {};
	struct mbox_deadline dl;
	int ret;
	u32 i;

	ret = mbox_batch_check(cmd, offsetofend(struct mbox_send, seq),
			       MBOX_WAIT_FLAGS);
	if (ret)
		return ret;
	ret = mbox_deadline_init(&dl, ucmd->file, cmd->flags, cmd->timeout_ns);
	if (ret)
		return ret;
	dl.defer = &wakes;
	for (i = 0; i < cmd->count; i++) {
		ret = mbox_send_entry(mf, ucmd->file, mbox_batch_entry(cmd, i),
				      cmd->entry_size, &dl);
		if (ret < 0)
			break;
		dl.nonblock = true;
		if (ret > 0) {
			i++;
			break;
		}
	}
	mbox_wake_batch(mf->mb, &wakes);
	return mbox_batch_done(ucmd, i, ret);
}

static int mbox_recv_entry(struct mbox_file *mf, struct file *file,
			   void __user *uentry, u32 entry_size, u32 flags,
			   struct mbox_deadline *dl)
{
	struct mbox_recv e;
	struct mbox_rx rx;
	int ret, copied;

	ret = copy_struct_from_user(&e, sizeof(e), uentry, entry_size);
	if (ret)
		return ret;
	if (e.size || e.flags || e.timeout_ns)
		return -EINVAL;
	ret = mbox_rx_from_cmd(&rx, &e);
	if (ret)
		return ret;
	rx.flags = flags;
	/* Make sure the result can be written before a message is taken. */
	if (copy_to_user(uentry, &e, min_t(size_t, entry_size, sizeof(e))))
		return -EFAULT;
	copied = mbox_recv(mf, file, &rx, dl);
	if (copied < 0 && copied != -EMSGSIZE)
		return copied;
	mbox_rx_to_cmd(&e, &rx);
	if (copy_to_user(uentry, &e, min_t(size_t, entry_size, sizeof(e))))
		return -EFAULT;
	return copied < 0 ? copied : 0;
}

int mbox_cmd_recv_batch(struct mbox_ucmd *ucmd)
{
	struct mbox_file *mf = ucmd->file->private_data;
	struct mbox_batch *cmd = ucmd->cmd;
	struct mbox_wakes wakes = {};
	struct mbox_deadline dl;
	int ret;
	u32 i;

	ret = mbox_batch_check(cmd, offsetofend(struct mbox_recv, __reserved),
			       MBOX_WAIT_FLAGS | MBOX_RECV_TRUNC);
	if (ret)
		return ret;
	ret = mbox_deadline_init(&dl, ucmd->file, cmd->flags, cmd->timeout_ns);
	if (ret)
		return ret;
	dl.defer = &wakes;
	for (i = 0; i < cmd->count; i++) {
		ret = mbox_recv_entry(mf, ucmd->file, mbox_batch_entry(cmd, i),
				      cmd->entry_size, cmd->flags & MBOX_RECV_TRUNC,
				      &dl);
		if (ret < 0)
			break;
		dl.nonblock = true;
	}
	mbox_wake_batch(mf->mb, &wakes);
	return mbox_batch_done(ucmd, i, ret);
}
