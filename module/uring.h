/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mbox: io_uring commands on mailbox, endpoint and link descriptors
 * (uring.c). Above the dispatcher (ucmd.c) and the deadlines (wait.c); it
 * knows no object: it runs the descriptor's own ioctl handlers, and waits
 * through the descriptor's poll.
 */
#ifndef _MBOX_URING_H
#define _MBOX_URING_H

#include <linux/kernel.h>
#include <linux/types.h>

#include "ucmd.h"

struct io_uring_cmd;

int mbox_uring_cmd(struct io_uring_cmd *ioucmd, unsigned int issue_flags,
		   const struct mbox_ioctl_op *ops, size_t nr_ops);

#endif /* _MBOX_URING_H */
