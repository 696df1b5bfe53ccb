#include "CLinuxShims.h"
#include <sched.h>
#include <stdlib.h>
#include <errno.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/vfs.h>
#include <sys/syscall.h>
#include <stdio.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/xattr.h>
#include <sys/prctl.h>
#include <linux/capability.h>
#include <malloc.h>

// A dynamically sized set: machines with more than CPU_SETSIZE (1024) CPUs exist.
enum { AV1D_MAX_CPUS = 8192 };

int av1d_set_thread_affinity(pid_t tid, const int *cpus, int count) {
    cpu_set_t *set = CPU_ALLOC(AV1D_MAX_CPUS);
    if (set == NULL) { errno = ENOMEM; return -1; }
    size_t size = CPU_ALLOC_SIZE(AV1D_MAX_CPUS);
    CPU_ZERO_S(size, set);
    for (int i = 0; i < count; i++) {
        if (cpus[i] < 0 || cpus[i] >= AV1D_MAX_CPUS) { CPU_FREE(set); errno = EINVAL; return -1; }
        CPU_SET_S(cpus[i], size, set);
    }
    int rc = sched_setaffinity(tid, size, set);
    int saved = errno;
    CPU_FREE(set);
    errno = saved;
    return rc;
}

int av1d_get_thread_affinity(pid_t tid, int *out, int capacity) {
    cpu_set_t *set = CPU_ALLOC(AV1D_MAX_CPUS);
    if (set == NULL) { errno = ENOMEM; return -1; }
    size_t size = CPU_ALLOC_SIZE(AV1D_MAX_CPUS);
    CPU_ZERO_S(size, set);
    if (sched_getaffinity(tid, size, set) != 0) { int saved = errno; CPU_FREE(set); errno = saved; return -1; }
    int n = 0;
    for (int cpu = 0; cpu < AV1D_MAX_CPUS && n < capacity; cpu++) {
        if (CPU_ISSET_S(cpu, size, set)) out[n++] = cpu;
    }
    CPU_FREE(set);
    return n;
}

int av1d_accept_cloexec(int fd) {
    return accept4(fd, NULL, NULL, SOCK_CLOEXEC);
}

long av1d_filesystem_magic(const char *path) {
    struct statfs info;
    if (statfs(path, &info) != 0) return -1;
    return (long)info.f_type;
}

int av1d_rename_noreplace(int olddirfd, const char *oldname, int newdirfd, const char *newname) {
    return renameat2(olddirfd, oldname, newdirfd, newname, RENAME_NOREPLACE);
}

int av1d_rename_exchange(int olddirfd, const char *oldname, int newdirfd, const char *newname) {
    return renameat2(olddirfd, oldname, newdirfd, newname, RENAME_EXCHANGE);
}

int av1d_open_beneath(int dirfd, const char *path, int flags, int follow_symlinks) {
    struct open_how how = {0};
    how.flags = (unsigned long long)(flags | O_CLOEXEC);
    how.resolve = RESOLVE_NO_MAGICLINKS | (follow_symlinks ? 0 : RESOLVE_BENEATH);
    return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof how);
}

int av1d_copy_xattrs(int from, int to) {
    ssize_t size = flistxattr(from, NULL, 0);
    if (size < 0) return errno == ENOTSUP ? 0 : -1;
    if (size == 0) return 0;
    char *names = malloc((size_t)size);
    if (names == NULL) { errno = ENOMEM; return -1; }
    size = flistxattr(from, names, (size_t)size);
    if (size < 0) { int saved = errno; free(names); errno = saved; return saved == ENOTSUP ? 0 : -1; }
    int rc = 0;
    for (char *name = names; name < names + size && rc == 0; name += strlen(name) + 1) {
        ssize_t length = fgetxattr(from, name, NULL, 0);
        if (length < 0) { rc = -1; break; }
        char *value = malloc(length > 0 ? (size_t)length : 1);
        if (value == NULL) { errno = ENOMEM; rc = -1; break; }
        length = fgetxattr(from, name, value, (size_t)length);
        if (length < 0 || fsetxattr(to, name, value, (size_t)length, 0) != 0) {
            if (length >= 0 && (errno == EPERM || errno == ENOTSUP)) errno = 0; else rc = -1;
        }
        int saved = errno;
        free(value);
        errno = saved;
    }
    int saved = errno;
    free(names);
    errno = saved;
    return rc;
}

int av1d_drop_capabilities(void) {
    // EINVAL: a kernel before 4.3 has no ambient set, so there is nothing to clear.
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL) return -1;
    struct __user_cap_header_struct header = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
    struct __user_cap_data_struct none[_LINUX_CAPABILITY_U32S_3];
    memset(none, 0, sizeof none);
    return (int)syscall(SYS_capset, &header, none);
}

int av1d_malloc_set_mmap_threshold(int bytes) {
    return mallopt(M_MMAP_THRESHOLD, bytes);
}

size_t av1d_malloc_mapped_bytes(void) {
    return mallinfo2().hblkhd;
}

int av1d_pipe_cloexec(int fds[2]) {
    return pipe2(fds, O_CLOEXEC);
}
