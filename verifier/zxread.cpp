/*
 * zxread.cpp: the QR reading of zxing-cpp (Debian libzxing-dev), for C.
 *
 * The only C++ file of the project. It owns the translation of zxread_opts
 * into zxing-cpp's DecodeHints, of its Results into the callback's bytes and
 * corners, and of its exceptions into -1: nothing thrown may unwind through
 * a C frame, so every call is wrapped in one try block, and the callback is
 * called outside zxing-cpp (after ReadBarcodes returned). It must not decide
 * which code or which attempt counts: verifier/image.c does.
 *
 * The bytes are the symbol's content as stored (Result::bytes), as zbar
 * gives them for an ASCII text, so both engines' answers compare equal.
 */
#include "verifier/zxread.h"

#include <atomic>
#include <chrono>
#include <climits>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <ZXing/ReadBarcode.h>
#include <ZXing/ZXVersion.h>

#define ZXREAD_STR2(x) #x
#define ZXREAD_STR(x)  ZXREAD_STR2(x)

static ZXing::Binarizer zxread_binarizer_of(zxread_binarizer b)
{
    switch (b) {
    case ZXREAD_GLOBAL_HISTOGRAM:
        return ZXing::Binarizer::GlobalHistogram;
    case ZXREAD_FIXED_THRESHOLD:
        return ZXing::Binarizer::FixedThreshold;
    case ZXREAD_LOCAL_AVERAGE:
    default:
        return ZXing::Binarizer::LocalAverage;
    }
}

/* One reading handed to a thread: its own copy of the pixels, its results, whether it is over. */
struct zxread_job {
    std::vector<uint8_t> pix;
    int w = 0, h = 0;
    ZXing::DecodeHints hints;
    ZXing::Results results;
    bool failed = false;
    bool done = false;      /* the thread finished */
    bool abandoned = false; /* the caller stopped waiting: the thread counts as a straggler until done */
    std::mutex m;
    std::condition_variable cv;
};

static std::atomic<int> zxread_stragglers{0};

static void zxread_run(const std::shared_ptr<zxread_job> &job)
{
    ZXing::Results r;
    bool failed = false;
    try {
        ZXing::ImageView view(job->pix.data(), job->w, job->h, ZXing::ImageFormat::Lum, job->w, 1);
        r = ZXing::ReadBarcodes(view, job->hints);
    } catch (...) {
        failed = true;
    }
    std::lock_guard<std::mutex> lock(job->m);
    job->results = std::move(r);
    job->failed = failed;
    job->done = true;
    if (job->abandoned) zxread_stragglers--;
    job->cv.notify_all();
}

extern "C" int zxread_gray(const uint8_t *gray, unsigned w, unsigned h, size_t stride, const zxread_opts *o,
                           zxread_found found, void *ctx)
{
    if (!gray || !o || !found || w == 0 || h == 0 || w > INT_MAX || h > INT_MAX || stride < w ||
        stride > INT_MAX || (unsigned long long)w * h > INT_MAX)
        return -1;
    if (zxread_stragglers.load() >= ZXREAD_MAX_STRAGGLERS) return ZXREAD_TIMEOUT;
    try {
        auto job = std::make_shared<zxread_job>();
        job->hints.setFormats(ZXing::BarcodeFormat::QRCode);
        job->hints.setBinarizer(zxread_binarizer_of(o->binarizer));
        job->hints.setTryHarder(o->try_harder != 0);
        job->hints.setTryRotate(o->try_rotate != 0);
        job->hints.setTryDownscale(o->try_downscale != 0);
        job->hints.setMaxNumberOfSymbols(16);
        job->w = (int)w;
        job->h = (int)h;
        job->pix.resize((size_t)w * h);
        for (unsigned y = 0; y < h; y++)
            memcpy(job->pix.data() + (size_t)y * w, gray + (size_t)y * stride, w);

        std::thread t([job] { zxread_run(job); });
        {
            std::unique_lock<std::mutex> lock(job->m);
            if (!job->cv.wait_for(lock, std::chrono::milliseconds(ZXREAD_DEADLINE_MS),
                                  [&] { return job->done; })) {
                /* Past the deadline: the thread keeps its job alive and ends on its own; until then it
                 * counts against the next calls (ZXREAD_MAX_STRAGGLERS). */
                job->abandoned = true;
                zxread_stragglers++;
                lock.unlock();
                t.detach();
                return ZXREAD_TIMEOUT;
            }
        }
        t.join();
        if (job->failed) return -1;
        int n = 0;
        for (const ZXing::Result &r : job->results) {
            if (r.format() != ZXing::BarcodeFormat::QRCode || !r.isValid()) continue;
            const ZXing::Position &p = r.position();
            int corners[8] = {p.topLeft().x,     p.topLeft().y,     p.topRight().x,   p.topRight().y,
                              p.bottomRight().x, p.bottomRight().y, p.bottomLeft().x, p.bottomLeft().y};
            const ZXing::ByteArray &b = r.bytes();
            n++;
            if (found(ctx, b.data(), b.size(), corners)) break;
        }
        return n;
    } catch (...) {
        return -1;
    }
}

extern "C" const char *zxread_version(void)
{
    return ZXREAD_STR(ZXING_VERSION_MAJOR) "." ZXREAD_STR(ZXING_VERSION_MINOR) "." ZXREAD_STR(
        ZXING_VERSION_PATCH);
}
