// SPDX-License-Identifier: GPL-2.0
/*
 * The user boundary: every command either takes effect and returns success,
 * or returns an error and changes nothing visible (no message queued, taken,
 * reordered or duplicated, no object created, no call answered).
 *
 * A table walks each user pointer of each command through five faults:
 * NULL, unmapped, read-only, a kernel address, and a region that faults half
 * way (two pages, the second PROT_NONE, the struct or buffer straddling the
 * boundary). After every call the state is checked against the rule: the
 * info ioctls' counters, the module's object counts, and a drain of the
 * queue compared with the messages the test sent (order, payload, priority,
 * sequence number). A pointer that is only read (a send's payload, a name)
 * may be read-only: then the call must succeed and take effect exactly
 * once. The end prints how many (command, pointer, fault) combinations
 * were checked.
 *
 * The regressions of issue 16 follow, one TEST each, so a failure names it.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>

#define MBOX_TEST_FEATURES	(MBOX_FEAT_MAILBOX | MBOX_FEAT_BATCH | MBOX_FEAT_LINK | MBOX_FEAT_RING)
#include "kselftest_harness.h"
#include "mbox_test.h"

#define PG		4096
#define KADDR		0xffff888000000000ull
#define WHY_LEN		512
#define MS		1000000LL

enum fault { F_NULL, F_UNMAPPED, F_RO, F_KERNEL, F_HALF, F_N };

static const char *const fault_name[F_N] = {
	"NULL", "unmapped", "read-only", "kernel address", "half way",
};

/* Counters shared by the harness's forked tests. */
struct tally {
	int checked;
	int failed;
	int skipped;
	int64_t start_ns;
};

static struct tally *tally;

/* Pages: [0] read-write scratch, [1] read-only, [2..3] the half-way pair. */
static char *pages;
#define RO_PAGE		(pages + PG)
#define HALF_PAGE	(pages + 2 * PG)	/* its next page is PROT_NONE */

__attribute__((constructor)) static void boundary_init(void)
{
	tally = mmap(NULL, sizeof(*tally), PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pages = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (tally == MAP_FAILED || pages == MAP_FAILED)
		abort();
	mprotect(pages + 3 * PG, PG, PROT_NONE);
	mprotect(RO_PAGE, PG, PROT_READ);
	tally->start_ns = now_ns(CLOCK_MONOTONIC);
}

__attribute__((format(printf, 2, 3)))
static int failf(char *why, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, WHY_LEN, fmt, ap);
	va_end(ap);
	return -1;
}

/* A fresh address that nothing maps. */
static void *unmapped_addr(void)
{
	void *p = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	munmap(p, PG);
	return p;
}

/*
 * Where an object of @sz bytes (contents @src, or zeroes) goes for fault @f.
 * Half way: its first @in bytes are readable and writable, the rest is in
 * the PROT_NONE page.
 */
static uint64_t place(enum fault f, const void *src, size_t sz, size_t in)
{
	char *p;

	switch (f) {
	case F_NULL:
		return 0;
	case F_UNMAPPED:
		return (uintptr_t)unmapped_addr();
	case F_RO:
		mprotect(RO_PAGE, PG, PROT_READ | PROT_WRITE);
		memset(RO_PAGE, 0, PG);
		if (src)
			memcpy(RO_PAGE, src, sz);
		mprotect(RO_PAGE, PG, PROT_READ);
		return (uintptr_t)RO_PAGE;
	case F_KERNEL:
		return KADDR;
	default:
		p = HALF_PAGE + PG - in;
		memset(HALF_PAGE, 0, PG);
		if (src)
			memcpy(p, src, in);
		return (uintptr_t)p;
	}
}

/* A struct straddling the boundary: about half of it readable, 8-aligned. */
static uint64_t place_struct(enum fault f, const void *s, size_t sz)
{
	return place(f, s, sz, (sz / 2) & ~(size_t)7);
}

static uint64_t place_buf(enum fault f, const void *b, size_t len)
{
	return place(f, b, len, len / 2);
}

/* The lowest free descriptor: unchanged when no descriptor was made. */
static int next_fd(void)
{
	int fd = dup(0);

	close(fd);
	return fd;
}

static int is_fill(const char *b, char c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (b[i] != c)
			return 0;
	return 1;
}

/* ---- Mailboxes: a model of the queue ----------------------------------- */

struct mmsg {
	char c;
	uint32_t len;
	uint32_t prio;
	uint64_t seq;
};

struct mbm {
	int fd;
	int n;
	struct mmsg q[16];
	uint64_t sent, received, next_seq;
};

/* Queue in priority order, FIFO within one priority. */
static void model_add(struct mbm *m, char c, uint32_t len, uint32_t prio)
{
	int at = m->n;

	while (at > 0 && m->q[at - 1].prio < prio)
		at--;
	memmove(&m->q[at + 1], &m->q[at], (m->n - at) * sizeof(m->q[0]));
	m->q[at] = (struct mmsg){ c, len, prio, m->next_seq++ };
	m->n++;
	m->sent++;
}

static void model_take(struct mbm *m, int k)
{
	memmove(&m->q[0], &m->q[k], (m->n - k) * sizeof(m->q[0]));
	m->n -= k;
	m->received += k;
}

/* A fresh mailbox holding 100 x 'a' (prio 2), 110 x 'b' (2), 120 x 'c' (0). */
static int mb_setup(struct mbm *m, char *why)
{
	static const uint32_t prio[3] = { 2, 2, 0 };
	char buf[256];

	memset(m, 0, sizeof(*m));
	m->next_seq = 1;
	m->fd = mb_anon(16, 0);
	if (m->fd < 0)
		return failf(why, "cannot create a mailbox: %d", m->fd);
	for (int i = 0; i < 3; i++) {
		memset(buf, 'a' + i, sizeof(buf));
		if (mbox_send(m->fd, buf, 100 + 10 * i, prio[i], MBOX_WAIT_NONBLOCK, 0))
			return failf(why, "cannot fill the mailbox");
		model_add(m, 'a' + i, 100 + 10 * i, prio[i]);
	}
	return 0;
}

/* Counters, then a drain compared message by message with the model. */
static int mb_check(struct mbm *m, char *why)
{
	struct mbox_recv meta;
	struct mbox_info in;
	uint64_t bytes = 0;
	char buf[512];
	int n;

	if (mbox_info(m->fd, &in))
		return failf(why, "MBOX_IOC_INFO failed afterwards");
	for (int i = 0; i < m->n; i++)
		bytes += m->q[i].len;
	if (in.msgs != (uint64_t)m->n || in.bytes != bytes || in.sent != m->sent ||
	    in.received != m->received)
		return failf(why, "info: msgs %llu bytes %llu sent %llu received %llu; "
			     "expected %d %llu %llu %llu",
			     (unsigned long long)in.msgs, (unsigned long long)in.bytes,
			     (unsigned long long)in.sent, (unsigned long long)in.received,
			     m->n, (unsigned long long)bytes, (unsigned long long)m->sent,
			     (unsigned long long)m->received);
	for (int i = 0; i < m->n; i++) {
		n = mbox_recv(m->fd, buf, sizeof(buf), MBOX_WAIT_NONBLOCK, 0, &meta);
		if (n < 0)
			return failf(why, "drain: message %d of %d missing (%d)", i + 1, m->n, n);
		if ((uint32_t)n != m->q[i].len || meta.seq != m->q[i].seq ||
		    meta.prio != m->q[i].prio || !is_fill(buf, m->q[i].c, n))
			return failf(why, "drain: message %d is seq %llu prio %u len %d '%c'; "
				     "expected seq %llu prio %u len %u '%c'", i + 1,
				     (unsigned long long)meta.seq, meta.prio, n, buf[0],
				     (unsigned long long)m->q[i].seq, m->q[i].prio,
				     m->q[i].len, m->q[i].c);
	}
	n = mbox_recv(m->fd, buf, sizeof(buf), MBOX_WAIT_NONBLOCK, 0, &meta);
	if (n != -EAGAIN)
		return failf(why, "drain: one message too many (%d, seq %llu)", n,
			     (unsigned long long)meta.seq);
	return 0;
}

static int expect_ret(int ret, int want, char *why)
{
	if (ret == want)
		return 0;
	return failf(why, "returned %d (%s), expected %d (%s)", ret,
		     ret < 0 ? strerror(-ret) : "success", want,
		     want < 0 ? strerror(-want) : "success");
}

/* ---- Links: a peer process driven through a pipe ------------------------ */

struct peer_resp {
	int n;			/* messages received (or sent, for 'S') */
	int err;		/* the last error */
	int calls;		/* of them, calls (answered) */
	uint32_t len[8];
	char c[8];
};

struct peer {
	pid_t pid;
	int cmd, resp;
};

static void peer_main(int cmd, int resp, pid_t parent)
{
	struct mbox_link_recv meta;
	struct peer_resp r = { 0 };
	char buf[512], c;
	int ep = mbox_endpoint(-1, 0, 0, NULL), n;

	r.err = ep < 0 ? ep : 0;
	if (write(resp, &r, sizeof(r)) != sizeof(r) || ep < 0)
		_exit(1);
	while (read(cmd, &c, 1) == 1) {
		int64_t t = 0;
		int flags = MBOX_WAIT_NONBLOCK, max = 8;

		memset(&r, 0, sizeof(r));
		switch (c) {
		case 'S':	/* three asynchronous messages to the parent */
			for (int i = 0; i < 3; i++) {
				memset(buf, 'p' + i, sizeof(buf));
				n = mbox_link_send(ep, parent, buf, 100 + 10 * i, MBOX_LINK_ASYNC, 0);
				if (n)
					r.err = n;
				else
					r.n++;
			}
			break;
		case 'R':	/* one receive, waiting up to 500 ms */
			flags = MBOX_WAIT_TIMEOUT, t = 500 * MS, max = 1;
			goto recv;
		case 'C':	/* one receive, up to 1 s, answering a call */
			flags = MBOX_WAIT_TIMEOUT, t = 1000 * MS, max = 1;
			goto recv;
		case 'A':	/* the same, up to 10 s: a call that must be answered */
			flags = MBOX_WAIT_TIMEOUT, t = 10000 * MS, max = 1;
			goto recv;
		case 'c':	/* the same, up to 300 ms */
			flags = MBOX_WAIT_TIMEOUT, t = 300 * MS, max = 1;
			goto recv;
		case 'D':	/* everything queued, without waiting */
recv:
			while (r.n < max) {
				n = mbox_link_recv(ep, 0, buf, sizeof(buf), flags, t, &meta);
				if (n < 0) {
					r.err = n;
					break;
				}
				r.len[r.n] = n;
				r.c[r.n++] = buf[0];
				if (meta.call_id) {
					r.calls++;
					memset(buf, 'r', 100);
					mbox_reply(ep, meta.call_id, buf, 100);
				}
			}
			break;
		default:
			_exit(0);
		}
		if (write(resp, &r, sizeof(r)) != sizeof(r))
			_exit(1);
	}
	_exit(0);
}

static int peer_start(struct peer *p)
{
	int cmd[2], resp[2];
	pid_t parent = getpid();
	struct peer_resp r;

	if (pipe(cmd) || pipe(resp))
		return -1;
	p->pid = fork();
	if (p->pid < 0)
		return -1;
	if (p->pid == 0) {
		close(cmd[1]);
		close(resp[0]);
		peer_main(cmd[0], resp[1], parent);
	}
	close(cmd[0]);
	close(resp[1]);
	p->cmd = cmd[1];
	p->resp = resp[0];
	if (read(p->resp, &r, sizeof(r)) != sizeof(r) || r.err)
		return -1;
	return 0;
}

static int peer_do(struct peer *p, char c, struct peer_resp *r)
{
	if (write(p->cmd, &c, 1) != 1)
		return -1;
	return read(p->resp, r, sizeof(*r)) == sizeof(*r) ? 0 : -1;
}

static int peer_ask(struct peer *p, char c)
{
	return write(p->cmd, &c, 1) == 1 ? 0 : -1;
}

static int peer_answer(struct peer *p, struct peer_resp *r)
{
	return read(p->resp, r, sizeof(*r)) == sizeof(*r) ? 0 : -1;
}

static void peer_stop(struct peer *p)
{
	if (p->pid <= 0)
		return;
	kill(p->pid, SIGKILL);
	waitpid(p->pid, NULL, 0);
	close(p->cmd);
	close(p->resp);
	p->pid = 0;
}

/* Our endpoint, a peer, the link between us and a descriptor for it. */
struct lk {
	int ep, lfd;
	struct peer p;
};

static int lk_setup(struct lk *l, char *why)
{
	struct peer_resp r;

	memset(l, 0, sizeof(*l));
	l->ep = mbox_endpoint(-1, 0, 0, NULL);
	if (l->ep < 0)
		return failf(why, "no endpoint: %d", l->ep);
	if (peer_start(&l->p))
		return failf(why, "no peer");
	/* Make the link: one message each way. */
	if (mbox_link_send(l->ep, l->p.pid, "hi", 2, MBOX_LINK_ASYNC, 0) ||
	    peer_do(&l->p, 'D', &r) || r.n != 1)
		return failf(why, "cannot make the link");
	l->lfd = mbox_link_open(l->ep, l->p.pid, 0);
	if (l->lfd < 0)
		return failf(why, "no link descriptor: %d", l->lfd);
	return 0;
}

static void lk_teardown(struct lk *l)
{
	peer_stop(&l->p);
	if (l->lfd > 0)
		close(l->lfd);
	if (l->ep > 0)
		close(l->ep);
}

/* What the peer has from us: exactly @n messages, filled with @c[i]. */
static int peer_has(struct lk *l, int n, const char *c, char *why)
{
	struct peer_resp r;

	if (peer_do(&l->p, 'D', &r))
		return failf(why, "the peer is gone");
	if (r.n != n)
		return failf(why, "the peer received %d messages, expected %d", r.n, n);
	for (int i = 0; i < n; i++)
		if (r.c[i] != c[i])
			return failf(why, "the peer's message %d is '%c', expected '%c'",
				     i + 1, r.c[i], c[i]);
	return 0;
}

/* Our inbox holds the peer's 'p', 'q', 'r' (100, 110, 120 bytes), in order. */
static int inbox_check_pqr(struct lk *l, uint64_t received, char *why)
{
	struct mbox_endpoint_info ei;
	struct mbox_link_info li;
	struct mbox_link_recv meta;
	char buf[512];
	int n;

	if (mbox_endpoint_info(l->ep, &ei) || mbox_link_info(l->lfd, 0, &li))
		return failf(why, "info failed afterwards");
	if (ei.msgs != 3 || ei.bytes != 330 || li.queued_in != 3 || li.received != received)
		return failf(why, "endpoint msgs %llu bytes %llu, link queued_in %llu received "
			     "%llu; expected 3 330 3 %llu", (unsigned long long)ei.msgs,
			     (unsigned long long)ei.bytes, (unsigned long long)li.queued_in,
			     (unsigned long long)li.received, (unsigned long long)received);
	for (int i = 0; i < 3; i++) {
		n = mbox_link_recv(l->ep, 0, buf, sizeof(buf), MBOX_WAIT_NONBLOCK, 0, &meta);
		if (n != 100 + 10 * i || !is_fill(buf, 'p' + i, n))
			return failf(why, "drain: message %d is %d bytes of '%c', expected "
				     "%d of '%c'", i + 1, n, n > 0 ? buf[0] : '?', 100 + 10 * i,
				     'p' + i);
	}
	n = mbox_link_recv(l->ep, 0, buf, sizeof(buf), MBOX_WAIT_NONBLOCK, 0, &meta);
	if (n != -EAGAIN)
		return failf(why, "drain: one message too many (%d)", n);
	return 0;
}

static int fill_inbox(struct lk *l, char *why)
{
	struct mbox_endpoint_info ei;
	struct peer_resp r;

	if (peer_do(&l->p, 'S', &r) || r.n != 3)
		return failf(why, "the peer could not send");
	if (mbox_endpoint_info(l->ep, &ei) || ei.msgs != 3)
		return failf(why, "our inbox does not hold the peer's 3 messages");
	return 0;
}

static int links_alive(void)
{
	struct mbox_stats st;

	return mbox_stats(-1, &st) ? -1 : (int)st.links;
}

/* ---- The table ---------------------------------------------------------- */

struct cmd_case {
	const char *cmd;
	const char *ptrs[3];
	/* 0: as the rule says; -1 (with why): it does not; 1: not applicable */
	int (*run)(int ptr, enum fault f, char *why);
};

/* MBOX_IOC_OPEN: struct, name. */
static int run_open(int ptr, enum fault f, char *why)
{
	static int nr;
	char name[32];
	struct mbox_open op = {
		.size = sizeof(op),
		.flags = MBOX_OPEN_SEND | MBOX_OPEN_RECV | MBOX_OPEN_CREATE | MBOX_OPEN_EXCL,
		.mode = 0600, .capacity = 4,
	};
	struct mbox_stats a, b;
	int dev = mbox_dev_open(0), fdn, fda, ret, exists;
	uint64_t arg = (uintptr_t)&op;

	if (ptr == 1 && f == F_NULL) {	/* NULL names an anonymous mailbox */
		close(dev);
		return 1;
	}
	snprintf(name, sizeof(name), "bd_open_%d_%d", getpid(), nr++);
	op.name = (uintptr_t)name;
	if (ptr == 0)
		arg = place_struct(f, &op, sizeof(op));
	else
		op.name = place_buf(f, name, strlen(name) + 1);
	mbox_stats(-1, &a);
	fdn = next_fd();
	ret = raw_ioctl(dev, MBOX_IOC_OPEN, (void *)(uintptr_t)arg);
	fda = next_fd();
	mbox_stats(-1, &b);
	exists = mbox_open(-1, name, MBOX_OPEN_RECV, NULL, NULL);
	if (exists >= 0)
		close(exists);
	mbox_unlink(-1, name);
	close(dev);
	if (ret >= 0)
		close(ret);
	if (ptr == 1 && f == F_RO) {	/* a name is only read */
		if (ret < 0)
			return expect_ret(ret, 0, why);
		if (exists < 0)
			return failf(why, "succeeded but the mailbox does not exist");
		return 0;
	}
	if (expect_ret(ret, -EFAULT, why))
		return -1;
	if (exists != -ENOENT)
		return failf(why, "the mailbox exists afterwards (open: %d)", exists);
	if (a.mailboxes != b.mailboxes)
		return failf(why, "mailboxes alive went from %llu to %llu",
			     (unsigned long long)a.mailboxes, (unsigned long long)b.mailboxes);
	if (fda != fdn)
		return failf(why, "a descriptor was left open");
	return 0;
}

/* MBOX_IOC_UNLINK: struct, name. Only read: read-only is fine. */
static int run_unlink(int ptr, enum fault f, char *why)
{
	static int nr;
	char name[32];
	struct mbox_unlink ul = { .size = sizeof(ul) };
	uint64_t arg = (uintptr_t)&ul;
	int fd, ret, exists;

	if (ptr == 1 && f == F_NULL)	/* NULL: unlink by ID */
		return 1;
	snprintf(name, sizeof(name), "bd_unlink_%d_%d", getpid(), nr++);
	fd = mbox_open(-1, name, MBOX_OPEN_RECV | MBOX_OPEN_CREATE, NULL, NULL);
	if (fd < 0)
		return failf(why, "cannot create %s: %d", name, fd);
	close(fd);
	ul.name = (uintptr_t)name;
	if (ptr == 0)
		arg = place_struct(f, &ul, sizeof(ul));
	else
		ul.name = place_buf(f, name, strlen(name) + 1);
	fd = mbox_dev_open(0);
	ret = raw_ioctl(fd, MBOX_IOC_UNLINK, (void *)(uintptr_t)arg);
	close(fd);
	exists = mbox_open(-1, name, MBOX_OPEN_RECV, NULL, NULL);
	if (exists >= 0)
		close(exists);
	mbox_unlink(-1, name);
	if (f == F_RO) {
		if (expect_ret(ret, 0, why))
			return -1;
		return exists == -ENOENT ? 0 : failf(why, "succeeded, but the name is still there");
	}
	if (expect_ret(ret, -EFAULT, why))
		return -1;
	return exists >= 0 ? 0 : failf(why, "failed, but the name is gone (%d)", exists);
}

/* MBOX_IOC_SEND: struct, buf. */
static int run_send(int ptr, enum fault f, char *why)
{
	struct mbox_send s = { .size = sizeof(s), .flags = MBOX_WAIT_NONBLOCK, .len = 100,
			       .prio = 1 };
	char payload[100];
	uint64_t arg = (uintptr_t)&s;
	struct mbm m;
	int ret;

	if (mb_setup(&m, why))
		return -1;
	memset(payload, 'n', sizeof(payload));
	s.buf = (uintptr_t)payload;
	if (ptr == 0)
		arg = place_struct(f, &s, sizeof(s));
	else
		s.buf = place_buf(f, payload, sizeof(payload));
	ret = raw_ioctl(m.fd, MBOX_IOC_SEND, (void *)(uintptr_t)arg);
	if (ptr == 1 && f == F_RO) {
		if (expect_ret(ret, 0, why))
			goto fail;
		if (s.seq != m.next_seq) {
			failf(why, "seq %llu written back, expected %llu",
			      (unsigned long long)s.seq, (unsigned long long)m.next_seq);
			goto fail;
		}
		model_add(&m, 'n', 100, 1);
	} else if (expect_ret(ret, -EFAULT, why)) {
		goto fail;
	}
	ret = mb_check(&m, why);
	close(m.fd);
	return ret;
fail:
	close(m.fd);
	return -1;
}

/* MBOX_IOC_RECV: struct, buf. Everything is written: every fault is EFAULT. */
static int run_recv(int ptr, enum fault f, char *why)
{
	struct mbox_recv r = { .size = sizeof(r), .flags = MBOX_WAIT_NONBLOCK, .len = 256 };
	uint64_t arg = (uintptr_t)&r;
	struct mbm m;
	int ret;

	if (mb_setup(&m, why))
		return -1;
	r.buf = (uintptr_t)pages;
	if (ptr == 0)
		arg = place_struct(f, &r, sizeof(r));
	else
		r.buf = place(f, NULL, 256, 64);	/* the 100-byte message runs off */
	ret = raw_ioctl(m.fd, MBOX_IOC_RECV, (void *)(uintptr_t)arg);
	if (expect_ret(ret, -EFAULT, why)) {
		close(m.fd);
		return -1;
	}
	ret = mb_check(&m, why);
	close(m.fd);
	return ret;
}

/* MBOX_IOC_INFO: struct. */
static int run_info(int ptr, enum fault f, char *why)
{
	struct mbox_info in = { .size = sizeof(in) };
	struct mbm m;
	int ret;

	(void)ptr;
	if (mb_setup(&m, why))
		return -1;
	ret = raw_ioctl(m.fd, MBOX_IOC_INFO, (void *)(uintptr_t)place_struct(f, &in, sizeof(in)));
	if (expect_ret(ret, -EFAULT, why)) {
		close(m.fd);
		return -1;
	}
	ret = mb_check(&m, why);
	close(m.fd);
	return ret;
}

/* MBOX_IOC_STATS: struct. */
static int run_stats(int ptr, enum fault f, char *why)
{
	struct mbox_stats st = { .size = sizeof(st) };
	int dev = mbox_dev_open(0), ret;

	(void)ptr;
	ret = raw_ioctl(dev, MBOX_IOC_STATS, (void *)(uintptr_t)place_struct(f, &st, sizeof(st)));
	close(dev);
	return expect_ret(ret, -EFAULT, why);
}

/*
 * MBOX_IOC_SEND_BATCH: header, entries, entry 1's buffer. Three 100-byte
 * messages 'x', 'y', 'z' at prio 1.
 */
static int run_send_batch(int ptr, enum fault f, char *why)
{
	struct mbox_send e[3] = { 0 };
	struct mbox_batch b = { .size = sizeof(b), .flags = MBOX_WAIT_NONBLOCK, .count = 3,
				.entry_size = sizeof(e[0]) };
	char payload[3][100];
	uint64_t arg = (uintptr_t)&b;
	struct mbox_send *ents = e;
	struct mbm m;
	int ret, want = -EFAULT;

	if (mb_setup(&m, why))
		return -1;
	for (int i = 0; i < 3; i++) {
		memset(payload[i], 'x' + i, 100);
		e[i] = (struct mbox_send){ .buf = (uintptr_t)payload[i], .len = 100, .prio = 1 };
	}
	b.msgs = (uintptr_t)e;
	if (ptr == 0) {
		/* A header whose done can not be written: nothing is sent. */
		arg = place_struct(f, &b, sizeof(b));
	} else if (ptr == 1) {
		/* Half way: entries 0 and 1 readable, entry 2 straddles. */
		b.msgs = place(f, e, sizeof(e), 2 * sizeof(e[0]) + (sizeof(e[0]) / 2 & ~7ul));
		if (f == F_HALF) {
			want = 2;
			ents = (struct mbox_send *)(uintptr_t)b.msgs;
		}
	} else {
		e[1].buf = place_buf(f, payload[1], 100);
		want = f == F_RO ? 3 : 1;
	}
	ret = raw_ioctl(m.fd, MBOX_IOC_SEND_BATCH, (void *)(uintptr_t)arg);
	if (expect_ret(ret, want, why))
		goto fail;
	for (int i = 0; i < want; i++) {
		if (ents[i].seq != m.next_seq) {
			failf(why, "entry %d: seq %llu written back, expected %llu", i,
			      (unsigned long long)ents[i].seq, (unsigned long long)m.next_seq);
			goto fail;
		}
		model_add(&m, 'x' + i, 100, 1);
	}
	if (want > 0 && ptr != 0 && b.done != (uint32_t)want) {
		failf(why, "done %u, expected %d", b.done, want);
		goto fail;
	}
	ret = mb_check(&m, why);
	close(m.fd);
	return ret;
fail:
	close(m.fd);
	return -1;
}

/* MBOX_IOC_RECV_BATCH: header, entries, entry 1's buffer. */
static int run_recv_batch(int ptr, enum fault f, char *why)
{
	struct mbox_recv e[3] = { 0 };
	struct mbox_batch b = { .size = sizeof(b), .flags = MBOX_WAIT_NONBLOCK, .count = 3,
				.entry_size = sizeof(e[0]) };
	static char bufs[3][256];
	uint64_t arg = (uintptr_t)&b;
	struct mbox_recv *ents = e;
	struct mbm m;
	int ret, want = -EFAULT;

	if (mb_setup(&m, why))
		return -1;
	memset(bufs, 0, sizeof(bufs));
	for (int i = 0; i < 3; i++)
		e[i] = (struct mbox_recv){ .buf = (uintptr_t)bufs[i], .len = 256 };
	b.msgs = (uintptr_t)e;
	if (ptr == 0) {
		/* A header whose done can not be written: nothing is taken. */
		arg = place_struct(f, &b, sizeof(b));
	} else if (ptr == 1) {
		b.msgs = place(f, e, sizeof(e), 2 * sizeof(e[0]) + (sizeof(e[0]) / 2 & ~7ul));
		if (f == F_HALF) {
			want = 2;
			ents = (struct mbox_recv *)(uintptr_t)b.msgs;
		}
	} else {
		e[1].buf = place(f, NULL, 256, 64);
		want = 1;
	}
	ret = raw_ioctl(m.fd, MBOX_IOC_RECV_BATCH, (void *)(uintptr_t)arg);
	if (expect_ret(ret, want, why))
		goto fail;
	for (int i = 0; i < want; i++) {
		if (ents[i].len != m.q[0].len || ents[i].seq != m.q[0].seq ||
		    !is_fill(bufs[i], m.q[0].c, m.q[0].len)) {
			failf(why, "entry %d: len %u seq %llu '%c', expected %u %llu '%c'", i,
			      ents[i].len, (unsigned long long)ents[i].seq, bufs[i][0],
			      m.q[0].len, (unsigned long long)m.q[0].seq, m.q[0].c);
			goto fail;
		}
		model_take(&m, 1);
	}
	ret = mb_check(&m, why);
	close(m.fd);
	return ret;
fail:
	close(m.fd);
	return -1;
}

/*
 * MBOX_IOC_LINK_SEND (asynchronous) on an endpoint or a link descriptor:
 * struct, buf. The peer already has 'l', 'm' from us.
 */
static int run_link_send(int on_link, int ptr, enum fault f, char *why)
{
	struct mbox_link_send s = { .size = sizeof(s), .flags = MBOX_LINK_ASYNC |
				    MBOX_WAIT_NONBLOCK, .len = 100 };
	struct mbox_link_info a, b;
	char payload[100];
	uint64_t arg = (uintptr_t)&s;
	struct lk l;
	int ret;

	if (lk_setup(&l, why))
		goto fail;
	if (mbox_link_send(l.ep, l.p.pid, "l", 1, MBOX_LINK_ASYNC, 0) ||
	    mbox_link_send(l.lfd, 0, "m", 1, MBOX_LINK_ASYNC, 0)) {
		failf(why, "cannot send to the peer");
		goto fail;
	}
	memset(payload, 'n', sizeof(payload));
	s.pid = on_link ? 0 : l.p.pid;
	s.buf = (uintptr_t)payload;
	if (ptr == 0)
		arg = place_struct(f, &s, sizeof(s));
	else
		s.buf = place_buf(f, payload, sizeof(payload));
	mbox_link_info(l.lfd, 0, &a);
	ret = raw_ioctl(on_link ? l.lfd : l.ep, MBOX_IOC_LINK_SEND, (void *)(uintptr_t)arg);
	mbox_link_info(l.lfd, 0, &b);
	if (ptr == 1 && f == F_RO) {
		if (expect_ret(ret, 0, why))
			goto fail;
		if (b.sent != a.sent + 1 || b.queued_out != 3) {
			failf(why, "link sent %llu -> %llu, queued_out %llu; expected +1, 3",
			      (unsigned long long)a.sent, (unsigned long long)b.sent,
			      (unsigned long long)b.queued_out);
			goto fail;
		}
		ret = peer_has(&l, 3, "lmn", why);
	} else {
		if (expect_ret(ret, -EFAULT, why))
			goto fail;
		if (b.sent != a.sent || b.queued_out != 2) {
			failf(why, "link sent %llu -> %llu, queued_out %llu; expected unchanged, 2",
			      (unsigned long long)a.sent, (unsigned long long)b.sent,
			      (unsigned long long)b.queued_out);
			goto fail;
		}
		ret = peer_has(&l, 2, "lm", why);
	}
	lk_teardown(&l);
	return ret;
fail:
	lk_teardown(&l);
	return -1;
}

static int run_link_send_ep(int ptr, enum fault f, char *why)
{
	return run_link_send(0, ptr, f, why);
}

static int run_link_send_link(int ptr, enum fault f, char *why)
{
	return run_link_send(1, ptr, f, why);
}

/* MBOX_IOC_LINK_RECV on an endpoint or a link descriptor: struct, buf. */
static int run_link_recv(int on_link, int ptr, enum fault f, char *why)
{
	struct mbox_link_recv r = { .size = sizeof(r), .flags = MBOX_WAIT_NONBLOCK, .len = 256 };
	struct mbox_link_info li;
	uint64_t arg = (uintptr_t)&r;
	struct lk l;
	int ret;

	if (lk_setup(&l, why) || fill_inbox(&l, why))
		goto fail;
	r.buf = (uintptr_t)pages;
	if (ptr == 0)
		arg = place_struct(f, &r, sizeof(r));
	else
		r.buf = place(f, NULL, 256, 64);
	mbox_link_info(l.lfd, 0, &li);
	ret = raw_ioctl(on_link ? l.lfd : l.ep, MBOX_IOC_LINK_RECV, (void *)(uintptr_t)arg);
	if (expect_ret(ret, -EFAULT, why))
		goto fail;
	ret = inbox_check_pqr(&l, li.received, why);
	lk_teardown(&l);
	return ret;
fail:
	lk_teardown(&l);
	return -1;
}

static int run_link_recv_ep(int ptr, enum fault f, char *why)
{
	return run_link_recv(0, ptr, f, why);
}

static int run_link_recv_link(int ptr, enum fault f, char *why)
{
	return run_link_recv(1, ptr, f, why);
}

/*
 * MBOX_IOC_CALL: struct, request, reply buffer. The peer serves one call
 * (its reply is 100 bytes of 'r'); only a read-only request may succeed.
 * The call that succeeds gives the peer 10 s to take and answer it (both
 * timeouts only bound a failure: the call returns with the reply); the
 * ones that fail give a request sent by mistake 300 ms to be answered,
 * and the peer's 'D' finds one left unanswered.
 */
static int run_call(int ptr, enum fault f, char *why)
{
	struct mbox_call c = { .size = sizeof(c), .flags = MBOX_WAIT_TIMEOUT, .len = 100,
			       .reply_len = 256 };
	struct mbox_endpoint_info ei;
	struct peer_resp r, d;
	char req[100];
	uint64_t arg = (uintptr_t)&c;
	int ok = ptr == 1 && f == F_RO, ret;
	struct lk l;

	if (lk_setup(&l, why))
		goto fail;
	memset(req, 'q', sizeof(req));
	c.pid = l.p.pid;
	c.buf = (uintptr_t)req;
	c.reply_buf = (uintptr_t)pages;
	c.timeout_ns = (ok ? 10000 : 300) * MS;
	if (ptr == 0)
		arg = place_struct(f, &c, sizeof(c));
	else if (ptr == 1)
		c.buf = place_buf(f, req, sizeof(req));
	else
		c.reply_buf = place(f, NULL, 256, 64);	/* the reply runs off */
	if (peer_ask(&l.p, ok ? 'A' : 'c'))
		goto fail;
	ret = raw_ioctl(l.ep, MBOX_IOC_CALL, (void *)(uintptr_t)arg);
	if (peer_answer(&l.p, &r) || peer_do(&l.p, 'D', &d)) {
		failf(why, "the peer is gone");
		goto fail;
	}
	if (mbox_endpoint_info(l.ep, &ei)) {
		failf(why, "ENDPOINT_INFO failed");
		goto fail;
	}
	if (ok) {
		if (expect_ret(ret, 100, why))
			goto fail;
		if (!is_fill(pages, 'r', 100) || c.reply_len != 100 || !c.call_id) {
			failf(why, "reply_len %u call_id %llu", c.reply_len,
			      (unsigned long long)c.call_id);
			goto fail;
		}
		if (r.calls != 1 || d.n) {
			failf(why, "the peer saw %d calls, then %d more messages", r.calls, d.n);
			goto fail;
		}
	} else {
		if (expect_ret(ret, -EFAULT, why))
			goto fail;
		if (r.n + d.n) {
			failf(why, "the request was sent: the peer received %d message(s) "
			      "(%d call(s), answered)", r.n + d.n, r.calls + d.calls);
			goto fail;
		}
	}
	if (ei.msgs) {
		failf(why, "our inbox holds %llu message(s) afterwards",
		      (unsigned long long)ei.msgs);
		goto fail;
	}
	lk_teardown(&l);
	return 0;
fail:
	lk_teardown(&l);
	return -1;
}

/* MBOX_IOC_LINK_OPEN: struct. The peer is new: a failure makes no link. */
static int run_link_open(int ptr, enum fault f, char *why)
{
	struct mbox_link_open lo = { .size = sizeof(lo) };
	struct mbox_endpoint_info a, b;
	struct peer p = { 0 };
	int ep, ret, fdn, fda, la, lb;

	(void)ptr;
	ep = mbox_endpoint(-1, 0, 0, NULL);
	if (ep < 0)
		return failf(why, "no endpoint: %d", ep);
	if (peer_start(&p)) {
		close(ep);
		return failf(why, "no peer");
	}
	lo.pid = p.pid;
	mbox_endpoint_info(ep, &a);
	la = links_alive();
	fdn = next_fd();
	ret = raw_ioctl(ep, MBOX_IOC_LINK_OPEN, (void *)(uintptr_t)place_struct(f, &lo, sizeof(lo)));
	fda = next_fd();
	lb = links_alive();
	mbox_endpoint_info(ep, &b);
	if (ret >= 0)
		close(ret);
	peer_stop(&p);
	close(ep);
	if (expect_ret(ret, -EFAULT, why))
		return -1;
	if (la != lb || a.links != b.links)
		return failf(why, "a link was made: links alive %d -> %d, ours %llu -> %llu",
			     la, lb, (unsigned long long)a.links, (unsigned long long)b.links);
	if (fda != fdn)
		return failf(why, "a descriptor was left open");
	return 0;
}

/* MBOX_IOC_LINK_INFO on an endpoint (pid set) or a link descriptor. */
static int run_link_info(int on_link, enum fault f, char *why)
{
	struct mbox_link_info li = { .size = sizeof(li) }, a, b;
	struct lk l;
	int ret;

	if (lk_setup(&l, why))
		goto fail;
	li.pid = on_link ? 0 : l.p.pid;
	mbox_link_info(l.lfd, 0, &a);
	ret = raw_ioctl(on_link ? l.lfd : l.ep, MBOX_IOC_LINK_INFO,
			(void *)(uintptr_t)place_struct(f, &li, sizeof(li)));
	mbox_link_info(l.lfd, 0, &b);
	if (expect_ret(ret, -EFAULT, why))
		goto fail;
	if (memcmp(&a, &b, sizeof(a))) {
		failf(why, "the link's info changed");
		goto fail;
	}
	lk_teardown(&l);
	return 0;
fail:
	lk_teardown(&l);
	return -1;
}

static int run_link_info_ep(int ptr, enum fault f, char *why)
{
	(void)ptr;
	return run_link_info(0, f, why);
}

static int run_link_info_link(int ptr, enum fault f, char *why)
{
	(void)ptr;
	return run_link_info(1, f, why);
}

/* MBOX_IOC_ENDPOINT_INFO: struct. */
static int run_endpoint_info(int ptr, enum fault f, char *why)
{
	struct mbox_endpoint_info ei = { .size = sizeof(ei) }, a, b;
	struct lk l;
	int ret;

	(void)ptr;
	if (lk_setup(&l, why) || fill_inbox(&l, why))
		goto fail;
	mbox_endpoint_info(l.ep, &a);
	ret = raw_ioctl(l.ep, MBOX_IOC_ENDPOINT_INFO,
			(void *)(uintptr_t)place_struct(f, &ei, sizeof(ei)));
	mbox_endpoint_info(l.ep, &b);
	if (expect_ret(ret, -EFAULT, why))
		goto fail;
	if (memcmp(&a, &b, sizeof(a))) {
		failf(why, "the endpoint's info changed");
		goto fail;
	}
	ret = inbox_check_pqr(&l, 0, why);
	lk_teardown(&l);
	return ret;
fail:
	lk_teardown(&l);
	return -1;
}

/*
 * MBOX_IOC_ENDPOINT: struct. In a child, which has none: a failed creation
 * leaves no endpoint (a later one is not -EEXIST) and no descriptor.
 */
static int run_endpoint(int ptr, enum fault f, char *why)
{
	int res[2], st;
	pid_t pid;
	struct {
		int ret, again, fd_left;
		uint64_t before, after;
	} out = { 0 };

	(void)ptr;
	if (pipe(res))
		return failf(why, "pipe");
	pid = fork();
	if (pid == 0) {
		struct mbox_endpoint e = { .size = sizeof(e) };
		struct mbox_stats a, b;
		int dev = mbox_dev_open(0), fdn = next_fd();

		mbox_stats(-1, &a);
		out.ret = raw_ioctl(dev, MBOX_IOC_ENDPOINT,
				    (void *)(uintptr_t)place_struct(f, &e, sizeof(e)));
		mbox_stats(-1, &b);
		out.fd_left = out.ret < 0 && next_fd() != fdn;
		out.before = a.endpoints;
		out.after = b.endpoints;
		out.again = mbox_endpoint(dev, 0, 0, NULL);
		_exit(write(res[1], &out, sizeof(out)) == sizeof(out) ? 0 : 1);
	}
	close(res[1]);
	st = read(res[0], &out, sizeof(out)) == sizeof(out);
	close(res[0]);
	waitpid(pid, NULL, 0);
	if (!st)
		return failf(why, "the child died");
	if (expect_ret(out.ret, -EFAULT, why))
		return -1;
	if (out.before != out.after)
		return failf(why, "endpoints alive went from %llu to %llu",
			     (unsigned long long)out.before, (unsigned long long)out.after);
	if (out.again < 0)
		return failf(why, "a later endpoint creation failed with %d", out.again);
	if (out.fd_left)
		return failf(why, "a descriptor was left open");
	return 0;
}

/* MBOX_IOC_RING_OPEN: struct, name. */
static int run_ring_open(int ptr, enum fault f, char *why)
{
	static int nr;
	char name[32];
	struct mbox_ring_open op = {
		.size = sizeof(op), .flags = MBOX_RING_PRODUCER | MBOX_RING_CREATE |
		MBOX_RING_EXCL, .mode = 0600, .data_size = 4096,
	};
	struct mbox_stats a, b;
	struct mbox_ring *r = NULL;
	int dev = mbox_dev_open(0), fdn, fda, ret, exists;
	uint64_t arg = (uintptr_t)&op;

	if (ptr == 1 && f == F_NULL) {	/* NULL names an anonymous ring */
		close(dev);
		return 1;
	}
	snprintf(name, sizeof(name), "bd_ring_%d_%d", getpid(), nr++);
	op.name = (uintptr_t)name;
	if (ptr == 0)
		arg = place_struct(f, &op, sizeof(op));
	else
		op.name = place_buf(f, name, strlen(name) + 1);
	mbox_stats(-1, &a);
	fdn = next_fd();
	ret = raw_ioctl(dev, MBOX_IOC_RING_OPEN, (void *)(uintptr_t)arg);
	fda = next_fd();
	mbox_stats(-1, &b);
	exists = mbox_ring_open(-1, name, MBOX_RING_CONSUMER, NULL, &r);
	if (!exists)
		mbox_ring_close(r);
	mbox_ring_unlink(-1, name);
	close(dev);
	if (ret >= 0)
		close(ret);
	if (ptr == 1 && f == F_RO) {
		if (ret < 0)
			return expect_ret(ret, 0, why);
		return exists ? failf(why, "succeeded but the ring does not exist (%d)", exists) : 0;
	}
	if (expect_ret(ret, -EFAULT, why))
		return -1;
	if (exists != -ENOENT)
		return failf(why, "the ring exists afterwards (open: %d)", exists);
	if (a.rings != b.rings)
		return failf(why, "rings alive went from %llu to %llu",
			     (unsigned long long)a.rings, (unsigned long long)b.rings);
	if (fda != fdn)
		return failf(why, "a descriptor was left open");
	return 0;
}

/* MBOX_IOC_RING_INFO: struct. */
static int run_ring_info(int ptr, enum fault f, char *why)
{
	struct mbox_ring_attr attr = { .mode = 0600, .data_size = 4096 };
	struct mbox_ring_info in = { .size = sizeof(in) }, a, b;
	struct mbox_ring *r;
	int ret;

	(void)ptr;
	ret = mbox_ring_open(-1, NULL, MBOX_RING_PRODUCER | MBOX_RING_CREATE, &attr, &r);
	if (ret)
		return failf(why, "no ring: %d", ret);
	mbox_ring_info(r, &a);
	ret = raw_ioctl(mbox_ring_fd(r), MBOX_IOC_RING_INFO,
			(void *)(uintptr_t)place_struct(f, &in, sizeof(in)));
	mbox_ring_info(r, &b);
	mbox_ring_close(r);
	if (expect_ret(ret, -EFAULT, why))
		return -1;
	if (a.id != b.id || a.prod != b.prod || a.cons != b.cons || a.state != b.state ||
	    a.wake_calls != b.wake_calls)
		return failf(why, "the ring's info changed");
	return 0;
}

static const struct cmd_case cases[] = {
	{ "MBOX_IOC_OPEN", { "struct", "name" }, run_open },
	{ "MBOX_IOC_UNLINK", { "struct", "name" }, run_unlink },
	{ "MBOX_IOC_STATS", { "struct" }, run_stats },
	{ "MBOX_IOC_SEND", { "struct", "buf" }, run_send },
	{ "MBOX_IOC_RECV", { "struct", "buf" }, run_recv },
	{ "MBOX_IOC_SEND_BATCH", { "header", "entries", "entry buf" }, run_send_batch },
	{ "MBOX_IOC_RECV_BATCH", { "header", "entries", "entry buf" }, run_recv_batch },
	{ "MBOX_IOC_INFO", { "struct" }, run_info },
	{ "MBOX_IOC_ENDPOINT", { "struct" }, run_endpoint },
	{ "MBOX_IOC_LINK_SEND(endpoint)", { "struct", "buf" }, run_link_send_ep },
	{ "MBOX_IOC_LINK_SEND(link)", { "struct", "buf" }, run_link_send_link },
	{ "MBOX_IOC_LINK_RECV(endpoint)", { "struct", "buf" }, run_link_recv_ep },
	{ "MBOX_IOC_LINK_RECV(link)", { "struct", "buf" }, run_link_recv_link },
	{ "MBOX_IOC_CALL", { "struct", "request", "reply buf" }, run_call },
	{ "MBOX_IOC_LINK_OPEN", { "struct" }, run_link_open },
	{ "MBOX_IOC_LINK_INFO(endpoint)", { "struct" }, run_link_info_ep },
	{ "MBOX_IOC_LINK_INFO(link)", { "struct" }, run_link_info_link },
	{ "MBOX_IOC_ENDPOINT_INFO", { "struct" }, run_endpoint_info },
	{ "MBOX_IOC_RING_OPEN", { "struct", "name" }, run_ring_open },
	{ "MBOX_IOC_RING_INFO", { "struct" }, run_ring_info },
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))

/* Every pointer of one command through every fault. */
static void sweep_cmd(struct __test_metadata *_metadata, const char *cmd)
{
	char why[WHY_LEN];
	int checked = 0, failed = 0;
	const struct cmd_case *c = NULL;

	for (size_t i = 0; i < NCASES; i++)
		if (!strcmp(cases[i].cmd, cmd))
			c = &cases[i];
	ASSERT_NE(NULL, c);
	for (int p = 0; p < 3 && c->ptrs[p]; p++) {
		for (int f = 0; f < F_N; f++) {
			int ret;

			why[0] = '\0';
			ret = c->run(p, f, why);
			if (ret == 1) {
				__atomic_fetch_add(&tally->skipped, 1, __ATOMIC_RELAXED);
				continue;
			}
			checked++;
			if (ret) {
				failed++;
				TH_LOG("%s, %s %s: %s", c->cmd, c->ptrs[p], fault_name[f], why);
			}
		}
	}
	__atomic_fetch_add(&tally->checked, checked, __ATOMIC_RELAXED);
	__atomic_fetch_add(&tally->failed, failed, __ATOMIC_RELAXED);
	EXPECT_EQ(0, failed) TH_LOG("%s: %d of %d combinations break the rule", cmd, failed,
				    checked);
}

#define SWEEP(tname, cmd) TEST(sweep_##tname) { sweep_cmd(_metadata, cmd); }

SWEEP(open, "MBOX_IOC_OPEN")
SWEEP(unlink, "MBOX_IOC_UNLINK")
SWEEP(stats, "MBOX_IOC_STATS")
SWEEP(send, "MBOX_IOC_SEND")
SWEEP(recv, "MBOX_IOC_RECV")
SWEEP(send_batch, "MBOX_IOC_SEND_BATCH")
SWEEP(recv_batch, "MBOX_IOC_RECV_BATCH")
SWEEP(info, "MBOX_IOC_INFO")
SWEEP(endpoint, "MBOX_IOC_ENDPOINT")
SWEEP(link_send_endpoint, "MBOX_IOC_LINK_SEND(endpoint)")
SWEEP(link_send_link, "MBOX_IOC_LINK_SEND(link)")
SWEEP(link_recv_endpoint, "MBOX_IOC_LINK_RECV(endpoint)")
SWEEP(link_recv_link, "MBOX_IOC_LINK_RECV(link)")
SWEEP(call, "MBOX_IOC_CALL")
SWEEP(link_open, "MBOX_IOC_LINK_OPEN")
SWEEP(link_info_endpoint, "MBOX_IOC_LINK_INFO(endpoint)")
SWEEP(link_info_link, "MBOX_IOC_LINK_INFO(link)")
SWEEP(endpoint_info, "MBOX_IOC_ENDPOINT_INFO")
SWEEP(ring_open, "MBOX_IOC_RING_OPEN")
SWEEP(ring_info, "MBOX_IOC_RING_INFO")

/* A NULL receive buffer with length 0 is allowed: a 0-length message fits. */
TEST(recv_null_buffer_zero_length)
{
	struct mbox_recv r = { .size = sizeof(r), .flags = MBOX_WAIT_NONBLOCK };
	char why[WHY_LEN] = "";
	struct mbm m;

	ASSERT_EQ(0, mb_setup(&m, why)) TH_LOG("%s", why);
	/* The 100-byte message does not fit: -EMSGSIZE, nothing taken. */
	EXPECT_EQ(-EMSGSIZE, raw_ioctl(m.fd, MBOX_IOC_RECV, &r));
	EXPECT_EQ(m.q[0].len, r.len);
	EXPECT_EQ(0, mb_check(&m, why)) TH_LOG("%s", why);
	close(m.fd);

	ASSERT_EQ(0, mb_setup(&m, why)) TH_LOG("%s", why);
	model_take(&m, 3);
	for (int i = 0; i < 3; i++)
		ASSERT_LT(0, mbox_recv(m.fd, pages, 256, MBOX_WAIT_NONBLOCK, 0, NULL));
	ASSERT_EQ(0, mbox_send(m.fd, NULL, 0, 0, MBOX_WAIT_NONBLOCK, 0));
	m.sent++;
	m.next_seq++;
	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.flags = MBOX_WAIT_NONBLOCK;
	EXPECT_EQ(0, raw_ioctl(m.fd, MBOX_IOC_RECV, &r));
	EXPECT_EQ(0, r.len);
	EXPECT_EQ(4, r.seq);
	m.received++;
	EXPECT_EQ(0, mb_check(&m, why)) TH_LOG("%s", why);
	close(m.fd);
}

/* ---- Issue 16's regressions, one each ------------------------------------ */

TEST(recv_read_only_struct_consumes_nothing)
{
	struct mbox_recv r = { .size = sizeof(r), .flags = MBOX_WAIT_NONBLOCK,
			       .buf = (uintptr_t)pages, .len = 256 };
	char why[WHY_LEN] = "";
	struct mbm m;

	ASSERT_EQ(0, mb_setup(&m, why)) TH_LOG("%s", why);
	EXPECT_EQ(-EFAULT, raw_ioctl(m.fd, MBOX_IOC_RECV,
				     (void *)(uintptr_t)place_struct(F_RO, &r, sizeof(r))));
	EXPECT_EQ(0, mb_check(&m, why)) TH_LOG("%s", why);
	close(m.fd);
}

TEST(send_read_only_struct_queues_nothing)
{
	struct mbox_send s = { .size = sizeof(s), .flags = MBOX_WAIT_NONBLOCK,
			       .buf = (uintptr_t)"retry me", .len = 8 };
	char why[WHY_LEN] = "";
	struct mbm m;

	ASSERT_EQ(0, mb_setup(&m, why)) TH_LOG("%s", why);
	EXPECT_EQ(-EFAULT, raw_ioctl(m.fd, MBOX_IOC_SEND,
				     (void *)(uintptr_t)place_struct(F_RO, &s, sizeof(s))));
	EXPECT_EQ(0, mb_check(&m, why)) TH_LOG("%s", why);
	close(m.fd);
}

TEST(rendezvous_send_read_only_struct_receiver_gets_nothing)
{
	struct mbox_send s = { .size = sizeof(s), .flags = MBOX_WAIT_TIMEOUT,
			       .buf = (uintptr_t)"offer", .len = 5, .timeout_ns = 1000 * MS };
	struct mbox_info in;
	int fd = mb_anon(0, 0), res[2], got;
	pid_t pid;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, pipe(res));
	pid = fork();
	if (pid == 0) {
		char buf[16];
		int n = mbox_recv(fd, buf, sizeof(buf), MBOX_WAIT_TIMEOUT, 1500 * MS, NULL);

		_exit(write(res[1], &n, sizeof(n)) == sizeof(n) ? 0 : 1);
	}
	/* The receiver waits: a send would hand it over at once. */
	for (int i = 0; i < 300; i++) {
		if (!mbox_info(fd, &in) && in.recv_waiters == 1)
			break;
		sleep_ms(5);
	}
	EXPECT_EQ(-EFAULT, raw_ioctl(fd, MBOX_IOC_SEND,
				     (void *)(uintptr_t)place_struct(F_RO, &s, sizeof(s))));
	ASSERT_EQ(sizeof(got), read(res[0], &got, sizeof(got)));
	EXPECT_GT(0, got) TH_LOG("the receiver got the message (%d bytes) of a failed send",
				 got);
	ASSERT_EQ(0, mbox_info(fd, &in));
	EXPECT_EQ(0, in.sent);
	EXPECT_EQ(0, in.received);
	EXPECT_EQ(0, in.msgs);
	waitpid(pid, NULL, 0);
	close(fd);
}

TEST(link_rendezvous_send_read_only_struct_receiver_gets_nothing)
{
	struct mbox_link_send s = { .size = sizeof(s), .flags = MBOX_WAIT_TIMEOUT,
				    .buf = (uintptr_t)"offer", .len = 5,
				    .timeout_ns = 1000 * MS };
	struct mbox_link_info a, b;
	char why[WHY_LEN] = "";
	struct peer_resp r;
	struct lk l;

	ASSERT_EQ(0, lk_setup(&l, why)) TH_LOG("%s", why);
	s.pid = l.p.pid;
	ASSERT_EQ(0, mbox_link_info(l.lfd, 0, &a));
	ASSERT_EQ(0, peer_ask(&l.p, 'R'));
	EXPECT_EQ(-EFAULT, raw_ioctl(l.ep, MBOX_IOC_LINK_SEND,
				     (void *)(uintptr_t)place_struct(F_RO, &s, sizeof(s))));
	ASSERT_EQ(0, peer_answer(&l.p, &r));
	EXPECT_EQ(0, r.n) TH_LOG("the peer received the message of a failed send");
	EXPECT_EQ(0, peer_has(&l, 0, "", why)) TH_LOG("%s", why);
	ASSERT_EQ(0, mbox_link_info(l.lfd, 0, &b));
	EXPECT_EQ(a.sent, b.sent);
	lk_teardown(&l);
}

/* docs/uapi.md: a batch checks that done can be written back before it starts. */
TEST(recv_batch_read_only_header_takes_nothing)
{
	struct mbox_recv e[3] = { 0 };
	struct mbox_batch b = { .size = sizeof(b), .flags = MBOX_WAIT_NONBLOCK, .count = 3,
				.entry_size = sizeof(e[0]) };
	static char bufs[3][256];
	char why[WHY_LEN] = "";
	struct mbm m;
	int ret;

	ASSERT_EQ(0, mb_setup(&m, why)) TH_LOG("%s", why);
	for (int i = 0; i < 3; i++)
		e[i] = (struct mbox_recv){ .buf = (uintptr_t)bufs[i], .len = 256 };
	b.msgs = (uintptr_t)e;
	ret = raw_ioctl(m.fd, MBOX_IOC_RECV_BATCH,
			(void *)(uintptr_t)place_struct(F_RO, &b, sizeof(b)));
	EXPECT_EQ(-EFAULT, ret);
	/* Every message still queued, in order. */
	EXPECT_EQ(0, mb_check(&m, why)) TH_LOG("%s", why);
	close(m.fd);
}

TEST(link_recv_read_only_struct_consumes_nothing)
{
	struct mbox_link_recv r = { .size = sizeof(r), .flags = MBOX_WAIT_NONBLOCK,
				    .buf = (uintptr_t)pages, .len = 256 };
	char why[WHY_LEN] = "";
	struct lk l;

	ASSERT_EQ(0, lk_setup(&l, why)) TH_LOG("%s", why);
	ASSERT_EQ(0, fill_inbox(&l, why)) TH_LOG("%s", why);
	EXPECT_EQ(-EFAULT, raw_ioctl(l.ep, MBOX_IOC_LINK_RECV,
				     (void *)(uintptr_t)place_struct(F_RO, &r, sizeof(r))));
	EXPECT_EQ(0, inbox_check_pqr(&l, 0, why)) TH_LOG("%s", why);
	lk_teardown(&l);
}

/*
 * ---- Issue 17's fast path: the dispatcher reads a struct of the kernel's
 * size and checks its output fields in one pass (ucmd.c) -------------------
 */

/*
 * Copy @sz bytes of @src so that the first @in of them end page 0 (read-write)
 * and the rest start the read-only page: the output fields' last byte, not
 * their first, is the one that can not be written.
 */
static void *place_split(const void *src, size_t sz, size_t in)
{
	char *p = RO_PAGE - in;

	mprotect(RO_PAGE, PG, PROT_READ | PROT_WRITE);
	memset(RO_PAGE, 0, PG);
	memcpy(p, src, sz);
	mprotect(RO_PAGE, PG, PROT_READ);
	return p;
}

/*
 * @cmd on a copy of @arg, @sz bytes, whose first @in bytes end the writable
 * page and the rest start the read-only one: -EFAULT, the struct and the
 * mailbox unchanged.
 */
static void split_refused(struct __test_metadata *_metadata, unsigned long cmd,
			  const void *arg, size_t sz, size_t in)
{
	char why[WHY_LEN] = "";
	struct mbm m;
	void *p;

	ASSERT_EQ(0, mb_setup(&m, why)) TH_LOG("%s", why);
	p = place_split(arg, sz, in);
	EXPECT_EQ(-EFAULT, raw_ioctl(m.fd, cmd, p));
	EXPECT_EQ(0, memcmp(p, arg, sz)) TH_LOG("the struct was changed");
	EXPECT_EQ(0, mb_check(&m, why)) TH_LOG("%s", why);
	close(m.fd);
}

/* A receive whose results end on a read-only page: -EFAULT, nothing taken. */
TEST(recv_results_ending_read_only_consume_nothing)
{
	struct mbox_recv r = { .size = sizeof(r), .flags = MBOX_WAIT_NONBLOCK,
			       .buf = (uintptr_t)pages, .len = 256 };

	/* len (offset 16) on the writable page, the rest read-only. */
	split_refused(_metadata, MBOX_IOC_RECV, &r, sizeof(r), 24);
}

/* A send whose sequence number straddles into a read-only page: nothing queued. */
TEST(send_seq_ending_read_only_queues_nothing)
{
	struct mbox_send s = { .size = sizeof(s), .flags = MBOX_WAIT_NONBLOCK,
			       .buf = (uintptr_t)"retry me", .len = 8 };

	/* seq (offset 32): its first 4 bytes writable, its last 4 not. */
	split_refused(_metadata, MBOX_IOC_SEND, &s, sizeof(s), 36);
}

TEST(link_recv_struct_ending_read_only_consumes_nothing)
{
	struct mbox_link_recv r = { .size = sizeof(r), .flags = MBOX_WAIT_NONBLOCK,
				    .buf = (uintptr_t)pages, .len = 256 };
	char why[WHY_LEN] = "";
	struct lk l;

	ASSERT_EQ(0, lk_setup(&l, why)) TH_LOG("%s", why);
	ASSERT_EQ(0, fill_inbox(&l, why)) TH_LOG("%s", why);
	EXPECT_EQ(-EFAULT, raw_ioctl(l.ep, MBOX_IOC_LINK_RECV, place_split(&r, sizeof(r), 24)));
	EXPECT_EQ(0, inbox_check_pqr(&l, 0, why)) TH_LOG("%s", why);
	lk_teardown(&l);
}

/*
 * A struct longer than the kernel's (a newer caller, zero tail) takes the
 * general path: the same check of the results, the same results.
 */
struct recv_longer {
	struct mbox_recv r;
	uint64_t tail;
};

TEST(recv_longer_struct_results_read_only_consume_nothing)
{
	struct recv_longer x = { .r = { .size = sizeof(x), .flags = MBOX_WAIT_NONBLOCK,
					.buf = (uintptr_t)pages, .len = 256 } };

	/* Every result field but the last writable; the tail read-only too. */
	split_refused(_metadata, MBOX_IOC_RECV, &x, sizeof(x), sizeof(x.r) - 2);
}

TEST(recv_longer_struct_gets_the_same_results)
{
	struct recv_longer x = { .r = { .size = sizeof(x), .flags = MBOX_WAIT_NONBLOCK,
					.buf = (uintptr_t)pages, .len = 256 } };
	char why[WHY_LEN] = "";
	struct mbm m;

	ASSERT_EQ(0, mb_setup(&m, why)) TH_LOG("%s", why);
	/* Read-only tail: it must not be written (results end at the kernel's size). */
	EXPECT_EQ((int)m.q[0].len,
		  raw_ioctl(m.fd, MBOX_IOC_RECV, place_split(&x, sizeof(x), sizeof(x.r))));
	x.r = *(struct mbox_recv *)(RO_PAGE - sizeof(x.r));
	EXPECT_EQ(m.q[0].len, x.r.len);
	EXPECT_EQ(m.q[0].prio, x.r.prio);
	EXPECT_EQ(m.q[0].seq, x.r.seq);
	EXPECT_EQ(getpid(), x.r.pid);
	EXPECT_EQ(MBOX_WAIT_NONBLOCK, x.r.flags);
	EXPECT_EQ(sizeof(x), x.r.size);
	EXPECT_EQ(m.q[0].c, pages[0]);
	model_take(&m, 1);
	EXPECT_EQ(0, mb_check(&m, why)) TH_LOG("%s", why);
	close(m.fd);
}

/* A call whose struct or reply buffer is bad: the server never sees it. */
static void call_not_sent(struct __test_metadata *_metadata, int ro_struct)
{
	struct mbox_call c = { .size = sizeof(c), .flags = MBOX_WAIT_TIMEOUT,
			       .buf = (uintptr_t)"ping", .len = 4,
			       .reply_buf = (uintptr_t)pages, .reply_len = 256,
			       .timeout_ns = 1000 * MS };
	struct mbox_endpoint_info ei;
	char why[WHY_LEN] = "";
	struct peer_resp r;
	uint64_t arg = (uintptr_t)&c;
	struct lk l;

	ASSERT_EQ(0, lk_setup(&l, why)) TH_LOG("%s", why);
	c.pid = l.p.pid;
	if (ro_struct)
		arg = place_struct(F_RO, &c, sizeof(c));
	else
		c.reply_buf = (uintptr_t)unmapped_addr();
	ASSERT_EQ(0, peer_ask(&l.p, 'C'));
	EXPECT_EQ(-EFAULT, raw_ioctl(l.ep, MBOX_IOC_CALL, (void *)(uintptr_t)arg));
	ASSERT_EQ(0, peer_answer(&l.p, &r));
	EXPECT_EQ(0, r.n) TH_LOG("the server received the request (%d call(s) answered)",
				 r.calls);
	EXPECT_EQ(0, peer_has(&l, 0, "", why)) TH_LOG("%s", why);
	if (!ro_struct)
		EXPECT_EQ(0, c.call_id);
	ASSERT_EQ(0, mbox_endpoint_info(l.ep, &ei));
	EXPECT_EQ(0, ei.msgs) TH_LOG("a reply is left in our inbox, counted and unreachable");
	EXPECT_EQ(0, ei.bytes);
	lk_teardown(&l);
}

TEST(call_read_only_struct_request_not_sent)
{
	call_not_sent(_metadata, 1);
}

TEST(call_unmapped_reply_buffer_request_not_sent)
{
	call_not_sent(_metadata, 0);
}

/*
 * Own pid, with a link to another peer and its three messages queued to us:
 * -EINVAL, nothing delivered to the peer, nothing taken from our inbox.
 */
enum self_cmd { SELF_SEND, SELF_CALL, SELF_OPEN, SELF_INFO, SELF_RECV };

static void self_pid(struct __test_metadata *_metadata, enum self_cmd what)
{
	struct mbox_link_send s = { .size = sizeof(s), .flags = MBOX_LINK_ASYNC,
				    .buf = (uintptr_t)"me", .len = 2 };
	struct mbox_call c = { .size = sizeof(c), .flags = MBOX_WAIT_TIMEOUT,
			       .buf = (uintptr_t)"me", .len = 2,
			       .reply_buf = (uintptr_t)pages, .reply_len = 256,
			       .timeout_ns = 300 * MS };
	struct mbox_link_open lo = { .size = sizeof(lo) };
	struct mbox_link_info li = { .size = sizeof(li) }, a, b;
	struct mbox_link_recv r = { .size = sizeof(r), .flags = MBOX_RECV_FROM_PID |
				    MBOX_WAIT_NONBLOCK, .buf = (uintptr_t)pages, .len = 256 };
	char why[WHY_LEN] = "";
	pid_t me = getpid();
	int fdn, la, ret = 0;
	struct lk l;

	ASSERT_EQ(0, lk_setup(&l, why)) TH_LOG("%s", why);
	ASSERT_EQ(0, fill_inbox(&l, why)) TH_LOG("%s", why);
	ASSERT_EQ(0, mbox_link_info(l.lfd, 0, &a));
	fdn = next_fd();
	la = links_alive();
	switch (what) {
	case SELF_SEND:
		s.pid = me;
		ret = raw_ioctl(l.ep, MBOX_IOC_LINK_SEND, &s);
		break;
	case SELF_CALL:
		c.pid = me;
		ret = raw_ioctl(l.ep, MBOX_IOC_CALL, &c);
		break;
	case SELF_OPEN:
		lo.pid = me;
		ret = raw_ioctl(l.ep, MBOX_IOC_LINK_OPEN, &lo);
		break;
	case SELF_INFO:
		li.pid = me;
		ret = raw_ioctl(l.ep, MBOX_IOC_LINK_INFO, &li);
		if (ret == 0)
			TH_LOG("LINK_INFO(own pid) answered for link %llu, peer %d",
			       (unsigned long long)li.id, li.pid);
		break;
	case SELF_RECV:
		r.pid = me;
		ret = raw_ioctl(l.ep, MBOX_IOC_LINK_RECV, &r);
		break;
	}
	if (ret > 0 && what == SELF_OPEN)
		close(ret);
	EXPECT_EQ(-EINVAL, ret);
	EXPECT_EQ(0, peer_has(&l, 0, "", why)) TH_LOG("%s", why);
	EXPECT_EQ(0, inbox_check_pqr(&l, a.received, why)) TH_LOG("%s", why);
	ASSERT_EQ(0, mbox_link_info(l.lfd, 0, &b));
	EXPECT_EQ(a.sent, b.sent);
	EXPECT_EQ(fdn, next_fd());
	EXPECT_EQ(la, links_alive());
	lk_teardown(&l);
}

TEST(self_pid_link_send_einval)
{
	self_pid(_metadata, SELF_SEND);
}

TEST(self_pid_call_einval)
{
	self_pid(_metadata, SELF_CALL);
}

TEST(self_pid_link_open_einval)
{
	self_pid(_metadata, SELF_OPEN);
}

TEST(self_pid_link_info_einval)
{
	self_pid(_metadata, SELF_INFO);
}

TEST(self_pid_link_recv_from_pid_einval)
{
	self_pid(_metadata, SELF_RECV);
}

TEST(send_to_self_without_link_einval)
{
	pid_t pid = fork();

	ASSERT_LE(0, pid);
	if (pid == 0) {
		int ep = mbox_endpoint(-1, 0, 0, NULL), ret;

		if (ep < 0)
			_exit(100);
		ret = mbox_link_send(ep, getpid(), "me", 2, MBOX_LINK_ASYNC | MBOX_WAIT_NONBLOCK, 0);
		_exit(ret == -EINVAL ? 0 : ret < 0 ? -ret : 99);
	}
	EXPECT_EQ(0, wait_child(pid)) TH_LOG("a send to oneself gave that errno, not EINVAL");
}

TEST(ring_info_reserved_fields_einval)
{
	struct mbox_ring_attr attr = { .mode = 0600, .data_size = 4096 };
	struct mbox_ring_info in;
	struct mbox_ring *r;

	ASSERT_EQ(0, mbox_ring_open(-1, NULL, MBOX_RING_PRODUCER | MBOX_RING_CREATE, &attr, &r));
	memset(&in, 0, sizeof(in));
	in.size = sizeof(in);
	in.__reserved = 1;
	EXPECT_EQ(-EINVAL, raw_ioctl(mbox_ring_fd(r), MBOX_IOC_RING_INFO, &in));
	memset(&in, 0, sizeof(in));
	in.size = sizeof(in);
	in.layout.__reserved = 1;
	EXPECT_EQ(-EINVAL, raw_ioctl(mbox_ring_fd(r), MBOX_IOC_RING_INFO, &in));
	memset(&in, 0, sizeof(in));
	in.size = sizeof(in);
	EXPECT_EQ(0, raw_ioctl(mbox_ring_fd(r), MBOX_IOC_RING_INFO, &in));
	mbox_ring_close(r);
}

TEST(open_create_read_only_struct_creates_nothing)
{
	struct mbox_open op = {
		.size = sizeof(op), .flags = MBOX_OPEN_RECV | MBOX_OPEN_CREATE,
		.name = (uintptr_t)"bd_ro_open", .mode = 0600, .capacity = 4,
	};
	int dev = mbox_dev_open(0), ret;

	ret = raw_ioctl(dev, MBOX_IOC_OPEN, (void *)(uintptr_t)place_struct(F_RO, &op, sizeof(op)));
	if (ret >= 0)
		close(ret);
	EXPECT_EQ(-EFAULT, ret);
	ret = mbox_open(dev, "bd_ro_open", MBOX_OPEN_RECV, NULL, NULL);
	EXPECT_EQ(-ENOENT, ret);
	if (ret >= 0)
		close(ret);
	mbox_unlink(dev, "bd_ro_open");
	close(dev);
}

TEST(ring_open_create_read_only_struct_creates_nothing)
{
	struct mbox_ring_open op = {
		.size = sizeof(op), .flags = MBOX_RING_PRODUCER | MBOX_RING_CREATE,
		.name = (uintptr_t)"bd_ro_ring", .mode = 0600, .data_size = 4096,
	};
	int dev = mbox_dev_open(0), ret;
	struct mbox_ring *r;

	ret = raw_ioctl(dev, MBOX_IOC_RING_OPEN,
			(void *)(uintptr_t)place_struct(F_RO, &op, sizeof(op)));
	if (ret >= 0)
		close(ret);
	EXPECT_EQ(-EFAULT, ret);
	ret = mbox_ring_open(dev, "bd_ro_ring", MBOX_RING_CONSUMER, NULL, &r);
	EXPECT_EQ(-ENOENT, ret);
	if (!ret)
		mbox_ring_close(r);
	mbox_ring_unlink(dev, "bd_ro_ring");
	close(dev);
}

TEST(zz_report)
{
	printf("# boundary: %d combinations checked, %d break the rule (%d not applicable); "
	       "%.1f s\n", tally->checked, tally->failed, tally->skipped,
	       (now_ns(CLOCK_MONOTONIC) - tally->start_ns) / 1e9);
	fflush(stdout);
}

/*
 * Another thread stores into an output field while commands on the same
 * struct fail: a failing command must never undo such a store (docs/uapi.md:
 * "Its contents never change when a command fails"). The write-back check
 * of the output fields once stored the bytes it had read, before the
 * handler's own checks; a store made in between read back as a value
 * nobody stored. Sends failing with -EINVAL (an unknown flag: before the
 * check), receives with -EAGAIN (an empty mailbox: after it).
 */
struct undo_race {
	volatile uint32_t *field;
	atomic_int stop;
	long undone, stores;
};

static void *undo_writer(void *arg)
{
	struct undo_race *r = arg;

	for (uint32_t v = 1; !atomic_load(&r->stop); v++) {
		*r->field = v;
		for (volatile int i = 0; i < 20; i++)
			;
		if (*r->field != v)
			r->undone++;
		r->stores++;
	}
	return NULL;
}

/* Run @cmd on @arg, expected to fail with @err, for @ms with the writer on. */
static long undo_run(int fd, unsigned long cmd, void *arg, int err,
		     volatile uint32_t *field, int ms, long *stores)
{
	struct undo_race r = { .field = field };
	int64_t end = now_ns(CLOCK_MONOTONIC) + ms * 1000000LL;
	pthread_t th;
	long calls = 0;

	if (pthread_create(&th, NULL, undo_writer, &r))
		return -1;
	while (now_ns(CLOCK_MONOTONIC) < end || calls < 1000) {
		if (raw_ioctl(fd, cmd, arg) != -err) {
			r.undone = -1000000;
			break;
		}
		calls++;
	}
	atomic_store(&r.stop, 1);
	pthread_join(th, NULL);
	*stores = r.stores;
	return r.undone;
}

TEST(failing_commands_never_undo_a_concurrent_store)
{
	static struct mbox_send s __attribute__((aligned(64)));
	static struct mbox_recv rv __attribute__((aligned(64)));
	char buf[8] = "payload";
	long undone, stores;
	int fd = mb_anon(4, 0);

	ASSERT_LE(0, fd);
	s = (struct mbox_send){ .size = sizeof(s), .flags = 0x40000000u,
				.buf = (uintptr_t)buf, .len = sizeof(buf) };
	undone = undo_run(fd, MBOX_IOC_SEND, &s, EINVAL,
			  (volatile uint32_t *)&s.seq, 1500, &stores);
	EXPECT_EQ(0, undone) TH_LOG("send: %ld of %ld stores into seq undone", undone, stores);
	rv = (struct mbox_recv){ .size = sizeof(rv), .flags = MBOX_WAIT_NONBLOCK,
				 .buf = (uintptr_t)buf, .len = sizeof(buf) };
	undone = undo_run(fd, MBOX_IOC_RECV, &rv, EAGAIN,
			  (volatile uint32_t *)&rv.len, 1500, &stores);
	EXPECT_EQ(0, undone) TH_LOG("receive: %ld of %ld stores into len undone", undone, stores);
	close(fd);
}

TEST_NOTHING_LEFT()

TEST_HARNESS_MAIN
