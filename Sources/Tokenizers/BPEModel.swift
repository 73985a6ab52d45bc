import Foundation

/// A byte-pair-encoding model from a tokenizer.json `model` entry (`"type": "BPE"`).
///
/// A word starts as one symbol per Unicode scalar (unknown scalars become `<0xNN>` byte tokens
/// with `byte_fallback`, or the unknown token, fused with `fuse_unk`), then the adjacent pair
/// with the lowest merge rank is merged, leftmost first, until no pair has a merge — the
/// `Word::merge_all` priority-queue algorithm of `tokenizers`. Results are cached per word.
final class BPEModel: @unchecked Sendable {
    /// Token (as UTF-8, so that canonically equivalent spellings stay distinct) → id.
    let vocabulary: [TokenKey: Int]
    /// Id → token (`nil` where the vocabulary has a gap).
    let tokens: [String?]
    /// (left id, right id) packed in 64 bits → (rank, merged id).
    private let merges: [UInt64: (rank: Int32, id: Int32)]
    /// One-scalar tokens by scalar, to skip building strings for the common case.
    private let scalarIDs: [Unicode.Scalar: Int32]
    /// The ids of `<0x00>` … `<0xFF>`, when present.
    private let byteIDs: [Int32?]
    let unknownTokenID: Int?
    private let fuseUnknown: Bool
    private let byteFallback: Bool
    private let ignoreMerges: Bool
    private let continuingSubwordPrefix: String?
    private let endOfWordSuffix: String?

    private var cache: [TokenKey: [Int32]] = [:]
    private let cacheLock = NSLock()
    /// Ids are stored in 32 bits and index a dense table; no real vocabulary comes close.
    static let maximumID = 1 << 24
    private static let cacheCapacity = 10_000
    /// Longer words are not cached (`MAX_LENGTH` in `tokenizers`).
    private static let cacheMaximumWordLength = 256

    /// Parses a BPE `model` object.
    ///
    /// - Throws: ``TokenizerError`` when the vocabulary or merges are malformed, a merge names
    ///   a token outside the vocabulary, or the unknown token is not in it.
    init(json: JSONNode) throws {
        var vocabulary: [TokenKey: Int] = [:]
        let vocabNode = try json.required("vocab")
        guard case .object(let rawVocabulary) = vocabNode.value else { throw vocabNode.invalid("expected an object") }
        vocabulary.reserveCapacity(rawVocabulary.count)
        var maxID = -1
        for (token, value) in rawVocabulary {
            guard case .number(let number) = value, let id = Int(exactly: number), id >= 0, id < BPEModel.maximumID else {
                throw TokenizerError.invalidValue(
                    file: json.file, path: "model.vocab.\(token)", reason: "expected an integer id in 0..<\(BPEModel.maximumID)")
            }
            vocabulary[TokenKey(token)] = id
            maxID = max(maxID, id)
        }
        var tokens = [String?](repeating: nil, count: maxID + 1)
        var scalarIDs: [Unicode.Scalar: Int32] = [:]
        for (bytes, id) in vocabulary {
            let token = String(decoding: bytes.bytes, as: UTF8.self)
            tokens[id] = token
            let scalars = token.unicodeScalars
            if let first = scalars.first, scalars.index(after: scalars.startIndex) == scalars.endIndex {
                scalarIDs[first] = Int32(id)
            }
        }
        self.vocabulary = vocabulary
        self.tokens = tokens
        self.scalarIDs = scalarIDs
        self.byteIDs = (0..<256).map { byte in vocabulary[TokenKey(String(format: "<0x%02X>", byte))].map(Int32.init) }

        // GPT-2's file spells "none" as "", which changes nothing; keep the fast path for it.
        continuingSubwordPrefix = try json["continuing_subword_prefix"]?.string().nonEmpty
        endOfWordSuffix = try json["end_of_word_suffix"]?.string().nonEmpty
        fuseUnknown = try json["fuse_unk"]?.bool() ?? false
        byteFallback = try json["byte_fallback"]?.bool() ?? false
        ignoreMerges = try json["ignore_merges"]?.bool() ?? false
        if let dropout = json["dropout"], case .number(let value) = dropout.value, value > 0 {
            throw TokenizerError.unsupported(file: json.file, component: dropout.path, value: "\(value)")
        }
        if let unknown = json["unk_token"] {
            let token = try unknown.string()
            guard let id = vocabulary[TokenKey(token)] else { throw unknown.invalid("the unknown token \"\(token)\" is not in model.vocab") }
            unknownTokenID = id
        } else {
            unknownTokenID = nil
        }

        let prefixLength = continuingSubwordPrefix?.utf8.count ?? 0
        var merges: [UInt64: (rank: Int32, id: Int32)] = [:]
        let mergesNode = json["merges"]
        let rawMerges: [JSONValue]
        if let mergesNode {
            guard case .array(let array) = mergesNode.value else { throw mergesNode.invalid("expected an array") }
            rawMerges = array
        } else {
            rawMerges = []
        }
        merges.reserveCapacity(rawMerges.count)
        // The hot loop of loading a large file: work on UTF-8 bytes and build a JSON path only on error.
        for (rank, raw) in rawMerges.enumerated() {
            func invalid(_ reason: String) -> TokenizerError {
                TokenizerError.invalidValue(file: json.file, path: "model.merges[\(rank)]", reason: reason)
            }
            let left: [UInt8], right: [UInt8]
            if case .string(let line) = raw {
                let bytes = Array(line.utf8)
                let parts = bytes.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
                guard parts.count == 2 else { throw invalid("expected \"left right\"") }
                left = Array(parts[0])
                right = Array(parts[1])
            } else if case .array(let pair) = raw, pair.count == 2, case .string(let a) = pair[0], case .string(let b) = pair[1] {
                left = Array(a.utf8)
                right = Array(b.utf8)
            } else {
                throw invalid("expected \"left right\" or [left, right]")
            }
            func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }
            guard let leftID = vocabulary[TokenKey(bytes: left)] else { throw invalid("\"\(text(left))\" is not in model.vocab") }
            guard let rightID = vocabulary[TokenKey(bytes: right)] else { throw invalid("\"\(text(right))\" is not in model.vocab") }
            let merged = left + right.dropFirst(min(prefixLength, right.count))
            guard let mergedID = vocabulary[TokenKey(bytes: merged)] else { throw invalid("\"\(text(merged))\" is not in model.vocab") }
            merges[BPEModel.key(Int32(leftID), Int32(rightID))] = (Int32(rank), Int32(mergedID))
        }
        self.merges = merges
    }

    @inline(__always)
    private static func key(_ left: Int32, _ right: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
    }

    /// Appends the ids of one pre-tokenised word.
    ///
    /// - Parameters:
    ///   - word: The word (already byte-level spelled or metaspace-prefixed as the file says).
    ///   - ids: Where to append.
    func tokenize(_ word: String, into ids: inout [Int]) {
        if word.isEmpty { return }
        let key = TokenKey(word)
        if ignoreMerges, let id = vocabulary[key] {
            ids.append(id)
            return
        }
        cacheLock.lock()
        let cached = cache[key]
        cacheLock.unlock()
        if let cached {
            ids.append(contentsOf: cached.lazy.map(Int.init))
            return
        }
        let result = mergeWord(word)
        cacheLock.lock()
        if key.bytes.count < BPEModel.cacheMaximumWordLength && cache.count < BPEModel.cacheCapacity { cache[key] = result }
        cacheLock.unlock()
        ids.append(contentsOf: result.lazy.map(Int.init))
    }

    /// The initial symbols of a word (`BPE::merge_word`), then `merge_all`.
    private func mergeWord(_ word: String) -> [Int32] {
        var symbols: [Int32] = []
        symbols.reserveCapacity(word.utf8.count)
        var pendingUnknown = false
        let scalars = word.unicodeScalars
        var index = scalars.startIndex
        let plain = continuingSubwordPrefix == nil && endOfWordSuffix == nil
        while index < scalars.endIndex {
            let scalar = scalars[index]
            let isFirst = index == scalars.startIndex
            index = scalars.index(after: index)
            let isLast = index == scalars.endIndex

            var piece: String? = nil
            var id: Int32?
            if plain {
                id = scalarIDs[scalar]
            } else {
                var text = String(scalar)
                if !isFirst, let prefix = continuingSubwordPrefix { text = prefix + text }
                if isLast, let suffix = endOfWordSuffix { text += suffix }
                piece = text
                id = vocabulary[TokenKey(text)].map(Int32.init)
            }
            if let id {
                if pendingUnknown, let unknown = unknownTokenID {
                    symbols.append(Int32(unknown))
                    pendingUnknown = false
                }
                symbols.append(id)
                continue
            }
            if byteFallback {
                let bytes = piece.map { Array($0.utf8) } ?? Array(String(scalar).utf8)
                let byteTokens = bytes.map { byteIDs[Int($0)] }
                if byteTokens.allSatisfy({ $0 != nil }) {
                    symbols.append(contentsOf: byteTokens.map { $0! })
                    continue
                }
            }
            if let unknown = unknownTokenID {
                if pendingUnknown && !fuseUnknown { symbols.append(Int32(unknown)) }
                pendingUnknown = true
            }
        }
        if pendingUnknown, let unknown = unknownTokenID { symbols.append(Int32(unknown)) }
        return mergeAll(symbols)
    }

    /// Merges adjacent symbols by rank, lowest rank first and leftmost among equals.
    private func mergeAll(_ initial: [Int32]) -> [Int32] {
        let count = initial.count
        if count < 2 { return initial }
        var ids = initial
        var previous = (0..<count).map { Int32($0 - 1) }
        var next = (0..<count).map { $0 + 1 < count ? Int32($0 + 1) : -1 }
        var removed = [Bool](repeating: false, count: count)
        var queue = MergeQueue()
        for position in 0..<(count - 1) {
            if let merge = merges[BPEModel.key(ids[position], ids[position + 1])] {
                queue.push(MergeQueue.Entry(rank: merge.rank, position: Int32(position), id: merge.id))
            }
        }
        while let top = queue.pop() {
            let position = Int(top.position)
            if removed[position] || next[position] < 0 { continue }
            let right = Int(next[position])
            // Skip entries made stale by an earlier merge.
            guard let current = merges[BPEModel.key(ids[position], ids[right])], current.id == top.id else { continue }
            ids[position] = top.id
            removed[right] = true
            next[position] = next[right]
            if next[right] >= 0 { previous[Int(next[right])] = Int32(position) }
            if previous[position] >= 0 {
                let left = Int(previous[position])
                if let merge = merges[BPEModel.key(ids[left], ids[position])] {
                    queue.push(MergeQueue.Entry(rank: merge.rank, position: Int32(left), id: merge.id))
                }
            }
            if next[position] >= 0 {
                if let merge = merges[BPEModel.key(ids[position], ids[Int(next[position])])] {
                    queue.push(MergeQueue.Entry(rank: merge.rank, position: Int32(position), id: merge.id))
                }
            }
        }
        var result: [Int32] = []
        result.reserveCapacity(count)
        for position in 0..<count where !removed[position] { result.append(ids[position]) }
        return result
    }
}

/// A binary min-heap of candidate merges ordered by (rank, position).
struct MergeQueue {
    struct Entry {
        var rank: Int32
        var position: Int32
        var id: Int32

        @inline(__always)
        func precedes(_ other: Entry) -> Bool {
            rank != other.rank ? rank < other.rank : position < other.position
        }
    }

    private var heap: [Entry] = []

    mutating func push(_ entry: Entry) {
        heap.append(entry)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].precedes(heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> Entry? {
        guard let first = heap.first else { return nil }
        let last = heap.removeLast()
        if heap.isEmpty { return first }
        heap[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var best = parent
            if left < heap.count && heap[left].precedes(heap[best]) { best = left }
            if right < heap.count && heap[right].precedes(heap[best]) { best = right }
            if best == parent { break }
            heap.swapAt(parent, best)
            parent = best
        }
        return first
    }
}

/// A token's UTF-8 bytes as a dictionary key.
///
/// `tokenizers` compares tokens byte for byte, while Swift's `String` equality is canonical
/// equivalence (`"é" == "e\u{301}"`), so vocabularies and caches are keyed by bytes. The hash
/// feeds the whole buffer to the hasher at once, which is much faster than `[UInt8]`'s
/// element-by-element hashing.
struct TokenKey: Hashable {
    let bytes: [UInt8]

    init(bytes: [UInt8]) { self.bytes = bytes }
    init(_ text: String) { bytes = Array(text.utf8) }

    static func == (lhs: TokenKey, rhs: TokenKey) -> Bool {
        lhs.bytes.count == rhs.bytes.count && lhs.bytes.withUnsafeBytes { a in
            rhs.bytes.withUnsafeBytes { b in a.elementsEqual(b) }
        }
    }

    func hash(into hasher: inout Hasher) {
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }
}

extension String {
    /// The string, or `nil` if it is empty.
    var nonEmpty: String? { isEmpty ? nil : self }
}
