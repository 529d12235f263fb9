/*
 * share.c: POST /check/share when the checker's service worker did not take
 * it (see share.h).
 *
 * What the phone sends is a multipart/form-data body holding the shared
 * file. Nothing here looks into it: the body is received (so that the
 * answer is not lost to a reset of an unread upload) within max bytes and
 * the bodies' shared budget, then freed. Whatever happened to it (too
 * large, cut, the budget spent), the answer is the same page, 200, with
 * Cache-Control: no-store and a policy that allows nothing but the page's
 * own text and links: the person reads what to do, in French then in
 * English, and finds the checker one tap away.
 */
#include "verifier/service/share.h"

#include <stdint.h>
#include <stdlib.h>

#define SHARE_DEFAULT_MAX (8u * 1024 * 1024)
#define SHARE_BODIES      4 /* bodies of the largest size held at once, in all */

typedef struct {
    size_t max;
    httpd_budget budget;
} share_state;

static share_state share_st;

static const char share_page[] =
    "<!doctype html>\n"
    "<html lang=\"fr\">\n"
    "<head>\n"
    "<meta charset=\"utf-8\">\n"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
    "<title>Vérifier une API : ouvrez d’abord le vérificateur</title>\n"
    "</head>\n"
    "<body>\n"
    "<main>\n"
    "<h1>Le fichier n’a pas été lu</h1>\n"
    "<p>Le vérificateur n’est pas encore prêt sur ce téléphone : le fichier partagé n’a été ni lu, "
    "ni envoyé, ni gardé.</p>\n"
    "<ol>\n"
    "<li>Ouvrez <a href=\"/check/\">le vérificateur</a> une fois avec une connexion à Internet "
    "(ou ajoutez-le à l’écran d’accueil depuis cette page).</li>\n"
    "<li>Partagez le fichier à nouveau : il sera vérifié sur le téléphone.</li>\n"
    "<li>Ou, sur <a href=\"/check/\">le vérificateur</a>, touchez « Ou choisissez une photo du "
    "document ou son PDF » et choisissez le fichier.</li>\n"
    "</ol>\n"
    "<p><a href=\"/check/\">Ouvrir le vérificateur</a></p>\n"
    "</main>\n"
    "<section lang=\"en\">\n"
    "<h2>The file was not read</h2>\n"
    "<p>The checker is not ready on this phone yet: the shared file was not read, sent or kept.</p>\n"
    "<ol>\n"
    "<li>Open <a href=\"/check/\">the checker</a> once while online (or add it to the home screen "
    "from that page).</li>\n"
    "<li>Share the file again: it will be checked on the phone.</li>\n"
    "<li>Or, on <a href=\"/check/\">the checker</a>, tap “Or choose a photo of the document or its "
    "PDF” and pick the file.</li>\n"
    "</ol>\n"
    "<p><a href=\"/check/\">Open the checker</a></p>\n"
    "</section>\n"
    "</body>\n"
    "</html>\n";

/* The server layer adds its own policy for answers that are not web-root files: nothing but the text. */
static const httpd_header share_headers[] = {{"Cache-Control", "no-store"}, {NULL, NULL}};

static int share_handle(httpd_req *r, void *arg)
{
    share_state *st = arg;
    uint8_t *body = NULL;
    size_t len = 0;
    /* Received and dropped: whatever came, the same page. */
    (void)httpd_read_body(r, st->max, &st->budget, &body, &len);
    free(body);
    return httpd_send(r, 200, "text/html; charset=utf-8", share_headers, share_page, sizeof share_page - 1);
}

api_err share_register(httpd *h, size_t max)
{
    share_st.max = max ? max : SHARE_DEFAULT_MAX;
    share_st.budget.cap = (long long)share_st.max * SHARE_BODIES;
    atomic_init(&share_st.budget.used, 0);
    return httpd_route(h, SHARE_PATH, HTTPD_BODY, "POST", share_handle, &share_st);
}
