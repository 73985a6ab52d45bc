import COpenBLAS
import COpenBLASSupport
import Foundation

// ----------------------------------------------------------------------------
// Matrix products through OpenBLAS
//
// The model's weights are stored as PyTorch stores `nn.Linear.weight`:
// (out_features, in_features), row-major. A linear layer over `rows` inputs is
//     Y (rows, out) = X (rows, in) · Wᵀ
// which is one cblas_sgemm (NoTrans, Trans). For a single row (decode) the
// same product is a matrix-vector product, and cblas_sgemv is about 3x faster
// than sgemm at M = 1 on this machine, so it is used there.
// ----------------------------------------------------------------------------

/// Matrix products on OpenBLAS.
///
/// Every call holds one process-wide lock (`COpenBLASSupport_beginCall`). Debian's
/// OpenBLAS 0.3.21 (pthreads build) can deadlock when two threads call it at the same time
/// (both wait in `exec_blas_async_wait` for its shared worker threads — seen here when
/// tests ran policies in parallel), and a `fork()` on another thread during a call
/// strands it for good (OpenBLAS stops its thread pool before every fork); the lock is
/// also taken around fork. OpenBLAS already uses every core for one product, so
/// serialising products costs throughput nothing, and a lock per product is noise next
/// to the product itself.
public enum BLAS {

    /// `y (rows, out) = x (rows, in) · wᵀ + beta · y`, with `w` of shape (out, in).
    ///
    /// - Parameters:
    ///   - x: The inputs, `rows` rows of `inFeatures` values, `xStride` floats apart.
    ///   - w: The weights, row-major (out, in), as PyTorch's `nn.Linear.weight`.
    ///   - y: The outputs, `rows` rows of `outFeatures` values, `yStride` floats apart.
    ///   - beta: 0 to overwrite `y`, 1 to accumulate into it (a fused residual add).
    @inlinable
    public static func linear(rows: Int, inFeatures: Int, outFeatures: Int,
                              x: UnsafePointer<Float>, xStride: Int? = nil,
                              w: UnsafePointer<Float>,
                              y: UnsafeMutablePointer<Float>, yStride: Int? = nil,
                              beta: Float = 0) {
        let lda = xStride ?? inFeatures, ldc = yStride ?? outFeatures
        COpenBLASSupport_beginCall()
        defer { COpenBLASSupport_endCall() }
        if rows == 1 {
            // y (out) = W (out, in) · x (in)
            cblas_sgemv(CblasRowMajor, CblasNoTrans, blasint(outFeatures), blasint(inFeatures),
                        1, w, blasint(inFeatures), x, 1, beta, y, 1)
        } else {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans,
                        blasint(rows), blasint(outFeatures), blasint(inFeatures),
                        1, x, blasint(lda), w, blasint(inFeatures), beta, y, blasint(ldc))
        }
    }

    /// General `C (m, n) = alpha · op(A) · op(B) + beta · C`, row-major.
    @inlinable
    public static func gemm(transposeA: Bool = false, transposeB: Bool = false,
                            m: Int, n: Int, k: Int, alpha: Float = 1,
                            a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                            beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
        COpenBLASSupport_beginCall()
        defer { COpenBLASSupport_endCall() }
        cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
    }
}
