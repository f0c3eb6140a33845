// SPDX-License-Identifier: GPL-2.0
/*
 * ring_stream: stream records from a producer to a consumer process through
 * an mbox ring segment, zero-copy on both sides, and report how few system
 * calls that took.
 *
 * Usage: ring_stream [RECORDS [SIZE]]      (default 200000 records of 64 B)
 * Build: cc -o ring_stream ring_stream.c -lmbox
 *
 * The producer writes each record in place (mbox_ring_reserve) and publishes
 * them 16 at a time (mbox_ring_commit); the consumer reads them in place
 * (mbox_ring_peek) and gives them back 16 at a time (mbox_ring_release).
 * Neither enters the kernel unless it has to sleep, or the other side
 * sleeps and must be woken.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <mbox.h>

#define BATCH 16

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Every byte of record @seq is derived from @seq, so the consumer can check. */
static int consume(uint64_t id, unsigned long records, size_t size)
{
	struct mbox_ring *c;
	unsigned long seq;
	int ret;

	ret = mbox_ring_open_id(-1, id, MBOX_RING_CONSUMER, &c);
	if (ret) {
		fprintf(stderr, "ring_stream: consumer: %s\n", mbox_strerror(ret));
		return 1;
	}
	for (seq = 0;; seq++) {
		const unsigned char *rec;
		int len = mbox_ring_peek(c, (const void **)&rec, 0, 0);

		if (len == -EPIPE)
			break;		/* the producer left and we have it all */
		if (len < 0) {
			fprintf(stderr, "ring_stream: peek: %s\n", mbox_strerror(len));
			return 1;
		}
		if ((size_t)len != size || (size && (rec[0] != (unsigned char)seq ||
						     rec[size - 1] != (unsigned char)(seq + size - 1)))) {
			fprintf(stderr, "ring_stream: record %lu is wrong\n", seq);
			return 1;
		}
		if (seq % BATCH == BATCH - 1)
			mbox_ring_release(c);
	}
	mbox_ring_close(c);
	if (seq != records) {
		fprintf(stderr, "ring_stream: got %lu records of %lu\n", seq, records);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long records = argc > 1 ? strtoul(argv[1], NULL, 0) : 200000;
	size_t size = argc > 2 ? strtoul(argv[2], NULL, 0) : 64;
	struct mbox_ring_attr attr = { .mode = 0600, .data_size = 256 * 1024 };
	struct mbox_ring_info in;
	struct mbox_ring *p, *o;
	double t0, t;
	int ret, status;
	pid_t pid;

	/* An anonymous ring: the consumer finds it by ID. */
	ret = mbox_ring_open(-1, NULL, MBOX_RING_PRODUCER | MBOX_RING_CREATE, &attr, &p);
	if (!ret)
		ret = mbox_ring_info(p, &in);
	if (ret) {
		fprintf(stderr, "ring_stream: create: %s\n", mbox_strerror(ret));
		return 1;
	}
	/* An observer handle, to read the counters once both sides are done. */
	ret = mbox_ring_open_id(-1, in.id, 0, &o);
	if (ret) {
		fprintf(stderr, "ring_stream: observe: %s\n", mbox_strerror(ret));
		return 1;
	}
	if (size > in.rec_max) {
		fprintf(stderr, "ring_stream: records are at most %u bytes here\n", in.rec_max);
		return 2;
	}
	pid = fork();
	if (pid == 0) {
		mbox_ring_close(p);	/* the child is only the consumer */
		_exit(consume(in.id, records, size));
	}

	t0 = now();
	for (unsigned long seq = 0; seq < records; seq++) {
		unsigned char *rec;
		void *v;

		ret = mbox_ring_reserve(p, size, &v, 0, 0);
		if (ret) {
			fprintf(stderr, "ring_stream: reserve: %s\n", mbox_strerror(ret));
			return 1;
		}
		rec = v;
		for (size_t i = 0; i < size; i++)
			rec[i] = (unsigned char)(seq + i);
		if (seq % BATCH == BATCH - 1)
			mbox_ring_commit(p);
	}
	mbox_ring_commit(p);
	mbox_ring_close(p);		/* end of stream */
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
		return 1;
	t = now() - t0;
	mbox_ring_info(o, &in);
	mbox_ring_close(o);

	printf("%lu records of %zu bytes in %.3f s: %.0f records/s, %.1f MB/s\n",
	       records, size, t, records / t, records * size / t / 1e6);
	printf("system calls on the data path: %llu sleeps + %llu wake-ups "
	       "= %.4f per record\n",
	       (unsigned long long)(in.prod_sleeps + in.cons_sleeps),
	       (unsigned long long)in.wake_calls,
	       (double)(in.prod_sleeps + in.cons_sleeps + in.wake_calls) / records);
	return 0;
}
