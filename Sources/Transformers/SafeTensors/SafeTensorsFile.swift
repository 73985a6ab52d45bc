import Foundation
import Tensors

/// The element types of the safetensors format.
public enum SafeTensorsDType: String, Sendable, CaseIterable {
    case f64 = "F64", f32 = "F32", f16 = "F16", bf16 = "BF16"
    case i64 = "I64", i32 = "I32", i16 = "I16", i8 = "I8"
    case u64 = "U64", u32 = "U32", u16 = "U16", u8 = "U8", bool = "BOOL"

    /// Bytes per element.
    public var size: Int {
        switch self {
        case .f64, .i64, .u64: return 8
        case .f32, .i32, .u32: return 4
        case .f16, .bf16, .i16, .u16: return 2
        case .i8, .u8, .bool: return 1
        }
    }

    /// Whether the values are floating point.
    public var isFloatingPoint: Bool { [.f64, .f32, .f16, .bf16].contains(self) }
}

/// One tensor's entry in a safetensors header.
public struct SafeTensorInfo: Sendable, Equatable {
    /// The tensor's name, e.g. `model.layers.0.self_attn.q_proj.weight`.
    public var name: String
    /// Its element type.
    public var dtype: SafeTensorsDType
    /// Its shape, outermost first.
    public var shape: [Int]
    /// Its byte range within the data section.
    public var range: Range<Int>
    /// The number of elements.
    public var count: Int { shape.reduce(1, *) }
}

/// A memory-mapped safetensors file.
///
/// The format: an 8-byte little-endian header length N, N bytes of JSON mapping each
/// tensor name to `{"dtype", "shape", "data_offsets": [begin, end]}` (offsets relative
/// to the data section that follows the header), an optional `"__metadata__"` object of
/// strings, then the data. The whole file is mapped read-only; tensors are copied (and
/// converted to Float32) only when asked for.
///
/// Every inconsistency is a ``SafeTensorsError`` naming the file and tensor; nothing
/// in a malformed file can make the reader crash or read outside the mapping.
public final class SafeTensorsFile: @unchecked Sendable {
    /// The file's path.
    public let path: String
    /// The tensors, by name.
    public let tensors: [String: SafeTensorInfo]
    /// The header's `__metadata__` strings.
    public let metadata: [String: String]

    private let base: UnsafeMutableRawPointer
    private let mappedSize: Int
    private let dataOffset: Int

    /// Opens and validates a safetensors file.
    /// - Parameter url: The file.
    /// - Throws: ``SafeTensorsError`` when the file cannot be read or is malformed.
    public init(url: URL) throws {
        let path = url.path
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SafeTensorsError.cannotOpen(file: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw SafeTensorsError.cannotOpen(file: path, reason: String(cString: strerror(errno))) }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw SafeTensorsError.cannotOpen(file: path, reason: "not a regular file") }
        let size = Int(st.st_size)
        guard size >= 8 else { throw SafeTensorsError.truncated(file: path, detail: "\(size) bytes, shorter than the 8-byte header length") }
        guard let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), p != MAP_FAILED else {
            throw SafeTensorsError.cannotOpen(file: path, reason: "mmap failed: \(String(cString: strerror(errno)))")
        }
        var headerLength: UInt64 = 0
        memcpy(&headerLength, p, 8)
        headerLength = UInt64(littleEndian: headerLength)
        do {
            guard headerLength <= UInt64(size - 8) else {
                throw SafeTensorsError.truncated(file: path, detail: "header claims \(headerLength) bytes but the file has \(size - 8) after the length")
            }
            let header = Data(bytes: p + 8, count: Int(headerLength))
            let parsed = try Self.parseHeader(header, path: path, dataSize: size - 8 - Int(headerLength))
            self.tensors = parsed.tensors
            self.metadata = parsed.metadata
        } catch {
            munmap(p, size)
            throw error
        }
        self.base = p
        self.mappedSize = size
        self.dataOffset = 8 + Int(headerLength)
    }

    deinit { munmap(base, mappedSize) }

    private static func parseHeader(_ header: Data, path: String, dataSize: Int) throws -> (tensors: [String: SafeTensorInfo], metadata: [String: String]) {
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: header, options: []) } catch {
            throw SafeTensorsError.headerNotJSON(file: path, detail: "\(error.localizedDescription)")
        }
        guard let dict = object as? [String: Any] else {
            throw SafeTensorsError.headerNotJSON(file: path, detail: "the header is not a JSON object")
        }
        var tensors: [String: SafeTensorInfo] = [:]
        var metadata: [String: String] = [:]
        for (name, value) in dict {
            if name == "__metadata__" {
                guard let m = value as? [String: Any] else {
                    throw SafeTensorsError.invalidEntry(file: path, tensor: name, detail: "__metadata__ is not an object")
                }
                for (k, v) in m { metadata[k] = (v as? String) ?? "\(v)" }
                continue
            }
            guard let entry = value as? [String: Any] else {
                throw SafeTensorsError.invalidEntry(file: path, tensor: name, detail: "entry is not an object")
            }
            guard let dtypeName = entry["dtype"] as? String else {
                throw SafeTensorsError.invalidEntry(file: path, tensor: name, detail: "missing or non-string \"dtype\"")
            }
            guard let dtype = SafeTensorsDType(rawValue: dtypeName) else {
                throw SafeTensorsError.unsupportedDType(file: path, tensor: name, dtype: dtypeName)
            }
            guard let shape = integers(entry["shape"]), shape.allSatisfy({ $0 >= 0 }) else {
                throw SafeTensorsError.invalidEntry(file: path, tensor: name, detail: "\"shape\" is not a list of non-negative integers")
            }
            guard let offsets = integers(entry["data_offsets"]), offsets.count == 2 else {
                throw SafeTensorsError.invalidEntry(file: path, tensor: name, detail: "\"data_offsets\" is not a pair of integers")
            }
            let (b, e) = (offsets[0], offsets[1])
            guard b >= 0, e >= b, e <= dataSize else {
                throw SafeTensorsError.offsetsOutOfRange(file: path, tensor: name, begin: b, end: e, dataSize: dataSize)
            }
            var count = 1
            for d in shape {
                let (r, overflow) = count.multipliedReportingOverflow(by: d)
                guard !overflow else { throw SafeTensorsError.shapeMismatch(file: path, tensor: name, shape: shape, dtype: dtypeName, bytes: e - b) }
                count = r
            }
            let (bytes, overflow) = count.multipliedReportingOverflow(by: dtype.size)
            guard !overflow, bytes == e - b else {
                throw SafeTensorsError.shapeMismatch(file: path, tensor: name, shape: shape, dtype: dtypeName, bytes: e - b)
            }
            tensors[name] = SafeTensorInfo(name: name, dtype: dtype, shape: shape, range: b..<e)
        }
        return (tensors, metadata)
    }

    private static func integers(_ value: Any?) -> [Int]? {
        guard let array = value as? [Any] else { return nil }
        var out: [Int] = []
        out.reserveCapacity(array.count)
        for v in array {
            guard let n = v as? NSNumber, n.doubleValue == Double(n.int64Value) else { return nil }
            out.append(n.intValue)
        }
        return out
    }

    /// The tensor names, sorted.
    public var names: [String] { tensors.keys.sorted() }

    /// The raw bytes of a tensor, valid while this file is open.
    public func rawBytes(_ name: String) throws -> UnsafeRawBufferPointer {
        guard let info = tensors[name] else { throw SafeTensorsError.missingTensor(name: name, file: path) }
        return UnsafeRawBufferPointer(start: base + dataOffset + info.range.lowerBound, count: info.range.count)
    }

    /// Reads a floating-point tensor as Float32 (F16, BF16 and F64 are converted).
    /// - Parameters:
    ///   - name: The tensor's name.
    ///   - shape: If given, the shape the tensor must have.
    /// - Throws: ``SafeTensorsError/missingTensor(name:file:)``, ``SafeTensorsError/unexpectedShape(file:tensor:expected:actual:)``,
    ///   ``SafeTensorsError/unexpectedDType(file:tensor:dtype:wanted:)``.
    public func floatTensor(_ name: String, shape: [Int]? = nil) throws -> Tensor {
        guard let info = tensors[name] else { throw SafeTensorsError.missingTensor(name: name, file: path) }
        if let shape, shape != info.shape {
            throw SafeTensorsError.unexpectedShape(file: path, tensor: name, expected: shape, actual: info.shape)
        }
        let t = Tensor(shape: info.shape)
        try copyFloats(name, into: t.data)
        return t
    }

    /// Converts a floating-point tensor to Float32 into `destination` (which must hold `count` floats).
    public func copyFloats(_ name: String, into destination: UnsafeMutablePointer<Float>) throws {
        guard let info = tensors[name] else { throw SafeTensorsError.missingTensor(name: name, file: path) }
        let src = base + dataOffset + info.range.lowerBound
        let n = info.count
        switch info.dtype {
        case .f32:
            memcpy(destination, src, n * 4)
        case .f16:
            for i in 0..<n {
                destination[i] = Float(Float16(bitPattern: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
            }
        case .bf16:
            for i in 0..<n {
                let bits = UInt32(src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) << 16
                destination[i] = Float(bitPattern: bits)
            }
        case .f64:
            for i in 0..<n { destination[i] = Float(src.loadUnaligned(fromByteOffset: 8 * i, as: Double.self)) }
        default:
            throw SafeTensorsError.unexpectedDType(file: path, tensor: name, dtype: info.dtype.rawValue, wanted: "a floating-point dtype (F32, F16, BF16, F64)")
        }
    }

    /// Reads an integer or boolean tensor as `Int` values.
    public func integerValues(_ name: String) throws -> [Int] {
        guard let info = tensors[name] else { throw SafeTensorsError.missingTensor(name: name, file: path) }
        let src = UnsafeRawPointer(base + dataOffset + info.range.lowerBound)
        let n = info.count
        switch info.dtype {
        case .i64: return (0..<n).map { Int(src.loadUnaligned(fromByteOffset: 8 * $0, as: Int64.self)) }
        case .u64: return (0..<n).map { Int(truncatingIfNeeded: src.loadUnaligned(fromByteOffset: 8 * $0, as: UInt64.self)) }
        case .i32: return (0..<n).map { Int(src.loadUnaligned(fromByteOffset: 4 * $0, as: Int32.self)) }
        case .u32: return (0..<n).map { Int(src.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self)) }
        case .i16: return (0..<n).map { Int(src.loadUnaligned(fromByteOffset: 2 * $0, as: Int16.self)) }
        case .u16: return (0..<n).map { Int(src.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self)) }
        case .i8: return (0..<n).map { Int(src.load(fromByteOffset: $0, as: Int8.self)) }
        case .u8, .bool: return (0..<n).map { Int(src.load(fromByteOffset: $0, as: UInt8.self)) }
        default:
            throw SafeTensorsError.unexpectedDType(file: path, tensor: name, dtype: info.dtype.rawValue, wanted: "an integer dtype")
        }
    }
}
