import OpenCVBridge
import RobotCore

/// Reusable pixel memory that OpenCV writes frames into.
///
/// It grows to the largest frame it has held and never shrinks, so a capture loop
/// allocates only while the frame size settles. Not thread-safe: the camera hands each
/// buffer to one thread at a time.
final class PixelBuffer {
    private(set) var storage: UnsafeMutablePointer<UInt8>
    private(set) var capacity: Int
    var width = 0
    var height = 0
    var format: Image.PixelFormat = .bgr
    var timestamp = Timestamp(seconds: 0)
    var sequence: UInt64 = 0
    /// Whether the last ``fill(_:)`` had to copy (OpenCV could not write here directly).
    private(set) var copied = false

    init(capacity: Int = 0) {
        self.capacity = max(capacity, 1)
        storage = .allocate(capacity: self.capacity)
    }

    deinit { storage.deallocate() }

    /// Bytes in the current frame.
    var count: Int { width * height * format.channels }

    /// Makes room for `count` bytes (contents are not kept).
    func reserve(_ count: Int) {
        guard count > capacity else { return }
        storage.deallocate()
        capacity = count
        storage = .allocate(capacity: count)
    }

    /// Exchanges memory and shape with `other` (no copy).
    func swapContents(with other: PixelBuffer) {
        swap(&storage, &other.storage)
        swap(&capacity, &other.capacity)
        swap(&width, &other.width)
        swap(&height, &other.height)
        swap(&format, &other.format)
    }

    /// The current frame's bytes.
    var pixels: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: storage, count: count) }

    /// A view of the current frame.
    var view: FrameView {
        FrameView(width: width, height: height, format: format, pixels: pixels, timestamp: timestamp, sequence: sequence)
    }

    /// Runs a bridge call that decodes into this buffer, growing it and calling again
    /// when the bridge reports `OpenCVBridge_BufferTooSmall`; records the shape.
    func fill(_ call: (UnsafeMutablePointer<UInt8>, Int, UnsafeMutablePointer<OpenCVBridge_ImageInfo>,
                       UnsafeMutablePointer<OpenCVBridge_Error>) -> OpenCVBridge_Status) throws {
        var info = OpenCVBridge_ImageInfo()
        let status = try bridgeCall(allowing: OpenCVBridge_BufferTooSmall) { call(storage, capacity, &info, $0) }
        if status == OpenCVBridge_BufferTooSmall {
            reserve(Int(info.width) * Int(info.height) * Int(info.channels))
            try bridgeCall { call(storage, capacity, &info, $0) }
        }
        width = Int(info.width)
        height = Int(info.height)
        format = info.channels == 1 ? .gray : .bgr
        copied = status == OpenCVBridge_BufferTooSmall || info.copied != 0
    }

    /// Decodes an encoded image (PNG, JPEG, ...) into this buffer as BGR.
    func decode(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBufferPointer { encoded in
            try fill { OpenCVBridge_ImageDecode(encoded.baseAddress, encoded.count, 3, $0, $1, $2, $3) }
        }
    }
}
