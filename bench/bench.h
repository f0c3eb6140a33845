/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ipcbench: one harness, every IPC mechanism (docs/performance.md).
 *
 * A mechanism is a "channel" with two directions (0: A to B, 1: B to A).
 * The harness creates it in the parent (setup), forks the processes of a
 * pattern, and each process attaches to the directions it sends on and
 * receives from. Every message is the same size in a cell; senders fill
 * every byte, receivers check every byte (in sampled cells: the sequence
 * number, one byte per 4 KiB and the last byte). A zero-copy mechanism
 * (send_zc/recv_zc) fills and checks the message where it sends it from
 * and receives it into, and does nothing else to it: the same per-message
 * work as send/recv on the harness's buffer.
 */
#ifndef IPCBENCH_H
#define IPCBENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <mbox.h>

#define MAX_PROCS	5

/* Patterns a mechanism can take part in. */
#define CAN_PINGPONG	(1u << 0)
#define CAN_STREAM	(1u << 1)
#define CAN_FANIN	(1u << 2)	/* several senders on one direction */
#define CAN_MANY	(1u << 3)	/* several senders and receivers */
#define CAN_NBPAIR	(1u << 4)	/* honours c->nonblock: one process sends, then receives */

struct chan {
	size_t size;			/* message size of this cell */
	int fd[2][2];			/* per direction: send end, receive end */
	void *shm[2];			/* per direction: shared memory */
	uint64_t id[2];			/* per direction: an mbox object ID */
	void *priv[2];			/* per direction, per process: attached state */
	pid_t peer;			/* link mechanisms: the process we talk to */
	pid_t *pids;			/* shared: pids of the pattern's processes */
	int role;			/* this process's index in pids */
	int nroles;
	int send_dir, recv_dir;		/* -1: none */
	bool nonblock;			/* nb-pair: never block; -EAGAIN is a failure */
	bool sampled;			/* fill/check a sample of each message */
	bool one_cpu;			/* every process of the pattern on one vCPU */
	uint64_t syscalls;		/* counted by mbox mechanisms */
	uint8_t *batch;			/* batched mailbox: pending messages */
	unsigned int batched, batch_pos, batch_len;
	uint64_t recv_left;		/* messages this process still receives */
	struct mbox_send *sv;
	struct mbox_recv *rv;
	int *mfd;			/* many-mailbox cells: a descriptor per mailbox */
	unsigned int nmfd;
};

struct mech {
	const char *name;
	bool mbox;			/* one of ours: ratios are printed */
	unsigned int caps;
	size_t max_size;
	size_t atomic_max;		/* several senders: largest atomic message (0: any) */
	/*
	 * Bytes the mechanism may write just before the payload the harness
	 * passes to send/recv (SysV's mtype), so that it needs no staging copy.
	 */
	size_t hdr;
	/*
	 * The self-check's minimal loops: a whole ping-pong trial of @n round
	 * trips for @role (0 sends first), with no fill, no check, no clock.
	 * Such a mechanism is not in the matrix; minimal_of names the cell it
	 * is held against.
	 */
	int (*pp_loop)(struct chan *c, int role, uint64_t n);
	const char *minimal_of;
	int (*setup)(struct chan *c);
	int (*attach)(struct chan *c);	/* in the child; send_dir/recv_dir set */
	int (*send)(struct chan *c, const void *buf, size_t len);
	int (*recv)(struct chan *c, void *buf, size_t len);
	/* Zero-copy: fill/check the message in place instead of send/recv. */
	int (*send_zc)(struct chan *c, uint64_t seq);
	int (*recv_zc)(struct chan *c, uint64_t *seq);
	int (*flush)(struct chan *c);	/* push out what a batch holds */
	void (*detach)(struct chan *c);	/* in the child, before it exits */
	void (*teardown)(struct chan *c);	/* in the parent */
	/* Syscalls the kernel object counted (rings), added to c->syscalls. */
	uint64_t (*kernel_syscalls)(struct chan *c);
	/* In the parent, after a trial the watchdog killed: what state it was in. */
	void (*dump)(struct chan *c);
};

/*
 * Fill @buf as message @seq; check it. Every byte is written/read, or with
 * @sampled the sequence number, one byte per 4 KiB and the last byte.
 */
void fill_msg(void *buf, size_t len, uint64_t seq, bool sampled);
int check_msg(const void *buf, size_t len, uint64_t *seq, bool sampled);

int write_all(int fd, const void *buf, size_t len);
int read_all(int fd, void *buf, size_t len);

extern const struct mech posix_mechs[];
extern const size_t nr_posix_mechs;
extern const struct mech shm_mechs[];
extern const size_t nr_shm_mechs;
extern const struct mech mbox_mechs[];
extern const size_t nr_mbox_mechs;
extern const struct mech uring_mechs[];
extern const size_t nr_uring_mechs;
extern const struct mech min_mechs[];
extern const size_t nr_min_mechs;

#endif /* IPCBENCH_H */
