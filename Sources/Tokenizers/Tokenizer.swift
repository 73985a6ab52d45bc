import Foundation

/// A Hugging Face tokenizer loaded from a tokenizer.json file, in pure Swift.
///
/// It encodes and decodes like the Rust `tokenizers` library for the BPE families
/// vision-language-action models use: byte-level BPE (GPT-2, Llama-3, Qwen2) and
/// SentencePiece-style BPE with byte fallback (Llama-2, and so OpenVLA).
///
/// ```swift
/// let tokenizer = try Tokenizer(directory: modelDirectory)
/// let ids = tokenizer.encode("In: What action should the robot take to pick up the cup?\nOut:")
/// let text = tokenizer.decode(ids, skipSpecialTokens: true)
/// ```
///
/// Encoding runs the `tokenizers` pipeline: added tokens are cut out of the text first
/// (non-normalised ones from the input, normalised ones from the normalised text; `lstrip`,
/// `rstrip` and `single_word` respected), the rest is normalised, pre-tokenised and merged by
/// the BPE model, and the post-processor adds the special tokens.
///
/// What the file may contain:
/// - `model`: `BPE`, with merges as `"a b"` strings or `["a", "b"]` pairs, `byte_fallback`,
///   `ignore_merges`, `unk_token`, `fuse_unk`, `continuing_subword_prefix`, `end_of_word_suffix`.
/// - `normalizer`: `Sequence`, `Prepend`, `Replace` (string or regex), `NFC`, `NFD`, `NFKC`,
///   `NFKD`, `Lowercase`, `Strip`, `StripAccents`.
/// - `pre_tokenizer`: `Sequence`, `ByteLevel`, `Split` (string or regex; every behaviour;
///   `invert`), `Metaspace`, `Digits`, `Punctuation`, `Whitespace`, `WhitespaceSplit`.
/// - `post_processor`: `TemplateProcessing`, `ByteLevel`, `RobertaProcessing`,
///   `BertProcessing`, `Sequence`.
/// - `decoder`: `Sequence`, `ByteLevel`, `Replace`, `ByteFallback`, `Fuse`, `Strip`,
///   `Metaspace`, `BPEDecoder`.
///
/// Anything else (WordPiece, Unigram or WordLevel models, the `Precompiled` normaliser, BERT
/// pre-tokenisation, BPE dropout) fails at load time with
/// ``TokenizerError/unsupported(file:component:value:)``; nothing is guessed. Regular
/// expressions written for Oniguruma run on ICU with `\s` widened to Unicode `White_Space`,
/// which is what Oniguruma means by it.
///
/// The file's `truncation` is applied (keeping room for the special tokens, as `tokenizers`
/// does); its `padding` is not, because padding is only meaningful with the attention mask
/// this API does not return — pad when batching instead.
///
/// The reference is the `tokenizers` library reading the file, which is what transformers 4's
/// fast tokenizers (and so OpenVLA's reference code) do. transformers 5 rebuilds Llama
/// tokenizers from its own defaults (a Metaspace pre-tokenizer instead of the file's
/// `Prepend` normaliser), so for text starting with spaces or following a special token its
/// ids can differ from the file's.
///
/// A `Tokenizer` is immutable apart from an internal, locked per-word cache, so one instance
/// can be shared between threads.
public final class Tokenizer: @unchecked Sendable {
    private let model: BPEModel
    private let normalizer: Normalizer?
    private let preTokenizer: PreTokenizer?
    private let postProcessor: PostProcessor?
    private let decoder: Decoder?
    private let truncation: Truncation?
    private let addedTokens: [Int: AddedToken]
    // Keyed by UTF-8: Swift's String equality is canonical equivalence, `tokenizers`' is bytes.
    private let addedTokenIDs: [TokenKey: Int]
    private let specialContents: Set<TokenKey>
    private let rawMatcher: AddedTokenMatcher
    private let normalizedMatcher: AddedTokenMatcher

    /// The id of the beginning-of-sequence token, if the tokenizer has one.
    ///
    /// Taken from tokenizer_config.json's `bos_token` when that file was given and names one
    /// (`null` there means none), otherwise from the special token the post-processor's
    /// template puts before the text.
    public let bosTokenID: Int?

    /// The id of the end-of-sequence token, if known.
    ///
    /// Taken from tokenizer_config.json's `eos_token` when that file was given and names one
    /// (`null` there means none), otherwise from the special token the post-processor's
    /// template puts after the text.
    public let eosTokenID: Int?

    /// Loads `tokenizer.json` and, if present, `tokenizer_config.json` from a model folder.
    ///
    /// Only `bos_token` and `eos_token` are read from tokenizer_config.json. Its
    /// `add_bos_token`/`add_eos_token` flags are not applied: which special tokens `encode`
    /// adds is decided by tokenizer.json's post-processor, as in `tokenizers` and transformers 5
    /// (transformers 4's Llama tokenizer rebuilt the template from those flags; real files agree
    /// with their flags, OpenVLA's included).
    ///
    /// - Parameter directory: A Hugging Face model folder.
    /// - Throws: ``TokenizerError`` if either file is missing (tokenizer.json), unreadable,
    ///   malformed or uses an unsupported component.
    public convenience init(directory: URL) throws {
        let config = directory.appendingPathComponent("tokenizer_config.json")
        try self.init(
            tokenizerJSON: directory.appendingPathComponent("tokenizer.json"),
            configuration: FileManager.default.fileExists(atPath: config.path) ? config : nil)
    }

    /// Loads a tokenizer.json file, and optionally its tokenizer_config.json.
    ///
    /// - Parameters:
    ///   - tokenizerJSON: The tokenizer.json file.
    ///   - configuration: A tokenizer_config.json file whose `bos_token` and `eos_token` name
    ///     the BOS/EOS tokens; `nil` to infer them from the post-processor.
    /// - Throws: ``TokenizerError`` if a file is unreadable, malformed or uses an unsupported component.
    public convenience init(tokenizerJSON: URL, configuration: URL? = nil) throws {
        let data = try Tokenizer.read(tokenizerJSON)
        let configData = try configuration.map(Tokenizer.read)
        try self.init(data: data, file: tokenizerJSON.path, configuration: configData, configurationFile: configuration?.path)
    }

    /// Loads a tokenizer from the contents of a tokenizer.json file.
    ///
    /// - Parameters:
    ///   - data: The tokenizer.json contents.
    ///   - file: The name to report in errors.
    ///   - configuration: The contents of a tokenizer_config.json, if any.
    ///   - configurationFile: The name to report in errors about `configuration`.
    /// - Throws: ``TokenizerError`` if the JSON is malformed or uses an unsupported component.
    public init(data: Data, file: String = "tokenizer.json", configuration: Data? = nil,
                configurationFile: String? = nil) throws {
        let root = try JSONNode.parse(data, file: file)
        let modelNode = try root.required("model")
        // Files from old `tokenizers` versions may leave out the type; merges mean BPE.
        let modelType = modelNode["merges"] != nil && modelNode["type"] == nil ? "BPE" : try modelNode.type()
        guard modelType == "BPE" else { throw modelNode.unsupportedType(modelType) }
        model = try BPEModel(json: modelNode)
        normalizer = try root["normalizer"].map(Normalizer.init(json:))
        preTokenizer = try root["pre_tokenizer"].map(PreTokenizer.init(json:))
        postProcessor = try root["post_processor"].map(PostProcessor.init(json:))
        decoder = try root["decoder"].map(Decoder.init(json:))
        truncation = try root["truncation"].map(Truncation.init(json:))

        let tokens = try root["added_tokens"]?.array().map(AddedToken.init(json:)) ?? []
        var byID: [Int: AddedToken] = [:]
        var byContent: [TokenKey: Int] = [:]
        for token in tokens {
            byID[token.id] = token
            byContent[TokenKey(token.content)] = token.id
        }
        addedTokens = byID
        addedTokenIDs = byContent
        specialContents = Set(tokens.filter(\.special).map { TokenKey($0.content) })
        rawMatcher = AddedTokenMatcher(tokens: tokens.filter { !$0.normalized }) { $0.content }
        let normalizer = self.normalizer
        normalizedMatcher = AddedTokenMatcher(tokens: tokens.filter(\.normalized)) { token in
            normalizer?.normalize(token.content) ?? token.content
        }

        let template = postProcessor?.templateSpecialIDs ?? (leading: [], trailing: [])
        var bos = template.leading.first
        var eos = template.trailing.last
        if let configuration {
            let config = try JSONNode.parse(configuration, file: configurationFile ?? "tokenizer_config.json")
            let vocabulary = model.vocabulary
            // An absent key keeps the template's token; an explicit null means there is none.
            func id(of key: String) throws -> Int?? {
                guard config.contains(key) else { return nil }
                guard let node = config[key] else { return .some(nil) }
                let content = try node["content"]?.string() ?? node.string()
                guard let id = byContent[TokenKey(content)] ?? vocabulary[TokenKey(content)] else {
                    throw node.invalid("\"\(content)\" is not in the tokenizer's vocabulary")
                }
                return .some(id)
            }
            bos = try id(of: "bos_token") ?? bos
            eos = try id(of: "eos_token") ?? eos
        }
        bosTokenID = bos
        eosTokenID = eos
    }

    private static func read(_ url: URL) throws -> Data {
        do {
            return try Data(contentsOf: url)
        } catch {
            let reason = FileManager.default.fileExists(atPath: url.path) ? "unreadable" : "no such file"
            throw TokenizerError.unreadable(file: url.path, reason: reason)
        }
    }

    // MARK: - Vocabulary

    /// The number of tokens in the model's vocabulary, without added tokens.
    ///
    /// This is transformers' `tokenizer.vocab_size` (32000 for Llama-2), the number OpenVLA's
    /// action tokens count down from.
    public var vocabularySize: Int { model.vocabulary.count }

    /// The number of distinct tokens including added tokens: transformers' `len(tokenizer)`.
    public var vocabularySizeIncludingAddedTokens: Int {
        model.vocabulary.count + addedTokenIDs.keys.filter { model.vocabulary[$0] == nil }.count
    }

    /// The id of a token string, looking at added tokens first.
    ///
    /// - Parameter token: A token as spelled in the vocabulary (`"▁the"`, `"Ġthe"`, `"<s>"`).
    /// - Returns: Its id, or `nil` if it is not in the vocabulary.
    public func id(for token: String) -> Int? {
        let key = TokenKey(token)
        return addedTokenIDs[key] ?? model.vocabulary[key]
    }

    /// The token string of an id, looking at added tokens first.
    ///
    /// - Parameter id: A token id.
    /// - Returns: The token as spelled in the vocabulary, or `nil` for an unknown id.
    public func token(for id: Int) -> String? {
        if let added = addedTokens[id] { return added.content }
        guard id >= 0, id < model.tokens.count else { return nil }
        return model.tokens[id]
    }

    /// Whether `id` is a special token (one `decode(skipSpecialTokens: true)` drops).
    public func isSpecialToken(_ id: Int) -> Bool {
        token(for: id).map { specialContents.contains(TokenKey($0)) } ?? false
    }

    // MARK: - Encoding and decoding

    /// Encodes text to token ids, as `tokenizer.encode(text).ids` does in `tokenizers`.
    ///
    /// - Parameters:
    ///   - text: The text. Special-token strings in it (`"<s>"`) become their ids.
    ///   - addSpecialTokens: Whether the post-processor adds its special tokens (BOS for Llama).
    /// - Returns: The token ids.
    public func encode(_ text: String, addSpecialTokens: Bool = true) -> [Int] {
        var ids: [Int] = []
        for segment in rawMatcher.split(text, offset: 0) {
            switch segment {
            case .token(let id):
                ids.append(id)
            case let .text(raw, offset):
                let normalized = normalizer?.normalize(raw) ?? raw
                for inner in normalizedMatcher.split(normalized, offset: offset) {
                    switch inner {
                    case .token(let id):
                        ids.append(id)
                    case let .text(piece, pieceOffset):
                        let start = [PreToken(text: piece, offset: pieceOffset)]
                        for word in preTokenizer?.preTokenize(start) ?? start {
                            model.tokenize(word.text, into: &ids)
                        }
                    }
                }
            }
        }
        if let truncation {
            let added = addSpecialTokens ? postProcessor?.addedTokenCount ?? 0 : 0
            ids = truncation.truncate(ids, maxLength: max(0, truncation.maxLength - added))
        }
        return postProcessor?.process(ids, addSpecialTokens: addSpecialTokens) ?? ids
    }

    /// Decodes token ids to text, as `tokenizer.decode(ids)` does in `tokenizers`.
    ///
    /// Ids outside the vocabulary are skipped. Without a decoder in the file, tokens are
    /// joined with spaces, as `tokenizers` does.
    ///
    /// - Parameters:
    ///   - ids: Token ids.
    ///   - skipSpecialTokens: Whether to leave out special tokens such as `<s>`.
    /// - Returns: The text.
    public func decode(_ ids: [Int], skipSpecialTokens: Bool = false) -> String {
        let tokens = ids.compactMap { id -> String? in
            guard let token = token(for: id) else { return nil }
            return skipSpecialTokens && specialContents.contains(TokenKey(token)) ? nil : token
        }
        return decoder?.decode(tokens) ?? tokens.joined(separator: " ")
    }
}

/// The `truncation` section of a tokenizer.json: a length limit on encoded ids.
struct Truncation {
    let maxLength: Int
    let keepsStart: Bool

    init(json: JSONNode) throws {
        maxLength = try json.required("max_length").int()
        let direction = try json["direction"]?.string() ?? "Right"
        guard direction == "Right" || direction == "Left" else {
            throw TokenizerError.unsupported(file: json.file, component: "truncation.direction", value: direction)
        }
        keepsStart = direction == "Right"
        if let strategy = try json["strategy"]?.string(), strategy == "OnlySecond" {
            throw TokenizerError.unsupported(file: json.file, component: "truncation.strategy", value: strategy)
        }
    }

    /// Keeps the first (or, truncating on the left, the last) `maxLength` ids.
    func truncate(_ ids: [Int], maxLength: Int) -> [Int] {
        guard ids.count > maxLength else { return ids }
        return keepsStart ? Array(ids.prefix(maxLength)) : Array(ids.suffix(maxLength))
    }
}
