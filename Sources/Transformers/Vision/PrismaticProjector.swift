import Foundation
import Tensors

/// The MLP that maps Prismatic (OpenVLA) patch features to the decoder's embedding width.
///
/// Two shapes, chosen by `use_fused_vision_backbone` as OpenVLA's `PrismaticProjector` chooses:
///
///     single ("gelu-mlp"):        fc2(gelu(fc1(x)))                 fc1: Dv → Dllm,  fc2: Dllm → Dllm
///     fused  ("fused-gelu-mlp"):  fc3(gelu(fc2(gelu(fc1(x)))))      fc1: Dv → 4·Dv,  fc2: 4·Dv → Dllm,  fc3: Dllm → Dllm
///
/// with exact GELU (`nn.GELU()`). Weights are immutable; ``project(_:rows:into:scratch:)``
/// takes a caller-owned scratch buffer so projecting allocates nothing.
public final class PrismaticProjector: @unchecked Sendable {
    /// The width of a patch feature (the sum of the towers' widths when fused).
    public let visionDimension: Int
    /// The decoder's hidden size.
    public let llmDimension: Int
    /// Whether this is the three-layer projector of a fused (DINOv2 + SigLIP) backbone.
    public let isFused: Bool
    /// `projector.fc1.weight` (4·Dv or Dllm, Dv) and `.bias`
    public let fc1: Tensor, fc1Bias: Tensor
    /// `projector.fc2.weight` (Dllm, 4·Dv or Dllm) and `.bias`
    public let fc2: Tensor, fc2Bias: Tensor
    /// `projector.fc3.weight` (Dllm, Dllm) and `.bias`, fused only
    public let fc3: Tensor?, fc3Bias: Tensor?
    /// The checkpoint tensors consumed.
    public let tensorNames: Set<String>

    /// The width of fc1's output.
    public var firstWidth: Int { isFused ? 4 * visionDimension : llmDimension }

    /// Loads the projector.
    ///
    /// Loads HF keys `projector.fc1.weight`, `projector.fc1.bias`, `projector.fc2.*` and, fused, `projector.fc3.*`.
    /// - Parameters:
    ///   - checkpoint: The weights.
    ///   - prefix: Put before `fc1.weight` etc.; OpenVLA's is `"projector."`.
    ///   - visionDimension: The patch feature width.
    ///   - llmDimension: The decoder's hidden size (`text_config.hidden_size`).
    ///   - fused: `use_fused_vision_backbone`.
    /// - Throws: ``SafeTensorsError`` for a missing tensor or a wrong shape.
    public init(checkpoint: SafeTensorsCheckpoint, prefix: String = "projector.", visionDimension: Int, llmDimension: Int,
                fused: Bool) throws {
        self.visionDimension = visionDimension
        self.llmDimension = llmDimension
        self.isFused = fused
        var used = Set<String>()
        func tensor(_ name: String, _ shape: [Int]) throws -> Tensor {
            let t = try checkpoint.floatTensor(prefix + name, shape: shape)
            used.insert(prefix + name)
            return t
        }
        let first = fused ? 4 * visionDimension : llmDimension
        fc1 = try tensor("fc1.weight", [first, visionDimension])
        fc1Bias = try tensor("fc1.bias", [first])
        fc2 = try tensor("fc2.weight", [llmDimension, first])
        fc2Bias = try tensor("fc2.bias", [llmDimension])
        fc3 = fused ? try tensor("fc3.weight", [llmDimension, llmDimension]) : nil
        fc3Bias = fused ? try tensor("fc3.bias", [llmDimension]) : nil
        tensorNames = used
    }

    /// Creates a projector with random weights (uniform in ±`scale`), for benchmarks and tests.
    public init(visionDimension: Int, llmDimension: Int, fused: Bool, seed: UInt64, scale: Float = 0.02) {
        self.visionDimension = visionDimension
        self.llmDimension = llmDimension
        self.isFused = fused
        var generator = SplitMix64(seed: seed)
        func random(_ shape: [Int]) -> Tensor {
            Tensor.uniform(shape, scale: scale, using: &generator)
        }
        let first = fused ? 4 * visionDimension : llmDimension
        fc1 = random([first, visionDimension]); fc1Bias = random([first])
        fc2 = random([llmDimension, first]); fc2Bias = random([llmDimension])
        fc3 = fused ? random([llmDimension, llmDimension]) : nil
        fc3Bias = fused ? random([llmDimension]) : nil
        tensorNames = []
    }

    /// The floats of scratch ``project(_:rows:into:scratch:)`` needs for `rows` rows.
    public func scratchCount(rows: Int) -> Int { rows * (firstWidth + (isFused ? llmDimension : 0)) }

    /// Projects `rows` patch features.
    ///
    /// - Parameters:
    ///   - features: (rows, Dv).
    ///   - out: (rows, Dllm).
    ///   - scratch: At least ``scratchCount(rows:)`` floats.
    public func project(_ features: UnsafePointer<Float>, rows: Int, into out: UnsafeMutablePointer<Float>,
                        scratch: UnsafeMutablePointer<Float>) {
        let w1 = firstWidth, dl = llmDimension
        // h1 = gelu(fc1(x))
        let h1 = scratch
        BLAS.linear(rows: rows, inFeatures: visionDimension, outFeatures: w1, x: features, w: fc1.data, y: h1)
        for r in 0..<rows {
            Kernels.add(fc1Bias.data, into: h1 + r * w1, count: w1)
            VisionKernels.gelu(h1 + r * w1, count: w1)
        }
        guard let fc3, let fc3Bias else {
            // out = fc2(h1)
            BLAS.linear(rows: rows, inFeatures: w1, outFeatures: dl, x: h1, w: fc2.data, y: out)
            for r in 0..<rows { Kernels.add(fc2Bias.data, into: out + r * dl, count: dl) }
            return
        }
        // h2 = gelu(fc2(h1)); out = fc3(h2)
        let h2 = scratch + rows * w1
        BLAS.linear(rows: rows, inFeatures: w1, outFeatures: dl, x: h1, w: fc2.data, y: h2)
        for r in 0..<rows {
            Kernels.add(fc2Bias.data, into: h2 + r * dl, count: dl)
            VisionKernels.gelu(h2 + r * dl, count: dl)
        }
        BLAS.linear(rows: rows, inFeatures: dl, outFeatures: dl, x: h2, w: fc3.data, y: out)
        for r in 0..<rows { Kernels.add(fc3Bias.data, into: out + r * dl, count: dl) }
    }
}
