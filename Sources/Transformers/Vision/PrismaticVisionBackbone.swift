import Foundation
import Tensors

/// The vision part of an OpenVLA / Prismatic `config.json`.
///
/// Read as OpenVLA's `PrismaticConfig` reads it: `timm_model_ids`, `image_sizes` and
/// `timm_override_act_layers` when the file has them (OpenVLA's checkpoints do), else
/// derived from `vision_backbone_id`; `use_fused_vision_backbone` defaulting to whether
/// the id starts with "dinoclip" or "dinosiglip"; the decoder width from `text_config.hidden_size`.
///
/// `timm_model_args` (one object per tower) is a SwiftVLA extension, absent in real
/// checkpoints: keyword overrides for `timm.create_model`, so tiny test checkpoints can
/// shrink the towers while keeping their real timm ids.
public struct PrismaticConfiguration: Sendable, Equatable {
    /// `vision_backbone_id`, e.g. "dinosiglip-vit-so-224px".
    public var visionBackboneID: String
    /// `timm_model_ids`: the featurizer's, then the fused featurizer's.
    public var timmModelIDs: [String]
    /// One encoder configuration per tower, in the same order.
    public var featurizers: [VisionConfiguration]
    /// `use_fused_vision_backbone`: two towers whose patch features are concatenated.
    public var usesFusedBackbone: Bool
    /// `text_config.hidden_size`: the width the projector maps to.
    public var llmHiddenSize: Int

    /// The width of a patch feature (the towers' widths added).
    public var visionDimension: Int { featurizers.reduce(0) { $0 + $1.hiddenSize } }
    /// Patches per image.
    public var patchCount: Int { featurizers[0].patchCount }
    /// Input planes: 3 per tower (OpenVLA stacks the towers' normalised images along channels).
    public var inputChannels: Int { featurizers.reduce(0) { $0 + $1.channels } }

    // Facts from OpenVLA's configuration_prismatic.py (VISION_BACKBONE_TO_*), for files that omit them.
    static let backboneTimmIDs: [String: [String]] = [
        "clip-vit-l": ["vit_large_patch14_clip_224.openai"], "clip-vit-l-336px": ["vit_large_patch14_clip_336.openai"],
        "dinov2-vit-l": ["vit_large_patch14_reg4_dinov2.lvd142m"], "in1k-vit-l": ["vit_large_patch16_224.augreg_in21k_ft_in1k"],
        "siglip-vit-so400m": ["vit_so400m_patch14_siglip_224"], "siglip-vit-so400m-384px": ["vit_so400m_patch14_siglip_384"],
        "dinoclip-vit-l-336px": ["vit_large_patch14_reg4_dinov2.lvd142m", "vit_large_patch14_clip_336.openai"],
        "dinosiglip-vit-so-224px": ["vit_large_patch14_reg4_dinov2.lvd142m", "vit_so400m_patch14_siglip_224"],
        "dinosiglip-vit-so-384px": ["vit_large_patch14_reg4_dinov2.lvd142m", "vit_so400m_patch14_siglip_384"],
    ]
    static let backboneResolutions: [String: [Int]] = [
        "clip-vit-l": [224], "siglip-vit-so400m": [224], "dinov2-vit-l": [224], "in1k-vit-l": [224],
        "clip-vit-l-336px": [336], "siglip-vit-so400m-384px": [384], "dinoclip-vit-l-336px": [336, 336],
        "dinosiglip-vit-so-224px": [224, 224], "dinosiglip-vit-so-384px": [384, 384],
    ]
    static let backboneActivations: [String: [String?]] = [
        "clip-vit-l": ["quick_gelu"], "clip-vit-l-336px": ["quick_gelu"], "dinoclip-vit-l-336px": [nil, "quick_gelu"],
    ]

    /// Reads an OpenVLA / Prismatic `config.json` (a folder or the file).
    /// - Throws: ``ModelConfigurationError``.
    public init(contentsOf url: URL) throws {
        let (json, file) = try VisionConfiguration.readJSON(url)
        try self.init(json: json, file: file)
    }

    /// Reads the vision part of a decoded OpenVLA / Prismatic `config.json`.
    public init(json: [String: Any], file: String) throws {
        let r = ConfigReader(json: json, file: file)
        let id = try r.string("vision_backbone_id") ?? "siglip-vit-so400m"
        let ids: [String]
        if let list = json["timm_model_ids"] {
            guard let l = list as? [String], !l.isEmpty, l.count <= 2 else {
                throw ModelConfigurationError.invalid(file: file, field: "timm_model_ids", detail: "expected a list of one or two timm model ids")
            }
            ids = l
        } else if let l = Self.backboneTimmIDs[id] {
            ids = l
        } else {
            throw ModelConfigurationError.unsupportedModelType(file: file, modelType: id, supported: Self.backboneTimmIDs.keys.sorted())
        }
        var sizes: [Int] = Self.backboneResolutions[id] ?? []
        if let list = json["image_sizes"] {
            guard let l = list as? [NSNumber] else {
                throw ModelConfigurationError.invalid(file: file, field: "image_sizes", detail: "expected a list of integers")
            }
            sizes = l.map(\.intValue)
        }
        guard sizes.count == ids.count else {
            throw ModelConfigurationError.invalid(file: file, field: "image_sizes", detail: "\(sizes.count) sizes for \(ids.count) timm_model_ids")
        }
        var acts: [String?] = Self.backboneActivations[id] ?? Array(repeating: nil, count: ids.count)
        if let list = json["timm_override_act_layers"] as? [Any] { acts = list.map { $0 as? String } }
        guard acts.count == ids.count else {
            throw ModelConfigurationError.invalid(file: file, field: "timm_override_act_layers", detail: "\(acts.count) entries for \(ids.count) timm_model_ids")
        }
        var args: [[String: Any]] = Array(repeating: [:], count: ids.count)
        if let list = json["timm_model_args"] {
            guard let l = list as? [[String: Any]], l.count == ids.count else {
                throw ModelConfigurationError.invalid(file: file, field: "timm_model_args", detail: "expected one object per timm_model_ids entry")
            }
            args = l
        }
        let featurizers = try ids.indices.map { i in
            try VisionConfiguration.timm(modelID: ids[i], imageSize: sizes[i], activation: acts[i], modelArguments: args[i], file: file)
        }
        let fused = try r.bool("use_fused_vision_backbone") ?? (id.hasPrefix("dinoclip") || id.hasPrefix("dinosiglip"))
        guard featurizers.count == (fused ? 2 : 1) else {
            throw ModelConfigurationError.invalid(file: file, field: "use_fused_vision_backbone",
                                                  detail: "\(fused) needs \(fused ? 2 : 1) timm_model_ids, the file has \(ids.count)")
        }
        if fused, featurizers[0].patchCount != featurizers[1].patchCount || featurizers[0].imageSize != featurizers[1].imageSize {
            throw ModelConfigurationError.invalid(file: file, field: "image_sizes",
                                                  detail: "the fused towers take \(sizes) pixels and make \(featurizers[0].patchCount) and \(featurizers[1].patchCount) patches; both must agree")
        }
        let text = ConfigReader(json: json["text_config"] as? [String: Any] ?? [:], file: file, prefix: "text_config.")
        self.visionBackboneID = id
        self.timmModelIDs = ids
        self.featurizers = featurizers
        self.usesFusedBackbone = fused
        self.llmHiddenSize = try text.int("hidden_size") ?? 4096
    }
}

/// Prismatic's (OpenVLA's) image pathway: one or two timm towers and the projector, from
/// normalised pixels to decoder-width embeddings, one per patch.
///
/// As OpenVLA's `PrismaticVisionBackbone` and `PrismaticProjector` compute it: each tower's
/// features are the output of its second-to-last block, without the final norm and without
/// prefix tokens; a fused backbone concatenates DINOv2's then SigLIP's features along the
/// channel axis; the projector maps them to `text_config.hidden_size`. Only the blocks
/// that run are loaded: each tower's last block, final `norm` and `attn_pool` are skipped.
public final class PrismaticVisionBackbone: @unchecked Sendable {
    /// The configuration.
    public let configuration: PrismaticConfiguration
    /// `vision_backbone.featurizer.*` (DINOv2 in a fused backbone).
    public let featurizer: VisionEncoder
    /// `vision_backbone.fused_featurizer.*` (SigLIP in a fused backbone), if fused.
    public let fusedFeaturizer: VisionEncoder?
    /// `projector.*`.
    public let projector: PrismaticProjector
    /// The checkpoint tensors consumed or skipped on purpose.
    public let tensorNames: Set<String>

    /// Loads an OpenVLA / Prismatic folder's vision backbone and projector.
    /// - Throws: ``ModelConfigurationError`` or ``SafeTensorsError``.
    public convenience init(directory: URL) throws {
        let configuration = try PrismaticConfiguration(contentsOf: directory)
        try self.init(configuration: configuration, checkpoint: try SafeTensorsCheckpoint(directory: directory))
    }

    /// Creates a backbone with random weights (the blocks Prismatic runs), for benchmarks and tests.
    public init(configuration c: PrismaticConfiguration, seed: UInt64) {
        configuration = c
        featurizer = VisionEncoder(configuration: c.featurizers[0], seed: seed, blockCount: c.featurizers[0].layers - 1)
        fusedFeaturizer = c.usesFusedBackbone
            ? VisionEncoder(configuration: c.featurizers[1], seed: seed &+ 1, blockCount: c.featurizers[1].layers - 1) : nil
        projector = PrismaticProjector(visionDimension: c.visionDimension, llmDimension: c.llmHiddenSize,
                                       fused: c.usesFusedBackbone, seed: seed &+ 2)
        tensorNames = []
    }

    /// Loads the vision backbone and projector from a checkpoint.
    ///
    /// Loads HF keys `vision_backbone.featurizer.*`, `vision_backbone.fused_featurizer.*` (timm names,
    /// LayerScale as `scale_factor` or `gamma`) and `projector.fc{1,2,3}.*`. Tensors under
    /// `vision_backbone.` or `projector.` that are neither used nor skipped are an error.
    /// - Parameter prefix: Put before every name (empty in OpenVLA's checkpoints).
    public init(configuration c: PrismaticConfiguration, checkpoint: SafeTensorsCheckpoint, prefix: String = "") throws {
        configuration = c
        // Prismatic runs blocks 0 … L-2 of each tower (get_intermediate_layers(n={L-2})).
        featurizer = try VisionEncoder(configuration: c.featurizers[0], checkpoint: checkpoint,
                                       prefix: prefix + "vision_backbone.featurizer.", layout: .timm,
                                       blockCount: c.featurizers[0].layers - 1)
        fusedFeaturizer = c.usesFusedBackbone
            ? try VisionEncoder(configuration: c.featurizers[1], checkpoint: checkpoint,
                                prefix: prefix + "vision_backbone.fused_featurizer.", layout: .timm,
                                blockCount: c.featurizers[1].layers - 1)
            : nil
        projector = try PrismaticProjector(checkpoint: checkpoint, prefix: prefix + "projector.",
                                           visionDimension: c.visionDimension, llmDimension: c.llmHiddenSize,
                                           fused: c.usesFusedBackbone)
        let used = featurizer.tensorNames.union(fusedFeaturizer?.tensorNames ?? []).union(projector.tensorNames)
        let unused = checkpoint.names.filter {
            ($0.hasPrefix(prefix + "vision_backbone.") || $0.hasPrefix(prefix + "projector.")) && !used.contains($0)
        }
        if !unused.isEmpty {
            throw SafeTensorsError.unusedTensors(file: checkpoint.file(of: unused[0]), names: unused)
        }
        tensorNames = used
    }
}

extension PrismaticVisionBackbone {
    /// The number of parameters loaded (the towers' blocks that run, and the projector).
    public var parameterCount: Int {
        let p = projector
        return featurizer.parameterCount + (fusedFeaturizer?.parameterCount ?? 0)
            + p.fc1.count + p.fc1Bias.count + p.fc2.count + p.fc2Bias.count + (p.fc3?.count ?? 0) + (p.fc3Bias?.count ?? 0)
    }
}

/// The run state of a ``PrismaticVisionBackbone``: image in, decoder-width patch embeddings out.
///
/// All buffers are made in `init`; ``embed(pixels:)`` allocates nothing. Not thread-safe;
/// returned buffers are valid until the next call.
public final class PrismaticVisionSession: @unchecked Sendable {
    /// The weights.
    public let backbone: PrismaticVisionBackbone
    private let towers: [VisionSession]
    private let features: Tensor   // (P, Dv) concatenated patch features
    private let projected: Tensor  // (P, Dllm)
    private let scratch: Tensor    // projector scratch

    /// Creates a session.
    public init(backbone: PrismaticVisionBackbone, threads: Int? = nil) {
        self.backbone = backbone
        let c = backbone.configuration
        towers = ([backbone.featurizer] + (backbone.fusedFeaturizer.map { [$0] } ?? [])).map {
            VisionSession(encoder: $0, threads: threads)
        }
        features = Tensor(shape: [c.patchCount, c.visionDimension])
        projected = Tensor(shape: [c.patchCount, c.llmHiddenSize])
        scratch = Tensor(shape: [backbone.projector.scratchCount(rows: c.patchCount)])
    }

    /// The patch features of the last ``embed(pixels:)``, (P, Dv): DINOv2's channels, then SigLIP's.
    public var patchFeatures: UnsafeBufferPointer<Float> { UnsafeBufferPointer(start: features.data, count: features.count) }

    /// Runs the towers and the projector on one image.
    ///
    /// - Parameter pixels: (C, H, W) normalised planes: 3 per tower, the featurizer's first
    ///   (OpenVLA's `pixel_values` of shape [1, 6, H, W] when fused, `torch.split(…, [3, 3], dim=1)`).
    /// - Returns: (P, Dllm) projected patch embeddings, the rows the decoder receives after BOS.
    public func embed(pixels: UnsafePointer<Float>) -> UnsafeBufferPointer<Float> {
        let c = backbone.configuration
        let p = c.patchCount, dv = c.visionDimension
        var offset = 0, planes = 0
        for (i, tower) in towers.enumerated() {
            let tc = c.featurizers[i]
            let f = tower.prismaticFeatures(pixels: pixels + planes * tc.imageSize * tc.imageSize)
            // torch.cat([patches, patches_fused], dim=2)
            for r in 0..<p {
                (features.data + r * dv + offset).update(from: f.baseAddress! + r * tc.hiddenSize, count: tc.hiddenSize)
            }
            offset += tc.hiddenSize
            planes += tc.channels
        }
        backbone.projector.project(features.data, rows: p, into: projected.data, scratch: scratch.data)
        return UnsafeBufferPointer(start: projected.data, count: projected.count)
    }
}
