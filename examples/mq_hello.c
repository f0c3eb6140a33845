// SPDX-License-Identifier: GPL-2.0
/*
 * mq_hello: a plain POSIX message-queue program, written for <mqueue.h> and
 * knowing nothing of mbox. make demo runs the same binary on the kernel's
 * mqueue and with LD_PRELOAD=libmbox-mq.so.1 (docs/posix-mq.md).
 *
 *   mq_hello /NAME      create NAME, get notified, send 3 messages by
 *                       priority, receive them highest first; keep NAME
 *   mq_hello -u /NAME   unlink NAME
 */
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int notified;

static void on_message(union sigval sv)
{
	printf("  notified (SIGEV_THREAD): a message arrived in %s\n", (char *)sv.sival_ptr);
	pthread_mutex_lock(&lock);
	notified = 1;
	pthread_cond_signal(&cond);
	pthread_mutex_unlock(&lock);
}

int main(int argc, char **argv)
{
	static const struct { const char *text; unsigned int prio; } msgs[] = {
		{ "routine", 1 }, { "urgent", 30000 }, { "normal", 500 },
	};
	struct mq_attr attr = { .mq_maxmsg = 4, .mq_msgsize = 64 };
	struct sigevent sev = { .sigev_notify = SIGEV_THREAD };
	char buf[64];
	unsigned int prio;
	ssize_t n;
	mqd_t q;
	size_t i;

	if (argc == 3 && !strcmp(argv[1], "-u"))
		return mq_unlink(argv[2]) ? perror("mq_unlink"), 1 : 0;
	if (argc != 2) {
		fprintf(stderr, "usage: mq_hello [-u] /NAME\n");
		return 2;
	}
	q = mq_open(argv[1], O_CREAT | O_RDWR, 0600, &attr);
	if (q == (mqd_t)-1)
		return perror("mq_open"), 1;
	if (mq_getattr(q, &attr))
		return perror("mq_getattr"), 1;
	printf("  opened %s as descriptor %d: mq_maxmsg %ld, mq_msgsize %ld\n",
	       argv[1], q, attr.mq_maxmsg, attr.mq_msgsize);
	sev.sigev_notify_function = on_message;
	sev.sigev_value.sival_ptr = argv[1];
	if (mq_notify(q, &sev))
		return perror("mq_notify"), 1;
	for (i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++) {
		if (mq_send(q, msgs[i].text, strlen(msgs[i].text), msgs[i].prio))
			return perror("mq_send"), 1;
		printf("  sent '%s' with priority %u\n", msgs[i].text, msgs[i].prio);
	}
	pthread_mutex_lock(&lock);
	while (!notified)
		pthread_cond_wait(&cond, &lock);
	pthread_mutex_unlock(&lock);
	while ((n = mq_timedreceive(q, buf, sizeof(buf), &prio,
				    &(struct timespec){ 0, 0 })) >= 0)
		printf("  received '%.*s' (priority %u)\n", (int)n, buf, prio);
	if (errno != ETIMEDOUT && errno != EAGAIN)
		return perror("mq_receive"), 1;
	return mq_close(q) ? perror("mq_close"), 1 : 0;
}
