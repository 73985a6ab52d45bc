import Foundation
import Tensors

/// The weights of a ViT image encoder (SigLIP, DINOv2 with registers, CLIP), ready for inference.
///
/// Loaded once from a Hugging Face `SiglipVisionModel` checkpoint or a timm
/// `VisionTransformer` state dict (alone, or inside a bigger checkpoint such as
/// OpenVLA's, under a prefix), converted to Float32. The patch-embedding convolution
/// is kept as a (D, C·p·p) matrix so embedding an image is one matrix product, and
/// q/k/v are one fused (3·D, D) matrix as timm stores them. Run it through a
/// ``VisionSession``, which owns the activations.
///
/// ```swift
/// let encoder = try VisionEncoder(directory: URL(fileURLWithPath: "Tests/Fixtures/vision/siglip-hf"))
/// let session = VisionSession(encoder: encoder)
/// let features = session.encode(pixels: image)   // (tokens, D), HF `last_hidden_state`
/// ```
public final class VisionEncoder: @unchecked Sendable {
    /// One transformer block's weights (pre-norm: `x += ls1(attn(norm1(x)))`, `x += ls2(mlp(norm2(x)))`).
    public struct Block: @unchecked Sendable {
        /// `norm1` / `layer_norm1` weight and bias (D)
        public let attentionNorm: Tensor, attentionNormBias: Tensor
        /// `attn.qkv.weight` / `self_attn.{q,k,v}_proj.weight` stacked: (3·D, D), rows q | k | v, heads side by side
        public let qkv: Tensor
        /// `attn.qkv.bias` / `self_attn.{q,k,v}_proj.bias` stacked: (3·D), if the model has them
        public let qkvBias: Tensor?
        /// `attn.proj` / `self_attn.out_proj` weight (D, D) and bias (D)
        public let output: Tensor, outputBias: Tensor
        /// `ls1.gamma` or `ls1.scale_factor` (D), with LayerScale
        public let attentionScale: Tensor?
        /// `norm2` / `layer_norm2` weight and bias (D)
        public let mlpNorm: Tensor, mlpNormBias: Tensor
        /// `mlp.fc1` weight (I, D) and bias (I)
        public let fc1: Tensor, fc1Bias: Tensor
        /// `mlp.fc2` weight (D, I) and bias (D)
        public let fc2: Tensor, fc2Bias: Tensor
        /// `ls2.gamma` or `ls2.scale_factor` (D), with LayerScale
        public let mlpScale: Tensor?
    }

    /// The architecture.
    public let configuration: VisionConfiguration
    /// `patch_embed.proj.weight` / `embeddings.patch_embedding.weight` (D, C, p, p), seen as (D, C·p·p)
    public let patchEmbedding: Tensor
    /// `patch_embed.proj.bias` / `embeddings.patch_embedding.bias` (D), unless timm's `pre_norm` drops it
    public let patchEmbeddingBias: Tensor?
    /// `pos_embed` (1, positions, D) / `embeddings.position_embedding.weight` (positions, D), as (positions, D)
    public let positionEmbedding: Tensor
    /// `cls_token` (1, 1, D) then `reg_token` (1, R, D), as (prefix tokens, D); nil without prefix tokens
    public let prefixEmbedding: Tensor?
    /// `norm_pre` weight and bias (D), with timm's `pre_norm`
    public let preNorm: (weight: Tensor, bias: Tensor)?
    /// The blocks loaded (all of them unless the loader was asked for fewer).
    public let blocks: [Block]
    /// `norm` / `post_layernorm` weight and bias (D); nil when not loaded
    public let finalNorm: (weight: Tensor, bias: Tensor)?
    /// The checkpoint tensors this encoder consumed or deliberately skipped (pooling heads,
    /// blocks past `blockCount`); empty for random weights.
    public let tensorNames: Set<String>

    /// The number of parameters loaded.
    public var parameterCount: Int {
        var n = patchEmbedding.count + (patchEmbeddingBias?.count ?? 0) + positionEmbedding.count + (prefixEmbedding?.count ?? 0)
        n += (preNorm.map { $0.weight.count * 2 } ?? 0) + (finalNorm.map { $0.weight.count * 2 } ?? 0)
        for b in blocks {
            n += 4 * b.attentionNorm.count + b.qkv.count + (b.qkvBias?.count ?? 0) + b.output.count + b.outputBias.count
            n += b.fc1.count + b.fc1Bias.count + b.fc2.count + b.fc2Bias.count
            n += (b.attentionScale?.count ?? 0) + (b.mlpScale?.count ?? 0)
        }
        return n
    }

    /// Loads a model folder: `config.json` and `model.safetensors` (or shards).
    ///
    /// The folder holds a Hugging Face `SiglipVisionModel` (or a `SiglipModel`, whose
    /// `vision_model.` tensors are used), or a timm model saved with its hub `config.json`.
    /// - Throws: ``ModelConfigurationError`` or ``SafeTensorsError`` naming the file and tensor.
    public convenience init(directory: URL) throws {
        let (json, file) = try VisionConfiguration.readJSON(directory)
        let (configuration, layout) = try VisionConfiguration.read(json: json, file: file)
        let checkpoint = try SafeTensorsCheckpoint(directory: directory)
        let prefix = layout == .huggingFace ? Self.huggingFacePrefix(in: checkpoint) : ""
        try self.init(configuration: configuration, checkpoint: checkpoint, prefix: prefix, layout: layout)
    }

    /// Where a checkpoint keeps its `SiglipVisionTransformer`: `""` (a `SiglipVisionModel` saved by
    /// transformers ≥ 5), `"vision_model."` (a `SiglipModel`, or transformers 4), or PaliGemma's
    /// `"vision_tower.vision_model."`.
    public static func huggingFacePrefix(in checkpoint: SafeTensorsCheckpoint) -> String {
        for p in ["", "vision_model.", "vision_tower.vision_model.", "model.vision_tower.vision_model."]
        where checkpoint.contains(p + "embeddings.patch_embedding.weight") {
            return p
        }
        return ""
    }

    /// Loads an encoder whose tensors are named `prefix + …` in the given layout.
    ///
    /// Every tensor the configuration implies must be present with its exact shape. Every
    /// other tensor under `prefix` must be one the encoder deliberately skips — the pooling
    /// heads VLAs do not run (HF `head.*`; timm `attn_pool.*`, `head.*`, `fc_norm.*`), HF's
    /// `embeddings.position_ids` buffer, and blocks past `blockCount` with the final norm —
    /// or loading fails with ``SafeTensorsError/unusedTensors(file:names:)``.
    ///
    /// - Parameters:
    ///   - configuration: The architecture.
    ///   - checkpoint: The weights.
    ///   - prefix: Put before every name, e.g. `"vision_backbone.featurizer."` in an OpenVLA checkpoint.
    ///   - layout: How the tensors are named.
    ///   - blockCount: Load only the first blocks (Prismatic runs `layers - 1` of them and no final
    ///     norm); nil for all blocks and the final norm.
    /// - Throws: ``SafeTensorsError`` (`missingTensor`, `unexpectedShape`, `unusedTensors`), naming file and tensor.
    ///
    /// Loads timm keys `patch_embed.proj.{weight,bias}`, `pos_embed`, `cls_token`, `reg_token`,
    /// `norm_pre.*`, `blocks.N.{norm1,norm2}.{weight,bias}`, `blocks.N.attn.qkv.{weight,bias}`,
    /// `blocks.N.attn.proj.{weight,bias}`, `blocks.N.ls{1,2}.gamma` or `.scale_factor`,
    /// `blocks.N.mlp.fc{1,2}.{weight,bias}`, `norm.{weight,bias}`; HF keys
    /// `embeddings.patch_embedding.{weight,bias}`, `embeddings.position_embedding.weight`,
    /// `encoder.layers.N.layer_norm{1,2}.{weight,bias}`, `encoder.layers.N.self_attn.{q,k,v,out}_proj.{weight,bias}`,
    /// `encoder.layers.N.mlp.fc{1,2}.{weight,bias}`, `post_layernorm.{weight,bias}`.
    public init(configuration c: VisionConfiguration, checkpoint: SafeTensorsCheckpoint, prefix: String = "",
                layout: VisionWeightLayout, blockCount: Int? = nil) throws {
        try c.validate(file: checkpoint.directory.path)
        let loadBlocks = blockCount ?? c.layers
        precondition(loadBlocks >= 0 && loadBlocks <= c.layers, "VisionEncoder: blockCount \(loadBlocks) outside 0...\(c.layers)")
        configuration = c
        var used = Set<String>()
        func tensor(_ name: String, _ shape: [Int], as viewShape: [Int]? = nil) throws -> Tensor {
            let full = prefix + name
            let t = Tensor(shape: viewShape ?? shape)
            try checkpoint.copyFloats(full, shape: shape, into: t.data)
            used.insert(full)
            return t
        }
        // Stacks several tensors of `shapes` into one tensor of shape `out`.
        func stacked(_ names: [String], _ shapes: [[Int]], as out: [Int]) throws -> Tensor {
            let t = Tensor(shape: out)
            var offset = 0
            for (name, shape) in zip(names, shapes) {
                try checkpoint.copyFloats(prefix + name, shape: shape, into: t.data + offset)
                used.insert(prefix + name)
                offset += shape.reduce(1, *)
            }
            return t
        }
        let d = c.hiddenSize, inter = c.intermediateSize, p = c.patchSize, ch = c.channels
        let timm = layout == .timm

        // Embeddings
        let patchName = timm ? "patch_embed.proj." : "embeddings.patch_embedding."
        patchEmbedding = try tensor(patchName + "weight", [d, ch, p, p], as: [d, ch * p * p])
        patchEmbeddingBias = c.patchEmbeddingBias ? try tensor(patchName + "bias", [d]) : nil
        if timm {
            positionEmbedding = try tensor("pos_embed", [1, c.positionCount, d], as: [c.positionCount, d])
            var names: [String] = [], shapes: [[Int]] = []
            if c.classToken { names.append("cls_token"); shapes.append([1, 1, d]) }
            if c.registerTokens > 0 { names.append("reg_token"); shapes.append([1, c.registerTokens, d]) }
            prefixEmbedding = names.isEmpty ? nil : try stacked(names, shapes, as: [c.prefixTokens, d])
            preNorm = c.preNorm ? (try tensor("norm_pre.weight", [d]), try tensor("norm_pre.bias", [d])) : nil
        } else {
            guard c.prefixTokens == 0, !c.preNorm, !c.layerScale else {
                throw ModelConfigurationError.unsupportedOption(file: checkpoint.directory.path, field: "layout", value: "huggingFace",
                                                                detail: "SiglipVisionModel has no class/register tokens, pre-norm or LayerScale")
            }
            positionEmbedding = try tensor("embeddings.position_embedding.weight", [c.positionCount, d])
            prefixEmbedding = nil
            preNorm = nil
        }

        // Blocks
        var blocks: [Block] = []
        blocks.reserveCapacity(loadBlocks)
        for l in 0..<loadBlocks {
            if timm {
                let b = "blocks.\(l)."
                func scale(_ which: String) throws -> Tensor? {
                    guard c.layerScale else { return nil }
                    // timm stores `ls1.gamma`; OpenVLA renames it `ls1.scale_factor` (HF mangles "gamma").
                    let stored = checkpoint.contains(prefix + b + which + ".scale_factor") ? "scale_factor" : "gamma"
                    return try tensor(b + which + "." + stored, [d])
                }
                blocks.append(Block(
                    attentionNorm: try tensor(b + "norm1.weight", [d]), attentionNormBias: try tensor(b + "norm1.bias", [d]),
                    qkv: try tensor(b + "attn.qkv.weight", [3 * d, d]),
                    qkvBias: c.attentionBias ? try tensor(b + "attn.qkv.bias", [3 * d]) : nil,
                    output: try tensor(b + "attn.proj.weight", [d, d]), outputBias: try tensor(b + "attn.proj.bias", [d]),
                    attentionScale: try scale("ls1"),
                    mlpNorm: try tensor(b + "norm2.weight", [d]), mlpNormBias: try tensor(b + "norm2.bias", [d]),
                    fc1: try tensor(b + "mlp.fc1.weight", [inter, d]), fc1Bias: try tensor(b + "mlp.fc1.bias", [inter]),
                    fc2: try tensor(b + "mlp.fc2.weight", [d, inter]), fc2Bias: try tensor(b + "mlp.fc2.bias", [d]),
                    mlpScale: try scale("ls2")))
            } else {
                let b = "encoder.layers.\(l).", a = b + "self_attn."
                let projections = ["q_proj", "k_proj", "v_proj"]
                blocks.append(Block(
                    attentionNorm: try tensor(b + "layer_norm1.weight", [d]), attentionNormBias: try tensor(b + "layer_norm1.bias", [d]),
                    qkv: try stacked(projections.map { a + $0 + ".weight" }, Array(repeating: [d, d], count: 3), as: [3 * d, d]),
                    qkvBias: c.attentionBias
                        ? try stacked(projections.map { a + $0 + ".bias" }, Array(repeating: [d], count: 3), as: [3 * d]) : nil,
                    output: try tensor(a + "out_proj.weight", [d, d]), outputBias: try tensor(a + "out_proj.bias", [d]),
                    attentionScale: nil,
                    mlpNorm: try tensor(b + "layer_norm2.weight", [d]), mlpNormBias: try tensor(b + "layer_norm2.bias", [d]),
                    fc1: try tensor(b + "mlp.fc1.weight", [inter, d]), fc1Bias: try tensor(b + "mlp.fc1.bias", [inter]),
                    fc2: try tensor(b + "mlp.fc2.weight", [d, inter]), fc2Bias: try tensor(b + "mlp.fc2.bias", [d]),
                    mlpScale: nil))
            }
        }
        self.blocks = blocks

        // Final norm, unless only some blocks were asked for
        let normName = timm ? "norm." : "post_layernorm."
        finalNorm = c.finalNorm && loadBlocks == c.layers
            ? (try tensor(normName + "weight", [d]), try tensor(normName + "bias", [d])) : nil

        // Everything else under the prefix must be a part this encoder skips on purpose.
        let skipped: [String] = timm ? ["attn_pool.", "head.", "fc_norm."] : ["head.", "embeddings.position_ids"]
        let blockPrefix = timm ? "blocks." : "encoder.layers."
        for name in checkpoint.names where name.hasPrefix(prefix) && !used.contains(name) {
            let local = name.dropFirst(prefix.count)
            if skipped.contains(where: { local.hasPrefix($0) }) { used.insert(name); continue }
            if loadBlocks < c.layers {
                if local.hasPrefix(normName) { used.insert(name); continue }
                if local.hasPrefix(blockPrefix),
                   let n = Int(local.dropFirst(blockPrefix.count).prefix { $0 != "." }), n >= loadBlocks, n < c.layers {
                    used.insert(name)
                    continue
                }
            }
        }
        let unused = checkpoint.names.filter { $0.hasPrefix(prefix) && !used.contains($0) }
        if !unused.isEmpty {
            throw SafeTensorsError.unusedTensors(file: checkpoint.file(of: unused[0]), names: unused)
        }
        tensorNames = used
    }

    /// Creates an encoder with random weights (uniform in ±`scale`, norms and LayerScale at 1),
    /// for benchmarks and tests.
    /// - Parameter blockCount: Make only the first blocks, and then no final norm (nil for all).
    public init(configuration c: VisionConfiguration, seed: UInt64, scale: Float = 0.02, blockCount: Int? = nil) {
        let made = blockCount ?? c.layers
        precondition(made >= 0 && made <= c.layers, "VisionEncoder: blockCount \(made) outside 0...\(c.layers)")
        configuration = c
        var generator = SplitMix64(seed: seed)
        func random(_ shape: [Int]) -> Tensor {
            Tensor.uniform(shape, scale: scale, using: &generator)
        }
        func ones(_ n: Int) -> Tensor { let t = Tensor(shape: [n]); t.fill(1); return t }
        let d = c.hiddenSize, inter = c.intermediateSize
        patchEmbedding = random([d, c.channels * c.patchSize * c.patchSize])
        patchEmbeddingBias = c.patchEmbeddingBias ? random([d]) : nil
        positionEmbedding = random([c.positionCount, d])
        prefixEmbedding = c.prefixTokens > 0 ? random([c.prefixTokens, d]) : nil
        preNorm = c.preNorm ? (ones(d), Tensor(shape: [d])) : nil
        blocks = (0..<made).map { _ in
            Block(attentionNorm: ones(d), attentionNormBias: Tensor(shape: [d]), qkv: random([3 * d, d]),
                  qkvBias: c.attentionBias ? random([3 * d]) : nil, output: random([d, d]), outputBias: random([d]),
                  attentionScale: c.layerScale ? ones(d) : nil, mlpNorm: ones(d), mlpNormBias: Tensor(shape: [d]),
                  fc1: random([inter, d]), fc1Bias: random([inter]), fc2: random([d, inter]), fc2Bias: random([d]),
                  mlpScale: c.layerScale ? ones(d) : nil)
        }
        finalNorm = c.finalNorm && made == c.layers ? (ones(d), Tensor(shape: [d])) : nil
        tensorNames = []
    }
}
