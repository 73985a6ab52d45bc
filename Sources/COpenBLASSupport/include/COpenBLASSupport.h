#ifndef COPENBLASSUPPORT_H
#define COPENBLASSUPPORT_H

// Why this shim exists
// --------------------
// Debian's OpenBLAS 0.3.21 is built with DYNAMIC_ARCH but does not know recent
// Intel CPUs (Sapphire Rapids and later): it falls back to the generic Prescott
// (SSE3) kernels, about 5x slower than its own SkylakeX (AVX-512) kernels.
// OPENBLAS_CORETYPE would fix that, but OpenBLAS reads it only while loading,
// and any program that links OpenCV has loaded OpenBLAS (through LAPACK) before
// `main` runs. These functions re-run OpenBLAS's own core selection after load.

/// Picks faster OpenBLAS kernels when OpenBLAS chose the generic fallback on a
/// CPU that has AVX-512 (F, BW, DQ, VL) or AVX2+FMA. Does nothing when the user
/// set OPENBLAS_CORETYPE, when SWIFTVLA_KEEP_OPENBLAS_CORE is set, or when
/// OpenBLAS already picked a non-generic core. Idempotent and thread-safe; it
/// also runs automatically as a load-time constructor.
/// Returns 1 if it switched the kernels, 0 otherwise.
int COpenBLASSupport_selectFastKernels(void);

/// The name of the OpenBLAS core in use (e.g. "SkylakeX", "Prescott").
const char *COpenBLASSupport_coreName(void);

/// The OpenBLAS core that was chosen when the library loaded, before any switch.
const char *COpenBLASSupport_originalCoreName(void);

/// Bracket every BLAS call. Calls are serialised (concurrent calls can deadlock Debian's
/// OpenBLAS 0.3.21), and a fork() on another thread waits until no call is in flight
/// (OpenBLAS shuts its thread pool down before fork, which would strand a running call).
/// Calls must not nest.
void COpenBLASSupport_beginCall(void);
void COpenBLASSupport_endCall(void);

#endif
