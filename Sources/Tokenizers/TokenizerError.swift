import Foundation

/// An error loading a Hugging Face tokenizer.
///
/// Every case names the file it came from and, where it applies, the JSON path of the
/// offending value (`pre_tokenizer.pretokenizers[1].type`), so a message says exactly which
/// part of which file to look at.
public enum TokenizerError: Error, Equatable, Sendable {
    /// The file does not exist or cannot be read.
    case unreadable(file: String, reason: String)
    /// The file is not a JSON document of the expected shape (for example, not an object).
    case invalidJSON(file: String, reason: String)
    /// A field the tokenizer needs is missing.
    case missingField(file: String, path: String)
    /// A field is present but has the wrong type or an impossible value.
    case invalidValue(file: String, path: String, reason: String)
    /// A component type this implementation does not support, such as
    /// `pre_tokenizer.type` = `"BertPreTokenizer"` or `model.type` = `"Unigram"`.
    case unsupported(file: String, component: String, value: String)
}

extension TokenizerError: CustomStringConvertible {
    /// A readable explanation that says what to do.
    public var description: String {
        switch self {
        case let .unreadable(file, reason):
            return "\(file): cannot read the file (\(reason)) — check the path and permissions"
        case let .invalidJSON(file, reason):
            return "\(file): not a valid tokenizer JSON file (\(reason))"
        case let .missingField(file, path):
            return "\(file): missing required field `\(path)`"
        case let .invalidValue(file, path, reason):
            return "\(file): invalid value at `\(path)`: \(reason)"
        case let .unsupported(file, component, value):
            return "\(file): unsupported \(component) \"\(value)\" — SwiftVLA's tokenizer reads BPE tokenizers "
                + "(byte-level like GPT-2/Llama-3/Qwen2, or SentencePiece-style like Llama-2); see the Tokenizers module docs"
        }
    }
}

extension TokenizerError: LocalizedError {
    public var errorDescription: String? { description }
}
