/*
 * test_pdf.c: the PDF attestation (issuer/pdf.c) and the French names of
 * nationalities (qr/country.c).
 *
 * A page is read back by poppler's command-line tools, programs that know
 * nothing of ours: pdfinfo for the page count and size and the metadata,
 * pdftotext for the text and, with -bbox, the box of every word, which must
 * lie inside the page's margins whatever the names are: very long ones,
 * accents, Greek, Cyrillic, right-to-left Arabic, the longest the claims
 * allow. A name that no installed font has a glyph for is refused with its
 * field; the same claims always give the same bytes. The QR code on the
 * page is read back by zbarimg in the command-line test (test_pdf.sh).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "common/fs.h"
#include "issuer/pdf.h"
#include "qr/claims.h"
#include "qr/country.h"
#include "tests/unit/testkit.h"

#define PT_PER_MM (72.0 / 25.4)
#define MARGIN_X  (18.0 * PT_PER_MM) /* the page's side margins (pdf.c) */
#define MARGIN_Y  (12.0 * PT_PER_MM) /* the bottom one; the top is 14 mm */
#define SLACK     0.5                /* points: a glyph's box may pass its advance by a hair */

static char tmp[TESTKIT_DIR_MAX];
static pdf_ctx *ctx;

static int setup(void **state)
{
    (void)state;
    if (testkit_tmpdir(tmp, "test_pdf") != 0) return -1;
    return pdf_ctx_new(&ctx) == API_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    pdf_ctx_free(ctx);
    testkit_tmpdir_remove(tmp);
    return 0;
}

/* The QR text of c signed by FR-75. */
static void sign(char *qr, const api_claims *c)
{
    testkit_key k;
    testkit_fr75(&k);
    size_t len = TESTKIT_QR_MAX;
    assert_int_equal(testkit_sign_qr(qr, &len, c, k.sk), API_OK);
}

/* Renders c into tmp/name.pdf; returns pdf_render's answer (the file only when API_OK). */
static api_err render_file(const char *name, const api_claims *c, const char *issuer, const char *verify,
                           const char *holder, const char **field)
{
    static char qr[TESTKIT_QR_MAX];
    sign(qr, c);
    pdf_page page = {
        .claims = c, .qr = qr, .issuer_name = issuer, .verify_url = verify, .holder_link = holder};
    uint8_t *pdf;
    size_t len;
    api_err e = pdf_render(ctx, &pdf, &len, &page, field);
    if (e != API_OK) return e;
    assert_true(len > 1000);
    assert_memory_equal(pdf, "%PDF-", 5);
    char path[TESTKIT_DIR_MAX + 64];
    snprintf(path, sizeof path, "%s/%s.pdf", tmp, name);
    assert_int_equal(fs_write_atomic(path, pdf, len, 0600, 0), API_OK);
    free(pdf);
    return API_OK;
}

/* The standard output of a command (malloc'd, NUL-terminated); the command must exit 0. */
static char *run(const char *fmt, ...)
{
    char cmd[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t cap = 1 << 16, n = 0, got;
    char *out = malloc(cap);
    assert_non_null(out);
    while ((got = fread(out + n, 1, cap - n - 1, p)) > 0) {
        n += got;
        if (n + 1 == cap) {
            cap *= 2;
            out = realloc(out, cap);
            assert_non_null(out);
        }
    }
    out[n] = '\0';
    int st = pclose(p);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) fail_msg("%s: failed", cmd);
    return out;
}

/* pdftotext's text of tmp/name.pdf with its whitespace removed: a wrapped name reads whole. */
static char *text_of(const char *name)
{
    char *t = run("pdftotext -enc UTF-8 '%s/%s.pdf' - 2>/dev/null", tmp, name);
    size_t o = 0;
    for (size_t i = 0; t[i]; i++)
        if (t[i] != ' ' && t[i] != '\n' && t[i] != '\f') t[o++] = t[i];
    t[o] = '\0';
    return t;
}

/* s without its spaces, as text_of writes it. */
static void squeeze(char *out, size_t cap, const char *s)
{
    size_t o = 0;
    for (; *s && o + 1 < cap; s++)
        if (*s != ' ') out[o++] = *s;
    out[o] = '\0';
}

/* Every word box of every page of tmp/name.pdf lies within the margins; returns the number of words. */
static size_t assert_inside(const char *name, int pages)
{
    char *html = run("pdftotext -bbox '%s/%s.pdf' - 2>/dev/null", tmp, name);
    double pw = 0, ph = 0;
    const char *p = strstr(html, "<page ");
    assert_non_null(p);
    assert_int_equal(sscanf(p, "<page width=\"%lf\" height=\"%lf\"", &pw, &ph), 2);
    assert_true(pw > 595.0 && pw < 595.5); /* A4 */
    assert_true(ph > 841.5 && ph < 842.0);
    int n_pages = 0;
    for (const char *q = html; (q = strstr(q, "<page ")); q++) n_pages++;
    assert_int_equal(n_pages, pages);
    size_t words = 0;
    for (p = html; (p = strstr(p, "<word ")); p++) {
        double x0, y0, x1, y1;
        assert_int_equal(
            sscanf(p, "<word xMin=\"%lf\" yMin=\"%lf\" xMax=\"%lf\" yMax=\"%lf\"", &x0, &y0, &x1, &y1), 4);
        if (x0 < MARGIN_X - SLACK || x1 > pw - MARGIN_X + SLACK || y0 < 14.0 * PT_PER_MM - 3.0 ||
            y1 > ph - MARGIN_Y + SLACK)
            fail_msg("%s: a word past the margins: %.1f %.1f %.1f %.1f: %.60s", name, x0, y0, x1, y1, p);
        words++;
    }
    free(html);
    return words;
}

/* Whether needle (a C string) occurs in the n bytes at hay. */
static int has_bytes(const uint8_t *hay, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = 0; i + k <= n; i++)
        if (!memcmp(hay + i, needle, k)) return 1;
    return 0;
}

/* ---- the country table ---- */

static void test_country_table(void **state)
{
    (void)state;
    size_t n = country_count();
    assert_true(n >= 249 + 4); /* every ISO 3166-1 alpha-3 code, and ICAO's four */
    const char *prev = NULL;
    for (size_t i = 0; i < n; i++) {
        const char *code, *name;
        assert_int_equal(country_entry(i, &code, &name), 0);
        assert_int_equal(strlen(code), 3);
        for (int j = 0; j < 3; j++) assert_true(code[j] >= 'A' && code[j] <= 'Z');
        assert_true(name && name[0]);
        if (prev) assert_true(strcmp(prev, code) < 0); /* sorted, so no code twice */
        assert_ptr_equal(country_name_fr(code), name);
        prev = code;
    }
    const char *code, *name;
    assert_int_equal(country_entry(n, &code, &name), -1);
    assert_string_equal(country_name_fr("SEN"), "Sénégal");
    assert_string_equal(country_name_fr("FRA"), "France");
    assert_string_equal(country_name_fr("CIV"), "Côte d'Ivoire");
    assert_string_equal(country_name_fr("XXA"), country_name_fr("XXA")); /* stateless: present */
    assert_null(country_name_fr("QQQ"));
    assert_null(country_name_fr("sen"));
    assert_null(country_name_fr("SENE"));
    assert_null(country_name_fr(""));
    assert_null(country_name_fr(NULL));
}

/* ---- the page ---- */

static void test_page_text(void **state)
{
    (void)state;
    api_claims c;
    testkit_claims(&c);
    assert_int_equal(
        render_file("diallo", &c, "Préfecture de police", "https://verif.example/check", NULL, NULL), API_OK);
    assert_true(assert_inside("diallo", 1) > 100);
    char *t = text_of("diallo");
    static const char *const want[] = {"RÉPUBLIQUE",
                                       "FRANÇAISE",
                                       "Préfecturedepolice",
                                       "Attestationdeprolongationd'instruction",
                                       "d'unedemandedetitredeséjour",
                                       "DIALLO",
                                       "Aminata",
                                       "12avril1990",
                                       "Sénégal",
                                       "7503123456",
                                       "Renouvellement",
                                       "cartedeséjourpluriannuellesalarié",
                                       "n°7501234567",
                                       "Valabledu15septembre2026au15décembre2026",
                                       "Autorisesontitulaireàtravailler(CESEDA,art.R.431-15-2).",
                                       "scannezcecodeavecuntéléphone,ouallezsurhttps://verif.example/check",
                                       "apu",
                                       "prolongée",
                                       "a0a1a2a3a4a5a6a7a8a9aaab",
                                       "délivréele14septembre2026",
                                       "Information,pasunconseiljuridique.",
                                       "R.431-15-1"};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        if (!strstr(t, want[i])) fail_msg("the page lacks \"%s\"", want[i]);
    }
    free(t);
    char *info = run("pdfinfo '%s/diallo.pdf' 2>/dev/null", tmp);
    assert_non_null(strstr(info, "Pages:           1\n"));
    assert_non_null(strstr(info, "Title:           Attestation de prolongation d'instruction\n"));
    assert_null(strstr(info, "Author:"));
    assert_null(strstr(info, "DIALLO"));
    assert_null(strstr(info, "Aminata"));
    assert_non_null(strstr(info, "Tagged:          yes"));
    free(info);
    char *fonts = run("pdffonts '%s/diallo.pdf' 2>/dev/null | tail -n +3", tmp);
    assert_true(strlen(fonts) > 0);
    for (char *line = fonts; *line;) {
        char *nl = strchr(line, '\n');
        if (nl) *nl = '\0';
        if (!strstr(line, " yes yes ")) fail_msg("a font not embedded: %s", line);
        line = nl ? nl + 1 : line + strlen(line);
    }
    free(fonts);

    /* Without a verify base the sentence stops after "téléphone"; without a name, the issuer id. */
    assert_int_equal(render_file("bare", &c, NULL, NULL, NULL, NULL), API_OK);
    t = text_of("bare");
    assert_non_null(strstr(t, "scannezcecodeavecuntéléphone."));
    assert_null(strstr(t, "allezsur"));
    assert_non_null(strstr(t, "FR-75"));
    free(t);

    /* A first application without a previous permit, no right to work. */
    c.app = CLAIMS_APP_FIRST;
    c.has_prv = 0;
    c.wrk = CLAIMS_WRK_NO;
    assert_int_equal(render_file("first", &c, "Préfecture de police", NULL, NULL, NULL), API_OK);
    t = text_of("first");
    assert_non_null(strstr(t, "Premièredemande"));
    assert_non_null(strstr(t, "N'autorisepassontitulaireàtravailler"));
    assert_null(strstr(t, "7501234567"));
    free(t);

    /* The holder's card code, captioned. */
    assert_int_equal(render_file("holder", &c, "Préfecture de police", "https://verif.example/check",
                                 "https://verif.example/holder#API1%3A6BF%20ABCDEFGH", NULL),
                     API_OK);
    assert_inside("holder", 1);
    t = text_of("holder");
    assert_non_null(strstr(t, "Cartedutitulaire"));
    free(t);
}

/* Names hard to lay out: shrunk or wrapped, never cut, never past the margins. */
static void test_page_layout(void **state)
{
    (void)state;
    static const struct {
        const char *name, *fn, *gn, *tit;
    } cases[] = {
        {"accents", "NGUYỄN-ÉLÉONORE D'ARC DE LA CHÂTAIGNERAIE", "Zoë Françoise Æsa Øyvind Łucja", NULL},
        {"greek", "ΠΑΠΑΔΟΠΟΥΛΟΣ-ΚΩΝΣΤΑΝΤΙΝΙΔΗΣ ΑΛΕΞΑΝΔΡΟΠΟΥΛΟΣ", "Αικατερίνη Ελευθερία", NULL},
        {"cyrillic", "КОНСТАНТИНОПОЛЬСКАЯ-ВОЗДВИЖЕНСКАЯ", "Александра Владимировна", NULL},
        {"arabic", "عبد الرحمن بن عبد العزيز آل سعود", "محمد أمين", NULL},
        /* One word of 127 bytes: no space to wrap at, so broken between characters, never cut. */
        {"oneword",
         "WOLFESCHLEGELSTEINHAUSENBERGERDORFFWELCHEVORALTERNWAREGEWISSENHAFTSCHAFERSWESSENSCHAFEWARENWOHLGEPF"
         "LEGEUNDSO"
         "RGFALTIGKEITBE",
         "Hubert Blaine", NULL},
        /* The longest the claims allow, in the widest capitals. */
        {"widest",
         "WWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWW"
         "WWWW"
         "WWWWWWWWWWWWWWWWWWWWWWWW",
         "MMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMM"
         "MMMMMMM"
         "MMMMMMMMMMMMMMMMMMMMM",
         "CARTE DE SÉJOUR PLURIANNUELLE « PASSEPORT TALENT – CARTE BLEUE EUROPÉENNE » MENTION SALARIÉ "
         "QUALIFIÉ "
         "ET TRAVAILLEUR HAUTEMENT QUALIFIÉ AU SEIN D'UNE"},
        {"wideword", "ШШШШШШШШШШШШШШШШШШШШШШШШШШШШШШШШШШШШШШШШШШШШШШШШШШШШШШШШШШШШШШШ",
         "ЩЩЩ ЩЩЩЩЩЩ ЩЩЩЩЩЩЩЩЩЩЩЩЩ", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        api_claims c;
        testkit_claims(&c);
        assert_true(strlen(cases[i].fn) < sizeof c.fn);
        assert_true(strlen(cases[i].gn) < sizeof c.gn);
        strcpy(c.fn, cases[i].fn);
        strcpy(c.gn, cases[i].gn);
        if (cases[i].tit) {
            assert_true(strlen(cases[i].tit) < sizeof c.tit);
            strcpy(c.tit, cases[i].tit);
        }
        const char *field = "unset";
        api_err e =
            render_file(cases[i].name, &c, "Préfecture de la Seine-Saint-Denis et de ses arrondissements",
                        "https://verification.attestations.interieur.gouv.fr/verifier/api", NULL, &field);
        if (e != API_OK) fail_msg("%s: %s (%s)", cases[i].name, api_strerror(e), field ? field : "");
        assert_inside(cases[i].name, 1);
        /* Every character is there: the text with its spaces removed holds the whole name. */
        char *t = text_of(cases[i].name), want[3 * CLAIMS_TITLE_MAX];
        if (strcmp(cases[i].name, "arabic")) { /* pdftotext may write right-to-left words in another order */
            squeeze(want, sizeof want, cases[i].fn);
            if (!strstr(t, want)) fail_msg("%s: the family name is not whole in \"%s\"", cases[i].name, t);
            squeeze(want, sizeof want, cases[i].gn);
            if (!strstr(t, want)) fail_msg("%s: the given names are not whole", cases[i].name);
        } else {
            /* Each Arabic word is there, whichever order pdftotext puts them in. */
            static const char *const words[] = {"عبد", "الرحمن", "بن",   "العزيز",
                                                "آل",  "سعود",   "محمد", "أمين"};
            for (size_t w = 0; w < sizeof words / sizeof words[0]; w++)
                if (!strstr(t, words[w])) fail_msg("arabic: no \"%s\" in the text", words[w]);
        }
        if (cases[i].tit) {
            squeeze(want, sizeof want, cases[i].tit);
            if (!strstr(t, want)) fail_msg("%s: the permit requested is not whole", cases[i].name);
        }
        free(t);
    }
}

/*
 * Everything at its longest at once: the widest names and title the claims
 * allow, a préfecture's name of 127 bytes, a verify address of 120 bytes
 * (issuer.h's bound), and a holder link as long as a 512-byte base and the
 * card of the longest names make it (about 1,300 characters): the page
 * still fits, every word inside the margins.
 */
static void test_page_longest(void **state)
{
    (void)state;
    api_claims c;
    testkit_claims(&c);
    memset(c.fn, 'W', sizeof c.fn - 1);
    c.fn[sizeof c.fn - 1] = '\0';
    memset(c.gn, 'M', sizeof c.gn - 1);
    c.gn[sizeof c.gn - 1] = '\0';
    memset(c.tit, 'W', sizeof c.tit - 1);
    c.tit[sizeof c.tit - 1] = '\0';
    for (size_t i = 7; i < sizeof c.tit - 1; i += 8) c.tit[i] = ' ';
    char issuer[128], verify[121], link[1401];
    memset(issuer, 'W', sizeof issuer - 1);
    issuer[sizeof issuer - 1] = '\0';
    for (size_t i = 9; i < sizeof issuer - 1; i += 10) issuer[i] = ' ';
    memcpy(verify, "https://", 8);
    memset(verify + 8, 'w', sizeof verify - 9);
    verify[sizeof verify - 1] = '\0';
    memcpy(link, "https://", 8);
    memset(link + 8, 'h', 512 - 8);
    link[512] = '#';
    for (size_t i = 513; i < sizeof link - 1; i++) link[i] = "API1%3A6BF%20Q"[i % 14];
    link[sizeof link - 1] = '\0';
    const char *field = NULL;
    api_err e = render_file("longest", &c, issuer, verify, link, &field);
    if (e != API_OK) fail_msg("the longest page: %s (%s)", api_strerror(e), field ? field : "");
    assert_inside("longest", 1);
    char *t = text_of("longest");
    assert_non_null(strstr(t, verify));
    free(t);
}

/* A character that no installed font has is refused, with its field, and never drawn as a box. */
static void test_glyphs(void **state)
{
    (void)state;
    /* U+10FFFD, a private-use character no font maps; and 漢 when no CJK font is installed (fonts-dejavu has
     * none). */
    char *cjk = run("fc-list ':charset=6f22' 2>/dev/null");
    int cjk_missing = cjk[0] == '\0';
    free(cjk);
    static const char *const odd[] = {"\xf4\x8f\xbf\xbd", "漢"};
    for (size_t k = 0; k < (cjk_missing ? 2u : 1u); k++) {
        static const char *const fields[] = {"family_name", "given_names", "title_requested", "issuer name",
                                             "verify address"};
        for (size_t f = 0; f < sizeof fields / sizeof fields[0]; f++) {
            api_claims c;
            testkit_claims(&c);
            char text[256];
            const char *issuer = "Préfecture de police", *verify = "https://verif.example/check";
            if (f == 0) snprintf(c.fn, sizeof c.fn, "DIALLO %s", odd[k]);
            if (f == 1) snprintf(c.gn, sizeof c.gn, "Ami%sta", odd[k]);
            if (f == 2) snprintf(c.tit, sizeof c.tit, "carte de séjour %s", odd[k]);
            if (f == 3) issuer = (snprintf(text, sizeof text, "Préfecture %s", odd[k]), text);
            if (f == 4) verify = (snprintf(text, sizeof text, "https://%s.example/", odd[k]), text);
            pdf_page page = {.claims = &c, .qr = "API1:X", .issuer_name = issuer, .verify_url = verify};
            const char *field = NULL;
            assert_int_equal(pdf_check_text(ctx, &page, &field), API_ERR_ARG);
            assert_non_null(field);
            assert_string_equal(field, fields[f]);
            field = NULL;
            assert_int_equal(render_file("refused", &c, issuer, verify, NULL, &field), API_ERR_ARG);
            assert_non_null(field);
            assert_string_equal(field, fields[f]);
        }
    }
    /* What DejaVu has passes: accents, Greek, Cyrillic, Arabic, and the emoji it happens to carry. */
    api_claims c;
    testkit_claims(&c);
    strcpy(c.fn, "ÉLÉONORE Ωμέγα Жанна محمد");
    pdf_page page = {.claims = &c, .qr = "API1:X", .issuer_name = "Préfecture de police"};
    const char *field = "unset";
    assert_int_equal(pdf_check_text(ctx, &page, &field), API_OK);
    assert_null(field);
}

/* The same claims give the same bytes, from one context or another; other claims, other bytes. */
static void test_deterministic(void **state)
{
    (void)state;
    api_claims c;
    testkit_claims(&c);
    char qr[TESTKIT_QR_MAX];
    sign(qr, &c);
    pdf_page page = {
        .claims = &c, .qr = qr, .issuer_name = "Préfecture de police", .verify_url = "https://v.example"};
    uint8_t *a, *b, *d;
    size_t alen, blen, dlen;
    assert_int_equal(pdf_render(ctx, &a, &alen, &page, NULL), API_OK);
    assert_int_equal(pdf_render(ctx, &b, &blen, &page, NULL), API_OK);
    pdf_ctx *other;
    assert_int_equal(pdf_ctx_new(&other), API_OK);
    assert_int_equal(pdf_render(other, &d, &dlen, &page, NULL), API_OK);
    pdf_ctx_free(other);
    assert_int_equal(alen, blen);
    assert_memory_equal(a, b, alen);
    assert_int_equal(alen, dlen);
    assert_memory_equal(a, d, alen);
    free(b);
    /* The same bytes again after more pages than the context keeps fitted texts of. */
    for (int i = 0; i < 40; i++) {
        api_claims o = c;
        snprintf(o.fn, sizeof o.fn, "NOM%d", i);
        snprintf(o.gn, sizeof o.gn, "Prénom%d", i);
        o.cti[0] = (uint8_t)i;
        char oqr[TESTKIT_QR_MAX];
        sign(oqr, &o);
        pdf_page op = page;
        op.claims = &o;
        op.qr = oqr;
        assert_int_equal(pdf_render(ctx, &b, &blen, &op, NULL), API_OK);
        free(b);
    }
    assert_int_equal(pdf_render(ctx, &b, &blen, &page, NULL), API_OK);
    assert_int_equal(alen, blen);
    assert_memory_equal(a, b, alen);
    /* The dates of the file are the attestation's iat, 2026-09-14T08:00:00Z = 10:00 in Paris (Cairo 1.16
     * writes them without "D:"). */
    assert_true(has_bytes(a, alen, "20260914100000+02'00)"));
    free(b);
    c.exp += 86400;
    sign(qr, &c);
    assert_int_equal(pdf_render(ctx, &b, &blen, &page, NULL), API_OK);
    assert_false(alen == blen && !memcmp(a, b, alen));
    free(a);
    free(b);
    free(d);
}

/* How many times needle (a C string) occurs in the n bytes at hay. */
static int count_bytes(const uint8_t *hay, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    int count = 0;
    for (size_t i = 0; i + k <= n; i++)
        if (!memcmp(hay + i, needle, k)) count++;
    return count;
}

/*
 * Each code is a 1-bit image mask, one pixel a module, that viewers scale
 * up without interpolation (its edges stay sharp; test_pdf.sh reads it
 * back with two decoders at three resolutions): one with no holder link,
 * two with one.
 */
static void test_codes_are_masks(void **state)
{
    (void)state;
    api_claims c;
    testkit_claims(&c);
    char qr[TESTKIT_QR_MAX];
    sign(qr, &c);
    pdf_page page = {.claims = &c, .qr = qr, .issuer_name = "Préfecture de police"};
    uint8_t *pdf;
    size_t len;
    assert_int_equal(pdf_render(ctx, &pdf, &len, &page, NULL), API_OK);
    assert_int_equal(count_bytes(pdf, len, "/ImageMask true"), 1);
    assert_int_equal(count_bytes(pdf, len, "/Interpolate false"), 1);
    assert_int_equal(count_bytes(pdf, len, "/Interpolate true"), 0);
    free(pdf);
    page.holder_link = "https://verif.example/holder#API1%3A6BF%20ABCDEFGH";
    assert_int_equal(pdf_render(ctx, &pdf, &len, &page, NULL), API_OK);
    assert_int_equal(count_bytes(pdf, len, "/ImageMask true"), 2);
    assert_int_equal(count_bytes(pdf, len, "/Interpolate false"), 2);
    assert_int_equal(count_bytes(pdf, len, "/BitsPerComponent 1"), 2);
    free(pdf);
}

/* A document of several pages, in the order they were added; a refused page leaves it usable. */
static void test_batch(void **state)
{
    (void)state;
    pdf_doc *doc;
    assert_int_equal(pdf_doc_begin(&doc, ctx), API_OK);
    static const char *const names[] = {"MARTIN", "NGUYEN THI", "KONE"};
    char qr[TESTKIT_QR_MAX];
    for (size_t i = 0; i < 3; i++) {
        api_claims c;
        testkit_claims(&c);
        strcpy(c.fn, names[i]);
        sign(qr, &c);
        pdf_page page = {.claims = &c, .qr = qr, .issuer_name = "Préfecture des Bouches-du-Rhône"};
        assert_int_equal(pdf_doc_add(doc, &page, NULL), API_OK);
        if (i == 1) { /* a refused page between two */
            strcpy(c.fn, "漢\xf4\x8f\xbf\xbd");
            const char *field = NULL;
            assert_int_equal(pdf_doc_add(doc, &page, &field), API_ERR_ARG);
            assert_string_equal(field, "family_name");
        }
    }
    uint8_t *pdf;
    size_t len;
    assert_int_equal(pdf_doc_end(doc, &pdf, &len), API_OK);
    char path[TESTKIT_DIR_MAX + 64];
    snprintf(path, sizeof path, "%s/batch.pdf", tmp);
    assert_int_equal(fs_write_atomic(path, pdf, len, 0600, 0), API_OK);
    free(pdf);
    assert_inside("batch", 3);
    char *t = run("pdftotext '%s' - 2>/dev/null", path);
    char *m = strstr(t, "MARTIN"), *n = strstr(t, "NGUYEN THI"), *k = strstr(t, "KONE");
    assert_true(m && n && k && m < n && n < k);
    free(t);

    /* Errors: no page, NULL arguments. */
    assert_int_equal(pdf_doc_begin(&doc, ctx), API_OK);
    assert_int_equal(pdf_doc_end(doc, &pdf, &len), API_ERR_ARG);
    assert_null(pdf);
    assert_int_equal(pdf_doc_begin(NULL, ctx), API_ERR_ARG);
    assert_int_equal(pdf_doc_begin(&doc, NULL), API_ERR_ARG);
    assert_int_equal(pdf_render(ctx, &pdf, &len, NULL, NULL), API_ERR_ARG);
    pdf_doc_free(NULL);
    pdf_ctx_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_country_table),   cmocka_unit_test(test_page_text),
        cmocka_unit_test(test_page_layout),     cmocka_unit_test(test_page_longest),
        cmocka_unit_test(test_glyphs),          cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_codes_are_masks), cmocka_unit_test(test_batch),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
