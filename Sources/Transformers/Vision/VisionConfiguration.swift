import Foundation

/// The activation inside a vision transformer's MLP.
public enum VisionActivation: String, Sendable, Equatable, CaseIterable {
    /// Exact GELU, `0.5·x·(1 + erf(x/√2))` (PyTorch `nn.GELU()`, timm's default; HF `"gelu"`).
    case gelu
    /// Tanh-approximated GELU (PyTorch `approximate="tanh"`; HF `"gelu_pytorch_tanh"`, `"gelu_new"`; timm `"gelu_tanh"`).
    case geluTanh
    /// CLIP's `x·sigmoid(1.702·x)` (HF and timm `"quick_gelu"`).
    case quickGelu

    /// Reads an activation name as Hugging Face's `hidden_act` or timm's `act_layer` spells it.
    public init?(name: String) {
        switch name {
        case "gelu", "gelu_python": self = .gelu
        case "gelu_pytorch_tanh", "gelu_new", "gelu_tanh": self = .geluTanh
        case "quick_gelu": self = .quickGelu
        default: return nil
        }
    }
}

/// How a checkpoint names a vision transformer's tensors.
public enum VisionWeightLayout: String, Sendable, Equatable {
    /// Hugging Face `SiglipVisionModel`: `embeddings.patch_embedding.weight`,
    /// `encoder.layers.N.self_attn.q_proj.weight`, `layer_norm1`, `mlp.fc1`, `post_layernorm`.
    case huggingFace
    /// timm `VisionTransformer`: `patch_embed.proj.weight`, `pos_embed`, `cls_token`, `reg_token`,
    /// `blocks.N.norm1`, `blocks.N.attn.qkv`, `blocks.N.ls1.gamma` (or OpenVLA's `scale_factor`), `norm`.
    case timm
}

/// The architecture of a ViT image encoder (SigLIP, DINOv2, CLIP, plain ViT).
///
/// One description covers both Hugging Face's `SiglipVisionModel` and timm's
/// `VisionTransformer`: patch embedding, learned position embeddings, optional class
/// and register tokens, pre-norm blocks with LayerNorm, attention with q/k/v biases,
/// a two-layer GELU MLP, optional LayerScale, and a final LayerNorm.
///
/// Read it from a Hugging Face `config.json` (``init(contentsOf:)``), from timm's hub
/// `config.json` (`{"architecture": …, "model_args": {…}}`), or from a timm model id
/// as OpenVLA's configuration names it (``timm(modelID:imageSize:activation:modelArguments:file:)``).
public struct VisionConfiguration: Sendable, Equatable {
    /// The width of the residual stream (HF `hidden_size`, timm `embed_dim`).
    public var hiddenSize: Int
    /// The width of the MLP (HF `intermediate_size`, timm `int(embed_dim · mlp_ratio)`).
    public var intermediateSize: Int
    /// The number of transformer blocks (HF `num_hidden_layers`, timm `depth`).
    public var layers: Int
    /// The number of attention heads.
    public var attentionHeads: Int
    /// The side of a square patch in pixels.
    public var patchSize: Int
    /// The side of the square input image in pixels.
    public var imageSize: Int
    /// The number of input planes (3).
    public var channels: Int
    /// The epsilon of every LayerNorm (HF `layer_norm_eps`; timm 1e-6, CLIP towers 1e-5).
    public var layerNormEpsilon: Float
    /// The MLP activation.
    public var activation: VisionActivation
    /// Whether a learned class token is put before the patches (timm `class_token`).
    public var classToken: Bool
    /// The number of learned register tokens after the class token (timm `reg_tokens`; DINOv2-reg: 4).
    public var registerTokens: Int
    /// Whether the position embedding also covers the class/register tokens
    /// (timm `no_embed_class == false`); otherwise it covers the patches only.
    public var positionEmbeddingCoversPrefix: Bool
    /// Whether each block scales its two branches by a learned vector (timm `init_values` set).
    public var layerScale: Bool
    /// Whether a LayerNorm is applied after the embeddings (timm `pre_norm`, CLIP).
    public var preNorm: Bool
    /// Whether the patch embedding has a bias (timm: not with `pre_norm`).
    public var patchEmbeddingBias: Bool
    /// Whether the q/k/v projections have biases (timm `qkv_bias`).
    public var attentionBias: Bool
    /// Whether a final LayerNorm follows the blocks (HF `post_layernorm`, timm `norm`).
    public var finalNorm: Bool

    /// Creates a configuration directly; the defaults are SigLIP's.
    public init(hiddenSize: Int, intermediateSize: Int, layers: Int, attentionHeads: Int, patchSize: Int,
                imageSize: Int, channels: Int = 3, layerNormEpsilon: Float = 1e-6, activation: VisionActivation = .geluTanh,
                classToken: Bool = false, registerTokens: Int = 0, positionEmbeddingCoversPrefix: Bool = true,
                layerScale: Bool = false, preNorm: Bool = false, patchEmbeddingBias: Bool = true,
                attentionBias: Bool = true, finalNorm: Bool = true) {
        self.hiddenSize = hiddenSize
        self.intermediateSize = intermediateSize
        self.layers = layers
        self.attentionHeads = attentionHeads
        self.patchSize = patchSize
        self.imageSize = imageSize
        self.channels = channels
        self.layerNormEpsilon = layerNormEpsilon
        self.activation = activation
        self.classToken = classToken
        self.registerTokens = registerTokens
        self.positionEmbeddingCoversPrefix = positionEmbeddingCoversPrefix
        self.layerScale = layerScale
        self.preNorm = preNorm
        self.patchEmbeddingBias = patchEmbeddingBias
        self.attentionBias = attentionBias
        self.finalNorm = finalNorm
    }

    /// The width of one attention head.
    public var headDimension: Int { hiddenSize / attentionHeads }
    /// Patches along each side of the image.
    public var patchesPerSide: Int { imageSize / patchSize }
    /// The number of patches (image tokens).
    public var patchCount: Int { patchesPerSide * patchesPerSide }
    /// Class and register tokens, put before the patches.
    public var prefixTokens: Int { (classToken ? 1 : 0) + registerTokens }
    /// The sequence length: prefix tokens, then patches.
    public var tokenCount: Int { prefixTokens + patchCount }
    /// The rows of the position embedding.
    public var positionCount: Int { positionEmbeddingCoversPrefix ? tokenCount : patchCount }

    /// Checks the numbers fit together.
    /// - Throws: ``ModelConfigurationError/invalid(file:field:detail:)`` naming the field.
    public func validate(file: String) throws {
        for (field, v) in [("hidden_size", hiddenSize), ("intermediate_size", intermediateSize), ("num_hidden_layers", layers),
                           ("num_attention_heads", attentionHeads), ("patch_size", patchSize), ("image_size", imageSize),
                           ("num_channels", channels)] where v <= 0 {
            throw ModelConfigurationError.invalid(file: file, field: field, detail: "must be positive, got \(v)")
        }
        guard registerTokens >= 0 else {
            throw ModelConfigurationError.invalid(file: file, field: "reg_tokens", detail: "must be 0 or more, got \(registerTokens)")
        }
        guard hiddenSize % attentionHeads == 0 else {
            throw ModelConfigurationError.invalid(file: file, field: "num_attention_heads",
                                                  detail: "\(attentionHeads) does not divide hidden_size \(hiddenSize)")
        }
        guard imageSize % patchSize == 0 else {
            throw ModelConfigurationError.invalid(file: file, field: "image_size",
                                                  detail: "\(imageSize) is not a multiple of patch_size \(patchSize)")
        }
    }

    // MARK: Hugging Face

    /// The Hugging Face `model_type`s read by ``init(contentsOf:)``.
    public static let supportedModelTypes = ["siglip_vision_model", "siglip (vision_config)", "timm (\"architecture\" + \"model_args\")"]

    /// Reads `config.json` from a model folder (or the file itself).
    ///
    /// Accepts a `SiglipVisionModel` config (`model_type` "siglip_vision_model"), a
    /// `SiglipModel` or PaliGemma-style config holding one under `vision_config`, and
    /// timm's hub config (`{"architecture": "vit_…", "model_args": {…}}`).
    /// - Throws: ``ModelConfigurationError``.
    public init(contentsOf url: URL) throws {
        let (json, file) = try Self.readJSON(url)
        self = try Self.read(json: json, file: file).configuration
    }

    /// Reads a configuration and the weight layout it implies from a decoded `config.json`.
    static func read(json: [String: Any], file: String) throws -> (configuration: VisionConfiguration, layout: VisionWeightLayout) {
        if let arch = json["architecture"] as? String {
            let args = json["model_args"] as? [String: Any] ?? [:]
            var merged = args
            if merged["num_classes"] == nil, let n = json["num_classes"] { merged["num_classes"] = n }
            return (try timm(modelID: arch, imageSize: nil, activation: nil, modelArguments: merged, file: file), .timm)
        }
        let r = ConfigReader(json: json, file: file)
        let type = try r.string("model_type")
        if type == "siglip_vision_model" { return (try huggingFace(json: json, file: file), .huggingFace) }
        if let vision = json["vision_config"] as? [String: Any],
           (vision["model_type"] as? String ?? "siglip_vision_model") == "siglip_vision_model" {
            return (try huggingFace(json: vision, file: file, prefix: "vision_config."), .huggingFace)
        }
        throw ModelConfigurationError.unsupportedModelType(file: file, modelType: type ?? "(none)", supported: supportedModelTypes)
    }

    /// A `SiglipVisionConfig`, with the defaults transformers gives missing keys.
    static func huggingFace(json: [String: Any], file: String, prefix: String = "") throws -> VisionConfiguration {
        let r = ConfigReader(json: json, file: file, prefix: prefix)
        let actName = try r.string("hidden_act") ?? "gelu_pytorch_tanh"
        guard let act = VisionActivation(name: actName) else {
            throw ModelConfigurationError.unsupportedOption(file: file, field: prefix + "hidden_act", value: "\"\(actName)\"",
                                                            detail: "implemented: gelu, gelu_pytorch_tanh, gelu_new, quick_gelu")
        }
        let c = VisionConfiguration(
            hiddenSize: try r.int("hidden_size") ?? 768, intermediateSize: try r.int("intermediate_size") ?? 3072,
            layers: try r.int("num_hidden_layers") ?? 12, attentionHeads: try r.int("num_attention_heads") ?? 12,
            patchSize: try r.int("patch_size") ?? 16, imageSize: try r.int("image_size") ?? 224,
            channels: try r.int("num_channels") ?? 3, layerNormEpsilon: Float(try r.double("layer_norm_eps") ?? 1e-6),
            activation: act)
        try c.validate(file: file)
        return c
    }

    static func readJSON(_ url: URL) throws -> ([String: Any], String) {
        var file = url
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir), isDir.boolValue {
            file = url.appendingPathComponent("config.json")
        }
        let data: Data
        do { data = try Data(contentsOf: file) } catch {
            throw ModelConfigurationError.cannotRead(file: file.path, reason: (error as NSError).localizedDescription)
        }
        guard let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw ModelConfigurationError.invalid(file: file.path, field: "(root)", detail: "not a JSON object")
        }
        return (json, file.path)
    }
}
