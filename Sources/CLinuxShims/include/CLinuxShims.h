#ifndef AV1D_CLINUXSHIMS_H
#define AV1D_CLINUXSHIMS_H

#include <sys/types.h>

/// Restricts thread `tid` (0 = the calling thread) to the `count` CPUs listed.
/// Returns 0 or -1 with errno set. CPU_SET and friends are macros, hence this wrapper.
int av1d_set_thread_affinity(pid_t tid, const int *cpus, int count);

/// Writes the CPUs thread `tid` may run on into `out` (up to `capacity`).
/// Returns how many were written, or -1 with errno set.
int av1d_get_thread_affinity(pid_t tid, int *out, int capacity);

/// accept4(fd, NULL, NULL, SOCK_CLOEXEC): the accepted socket is close-on-exec from its first
/// instant, so a worker forked meanwhile cannot inherit it. Glibc's Swift module hides accept4.
int av1d_accept_cloexec(int fd);

/// pipe2(fds, O_CLOEXEC): both ends close-on-exec from their first instant, so a process spawned
/// meanwhile by another thread cannot inherit them. Glibc's Swift module hides pipe2.
int av1d_pipe_cloexec(int fds[2]);

/// statfs(path)->f_type: the file system's magic number (linux/magic.h), or -1 with errno set.
/// Glibc's Swift module does not export sys/vfs.h.
long av1d_filesystem_magic(const char *path);

/// renameat2(olddirfd, oldname, newdirfd, newname, RENAME_NOREPLACE): fails with EEXIST instead of
/// replacing `newname`. Errno EINVAL or ENOSYS when the file system or kernel cannot do it.
int av1d_rename_noreplace(int olddirfd, const char *oldname, int newdirfd, const char *newname);

/// renameat2(..., RENAME_EXCHANGE): swaps two names atomically; neither file is ever lost.
int av1d_rename_exchange(int olddirfd, const char *oldname, int newdirfd, const char *newname);

/// openat2(dirfd, path, {flags, RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS}): opens `path` only if it
/// resolves beneath `dirfd` without leaving it through "..", an absolute symlink or a symlink out.
/// Errno ENOSYS on kernels before 5.6; EXDEV when the path escapes.
int av1d_open_beneath(int dirfd, const char *path, int flags, int follow_symlinks);

/// Copies every extended attribute of open file `from` to open file `to`. A file system without
/// extended attributes on either side (ENOTSUP) copies nothing and succeeds; an attribute the
/// process may not set (EPERM: trusted.*, security.* without privilege) is left out.
/// Returns 0 or -1 with errno set.
int av1d_copy_xattrs(int from, int to);

/// Gives up every capability of the calling thread (effective, permitted, inheritable) and clears
/// the ambient set, so programs it starts get none either. Threads created afterwards inherit
/// that; threads that already exist keep theirs, so call it before any are started.
/// Returns 0 or -1 with errno set.
int av1d_drop_capabilities(void);

/// mallopt(M_MMAP_THRESHOLD, bytes): blocks of at least `bytes` get pages of their own (mmap) and
/// give them back when freed; setting it also stops glibc from raising it after each free.
/// Returns 1 on success, 0 on failure. Glibc's Swift module does not export malloc.h.
int av1d_malloc_set_mmap_threshold(int bytes);

/// mallinfo2().hblkhd: bytes currently held in mmapped blocks.
size_t av1d_malloc_mapped_bytes(void);

#endif
