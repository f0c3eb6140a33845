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

/*
 * A file_operations.uring_cmd for descriptors whose ioctls dispatch
 * through @_ops: io_uring runs the same handlers.
 */
#define MBOX_URING_CMD(_name, _ops)					\
static int _name(struct io_uring_cmd *ioucmd, unsigned int issue_flags)	\
{									\
	return mbox_uring_cmd(ioucmd, issue_flags, _ops, ARRAY_SIZE(_ops)); \
}

#endif /* _MBOX_URING_H */
