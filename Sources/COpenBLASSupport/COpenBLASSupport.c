#define _GNU_SOURCE
#include "COpenBLASSupport.h"

#include <cpuid.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

// Exported by every DYNAMIC_ARCH OpenBLAS build (driver/others/dynamic.c).
extern char *openblas_get_corename(void);
extern void gotoblas_dynamic_init(void) __attribute__((weak));
extern void gotoblas_dynamic_quit(void) __attribute__((weak));

static pthread_once_t COpenBLASSupport_once = PTHREAD_ONCE_INIT;
static char COpenBLASSupport_original[32] = "";

static int COpenBLASSupport_hasAVX512(void) {
#if defined(__x86_64__)
    unsigned int a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    const unsigned int osxsave = 1u << 27;
    if (!(c & osxsave)) return 0;
    unsigned int xlo, xhi;
    __asm__ volatile("xgetbv" : "=a"(xlo), "=d"(xhi) : "c"(0));
    // The OS must save opmask, ZMM_Hi256 and Hi16_ZMM state (bits 5,6,7) plus SSE/AVX (1,2).
    if ((xlo & 0xE6) != 0xE6) return 0;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    const unsigned int f = 1u << 16, dq = 1u << 17, bw = 1u << 30, vl = 1u << 31;
    return (b & f) && (b & dq) && (b & bw) && (b & vl);
#else
    return 0;
#endif
}

static int COpenBLASSupport_hasAVX2FMA(void) {
#if defined(__x86_64__)
    unsigned int a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    if (!(c & (1u << 27)) || !(c & (1u << 12))) return 0;  // OSXSAVE, FMA
    unsigned int xlo, xhi;
    __asm__ volatile("xgetbv" : "=a"(xlo), "=d"(xhi) : "c"(0));
    if ((xlo & 0x6) != 0x6) return 0;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    return (b & (1u << 5)) != 0;  // AVX2
#else
    return 0;
#endif
}

static int COpenBLASSupport_switched = 0;

static void COpenBLASSupport_run(void) {
    const char *name = openblas_get_corename();
    strncpy(COpenBLASSupport_original, name ? name : "", sizeof COpenBLASSupport_original - 1);
    if (getenv("OPENBLAS_CORETYPE") || getenv("SWIFTVLA_KEEP_OPENBLAS_CORE")) return;
    if (!gotoblas_dynamic_init || !gotoblas_dynamic_quit) return;  // not a DYNAMIC_ARCH build
    // Only replace the generic fallbacks; a core OpenBLAS recognised is left alone.
    if (!name || (strcasecmp(name, "Prescott") != 0 && strcasecmp(name, "Core2") != 0 &&
                  strcasecmp(name, "Nehalem") != 0 && strcasecmp(name, "Sandybridge") != 0)) return;
    const char *target = NULL;
    if (COpenBLASSupport_hasAVX512()) target = "SkylakeX";
    else if (COpenBLASSupport_hasAVX2FMA()) target = "Haswell";
    if (!target || strcasecmp(name, target) == 0) return;
    // Re-run OpenBLAS's own selection with the core type named, as if the user
    // had exported OPENBLAS_CORETYPE before start. The variable is removed again
    // so child processes make their own choice.
    gotoblas_dynamic_quit();
    setenv("OPENBLAS_CORETYPE", target, 1);
    gotoblas_dynamic_init();
    unsetenv("OPENBLAS_CORETYPE");
    COpenBLASSupport_switched = 1;
}

int COpenBLASSupport_selectFastKernels(void) {
    pthread_once(&COpenBLASSupport_once, COpenBLASSupport_run);
    return COpenBLASSupport_switched;
}

const char *COpenBLASSupport_coreName(void) { return openblas_get_corename(); }

const char *COpenBLASSupport_originalCoreName(void) {
    COpenBLASSupport_selectFastKernels();
    return COpenBLASSupport_original;
}

// One lock around every BLAS call, also taken around fork().
//
// Calls: Debian's OpenBLAS 0.3.21 (pthreads build) can deadlock when two threads call it
// at once (both wait in exec_blas_async_wait for its shared worker threads); OpenBLAS
// already uses every core for one product, so serialising products costs nothing.
// fork(): OpenBLAS's own pthread_atfork handler shuts its thread pool down before every
// fork(); a call running on another thread at that moment waits for its workers forever
// (measured: a thread in sgemm stalls at the first fork; a test that forked hung CI).
// Our fork handler takes the lock, so a fork waits until no call is in flight. It is
// registered after OpenBLAS's (whose constructor runs first), and prepare handlers run
// in reverse order of registration, so ours runs before OpenBLAS stops the pool.
static pthread_mutex_t COpenBLASSupport_callLock = PTHREAD_MUTEX_INITIALIZER;

static void COpenBLASSupport_forkPrepare(void) { pthread_mutex_lock(&COpenBLASSupport_callLock); }
static void COpenBLASSupport_forkDone(void) { pthread_mutex_unlock(&COpenBLASSupport_callLock); }

void COpenBLASSupport_beginCall(void) { pthread_mutex_lock(&COpenBLASSupport_callLock); }
void COpenBLASSupport_endCall(void) { pthread_mutex_unlock(&COpenBLASSupport_callLock); }

// Runs while the program loads, after OpenBLAS's own constructor (a dependency
// is initialised first) and before `main`, so no BLAS call is in flight yet.
__attribute__((constructor)) static void COpenBLASSupport_atLoad(void) {
    pthread_atfork(COpenBLASSupport_forkPrepare, COpenBLASSupport_forkDone, COpenBLASSupport_forkDone);
    COpenBLASSupport_selectFastKernels();
}
