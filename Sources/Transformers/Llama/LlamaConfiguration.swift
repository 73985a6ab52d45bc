import Foundation

/// A problem with a model's `config.json`.
public enum ModelConfigurationError: Error, Equatable, CustomStringConvertible {
    /// The file could not be read.
    case cannotRead(file: String, reason: String)
    /// The file is not valid JSON or a field has the wrong type.
    case invalid(file: String, field: String, detail: String)
    /// The architecture is not one this engine runs.
    case unsupportedModelType(file: String, modelType: String, supported: [String])
    /// An option is set to a value this engine does not implement.
    case unsupportedOption(file: String, field: String, value: String, detail: String)

    public var description: String {
        switch self {
        case let .cannotRead(file, reason): return "\(file): cannot read: \(reason)"
        case let .invalid(file, field, detail): return "\(file): field '\(field)': \(detail)"
        case let .unsupportedModelType(file, type, supported):
            return "\(file): model_type '\(type)' is not supported (supported: \(supported.joined(separator: ", ")))"
        case let .unsupportedOption(file, field, value, detail):
            return "\(file): '\(field)' = \(value) is not supported: \(detail)"
        }
    }
}

/// Rotary position embedding settings, from `rope_theta`/`rope_scaling` (checkpoints
/// written before transformers 5) or `rope_parameters` (transformers 5 and later).
public struct RopeConfiguration: Sendable, Equatable {
    /// How the inverse frequencies are scaled.
    public enum Scaling: Sendable, Equatable {
        /// No scaling (`rope_type` "default").
        case none
        /// Position interpolation: every inverse frequency divided by `factor` (`rope_type` "linear").
        case linear(factor: Float)
        /// Llama 3.1's frequency-dependent scaling (`rope_type` "llama3").
        case llama3(factor: Float, lowFrequencyFactor: Float, highFrequencyFactor: Float, originalMaxPositions: Int)
    }
    /// The base θ of the inverse frequencies `θ^(-2i/d)`.
    public var theta: Float
    /// The scaling of the frequencies.
    public var scaling: Scaling

    /// Creates rotary settings with base `theta` and the given scaling.
    public init(theta: Float, scaling: Scaling = .none) {
        self.theta = theta
        self.scaling = scaling
    }

    /// The inverse frequencies for a head of `headDimension`, `headDimension / 2` of them.
    ///
    /// Computed in Float32 exactly as Hugging Face's `ROPE_INIT_FUNCTIONS` compute them.
    public func inverseFrequencies(headDimension d: Int) -> [Float] {
        let base: [Float] = (0..<(d / 2)).map { i in 1 / powf(theta, Float(2 * i) / Float(d)) }
        switch scaling {
        case .none:
            return base
        case let .linear(factor):
            return base.map { $0 / factor }
        case let .llama3(factor, low, high, original):
            let old = Float(original)
            let lowWavelength = old / low, highWavelength = old / high
            return base.map { f in
                let wavelength = 2 * Float.pi / f
                let scaled = wavelength > lowWavelength ? f / factor : f
                let smooth = (old / wavelength - low) / (high - low)
                let smoothed = (1 - smooth) * scaled / factor + smooth * scaled
                let medium = !(wavelength < highWavelength) && !(wavelength > lowWavelength)
                return medium ? smoothed : scaled
            }
        }
    }
}

/// The architecture of a Llama-family decoder, from a Hugging Face `config.json`.
///
/// Reads `LlamaForCausalLM`, `MistralForCausalLM` and `Qwen2ForCausalLM` configurations
/// (`model_type` "llama", "mistral", "qwen2"). Optional keys get the defaults the
/// reference classes give them; options this engine does not implement are rejected
/// with ``ModelConfigurationError`` rather than silently mis-run.
public struct LlamaConfiguration: Sendable, Equatable {
    /// The Hugging Face `model_type`.
    public var modelType: String
    /// `hidden_size`: the width of the residual stream.
    public var hiddenSize: Int
    /// `intermediate_size`: the width of the MLP.
    public var intermediateSize: Int
    /// `num_hidden_layers`.
    public var hiddenLayers: Int
    /// `num_attention_heads`.
    public var attentionHeads: Int
    /// `num_key_value_heads` (fewer than `attentionHeads` for grouped-query attention).
    public var keyValueHeads: Int
    /// `head_dim` (default `hiddenSize / attentionHeads`).
    public var headDimension: Int
    /// `rms_norm_eps`.
    public var rmsNormEpsilon: Float
    /// Rotary embedding settings.
    public var rope: RopeConfiguration
    /// Whether q/k/v projections have biases (Qwen2 always; Llama's `attention_bias`).
    public var queryKeyValueBias: Bool
    /// Whether the output projection has a bias (Llama's `attention_bias`).
    public var outputBias: Bool
    /// `mlp_bias` (Llama).
    public var mlpBias: Bool
    /// `tie_word_embeddings`: the output head reuses the token embedding matrix.
    public var tieWordEmbeddings: Bool
    /// `vocab_size`.
    public var vocabularySize: Int
    /// `max_position_embeddings`.
    public var maxPositionEmbeddings: Int
    /// Per layer, the sliding-window size, or nil for full causal attention
    /// (Mistral's `sliding_window`; Qwen2's `use_sliding_window`/`max_window_layers`; `layer_types`).
    public var slidingWindows: [Int?]
    /// `bos_token_id`, if given.
    public var bosTokenID: Int?
    /// `eos_token_id` (one or several), if given.
    public var eosTokenIDs: [Int]

    /// The architectures this engine runs.
    public static let supportedModelTypes = ["llama", "mistral", "qwen2"]

    /// Creates a configuration directly (for tests and benchmarks).
    public init(modelType: String = "llama", hiddenSize: Int, intermediateSize: Int, hiddenLayers: Int,
                attentionHeads: Int, keyValueHeads: Int? = nil, headDimension: Int? = nil,
                rmsNormEpsilon: Float = 1e-5, rope: RopeConfiguration = .init(theta: 10000, scaling: .none),
                queryKeyValueBias: Bool = false, outputBias: Bool = false, mlpBias: Bool = false,
                tieWordEmbeddings: Bool = false, vocabularySize: Int, maxPositionEmbeddings: Int = 2048,
                slidingWindows: [Int?]? = nil, bosTokenID: Int? = nil, eosTokenIDs: [Int] = []) {
        self.modelType = modelType
        self.hiddenSize = hiddenSize
        self.intermediateSize = intermediateSize
        self.hiddenLayers = hiddenLayers
        self.attentionHeads = attentionHeads
        self.keyValueHeads = keyValueHeads ?? attentionHeads
        self.headDimension = headDimension ?? hiddenSize / attentionHeads
        self.rmsNormEpsilon = rmsNormEpsilon
        self.rope = rope
        self.queryKeyValueBias = queryKeyValueBias
        self.outputBias = outputBias
        self.mlpBias = mlpBias
        self.tieWordEmbeddings = tieWordEmbeddings
        self.vocabularySize = vocabularySize
        self.maxPositionEmbeddings = maxPositionEmbeddings
        self.slidingWindows = slidingWindows ?? Array(repeating: nil, count: hiddenLayers)
        self.bosTokenID = bosTokenID
        self.eosTokenIDs = eosTokenIDs
    }

    /// Reads `config.json` from a model folder (or the file itself).
    /// - Throws: ``ModelConfigurationError``.
    public init(contentsOf url: URL) throws {
        var file = url
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir), isDir.boolValue {
            file = url.appendingPathComponent("config.json")
        }
        guard FileManager.default.fileExists(atPath: file.path) else {
            let reason = FileManager.default.fileExists(atPath: url.path)
                ? "no config.json in this folder — is it a Hugging Face model folder?"
                : "no such file or folder"
            throw ModelConfigurationError.cannotRead(file: file.path, reason: reason)
        }
        let data: Data
        do { data = try Data(contentsOf: file) } catch {
            throw ModelConfigurationError.cannotRead(file: file.path, reason: (error as NSError).localizedDescription)
        }
        guard let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw ModelConfigurationError.invalid(file: file.path, field: "(root)", detail: "not a JSON object")
        }
        try self.init(json: json, file: file.path)
    }

    /// Reads a configuration from a decoded `config.json` object (also a VLA's `text_config`).
    public init(json: [String: Any], file: String) throws {
        let r = ConfigReader(json: json, file: file)
        let type = try r.string("model_type") ?? "llama"
        guard Self.supportedModelTypes.contains(type) else {
            throw ModelConfigurationError.unsupportedModelType(file: file, modelType: type, supported: Self.supportedModelTypes)
        }
        let hidden = try r.int("hidden_size") ?? 4096
        let layers = try r.int("num_hidden_layers") ?? 32
        let heads = try r.int("num_attention_heads") ?? 32
        let kvHeads = try r.int("num_key_value_heads") ?? (type == "mistral" ? 8 : heads)
        let headDim = try r.int("head_dim") ?? hidden / max(heads, 1)
        for (field, v) in [("hidden_size", hidden), ("num_hidden_layers", layers), ("num_attention_heads", heads),
                           ("num_key_value_heads", kvHeads), ("head_dim", headDim)] where v <= 0 {
            throw ModelConfigurationError.invalid(file: file, field: field, detail: "must be positive, got \(v)")
        }
        guard heads % kvHeads == 0 else {
            throw ModelConfigurationError.invalid(file: file, field: "num_key_value_heads",
                                                  detail: "\(kvHeads) does not divide num_attention_heads \(heads)")
        }
        guard headDim % 2 == 0 else {
            throw ModelConfigurationError.invalid(file: file, field: "head_dim", detail: "rotary embedding needs an even head_dim, got \(headDim)")
        }
        if let act = try r.string("hidden_act"), act != "silu" {
            throw ModelConfigurationError.unsupportedOption(file: file, field: "hidden_act", value: act, detail: "only \"silu\" is implemented")
        }
        let defaultIntermediate = type == "mistral" ? 14336 : (type == "qwen2" ? 22016 : 11008)
        let attentionBias = try r.bool("attention_bias") ?? false
        let eos: [Int]
        if let list = json["eos_token_id"] as? [Any] { eos = list.compactMap { ($0 as? NSNumber)?.intValue } }
        else if let one = try r.int("eos_token_id") { eos = [one] }
        else { eos = [] }
        self.init(
            modelType: type,
            hiddenSize: hidden,
            intermediateSize: try r.int("intermediate_size") ?? defaultIntermediate,
            hiddenLayers: layers,
            attentionHeads: heads,
            keyValueHeads: kvHeads,
            headDimension: headDim,
            rmsNormEpsilon: Float(try r.double("rms_norm_eps") ?? 1e-6),
            rope: try Self.readRope(r, file: file),
            queryKeyValueBias: type == "qwen2" ? true : attentionBias,
            outputBias: type == "llama" ? attentionBias : false,
            mlpBias: type == "llama" ? (try r.bool("mlp_bias") ?? false) : false,
            tieWordEmbeddings: try r.bool("tie_word_embeddings") ?? false,
            vocabularySize: try r.int("vocab_size") ?? 32000,
            maxPositionEmbeddings: try r.int("max_position_embeddings") ?? 2048,
            slidingWindows: try Self.readSlidingWindows(r, type: type, layers: layers, file: file),
            bosTokenID: try r.int("bos_token_id"),
            eosTokenIDs: eos)
        if let prf = try r.double("partial_rotary_factor"), prf != 1 {
            throw ModelConfigurationError.unsupportedOption(file: file, field: "partial_rotary_factor", value: "\(prf)", detail: "only 1.0 is implemented")
        }
    }

    private static func readRope(_ r: ConfigReader, file: String) throws -> RopeConfiguration {
        // transformers ≥ 5 writes `rope_parameters` (with rope_theta inside); older
        // checkpoints have top-level `rope_theta` and an optional `rope_scaling`.
        var params: [String: Any] = [:]
        var field = "rope_scaling"
        if let p = r.json["rope_parameters"], !(p is NSNull) {
            guard let d = p as? [String: Any] else {
                throw ModelConfigurationError.invalid(file: file, field: "rope_parameters", detail: "not an object")
            }
            params = d
            field = "rope_parameters"
        } else if let p = r.json["rope_scaling"], !(p is NSNull) {
            guard let d = p as? [String: Any] else {
                throw ModelConfigurationError.invalid(file: file, field: "rope_scaling", detail: "not an object")
            }
            params = d
        }
        let pr = ConfigReader(json: params, file: file, prefix: field + ".")
        let theta = try pr.double("rope_theta") ?? r.double("rope_theta") ?? 10000
        let type = try pr.string("rope_type") ?? pr.string("type") ?? "default"
        if let prf = try pr.double("partial_rotary_factor"), prf != 1 {
            throw ModelConfigurationError.unsupportedOption(file: file, field: field + ".partial_rotary_factor", value: "\(prf)", detail: "only 1.0 is implemented")
        }
        let scaling: RopeConfiguration.Scaling
        switch type {
        case "default":
            scaling = .none
        case "linear":
            guard let f = try pr.double("factor") else {
                throw ModelConfigurationError.invalid(file: file, field: field + ".factor", detail: "linear rope scaling needs a factor")
            }
            scaling = .linear(factor: Float(f))
        case "llama3":
            guard let f = try pr.double("factor"), let lo = try pr.double("low_freq_factor"),
                  let hi = try pr.double("high_freq_factor") else {
                throw ModelConfigurationError.invalid(file: file, field: field, detail: "llama3 rope scaling needs factor, low_freq_factor and high_freq_factor")
            }
            guard let orig = try pr.int("original_max_position_embeddings") ?? r.int("max_position_embeddings") else {
                throw ModelConfigurationError.invalid(file: file, field: field + ".original_max_position_embeddings", detail: "missing")
            }
            scaling = .llama3(factor: Float(f), lowFrequencyFactor: Float(lo), highFrequencyFactor: Float(hi), originalMaxPositions: orig)
        default:
            throw ModelConfigurationError.unsupportedOption(file: file, field: field + ".rope_type", value: "\"\(type)\"",
                                                            detail: "implemented: default, linear, llama3")
        }
        return RopeConfiguration(theta: Float(theta), scaling: scaling)
    }

    private static func readSlidingWindows(_ r: ConfigReader, type: String, layers: Int, file: String) throws -> [Int?] {
        var window: Int? = try r.int("sliding_window")
        if type == "llama" { window = nil }
        if type == "qwen2", !(try r.bool("use_sliding_window") ?? false) { window = nil }
        if let w = window, w <= 0 {
            throw ModelConfigurationError.invalid(file: file, field: "sliding_window", detail: "must be positive, got \(w)")
        }
        if let types = r.json["layer_types"] as? [String] {
            guard types.count == layers else {
                throw ModelConfigurationError.invalid(file: file, field: "layer_types", detail: "\(types.count) entries for \(layers) layers")
            }
            return try types.enumerated().map { i, t in
                switch t {
                case "full_attention": return nil
                case "sliding_attention":
                    guard let w = window else {
                        throw ModelConfigurationError.invalid(file: file, field: "layer_types[\(i)]", detail: "sliding_attention without a sliding_window")
                    }
                    return w
                default:
                    throw ModelConfigurationError.unsupportedOption(file: file, field: "layer_types[\(i)]", value: "\"\(t)\"", detail: "implemented: full_attention, sliding_attention")
                }
            }
        }
        if type == "qwen2", let w = window {
            let first = try r.int("max_window_layers") ?? 28
            return (0..<layers).map { $0 >= first ? w : nil }
        }
        return Array(repeating: window, count: layers)
    }
}

/// Typed access to a JSON object's fields, throwing errors that name the field.
struct ConfigReader {
    let json: [String: Any]
    let file: String
    var prefix = ""

    private func present(_ key: String) -> Any? {
        guard let v = json[key], !(v is NSNull) else { return nil }
        return v
    }

    func int(_ key: String) throws -> Int? {
        guard let v = present(key) else { return nil }
        guard let n = v as? NSNumber, n.doubleValue == n.doubleValue.rounded() else {
            throw ModelConfigurationError.invalid(file: file, field: prefix + key, detail: "expected an integer, got \(v)")
        }
        return n.intValue
    }

    func double(_ key: String) throws -> Double? {
        guard let v = present(key) else { return nil }
        guard let n = v as? NSNumber else {
            throw ModelConfigurationError.invalid(file: file, field: prefix + key, detail: "expected a number, got \(v)")
        }
        return n.doubleValue
    }

    func bool(_ key: String) throws -> Bool? {
        guard let v = present(key) else { return nil }
        guard let b = v as? Bool else {
            throw ModelConfigurationError.invalid(file: file, field: prefix + key, detail: "expected true or false, got \(v)")
        }
        return b
    }

    func string(_ key: String) throws -> String? {
        guard let v = present(key) else { return nil }
        guard let s = v as? String else {
            throw ModelConfigurationError.invalid(file: file, field: prefix + key, detail: "expected a string, got \(v)")
        }
        return s
    }
}
