/*
 * fs.c: bounded reads and crash-safe writes of whole files (see
 * fs.h).
 *
 * Reads grow one buffer up to a caller's bound, retry on EINTR and accept
 * short reads; nothing beyond the bound is ever buffered. Writes go to a
 * fresh temporary file in the target's folder (created O_EXCL|O_CLOEXEC,
 * mode 0600 while it is being written), which is written in full, fsynced,
 * given its final mode, then renamed over the target (or, when the caller
 * must not replace anything, hard-linked to it, which fails if the target
 * exists; renameat2(RENAME_NOREPLACE) is the fallback on file systems
 * without hard links). The folder is fsynced last, so after a crash the
 * target holds either the old content or the new one, never a mix.
 *
 * This file must not print anything or exit: every failure is an api_err
 * for the caller to report. It does not keep copies of what it reads or
 * writes beyond the buffers it hands back (callers holding secrets zero
 * those themselves).
 */
#include "common/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/syscall.h>
#endif

#include "common/bytes.h"

#ifndef PATH_MAX
#define PATH_MAX 4096
#endif

#define FS_READ_CHUNK 65536

api_err fs_read_stream(uint8_t **data, size_t *len, int fd, size_t max)
{
    if (!data || !len || fd < 0) return API_ERR_ARG;
    *data = NULL;
    *len = 0;
    if (max >= SIZE_MAX - 1) max = SIZE_MAX - 2;

    struct stat st;
    size_t cap = FS_READ_CHUNK;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= 0) {
        if ((uint64_t)st.st_size > max) return API_ERR_TOO_LARGE;
        /* one byte more, to see the end of file without a second grow */
        cap = (size_t)st.st_size + 1;
    }
    if (cap > max + 1) cap = max + 1;
    if (cap == 0) cap = 1;

    uint8_t *buf = malloc(cap + 1);
    if (!buf) return API_ERR_NOMEM;
    size_t n = 0;
    for (;;) {
        if (n == cap) {
            if (cap > max) { /* read max + 1 bytes: over the bound */
                free(buf);
                return API_ERR_TOO_LARGE;
            }
            size_t ncap = cap < (max + 1) / 2 ? cap * 2 : max + 1;
            uint8_t *nb = realloc(buf, ncap + 1);
            if (!nb) {
                free(buf);
                return API_ERR_NOMEM;
            }
            buf = nb;
            cap = ncap;
        }
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0) {
            if (errno == EINTR) continue;
            free(buf);
            return API_ERR_IO;
        }
        if (r == 0) break;
        n += (size_t)r;
    }
    if (n > max) {
        free(buf);
        return API_ERR_TOO_LARGE;
    }
    buf[n] = '\0';
    *data = buf;
    *len = n;
    return API_OK;
}

api_err fs_read_file(uint8_t **data, size_t *len, const char *path, size_t max)
{
    if (!data || !len || !path) return API_ERR_ARG;
    *data = NULL;
    *len = 0;
    int fd;
    do fd = open(path, O_RDONLY | O_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    if (fd < 0) return API_ERR_IO;
    api_err e = fs_read_stream(data, len, fd, max);
    close(fd);
    return e;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Splits path into its folder (".", "/" or the part before the last '/'). */
static int dir_of(char *out, size_t outcap, const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash) return snprintf(out, outcap, ".") < (int)outcap ? 0 : -1;
    size_t n = (size_t)(slash - path);
    if (n == 0) n = 1; /* "/name" */
    if (n >= outcap) return -1;
    memcpy(out, path, n);
    out[n] = '\0';
    return 0;
}

static uint64_t tmp_random(void)
{
    uint64_t r = 0;
    if (getentropy(&r, sizeof r) != 0) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        r = ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)ts.tv_sec ^ ((uint64_t)getpid() << 40);
    }
    return r;
}

/* Creates "<dir>/.<name>.tmp-XXXXXXXXXXXX" exclusively, mode 0600. */
static int open_tmp(char *tmp, size_t tmpcap, const char *path)
{
    for (int attempt = 0; attempt < 100; attempt++) {
        const char *slash = strrchr(path, '/');
        size_t dirlen = slash ? (size_t)(slash - path) + 1 : 0;
        const char *name = path + dirlen;
        uint8_t r[8];
        bytes_put_be64(r, tmp_random());
        char suffix[13];
        bytes_to_hex(suffix, r + 2, 6); /* 48 random bits, 12 hex digits */
        int n = snprintf(tmp, tmpcap, "%.*s.%s.tmp-%s", (int)dirlen, path, name, suffix);
        if (n < 0 || (size_t)n >= tmpcap) {
            errno = ENAMETOOLONG;
            return -1;
        }
        int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd >= 0) return fd;
        if (errno != EEXIST && errno != EINTR) return -1;
    }
    errno = EEXIST;
    return -1;
}

static int fsync_dir(const char *path)
{
    char dir[PATH_MAX];
    if (dir_of(dir, sizeof dir, path)) return -1;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return -1;
    int r;
    do r = fsync(fd);
    while (r < 0 && errno == EINTR);
    /* some file systems cannot fsync a folder: nothing more can be done */
    if (r < 0 && (errno == EINVAL || errno == EROFS || errno == ENOTSUP)) r = 0;
    close(fd);
    return r;
}

/* Moves tmp to path without ever replacing an existing path. */
static api_err place_exclusive(const char *tmp, const char *path)
{
    if (link(tmp, path) == 0) {
        unlink(tmp);
        return API_OK;
    }
    if (errno == EEXIST) return API_ERR_EXISTS;
#if defined(__linux__) && defined(SYS_renameat2)
    /* no hard links here (e.g. some FUSE or FAT mounts) */
    if (syscall(SYS_renameat2, AT_FDCWD, tmp, AT_FDCWD, path, 1u /* RENAME_NOREPLACE */) == 0) return API_OK;
    if (errno == EEXIST) return API_ERR_EXISTS;
#endif
    return API_ERR_IO;
}

static api_err write_atomic(const char *path, const void *data, size_t len, unsigned mode, int exclusive,
                            int durable);

api_err fs_write_atomic(const char *path, const void *data, size_t len, unsigned mode, int exclusive)
{
    return write_atomic(path, data, len, mode, exclusive, 1);
}

api_err fs_write_batched(const char *path, const void *data, size_t len, unsigned mode, int exclusive)
{
    return write_atomic(path, data, len, mode, exclusive, 0);
}

api_err fs_sync_folder(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return API_ERR_IO;
    int r;
#ifdef __linux__
    do r = (int)syscall(SYS_syncfs, fd);
    while (r < 0 && errno == EINTR);
#else
    sync();
    r = 0;
#endif
    if (r == 0) {
        do r = fsync(fd);
        while (r < 0 && errno == EINTR);
        if (r < 0 && (errno == EINVAL || errno == EROFS)) r = 0; /* folders that cannot be fsynced */
    }
    close(fd);
    return r == 0 ? API_OK : API_ERR_IO;
}

static api_err write_atomic(const char *path, const void *data, size_t len, unsigned mode, int exclusive,
                            int durable)
{
    char tmp[PATH_MAX];
    if (!path || !*path || (!data && len) || (mode & ~07777u)) return API_ERR_ARG;
    if (path[strlen(path) - 1] == '/') return API_ERR_ARG;
    if (exclusive) {
        struct stat st;
        if (lstat(path, &st) == 0) return API_ERR_EXISTS; /* early answer; link() decides */
    }

    int fd = open_tmp(tmp, sizeof tmp, path);
    if (fd < 0) return API_ERR_IO;
    api_err e = API_OK;
    if (write_all(fd, data, len)) e = API_ERR_IO;
    if (!e && durable) {
        int r;
        do r = fsync(fd);
        while (r < 0 && errno == EINTR);
        if (r < 0) e = API_ERR_IO;
    }
    if (!e && fchmod(fd, (mode_t)mode) < 0) e = API_ERR_IO;
    if (close(fd) < 0 && !e) e = API_ERR_IO;
    if (!e) {
        if (exclusive)
            e = place_exclusive(tmp, path);
        else if (rename(tmp, path) < 0)
            e = API_ERR_IO;
    }
    if (e) {
        unlink(tmp);
        return e;
    }
    if (!durable) return API_OK;
    return fsync_dir(path) == 0 ? API_OK : API_ERR_IO;
}

api_err fs_mkdirs(const char *path, unsigned mode)
{
    char buf[PATH_MAX];
    if (!path || !*path || (mode & ~07777u)) return API_ERR_ARG;
    size_t n = strlen(path);
    if (n >= sizeof buf) return API_ERR_TOO_LARGE;
    memcpy(buf, path, n + 1);
    while (n > 1 && buf[n - 1] == '/') buf[--n] = '\0';

    for (size_t i = 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != '\0') continue;
        if (buf[i - 1] == '/') continue; /* "a//b" */
        char saved = buf[i];
        buf[i] = '\0';
        if (mkdir(buf, (mode_t)mode) < 0) {
            /* an existing folder is fine, whatever mkdir said (EEXIST, EROFS, EACCES) */
            struct stat st;
            int err = errno;
            if (stat(buf, &st) < 0 || !S_ISDIR(st.st_mode))
                return err == EEXIST || err == ENOTDIR ? API_ERR_EXISTS : API_ERR_IO;
        }
        buf[i] = saved;
    }
    return API_OK;
}

int fs_join(char *out, size_t outcap, const char *dir, const char *name)
{
    if (!out || outcap == 0 || !dir || !name) return -1;
    size_t dl = strlen(dir);
    while (dl > 1 && dir[dl - 1] == '/') dl--;
    while (*name == '/') name++;
    size_t nl = strlen(name);
    int sep = dl > 0 && dir[dl - 1] != '/';
    if (dl + (size_t)sep + nl >= outcap) return -1;
    memcpy(out, dir, dl);
    if (sep) out[dl] = '/';
    memcpy(out + dl + (size_t)sep, name, nl);
    out[dl + (size_t)sep + nl] = '\0';
    return 0;
}
