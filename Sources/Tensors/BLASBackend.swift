import COpenBLAS
import COpenBLASSupport

/// Facts about the BLAS library the engine runs on.
public enum BLASBackend {
    /// Makes sure OpenBLAS runs its fastest kernels for this CPU (see `COpenBLASSupport.h`).
    ///
    /// Called automatically while the program loads and again before the first
    /// product; calling it yourself is harmless. Respects `OPENBLAS_CORETYPE`.
    /// - Returns: `true` if the kernels were switched away from OpenBLAS's generic fallback.
    @discardableResult
    public static func selectFastKernels() -> Bool {
        COpenBLASSupport_selectFastKernels() != 0
    }

    /// The OpenBLAS core type in use, e.g. `"SkylakeX"`.
    public static var coreName: String {
        selectFastKernels()
        return String(cString: COpenBLASSupport_coreName())
    }

    /// The core type OpenBLAS picked by itself when it loaded.
    public static var originalCoreName: String {
        String(cString: COpenBLASSupport_originalCoreName())
    }

    /// The number of threads OpenBLAS uses.
    public static var threads: Int { Int(openblas_get_num_threads()) }

    /// Sets the number of threads OpenBLAS uses for every later product (at least one).
    /// Waits for a product in flight. One thread leaves the other cores to the rest of a
    /// robot program (camera capture, a second model); more speed up large products.
    public static func setThreads(_ count: Int) {
        selectFastKernels()
        COpenBLASSupport_beginCall()
        openblas_set_num_threads(Int32(max(1, count)))
        COpenBLASSupport_endCall()
    }
}
