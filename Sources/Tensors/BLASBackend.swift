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
}
