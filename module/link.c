// SPDX-License-Identifier: GPL-2.0
/*
 * mbox: messages over direct links, calls, and the endpoint and link
 * descriptors.
 *
 * A message on a link is queued in the receiving endpoint's inbox (a queue,
 * queue.c) in its direction's flow: the same two-phase receive, rendezvous
 * hand-over and withdrawal as for mailboxes. A synchronous send is a
 * rendezvous offer; an asynchronous one is bounded per direction by the
 * receiver's capacity. Endpoints and the link graph are endpoint.c's.
 *
 * Calls. The caller's request carries a kernel-chosen call ID and a record
 * (struct mbox_call_rec) that the server keeps once it has received the
 * request. A reply is accepted only from the server holding that record,
 * and only while the caller's receive expects it (struct mbox_expect, see
 * queue.h), so it can reach no other call and no abandoned call: a reply
 * that comes after the caller gave up is refused with -ENOENT.
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/pagemap.h>
#include <linux/poll.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "endpoint.h"
#include "limits.h"
#include "msg.h"
#include "ucmd.h"
#include "uring.h"
#include "wait.h"

#define MBOX_EP_FLAGS		(MBOX_EP_CLOEXEC | MBOX_EP_NONBLOCK)
#define MBOX_EP_MODES		0022	/* group and other write: who else may send */
#define MBOX_LINK_SEND_FLAGS	(MBOX_WAIT_FLAGS | MBOX_LINK_ASYNC | MBOX_LINK_REPLY | \
				 MBOX_PEER_PIDFD)
#define MBOX_LINK_RECV_FLAGS	(MBOX_WAIT_FLAGS | MBOX_RECV_PEEK | MBOX_RECV_TRUNC | \
				 MBOX_RECV_FROM_PID | MBOX_RECV_REPLY | MBOX_PEER_PIDFD)
#define MBOX_LINK_OPEN_FLAGS	(MBOX_LINK_CLOEXEC | MBOX_LINK_NONBLOCK | MBOX_PEER_PIDFD)
#define MBOX_CALL_FLAGS		(MBOX_WAIT_FLAGS | MBOX_PEER_PIDFD)

/* How mbox_link_lookup() takes the pid field of a command with @flags. */
static unsigned int mbox_lookup_how(u32 flags, bool create)
{
	return (create ? MBOX_LOOKUP_CREATE : 0) |
	       ((flags & MBOX_PEER_PIDFD) ? MBOX_LOOKUP_PIDFD : 0);
}

static atomic64_t mbox_next_call_id = ATOMIC64_INIT(0);

/**
 * struct mbox_link_file - a link descriptor's private data
 * @link: the link (a reference)
 * @me: our end (a reference)
 */
struct mbox_link_file {
	struct mbox_link *link;
	struct mbox_ep *me;
};

static const struct file_operations mbox_link_fops;

/* The direction of @link that delivers to @me, and the one away from it. */
static struct mbox_chan *mbox_chan_in(struct mbox_link *link, struct mbox_ep *me)
{
	return &link->chan[mbox_link_side(link, me)];
}

static struct mbox_chan *mbox_chan_out(struct mbox_link *link, struct mbox_ep *me)
{
	return &link->chan[!mbox_link_side(link, me)];
}

/* ---- sending ---- */

/* A link message is freed: drop its call record and its link reference. */
static void mbox_link_msg_release(struct mbox_msg *msg)
{
	struct mbox_chan *chan = container_of(msg->flow, struct mbox_chan, flow);

	if (msg->call)
		mbox_call_rec_free(msg->call);
	mbox_link_put(chan->link);
}

/*
 * Put @msg (from mbox_msg_alloc(), by @me) on @link, to the peer; the
 * caller sets the kind. On error the caller still owns @msg as it was.
 */
static int mbox_link_attach(struct mbox_ep *me, struct mbox_link *link,
			    struct mbox_msg *msg)
{
	struct mbox_chan *chan = mbox_chan_out(link, me);

	if (READ_ONCE(chan->flow.dead))
		return -EPIPE;
	if (msg->len > chan->to->msg_size_max)
		return -EMSGSIZE;
	mbox_link_get(link);
	msg->flow = &chan->flow;
	msg->release = mbox_link_msg_release;
	return 0;
}

/* A message from @me on @link, to the peer; the caller sets the kind. */
static struct mbox_msg *mbox_link_msg(struct mbox_ep *me, struct mbox_link *link,
				      u64 buf, u32 len)
{
	struct mbox_msg *msg;
	int ret;

	msg = mbox_msg_alloc(u64_to_user_ptr(buf), len, me->obj.user);
	if (IS_ERR(msg))
		return msg;
	ret = mbox_link_attach(me, link, msg);
	if (ret) {
		mbox_msg_put(msg);
		return ERR_PTR(ret);
	}
	return msg;
}

/* Queue @msg (from mbox_link_msg()) in its receiver's inbox. */
static int mbox_link_queue(struct mbox_msg *msg, struct mbox_deadline *dl,
			   u64 *seq)
{
	struct mbox_chan *chan = container_of(msg->flow, struct mbox_chan, flow);

	/* The message's link reference keeps the inbox alive meanwhile. */
	return mbox_queue_send(&chan->to->inbox, msg, dl, seq);
}

/* Send @msg (consumed) from @me over @link, as @cmd asks. */
static int mbox_link_send_msg(struct mbox_ep *me, struct mbox_link *link,
			      struct mbox_msg *msg, struct mbox_link_send *cmd,
			      struct mbox_deadline *dl)
{
	int ret = mbox_link_attach(me, link, msg);

	if (ret) {
		mbox_msg_put(msg);
		return ret;
	}
	msg->confirm = !(cmd->flags & MBOX_LINK_ASYNC);
	return mbox_link_queue(msg, dl, &cmd->seq);
}

static int mbox_link_send(struct mbox_ep *me, struct mbox_link *link,
			  struct mbox_link_send *cmd, struct mbox_deadline *dl)
{
	struct mbox_msg *msg;

	msg = mbox_msg_alloc(u64_to_user_ptr(cmd->buf), cmd->len, me->obj.user);
	if (IS_ERR(msg))
		return PTR_ERR(msg);
	return mbox_link_send_msg(me, link, msg, cmd, dl);
}

/*
 * The link to the process @nr (mbox_link_lookup() with @how), referenced,
 * with @msg attached; on error @msg is still the caller's, as it was. A
 * link that dies between the lookup and the attach (its peer's endpoint
 * went, and was taken off the tables before the link was killed) is looked
 * up again, so the answer is the peer's state now (a new link, or
 * -ECONNREFUSED, -ESRCH), as for a send a moment later: never the -EPIPE
 * of a link descriptor. A peer whose endpoints keep going that fast has
 * gone while we sent: -ECONNRESET.
 */
static struct mbox_link *mbox_link_attach_pid(struct mbox_ep *me, s32 nr,
					      unsigned int how,
					      struct mbox_msg *msg)
{
	struct mbox_link *link;
	int ret, tries;

	for (tries = 0; tries < 3; tries++) {
		link = mbox_link_lookup(me, nr, how);
		if (IS_ERR(link))
			return link;
		ret = mbox_link_attach(me, link, msg);
		if (!ret)
			return link;
		mbox_link_put(link);
		if (ret != -EPIPE)
			return ERR_PTR(ret);
	}
	return ERR_PTR(-ECONNRESET);
}

/* Send to the process @cmd->pid: the message is copied in before the link
 * is looked up (or made), so a bad buffer makes no link.
 */
static int mbox_link_send_pid(struct mbox_ep *me, struct mbox_link_send *cmd,
			      struct mbox_deadline *dl)
{
	struct mbox_link *link;
	struct mbox_msg *msg;
	int ret;

	msg = mbox_msg_alloc(u64_to_user_ptr(cmd->buf), cmd->len, me->obj.user);
	if (IS_ERR(msg))
		return PTR_ERR(msg);
	link = mbox_link_attach_pid(me, cmd->pid,
				    mbox_lookup_how(cmd->flags, true), msg);
	if (IS_ERR(link)) {
		mbox_msg_put(msg);
		return PTR_ERR(link);
	}
	msg->confirm = !(cmd->flags & MBOX_LINK_ASYNC);
	ret = mbox_link_queue(msg, dl, &cmd->seq);
	mbox_link_put(link);
	return ret;
}

/* Answer call @cmd->call_id, which @me received. */
static int mbox_link_reply(struct mbox_ep *me, struct mbox_link_send *cmd,
			   struct mbox_deadline *dl)
{
	struct mbox_call_rec *rec;
	struct mbox_msg *msg;
	int ret;

	rec = mbox_pending_take(me, cmd->call_id);
	if (!rec)
		return -ENOENT;
	msg = mbox_link_msg(me, rec->link, cmd->buf, cmd->len);
	if (IS_ERR(msg)) {
		ret = PTR_ERR(msg);
		/* Not sent: the server may try again (but not on a dead link). */
		if (ret == -EPIPE)
			mbox_call_rec_free(rec);
		else
			mbox_pending_add(me, rec);
		return ret;
	}
	msg->reply = true;
	msg->call_id = cmd->call_id;
	ret = mbox_link_queue(msg, dl, &cmd->seq);
	mbox_call_rec_free(rec);
	return ret == -ECONNRESET ? -EPIPE : ret;
}

/* ---- receiving ---- */

static int mbox_link_recv(struct mbox_ep *me, struct mbox_rx *rx,
			  struct mbox_deadline *dl)
{
	int ret = mbox_queue_recv(&me->inbox, rx, dl);

	/* A call received: keep its record until it is answered. */
	if (rx->call) {
		mbox_pending_add(me, rx->call);
		rx->call = NULL;
	}
	return ret;
}

static int mbox_link_recv_check(const struct mbox_link_recv *cmd)
{
	if (cmd->flags & ~MBOX_LINK_RECV_FLAGS || cmd->__reserved)
		return -EINVAL;
	if ((cmd->flags & MBOX_RECV_REPLY) &&
	    (!cmd->call_id || (cmd->flags & MBOX_RECV_FROM_PID)))
		return -EINVAL;
	if (!(cmd->flags & MBOX_RECV_FROM_PID) &&
	    (cmd->pid || (cmd->flags & MBOX_PEER_PIDFD)))
		return -EINVAL;
	return 0;
}

static int mbox_rx_from_link_cmd(struct mbox_rx *rx, const struct mbox_link_recv *cmd)
{
	int ret = mbox_link_recv_check(cmd);

	if (ret)
		return ret;
	/* The peer is matched by its link (rx->flow), not by pid. */
	mbox_rx_init(rx, cmd->buf, cmd->len,
		     cmd->flags & ~(MBOX_RECV_FROM_PID | MBOX_PEER_PIDFD), 0);
	if (cmd->flags & MBOX_RECV_REPLY)
		rx->call_id = cmd->call_id;
	return 0;
}

/*
 * Write a link receive's results into the user's struct: only the fields
 * marked out, as a mailbox receive does (mbox_recv_report()). Every version
 * of the struct has them all (its table entry's min_size is its size).
 */
static int mbox_link_recv_report(struct mbox_link_recv __user *u,
				 const struct mbox_rx *rx)
{
	if (!user_access_begin(u, sizeof(*u)))
		return -EFAULT;
	unsafe_put_user(rx->pid, &u->pid, efault);
	unsafe_put_user(rx->len, &u->len, efault);
	unsafe_put_user(rx->seq, &u->seq, efault);
	unsafe_put_user(rx->call_id, &u->call_id, efault);
	unsafe_put_user(rx->link_id, &u->link_id, efault);
	unsafe_put_user(rx->uid, &u->uid, efault);
	user_access_end();
	return 0;
efault:
	user_access_end();
	return -EFAULT;
}

/*
 * Receive on @me, from @link's peer only if @link; report like a mailbox
 * receive (mbox_cmd_recv()): -EMSGSIZE still tells the length needed.
 */
static int mbox_link_cmd_recv(struct mbox_ucmd *ucmd, struct mbox_ep *me,
			      struct mbox_link *link)
{
	struct mbox_link_recv *cmd = ucmd->cmd;
	struct mbox_deadline dl __uninitialized;	/* mbox_deadline_init() fills it */
	struct mbox_rx rx __uninitialized;	/* mbox_rx_from_link_cmd() fills it */
	int ret, err;

	ret = mbox_rx_from_link_cmd(&rx, cmd);
	if (ret)
		return ret;
	ret = mbox_deadline_init(&dl, ucmd->file, ucmd->watch, cmd->flags,
				 cmd->timeout_ns);
	if (ret)
		return ret;
	/* Fail before taking a message if the result could not be handed back. */
	ret = mbox_ucmd_probe_out(ucmd);
	if (ret)
		return ret;
	if (link)
		rx.flow = &mbox_chan_in(link, me)->flow;
	ret = mbox_link_recv(me, &rx, &dl);
	if (ret < 0 && ret != -EMSGSIZE)
		return ret;
	err = mbox_link_recv_report(ucmd->ubuffer, &rx);
	/* Received is received (see mbox_cmd_recv()). */
	if (ret == -EMSGSIZE)
		return err ?: ret;
	return ret;
}

/* ---- ioctls on an endpoint descriptor ---- */

static int mbox_ep_cmd_send(struct mbox_ucmd *ucmd)
{
	struct mbox_ep *me = ucmd->file->private_data;
	struct mbox_link_send *cmd = ucmd->cmd;
	struct mbox_deadline dl __uninitialized;	/* mbox_deadline_init() fills it */
	int ret;

	if (cmd->flags & ~MBOX_LINK_SEND_FLAGS)
		return -EINVAL;
	if (!!(cmd->flags & MBOX_LINK_REPLY) != !!cmd->call_id)
		return -EINVAL;
	if ((cmd->flags & MBOX_LINK_REPLY) && (cmd->pid || (cmd->flags & MBOX_PEER_PIDFD)))
		return -EINVAL;
	ret = mbox_deadline_init(&dl, ucmd->file, ucmd->watch, cmd->flags,
				 cmd->timeout_ns);
	if (ret)
		return ret;
	ret = mbox_ucmd_probe_out(ucmd);
	if (ret)
		return ret;
	if (cmd->flags & MBOX_LINK_REPLY)
		ret = mbox_link_reply(me, cmd, &dl);
	else
		ret = mbox_link_send_pid(me, cmd, &dl);
	if (ret)
		return ret;
	/* Sent is sent: a fault now only loses the sequence number. */
	mbox_ucmd_put_u64(ucmd, offsetof(struct mbox_link_send, seq), cmd->seq);
	return 0;
}

static int mbox_ep_cmd_recv(struct mbox_ucmd *ucmd)
{
	struct mbox_ep *me = ucmd->file->private_data;
	struct mbox_link_recv *cmd = ucmd->cmd;
	struct mbox_link *link = NULL;
	int ret;

	if (cmd->flags & MBOX_RECV_FROM_PID) {
		/* Before a link is made for it. */
		ret = mbox_link_recv_check(cmd) ?: mbox_ucmd_probe_out(ucmd);
		if (ret)
			return ret;
		link = mbox_link_lookup(me, cmd->pid, mbox_lookup_how(cmd->flags, true));
		if (IS_ERR(link))
			return PTR_ERR(link);
		cmd->pid = 0;
	}
	ret = mbox_link_cmd_recv(ucmd, me, link);
	if (link)
		mbox_link_put(link);
	return ret;
}

/*
 * Queue the request @msg (consumed; attached to @link by
 * mbox_link_attach_pid()) on @link, then wait for its reply on
 * our inbox. A reply that can not be copied out (its buffer unmapped after
 * the checks in mbox_ep_cmd_call()) is discarded: nobody else may take it.
 */
static int mbox_call(struct mbox_ep *me, struct mbox_link *link,
		     struct mbox_msg *msg, struct mbox_call *cmd,
		     struct mbox_deadline *dl)
{
	struct mbox_expect expect = {
		.call_id = atomic64_inc_return(&mbox_next_call_id),
		.watch = dl->watch,
	};
	struct mbox_call_rec *rec;
	struct mbox_rx rx;
	u64 seq;
	int ret;

	rec = kmalloc(sizeof(*rec), GFP_KERNEL_ACCOUNT);
	if (!rec) {
		mbox_msg_put(msg);	/* drops its link reference too */
		return -ENOMEM;
	}
	mbox_link_get(link);
	rec->link = link;
	rec->id = expect.call_id;
	msg->call = rec;
	msg->call_id = expect.call_id;
	cmd->call_id = expect.call_id;
	mbox_rx_init(&rx, cmd->reply_buf, cmd->reply_len, MBOX_RECV_REPLY, 0);
	rx.call_id = expect.call_id;
	rx.flow = &mbox_chan_in(link, me)->flow;
	rx.expect = &expect;
	rx.discard_on_fault = true;

	/* Expected before the request can be answered; ended by the receive. */
	mbox_queue_expect(&me->inbox, &expect);
	ret = mbox_link_queue(msg, dl, &seq);
	if (!ret)
		ret = mbox_queue_recv(&me->inbox, &rx, dl);
	else
		mbox_queue_unexpect(&me->inbox, &expect);

	if (ret >= 0 || ret == -EMSGSIZE)
		cmd->reply_len = rx.len;
	/* Restarting would send the request again. */
	return ret == -ERESTARTSYS ? -EINTR : ret;
}

/*
 * Before the request goes: the struct must take the result and the reply
 * buffer must be writable (as far as a reply to @me can be long), so that
 * a call that fails on them sent nothing.
 */
static int mbox_call_check(struct mbox_ucmd *ucmd, struct mbox_ep *me)
{
	struct mbox_call *cmd = ucmd->cmd;
	size_t n = min(cmd->reply_len, me->msg_size_max);
	int ret;

	ret = mbox_ucmd_probe_out(ucmd);
	if (ret)
		return ret;
	if (n && fault_in_safe_writeable(u64_to_user_ptr(cmd->reply_buf), n))
		return -EFAULT;
	return 0;
}

static int mbox_ep_cmd_call(struct mbox_ucmd *ucmd)
{
	struct mbox_ep *me = ucmd->file->private_data;
	struct mbox_call *cmd = ucmd->cmd;
	struct mbox_deadline dl __uninitialized;	/* mbox_deadline_init() fills it */
	struct mbox_link *link;
	struct mbox_msg *msg;
	int ret, err;

	if (cmd->flags & ~MBOX_CALL_FLAGS || cmd->__reserved || cmd->call_id)
		return -EINVAL;
	ret = mbox_deadline_init(&dl, ucmd->file, ucmd->watch, cmd->flags,
				 cmd->timeout_ns);
	if (ret)
		return ret;
	ret = mbox_call_check(ucmd, me);
	if (ret)
		return ret;
	msg = mbox_msg_alloc(u64_to_user_ptr(cmd->buf), cmd->len, me->obj.user);
	if (IS_ERR(msg))
		return PTR_ERR(msg);
	link = mbox_link_attach_pid(me, cmd->pid,
				    mbox_lookup_how(cmd->flags, true), msg);
	if (IS_ERR(link)) {
		mbox_msg_put(msg);
		return PTR_ERR(link);
	}
	ret = mbox_call(me, link, msg, cmd, &dl);
	mbox_link_put(link);
	if (ret < 0 && ret != -EMSGSIZE)
		return ret;
	/*
	 * Answered is answered: the reply is in the buffer and its length is
	 * returned even if the struct can no longer be written (checked before
	 * the request went). After -EMSGSIZE the reply is kept for
	 * MBOX_RECV_REPLY: the struct says its call and length.
	 */
	err = mbox_ucmd_respond(ucmd, sizeof(*cmd));
	if (ret == -EMSGSIZE)
		return err ?: ret;
	return ret;
}

/*
 * Fill @info with @link's counters as @me sees them, the peer's pid seen
 * from @ns: the one reading behind MBOX_IOC_LINK_INFO and a link
 * descriptor's fdinfo.
 */
static void mbox_link_fill_info(struct mbox_link_info *info, struct mbox_ep *me,
				struct mbox_link *link, struct pid_namespace *ns)
{
	struct mbox_flow *in = &mbox_chan_in(link, me)->flow;
	struct mbox_chan *out = mbox_chan_out(link, me);
	struct mbox_ep *peer = out->to;

	memset(info, 0, sizeof(*info));
	info->id = link->id;
	info->pid = pid_nr_ns(peer->pid, ns);
	spin_lock(&me->inbox.lock);
	info->queued_in = in->nr_msgs;
	info->received = in->received;
	if (in->dead)
		info->state |= MBOX_LINK_DEAD;
	spin_unlock(&me->inbox.lock);
	spin_lock(&peer->inbox.lock);
	info->queued_out = out->flow.nr_msgs;
	info->sent = out->flow.sent;
	info->capacity = out->flow.capacity;
	if (out->flow.dead)
		info->state |= MBOX_LINK_DEAD;
	spin_unlock(&peer->inbox.lock);
	if (info->state & MBOX_LINK_DEAD)
		info->pid = 0;
}

static int mbox_link_respond_info(struct mbox_ucmd *ucmd, struct mbox_ep *me,
				  struct mbox_link *link)
{
	struct mbox_link_info *cmd = ucmd->cmd;
	u32 flags = cmd->flags;

	mbox_link_fill_info(cmd, me, link, task_active_pid_ns(current));
	cmd->size = ucmd->user_size;
	cmd->flags = flags;
	return mbox_ucmd_respond(ucmd, sizeof(*cmd));
}

static int mbox_ep_cmd_link_info(struct mbox_ucmd *ucmd)
{
	struct mbox_ep *me = ucmd->file->private_data;
	struct mbox_link_info *cmd = ucmd->cmd;
	struct mbox_link *link;
	int ret;

	if (cmd->flags & ~MBOX_PEER_PIDFD || cmd->state || cmd->__reserved)
		return -EINVAL;
	link = mbox_link_lookup(me, cmd->pid, mbox_lookup_how(cmd->flags, false));
	if (IS_ERR(link))
		return PTR_ERR(link);
	ret = mbox_link_respond_info(ucmd, me, link);
	mbox_link_put(link);
	return ret;
}

static int mbox_ep_cmd_info(struct mbox_ucmd *ucmd)
{
	struct mbox_ep *me = ucmd->file->private_data;
	struct mbox_endpoint_info *cmd = ucmd->cmd;

	if (cmd->flags)
		return -EINVAL;
	mbox_ep_fill_info(cmd, me, task_active_pid_ns(current));
	cmd->size = ucmd->user_size;
	return mbox_ucmd_respond(ucmd, sizeof(*cmd));
}

/* The pid namespace of the /proc an fdinfo file is read through. */
static struct pid_namespace *mbox_seq_pid_ns(struct seq_file *m)
{
	return proc_pid_ns(file_inode(m->file)->i_sb);
}

/* ---- link descriptors ---- */

static int mbox_lf_cmd_send(struct mbox_ucmd *ucmd)
{
	struct mbox_link_file *lf = ucmd->file->private_data;
	struct mbox_link_send *cmd = ucmd->cmd;
	struct mbox_deadline dl __uninitialized;	/* mbox_deadline_init() fills it */
	int ret;

	if (cmd->flags & ~(MBOX_WAIT_FLAGS | MBOX_LINK_ASYNC) || cmd->pid || cmd->call_id)
		return -EINVAL;
	ret = mbox_deadline_init(&dl, ucmd->file, ucmd->watch, cmd->flags,
				 cmd->timeout_ns);
	if (ret)
		return ret;
	ret = mbox_ucmd_probe_out(ucmd);
	if (ret)
		return ret;
	ret = mbox_link_send(lf->me, lf->link, cmd, &dl);
	if (ret)
		return ret;
	/* Sent is sent: a fault now only loses the sequence number. */
	mbox_ucmd_put_u64(ucmd, offsetof(struct mbox_link_send, seq), cmd->seq);
	return 0;
}

static int mbox_lf_cmd_recv(struct mbox_ucmd *ucmd)
{
	struct mbox_link_file *lf = ucmd->file->private_data;
	struct mbox_link_recv *cmd = ucmd->cmd;

	if (cmd->flags & (MBOX_RECV_FROM_PID | MBOX_RECV_REPLY | MBOX_PEER_PIDFD))
		return -EINVAL;
	return mbox_link_cmd_recv(ucmd, lf->me, lf->link);
}

static int mbox_lf_cmd_info(struct mbox_ucmd *ucmd)
{
	struct mbox_link_file *lf = ucmd->file->private_data;
	struct mbox_link_info *cmd = ucmd->cmd;

	if (cmd->flags || cmd->pid || cmd->state || cmd->__reserved)
		return -EINVAL;
	return mbox_link_respond_info(ucmd, lf->me, lf->link);
}

static const struct mbox_ioctl_op mbox_link_file_ops[] = {
	MBOX_IOCTL_OP_OUT(MBOX_CMD_LINK_SEND, mbox_lf_cmd_send, struct mbox_link_send,
			  seq, seq),
	MBOX_IOCTL_OP_OUT(MBOX_CMD_LINK_RECV, mbox_lf_cmd_recv, struct mbox_link_recv,
			  __reserved, size),
	MBOX_IOCTL_OP(MBOX_CMD_LINK_INFO, mbox_lf_cmd_info, struct mbox_link_info,
		      __reserved),
};

static long mbox_link_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	return mbox_ioctl_dispatch(file, cmd, arg, mbox_link_file_ops,
				   ARRAY_SIZE(mbox_link_file_ops));
}

/* io_uring runs the same handlers (uring.c). */
static int mbox_link_uring_cmd(struct io_uring_cmd *ioucmd, unsigned int issue_flags)
{
	return mbox_uring_cmd(ioucmd, issue_flags, mbox_link_file_ops,
			      ARRAY_SIZE(mbox_link_file_ops));
}

/* write(2): one synchronous message to the peer. */
static ssize_t mbox_link_write(struct file *file, const char __user *buf,
			       size_t count, loff_t *ppos)
{
	struct mbox_link_file *lf = file->private_data;
	struct mbox_link_send cmd = { .buf = (uintptr_t)buf, .len = count };
	struct mbox_deadline dl;
	int ret;

	if (count > U32_MAX)
		return -EMSGSIZE;
	ret = mbox_deadline_init(&dl, file, NULL, 0, 0);
	if (!ret)
		ret = mbox_link_send(lf->me, lf->link, &cmd, &dl);
	return ret ?: count;
}

/* read(2): one whole message from the peer. */
static ssize_t mbox_link_read(struct file *file, char __user *buf, size_t count,
			      loff_t *ppos)
{
	struct mbox_link_file *lf = file->private_data;
	struct mbox_rx rx = {
		.buf = buf,
		.buflen = min_t(size_t, count, U32_MAX),
		.flow = &mbox_chan_in(lf->link, lf->me)->flow,
	};
	struct mbox_deadline dl;
	int ret;

	ret = mbox_deadline_init(&dl, file, NULL, 0, 0);
	if (ret)
		return ret;
	return mbox_link_recv(lf->me, &rx, &dl);
}

static __poll_t mbox_link_poll(struct file *file, poll_table *pt)
{
	struct mbox_link_file *lf = file->private_data;
	struct mbox_chan *in = mbox_chan_in(lf->link, lf->me);
	struct mbox_chan *out = mbox_chan_out(lf->link, lf->me);
	struct mbox_rx rx = { .flow = &in->flow };
	__poll_t mask = 0;

	poll_wait(file, &lf->me->inbox.recv_wq, pt);
	poll_wait(file, &out->to->inbox.send_wq, pt);
	spin_lock(&lf->me->inbox.lock);
	if (mbox_queue_find(&lf->me->inbox, &rx))
		mask |= EPOLLIN | EPOLLRDNORM;
	if (in->flow.dead)
		mask |= EPOLLHUP;
	spin_unlock(&lf->me->inbox.lock);
	spin_lock(&out->to->inbox.lock);
	if (!out->flow.dead && (out->flow.capacity == MBOX_CAPACITY_UNBOUNDED ||
				out->flow.nr_msgs < out->flow.capacity))
		mask |= EPOLLOUT | EPOLLWRNORM;
	spin_unlock(&out->to->inbox.lock);
	return mask;
}

static void mbox_link_file_free(struct mbox_link_file *lf)
{
	mbox_link_put(lf->link);
	mbox_ep_put(lf->me);
	kfree(lf);
}

static int mbox_link_file_release(struct inode *inode, struct file *file)
{
	mbox_link_file_free(file->private_data);
	return 0;
}

/*
 * /proc/<pid>/fdinfo/<fd>: what MBOX_IOC_LINK_INFO reports on this
 * descriptor, one "mbox-" key a line, the peer seen from the pid namespace
 * of the /proc being read.
 */
static void mbox_link_show_fdinfo(struct seq_file *m, struct file *file)
{
	struct mbox_link_file *lf = file->private_data;
	struct mbox_link_info info;

	mbox_link_fill_info(&info, lf->me, lf->link, mbox_seq_pid_ns(m));
	seq_puts(m, "mbox-type:\tlink\n");
	seq_printf(m, "mbox-id:\t%llu\n", info.id);
	seq_printf(m, "mbox-endpoint:\t%llu\n", lf->me->obj.id);
	seq_printf(m, "mbox-peer-pid:\t%d\n", info.pid);
	seq_printf(m, "mbox-state:\t%#x\n", info.state);
	seq_printf(m, "mbox-queued-in:\t%llu\n", info.queued_in);
	seq_printf(m, "mbox-queued-out:\t%llu\n", info.queued_out);
	seq_printf(m, "mbox-sent:\t%llu\n", info.sent);
	seq_printf(m, "mbox-received:\t%llu\n", info.received);
	seq_printf(m, "mbox-capacity:\t%u\n", info.capacity);
}

static const struct file_operations mbox_link_fops = {
	.owner = THIS_MODULE,
	.read = mbox_link_read,
	.write = mbox_link_write,
	.poll = mbox_link_poll,
	.unlocked_ioctl = mbox_link_ioctl,
	.uring_cmd = mbox_link_uring_cmd,
	.compat_ioctl = compat_ptr_ioctl,
	.release = mbox_link_file_release,
	.show_fdinfo = mbox_link_show_fdinfo,
};

static int mbox_ep_cmd_link_open(struct mbox_ucmd *ucmd)
{
	struct mbox_ep *me = ucmd->file->private_data;
	struct mbox_link_open *cmd = ucmd->cmd;
	struct mbox_link_file *lf;
	struct file *file;
	int ret;

	if (cmd->flags & ~MBOX_LINK_OPEN_FLAGS || cmd->__reserved || cmd->id)
		return -EINVAL;
	/* Before a link is made for it. */
	ret = mbox_ucmd_probe(ucmd, 0, sizeof(*cmd));
	if (ret)
		return ret;
	lf = kzalloc(sizeof(*lf), GFP_KERNEL_ACCOUNT);
	if (!lf)
		return -ENOMEM;
	lf->link = mbox_link_lookup(me, cmd->pid, mbox_lookup_how(cmd->flags, true));
	if (IS_ERR(lf->link)) {
		ret = PTR_ERR(lf->link);
		kfree(lf);
		return ret;
	}
	mbox_ep_get(me);
	lf->me = me;
	file = anon_inode_getfile("[mbox-link]", &mbox_link_fops, lf,
				  O_RDWR | ((cmd->flags & MBOX_LINK_NONBLOCK) ? O_NONBLOCK : 0));
	if (IS_ERR(file)) {
		mbox_link_file_free(lf);
		return PTR_ERR(file);
	}
	cmd->id = lf->link->id;
	return mbox_ucmd_install(ucmd, sizeof(*cmd), file, cmd->flags & MBOX_LINK_CLOEXEC);
}

/* ---- endpoint descriptors ---- */

static const struct mbox_ioctl_op mbox_endpoint_ops[] = {
	MBOX_IOCTL_OP_OUT(MBOX_CMD_LINK_SEND, mbox_ep_cmd_send, struct mbox_link_send,
			  seq, seq),
	MBOX_IOCTL_OP_OUT(MBOX_CMD_LINK_RECV, mbox_ep_cmd_recv, struct mbox_link_recv,
			  __reserved, size),
	MBOX_IOCTL_OP_OUT(MBOX_CMD_CALL, mbox_ep_cmd_call, struct mbox_call, call_id,
			  size),
	MBOX_IOCTL_OP(MBOX_CMD_LINK_OPEN, mbox_ep_cmd_link_open, struct mbox_link_open, id),
	MBOX_IOCTL_OP(MBOX_CMD_LINK_INFO, mbox_ep_cmd_link_info, struct mbox_link_info,
		      __reserved),
	MBOX_IOCTL_OP(MBOX_CMD_ENDPOINT_INFO, mbox_ep_cmd_info, struct mbox_endpoint_info,
		      send_waiters),
};

static long mbox_endpoint_ioctl(struct file *file, unsigned int cmd,
				unsigned long arg)
{
	return mbox_ioctl_dispatch(file, cmd, arg, mbox_endpoint_ops,
				   ARRAY_SIZE(mbox_endpoint_ops));
}

/* io_uring runs the same handlers (uring.c). */
static int mbox_endpoint_uring_cmd(struct io_uring_cmd *ioucmd, unsigned int issue_flags)
{
	return mbox_uring_cmd(ioucmd, issue_flags, mbox_endpoint_ops,
			      ARRAY_SIZE(mbox_endpoint_ops));
}

/* Readable when a message (not a reply) is queued to the endpoint. */
static __poll_t mbox_endpoint_poll(struct file *file, poll_table *pt)
{
	struct mbox_ep *ep = file->private_data;
	struct mbox_rx any = { .flags = 0 };
	__poll_t mask = EPOLLOUT | EPOLLWRNORM;

	poll_wait(file, &ep->inbox.recv_wq, pt);
	spin_lock(&ep->inbox.lock);
	if (mbox_queue_find(&ep->inbox, &any))
		mask |= EPOLLIN | EPOLLRDNORM;
	if (ep->inbox.dead)
		mask |= EPOLLHUP;
	spin_unlock(&ep->inbox.lock);
	return mask;
}

static int mbox_endpoint_release(struct inode *inode, struct file *file)
{
	mbox_ep_close(file->private_data);
	return 0;
}

/*
 * /proc/<pid>/fdinfo/<fd>: what MBOX_IOC_ENDPOINT_INFO reports, one "mbox-"
 * key a line, the pid seen from the pid namespace of the /proc being read.
 */
static void mbox_endpoint_show_fdinfo(struct seq_file *m, struct file *file)
{
	struct mbox_endpoint_info info;

	mbox_ep_fill_info(&info, file->private_data, mbox_seq_pid_ns(m));
	seq_puts(m, "mbox-type:\tendpoint\n");
	seq_printf(m, "mbox-id:\t%llu\n", info.id);
	seq_printf(m, "mbox-pid:\t%d\n", info.pid);
	seq_printf(m, "mbox-mode:\t%04o\n", info.mode);
	seq_printf(m, "mbox-capacity:\t%u\n", info.capacity);
	seq_printf(m, "mbox-msg-size-max:\t%u\n", info.msg_size_max);
	seq_printf(m, "mbox-links:\t%llu\n", info.links);
	seq_printf(m, "mbox-msgs:\t%llu\n", info.msgs);
	seq_printf(m, "mbox-bytes:\t%llu\n", info.bytes);
	seq_printf(m, "mbox-recv-waiters:\t%u\n", info.recv_waiters);
	seq_printf(m, "mbox-send-waiters:\t%u\n", info.send_waiters);
}

static const struct file_operations mbox_endpoint_fops = {
	.owner = THIS_MODULE,
	.poll = mbox_endpoint_poll,
	.unlocked_ioctl = mbox_endpoint_ioctl,
	.uring_cmd = mbox_endpoint_uring_cmd,
	.compat_ioctl = compat_ptr_ioctl,
	.release = mbox_endpoint_release,
	.show_fdinfo = mbox_endpoint_show_fdinfo,
};

static int mbox_endpoint_check(const struct mbox_endpoint *cmd)
{
	if (cmd->flags & ~MBOX_EP_FLAGS || cmd->__reserved || cmd->id)
		return -EINVAL;
	if (cmd->mode & ~MBOX_EP_MODES)
		return -EINVAL;
	if (cmd->msg_size_max > mbox_limit_msg_size())
		return -EINVAL;
	return 0;
}

/* MBOX_IOC_ENDPOINT on /dev/mbox: the caller's endpoint, as a descriptor. */
int mbox_endpoint_create(struct mbox_ucmd *ucmd)
{
	struct mbox_endpoint *cmd = ucmd->cmd;
	struct mbox_ep *ep;
	struct file *file;
	int ret;

	ret = mbox_endpoint_check(cmd);
	if (ret)
		return ret;
	ep = mbox_ep_new(cmd);
	if (IS_ERR(ep))
		return PTR_ERR(ep);
	ret = mbox_ep_publish(ep);
	if (ret) {
		mbox_ep_discard(ep);
		return ret;
	}
	file = anon_inode_getfile("[mbox-endpoint]", &mbox_endpoint_fops, ep,
				  O_RDWR | ((cmd->flags & MBOX_EP_NONBLOCK) ? O_NONBLOCK : 0));
	if (IS_ERR(file)) {
		mbox_ep_close(ep);
		return PTR_ERR(file);
	}
	/* The file's release shuts the endpoint down. */
	cmd->id = ep->obj.id;
	return mbox_ucmd_install(ucmd, sizeof(*cmd), file, cmd->flags & MBOX_EP_CLOEXEC);
}
