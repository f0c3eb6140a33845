/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mbox: extensible ioctl arguments (ucmd.c). The lowest layer: it knows
 * nothing of the objects whose commands it dispatches.
 */
#ifndef _MBOX_UCMD_H
#define _MBOX_UCMD_H

#include <linux/build_bug.h>
#include <linux/fs.h>
#include <linux/stddef.h>
#include <linux/types.h>
#include <linux/uaccess.h>
#include <uapi/linux/mbox.h>

struct mbox_ucmd;
struct mbox_wait_watch;

/**
 * struct mbox_ioctl_op - one entry of a dispatch table
 * @execute: the handler
 * @size: the kernel's size of the argument struct (a multiple of 8 bytes,
 *	at most MBOX_UCMD_MAX_SIZE)
 * @min_size: the size of the first published version of the struct
 * @out: where the struct's output fields start (they run to its end), for
 *	mbox_ucmd_probe_out(); declared with MBOX_IOCTL_OP_OUT()
 */
struct mbox_ioctl_op {
	int (*execute)(struct mbox_ucmd *ucmd);
	u16 size;
	u16 min_size;
	u16 out;
};

/* The largest argument struct any command takes, kernel side. */
#define MBOX_UCMD_MAX_SIZE	256

/*
 * The fields every entry sets. Each struct's size is checked at build time:
 * at most MBOX_UCMD_MAX_SIZE and a multiple of 8 bytes (the dispatcher
 * copies whole words).
 */
#define __MBOX_IOCTL_OP(_fn, _struct, _last)				\
	.execute = _fn,							\
	.size = sizeof(_struct) +					\
		BUILD_BUG_ON_ZERO(sizeof(_struct) > MBOX_UCMD_MAX_SIZE ||	\
				  sizeof(_struct) % sizeof(u64)),	\
	.min_size = offsetofend(_struct, _last)

#define MBOX_IOCTL_OP(_nr, _fn, _struct, _last)				\
	[_nr] = { __MBOX_IOCTL_OP(_fn, _struct, _last) }

/*
 * A command whose results go to the fields from @_out to the struct's end
 * and that must fail with -EFAULT, before it changes anything, if they could
 * not be handed back: its handler calls mbox_ucmd_probe_out().
 */
#define MBOX_IOCTL_OP_OUT(_nr, _fn, _struct, _last, _out)		\
	[_nr] = {							\
		__MBOX_IOCTL_OP(_fn, _struct, _last),			\
		.out = offsetof(_struct, _out),				\
	}

/**
 * struct mbox_ucmd - one ioctl call in flight
 * @file: the descriptor the ioctl was issued on
 * @ubuffer: the user's argument struct
 * @user_size: the size the user declared in the struct's first field
 * @forced: flag bits the caller added to @cmd's flags that the user did not
 *	set (an io_uring command's MBOX_WAIT_NONBLOCK, see uring.c);
 *	mbox_ucmd_respond() hands the user's own flags back
 * @cmd: the kernel copy of the argument, zero-extended to the kernel's size
 * @op: the command's entry in its dispatch table
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
	u32 forced;
	void *cmd;
	const struct mbox_ioctl_op *op;
	const struct mbox_wait_watch *watch;
};

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
int mbox_user_probe_write(void __user *ubuf, const void *kbuf, size_t n);
int mbox_ucmd_install(struct mbox_ucmd *ucmd, size_t len, struct file *file,
		      bool cloexec);

/**
 * mbox_ucmd_probe_out - make sure the command's output fields (declared by
 *	MBOX_IOCTL_OP_OUT()) can be written back
 * @ucmd: the call in flight
 *
 * Handlers call it once their own checks passed, before the command takes
 * effect, so that errors keep their order and a command failing those
 * checks touches nothing (mbox_user_probe_write() changes nothing either).
 *
 * Return: 0 or -EFAULT.
 */
static inline int mbox_ucmd_probe_out(struct mbox_ucmd *ucmd)
{
	return mbox_ucmd_probe(ucmd, ucmd->op->out,
			       ucmd->op->size - ucmd->op->out);
}

/**
 * mbox_ucmd_put_u64 - hand back one 64-bit output field
 * @ucmd: the call in flight
 * @offset: the field's offset in the argument struct
 * @val: its value
 *
 * For a command whose only output is one field: cheaper than writing the
 * whole struct back. Nothing is written when the user's struct ends before
 * the field.
 *
 * Return: 0 or -EFAULT.
 */
static inline int mbox_ucmd_put_u64(struct mbox_ucmd *ucmd, size_t offset,
				    u64 val)
{
	if (ucmd->user_size < offset + sizeof(val))
		return 0;
	return put_user(val, (u64 __user *)(ucmd->ubuffer + offset)) ? -EFAULT : 0;
}

#endif /* _MBOX_UCMD_H */
