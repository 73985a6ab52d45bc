import Foundation

/// A post-processor from a tokenizer.json `post_processor` entry: adds special tokens.
///
/// Supports `TemplateProcessing` (the single-sequence template), `ByteLevel` (which only
/// adjusts offsets, so leaves ids alone), `RobertaProcessing`, `BertProcessing` and `Sequence`.
indirect enum PostProcessor {
    case sequence([PostProcessor])
    /// The single-sequence template: special-token ids and the sequence's place (`nil`).
    case template([[Int]?])
    case passThrough

    /// Parses a `post_processor` object.
    ///
    /// - Throws: ``TokenizerError`` for other types or a template naming an undefined special token.
    init(json: JSONNode) throws {
        let type = try json.type()
        switch type {
        case "Sequence":
            self = .sequence(try json.required("processors").array().map(PostProcessor.init(json:)))
        case "ByteLevel":
            self = .passThrough
        case "TemplateProcessing":
            var specials: [String: [Int]] = [:]
            for (name, node) in try json.required("special_tokens").members() {
                specials[name] = try node.required("ids").array().map { try $0.int() }
            }
            var items: [[Int]?] = []
            for item in try json.required("single").array() {
                if let special = item["SpecialToken"] {
                    let idNode = try special.required("id")
                    let name = try idNode.string()
                    guard let ids = specials[name] else {
                        throw idNode.invalid("\"\(name)\" is not defined in post_processor.special_tokens")
                    }
                    items.append(ids)
                } else if item["Sequence"] != nil {
                    items.append(nil)
                } else {
                    throw item.invalid("expected {\"SpecialToken\": …} or {\"Sequence\": …}")
                }
            }
            self = .template(items)
        case "RobertaProcessing", "BertProcessing":
            let cls = try json.required("cls").array()
            let sep = try json.required("sep").array()
            guard cls.count == 2, sep.count == 2 else { throw json.invalid("cls and sep must be [token, id]") }
            self = .template([[try cls[1].int()], nil, [try sep[1].int()]])
        default:
            throw json.unsupportedType(type)
        }
    }

    /// Adds the special tokens around `ids`, when `addSpecialTokens` is set.
    func process(_ ids: [Int], addSpecialTokens: Bool) -> [Int] {
        switch self {
        case .sequence(let processors):
            return processors.reduce(ids) { $1.process($0, addSpecialTokens: addSpecialTokens) }
        case .passThrough:
            return ids
        case .template(let items):
            guard addSpecialTokens else { return ids }
            var result: [Int] = []
            result.reserveCapacity(ids.count + items.count)
            for item in items {
                if let special = item { result.append(contentsOf: special) } else { result.append(contentsOf: ids) }
            }
            return result
        }
    }

    /// How many ids `process` adds to a single sequence (`added_tokens(false)` in `tokenizers`).
    var addedTokenCount: Int {
        switch self {
        case .passThrough: return 0
        case .sequence(let processors): return processors.reduce(0) { $0 + $1.addedTokenCount }
        case .template(let items): return items.reduce(0) { $0 + ($1?.count ?? 0) }
        }
    }

    /// The special tokens the template puts before and after the sequence.
    var templateSpecialIDs: (leading: [Int], trailing: [Int]) {
        switch self {
        case .passThrough:
            return ([], [])
        case .sequence(let processors):
            return processors.reduce(into: ([], [])) { result, processor in
                let ids = processor.templateSpecialIDs
                result.leading += ids.leading
                result.trailing += ids.trailing
            }
        case .template(let items):
            guard let sequence = items.firstIndex(where: { $0 == nil }) else { return ([], []) }
            return (items[..<sequence].flatMap { $0 ?? [] }, items[(sequence + 1)...].flatMap { $0 ?? [] })
        }
    }
}
