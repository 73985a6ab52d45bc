import Foundation

/// A pattern that finds matches in a string: a literal or an Oniguruma-style regular expression.
///
/// Hugging Face `tokenizers` compiles its patterns with Oniguruma; this type runs them with
/// ICU (`NSRegularExpression`). The two agree on `\p{L}`, `\p{N}`, `(?i:…)` and lookahead, but
/// Oniguruma's `\s` is Unicode `White_Space` while ICU's leaves out U+000B and U+0085, so
/// `\s`/`\S` are rewritten to `\p{White_Space}`/`\P{White_Space}` before compiling.
///
/// The corresponding JSON is `{"String": " "}` or `{"Regex": "…"}`.
enum Pattern {
    /// Matches the scalars exactly (no canonical equivalence, no grapheme clustering).
    case literal([Unicode.Scalar])
    /// Matches an ICU regular expression.
    case regex(NSRegularExpression)
    /// Matches each scalar of a class on its own (a Rust `fn(char) -> bool` pattern).
    case each(ScalarClass)

    /// A class of scalars, as the Rust standard library defines it.
    enum ScalarClass {
        /// `char::is_numeric`: general categories Nd, Nl, No.
        case numeric
        /// `char::is_whitespace`: Unicode `White_Space`.
        case whitespace
        /// ASCII punctuation or general category P*, as the Punctuation pre-tokenizer tests.
        case punctuation

        func contains(_ scalar: Unicode.Scalar) -> Bool {
            switch self {
            case .numeric:
                switch scalar.properties.generalCategory {
                case .decimalNumber, .letterNumber, .otherNumber: return true
                default: return false
                }
            case .whitespace:
                return scalar.isWhiteSpace
            case .punctuation:
                if scalar.isASCII {
                    let value = scalar.value
                    return (0x21...0x2F).contains(value) || (0x3A...0x40).contains(value)
                        || (0x5B...0x60).contains(value) || (0x7B...0x7E).contains(value)
                }
                switch scalar.properties.generalCategory {
                case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
                     .initialPunctuation, .finalPunctuation, .otherPunctuation:
                    return true
                default:
                    return false
                }
            }
        }
    }

    /// Parses `{"String": …}` or `{"Regex": …}`.
    ///
    /// - Throws: ``TokenizerError`` when neither is present or the regex does not compile.
    init(json: JSONNode) throws {
        if let literal = json["String"] {
            self = .literal(Array(try literal.string().unicodeScalars))
        } else if let regex = json["Regex"] {
            self = try Pattern(regex: regex.string(), json: regex)
        } else {
            throw json.invalid("expected {\"String\": …} or {\"Regex\": …}")
        }
    }

    /// Compiles an Oniguruma-style pattern.
    init(regex source: String, json: JSONNode) throws {
        do {
            self = .regex(try NSRegularExpression(pattern: Pattern.icuPattern(fromOniguruma: source)))
        } catch {
            throw json.invalid("the regular expression does not compile: \(source)")
        }
    }

    /// Rewrites the Oniguruma escapes whose meaning differs in ICU.
    static func icuPattern(fromOniguruma source: String) -> String {
        var result = ""
        var escaped = false
        for character in source {
            if escaped {
                switch character {
                case "s": result += "\\p{White_Space}"
                case "S": result += "\\P{White_Space}"
                default: result += "\\"; result.append(character)
                }
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else {
                result.append(character)
            }
        }
        if escaped { result += "\\" }
        return result
    }

    /// The non-overlapping matches, left to right, as scalar-aligned (not necessarily
    /// `Character`-aligned) ranges: slice them from `text.unicodeScalars`, never `text`, whose
    /// subscript rounds to grapheme boundaries.
    func matches(in text: String) -> [Range<String.Index>] {
        switch self {
        case .literal(let scalars):
            return literalMatches(of: scalars, in: text)
        case .regex(let regex):
            // `Range(NSRange, in:)` gives nil for bounds inside a grapheme cluster (a match ending
            // before a combining mark or a ZWJ), so convert the UTF-16 offsets by hand, walking
            // forward once. The resulting indices are scalar-aligned; slice `unicodeScalars`.
            let utf16 = text.utf16
            var offset = 0
            var index = utf16.startIndex
            func position(_ target: Int) -> String.Index {
                index = utf16.index(index, offsetBy: target - offset)
                offset = target
                return index
            }
            let whole = NSRange(location: 0, length: utf16.count)
            return regex.matches(in: text, options: [], range: whole).map { match in
                let lower = position(match.range.location)
                return lower..<position(match.range.location + match.range.length)
            }
        case .each(let scalarClass):
            let scalars = text.unicodeScalars
            var result: [Range<String.Index>] = []
            var index = scalars.startIndex
            while index < scalars.endIndex {
                let next = scalars.index(after: index)
                if scalarClass.contains(scalars[index]) { result.append(index..<next) }
                index = next
            }
            return result
        }
    }

    private func literalMatches(of needle: [Unicode.Scalar], in text: String) -> [Range<String.Index>] {
        guard let first = needle.first else { return [] }
        let scalars = text.unicodeScalars
        var result: [Range<String.Index>] = []
        var index = scalars.startIndex
        outer: while index < scalars.endIndex {
            if scalars[index] == first {
                var end = scalars.index(after: index)
                for scalar in needle.dropFirst() {
                    guard end < scalars.endIndex, scalars[end] == scalar else {
                        index = scalars.index(after: index)
                        continue outer
                    }
                    end = scalars.index(after: end)
                }
                result.append(index..<end)
                index = end
            } else {
                index = scalars.index(after: index)
            }
        }
        return result
    }

    /// Replaces every match with `content`, as `NormalizedString::replace` does.
    func replacingMatches(in text: String, with content: String) -> String {
        let found = matches(in: text)
        if found.isEmpty { return text }
        var result = String.UnicodeScalarView()
        var last = text.startIndex
        for range in found {
            result.append(contentsOf: text.unicodeScalars[last..<range.lowerBound])
            result.append(contentsOf: content.unicodeScalars)
            last = range.upperBound
        }
        result.append(contentsOf: text.unicodeScalars[last...])
        return String(result)
    }
}

/// What a split does with the delimiters it finds (`SplitDelimiterBehavior` in `tokenizers`).
enum SplitBehavior: String {
    case removed = "Removed"
    case isolated = "Isolated"
    case mergedWithPrevious = "MergedWithPrevious"
    case mergedWithNext = "MergedWithNext"
    case contiguous = "Contiguous"

    /// Parses the JSON spelling (`"Isolated"`; older files also use lower case).
    init(json: JSONNode) throws {
        let name = try json.string()
        guard let value = SplitBehavior.allCases.first(where: { $0.rawValue.lowercased() == name.lowercased() }) else {
            throw TokenizerError.unsupported(file: json.file, component: json.path, value: name)
        }
        self = value
    }

    static let allCases: [SplitBehavior] = [.removed, .isolated, .mergedWithPrevious, .mergedWithNext, .contiguous]
}

/// Splits `text` around the matches of `pattern`, as `NormalizedString::split` does.
///
/// - Parameters:
///   - text: The text to split.
///   - pattern: What to look for.
///   - behavior: What to do with the matches.
///   - invert: Treat the matches as the text between delimiters and the rest as delimiters.
/// - Returns: The non-empty pieces, in order.
func splitRanges(_ text: String, by pattern: Pattern, behavior: SplitBehavior, invert: Bool = false) -> [Range<String.Index>] {
    if text.isEmpty { return [] }
    // Segments covering the whole text: the gaps and the matches, flagged.
    var segments: [(range: Range<String.Index>, isMatch: Bool)] = []
    var previous = text.startIndex
    for match in pattern.matches(in: text) {
        if previous != match.lowerBound { segments.append((previous..<match.lowerBound, false)) }
        segments.append((match, true))
        previous = match.upperBound
    }
    if previous != text.endIndex { segments.append((previous..<text.endIndex, false)) }
    if invert { segments = segments.map { ($0.range, !$0.isMatch) } }

    var pieces: [Range<String.Index>] = []
    switch behavior {
    case .isolated:
        pieces = segments.map(\.range)
    case .removed:
        pieces = segments.filter { !$0.isMatch }.map(\.range)
    case .contiguous:
        var previousMatch = false
        for segment in segments {
            if segment.isMatch == previousMatch, let last = pieces.last {
                pieces[pieces.count - 1] = last.lowerBound..<segment.range.upperBound
            } else {
                pieces.append(segment.range)
            }
            previousMatch = segment.isMatch
        }
    case .mergedWithPrevious:
        var previousMatch = false
        for segment in segments {
            if segment.isMatch && !previousMatch, let last = pieces.last {
                pieces[pieces.count - 1] = last.lowerBound..<segment.range.upperBound
            } else {
                pieces.append(segment.range)
            }
            previousMatch = segment.isMatch
        }
    case .mergedWithNext:
        var previousMatch = false
        for segment in segments.reversed() {
            if segment.isMatch && !previousMatch, let last = pieces.last {
                pieces[pieces.count - 1] = segment.range.lowerBound..<last.upperBound
            } else {
                pieces.append(segment.range)
            }
            previousMatch = segment.isMatch
        }
        pieces.reverse()
    }
    return pieces.filter { !$0.isEmpty }
}

extension Unicode.Scalar {
    /// Unicode `White_Space`, which is Rust's `char::is_whitespace` and the regex crate's `\s`.
    var isWhiteSpace: Bool { properties.isWhitespace }

    /// The regex crate's Unicode `\w`: alphabetic, marks, decimal digits, connector punctuation, join controls.
    var isWordCharacter: Bool {
        if properties.isAlphabetic || properties.isJoinControl { return true }
        switch properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .connectorPunctuation: return true
        default: return false
        }
    }
}
