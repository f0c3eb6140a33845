// SPDX-License-Identifier: GPL-2.0
/*
 * The bridge's state on disk, in state-dir:
 *
 * NAME.in  (inbound) an append-only log of message IDs:
 *	"P <mailbox id> <sent> <id>"  before a blocking send into the mailbox:
 *	                              the mailbox's "sent" counter beforehand
 *	"D <id>"                      once the send returned
 *   At open, the last window of D lines is the set of IDs already delivered;
 *   a P without its D (a crash during the send) is settled by the caller
 *   from the mailbox itself: if its "sent" counter moved past the recorded
 *   value, the send went through. The log is compacted at open and whenever
 *   it holds four windows' worth of lines.
 *
 * NAME.out (outbound) at most one message that was received from the
 *   mailbox out of turn (a higher-priority message overtook the one just
 *   confirmed): it is written here before it is published, and published
 *   again at start if it is still there.
 *
 * Neither file is fsync'd: a killed bridge loses nothing (the page cache
 * survives it), a machine crash may (docs/bridge.md).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bridge.h"

struct dedupe {
	char path[PATH_MAX];
	int fd;
	long window;		/* IDs remembered */
	long count;		/* IDs in the ring now */
	long head;		/* oldest entry */
	char (*ids)[BR_ID_MAX];
	uint64_t *hash;		/* of each ring entry */
	uint32_t *table;	/* open addressing: ring index + 1, 0 empty */
	size_t tsize;		/* a power of two, >= 2 * window */
	long lines;		/* in the log file */
	bool has_pending;
	char pending_id[BR_ID_MAX];
	uint64_t pending_mbid, pending_sent;
};

static uint64_t fnv(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h ? h : 1;
}

static long find(const struct dedupe *d, const char *id, uint64_t h, size_t *slot)
{
	size_t mask = d->tsize - 1, i = h & mask;

	for (; d->table[i]; i = (i + 1) & mask) {
		long r = (long)d->table[i] - 1;

		if (d->hash[r] == h && !strcmp(d->ids[r], id)) {
			if (slot)
				*slot = i;
			return r;
		}
	}
	if (slot)
		*slot = i;
	return -1;
}

/* Remove table slot @i, shifting later entries of its cluster back. */
static void table_delete(struct dedupe *d, size_t i)
{
	size_t mask = d->tsize - 1, j = i;

	d->table[i] = 0;
	for (;;) {
		size_t k;

		j = (j + 1) & mask;
		if (!d->table[j])
			return;
		k = d->hash[d->table[j] - 1] & mask;
		/* Move j back to i unless k lies cyclically in (i, j]. */
		if ((i <= j) ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		d->table[i] = d->table[j];
		d->table[j] = 0;
		i = j;
	}
}

static void add(struct dedupe *d, const char *id)
{
	uint64_t h = fnv(id);
	size_t slot;
	long r;

	if (find(d, id, h, &slot) >= 0)
		return;
	if (d->count == d->window) {
		size_t old;

		r = d->head;
		if (find(d, d->ids[r], d->hash[r], &old) >= 0)
			table_delete(d, old);
		d->head = (d->head + 1) % d->window;
		d->count--;
		find(d, id, h, &slot);	/* the deletion may have moved the free slot */
	}
	r = (d->head + d->count) % d->window;
	snprintf(d->ids[r], BR_ID_MAX, "%s", id);
	d->hash[r] = h;
	d->table[slot] = (uint32_t)r + 1;
	d->count++;
}

bool dedupe_seen(struct dedupe *d, const char *id)
{
	return find(d, id, fnv(id), NULL) >= 0;
}

/* Rewrite the log with the remembered IDs (and the pending entry). */
static int compact(struct dedupe *d)
{
	char tmp[PATH_MAX + 8];
	FILE *f;
	int fd;

	snprintf(tmp, sizeof(tmp), "%s.tmp", d->path);
	f = fopen(tmp, "w");
	if (!f)
		return -errno;
	for (long i = 0; i < d->count; i++)
		fprintf(f, "D %s\n", d->ids[(d->head + i) % d->window]);
	if (d->has_pending)
		fprintf(f, "P %" PRIu64 " %" PRIu64 " %s\n", d->pending_mbid,
			d->pending_sent, d->pending_id);
	if (fclose(f) == EOF || rename(tmp, d->path)) {
		int e = -errno;

		unlink(tmp);
		return e;
	}
	fd = open(d->path, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (d->fd >= 0)
		close(d->fd);
	d->fd = fd;
	d->lines = d->count + d->has_pending;
	return 0;
}

/*
 * @bytes (@len of them), encoded into @out (@max bytes with the NUL):
 * graphic bytes (printable ASCII but the blank) other than '%'
 * and @also as they are, every other byte as %XX, so that the result has
 * no blank or control byte and tells different inputs apart. False (and
 * @out empty) when there is no byte or the result does not fit.
 */
bool id_encode(const void *bytes, size_t len, char *out, size_t max, char also)
{
	size_t n = 0;

	out[0] = '\0';
	if (!len)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = ((const unsigned char *)bytes)[i];

		if (c > ' ' && c < 0x7f && c != '%' && c != (unsigned char)also) {
			if (n + 1 >= max)
				goto too_long;
			out[n++] = (char)c;
		} else {
			if (n + 3 >= max)
				goto too_long;
			n += (size_t)snprintf(out + n, max - n, "%%%02X", c);
		}
	}
	out[n] = '\0';
	return true;
too_long:
	out[0] = '\0';
	return false;
}

/*
 * The inbound dedupe key of a message: "USER/ID", both encoded by
 * id_encode() ('/' too, in the user), so that no two (user, ID) pairs
 * share a key and no key holds a blank or a newline (a line of the log
 * could be forged). False (and @out empty) when either is missing or the
 * key does not fit @max.
 */
bool dedupe_key(char *out, size_t max, const void *user, size_t ulen, const void *id,
		size_t idlen)
{
	size_t n;

	if (!id_encode(user, ulen, out, max, '/'))
		return false;
	n = strlen(out);
	if (n + 2 >= max || !id_encode(id, idlen, out + n + 1, max - n - 1, 0)) {
		out[0] = '\0';
		return false;
	}
	out[n] = '/';
	return true;
}

/* An ID in a line of the log: at most BR_ID_MAX - 1 bytes. */
#define ID_SCAN "%223s"
_Static_assert(BR_ID_MAX == 224, "ID_SCAN reads BR_ID_MAX - 1 bytes");

struct dedupe *dedupe_open(const char *path, long window, char *err, size_t errlen)
{
	struct dedupe *d = calloc(1, sizeof(*d));
	char line[BR_ID_MAX + 64];
	FILE *f;
	int ret;

	if (!d)
		goto nomem;
	d->fd = -1;
	d->window = window;
	snprintf(d->path, sizeof(d->path), "%s", path);
	d->tsize = 1;
	while (d->tsize < (size_t)window * 2)
		d->tsize <<= 1;
	d->ids = calloc((size_t)window, BR_ID_MAX);
	d->hash = calloc((size_t)window, sizeof(*d->hash));
	d->table = calloc(d->tsize, sizeof(*d->table));
	if (!d->ids || !d->hash || !d->table)
		goto nomem;
	f = fopen(path, "r");
	if (!f && errno != ENOENT) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
		dedupe_close(d);
		return NULL;
	}
	while (f && fgets(line, sizeof(line), f)) {
		char id[BR_ID_MAX];
		uint64_t mbid, sent;

		line[strcspn(line, "\n")] = '\0';
		if (sscanf(line, "D " ID_SCAN, id) == 1) {
			add(d, id);
			if (d->has_pending && !strcmp(id, d->pending_id))
				d->has_pending = false;
		} else if (sscanf(line, "P %" SCNu64 " %" SCNu64 " " ID_SCAN, &mbid, &sent,
				  id) == 3) {
			d->has_pending = true;
			d->pending_mbid = mbid;
			d->pending_sent = sent;
			snprintf(d->pending_id, sizeof(d->pending_id), "%s", id);
		}	/* else: a line cut short by a crash; ignore it */
	}
	if (f)
		fclose(f);
	ret = compact(d);
	if (ret < 0) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(-ret));
		dedupe_close(d);
		return NULL;
	}
	return d;
nomem:
	snprintf(err, errlen, "out of memory for a dedupe window of %ld IDs", window);
	dedupe_close(d);
	return NULL;
}

/*
 * Append @line whole. A short write (the disk filled up in the middle of
 * the line) is carried on, so that the error is the one that stopped it
 * (ENOSPC), not a made-up EIO; a partial last line is ignored at open.
 */
static int append(struct dedupe *d, const char *line)
{
	size_t n = strlen(line);

	while (n) {
		ssize_t w = write(d->fd, line, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		if (w == 0)
			return -EIO;
		line += w;
		n -= (size_t)w;
	}
	if (++d->lines > 4 * d->window)
		return compact(d);
	return 0;
}

int dedupe_pending(struct dedupe *d, const char *id, uint64_t mbid, uint64_t sent)
{
	char line[BR_ID_MAX + 64];

	d->has_pending = true;
	snprintf(d->pending_id, sizeof(d->pending_id), "%s", id);
	d->pending_mbid = mbid;
	d->pending_sent = sent;
	snprintf(line, sizeof(line), "P %" PRIu64 " %" PRIu64 " %s\n", mbid, sent, id);
	return append(d, line);
}

int dedupe_done(struct dedupe *d, const char *id)
{
	char line[BR_ID_MAX + 8];

	add(d, id);
	d->has_pending = false;
	snprintf(line, sizeof(line), "D %s\n", id);
	return append(d, line);
}

int dedupe_get_pending(struct dedupe *d, char *id, uint64_t *mbid, uint64_t *sent)
{
	if (!d->has_pending)
		return 0;
	snprintf(id, BR_ID_MAX, "%s", d->pending_id);
	*mbid = d->pending_mbid;
	*sent = d->pending_sent;
	return 1;
}

int dedupe_settle(struct dedupe *d, bool delivered)
{
	if (!d->has_pending)
		return 0;
	if (delivered)
		add(d, d->pending_id);
	d->has_pending = false;
	return compact(d);
}

const char *dedupe_path(const struct dedupe *d)
{
	return d->path;
}

void dedupe_close(struct dedupe *d)
{
	if (!d)
		return;
	if (d->fd >= 0)
		close(d->fd);
	free(d->ids);
	free(d->hash);
	free(d->table);
	free(d);
}

/* ---- the outbound journal ---- */

#define JOURNAL_MAGIC1 0x6d62786a726e6c31ULL	/* "mbxjrnl1": no boot ID */
#define JOURNAL_MAGIC2 0x6d62786a726e6c32ULL	/* "mbxjrnl2": no binding name */
#define JOURNAL_MAGIC3 0x6d62786a726e6c33ULL	/* "mbxjrnl3" */

struct jhdr1 {
	uint64_t magic;
	struct br_msg m;
};

struct jhdr2 {
	uint64_t magic;
	char boot[BR_BOOT_MAX];	/* the boot the message was taken in */
	struct br_msg m;
};

struct jhdr3 {
	uint64_t magic;
	char boot[BR_BOOT_MAX];	/* the boot the message was taken in */
	char name[BR_NAME_MAX];	/* the binding that wrote it */
	struct br_msg m;
};

int journal_write(const char *path, const char *boot, const char *name,
		  const struct br_msg *m, const void *buf)
{
	char tmp[PATH_MAX + 8];
	struct jhdr3 h = { .magic = JOURNAL_MAGIC3, .m = *m };
	int fd, ret = 0;

	snprintf(h.boot, sizeof(h.boot), "%s", boot);
	snprintf(h.name, sizeof(h.name), "%s", name);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	errno = 0;
	if (write(fd, &h, sizeof(h)) != (ssize_t)sizeof(h) ||
	    write(fd, buf, m->len) != (ssize_t)m->len)
		ret = errno ? -errno : -EIO;
	if (close(fd) && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path))
		ret = -errno;
	if (ret)
		unlink(tmp);
	return ret;
}

static bool cstr_in(const char *s, size_t len)
{
	return memchr(s, '\0', len) != NULL;
}

/* Parse the header in @h (@n bytes read): its length, or -EBADMSG. */
static ssize_t journal_header(const struct jhdr3 *h, ssize_t n, char *boot, char *name,
			      struct br_msg *m)
{
	if (n >= (ssize_t)sizeof(struct jhdr1) && h->magic == JOURNAL_MAGIC1) {
		/* Written before the boot ID was kept: the header is shorter. */
		const struct jhdr1 *h1 = (const void *)h;

		*m = h1->m;
		boot[0] = name[0] = '\0';
		return sizeof(*h1);
	}
	if (n >= (ssize_t)sizeof(struct jhdr2) && h->magic == JOURNAL_MAGIC2) {
		/* Written before the binding's name was kept. */
		const struct jhdr2 *h2 = (const void *)h;

		if (!cstr_in(h2->boot, sizeof(h2->boot)))
			return -EBADMSG;
		*m = h2->m;
		memcpy(boot, h2->boot, BR_BOOT_MAX);
		name[0] = '\0';
		return sizeof(*h2);
	}
	if (n == (ssize_t)sizeof(*h) && h->magic == JOURNAL_MAGIC3 &&
	    cstr_in(h->boot, sizeof(h->boot)) && cstr_in(h->name, sizeof(h->name))) {
		*m = h->m;
		memcpy(boot, h->boot, BR_BOOT_MAX);
		memcpy(name, h->name, BR_NAME_MAX);
		return sizeof(*h);
	}
	return -EBADMSG;
}

int journal_read(const char *path, char *boot, char *name, struct br_msg *m, void *buf,
		 size_t cap)
{
	struct jhdr3 h = { 0 };
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;
	int ret = 1;

	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	n = read(fd, &h, sizeof(h));
	n = journal_header(&h, n, boot, name, m);
	if (n < 0 || lseek(fd, n, SEEK_SET) < 0 || m->len > cap ||
	    read(fd, buf, m->len) != (ssize_t)m->len)
		ret = -EBADMSG;
	close(fd);
	return ret;
}

int journal_clear(const char *path)
{
	if (unlink(path) && errno != ENOENT)
		return -errno;
	return 0;
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return (x > y) - (x < y);
}

/*
 * NAME.out.REST that is no journal file of ours: not the temporary file of
 * an interrupted write, not a file already moved aside.
 */
static bool odd_journal_name(const char *rest)
{
	size_t n = strlen(rest);

	if (rest[0] != '.')
		return false;	/* NAME.outX: another binding's name, perhaps */
	if (n > 4 && !strcmp(rest + n - 4, ".tmp"))
		return false;
	return !strstr(rest, ".corrupt.") && !strstr(rest, ".foreign.");
}

int journal_list(const char *dir, const char *name, long long **out,
		 void (*odd)(void *arg, const char *file), void *arg)
{
	char prefix[BR_NAME_MAX + 8];
	size_t plen, n = 0, cap = 0;
	long long *v = NULL;
	struct dirent *e;
	DIR *d;

	*out = NULL;
	snprintf(prefix, sizeof(prefix), "%s.out", name);
	plen = strlen(prefix);
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((e = readdir(d))) {
		const char *rest = e->d_name + plen;
		long long idx = -1;

		if (strncmp(e->d_name, prefix, plen))
			continue;
		if (*rest) {
			char *end;

			/* NAME.out.IDX, digits only (not .tmp, not .corrupt.TIME) */
			if (rest[0] != '.' || rest[1] < '0' || rest[1] > '9' || strlen(rest) > 19) {
				if (odd && odd_journal_name(rest))
					odd(arg, e->d_name);
				continue;
			}
			errno = 0;
			idx = strtoll(rest + 1, &end, 10);
			if (*end || errno) {
				if (odd && odd_journal_name(rest))
					odd(arg, e->d_name);
				continue;
			}
		}
		if (n == cap) {
			long long *nv = realloc(v, (cap = cap ? cap * 2 : 16) * sizeof(*v));

			if (!nv) {
				free(v);
				closedir(d);
				return -ENOMEM;
			}
			v = nv;
		}
		v[n++] = idx;
	}
	closedir(d);
	qsort(v, n, sizeof(*v), cmp_ll);
	*out = v;
	return (int)n;
}
