/*
 * clientaddr.h: the address of the client behind a request, for the
 * anonymous rate limit: the TCP peer, or, when the peer is a reverse proxy
 * the operator trusts (--trusted-proxy), the address that proxy saw, taken
 * from X-Forwarded-For. Addresses are 16 bytes (IPv4 as IPv4-mapped IPv6).
 */
#ifndef API_CLIENTADDR_H
#define API_CLIENTADDR_H

#include <stddef.h>
#include <stdint.h>

#define CLIENTADDR_LEN         16
#define CLIENTADDR_MAX_TRUSTED 32
#define CLIENTADDR_TEXT_MAX    46 /* INET6_ADDRSTRLEN */

/* Parses an IPv4 or IPv6 address (no port, no brackets, no zone): 0, or -1. */
int clientaddr_parse(uint8_t out[CLIENTADDR_LEN], const char *text, size_t len);

/* Writes an address as text (dotted quad for IPv4): for messages. */
void clientaddr_format(char out[CLIENTADDR_TEXT_MAX], const uint8_t addr[CLIENTADDR_LEN]);

/*
 * The client's address. peer is the TCP peer's address as text; xff the
 * X-Forwarded-For header or NULL. When the peer is one of trusted[0..n),
 * X-Forwarded-For is read from its right end: each address a trusted proxy
 * appended is skipped, and the first one that is not a trusted proxy is the
 * client; an entry that does not parse stops the walk at the last address
 * known good (a proxy that passed it on). Otherwise X-Forwarded-For is
 * ignored: anybody can write it. 0, or -1 when peer does not parse.
 */
int clientaddr_resolve(uint8_t out[CLIENTADDR_LEN], const char *peer, const char *xff,
                       const uint8_t (*trusted)[CLIENTADDR_LEN], size_t n_trusted);

/*
 * The rate-limit bucket name of an address: "a" and the IPv4 address, or
 * "a" and the /64 prefix of an IPv6 address (one host holds a whole /64).
 * Returns the name's length (at most 9).
 */
size_t clientaddr_bucket(uint8_t out[9], const uint8_t addr[CLIENTADDR_LEN]);

#endif
