// SPDX-License-Identifier: GPL-2.0
/*
 * uring_server: one thread, one io_uring, many sources. The server keeps a
 * receive posted on each of several mailboxes, on its link endpoint (calls
 * from other processes, answered through the ring) and on a TCP socket on
 * loopback, and handles whichever completes: no thread per source, no
 * epoll, no blocking call.
 *
 *   uring_server [-m MAILBOXES] [-n COUNT]
 *
 * It forks its own clients: a producer that sends COUNT messages to every
 * mailbox, a caller that makes COUNT calls over a link, and a TCP client
 * that sends COUNT lines; it exits 0 once it has served all of them
 * exactly once. Build: cc uring_server.c -lmbox -l:liburing.a
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <liburing.h>
#include <mbox.h>
#include <mbox_uring.h>

#define MAX_MB	16
#define BUFSZ	256

enum kind { MAILBOX = 1, ENDPOINT, REPLY, ACCEPT, TCP_RECV, TCP_SEND };

/* Everything one posted operation needs until its completion. */
struct op {
	enum kind kind;
	int idx;
	union {
		struct mbox_recv r;
		struct mbox_link_recv lr;
		struct mbox_link_send ls;
	} u;
	char buf[BUFSZ];
};

struct server {
	struct io_uring ring;
	int mb[MAX_MB], nmb, ep, lsock, conn;
	struct op mbop[MAX_MB], epop, replyop, tcpop, sendop;
	long mb_msgs, calls, replies, reply_errors, lines;
};

static void die(const char *what, int err)
{
	fprintf(stderr, "uring_server: %s: %s\n", what, strerror(err < 0 ? -err : err));
	exit(1);
}

static struct io_uring_sqe *sqe_for(struct server *s, struct op *op)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&s->ring);

	if (!sqe)
		die("submission queue full", EBUSY);
	(void)op;
	return sqe;
}

static void post_mailbox(struct server *s, int i)
{
	struct io_uring_sqe *sqe = sqe_for(s, &s->mbop[i]);

	mbox_prep_recv(sqe, s->mb[i], &s->mbop[i].u.r, s->mbop[i].buf, BUFSZ, 0);
	io_uring_sqe_set_data(sqe, &s->mbop[i]);
}

static void post_endpoint(struct server *s)
{
	struct io_uring_sqe *sqe = sqe_for(s, &s->epop);

	mbox_prep_link_recv(sqe, s->ep, &s->epop.u.lr, s->epop.buf, BUFSZ, 0);
	io_uring_sqe_set_data(sqe, &s->epop);
}

static void post_tcp_recv(struct server *s)
{
	struct io_uring_sqe *sqe = sqe_for(s, &s->tcpop);

	io_uring_prep_recv(sqe, s->conn, s->tcpop.buf, BUFSZ, 0);
	io_uring_sqe_set_data(sqe, &s->tcpop);
}

/* A call arrived on the endpoint: answer it, in capitals, through the ring. */
static void answer(struct server *s, struct op *op, int len)
{
	struct io_uring_sqe *sqe = sqe_for(s, &s->replyop);

	for (int i = 0; i < len; i++)
		s->replyop.buf[i] = (char)(op->buf[i] >= 'a' && op->buf[i] <= 'z' ?
					   op->buf[i] - 32 : op->buf[i]);
	mbox_prep_reply(sqe, s->ep, &s->replyop.u.ls, op->u.lr.call_id, s->replyop.buf, len);
	io_uring_sqe_set_data(sqe, &s->replyop);
}

static void handle(struct server *s, struct op *op, int res)
{
	struct io_uring_sqe *sqe;

	switch (op->kind) {
	case MAILBOX:
		if (res < 0)
			die("mailbox receive", res);
		s->mb_msgs++;
		post_mailbox(s, op->idx);
		break;
	case ENDPOINT:
		if (res < 0)
			die("endpoint receive", res);
		if (op->u.lr.call_id) {
			s->calls++;
			answer(s, op, res);
		}
		post_endpoint(s);
		break;
	case REPLY:
		/* A caller killed mid-call is not the server's end. */
		if (res < 0) {
			fprintf(stderr, "uring_server: reply: %s (the caller is gone)\n",
				strerror(-res));
			s->reply_errors++;
		}
		s->replies++;
		break;
	case ACCEPT:
		if (res < 0)
			die("accept", res);
		s->conn = res;
		post_tcp_recv(s);
		break;
	case TCP_RECV:
		if (res < 0)
			die("tcp receive", res);
		if (res == 0) {		/* the client closed */
			close(s->conn);
			s->conn = -1;
			break;
		}
		for (int i = 0; i < res; i++)
			s->lines += op->buf[i] == '\n';
		sqe = sqe_for(s, &s->sendop);
		io_uring_prep_send(sqe, s->conn, op->buf, res, 0);	/* echo */
		io_uring_sqe_set_data(sqe, &s->sendop);
		/* The echo is sent before the next receive reuses the buffer. */
		sqe->flags |= IOSQE_IO_LINK;
		post_tcp_recv(s);
		break;
	case TCP_SEND:
		if (res < 0)
			die("tcp send", res);
		break;
	}
}

/* ---- the clients, each its own process ---- */

static void producer(struct server *s, int count)
{
	char msg[64];

	for (int n = 0; n < count; n++)
		for (int i = 0; i < s->nmb; i++) {
			int len = snprintf(msg, sizeof(msg), "message %d to mailbox %d", n, i);

			if (mbox_send(s->mb[i], msg, len, 0, 0, 0))
				_exit(1);
		}
	_exit(0);
}

static void caller(pid_t server, int count)
{
	char req[64], reply[64], want[64];
	int ep = mbox_endpoint(-1, 0, 0, NULL);

	if (ep < 0)
		_exit(1);
	for (int n = 0; n < count; n++) {
		int len = snprintf(req, sizeof(req), "call number %d", n);

		if (mbox_call(ep, server, req, len, reply, sizeof(reply), 0, 0, NULL) != len)
			_exit(2);
		for (int i = 0; i < len; i++)
			want[i] = (char)(req[i] >= 'a' && req[i] <= 'z' ? req[i] - 32 : req[i]);
		if (memcmp(reply, want, len))
			_exit(3);
	}
	_exit(0);
}

static void tcp_client(int port, int count)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	char line[64], back[64];
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)))
		_exit(1);
	for (int n = 0; n < count; n++) {
		int len = snprintf(line, sizeof(line), "line %d\n", n), got = 0;

		if (write(fd, line, len) != len)
			_exit(2);
		while (got < len) {
			int r = read(fd, back + got, len - got);

			if (r <= 0)
				_exit(3);
			got += r;
		}
		if (memcmp(back, line, len))
			_exit(4);
	}
	close(fd);
	_exit(0);
}

/* Loopback is down in a bare VM: bring it up (needs CAP_NET_ADMIN; else as it is). */
static void loopback_up(void)
{
	struct ifreq ifr = { .ifr_name = "lo" };
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	if (fd < 0)
		return;
	if (!ioctl(fd, SIOCGIFFLAGS, &ifr) && !(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP;
		ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	close(fd);
}

static int tcp_listen(int *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 4) ||
	    getsockname(fd, (struct sockaddr *)&a, &alen))
		die("tcp socket", errno);
	*port = ntohs(a.sin_port);
	return fd;
}

int main(int argc, char **argv)
{
	int nmb = 3, count = 10, port, opt, ret, dev, failed = 0;
	pid_t kids[3];
	struct server s;

	while ((opt = getopt(argc, argv, "m:n:")) != -1) {
		if (opt == 'm')
			nmb = atoi(optarg);
		else if (opt == 'n')
			count = atoi(optarg);
		else
			return 2;
	}
	if (nmb < 1 || nmb > MAX_MB || count < 1)
		return 2;

	memset(&s, 0, sizeof(s));
	s.conn = -1;
	s.nmb = nmb;
	dev = mbox_dev_open(0);
	if (dev < 0)
		die(MBOX_DEVICE_PATH, dev);
	ret = mbox_has_feature(dev, MBOX_FEAT_URING);
	if (ret <= 0)
		die("the module has no io_uring commands (MBOX_FEAT_URING)", ret ? ret : EOPNOTSUPP);
	for (int i = 0; i < nmb; i++) {
		s.mb[i] = mbox_open(dev, NULL, MBOX_OPEN_SEND | MBOX_OPEN_RECV | MBOX_OPEN_CREATE,
				    NULL, NULL);
		if (s.mb[i] < 0)
			die("mbox_open", s.mb[i]);
		s.mbop[i].kind = MAILBOX;
		s.mbop[i].idx = i;
	}
	s.ep = mbox_endpoint(dev, 0002, 0, NULL);
	if (s.ep < 0)
		die("mbox_endpoint", s.ep);
	s.epop.kind = ENDPOINT;
	s.replyop.kind = REPLY;
	s.tcpop.kind = TCP_RECV;
	s.sendop.kind = TCP_SEND;
	loopback_up();
	s.lsock = tcp_listen(&port);
	ret = io_uring_queue_init(64, &s.ring, 0);
	if (ret)
		die("io_uring_queue_init", ret);

	/* Every source has its receive posted before any client starts. */
	for (int i = 0; i < nmb; i++)
		post_mailbox(&s, i);
	post_endpoint(&s);
	{
		struct io_uring_sqe *sqe = io_uring_get_sqe(&s.ring);
		static struct op acc = { .kind = ACCEPT };

		io_uring_prep_accept(sqe, s.lsock, NULL, NULL, SOCK_CLOEXEC);
		io_uring_sqe_set_data(sqe, &acc);
	}
	io_uring_submit(&s.ring);

	if ((kids[0] = fork()) == 0)
		producer(&s, count);
	if ((kids[1] = fork()) == 0)
		caller(getppid(), count);
	if ((kids[2] = fork()) == 0)
		tcp_client(port, count);

	/*
	 * A call is served when its reply has completed, not when it arrived:
	 * the reply of the last one is only prepared by handle(), and is
	 * submitted by the next turn of the loop.
	 */
	while (s.mb_msgs < (long)nmb * count || s.replies < count || s.lines < count ||
	       s.conn >= 0) {
		struct io_uring_cqe *cqe;

		ret = io_uring_submit_and_wait(&s.ring, 1);
		if (ret < 0 && ret != -EINTR)
			die("io_uring_submit_and_wait", ret);
		while (io_uring_peek_cqe(&s.ring, &cqe) == 0) {
			struct op *op = io_uring_cqe_get_data(cqe);
			int res = cqe->res;

			io_uring_cqe_seen(&s.ring, cqe);
			handle(&s, op, res);
		}
	}
	for (int i = 0; i < 3; i++) {
		int st;

		if (waitpid(kids[i], &st, 0) != kids[i] || !WIFEXITED(st) || WEXITSTATUS(st)) {
			fprintf(stderr, "uring_server: client %d failed (status %#x)\n", i, st);
			failed = 1;
		}
	}
	printf("uring_server: one thread, one ring: %d mailboxes, 1 endpoint, 1 TCP socket; "
	       "served %ld mailbox messages, %ld calls (%ld replies failed), %ld TCP lines\n",
	       nmb, s.mb_msgs, s.calls, s.reply_errors, s.lines);
	/* Closing the ring cancels the receives still posted. */
	io_uring_queue_exit(&s.ring);
	return failed || s.mb_msgs != (long)nmb * count || s.calls != count ||
	       s.replies != count || s.lines != count;
}
