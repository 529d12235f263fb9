/*
 * audit.c: the issuance API's audit log (audit.h). The descriptor is
 * swapped under a lock on reopen; writers take the same lock for the
 * duration of one write(2), which keeps lines whole and in order.
 *
 * The line is built with cJSON, so a client's name (plain text, checked
 * when the client was added) is escaped like any JSON string.
 */
#include "issuer/audit.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/time.h"

struct audit {
    pthread_mutex_t lock;
    int fd;
    char *path;
};

static int audit_open_fd(const char *path)
{
    return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
}

api_err audit_open(audit **out, const char *path)
{
    *out = NULL;
    audit *a = calloc(1, sizeof *a);
    if (!a) return API_ERR_NOMEM;
    a->path = strdup(path);
    a->fd = a->path ? audit_open_fd(path) : -1;
    if (a->fd < 0) {
        free(a->path);
        free(a);
        return API_ERR_IO;
    }
    pthread_mutex_init(&a->lock, NULL);
    *out = a;
    return API_OK;
}

api_err audit_reopen(audit *a)
{
    if (!a) return API_OK;
    int fd = audit_open_fd(a->path);
    if (fd < 0) return API_ERR_IO;
    pthread_mutex_lock(&a->lock);
    int old = a->fd;
    a->fd = fd;
    pthread_mutex_unlock(&a->lock);
    close(old);
    return API_OK;
}

void audit_close(audit *a)
{
    if (!a) return;
    close(a->fd);
    pthread_mutex_destroy(&a->lock);
    free(a->path);
    free(a);
}

void audit_write(audit *a, int64_t time, const char *client, const char *action, const char *id, int status)
{
    if (!a) return;
    char when[21];
    time_format_utc(when, time);
    cJSON *o = cJSON_CreateObject();
    if (!o) return;
    cJSON_AddStringToObject(o, "time", when);
    cJSON_AddStringToObject(o, "client", client ? client : "-");
    cJSON_AddStringToObject(o, "action", action ? action : "-");
    cJSON_AddStringToObject(o, "id", id ? id : "-");
    cJSON_AddNumberToObject(o, "status", status);
    char *line = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!line) return;
    size_t n = strlen(line);
    char *buf = realloc(line, n + 2);
    if (!buf) {
        free(line);
        return;
    }
    buf[n] = '\n';
    pthread_mutex_lock(&a->lock);
    ssize_t w;
    do w = write(a->fd, buf, n + 1);
    while (w < 0 && errno == EINTR);
    pthread_mutex_unlock(&a->lock);
    free(buf);
}
