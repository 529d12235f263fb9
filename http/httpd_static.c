/*
 * httpd_static.c: the web pages, files of one folder (web/dist), served
 * at "/" for GET and HEAD (see httpd.h).
 *
 * A path is served only when every segment is made of letters, digits,
 * '.', '_' and '-' and does not start with a dot (the gate has already
 * refused "//", backslashes, controls and dot segments), so nothing
 * outside the folder and no hidden file can be named. A path ending with
 * '/' names the folder's index.html. The only redirects are the service's
 * own fixed answers, /check to /check/ and /holder to /holder/: no
 * Location is ever built from a request. Another folder named without
 * its slash is a 404.
 *
 * Negotiation: when the file has a gzip copy beside it (name.gz, written
 * by the pages' build) and the client accepts gzip, the copy is sent with
 * Content-Encoding: gzip; either way such a file's answers say
 * "Vary: Accept-Encoding". ETags name the file's size and time and which
 * copy was sent; If-None-Match gives 304. One byte range is honoured
 * (206), an unsatisfiable one is a 416, several are ignored (the whole
 * file, 200). Files whose names carry their content's hash (lib-XXXXXXXX.js)
 * are immutable; everything else is revalidated (no-cache), so that a new
 * build reaches phones at once.
 *
 * Every answer carries the pages' Content-Security-Policy: the one line of
 * csp.txt in the folder (the pages' build writes it, with the hashes of
 * the pages' inline code), or a strict default without inline code.
 *
 * This file must not write anything, follow a symbolic link named by a
 * request, or serve anything but regular files of the folder.
 */
#include "http/httpd_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define HTTPD_STATIC_CHUNK (64u << 10)

static const struct {
    const char *from, *to;
} httpd_redirects[] = {{"/check", "/check/"}, {"/holder", "/holder/"}};

api_err httpd_static_init(httpd *h, char *err, size_t errlen)
{
    h->csp_pages = NULL;
    if (!h->web_root) return API_OK;
    struct stat st;
    if (stat(h->web_root, &st) != 0 || !S_ISDIR(st.st_mode)) {
        if (err) snprintf(err, errlen, "the web pages' folder %s is not a folder", h->web_root);
        return API_ERR_ARG;
    }
    char path[4096];
    if (snprintf(path, sizeof path, "%s/csp.txt", h->web_root) >= (int)sizeof path) {
        if (err) snprintf(err, errlen, "the web pages' folder's name is too long");
        return API_ERR_ARG;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (errno != ENOENT) {
            if (err) snprintf(err, errlen, "cannot read %s", path);
            return API_ERR_IO;
        }
        h->csp_pages = strdup(HTTPD_CSP_PAGES);
        return h->csp_pages ? API_OK : API_ERR_NOMEM;
    }
    char *text = malloc(HTTPD_CSP_MAX + 2);
    size_t n = text ? fread(text, 1, HTTPD_CSP_MAX + 1, f) : 0;
    int bad = !text || ferror(f) || n > HTTPD_CSP_MAX;
    fclose(f);
    while (!bad && n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r')) n--;
    for (size_t i = 0; !bad && i < n; i++)
        if ((unsigned char)text[i] < 0x20 || (unsigned char)text[i] > 0x7e) bad = 1;
    if (bad || n == 0) {
        free(text);
        if (err)
            snprintf(err, errlen, "%s is not one line of printable ASCII of at most %d bytes", path,
                     HTTPD_CSP_MAX);
        return API_ERR_ARG;
    }
    text[n] = '\0';
    h->csp_pages = text;
    return API_OK;
}

static const char *httpd_mime(const char *name)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".json", "application/json"},
        {".webmanifest", "application/manifest+json"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".jpg", "image/jpeg"},
        {".jpeg", "image/jpeg"},
        {".ico", "image/vnd.microsoft.icon"},
        {".txt", "text/plain; charset=utf-8"},
        {".wasm", "application/wasm"},
        {".woff2", "font/woff2"},
        {".pdf", "application/pdf"},
        {".gz", "application/gzip"},
    };
    size_t n = strlen(name);
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        size_t e = strlen(types[i].ext);
        if (n > e && strcasecmp(name + n - e, types[i].ext) == 0) return types[i].type;
    }
    return "application/octet-stream";
}

/* Every segment of letters, digits, '.', '_', '-', not starting with a dot; the last may be empty. */
static int httpd_static_path_ok(const char *path)
{
    for (const char *s = path; *s; s++) {
        if (*s == '/') {
            if (s[1] == '.') return 0;
            continue;
        }
        char c = *s;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
              c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

/* Whether a name carries its content's hash: "-" then 8 of [A-Z0-9], then the extension. */
static int httpd_hashed_name(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    if (!dot || dot - base < 9 || dot[-9] != '-') return 0;
    for (const char *p = dot - 8; p < dot; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9'))) return 0;
    return 1;
}

/* Whether Accept-Encoding allows gzip (a q of 0 refuses it; "*" stands for it when not named). */
/*
 * The next element of a weighted list header (Accept-Encoding,
 * Accept-Language: `name;q=0.8, other`): its name and its weight in
 * thousandths (1000 without q=). 0 at the end of the list.
 */
static int httpd_list_next(const char **pp, const char **name, size_t *namelen, int *q)
{
    const char *p = *pp;
    while (*p == ' ' || *p == '\t' || *p == ',') p++;
    if (!*p) return 0;
    size_t n = strcspn(p, ",");
    size_t nl = strcspn(p, ";, \t");
    if (nl > n) nl = n;
    *name = p;
    *namelen = nl;
    *q = 1000;
    const char *a = p + nl, *end = p + n;
    while (a < end) {
        while (a < end && (*a == ';' || *a == ' ' || *a == '\t')) a++;
        /* cppcheck-suppress knownConditionTrueFalse ; taken by "gzip;q=0" (test_httpd) */
        if (end - a >= 2 && (a[0] == 'q' || a[0] == 'Q') && a[1] == '=') {
            a += 2;
            int w = 0, frac = -1;
            for (; a < end && ((*a >= '0' && *a <= '9') || *a == '.'); a++) {
                if (*a == '.') {
                    if (frac < 0) frac = 0;
                } else if (frac < 0) {
                    w = w * 10 + (*a - '0') * 1000;
                    if (w > 1000) w = 1000;
                } else if (frac < 3) {
                    static const int place[] = {100, 10, 1};
                    w += (*a - '0') * place[frac++];
                }
            }
            *q = w > 1000 ? 1000 : w;
        } else {
            a += strcspn(a, ";");
            if (a > end) a = end;
        }
    }
    *pp = p + n;
    return 1;
}

int httpd_accepts_gzip(const char *ae)
{
    if (!ae) return 0;
    int gzip = -1, star = -1, q;
    const char *p = ae, *name;
    size_t n;
    while (httpd_list_next(&p, &name, &n, &q)) {
        int ok = q > 0;
        if (n == 4 && strncasecmp(name, "gzip", 4) == 0) gzip = ok;
        if (n == 6 && strncasecmp(name, "x-gzip", 6) == 0 && gzip < 0) gzip = ok;
        if (n == 1 && *name == '*') star = ok;
    }
    return gzip >= 0 ? gzip : star > 0;
}

int httpd_pick_language(const char *al, const char *const *offered, int count)
{
    if (!al) return -1;
    int best = -1, best_q = 0, q;
    const char *p = al, *name;
    size_t n;
    while (httpd_list_next(&p, &name, &n, &q)) {
        for (int i = 0; i < count; i++) {
            size_t ol = strlen(offered[i]);
            if (n >= ol && strncasecmp(name, offered[i], ol) == 0 && (n == ol || name[ol] == '-') &&
                q > best_q) {
                best = i;
                best_q = q;
            }
        }
    }
    return best;
}

int httpd_parse_range(const char *v, long long size, long long *from, long long *to)
{
    if (!v || strncasecmp(v, "bytes=", 6) != 0) return 0;
    v += 6;
    while (*v == ' ') v++;
    if (strchr(v, ',')) return 0;
    long long a = -1, b = -1;
    const char *p = v;
    if (*p >= '0' && *p <= '9') {
        a = 0;
        for (; *p >= '0' && *p <= '9'; p++) {
            if (a > (1LL << 50)) return 0;
            a = a * 10 + (*p - '0');
        }
    }
    if (*p++ != '-') return 0;
    if (*p >= '0' && *p <= '9') {
        b = 0;
        for (; *p >= '0' && *p <= '9'; p++) {
            if (b > (1LL << 50)) return 0;
            b = b * 10 + (*p - '0');
        }
    }
    while (*p == ' ') p++;
    if (*p) return 0;
    if (a < 0 && b < 0) return 0;
    if (a < 0) { /* the last b bytes */
        if (b == 0 || size == 0) return -1;
        *from = b >= size ? 0 : size - b;
        *to = size - 1;
        return 1;
    }
    if (b >= 0 && b < a) return 0;
    if (a >= size) return -1;
    *from = a;
    *to = (b < 0 || b >= size) ? size - 1 : b;
    return 1;
}

static int httpd_open_regular(const char *path, struct stat *st)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return -1;
    if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode)) {
        close(fd);
        return -1;
    }
    return fd;
}

static int httpd_not_found(httpd_req *r)
{
    return httpd_problem(r, 404, "not-found", "Not Found", "there is no such resource", NULL, NULL);
}

int httpd_static(httpd_req *r)
{
    httpd *h = r->h;
    const char *path = r->path;
    r->csp = h->csp_pages;
    for (size_t i = 0; i < sizeof httpd_redirects / sizeof httpd_redirects[0]; i++)
        if (strcmp(path, httpd_redirects[i].from) == 0) {
            httpd_header x[] = {
                {"Location", httpd_redirects[i].to}, {"Cache-Control", "no-cache"}, {NULL, NULL}};
            static const char body[] = "Moved Permanently\n";
            return httpd_send(r, 301, "text/plain; charset=utf-8", x, body, sizeof body - 1);
        }
    if (!httpd_static_path_ok(path)) return httpd_not_found(r);
    char file[4096];
    size_t plen = strlen(path);
    int n = snprintf(file, sizeof file - 3, "%s%s%s", h->web_root, path,
                     path[plen - 1] == '/' ? "index.html" : "");
    if (n < 0 || (size_t)n >= sizeof file - 3) return httpd_not_found(r);

    struct stat st, gst;
    int fd = httpd_open_regular(file, &st);
    if (fd < 0) return httpd_not_found(r);
    memcpy(file + n, ".gz", 4);
    int gfd = httpd_open_regular(file, &gst);
    file[n] = '\0';
    int gz = gfd >= 0 && httpd_accepts_gzip(httpd_header_get(r, "Accept-Encoding"));
    if (gz) {
        close(fd);
        fd = gfd;
        st = gst;
    } else if (gfd >= 0) {
        close(gfd);
    }

    char etag[64], modified[32];
    snprintf(etag, sizeof etag, "\"%llx-%llx%s\"", (unsigned long long)st.st_mtime,
             (unsigned long long)st.st_size, gz ? "-gz" : "");
    httpd_http_date(modified, st.st_mtime);
    const char *cache = httpd_hashed_name(path) ? "public, max-age=31536000, immutable" : "no-cache";
    httpd_header x[8];
    size_t k = 0;
    x[k++] = (httpd_header){"ETag", etag};
    x[k++] = (httpd_header){"Last-Modified", modified};
    x[k++] = (httpd_header){"Cache-Control", cache};
    x[k++] = (httpd_header){"Accept-Ranges", "bytes"};
    if (gfd >= 0) x[k++] = (httpd_header){"Vary", "Accept-Encoding"};
    if (gz) x[k++] = (httpd_header){"Content-Encoding", "gzip"};
    x[k] = (httpd_header){NULL, NULL};
    const char *ctype = httpd_mime(file);

    if (httpd_not_modified(r, etag)) {
        close(fd);
        return httpd_send(r, 304, NULL, x, NULL, 0);
    }
    long long size = (long long)st.st_size, from = 0, to = size - 1;
    int status = 200;
    const char *if_range = httpd_header_get(r, "If-Range");
    int ranged = (!if_range || strcmp(if_range, etag) == 0)
                     ? httpd_parse_range(httpd_header_get(r, "Range"), size, &from, &to)
                     : 0;
    char content_range[80];
    if (ranged < 0) {
        close(fd);
        snprintf(content_range, sizeof content_range, "bytes */%lld", size);
        httpd_header y[] = {
            {"Content-Range", content_range}, {"Vary", gfd >= 0 ? "Accept-Encoding" : NULL}, {NULL, NULL}};
        return httpd_problem(r, 416, "range-not-satisfiable", "Range Not Satisfiable",
                             "the range asked for lies past the end of the file", y, NULL);
    }
    if (ranged > 0) {
        status = 206;
        snprintf(content_range, sizeof content_range, "bytes %lld-%lld/%lld", from, to, size);
        x[k++] = (httpd_header){"Content-Range", content_range};
        x[k] = (httpd_header){NULL, NULL};
    }
    long long length = size == 0 ? 0 : to - from + 1;
    if (httpd_send_head(r, status, ctype, x, length) != 0 || r->head || length == 0) {
        close(fd);
        return status;
    }
    uint8_t *buf = malloc(HTTPD_STATIC_CHUNK);
    long long left = length, off = from;
    while (buf && left > 0) {
        size_t want = left > (long long)HTTPD_STATIC_CHUNK ? HTTPD_STATIC_CHUNK : (size_t)left;
        ssize_t got = pread(fd, buf, want, (off_t)off);
        if (got <= 0) break; /* the file shrank: the client sees a short body and the connection closes */
        if (httpd_write_all(r->conn, buf, (size_t)got) != 0) break;
        left -= got;
        off += got;
    }
    if (left > 0) mg_disable_connection_keep_alive(r->conn);
    free(buf);
    close(fd);
    return status;
}
