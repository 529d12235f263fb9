/*
 * fs.h: small, careful file helpers shared by the tools.
 *
 * Writes are atomic (temporary file in the same folder, fsync, rename,
 * fsync of the folder) so that a crash never leaves half a file; secret
 * files are created 0600.
 */
#ifndef API_FSUTIL_H
#define API_FSUTIL_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

/*
 * Reads a whole file into a malloc'd buffer (NUL-terminated for
 * convenience, the NUL not counted in *len). Refuses files over max bytes
 * with API_ERR_TOO_LARGE. The caller frees *data.
 */
api_err fs_read_file(uint8_t **data, size_t *len, const char *path, size_t max);

/* Reads all of a stream (e.g. stdin) like fs_read_file. */
api_err fs_read_stream(uint8_t **data, size_t *len, int fd, size_t max);

/*
 * Writes data to path atomically with the given mode (e.g. 0600, 0644).
 * With exclusive set, refuses to replace an existing file (API_ERR_EXISTS).
 */
api_err fs_write_atomic(const char *path, const void *data, size_t len, unsigned mode, int exclusive);

/*
 * The same, without the two fsyncs: for a batch of files in one folder,
 * made durable together by one fs_sync_folder at the end. A crash before
 * that may lose some of the files, never leave one half written.
 */
api_err fs_write_batched(const char *path, const void *data, size_t len, unsigned mode, int exclusive);

/* Flushes the file system holding dir (syncfs) and the folder itself. */
api_err fs_sync_folder(const char *dir);

/* Creates a folder (and its parents) with the given mode if missing. */
api_err fs_mkdirs(const char *path, unsigned mode);

/* Joins dir and name with one '/' into out (capacity outcap); -1 if too long. */
int fs_join(char *out, size_t outcap, const char *dir, const char *name);

#endif
