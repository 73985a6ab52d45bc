/// A problem with a safetensors file or checkpoint; every case names the file and, where
/// there is one, the tensor.
public enum SafeTensorsError: Error, Equatable, CustomStringConvertible {
    /// The file could not be opened or mapped.
    case cannotOpen(file: String, reason: String)
    /// The file ends before its header or its data does.
    case truncated(file: String, detail: String)
    /// The header is not a JSON object of tensor entries.
    case headerNotJSON(file: String, detail: String)
    /// A tensor entry lacks a field or has a malformed one.
    case invalidEntry(file: String, tensor: String, detail: String)
    /// A dtype this reader does not know.
    case unsupportedDType(file: String, tensor: String, dtype: String)
    /// A tensor's byte range lies outside the file's data section.
    case offsetsOutOfRange(file: String, tensor: String, begin: Int, end: Int, dataSize: Int)
    /// A tensor's byte count does not match its shape and dtype.
    case shapeMismatch(file: String, tensor: String, shape: [Int], dtype: String, bytes: Int)
    /// A tensor the model needs is not in the checkpoint.
    case missingTensor(name: String, file: String)
    /// A tensor has another shape than the model's configuration implies.
    case unexpectedShape(file: String, tensor: String, expected: [Int], actual: [Int])
    /// A tensor has a dtype that cannot be used where it was asked for.
    case unexpectedDType(file: String, tensor: String, dtype: String, wanted: String)
    /// The checkpoint holds tensors the model does not use (usually a wrong architecture).
    case unusedTensors(file: String, names: [String])
    /// A sharded checkpoint's `model.safetensors.index.json` is malformed.
    case invalidIndex(file: String, detail: String)

    public var description: String {
        switch self {
        case let .cannotOpen(file, reason): return "\(file): cannot open: \(reason)"
        case let .truncated(file, detail): return "\(file): truncated safetensors file: \(detail)"
        case let .headerNotJSON(file, detail): return "\(file): the safetensors header is not valid JSON: \(detail)"
        case let .invalidEntry(file, tensor, detail): return "\(file): tensor '\(tensor)': \(detail)"
        case let .unsupportedDType(file, tensor, dtype): return "\(file): tensor '\(tensor)' has unsupported dtype \(dtype)"
        case let .offsetsOutOfRange(file, tensor, b, e, size):
            return "\(file): tensor '\(tensor)' claims bytes \(b)..<\(e) but the data section has \(size) bytes"
        case let .shapeMismatch(file, tensor, shape, dtype, bytes):
            return "\(file): tensor '\(tensor)' of shape \(shape) and dtype \(dtype) cannot occupy \(bytes) bytes"
        case let .missingTensor(name, file): return "\(file): missing tensor '\(name)'"
        case let .unexpectedShape(file, tensor, expected, actual):
            return "\(file): tensor '\(tensor)' has shape \(actual), the configuration implies \(expected)"
        case let .unexpectedDType(file, tensor, dtype, wanted): return "\(file): tensor '\(tensor)' is \(dtype), expected \(wanted)"
        case let .unusedTensors(file, names):
            let shown = names.prefix(5).joined(separator: ", ")
            return "\(file): \(names.count) tensor(s) not used by this model (\(shown)\(names.count > 5 ? ", …" : "")) — is the architecture right?"
        case let .invalidIndex(file, detail): return "\(file): invalid sharded-checkpoint index: \(detail)"
        }
    }
}
