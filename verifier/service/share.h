/*
 * share.h: the Web Share Target of the checker, on the server's side.
 *
 * The installed checker (/check/manifest.json) registers POST /check/share
 * as the place a phone sends a file shared to it ("Partager → Vérifier une
 * API" from a mail attachment). The checker's service worker answers that
 * POST on the phone and the file never leaves it (web/src/sw.js). Only when
 * the worker is not installed yet (the app added to the home screen but
 * never opened online, or its storage cleared) does the POST reach the
 * service: share_register answers it with a page, in French then English,
 * that says what to do (open /check once while online, or pick the file on
 * the page), never an error. The body is read within the bound given (the
 * service's --max-image) and dropped unread: the file is neither kept nor
 * logged.
 */
#ifndef API_SHARE_H
#define API_SHARE_H

#include <stddef.h>

#include "common/err.h"
#include "http/httpd.h"

#define SHARE_PATH "/check/share"

/* Adds POST /check/share to h; max is the largest body read (then dropped), 0 for 8 MiB. */
api_err share_register(httpd *h, size_t max);

#endif
