import Foundation
import Tensors

/// A problem running a language model on given tokens.
public enum LanguageModelError: Error, Equatable, CustomStringConvertible {
    /// A token id is outside the vocabulary.
    case tokenOutOfRange(id: Int, vocabularySize: Int)
    /// The prompt and generated tokens would exceed the session's context.
    case contextFull(position: Int, adding: Int, maxContext: Int)
    /// Nothing to run.
    case emptyPrompt
    /// A constraint allows no token of the vocabulary.
    case emptyConstraint

    public var description: String {
        switch self {
        case let .tokenOutOfRange(id, v): return "token id \(id) is outside the vocabulary (0..<\(v))"
        case let .contextFull(p, n, m): return "the context is full: \(p) tokens in the cache + \(n) new > \(m) (make the session with a larger maxContext)"
        case .emptyPrompt: return "the prompt is empty"
        case .emptyConstraint: return "the set of allowed tokens has no token inside the vocabulary"
        }
    }
}

/// Which positions of a forward pass produce logits.
public enum LogitsSelection: Sendable {
    /// No logits (only fills the KV cache).
    case none
    /// The last position only (what generation needs).
    case last
    /// Every position.
    case all
}

/// The run state of a ``LlamaModel``: activations, KV cache and rotary tables.
///
/// All buffers are made once, in `init`; ``prefill(_:logits:)`` and ``step(_:)``
/// allocate nothing. Prompts longer than `maxBatch` are run in chunks. A session is
/// not thread-safe; make one per concurrent conversation (they share the weights).
public final class LlamaSession: @unchecked Sendable {
    /// The model.
    public let model: LlamaModel
    /// The most tokens the KV cache holds.
    public let maxContext: Int
    /// The most tokens one batched forward pass processes.
    public let maxBatch: Int
    /// The number of tokens in the KV cache (the position of the next token).
    public private(set) var position = 0

    private let pool: ThreadPool
    private let x: Tensor       // (maxBatch, D) residual stream
    private let xb: Tensor      // (maxBatch, D) normalised input of a sub-layer
    private let qkv: Tensor     // (maxBatch, (H + 2·KV)·hd) fused projections
    private let attention: Tensor  // (maxBatch, H·hd) attention output, heads side by side
    private let hidden: Tensor  // (maxBatch, 2·I) gate | up, then silu(gate)·up in the first half
    private let logitsBuffer: Tensor  // (maxBatch, V)
    private let scores: Tensor  // (H, maxContext) attention weights, one row per head
    private let keyCache: Tensor    // (L, KV, maxContext, hd)
    private let valueCache: Tensor  // (L, KV, maxContext, hd)
    private let ropeCos: Tensor     // (maxContext, hd/2)
    private let ropeSin: Tensor     // (maxContext, hd/2)
    private var logitRows = 0       // rows of logitsBuffer holding the last pass's logits
    private var logitFirstRow = 0   // prompt index of logitsBuffer row 0

    /// Creates a session.
    /// - Parameters:
    ///   - model: The weights (shared, read-only).
    ///   - maxContext: The KV cache's capacity in tokens (default: the model's max positions, at most 2048).
    ///   - maxBatch: Tokens per batched forward pass (longer prompts are chunked).
    ///   - threads: Threads for attention and element-wise work (BLAS has its own).
    public init(model: LlamaModel, maxContext: Int? = nil, maxBatch: Int = 128, threads: Int? = nil) {
        let c = model.configuration
        self.model = model
        self.maxContext = max(1, maxContext ?? min(c.maxPositionEmbeddings, 2048))
        self.maxBatch = max(1, min(maxBatch, self.maxContext))
        self.pool = threads.map(ThreadPool.init(threads:)) ?? .shared
        let d = c.hiddenSize, hd = c.headDimension
        x = Tensor(shape: [self.maxBatch, d])
        xb = Tensor(shape: [self.maxBatch, d])
        qkv = Tensor(shape: [self.maxBatch, (c.attentionHeads + 2 * c.keyValueHeads) * hd])
        attention = Tensor(shape: [self.maxBatch, c.attentionHeads * hd])
        hidden = Tensor(shape: [self.maxBatch, 2 * c.intermediateSize])
        logitsBuffer = Tensor(shape: [self.maxBatch, c.vocabularySize])
        scores = Tensor(shape: [c.attentionHeads, self.maxContext])
        keyCache = Tensor(shape: [c.hiddenLayers, c.keyValueHeads, self.maxContext, hd])
        valueCache = Tensor(shape: [c.hiddenLayers, c.keyValueHeads, self.maxContext, hd])
        // cos/sin(position · inv_freq), with the product rounded to Float32 as the reference does.
        ropeCos = Tensor(shape: [self.maxContext, hd / 2])
        ropeSin = Tensor(shape: [self.maxContext, hd / 2])
        for p in 0..<self.maxContext {
            for (i, f) in model.inverseFrequencies.enumerated() {
                let angle = Double(Float(p) * f)
                ropeCos.data[p * hd / 2 + i] = Float(cos(angle))
                ropeSin.data[p * hd / 2 + i] = Float(sin(angle))
            }
        }
    }

    /// Forgets the cached tokens (the buffers are kept).
    public func reset() { position = 0; logitRows = 0 }

    /// Drops cached tokens after `newPosition` (e.g. to reuse a shared prompt prefix).
    public func rewind(to newPosition: Int) {
        precondition(newPosition >= 0 && newPosition <= position, "rewind(to: \(newPosition)) outside 0...\(position)")
        position = newPosition
        logitRows = 0
    }

    // MARK: Running

    /// Runs tokens through the model at the current position, appending them to the cache.
    ///
    /// - Parameters:
    ///   - tokens: Token ids.
    ///   - logits: Which positions get logits, read them with ``logits(at:)``.
    /// - Throws: ``LanguageModelError`` for an empty prompt, an id outside the vocabulary, or a full cache.
    public func prefill(_ tokens: [Int], logits: LogitsSelection = .last) throws {
        guard !tokens.isEmpty else { throw LanguageModelError.emptyPrompt }
        let v = model.configuration.vocabularySize
        for t in tokens where t < 0 || t >= v { throw LanguageModelError.tokenOutOfRange(id: t, vocabularySize: v) }
        try tokens.withUnsafeBufferPointer { ids in
            try run(count: ids.count, logits: logits) { start, n, x in
                let d = self.model.configuration.hiddenSize
                for t in 0..<n { (x + t * d).update(from: self.model.embedding.row(ids[start + t]), count: d) }
            }
        }
    }

    /// Runs input embeddings (e.g. image features followed by text embeddings) through the model.
    ///
    /// - Parameters:
    ///   - embeddings: `count` rows of `hiddenSize` values.
    ///   - logits: Which positions get logits.
    public func prefill(embeddings: UnsafePointer<Float>, count: Int, logits: LogitsSelection = .last) throws {
        guard count > 0 else { throw LanguageModelError.emptyPrompt }
        let d = model.configuration.hiddenSize
        try run(count: count, logits: logits) { start, n, x in
            x.update(from: embeddings + start * d, count: n * d)
        }
    }

    /// Runs one token (a decode step) and returns the logits for the next one.
    ///
    /// The buffer is the session's own: it is valid until the next call on this session.
    public func step(_ token: Int) throws -> UnsafeBufferPointer<Float> {
        let v = model.configuration.vocabularySize
        guard token >= 0 && token < v else { throw LanguageModelError.tokenOutOfRange(id: token, vocabularySize: v) }
        try run(count: 1, logits: .last) { _, _, x in
            x.update(from: self.model.embedding.row(token), count: self.model.configuration.hiddenSize)
        }
        return logits(at: -1)
    }

    /// The logits the last pass produced at prompt index `index` (negative counts from the end).
    ///
    /// Valid until the next call on this session. With `.last`, only index -1 exists;
    /// with `.all` and a prompt longer than `maxBatch`, only the last chunk's rows are kept.
    public func logits(at index: Int) -> UnsafeBufferPointer<Float> {
        let v = model.configuration.vocabularySize
        let row = (index < 0 ? logitFirstRow + logitRows + index : index) - logitFirstRow
        precondition(row >= 0 && row < logitRows, "logits(at: \(index)): the last pass kept \(logitRows) row(s)")
        return UnsafeBufferPointer(start: logitsBuffer.row(row), count: v)
    }

    /// The token embedding width.
    public var hiddenSize: Int { model.configuration.hiddenSize }

    // MARK: Generation

    /// Greedy decoding: runs the prompt, then picks the most likely token, `maxNewTokens` times.
    ///
    /// - Parameters:
    ///   - prompt: Token ids to start from (appended to whatever the cache holds).
    ///   - maxNewTokens: How many tokens to generate at most.
    ///   - allowed: If given, only these ids may be chosen (RT-2-style constrained decoding).
    ///   - stopTokens: Generation ends after producing one of these.
    ///   - onStep: Called with each chosen token and the logits it was chosen from.
    /// - Returns: The generated tokens.
    @discardableResult
    public func generate(prompt: [Int], maxNewTokens: Int, allowed: [Int]? = nil, stopTokens: Set<Int> = [],
                         onStep: ((Int, UnsafeBufferPointer<Float>) -> Void)? = nil) throws -> [Int] {
        let v = model.configuration.vocabularySize
        let constraint = allowed.map { $0.filter { $0 >= 0 && $0 < v } }
        if let constraint, constraint.isEmpty { throw LanguageModelError.emptyConstraint }
        guard position + prompt.count + max(0, maxNewTokens - 1) <= maxContext else {
            throw LanguageModelError.contextFull(position: position, adding: prompt.count + maxNewTokens - 1, maxContext: maxContext)
        }
        try prefill(prompt, logits: .last)
        var out: [Int] = []
        out.reserveCapacity(maxNewTokens)
        var logits = self.logits(at: -1)
        for n in 0..<maxNewTokens {
            let next = Self.argmax(logits, allowed: constraint)
            onStep?(next, logits)
            out.append(next)
            if stopTokens.contains(next) || n == maxNewTokens - 1 { break }
            logits = try step(next)
        }
        return out
    }

    /// The most likely token among `allowed` (or the whole vocabulary); the lowest id on ties.
    public static func argmax(_ logits: UnsafeBufferPointer<Float>, allowed: [Int]? = nil) -> Int {
        guard let allowed else { return Kernels.argmax(logits.baseAddress!, count: logits.count) }
        var best = allowed[0]
        for id in allowed where logits[id] > logits[best] || (logits[id] == logits[best] && id < best) { best = id }
        return best
    }

    // MARK: Forward pass

    /// Runs `count` new positions in chunks of `maxBatch`; `fill(start, n, x)` writes the
    /// input embeddings of positions `start..<start+n` (relative to this call) into `x`.
    private func run(count: Int, logits: LogitsSelection,
                     fill: (Int, Int, UnsafeMutablePointer<Float>) -> Void) throws {
        guard position + count <= maxContext else {
            throw LanguageModelError.contextFull(position: position, adding: count, maxContext: maxContext)
        }
        var start = 0
        while start < count {
            let n = min(maxBatch, count - start)
            fill(start, n, x.data)
            let isLast = start + n == count
            let selection: LogitsSelection = logits == .all ? .all : (isLast ? logits : .none)
            forward(count: n, logits: selection)
            if selection == .all { logitFirstRow = start }
            if selection == .last { logitFirstRow = count - 1 }
            start += n
        }
    }

    /// The transformer over `n` positions whose input embeddings are in `x`, at `position`.
    private func forward(count n: Int, logits: LogitsSelection) {
        let c = model.configuration
        let d = c.hiddenSize, hd = c.headDimension, nh = c.attentionHeads, nkv = c.keyValueHeads
        let inter = c.intermediateSize, qkvWidth = (nh + 2 * nkv) * hd
        let group = nh / nkv
        let p0 = position
        let eps = c.rmsNormEpsilon
        let scale = 1 / Float(hd).squareRoot()
        let x = self.x.data, xb = self.xb.data, qkv = self.qkv.data, att = attention.data, hb = hidden.data
        let cacheLayer = nkv * maxContext * hd, cacheHead = maxContext * hd
        let half = hd / 2

        for (l, layer) in model.layers.enumerated() {
            // h = input_layernorm(x)
            pool.parallelFor(n, minimumPerThread: 8) { t in
                Kernels.rmsNorm(x + t * d, weight: layer.attentionNorm.data, out: xb + t * d, count: d, epsilon: eps)
            }
            // q | k | v = h · [Wq | Wk | Wv]ᵀ (+ biases)
            BLAS.linear(rows: n, inFeatures: d, outFeatures: qkvWidth, x: xb, w: layer.qkv.data, y: qkv)
            let kBase = keyCache.data + l * cacheLayer, vBase = valueCache.data + l * cacheLayer
            pool.parallelFor(n, minimumPerThread: 8) { t in
                let row = qkv + t * qkvWidth
                if let b = layer.qkvBias { Kernels.add(b.data, into: row, count: qkvWidth) }
                // apply_rotary_pos_emb to q and k, then append k, v to the cache
                let cosP = ropeCos.data + (p0 + t) * half, sinP = ropeSin.data + (p0 + t) * half
                for h in 0..<(nh + nkv) { Kernels.rotateHalf(row + h * hd, cos: cosP, sin: sinP, headDim: hd) }
                for g in 0..<nkv {
                    (kBase + g * cacheHead + (p0 + t) * hd).update(from: row + (nh + g) * hd, count: hd)
                    (vBase + g * cacheHead + (p0 + t) * hd).update(from: row + (nh + nkv + g) * hd, count: hd)
                }
            }
            // Attention per head: softmax(q·Kᵀ/√hd + causal/sliding mask) · V
            let window = c.slidingWindows[l]
            // One new token (decode) is too little work to hand to other threads; staying
            // on this thread also keeps the decode step free of any allocation.
            pool.parallelFor(nh, minimumPerThread: n == 1 ? nh : 1) { h in
                let g = h / group
                let keys = kBase + g * cacheHead, values = vBase + g * cacheHead
                let s = scores.data + h * maxContext
                for t in 0..<n {
                    let pos = p0 + t
                    let first = window.map { max(0, pos - $0 + 1) } ?? 0
                    let q = qkv + t * qkvWidth + h * hd
                    for j in first...pos { s[j - first] = Kernels.dot(q, keys + j * hd, count: hd) * scale }
                    let span = pos - first + 1
                    Kernels.softmax(s, count: span)
                    let out = att + t * nh * hd + h * hd
                    out.update(repeating: 0, count: hd)
                    for j in first...pos { Kernels.addScaled(values + j * hd, s[j - first], into: out, count: hd) }
                }
            }
            // x += attention · Woᵀ (+ bias)
            BLAS.linear(rows: n, inFeatures: nh * hd, outFeatures: d, x: att, w: layer.output.data, y: x, beta: 1)
            if let b = layer.outputBias { for t in 0..<n { Kernels.add(b.data, into: x + t * d, count: d) } }

            // h = post_attention_layernorm(x); x += down(silu(gate(h)) · up(h))
            pool.parallelFor(n, minimumPerThread: 8) { t in
                Kernels.rmsNorm(x + t * d, weight: layer.mlpNorm.data, out: xb + t * d, count: d, epsilon: eps)
            }
            BLAS.linear(rows: n, inFeatures: d, outFeatures: 2 * inter, x: xb, w: layer.gateUp.data, y: hb)
            pool.parallelFor(n, minimumPerThread: 4) { t in
                let row = hb + t * 2 * inter
                if let b = layer.gateUpBias { Kernels.add(b.data, into: row, count: 2 * inter) }
                Kernels.siluMultiply(row, row + inter, count: inter)
            }
            BLAS.linear(rows: n, inFeatures: inter, outFeatures: d, x: hb, xStride: 2 * inter, w: layer.down.data, y: x, beta: 1)
            if let b = layer.downBias { for t in 0..<n { Kernels.add(b.data, into: x + t * d, count: d) } }
        }
        position += n

        // logits = lm_head(norm(x)) for the selected rows
        let first: Int
        switch logits {
        case .none: logitRows = 0; return
        case .last: first = n - 1
        case .all: first = 0
        }
        let rows = n - first
        for t in first..<n {
            Kernels.rmsNorm(x + t * d, weight: model.finalNorm.data, out: xb + (t - first) * d, count: d, epsilon: eps)
        }
        BLAS.linear(rows: rows, inFeatures: d, outFeatures: c.vocabularySize, x: xb, w: model.head.data, y: logitsBuffer.data)
        logitRows = rows
    }
}
