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

/// statfs(path)->f_type: the file system's magic number (linux/magic.h), or -1 with errno set.
/// Glibc's Swift module does not export sys/vfs.h.
long av1d_filesystem_magic(const char *path);

#endif
