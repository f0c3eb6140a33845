// SPDX-License-Identifier: GPL-2.0
/*
 * The /dev/mbox device: open, the version ioctl, the argument conventions
 * every ioctl follows (size-prefixed structs, flags, reserved fields,
 * -ENOTTY/-EINVAL/-E2BIG/-EFAULT), and module unload.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "mbox_test.h"

#define KNOWN_FEATURES	(MBOX_FEAT_VERSION | MBOX_FEAT_MAILBOX | MBOX_FEAT_BATCH | \
			 MBOX_FEAT_BROADCAST | MBOX_FEAT_LINK | MBOX_FEAT_RING | \
			 MBOX_FEAT_PIDFD | MBOX_FEAT_PRIO_WIDE | MBOX_FEAT_LONG_NAMES | \
			 MBOX_FEAT_NOTIFY | MBOX_FEAT_RECV_FULLSIZE | MBOX_FEAT_URING | \
			 MBOX_FEAT_OPEN_UMASK | MBOX_FEAT_RECV_SEQ)

FIXTURE(dev) {
	int fd;
};

FIXTURE_SETUP(dev)
{
	self->fd = mbox_dev_open(0);
	ASSERT_GE(self->fd, 0) TH_LOG("open /dev/mbox: %s", mbox_strerror(self->fd));
}

FIXTURE_TEARDOWN(dev)
{
	close(self->fd);
}

TEST(device_node)
{
	struct stat st;

	ASSERT_EQ(0, stat(MBOX_DEVICE_PATH, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(0666, st.st_mode & 07777);
}

TEST(open_modes_and_cloexec)
{
	int fd, flags;

	fd = mbox_dev_open(0);
	ASSERT_GE(fd, 0);
	flags = fcntl(fd, F_GETFD);
	EXPECT_TRUE(flags & FD_CLOEXEC);
	close(fd);

	fd = mbox_dev_open(MBOX_DEV_NOCLOEXEC);
	ASSERT_GE(fd, 0);
	flags = fcntl(fd, F_GETFD);
	EXPECT_FALSE(flags & FD_CLOEXEC);
	close(fd);

	EXPECT_EQ(-EINVAL, mbox_dev_open(0x80000000u));

	fd = open(MBOX_DEVICE_PATH, O_RDONLY);
	ASSERT_GE(fd, 0);
	close(fd);
}

TEST_F(dev, version)
{
	struct mbox_version ver;

	ASSERT_EQ(0, mbox_version(self->fd, &ver));
	EXPECT_EQ(MBOX_API_VERSION, ver.api_version);
	EXPECT_EQ(sizeof(ver), ver.size);
	EXPECT_EQ(0, ver.flags);
	EXPECT_EQ(0, ver.__reserved);
	EXPECT_TRUE(ver.features & MBOX_FEAT_VERSION);
	EXPECT_EQ(0, ver.features & ~KNOWN_FEATURES);
	EXPECT_EQ(1, mbox_has_feature(self->fd, MBOX_FEAT_VERSION));
	EXPECT_EQ(0, mbox_has_feature(self->fd, 1ULL << 63));
}

TEST_F(dev, version_size_too_small)
{
	struct mbox_version ver = { 0 };

	ver.size = 0;
	EXPECT_EQ(-EINVAL, raw_ioctl(self->fd, MBOX_IOC_VERSION, &ver));
	ver.size = offsetof(struct mbox_version, features);
	EXPECT_EQ(-EINVAL, raw_ioctl(self->fd, MBOX_IOC_VERSION, &ver));
	EXPECT_EQ(0, ver.api_version);
}

/* A newer caller's longer struct works if the part we do not know is zero. */
TEST_F(dev, version_longer_struct_zero_tail)
{
	struct {
		struct mbox_version v;
		uint8_t future[40];
	} big;

	memset(&big, 0, sizeof(big));
	big.v.size = sizeof(big);
	ASSERT_EQ(0, raw_ioctl(self->fd, MBOX_IOC_VERSION, &big));
	EXPECT_EQ(MBOX_API_VERSION, big.v.api_version);
	for (size_t i = 0; i < sizeof(big.future); i++)
		EXPECT_EQ(0, big.future[i]);
}

TEST_F(dev, version_longer_struct_nonzero_tail)
{
	struct {
		struct mbox_version v;
		uint8_t future[40];
	} big;

	memset(&big, 0, sizeof(big));
	big.v.size = sizeof(big);
	big.future[39] = 1;
	EXPECT_EQ(-E2BIG, raw_ioctl(self->fd, MBOX_IOC_VERSION, &big));
	EXPECT_EQ(0, big.v.api_version);
}

TEST_F(dev, version_size_over_a_page)
{
	long page = sysconf(_SC_PAGESIZE);
	struct mbox_version *ver = calloc(1, 2 * page);

	ASSERT_NE(NULL, ver);
	ver->size = page + 1;
	EXPECT_EQ(-E2BIG, raw_ioctl(self->fd, MBOX_IOC_VERSION, ver));
	ver->size = page;
	EXPECT_EQ(0, raw_ioctl(self->fd, MBOX_IOC_VERSION, ver));
	free(ver);
}

TEST_F(dev, version_flags_and_reserved_rejected)
{
	struct mbox_version ver = { .size = sizeof(ver) };

	ver.flags = 1;
	EXPECT_EQ(-EINVAL, raw_ioctl(self->fd, MBOX_IOC_VERSION, &ver));
	ver.flags = 0x80000000u;
	EXPECT_EQ(-EINVAL, raw_ioctl(self->fd, MBOX_IOC_VERSION, &ver));
	ver.flags = 0;
	ver.__reserved = 1;
	EXPECT_EQ(-EINVAL, raw_ioctl(self->fd, MBOX_IOC_VERSION, &ver));
	EXPECT_EQ(0, ver.api_version);
}

TEST_F(dev, bad_pointers_fault)
{
	long page = sysconf(_SC_PAGESIZE);
	struct mbox_version *ver;
	char *map;

	EXPECT_EQ(-EFAULT, raw_ioctl(self->fd, MBOX_IOC_VERSION, NULL));

	map = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_EQ(0, mprotect(map + page, page, PROT_NONE));

	/* Entirely unmapped. */
	EXPECT_EQ(-EFAULT, raw_ioctl(self->fd, MBOX_IOC_VERSION, map + page));

	/* The size field is readable but the struct runs into the hole. */
	ver = (struct mbox_version *)(map + page - 8);
	ver->size = sizeof(*ver);
	ver->flags = 0;
	EXPECT_EQ(-EFAULT, raw_ioctl(self->fd, MBOX_IOC_VERSION, ver));

	/* Readable but not writable: the result cannot be written back. */
	ver = (struct mbox_version *)map;
	memset(ver, 0, sizeof(*ver));
	ver->size = sizeof(*ver);
	ASSERT_EQ(0, mprotect(map, page, PROT_READ));
	EXPECT_EQ(-EFAULT, raw_ioctl(self->fd, MBOX_IOC_VERSION, ver));
	munmap(map, 2 * page);
}

TEST_F(dev, unknown_commands)
{
	struct mbox_version ver = { .size = sizeof(ver) };

	/* Unused command numbers of our type. */
	EXPECT_EQ(-ENOTTY, raw_ioctl(self->fd, _IO(MBOX_TYPE, 0x7f), &ver));
	EXPECT_EQ(-ENOTTY, raw_ioctl(self->fd, _IO(MBOX_TYPE, 0xff), &ver));
	/* Another driver's type with our number. */
	EXPECT_EQ(-ENOTTY, raw_ioctl(self->fd, _IO('T', MBOX_CMD_VERSION), &ver));
	/* Our number, but with direction and size bits encoded. */
	EXPECT_EQ(-ENOTTY, raw_ioctl(self->fd,
				     _IOWR(MBOX_TYPE, MBOX_CMD_VERSION, struct mbox_version),
				     &ver));
	/* A terminal ioctl on a non-terminal. */
	EXPECT_EQ(-ENOTTY, raw_ioctl(self->fd, TCGETS, &ver));
	EXPECT_EQ(0, ver.api_version);
}

TEST_F(dev, no_data_path_on_the_control_device)
{
	char buf[8];

	EXPECT_EQ(-1, read(self->fd, buf, sizeof(buf)));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, write(self->fd, buf, sizeof(buf)));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, lseek(self->fd, 0, SEEK_SET));
	EXPECT_EQ(ESPIPE, errno);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, 4096, PROT_READ, MAP_SHARED, self->fd, 0));
	EXPECT_EQ(ENODEV, errno);
}

TEST(the_library_rejects_a_non_mbox_descriptor)
{
	struct mbox_version ver;
	int fd = open("/dev/null", O_RDWR);

	ASSERT_GE(fd, 0);
	EXPECT_EQ(-ENOTTY, mbox_version(fd, &ver));
	close(fd);
	EXPECT_EQ(-EBADF, mbox_version(fd, &ver));
}

static int delete_module(const char *name, int flags)
{
	return syscall(SYS_delete_module, name, flags) ? -errno : 0;
}

static int load_module(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int ret;

	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, "", 0) ? -errno : 0;
	close(fd);
	return ret;
}

TEST(unload_refused_while_open)
{
	int fd, ret;

	if (!getenv("MBOX_KO") || geteuid() != 0)
		SKIP(return, "needs root and MBOX_KO (run in the test VM)");
	fd = mbox_dev_open(0);
	ASSERT_GE(fd, 0);
	ret = delete_module("mbox", O_NONBLOCK);
	EXPECT_TRUE(ret == -EWOULDBLOCK || ret == -EBUSY) TH_LOG("delete_module: %d", ret);
	EXPECT_EQ(0, access(MBOX_DEVICE_PATH, F_OK));
	close(fd);
}

TEST(unload_and_reload_after_use)
{
	struct mbox_version ver;
	int fd;

	if (!getenv("MBOX_KO") || geteuid() != 0)
		SKIP(return, "needs root and MBOX_KO (run in the test VM)");
	fd = mbox_dev_open(0);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, mbox_version(fd, &ver));
	close(fd);

	ASSERT_EQ(0, delete_module("mbox", O_NONBLOCK));
	EXPECT_EQ(-1, access(MBOX_DEVICE_PATH, F_OK));
	EXPECT_EQ(-ENOENT, mbox_dev_open(0));

	ASSERT_EQ(0, load_module(getenv("MBOX_KO")));
	fd = mbox_dev_open(0);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(0, mbox_version(fd, &ver));
	close(fd);
}

TEST_HARNESS_MAIN
