import Foundation

/// A small, fast, explicitly seeded random number generator (SplitMix64), so every
/// layout, task and demonstration of the simulator can be reproduced from a seed.
///
/// The same seed gives the same sequence on every machine and every run, which is what
/// `--seed` options promise. The algorithm is Steele, Lea and Flood's SplitMix64
/// ("Fast splittable pseudorandom number generators", OOPSLA 2014).
///
/// ```swift
/// var rng = SeededRandom(seed: 7)
/// let x = Double.random(in: 0..<1, using: &rng)
/// ```
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// Creates a generator whose whole sequence is fixed by `seed`.
    public init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform value in `range`.
    public mutating func uniform(_ range: ClosedRange<Double>) -> Double {
        Double.random(in: range, using: &self)
    }

    /// A normally distributed value with mean 0 and standard deviation `sigma`
    /// (Box–Muller).
    public mutating func gaussian(sigma: Double) -> Double {
        let u1 = Double.random(in: Double.ulpOfOne..<1, using: &self)
        let u2 = Double.random(in: 0..<1, using: &self)
        return sigma * (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }

    /// An independent generator derived from this one's seed and `stream`, so separate
    /// consumers (layout, expert noise) do not shift each other's sequences.
    public static func derived(seed: UInt64, stream: UInt64) -> SeededRandom {
        var mixer = SeededRandom(seed: seed ^ (stream &* 0xD1B5_4A32_D192_ED03))
        return SeededRandom(seed: mixer.next())
    }
}
