import Foundation
import Tensors

// ----------------------------------------------------------------------------
// A vectorised exact GELU
//
// timm's SigLIP and DINOv2 towers (OpenVLA's) run exact GELU, 0.5·x·(1 + erf(x/√2)),
// in MLPs 3.7–4× wider than the model: 55M activations per OpenVLA image. The
// scalar `erff` in `Kernels.gelu` made that a quarter of a SigLIP-B/16 encode, so
// this kernel evaluates erfc with Abramowitz & Stegun's formula 7.1.26 (absolute
// error ≤ 1.5e-7) on SIMD16 lanes, through the engine's vector `exp`.
// (A candidate for `Tensors.Kernels`; it lives here while Vision is its only user.)
// ----------------------------------------------------------------------------

enum VisionKernels {
    typealias Vector = SIMD16<Float>

    /// In-place exact GELU, `0.5·x·(1 + erf(x/√2))` (PyTorch `nn.GELU()`), within 3e-7·max(1, |x|).
    ///
    /// With z = |x|/√2 and t = 1/(1 + 0.3275911·z), erfc(z) ≈ t·(a1 + t·(a2 + t·(a3 + t·(a4 + t·a5))))·e^(−z²);
    /// then GELU is 0.5·x·(2 − erfc(z)) for x ≥ 0 and 0.5·x·erfc(z) for x < 0, which
    /// keeps the negative tail's relative precision (no 1 + erf cancellation).
    @inlinable
    static func gelu(_ x: UnsafeMutablePointer<Float>, count n: Int) {
        var i = 0
        while i + 16 <= n {
            let v = UnsafeRawPointer(x + i).loadUnaligned(as: Vector.self)
            let z = v.replacing(with: -v, where: v .< 0) * 0.70710678118654752
            let t = 1 / (1 + 0.3275911 * z)
            var p = Vector(repeating: 1.061405429)
            p = p * t - 1.453152027
            p = p * t + 1.421413741
            p = p * t - 0.284496736
            p = p * t + 0.254829592
            let q = p * t * Kernels.exp(-z * z)  // erfc(|x|/√2)
            let factor = q.replacing(with: 2 - q, where: v .>= 0)
            UnsafeMutableRawPointer(x + i).storeBytes(of: 0.5 * v * factor, as: Vector.self)
            i += 16
        }
        while i < n { x[i] = 0.5 * x[i] * (1 + erff(x[i] * 0.70710678118654752)); i += 1 }
    }
}
