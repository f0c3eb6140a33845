/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mbox: a mailbox's arrival notification, POSIX mq_notify() semantics
 * (notify.c). Built on the queue (it is the queue's @arrived callback) and
 * on the mailbox's data; called by mailbox.c.
 *
 * Locking: a mailbox's queue lock protects its @notify pointer and the
 * registration it points to. The registration is fired, and freed, under
 * that lock (the queue calls @arrived with it held): nothing there sleeps.
 */
#ifndef _MBOX_NOTIFY_H
#define _MBOX_NOTIFY_H

#include <linux/types.h>

struct mbox_mailbox;
struct mbox_queue_ops;
struct mbox_ucmd;

/**
 * struct mbox_notify_reg - one process's registration on a mailbox
 * @owner: the registering process (its thread-group pid, a reference)
 * @user_ns: the owner's user namespace then, for si_uid (a reference)
 * @self_exec_id: the owner's then: no signal once it ran another program
 * @how: MBOX_NOTIFY_NONE, _SIGNAL or _EVENTFD
 * @signo: the signal, 0 for none
 * @value: the signal's si_value
 * @efd: the eventfd (a reference), with MBOX_NOTIFY_EVENTFD
 */
struct mbox_notify_reg {
	struct pid *owner;
	struct user_namespace *user_ns;
	u64 self_exec_id;
	u32 how;
	int signo;
	u64 value;
	struct eventfd_ctx *efd;
};

/* The queue callbacks of a plain (not broadcast) mailbox. */
extern const struct mbox_queue_ops mbox_notify_queue_ops;

int mbox_cmd_notify(struct mbox_ucmd *ucmd);
void mbox_notify_flush(struct mbox_mailbox *mb);
void mbox_notify_free(struct mbox_notify_reg *reg);

#endif /* _MBOX_NOTIFY_H */
