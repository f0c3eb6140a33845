// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libmbox: a thin C library over the /dev/mbox ioctls. See mbox.h for the
 * conventions (negative errno returns, no global state).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "mbox.h"
#include "internal.h"

int mbox_ioctl(int fd, unsigned long cmd, void *arg)
{
	int ret = ioctl(fd, cmd, arg);

	return ret < 0 ? -errno : ret;
}

MBOX_API int mbox_dev_open(unsigned int flags)
{
	int oflags = O_RDWR;
	int fd;

	if (flags & ~MBOX_DEV_NOCLOEXEC)
		return -EINVAL;
	if (!(flags & MBOX_DEV_NOCLOEXEC))
		oflags |= O_CLOEXEC;
	fd = open(MBOX_DEVICE_PATH, oflags);
	return fd < 0 ? -errno : fd;
}

MBOX_API int mbox_version(int devfd, struct mbox_version *ver)
{
	memset(ver, 0, sizeof(*ver));
	ver->size = sizeof(*ver);
	return mbox_ioctl(devfd, MBOX_IOC_VERSION, ver);
}

MBOX_API int mbox_has_feature(int devfd, uint64_t features)
{
	struct mbox_version ver;
	int ret = mbox_version(devfd, &ver);

	if (ret < 0)
		return ret;
	return (ver.features & features) == features;
}

int mbox_dev_ioctl(int devfd, unsigned long cmd, void *arg)
{
	int fd = devfd, ret;

	if (devfd < 0) {
		fd = mbox_dev_open(0);
		if (fd < 0)
			return fd;
	}
	ret = mbox_ioctl(fd, cmd, arg);
	if (devfd < 0)
		close(fd);
	return ret;
}

MBOX_API int mbox_open(int devfd, const char *name, unsigned int flags,
		       const struct mbox_attr *attr, uint64_t *id)
{
	static const struct mbox_attr defaults = MBOX_ATTR_DEFAULT;
	struct mbox_open op;
	int fd;

	memset(&op, 0, sizeof(op));
	op.size = sizeof(op);
	op.flags = flags | MBOX_OPEN_CLOEXEC;
	op.name = (uintptr_t)name;
	if (flags & MBOX_OPEN_CREATE) {
		if (!attr)
			attr = &defaults;
		op.mode = attr->mode;
		op.mb_flags = attr->mb_flags;
		op.capacity = attr->capacity;
		op.msg_size_max = attr->msg_size_max;
		op.max_bytes = attr->max_bytes;
	}
	fd = mbox_dev_ioctl(devfd, MBOX_IOC_OPEN, &op);
	if (fd >= 0 && id)
		*id = op.id;
	return fd;
}

MBOX_API int mbox_open_id(int devfd, uint64_t id, unsigned int flags)
{
	struct mbox_open op;

	memset(&op, 0, sizeof(op));
	op.size = sizeof(op);
	op.flags = flags | MBOX_OPEN_CLOEXEC;
	op.id = id;
	return mbox_dev_ioctl(devfd, MBOX_IOC_OPEN, &op);
}

static int mbox_do_unlink(int devfd, const char *name, uint64_t id)
{
	struct mbox_unlink op;

	memset(&op, 0, sizeof(op));
	op.size = sizeof(op);
	op.name = (uintptr_t)name;
	op.id = id;
	return mbox_dev_ioctl(devfd, MBOX_IOC_UNLINK, &op);
}

MBOX_API int mbox_unlink(int devfd, const char *name)
{
	return name ? mbox_do_unlink(devfd, name, 0) : -EINVAL;
}

MBOX_API int mbox_unlink_id(int devfd, uint64_t id)
{
	return mbox_do_unlink(devfd, NULL, id);
}

MBOX_API int mbox_sendmsg(int fd, struct mbox_send *msg)
{
	msg->size = sizeof(*msg);
	return mbox_ioctl(fd, MBOX_IOC_SEND, msg);
}

MBOX_API int mbox_recvmsg(int fd, struct mbox_recv *msg)
{
	msg->size = sizeof(*msg);
	return mbox_ioctl(fd, MBOX_IOC_RECV, msg);
}

MBOX_API int mbox_send(int fd, const void *buf, size_t len, unsigned int prio,
		       unsigned int flags, int64_t timeout_ns)
{
	struct mbox_send msg;

	if (len > UINT32_MAX)
		return -EMSGSIZE;
	memset(&msg, 0, sizeof(msg));
	msg.flags = flags;
	msg.buf = (uintptr_t)buf;
	msg.len = len;
	msg.prio = prio;
	msg.timeout_ns = timeout_ns;
	return mbox_sendmsg(fd, &msg);
}

static int mbox_do_recv(int fd, pid_t pid, void *buf, size_t len,
			unsigned int flags, int64_t timeout_ns,
			struct mbox_recv *meta)
{
	struct mbox_recv msg;
	int ret;

	memset(&msg, 0, sizeof(msg));
	msg.flags = flags;
	msg.buf = (uintptr_t)buf;
	msg.len = len > UINT32_MAX ? UINT32_MAX : len;
	msg.timeout_ns = timeout_ns;
	msg.pid = pid;
	ret = mbox_recvmsg(fd, &msg);
	if (meta)
		*meta = msg;
	return ret;
}

MBOX_API int mbox_recv(int fd, void *buf, size_t len, unsigned int flags,
		       int64_t timeout_ns, struct mbox_recv *meta)
{
	return mbox_do_recv(fd, 0, buf, len, flags, timeout_ns, meta);
}

MBOX_API int mbox_recv_from(int fd, pid_t pid, void *buf, size_t len,
			    unsigned int flags, int64_t timeout_ns,
			    struct mbox_recv *meta)
{
	return mbox_do_recv(fd, pid, buf, len, flags | MBOX_RECV_FROM_PID,
			    timeout_ns, meta);
}

static int mbox_batch(int fd, unsigned long cmd, void *msgs, size_t entry_size,
		      unsigned int count, unsigned int flags, int64_t timeout_ns)
{
	struct mbox_batch b;

	memset(&b, 0, sizeof(b));
	b.size = sizeof(b);
	b.flags = flags;
	b.msgs = (uintptr_t)msgs;
	b.count = count;
	b.entry_size = entry_size;
	b.timeout_ns = timeout_ns;
	return mbox_ioctl(fd, cmd, &b);
}

MBOX_API int mbox_send_batch(int fd, struct mbox_send *msgs, unsigned int count,
			     unsigned int flags, int64_t timeout_ns)
{
	if (!count || count > MBOX_BATCH_MAX)
		return -EINVAL;
	for (unsigned int i = 0; i < count; i++) {
		msgs[i].size = 0;
		msgs[i].flags = 0;
		msgs[i].timeout_ns = 0;
	}
	return mbox_batch(fd, MBOX_IOC_SEND_BATCH, msgs, sizeof(*msgs), count,
			  flags, timeout_ns);
}

MBOX_API int mbox_recv_batch(int fd, struct mbox_recv *msgs, unsigned int count,
			     unsigned int flags, int64_t timeout_ns)
{
	if (!count || count > MBOX_BATCH_MAX)
		return -EINVAL;
	for (unsigned int i = 0; i < count; i++) {
		msgs[i].size = 0;
		msgs[i].flags = 0;
		msgs[i].timeout_ns = 0;
		msgs[i].__reserved = 0;
	}
	return mbox_batch(fd, MBOX_IOC_RECV_BATCH, msgs, sizeof(*msgs), count,
			  flags, timeout_ns);
}

MBOX_API int mbox_subscribe(int fd)
{
	struct mbox_subscribe sub;

	memset(&sub, 0, sizeof(sub));
	sub.size = sizeof(sub);
	return mbox_ioctl(fd, MBOX_IOC_SUBSCRIBE, &sub);
}

MBOX_API int mbox_info(int fd, struct mbox_info *info)
{
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	return mbox_ioctl(fd, MBOX_IOC_INFO, info);
}

MBOX_API int mbox_info_name(int fd, struct mbox_info *info, char *name,
			    size_t size)
{
	if (!name || !size || size > UINT32_MAX)
		return -EINVAL;
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	info->name_buf = (uintptr_t)name;
	info->name_size = (uint32_t)size;
	return mbox_ioctl(fd, MBOX_IOC_INFO, info);
}

MBOX_API int mbox_stats(int devfd, struct mbox_stats *stats)
{
	memset(stats, 0, sizeof(*stats));
	stats->size = sizeof(*stats);
	return mbox_dev_ioctl(devfd, MBOX_IOC_STATS, stats);
}

MBOX_API int mbox_close(int fd)
{
	return close(fd) ? -errno : 0;
}

/* ---- direct links ---- */

MBOX_API int mbox_endpoint(int devfd, unsigned int mode, unsigned int capacity,
			   uint64_t *id)
{
	struct mbox_endpoint ep;
	int fd;

	memset(&ep, 0, sizeof(ep));
	ep.size = sizeof(ep);
	ep.flags = MBOX_EP_CLOEXEC;
	ep.mode = mode;
	ep.capacity = capacity;
	fd = mbox_dev_ioctl(devfd, MBOX_IOC_ENDPOINT, &ep);
	if (fd >= 0 && id)
		*id = ep.id;
	return fd;
}

/* MBOX_IOC_LINK_SEND: a message to @pid, or the reply to @call_id. */
static int mbox_link_send_cmd(int fd, pid_t pid, const void *buf, size_t len,
			      unsigned int flags, int64_t timeout_ns,
			      uint64_t call_id)
{
	struct mbox_link_send s;

	if (len > UINT32_MAX)
		return -EMSGSIZE;
	memset(&s, 0, sizeof(s));
	s.size = sizeof(s);
	s.flags = flags;
	s.pid = pid;
	s.buf = (uintptr_t)buf;
	s.len = (uint32_t)len;
	s.timeout_ns = timeout_ns;
	s.call_id = call_id;
	return mbox_ioctl(fd, MBOX_IOC_LINK_SEND, &s);
}

MBOX_API int mbox_link_send(int epfd, pid_t pid, const void *buf, size_t len,
			    unsigned int flags, int64_t timeout_ns)
{
	return mbox_link_send_cmd(epfd, pid, buf, len, flags, timeout_ns, 0);
}

static int mbox_link_recv_cmd(int fd, struct mbox_link_recv *r, void *buf,
			      size_t len, struct mbox_link_recv *meta)
{
	int ret;

	r->size = sizeof(*r);
	r->buf = (uintptr_t)buf;
	r->len = len > UINT32_MAX ? UINT32_MAX : (uint32_t)len;
	ret = mbox_ioctl(fd, MBOX_IOC_LINK_RECV, r);
	if (meta)
		*meta = *r;
	return ret;
}

MBOX_API int mbox_link_recv(int fd, pid_t from, void *buf, size_t len,
			    unsigned int flags, int64_t timeout_ns,
			    struct mbox_link_recv *meta)
{
	struct mbox_link_recv r;

	memset(&r, 0, sizeof(r));
	r.flags = flags | ((from || (flags & MBOX_PEER_PIDFD)) ? MBOX_RECV_FROM_PID : 0);
	r.pid = from;
	r.timeout_ns = timeout_ns;
	return mbox_link_recv_cmd(fd, &r, buf, len, meta);
}

MBOX_API int mbox_call(int epfd, pid_t pid, const void *req, size_t req_len,
		       void *reply, size_t reply_len, unsigned int flags,
		       int64_t timeout_ns, uint64_t *call_id)
{
	struct mbox_call c;
	int ret;

	if (req_len > UINT32_MAX)
		return -EMSGSIZE;
	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	c.flags = flags;
	c.pid = pid;
	c.buf = (uintptr_t)req;
	c.len = (uint32_t)req_len;
	c.reply_buf = (uintptr_t)reply;
	c.reply_len = reply_len > UINT32_MAX ? UINT32_MAX : (uint32_t)reply_len;
	c.timeout_ns = timeout_ns;
	ret = mbox_ioctl(epfd, MBOX_IOC_CALL, &c);
	if (call_id)
		*call_id = c.call_id;
	return ret;
}

MBOX_API int mbox_call_reply_fetch(int epfd, uint64_t call_id, void *buf, size_t len)
{
	struct mbox_link_recv r;

	memset(&r, 0, sizeof(r));
	r.flags = MBOX_RECV_REPLY | MBOX_WAIT_NONBLOCK;
	r.call_id = call_id;
	return mbox_link_recv_cmd(epfd, &r, buf, len, NULL);
}

MBOX_API int mbox_reply(int epfd, uint64_t call_id, const void *buf, size_t len)
{
	return mbox_link_send_cmd(epfd, 0, buf, len, MBOX_LINK_REPLY, 0, call_id);
}

MBOX_API int mbox_link_open(int epfd, pid_t pid, unsigned int flags)
{
	struct mbox_link_open o;

	memset(&o, 0, sizeof(o));
	o.size = sizeof(o);
	o.flags = (flags & (MBOX_LINK_NONBLOCK | MBOX_PEER_PIDFD)) | MBOX_LINK_CLOEXEC;
	o.pid = pid;
	if (flags & ~(MBOX_LINK_NONBLOCK | MBOX_PEER_PIDFD))
		return -EINVAL;
	return mbox_ioctl(epfd, MBOX_IOC_LINK_OPEN, &o);
}

MBOX_API int mbox_link_info(int fd, pid_t pid, struct mbox_link_info *info)
{
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	info->pid = pid;
	return mbox_ioctl(fd, MBOX_IOC_LINK_INFO, info);
}

MBOX_API int mbox_link_info_pidfd(int epfd, int pidfd, struct mbox_link_info *info)
{
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	info->flags = MBOX_PEER_PIDFD;
	info->pid = pidfd;
	return mbox_ioctl(epfd, MBOX_IOC_LINK_INFO, info);
}

MBOX_API int mbox_endpoint_info(int epfd, struct mbox_endpoint_info *info)
{
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	return mbox_ioctl(epfd, MBOX_IOC_ENDPOINT_INFO, info);
}

MBOX_API const char *mbox_strerror(int err)
{
	if (err < 0)
		err = -err;
	switch (err) {
	case ENOTTY:
		return "not an mbox descriptor, or the module is too old";
	case EDQUOT:
		return "per-user queued-bytes quota exceeded (bytes_per_user)";
	case ENOSPC:
		return "per-user object limit reached (objects_per_user)";
	case EMSGSIZE:
		return "message too long for the mailbox or the buffer";
	case ENOTCONN:
		return "not connected (no such link, or not subscribed to the broadcast mailbox)";
	case ECONNRESET:
		return "the peer went away (it exited or closed its endpoint)";
	case ECONNREFUSED:
		return "the process has no mbox endpoint";
	case EPIPE:
		return "the peer is gone (link: it exited or closed its endpoint; ring: the other side detached)";
	case EBADMSG:
		return "corrupted ring: the shared memory holds an impossible index or record";
	case EBUSY:
		return "the role is taken (another producer or consumer is attached)";
	default:
		return strerror(err);
	}
}
