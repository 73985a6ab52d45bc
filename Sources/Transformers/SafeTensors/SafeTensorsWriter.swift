import Foundation
import Tensors

/// Writes safetensors files.
///
/// Tensors are written in the order given, the header padded with spaces to a
/// multiple of 8 bytes (as the reference writer does) so data stays aligned.
/// The file is written to a temporary name and renamed, so a crash never leaves
/// a half-written file under the final name.
public struct SafeTensorsWriter {
    private var entries: [(name: String, dtype: SafeTensorsDType, shape: [Int], bytes: Data)] = []
    /// String metadata stored under `__metadata__`.
    public var metadata: [String: String] = [:]

    /// Creates an empty writer.
    public init() {}

    /// Adds a Float32 tensor.
    public mutating func add(_ name: String, shape: [Int], floats: [Float]) {
        precondition(shape.reduce(1, *) == floats.count, "SafeTensorsWriter: \(floats.count) values for shape \(shape)")
        entries.append((name, .f32, shape, floats.withUnsafeBytes { Data($0) }))
    }

    /// Adds a tensor.
    public mutating func add(_ name: String, _ tensor: Tensor) {
        entries.append((name, .f32, tensor.shape, Data(bytes: tensor.data, count: tensor.count * 4)))
    }

    /// Adds an Int64 tensor.
    public mutating func add(_ name: String, shape: [Int], int64s: [Int]) {
        precondition(shape.reduce(1, *) == int64s.count, "SafeTensorsWriter: \(int64s.count) values for shape \(shape)")
        let values = int64s.map { Int64($0).littleEndian }
        entries.append((name, .i64, shape, values.withUnsafeBytes { Data($0) }))
    }

    /// Adds raw little-endian bytes of the given dtype.
    public mutating func add(_ name: String, dtype: SafeTensorsDType, shape: [Int], bytes: Data) {
        precondition(shape.reduce(1, *) * dtype.size == bytes.count, "SafeTensorsWriter: \(bytes.count) bytes for \(dtype) \(shape)")
        entries.append((name, dtype, shape, bytes))
    }

    /// The encoded file.
    public func encoded() throws -> Data {
        var header: [String: Any] = [:]
        var offset = 0
        for e in entries {
            header[e.name] = ["dtype": e.dtype.rawValue, "shape": e.shape, "data_offsets": [offset, offset + e.bytes.count]] as [String: Any]
            offset += e.bytes.count
        }
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while json.count % 8 != 0 { json.append(0x20) }
        var out = Data()
        var n = UInt64(json.count).littleEndian
        withUnsafeBytes(of: &n) { out.append(contentsOf: $0) }
        out.append(json)
        for e in entries { out.append(e.bytes) }
        return out
    }

    /// Writes the file atomically.
    public func write(to url: URL) throws {
        try encoded().write(to: url, options: .atomic)
    }
}
