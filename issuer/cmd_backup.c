/*
 * cmd_backup.c: api-issuer's backup and restore (cmd_int.h).
 *
 * backup writes one file holding the issuer's folder: every regular file
 * at its top (issuer.json, issuer.pub, issuer.key as it is on disk, still
 * encrypted, or whatever else the folder holds, such as the reference to
 * a token) and a compacted copy of the registry, taken in one LMDB read
 * transaction, so that `serve` and the commands may write meanwhile. The
 * file is written to a temporary name, flushed and renamed (0600): it is
 * whole or absent.
 *
 * The container, simple enough to read by hand:
 *
 *   "APIBACKUP1\n"                           11 bytes
 *   per file: 0x01 | name length u16 | name | mode u32 | size u64 | bytes
 *   0x00 | SHA-256 of every byte before it    33 bytes, then the end
 *
 * Integers are big-endian; names are "registry/data.mdb" or a plain file
 * name ([A-Za-z0-9._-], not starting with a dot). A file that does not end
 * exactly so (damaged, truncated, with trailing bytes) is refused.
 *
 * restore writes the files into an empty or new folder, then, so that
 * nothing published is lost: reads the issuer's own feed from each
 * --recover-from source (a verifier's mirror or the issuer's old address),
 * checks every object with the key of the backup and the chain from the
 * snapshot to the checkpoint, and takes the furthest source's state: each
 * attestation gets the published status and extension, unless the
 * backup's own unpublished events changed it later; indices it does not
 * know (attestations issued after the backup) keep their published state.
 * It moves the index allocator past every index the feed named and
 * RESTORE_INDEX_MARGIN further (attestations issued after the backup that
 * never changed are not in any feed), and starts a new feed epoch: the
 * log is emptied and the first snapshot of the new epoch, at seq 0, holds
 * the whole state. The federation records the epoch (api-federation
 * set-epoch); until then verifiers refuse the new feed and report a fork,
 * and keep answering from what they hold.
 *
 * A restore that fails after writing removes what it wrote, so it can be
 * run again.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "common/bytes.h"
#include "common/cli.h"
#include "common/fs.h"
#include "common/jsonfile.h"
#include "http/httpc.h"
#include "issuer/cmd_int.h"
#include "issuer/issuance.h"
#include "issuer/registry.h"
#include "qr/claims.h"
#include "qr/cose.h"
#include "qr/feed.h"
#include "qr/qrtext.h"
#include "qr/status.h"

#define BACKUP_MAGIC         "APIBACKUP1\n"
#define BACKUP_MAGIC_LEN     11
#define BACKUP_REGISTRY_NAME "registry/data.mdb"
#define BACKUP_NAME_MAX      64
#define BACKUP_MAX_FILES     32
#define BACKUP_SMALL_MAX     (1u << 20) /* a file beside the registry: 1 MiB at most */
#define BACKUP_CHUNK         (64u << 10)
#define RESTORE_INDEX_MARGIN 10000u /* indices skipped after the last one the feed named */
#define RESTORE_TIMEOUT_MS   15000

/* ---- writing ---- */

typedef struct {
    int fd;
    crypto_hash_sha256_state h;
    int err; /* errno of the first failed write */
} bk_out;

static void bk_write(bk_out *o, const void *data, size_t len)
{
    crypto_hash_sha256_update(&o->h, data, len);
    const uint8_t *p = data;
    while (len && !o->err) {
        ssize_t n = write(o->fd, p, len);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            o->err = n < 0 ? errno : ENOSPC;
            break;
        }
        p += n;
        len -= (size_t)n;
    }
}

static void bk_file_head(bk_out *o, const char *name, unsigned mode, uint64_t size)
{
    uint8_t head[1 + 2 + BACKUP_NAME_MAX + 4 + 8];
    size_t n = strlen(name), at = 0;
    head[at++] = 1;
    head[at++] = (uint8_t)(n >> 8);
    head[at++] = (uint8_t)n;
    memcpy(head + at, name, n);
    at += n;
    bytes_put_be32(head + at, mode & 0777);
    at += 4;
    bytes_put_be64(head + at, size);
    at += 8;
    bk_write(o, head, at);
}

/* Copies size bytes of fd (from its start) into the backup. */
static void bk_copy_fd(bk_out *o, int fd, uint64_t size)
{
    static uint8_t buf[BACKUP_CHUNK];
    if (lseek(fd, 0, SEEK_SET) != 0) {
        o->err = errno;
        return;
    }
    while (size && !o->err) {
        size_t want = size < sizeof buf ? (size_t)size : sizeof buf;
        ssize_t n = read(fd, buf, want);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            o->err = n < 0 ? errno : EIO;
            break;
        }
        bk_write(o, buf, (size_t)n);
        size -= (uint64_t)n;
    }
}

/* Whether name may be a file of the container beside the registry. */
static int bk_name_ok(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > BACKUP_NAME_MAX || name[0] == '.') return 0;
    for (size_t i = 0; i < n; i++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-", name[i])) return 0;
    return 1;
}

static int bk_name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The top-level regular files of dir, sorted (malloc'd names); their count, or -1. */
static int bk_list(const char *dir, char *names[BACKUP_MAX_FILES])
{
    DIR *d = opendir(dir);
    if (!d) return -1;
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        char path[4096];
        struct stat st;
        if (!bk_name_ok(de->d_name) || fs_join(path, sizeof path, dir, de->d_name) != 0 ||
            stat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        if (n == BACKUP_MAX_FILES) break;
        names[n] = strdup(de->d_name);
        if (names[n]) n++;
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof *names, bk_name_cmp);
    return n;
}

/* The folder of path (its parent, "." for a bare name). */
static void bk_folder(char *out, size_t cap, const char *path)
{
    snprintf(out, cap, "%s", path);
    char *slash = strrchr(out, '/');
    if (!slash)
        snprintf(out, cap, ".");
    else if (slash == out)
        out[1] = 0;
    else
        *slash = 0;
}

static _Noreturn void bk_fail_write(const char *tmp, int err)
{
    unlink(tmp);
    if (err == ENOSPC || err == EFBIG || err == EDQUOT)
        cli_fail(ISS_EXIT_IO, "the disk is full: no backup written (%s)", strerror(err));
    cli_fail(ISS_EXIT_IO, "cannot write the backup: %s", strerror(err));
}

int iss_cmd_backup(const void *opts)
{
    const iss_opts *o = opts;
    iss_require(o->dir, "--dir");
    iss_require(o->out, "--out");
    issuer_config cfg;
    iss_load_config(&cfg, o->dir);
    char tmp[4096], regtmp[4096], folder[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp.XXXXXX", o->out) >= (int)sizeof tmp ||
        snprintf(regtmp, sizeof regtmp, "%s.reg.XXXXXX", o->out) >= (int)sizeof regtmp)
        cli_fail(ISS_EXIT_USAGE, "--out: path too long");
    bk_folder(folder, sizeof folder, o->out);

    /* The registry first, into an unlinked temporary file beside the output. */
    registry *reg = iss_open_registry(o);
    int rfd = mkstemp(regtmp);
    if (rfd < 0) cli_fail(ISS_EXIT_IO, "cannot write in %s: %s", folder, strerror(errno));
    unlink(regtmp);
    char err[256] = "";
    api_err e = registry_backup_copy(reg, rfd, err, sizeof err);
    registry_close(reg);
    if (e == API_ERR_FULL) cli_fail(ISS_EXIT_IO, "the disk is full: no backup written (%s)", err);
    if (e != API_OK) cli_fail(ISS_EXIT_IO, "cannot copy the registry: %s", err);
    struct stat rst;
    if (fstat(rfd, &rst) != 0) cli_fail(ISS_EXIT_IO, "cannot copy the registry: %s", strerror(errno));

    bk_out out = {.fd = -1};
    out.fd = mkstemp(tmp);
    if (out.fd < 0) cli_fail(ISS_EXIT_IO, "cannot write in %s: %s", folder, strerror(errno));
    if (fchmod(out.fd, 0600) != 0) bk_fail_write(tmp, errno);
    crypto_hash_sha256_init(&out.h);
    bk_write(&out, BACKUP_MAGIC, BACKUP_MAGIC_LEN);
    char *names[BACKUP_MAX_FILES];
    int n = bk_list(o->dir, names);
    if (n < 0) bk_fail_write(tmp, errno);
    size_t files = 0;
    for (int i = 0; i < n; i++) {
        char path[4096];
        uint8_t *data = NULL;
        size_t len = 0;
        struct stat st;
        if (fs_join(path, sizeof path, o->dir, names[i]) != 0 || stat(path, &st) != 0 ||
            fs_read_file(&data, &len, path, BACKUP_SMALL_MAX) != API_OK) {
            unlink(tmp);
            cli_fail(ISS_EXIT_IO, "cannot read %s/%s", o->dir, names[i]);
        }
        bk_file_head(&out, names[i], (unsigned)st.st_mode, len);
        bk_write(&out, data, len);
        sodium_memzero(data, len);
        free(data);
        free(names[i]);
        files++;
    }
    bk_file_head(&out, BACKUP_REGISTRY_NAME, 0600, (uint64_t)rst.st_size);
    bk_copy_fd(&out, rfd, (uint64_t)rst.st_size);
    close(rfd);
    uint8_t end = 0, sum[crypto_hash_sha256_BYTES];
    bk_write(&out, &end, 1);
    crypto_hash_sha256_final(&out.h, sum);
    crypto_hash_sha256_init(&out.h); /* the sum itself is not hashed */
    bk_write(&out, sum, sizeof sum);
    if (!out.err && fsync(out.fd) != 0) out.err = errno;
    if (close(out.fd) != 0 && !out.err) out.err = errno;
    if (out.err) bk_fail_write(tmp, out.err);
    if (rename(tmp, o->out) != 0) bk_fail_write(tmp, errno);
    fs_sync_folder(folder);
    printf("backup of %s written to %s: %zu files and the registry (%lld bytes)\n", cfg.id, o->out, files,
           (long long)rst.st_size);
    return ISS_EXIT_OK;
}

/* ---- reading ---- */

typedef struct {
    FILE *f;
    const char *from;
    crypto_hash_sha256_state h;
    const char *dir;
    char *written[BACKUP_MAX_FILES + 1]; /* what was written, to take it back */
    size_t n_written;
    int made_dir, made_registry;
} rs_ctx;

/* Removes what the restore wrote (and the registry's lock file), so that it may run again. */
static void rs_undo(rs_ctx *c)
{
    char path[4096];
    for (size_t i = 0; i < c->n_written; i++) {
        if (fs_join(path, sizeof path, c->dir, c->written[i]) == 0) unlink(path);
        free(c->written[i]);
    }
    c->n_written = 0;
    if (fs_join(path, sizeof path, c->dir, "registry/lock.mdb") == 0) unlink(path);
    if (c->made_registry && fs_join(path, sizeof path, c->dir, "registry") == 0) rmdir(path);
    if (c->made_dir) rmdir(c->dir);
}

/* The restore under way: what it wrote is taken back at any exit before it succeeded. */
static rs_ctx *rs_pending;

static void rs_at_exit(void)
{
    if (rs_pending) rs_undo(rs_pending);
    rs_pending = NULL;
}

/* Says what went wrong and exits with code; rs_at_exit takes back what was written. */
static _Noreturn __attribute__((format(printf, 3, 4))) void rs_fail(rs_ctx *c, int code, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    (void)c;
    cli_fail(code, "%s", msg);
}

/* The message of a container that does not read. */
#define RS_DAMAGED(c, why)                                                                                   \
    rs_fail(c, ISS_EXIT_USAGE, "%s: damaged or truncated backup file (%s); nothing restored", (c)->from, why)

/* Reads exactly len bytes (hashed unless the end's); 0, or -1 at a short read. */
static int rs_read(rs_ctx *c, void *buf, size_t len, int hash)
{
    if (len && fread(buf, 1, len, c->f) != len) return -1;
    if (hash) crypto_hash_sha256_update(&c->h, buf, len);
    return 0;
}

/* Whether name may be written by a restore: the registry's file or a plain name. */
static int rs_name_ok(const char *name)
{
    return strcmp(name, BACKUP_REGISTRY_NAME) == 0 || bk_name_ok(name);
}

/* One file of the container, after its kind byte: into the folder. */
static void rs_file(rs_ctx *c)
{
    uint8_t b2[2], b12[12];
    char name[BACKUP_NAME_MAX + 1];
    if (rs_read(c, b2, 2, 1) != 0) RS_DAMAGED(c, "a name is cut");
    size_t n = (size_t)b2[0] << 8 | b2[1];
    if (n == 0 || n > BACKUP_NAME_MAX || rs_read(c, name, n, 1) != 0) RS_DAMAGED(c, "a bad name");
    name[n] = 0;
    if (!rs_name_ok(name) || memchr(name, 0, n)) RS_DAMAGED(c, "a bad name");
    for (size_t i = 0; i < c->n_written; i++)
        if (strcmp(c->written[i], name) == 0) RS_DAMAGED(c, "a name twice");
    if (c->n_written == BACKUP_MAX_FILES + 1) RS_DAMAGED(c, "too many files");
    if (rs_read(c, b12, 12, 1) != 0) RS_DAMAGED(c, "a file head is cut");
    unsigned mode = bytes_get_be32(b12) & 0644; /* never executable, never group-writable */
    uint64_t size = bytes_get_be64(b12 + 4);
    int is_registry = strcmp(name, BACKUP_REGISTRY_NAME) == 0;
    if (!is_registry && size > BACKUP_SMALL_MAX) RS_DAMAGED(c, "a file too large");
    if (is_registry) mode = 0600;
    char path[4096];
    if (fs_join(path, sizeof path, c->dir, name) != 0)
        rs_fail(c, ISS_EXIT_USAGE, "%s: %s: path too long", c->from, name);
    if (is_registry) {
        char rdir[4096];
        if (fs_join(rdir, sizeof rdir, c->dir, "registry") != 0 || mkdir(rdir, 0700) != 0)
            rs_fail(c, ISS_EXIT_IO, "%s: cannot create the registry folder: %s", c->dir, strerror(errno));
        c->made_registry = 1;
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode ? mode : 0600);
    if (fd < 0) rs_fail(c, ISS_EXIT_IO, "%s: cannot write: %s", path, strerror(errno));
    c->written[c->n_written++] = strdup(name);
    static uint8_t buf[BACKUP_CHUNK];
    int werr = 0;
    while (size) {
        size_t want = size < sizeof buf ? (size_t)size : sizeof buf;
        if (rs_read(c, buf, want, 1) != 0) {
            close(fd);
            RS_DAMAGED(c, "a file is cut");
        }
        size_t off = 0;
        while (off < want && !werr) {
            ssize_t w = write(fd, buf + off, want - off);
            if (w < 0 && errno == EINTR) continue;
            if (w <= 0)
                werr = w < 0 ? errno : ENOSPC;
            else
                off += (size_t)w;
        }
        if (werr) break;
        size -= want;
    }
    if (!werr && fsync(fd) != 0) werr = errno;
    if (close(fd) != 0 && !werr) werr = errno;
    if (werr == ENOSPC || werr == EFBIG || werr == EDQUOT)
        rs_fail(c, ISS_EXIT_IO, "%s: the disk is full: nothing restored (%s)", c->dir, strerror(werr));
    if (werr) rs_fail(c, ISS_EXIT_IO, "%s: cannot write: %s", path, strerror(werr));
}

/* Whether dir is absent or an empty folder. */
static int rs_dir_empty(const char *dir, int *exists)
{
    *exists = 0;
    DIR *d = opendir(dir);
    if (!d) return errno == ENOENT;
    *exists = 1;
    struct dirent *de;
    int empty = 1;
    while (empty && (de = readdir(d)) != NULL)
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) empty = 0;
    closedir(d);
    return empty;
}

/* Reads the whole container into c->dir, checking its hash; or undoes and exits. */
static void rs_extract(rs_ctx *c)
{
    uint8_t magic[BACKUP_MAGIC_LEN], kind, sum[crypto_hash_sha256_BYTES], want[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_init(&c->h);
    if (rs_read(c, magic, sizeof magic, 1) != 0 || memcmp(magic, BACKUP_MAGIC, BACKUP_MAGIC_LEN) != 0)
        cli_fail(ISS_EXIT_USAGE, "%s: not a backup of api-issuer", c->from);
    int exists;
    if (!rs_dir_empty(c->dir, &exists))
        cli_fail(ISS_EXIT_IO, "%s is not empty: restore writes only into an empty or new folder", c->dir);
    if (!exists) {
        if (fs_mkdirs(c->dir, 0700) != API_OK) cli_fail(ISS_EXIT_IO, "cannot create %s", c->dir);
        c->made_dir = 1;
    }
    rs_pending = c;
    atexit(rs_at_exit);
    for (;;) {
        if (rs_read(c, &kind, 1, 1) != 0) RS_DAMAGED(c, "no end");
        if (kind == 0) break;
        if (kind != 1) RS_DAMAGED(c, "an unknown part");
        rs_file(c);
    }
    crypto_hash_sha256_final(&c->h, sum);
    if (rs_read(c, want, sizeof want, 0) != 0) RS_DAMAGED(c, "the checksum is cut");
    if (sodium_memcmp(sum, want, sizeof sum) != 0) RS_DAMAGED(c, "the checksum does not match");
    if (fgetc(c->f) != EOF) RS_DAMAGED(c, "bytes after the end");
    static const char *const needed[] = {"issuer.json", "issuer.pub", BACKUP_REGISTRY_NAME};
    for (size_t i = 0; i < sizeof needed / sizeof needed[0]; i++) {
        size_t j = 0;
        while (j < c->n_written && strcmp(c->written[j], needed[i]) != 0) j++;
        if (j == c->n_written)
            rs_fail(c, ISS_EXIT_USAGE, "%s: the backup has no %s; nothing restored", c->from, needed[i]);
    }
    fs_sync_folder(c->dir);
}

/* ---- recovering what was published ---- */

/* The published state of the issuer's feed, as one source gives it. */
typedef struct {
    uint8_t *bits;    /* FEED_LIST_BYTES */
    int64_t *ext;     /* FEED_LIST_SIZE */
    uint8_t *touched; /* FEED_LIST_SIZE bits */
    uint64_t epoch, seq, segments;
} rs_state;

static void rs_state_free(rs_state *s)
{
    free(s->bits);
    free(s->ext);
    free(s->touched);
    memset(s, 0, sizeof *s);
}

static void rs_touch(rs_state *s, uint32_t idx)
{
    s->touched[idx / 8] |= (uint8_t)(1u << (idx % 8));
}

/* GET base/feed/v1/ID/what: 0 with a 200 body, 1 for a 404, -1 otherwise (why says). */
static int rs_get(const char *base, const char *id, const char *what, size_t max, httpc_response *r,
                  char *why, size_t whycap)
{
    char path[256], url[HTTPC_URL_MAX + 1];
    snprintf(path, sizeof path, "/feed/v1/%s/%s", id, what);
    memset(r, 0, sizeof *r);
    if (httpc_join(url, sizeof url, base, path) != 0) {
        snprintf(why, whycap, "URL too long");
        return -1;
    }
    api_err e = httpc_get(r, url, max, RESTORE_TIMEOUT_MS);
    if (e != API_OK) {
        snprintf(why, whycap, "%s: unreachable (%s)", what, api_strerror(e));
        return -1;
    }
    if (r->status == 200) return 0;
    snprintf(why, whycap, "%s: HTTP %d", what, r->status);
    httpc_response_free(r);
    return r->status == 404 ? 1 : -1;
}

/* Checks a feed object's signature with the issuer's key and its issuer id. */
static int rs_signed(const cose_sign1 *msg, const char *iss, const issuer_config *cfg, const char *what,
                     char *why, size_t whycap)
{
    if (cose_sign1_verify(msg, cfg->pk) != API_OK) {
        snprintf(why, whycap, "%s: not signed by this issuer's key", what);
        return -1;
    }
    if (strcmp(iss, cfg->id) != 0) {
        snprintf(why, whycap, "%s: of issuer %s", what, iss);
        return -1;
    }
    return 0;
}

/* Applies one published event to the state. */
static void rs_apply(rs_state *s, const feed_event *ev)
{
    uint32_t idx = ev->idx & (FEED_LIST_SIZE - 1);
    rs_touch(s, idx);
    if (ev->kind == FEED_EVENT_STATUS)
        feed_bits_set(s->bits, idx, (unsigned)ev->value);
    else if (ev->value > s->ext[idx])
        s->ext[idx] = ev->value;
}

/* The snapshot of the source (or none): the state it starts from, and its seq and head. */
static int rs_snapshot(const char *base, const issuer_config *cfg, const feed_checkpoint *cp, rs_state *s,
                       uint8_t head[FEED_HEAD_LEN], char *why, size_t whycap)
{
    httpc_response r;
    int got = rs_get(base, cfg->id, "snapshot", FEED_MAX_SNAPSHOT_COSE, &r, why, whycap);
    if (got == 1) return 0; /* none: the segments from seq 1 */
    if (got != 0) return -1;
    feed_snapshot snap;
    cose_sign1 msg;
    int rc = -1;
    if (feed_snapshot_parse(&snap, &msg, r.body, r.len) != API_OK) {
        snprintf(why, whycap, "snapshot: not a feed snapshot");
    } else if (rs_signed(&msg, snap.at.iss, cfg, "snapshot", why, whycap) == 0) {
        if (snap.at.epoch != cp->epoch || snap.at.seq > cp->seq) {
            snprintf(why, whycap, "snapshot: not of the checkpoint's feed");
        } else {
            memcpy(s->bits, snap.bits, FEED_LIST_BYTES);
            for (uint32_t i = 0; i < FEED_LIST_SIZE; i++)
                if (feed_bits_get(s->bits, i)) rs_touch(s, i);
            for (size_t i = 0; i < snap.n_ext; i++) {
                uint32_t idx = snap.ext[i].idx & (FEED_LIST_SIZE - 1);
                s->ext[idx] = snap.ext[i].until;
                rs_touch(s, idx);
            }
            s->seq = snap.at.seq;
            memcpy(head, snap.at.head, FEED_HEAD_LEN);
            rc = 0;
        }
        feed_snapshot_free(&snap);
    }
    httpc_response_free(&r);
    return rc;
}

/* Every segment after the state's seq up to the checkpoint, checked and chained, into the state. */
static int rs_segments(const char *base, const issuer_config *cfg, const feed_checkpoint *cp, rs_state *s,
                       uint8_t head[FEED_HEAD_LEN], char *why, size_t whycap)
{
    while (s->seq < cp->seq) {
        char what[48];
        snprintf(what, sizeof what, "segments/%" PRIu64, s->seq + 1);
        httpc_response r;
        if (rs_get(base, cfg->id, what, FEED_MAX_SEGMENT_COSE, &r, why, whycap) != 0) return -1;
        feed_segment seg;
        cose_sign1 msg;
        int rc = -1;
        if (feed_segment_parse(&seg, &msg, r.body, r.len) != API_OK) {
            snprintf(why, whycap, "%s: not a feed segment", what);
        } else {
            if (rs_signed(&msg, seg.iss, cfg, what, why, whycap) != 0) {
                /* why says */
            } else if (seg.epoch != cp->epoch || seg.first != s->seq + 1 || seg.n == 0 ||
                       seg.first + seg.n - 1 > cp->seq) {
                snprintf(why, whycap, "%s: not the next segment of the feed", what);
            } else {
                for (size_t i = 0; i < seg.n; i++) rs_apply(s, &seg.events[i]);
                feed_chain(head, head, msg.payload, msg.payload_len);
                s->seq = seg.first + seg.n - 1;
                s->segments++;
                rc = 0;
            }
            feed_segment_free(&seg);
        }
        httpc_response_free(&r);
        if (rc != 0) return -1;
    }
    if (memcmp(head, cp->head, FEED_HEAD_LEN) != 0) {
        snprintf(why, whycap, "the segments do not chain to the checkpoint");
        return -1;
    }
    return 0;
}

/* The published state at one source: checkpoint, snapshot, segments, all checked. */
static int rs_recover_one(const char *base, const issuer_config *cfg, rs_state *s, char *why, size_t whycap)
{
    httpc_response r;
    if (rs_get(base, cfg->id, "checkpoint", FEED_MAX_CHECKPOINT_COSE, &r, why, whycap) != 0) return -1;
    feed_checkpoint cp;
    cose_sign1 msg;
    int rc = -1;
    if (feed_checkpoint_parse(&cp, &msg, r.body, r.len) != API_OK)
        snprintf(why, whycap, "checkpoint: not a feed checkpoint");
    else if (rs_signed(&msg, cp.iss, cfg, "checkpoint", why, whycap) == 0)
        rc = 0;
    httpc_response_free(&r);
    if (rc != 0) return -1;
    if (cp.epoch < cfg->epoch) {
        snprintf(why, whycap, "epoch %" PRIu64 " is older than the backup's (%" PRIu64 ")", cp.epoch,
                 cfg->epoch);
        return -1;
    }
    s->bits = calloc(1, FEED_LIST_BYTES);
    s->ext = calloc(FEED_LIST_SIZE, sizeof *s->ext);
    s->touched = calloc(1, FEED_LIST_SIZE / 8);
    if (!s->bits || !s->ext || !s->touched) cli_fail(ISS_EXIT_IO, "no memory");
    s->epoch = cp.epoch;
    uint8_t head[FEED_HEAD_LEN] = {0};
    if (rs_snapshot(base, cfg, &cp, s, head, why, whycap) != 0 ||
        rs_segments(base, cfg, &cp, s, head, why, whycap) != 0)
        return -1;
    return 0;
}

/* Sets "epoch" in ISS/issuer.json, keeping every other member. */
static api_err rs_set_epoch(const char *dir, uint64_t epoch)
{
    char path[4096];
    if (fs_join(path, sizeof path, dir, "issuer.json") != 0) return API_ERR_ARG;
    cJSON *o;
    api_err e = jsonfile_read(&o, path, 65536);
    if (e != API_OK) return e;
    cJSON_DeleteItemFromObject(o, "epoch");
    cJSON_AddNumberToObject(o, "epoch", (double)epoch);
    e = jsonfile_write(path, o, 0644, 0);
    cJSON_Delete(o);
    return e;
}

int iss_cmd_restore(const void *opts)
{
    const iss_opts *o = opts;
    iss_require(o->from, "--from");
    iss_require(o->dir, "--dir");
    rs_ctx c = {.from = o->from, .dir = o->dir};
    c.f = fopen(o->from, "rb");
    if (!c.f) cli_fail(ISS_EXIT_USAGE, "cannot read %s: %s", o->from, strerror(errno));
    rs_extract(&c);
    fclose(c.f);

    issuer_config cfg;
    char err[512];
    if (issuer_config_load(&cfg, o->dir, err, sizeof err) != API_OK)
        rs_fail(&c, ISS_EXIT_USAGE, "%s; nothing restored", err);
    issuer_key *key =
        iss_unlock(o, &cfg); /* a wrong passphrase or PIN exits: rs_at_exit takes the files back */

    /* The furthest source that verifies. */
    rs_state best = {0};
    const char *best_src = NULL;
    for (size_t i = 0; i < o->n_recover; i++) {
        rs_state s = {0};
        char why[256] = "";
        if (rs_recover_one(o->recover[i], &cfg, &s, why, sizeof why) != 0) {
            cli_warn("%s: not used: %s", o->recover[i], why);
            rs_state_free(&s);
            continue;
        }
        printf("recovered from %s: epoch %" PRIu64 ", seq %" PRIu64 " (%" PRIu64 " segments checked)\n",
               o->recover[i], s.epoch, s.seq, s.segments);
        if (!best_src || s.epoch > best.epoch || (s.epoch == best.epoch && s.seq > best.seq)) {
            rs_state_free(&best);
            best = s;
            best_src = o->recover[i];
        } else {
            rs_state_free(&s);
        }
    }
    if (o->n_recover && !best_src) {
        iss_lock(key);
        rs_fail(&c, ISS_EXIT_IO, "no --recover-from source gave the published feed of %s; nothing restored",
                cfg.id);
    }
    registry_published pub = {
        .bits = best.bits,
        .ext = best.ext,
        .touched = best.touched,
        .protect = best_src && best.epoch == cfg.epoch,
        .protect_after = best.seq,
    };
    uint64_t epoch = (best_src && best.epoch > cfg.epoch ? best.epoch : cfg.epoch) + 1;
    registry *reg;
    api_err e = registry_open(&reg, o->dir);
    if (e != API_OK) {
        iss_lock(key);
        rs_fail(&c, ISS_EXIT_IO, "%s: cannot open the restored registry; nothing restored", o->dir);
    }
    registry_recovery rec;
    e = registry_restart_feed(reg, &pub, key->seed, RESTORE_INDEX_MARGIN, cli_now(), &rec);
    rs_state_free(&best);
    if (e == API_OK) e = rs_set_epoch(o->dir, epoch);
    size_t cut = 0;
    if (e == API_OK) e = registry_feed_publish(reg, cfg.id, epoch, &key->sign, cli_now(), &cut);
    iss_lock(key);
    uint64_t count = 0;
    registry_count(reg, &count);
    registry_close(reg);
    if (e != API_OK)
        rs_fail(&c, ISS_EXIT_IO, "%s: cannot start the new feed epoch: %s; nothing restored", o->dir,
                api_strerror(e));
    rs_pending = NULL; /* restored: kept */
    for (size_t i = 0; i < c.n_written; i++) free(c.written[i]);
    printf("restored %s into %s: %" PRIu64 " attestations\n", cfg.id, o->dir, count);
    if (best_src)
        printf("from the published feed: %zu attestations brought to their published status, %zu indices of "
               "attestations issued after the backup kept\n",
               rec.changed, rec.orphans);
    printf("status indices: the allocator moved from %" PRIu64 " to %" PRIu64 "\n", rec.counter_before,
           rec.counter_after);
    printf("new feed epoch %" PRIu64 "\n", epoch);
    printf("next: api-federation set-epoch --dir FED --id %s --epoch %" PRIu64
           ", then publish the trust list\n",
           cfg.id, epoch);
    printf("attestations issued after the backup are not in the registry: to change one by id again, give "
           "it back from its QR text (api-issuer adopt --dir %s --file QR.txt)\n",
           o->dir);
    return ISS_EXIT_OK;
}

/* ---- adopt ---- */

/* One QR text (NUL-terminated) of the issuer of dir into the registry: ISS_EXIT_OK, or the code of what went
 * wrong (said). */
static int adopt_text(registry *reg, const char *dir, const issuer_config *cfg, const char *where,
                      const char *qr)
{
    uint8_t cti[CLAIMS_CTI_LEN];
    registry_adoption how;
    char why[200] = "", id[2 * CLAIMS_CTI_LEN + 1];
    api_err e = issuance_adopt(reg, dir, cfg, qr, cli_now(), cti, &how, why, sizeof why);
    claims_cti_hex(id, cti);
    if (e == API_ERR_ARG) {
        cli_warn("%s: %s", where, why);
        return ISS_EXIT_USAGE;
    }
    if (e == API_ERR_EXISTS) {
        cli_warn("%s: %s: not given back: %s", where, id, why);
        return ISS_EXIT_USAGE;
    }
    if (e != API_OK) cli_fail(ISS_EXIT_IO, "%s: the registry cannot be written: %s", dir, api_strerror(e));
    if (how == REGISTRY_ADOPT_ALREADY) {
        printf("%s  already in the registry\n", id);
        return ISS_EXIT_OK;
    }
    registry_entry now;
    if (registry_get(reg, cti, &now) != API_OK) cli_fail(ISS_EXIT_IO, "%s: the registry cannot be read", dir);
    char until[11];
    time_paris_date(until, registry_effective_exp(&now));
    printf("%s  given back: %s until %s, %s\n", id, status_name(now.status), until,
           how == REGISTRY_ADOPT_RECOVERED ? "as the published feed said" : "never changed in the feed");
    return ISS_EXIT_OK;
}

/* adopt_text of one line of the file (not NUL-terminated), through a copy wiped afterwards. */
static int adopt_one(registry *reg, const char *dir, const issuer_config *cfg, const char *where,
                     const char *line, size_t len)
{
    char qr[QRTEXT_MAX_TEXT + 1];
    if (len >= sizeof qr) {
        cli_warn("%s: longer than a QR text (%d characters at most)", where, QRTEXT_MAX_TEXT);
        return ISS_EXIT_USAGE;
    }
    memcpy(qr, line, len);
    qr[len] = '\0';
    int rc = adopt_text(reg, dir, cfg, where, qr);
    sodium_memzero(qr, sizeof qr);
    return rc;
}

int iss_cmd_adopt(const void *opts)
{
    const iss_opts *o = opts;
    iss_require(o->dir, "--dir");
    iss_require(o->file, "--file");
    issuer_config cfg;
    iss_load_config(&cfg, o->dir);
    size_t len;
    uint8_t *data = iss_read_input(o->file, &len);
    registry *reg = iss_open_registry(o);
    size_t given = 0, refused = 0, line = 0;
    char *p = (char *)data, *end = p + len;
    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        line++;
        while (n && (p[n - 1] == '\r' || p[n - 1] == ' ')) n--;
        if (n) {
            char where[4200];
            snprintf(where, sizeof where, "%s, line %zu", o->file, line);
            if (adopt_one(reg, o->dir, &cfg, where, p, n) == ISS_EXIT_OK)
                given++;
            else
                refused++;
        }
        p = nl ? nl + 1 : end;
    }
    registry_close(reg);
    sodium_memzero(data, len);
    free(data);
    if (given + refused == 0) cli_fail(ISS_EXIT_USAGE, "%s holds no QR text", o->file);
    printf("given back or already held %zu, refused %zu\n", given, refused);
    if (refused) return given ? ISS_EXIT_PARTIAL : ISS_EXIT_USAGE;
    return ISS_EXIT_OK;
}
