// SPDX-License-Identifier: GPL-2.0
/*
 * worker_pool: a pool of worker processes fed through one mailbox.
 *
 * The classic mailbox pattern: any number of producers send jobs to one
 * mailbox, any number of workers receive from it, and each job is received
 * by exactly one worker (the kernel hands each message to one receiver).
 * Results come back through a second mailbox. No locks, no shared memory,
 * no bookkeeping of which worker is idle: a worker asks for a job only when
 * it is free.
 *
 * The job here is "count the primes below N"; the parent checks the sum of
 * the answers against its own count, so a lost or duplicated job shows.
 *
 * Usage: worker_pool [WORKERS [JOBS]]     (default 4 workers, 200 jobs)
 * Build: cc -o worker_pool worker_pool.c -lmbox
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <mbox.h>

struct job {
	uint32_t n;		/* count the primes below n; 0: stop */
};

struct result {
	uint32_t n;
	uint32_t primes;
	int32_t worker;		/* the worker's pid */
};

static uint32_t count_primes(uint32_t n)
{
	uint32_t count = 0;

	for (uint32_t i = 2; i < n; i++) {
		uint32_t d = 2;

		while (d * d <= i && i % d)
			d++;
		count += d * d > i;
	}
	return count;
}

/* A worker: take a job, do it, send the result; stop on a zero job. */
static int worker(int jobs, int results)
{
	struct job job;
	int ret;

	for (;;) {
		/* Blocks until a job is there; one message, one receiver. */
		ret = mbox_recv(jobs, &job, sizeof(job), 0, 0, NULL);
		if (ret != (int)sizeof(job)) {
			fprintf(stderr, "worker %d: recv: %s\n", getpid(), mbox_strerror(ret));
			return 1;
		}
		if (job.n == 0)
			return 0;

		struct result res = { job.n, count_primes(job.n), getpid() };

		ret = mbox_send(results, &res, sizeof(res), 0, 0, 0);
		if (ret) {
			fprintf(stderr, "worker %d: send: %s\n", getpid(), mbox_strerror(ret));
			return 1;
		}
	}
}

int main(int argc, char **argv)
{
	/* Bounded job queue: a fast producer blocks instead of using memory. */
	struct mbox_attr jobs_attr = { .mode = 0600, .capacity = 16 };
	/* Results may pile up while the parent is still sending jobs. */
	struct mbox_attr res_attr = { .mode = 0600, .capacity = MBOX_CAPACITY_UNBOUNDED };
	unsigned int flags = MBOX_OPEN_CREATE | MBOX_OPEN_SEND | MBOX_OPEN_RECV;
	int workers = argc > 1 ? atoi(argv[1]) : 4;
	int njobs = argc > 2 ? atoi(argv[2]) : 200;
	uint64_t expected = 0, got = 0;
	int jobs, results, status = 0;

	if (workers < 1 || workers > 64 || njobs < 0) {
		fprintf(stderr, "usage: worker_pool [WORKERS (1-64) [JOBS]]\n");
		return 2;
	}
	/*
	 * Anonymous mailboxes (no name): the children inherit the descriptors
	 * across fork(), and nobody else can open them. Unrelated processes
	 * would use a name instead: mbox_open(-1, "jobs", ...).
	 */
	jobs = mbox_open(-1, NULL, flags, &jobs_attr, NULL);
	results = mbox_open(-1, NULL, flags, &res_attr, NULL);
	if (jobs < 0 || results < 0) {
		fprintf(stderr, "worker_pool: mbox_open: %s\n",
			mbox_strerror(jobs < 0 ? jobs : results));
		return 1;
	}
	for (int i = 0; i < workers; i++) {
		pid_t pid = fork();

		if (pid == 0)
			_exit(worker(jobs, results));
		if (pid < 0) {
			perror("worker_pool: fork");
			return 1;
		}
	}

	/* Hand out the jobs, then one stop job per worker. */
	for (int i = 0; i < njobs; i++) {
		struct job job = { 1000 + (uint32_t)(i * 37) % 3000 };

		expected += count_primes(job.n);
		if (mbox_send(jobs, &job, sizeof(job), 0, 0, 0))
			return 1;
	}
	for (int i = 0; i < workers; i++) {
		struct job stop = { 0 };

		if (mbox_send(jobs, &stop, sizeof(stop), 0, 0, 0))
			return 1;
	}

	/* Collect: one result per job, whichever worker did it. */
	for (int i = 0; i < njobs; i++) {
		struct result res;
		int ret = mbox_recv(results, &res, sizeof(res), 0, 0, NULL);

		if (ret != (int)sizeof(res)) {
			fprintf(stderr, "worker_pool: recv: %s\n", mbox_strerror(ret));
			return 1;
		}
		got += res.primes;
	}
	while (wait(&status) > 0)
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			return 1;
	mbox_close(jobs);
	mbox_close(results);
	printf("%d jobs done by %d workers: %llu primes in all (%s)\n", njobs, workers,
	       (unsigned long long)got, got == expected ? "correct" : "WRONG");
	return got == expected ? 0 : 1;
}
