import Foundation
import Tensors

/// The weights of a Llama-family decoder (Llama, Mistral, Qwen2), ready for inference.
///
/// Loaded once from a Hugging Face folder (config.json + safetensors), converted to
/// Float32, with the q/k/v projections fused into one matrix and the gate/up
/// projections into another, so a layer is four matrix products. Run it through a
/// ``LlamaSession``, which owns the activations and the KV cache.
///
/// ```swift
/// let model = try LlamaModel(directory: URL(fileURLWithPath: "Models/tiny-random-llama"))
/// let session = LlamaSession(model: model, maxContext: 256)
/// let tokens = try session.generate(prompt: [1, 2, 3], maxNewTokens: 8)
/// ```
public final class LlamaModel: @unchecked Sendable {
    /// One decoder layer's weights.
    public struct Layer: @unchecked Sendable {
        /// `input_layernorm.weight` (D)
        public let attentionNorm: Tensor
        /// `self_attn.{q,k,v}_proj.weight` stacked: ((H + 2·KV)·hd, D)
        public let qkv: Tensor
        /// `self_attn.{q,k,v}_proj.bias` stacked: ((H + 2·KV)·hd), if the model has them
        public let qkvBias: Tensor?
        /// `self_attn.o_proj.weight` (D, H·hd)
        public let output: Tensor
        /// `self_attn.o_proj.bias` (D)
        public let outputBias: Tensor?
        /// `post_attention_layernorm.weight` (D)
        public let mlpNorm: Tensor
        /// `mlp.{gate,up}_proj.weight` stacked: (2·I, D)
        public let gateUp: Tensor
        /// `mlp.{gate,up}_proj.bias` stacked: (2·I)
        public let gateUpBias: Tensor?
        /// `mlp.down_proj.weight` (D, I)
        public let down: Tensor
        /// `mlp.down_proj.bias` (D)
        public let downBias: Tensor?
    }

    /// The architecture.
    public let configuration: LlamaConfiguration
    /// `model.embed_tokens.weight` (V, D)
    public let embedding: Tensor
    /// The decoder layers.
    public let layers: [Layer]
    /// `model.norm.weight` (D)
    public let finalNorm: Tensor
    /// `lm_head.weight` (V, D); the embedding itself when tied.
    public let head: Tensor
    /// The inverse rotary frequencies (hd/2).
    public let inverseFrequencies: [Float]
    /// The checkpoint tensors this model consumed (so a caller loading several parts
    /// from one checkpoint can check for leftovers); empty for random weights.
    public let tensorNames: Set<String>

    /// The number of parameters (tied matrices counted once).
    public var parameterCount: Int {
        var n = embedding.count + finalNorm.count + (head === embedding ? 0 : head.count)
        for l in layers {
            n += l.attentionNorm.count + l.qkv.count + (l.qkvBias?.count ?? 0) + l.output.count + (l.outputBias?.count ?? 0)
            n += l.mlpNorm.count + l.gateUp.count + (l.gateUpBias?.count ?? 0) + l.down.count + (l.downBias?.count ?? 0)
        }
        return n
    }

    /// Loads a model folder: `config.json` and `model.safetensors` (or a sharded checkpoint).
    ///
    /// - Parameters:
    ///   - directory: The Hugging Face model folder.
    ///   - progress: Called with (tensors loaded, tensors in all) as loading proceeds.
    /// - Throws: ``ModelConfigurationError`` or ``SafeTensorsError`` naming the file and tensor.
    public convenience init(directory: URL, progress: ((Int, Int) -> Void)? = nil) throws {
        let configuration = try LlamaConfiguration(contentsOf: directory)
        let checkpoint = try SafeTensorsCheckpoint(directory: directory)
        try self.init(configuration: configuration, checkpoint: checkpoint, progress: progress)
    }

    /// Loads the weights of a decoder whose tensors are named `prefix + "model.layers.…"`.
    ///
    /// Every tensor the configuration implies must be present with its exact shape, and
    /// (when `prefix` is empty) every tensor in the checkpoint must be used, apart from
    /// `rotary_emb.inv_freq` buffers: a missing or unused tensor is an error, never a silent zero.
    /// - Parameters:
    ///   - prefix: Put before every name, e.g. `"language_model."` inside a VLA checkpoint.
    public init(configuration c: LlamaConfiguration, checkpoint: SafeTensorsCheckpoint, prefix: String = "",
                progress: ((Int, Int) -> Void)? = nil) throws {
        self.configuration = c
        var used = Set<String>()
        let perLayer = 9 + (c.queryKeyValueBias ? 3 : 0) + (c.outputBias ? 1 : 0) + (c.mlpBias ? 3 : 0)
        let total = 2 + c.hiddenLayers * perLayer + (c.tieWordEmbeddings ? 0 : 1)
        var loaded = 0
        func tensor(_ name: String, _ shape: [Int]) throws -> Tensor {
            let full = prefix + name
            let t = try checkpoint.floatTensor(full, shape: shape)
            used.insert(full)
            loaded += 1
            progress?(loaded, total)
            return t
        }
        // Stacks several (rows_i, cols) tensors into one (Σ rows_i, cols) tensor.
        func stacked(_ names: [String], _ rows: [Int], cols: Int?) throws -> Tensor {
            let out = Tensor(shape: cols.map { [rows.reduce(0, +), $0] } ?? [rows.reduce(0, +)])
            var offset = 0
            for (name, r) in zip(names, rows) {
                let full = prefix + name
                try checkpoint.copyFloats(full, shape: cols.map { [r, $0] } ?? [r], into: out.data + offset)
                used.insert(full)
                loaded += 1
                progress?(loaded, total)
                offset += r * (cols ?? 1)
            }
            return out
        }
        let d = c.hiddenSize, hd = c.headDimension, h = c.attentionHeads, kv = c.keyValueHeads, i = c.intermediateSize
        embedding = try tensor("model.embed_tokens.weight", [c.vocabularySize, d])
        var layers: [Layer] = []
        layers.reserveCapacity(c.hiddenLayers)
        for l in 0..<c.hiddenLayers {
            let p = "model.layers.\(l)."
            let a = p + "self_attn.", m = p + "mlp."
            let qkvRows = [h * hd, kv * hd, kv * hd]
            layers.append(Layer(
                attentionNorm: try tensor(p + "input_layernorm.weight", [d]),
                qkv: try stacked([a + "q_proj.weight", a + "k_proj.weight", a + "v_proj.weight"], qkvRows, cols: d),
                qkvBias: c.queryKeyValueBias ? try stacked([a + "q_proj.bias", a + "k_proj.bias", a + "v_proj.bias"], qkvRows, cols: nil) : nil,
                output: try tensor(a + "o_proj.weight", [d, h * hd]),
                outputBias: c.outputBias ? try tensor(a + "o_proj.bias", [d]) : nil,
                mlpNorm: try tensor(p + "post_attention_layernorm.weight", [d]),
                gateUp: try stacked([m + "gate_proj.weight", m + "up_proj.weight"], [i, i], cols: d),
                gateUpBias: c.mlpBias ? try stacked([m + "gate_proj.bias", m + "up_proj.bias"], [i, i], cols: nil) : nil,
                down: try tensor(m + "down_proj.weight", [d, i]),
                downBias: c.mlpBias ? try tensor(m + "down_proj.bias", [d]) : nil))
        }
        self.layers = layers
        finalNorm = try tensor("model.norm.weight", [d])
        if c.tieWordEmbeddings {
            head = embedding
            if checkpoint.contains(prefix + "lm_head.weight") { used.insert(prefix + "lm_head.weight") }
        } else {
            head = try tensor("lm_head.weight", [c.vocabularySize, d])
        }
        inverseFrequencies = c.rope.inverseFrequencies(headDimension: hd)
        for name in checkpoint.names where name.hasPrefix(prefix) && name.hasSuffix("rotary_emb.inv_freq") { used.insert(name) }
        if prefix.isEmpty {
            let unused = checkpoint.unusedNames(after: used)
            if !unused.isEmpty {
                throw SafeTensorsError.unusedTensors(file: checkpoint.file(of: unused[0]), names: unused)
            }
        }
        tensorNames = used
    }

    /// Creates a model with random weights (uniform in ±`scale`, norms at 1), for benchmarks and tests.
    public init(configuration c: LlamaConfiguration, seed: UInt64, scale: Float = 0.02) {
        self.configuration = c
        var generator = SplitMix64(seed: seed)
        func random(_ shape: [Int], _ s: Float = scale) -> Tensor {
            Tensor.uniform(shape, scale: s, using: &generator)
        }
        func ones(_ n: Int) -> Tensor { let t = Tensor(shape: [n]); t.fill(1); return t }
        let d = c.hiddenSize, hd = c.headDimension, qkvRows = (c.attentionHeads + 2 * c.keyValueHeads) * hd, i = c.intermediateSize
        embedding = random([c.vocabularySize, d])
        layers = (0..<c.hiddenLayers).map { _ in
            Layer(attentionNorm: ones(d), qkv: random([qkvRows, d]), qkvBias: c.queryKeyValueBias ? random([qkvRows]) : nil,
                  output: random([d, c.attentionHeads * hd]), outputBias: c.outputBias ? random([d]) : nil,
                  mlpNorm: ones(d), gateUp: random([2 * i, d]), gateUpBias: c.mlpBias ? random([2 * i]) : nil,
                  down: random([d, i]), downBias: c.mlpBias ? random([d]) : nil)
        }
        finalNorm = ones(d)
        head = c.tieWordEmbeddings ? embedding : random([c.vocabularySize, d])
        tensorNames = []
        inverseFrequencies = c.rope.inverseFrequencies(headDimension: hd)
    }
}
