import Foundation

/// A text normaliser from a tokenizer.json `normalizer` entry.
///
/// Supports the normalisers Llama-2 (`Prepend`, `Replace`, `Sequence`) and Qwen2 (`NFC`) files
/// use, plus `NFD`, `NFKC`, `NFKD`, `Lowercase`, `Strip` and `StripAccents`.
indirect enum Normalizer {
    case sequence([Normalizer])
    case prepend(String)
    case replace(Pattern, String)
    case nfc, nfd, nfkc, nfkd
    case lowercase
    case strip(left: Bool, right: Bool)
    case stripAccents

    /// Parses a `normalizer` object.
    ///
    /// - Throws: ``TokenizerError/unsupported(file:component:value:)`` for other types.
    init(json: JSONNode) throws {
        let type = try json.type()
        switch type {
        case "Sequence":
            self = .sequence(try json.required("normalizers").array().map(Normalizer.init(json:)))
        case "Prepend":
            self = .prepend(try json.required("prepend").string())
        case "Replace":
            self = .replace(try Pattern(json: json.required("pattern")), try json.required("content").string())
        case "NFC": self = .nfc
        case "NFD": self = .nfd
        case "NFKC": self = .nfkc
        case "NFKD": self = .nfkd
        case "Lowercase": self = .lowercase
        case "StripAccents": self = .stripAccents
        case "Strip":
            self = .strip(left: try json["strip_left"]?.bool() ?? true, right: try json["strip_right"]?.bool() ?? true)
        default:
            throw json.unsupportedType(type)
        }
    }

    /// Returns the normalised text.
    func normalize(_ text: String) -> String {
        switch self {
        case .sequence(let normalizers):
            return normalizers.reduce(text) { $1.normalize($0) }
        case .prepend(let prefix):
            return text.isEmpty ? text : prefix + text
        case let .replace(pattern, content):
            return pattern.replacingMatches(in: text, with: content)
        case .nfc: return text.precomposedStringWithCanonicalMapping
        case .nfd: return text.decomposedStringWithCanonicalMapping
        case .nfkc: return text.precomposedStringWithCompatibilityMapping
        case .nfkd: return text.decomposedStringWithCompatibilityMapping
        case .lowercase:
            // Rust lowercases scalar by scalar, without the context rules (final sigma) ICU applies.
            var result = String.UnicodeScalarView()
            for scalar in text.unicodeScalars {
                result.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars)
            }
            return String(result)
        case let .strip(left, right):
            var scalars = Substring(text).unicodeScalars
            if left { while let first = scalars.first, first.isWhiteSpace { scalars.removeFirst() } }
            if right { while let last = scalars.last, last.isWhiteSpace { scalars.removeLast() } }
            return String(scalars)
        case .stripAccents:
            var result = String.UnicodeScalarView()
            for scalar in text.unicodeScalars {
                switch scalar.properties.generalCategory {
                case .nonspacingMark, .spacingMark, .enclosingMark: continue
                default: result.append(scalar)
                }
            }
            return String(result)
        }
    }
}
