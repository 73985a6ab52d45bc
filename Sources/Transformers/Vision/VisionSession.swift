import Foundation
import Tensors

/// The run state of a ``VisionEncoder``: the activations of one image.
///
/// All buffers are made once, in `init`; encoding an image allocates nothing. The
/// buffers a method returns belong to the session: they are valid until its next call
/// and only while the session lives (keep a reference to it, not just to the buffer).
/// A session is not thread-safe; make one per concurrent caller (they share the weights).
///
/// ```swift
/// let session = VisionSession(encoder: encoder, keepHiddenStates: true)
/// let last = session.encode(pixels: planes)      // (T, D) HF last_hidden_state
/// let embeddings = session.hiddenState(0)        // (T, D) HF hidden_states[0]
/// let patches = session.prismaticFeatures(pixels: planes)  // (P, D) Prismatic's features
/// ```
public final class VisionSession: @unchecked Sendable {
    /// The weights.
    public let encoder: VisionEncoder
    /// Whether every hidden state of a run is kept (for ``hiddenState(_:)``).
    public let keepsHiddenStates: Bool
    /// The number of hidden states the last run produced (embeddings + blocks run).
    public private(set) var hiddenStateCount = 0

    private let pool: ThreadPool
    private let columns: Tensor   // (P, C·p·p) image patches, one row per patch (im2col)
    private let x: Tensor         // (T, D) residual stream, prefix tokens first
    private let xb: Tensor        // (T, D) normalised input of a sub-layer, then its output
    private let qkv: Tensor       // (T, 3·D) q | k | v, heads side by side in each
    private let attention: Tensor // (T, D) attention output, heads side by side
    private let hidden: Tensor    // (T, I) MLP activations
    private let scores: Tensor    // (T, T) one head's attention weights
    private let output: Tensor    // (T, D) final-norm output
    private let states: Tensor?   // (L + 1, T, D) embeddings, then each block's output

    /// Creates a session.
    /// - Parameters:
    ///   - encoder: The weights (shared, read-only).
    ///   - keepHiddenStates: Keep every hidden state of a run, as HF's `output_hidden_states=True`.
    ///   - threads: Threads for element-wise work (BLAS has its own).
    public init(encoder: VisionEncoder, keepHiddenStates: Bool = false, threads: Int? = nil) {
        let c = encoder.configuration
        self.encoder = encoder
        self.keepsHiddenStates = keepHiddenStates
        self.pool = threads.map(ThreadPool.init(threads:)) ?? .shared
        let t = c.tokenCount, d = c.hiddenSize
        columns = Tensor(shape: [c.patchCount, c.channels * c.patchSize * c.patchSize])
        x = Tensor(shape: [t, d])
        xb = Tensor(shape: [t, d])
        qkv = Tensor(shape: [t, 3 * d])
        attention = Tensor(shape: [t, d])
        hidden = Tensor(shape: [t, c.intermediateSize])
        scores = Tensor(shape: [t, t])
        output = Tensor(shape: [t, d])
        states = keepHiddenStates ? Tensor(shape: [encoder.blocks.count + 1, t, d]) : nil
    }

    /// The sequence length: prefix tokens, then patches.
    public var tokenCount: Int { encoder.configuration.tokenCount }

    // MARK: Running

    /// Runs the encoder and its final norm: Hugging Face's `last_hidden_state`, timm's `forward_features`.
    ///
    /// - Parameter pixels: The normalised image, (C, H, W) planes with H = W = `imageSize`.
    /// - Returns: (T, D): prefix tokens (class, registers) first, then the patches row by row.
    ///   Without a final norm, the last block's output.
    public func encode(pixels: UnsafePointer<Float>) -> UnsafeBufferPointer<Float> {
        let c = encoder.configuration
        precondition(encoder.blocks.count == c.layers, "VisionSession.encode: the encoder was loaded with \(encoder.blocks.count) of \(c.layers) blocks")
        run(pixels: pixels)
        guard let norm = encoder.finalNorm else { return UnsafeBufferPointer(start: x.data, count: x.count) }
        let d = c.hiddenSize, eps = c.layerNormEpsilon
        let (x, out) = (self.x.data, output.data)
        pool.parallelFor(c.tokenCount, minimumPerThread: 8) { t in
            Kernels.layerNorm(x + t * d, weight: norm.weight.data, bias: norm.bias.data, out: out + t * d, count: d, epsilon: eps)
        }
        return UnsafeBufferPointer(start: out, count: output.count)
    }

    /// Runs the features Prismatic (OpenVLA) takes from a timm tower: the output of the
    /// second-to-last block, with no final norm, prefix tokens dropped.
    ///
    /// The reference: `featurizer.get_intermediate_layers(x, n={len(blocks) - 2})[0]`
    /// (`PrismaticVisionBackbone` in OpenVLA's `modeling_prismatic.py`). The last block is
    /// not run, so an encoder loaded with `blockCount: layers - 1` suffices.
    /// - Returns: (P, D), the patches row by row.
    public func prismaticFeatures(pixels: UnsafePointer<Float>) -> UnsafeBufferPointer<Float> {
        let c = encoder.configuration
        precondition(c.layers >= 2, "prismaticFeatures: needs at least 2 blocks, the encoder has \(c.layers)")
        run(pixels: pixels, blocks: c.layers - 1)
        return UnsafeBufferPointer(start: x.data + c.prefixTokens * c.hiddenSize, count: c.patchCount * c.hiddenSize)
    }

    /// Runs the embeddings and the first `blocks` blocks (all loaded blocks by default).
    ///
    /// - Returns: The residual stream after them, (T, D), no final norm.
    @discardableResult
    public func run(pixels: UnsafePointer<Float>, blocks: Int? = nil) -> UnsafeBufferPointer<Float> {
        let n = blocks ?? encoder.blocks.count
        precondition(n >= 0 && n <= encoder.blocks.count, "VisionSession.run: \(n) blocks, the encoder has \(encoder.blocks.count) loaded")
        embed(pixels)
        record(0)
        for l in 0..<n {
            block(encoder.blocks[l])
            record(l + 1)
        }
        hiddenStateCount = n + 1
        return UnsafeBufferPointer(start: x.data, count: x.count)
    }

    /// Hidden state `index` of the last run, (T, D): 0 is the embeddings, `i` the output of block `i - 1`.
    ///
    /// Hugging Face's `hidden_states[index]`. The session must keep hidden states.
    public func hiddenState(_ index: Int) -> UnsafeBufferPointer<Float> {
        guard let states else { preconditionFailure("hiddenState: make the session with keepHiddenStates: true") }
        precondition(index >= 0 && index < hiddenStateCount, "hiddenState(\(index)): the last run produced \(hiddenStateCount)")
        return UnsafeBufferPointer(start: states.row(index), count: tokenCount * encoder.configuration.hiddenSize)
    }

    private func record(_ index: Int) {
        guard let states else { return }
        states.row(index).update(from: x.data, count: x.count)
    }

    // MARK: Forward pass

    /// Patch embedding (one GEMM over im2col rows), prefix tokens, position embedding, pre-norm.
    private func embed(_ pixels: UnsafePointer<Float>) {
        let e = encoder, c = e.configuration
        let p = c.patchSize, side = c.patchesPerSide, size = c.imageSize, planes = c.channels
        let d = c.hiddenSize, k = planes * p * p, prefix = c.prefixTokens
        let cols = columns.data, x = self.x.data
        // columns[py·side + px, ch·p·p + ky·p + kx] = pixels[ch, py·p + ky, px·p + kx]:
        // the row order of the conv weight (D, C, p, p) flattened to (D, C·p·p).
        pool.parallelFor(c.patchCount, minimumPerThread: 16) { n in
            let py = n / side, px = n % side
            for ch in 0..<planes {
                for ky in 0..<p {
                    (cols + n * k + (ch * p + ky) * p).update(from: pixels + (ch * size + py * p + ky) * size + px * p, count: p)
                }
            }
        }
        // patches (P, D) = columns · Wᵀ  (the stride-p convolution `patch_embed.proj`)
        BLAS.linear(rows: c.patchCount, inFeatures: k, outFeatures: d, x: cols, w: e.patchEmbedding.data, y: x + prefix * d)
        // + conv bias + position embedding; timm `no_embed_class` covers only the patches
        let pos = e.positionEmbedding.data, covers = c.positionEmbeddingCoversPrefix
        pool.parallelFor(c.patchCount, minimumPerThread: 16) { n in
            let row = x + (prefix + n) * d
            if let b = e.patchEmbeddingBias { Kernels.add(b.data, into: row, count: d) }
            Kernels.add(pos + (covers ? prefix + n : n) * d, into: row, count: d)
        }
        // cat([cls_token, reg_token, patches]) (+ pos_embed on the prefix too when it covers it)
        if let tokens = e.prefixEmbedding {
            for t in 0..<prefix {
                (x + t * d).update(from: tokens.row(t), count: d)
                if covers { Kernels.add(pos + t * d, into: x + t * d, count: d) }
            }
        }
        if let norm = e.preNorm {
            let eps = c.layerNormEpsilon
            pool.parallelFor(c.tokenCount, minimumPerThread: 8) { t in
                Kernels.layerNorm(x + t * d, weight: norm.weight.data, bias: norm.bias.data, out: x + t * d, count: d, epsilon: eps)
            }
        }
    }

    /// One pre-norm block: `x += ls1 · attn(norm1(x))`, `x += ls2 · mlp(norm2(x))`.
    private func block(_ b: VisionEncoder.Block) {
        let c = encoder.configuration
        let n = c.tokenCount, d = c.hiddenSize, inter = c.intermediateSize
        let heads = c.attentionHeads, hd = c.headDimension, eps = c.layerNormEpsilon
        let x = self.x.data, xb = self.xb.data, qkv = self.qkv.data, att = attention.data
        let hb = hidden.data, s = scores.data

        // h = norm1(x)
        pool.parallelFor(n, minimumPerThread: 8) { t in
            Kernels.layerNorm(x + t * d, weight: b.attentionNorm.data, bias: b.attentionNormBias.data, out: xb + t * d, count: d, epsilon: eps)
        }
        // q | k | v = h · Wqkvᵀ + bqkv
        BLAS.linear(rows: n, inFeatures: d, outFeatures: 3 * d, x: xb, w: b.qkv.data, y: qkv)
        if let bias = b.qkvBias {
            pool.parallelFor(n, minimumPerThread: 8) { t in Kernels.add(bias.data, into: qkv + t * 3 * d, count: 3 * d) }
        }
        // per head: softmax(q·kᵀ / √hd) · v, no mask (every token sees every token)
        let scale = 1 / Float(hd).squareRoot()
        for h in 0..<heads {
            BLAS.gemm(transposeB: true, m: n, n: n, k: hd, alpha: scale,
                      a: qkv + h * hd, lda: 3 * d, b: qkv + d + h * hd, ldb: 3 * d, c: s, ldc: n)
            pool.parallelFor(n, minimumPerThread: 16) { t in Kernels.softmax(s + t * n, count: n) }
            BLAS.gemm(m: n, n: hd, k: n, a: s, lda: n, b: qkv + 2 * d + h * hd, ldb: 3 * d, c: att + h * hd, ldc: d)
        }
        // x += ls1 · (attention · Woᵀ + bo)
        BLAS.linear(rows: n, inFeatures: d, outFeatures: d, x: att, w: b.output.data, y: xb)
        pool.parallelFor(n, minimumPerThread: 8) { t in
            Self.addResidual(xb + t * d, bias: b.outputBias.data, scale: b.attentionScale?.data, into: x + t * d, count: d)
        }
        // h = norm2(x)
        pool.parallelFor(n, minimumPerThread: 8) { t in
            Kernels.layerNorm(x + t * d, weight: b.mlpNorm.data, bias: b.mlpNormBias.data, out: xb + t * d, count: d, epsilon: eps)
        }
        // x += ls2 · (fc2(act(fc1(h) + b1)) + b2)
        BLAS.linear(rows: n, inFeatures: d, outFeatures: inter, x: xb, w: b.fc1.data, y: hb)
        let activation = c.activation
        pool.parallelFor(n, minimumPerThread: 4) { t in
            let row = hb + t * inter
            Kernels.add(b.fc1Bias.data, into: row, count: inter)
            Self.activate(row, count: inter, activation)
        }
        BLAS.linear(rows: n, inFeatures: inter, outFeatures: d, x: hb, w: b.fc2.data, y: xb)
        pool.parallelFor(n, minimumPerThread: 8) { t in
            Self.addResidual(xb + t * d, bias: b.fc2Bias.data, scale: b.mlpScale?.data, into: x + t * d, count: d)
        }
    }

    /// `x += scale ⊙ (y + bias)` (timm `x + ls(proj(...))`); `x += y + bias` without LayerScale.
    @inline(__always)
    static func addResidual(_ y: UnsafePointer<Float>, bias: UnsafePointer<Float>, scale: UnsafePointer<Float>?,
                            into x: UnsafeMutablePointer<Float>, count n: Int) {
        if let g = scale {
            for i in 0..<n { x[i] += g[i] * (y[i] + bias[i]) }
        } else {
            for i in 0..<n { x[i] += y[i] + bias[i] }
        }
    }

    /// Applies the MLP activation in place.
    @inline(__always)
    static func activate(_ x: UnsafeMutablePointer<Float>, count n: Int, _ activation: VisionActivation) {
        switch activation {
        case .gelu: VisionKernels.gelu(x, count: n)
        case .geluTanh: Kernels.geluTanh(x, count: n)
        case .quickGelu:
            // x · sigmoid(1.702 · x)
            for i in 0..<n { x[i] = x[i] / (1 + Foundation.exp(-1.702 * x[i])) }
        }
    }
}
