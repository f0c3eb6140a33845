// SPDX-License-Identifier: GPL-2.0
/*
 * mbox: endpoints, the processes of the notes' direct communication.
 *
 * A process makes itself reachable by creating its endpoint; peers name it
 * by process ID. The endpoint is bound to the process's struct pid, not to
 * the number, so a recycled pid is a different peer: a message for a dead
 * process can never reach its successor.
 *
 * An endpoint goes away when its last descriptor is closed or when its
 * process exits, whichever comes first. The exit is learnt from the pid's
 * pidfd wait queue (woken when the thread group has exited, as pidfd_poll()
 * is), so an endpoint descriptor inherited by a child does not keep a dead
 * process reachable. Going away shuts down every link of the endpoint (see
 * link.c) and drops the messages queued to it.
 */
#include <linux/anon_inodes.h>
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/file.h>
#include <linux/hashtable.h>
#include <linux/poll.h>
#include <linux/proc_fs.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include "mbox_internal.h"

#define MBOX_EP_FLAGS	(MBOX_EP_CLOEXEC | MBOX_EP_NONBLOCK)
#define MBOX_EP_MODES	0022	/* group and other write: who else may send */

/* Protects mbox_eps, every endpoint's links and dead; see mbox_internal.h. */
DEFINE_MUTEX(mbox_links_lock);
atomic_long_t mbox_nr_endpoints = ATOMIC_LONG_INIT(0);

/* Live endpoints by struct pid, under mbox_links_lock. */
static DEFINE_HASHTABLE(mbox_eps, 8);

static const struct file_operations mbox_endpoint_fops;

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
struct mbox_ep *mbox_ep_lookup(struct pid *pid)
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

/**
 * mbox_ep_may_send - find the endpoint of process @nr and check that the
 *	caller may open a link to it
 * @from: the caller's endpoint
 * @nr: the peer's process ID in the caller's pid namespace
 * @to: out: the peer's endpoint, referenced
 *
 * The errors leak no more than kill(2) does: -ESRCH when there is no such
 * process, -EPERM when the caller may neither signal it nor send to it by
 * its endpoint's mode, and only then -ECONNREFUSED when it has no endpoint.
 * Called with mbox_links_lock held.
 *
 * Return: 0 or a negative errno; -EINVAL for a link with oneself.
 */
int mbox_ep_may_send(struct mbox_ep *from, pid_t nr,
		     struct mbox_ep **to)
{
	struct task_struct *task;
	struct mbox_ep *ep;
	struct pid *pid;
	int ret = 0;

	lockdep_assert_held(&mbox_links_lock);
	if (nr <= 0)
		return -EINVAL;
	pid = find_get_pid(nr);
	task = pid ? get_pid_task(pid, PIDTYPE_TGID) : NULL;
	if (!task) {
		put_pid(pid);
		return -ESRCH;
	}
	if (pid == from->pid) {
		ret = -EINVAL;
		goto out;
	}
	ep = mbox_ep_lookup(pid);
	if (!(ep && mbox_ep_mode_admits(ep)) && !mbox_may_signal(task))
		ret = -EPERM;
	else if (!ep)
		ret = -ECONNREFUSED;
	if (ret && ep)
		mbox_ep_put(ep);
	if (!ret)
		*to = ep;
out:
	put_task_struct(task);
	put_pid(pid);
	return ret;
}

/*
 * Shut @ep down: out of the pid table, every link killed, queued messages
 * dropped, waiters woken. Idempotent.
 */
static void mbox_ep_shutdown(struct mbox_ep *ep)
{
	struct mbox_link *link;
	LIST_HEAD(freed);

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

	spin_lock(&ep->inbox.lock);
	ep->inbox.dead = true;
	mbox_queue_purge(&ep->inbox, &freed);
	spin_unlock(&ep->inbox.lock);
	wake_up_all(&ep->inbox.recv_wq);
	wake_up_all(&ep->inbox.send_wq);
	mbox_put_list(&freed);
	mbox_link_drop_pending(ep);
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

	/* Shut down, so every link, message and call is gone already. */
	put_pid(ep->pid);
	atomic_long_dec(&mbox_nr_endpoints);
	kfree(ep);
}

/*
 * /proc/mbox/objects: what MBOX_IOC_ENDPOINT_INFO reports. The pid is seen
 * from the pid namespace of the /proc the file is read through; @nr_links is
 * read without mbox_links_lock, which nests outside the registry's.
 */
static void mbox_endpoint_show(struct seq_file *m, struct mbox_obj *obj)
{
	struct mbox_ep *ep = to_endpoint(obj);
	struct pid_namespace *ns = proc_pid_ns(file_inode(m->file)->i_sb);

	seq_printf(m, " pid=%d capacity=%u msg_size_max=%u links=%llu",
		   pid_nr_ns(ep->pid, ns), ep->capacity, ep->msg_size_max,
		   READ_ONCE(ep->nr_links));
	spin_lock(&ep->inbox.lock);
	seq_printf(m, " msgs=%llu bytes=%llu recv_waiters=%u send_waiters=%u",
		   ep->inbox.nr_msgs, ep->inbox.nr_bytes, ep->inbox.nr_receivers,
		   ep->inbox.send_waiters);
	spin_unlock(&ep->inbox.lock);
}

static const struct mbox_obj_ops mbox_endpoint_obj_ops = {
	.type = MBOX_TYPE_ENDPOINT,
	.destroy = mbox_endpoint_destroy,
	.show = mbox_endpoint_show,
};

/* The endpoint's descriptor is gone: shut down and drop its reference. */
static void mbox_ep_close(struct mbox_ep *ep)
{
	remove_wait_queue(&ep->pid->wait_pidfd, &ep->exit_wait);
	cancel_work_sync(&ep->exit_work);
	mbox_ep_shutdown(ep);
	mbox_ep_put(ep);
}

static int mbox_endpoint_release(struct inode *inode, struct file *file)
{
	mbox_ep_close(file->private_data);
	return 0;
}

static __poll_t mbox_endpoint_poll(struct file *file, poll_table *pt)
{
	struct mbox_ep *ep = file->private_data;

	poll_wait(file, &ep->inbox.recv_wq, pt);
	return mbox_link_ep_poll(ep);
}

static long mbox_endpoint_ioctl(struct file *file, unsigned int cmd,
				unsigned long arg)
{
	return mbox_ioctl_dispatch(file, cmd, arg, mbox_endpoint_ops,
				   mbox_endpoint_nr_ops);
}

static const struct file_operations mbox_endpoint_fops = {
	.owner = THIS_MODULE,
	.poll = mbox_endpoint_poll,
	.unlocked_ioctl = mbox_endpoint_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.release = mbox_endpoint_release,
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

static struct mbox_ep *mbox_endpoint_new(const struct mbox_endpoint *cmd)
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
	INIT_LIST_HEAD(&ep->calls);
	INIT_LIST_HEAD(&ep->pending);
	spin_lock_init(&ep->pending_lock);
	ep->capacity = cmd->capacity ?: MBOX_LINK_CAPACITY_DEFAULT;
	mbox_queue_init(&ep->inbox, MBOX_CAPACITY_UNBOUNDED, cmd->msg_size_max);
	ep->msg_size_max = ep->inbox.msg_size_max;
	init_waitqueue_func_entry(&ep->exit_wait, mbox_ep_exit_wake);
	INIT_WORK(&ep->exit_work, mbox_ep_exit_work);
	atomic_long_inc(&mbox_nr_endpoints);
	return ep;
}

/* Make @ep the caller's endpoint: -EEXIST if the process has one. */
static int mbox_endpoint_publish(struct mbox_ep *ep)
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
	if (!ret) {
		/* Tracepoints name the inbox by its endpoint. */
		ep->inbox.obj.id = ep->obj.id;
		hash_add(mbox_eps, &ep->pid_node, (unsigned long)ep->pid);
	}
	mutex_unlock(&mbox_links_lock);
	return ret;
}

int mbox_endpoint_create(struct mbox_ucmd *ucmd)
{
	struct mbox_endpoint *cmd = ucmd->cmd;
	struct mbox_ep *ep;
	struct file *file;
	int ret;

	ret = mbox_endpoint_check(cmd);
	if (ret)
		return ret;
	ep = mbox_endpoint_new(cmd);
	if (IS_ERR(ep))
		return PTR_ERR(ep);
	ret = mbox_endpoint_publish(ep);
	if (ret) {
		mbox_obj_fini(&ep->obj);
		mbox_endpoint_destroy(&ep->obj);
		return ret;
	}
	/* From here on mbox_ep_close() undoes the endpoint. */
	add_wait_queue(&ep->pid->wait_pidfd, &ep->exit_wait);

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
