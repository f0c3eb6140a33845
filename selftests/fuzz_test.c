// SPDX-License-Identifier: GPL-2.0
/*
 * A seeded, bounded, multi-process fuzzer for every mbox operation.
 *
 * Workers pick operations at random: plausible ones through libmbox
 * (mailboxes, endpoints, links, calls, rings, mappings) that build up real
 * state, and hostile raw ioctls on descriptors of every kind (and the wrong
 * kind) with random flags and reserved fields, sizes at and across every
 * limit and near overflow, and NULL, unmapped, unaligned, read-only and
 * kernel pointers; mixed with close, dup, munmap, fork, exec, signals that
 * interrupt blocking calls, and SIGKILL of short-lived children.
 *
 * MBOX_FUZZ_OPS (default 40000) bounds the operations, MBOX_FUZZ_SECONDS
 * (default 300) the time; MBOX_FUZZ_SEED picks the seed, which is printed
 * first: the same seed replays the same choices in every worker. The kernel
 * must survive (the VM runner fails on any splat), no worker may crash, and
 * afterwards nothing may be left in the module.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#define MBOX_TEST_FEATURES	MBOX_FEAT_ALL
#include "mbox_test.h"

#define WORKERS		4
#define SLOTS		24
#define NAMES		6

enum { K_ANY, K_MAILBOX, K_ENDPOINT, K_LINK, K_RING };

enum { ST_SEND, ST_RECV, ST_LSEND, ST_LRECV, ST_CALL, ST_MAP, ST_FD, ST_FORK, ST_N };

struct shared {
	pid_t pid[WORKERS];
	atomic_ulong ops;
	atomic_int ready;
	atomic_ulong stat[ST_N];	/* successes, to show the fuzzer gets deep */
	atomic_ulong checks;		/* oracle: state checks after failed calls */
	atomic_ulong violations;	/* oracle: of them, the ones that broke the rule */
	atomic_ulong oracle_calls;	/* oracle: calls on the private mailbox */
	atomic_int nfirst;
	char first[4][256];		/* the first violations, for the log */
	atomic_ulong viol_at[6][4];	/* violations by call and struct placement */
};

static const char *const oracle_ops[6] = {
	"send", "receive", "send batch", "receive batch", "info", "final check",
};
static const char *const oracle_where[4] = {
	"struct read-only", "struct half way", "struct pointer hostile", "struct fine",
};

/* The oracle's model of a worker's private mailbox: its queue, in order. */
#define ORACLE_CAP	32
#define ORACLE_FD	900		/* out of pick_fd()'s reach */
#define HASH_ANY	0xffffffffu	/* payload not readable by the test */

struct omsg {
	uint32_t len, prio, hash;
};

struct oracle_model {
	int fd;			/* -1 in forked children: theirs is not modelled */
	int n;
	struct omsg q[ORACLE_CAP + 8];
	uint64_t sent, received, bytes;
};

struct fuzz {
	uint32_t rng;
	struct shared *sh;
	int me;
	int fd[SLOTS];
	int kind[SLOTS];	/* K_* */
	void *map[SLOTS];
	size_t map_len[SLOTS];
	char *buf;		/* 2 pages, the second PROT_NONE */
	char *ro;		/* a read-only page */
	size_t nchildren;
	struct oracle_model om;
	int op, where;		/* the oracle's call in flight */
};

static uint32_t rnd(struct fuzz *f, uint32_t n)
{
	return n ? xorshift(&f->rng) % n : 0;
}

/* Sizes that matter: 0, 1, around every limit, near overflow. */
static uint32_t fuzz_len(struct fuzz *f)
{
	static const uint32_t edge[] = {
		0, 1, 7, 8, 63, 64, 65, 4095, 4096, 4097, 65535, 65536, 65537,
		(16u << 20), (16u << 20) + 1, 0x7fffffff, 0x80000000, 0xfffffff8, 0xffffffff,
	};

	return rnd(f, 3) ? rnd(f, 300) : edge[rnd(f, sizeof(edge) / sizeof(edge[0]))];
}

/* Pointers: mostly valid, else NULL, unmapped, unaligned, read-only, kernel. */
static uint64_t fuzz_ptr(struct fuzz *f)
{
	switch (rnd(f, 10)) {
	case 0:
		return 0;
	case 1:
		return (uintptr_t)(f->buf + 4096);		/* PROT_NONE */
	case 2:
		return (uintptr_t)(f->buf + 4096 - rnd(f, 64));	/* runs into it */
	case 3:
		return (uintptr_t)f->ro;
	case 4:
		return 0xffff888000000000ull + rnd(f, 1 << 20);
	case 5:
		return (uintptr_t)(f->buf + 1 + rnd(f, 7));
	default:
		return (uintptr_t)f->buf;
	}
}

static int pick_fd(struct fuzz *f)
{
	int fd = f->fd[rnd(f, SLOTS)];

	return fd >= 0 || rnd(f, 4) ? fd : (int)rnd(f, 64) - 1;
}

static void count(struct fuzz *f, int what, int ret)
{
	if (ret >= 0)
		atomic_fetch_add(&f->sh->stat[what], 1);
}

static void put_fd_kind(struct fuzz *f, int kind, int fd)
{
	int i = rnd(f, SLOTS);

	if (fd < 0)
		return;
	count(f, ST_FD, 0);
	if (f->fd[i] >= 0)
		close(f->fd[i]);
	f->fd[i] = fd;
	f->kind[i] = kind;
}

static void put_fd(struct fuzz *f, int fd)
{
	put_fd_kind(f, K_ANY, fd);
}

/* Mostly a descriptor of the kind wanted, sometimes any (or a wrong) one. */
static int pick(struct fuzz *f, int kind)
{
	int start = rnd(f, SLOTS);

	if (rnd(f, 5))
		for (int i = 0; i < SLOTS; i++) {
			int j = (start + i) % SLOTS;

			if (f->fd[j] >= 0 && f->kind[j] == kind)
				return f->fd[j];
		}
	return pick_fd(f);
}

/* A buffer and length: mostly plausible, sometimes hostile. */
static void *pbuf(struct fuzz *f)
{
	return rnd(f, 4) ? f->buf : (void *)(uintptr_t)fuzz_ptr(f);
}

static uint32_t plen(struct fuzz *f)
{
	return rnd(f, 4) ? rnd(f, 256) : fuzz_len(f) % 70000;
}

static const char *fuzz_name(struct fuzz *f, char *buf)
{
	switch (rnd(f, 12)) {
	case 0:
		return NULL;
	case 1:
		memset(buf, 'n', 256);		/* too long, even for NAME_MAX */
		buf[256] = '\0';
		return buf;
	case 2:
		return "";
	case 3:
		return "bad/name";
	default:
		snprintf(buf, 16, "fz%u", rnd(f, NAMES));
		return buf;
	}
}

/* A raw ioctl with a random command struct on a random descriptor. */
static void op_raw_ioctl(struct fuzz *f)
{
	static const unsigned int cmds[] = {
		MBOX_IOC_VERSION, MBOX_IOC_OPEN, MBOX_IOC_UNLINK, MBOX_IOC_STATS,
		MBOX_IOC_SEND, MBOX_IOC_RECV, MBOX_IOC_SEND_BATCH, MBOX_IOC_RECV_BATCH,
		MBOX_IOC_INFO, MBOX_IOC_SUBSCRIBE, MBOX_IOC_ENDPOINT, MBOX_IOC_LINK_SEND,
		MBOX_IOC_LINK_RECV, MBOX_IOC_CALL, MBOX_IOC_LINK_OPEN, MBOX_IOC_LINK_INFO,
		MBOX_IOC_ENDPOINT_INFO, MBOX_IOC_RING_OPEN, MBOX_IOC_RING_WAIT,
		MBOX_IOC_RING_WAKE, MBOX_IOC_RING_INFO,
	};
	uint64_t arg[40];
	uint32_t *w = (uint32_t *)arg;
	unsigned int cmd = cmds[rnd(f, sizeof(cmds) / sizeof(cmds[0]))];
	int ret;

	for (unsigned int i = 0; i < 80; i++)
		w[i] = rnd(f, 4) ? 0 : xorshift(&f->rng);
	/* Plausible-looking fields: small flags, short timeouts, pointers. */
	for (unsigned int i = 1; i < 20; i++) {
		switch (rnd(f, 6)) {
		case 0:
			arg[i] = fuzz_ptr(f);
			break;
		case 1:
			w[2 * i] = fuzz_len(f);
			break;
		case 2:
			w[2 * i] = 1u << rnd(f, 12);
			break;
		}
	}
	/* Wait flags with short timeouts, so nothing blocks for long. */
	w[1] = rnd(f, 2) ? (w[1] & 0xfff) | MBOX_WAIT_NONBLOCK : w[1];
	switch (rnd(f, 6)) {
	case 0:
		w[0] = 0;
		break;
	case 1:
		w[0] = 4 + rnd(f, 16);
		break;
	case 2:
		w[0] = 4096 + rnd(f, 2);
		break;
	case 3:
		w[0] = 0xffffffff;
		break;
	default:
		w[0] = 24 + 8 * rnd(f, 16);
		break;
	}
	if (rnd(f, 8) == 0) {
		/* A command struct that is itself unmapped or runs off a page. */
		ret = ioctl(pick_fd(f), cmd, (void *)(uintptr_t)fuzz_ptr(f));
	} else {
		ret = ioctl(pick_fd(f), rnd(f, 16) ? cmd : cmd + rnd(f, 256), arg);
	}
	/* A command that made a descriptor: keep it. */
	if (ret > 2 && (cmd == MBOX_IOC_OPEN || cmd == MBOX_IOC_ENDPOINT ||
			cmd == MBOX_IOC_LINK_OPEN || cmd == MBOX_IOC_RING_OPEN))
		put_fd(f, ret);
}

static void op_mailbox(struct fuzz *f)
{
	struct mbox_attr attr = { .mode = 0600, .capacity = rnd(f, 8),
				  .msg_size_max = rnd(f, 2) ? 0 : fuzz_len(f) };
	struct mbox_recv meta;
	char name[300];
	int fd = pick(f, K_MAILBOX);

	switch (rnd(f, 8)) {
	case 0:
		if (rnd(f, 4) == 0)
			attr.mb_flags = MBOX_MB_BROADCAST;
		put_fd_kind(f, K_MAILBOX,
			    mbox_open(-1, fuzz_name(f, name), MBOX_OPEN_SEND | MBOX_OPEN_RECV |
				      MBOX_OPEN_CREATE | (rnd(f, 2) ? MBOX_OPEN_NONBLOCK : 0),
				      &attr, NULL));
		break;
	case 1:
		mbox_unlink(-1, fuzz_name(f, name));
		break;
	case 2:
	case 3:
		count(f, ST_SEND, mbox_send(fd, pbuf(f), plen(f), rnd(f, 40), MBOX_WAIT_TIMEOUT |
					    (rnd(f, 4) ? 0 : MBOX_SEND_CONFIRM), 1000000));
		break;
	case 4:
	case 5:
		count(f, ST_RECV, mbox_recv(fd, pbuf(f), plen(f), MBOX_WAIT_TIMEOUT |
					    (rnd(f, 4) ? 0 : MBOX_RECV_PEEK) |
					    (rnd(f, 4) ? 0 : MBOX_RECV_TRUNC), 1000000, &meta));
		break;
	case 6:
		mbox_subscribe(fd);
		break;
	default: {
		struct mbox_info in;

		mbox_info(fd, &in);
		break;
	}
	}
}

static pid_t sibling(struct fuzz *f)
{
	return rnd(f, 8) ? f->sh->pid[rnd(f, WORKERS)] : (pid_t)rnd(f, 1000);
}

static void op_link(struct fuzz *f)
{
	struct mbox_link_recv meta;
	int fd = rnd(f, 3) ? pick(f, K_ENDPOINT) : pick(f, K_LINK), ret;

	switch (rnd(f, 7)) {
	case 0:
		put_fd_kind(f, K_ENDPOINT, mbox_endpoint(-1, rnd(f, 2) ? 0 : 0002, rnd(f, 4), NULL));
		break;
	case 1:
	case 2:
		count(f, ST_LSEND, mbox_link_send(fd, rnd(f, 3) ? sibling(f) : 0,
						  pbuf(f), plen(f),
						  MBOX_WAIT_TIMEOUT |
						  (rnd(f, 2) ? MBOX_LINK_ASYNC : 0), 2000000));
		break;
	case 3:
		ret = mbox_link_recv(fd, rnd(f, 3) ? 0 : sibling(f), pbuf(f), plen(f),
				     MBOX_WAIT_TIMEOUT, 2000000, &meta);
		count(f, ST_LRECV, ret);
		if (ret >= 0 && meta.call_id)
			mbox_reply(fd, meta.call_id, f->buf, rnd(f, 100));
		break;
	case 4:
		count(f, ST_CALL, mbox_call(fd, sibling(f), f->buf, rnd(f, 64), pbuf(f), plen(f),
					    MBOX_WAIT_TIMEOUT, 3000000, NULL));
		break;
	case 5:
		put_fd_kind(f, K_LINK, mbox_link_open(fd, sibling(f),
						      rnd(f, 2) ? MBOX_LINK_NONBLOCK : 0));
		break;
	default:
		mbox_reply(fd, xorshift(&f->rng), f->buf, rnd(f, 10));
		break;
	}
}

/* Rings through raw mmap calls: random areas, lengths and protections. */
static void op_ring(struct fuzz *f)
{
	static const uint64_t offs[] = {
		MBOX_RING_OFF_CTRL, MBOX_RING_OFF_PROD, MBOX_RING_OFF_CONS, MBOX_RING_OFF_DATA,
		0x40000000, 4096,
	};
	int i = rnd(f, SLOTS), fd = pick(f, K_RING);
	struct mbox_ring_wait wt = { .size = sizeof(wt) };
	char name[300];
	void *m;

	switch (rnd(f, 6)) {
	case 0: {
		struct mbox_ring_open op = {
			.size = sizeof(op), .flags = rnd(f, 8) | MBOX_RING_CLOEXEC,
			.name = (uintptr_t)fuzz_name(f, name), .mode = 0600,
			.data_size = rnd(f, 3) ? 4096u << rnd(f, 4) : fuzz_len(f),
		};
		int dev = mbox_dev_open(0);

		if (rnd(f, 2))
			op.flags |= MBOX_RING_CREATE;
		else
			op.mode = op.data_size = 0;
		put_fd_kind(f, K_RING, raw_ioctl(dev, MBOX_IOC_RING_OPEN, &op));
		close(dev);
		break;
	}
	case 1:
	case 2:
		if (f->map[i])
			break;
		f->map_len[i] = rnd(f, 3) ? 4096u << rnd(f, 4) : fuzz_len(f) % (1 << 24);
		m = mmap(NULL, f->map_len[i], PROT_READ | (rnd(f, 2) ? PROT_WRITE : 0) |
			 (rnd(f, 16) ? 0 : PROT_EXEC), rnd(f, 8) ? MAP_SHARED : MAP_PRIVATE,
			 fd, (off_t)offs[rnd(f, 6)]);
		if (m != MAP_FAILED) {
			f->map[i] = m;
			count(f, ST_MAP, 0);
		}
		break;
	case 3:
		/* Scribble over whatever we may write; touch what we may read. */
		if (f->map[i] && f->map_len[i]) {
			volatile char *p = f->map[i];
			size_t at = rnd(f, (uint32_t)f->map_len[i]);

			(void)p[at];
			if (mprotect(f->map[i], f->map_len[i], PROT_READ | PROT_WRITE) == 0)
				p[at] = (char)xorshift(&f->rng);
			if (rnd(f, 4) == 0)
				mremap(f->map[i], f->map_len[i], f->map_len[i] * 2, 0);
		}
		break;
	case 4:
		wt.flags = MBOX_WAIT_TIMEOUT | (rnd(f, 4) ? 0 : MBOX_WAIT_NONBLOCK);
		wt.timeout_ns = 1000000;
		wt.want = rnd(f, 2) ? 0 : fuzz_len(f);
		ioctl(fd, rnd(f, 2) ? MBOX_IOC_RING_WAIT : MBOX_IOC_RING_WAKE, &wt);
		break;
	default:
		if (f->map[i]) {
			munmap(f->map[i], f->map_len[i]);
			f->map[i] = NULL;
		}
		break;
	}
}


/* ---- The oracle: a private mailbox whose state the worker models --------
 *
 * Besides the operations above, each worker sends to and receives from a
 * mailbox of its own (anonymous, on a descriptor no other operation picks,
 * so only the worker changes it) through raw ioctls with hostile argument
 * structs, buffers, lengths, priorities and batches. It keeps a model of
 * the queue: a call that succeeds updates it (a receive must return the
 * model's head); after a call that fails, the mailbox must be exactly as
 * before: the counters of MBOX_IOC_INFO, then a drain compared message by
 * message (length, priority, payload checksum), after which the drained
 * messages are sent again in order.
 */
__attribute__((format(printf, 2, 3)))
static void violation(struct fuzz *f, const char *fmt, ...)
{
	va_list ap;
	int i;

	atomic_fetch_add(&f->sh->violations, 1);
	atomic_fetch_add(&f->sh->viol_at[f->op][f->where], 1);
	i = atomic_fetch_add(&f->sh->nfirst, 1);
	if (i >= 4)
		return;
	va_start(ap, fmt);
	vsnprintf(f->sh->first[i], sizeof(f->sh->first[i]), fmt, ap);
	va_end(ap);
}

/*
 * The payload's checksum as the kernel saw it, or HASH_ANY: when the
 * payload shares bytes with the argument struct (or the batch entries) the
 * call writes back into (seq), the test can not tell what was copied.
 */
static uint32_t payload_hash(struct fuzz *f, uint64_t p, uint32_t len, const void *wb,
			     size_t wblen);

/* Is [p, p + len) memory the worker can read without faulting? */
static int readable(struct fuzz *f, uint64_t p, uint32_t len)
{
	uint64_t b = (uintptr_t)f->buf, ro = (uintptr_t)f->ro;

	if (!len)
		return 1;
	return (p >= b && p + len <= b + 4096) || (p >= ro && p + len <= ro + 4096);
}

static uint32_t payload_hash(struct fuzz *f, uint64_t p, uint32_t len, const void *wb,
			     size_t wblen)
{
	uint64_t w = (uintptr_t)wb;

	if (!readable(f, p, len))
		return HASH_ANY;
	if (len && p < w + wblen && w < p + len)
		return HASH_ANY;
	return fnv1a((uint8_t *)(uintptr_t)p, len, 0);
}

static void om_add(struct fuzz *f, uint32_t len, uint32_t prio, uint32_t hash)
{
	struct oracle_model *m = &f->om;
	int at = m->n;

	while (at > 0 && m->q[at - 1].prio < prio)
		at--;
	memmove(&m->q[at + 1], &m->q[at], (m->n - at) * sizeof(m->q[0]));
	m->q[at] = (struct omsg){ len, prio, hash };
	m->n++;
	m->sent++;
	m->bytes += len;
}

static void om_take(struct fuzz *f)
{
	struct oracle_model *m = &f->om;

	m->bytes -= m->q[0].len;
	memmove(&m->q[0], &m->q[1], (m->n - 1) * sizeof(m->q[0]));
	m->n--;
	m->received++;
}

/* After a failed call: the mailbox is exactly as the model says. */
static void om_check(struct fuzz *f, const char *what, int ret)
{
	struct oracle_model *m = &f->om;
	struct mbox_info in = { 0 };
	struct omsg got[ORACLE_CAP + 8];
	struct mbox_recv meta;
	size_t bufsz;
	char *buf;
	int n = 0, r;

	atomic_fetch_add(&f->sh->checks, 1);
	/* Room for the longest message the mailbox takes: the drain takes all. */
	bufsz = mbox_info(m->fd, &in) || in.msg_size_max < 4096 ? 4096 : in.msg_size_max;
	buf = malloc(bufsz);
	if (!buf)
		return;
	if (mbox_info(m->fd, &in) || in.msgs != (uint64_t)m->n || in.bytes != m->bytes ||
	    in.sent != m->sent || in.received != m->received)
		violation(f, "worker %d: after a failed %s (%d): msgs %llu bytes %llu sent %llu "
			  "received %llu, expected %d %llu %llu %llu", f->me, what, ret,
			  (unsigned long long)in.msgs, (unsigned long long)in.bytes,
			  (unsigned long long)in.sent, (unsigned long long)in.received, m->n,
			  (unsigned long long)m->bytes, (unsigned long long)m->sent,
			  (unsigned long long)m->received);
	while (n < ORACLE_CAP + 8 &&
	       (r = mbox_recv(m->fd, buf, bufsz, MBOX_WAIT_NONBLOCK, 0, &meta)) >= 0)
		got[n++] = (struct omsg){ r, meta.prio, fnv1a((uint8_t *)buf, r, 0) };
	for (int i = 0; i < n || i < m->n; i++) {
		if (i < n && i < m->n && got[i].len == m->q[i].len && got[i].prio == m->q[i].prio &&
		    (m->q[i].hash == HASH_ANY || got[i].hash == m->q[i].hash))
			continue;
		violation(f, "worker %d: after a failed %s (%d): message %d of %d in the queue "
			  "is len %u prio %u, expected %d messages, that one len %u prio %u",
			  f->me, what, ret, i + 1, n, i < n ? got[i].len : 0,
			  i < n ? got[i].prio : 0, m->n, i < m->n ? m->q[i].len : 0,
			  i < m->n ? m->q[i].prio : 0);
		break;
	}
	/* Start again from what the queue really held, in its order. */
	m->received = in.received + n;
	m->sent = in.sent;
	m->n = 0;
	m->bytes = 0;
	for (int i = 0; i < n; i++) {
		memset(buf, 0, got[i].len);
		/* The payload is gone; its checksum becomes that of zeroes. */
		if (!mbox_send(m->fd, buf, got[i].len, got[i].prio, MBOX_WAIT_NONBLOCK, 0))
			om_add(f, got[i].len, got[i].prio, fnv1a((uint8_t *)buf, got[i].len, 0));
	}
	free(buf);
}

/* Where a command struct goes: mostly fine, else read-only, half way, bad. */
static void *oracle_struct(struct fuzz *f, const void *s, size_t sz)
{
	char *p;

	f->where = rnd(f, 8);
	if (f->where > 3)
		f->where = 3;
	switch (f->where) {
	case 0:
		mprotect(f->ro, 4096, PROT_READ | PROT_WRITE);
		memcpy(f->ro, s, sz);
		mprotect(f->ro, 4096, PROT_READ);
		return f->ro;
	case 1:
		p = f->buf + 4096 - ((sz / 2) & ~7ul);
		memcpy(p, s, (sz / 2) & ~7ul);
		return p;
	case 2:	/* never valid memory: its contents would not be @s */
		switch (rnd(f, 3)) {
		case 0:
			return NULL;
		case 1:
			return f->buf + 4096;
		default:
			return (void *)(uintptr_t)(0xffff888000000000ull + rnd(f, 1 << 20));
		}
	default:
		return (void *)s;
	}
}

static void op_oracle(struct fuzz *f)
{
	struct oracle_model *m = &f->om;
	static char rbuf[3][4096];
	const char *what;
	void *arg;
	int ret;

	if (m->fd < 0)
		return;
	atomic_fetch_add(&f->sh->oracle_calls, 1);
	f->op = rnd(f, 5);
	switch (f->op) {
	case 0: {
		struct mbox_send s = { .size = sizeof(s), .flags = MBOX_WAIT_NONBLOCK,
				       .buf = rnd(f, 3) ? (uintptr_t)f->buf : fuzz_ptr(f),
				       .len = rnd(f, 3) ? rnd(f, 300) : fuzz_len(f),
				       .prio = rnd(f, 8) ? rnd(f, 4) : rnd(f, 2) ?
						 28 + rnd(f, 8) : 32762 + rnd(f, 10) };

		what = "send";
		for (uint32_t i = 0; i < 64; i++)
			f->buf[i] = (char)xorshift(&f->rng);
		arg = oracle_struct(f, &s, sizeof(s));
		ret = raw_ioctl(m->fd, MBOX_IOC_SEND, arg);
		if (ret == 0)
			om_add(f, s.len, s.prio, payload_hash(f, s.buf, s.len, arg, sizeof(s)));
		break;
	}
	case 1: {
		struct mbox_recv r = { .size = sizeof(r), .flags = MBOX_WAIT_NONBLOCK |
				       (rnd(f, 4) ? 0 : MBOX_RECV_PEEK) |
				       (rnd(f, 4) ? 0 : MBOX_RECV_TRUNC),
				       .buf = rnd(f, 3) ? (uintptr_t)rbuf[0] : fuzz_ptr(f),
				       .len = rnd(f, 3) ? 4096 : rnd(f, 300) };

		what = "receive";
		arg = oracle_struct(f, &r, sizeof(r));
		ret = raw_ioctl(m->fd, MBOX_IOC_RECV, arg);
		if (ret >= 0 && m->n == 0) {
			violation(f, "worker %d: a receive from an empty mailbox returned %d",
				  f->me, ret);
			return;
		}
		if (ret >= 0 && arg == &r && ret == (int)m->q[0].len &&
		    (r.len != m->q[0].len || r.prio != m->q[0].prio ||
		     (r.buf == (uintptr_t)rbuf[0] && m->q[0].hash != HASH_ANY &&
		      fnv1a((uint8_t *)rbuf[0], ret, 0) != m->q[0].hash)))
			violation(f, "worker %d: received len %u prio %u, expected the head: "
				  "len %u prio %u", f->me, r.len, r.prio, m->q[0].len,
				  m->q[0].prio);
		if (ret >= 0 && !(r.flags & MBOX_RECV_PEEK))
			om_take(f);
		break;
	}
	case 2: {
		struct mbox_send e[3];
		struct mbox_batch b = { .size = sizeof(b), .flags = MBOX_WAIT_NONBLOCK,
					.count = 1 + rnd(f, 3), .entry_size = sizeof(e[0]) };
		struct mbox_send *ents = e;

		what = "send batch";
		for (int i = 0; i < 3; i++)
			e[i] = (struct mbox_send){ .buf = rnd(f, 4) ? (uintptr_t)f->buf + 64 * i :
						   fuzz_ptr(f), .len = rnd(f, 64),
						   .prio = rnd(f, 4) };
		b.msgs = (uintptr_t)e;
		if (rnd(f, 6) == 0) {	/* the entries run into the PROT_NONE page */
			ents = (struct mbox_send *)(f->buf + 4096 - sizeof(e) + 8 * rnd(f, 4));
			memcpy(ents, e, 4096 - ((uintptr_t)ents - (uintptr_t)f->buf));
			b.msgs = (uintptr_t)ents;
		}
		arg = oracle_struct(f, &b, sizeof(b));
		ret = raw_ioctl(m->fd, MBOX_IOC_SEND_BATCH, arg);
		for (int i = 0; i < ret && i < 3; i++)
			om_add(f, e[i].len, e[i].prio,
			       payload_hash(f, e[i].buf, e[i].len, ents, sizeof(e)));
		if (ret >= 0 && ret < (int)b.count) {
			om_check(f, "send batch (partly)", ret);
			return;
		}
		break;
	}
	case 3: {
		struct mbox_recv e[3];
		struct mbox_batch b = { .size = sizeof(b), .flags = MBOX_WAIT_NONBLOCK,
					.count = 1 + rnd(f, 3), .entry_size = sizeof(e[0]) };

		what = "receive batch";
		for (int i = 0; i < 3; i++)
			e[i] = (struct mbox_recv){ .buf = rnd(f, 4) ? (uintptr_t)rbuf[i] :
						   fuzz_ptr(f), .len = rnd(f, 4) ? 4096 : rnd(f, 64) };
		b.msgs = (uintptr_t)e;
		arg = oracle_struct(f, &b, sizeof(b));
		ret = raw_ioctl(m->fd, MBOX_IOC_RECV_BATCH, arg);
		if (ret > m->n) {
			violation(f, "worker %d: a batch received %d of %d queued", f->me, ret,
				  m->n);
			ret = m->n;
		}
		for (int i = 0; i < ret; i++)
			om_take(f);
		if (ret >= 0 && ret < (int)b.count && m->n) {
			om_check(f, "receive batch (partly)", ret);
			return;
		}
		break;
	}
	default: {
		struct mbox_info in = { .size = sizeof(in) };

		what = "info";
		ret = raw_ioctl(m->fd, MBOX_IOC_INFO, oracle_struct(f, &in, sizeof(in)));
		break;
	}
	}
	if (ret < 0)
		om_check(f, what, ret);
}

static void fuzz_ops(struct fuzz *f, unsigned long n);

static void on_sigusr1(int sig)
{
	(void)sig;
}

/*
 * SIGALRM every few milliseconds (handled, without SA_RESTART): whatever a
 * hostile argument makes block forever is interrupted, and every blocking
 * path sees signals. Timers are not inherited: children arm their own.
 */
static void arm_timer(void)
{
	struct itimerval it = { .it_interval = { 0, 3000 }, .it_value = { 0, 3000 } };

	setitimer(ITIMER_REAL, &it, NULL);
}

static void reap(pid_t pid)
{
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

static void read_proc(const char *path)
{
	char buf[4096];
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return;
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	close(fd);
}

/* Descriptors and the process itself: close, dup, fork, exec, signals. */
static void op_process(struct fuzz *f)
{
	int i = rnd(f, SLOTS);
	pid_t pid;

	switch (rnd(f, 9)) {
	case 0:
	case 1:
		if (f->fd[i] >= 0)
			close(f->fd[i]);
		f->fd[i] = -1;
		break;
	case 2:
		put_fd(f, dup(pick_fd(f)));
		break;
	case 3:
		/* A child inherits everything, works a little, then exits or is killed. */
		if (f->nchildren > 200)
			break;
		f->nchildren++;
		count(f, ST_FORK, 0);
		pid = fork();
		if (pid == 0) {
			f->om.fd = -1;	/* the worker's model: leave its mailbox alone */
			arm_timer();
			f->rng ^= 0x5bd1e995;
			fuzz_ops(f, rnd(f, 30));
			if (rnd(f, 3) == 0)
				execl("/bin/true", "true", (char *)NULL);
			_exit(0);
		}
		if (pid > 0) {
			if (rnd(f, 2)) {
				sleep_ms((int)rnd(f, 3));
				kill(pid, SIGKILL);
			}
			reap(pid);
		}
		break;
	case 4:
	case 5:
		pid = f->sh->pid[rnd(f, WORKERS)];
		if (pid > 0)	/* never 0: that is our whole process group */
			kill(pid, SIGUSR1);
		break;
	case 6:
		/* The introspection files, racing with creation and destruction. */
		read_proc(rnd(f, 2) ? "/proc/mbox/objects" : "/proc/mbox/stats");
		break;
	default:
		op_raw_ioctl(f);
		break;
	}
}

static void fuzz_ops(struct fuzz *f, unsigned long n)
{
	for (unsigned long i = 0; i < n; i++) {
		switch (rnd(f, 11)) {
		case 0:
		case 1:
		case 2:
			op_raw_ioctl(f);
			break;
		case 3:
		case 4:
			op_mailbox(f);
			break;
		case 5:
		case 6:
			op_link(f);
			break;
		case 7:
		case 8:
			op_ring(f);
			break;
		case 9:
			op_oracle(f);
			break;
		default:
			op_process(f);
			break;
		}
	}
}

static int worker(struct shared *sh, int me, uint32_t seed, unsigned long ops, int64_t end)
{
	struct sigaction sa = { .sa_handler = on_sigusr1 };	/* no SA_RESTART */
	struct fuzz f = { .rng = seed * 2654435761u + me + 1, .sh = sh, .me = me };
	unsigned long done = 0;

	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	for (int i = 0; i < SLOTS; i++)
		f.fd[i] = -1;
	f.buf = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (f.buf == MAP_FAILED)
		return 1;
	f.ro = f.buf + 2 * 4096;
	mprotect(f.buf + 4096, 4096, PROT_NONE);
	mprotect(f.ro, 4096, PROT_READ);
	f.om.fd = mb_anon(ORACLE_CAP, 0);
	if (f.om.fd < 0 || dup2(f.om.fd, ORACLE_FD + me) < 0)
		return 2;
	close(f.om.fd);
	f.om.fd = ORACLE_FD + me;
	atomic_fetch_add(&sh->ready, 1);
	while (atomic_load(&sh->ready) < WORKERS)
		sleep_ms(1);
	arm_timer();
	while (done < ops && now_ns(CLOCK_MONOTONIC) < end) {
		fuzz_ops(&f, 100);
		done += 100;
		atomic_fetch_add(&sh->ops, 100);
	}
	setitimer(ITIMER_REAL, &(struct itimerval){ 0 }, NULL);
	/* The model still matches at the end. */
	f.op = 5;
	f.where = 3;
	om_check(&f, "final check", 0);
	close(f.om.fd);
	for (int i = 0; i < SLOTS; i++) {
		if (f.fd[i] >= 0)
			close(f.fd[i]);
		if (f.map[i])
			munmap(f.map[i], f.map_len[i]);
	}
	return 0;
}

static unsigned long env_ul(const char *name, unsigned long def)
{
	const char *v = getenv(name);

	return v && *v ? strtoul(v, NULL, 0) : def;
}

FIXTURE(fuzz) {
};

FIXTURE_SETUP(fuzz)
{
}

FIXTURE_TEARDOWN(fuzz)
{
}

TEST_F_TIMEOUT(fuzz, every_operation_plausible_and_hostile, 3600)
{
	uint32_t seed = (uint32_t)env_ul("MBOX_FUZZ_SEED", (unsigned long)now_ns(CLOCK_REALTIME));
	unsigned long ops = env_ul("MBOX_FUZZ_OPS", 40000);
	int64_t end = now_ns(CLOCK_MONOTONIC) +
		      (int64_t)env_ul("MBOX_FUZZ_SECONDS", 300) * 1000000000;
	struct shared *sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct mbox_stats st;
	char name[16];

	ASSERT_NE(MAP_FAILED, sh);
	TH_LOG("seed %u (MBOX_FUZZ_SEED=%u replays it), %lu operations", seed, seed, ops);
	for (int i = 0; i < WORKERS; i++) {
		pid_t pid = fork();

		ASSERT_LE(0, pid);
		if (pid == 0)
			_exit(worker(sh, i, seed, ops / WORKERS, end));
		sh->pid[i] = pid;
	}
	for (int i = 0; i < WORKERS; i++)
		EXPECT_EQ(0, wait_child(sh->pid[i]));
	TH_LOG("%lu operations; succeeded: %lu sends, %lu receives, %lu link sends, "
	       "%lu link receives, %lu calls, %lu mappings, %lu descriptors, %lu forks",
	       (unsigned long)atomic_load(&sh->ops), sh->stat[ST_SEND], sh->stat[ST_RECV],
	       sh->stat[ST_LSEND], sh->stat[ST_LRECV], sh->stat[ST_CALL], sh->stat[ST_MAP],
	       sh->stat[ST_FD], sh->stat[ST_FORK]);
	for (int i = 0; i < atomic_load(&sh->nfirst) && i < 4; i++)
		TH_LOG("oracle: %s", sh->first[i]);
	EXPECT_EQ(0, atomic_load(&sh->violations))
		TH_LOG("%lu of %lu state checks after failed calls broke the rule",
		       (unsigned long)atomic_load(&sh->violations),
		       (unsigned long)atomic_load(&sh->checks));
	for (int i = 0; i < 6; i++)
		for (int j = 0; j < 4; j++)
			if (atomic_load(&sh->viol_at[i][j]))
				TH_LOG("oracle: %lu violation(s) after a %s, %s",
				       (unsigned long)atomic_load(&sh->viol_at[i][j]), oracle_ops[i],
				       oracle_where[j]);
	printf("# fuzz oracle: %lu calls on the private mailboxes, %lu state checks after "
	       "failed calls, %lu broke the rule; %.0f s\n",
	       (unsigned long)atomic_load(&sh->oracle_calls),
	       (unsigned long)atomic_load(&sh->checks),
	       (unsigned long)atomic_load(&sh->violations),
	       (now_ns(CLOCK_MONOTONIC) - end) / 1e9 + (double)env_ul("MBOX_FUZZ_SECONDS", 300));
	fflush(stdout);

	/* Named objects outlive their creators: remove them, then nothing is left. */
	for (int i = 0; i < NAMES; i++) {
		snprintf(name, sizeof(name), "fz%d", i);
		mbox_unlink(-1, name);
		mbox_ring_unlink(-1, name);
	}
	EXPECT_EQ(0, wait_nothing_left(&st));
	EXPECT_EQ(0, st.mailboxes);
	EXPECT_EQ(0, st.endpoints);
	EXPECT_EQ(0, st.links);
	EXPECT_EQ(0, st.rings);
	EXPECT_EQ(0, st.messages);
	munmap(sh, sizeof(*sh));
}

TEST_HARNESS_MAIN
