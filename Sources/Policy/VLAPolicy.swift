import Foundation
import Perception
import RobotCore
import Tensors
import Tokenizers
import Transformers

/// A problem running a policy.
public enum PolicyError: Error, Equatable, CustomStringConvertible {
    /// The model has no dataset statistics, so actions cannot be un-normalised.
    case noStatistics(model: String)
    /// The prompt is longer than the policy's context allows.
    case promptTooLong(tokens: Int, maximum: Int)
    /// The tokenizer and the model disagree.
    case tokenizerMismatch(detail: String)
    /// The model reads the arm's state (``VLAPolicy/stateFeatures``) and the call gave none.
    case stateRequired(model: String, features: [String])
    /// The state given does not fit the model's features (wrong count or not finite).
    case invalidState(model: String, features: [String], values: [Double])

    public var description: String {
        switch self {
        case let .noStatistics(model): return "\(model): no dataset statistics (norm_stats in config.json or dataset_statistics.json) to un-normalise actions with"
        case let .promptTooLong(tokens, maximum): return "the prompt has \(tokens) tokens; this policy takes at most \(maximum) — shorten the instruction"
        case let .tokenizerMismatch(detail): return "tokenizer and model disagree: \(detail)"
        case let .stateRequired(model, features):
            return "\(model): this policy reads the arm's state (\(features.joined(separator: ", "))) besides the image; give their values as state (vla act: --state)"
        case let .invalidState(model, features, values):
            return "\(model): the state must be \(features.count) finite values (\(features.joined(separator: ", "))), got \(values)"
        }
    }
}

/// How long each stage of one ``VLAPolicy/predictAction(image:instruction:state:unnormKey:)`` took, in seconds.
public struct PolicyTiming: Sendable, Equatable, Codable {
    /// Resize and normalise the image.
    public var preprocess: Double = 0
    /// Vision towers and projector.
    public var vision: Double = 0
    /// Tokenise the prompt and run the decoder over image features and prompt.
    public var prefill: Double = 0
    /// Generate the action tokens.
    public var decode: Double = 0
    /// All of it.
    public var total: Double { preprocess + vision + prefill + decode }
}

/// What a policy decided for one observation.
public struct PolicyOutput: Sendable {
    /// The action in the dataset's units (named dimensions; metres, radians, 0…1 gripper for
    /// RT-2-style 7-D actions): the first of ``actions``.
    public var action: RobotAction { actions[0] }
    /// Every action of the predicted chunk, in order (one unless the model predicts chunks).
    public var actions: [RobotAction]
    /// The action tokens the decoder produced.
    public var tokens: [Int]
    /// The actions before un-normalisation, in [-1, 1].
    public var normalized: [Double]
    /// The statistics key used.
    public var unnormKey: String
    /// Per-stage latency.
    public var timing: PolicyTiming
    /// The tokens the state was given to the model as (empty for a policy without ``VLAPolicy/stateFeatures``).
    public var stateTokens: [Int] = []
}

/// A vision-language-action policy in the RT-2/OpenVLA style: an image and an
/// instruction in, a robot action out.
///
/// Loads an OpenVLA-layout folder (`config.json`, `model.safetensors`, `tokenizer.json`,
/// optional `preprocessor_config.json` and `dataset_statistics.json`) and predicts exactly
/// as `OpenVLAForActionPrediction.predict_action` does: the image through the (fused)
/// vision towers and the projector, the prompt `In: What action should the robot take to
/// {instruction}?\nOut:` plus the empty SentencePiece token, the image features placed
/// right after BOS, greedy decoding of one token per action dimension, de-tokenisation
/// into bin centres and un-normalisation with the chosen dataset's statistics.
///
/// A SwiftVLA-trained policy may also read the arm's state (``stateFeatures``, from
/// config.json's `state_features`): its values, binned as actions are with the dataset's
/// `proprio` statistics, follow the prompt as tokens. Pass them as `state`
/// (`StateFeatures`, in Actuation and `import VLA`, computes them from an arm's joint positions).
///
/// ```swift
/// let policy = try VLAPolicy(modelDirectory: URL(fileURLWithPath: "Models/sim-tabletop-vla"))
/// // This model also reads the tool point (policy.stateFeatures), in metres.
/// let out = try policy.predictAction(image: frame.image, instruction: "go to the red cup", state: [0.0, -0.18, 0.06])
/// print(out.action, out.timing.total)
/// ```
///
/// Thread safety: a policy owns its scratch buffers and KV cache, so one call runs at a
/// time (calls are serialised by an internal lock). Reuse one policy for every step of a
/// control loop: nothing is allocated per call beyond the prompt's token ids and the small
/// result arrays (buffers, KV cache and resampling plans are reused). For
/// parallel inference make one policy per thread.
public final class VLAPolicy: @unchecked Sendable {
    /// The resolved configuration.
    public let configuration: OpenVLAConfiguration
    /// The model folder.
    public let directory: URL
    /// The tokenizer.
    public let tokenizer: Tokenizer
    /// The action tokenizer.
    public let actionTokenizer: ActionTokenizer
    /// The number of action dimensions (from the statistics; OpenVLA's `get_action_dim`).
    public let actionDimension: Int
    /// Restrict decoding to the action tokens (RT-2's way). Off by default, as in OpenVLA,
    /// so results match the reference; when on, the decoder can only emit valid bins.
    public var constrainedDecoding = false
    /// The statistics key used when a call gives none.
    public var defaultUnnormKey: String?
    /// The observation features this policy reads besides the image, in order (config.json's
    /// `state_features`; empty for OpenVLA checkpoints): `tool.x`, `tool.y`, `tool.z` are the
    /// tool point in metres in the arm's base frame, `<joint>.pos` a joint's position
    /// (radians; gripper 0…1). ``predictAction(image:instruction:state:unnormKey:)`` then
    /// needs their values: each is normalised with the dataset's `proprio` q01/q99, binned
    /// as an action value is, and its token appended to the prompt.
    public var stateFeatures: [String] { configuration.stateFeatures }

    /// The middle of the training data's state range (halfway between the `proprio` q01
    /// and q99 of the default statistics), for timing a step with no arm; nil when the
    /// policy reads no state.
    public var centralState: [Double]? {
        guard !stateFeatures.isEmpty, let stats = configuration.statistics,
              let key = try? stats.statistics(for: defaultUnnormKey).key, let p = stats.proprio[key] else { return nil }
        return zip(p.q01, p.q99).map { ($0 + $1) / 2 }
    }
    /// How the action tokens are chosen; from the folder's `generation_config.json`
    /// (greedy when it does not ask for sampling, as in OpenVLA). A temperature above 0
    /// draws each token from the action tokens' probabilities with the logits divided by
    /// it, using a generator seeded by ``reseedSampler(_:)``, so a run is reproducible.
    public var decoding: OpenVLAConfiguration.Decoding

    /// Restarts the sampler's random sequence (used only when ``decoding`` samples).
    public func reseedSampler(_ seed: UInt64) {
        lock.lock()
        defer { lock.unlock() }
        sampler = SplitMix64(seed: seed)
    }

    private var sampler = SplitMix64(seed: 0)
    private let vision: PrismaticVisionSession
    private let language: LlamaSession
    private let preprocessors: [ImagePreprocessor]
    private let pixels: Tensor       // (C_total, H, W) stacked normalised planes, the featurizer's first
    private let embeddings: Tensor   // (maxPrompt, D) decoder input: BOS, image patches, prompt tokens
    private let firstLogits: Tensor  // (V) logits of the first action token, kept for inspection
    private let spaceToken: Int?
    private let lock = NSLock()
    private let maxPromptTokens: Int

    /// Loads a policy from an OpenVLA-layout folder.
    ///
    /// - Parameters:
    ///   - modelDirectory: The folder.
    ///   - unnormKey: The default dataset statistics to un-normalise with (nil: the only one).
    ///   - maxPromptTokens: The longest tokenised prompt accepted (sizes the KV cache).
    ///   - threads: Threads for attention and element-wise work.
    ///   - progress: Called with (steps done, steps in all) while loading.
    /// - Throws: ``ModelConfigurationError``, ``SafeTensorsError``, ``TokenizerError``,
    ///   ``ActionStatisticsError`` or ``PolicyError``, each naming the file.
    public init(modelDirectory: URL, unnormKey: String? = nil, maxPromptTokens: Int = 96, threads: Int? = nil,
                progress: ((Int, Int) -> Void)? = nil) throws {
        directory = modelDirectory
        let c = try OpenVLAConfiguration(directory: modelDirectory)
        configuration = c
        decoding = c.decoding
        guard let stats = c.statistics else { throw PolicyError.noStatistics(model: modelDirectory.path) }
        // OpenVLA's get_action_dim: the length of the chosen dataset's q01. Without a key the
        // datasets must agree (a call then names the key, or there is only one).
        if let unnormKey { _ = try stats.statistics(for: unnormKey) }
        defaultUnnormKey = unnormKey
        let dims = Set(unnormKey.map { [stats.actions[$0]!.dimension] } ?? stats.actions.values.map(\.dimension))
        guard dims.count == 1, let dimension = dims.first else {
            throw ActionStatisticsError.invalid(file: modelDirectory.path, detail: "the datasets have different action dimensions \(dims.sorted()); give an unnorm key")
        }
        actionDimension = dimension
        if !c.stateFeatures.isEmpty {
            for key in unnormKey.map({ [$0] }) ?? stats.keys {
                guard let p = stats.proprio[key], p.dimension == c.stateFeatures.count else {
                    throw ActionStatisticsError.invalid(
                        file: modelDirectory.appendingPathComponent("config.json").path,
                        detail: "state_features names \(c.stateFeatures.count) features but '\(key)' has \(stats.proprio[key].map { "\($0.dimension)-value" } ?? "no") proprio q01/q99 to bin them with")
                }
            }
        }
        let checkpoint = try SafeTensorsCheckpoint(directory: modelDirectory)
        progress?(1, 4)
        let backbone = try PrismaticVisionBackbone(configuration: c.vision, checkpoint: checkpoint)
        progress?(2, 4)
        let lm = try LlamaModel(configuration: c.text, checkpoint: checkpoint, prefix: "language_model.")
        progress?(3, 4)
        let unused = checkpoint.unusedNames(after: backbone.tensorNames.union(lm.tensorNames))
        if !unused.isEmpty { throw SafeTensorsError.unusedTensors(file: checkpoint.file(of: unused[0]), names: unused) }
        let tokenizer = try Tokenizer(directory: modelDirectory)
        self.tokenizer = tokenizer
        progress?(4, 4)
        actionTokenizer = ActionTokenizer(vocabularySize: c.actionVocabularySize, bins: c.actionBins)
        guard tokenizer.vocabularySize <= c.text.vocabularySize else {
            throw PolicyError.tokenizerMismatch(detail: "the tokenizer has \(tokenizer.vocabularySize) tokens, the decoder's embedding \(c.text.vocabularySize)")
        }
        spaceToken = c.prompt.trailingToken.flatMap { tokenizer.id(for: $0) }
        self.maxPromptTokens = maxPromptTokens
        let patches = c.vision.patchCount
        vision = PrismaticVisionSession(backbone: backbone, threads: threads)
        language = LlamaSession(model: lm, maxContext: patches + maxPromptTokens + actionDimension * c.actionChunk,
                                maxBatch: patches + maxPromptTokens, threads: threads)
        preprocessors = c.preprocessing.map(ImagePreprocessor.init)
        let size = c.vision.featurizers[0].imageSize
        pixels = Tensor(shape: [c.vision.inputChannels, size, size])
        embeddings = Tensor(shape: [patches + maxPromptTokens, c.text.hiddenSize])
        firstLogits = Tensor(shape: [c.text.vocabularySize])
    }

    /// The token ids of the prompt for an instruction, as the reference builds them
    /// (BOS, the template's text, then the empty SentencePiece token if missing).
    public func promptTokens(for instruction: String) -> [Int] {
        var ids = tokenizer.encode(configuration.prompt.text(for: instruction), addSpecialTokens: true)
        if let space = spaceToken, ids.last != space { ids.append(space) }
        return ids
    }

    /// The tokens a state is given to the model as: each value normalised with the dataset's
    /// `proprio` q01/q99 to [-1, 1] (clipped) and binned as an action value is.
    /// - Throws: ``PolicyError/invalidState(model:features:values:)`` for a wrong count or a
    ///   value that is not finite; ``ActionStatisticsError`` for a wrong key.
    public func stateTokens(for state: [Double], unnormKey: String? = nil) throws -> [Int] {
        guard state.count == stateFeatures.count, state.allSatisfy(\.isFinite) else {
            throw PolicyError.invalidState(model: directory.path, features: stateFeatures, values: state)
        }
        let (key, _) = try configuration.statistics!.statistics(for: unnormKey ?? defaultUnnormKey)
        guard let p = configuration.statistics!.proprio[key] else { return [] }
        return actionTokenizer.tokens(for: p.normalize(state))
    }

    /// Predicts the action for one image and instruction.
    ///
    /// - Parameters:
    ///   - image: The camera image, any size, RGB or BGR (OpenCV's order is converted).
    ///   - instruction: What the robot should do, e.g. "put the red block in the bowl".
    ///   - state: The values of ``stateFeatures`` observed with the image (required when the
    ///     policy has any; ignored otherwise), e.g. the tool point in metres.
    ///   - unnormKey: The dataset statistics to use (default: ``defaultUnnormKey``).
    /// - Returns: The action, its tokens and a timing breakdown.
    /// - Throws: ``ActionStatisticsError`` for a wrong key, ``PolicyError/promptTooLong(tokens:maximum:)``,
    ///   ``PolicyError/stateRequired(model:features:)`` or ``PolicyError/invalidState(model:features:values:)``.
    public func predictAction(image: Image, instruction: String, state: [Double]? = nil, unnormKey: String? = nil) throws -> PolicyOutput {
        lock.lock()
        defer { lock.unlock() }
        let (key, stats) = try configuration.statistics!.statistics(for: unnormKey ?? defaultUnnormKey)
        guard stats.dimension == actionDimension else {
            throw ActionStatisticsError.invalid(file: directory.path, detail: "'\(key)' has \(stats.dimension) action dimensions, the policy was set up for \(actionDimension)")
        }
        var stateIDs: [Int] = []
        if !stateFeatures.isEmpty {
            guard let state else { throw PolicyError.stateRequired(model: directory.path, features: stateFeatures) }
            stateIDs = try stateTokens(for: state, unnormKey: key)
        }
        var timing = PolicyTiming()
        var t0 = Timestamp.now()

        // 1. Image → normalised planes, one set of 3 per tower (pixel_values, [C, H, W]).
        var offset = 0
        for p in preprocessors {
            let n = p.outputCount(for: PixelSize(width: image.width, height: image.height))
            image.pixels.withUnsafeBufferPointer { src in
                p.process(pixels: src, size: PixelSize(width: image.width, height: image.height), format: image.format,
                          into: UnsafeMutableBufferPointer(start: pixels.data + offset, count: n))
            }
            offset += n
        }
        var t1 = Timestamp.now(); timing.preprocess = t1.seconds(since: t0); t0 = t1

        // 2. Vision towers + projector → (P, D) patch embeddings.
        let patches = vision.embed(pixels: pixels.data)
        t1 = Timestamp.now(); timing.vision = t1.seconds(since: t0); t0 = t1

        // 3. [emb(BOS), patches, emb(rest of prompt)] → decoder (PrismaticForConditionalGeneration.forward).
        let ids = promptTokens(for: instruction) + stateIDs
        guard ids.count <= maxPromptTokens else { throw PolicyError.promptTooLong(tokens: ids.count, maximum: maxPromptTokens) }
        let d = configuration.text.hiddenSize, p = configuration.vision.patchCount
        let table = language.model.embedding
        embeddings.row(0).update(from: table.row(ids[0]), count: d)
        (embeddings.data + d).update(from: patches.baseAddress!, count: p * d)
        for (i, id) in ids.dropFirst().enumerated() {
            (embeddings.data + (1 + p + i) * d).update(from: table.row(id), count: d)
        }
        language.reset()
        try language.prefill(embeddings: embeddings.data, count: 1 + p + ids.count - 1, logits: .last)
        t1 = Timestamp.now(); timing.prefill = t1.seconds(since: t0); t0 = t1

        // 4. One token per action dimension (and per action of a chunk): greedy, or sampled.
        let allowed = constrainedDecoding ? Array(actionTokenizer.tokenRange) : nil
        let count = actionDimension * configuration.actionChunk
        var tokens: [Int] = []
        tokens.reserveCapacity(count)
        var logits = language.logits(at: -1)
        firstLogits.data.update(from: logits.baseAddress!, count: logits.count)
        for n in 0..<count {
            let next = decoding.temperature > 0 ? sampleActionToken(logits) : LlamaSession.argmax(logits, allowed: allowed)
            tokens.append(next)
            if n < count - 1 { logits = try language.step(next) }
        }
        t1 = Timestamp.now(); timing.decode = t1.seconds(since: t0)

        // 5. Tokens → bin centres → the dataset's units.
        let normalized = actionTokenizer.values(for: tokens)
        let names = configuration.actionNames ?? (actionDimension == 7 ? RobotAction.endEffectorDeltaNames : (0..<actionDimension).map { "a\($0)" })
        let space: RobotAction.Space = configuration.actionNames == nil && actionDimension == 7 ? .endEffectorDelta : .jointPositions
        let actions = (0..<configuration.actionChunk).map { k in
            let slice = Array(normalized[(k * actionDimension)..<((k + 1) * actionDimension)])
            return RobotAction(space: space, names: names, values: stats.unnormalize(slice), timestamp: t1)
        }
        return PolicyOutput(actions: actions, tokens: tokens, normalized: normalized, unnormKey: key, timing: timing,
                            stateTokens: stateIDs)
    }

    /// Draws one action token from softmax(logits / temperature) over the action tokens.
    private func sampleActionToken(_ logits: UnsafeBufferPointer<Float>) -> Int {
        Self.sample(logits, among: actionTokenizer.tokenRange, decoding: decoding, using: &sampler)
    }

    /// Draws one id of `range` with probability softmax(logits / temperature), only among
    /// the `topK` most likely ids when `topK` > 0 (ties at the cut stay in).
    static func sample(_ logits: UnsafeBufferPointer<Float>, among range: Range<Int>, decoding: OpenVLAConfiguration.Decoding,
                       using generator: inout SplitMix64) -> Int {
        var top = -Double.infinity
        for id in range { top = max(top, Double(logits[id])) }
        var cut = -Double.infinity
        if decoding.topK > 0 && decoding.topK < range.count {
            cut = Double(range.map { logits[$0] }.sorted(by: >)[decoding.topK - 1])
        }
        var weights = [Double](repeating: 0, count: range.count)
        var sum = 0.0
        for (k, id) in range.enumerated() where Double(logits[id]) >= cut {
            weights[k] = exp((Double(logits[id]) - top) / decoding.temperature)
            sum += weights[k]
        }
        var u = Double(generator.next() >> 11) * 0x1p-53 * sum
        var last = range.lowerBound
        for (k, w) in weights.enumerated() where w > 0 {
            u -= w
            last = range.lowerBound + k
            if u < 0 { return last }
        }
        return last
    }

    /// The patch embeddings of the last call, (P, D) (for checks against the reference's `projector_features`).
    public var lastProjectedPatches: [Float] {
        let n = configuration.vision.patchCount * configuration.text.hiddenSize
        return Array(UnsafeBufferPointer(start: embeddings.data + configuration.text.hiddenSize, count: n))
    }

    /// The logits the first action token of the last call was chosen from (for checks against the reference).
    public var lastFirstStepLogits: [Float] { firstLogits.scalars }
}
