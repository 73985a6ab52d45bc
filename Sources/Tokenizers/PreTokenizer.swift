import Foundation

/// A piece of text on its way to the model, with where it started in the input.
struct PreToken {
    /// The piece's (normalised, pre-tokenised) text.
    var text: String
    /// An offset into the original input; only whether it is zero matters
    /// (Metaspace's `prepend_scheme: "first"` prepends only to the piece at the very start).
    var offset: Int
}

/// A pre-tokenizer from a tokenizer.json `pre_tokenizer` entry.
///
/// Supports `ByteLevel` (GPT-2's regex, `add_prefix_space`, `use_regex`), `Split` (string or
/// regex, every delimiter behaviour, `invert`), `Metaspace` (`replacement`, `prepend_scheme`,
/// `split`, and the older `add_prefix_space`) and `Sequence`, plus `Digits`, `Punctuation`,
/// `Whitespace` and `WhitespaceSplit`, which are splits by a fixed pattern.
indirect enum PreTokenizer {
    case sequence([PreTokenizer])
    case byteLevel(addPrefixSpace: Bool, useRegex: Bool)
    case split(Pattern, SplitBehavior, invert: Bool)
    case metaspace(replacement: Unicode.Scalar, prependScheme: PrependScheme, split: Bool)

    /// When Metaspace puts a replacement character in front of a piece.
    enum PrependScheme: String {
        /// Always, unless the piece already starts with one.
        case always
        /// Only for the piece at the start of the input.
        case first
        /// Never.
        case never

        /// Reads `prepend_scheme`, or the older `add_prefix_space` flag.
        init(json: JSONNode) throws {
            if let scheme = json["prepend_scheme"] {
                let name = try scheme.string()
                guard let value = PrependScheme(rawValue: name.lowercased()) else {
                    throw TokenizerError.unsupported(file: json.file, component: scheme.path, value: name)
                }
                self = value
                if try json["add_prefix_space"]?.bool() == false { self = .never }
            } else if let addPrefixSpace = json["add_prefix_space"] {
                self = try addPrefixSpace.bool() ? .always : .never
            } else {
                self = .always
            }
        }
    }

    /// The pattern GPT-2 (and `ByteLevel` with `use_regex: true`) splits words with.
    static let gpt2Pattern = #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#

    /// Compiled once; `NSRegularExpression` is safe to share between threads.
    private static let gpt2Regex: Pattern = {
        // The pattern is a constant, so it always compiles.
        .regex(try! NSRegularExpression(pattern: Pattern.icuPattern(fromOniguruma: gpt2Pattern)))
    }()

    /// Parses a `pre_tokenizer` object.
    ///
    /// - Throws: ``TokenizerError/unsupported(file:component:value:)`` for other types.
    init(json: JSONNode) throws {
        let type = try json.type()
        switch type {
        case "Sequence":
            self = .sequence(try json.required("pretokenizers").array().map(PreTokenizer.init(json:)))
        case "ByteLevel":
            self = .byteLevel(
                addPrefixSpace: try json["add_prefix_space"]?.bool() ?? true,
                useRegex: try json["use_regex"]?.bool() ?? true)
        case "Split":
            self = .split(
                try Pattern(json: json.required("pattern")),
                try SplitBehavior(json: json.required("behavior")),
                invert: try json["invert"]?.bool() ?? false)
        case "Digits":
            let individual = try json["individual_digits"]?.bool() ?? false
            self = .split(.each(.numeric), individual ? .isolated : .contiguous, invert: false)
        case "Punctuation":
            let behavior = try json["behavior"].map(SplitBehavior.init(json:)) ?? .isolated
            self = .split(.each(.punctuation), behavior, invert: false)
        case "WhitespaceSplit":
            self = .split(.each(.whitespace), .removed, invert: false)
        case "Whitespace":
            self = .split(try Pattern(regex: #"\w+|[^\w\s]+"#, json: json), .removed, invert: true)
        case "Metaspace":
            self = .metaspace(
                replacement: try json.required("replacement").scalar(),
                prependScheme: try PrependScheme(json: json),
                split: try json["split"]?.bool() ?? true)
        default:
            throw json.unsupportedType(type)
        }
    }

    /// Splits (and, for ByteLevel, re-spells) the pieces.
    func preTokenize(_ pieces: [PreToken]) -> [PreToken] {
        switch self {
        case .sequence(let preTokenizers):
            return preTokenizers.reduce(pieces) { $1.preTokenize($0) }
        case let .byteLevel(addPrefixSpace, useRegex):
            var result: [PreToken] = []
            for var piece in pieces {
                if addPrefixSpace && piece.text.unicodeScalars.first != " " {
                    piece.text = " " + piece.text
                }
                if useRegex {
                    result.append(contentsOf: PreTokenizer.pieces(of: piece, splitRanges(piece.text, by: PreTokenizer.gpt2Regex, behavior: .isolated)))
                } else if !piece.text.isEmpty {
                    result.append(piece)
                }
            }
            for index in result.indices { result[index].text = ByteLevel.encode(result[index].text) }
            return result
        case let .split(pattern, behavior, invert):
            return pieces.flatMap { piece in
                PreTokenizer.pieces(of: piece, splitRanges(piece.text, by: pattern, behavior: behavior, invert: invert))
            }
        case let .metaspace(replacement, prependScheme, shouldSplit):
            return pieces.flatMap { piece -> [PreToken] in
                var scalars = String.UnicodeScalarView()
                for scalar in piece.text.unicodeScalars { scalars.append(scalar == " " ? replacement : scalar) }
                let startsWithReplacement = scalars.first == replacement
                switch prependScheme {
                case .always where !startsWithReplacement, .first where !startsWithReplacement && piece.offset == 0:
                    scalars.insert(replacement, at: scalars.startIndex)
                default:
                    break
                }
                let text = String(scalars)
                guard shouldSplit else { return text.isEmpty ? [] : [PreToken(text: text, offset: piece.offset)] }
                let ranges = splitRanges(text, by: .literal([replacement]), behavior: .mergedWithNext)
                return PreTokenizer.pieces(of: PreToken(text: text, offset: piece.offset), ranges)
            }
        }
    }

    /// The sub-pieces of `piece` at `ranges`; only the first one keeps a zero offset.
    private static func pieces(of piece: PreToken, _ ranges: [Range<String.Index>]) -> [PreToken] {
        ranges.map { range in
            let start = piece.text.utf8.distance(from: piece.text.startIndex, to: range.lowerBound)
            return PreToken(text: String(piece.text.unicodeScalars[range]), offset: piece.offset + start)
        }
    }
}

/// GPT-2's reversible byte ↔ printable-character mapping.
///
/// Printable Latin-1 bytes (`!`…`~`, `¡`…`¬`, `®`…`ÿ`) stand for themselves; the other 68
/// bytes map to U+0100 onwards in byte order, so a space is `Ġ` and a newline `Ċ`.
enum ByteLevel {
    /// The character for each byte.
    static let byteToScalar: [Unicode.Scalar] = {
        var printable = Array(UInt8(ascii: "!")...UInt8(ascii: "~")) + Array(UInt8(0xA1)...UInt8(0xAC)) + Array(UInt8(0xAE)...UInt8(0xFF))
        var table = [Unicode.Scalar](repeating: " ", count: 256)
        for byte in printable { table[Int(byte)] = Unicode.Scalar(byte) }
        var next: UInt32 = 256
        for byte in 0...255 where !printable.contains(UInt8(byte)) {
            table[byte] = Unicode.Scalar(next)!
            next += 1
        }
        printable.removeAll()
        return table
    }()

    /// The byte for each character value below 512, or -1.
    static let scalarToByte: [Int16] = {
        var table = [Int16](repeating: -1, count: 512)
        for (byte, scalar) in byteToScalar.enumerated() { table[Int(scalar.value)] = Int16(byte) }
        return table
    }()

    /// Spells each UTF-8 byte of `text` as its character.
    static func encode(_ text: String) -> String {
        var scalars = String.UnicodeScalarView()
        for byte in text.utf8 { scalars.append(byteToScalar[Int(byte)]) }
        return String(scalars)
    }

    /// The bytes `token` spells, or `nil` if it has a character outside the mapping.
    static func decode(_ token: String) -> [UInt8]? {
        var bytes: [UInt8] = []
        for scalar in token.unicodeScalars {
            guard scalar.value < 512, case let byte = scalarToByte[Int(scalar.value)], byte >= 0 else { return nil }
            bytes.append(UInt8(byte))
        }
        return bytes
    }
}
