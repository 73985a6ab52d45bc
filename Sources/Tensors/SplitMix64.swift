/// SplitMix64 (Steele, Lea and Flood, 2014): a small, fast, seedable random number
/// generator, for reproducible random weights in tests and benchmarks.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// Creates a generator; the same seed always gives the same sequence.
    public init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension Tensor {
    /// A tensor of values uniform in [-`scale`, `scale`), drawn from `generator` (24 random bits each).
    public static func uniform(_ shape: [Int], scale: Float, using generator: inout SplitMix64) -> Tensor {
        let t = Tensor(shape: shape)
        for k in 0..<t.count {
            t.data[k] = (Float(generator.next() >> 40) / Float(1 << 24) * 2 - 1) * scale
        }
        return t
    }
}
