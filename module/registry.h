/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mbox: what every named object shares (registry.c): ID, name, IPC
 * namespace, owner, permissions, lifetime, and handing an object out as a
 * descriptor. Below every object type; calls only accounting, limits and
 * the ioctl plumbing.
 *
 * Locking: mbox_registry_lock (mutex, registry.c) protects the ID xarray,
 * the name hash, and every object's @linked, @persistent and @name_node. A
 * lookup takes its reference under it; the last reference is dropped with
 * kref_put_mutex(), so an object found in the tables always has a non-zero
 * count. It nests inside mbox_links_lock (an endpoint is published under
 * that) and outside no other lock of ours but the per-user table's.
 */
#ifndef _MBOX_REGISTRY_H
#define _MBOX_REGISTRY_H

#include <linux/fs.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/types.h>
#include <linux/uidgid.h>
#include <uapi/linux/mbox.h>

struct mbox_ucmd;
struct mbox_user;
struct seq_file;
struct vfsmount;

/* Object types, as tracepoints and /proc/mbox name them. */
enum mbox_type {
	MBOX_TYPE_MAILBOX,
	MBOX_TYPE_ENDPOINT,
	MBOX_TYPE_RING,
	MBOX_TYPE_LINK,
};

struct mbox_obj;

/**
 * struct mbox_obj_ops - what differs between object types
 * @type: enum mbox_type
 * @destroy: free the object; called once the last reference is gone and the
 *	object is out of every table, without locks held
 * @show: append the type's " key=value" pairs to the object's line in
 *	/proc/mbox/objects; called under mbox_registry_lock, must not sleep
 */
struct mbox_obj_ops {
	enum mbox_type type;
	void (*destroy)(struct mbox_obj *obj);
	void (*show)(struct seq_file *m, struct mbox_obj *obj);
};

/**
 * struct mbox_obj - what every named object shares: identity, namespace,
 *	ownership, permissions and lifetime
 * @ref: references: one per open descriptor, one from the registry while a
 *	named object is linked, transient ones from lookups
 * @ops: the type's operations
 * @id: unique while the module is loaded, never reused
 * @ns: the IPC namespace's POSIX mqueue mount, pinned with mntget(): a
 *	token that identifies the namespace while we hold it (see registry.c)
 * @name: NUL-terminated, "" for an anonymous object; set once, when it is
 *	linked (kstrdup(), freed with the object)
 * @name_node: in the name hash while @linked and named
 * @linked: reachable by name and ID (under mbox_registry_lock)
 * @persistent: the registry holds a reference while linked (named objects)
 * @uid: owner
 * @cuid: creator
 * @gid: group
 * @cgid: creator's group
 * @mode: permission bits
 * @user: the creator's accounting, charged one object
 */
struct mbox_obj {
	struct kref ref;
	const struct mbox_obj_ops *ops;
	u64 id;
	struct vfsmount *ns;
	const char *name;
	struct hlist_node name_node;
	bool linked;
	bool persistent;
	kuid_t uid, cuid;
	kgid_t gid, cgid;
	umode_t mode;
	struct mbox_user *user;
};

/**
 * struct mbox_obj_opener - how one command finds or makes a named object
 *	and hands it out as a descriptor (mbox_obj_open_fd())
 * @ops: the object type
 * @uname: the user's pointer to the name, or 0
 * @id: the ID, to open an existing unnamed object
 * @create: make the object if it does not exist
 * @excl: with @create, -EEXIST if it exists
 * @may: MAY_READ and/or MAY_WRITE needed to open an existing object
 * @cloexec: the descriptor is close-on-exec
 * @check: validate the command once the name is known (0 or -errno)
 * @make: a new object, set up with mbox_obj_init(), or an ERR_PTR
 * @open_file: the object's file for this command; it takes over the
 *	caller's object reference only on success
 * @arg: the command, for the callbacks
 */
struct mbox_obj_opener {
	const struct mbox_obj_ops *ops;
	u64 uname;
	u64 id;
	bool create;
	bool excl;
	int may;
	bool cloexec;
	int (*check)(const void *arg, const char *name);
	struct mbox_obj *(*make)(const void *arg);
	struct file *(*open_file)(struct mbox_obj *obj, const void *arg);
	const void *arg;
};

int mbox_name_from_user(char *name, u64 uptr);
int mbox_obj_init(struct mbox_obj *obj, const struct mbox_obj_ops *ops,
		  umode_t mode);
void mbox_obj_fini(struct mbox_obj *obj);
int mbox_obj_link(struct mbox_obj *obj, const char *name);
int mbox_obj_open_fd(struct mbox_ucmd *ucmd, size_t len, u64 *id_out,
		     const struct mbox_obj_opener *op);
int mbox_obj_unlink(const char *name, u64 id, enum mbox_type type);
int mbox_obj_permission(struct mbox_obj *obj, int may);
void mbox_obj_get(struct mbox_obj *obj);
void mbox_obj_put(struct mbox_obj *obj);
bool mbox_obj_is_linked(struct mbox_obj *obj);
int mbox_obj_charge_bytes(struct mbox_user *user, size_t bytes);
void mbox_registry_for_each(struct vfsmount *ns,
			    void (*fn)(struct mbox_obj *obj, void *arg),
			    void *arg);
void mbox_registry_exit(void);

#endif /* _MBOX_REGISTRY_H */
