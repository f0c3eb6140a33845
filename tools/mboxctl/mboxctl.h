/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mboxctl: what the command files share.
 *
 * Exit status: 0 success; 1 the operation failed (the message says why);
 * 2 usage error; 3 nothing to do before the deadline (-n/-t ran out:
 * EAGAIN/ETIMEDOUT).
 */
#ifndef MBOXCTL_H
#define MBOXCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mbox.h"

#define EXIT_USAGE	2
#define EXIT_NOTHING	3

/* Wait flags from -n (non-blocking) and -t MS (timeout). */
struct waitopt {
	unsigned int flags;
	int64_t timeout_ns;
};

int usage_error(const char *cmd, const char *what);
bool parse_u64(const char *s, uint64_t *val);
bool parse_u32(const char *s, uint32_t *val);
bool parse_pid(const char *s, pid_t *pid);
int parse_wait(struct waitopt *w, int c, const char *cmd);

/* The words for errnos every command may see; otherwise mbox_strerror(). */
const char *explain_common(int err);
/* The exit status for a failure with @err: EXIT_NOTHING or EXIT_FAILURE. */
int exit_status(int err);

/*
 * Call @fn for every line of stdin, without its newline, until it returns
 * non-zero. Return: that value, 0 at end of input, or -ENOMEM.
 */
int for_each_line(int (*fn)(void *ctx, const char *line, size_t len), void *ctx);

/* Print a received message's payload as one output line. */
void print_payload(const char *buf, size_t len);

int cmd_create(int argc, char **argv);
int cmd_rm(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_send(int argc, char **argv);
int cmd_recv(int argc, char **argv);

int cmd_listen(int argc, char **argv);
int cmd_tell(int argc, char **argv);
int cmd_call(int argc, char **argv);

int cmd_ring(int argc, char **argv);

int cmd_list(int argc, char **argv);
int cmd_watch(int argc, char **argv);

#endif /* MBOXCTL_H */
