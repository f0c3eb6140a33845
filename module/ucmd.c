// SPDX-License-Identifier: GPL-2.0
/*
 * mbox: extensible ioctl argument handling.
 *
 * Every command is _IO(MBOX_TYPE, nr) and every argument struct starts with
 * its own size, as iommufd does. The dispatcher validates the command number,
 * reads the declared size, copies the struct with copy_struct_from_user()
 * (zero-extending older, shorter structs and refusing newer, longer ones whose
 * tail is not zero) and calls the handler from the table.
 *
 * The common case, a struct of the kernel's size, takes one user-access
 * window: the size word and the rest of the struct. Anything else (a fault,
 * another size) goes the general way above, which reads the struct again
 * and reports what it finds, so both ways give the same errors.
 */
#include <linux/file.h>
#include <linux/nospec.h>
#include <linux/uaccess.h>

#include "ucmd.h"

/*
 * Argument structs are copied word by word with user access opened once:
 * cheaper, for these few dozen bytes, than copy_{from,to}_user() to the
 * stack, which hardened usercopy checks on every call. @n is a multiple of
 * 8 (the structs are 64-bit aligned in size).
 */
static int mbox_ucmd_get_words(u64 *dst, const void __user *src, size_t n)
{
	const u64 __user *u = src;
	size_t i;

	if (!user_access_begin(src, n))
		return -EFAULT;
	/* Two words a turn: the structs are a few words long. */
	for (i = 0; i + 2 <= n / sizeof(u64); i += 2) {
		unsafe_get_user(dst[i], &u[i], efault);
		unsafe_get_user(dst[i + 1], &u[i + 1], efault);
	}
	if (i < n / sizeof(u64))
		unsafe_get_user(dst[i], &u[i], efault);
	user_access_end();
	return 0;
efault:
	user_access_end();
	return -EFAULT;
}

static int mbox_ucmd_put_words(void __user *dst, const u64 *src, size_t n)
{
	u64 __user *u = dst;
	size_t i;

	if (!user_access_begin(dst, n))
		return -EFAULT;
	for (i = 0; i < n / sizeof(u64); i++)
		unsafe_put_user(src[i], &u[i], efault);
	user_access_end();
	return 0;
efault:
	user_access_end();
	return -EFAULT;
}

/**
 * mbox_copy_struct_in - copy_struct_from_user(), word by word when the
 *	user's struct is the kernel's size (a multiple of 8 bytes)
 * @dst: the kernel struct
 * @ksize: its size
 * @src: the user's struct
 * @usize: its size
 *
 * For the entries of a batch, copied one by one like a command's struct.
 *
 * Return: 0, -EFAULT or -E2BIG, as copy_struct_from_user().
 */
int mbox_copy_struct_in(void *dst, size_t ksize, const void __user *src,
			size_t usize)
{
	if (usize == ksize && !(ksize % sizeof(u64)))
		return mbox_ucmd_get_words(dst, src, ksize);
	return copy_struct_from_user(dst, ksize, src, usize);
}

/**
 * mbox_ucmd_respond - copy a handler's result back to user space
 * @ucmd: the call in flight
 * @len: the kernel size of the result struct held in @ucmd->cmd
 *
 * Writes min(@len, user_size) bytes: an older caller gets the prefix it knows.
 * The dispatcher filled the kernel struct's whole size (zero-extending a
 * shorter user struct), so every byte written is initialised.
 */
int mbox_ucmd_respond(struct mbox_ucmd *ucmd, size_t len)
{
	size_t n = min_t(size_t, len, ucmd->user_size);

	/* Every argument struct's second word is its flags. */
	((u32 *)ucmd->cmd)[1] &= ~ucmd->forced;
	if (!(n % sizeof(u64)))
		return mbox_ucmd_put_words(ucmd->ubuffer, ucmd->cmd, n);
	if (copy_to_user(ucmd->ubuffer, ucmd->cmd, n))
		return -EFAULT;
	return 0;
}

/*
 * Check that the user byte at @u can be written without changing it; @val
 * is its value as read. Where the architecture has a compare-and-exchange
 * on user memory, the byte is exchanged with itself atomically: that needs
 * write access, and stores nothing but what the byte holds at that moment,
 * so a store another thread makes meanwhile is never undone. Elsewhere the
 * byte is written back as read. User access must be open.
 */
#ifdef unsafe_try_cmpxchg_user
#define mbox_probe_byte(u, val, label)					\
	do {								\
		u8 __mbox_old = (val);					\
		(void)unsafe_try_cmpxchg_user((u), &__mbox_old,	\
					      __mbox_old, label);	\
	} while (0)
#else
#define mbox_probe_byte(u, val, label)	unsafe_put_user((val), (u), label)
#endif

/**
 * mbox_user_probe_write - make sure a user region can be written back
 * @ubuf: the region, at most a page long
 * @kbuf: the kernel's copy of what it held when read
 * @n: its length
 *
 * Checks the first and (if on another page) the last byte with
 * mbox_probe_byte(): the region is at most a page, so that touches every
 * page it spans, and changes nothing in it. A command whose results could
 * not be handed back then fails with -EFAULT before it changes anything.
 *
 * Return: 0 or -EFAULT.
 */
int mbox_user_probe_write(void __user *ubuf, const void *kbuf, size_t n)
{
	u8 __user *first = ubuf, *last = first + n - 1;
	const u8 *k = kbuf;

	if (!n)
		return 0;
	if (!user_access_begin(first, n))
		return -EFAULT;
	mbox_probe_byte(first, k[0], efault);
	if (((unsigned long)first ^ (unsigned long)last) & PAGE_MASK)
		mbox_probe_byte(last, k[n - 1], efault);
	user_access_end();
	return 0;
efault:
	user_access_end();
	return -EFAULT;
}

/**
 * mbox_ucmd_probe - make sure part of the user's struct can be written back
 * @ucmd: the call in flight
 * @offset: where the output fields start
 * @len: how many bytes they take
 *
 * mbox_user_probe_write() on the part of the region inside the user's
 * struct.
 *
 * Return: 0 or -EFAULT.
 */
int mbox_ucmd_probe(struct mbox_ucmd *ucmd, size_t offset, size_t len)
{
	const u8 *kbuf = ucmd->cmd;

	if (ucmd->user_size <= offset || !len)
		return 0;
	return mbox_user_probe_write(ucmd->ubuffer + offset, kbuf + offset,
				     min_t(size_t, len, ucmd->user_size - offset));
}

/**
 * mbox_ucmd_install - give user space a descriptor for a new object's file
 * @ucmd: the call in flight; its result (say, the object's ID) is copied out
 *	before the descriptor exists, so a fault leaves nothing behind
 * @len: the kernel size of the result struct held in @ucmd->cmd
 * @file: the object's file, from anon_inode_getfile(); always consumed: on
 *	error it is put, and its ->release undoes the object
 * @cloexec: whether the descriptor is close-on-exec
 *
 * Return: the descriptor, or a negative errno.
 */
int mbox_ucmd_install(struct mbox_ucmd *ucmd, size_t len, struct file *file,
		      bool cloexec)
{
	int fd, ret;

	fd = get_unused_fd_flags(cloexec ? O_CLOEXEC : 0);
	if (fd < 0) {
		fput(file);
		return fd;
	}
	ret = mbox_ucmd_respond(ucmd, len);
	if (ret) {
		put_unused_fd(fd);
		fput(file);
		return ret;
	}
	fd_install(fd, file);
	return fd;
}

/*
 * The fast path: the user's struct is the kernel's size (its first word
 * says so), read word by word in one user-access window with the size.
 * False sends the caller to the general path, which reads the struct again
 * and reports any fault or size error itself. The output fields are checked
 * later, by the handler (mbox_ucmd_probe_out()), once its own checks passed:
 * a command that fails those touches nothing of the user's struct.
 */
static __always_inline bool mbox_ucmd_get_fast(struct mbox_ucmd *ucmd, u64 *buf)
{
	/* Read before the window: nothing in it may call out (objtool). */
	const size_t size = ucmd->op->size;
	const u64 __user *u = ucmd->ubuffer;
	size_t i;

	if (!user_access_begin(u, size))
		return false;
	unsafe_get_user(buf[0], &u[0], general);
	/* The size is the struct's first field, in the word's first bytes. */
	if (*(u32 *)buf != size)
		goto general;
	/* Two words a turn: the structs are a few words long. */
	for (i = 1; i + 2 <= size / sizeof(u64); i += 2) {
		unsafe_get_user(buf[i], &u[i], general);
		unsafe_get_user(buf[i + 1], &u[i + 1], general);
	}
	if (i < size / sizeof(u64))
		unsafe_get_user(buf[i], &u[i], general);
	user_access_end();
	return true;
general:
	user_access_end();
	return false;
}

/*
 * The general path: any size from the struct's first version to a page,
 * zero-extended or checked for a zero tail by copy_struct_from_user().
 */
static noinline int mbox_ucmd_get_slow(struct mbox_ucmd *ucmd, void *buf)
{
	const struct mbox_ioctl_op *op = ucmd->op;

	if (get_user(ucmd->user_size, (u32 __user *)ucmd->ubuffer))
		return -EFAULT;
	if (ucmd->user_size < op->min_size)
		return -EINVAL;
	if (ucmd->user_size > PAGE_SIZE)
		return -E2BIG;
	return mbox_copy_struct_in(buf, op->size, ucmd->ubuffer, ucmd->user_size);
}

/*
 * One command, from a dispatch table: the body of both entry points below,
 * inlined into each so that the ioctl's constant @force_flags and @watch
 * fold away.
 */
static __always_inline long
mbox_ucmd_run(struct file *file, unsigned int cmd, void __user *arg,
	      const struct mbox_ioctl_op *ops, size_t nr_ops,
	      u32 force_flags, const struct mbox_wait_watch *watch)
{
	/*
	 * Not zeroed, not even by CONFIG_INIT_STACK_ALL_ZERO (256 bytes on
	 * every call): the copy below fills the op->size bytes handlers use.
	 */
	u64 buf[MBOX_UCMD_MAX_SIZE / sizeof(u64)] __uninitialized;
	struct mbox_ucmd ucmd = {
		.file = file,
		.ubuffer = arg,
		.cmd = buf,
		.watch = watch,
	};
	unsigned int nr = _IOC_NR(cmd);
	int ret;

	/* Direction, type and size at once: _IO(MBOX_TYPE, nr) only. */
	if ((cmd & ~(_IOC_NRMASK << _IOC_NRSHIFT)) != _IO(MBOX_TYPE, 0) ||
	    nr >= nr_ops)
		return -ENOTTY;
	ucmd.op = &ops[array_index_nospec(nr, nr_ops)];
	if (!ucmd.op->execute)
		return -ENOTTY;

	ucmd.user_size = ucmd.op->size;
	if (unlikely(!mbox_ucmd_get_fast(&ucmd, buf))) {
		ret = mbox_ucmd_get_slow(&ucmd, buf);
		if (ret)
			return ret;
	}
	if (force_flags) {
		/* Every argument struct's second word is its flags. */
		ucmd.forced = force_flags & ~((u32 *)buf)[1];
		((u32 *)buf)[1] |= force_flags;
	}
	return ucmd.op->execute(&ucmd);
}

long mbox_ioctl_dispatch(struct file *file, unsigned int cmd,
			 unsigned long arg, const struct mbox_ioctl_op *ops,
			 size_t nr_ops)
{
	return mbox_ucmd_run(file, cmd, (void __user *)arg, ops, nr_ops, 0,
			     NULL);
}

/**
 * mbox_ucmd_dispatch - run one command from a dispatch table
 * @file: the descriptor
 * @cmd: the command number
 * @arg: the user's argument struct
 * @ops: the table
 * @nr_ops: its size
 * @force_flags: flag bits to add to the struct's flags (its second word)
 *	for this call only: io_uring's non-blocking attempts (uring.c); the
 *	user's struct is never written with them
 * @watch: NULL, or what ends the command's waits early (io_uring's
 *	worker threads, uring.c)
 *
 * Return: the handler's result, or a negative errno.
 */
long mbox_ucmd_dispatch(struct file *file, unsigned int cmd, void __user *arg,
			const struct mbox_ioctl_op *ops, size_t nr_ops,
			u32 force_flags, const struct mbox_wait_watch *watch)
{
	return mbox_ucmd_run(file, cmd, arg, ops, nr_ops, force_flags, watch);
}
