import Foundation
import OpenCVBridge
import RobotCore

/// PNG and JPEG frames through the OpenCV bridge (`OpenCVBridge_ImageEncode`/`Decode`).
///
/// The stored files are in true colour whatever the captured channel order: RGB pixels
/// are swapped to OpenCV's BGR before encoding and back after decoding, so an exported
/// PNG opens correctly anywhere.
public struct OpenCVFrameCodec: FrameCodec {
    public let encoding: FrameEncoding
    /// PNG compression 0-9 or JPEG quality 0-100; negative for OpenCV's default.
    public let parameter: Int

    /// A PNG or JPEG codec.
    public init(encoding: FrameEncoding, parameter: Int = -1) {
        precondition(encoding != .raw, "OpenCVFrameCodec encodes PNG or JPEG; use RawFrameCodec for raw")
        self.encoding = encoding
        self.parameter = parameter
    }

    public func encode(_ pixels: UnsafeBufferPointer<UInt8>, width: Int, height: Int,
                       format: Image.PixelFormat) throws -> [UInt8] {
        guard format == .rgb else { return try encodeOpenCVOrder(pixels, width: width, height: height, channels: format.channels) }
        var swapped = [UInt8](repeating: 0, count: pixels.count)
        try swapped.withUnsafeMutableBufferPointer { try Self.swapRedBlue(pixels.baseAddress, $0.baseAddress, width, height) }
        return try swapped.withUnsafeBufferPointer { try encodeOpenCVOrder($0, width: width, height: height, channels: 3) }
    }

    /// Encodes BGR or gray pixels.
    private func encodeOpenCVOrder(_ pixels: UnsafeBufferPointer<UInt8>, width: Int, height: Int, channels: Int) throws -> [UInt8] {
        var error = OpenCVBridge_Error()
        var output: OpaquePointer? = nil
        let status = OpenCVBridge_ImageEncode(pixels.baseAddress, Int32(width), Int32(height), Int32(channels),
                                              encoding == .png ? ".png" : ".jpg", Int32(parameter), &output, &error)
        guard status == OpenCVBridge_OK, let output else { throw FrameCodecError(Self.message(error, status)) }
        defer { OpenCVBridge_BytesDestroy(output) }
        let count = OpenCVBridge_BytesCount(output)
        guard let data = OpenCVBridge_BytesData(output) else { return [] }
        return Array(UnsafeBufferPointer(start: data, count: count))
    }

    public func decode(_ bytes: UnsafeRawBufferPointer, width: Int, height: Int, format: Image.PixelFormat) throws -> Image {
        var image = Image(width: width, height: height, format: format == .gray ? .gray : .bgr)
        var info = OpenCVBridge_ImageInfo()
        var error = OpenCVBridge_Error()
        let status = image.pixels.withUnsafeMutableBufferPointer { buffer in
            OpenCVBridge_ImageDecode(bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count,
                                     Int32(format.channels), buffer.baseAddress, buffer.count, &info, &error)
        }
        guard status == OpenCVBridge_OK else { throw FrameCodecError(Self.message(error, status)) }
        guard Int(info.width) == width, Int(info.height) == height else {
            throw FrameCodecError("decoded \(info.width)x\(info.height), the record says \(width)x\(height)")
        }
        if format == .rgb {
            try image.pixels.withUnsafeMutableBufferPointer { try Self.swapRedBlue($0.baseAddress, $0.baseAddress, width, height) }
            image.format = .rgb
        }
        return image
    }

    /// RGB to BGR or back (`src == dst` allowed), in C: a Swift loop is slow in debug builds.
    static func swapRedBlue(_ src: UnsafePointer<UInt8>?, _ dst: UnsafeMutablePointer<UInt8>?, _ width: Int, _ height: Int) throws {
        var error = OpenCVBridge_Error()
        let status = OpenCVBridge_ConvertColor(src, dst, Int32(width), Int32(height), OpenCVBridge_SwapRedBlue, &error)
        guard status == OpenCVBridge_OK else { throw FrameCodecError(message(error, status)) }
    }

    static func message(_ error: OpenCVBridge_Error, _ status: OpenCVBridge_Status) -> String {
        var copy = error
        let text = withUnsafeBytes(of: &copy.message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        return text.isEmpty ? "OpenCV status \(status.rawValue)" : text
    }
}
