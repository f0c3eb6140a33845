// SPDX-License-Identifier: GPL-2.0
/*
 * mbox: endpoints, the processes of the notes' direct communication, and the
 * links between them.
 *
 * A process makes itself reachable by creating its endpoint; peers name it
 * by process ID. The endpoint is bound to the process's struct pid, not to
 * the number, so a recycled pid is a different peer: a message for a dead
 * process can never reach its successor.
 *
 * There is one link per pair of endpoints, made by the first send (or link
 * open, or receive from the peer) and used in both directions; link.c sends
 * and receives over it. A link dies with either endpoint: both directions'
 * flows are killed under their inbox locks and every waiter is woken, so a
 * blocked send, receive from that peer or call returns -ECONNRESET at once;
 * sends started later get -EPIPE. Messages the dead peer had queued are
 * still received.
 *
 * An endpoint goes away when its last descriptor is closed or when its
 * process exits, whichever comes first. The exit is learnt from the pid's
 * pidfd wait queue (woken when the thread group has exited, as pidfd_poll()
 * is), so an endpoint descriptor inherited by a child does not keep a dead
 * process reachable. Going away kills every link of the endpoint and shuts
 * its inbox down. Whatever reaches it afterwards is freed on the spot under
 * the lock that decides it: a message by the inbox's lock (queue.c), a
 * call record by @pending_lock (mbox_pending_add()).
 */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/hashtable.h>
#include <linux/magic.h>
#include <linux/proc_fs.h>
#include <linux/rculist.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include "endpoint.h"
#include "mbox_trace.h"
#include "stats.h"

/* include/uapi/linux/magic.h has it from 6.9 on; the value never changes. */
#define MBOX_PID_FS_MAGIC	0x50494446	/* "PIDF" */

/* See the Locking block in endpoint.h. */
static DEFINE_MUTEX(mbox_links_lock);

/* Live endpoints by struct pid, under mbox_links_lock. */
static DEFINE_HASHTABLE(mbox_eps, 8);

static atomic64_t mbox_next_link_id = ATOMIC64_INIT(0);

static struct mbox_ep *to_endpoint(struct mbox_obj *obj)
{
	return container_of(obj, struct mbox_ep, obj);
}

void mbox_ep_get(struct mbox_ep *ep)
{
	mbox_obj_get(&ep->obj);
}

void mbox_ep_put(struct mbox_ep *ep)
{
	mbox_obj_put(&ep->obj);
}

/* The live endpoint of the process @pid, referenced; under mbox_links_lock. */
static struct mbox_ep *mbox_ep_lookup(struct pid *pid)
{
	struct mbox_ep *ep;

	lockdep_assert_held(&mbox_links_lock);
	hash_for_each_possible(mbox_eps, ep, pid_node, (unsigned long)pid)
		if (ep->pid == pid) {
			mbox_ep_get(ep);
			return ep;
		}
	return NULL;
}

/**
 * mbox_ep_fill_info - what MBOX_IOC_ENDPOINT_INFO reports about @ep
 * @info: filled in (zeroed first)
 * @ep: the endpoint
 * @ns: the pid namespace to see its pid from
 *
 * The one reading behind the ioctl, the descriptor's fdinfo and
 * /proc/mbox/objects. @nr_links is read without mbox_links_lock (written
 * under it with WRITE_ONCE()), because /proc/mbox/objects calls this under
 * mbox_registry_lock, which nests inside it; the counters are the inbox's,
 * under its lock.
 */
void mbox_ep_fill_info(struct mbox_endpoint_info *info, struct mbox_ep *ep,
		       struct pid_namespace *ns)
{
	memset(info, 0, sizeof(*info));
	info->id = ep->obj.id;
	info->pid = pid_nr_ns(ep->pid, ns);
	info->mode = ep->obj.mode;
	info->capacity = ep->capacity;
	info->msg_size_max = ep->msg_size_max;
	info->links = READ_ONCE(ep->nr_links);
	spin_lock(&ep->inbox.lock);
	info->msgs = ep->inbox.nr_msgs;
	info->bytes = ep->inbox.nr_bytes;
	info->recv_waiters = ep->inbox.nr_receivers;
	info->send_waiters = ep->inbox.send_waiters;
	/*
	 * Shut down (its process exited, or its descriptor was closed while a
	 * copy lives on): its number may already name another process.
	 */
	if (ep->inbox.dead)
		info->pid = 0;
	spin_unlock(&ep->inbox.lock);
}

/* ---- calls received and not answered ---- */

void mbox_call_rec_free(struct mbox_call_rec *rec)
{
	mbox_link_put(rec->link);
	kfree(rec);
}

/**
 * mbox_pending_add - @ep keeps @rec until it answers the call
 * @ep: the endpoint that received the call
 * @rec: the call's record (consumed)
 *
 * Once @ep is shut down nothing can answer, so @rec is freed at once; the
 * decision is made under @pending_lock, which the shutdown takes to close
 * the list, so no record can slip in after it.
 */
void mbox_pending_add(struct mbox_ep *ep, struct mbox_call_rec *rec)
{
	spin_lock(&ep->pending_lock);
	if (!ep->pending_closed) {
		list_add_tail(&rec->node, &ep->pending);
		rec = NULL;
	}
	spin_unlock(&ep->pending_lock);
	if (rec)
		mbox_call_rec_free(rec);
}

struct mbox_call_rec *mbox_pending_take(struct mbox_ep *ep, u64 id)
{
	struct mbox_call_rec *rec;

	spin_lock(&ep->pending_lock);
	list_for_each_entry(rec, &ep->pending, node) {
		if (rec->id == id) {
			list_del(&rec->node);
			spin_unlock(&ep->pending_lock);
			return rec;
		}
	}
	spin_unlock(&ep->pending_lock);
	return NULL;
}

/* The endpoint is shut down: forget the calls it never answered, for good. */
static void mbox_pending_close(struct mbox_ep *ep)
{
	struct mbox_call_rec *rec, *next;
	LIST_HEAD(list);

	spin_lock(&ep->pending_lock);
	ep->pending_closed = true;
	list_splice_init(&ep->pending, &list);
	spin_unlock(&ep->pending_lock);
	list_for_each_entry_safe(rec, next, &list, node)
		mbox_call_rec_free(rec);
}

/* ---- links ---- */

int mbox_link_side(const struct mbox_link *link, const struct mbox_ep *ep)
{
	return link->ep[1] == ep;
}

void mbox_link_get(struct mbox_link *link)
{
	kref_get(&link->ref);
}

static void mbox_link_release(struct kref *kref)
{
	struct mbox_link *link = container_of(kref, struct mbox_link, ref);

	trace_mbox_destroy(MBOX_TYPE_LINK, link->id, "");
	mbox_ep_put(link->ep[0]);
	mbox_ep_put(link->ep[1]);
	/* A lockless lookup may still be looking at it (mbox_link_find_rcu()). */
	kfree_rcu(link, rcu);
	atomic_long_dec(&mbox_nr_links);
}

void mbox_link_put(struct mbox_link *link)
{
	kref_put(&link->ref, mbox_link_release);
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
		link->pid[i] = link->ep[i]->pid;
		link->chan[i].link = link;
		link->chan[i].to = link->ep[i];
		mbox_flow_init(&link->chan[i].flow, link->id, link->ep[i]->capacity);
		link->end[i].link = link;
		list_add_tail_rcu(&link->end[i].node, &link->ep[i]->links);
		WRITE_ONCE(link->ep[i]->nr_links, link->ep[i]->nr_links + 1);
	}
	trace_mbox_create(MBOX_TYPE_LINK, link->id, "");
	return link;
}

/* The link between @me and @peer (never @me), or NULL. */
static struct mbox_link *mbox_link_find(struct mbox_ep *me, struct mbox_ep *peer)
{
	struct mbox_link_end *end;

	lockdep_assert_held(&mbox_links_lock);
	list_for_each_entry(end, &me->links, node)
		if (end->link->ep[!mbox_link_side(end->link, me)] == peer)
			return end->link;
	return NULL;
}

/*
 * The listed link between @me and the process @pid, referenced, found
 * under RCU alone: a send by pid on an existing link takes no global lock.
 * A link's @pid is compared, never dereferenced: the caller holds @pid, so
 * an equal pointer is that struct pid, and a link still listed once
 * referenced is alive. NULL (none, or one being torn down) leaves the
 * answer, and every error, to the locked lookup.
 */
static struct mbox_link *mbox_link_find_rcu(struct mbox_ep *me, struct pid *pid)
{
	struct mbox_link *link, *found = NULL;
	struct mbox_link_end *end;

	rcu_read_lock();
	list_for_each_entry_rcu(end, &me->links, node) {
		link = end->link;
		if (link->pid[!mbox_link_side(link, me)] != pid)
			continue;
		if (kref_get_unless_zero(&link->ref))
			found = link;
		break;
	}
	rcu_read_unlock();
	if (found && READ_ONCE(found->unlisted)) {
		mbox_link_put(found);
		found = NULL;
	}
	return found;
}

/*
 * Take @ep's first link off both ends' lists; the tables' reference is
 * the caller's. Under mbox_links_lock.
 */
static struct mbox_link *mbox_link_unlist_first(struct mbox_ep *ep)
{
	struct mbox_link_end *end;
	struct mbox_link *link;
	int i;

	lockdep_assert_held(&mbox_links_lock);
	end = list_first_entry_or_null(&ep->links, struct mbox_link_end, node);
	if (!end)
		return NULL;
	link = end->link;
	WRITE_ONCE(link->unlisted, true);
	for (i = 0; i < 2; i++) {
		list_del_rcu(&link->end[i].node);
		WRITE_ONCE(link->ep[i]->nr_links, link->ep[i]->nr_links - 1);
	}
	return link;
}

/* Kill both directions and wake everyone waiting on them. */
static void mbox_link_kill(struct mbox_link *link)
{
	int i;

	trace_mbox_peer_loss(link->id, pid_nr(link->ep[0]->pid),
			     pid_nr(link->ep[1]->pid));
	for (i = 0; i < 2; i++)
		mbox_flow_kill(&link->ep[i]->inbox, &link->chan[i].flow);
}

/* May current signal @task? The rule of kill(2) (kill_ok_by_cred()). */
static bool mbox_may_signal(struct task_struct *task)
{
	const struct cred *cred = current_cred();
	const struct cred *tcred;
	bool ok;

	rcu_read_lock();
	tcred = __task_cred(task);
	ok = uid_eq(cred->euid, tcred->suid) || uid_eq(cred->euid, tcred->uid) ||
	     uid_eq(cred->uid, tcred->suid) || uid_eq(cred->uid, tcred->uid) ||
	     ns_capable(tcred->user_ns, CAP_KILL);
	rcu_read_unlock();
	return ok;
}

/* Does @ep's mode let current send to it without the right to signal? */
static bool mbox_ep_mode_admits(struct mbox_ep *ep)
{
	if (ep->obj.mode & 0002)
		return true;
	return (ep->obj.mode & 0020) && in_group_p(ep->obj.gid);
}

/*
 * May the caller open a link to process @pid, whose endpoint is @ep (or
 * NULL)? The errors leak no more than kill(2) does: -ESRCH when there is no
 * such process, -EPERM when the caller may neither signal it nor send to it
 * by its endpoint's mode, and only then -ECONNREFUSED when it has no
 * endpoint.
 */
static int mbox_ep_may_link(struct pid *pid, struct mbox_ep *ep)
{
	struct task_struct *task;
	int ret = 0;

	task = pid ? get_pid_task(pid, PIDTYPE_TGID) : NULL;
	if (!task)
		return -ESRCH;
	if (!(ep && mbox_ep_mode_admits(ep)) && !mbox_may_signal(task))
		ret = -EPERM;
	else if (!ep)
		ret = -ECONNREFUSED;
	put_task_struct(task);
	return ret;
}

/* mbox_link_lookup() with @pid (not @me's) looked up; under the lock. */
static struct mbox_link *mbox_link_lookup_pid(struct mbox_ep *me,
					      struct pid *pid, bool create)
{
	struct mbox_ep *peer = pid ? mbox_ep_lookup(pid) : NULL;
	struct mbox_link *link = peer ? mbox_link_find(me, peer) : NULL;
	int ret = 0;

	lockdep_assert_held(&mbox_links_lock);
	if (!link && !create)
		ret = -ENOTCONN;
	else if (!link)
		ret = mbox_ep_may_link(pid, peer);
	if (!ret && !link) {
		link = mbox_link_new(me, peer);
		if (!link)
			ret = -ENOMEM;
	}
	if (!ret)
		mbox_link_get(link);
	if (peer)
		mbox_ep_put(peer);
	return ret ? ERR_PTR(ret) : link;
}

/*
 * The struct pid of the process that pidfd @fd names, referenced.
 *
 * The kernel exports neither pidfd_pid() nor pidfd_get_pid() to modules
 * (Debian's 6.1 and 6.12), so the file is recognised here, and only a file
 * that is certainly a pidfd has its private pointer trusted:
 *
 *  - pidfs (6.9 and later; Debian's 6.12): every pidfd is a file of the
 *    pidfs pseudo filesystem, whose superblock alone carries PID_FS_MAGIC
 *    (fs/pidfs.c, init_pseudo()). The filesystem is never mounted where
 *    user space could open anything else on it: its files are pidfds, each
 *    inode's i_private the struct pid (pidfd_pid() reads just that), and
 *    its root directory, the one other inode, has none. So: that magic, a
 *    regular-file inode opened with the inode's own file operations, and a
 *    non-NULL i_private.
 *  - anon inodes (before pidfs; Debian's 6.1): pidfd_create() makes the
 *    file with anon_inode_getfile("[pidfd]", &pidfd_fops, pid, ...), whose
 *    private_data is the struct pid. A file on the anon-inode filesystem
 *    (ANON_INODE_FS_MAGIC) gets its name from the kernel code that made it,
 *    never from user space, and only kernel/fork.c names one "[pidfd]"; its
 *    file operations are built in (no owning module), which a module's
 *    anon-inode file of that name would not be.
 *
 * An O_PATH reopen of a pidfd through /proc/PID/fd has neither (its f_op
 * is empty_fops, its private_data NULL) and is refused like any other file.
 * The file is held (fget()) while it is looked at and the struct pid
 * referenced before it is let go. A thread's pidfd (PIDFD_THREAD) holds
 * the thread's struct pid: the process it names is the thread's thread
 * group. A pidfd whose process has exited (no task left: reaped) is -ESRCH,
 * and so is a thread that has exited.
 */
static struct pid *mbox_pidfd_pid(int fd)
{
	struct task_struct *task;
	struct inode *inode;
	struct pid *pid = NULL;
	struct file *file;

	if (fd < 0)
		return ERR_PTR(-EBADF);
	file = fget(fd);
	if (!file)
		return ERR_PTR(-EBADF);
	inode = file_inode(file);
	if (inode->i_sb->s_magic == MBOX_PID_FS_MAGIC) {
		if (S_ISREG(inode->i_mode) && file->f_op == inode->i_fop)
			pid = inode->i_private;
	} else if (inode->i_sb->s_magic == ANON_INODE_FS_MAGIC) {
		if (!strcmp(file->f_path.dentry->d_name.name, "[pidfd]") &&
		    file->f_op && !file->f_op->owner)
			pid = file->private_data;
	}
	if (!pid) {
		fput(file);
		return ERR_PTR(-EBADF);
	}
	task = get_pid_task(pid, PIDTYPE_PID);
	fput(file);
	if (!task)
		return ERR_PTR(-ESRCH);
	pid = get_task_pid(task, PIDTYPE_TGID);
	put_task_struct(task);
	return pid ?: ERR_PTR(-ESRCH);
}

/**
 * mbox_link_lookup - the link between @me and process @nr
 * @me: the caller's endpoint
 * @nr: the peer's pid in the caller's pid namespace, or with
 *	MBOX_LOOKUP_PIDFD a pidfd naming it
 * @how: MBOX_LOOKUP_CREATE: make the link if there is none: an existing
 *	link is used whoever made it, a new one needs the caller to be
 *	allowed to send to the peer (see mbox_ep_may_link());
 *	MBOX_LOOKUP_PIDFD: @nr is a pidfd (see mbox_pidfd_pid())
 *
 * The one way every pid- or pidfd-addressed command finds its link. A
 * process never links with itself: its own pid is -EINVAL.
 *
 * Return: the link, referenced, or ERR_PTR: -EINVAL (@nr not a pid, or our
 * own), -ENOTCONN (no link, not creating), -EPIPE (@me is shut down), with
 * MBOX_LOOKUP_PIDFD -EBADF (not a pidfd) and -ESRCH (the process exited), or
 * when creating -ESRCH, -EPERM, -ECONNREFUSED, -ENOMEM.
 */
struct mbox_link *mbox_link_lookup(struct mbox_ep *me, s32 nr, unsigned int how)
{
	bool create = how & MBOX_LOOKUP_CREATE;
	struct mbox_link *link;
	struct pid *pid;

	if (how & MBOX_LOOKUP_PIDFD) {
		pid = mbox_pidfd_pid(nr);
		if (IS_ERR(pid))
			return ERR_CAST(pid);
	} else {
		/* Not a pid, for every command alike. */
		if (nr <= 0)
			return ERR_PTR(-EINVAL);
		pid = find_get_pid(nr);
	}
	if (pid == me->pid) {
		put_pid(pid);
		return ERR_PTR(-EINVAL);
	}
	link = pid ? mbox_link_find_rcu(me, pid) : NULL;
	if (link) {
		put_pid(pid);
		return link;
	}
	mutex_lock(&mbox_links_lock);
	if (me->dead)
		link = ERR_PTR(create ? -EPIPE : -ENOTCONN);
	else
		link = mbox_link_lookup_pid(me, pid, create);
	mutex_unlock(&mbox_links_lock);
	put_pid(pid);
	return link;
}

/* ---- endpoint lifetime ---- */

/*
 * Shut @ep down: out of the pid table, every link killed, the inbox shut
 * down (queued messages dropped, waiters woken), unanswered calls dropped.
 * Idempotent.
 */
static void mbox_ep_shutdown(struct mbox_ep *ep)
{
	struct mbox_link *link;

	mutex_lock(&mbox_links_lock);
	if (ep->dead) {
		mutex_unlock(&mbox_links_lock);
		return;
	}
	/* Dead: no new link can be made with it, so the list only shrinks. */
	ep->dead = true;
	hash_del(&ep->pid_node);
	while ((link = mbox_link_unlist_first(ep))) {
		mutex_unlock(&mbox_links_lock);
		mbox_link_kill(link);
		mbox_link_put(link);	/* the tables' reference */
		mutex_lock(&mbox_links_lock);
	}
	mutex_unlock(&mbox_links_lock);

	mbox_queue_shutdown(&ep->inbox);
	mbox_pending_close(ep);
}

/* Has the thread group of @pid exited (all its threads zombies or gone)? */
static bool mbox_pid_exited(struct pid *pid)
{
	struct task_struct *task;
	bool exited;

	rcu_read_lock();
	task = pid_task(pid, PIDTYPE_PID);
	exited = !task || (READ_ONCE(task->exit_state) && thread_group_empty(task));
	rcu_read_unlock();
	return exited;
}

/* Called under the pid's wait queue lock, interrupts off: defer the work. */
static int mbox_ep_exit_wake(struct wait_queue_entry *wait, unsigned int mode,
			     int sync, void *key)
{
	struct mbox_ep *ep = container_of(wait, struct mbox_ep, exit_wait);

	if (mbox_pid_exited(ep->pid))
		schedule_work(&ep->exit_work);
	return 0;
}

static void mbox_ep_exit_work(struct work_struct *work)
{
	mbox_ep_shutdown(container_of(work, struct mbox_ep, exit_work));
}

static void mbox_endpoint_destroy(struct mbox_obj *obj)
{
	struct mbox_ep *ep = to_endpoint(obj);

	/* Shut down (or never published): nothing can be queued any more. */
	mbox_queue_purge(&ep->inbox);
	put_pid(ep->pid);
	atomic_long_dec(&mbox_nr_endpoints);
	kfree(ep);
}

/*
 * /proc/mbox/objects: what MBOX_IOC_ENDPOINT_INFO reports, read by the same
 * code, the pid seen from the pid namespace of the /proc the file is read
 * through.
 */
static void mbox_endpoint_show(struct seq_file *m, struct mbox_obj *obj)
{
	struct mbox_endpoint_info info;

	mbox_ep_fill_info(&info, to_endpoint(obj),
			  proc_pid_ns(file_inode(m->file)->i_sb));
	seq_printf(m, " pid=%d capacity=%u msg_size_max=%u links=%llu",
		   info.pid, info.capacity, info.msg_size_max, info.links);
	seq_printf(m, " msgs=%llu bytes=%llu recv_waiters=%u send_waiters=%u",
		   info.msgs, info.bytes, info.recv_waiters, info.send_waiters);
}

static const struct mbox_obj_ops mbox_endpoint_obj_ops = {
	.type = MBOX_TYPE_ENDPOINT,
	.destroy = mbox_endpoint_destroy,
	.show = mbox_endpoint_show,
};

/**
 * mbox_ep_new - a new endpoint for the caller, not yet reachable
 * @cmd: as MBOX_IOC_ENDPOINT asked (checked)
 *
 * Publish it with mbox_ep_publish(), or undo it with mbox_ep_discard().
 *
 * Return: the endpoint, or an ERR_PTR.
 */
struct mbox_ep *mbox_ep_new(const struct mbox_endpoint *cmd)
{
	struct mbox_ep *ep;
	int ret;

	ep = kzalloc(sizeof(*ep), GFP_KERNEL_ACCOUNT);
	if (!ep)
		return ERR_PTR(-ENOMEM);
	ret = mbox_obj_init(&ep->obj, &mbox_endpoint_obj_ops, cmd->mode);
	if (ret) {
		kfree(ep);
		return ERR_PTR(ret);
	}
	ep->pid = get_task_pid(current, PIDTYPE_TGID);
	INIT_LIST_HEAD(&ep->links);
	INIT_LIST_HEAD(&ep->pending);
	spin_lock_init(&ep->pending_lock);
	ep->capacity = cmd->capacity ?: MBOX_LINK_CAPACITY_DEFAULT;
	mbox_queue_init(&ep->inbox, NULL, &ep->obj.id, 0, MBOX_CAPACITY_UNBOUNDED,
			cmd->msg_size_max, 0);
	ep->msg_size_max = ep->inbox.msg_size_max;
	init_waitqueue_func_entry(&ep->exit_wait, mbox_ep_exit_wake);
	INIT_WORK(&ep->exit_work, mbox_ep_exit_work);
	atomic_long_inc(&mbox_nr_endpoints);
	return ep;
}

/* Undo mbox_ep_new() of an endpoint that was never published. */
void mbox_ep_discard(struct mbox_ep *ep)
{
	mbox_obj_fini(&ep->obj);
	mbox_endpoint_destroy(&ep->obj);
}

/**
 * mbox_ep_publish - make @ep the caller's endpoint, reachable by its pid,
 *	and watch for the process's exit
 * @ep: from mbox_ep_new()
 *
 * From here on mbox_ep_close() undoes it.
 *
 * Return: 0, or -EEXIST if the process has an endpoint.
 */
int mbox_ep_publish(struct mbox_ep *ep)
{
	struct mbox_ep *old;
	int ret;

	mutex_lock(&mbox_links_lock);
	old = mbox_ep_lookup(ep->pid);
	if (old) {
		mbox_ep_put(old);
		mutex_unlock(&mbox_links_lock);
		return -EEXIST;
	}
	ret = mbox_obj_link(&ep->obj, "");
	if (!ret)
		hash_add(mbox_eps, &ep->pid_node, (unsigned long)ep->pid);
	mutex_unlock(&mbox_links_lock);
	if (!ret)
		add_wait_queue(&ep->pid->wait_pidfd, &ep->exit_wait);
	return ret;
}

/**
 * mbox_ep_close - the endpoint's descriptor is gone: shut it down and drop
 *	the descriptor's reference
 * @ep: a published endpoint
 */
void mbox_ep_close(struct mbox_ep *ep)
{
	remove_wait_queue(&ep->pid->wait_pidfd, &ep->exit_wait);
	cancel_work_sync(&ep->exit_work);
	mbox_ep_shutdown(ep);
	mbox_ep_put(ep);
}
