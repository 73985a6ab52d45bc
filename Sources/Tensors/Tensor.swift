import Foundation

/// A dense, row-major Float32 tensor that owns 64-byte-aligned storage.
///
/// `Tensor` is deliberately simple (as in llama2.c): a shape and a pointer. The
/// engine reads and writes `data` directly, and views are plain pointer offsets
/// (`row(_:)`), so the hot path never allocates. Storage is zero-filled at
/// creation and freed when the last reference goes away.
///
/// ```swift
/// let w = Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6])
/// w.row(1)[2]   // 6
/// ```
public final class Tensor: @unchecked Sendable, CustomStringConvertible {
    /// The extent of each dimension, outermost first.
    public let shape: [Int]
    /// The number of elements (the product of `shape`).
    public let count: Int
    /// The elements, `count` of them, row-major.
    public let data: UnsafeMutablePointer<Float>

    /// Creates a zero-filled tensor.
    /// - Parameter shape: The extent of each dimension; every extent must be ≥ 0.
    public init(shape: [Int]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor: negative extent in shape \(shape)")
        self.shape = shape
        self.count = shape.reduce(1, *)
        var raw: UnsafeMutableRawPointer?
        let bytes = max(count, 1) * MemoryLayout<Float>.stride
        guard posix_memalign(&raw, 64, bytes) == 0, let raw else {
            fatalError("Tensor: cannot allocate \(bytes) bytes for shape \(shape)")
        }
        memset(raw, 0, bytes)
        self.data = raw.bindMemory(to: Float.self, capacity: max(count, 1))
    }

    /// Creates a tensor holding `values`; `values.count` must equal the product of `shape`.
    public convenience init(shape: [Int], values: [Float]) {
        self.init(shape: shape)
        precondition(values.count == count, "Tensor: \(values.count) values do not fill shape \(shape)")
        values.withUnsafeBufferPointer { data.update(from: $0.baseAddress!, count: count) }
    }

    deinit { free(data) }

    /// The number of dimensions.
    public var rank: Int { shape.count }

    /// The elements as a Swift array (a copy; not for the hot path).
    public var scalars: [Float] { Array(UnsafeBufferPointer(start: data, count: count)) }

    /// The elements as a buffer pointer, valid while the tensor lives.
    public var buffer: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(start: data, count: count) }

    /// A pointer to row `i` of the outermost dimension.
    ///
    /// For a tensor of shape `(rows, a, b, ...)` the row holds `a * b * ...` elements.
    public func row(_ i: Int) -> UnsafeMutablePointer<Float> {
        precondition(rank >= 1 && i >= 0 && i < shape[0], "Tensor.row: \(i) outside shape \(shape)")
        return data + i * (count / shape[0])
    }

    /// Element access by flat index.
    public subscript(index: Int) -> Float {
        get { data[index] }
        set { data[index] = newValue }
    }

    /// Sets every element to `value`.
    public func fill(_ value: Float) { data.update(repeating: value, count: count) }

    public var description: String { "Tensor(\(shape))" }
}
