// SPDX-License-Identifier: GPL-2.0
/*
 * mbox-bridge: bind local named mailboxes to RabbitMQ queues and exchanges.
 *
 *   mbox-bridge [-c FILE] [run]     run every binding in the foreground
 *   mbox-bridge [-c FILE] check     check the configuration (and that its
 *                                   mailboxes exist) and exit
 *   mbox-bridge [-c FILE] status    the running bridge's bindings and counters
 *
 * Exit status: 0 stopped by SIGTERM/SIGINT (or check/status fine); 1 a
 * fatal error (bad configuration, wrong password, a mailbox missing...),
 * with the reason on stderr; 2 usage; 3 status: the bridge is not running.
 * See docs/bridge.md and mbox-bridge(8).
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mbox.h"
#include "bridge.h"

#define DEFAULT_CONFIG	"/etc/mbox-bridge.conf"
#define DEFAULT_STATE	"/var/lib/mbox-bridge"

static void vlog(const char *who, const char *fmt, va_list ap)
{
	char msg[1024];
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	fprintf(stderr, "%02d:%02d:%02d.%03ld mbox-bridge[%d]: %s%s%s\n", tm.tm_hour, tm.tm_min,
		tm.tm_sec, ts.tv_nsec / 1000000, (int)getpid(), who ? who : "",
		who ? ": " : "", msg);
}

__attribute__((format(printf, 1, 2)))
static void mlog(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(NULL, fmt, ap);
	va_end(ap);
}

void br_log(const struct binding *b, const char *fmt, ...)
{
	char who[BR_NAME_MAX + 8];
	va_list ap;

	snprintf(who, sizeof(who), "%s %s", b->dir == BR_OUT ? "out" : "in", b->name);
	va_start(ap, fmt);
	vlog(who, fmt, ap);
	va_end(ap);
}

void br_set_state(struct binding *b, const char *state, const char *err)
{
	char old[sizeof(b->state)];
	bool changed;

	pthread_mutex_lock(&b->lock);
	if (!strcmp(b->state, "failed")) {
		pthread_mutex_unlock(&b->lock);
		return;		/* final */
	}
	snprintf(old, sizeof(old), "%s", b->state);
	changed = strcmp(old, state) != 0;
	snprintf(b->state, sizeof(b->state), "%s", state);
	if (err)
		snprintf(b->last_error, sizeof(b->last_error), "%s", err);
	if (!strcmp(state, "connected") && !strcmp(old, "connecting"))
		b->reconnects++;
	pthread_mutex_unlock(&b->lock);
	if (changed)
		br_log(b, "%s -> %s%s%s", old, state, err ? ": " : "", err ? err : "");
}

void br_count(struct binding *b, unsigned long long *field, unsigned long long n)
{
	pthread_mutex_lock(&b->lock);
	*field += n;
	pthread_mutex_unlock(&b->lock);
}

void br_sleep_ms(struct bridge *br, long ms)
{
	while (ms > 0 && !atomic_load(&br->stop)) {
		long step = ms > 50 ? 50 : ms;
		struct timespec ts = { 0, step * 1000000L };

		nanosleep(&ts, NULL);
		ms -= step;
	}
}

void br_crash_point(struct binding *b, const char *point)
{
	br_crash_point_when(b, point, true);
}

/*
 * As br_crash_point(), but from the Nth passage on, at the first where
 * @ready holds (a test that needs a state, such as several messages in
 * flight, gets it whatever the timing).
 */
void br_crash_point_when(struct binding *b, const char *point, bool ready)
{
	struct bridge *br = b->br;

	if (!br->crash_after || strcmp(point, br->crash_point) || strcmp(b->name, br->crash_binding))
		return;
	if (++b->crash_count >= br->crash_after && ready) {
		br_log(b, "MBOX_BRIDGE_CRASH: killing the bridge (SIGKILL) at '%s' #%ld", point,
		       br->crash_after);
		kill(getpid(), SIGKILL);
	}
}

static void remote(const struct binding *b, char *buf, size_t len)
{
	if (b->exchange[0])
		snprintf(buf, len, "exchange:%s", b->exchange);
	else
		snprintf(buf, len, "queue:%s", b->queue);
}

/* The status file: written whole to a temporary file, then renamed. 0 or -errno. */
static int write_status(struct bridge *br, time_t started)
{
	char tmp[PATH_MAX + 8];
	FILE *f;
	int ret = 0;

	snprintf(tmp, sizeof(tmp), "%s.tmp", br->status_file);
	f = fopen(tmp, "w");
	if (!f)
		return -errno;
	fprintf(f, "pid %d started %lld updated %lld broker %s:%d user %s\n", (int)getpid(),
		(long long)started, (long long)time(NULL), br->broker.host, br->broker.port,
		br->broker.user);
	for (int i = 0; i < br->nb; i++) {
		struct binding *b = &br->b[i];
		char r[300];

		remote(b, r, sizeof(r));
		pthread_mutex_lock(&b->lock);
		fprintf(f, "binding %s %s mailbox=%s remote=%s state=%s messages=%llu "
			"duplicates=%llu republished=%llu rejected=%llu connects=%llu "
			"last_error=%s\n",
			b->name, b->dir == BR_OUT ? "out" : "in", b->mailbox, r, b->state,
			b->messages, b->duplicates, b->republished, b->rejected, b->reconnects,
			b->last_error[0] ? b->last_error : "-");
		pthread_mutex_unlock(&b->lock);
	}
	if (fclose(f) || rename(tmp, br->status_file)) {
		ret = -errno;
		unlink(tmp);
	}
	return ret;
}

/* While running: say when the status file cannot be written, and when it can again. */
static void update_status(struct bridge *br, time_t started, int *last)
{
	int ret = write_status(br, started);

	if (ret < 0 && ret != *last)
		mlog("cannot write the status file %s: %s ('mbox-bridge status' shows the last "
		     "one written)", br->status_file, strerror(-ret));
	else if (!ret && *last)
		mlog("the status file %s is written again", br->status_file);
	*last = ret;
}

static int usage(int status)
{
	fprintf(status ? stderr : stdout,
		"usage: mbox-bridge [-c FILE] [run]      run the bindings (foreground)\n"
		"       mbox-bridge [-c FILE] check      check the configuration\n"
		"       mbox-bridge [-c FILE] status     the running bridge's bindings\n"
		"FILE defaults to " DEFAULT_CONFIG "; see mbox-bridge(8).\n");
	return status;
}

static int cmd_status(struct bridge *br)
{
	char line[2048];
	FILE *f = fopen(br->status_file, "r");
	int pid = 0, running;

	if (!f) {
		fprintf(stderr, "mbox-bridge: status: cannot read %s: %s (is the bridge "
			"running with this configuration?)\n", br->status_file, strerror(errno));
		return 3;
	}
	if (fgets(line, sizeof(line), f))
		sscanf(line, "pid %d", &pid);
	running = pid > 0 && kill(pid, 0) == 0;
	printf("%s", line);
	if (!running)
		printf("not running: pid %d is gone; the counters below are its last\n", pid);
	printf("%-12s %-3s %-12s %-24s %-12s %9s %6s %6s %6s %4s %s\n", "BINDING", "DIR",
	       "MAILBOX", "REMOTE", "STATE", "MESSAGES", "DUPS", "REPUB", "REJECT", "CONN",
	       "LAST-ERROR");
	while (fgets(line, sizeof(line), f)) {
		char name[80], dir[8], mb[80], rem[300], st[40], errbuf[BR_ERR_MAX + 16];
		unsigned long long msgs, dups, repub, rej, conn;
		char *e = strstr(line, "last_error=");

		if (sscanf(line, "binding %79s %7s mailbox=%79s remote=%299s state=%39s "
			   "messages=%llu duplicates=%llu republished=%llu rejected=%llu "
			   "connects=%llu", name, dir, mb, rem, st, &msgs, &dups, &repub, &rej,
			   &conn) != 10 || !e)
			continue;
		snprintf(errbuf, sizeof(errbuf), "%s", e + strlen("last_error="));
		errbuf[strcspn(errbuf, "\n")] = '\0';
		printf("%-12s %-3s %-12s %-24s %-12s %9llu %6llu %6llu %6llu %4llu %s\n", name,
		       dir, mb, rem, st, msgs, dups, repub, rej, conn, errbuf);
	}
	fclose(f);
	return running ? 0 : 3;
}

static int mkdir_p(const char *path)
{
	char buf[PATH_MAX];
	struct stat st;

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, 0700) && errno != EEXIST)
		return -errno;
	/* EEXIST says something is there, not that it is a directory. */
	if (stat(buf, &st))
		return -errno;
	return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

static void read_boot_id(struct bridge *br)
{
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "r");
	char buf[64] = "";
	size_t j = 0;

	if (f) {
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = '\0';
		fclose(f);
	}
	for (size_t i = 0; buf[i] && j + 1 < sizeof(br->boot_id); i++)
		if (buf[i] != '-' && buf[i] != '\n')
			br->boot_id[j++] = buf[i];
	br->boot_id[j] = '\0';
	if (!j)	/* no /proc: the time this bridge started is unique enough */
		snprintf(br->boot_id, sizeof(br->boot_id), "t%lld", (long long)time(NULL));
}

/*
 * The state directory's files are the bridge's (lock, NAME.in, NAME.out*):
 * a status file there must be named "status" (the default), or its
 * rewrites would replace the lock or a binding's state. 0 or 1.
 */
static int check_status_name(const struct bridge *br, const char *config)
{
	char dir[PATH_MAX], rdir[PATH_MAX], rstate[PATH_MAX];
	const char *base;
	char *slash;

	snprintf(dir, sizeof(dir), "%s", br->status_file);
	slash = strrchr(dir, '/');
	if (slash) {
		*slash = '\0';
		base = slash + 1;
	} else {
		snprintf(dir, sizeof(dir), ".");
		base = br->status_file;
	}
	if (!strcmp(base, "status"))
		return 0;
	if (strcmp(dir, br->state_dir) &&
	    (!realpath(dir[0] ? dir : "/", rdir) || !realpath(br->state_dir, rstate) ||
	     strcmp(rdir, rstate)))
		return 0;
	fprintf(stderr, "mbox-bridge: bad configuration: %s: status-file %s is in the "
		"state-dir, whose files are the bridge's own (lock, NAME.in, NAME.out...): "
		"name it 'status' there, or put it elsewhere\n", config, br->status_file);
	return 1;
}

static int run(struct bridge *br)
{
	time_t started = time(NULL);
	sigset_t set;
	int devfd, ret, status_err = 0;

	devfd = mbox_dev_open(0);
	if (devfd < 0) {
		fprintf(stderr, "mbox-bridge: cannot open %s: %s%s\n", MBOX_DEVICE_PATH,
			mbox_strerror(devfd), devfd == -ENOENT ? " (is the mbox module loaded?)" : "");
		return 1;
	}
	for (int i = 0; i < br->nb; i++) {
		struct binding *b = &br->b[i];
		unsigned int fl = b->dir == BR_OUT ? MBOX_OPEN_RECV : MBOX_OPEN_SEND;
		int fd = mbox_open(devfd, b->mailbox, fl, NULL, NULL);

		if (fd < 0) {
			fprintf(stderr, "mbox-bridge: [%s %s]: cannot open mailbox '%s' to %s: %s%s\n",
				b->dir == BR_OUT ? "out" : "in", b->name, b->mailbox,
				b->dir == BR_OUT ? "receive" : "send", mbox_strerror(fd),
				fd == -ENOENT ? " (create it first, e.g. mboxctl create)" : "");
			close(devfd);
			return 1;
		}
		close(fd);
	}
	close(devfd);
	ret = mkdir_p(br->state_dir);
	if (ret < 0) {
		fprintf(stderr, "mbox-bridge: state-dir %s: %s\n", br->state_dir, strerror(-ret));
		return 1;
	}
	/* Again, now that the state-dir exists: another spelling of it resolves. */
	if (check_status_name(br, br->config))
		return 1;
	{
		/* One bridge per state directory: the journals and dedupe logs are its own. */
		char lpath[PATH_MAX + 8];
		int lfd;

		snprintf(lpath, sizeof(lpath), "%s/lock", br->state_dir);
		lfd = open(lpath, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (lfd < 0) {
			fprintf(stderr, "mbox-bridge: %s: %s\n", lpath, strerror(errno));
			return 1;
		}
		if (flock(lfd, LOCK_EX | LOCK_NB)) {
			fprintf(stderr, "mbox-bridge: another mbox-bridge is already running on "
				"state-dir %s (%s is locked): stop it first, or give this one its "
				"own state-dir\n", br->state_dir, lpath);
			return 1;
		}
		/* held (open) until the process exits */
	}

	for (int i = 0; i < br->nb; i++) {
		struct binding *b = &br->b[i];

		pthread_mutex_init(&b->lock, NULL);
		b->br = br;
		strcpy(b->state, "starting");
	}
	/*
	 * A status file that can never be written (its directory missing, no
	 * permission) is a configuration error; a full disk may clear up, and
	 * the main loop says when it does.
	 */
	ret = write_status(br, started);
	if (ret == -ENOENT || ret == -ENOTDIR || ret == -EACCES || ret == -EPERM ||
	    ret == -EROFS || ret == -EISDIR) {
		fprintf(stderr, "mbox-bridge: status-file %s: cannot write it: %s%s\n",
			br->status_file, strerror(-ret),
			ret == -ENOENT ? " (its directory does not exist: create it, or choose "
			"another status-file)" : "");
		return 1;
	}

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	mlog("starting: %d binding%s, broker %s:%d, state in %s", br->nb, br->nb == 1 ? "" : "s",
	     br->broker.host, br->broker.port, br->state_dir);
	for (int i = 0; i < br->nb; i++) {
		struct binding *b = &br->b[i];

		ret = pthread_create(&b->thread, NULL,
				     b->dir == BR_OUT ? br_outbound : br_inbound, b);
		if (ret) {
			fprintf(stderr, "mbox-bridge: cannot start a thread: %s\n", strerror(ret));
			atomic_store(&br->stop, 1);
			atomic_store(&br->fatal, 1);
			br->nb = i;
			break;
		}
	}
	while (!atomic_load(&br->stop)) {
		struct timespec ts = { 1, 0 };
		int sig;

		update_status(br, started, &status_err);
		sig = sigtimedwait(&set, NULL, &ts);
		if (sig == SIGHUP) {
			mlog("SIGHUP: ignored (mbox-bridge does not reload its configuration: "
			     "restart it to apply a change)");
		} else if (sig > 0) {
			mlog("%s: stopping", strsignal(sig));
			atomic_store(&br->stop, 1);
		}
	}
	for (int i = 0; i < br->nb; i++)
		pthread_join(br->b[i].thread, NULL);
	update_status(br, started, &status_err);
	for (int i = 0; i < br->nb; i++) {
		struct binding *b = &br->b[i];

		if (!strcmp(b->state, "failed"))
			fprintf(stderr, "mbox-bridge: [%s %s]: %s\n", b->dir == BR_OUT ? "out" : "in",
				b->name, b->last_error);
	}
	mlog("stopped%s", atomic_load(&br->fatal) ? " after a fatal error" : "");
	return atomic_load(&br->fatal) ? 1 : 0;
}

/*
 * "check": besides the file, every configured local mailbox must exist and
 * open for the binding's direction, and outbound bindings need
 * MBOX_RECV_SEQ. Each problem is one line on stderr. 0 or 1.
 */
static int check_mailboxes(const struct bridge *br, const char *config)
{
	int dev = mbox_dev_open(0), bad = 0;

	if (dev < 0) {
		fprintf(stderr, "mbox-bridge: %s: cannot check the mailboxes: %s: %s (is the "
			"mbox module loaded?)\n", config, MBOX_DEVICE_PATH, mbox_strerror(dev));
		return 1;
	}
	for (int i = 0; i < br->nb; i++) {
		const struct binding *b = &br->b[i];
		const char *dir = b->dir == BR_OUT ? "out" : "in";
		struct mbox_info info;
		int fd = mbox_open(dev, b->mailbox,
				   b->dir == BR_OUT ? MBOX_OPEN_RECV : MBOX_OPEN_SEND, NULL, NULL);

		if (fd < 0) {
			fprintf(stderr, "mbox-bridge: %s:%d: [%s %s]: mailbox '%s' %s\n", config,
				b->line, dir, b->name, b->mailbox,
				fd == -ENOENT ? "does not exist (create it first: mboxctl create)" :
				mbox_strerror(fd));
			bad = 1;
			continue;
		}
		if (b->dir == BR_OUT && mbox_info(fd, &info) == 0 &&
		    !(info.mb_flags & MBOX_MB_BROADCAST) &&
		    mbox_has_feature(dev, MBOX_FEAT_RECV_SEQ) != 1) {
			fprintf(stderr, "mbox-bridge: %s:%d: [%s %s]: the mbox module lacks "
				"MBOX_RECV_SEQ (MBOX_FEAT_RECV_SEQ), which an outbound binding "
				"needs: load a newer mbox.ko\n", config, b->line, dir, b->name);
			bad = 1;
		}
		close(fd);
	}
	close(dev);
	return bad;
}

/*
 * "check": the status file's directory must exist, unless it is the state
 * directory, which "run" creates. 0 or 1.
 */
static int check_status_dir(const struct bridge *br, const char *config)
{
	char dir[PATH_MAX];
	char *slash;
	struct stat st;
	int e;

	snprintf(dir, sizeof(dir), "%s", br->status_file);
	slash = strrchr(dir, '/');
	if (!slash)
		return 0;	/* the current directory */
	*slash = '\0';
	if (!dir[0] || !strcmp(dir, br->state_dir))
		return 0;
	e = stat(dir, &st) ? errno : S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
	if (!e)
		return 0;
	fprintf(stderr, "mbox-bridge: %s: status-file %s: its directory %s %s\n", config,
		br->status_file, dir, e == ENOENT ? "does not exist" : strerror(e));
	return 1;
}

/*
 * "check": the state-dir is a directory, or does not exist yet ("run"
 * creates it, and its parents). 0 or 1.
 */
static int check_state_dir(const struct bridge *br, const char *config)
{
	struct stat st;
	int e;

	e = stat(br->state_dir, &st) ? errno : S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
	if (!e || e == ENOENT)
		return 0;
	fprintf(stderr, "mbox-bridge: %s: state-dir %s: %s\n", config, br->state_dir,
		e == ENOTDIR ? "not a directory (it, or a directory above it, is a file)" :
		strerror(e));
	return 1;
}

int main(int argc, char **argv)
{
	struct bridge *br;
	const char *config = DEFAULT_CONFIG, *cmd = "run";
	char err[BR_ERR_MAX * 2];
	int opt, ret;

	while ((opt = getopt(argc, argv, "c:h")) != -1) {
		switch (opt) {
		case 'c':
			config = optarg;
			break;
		case 'h':
			return usage(0);
		default:
			return usage(2);
		}
	}
	if (optind < argc)
		cmd = argv[optind++];
	if (optind < argc || (strcmp(cmd, "run") && strcmp(cmd, "check") && strcmp(cmd, "status"))) {
		fprintf(stderr, "mbox-bridge: unknown command or extra argument '%s'\n",
			optind < argc ? argv[optind] : cmd);
		return usage(2);
	}

	br = calloc(1, sizeof(*br));
	if (!br) {
		fprintf(stderr, "mbox-bridge: out of memory\n");
		return 1;
	}
	br->broker = (struct br_broker){ .port = 5672, .vhost = "/", .heartbeat = 0,
					 .connect_timeout_ms = 5000, .confirm_timeout_ms = 30000,
					 .backoff_min_ms = 100, .backoff_max_ms = 5000 };
	snprintf(br->state_dir, sizeof(br->state_dir), "%s", DEFAULT_STATE);
	if (br_config_load(br, config, err, sizeof(err))) {
		fprintf(stderr, "mbox-bridge: bad configuration: %s\n", err);
		return 1;
	}
	if (br->broker.backoff_min_ms > br->broker.backoff_max_ms) {
		fprintf(stderr, "mbox-bridge: bad configuration: %s: backoff-min is larger than "
			"backoff-max\n", config);
		return 1;
	}
	if (!br->status_file[0])
		snprintf(br->status_file, sizeof(br->status_file), "%.*s/status",
			 (int)(sizeof(br->status_file) - 8), br->state_dir);
	if (check_status_name(br, config))
		return 1;
	if (!br->hostname[0] && gethostname(br->hostname, sizeof(br->hostname) - 1))
		snprintf(br->hostname, sizeof(br->hostname), "unknown");
	read_boot_id(br);
	{
		const char *c = getenv("MBOX_BRIDGE_CRASH");

		if (c && (sscanf(c, "%15[a-z]:%63[^:]:%ld", br->crash_point, br->crash_binding,
				 &br->crash_after) != 3 || br->crash_after <= 0)) {
			fprintf(stderr, "mbox-bridge: MBOX_BRIDGE_CRASH='%s': want "
				"confirmed|journaled|received|sent:BINDING:N\n", c);
			return 2;
		}
	}

	if (!strcmp(cmd, "check")) {
		ret = check_mailboxes(br, config);
		ret |= check_status_dir(br, config);
		ret |= check_state_dir(br, config);
		if (!ret)
			printf("%s: ok: broker %s:%d, %d binding%s, every mailbox there\n", config,
			       br->broker.host, br->broker.port, br->nb, br->nb == 1 ? "" : "s");
	} else if (!strcmp(cmd, "status")) {
		ret = cmd_status(br);
	} else {
		ret = run(br);
	}
	free(br->b);
	free(br);
	return ret;
}
