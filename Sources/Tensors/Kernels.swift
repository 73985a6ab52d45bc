import Foundation

// ----------------------------------------------------------------------------
// Element-wise kernels
//
// Each kernel works on raw pointers (rows of a Tensor, or slices of scratch
// buffers), is vectorised with SIMD16<Float>, and allocates nothing. Comments
// give the PyTorch expression each one reproduces.
// ----------------------------------------------------------------------------

/// Vectorised element-wise kernels used by the transformer forward pass.
public enum Kernels {
    public typealias Vector = SIMD16<Float>
    @usableFromInline static let width = 16

    @inlinable @inline(__always)
    static func load(_ p: UnsafePointer<Float>) -> Vector {
        UnsafeRawPointer(p).loadUnaligned(as: Vector.self)
    }

    @inlinable @inline(__always)
    static func store(_ v: Vector, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vector.self)
    }

    /// e^x for each lane (Cephes-style range reduction and polynomial, relative error ≈ 2e-7).
    @inlinable @inline(__always)
    public static func exp(_ v: Vector) -> Vector {
        // Clamp with compare-and-select: `pointwiseMin/Max` are not vectorised by the
        // standard library (they handle NaN lane by lane), `replacing(with:where:)` is.
        let lo = Vector(repeating: -87.33), hi = Vector(repeating: 88.37)
        let x = v.replacing(with: lo, where: v .< lo).replacing(with: hi, where: v .> hi)
        // n = round(x / ln 2) by the 1.5·2²³ trick: adding it leaves n in the low mantissa bits
        // (and rounds to nearest even), which keeps everything in vector registers.
        let magic = Vector(repeating: 12582912)
        let shifted = x * 1.44269504088896341 + magic
        let n = shifted - magic
        let r = x - n * 0.693359375 + n * 2.12194440e-4
        let z = r * r
        var y = Vector(repeating: 1.9875691500e-4)
        y = y * r + 1.3981999507e-3
        y = y * r + 8.3334519073e-3
        y = y * r + 4.1665795894e-2
        y = y * r + 1.6666665459e-1
        y = y * r + 5.0000001201e-1
        y = y * z + r + 1
        // 2ⁿ: the integer n sits in the low bits of `shifted`; move it into the exponent field.
        let bits = unsafeBitCast(shifted, to: SIMD16<Int32>.self) &- 0x4B40_0000
        return y * unsafeBitCast((bits &+ 127) &<< 23, to: Vector.self)
    }

    /// e^x for one value, through the same polynomial as the vector form.
    @inlinable
    public static func exp(_ x: Float) -> Float { exp(Vector(repeating: x))[0] }

    // MARK: Normalisation

    /// Root-mean-square normalisation of one row: `weight * x / sqrt(mean(x²) + eps)`.
    ///
    /// Hugging Face `LlamaRMSNorm`: `hidden * torch.rsqrt(hidden.pow(2).mean(-1) + eps)`, then `* weight`.
    /// `out` may equal `x`.
    @inlinable
    public static func rmsNorm(_ x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                               out: UnsafeMutablePointer<Float>, count n: Int, epsilon: Float) {
        var acc = Vector.zero
        var i = 0
        while i + width <= n { let v = load(x + i); acc = acc + v * v; i += width }
        var ss = acc.sum()
        while i < n { ss += x[i] * x[i]; i += 1 }
        let scale = 1 / (ss / Float(n) + epsilon).squareRoot()
        i = 0
        let s = Vector(repeating: scale)
        while i + width <= n { store(load(weight + i) * (load(x + i) * s), out + i); i += width }
        while i < n { out[i] = weight[i] * (x[i] * scale); i += 1 }
    }

    /// Layer normalisation of one row: `(x - mean) / sqrt(var + eps) * weight + bias`.
    ///
    /// PyTorch `nn.LayerNorm` (biased variance). `out` may equal `x`.
    @inlinable
    public static func layerNorm(_ x: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                                 out: UnsafeMutablePointer<Float>, count n: Int, epsilon: Float) {
        var acc = Vector.zero
        var i = 0
        while i + width <= n { acc = acc + load(x + i); i += width }
        var sum = acc.sum()
        while i < n { sum += x[i]; i += 1 }
        let mean = sum / Float(n)
        var vacc = Vector.zero
        let m = Vector(repeating: mean)
        i = 0
        while i + width <= n { let d = load(x + i) - m; vacc = vacc + d * d; i += width }
        var vs = vacc.sum()
        while i < n { let d = x[i] - mean; vs += d * d; i += 1 }
        let inv = 1 / (vs / Float(n) + epsilon).squareRoot()
        for j in 0..<n {
            out[j] = (x[j] - mean) * inv * weight[j] + (bias?[j] ?? 0)
        }
    }

    // MARK: Softmax

    /// In-place softmax of one row, computed stably (max subtracted first).
    @inlinable
    public static func softmax(_ x: UnsafeMutablePointer<Float>, count n: Int) {
        guard n > 0 else { return }
        var mx = -Float.infinity
        for i in 0..<n where x[i] > mx { mx = x[i] }
        let m = Vector(repeating: mx)
        var acc = Vector.zero
        var i = 0
        while i + width <= n { let e = exp(load(x + i) - m); store(e, x + i); acc += e; i += width }
        var sum = acc.sum()
        while i < n { let e = exp(x[i] - mx); x[i] = e; sum += e; i += 1 }
        scale(x, by: 1 / sum, count: n)
    }

    // MARK: Arithmetic

    /// `x *= s`.
    @inlinable
    public static func scale(_ x: UnsafeMutablePointer<Float>, by s: Float, count n: Int) {
        var i = 0
        let sv = Vector(repeating: s)
        while i + width <= n { store(load(x + i) * sv, x + i); i += width }
        while i < n { x[i] *= s; i += 1 }
    }

    /// `y += x`.
    @inlinable
    public static func add(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count n: Int) {
        var i = 0
        while i + width <= n { store(load(y + i) + load(x + i), y + i); i += width }
        while i < n { y[i] += x[i]; i += 1 }
    }

    /// `y += a * x` (axpy).
    @inlinable
    public static func addScaled(_ x: UnsafePointer<Float>, _ a: Float, into y: UnsafeMutablePointer<Float>, count n: Int) {
        var i = 0
        let av = Vector(repeating: a)
        while i + width <= n { store(load(y + i) + av * load(x + i), y + i); i += width }
        while i < n { y[i] += a * x[i]; i += 1 }
    }

    /// The dot product of two vectors.
    @inlinable
    public static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count n: Int) -> Float {
        var acc0 = Vector.zero, acc1 = Vector.zero
        var i = 0
        while i + 2 * width <= n {
            acc0 += load(a + i) * load(b + i)
            acc1 += load(a + i + width) * load(b + i + width)
            i += 2 * width
        }
        if i + width <= n { acc0 += load(a + i) * load(b + i); i += width }
        var s = (acc0 + acc1).sum()
        while i < n { s += a[i] * b[i]; i += 1 }
        return s
    }

    // MARK: Activations

    /// Gated SiLU: `gate = silu(gate) * up` (Llama's MLP: `F.silu(self.gate_proj(x)) * self.up_proj(x)`).
    @inlinable
    public static func siluMultiply(_ gate: UnsafeMutablePointer<Float>, _ up: UnsafePointer<Float>, count n: Int) {
        var i = 0
        let one = Vector(repeating: 1)
        while i + width <= n {
            let g = load(gate + i)
            store(g / (one + exp(-g)) * load(up + i), gate + i)
            i += width
        }
        while i < n { let g = gate[i]; gate[i] = g / (1 + exp(-g)) * up[i]; i += 1 }
    }

    /// In-place SiLU: `x * sigmoid(x)`.
    @inlinable
    public static func silu(_ x: UnsafeMutablePointer<Float>, count n: Int) {
        var i = 0
        let one = Vector(repeating: 1)
        while i + width <= n { let g = load(x + i); store(g / (one + exp(-g)), x + i); i += width }
        while i < n { let g = x[i]; x[i] = g / (1 + exp(-g)); i += 1 }
    }

    /// In-place exact GELU: `0.5 * x * (1 + erf(x / sqrt(2)))` (PyTorch `F.gelu(x)`).
    @inlinable
    public static func gelu(_ x: UnsafeMutablePointer<Float>, count n: Int) {
        for i in 0..<n { x[i] = 0.5 * x[i] * (1 + erff(x[i] * 0.70710678118654752)) }
    }

    /// In-place tanh-approximated GELU (PyTorch `F.gelu(x, approximate="tanh")`, `gelu_pytorch_tanh`).
    @inlinable
    public static func geluTanh(_ x: UnsafeMutablePointer<Float>, count n: Int) {
        let c = Vector(repeating: 0.79788456080286536), k = Vector(repeating: 0.044715)
        let one = Vector(repeating: 1), two = Vector(repeating: 2), half = Vector(repeating: 0.5)
        var i = 0
        while i + width <= n {
            let v = load(x + i)
            let y = c * (v + k * v * v * v)
            let t = one - two / (exp(two * y) + one)  // tanh(y)
            store(half * v * (one + t), x + i)
            i += width
        }
        while i < n {
            let v = x[i]
            x[i] = 0.5 * v * (1 + tanhf(0.79788456080286536 * (v + 0.044715 * v * v * v)))
            i += 1
        }
    }

    // MARK: Rotary position embedding

    /// Rotates one head vector by rotary position embedding, "rotate half" layout.
    ///
    /// Hugging Face `apply_rotary_pos_emb`: `x * cos + rotate_half(x) * sin`, where
    /// `rotate_half(x) = cat(-x[d/2:], x[:d/2])`. `cos` and `sin` hold `d/2` values
    /// (the reference repeats them twice).
    @inlinable
    public static func rotateHalf(_ x: UnsafeMutablePointer<Float>, cos: UnsafePointer<Float>, sin: UnsafePointer<Float>, headDim d: Int) {
        let h = d / 2
        var i = 0
        while i + width <= h {
            let a = load(x + i), b = load(x + h + i), c = load(cos + i), s = load(sin + i)
            store(a * c - b * s, x + i)
            store(b * c + a * s, x + h + i)
            i += width
        }
        while i < h {
            let a = x[i], b = x[h + i]
            x[i] = a * cos[i] - b * sin[i]
            x[h + i] = b * cos[i] + a * sin[i]
            i += 1
        }
    }

    // MARK: Selection

    /// The index of the largest value (the first one on ties), or -1 when `n == 0`.
    @inlinable
    public static func argmax(_ x: UnsafePointer<Float>, count n: Int) -> Int {
        guard n > 0 else { return -1 }
        var best = 0
        var bv = x[0]
        for i in 1..<n where x[i] > bv { bv = x[i]; best = i }
        return best
    }
}
