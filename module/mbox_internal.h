/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mbox: internal declarations shared by the module's files.
 */
#ifndef _MBOX_INTERNAL_H
#define _MBOX_INTERNAL_H

#include <linux/fs.h>
#include <linux/types.h>
#include <uapi/linux/mbox.h>

/**
 * struct mbox_ucmd - one ioctl call in flight
 * @file: the descriptor the ioctl was issued on
 * @ubuffer: the user's argument struct
 * @user_size: the size the user declared in the struct's first field
 * @cmd: the kernel copy of the argument, zero-extended to the kernel's size
 *
 * Handlers read their input from @cmd and hand their output back with
 * mbox_ucmd_respond(), which never writes more than @user_size bytes.
 */
struct mbox_ucmd {
	struct file *file;
	void __user *ubuffer;
	u32 user_size;
	void *cmd;
};

/**
 * struct mbox_ioctl_op - one entry of a dispatch table
 * @execute: the handler
 * @size: the kernel's size of the argument struct
 * @min_size: the size of the first published version of the struct
 */
struct mbox_ioctl_op {
	int (*execute)(struct mbox_ucmd *ucmd);
	size_t size;
	size_t min_size;
};

#define MBOX_IOCTL_OP(_nr, _fn, _struct, _last)				\
	[_nr] = {							\
		.execute = _fn,						\
		.size = sizeof(_struct),				\
		.min_size = offsetofend(_struct, _last),		\
	}

/* The largest argument struct any command takes, kernel side. */
#define MBOX_UCMD_MAX_SIZE	64

long mbox_ioctl_dispatch(struct file *file, unsigned int cmd,
			 unsigned long arg, const struct mbox_ioctl_op *ops,
			 size_t nr_ops);
int mbox_ucmd_respond(struct mbox_ucmd *ucmd, size_t len);

#endif /* _MBOX_INTERNAL_H */
