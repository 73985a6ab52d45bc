import Foundation

// ----------------------------------------------------------------------------
// timm model ids → VisionConfiguration
//
// OpenVLA's config.json names its vision towers by timm model id
// ("vit_large_patch14_reg4_dinov2.lvd142m", "vit_so400m_patch14_siglip_224") and
// timm's registry turns an id into `VisionTransformer(**model_args)`. The table
// below holds those registry arguments (identical in timm 0.9.16, which OpenVLA
// pins, and 1.0.31) for the towers Prismatic uses; `model_args` overrides apply on
// top, exactly as `timm.create_model(id, **overrides)` merges them.
// ----------------------------------------------------------------------------

extension VisionConfiguration {
    /// The registry arguments of one timm architecture.
    struct TimmArchitecture {
        var patchSize: Int, embedDim: Int, depth: Int, heads: Int
        var mlpRatio: Double = 4
        var classToken = true
        var regTokens = 0
        var noEmbedClass = false
        var initValues: Double? = nil
        var preNorm = false
        var epsilon: Double = 1e-6
        var imageSize = 224
    }

    /// The timm architectures this engine knows by name (the tag after "." is ignored).
    static let timmArchitectures: [String: TimmArchitecture] = {
        var t: [String: TimmArchitecture] = [:]
        for size in [224, 384] {
            t["vit_so400m_patch14_siglip_\(size)"] = TimmArchitecture(patchSize: 14, embedDim: 1152, depth: 27, heads: 16,
                                                                      mlpRatio: 3.7362, classToken: false, imageSize: size)
        }
        for size in [224, 256, 384] {
            t["vit_base_patch16_siglip_\(size)"] = TimmArchitecture(patchSize: 16, embedDim: 768, depth: 12, heads: 12,
                                                                    classToken: false, imageSize: size)
        }
        for (name, dim, depth, heads) in [("small", 384, 12, 6), ("base", 768, 12, 12), ("large", 1024, 24, 16)] {
            t["vit_\(name)_patch14_reg4_dinov2"] = TimmArchitecture(patchSize: 14, embedDim: dim, depth: depth, heads: heads,
                                                                    regTokens: 4, noEmbedClass: true, initValues: 1e-5, imageSize: 518)
            t["vit_\(name)_patch14_dinov2"] = TimmArchitecture(patchSize: 14, embedDim: dim, depth: depth, heads: heads,
                                                               initValues: 1e-5, imageSize: 518)
        }
        for size in [224, 336] {
            t["vit_large_patch14_clip_\(size)"] = TimmArchitecture(patchSize: 14, embedDim: 1024, depth: 24, heads: 16,
                                                                   preNorm: true, epsilon: 1e-5, imageSize: size)
        }
        t["vit_base_patch16_224"] = TimmArchitecture(patchSize: 16, embedDim: 768, depth: 12, heads: 12)
        t["vit_large_patch16_224"] = TimmArchitecture(patchSize: 16, embedDim: 1024, depth: 24, heads: 16)
        return t
    }()

    /// The timm model ids ``timm(modelID:imageSize:activation:modelArguments:file:)`` knows.
    public static var supportedTimmModels: [String] { timmArchitectures.keys.sorted() }

    /// The configuration of a timm `VisionTransformer`, as `timm.create_model` builds it.
    ///
    /// - Parameters:
    ///   - modelID: A timm id such as `"vit_so400m_patch14_siglip_224"`; a pretrained tag
    ///     (`".lvd142m"`, `".openai"`) is ignored.
    ///   - imageSize: `img_size` (Prismatic passes its `image_sizes` entry); nil for the id's default.
    ///   - activation: `act_layer` override (OpenVLA's `timm_override_act_layers`); nil for timm's
    ///     default, exact GELU — which is what timm's SigLIP towers run, unlike Hugging Face's
    ///     `gelu_pytorch_tanh` SigLIP.
    ///   - modelArguments: Keyword overrides as `create_model` takes them (timm hub `model_args`):
    ///     `img_size`, `patch_size`, `embed_dim`, `depth`, `num_heads`, `mlp_ratio`, `class_token`,
    ///     `reg_tokens`, `no_embed_class`, `init_values`, `pre_norm`, `final_norm`, `qkv_bias`,
    ///     `act_layer`, `global_pool`, `num_classes`, `in_chans`.
    ///   - file: Named in errors.
    /// - Throws: ``ModelConfigurationError`` for an unknown id or argument.
    public static func timm(modelID: String, imageSize: Int? = nil, activation: String? = nil,
                            modelArguments: [String: Any] = [:], file: String = "(timm)") throws -> VisionConfiguration {
        let base = String(modelID.split(separator: ".", maxSplits: 1).first ?? "")
        guard var a = timmArchitectures[base] else {
            throw ModelConfigurationError.unsupportedModelType(file: file, modelType: modelID, supported: supportedTimmModels)
        }
        let r = ConfigReader(json: modelArguments, file: file, prefix: "model_args.")
        let known: Set<String> = ["img_size", "patch_size", "embed_dim", "depth", "num_heads", "mlp_ratio", "class_token",
                                  "reg_tokens", "no_embed_class", "init_values", "pre_norm", "final_norm", "qkv_bias",
                                  "act_layer", "global_pool", "num_classes", "in_chans"]
        if let unknown = modelArguments.keys.sorted().first(where: { !known.contains($0) }) {
            throw ModelConfigurationError.unsupportedOption(file: file, field: "model_args." + unknown, value: "\(modelArguments[unknown]!)",
                                                            detail: "this engine reads: \(known.sorted().joined(separator: ", "))")
        }
        a.imageSize = try r.int("img_size") ?? imageSize ?? a.imageSize
        a.patchSize = try r.int("patch_size") ?? a.patchSize
        a.embedDim = try r.int("embed_dim") ?? a.embedDim
        a.depth = try r.int("depth") ?? a.depth
        a.heads = try r.int("num_heads") ?? a.heads
        a.mlpRatio = try r.double("mlp_ratio") ?? a.mlpRatio
        a.classToken = try r.bool("class_token") ?? a.classToken
        a.regTokens = try r.int("reg_tokens") ?? a.regTokens
        a.noEmbedClass = try r.bool("no_embed_class") ?? a.noEmbedClass
        if modelArguments.keys.contains("init_values") {  // `LayerScale if init_values else Identity`
            a.initValues = try r.double("init_values").flatMap { $0 == 0 ? nil : $0 }
        }
        a.preNorm = try r.bool("pre_norm") ?? a.preNorm
        let actName = try r.string("act_layer") ?? activation ?? "gelu"
        guard let act = VisionActivation(name: actName) else {
            throw ModelConfigurationError.unsupportedOption(file: file, field: "act_layer", value: "\"\(actName)\"",
                                                            detail: "implemented: gelu, gelu_tanh, quick_gelu")
        }
        let c = VisionConfiguration(
            hiddenSize: a.embedDim,
            intermediateSize: Int(Double(a.embedDim) * a.mlpRatio),  // timm: int(dim * mlp_ratio)
            layers: a.depth, attentionHeads: a.heads, patchSize: a.patchSize, imageSize: a.imageSize,
            channels: try r.int("in_chans") ?? 3, layerNormEpsilon: Float(a.epsilon), activation: act,
            classToken: a.classToken, registerTokens: a.regTokens,
            positionEmbeddingCoversPrefix: !a.noEmbedClass,
            layerScale: a.initValues != nil, preNorm: a.preNorm, patchEmbeddingBias: !a.preNorm,
            attentionBias: try r.bool("qkv_bias") ?? true, finalNorm: try r.bool("final_norm") ?? true)
        try c.validate(file: file)
        return c
    }
}
