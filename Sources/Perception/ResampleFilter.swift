import Foundation

/// A resampling filter, as Pillow defines it (`PIL.Image.Resampling`).
///
/// Each filter is a kernel with a support radius; when shrinking, the kernel is
/// stretched by the scale factor so every covered source pixel contributes (this is
/// what makes PIL's resize antialiased). The kernels and their supports follow
/// Pillow's libImaging/Resample.c.
public enum ResampleFilter: String, Hashable, Sendable, CaseIterable {
    /// Pillow's `BOX`: averages the covered pixels (support 0.5).
    case box
    /// Pillow's `BILINEAR`: triangle kernel (support 1).
    case bilinear
    /// Pillow's `HAMMING`: Hamming-windowed sinc (support 1).
    case hamming
    /// Pillow's `BICUBIC`: Keys cubic with a = -0.5 (support 2). HF's default for SigLIP,
    /// CLIP and DINOv2.
    case bicubic
    /// Pillow's `LANCZOS`: Lanczos-3 windowed sinc (support 3).
    case lanczos

    /// The kernel's radius at scale 1.
    public var support: Double {
        switch self {
        case .box: return 0.5
        case .bilinear, .hamming: return 1
        case .bicubic: return 2
        case .lanczos: return 3
        }
    }

    /// The kernel's value at `x` (in source pixels at scale 1).
    public func weight(_ x: Double) -> Double {
        switch self {
        case .box:
            return x > -0.5 && x <= 0.5 ? 1 : 0
        case .bilinear:
            let x = abs(x)
            return x < 1 ? 1 - x : 0
        case .hamming:
            var x = abs(x)
            if x == 0 { return 1 }
            if x >= 1 { return 0 }
            x *= Double.pi
            // Pillow writes these constants as C floats (0.54f, 0.46f).
            return sin(x) / x * (Double(Float(0.54)) + Double(Float(0.46)) * cos(x))
        case .bicubic:
            let a = -0.5
            let x = abs(x)
            if x < 1 { return ((a + 2) * x - (a + 3)) * x * x + 1 }
            if x < 2 { return (((x - 5) * x + 8) * x - 4) * a }
            return 0
        case .lanczos:
            func sinc(_ x: Double) -> Double {
                if x == 0 { return 1 }
                let y = x * Double.pi
                return sin(y) / y
            }
            return -3 <= x && x < 3 ? sinc(x) * sinc(x / 3) : 0
        }
    }

    /// Bits of fraction in the fixed-point weights (Pillow's `PRECISION_BITS`, 32 - 8 - 2).
    static let precisionBits = 22

    /// Fixed-point weights for resampling one axis from `inputSize` to `outputSize`
    /// pixels: output pixel `i` is `sum(weights[i * ksize + t] * in[starts[i] + t])` for
    /// `t < counts[i]`, in units of 2^-22. Pillow's `precompute_coeffs` followed by
    /// `normalize_coeffs_8bpc`.
    struct Coefficients {
        var ksize: Int
        var starts: [Int]
        var counts: [Int]
        var weights: [Int32]

        /// The coefficients of output pixels `range` only.
        func slice(_ range: Range<Int>) -> Coefficients {
            Coefficients(ksize: ksize, starts: Array(starts[range]), counts: Array(counts[range]),
                         weights: Array(weights[(range.lowerBound * ksize)..<(range.upperBound * ksize)]))
        }
    }

    func coefficients(inputSize: Int, outputSize: Int) -> Coefficients {
        let scale = Double(inputSize) / Double(outputSize)
        let filterScale = max(scale, 1)
        let support = self.support * filterScale
        let ksize = Int(ceil(support)) * 2 + 1
        var starts = [Int](repeating: 0, count: outputSize)
        var counts = [Int](repeating: 0, count: outputSize)
        var weights = [Int32](repeating: 0, count: outputSize * ksize)
        var k = [Double](repeating: 0, count: ksize)
        let one = Double(1 << Self.precisionBits)
        for i in 0..<outputSize {
            let center = (Double(i) + 0.5) * scale
            let inverse = 1 / filterScale
            // C's (int) conversion truncates toward zero, as Swift's Int(_:) does.
            let xmin = max(Int(center - support + 0.5), 0)
            let xmax = min(Int(center + support + 0.5), inputSize) - xmin
            var total = 0.0
            for t in 0..<max(xmax, 0) {
                let w = weight((Double(t + xmin) - center + 0.5) * inverse)
                k[t] = w
                total += w
            }
            for t in 0..<max(xmax, 0) {
                if total != 0 { k[t] /= total }
                // Rounded half away from zero, as (int)(±0.5 + w * 2^22).
                weights[i * ksize + t] = Int32(k[t] < 0 ? -0.5 + k[t] * one : 0.5 + k[t] * one)
            }
            starts[i] = xmin
            counts[i] = max(xmax, 0)
        }
        return Coefficients(ksize: ksize, starts: starts, counts: counts, weights: weights)
    }

    /// An accumulated fixed-point sum as an 8-bit value, clipped (Pillow's `clip8`).
    @inline(__always)
    static func clip8(_ value: Int32) -> UInt8 {
        let shifted = value >> Int32(precisionBits)
        return shifted <= 0 ? 0 : shifted >= 255 ? 255 : UInt8(shifted)
    }
}
