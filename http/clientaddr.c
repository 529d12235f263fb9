/*
 * clientaddr.c: who the client is, for rate limiting (see clientaddr.h).
 *
 * X-Forwarded-For is a list that each proxy extends on the right with the
 * address it received the request from; only the entries appended by
 * proxies the operator trusts are facts, the rest is what the client chose
 * to send. So the list is read from the right, through trusted proxies
 * only, and never when the TCP peer is not itself a trusted proxy. Entries
 * are bounded (a header is at most what CivetWeb accepts) and parsed with
 * inet_pton, so nothing else is accepted.
 *
 * This file must not log or keep addresses: it computes, the caller uses.
 */
#include "http/clientaddr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

int clientaddr_parse(uint8_t out[CLIENTADDR_LEN], const char *text, size_t len)
{
    char buf[CLIENTADDR_TEXT_MAX];
    if (!text || len == 0 || len >= sizeof buf) return -1;
    memcpy(buf, text, len);
    buf[len] = '\0';
    uint8_t v4[4];
    if (inet_pton(AF_INET, buf, v4) == 1) {
        memset(out, 0, 10);
        out[10] = 0xff;
        out[11] = 0xff;
        memcpy(out + 12, v4, 4);
        return 0;
    }
    return inet_pton(AF_INET6, buf, out) == 1 ? 0 : -1;
}

static int clientaddr_is_v4(const uint8_t a[CLIENTADDR_LEN])
{
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    return memcmp(a, mapped, sizeof mapped) == 0;
}

void clientaddr_format(char out[CLIENTADDR_TEXT_MAX], const uint8_t addr[CLIENTADDR_LEN])
{
    if (clientaddr_is_v4(addr)) {
        if (!inet_ntop(AF_INET, addr + 12, out, CLIENTADDR_TEXT_MAX)) snprintf(out, CLIENTADDR_TEXT_MAX, "?");
    } else if (!inet_ntop(AF_INET6, addr, out, CLIENTADDR_TEXT_MAX)) {
        snprintf(out, CLIENTADDR_TEXT_MAX, "?");
    }
}

static int clientaddr_trusted(const uint8_t a[CLIENTADDR_LEN], const uint8_t (*trusted)[CLIENTADDR_LEN],
                              size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (memcmp(a, trusted[i], CLIENTADDR_LEN) == 0) return 1;
    return 0;
}

int clientaddr_resolve(uint8_t out[CLIENTADDR_LEN], const char *peer, const char *xff,
                       const uint8_t (*trusted)[CLIENTADDR_LEN], size_t n_trusted)
{
    if (!peer || clientaddr_parse(out, peer, strlen(peer)) != 0) return -1;
    if (!xff || !trusted || !clientaddr_trusted(out, trusted, n_trusted)) return 0;
    size_t end = strlen(xff);
    while (end > 0) {
        size_t start = end;
        while (start > 0 && xff[start - 1] != ',') start--;
        size_t a = start, b = end;
        while (a < b && (xff[a] == ' ' || xff[a] == '\t')) a++;
        while (b > a && (xff[b - 1] == ' ' || xff[b - 1] == '\t')) b--;
        uint8_t hop[CLIENTADDR_LEN];
        if (clientaddr_parse(hop, xff + a, b - a) != 0) return 0; /* stop at what is known */
        memcpy(out, hop, CLIENTADDR_LEN);
        if (!clientaddr_trusted(hop, trusted, n_trusted)) return 0;
        end = start > 0 ? start - 1 : 0;
    }
    return 0;
}

size_t clientaddr_bucket(uint8_t out[9], const uint8_t addr[CLIENTADDR_LEN])
{
    out[0] = 'a';
    if (clientaddr_is_v4(addr)) {
        memcpy(out + 1, addr + 12, 4);
        return 5;
    }
    memcpy(out + 1, addr, 8);
    return 9;
}
