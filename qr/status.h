/*
 * status.h: the status of an attestation, as the status feed carries it
 * (2 bits an attestation in a status list: docs/format.md, "Status
 * feed"), and the rules of its changes. One definition for the issuer
 * that writes the values, the feed format that carries them and the
 * verifier that reads them.
 *
 * Changes: valid <-> suspended; valid or suspended -> revoked or
 * superseded, which are final. An extension lengthens only a valid or
 * suspended attestation.
 */
#ifndef API_STATUS_H
#define API_STATUS_H

typedef enum {
    STATUS_VALID = 0,
    STATUS_REVOKED = 1,
    STATUS_SUSPENDED = 2,
    STATUS_SUPERSEDED = 3,
} status_value;

#define STATUS_BITS  2 /* bits an attestation in a status list */
#define STATUS_COUNT 4

/* "valid", "revoked", "suspended", "superseded"; "unknown" for another value. */
const char *status_name(unsigned status);

/* Parses a name back into *out: 0, or -1 for another word. */
int status_parse(unsigned *out, const char *name);

/* Whether an attestation of this status may still be extended (valid or suspended). */
int status_extendable(unsigned status);

/* Why from -> to is not allowed (a sentence for people), or NULL when it is. */
const char *status_transition_error(unsigned from, unsigned to);

#endif
