// SPDX-License-Identifier: GPL-2.0
/*
 * mbox: mailboxes, the notes' indirect communication.
 *
 * A mailbox is a named (or anonymous) object around one queue (queue.c):
 * this file creates and opens mailboxes, checks what is sent and received
 * through a mailbox descriptor, and answers its ioctls, read, write and
 * poll. Broadcast mailboxes add their subscriptions (broadcast.c).
 */
#include <linux/anon_inodes.h>
#include <linux/cred.h>
#include <linux/file.h>
#include <linux/poll.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "limits.h"
#include "mailbox.h"
#include "msg.h"
#include "notify.h"
#include "stats.h"
#include "ucmd.h"
#include "uring.h"
#include "wait.h"

#define MBOX_OPEN_FLAGS (MBOX_OPEN_SEND | MBOX_OPEN_RECV | MBOX_OPEN_CREATE |	\
			 MBOX_OPEN_EXCL | MBOX_OPEN_CLOEXEC | MBOX_OPEN_NONBLOCK |	\
			 MBOX_OPEN_UMASK)
#define MBOX_MB_FLAGS	(MBOX_MB_DROP_OLDEST | MBOX_MB_BROADCAST)
#define MBOX_SEND_FLAGS	(MBOX_WAIT_FLAGS | MBOX_SEND_CONFIRM)
#define MBOX_RECV_FLAGS	(MBOX_WAIT_FLAGS | MBOX_RECV_PEEK | MBOX_RECV_TRUNC |	\
			 MBOX_RECV_FROM_PID | MBOX_RECV_FULLSIZE | MBOX_RECV_SEQ)

static const struct file_operations mbox_mailbox_fops;

static struct mbox_mailbox *to_mailbox(struct mbox_obj *obj)
{
	return container_of(obj, struct mbox_mailbox, obj);
}

/* ---- send and receive through a descriptor ---- */

static int mbox_check_send(struct mbox_mailbox *mb, struct file *file,
			   u32 len, u32 prio)
{
	if (!(file->f_mode & FMODE_WRITE))
		return -EBADF;
	if (prio > MBOX_PRIO_MAX)
		return -EINVAL;
	if (len > mb->q.msg_size_max || (mb->q.max_bytes && len > mb->q.max_bytes))
		return -EMSGSIZE;
	return 0;
}

/* Send @len bytes from @buf. Return: 0 or a negative errno. */
static int mbox_send(struct mbox_file *mf, struct file *file,
		     const void __user *buf, u32 len, u32 prio, u32 flags,
		     struct mbox_deadline *dl, u64 *seq)
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
	msg->confirm = (flags & MBOX_SEND_CONFIRM) || !mb->q.capacity;
	return mbox_queue_send(&mb->q, msg, dl, seq);
}

/*
 * MBOX_RECV_SEQ: the message with that sequence number (the queue's filter
 * picks it) if it is queued now. It never waits: a seq is given once, so
 * a message not queued now was taken or dropped, or was never sent.
 */
static int mbox_recv_seq(struct mbox_queue *q, struct mbox_rx *rx,
			 const struct mbox_deadline *dl)
{
	struct mbox_deadline now = *dl;
	int ret;

	now.nonblock = true;
	ret = mbox_queue_recv(q, rx, &now);
	return ret == -EAGAIN ? -ENOMSG : ret;
}

static int mbox_recv(struct mbox_file *mf, struct file *file, struct mbox_rx *rx,
		     struct mbox_deadline *dl)
{
	if (!(file->f_mode & FMODE_READ))
		return -EBADF;
	/* POSIX: a buffer that could not hold every message fails at once. */
	if ((rx->flags & MBOX_RECV_FULLSIZE) && rx->buflen < mf->mb->q.msg_size_max) {
		rx->len = mf->mb->q.msg_size_max;
		return -EMSGSIZE;
	}
	if (mf->mb->mb_flags & MBOX_MB_BROADCAST)
		return mbox_bcast_recv(mf, rx, dl);
	if (rx->flags & MBOX_RECV_SEQ)
		return mbox_recv_seq(&mf->mb->q, rx, dl);
	return mbox_queue_recv(&mf->mb->q, rx, dl);
}

/* Inline: the compiler then fills @rx once, not zeroed first and filled again. */
static __always_inline int mbox_rx_from_cmd(struct mbox_rx *rx,
					    const struct mbox_recv *cmd)
{
	int ret;

	/* Output fields (prio, uid, dropped; pid without FROM_PID, seq without
	 * RECV_SEQ) are ignored on input, so a struct can be reused from call
	 * to call.
	 */
	if (cmd->flags & ~MBOX_RECV_FLAGS || cmd->__reserved)
		return -EINVAL;
	/* A selected message is there now or never: no timeout to give. */
	if ((cmd->flags & MBOX_RECV_SEQ) &&
	    (cmd->flags & (MBOX_WAIT_TIMEOUT | MBOX_WAIT_ABSTIME)))
		return -EINVAL;
	ret = mbox_rx_init(rx, cmd->buf, cmd->len, cmd->flags, cmd->pid);
	rx->want_seq = cmd->seq;
	/* Reported back as it was given when no message is (-EMSGSIZE). */
	if (cmd->flags & MBOX_RECV_SEQ)
		rx->seq = cmd->seq;
	return ret;
}

/*
 * Write a receive's results into the user's struct mbox_recv (or batch
 * entry): only the fields marked out. Also called by the queue with page
 * faults disabled (see mbox_queue_recv()). Every version of the struct
 * has them all.
 */
static int mbox_recv_report(const struct mbox_rx *rx)
{
	struct mbox_recv __user *u = rx->report_to;

	if (!user_access_begin(u, sizeof(*u)))
		return -EFAULT;
	unsafe_put_user(rx->len, &u->len, efault);
	unsafe_put_user(rx->prio, &u->prio, efault);
	unsafe_put_user(rx->seq, &u->seq, efault);
	unsafe_put_user(rx->pid, &u->pid, efault);
	unsafe_put_user(rx->uid, &u->uid, efault);
	unsafe_put_user(rx->dropped, &u->dropped, efault);
	user_access_end();
	return 0;
efault:
	user_access_end();
	return -EFAULT;
}

/* A receive's results, unless the queue wrote them already. */
static int mbox_recv_respond(const struct mbox_rx *rx)
{
	return rx->reported ? 0 : mbox_recv_report(rx);
}

/* ---- ioctls on a mailbox descriptor ---- */

static int mbox_cmd_send(struct mbox_ucmd *ucmd)
{
	struct mbox_send *cmd = ucmd->cmd;
	struct mbox_deadline dl __uninitialized;	/* mbox_deadline_init() fills it */
	int ret;

	if (cmd->flags & ~MBOX_SEND_FLAGS)
		return -EINVAL;
	ret = mbox_deadline_init(&dl, ucmd->file, ucmd->watch, cmd->flags,
				 cmd->timeout_ns);
	if (ret)
		return ret;
	/* Fail before sending if the sequence number could not be handed back. */
	ret = mbox_ucmd_probe_out(ucmd);
	if (ret)
		return ret;
	ret = mbox_send(ucmd->file->private_data, ucmd->file,
			u64_to_user_ptr(cmd->buf), cmd->len, cmd->prio, cmd->flags,
			&dl, &cmd->seq);
	if (ret)
		return ret;
	/*
	 * The one output field: cheaper than writing the struct back. Sent is
	 * sent: if the struct was made read-only meanwhile, only the sequence
	 * number is lost (the field keeps what the caller put there).
	 */
	mbox_ucmd_put_u64(ucmd, offsetof(struct mbox_send, seq), cmd->seq);
	return 0;
}

static int mbox_cmd_recv(struct mbox_ucmd *ucmd)
{
	struct mbox_recv *cmd = ucmd->cmd;
	struct mbox_deadline dl __uninitialized;	/* mbox_deadline_init() fills it */
	struct mbox_rx rx __uninitialized;	/* mbox_rx_from_cmd() fills it */
	int ret, err;

	ret = mbox_deadline_init(&dl, ucmd->file, ucmd->watch, cmd->flags,
				 cmd->timeout_ns);
	if (ret)
		return ret;
	/* Fail before taking a message if the result could not be handed back. */
	ret = mbox_ucmd_probe_out(ucmd);
	if (ret)
		return ret;
	ret = mbox_rx_from_cmd(&rx, cmd);
	if (ret)
		return ret;
	rx.report = mbox_recv_report;
	rx.report_to = ucmd->ubuffer;
	ret = mbox_recv(ucmd->file->private_data, ucmd->file, &rx, &dl);
	mbox_rx_release(&rx);
	if (ret < 0 && ret != -EMSGSIZE)
		return ret;
	err = mbox_recv_respond(&rx);
	/*
	 * Received is received: the payload is in the buffer and the length is
	 * returned, even if another thread made the struct read-only since the
	 * probe. -EMSGSIZE still reports the length needed; nothing was taken.
	 */
	if (ret == -EMSGSIZE)
		return err ?: ret;
	return ret;
}

/* One entry of MBOX_IOC_SEND_BATCH (see batch.c). */
static int mbox_send_entry(void *ctx, void __user *uentry, u32 entry_size,
			   u32 flags, struct mbox_deadline *dl)
{
	struct file *file = ctx;
	struct mbox_send e;
	int ret;

	ret = mbox_copy_struct_in(&e, sizeof(e), uentry, entry_size);
	if (ret)
		return ret;
	if (e.size || e.flags || e.timeout_ns)
		return -EINVAL;
	/* Fail before sending if the sequence number could not be handed back. */
	if (put_user(e.seq, (u64 __user *)(uentry + offsetof(struct mbox_send, seq))))
		return -EFAULT;
	ret = mbox_send(file->private_data, file, u64_to_user_ptr(e.buf), e.len,
			e.prio, 0, dl, &e.seq);
	if (ret)
		return ret;
	/* The message is sent: a fault here only loses its sequence number. */
	if (put_user(e.seq, (u64 __user *)(uentry + offsetof(struct mbox_send, seq))))
		return 1;
	return 0;
}

/*
 * Does the user buffer @buf, @len bytes, overlap @cmd's entries? A burst
 * reads up to MBOX_BURST_MAX entries before the first takes effect: an
 * entry whose payload is read from, or copied into, the entries themselves
 * must see them as the one-by-one path would, so it goes that way.
 */
static bool mbox_burst_aliases(const struct mbox_batch *cmd, u64 buf, u32 len)
{
	/* count <= MBOX_BATCH_MAX, entry_size <= PAGE_SIZE: no overflow. */
	u64 end = cmd->msgs + (u64)cmd->count * cmd->entry_size;

	return buf < end && (buf + len > cmd->msgs || buf + len < buf);
}

/*
 * The fields of send entry @u that a burst needs, if it is a plain one
 * (no flags, no timeout) whose sequence number can be handed back; false
 * when it must go the ordinary way.
 */
static bool mbox_burst_send_entry(struct mbox_send __user *u, u64 *buf,
				  u32 *len, u32 *prio)
{
	u32 size, flags;
	s64 timeout;
	u64 seq;

	if (!user_access_begin(u, sizeof(*u)))
		return false;
	unsafe_get_user(size, &u->size, efault);
	unsafe_get_user(flags, &u->flags, efault);
	unsafe_get_user(*buf, &u->buf, efault);
	unsafe_get_user(*len, &u->len, efault);
	unsafe_get_user(*prio, &u->prio, efault);
	unsafe_get_user(timeout, &u->timeout_ns, efault);
	unsafe_get_user(seq, &u->seq, efault);
	/* Fail before sending if the sequence number could not be handed back. */
	unsafe_put_user(seq, &u->seq, efault);
	user_access_end();
	return !size && !flags && !timeout;
efault:
	user_access_end();
	return false;
}

/*
 * New messages for up to @n (at most MBOX_BURST_MAX) plain entries from
 * @first on, as mbox_send_entry() would send them: the entries read and
 * checked first, then the messages made together. Return: how many.
 */
static u32 mbox_burst_alloc(struct file *file, const struct mbox_batch *cmd,
			    u32 first, u32 n, struct mbox_msg **msgs)
{
	struct mbox_mailbox *mb = ((struct mbox_file *)file->private_data)->mb;
	struct mbox_msg_src src[MBOX_BURST_MAX];
	u32 k, len, prio;
	int made;
	u64 buf;

	for (k = 0; k < n; k++) {
		if (!mbox_burst_send_entry(mbox_batch_entry(cmd, first + k),
					   &buf, &len, &prio) ||
		    mbox_burst_aliases(cmd, buf, len) ||
		    mbox_check_send(mb, file, len, prio))
			break;
		src[k].buf = u64_to_user_ptr(buf);
		src[k].len = len;
		src[k].prio = prio;
	}
	made = k ? mbox_msg_alloc_burst(src, k, mb->obj.user, msgs) : 0;
	return made > 0 ? made : 0;
}

/*
 * Hand the sequence numbers of @n sent entries from @first on back. Sent is
 * sent: a fault only loses a sequence number, and ends the batch (*@stop).
 */
static void mbox_burst_seqs(const struct mbox_batch *cmd, u32 first, u32 n,
			    const u64 *seqs, bool *stop)
{
	u64 __user *useq;
	u32 i;

	for (i = 0; i < n; i++) {
		useq = mbox_batch_entry(cmd, first + i) + offsetof(struct mbox_send, seq);
		if (put_user(seqs[i], useq))
			*stop = true;
	}
}

/* The burst of MBOX_IOC_SEND_BATCH (see batch.c), on a buffering mailbox. */
static u32 mbox_send_burst(void *ctx, const struct mbox_batch *cmd, u32 first,
			   struct mbox_deadline *dl, bool *stop)
{
	struct file *file = ctx;
	struct mbox_queue *q = &((struct mbox_file *)file->private_data)->mb->q;
	struct mbox_msg *msgs[MBOX_BURST_MAX];
	u64 seqs[MBOX_BURST_MAX];
	u32 done = 0, n, k, sent, room;

	if (cmd->entry_size != sizeof(struct mbox_send) || !q->capacity)
		return 0;
	do {
		room = mbox_queue_room_hint(q);
		if (!room) {
			*stop = true;
			break;
		}
		n = min3(cmd->count - first - done, (u32)MBOX_BURST_MAX, room);
		k = mbox_burst_alloc(file, cmd, first + done, n, msgs);
		sent = k ? mbox_queue_send_burst(q, msgs, k, dl, seqs, stop) : 0;
		mbox_msg_put_burst(msgs + sent, k - sent);
		mbox_burst_seqs(cmd, first + done, sent, seqs, stop);
		done += sent;
	} while (sent == n && first + done < cmd->count && !*stop);
	return done;
}

static int mbox_cmd_send_batch(struct mbox_ucmd *ucmd)
{
	struct mbox_file *mf = ucmd->file->private_data;

	return mbox_batch_run(ucmd, &mf->mb->q, offsetofend(struct mbox_send, seq),
			      MBOX_WAIT_FLAGS, mbox_send_entry, mbox_send_burst,
			      ucmd->file);
}

/* One entry of MBOX_IOC_RECV_BATCH (see batch.c). */
static int mbox_recv_entry(void *ctx, void __user *uentry, u32 entry_size,
			   u32 flags, struct mbox_deadline *dl)
{
	size_t n = min_t(size_t, entry_size, sizeof(struct mbox_recv));
	struct file *file = ctx;
	struct mbox_recv e;
	struct mbox_rx rx;
	int ret, copied;

	ret = mbox_copy_struct_in(&e, sizeof(e), uentry, entry_size);
	if (ret)
		return ret;
	if (e.size || e.flags || e.timeout_ns)
		return -EINVAL;
	ret = mbox_rx_from_cmd(&rx, &e);
	if (ret)
		return ret;
	rx.flags = flags & MBOX_RECV_TRUNC;
	rx.report = mbox_recv_report;
	rx.report_to = uentry;
	/* Make sure the result can be written before a message is taken. */
	ret = mbox_user_probe_write(uentry, &e, n);
	if (ret)
		return ret;
	copied = mbox_recv(file->private_data, file, &rx, dl);
	if (copied < 0 && copied != -EMSGSIZE)
		return copied;
	ret = mbox_recv_respond(&rx);
	if (copied == -EMSGSIZE)
		return ret ?: copied;
	/* Received: a fault now (the entry unmapped since) ends the batch. */
	return ret ? 1 : 0;
}

/*
 * Where receive entry @u of @cmd wants its message, if it is a plain one
 * (no flags, no timeout, a buffer outside the entries) whose every byte can
 * be written, as the one-by-one path checks (its last word is written back
 * as read); false when it must go the ordinary way.
 */
static bool mbox_burst_recv_entry(const struct mbox_batch *cmd,
				  struct mbox_recv __user *u,
				  struct mbox_burst_slot *slot)
{
	u32 size, flags, len, reserved;
	s64 timeout;
	u64 buf;

	if (!user_access_begin(u, sizeof(*u)))
		return false;
	unsafe_get_user(size, &u->size, efault);
	unsafe_get_user(flags, &u->flags, efault);
	unsafe_get_user(buf, &u->buf, efault);
	unsafe_get_user(len, &u->len, efault);
	unsafe_get_user(timeout, &u->timeout_ns, efault);
	unsafe_get_user(reserved, &u->__reserved, efault);
	unsafe_put_user(reserved, &u->__reserved, efault);
	user_access_end();
	slot->buf = u64_to_user_ptr(buf);
	slot->buflen = len;
	slot->report_to = u;
	return !size && !flags && !timeout && !reserved &&
	       !mbox_burst_aliases(cmd, buf, len);
efault:
	user_access_end();
	return false;
}

/* The burst of MBOX_IOC_RECV_BATCH (see batch.c), on a plain mailbox. */
static u32 mbox_recv_burst(void *ctx, const struct mbox_batch *cmd, u32 first,
			   struct mbox_deadline *dl, bool *stop)
{
	struct file *file = ctx;
	struct mbox_mailbox *mb = ((struct mbox_file *)file->private_data)->mb;
	struct mbox_burst_slot slots[MBOX_BURST_MAX];
	u32 done = 0, n, k, got;
	struct mbox_rx rx;

	if (cmd->entry_size != sizeof(struct mbox_recv) ||
	    !(file->f_mode & FMODE_READ) || (mb->mb_flags & MBOX_MB_BROADCAST))
		return 0;
	mbox_rx_init(&rx, 0, 0, cmd->flags & MBOX_RECV_TRUNC, 0);
	rx.report = mbox_recv_report;
	do {
		n = min_t(u32, cmd->count - first - done, MBOX_BURST_MAX);
		for (k = 0; k < n; k++)
			if (!mbox_burst_recv_entry(cmd, mbox_batch_entry(cmd, first + done + k),
						   &slots[k]))
				break;
		got = k ? mbox_queue_recv_burst(&mb->q, &rx, slots, k, dl, stop) : 0;
		done += got;
	} while (got == n && first + done < cmd->count && !*stop);
	return done;
}

static int mbox_cmd_recv_batch(struct mbox_ucmd *ucmd)
{
	struct mbox_file *mf = ucmd->file->private_data;

	return mbox_batch_run(ucmd, &mf->mb->q,
			      offsetofend(struct mbox_recv, __reserved),
			      MBOX_WAIT_FLAGS | MBOX_RECV_TRUNC, mbox_recv_entry,
			      mbox_recv_burst, ucmd->file);
}

/*
 * Fill @info with @mb's attributes and counters, owners seen from @ns: the
 * one reading behind MBOX_IOC_INFO and the descriptor's fdinfo.
 */
static void mbox_mailbox_fill_info(struct mbox_info *info, struct mbox_mailbox *mb,
				   struct user_namespace *ns)
{
	memset(info, 0, sizeof(*info));
	info->id = mb->obj.id;
	if (strscpy(info->name, mb->obj.name, sizeof(info->name)) < 0)
		info->state |= MBOX_STATE_NAME_TRUNC;
	info->name_size = strlen(mb->obj.name) + 1;
	info->mode = mb->obj.mode;
	info->uid = from_kuid_munged(ns, mb->obj.uid);
	info->gid = from_kgid_munged(ns, mb->obj.gid);
	info->mb_flags = mb->mb_flags;
	info->capacity = mb->q.capacity;
	info->msg_size_max = mb->q.msg_size_max;
	info->max_bytes = mb->q.max_bytes;
	if (!mbox_obj_is_linked(&mb->obj))
		info->state |= MBOX_STATE_UNLINKED;

	spin_lock(&mb->q.lock);
	info->msgs = mb->q.nr_msgs;
	info->bytes = mb->q.nr_bytes;
	info->sent = mb->q.sent;
	info->received = mb->q.received;
	info->dropped = mb->q.dropped;
	info->send_waiters = mb->q.send_waiters;
	info->recv_waiters = mb->q.nr_receivers;
	info->subscribers = mb->nr_subs;
	spin_unlock(&mb->q.lock);
}

/*
 * Copy @name whole into the user's @ubuf of @size bytes, or as much as fits
 * and a NUL, as snprintf() does.
 */
static int mbox_name_to_user(u64 ubuf, u32 size, const char *name)
{
	size_t n = min_t(size_t, strlen(name), size - 1);

	if (copy_to_user(u64_to_user_ptr(ubuf), name, n) ||
	    put_user('\0', (char __user *)u64_to_user_ptr(ubuf) + n))
		return -EFAULT;
	return 0;
}

static int mbox_cmd_info(struct mbox_ucmd *ucmd)
{
	struct mbox_file *mf = ucmd->file->private_data;
	struct mbox_info *cmd = ucmd->cmd;
	u64 name_buf = cmd->name_buf;
	u32 name_size = cmd->name_size;
	int ret;

	if (cmd->flags || cmd->__reserved || !name_buf != !name_size)
		return -EINVAL;
	if (name_buf) {
		ret = mbox_name_to_user(name_buf, name_size, mf->mb->obj.name);
		if (ret)
			return ret;
	}
	mbox_mailbox_fill_info(cmd, mf->mb, current_user_ns());
	cmd->size = ucmd->user_size;
	cmd->name_buf = name_buf;
	return mbox_ucmd_respond(ucmd, sizeof(*cmd));
}

static const struct mbox_ioctl_op mbox_mailbox_ops[] = {
	MBOX_IOCTL_OP_OUT(MBOX_CMD_SEND, mbox_cmd_send, struct mbox_send, seq, seq),
	MBOX_IOCTL_OP_OUT(MBOX_CMD_RECV, mbox_cmd_recv, struct mbox_recv, __reserved,
			  len),
	MBOX_IOCTL_OP(MBOX_CMD_SEND_BATCH, mbox_cmd_send_batch, struct mbox_batch,
		      __reserved),
	MBOX_IOCTL_OP(MBOX_CMD_RECV_BATCH, mbox_cmd_recv_batch, struct mbox_batch,
		      __reserved),
	MBOX_IOCTL_OP(MBOX_CMD_INFO, mbox_cmd_info, struct mbox_info, state),
	MBOX_IOCTL_OP(MBOX_CMD_SUBSCRIBE, mbox_cmd_subscribe, struct mbox_subscribe,
		      __reserved),
	MBOX_IOCTL_OP(MBOX_CMD_NOTIFY, mbox_cmd_notify, struct mbox_notify,
		      __reserved),
};

static long mbox_mailbox_ioctl(struct file *file, unsigned int cmd,
			       unsigned long arg)
{
	return mbox_ioctl_dispatch(file, cmd, arg, mbox_mailbox_ops,
				   ARRAY_SIZE(mbox_mailbox_ops));
}

/* io_uring runs the same handlers (uring.c). */
static int mbox_mailbox_uring_cmd(struct io_uring_cmd *ioucmd, unsigned int issue_flags)
{
	return mbox_uring_cmd(ioucmd, issue_flags, mbox_mailbox_ops, ARRAY_SIZE(mbox_mailbox_ops));
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
	ret = mbox_deadline_init(&dl, file, NULL, 0, 0);
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

	ret = mbox_deadline_init(&dl, file, NULL, 0, 0);
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

	poll_wait(file, &mb->q.recv_wq, pt);
	poll_wait(file, &mb->q.send_wq, pt);
	spin_lock(&mb->q.lock);
	if (mb->mb_flags & MBOX_MB_BROADCAST) {
		if (mbox_bcast_readable(mb, mf->sub))
			mask |= EPOLLIN | EPOLLRDNORM;
	} else if (mbox_queue_find(&mb->q, &any)) {
		mask |= EPOLLIN | EPOLLRDNORM;
	}
	if (mbox_queue_has_room(&mb->q, 0))
		mask |= EPOLLOUT | EPOLLWRNORM;
	spin_unlock(&mb->q.lock);
	return mask;
}

/* Every close(): the closing process's notification goes (mq_notify()). */
static int mbox_mailbox_flush(struct file *file, fl_owner_t id)
{
	struct mbox_file *mf = file->private_data;

	mbox_notify_flush(mf->mb);
	return 0;
}

static int mbox_mailbox_release(struct inode *inode, struct file *file)
{
	struct mbox_file *mf = file->private_data;

	mbox_bcast_unsubscribe(mf);
	mbox_obj_put(&mf->mb->obj);
	kfree(mf);
	return 0;
}

/*
 * /proc/<pid>/fdinfo/<fd>: what MBOX_IOC_INFO reports, one "mbox-" key a
 * line, owners in the reader's user namespace; then the descriptor's own
 * access and subscription.
 */
static void mbox_mailbox_show_fdinfo(struct seq_file *m, struct file *file)
{
	struct mbox_file *mf = file->private_data;
	struct mbox_info info;

	mbox_mailbox_fill_info(&info, mf->mb, seq_user_ns(m));
	seq_puts(m, "mbox-type:\tmailbox\n");
	seq_printf(m, "mbox-id:\t%llu\n", info.id);
	seq_printf(m, "mbox-name:\t%s\n", mf->mb->obj.name);
	seq_printf(m, "mbox-access:\t%s%s\n",
		   (file->f_mode & FMODE_WRITE) ? "send" : "",
		   (file->f_mode & FMODE_READ) ?
		   ((file->f_mode & FMODE_WRITE) ? ",recv" : "recv") : "");
	seq_printf(m, "mbox-subscribed:\t%d\n", READ_ONCE(mf->sub) ? 1 : 0);
	seq_printf(m, "mbox-mode:\t%04o\n", info.mode);
	seq_printf(m, "mbox-uid:\t%u\n", info.uid);
	seq_printf(m, "mbox-gid:\t%u\n", info.gid);
	seq_printf(m, "mbox-flags:\t%#x\n", info.mb_flags);
	seq_printf(m, "mbox-capacity:\t%u\n", info.capacity);
	seq_printf(m, "mbox-msg-size-max:\t%u\n", info.msg_size_max);
	seq_printf(m, "mbox-max-bytes:\t%llu\n", info.max_bytes);
	seq_printf(m, "mbox-msgs:\t%llu\n", info.msgs);
	seq_printf(m, "mbox-bytes:\t%llu\n", info.bytes);
	seq_printf(m, "mbox-sent:\t%llu\n", info.sent);
	seq_printf(m, "mbox-received:\t%llu\n", info.received);
	seq_printf(m, "mbox-dropped:\t%llu\n", info.dropped);
	seq_printf(m, "mbox-send-waiters:\t%u\n", info.send_waiters);
	seq_printf(m, "mbox-recv-waiters:\t%u\n", info.recv_waiters);
	seq_printf(m, "mbox-subscribers:\t%u\n", info.subscribers);
	seq_printf(m, "mbox-state:\t%#x\n", info.state);
}

static const struct file_operations mbox_mailbox_fops = {
	.owner = THIS_MODULE,
	.read = mbox_mailbox_read,
	.write = mbox_mailbox_write,
	.poll = mbox_mailbox_poll,
	.unlocked_ioctl = mbox_mailbox_ioctl,
	.uring_cmd = mbox_mailbox_uring_cmd,
	.compat_ioctl = compat_ptr_ioctl,
	.flush = mbox_mailbox_flush,
	.release = mbox_mailbox_release,
	.show_fdinfo = mbox_mailbox_show_fdinfo,
};

/* ---- creation, opening, destruction ---- */

static void mbox_mailbox_destroy(struct mbox_obj *obj)
{
	struct mbox_mailbox *mb = to_mailbox(obj);

	/* No descriptor is left, so nobody waits and nothing is claimed. */
	mbox_queue_purge(&mb->q);
	/* Left only when its owner's last close ran in another process. */
	mbox_notify_free(mb->notify);
	atomic_long_dec(&mbox_nr_mailboxes);
	kfree(mb);
}

/* /proc/mbox/objects: what MBOX_IOC_INFO reports, read by the same code. */
static void mbox_mailbox_show(struct seq_file *m, struct mbox_obj *obj)
{
	struct mbox_info info;

	mbox_mailbox_fill_info(&info, to_mailbox(obj), seq_user_ns(m));
	seq_printf(m, " flags=%#x capacity=%u msg_size_max=%u max_bytes=%llu",
		   info.mb_flags, info.capacity, info.msg_size_max, info.max_bytes);
	seq_printf(m, " msgs=%llu bytes=%llu sent=%llu received=%llu dropped=%llu",
		   info.msgs, info.bytes, info.sent, info.received, info.dropped);
	seq_printf(m, " send_waiters=%u recv_waiters=%u subscribers=%u",
		   info.send_waiters, info.recv_waiters, info.subscribers);
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

static int mbox_open_check(const void *arg, const char *name)
{
	const struct mbox_open *cmd = arg;
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

static u32 mbox_mailbox_qflags(u32 mb_flags)
{
	return ((mb_flags & MBOX_MB_BROADCAST) ? MBOX_Q_BCAST : 0) |
	       ((mb_flags & MBOX_MB_DROP_OLDEST) ? MBOX_Q_DROP_OLDEST : 0);
}

/* A new mailbox as @arg (struct mbox_open) asks. Return: it, or ERR_PTR. */
static struct mbox_obj *mbox_mailbox_make(const void *arg)
{
	const struct mbox_open *cmd = arg;
	struct mbox_mailbox *mb;
	int ret;

	mb = kzalloc(sizeof(*mb), GFP_KERNEL_ACCOUNT);
	if (!mb)
		return ERR_PTR(-ENOMEM);
	/* The umask of the task that creates, as open(2) and mq_open() apply. */
	ret = mbox_obj_init(&mb->obj, &mbox_mailbox_obj_ops,
			    (cmd->flags & MBOX_OPEN_UMASK) ?
			    cmd->mode & ~current_umask() : cmd->mode);
	if (ret) {
		kfree(mb);
		return ERR_PTR(ret);
	}
	mb->mb_flags = cmd->mb_flags;
	mbox_queue_init(&mb->q, (cmd->mb_flags & MBOX_MB_BROADCAST) ?
			&mbox_bcast_queue_ops : &mbox_notify_queue_ops, &mb->obj.id,
			mbox_mailbox_qflags(cmd->mb_flags), cmd->capacity,
			cmd->msg_size_max, cmd->max_bytes);
	INIT_LIST_HEAD(&mb->subs);
	atomic_long_inc(&mbox_nr_mailboxes);
	return &mb->obj;
}

/* A descriptor of @obj as @arg (struct mbox_open) asks. */
static struct file *mbox_mailbox_file(struct mbox_obj *obj, const void *arg)
{
	const struct mbox_open *cmd = arg;
	struct mbox_file *mf;
	struct file *file;
	int oflags;

	mf = kzalloc(sizeof(*mf), GFP_KERNEL_ACCOUNT);
	if (!mf)
		return ERR_PTR(-ENOMEM);
	mf->mb = to_mailbox(obj);
	oflags = (cmd->flags & MBOX_OPEN_SEND) ?
		 ((cmd->flags & MBOX_OPEN_RECV) ? O_RDWR : O_WRONLY) : O_RDONLY;
	if (cmd->flags & MBOX_OPEN_NONBLOCK)
		oflags |= O_NONBLOCK;
	file = anon_inode_getfile("[mbox]", &mbox_mailbox_fops, mf, oflags);
	if (IS_ERR(file))
		kfree(mf);
	return file;
}

int mbox_mailbox_open(struct mbox_ucmd *ucmd)
{
	struct mbox_open *cmd = ucmd->cmd;
	const struct mbox_obj_opener op = {
		.ops = &mbox_mailbox_obj_ops,
		.uname = cmd->name,
		.id = cmd->id,
		.create = cmd->flags & MBOX_OPEN_CREATE,
		.excl = cmd->flags & MBOX_OPEN_EXCL,
		.may = ((cmd->flags & MBOX_OPEN_RECV) ? MAY_READ : 0) |
		       ((cmd->flags & MBOX_OPEN_SEND) ? MAY_WRITE : 0),
		.cloexec = cmd->flags & MBOX_OPEN_CLOEXEC,
		.check = mbox_open_check,
		.make = mbox_mailbox_make,
		.open_file = mbox_mailbox_file,
		.arg = cmd,
	};

	return mbox_obj_open_fd(ucmd, sizeof(*cmd), &cmd->id, &op);
}
