// SPDX-License-Identifier: GPL-2.0
/*
 * mbox: arrival notification (MBOX_IOC_NOTIFY), the semantics of POSIX
 * mq_notify() and of ipc/mqueue.c's implementation of it.
 *
 * A plain mailbox has at most one registration (struct mbox_notify_reg),
 * made by one process, its owner. The queue calls mbox_notify_arrived()
 * under its lock when a message arrives in an empty queue and no waiting
 * receiver takes it; the registration is then taken off the mailbox,
 * fired and freed, all under that lock: a signal sent with send_sig_info()
 * or an eventfd signalled, neither of which sleeps. The owner removes it
 * with MBOX_NOTIFY_REMOVE, or by closing any descriptor of the mailbox (the
 * flush handler, as mqueue_flush_file() does), which its exit does too.
 */
#include <linux/cred.h>
#include <linux/eventfd.h>
#include <linux/pid.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/signal.h>
#include <linux/slab.h>
#include <linux/user_namespace.h>

#include "mailbox.h"
#include "notify.h"
#include "ucmd.h"

/* The one difference between the kernels: eventfd_signal() lost its count in 6.8. */
static void mbox_eventfd_signal(struct eventfd_ctx *efd)
{
#ifdef MBOX_HAVE_EVENTFD_SIGNAL_NOCOUNT
	eventfd_signal(efd);
#else
	eventfd_signal(efd, 1);
#endif
}

/**
 * mbox_notify_free - drop a registration and what it holds
 * @reg: the registration (off its mailbox), or NULL
 *
 * Does not sleep: called under the queue lock when a registration fires.
 */
void mbox_notify_free(struct mbox_notify_reg *reg)
{
	if (!reg)
		return;
	if (reg->efd)
		eventfd_ctx_put(reg->efd);
	put_user_ns(reg->user_ns);
	put_pid(reg->owner);
	kfree(reg);
}

/*
 * The thread of process @p to hand @sig to. ipc/mqueue.c sends a
 * process-directed signal, which modules can not (send_sig_info() directs
 * it at one thread): so pick the thread the kernel's complete_signal()
 * would, one that does not block it (a thread in sigwaitinfo() for it
 * does not), else the first that is not exiting. Under rcu_read_lock().
 */
static struct task_struct *mbox_notify_thread(struct task_struct *p, int sig)
{
	struct task_struct *t, *alive = NULL;

	for_each_thread(p, t) {
		if (t->flags & PF_EXITING)
			continue;
		if (!sigismember(&t->blocked, sig))
			return t;
		if (!alive)
			alive = t;
	}
	return alive;
}

/*
 * Send the owner its signal, with the sender (current) as si_pid and
 * si_uid seen from the owner's namespaces, as ipc/mqueue.c's __do_notify().
 * Not after the owner executed another program: it would not expect it.
 */
static void mbox_notify_signal(struct mbox_notify_reg *reg)
{
	struct kernel_siginfo info;
	struct task_struct *task;

	if (!reg->signo)
		return;
	clear_siginfo(&info);
	info.si_signo = reg->signo;
	info.si_errno = 0;
	info.si_code = SI_MESGQ;
	info.si_value.sival_ptr = u64_to_user_ptr(reg->value);
	rcu_read_lock();
	info.si_pid = task_tgid_nr_ns(current, ns_of_pid(reg->owner));
	info.si_uid = from_kuid_munged(reg->user_ns, current_uid());
	task = pid_task(reg->owner, PIDTYPE_TGID);
	if (task && task->self_exec_id == reg->self_exec_id)
		task = mbox_notify_thread(task, reg->signo);
	else
		task = NULL;
	if (task)
		send_sig_info(reg->signo, &info, task);
	rcu_read_unlock();
}

/* The queue's @arrived callback: fire the registration once, and drop it. */
static void mbox_notify_arrived(struct mbox_queue *q)
{
	struct mbox_mailbox *mb = container_of(q, struct mbox_mailbox, q);
	struct mbox_notify_reg *reg = mb->notify;

	lockdep_assert_held(&q->lock);
	if (!reg)
		return;
	mb->notify = NULL;
	if (reg->how == MBOX_NOTIFY_SIGNAL)
		mbox_notify_signal(reg);
	else if (reg->how == MBOX_NOTIFY_EVENTFD)
		mbox_eventfd_signal(reg->efd);
	mbox_notify_free(reg);
}

const struct mbox_queue_ops mbox_notify_queue_ops = {
	.arrived = mbox_notify_arrived,
};

/**
 * mbox_notify_flush - remove @mb's registration if the caller's process
 *	owns it: MBOX_NOTIFY_REMOVE, and every close of a descriptor of @mb
 * @mb: the mailbox
 */
void mbox_notify_flush(struct mbox_mailbox *mb)
{
	struct mbox_notify_reg *reg = NULL;

	if (!READ_ONCE(mb->notify))
		return;
	spin_lock(&mb->q.lock);
	if (mb->notify && mb->notify->owner == task_tgid(current)) {
		reg = mb->notify;
		mb->notify = NULL;
	}
	spin_unlock(&mb->q.lock);
	mbox_notify_free(reg);
}

static int mbox_notify_check(const struct mbox_notify *cmd)
{
	if (cmd->flags || cmd->__reserved)
		return -EINVAL;
	switch (cmd->how) {
	case MBOX_NOTIFY_REMOVE:
	case MBOX_NOTIFY_NONE:
		return (cmd->signo || cmd->value || cmd->fd) ? -EINVAL : 0;
	case MBOX_NOTIFY_SIGNAL:
		/* 0 is accepted and sends nothing, as mq_notify() does. */
		if (cmd->fd || cmd->signo < 0 || !valid_signal(cmd->signo))
			return -EINVAL;
		return 0;
	case MBOX_NOTIFY_EVENTFD:
		return (cmd->signo || cmd->value) ? -EINVAL : 0;
	}
	return -EINVAL;
}

/* A registration for the caller as @cmd asks. Return: it, or an ERR_PTR. */
static struct mbox_notify_reg *mbox_notify_make(const struct mbox_notify *cmd)
{
	struct mbox_notify_reg *reg;
	int ret;

	reg = kzalloc(sizeof(*reg), GFP_KERNEL_ACCOUNT);
	if (!reg)
		return ERR_PTR(-ENOMEM);
	if (cmd->how == MBOX_NOTIFY_EVENTFD) {
		/* -EBADF, or -EINVAL for a descriptor that is no eventfd. */
		reg->efd = eventfd_ctx_fdget(cmd->fd);
		if (IS_ERR(reg->efd)) {
			ret = PTR_ERR(reg->efd);
			kfree(reg);
			return ERR_PTR(ret);
		}
	}
	reg->owner = get_pid(task_tgid(current));
	reg->user_ns = get_user_ns(current_user_ns());
	reg->self_exec_id = current->self_exec_id;
	reg->how = cmd->how;
	reg->signo = cmd->signo;
	reg->value = cmd->value;
	return reg;
}

/**
 * mbox_cmd_notify - MBOX_IOC_NOTIFY: register or remove the caller's
 *	notification (see struct mbox_notify)
 * @ucmd: the command
 *
 * Return: 0; -EBUSY (registered already, by anybody), -EINVAL (bad fields,
 * a broadcast mailbox, a descriptor that is no eventfd), -EBADF, -ENOMEM.
 */
int mbox_cmd_notify(struct mbox_ucmd *ucmd)
{
	struct mbox_file *mf = ucmd->file->private_data;
	struct mbox_notify *cmd = ucmd->cmd;
	struct mbox_mailbox *mb = mf->mb;
	struct mbox_notify_reg *reg;
	int ret;

	ret = mbox_notify_check(cmd);
	if (ret)
		return ret;
	/* Every subscriber has its own queue position: no one "empty". */
	if (mb->mb_flags & MBOX_MB_BROADCAST)
		return -EINVAL;
	if (cmd->how == MBOX_NOTIFY_REMOVE) {
		mbox_notify_flush(mb);
		return 0;
	}
	reg = mbox_notify_make(cmd);
	if (IS_ERR(reg))
		return PTR_ERR(reg);
	spin_lock(&mb->q.lock);
	if (!mb->notify) {
		mb->notify = reg;
		reg = NULL;
	}
	spin_unlock(&mb->q.lock);
	if (reg) {
		mbox_notify_free(reg);
		return -EBUSY;
	}
	return 0;
}
