import Foundation

/// A token from tokenizer.json's `added_tokens`, matched in the text before the model runs.
struct AddedToken {
    let id: Int
    let content: String
    /// Only match when not inside a word.
    let singleWord: Bool
    /// Also swallow the whitespace on the left.
    let leftStrip: Bool
    /// Also swallow the whitespace on the right.
    let rightStrip: Bool
    /// Match in the normalised text (against the normalised content) rather than the input.
    let normalized: Bool
    /// Special tokens are dropped by `decode(skipSpecialTokens: true)`.
    let special: Bool

    init(json: JSONNode) throws {
        let idNode = try json.required("id")
        id = try idNode.int()
        guard id >= 0 else { throw idNode.invalid("expected a non-negative id") }
        content = try json.required("content").string()
        singleWord = try json["single_word"]?.bool() ?? false
        leftStrip = try json["lstrip"]?.bool() ?? false
        rightStrip = try json["rstrip"]?.bool() ?? false
        special = try json["special"]?.bool() ?? false
        normalized = try json["normalized"]?.bool() ?? !special
    }
}

/// A piece of the input after added tokens are taken out: text for the model, or a token id.
enum Segment {
    case text(String, offset: Int)
    case token(Int)
}

/// Finds added tokens in text, leftmost-longest, as `AddedVocabulary::find_matches` does.
struct AddedTokenMatcher {
    private struct Candidate {
        let scalars: [Unicode.Scalar]
        let token: AddedToken
    }

    /// Candidates by their first scalar, longest first.
    private let candidates: [Unicode.Scalar: [Candidate]]

    /// Builds a matcher for `tokens`, each matched as the string `pattern(token)`.
    init(tokens: [AddedToken], pattern: (AddedToken) -> String) {
        var candidates: [Unicode.Scalar: [Candidate]] = [:]
        for token in tokens {
            let scalars = Array(pattern(token).unicodeScalars)
            guard let first = scalars.first else { continue }
            candidates[first, default: []].append(Candidate(scalars: scalars, token: token))
        }
        self.candidates = candidates.mapValues { $0.sorted { $0.scalars.count > $1.scalars.count } }
    }

    var isEmpty: Bool { candidates.isEmpty }

    /// Splits `text` into added tokens and the non-empty text between them.
    ///
    /// - Parameters:
    ///   - text: The text to search.
    ///   - offset: The offset of `text` in the original input (kept for Metaspace's "first" scheme).
    /// - Returns: The segments in order.
    func split(_ text: String, offset: Int) -> [Segment] {
        if text.isEmpty { return [] }
        if candidates.isEmpty { return [.text(text, offset: offset)] }
        let scalars = Array(text.unicodeScalars)
        var segments: [Segment] = []
        var consumed = 0  // start of the text not yet emitted (start_offset in tokenizers)
        var position = 0
        func emitText(_ range: Range<Int>) {
            guard !range.isEmpty else { return }
            var view = String.UnicodeScalarView()
            view.append(contentsOf: scalars[range])
            segments.append(.text(String(view), offset: offset + range.lowerBound))
        }
        while position < scalars.count {
            guard let list = candidates[scalars[position]],
                  let match = list.first(where: { matches($0.scalars, in: scalars, at: position) })
            else {
                position += 1
                continue
            }
            var start = position
            var stop = position + match.scalars.count
            let token = match.token
            position = stop
            if token.singleWord {
                let startsClean = start == 0 || !scalars[start - 1].isWordCharacter
                let stopsClean = stop == scalars.count || !scalars[stop].isWordCharacter
                if !startsClean || !stopsClean { continue }
            }
            if token.leftStrip {
                var newStart = start
                while newStart > 0 && scalars[newStart - 1].isWhiteSpace { newStart -= 1 }
                start = max(newStart, consumed)
            }
            if token.rightStrip {
                while stop < scalars.count && scalars[stop].isWhiteSpace { stop += 1 }
            }
            if consumed < start { emitText(consumed..<start) }
            segments.append(.token(token.id))
            consumed = stop
        }
        if consumed < scalars.count { emitText(consumed..<scalars.count) }
        return segments
    }

    private func matches(_ needle: [Unicode.Scalar], in haystack: [Unicode.Scalar], at position: Int) -> Bool {
        guard position + needle.count <= haystack.count else { return false }
        for (index, scalar) in needle.enumerated() where haystack[position + index] != scalar { return false }
        return true
    }
}
