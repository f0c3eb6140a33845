// SPDX-License-Identifier: GPL-2.0
/*
 * mbox: direct links between endpoints, and calls over them.
 *
 * There is one link per pair of endpoints, made by the first send (or link
 * open, or receive from the peer) and used in both directions. A message on
 * a link is queued in the receiving endpoint's inbox, a mailbox queue
 * (mailbox.c), tagged with its direction (struct mbox_chan): the same
 * two-phase receive, rendezvous hand-over and withdrawal as for mailboxes.
 * A synchronous send is a rendezvous offer; an asynchronous one is bounded
 * per direction by the receiver's capacity.
 *
 * A link dies with either endpoint: both directions are marked dead under
 * their inbox locks and every waiter is woken, so a blocked send, receive
 * from that peer or call returns -ECONNRESET at once; sends started later get
 * -EPIPE. Messages the dead peer had queued are still received.
 *
 * Calls. The caller's request carries a kernel-chosen call ID and a record
 * (struct mbox_call_rec) that the server keeps once it has received the
 * request. A reply is accepted only from the server holding that record, and
 * only while the caller waits for it (struct mbox_call_wait on the caller's
 * @calls), so it can reach no other call and no abandoned call.
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/poll.h>
#include <linux/slab.h>

#include "mbox_internal.h"
#include "mbox_trace.h"

#define MBOX_LINK_SEND_FLAGS	(MBOX_WAIT_FLAGS | MBOX_LINK_ASYNC | MBOX_LINK_REPLY)
#define MBOX_LINK_RECV_FLAGS	(MBOX_WAIT_FLAGS | MBOX_RECV_PEEK | MBOX_RECV_TRUNC | \
				 MBOX_RECV_FROM_PID | MBOX_RECV_REPLY)
#define MBOX_LINK_OPEN_FLAGS	(MBOX_LINK_CLOEXEC | MBOX_LINK_NONBLOCK)

static atomic64_t mbox_next_link_id = ATOMIC64_INIT(0);
atomic_long_t mbox_nr_links = ATOMIC_LONG_INIT(0);
static atomic64_t mbox_next_call_id = ATOMIC64_INIT(0);

/**
 * struct mbox_call_wait - a caller waiting for its reply
 * @node: in the caller's endpoint's @calls, under its inbox lock
 * @id: the call
 */
struct mbox_call_wait {
	struct list_head node;
	u64 id;
};

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

int mbox_link_side(const struct mbox_link *link, const struct mbox_ep *ep)
{
	return link->ep[1] == ep;
}

static void mbox_link_release(struct kref *kref)
{
	struct mbox_link *link = container_of(kref, struct mbox_link, ref);

	trace_mbox_destroy(MBOX_TYPE_LINK, link->id, "");
	mbox_ep_put(link->ep[0]);
	mbox_ep_put(link->ep[1]);
	kfree(link);
	atomic_long_dec(&mbox_nr_links);
}

void mbox_link_put(struct mbox_link *link)
{
	kref_put(&link->ref, mbox_link_release);
}

static void mbox_call_rec_free(struct mbox_call_rec *rec)
{
	mbox_link_put(rec->link);
	kfree(rec);
}

/* A link message is freed: drop what it holds. */
void mbox_link_msg_free(struct mbox_msg *msg)
{
	if (msg->call)
		mbox_call_rec_free(msg->call);
	if (msg->chan)
		mbox_link_put(msg->chan->link);
}

/* The endpoint is shut down: forget the calls it never answered. */
void mbox_link_drop_pending(struct mbox_ep *ep)
{
	struct mbox_call_rec *rec, *next;
	LIST_HEAD(list);

	spin_lock(&ep->pending_lock);
	list_splice_init(&ep->pending, &list);
	spin_unlock(&ep->pending_lock);
	list_for_each_entry_safe(rec, next, &list, node)
		mbox_call_rec_free(rec);
}

static struct mbox_link *mbox_link_new(struct mbox_ep *a, struct mbox_ep *b)
{
	struct mbox_link *link;
	int i;

	lockdep_assert_held(&mbox_links_lock);
	link = kzalloc(sizeof(*link), GFP_KERNEL_ACCOUNT);
	if (!link)
		return NULL;
	kref_init(&link->ref);		/* the endpoints' tables' */
	atomic_long_inc(&mbox_nr_links);
	link->id = atomic64_inc_return(&mbox_next_link_id);
	link->ep[0] = a;
	link->ep[1] = b;
	for (i = 0; i < 2; i++) {
		mbox_ep_get(link->ep[i]);
		link->chan[i].link = link;
		link->chan[i].to = link->ep[i];
		link->chan[i].capacity = link->ep[i]->capacity;
		link->chan[i].next_seq = 1;
		link->end[i].link = link;
		list_add_tail(&link->end[i].node, &link->ep[i]->links);
		link->ep[i]->nr_links++;
	}
	trace_mbox_create(MBOX_TYPE_LINK, link->id, "");
	return link;
}

/* The link between @me and @peer, or NULL; under mbox_links_lock. */
static struct mbox_link *mbox_link_find(struct mbox_ep *me, struct mbox_ep *peer)
{
	struct mbox_link_end *end;

	lockdep_assert_held(&mbox_links_lock);
	list_for_each_entry(end, &me->links, node)
		if (end->link->ep[0] == peer || end->link->ep[1] == peer)
			return end->link;
	return NULL;
}

/* Take @ep's first link off both ends' lists; the tables' reference is
 * the caller's. Under mbox_links_lock.
 */
struct mbox_link *mbox_link_unlist_first(struct mbox_ep *ep)
{
	struct mbox_link_end *end;
	struct mbox_link *link;
	int i;

	lockdep_assert_held(&mbox_links_lock);
	end = list_first_entry_or_null(&ep->links, struct mbox_link_end, node);
	if (!end)
		return NULL;
	link = end->link;
	for (i = 0; i < 2; i++) {
		list_del_init(&link->end[i].node);
		link->ep[i]->nr_links--;
	}
	return link;
}

/* Mark both directions dead and wake everyone waiting on them. */
void mbox_link_kill(struct mbox_link *link)
{
	int i;

	trace_mbox_peer_loss(link);
	for (i = 0; i < 2; i++) {
		struct mbox_mailbox *inbox = &link->ep[i]->inbox;

		spin_lock(&inbox->lock);
		link->chan[i].dead = true;
		spin_unlock(&inbox->lock);
		wake_up_all(&inbox->recv_wq);
		wake_up_all(&inbox->send_wq);
	}
}

/**
 * mbox_link_get_peer - the link between @me and process @nr, made if need be
 * @me: the caller's endpoint
 * @nr: the peer's pid in the caller's pid namespace
 *
 * An existing link is used whoever made it; a new one needs the caller to
 * be allowed to send to the peer (mbox_ep_may_send()).
 *
 * Return: the link, referenced, or ERR_PTR(-ESRCH, -EPERM, -ECONNREFUSED,
 * -EINVAL, -EPIPE (our endpoint is shut down), -ENOMEM).
 */
struct mbox_link *mbox_link_get_peer(struct mbox_ep *me, pid_t nr)
{
	struct mbox_link *link = NULL;
	struct mbox_ep *peer = NULL;
	struct pid *pid;
	int ret;

	mutex_lock(&mbox_links_lock);
	if (me->dead) {
		ret = -EPIPE;
		goto out;
	}
	pid = find_get_pid(nr);
	if (pid) {
		peer = mbox_ep_lookup(pid);
		put_pid(pid);
	}
	link = peer ? mbox_link_find(me, peer) : NULL;
	if (peer)
		mbox_ep_put(peer);
	peer = NULL;
	if (!link) {
		ret = mbox_ep_may_send(me, nr, &peer);
		if (ret)
			goto out;
		link = mbox_link_new(me, peer);
		mbox_ep_put(peer);
		if (!link) {
			ret = -ENOMEM;
			goto out;
		}
	}
	kref_get(&link->ref);
	ret = 0;
out:
	mutex_unlock(&mbox_links_lock);
	return ret ? ERR_PTR(ret) : link;
}

/* Under the receiving inbox's lock: may @msg be queued on its link? */
static bool mbox_call_waiting(struct mbox_ep *ep, u64 id)
{
	struct mbox_call_wait *w;

	lockdep_assert_held(&ep->inbox.lock);
	list_for_each_entry(w, &ep->calls, node)
		if (w->id == id)
			return true;
	return false;
}

int mbox_link_accepts(struct mbox_msg *msg)
{
	if (msg->chan->dead)
		return -ECONNRESET;
	if (msg->reply && !mbox_call_waiting(msg->chan->to, msg->call_id))
		return -ENOENT;
	return 0;
}

/* ---- sending ---- */

/* A message from @me on @link, to the peer; the caller sets the kind. */
static struct mbox_msg *mbox_link_msg(struct mbox_ep *me, struct mbox_link *link,
				      u64 buf, u32 len)
{
	struct mbox_chan *chan = &link->chan[!mbox_link_side(link, me)];
	struct mbox_msg *msg;

	if (READ_ONCE(chan->dead))
		return ERR_PTR(-EPIPE);
	if (len > chan->to->msg_size_max)
		return ERR_PTR(-EMSGSIZE);
	msg = mbox_msg_alloc(u64_to_user_ptr(buf), len, me->obj.user);
	if (IS_ERR(msg))
		return msg;
	kref_get(&link->ref);
	msg->chan = chan;
	return msg;
}

static int mbox_link_send(struct mbox_ep *me, struct mbox_link *link,
			  struct mbox_link_send *cmd, struct mbox_deadline *dl)
{
	struct mbox_msg *msg;

	msg = mbox_link_msg(me, link, cmd->buf, cmd->len);
	if (IS_ERR(msg))
		return PTR_ERR(msg);
	msg->confirm = !(cmd->flags & MBOX_LINK_ASYNC);
	return mbox_queue_send(&msg->chan->to->inbox, msg, dl, &cmd->seq);
}

static struct mbox_call_rec *mbox_pending_take(struct mbox_ep *me, u64 id)
{
	struct mbox_call_rec *rec;

	spin_lock(&me->pending_lock);
	list_for_each_entry(rec, &me->pending, node) {
		if (rec->id == id) {
			list_del(&rec->node);
			spin_unlock(&me->pending_lock);
			return rec;
		}
	}
	spin_unlock(&me->pending_lock);
	return NULL;
}

static void mbox_pending_add(struct mbox_ep *me, struct mbox_call_rec *rec)
{
	spin_lock(&me->pending_lock);
	list_add_tail(&rec->node, &me->pending);
	spin_unlock(&me->pending_lock);
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
	/* The record's reference to the link keeps the caller's inbox alive. */
	ret = mbox_queue_send(&msg->chan->to->inbox, msg, dl, &cmd->seq);
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

static int mbox_rx_from_link_cmd(struct mbox_rx *rx, const struct mbox_link_recv *cmd)
{
	if (cmd->flags & ~MBOX_LINK_RECV_FLAGS || cmd->__reserved)
		return -EINVAL;
	if ((cmd->flags & MBOX_RECV_REPLY) &&
	    (!cmd->call_id || (cmd->flags & MBOX_RECV_FROM_PID)))
		return -EINVAL;
	if (!(cmd->flags & MBOX_RECV_FROM_PID) && cmd->pid)
		return -EINVAL;
	memset(rx, 0, sizeof(*rx));
	rx->buf = u64_to_user_ptr(cmd->buf);
	rx->buflen = cmd->len;
	rx->flags = cmd->flags & ~MBOX_RECV_FROM_PID;
	if (cmd->flags & MBOX_RECV_REPLY)
		rx->call_id = cmd->call_id;
	return 0;
}

static void mbox_rx_to_link_cmd(struct mbox_link_recv *cmd, const struct mbox_rx *rx)
{
	cmd->pid = rx->pid;
	cmd->len = rx->len;
	cmd->seq = rx->seq;
	cmd->call_id = rx->call_id;
	cmd->link_id = rx->link_id;
	cmd->uid = rx->uid;
}

/*
 * Receive on @me, from @link's peer only if @link; report like a mailbox
 * receive: -EMSGSIZE still tells the length needed.
 */
static int mbox_link_cmd_recv(struct mbox_ucmd *ucmd, struct mbox_ep *me,
			      struct mbox_link *link)
{
	struct mbox_link_recv *cmd = ucmd->cmd;
	struct mbox_deadline dl;
	struct mbox_rx rx;
	int ret, err;

	ret = mbox_rx_from_link_cmd(&rx, cmd);
	if (ret)
		return ret;
	ret = mbox_deadline_init(&dl, ucmd->file, cmd->flags, cmd->timeout_ns);
	if (ret)
		return ret;
	if (link)
		rx.chan = &link->chan[mbox_link_side(link, me)];
	ret = mbox_link_recv(me, &rx, &dl);
	if (ret < 0 && ret != -EMSGSIZE)
		return ret;
	mbox_rx_to_link_cmd(cmd, &rx);
	err = mbox_ucmd_respond(ucmd, sizeof(*cmd));
	return err ?: ret;
}

/* ---- ioctls on an endpoint descriptor ---- */

static int mbox_ep_cmd_send(struct mbox_ucmd *ucmd)
{
	struct mbox_ep *me = ucmd->file->private_data;
	struct mbox_link_send *cmd = ucmd->cmd;
	struct mbox_deadline dl;
	struct mbox_link *link;
	int ret;

	if (cmd->flags & ~MBOX_LINK_SEND_FLAGS)
		return -EINVAL;
	if (!!(cmd->flags & MBOX_LINK_REPLY) != !!cmd->call_id)
		return -EINVAL;
	if ((cmd->flags & MBOX_LINK_REPLY) && cmd->pid)
		return -EINVAL;
	ret = mbox_deadline_init(&dl, ucmd->file, cmd->flags, cmd->timeout_ns);
	if (ret)
		return ret;
	if (cmd->flags & MBOX_LINK_REPLY) {
		ret = mbox_link_reply(me, cmd, &dl);
	} else {
		link = mbox_link_get_peer(me, cmd->pid);
		if (IS_ERR(link))
			return PTR_ERR(link);
		ret = mbox_link_send(me, link, cmd, &dl);
		mbox_link_put(link);
	}
	if (ret)
		return ret;
	return mbox_ucmd_put_u64(ucmd, offsetof(struct mbox_link_send, seq),
				 cmd->seq);
}

static int mbox_ep_cmd_recv(struct mbox_ucmd *ucmd)
{
	struct mbox_ep *me = ucmd->file->private_data;
	struct mbox_link_recv *cmd = ucmd->cmd;
	struct mbox_link *link = NULL;
	int ret;

	if (cmd->flags & MBOX_RECV_FROM_PID) {
		link = mbox_link_get_peer(me, cmd->pid);
		if (IS_ERR(link))
			return PTR_ERR(link);
		cmd->pid = 0;
	}
	ret = mbox_link_cmd_recv(ucmd, me, link);
	if (link)
		mbox_link_put(link);
	return ret;
}

/* Queue the request, then wait for its reply on our inbox. */
static int mbox_call(struct mbox_ep *me, struct mbox_link *link,
		     struct mbox_call *cmd, struct mbox_deadline *dl)
{
	struct mbox_call_wait wait = { .id = atomic64_inc_return(&mbox_next_call_id) };
	struct mbox_rx rx = {
		.buf = u64_to_user_ptr(cmd->reply_buf),
		.buflen = cmd->reply_len,
		.flags = MBOX_RECV_REPLY,
		.call_id = wait.id,
		.chan = &link->chan[mbox_link_side(link, me)],
	};
	struct mbox_call_rec *rec;
	struct mbox_msg *msg;
	u64 seq;
	int ret;

	rec = kmalloc(sizeof(*rec), GFP_KERNEL_ACCOUNT);
	if (!rec)
		return -ENOMEM;
	msg = mbox_link_msg(me, link, cmd->buf, cmd->len);
	if (IS_ERR(msg)) {
		kfree(rec);
		return PTR_ERR(msg);
	}
	kref_get(&link->ref);
	rec->link = link;
	rec->id = wait.id;
	msg->call = rec;
	msg->call_id = wait.id;
	cmd->call_id = wait.id;

	spin_lock(&me->inbox.lock);
	list_add(&wait.node, &me->calls);
	spin_unlock(&me->inbox.lock);
	ret = mbox_queue_send(&msg->chan->to->inbox, msg, dl, &seq);
	if (!ret)
		ret = mbox_queue_recv(&me->inbox, &rx, dl);
	spin_lock(&me->inbox.lock);
	list_del(&wait.node);
	spin_unlock(&me->inbox.lock);

	if (ret >= 0 || ret == -EMSGSIZE)
		cmd->reply_len = rx.len;
	/* Restarting would send the request again. */
	return ret == -ERESTARTSYS ? -EINTR : ret;
}

static int mbox_ep_cmd_call(struct mbox_ucmd *ucmd)
{
	struct mbox_ep *me = ucmd->file->private_data;
	struct mbox_call *cmd = ucmd->cmd;
	struct mbox_deadline dl;
	struct mbox_link *link;
	int ret, err;

	if (cmd->flags & ~MBOX_WAIT_FLAGS || cmd->__reserved || cmd->call_id)
		return -EINVAL;
	ret = mbox_deadline_init(&dl, ucmd->file, cmd->flags, cmd->timeout_ns);
	if (ret)
		return ret;
	link = mbox_link_get_peer(me, cmd->pid);
	if (IS_ERR(link))
		return PTR_ERR(link);
	ret = mbox_call(me, link, cmd, &dl);
	mbox_link_put(link);
	if (ret < 0 && ret != -EMSGSIZE)
		return ret;
	err = mbox_ucmd_respond(ucmd, sizeof(*cmd));
	return err ?: ret;
}

static void mbox_link_fill_info(struct mbox_link_info *info, struct mbox_ep *me,
				struct mbox_link *link)
{
	int side = mbox_link_side(link, me);
	struct mbox_chan *in = &link->chan[side], *out = &link->chan[!side];
	struct mbox_ep *peer = link->ep[!side];

	memset(info, 0, sizeof(*info));
	info->id = link->id;
	info->pid = pid_vnr(peer->pid);
	spin_lock(&me->inbox.lock);
	info->queued_in = in->nr_msgs;
	info->received = in->received;
	if (in->dead)
		info->state |= MBOX_LINK_DEAD;
	spin_unlock(&me->inbox.lock);
	spin_lock(&peer->inbox.lock);
	info->queued_out = out->nr_msgs;
	info->sent = out->sent;
	info->capacity = out->capacity;
	if (out->dead)
		info->state |= MBOX_LINK_DEAD;
	spin_unlock(&peer->inbox.lock);
	if (info->state & MBOX_LINK_DEAD)
		info->pid = 0;
}

static int mbox_link_respond_info(struct mbox_ucmd *ucmd, struct mbox_ep *me,
				  struct mbox_link *link)
{
	struct mbox_link_info *cmd = ucmd->cmd;

	mbox_link_fill_info(cmd, me, link);
	cmd->size = ucmd->user_size;
	return mbox_ucmd_respond(ucmd, sizeof(*cmd));
}

static int mbox_ep_cmd_link_info(struct mbox_ucmd *ucmd)
{
	struct mbox_ep *me = ucmd->file->private_data;
	struct mbox_link_info *cmd = ucmd->cmd;
	struct mbox_link *link = NULL;
	struct mbox_ep *peer = NULL;
	struct pid *pid;
	int ret;

	if (cmd->flags || cmd->state || cmd->__reserved)
		return -EINVAL;
	mutex_lock(&mbox_links_lock);
	pid = find_get_pid(cmd->pid);
	if (pid) {
		peer = mbox_ep_lookup(pid);
		put_pid(pid);
	}
	if (peer) {
		link = mbox_link_find(me, peer);
		if (link)
			kref_get(&link->ref);
		mbox_ep_put(peer);
	}
	mutex_unlock(&mbox_links_lock);
	if (!link)
		return -ENOTCONN;
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
	memset(cmd, 0, sizeof(*cmd));
	cmd->size = ucmd->user_size;
	cmd->id = me->obj.id;
	cmd->pid = pid_vnr(me->pid);
	cmd->mode = me->obj.mode;
	cmd->capacity = me->capacity;
	cmd->msg_size_max = me->msg_size_max;
	mutex_lock(&mbox_links_lock);
	cmd->links = me->nr_links;
	mutex_unlock(&mbox_links_lock);
	spin_lock(&me->inbox.lock);
	cmd->msgs = me->inbox.nr_msgs;
	cmd->bytes = me->inbox.nr_bytes;
	cmd->recv_waiters = me->inbox.nr_receivers;
	cmd->send_waiters = me->inbox.send_waiters;
	spin_unlock(&me->inbox.lock);
	return mbox_ucmd_respond(ucmd, sizeof(*cmd));
}

static int mbox_ep_cmd_link_open(struct mbox_ucmd *ucmd);

const struct mbox_ioctl_op mbox_endpoint_ops[] = {
	MBOX_IOCTL_OP(MBOX_CMD_LINK_SEND, mbox_ep_cmd_send, struct mbox_link_send, seq),
	MBOX_IOCTL_OP(MBOX_CMD_LINK_RECV, mbox_ep_cmd_recv, struct mbox_link_recv,
		      __reserved),
	MBOX_IOCTL_OP(MBOX_CMD_CALL, mbox_ep_cmd_call, struct mbox_call, call_id),
	MBOX_IOCTL_OP(MBOX_CMD_LINK_OPEN, mbox_ep_cmd_link_open, struct mbox_link_open, id),
	MBOX_IOCTL_OP(MBOX_CMD_LINK_INFO, mbox_ep_cmd_link_info, struct mbox_link_info,
		      __reserved),
	MBOX_IOCTL_OP(MBOX_CMD_ENDPOINT_INFO, mbox_ep_cmd_info, struct mbox_endpoint_info,
		      send_waiters),
};

const size_t mbox_endpoint_nr_ops = ARRAY_SIZE(mbox_endpoint_ops);

/* Endpoint poll: readable when a message (not a reply) is queued to it. */
__poll_t mbox_link_ep_poll(struct mbox_ep *ep)
{
	struct mbox_rx any = { .flags = 0 };
	__poll_t mask = EPOLLOUT | EPOLLWRNORM;

	spin_lock(&ep->inbox.lock);
	if (mbox_queue_find(&ep->inbox, &any))
		mask |= EPOLLIN | EPOLLRDNORM;
	if (ep->inbox.dead)
		mask |= EPOLLHUP;
	spin_unlock(&ep->inbox.lock);
	return mask;
}

/* ---- link descriptors ---- */

static int mbox_lf_cmd_send(struct mbox_ucmd *ucmd)
{
	struct mbox_link_file *lf = ucmd->file->private_data;
	struct mbox_link_send *cmd = ucmd->cmd;
	struct mbox_deadline dl;
	int ret;

	if (cmd->flags & ~(MBOX_WAIT_FLAGS | MBOX_LINK_ASYNC) || cmd->pid || cmd->call_id)
		return -EINVAL;
	ret = mbox_deadline_init(&dl, ucmd->file, cmd->flags, cmd->timeout_ns);
	if (ret)
		return ret;
	ret = mbox_link_send(lf->me, lf->link, cmd, &dl);
	if (ret)
		return ret;
	return mbox_ucmd_put_u64(ucmd, offsetof(struct mbox_link_send, seq),
				 cmd->seq);
}

static int mbox_lf_cmd_recv(struct mbox_ucmd *ucmd)
{
	struct mbox_link_file *lf = ucmd->file->private_data;
	struct mbox_link_recv *cmd = ucmd->cmd;

	if (cmd->flags & (MBOX_RECV_FROM_PID | MBOX_RECV_REPLY))
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
	MBOX_IOCTL_OP(MBOX_CMD_LINK_SEND, mbox_lf_cmd_send, struct mbox_link_send, seq),
	MBOX_IOCTL_OP(MBOX_CMD_LINK_RECV, mbox_lf_cmd_recv, struct mbox_link_recv,
		      __reserved),
	MBOX_IOCTL_OP(MBOX_CMD_LINK_INFO, mbox_lf_cmd_info, struct mbox_link_info,
		      __reserved),
};

static long mbox_link_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	return mbox_ioctl_dispatch(file, cmd, arg, mbox_link_file_ops,
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
	ret = mbox_deadline_init(&dl, file, 0, 0);
	if (!ret)
		ret = mbox_link_send(lf->me, lf->link, &cmd, &dl);
	return ret ?: count;
}

/* read(2): one whole message from the peer. */
static ssize_t mbox_link_read(struct file *file, char __user *buf, size_t count,
			      loff_t *ppos)
{
	struct mbox_link_file *lf = file->private_data;
	struct mbox_link *link = lf->link;
	struct mbox_rx rx = {
		.buf = buf,
		.buflen = min_t(size_t, count, U32_MAX),
		.chan = &link->chan[mbox_link_side(link, lf->me)],
	};
	struct mbox_deadline dl;
	int ret;

	ret = mbox_deadline_init(&dl, file, 0, 0);
	if (ret)
		return ret;
	return mbox_link_recv(lf->me, &rx, &dl);
}

static __poll_t mbox_link_poll(struct file *file, poll_table *pt)
{
	struct mbox_link_file *lf = file->private_data;
	struct mbox_link *link = lf->link;
	int side = mbox_link_side(link, lf->me);
	struct mbox_chan *in = &link->chan[side], *out = &link->chan[!side];
	struct mbox_rx rx = { .chan = in };
	__poll_t mask = 0;

	poll_wait(file, &lf->me->inbox.recv_wq, pt);
	poll_wait(file, &out->to->inbox.send_wq, pt);
	spin_lock(&lf->me->inbox.lock);
	if (mbox_queue_find(&lf->me->inbox, &rx))
		mask |= EPOLLIN | EPOLLRDNORM;
	if (in->dead)
		mask |= EPOLLHUP;
	spin_unlock(&lf->me->inbox.lock);
	spin_lock(&out->to->inbox.lock);
	if (!out->dead && (out->capacity == MBOX_CAPACITY_UNBOUNDED ||
			   out->nr_msgs < out->capacity))
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

static const struct file_operations mbox_link_fops = {
	.owner = THIS_MODULE,
	.read = mbox_link_read,
	.write = mbox_link_write,
	.poll = mbox_link_poll,
	.unlocked_ioctl = mbox_link_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.release = mbox_link_file_release,
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
	lf = kzalloc(sizeof(*lf), GFP_KERNEL_ACCOUNT);
	if (!lf)
		return -ENOMEM;
	lf->link = mbox_link_get_peer(me, cmd->pid);
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
