import Foundation

/// A decoder from a tokenizer.json `decoder` entry: turns token strings back into text.
///
/// Supports `ByteLevel`, `Replace`, `ByteFallback`, `Fuse`, `Strip`, `Metaspace`,
/// `BPEDecoder` and `Sequence`; each works on the list of token strings (`decode_chain` in `tokenizers`) and the
/// results are joined at the end.
indirect enum Decoder {
    case sequence([Decoder])
    case byteLevel
    case replace(Pattern, String)
    case byteFallback
    case fuse
    case strip(content: Unicode.Scalar, start: Int, stop: Int)
    case metaspace(replacement: Unicode.Scalar, prependScheme: PreTokenizer.PrependScheme)
    case bpe(suffix: [Unicode.Scalar])

    /// Parses a `decoder` object.
    ///
    /// - Throws: ``TokenizerError/unsupported(file:component:value:)`` for other types.
    init(json: JSONNode) throws {
        let type = try json.type()
        switch type {
        case "Sequence":
            self = .sequence(try json.required("decoders").array().map(Decoder.init(json:)))
        case "ByteLevel":
            self = .byteLevel
        case "Replace":
            self = .replace(try Pattern(json: json.required("pattern")), try json.required("content").string())
        case "ByteFallback":
            self = .byteFallback
        case "Fuse":
            self = .fuse
        case "Strip":
            self = .strip(
                content: try json.required("content").scalar(),
                start: try json["start"]?.int() ?? 0,
                stop: try json["stop"]?.int() ?? 0)
        case "Metaspace":
            self = .metaspace(
                replacement: try json.required("replacement").scalar(),
                prependScheme: try PreTokenizer.PrependScheme(json: json))
        case "BPEDecoder":
            self = .bpe(suffix: Array((try json["suffix"]?.string() ?? "</w>").unicodeScalars))
        default:
            throw json.unsupportedType(type)
        }
    }

    /// Decodes the token strings to text.
    func decode(_ tokens: [String]) -> String {
        decodeChain(tokens).joined()
    }

    /// One step of the chain.
    func decodeChain(_ tokens: [String]) -> [String] {
        switch self {
        case .sequence(let decoders):
            return decoders.reduce(tokens) { $1.decodeChain($0) }
        case .byteLevel:
            var bytes: [UInt8] = []
            for token in tokens {
                if let decoded = ByteLevel.decode(token) {
                    bytes.append(contentsOf: decoded)
                } else {
                    bytes.append(contentsOf: token.utf8)
                }
            }
            return [String(decoding: bytes, as: UTF8.self)]
        case let .replace(pattern, content):
            return tokens.map { pattern.replacingMatches(in: $0, with: content) }
        case .byteFallback:
            return Decoder.byteFallback(tokens)
        case .fuse:
            return [tokens.joined()]
        case .bpe(let suffix):
            return Decoder.bpe(tokens, suffix: suffix)
        case let .strip(content, start, stop):
            return tokens.map { token in
                let scalars = Array(token.unicodeScalars)
                var startCut = 0
                while startCut < min(start, scalars.count), scalars[startCut] == content { startCut += 1 }
                var stopCut = scalars.count
                var stripped = 0
                while stripped < stop, stopCut > startCut, scalars[stopCut - 1] == content {
                    stopCut -= 1
                    stripped += 1
                }
                var view = String.UnicodeScalarView()
                view.append(contentsOf: scalars[startCut..<stopCut])
                return String(view)
            }
        case let .metaspace(replacement, prependScheme):
            return tokens.enumerated().map { index, token in
                var view = String.UnicodeScalarView()
                for scalar in token.unicodeScalars {
                    if scalar == replacement {
                        if index == 0 && prependScheme != .never { continue }
                        view.append(" ")
                    } else {
                        view.append(scalar)
                    }
                }
                return String(view)
            }
        }
    }

    /// Replaces the end-of-word suffix with a space, except in the last token.
    private static func bpe(_ tokens: [String], suffix: [Unicode.Scalar]) -> [String] {
        let pattern = Pattern.literal(suffix)
        return tokens.enumerated().map { index, token in
            pattern.replacingMatches(in: token, with: index == tokens.count - 1 ? "" : " ")
        }
    }

    /// Turns runs of `<0xNN>` tokens into text; an invalid UTF-8 run becomes one U+FFFD per byte.
    private static func byteFallback(_ tokens: [String]) -> [String] {
        var result: [String] = []
        var pending: [UInt8] = []
        func flush() {
            guard !pending.isEmpty else { return }
            if let text = String(validatingUTF8Bytes: pending) {
                result.append(text)
            } else {
                result.append(contentsOf: repeatElement("\u{FFFD}", count: pending.count))
            }
            pending.removeAll()
        }
        for token in tokens {
            let utf8 = Array(token.utf8)
            if utf8.count == 6, utf8[0] == UInt8(ascii: "<"), utf8[1] == UInt8(ascii: "0"),
               utf8[2] == UInt8(ascii: "x"), utf8[5] == UInt8(ascii: ">"),
               let byte = UInt8(String(decoding: utf8[3..<5], as: UTF8.self), radix: 16) {
                pending.append(byte)
            } else {
                flush()
                result.append(token)
            }
        }
        flush()
        return result
    }
}

extension String {
    /// The text of `bytes` if they are valid UTF-8, else `nil`.
    init?(validatingUTF8Bytes bytes: [UInt8]) {
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        var scalars = String.UnicodeScalarView()
        loop: while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar): scalars.append(scalar)
            case .emptyInput: break loop
            case .error: return nil
            }
        }
        self = String(scalars)
    }
}
