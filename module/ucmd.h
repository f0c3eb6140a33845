/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mbox: extensible ioctl arguments (ucmd.c). The lowest layer: it knows
 * nothing of the objects whose commands it dispatches.
 */
#ifndef _MBOX_UCMD_H
#define _MBOX_UCMD_H

#include <linux/fs.h>
#include <linux/stddef.h>
#include <linux/types.h>
#include <uapi/linux/mbox.h>

struct mbox_wait_watch;

/**
 * struct mbox_ucmd - one ioctl call in flight
 * @file: the descriptor the ioctl was issued on
 * @ubuffer: the user's argument struct
 * @user_size: the size the user declared in the struct's first field
 * @cmd: the kernel copy of the argument, zero-extended to the kernel's size
 * @forced: flag bits the caller added to @cmd's flags that the user did not
 *	set (an io_uring command's MBOX_WAIT_NONBLOCK, see uring.c);
 *	mbox_ucmd_respond() hands the user's own flags back
 * @watch: NULL, or what ends the command's waits early (an io_uring
 *	command's, see uring.c); handlers pass it to mbox_deadline_init()
 *
 * Handlers read their input from @cmd and hand their output back with
 * mbox_ucmd_respond() or mbox_ucmd_put_u64(), which never write beyond
 * @user_size bytes.
 */
struct mbox_ucmd {
	struct file *file;
	void __user *ubuffer;
	u32 user_size;
	void *cmd;
	u32 forced;
	const struct mbox_wait_watch *watch;
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
#define MBOX_UCMD_MAX_SIZE	256

long mbox_ioctl_dispatch(struct file *file, unsigned int cmd,
			 unsigned long arg, const struct mbox_ioctl_op *ops,
			 size_t nr_ops);
long mbox_ucmd_dispatch(struct file *file, unsigned int cmd, void __user *arg,
			const struct mbox_ioctl_op *ops, size_t nr_ops,
			u32 force_flags, const struct mbox_wait_watch *watch);
int mbox_copy_struct_in(void *dst, size_t ksize, const void __user *src,
			size_t usize);
int mbox_ucmd_respond(struct mbox_ucmd *ucmd, size_t len);
int mbox_ucmd_probe(struct mbox_ucmd *ucmd, size_t offset, size_t len);
int mbox_ucmd_put_u64(struct mbox_ucmd *ucmd, size_t offset, u64 val);
int mbox_ucmd_install(struct mbox_ucmd *ucmd, size_t len, struct file *file,
		      bool cloexec);

#endif /* _MBOX_UCMD_H */
