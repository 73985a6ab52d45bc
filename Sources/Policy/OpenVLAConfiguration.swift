import Foundation
import Perception
import RobotCore
import Transformers

/// Everything an OpenVLA-layout model folder says about the policy, resolved as the
/// reference resolves it.
///
/// Reads `config.json` (`OpenVLAConfig`: vision backbone, `text_config`,
/// `pad_to_multiple_of`, `norm_stats`, `n_action_bins`), `dataset_statistics.json` when
/// present (it wins over `norm_stats`, as OpenVLA's loaders do), and
/// `preprocessor_config.json` (`PrismaticImageProcessor`: resize strategy, interpolation,
/// mean and std per tower). A real OpenVLA `text_config` names only a few fields; the rest
/// take `LlamaConfig`'s defaults, which ``LlamaConfiguration`` applies.
public struct OpenVLAConfiguration: Sendable {
    /// The vision towers and projector.
    public var vision: PrismaticConfiguration
    /// The decoder.
    public var text: LlamaConfiguration
    /// `pad_to_multiple_of`: how far the embedding was padded beyond the base vocabulary.
    public var padToMultipleOf: Int
    /// `n_action_bins`.
    public var actionBins: Int
    /// `norm_stats` (or dataset_statistics.json), if any.
    public var statistics: DatasetStatistics?
    /// Per tower, how an RGB image becomes its normalised planes.
    public var preprocessing: [ImagePreprocessing]
    /// The names of the action dimensions (SwiftVLA's `action_names` key; default
    /// `x y z roll pitch yaw gripper` for 7 dimensions).
    public var actionNames: [String]?
    /// The control rate the model was trained at, in Hz (SwiftVLA's `control_frequency` key;
    /// nil when the checkpoint does not say).
    public var controlFrequency: Double?
    /// The prompt template.
    public var prompt: PromptTemplate
    /// How many consecutive actions one prediction holds (`action_chunk` / `num_actions_chunk`,
    /// default 1 as in OpenVLA): the decoder emits `chunk × dimension` tokens, action by action.
    public var actionChunk: Int
    /// How the action tokens are chosen, from `generation_config.json` as transformers'
    /// `generate` reads it: greedy unless `do_sample` is true.
    public var decoding: Decoding
    /// The observation features the policy reads besides the image (SwiftVLA's
    /// `state_features` key; empty for OpenVLA, which reads none), e.g. `["tool.x", "tool.y",
    /// "tool.z"]`: each value is normalised with the dataset's `proprio` q01/q99 and binned
    /// like an action, and the tokens follow the prompt. See ``VLAPolicy/stateFeatures``.
    public var stateFeatures: [String]

    /// How action tokens are chosen.
    public struct Decoding: Sendable, Equatable {
        /// 0 for greedy decoding (the most likely token, OpenVLA's `do_sample=False`);
        /// otherwise the temperature the logits are divided by before sampling.
        public var temperature: Double
        /// When sampling, draw only among this many most likely tokens (0: all of them).
        public var topK: Int

        /// Greedy decoding.
        public static let greedy = Decoding(temperature: 0, topK: 0)

        /// Creates a decoding rule.
        public init(temperature: Double, topK: Int) {
            self.temperature = temperature
            self.topK = topK
        }
    }

    /// The base vocabulary whose top ids are the action bins (`vocab_size - pad_to_multiple_of`).
    public var actionVocabularySize: Int { text.vocabularySize - padToMultipleOf }

    /// Reads a model folder.
    /// - Throws: ``ModelConfigurationError`` or ``ActionStatisticsError`` naming the file and field.
    public init(directory: URL) throws {
        let configURL = directory.appendingPathComponent("config.json")
        let file = configURL.path
        guard FileManager.default.fileExists(atPath: file) else {
            throw ModelConfigurationError.cannotRead(file: file, reason: FileManager.default.fileExists(atPath: directory.path)
                ? "no config.json in this folder — is it an OpenVLA-layout model folder?" : "no such file or folder")
        }
        guard let data = try? Data(contentsOf: configURL),
              let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw ModelConfigurationError.invalid(file: file, field: "(root)", detail: "not a JSON object")
        }
        let type = json["model_type"] as? String ?? "openvla"
        guard type == "openvla" || type == "prismatic" else {
            throw ModelConfigurationError.unsupportedModelType(file: file, modelType: type, supported: ["openvla", "prismatic"])
        }
        vision = try PrismaticConfiguration(json: json, file: file)
        guard let textJSON = json["text_config"] as? [String: Any] else {
            throw ModelConfigurationError.invalid(file: file, field: "text_config", detail: "missing: the decoder's configuration")
        }
        text = try LlamaConfiguration(json: textJSON, file: file + " (text_config)")
        padToMultipleOf = (json["pad_to_multiple_of"] as? NSNumber)?.intValue ?? 64
        actionBins = (json["n_action_bins"] as? NSNumber)?.intValue ?? 256
        let baseVocabulary = text.vocabularySize - padToMultipleOf
        guard baseVocabulary >= actionBins, actionBins >= 2 else {
            throw ModelConfigurationError.invalid(file: file, field: "n_action_bins",
                                                  detail: "\(actionBins) bins do not fit below the base vocabulary of \(baseVocabulary)")
        }
        let statsURL = directory.appendingPathComponent("dataset_statistics.json")
        if let d = try? Data(contentsOf: statsURL) {
            guard let s = (try? JSONSerialization.jsonObject(with: d)) as? [String: Any] else {
                throw ActionStatisticsError.invalid(file: statsURL.path, detail: "not a JSON object")
            }
            statistics = try DatasetStatistics(json: s, file: statsURL.path)
        } else if let s = json["norm_stats"] as? [String: Any] {
            statistics = try DatasetStatistics(json: s, file: file)
        } else {
            statistics = nil
        }
        actionNames = json["action_names"] as? [String]
        controlFrequency = (json["control_frequency"] as? NSNumber)?.doubleValue
        actionChunk = ((json["action_chunk"] ?? json["num_actions_chunk"]) as? NSNumber)?.intValue ?? 1
        guard actionChunk >= 1 else {
            throw ModelConfigurationError.invalid(file: file, field: "action_chunk", detail: "must be at least 1, got \(actionChunk)")
        }
        prompt = .openVLA
        if let p = json["prompt_template"] as? String { prompt.template = p }
        if let f = json["state_features"] {
            guard let names = f as? [String], !names.isEmpty else {
                throw ModelConfigurationError.invalid(file: file, field: "state_features", detail: "must be a non-empty list of feature names, e.g. [\"tool.x\", \"tool.y\", \"tool.z\"]")
            }
            stateFeatures = names
        } else {
            stateFeatures = []
        }
        preprocessing = try Self.readPreprocessing(directory: directory, json: json, vision: vision)
        decoding = try Self.readDecoding(directory: directory)
    }

    /// `generation_config.json`: `do_sample` (default false), `temperature` (default 1.0)
    /// and `top_k` (default 50, 0 for none), transformers' defaults; `top_p` below 1 is not
    /// implemented and says so.
    private static func readDecoding(directory: URL) throws -> Decoding {
        let url = directory.appendingPathComponent("generation_config.json")
        guard let d = try? Data(contentsOf: url) else { return .greedy }
        guard let g = (try? JSONSerialization.jsonObject(with: d)) as? [String: Any] else {
            throw ModelConfigurationError.invalid(file: url.path, field: "(root)", detail: "not a JSON object")
        }
        guard (g["do_sample"] as? Bool) == true else { return .greedy }
        let temperature = (g["temperature"] as? NSNumber)?.doubleValue ?? 1.0
        let topK = (g["top_k"] as? NSNumber)?.intValue ?? 50
        guard temperature > 0, temperature.isFinite else {
            throw ModelConfigurationError.invalid(file: url.path, field: "temperature", detail: "must be above 0 when do_sample is true, got \(temperature)")
        }
        guard topK >= 0 else {
            throw ModelConfigurationError.invalid(file: url.path, field: "top_k", detail: "must be 0 (none) or more, got \(topK)")
        }
        if let topP = (g["top_p"] as? NSNumber)?.doubleValue, topP < 1 {
            throw ModelConfigurationError.unsupportedOption(file: url.path, field: "top_p", value: "\(topP)",
                                                            detail: "implemented: temperature and top_k sampling (top_p 1.0)")
        }
        return Decoding(temperature: temperature, topK: topK)
    }

    private static func readPreprocessing(directory: URL, json: [String: Any], vision: PrismaticConfiguration) throws -> [ImagePreprocessing] {
        let url = directory.appendingPathComponent("preprocessor_config.json")
        var p: [String: Any] = [:]
        if let d = try? Data(contentsOf: url) {
            guard let obj = (try? JSONSerialization.jsonObject(with: d)) as? [String: Any] else {
                throw ModelConfigurationError.invalid(file: url.path, field: "(root)", detail: "not a JSON object")
            }
            p = obj
        }
        let file = p.isEmpty ? directory.appendingPathComponent("config.json").path : url.path
        let strategy = p["image_resize_strategy"] as? String ?? json["image_resize_strategy"] as? String ?? "resize-naive"
        let towers = vision.featurizers.count
        // Defaults per tower as timm's data configs give them: DINOv2 ImageNet, SigLIP 0.5.
        let defaultMeans: [[Double]] = vision.timmModelIDs.map { $0.contains("siglip") ? [0.5, 0.5, 0.5] : [0.485, 0.456, 0.406] }
        let defaultStds: [[Double]] = vision.timmModelIDs.map { $0.contains("siglip") ? [0.5, 0.5, 0.5] : [0.229, 0.224, 0.225] }
        let means = (p["means"] as? [[NSNumber]])?.map { $0.map(\.doubleValue) } ?? defaultMeans
        let stds = (p["stds"] as? [[NSNumber]])?.map { $0.map(\.doubleValue) } ?? defaultStds
        let interpolations = p["interpolations"] as? [String] ?? Array(repeating: "bicubic", count: towers)
        guard means.count == towers, stds.count == towers, interpolations.count == towers,
              means.allSatisfy({ $0.count == 3 }), stds.allSatisfy({ $0.count == 3 }) else {
            throw ModelConfigurationError.invalid(file: file, field: "means/stds/interpolations",
                                                  detail: "expected one entry of three values per vision tower (\(towers))")
        }
        return try (0..<towers).map { i in
            let size = vision.featurizers[i].imageSize
            let filter: ResampleFilter
            switch interpolations[i] {
            case "bicubic": filter = .bicubic
            case "bilinear": filter = .bilinear
            case "nearest": filter = .box
            case "lanczos": filter = .lanczos
            default:
                throw ModelConfigurationError.unsupportedOption(file: file, field: "interpolations[\(i)]", value: "\"\(interpolations[i])\"",
                                                                detail: "implemented: bicubic, bilinear, lanczos")
            }
            let square = PixelSize(width: size, height: size)
            let resize: ImagePreprocessing.Resize
            var crop: PixelSize?
            switch strategy {
            case "resize-naive": resize = .exact(square)
            case "resize-crop": resize = .shortestEdge(size); crop = square
            default:
                throw ModelConfigurationError.unsupportedOption(file: file, field: "image_resize_strategy", value: "\"\(strategy)\"",
                                                                detail: "implemented: resize-naive (OpenVLA's), resize-crop")
            }
            return ImagePreprocessing(resize: resize, centerCrop: crop, filter: filter,
                                      mean: means[i].map(Float.init), std: stds[i].map(Float.init))
        }
    }
}
