/*
 * country.h: the French short name of a nationality code (ISO 3166-1
 * alpha-3, and ICAO's XXA, XXB, XXC and XXX), for people reading a
 * printed attestation. A display fact: the claims check the code's form
 * only, and a code the table lacks is shown as the code itself.
 */
#ifndef API_COUNTRY_H
#define API_COUNTRY_H

#include <stddef.h>

/* "Sénégal" for "SEN"; NULL for a code the table lacks (or NULL, or not 3 characters). */
const char *country_name_fr(const char *code);

/* The table, for its tests: the number of entries, and entry i (0 or -1 past the end). */
size_t country_count(void);
int country_entry(size_t i, const char **code, const char **name);

#endif
