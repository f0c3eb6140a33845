/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mbox-bridge: local named mailboxes bound to RabbitMQ queues and fanout
 * exchanges. See docs/bridge.md and mbox-bridge(8).
 *
 * One thread per binding, each with its own AMQP connection and channel;
 * the main thread handles signals and writes the status file. Everything a
 * thread needs hangs off its struct binding; nothing is global.
 */
#ifndef MBOX_BRIDGE_H
#define MBOX_BRIDGE_H

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BR_NAME_MAX	64
#define BR_MSGID_MAX	96	/* message IDs: "<boot id>:<mailbox id>:<seq>" */
/* Duplicate detection keys: "<user_id>/<message ID>" (see deliver()). */
#define BR_ID_MAX	(BR_MSGID_MAX + 128)
#define BR_ERR_MAX	512
#define BR_BOOT_MAX	40	/* a boot ID, NUL included */
#define BR_WINDOW_DEFAULT 16	/* outbound: publishes awaiting their confirm */
#define BR_WINDOW_MAX	1024

enum br_dir { BR_OUT, BR_IN };

/* What a failure means for the thread that met it. */
enum br_err {
	BR_OK = 0,
	BR_TRANSIENT,	/* the broker went away, a timeout: reconnect with backoff */
	BR_FATAL,	/* wrong password, mismatching queue arguments: stop */
};

struct br_broker {
	char host[256];
	int port;
	char user[128];
	char password[256];
	char vhost[128];
	int heartbeat;		/* seconds, 0: none */
	int connect_timeout_ms;
	int confirm_timeout_ms;
	int backoff_min_ms;
	int backoff_max_ms;
};

struct bridge;

struct binding {
	/* From the configuration. */
	char name[BR_NAME_MAX];
	enum br_dir dir;
	char mailbox[BR_NAME_MAX];
	char queue[256];	/* a queue, or */
	char exchange[256];	/* a fanout exchange (broadcast) */
	long long max_length;	/* x-max-length, -1: none */
	char overflow[32];	/* x-overflow: reject-publish, drop-head; "" default */
	int max_priority;	/* x-max-priority, 0: none */
	int prefetch;		/* inbound: unacked deliveries in flight */
	int window;		/* outbound: unconfirmed publishes in flight (0: default) */
	bool persistent;	/* delivery mode 2, durable queue and exchange */
	bool envelope;		/* inbound: prefix a line with the sender's identity */
	long dedupe_window;	/* inbound: message IDs remembered */
	int line;		/* where the section began, for messages */

	/* Run time. */
	struct bridge *br;
	pthread_t thread;
	pthread_mutex_t lock;	/* guards the status fields below */
	char state[32];
	char last_error[BR_ERR_MAX];
	unsigned long long messages;	/* delivered (in) or confirmed and removed (out) */
	unsigned long long duplicates;	/* inbound: redeliveries skipped by message ID */
	unsigned long long republished;	/* outbound: journaled messages published again at start */
	unsigned long long rejected;	/* outbound: nacks (queue full); inbound: refused messages */
	unsigned long long reconnects;
	long crash_count;	/* MBOX_BRIDGE_CRASH: events counted so far */
};

struct bridge {
	struct br_broker broker;
	char state_dir[PATH_MAX];
	char status_file[PATH_MAX];
	char config[PATH_MAX];
	char hostname[64];
	char boot_id[BR_BOOT_MAX];
	struct binding *b;
	int nb;
	atomic_int stop;
	atomic_int fatal;
	/*
	 * Fault injection for the tests, from the environment:
	 * MBOX_BRIDGE_CRASH=POINT:BINDING:N kills the bridge with SIGKILL at
	 * the Nth time binding BINDING reaches POINT: outbound "journaled"
	 * (the message is in the journal and still in the mailbox),
	 * "received" (taken out of the mailbox, not yet published) or
	 * "confirmed" (the broker confirmed, the journal still has it);
	 * inbound "sent" (the message is in the mailbox, not yet acked).
	 */
	char crash_point[16];
	char crash_binding[BR_NAME_MAX];
	long crash_after;
};

/* Die here if MBOX_BRIDGE_CRASH says so (main.c). */
void br_crash_point(struct binding *b, const char *point);
void br_crash_point_when(struct binding *b, const char *point, bool ready);

/* config.c */
int br_config_load(struct bridge *br, const char *path, char *err, size_t errlen);

/* log.c-ish helpers in main.c */
void br_log(const struct binding *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void br_set_state(struct binding *b, const char *state, const char *err);
void br_count(struct binding *b, unsigned long long *field, unsigned long long n);
/* Sleep up to @ms, waking early when the bridge is stopping. */
void br_sleep_ms(struct bridge *br, long ms);

/* state.c: inbound dedupe of message IDs across restarts. */
struct dedupe;
bool id_encode(const void *bytes, size_t len, char *out, size_t max, char also);
bool dedupe_key(char *out, size_t max, const void *user, size_t ulen, const void *id,
		size_t idlen);
struct dedupe *dedupe_open(const char *path, long window, char *err, size_t errlen);
bool dedupe_seen(struct dedupe *d, const char *id);
/*
 * Before a blocking send: the ID and the mailbox's "sent" counter. At open,
 * a pending entry left by a crash is settled with dedupe_settle().
 */
int dedupe_pending(struct dedupe *d, const char *id, uint64_t mbid, uint64_t sent);
int dedupe_done(struct dedupe *d, const char *id);
/* The pending entry left by a crash, if any: 1 and its fields, or 0. */
int dedupe_get_pending(struct dedupe *d, char *id, uint64_t *mbid, uint64_t *sent);
int dedupe_settle(struct dedupe *d, bool delivered);
/* The log's path, for messages. */
const char *dedupe_path(const struct dedupe *d);
void dedupe_close(struct dedupe *d);

/*
 * state.c: the outbound journal, one file per message in flight
 * (STATE-DIR/NAME.out.IDX, IDX in the order they were taken).
 */
struct br_msg {
	uint64_t seq;
	uint64_t mbid;
	uint32_t prio;
	int32_t pid;
	uint32_t uid;
	uint32_t len;
};
/*
 * @boot: the boot ID the message was taken in ("" if unknown); @name: the
 * binding whose journal it is.
 */
int journal_write(const char *path, const char *boot, const char *name,
		  const struct br_msg *m, const void *buf);
/*
 * 1 and the message (@boot: BR_BOOT_MAX bytes, "" for a journal written
 * before boot IDs were kept; @name: BR_NAME_MAX bytes, the binding that
 * wrote it, "" before names were kept), 0 when there is none, negative
 * errno on error (-EBADMSG: not a journal entry, or truncated).
 */
int journal_read(const char *path, char *boot, char *name, struct br_msg *m, void *buf,
		 size_t cap);
int journal_clear(const char *path);
/*
 * The journal files of binding @name in @dir (NAME.out: -1, the one-message
 * journal of older bridges; NAME.out.IDX: IDX), ascending, in *@out
 * (malloc'd). Return: how many, or a negative errno. @odd, if not NULL, is
 * called with each NAME.out.X that is not one (X not an index from 0 to
 * 10^18-1, say), skipping temporary and moved-aside files.
 */
int journal_list(const char *dir, const char *name, long long **out,
		 void (*odd)(void *arg, const char *file), void *arg);

/* The worker threads (outbound.c, inbound.c). */
void *br_outbound(void *arg);
void *br_inbound(void *arg);

/* amqp.c */
struct amqp_connection_state_t_;
enum br_err br_connect(struct binding *b, struct amqp_connection_state_t_ **connp,
		       char *err, size_t errlen);
void br_disconnect(struct amqp_connection_state_t_ *conn, bool graceful);

#endif /* MBOX_BRIDGE_H */
