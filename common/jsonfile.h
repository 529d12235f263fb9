/*
 * jsonfile.h: the small JSON files of a tool's folder (ISS/issuer.json,
 * FED/federation.json), read and written with cJSON: one way to read a
 * whole file and parse it, to write one crash-safe with a final newline,
 * and to take a text or a whole number out of an object, for every tool.
 *
 * What a member means, and what a damaged file is called, stays with the
 * caller. These files are the tools' own, written by them; input from
 * other people goes through jsonscan first (jsonscan.h).
 */
#ifndef API_JSONFILE_H
#define API_JSONFILE_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

/*
 * Reads path (at most max bytes) and parses it. API_OK with *root (the
 * caller cJSON_Deletes it), or *root NULL when the text is not JSON (the
 * caller says how); else fs_read_file's error.
 */
api_err jsonfile_read(cJSON **root, const char *path, size_t max);

/* Writes root as indented JSON and a newline with fs_write_atomic (mode, exclusive). */
api_err jsonfile_write(const char *path, const cJSON *root, unsigned mode, int exclusive);

/* Copies the text member name of o into out (cap bytes with the NUL): 0, or -1 when missing, not text or too
 * long. */
int jsonfile_text(char *out, size_t cap, const cJSON *o, const char *name);

/* The number member name of o, when it is 0 to 2^53 - 1 (a double holds it exactly): 0, or -1. */
int jsonfile_uint(uint64_t *out, const cJSON *o, const char *name);

#endif
