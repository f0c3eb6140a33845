// SPDX-License-Identifier: GPL-2.0
/*
 * mbox: batched commands.
 *
 * One system call moves up to MBOX_BATCH_MAX messages. Each entry is an
 * argument struct of entry_size bytes (extensible like every argument
 * struct), moved by the caller's function. Only the first entry may wait;
 * the rest go through only if they can at once. The call returns how many
 * went through; an error is returned only if the first one fails. The other
 * side is woken once per batch: the receivers once for all the messages
 * sent, the senders waiting for room once per message received.
 */
#include <linux/mm.h>

#include "mailbox.h"
#include "ucmd.h"
#include "wait.h"

static int mbox_batch_check(const struct mbox_batch *cmd, size_t min_entry,
			    u32 flags)
{
	if (cmd->flags & ~flags || cmd->__reserved)
		return -EINVAL;
	if (!cmd->count || cmd->count > MBOX_BATCH_MAX)
		return -EINVAL;
	if (cmd->entry_size < min_entry || cmd->entry_size > PAGE_SIZE)
		return -EINVAL;
	return 0;
}

/*
 * What went through is returned whatever happens to the write-back of
 * @done: the header was writable when the batch began (see
 * mbox_batch_run()), and a batch that moved messages succeeded.
 */
static int mbox_batch_done(struct mbox_ucmd *ucmd, u32 done, int err)
{
	struct mbox_batch *cmd = ucmd->cmd;

	if (!done)
		return err;
	cmd->done = done;
	mbox_ucmd_respond(ucmd, sizeof(*cmd));
	return done;
}

/**
 * mbox_batch_run - run a batch command
 * @ucmd: the command in flight (struct mbox_batch)
 * @q: the queue the batch works on, for its wake-ups
 * @min_entry: the smallest entry size accepted
 * @allowed: the flags the command accepts
 * @fn: moves one entry
 * @burst: moves the entries that need no wait, several at a time; NULL if
 *	the command has no such path
 * @ctx: for @fn and @burst
 *
 * Entries go through @burst while it takes them; the first it leaves goes
 * through @fn (which may wait if it is the batch's first), then @burst
 * again.
 *
 * Return: how many entries went through, or the first one's error.
 */
int mbox_batch_run(struct mbox_ucmd *ucmd, struct mbox_queue *q,
		   size_t min_entry, u32 allowed, mbox_batch_fn fn,
		   mbox_batch_burst_fn burst, void *ctx)
{
	struct mbox_batch *cmd = ucmd->cmd;
	struct mbox_wakes wakes = {};
	struct mbox_deadline dl;
	bool stop;
	int ret = 0;
	u32 i = 0;

	ret = mbox_batch_check(cmd, min_entry, allowed);
	if (ret)
		return ret;
	ret = mbox_deadline_init(&dl, ucmd->file, ucmd->watch, cmd->flags,
				 cmd->timeout_ns);
	if (ret)
		return ret;
	/* Fail before the first entry if @done could not be handed back. */
	ret = mbox_ucmd_probe(ucmd, offsetof(struct mbox_batch, done),
			      sizeof(cmd->done));
	if (ret)
		return ret;
	dl.defer = &wakes;
	while (i < cmd->count) {
		stop = false;
		if (burst)
			i += burst(ctx, cmd, i, &dl, &stop);
		/* Only the first entry may wait. */
		if (i == cmd->count || (i && stop))
			break;
		if (i)
			dl.nonblock = true;
		ret = fn(ctx, mbox_batch_entry(cmd, i), cmd->entry_size,
			 cmd->flags, &dl);
		if (ret < 0)
			break;
		i++;
		if (ret > 0)
			break;
	}
	mbox_queue_wake_batch(q, &wakes);
	return mbox_batch_done(ucmd, i, ret);
}
