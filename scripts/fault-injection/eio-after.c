// LD_PRELOAD shim: reads of one file fail with EIO past a byte offset, like a NAS or USB
// disk that stops answering part-way through a file. Everything else reads normally.
//
//   cc -shared -fPIC -O2 -o eio-after.so eio-after.c -ldl
//   AV1D_EIO_PATH=/media/movie.mkv AV1D_EIO_AFTER=600000 LD_PRELOAD=./eio-after.so av1d encode /media/movie.mkv
//
// The file is recognised by device and inode (so every descriptor and name for it counts);
// a read that starts before the offset is cut short at it, one at or past it gets EIO.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

static ssize_t (*real_read)(int, void *, size_t);
static ssize_t (*real_pread64)(int, void *, size_t, off_t);
static ssize_t (*real_readv)(int, const struct iovec *, int);

// Bytes of the target that may still be read at `offset`: -1 for "not the target".
static long long allowance(int fd, off_t offset) {
    const char *path = getenv("AV1D_EIO_PATH"), *after = getenv("AV1D_EIO_AFTER");
    struct stat target, opened;
    if (!path || !after || stat(path, &target) != 0 || fstat(fd, &opened) != 0) return -1;
    if (opened.st_dev != target.st_dev || opened.st_ino != target.st_ino) return -1;
    long long limit = atoll(after);
    return offset >= limit ? 0 : limit - offset;
}

ssize_t read(int fd, void *buffer, size_t count) {
    if (!real_read) real_read = (ssize_t (*)(int, void *, size_t))dlsym(RTLD_NEXT, "read");
    long long left = allowance(fd, lseek(fd, 0, SEEK_CUR));
    if (left == 0) { errno = EIO; return -1; }
    if (left > 0 && (size_t)left < count) count = (size_t)left;
    return real_read(fd, buffer, count);
}

ssize_t pread64(int fd, void *buffer, size_t count, off_t offset) {
    if (!real_pread64) real_pread64 = (ssize_t (*)(int, void *, size_t, off_t))dlsym(RTLD_NEXT, "pread64");
    long long left = allowance(fd, offset);
    if (left == 0) { errno = EIO; return -1; }
    if (left > 0 && (size_t)left < count) count = (size_t)left;
    return real_pread64(fd, buffer, count, offset);
}

ssize_t pread(int fd, void *buffer, size_t count, off_t offset) { return pread64(fd, buffer, count, offset); }

ssize_t readv(int fd, const struct iovec *vector, int parts) {
    if (!real_readv) real_readv = (ssize_t (*)(int, const struct iovec *, int))dlsym(RTLD_NEXT, "readv");
    long long left = allowance(fd, lseek(fd, 0, SEEK_CUR));
    if (left == 0) { errno = EIO; return -1; }
    // A vector read that would cross the offset becomes a plain read of what is left before it.
    size_t total = 0;
    for (int i = 0; i < parts; i++) total += vector[i].iov_len;
    if (left > 0 && (size_t)left < total) return read(fd, vector[0].iov_base, vector[0].iov_len);
    return real_readv(fd, vector, parts);
}
