/*
 * worker_stack.h: runs a fuzz target's work on a thread with the stack the
 * service's request handlers have, so that an input which recurses too
 * deep for the service crashes under the fuzzer too (libFuzzer calls
 * targets on the main thread, whose 8 MB hide such bugs).
 *
 * FUZZ_WORKER_STACK is the stack of Debian's CivetWeb 1.15 worker threads,
 * measured with pthread_getattr_np inside a request handler of
 * api-verifier serve: 102,400 bytes. Of it, CivetWeb's worker loop and the
 * service's handler use some before a request body reaches its parser:
 * measured the same way (from the top of the stack to the frame that calls
 * cJSON), a body parser starts 26,961 bytes down on POST /api/v1/verify
 * (25,377 on /api/v1/verify/batch), where the start function of a bare
 * thread of that size starts 4,513 bytes down (glibc keeps the thread's
 * descriptor and TLS at the top of its stack). FUZZ_HANDLER_STACK is the
 * difference: the thread holds that much in a frame of its own before it
 * calls the work, which so starts where a body parser starts in the
 * service. With it, cJSON alone overflows here at 785 nested '[' in a
 * release build (the service at 786) and at 747 under ASan and UBSan;
 * without it, not below cJSON's own limit of 1000 in release, at 983 under
 * the sanitizers.
 * Measure again when CivetWeb or the handlers change.
 *
 * One worker thread, started at the first call, runs every input in turn,
 * as a CivetWeb worker serves request after request: creating a thread per
 * input would do as well for the stack, but under ASan each thread created
 * leaves about half a kilobyte of bookkeeping behind, which a long fuzzing
 * run turns into an out-of-memory failure. The caller waits for the work
 * to finish; a crash in it is reported by the sanitizers and libFuzzer as
 * on the main thread.
 */
#ifndef API_FUZZ_WORKER_STACK_H
#define API_FUZZ_WORKER_STACK_H

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define FUZZ_WORKER_STACK  102400 /* bytes: a CivetWeb 1.15 worker thread (Debian), measured */
#define FUZZ_HANDLER_STACK 22448  /* bytes the worker loop and handler add above a body parser */

/* The worker and the one job it is given at a time. */
static struct {
    pthread_mutex_t lock;
    pthread_cond_t changed; /* a job posted, or the job done */
    int started;
    void (*fn)(void *);
    void *arg;
    unsigned long posted, done;
} fuzz_worker = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, NULL, NULL, 0, 0};

static inline void fuzz_worker_check(int rc, const char *what)
{
    if (rc == 0) return;
    fprintf(stderr, "worker_stack.h: %s failed (%d)\n", what, rc);
    abort();
}

static inline void *fuzz_worker_main(void *unused)
{
    (void)unused;
    /* Stands for CivetWeb's and the handler's frames: in use for as long as the thread runs. */
    volatile unsigned char handler_frames[FUZZ_HANDLER_STACK];
    handler_frames[0] = 1;
    handler_frames[FUZZ_HANDLER_STACK - 1] = 1;
    for (;;) {
        fuzz_worker_check(pthread_mutex_lock(&fuzz_worker.lock), "pthread_mutex_lock");
        while (fuzz_worker.done == fuzz_worker.posted)
            fuzz_worker_check(pthread_cond_wait(&fuzz_worker.changed, &fuzz_worker.lock),
                              "pthread_cond_wait");
        void (*fn)(void *) = fuzz_worker.fn;
        void *arg = fuzz_worker.arg;
        fuzz_worker_check(pthread_mutex_unlock(&fuzz_worker.lock), "pthread_mutex_unlock");

        fn(arg);
        if (handler_frames[0] != 1 || handler_frames[FUZZ_HANDLER_STACK - 1] != 1)
            fuzz_worker_check(-1, "keeping the handler frames"); /* overwritten */

        fuzz_worker_check(pthread_mutex_lock(&fuzz_worker.lock), "pthread_mutex_lock");
        fuzz_worker.done++;
        fuzz_worker_check(pthread_cond_broadcast(&fuzz_worker.changed), "pthread_cond_broadcast");
        fuzz_worker_check(pthread_mutex_unlock(&fuzz_worker.lock), "pthread_mutex_unlock");
    }
    return NULL;
}

static inline void fuzz_worker_start(void)
{
    pthread_attr_t attr;
    pthread_t thread;
    fuzz_worker_check(pthread_attr_init(&attr), "pthread_attr_init");
    fuzz_worker_check(pthread_attr_setstacksize(&attr, FUZZ_WORKER_STACK), "pthread_attr_setstacksize");
    fuzz_worker_check(pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED),
                      "pthread_attr_setdetachstate");
    fuzz_worker_check(pthread_create(&thread, &attr, fuzz_worker_main, NULL), "pthread_create");
    fuzz_worker_check(pthread_attr_destroy(&attr), "pthread_attr_destroy");
    fuzz_worker.started = 1;
}

/* Calls fn(arg) on the worker thread (FUZZ_WORKER_STACK bytes of stack) and waits for it to return. */
static inline void fuzz_on_worker_stack(void (*fn)(void *), void *arg)
{
    fuzz_worker_check(pthread_mutex_lock(&fuzz_worker.lock), "pthread_mutex_lock");
    if (!fuzz_worker.started) fuzz_worker_start();
    fuzz_worker.fn = fn;
    fuzz_worker.arg = arg;
    unsigned long job = ++fuzz_worker.posted;
    fuzz_worker_check(pthread_cond_broadcast(&fuzz_worker.changed), "pthread_cond_broadcast");
    while (fuzz_worker.done != job)
        fuzz_worker_check(pthread_cond_wait(&fuzz_worker.changed, &fuzz_worker.lock), "pthread_cond_wait");
    fuzz_worker_check(pthread_mutex_unlock(&fuzz_worker.lock), "pthread_mutex_unlock");
}

#endif
