// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libmbox-mq: the POSIX message-queue API (<mqueue.h>) over mbox mailboxes.
 *
 * Use it with LD_PRELOAD=libmbox-mq.so on an unmodified program, or link
 * with -lmbox-mq (pkg-config libmbox-mq) ahead of libc. Every entry point
 * glibc has is defined here, because glibc's own call one another without
 * the PLT (mq_send jumps to mq_timedsend, mq_getattr to mq_setattr, ...):
 * interposing only some of them would mix the two implementations.
 *
 * An mqd_t is the mailbox's descriptor: close-on-exec, pollable (POLLIN: a
 * message is queued; POLLOUT: there is room), closed by mq_close() or
 * close(). mq_attr.mq_maxmsg is the mailbox's capacity, mq_msgsize its
 * msg_size_max; O_NONBLOCK is the descriptor's flag. Errors are POSIX's,
 * reported in errno. See docs/posix-mq.md for the mapping and differences.
 *
 * State: none but what SIGEV_THREAD needs: the list of this process's
 * SIGEV_THREAD registrations (each an eventfd the module signals and a
 * thread waiting on it), under one mutex. Everything else acts only on the
 * descriptor and arguments given, so every function is thread-safe.
 *
 * When /dev/mbox does not exist (the module is not loaded), mq_open() and
 * mq_unlink() use the kernel's POSIX message queues instead, and the other
 * calls act on such descriptors through the kernel's system calls too.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <mqueue.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/mbox.h>

#define MQ_API __attribute__((visibility("default")))

/* glibc's MQ_PRIO_MAX; <limits.h> may not define it. */
#define MBOX_MQ_PRIO_MAX	32768
/* The kernel's limits for a CAP_SYS_RESOURCE holder (ipc/mqueue.c). */
#define HARD_MSGMAX		65536
#define HARD_MSGSIZEMAX		(16 * 1024 * 1024)
/* What the kernel charges per message and per priority level (x86_64). */
#define MQ_MSG_OVERHEAD		48
#define MQ_PRIO_OVERHEAD	48

/* ---- small helpers ---- */

static int set_errno(int err)
{
	errno = err;
	return -1;
}

/* ioctl(2) returning a negative errno. */
static int mbox_call(int fd, unsigned long cmd, void *arg)
{
	int ret = ioctl(fd, cmd, arg);

	return ret < 0 ? -errno : ret;
}

/*
 * A blocking call, as a cancellation point: mq_send() and mq_receive() are
 * (POSIX), and glibc's are; an ioctl is not, so cancellation is made
 * asynchronous for the call's duration, as glibc once did around its
 * system calls.
 */
static int mbox_call_cancel(int fd, unsigned long cmd, void *arg)
{
	int ret, old, err;

	pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, &old);
	ret = ioctl(fd, cmd, arg);
	err = errno;
	pthread_setcanceltype(old, &old);
	return ret < 0 ? -err : ret;
}

/*
 * Copy @n bytes between this process's memory at @addr and @buf as the
 * kernel's copy_from_user()/copy_to_user() would: -EFAULT, not SIGSEGV, when
 * @addr is not readable (@write false) or writable (@write true). The copy
 * goes through process_vm_readv()/process_vm_writev() on ourselves, which
 * the kernel allows any process (no ptrace check for its own thread group).
 * Where those calls are refused (ENOSYS, a seccomp filter's EPERM), the
 * memory is accessed directly, as before.
 */
static int user_copy(void *addr, void *buf, size_t n, bool write)
{
	struct iovec local = { .iov_base = buf, .iov_len = n };
	struct iovec remote = { .iov_base = addr, .iov_len = n };
	int saved = errno;
	ssize_t r;

	r = write ? process_vm_writev(getpid(), &local, 1, &remote, 1, 0)
		  : process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
	if (r < 0 && errno != EFAULT) {
		errno = saved;
		if (write)
			memcpy(addr, buf, n);
		else
			memcpy(buf, addr, n);
		return 0;
	}
	errno = saved;
	return r == (ssize_t)n ? 0 : -EFAULT;
}

/* Read @n bytes at user pointer @src into @dst: 0 or -EFAULT. */
static int user_read(void *dst, const void *src, size_t n)
{
	return user_copy((void *)src, dst, n, false);
}

/* Write @n bytes of @src at user pointer @dst: 0 or -EFAULT. */
static int user_write(void *dst, const void *src, size_t n)
{
	return user_copy(dst, (void *)src, n, true);
}

/*
 * Is @p writable for @n bytes? Its content is read and written back
 * unchanged (a caller writing its own out-argument during the call races
 * with itself, as with the kernel's put_user()): 0 or -EFAULT.
 */
static int user_writable(void *p, size_t n)
{
	unsigned char tmp[sizeof(struct mq_attr)];

	if (n > sizeof(tmp) || user_read(tmp, p, n))
		return -EFAULT;
	return user_write(p, tmp, n);
}

/* /dev/mbox, close-on-exec; -errno when it can not be opened. */
static int dev_open(void)
{
	int fd = open(MBOX_DEVICE_PATH, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

/* Is /dev/mbox's absence behind @err (so the kernel's mqueue is used)? */
static bool no_mbox(int err)
{
	return err == -ENOENT || err == -ENXIO || err == -ENODEV;
}

/*
 * The mailbox name for POSIX @name, as glibc and the kernel check it: a
 * leading '/' (EINVAL), then 1 to NAME_MAX characters other than '/', and
 * not "." or ".." (EACCES, ENAMETOOLONG); "/" alone is an empty name, which
 * the kernel's getname() refuses with ENOENT. The module accepts printable
 * ASCII only: other characters are EINVAL (docs/posix-mq.md).
 */
static int mq_name(const char *name, const char **out)
{
	size_t len, i;

	if (!name || name[0] != '/')
		return EINVAL;
	name++;
	len = strnlen(name, PATH_MAX);
	if (len >= PATH_MAX)
		return ENAMETOOLONG;
	if (!len)
		return ENOENT;
	if (!strcmp(name, ".") || !strcmp(name, "..") || strchr(name, '/'))
		return EACCES;
	if (len > NAME_MAX)
		return ENAMETOOLONG;
	for (i = 0; i < len; i++)
		if (name[i] <= ' ' || name[i] > '~')
			return EINVAL;
	*out = name;
	return 0;
}

/* A number from /proc/sys/fs/mqueue/@what, or @dflt. */
static long mq_sysctl(const char *what, long dflt)
{
	char path[64], buf[32];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/sys/fs/mqueue/%s", what);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return dflt;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return dflt;
	buf[n] = '\0';
	return strtol(buf, NULL, 10);
}

/* Does the caller hold CAP_SYS_RESOURCE (effective)? */
static bool cap_sys_resource(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data))
		return false;
	return data[CAP_SYS_RESOURCE / 32].effective & (1u << (CAP_SYS_RESOURCE % 32));
}

/*
 * The umask a new queue's mode is masked with: the caller's, read from
 * /proc/self/status without changing it. umask(2) is the only other way to
 * learn it, and it sets the mask for the whole process: another thread
 * creating a file between umask(x) and umask(old) would get x, so a
 * library can not use it. Without /proc (not mounted, a kernel older than
 * 4.7 with no "Umask:" line) the mask is 077: group and others get nothing,
 * the owner the bits asked for. That never opens a queue to other users
 * more than the real umask would (it may open it to fewer); only an umask
 * that also takes owner bits away is not applied (docs/posix-mq.md).
 */
#define UMASK_UNKNOWN	077

static mode_t current_umask(void)
{
	mode_t mask = UMASK_UNKNOWN;
	char line[128];
	FILE *f = fopen("/proc/self/status", "re");

	if (!f)
		return mask;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "Umask:", 6)) {
			mask = (mode_t)strtoul(line + 6, NULL, 8) & 0777;
			break;
		}
	fclose(f);
	return mask;
}

/*
 * The capacity and message size for a new queue, checked as ipc/mqueue.c
 * does (attr NULL: the defaults, bounded by the maxima). Return: 0 or an
 * errno value.
 */
static int mq_check_attr(const struct mq_attr *attr, uint32_t *maxmsg,
			 uint32_t *msgsize)
{
	long msg_max = mq_sysctl("msg_max", 10);
	long msgsize_max = mq_sysctl("msgsize_max", 8192);
	unsigned long long bytes;
	struct rlimit rl;
	long m, s;

	if (attr) {
		m = attr->mq_maxmsg;
		s = attr->mq_msgsize;
		if (m <= 0 || s <= 0)
			return EINVAL;
		if (cap_sys_resource() ? (m > HARD_MSGMAX || s > HARD_MSGSIZEMAX)
				       : (m > msg_max || s > msgsize_max))
			return EINVAL;
	} else {
		m = mq_sysctl("msg_default", 10);
		s = mq_sysctl("msgsize_default", 8192);
		if (m > msg_max)
			m = msg_max;
		if (s > msgsize_max)
			s = msgsize_max;
	}
	/* RLIMIT_MSGQUEUE, for this queue alone (the kernel sums the user's). */
	bytes = (unsigned long long)m * (unsigned long long)(s + MQ_MSG_OVERHEAD) +
		(unsigned long long)(m < MBOX_MQ_PRIO_MAX ? m : MBOX_MQ_PRIO_MAX) *
		MQ_PRIO_OVERHEAD;
	if (!getrlimit(RLIMIT_MSGQUEUE, &rl) && rl.rlim_cur != RLIM_INFINITY &&
	    bytes > rl.rlim_cur)
		return EMFILE;
	*maxmsg = (uint32_t)m;
	*msgsize = (uint32_t)s;
	return 0;
}

/* ---- open, close, unlink ---- */

static int mbox_mq_open_one(int dev, const char *name, uint32_t flags,
			    uint32_t mode, uint32_t maxmsg, uint32_t msgsize)
{
	struct mbox_open op = {
		.size = sizeof(op),
		.flags = flags,
		.name = (uintptr_t)name,
	};

	if (flags & MBOX_OPEN_CREATE) {
		op.mode = mode;
		op.capacity = maxmsg;
		op.msg_size_max = msgsize;
	}
	return mbox_call(dev, MBOX_IOC_OPEN, &op);
}

/* Does mailbox @name exist (whether or not we may open it)? */
static bool mbox_exists(int dev, const char *name)
{
	int fd = mbox_mq_open_one(dev, name, MBOX_OPEN_RECV | MBOX_OPEN_CLOEXEC, 0, 0, 0);

	if (fd >= 0)
		close(fd);
	return fd != -ENOENT;
}

/* Map the module's errors to mq_open()'s. */
static int mq_open_errno(int err)
{
	switch (err) {
	case -EPERM:
		return EACCES;
	case -EDQUOT:
		return EMFILE;
	default:
		return -err;
	}
}

static mqd_t mq_open_impl(const char *posix_name, int oflag, mode_t mode,
			  const struct mq_attr *attr)
{
	uint32_t flags = MBOX_OPEN_CLOEXEC, maxmsg = 0, msgsize = 0;
	struct mq_attr kattr;
	const char *name;
	int dev, fd, err;

	err = mq_name(posix_name, &name);
	if (err)
		return set_errno(err);
	switch (oflag & O_ACCMODE) {
	case O_RDONLY:
		flags |= MBOX_OPEN_RECV;
		break;
	case O_WRONLY:
		flags |= MBOX_OPEN_SEND;
		break;
	case O_RDWR:
		flags |= MBOX_OPEN_SEND | MBOX_OPEN_RECV;
		break;
	default:
		return set_errno(EINVAL);
	}
	if (oflag & O_NONBLOCK)
		flags |= MBOX_OPEN_NONBLOCK;
	/* The attributes are copied first, as the kernel does (EFAULT). */
	if ((oflag & O_CREAT) && attr) {
		if (user_read(&kattr, attr, sizeof(kattr)))
			return set_errno(EFAULT);
		attr = &kattr;
	}

	dev = dev_open();
	if (dev < 0) {
		if (!no_mbox(dev))
			return set_errno(-dev);
		return syscall(SYS_mq_open, name, oflag, mode, attr);
	}
	/* Open what exists; create (checking the attributes) only what does not. */
	if (!(oflag & O_CREAT) || !(oflag & O_EXCL)) {
		fd = mbox_mq_open_one(dev, name, flags, 0, 0, 0);
		if (fd != -ENOENT || !(oflag & O_CREAT))
			goto out;
	}
	err = mq_check_attr(attr, &maxmsg, &msgsize);
	if (err) {
		/* O_EXCL on an existing queue: EEXIST, whatever the attributes. */
		fd = (oflag & O_EXCL) && mbox_exists(dev, name) ? -EEXIST : -err;
		goto out;
	}
	/*
	 * Without O_EXCL, a queue made by someone else since the open above is
	 * opened (the module does that), its attributes untouched. A ring
	 * holding the name is -EEXIST from the module whether or not
	 * MBOX_OPEN_EXCL is given: the name is taken by something that is not
	 * a queue, so EEXIST is the answer (docs/posix-mq.md).
	 */
	/*
	 * The module applies the caller's umask itself (MBOX_OPEN_UMASK); an
	 * older module refuses the flag, and the mask is read here instead.
	 */
	flags |= MBOX_OPEN_CREATE | ((oflag & O_EXCL) ? MBOX_OPEN_EXCL : 0);
	fd = mbox_mq_open_one(dev, name, flags | MBOX_OPEN_UMASK, mode & 0777,
			      maxmsg, msgsize);
	if (fd == -EINVAL)
		fd = mbox_mq_open_one(dev, name, flags,
				      (mode & 0777) & ~current_umask(), maxmsg, msgsize);
out:
	close(dev);
	if (fd < 0)
		return set_errno(mq_open_errno(fd));
	return fd;
}

MQ_API mqd_t mq_open(const char *name, int oflag, ...)
{
	struct mq_attr *attr = NULL;
	mode_t mode = 0;
	va_list ap;

	if (oflag & O_CREAT) {
		va_start(ap, oflag);
		mode = va_arg(ap, mode_t);
		attr = va_arg(ap, struct mq_attr *);
		va_end(ap);
	}
	return mq_open_impl(name, oflag, mode, attr);
}

/* _FORTIFY_SOURCE's mq_open() without a mode: O_CREAT is a bug. */
mqd_t __mq_open_2(const char *name, int oflag);

MQ_API mqd_t __mq_open_2(const char *name, int oflag)
{
	if (oflag & O_CREAT) {
		static const char msg[] =
			"*** invalid mq_open call: O_CREAT without mode and attr ***: terminated\n";

		if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0)
			abort();
		abort();
	}
	return mq_open_impl(name, oflag, 0, NULL);
}

static void notify_thread_cancel(mqd_t mqd);

MQ_API int mq_close(mqd_t mqd)
{
	notify_thread_cancel(mqd);
	return close(mqd);
}

MQ_API int mq_unlink(const char *posix_name)
{
	struct mbox_unlink op = { .size = sizeof(op) };
	const char *name;
	int dev, err;

	err = mq_name(posix_name, &name);
	if (err)
		return set_errno(err);
	dev = dev_open();
	if (dev < 0) {
		if (!no_mbox(dev))
			return set_errno(-dev);
		return syscall(SYS_mq_unlink, name);
	}
	op.name = (uintptr_t)name;
	err = mbox_call(dev, MBOX_IOC_UNLINK, &op);
	close(dev);
	if (err < 0)
		return set_errno(err == -EPERM ? EACCES : -err);
	return 0;
}

/* ---- send and receive ---- */

/*
 * An absolute CLOCK_REALTIME timeout as the kernel's mqueue checks it
 * (before anything else): EFAULT if @uts can not be read, EINVAL unless
 * 0 <= tv_nsec < 1e9, tv_sec >= 0.
 */
static int mq_deadline(const struct timespec *uts, uint32_t *flags, __s64 *ns)
{
	struct timespec ts;

	*flags = 0;
	*ns = 0;
	if (!uts)
		return 0;
	if (user_read(&ts, uts, sizeof(ts)))
		return EFAULT;
	if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000L)
		return EINVAL;
	*flags = MBOX_WAIT_ABSTIME | MBOX_WAIT_REALTIME;
	if (ts.tv_sec >= INT64_MAX / 1000000000LL)
		*ns = INT64_MAX;
	else
		*ns = (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
	return 0;
}

static int mq_timedsend_impl(mqd_t mqd, const char *msg, size_t len,
			     unsigned int prio, const struct timespec *ts)
{
	struct mbox_send op = { .size = sizeof(op) };
	int err;

	/* The kernel's order: the timeout (EFAULT, EINVAL), then the priority. */
	err = mq_deadline(ts, &op.flags, &op.timeout_ns);
	if (err)
		return set_errno(err);
	if (prio >= MBOX_MQ_PRIO_MAX)
		return set_errno(EINVAL);
	if (len > UINT32_MAX)
		return set_errno(EMSGSIZE);
	op.buf = (uintptr_t)msg;
	op.len = (uint32_t)len;
	op.prio = prio;
	err = mbox_call_cancel(mqd, MBOX_IOC_SEND, &op);
	if (err == -ENOTTY)
		return syscall(SYS_mq_timedsend, mqd, msg, len, prio, ts);
	if (err < 0)
		return set_errno(-err);
	return 0;
}

MQ_API int mq_timedsend(mqd_t mqd, const char *msg, size_t len,
			unsigned int prio, const struct timespec *abs_timeout)
{
	return mq_timedsend_impl(mqd, msg, len, prio, abs_timeout);
}

MQ_API int mq_send(mqd_t mqd, const char *msg, size_t len, unsigned int prio)
{
	return mq_timedsend_impl(mqd, msg, len, prio, NULL);
}

/* Without MBOX_RECV_FULLSIZE (an older module): is @len too short? */
static int mq_recv_len_check(mqd_t mqd, size_t len)
{
	struct mbox_info info;
	int err;

	memset(&info, 0, sizeof(info));
	info.size = sizeof(info);
	err = mbox_call(mqd, MBOX_IOC_INFO, &info);
	if (err < 0)
		return err;
	return len < info.msg_size_max ? -EMSGSIZE : 0;
}

static ssize_t mq_timedreceive_impl(mqd_t mqd, char *buf, size_t len,
				    unsigned int *prio, const struct timespec *ts)
{
	struct mbox_recv op = { .size = sizeof(op) };
	uint32_t wait;
	int err;

	err = mq_deadline(ts, &wait, &op.timeout_ns);
	if (err)
		return set_errno(err);
	/*
	 * The priority is written after the message is taken: a pointer that
	 * can not take it is EFAULT now, with the message left queued (the
	 * kernel's mqueue loses it).
	 */
	if (prio && user_writable(prio, sizeof(*prio)))
		return set_errno(EFAULT);
	op.flags = wait | MBOX_RECV_FULLSIZE;
	op.buf = (uintptr_t)buf;
	op.len = len > UINT32_MAX ? UINT32_MAX : (uint32_t)len;
	err = mbox_call_cancel(mqd, MBOX_IOC_RECV, &op);
	if (err == -EINVAL && !(err = mq_recv_len_check(mqd, len))) {
		op.flags = wait;
		err = mbox_call_cancel(mqd, MBOX_IOC_RECV, &op);
	}
	if (err == -ENOTTY)
		return syscall(SYS_mq_timedreceive, mqd, buf, len, prio, ts);
	if (err < 0)
		return set_errno(-err);
	if (prio)
		*prio = op.prio;
	return err;
}

MQ_API ssize_t mq_timedreceive(mqd_t mqd, char *buf, size_t len,
			       unsigned int *prio, const struct timespec *abs_timeout)
{
	return mq_timedreceive_impl(mqd, buf, len, prio, abs_timeout);
}

MQ_API ssize_t mq_receive(mqd_t mqd, char *buf, size_t len, unsigned int *prio)
{
	return mq_timedreceive_impl(mqd, buf, len, prio, NULL);
}

/* ---- attributes ---- */

/* @mqd's attributes into @attr: 0 or -errno (-ENOTTY: not a mailbox). */
static int mq_attr_get(mqd_t mqd, struct mq_attr *attr)
{
	struct mbox_info info;
	int err, fl;

	memset(&info, 0, sizeof(info));
	info.size = sizeof(info);
	err = mbox_call(mqd, MBOX_IOC_INFO, &info);
	if (err < 0)
		return err;
	fl = fcntl(mqd, F_GETFL);
	if (fl < 0)
		return -errno;
	memset(attr, 0, sizeof(*attr));
	attr->mq_flags = fl & O_NONBLOCK;
	attr->mq_maxmsg = info.capacity;
	attr->mq_msgsize = info.msg_size_max;
	attr->mq_curmsgs = (long)info.msgs;
	return 0;
}

/*
 * The kernel's mq_getsetattr(): @unew (may be NULL) is read first (EFAULT)
 * and checked (EINVAL: a flag other than O_NONBLOCK; its other fields are
 * ignored, as POSIX says), then the descriptor (EBADF); the attributes
 * before the change go to @uold (may be NULL; EFAULT, with nothing
 * changed). O_NONBLOCK is set or cleared with FIONBIO, which the VFS does
 * under the file's f_lock: a read-modify-write of all the flags with
 * F_GETFL/F_SETFL could undo another thread's F_SETFL done in between.
 */
static int mq_getsetattr(mqd_t mqd, const struct mq_attr *unew, struct mq_attr *uold)
{
	struct mq_attr new, cur;
	int err, on;

	if (unew) {
		if (user_read(&new, unew, sizeof(new)))
			return set_errno(EFAULT);
		if (new.mq_flags & ~(long)O_NONBLOCK)
			return set_errno(EINVAL);
	}
	err = mq_attr_get(mqd, &cur);
	if (err == -ENOTTY)
		return syscall(SYS_mq_getsetattr, mqd, unew, uold);
	if (err < 0)
		return set_errno(-err);
	if (uold && user_write(uold, &cur, sizeof(cur)))
		return set_errno(EFAULT);
	if (!unew)
		return 0;
	on = !!(new.mq_flags & O_NONBLOCK);
	return ioctl(mqd, FIONBIO, &on) < 0 ? -1 : 0;
}

MQ_API int mq_getattr(mqd_t mqd, struct mq_attr *attr)
{
	return mq_getsetattr(mqd, NULL, attr);
}

/* Only O_NONBLOCK can change; either pointer may be NULL, as in glibc. */
MQ_API int mq_setattr(mqd_t mqd, const struct mq_attr *attr, struct mq_attr *old)
{
	return mq_getsetattr(mqd, attr, old);
}

/* ---- notification ---- */

static int mbox_notify_call(mqd_t mqd, uint32_t how, int signo, uint64_t value,
			    int efd)
{
	struct mbox_notify op = {
		.size = sizeof(op),
		.how = how,
		.signo = signo,
		.value = value,
		.fd = efd,
	};

	return mbox_call(mqd, MBOX_IOC_NOTIFY, &op);
}

/*
 * SIGEV_THREAD: the module signals an eventfd; a thread made at
 * registration (with the caller's attributes, all signals blocked) waits
 * on it, then unblocks the signals and runs the function, as glibc's
 * notification thread does. The registrations are this library's only
 * state: a list under a mutex, so that mq_notify(NULL) and mq_close()
 * can retire their thread.
 */
struct notify_rec {
	struct notify_rec *next;
	mqd_t mqd;
	int efd;
	bool cancelled;
	void (*fn)(union sigval);
	union sigval value;
};

static pthread_mutex_t notify_lock = PTHREAD_MUTEX_INITIALIZER;
static struct notify_rec *notify_list;	/* under notify_lock */
static atomic_int notify_count;		/* entries, to skip the lock */
static pthread_once_t notify_once = PTHREAD_ONCE_INIT;

/* Take @r off the list, if it is on it. Under notify_lock. */
static void notify_unlist(struct notify_rec *r)
{
	struct notify_rec **p;

	for (p = &notify_list; *p; p = &(*p)->next)
		if (*p == r) {
			*p = r->next;
			atomic_fetch_sub(&notify_count, 1);
			return;
		}
}

/* A child's registrations are its parent's: forget them, close their fds. */
static void notify_atfork_child(void)
{
	struct notify_rec *r, *next;

	for (r = notify_list; r; r = next) {
		next = r->next;
		close(r->efd);
		free(r);
	}
	notify_list = NULL;
	atomic_store(&notify_count, 0);
	pthread_mutex_init(&notify_lock, NULL);
}

static void notify_init(void)
{
	pthread_atfork(NULL, NULL, notify_atfork_child);
}

static void *notify_thread(void *arg)
{
	struct notify_rec *r = arg;
	bool fire;
	uint64_t v;
	sigset_t all;

	pthread_detach(pthread_self());
	while (read(r->efd, &v, sizeof(v)) < 0 && errno == EINTR)
		;
	pthread_mutex_lock(&notify_lock);
	fire = !r->cancelled;
	if (fire)
		notify_unlist(r);
	pthread_mutex_unlock(&notify_lock);
	close(r->efd);
	if (fire) {
		void (*fn)(union sigval) = r->fn;
		union sigval value = r->value;

		free(r);
		sigfillset(&all);
		pthread_sigmask(SIG_UNBLOCK, &all, NULL);
		fn(value);
		return NULL;
	}
	free(r);
	return NULL;
}

/* Retire the SIGEV_THREAD registrations of @mqd: their threads end. */
static void notify_thread_cancel(mqd_t mqd)
{
	struct notify_rec *r, *next;
	uint64_t one = 1;

	if (!atomic_load(&notify_count))
		return;
	pthread_mutex_lock(&notify_lock);
	for (r = notify_list; r; r = next) {
		next = r->next;
		if (r->mqd != mqd)
			continue;
		notify_unlist(r);
		r->cancelled = true;
		if (write(r->efd, &one, sizeof(one)) < 0)
			abort();	/* an eventfd at 1 never refuses 1 more */
	}
	pthread_mutex_unlock(&notify_lock);
}

static int mq_notify_thread(mqd_t mqd, const struct sigevent *sev)
{
	struct notify_rec *r;
	sigset_t all, old;
	pthread_t th;
	int err;

	pthread_once(&notify_once, notify_init);
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->mqd = mqd;
	r->fn = sev->sigev_notify_function;
	r->value = sev->sigev_value;
	r->efd = eventfd(0, EFD_CLOEXEC);
	if (r->efd < 0) {
		err = -errno;
		free(r);
		return err;
	}
	err = mbox_notify_call(mqd, MBOX_NOTIFY_EVENTFD, 0, 0, r->efd);
	if (err < 0)
		goto err_close;
	/* Listed before the thread runs: it unlists itself once fired. */
	pthread_mutex_lock(&notify_lock);
	r->next = notify_list;
	notify_list = r;
	atomic_fetch_add(&notify_count, 1);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = -pthread_create(&th, sev->sigev_notify_attributes, notify_thread, r);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		notify_unlist(r);
		pthread_mutex_unlock(&notify_lock);
		mbox_notify_call(mqd, MBOX_NOTIFY_REMOVE, 0, 0, 0);
		goto err_close;
	}
	pthread_mutex_unlock(&notify_lock);
	return 0;

err_close:
	close(r->efd);
	free(r);
	return err;
}

MQ_API int mq_notify(mqd_t mqd, const struct sigevent *usev)
{
	const struct sigevent *sev = NULL;
	struct sigevent ksev;
	uint64_t value = 0;
	int err;

	/* Read first, as the kernel does (EFAULT). */
	if (usev) {
		if (user_read(&ksev, usev, sizeof(ksev)))
			return set_errno(EFAULT);
		sev = &ksev;
	}

	if (!sev) {
		err = mbox_notify_call(mqd, MBOX_NOTIFY_REMOVE, 0, 0, 0);
		if (err == -ENOTTY)
			return syscall(SYS_mq_notify, mqd, NULL);
		if (!err)
			notify_thread_cancel(mqd);
	} else if (sev->sigev_notify == SIGEV_NONE) {
		err = mbox_notify_call(mqd, MBOX_NOTIFY_NONE, 0, 0, 0);
	} else if (sev->sigev_notify == SIGEV_SIGNAL) {
		memcpy(&value, &sev->sigev_value, sizeof(sev->sigev_value));
		err = mbox_notify_call(mqd, MBOX_NOTIFY_SIGNAL, sev->sigev_signo, value, 0);
	} else if (sev->sigev_notify == SIGEV_THREAD) {
		err = mq_notify_thread(mqd, sev);
	} else {
		err = -EINVAL;
	}
	/* Not a mailbox: the kernel's mqueue (SIGEV_THREAD needs glibc's). */
	if (err == -ENOTTY && sev && sev->sigev_notify != SIGEV_THREAD)
		return syscall(SYS_mq_notify, mqd, sev);
	if (err == -ENOTTY)
		err = -EBADF;
	return err < 0 ? set_errno(-err) : 0;
}

