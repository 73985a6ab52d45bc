import Foundation
import RobotCore

/// How an episode stores its camera frames.
public enum FrameEncoding: String, Sendable, Codable, CaseIterable {
    /// The pixels as captured: no codec, no CPU time, about 150 KB per 224x224 frame.
    case raw
    /// Lossless PNG: exact pixels for training, about a third to half of raw.
    case png
    /// JPEG: about a tenth of raw, with compression artefacts.
    case jpeg

    /// The code in a frame record's header.
    var code: UInt8 {
        switch self {
        case .raw: return 0
        case .png: return 1
        case .jpeg: return 2
        }
    }

    init?(code: UInt8) {
        switch code {
        case 0: self = .raw
        case 1: self = .png
        case 2: self = .jpeg
        default: return nil
        }
    }
}

/// Turns pixels into stored bytes and back.
///
/// The episode writer and reader reach image codecs only through this protocol, so the
/// format does not depend on OpenCV: ``RawFrameCodec`` needs nothing, and
/// ``OpenCVFrameCodec`` (PNG, JPEG) goes through the OpenCV bridge's C functions.
public protocol FrameCodec: Sendable {
    /// What `encode` produces.
    var encoding: FrameEncoding { get }
    /// Encodes packed pixels of `format`.
    func encode(_ pixels: UnsafeBufferPointer<UInt8>, width: Int, height: Int,
                format: Image.PixelFormat) throws -> [UInt8]
    /// Decodes bytes written by `encode` back to an image of `format`.
    func decode(_ bytes: UnsafeRawBufferPointer, width: Int, height: Int, format: Image.PixelFormat) throws -> Image
}

/// Frames stored as their packed pixels.
public struct RawFrameCodec: FrameCodec {
    public init() {}
    public var encoding: FrameEncoding { .raw }

    public func encode(_ pixels: UnsafeBufferPointer<UInt8>, width: Int, height: Int,
                       format: Image.PixelFormat) throws -> [UInt8] {
        Array(pixels)
    }

    public func decode(_ bytes: UnsafeRawBufferPointer, width: Int, height: Int, format: Image.PixelFormat) throws -> Image {
        let count = width * height * format.channels
        guard bytes.count == count else {
            throw FrameCodecError("raw frame holds \(bytes.count) bytes, \(width)x\(height) \(format) needs \(count)")
        }
        return Image(width: width, height: height, format: format, pixels: Array(bytes))
    }
}

/// A codec failure, with OpenCV's message when it came from there.
public struct FrameCodecError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// The codec for an encoding: raw, or PNG/JPEG through OpenCV.
public func frameCodec(for encoding: FrameEncoding, pngCompression: Int = 1, jpegQuality: Int = 90) -> FrameCodec {
    switch encoding {
    case .raw: return RawFrameCodec()
    case .png: return OpenCVFrameCodec(encoding: .png, parameter: pngCompression)
    case .jpeg: return OpenCVFrameCodec(encoding: .jpeg, parameter: jpegQuality)
    }
}

/// One stored frame as read back, before decoding.
public struct EncodedFrame: Sendable {
    /// How `bytes` are encoded.
    public var encoding: FrameEncoding
    /// The image's width in pixels.
    public var width: Int
    /// The image's height in pixels.
    public var height: Int
    /// The channel order of the captured image (PNG and JPEG bytes are always in true
    /// colour; this is the order `decode` gives back).
    public var format: Image.PixelFormat
    /// The camera's sequence number of the frame.
    public var sequence: UInt64
    /// When the frame was captured, on the monotonic clock.
    public var timestamp: Timestamp
    /// The encoded image: a PNG or JPEG file's bytes, or packed pixels.
    public var bytes: [UInt8]

    /// The length of the frame header inside a `frames.bin` record payload.
    static let headerSize = 32

    /// The record payload: a 32-byte frame header, then the encoded bytes.
    ///
    /// ```
    ///  0  1  encoding: 0 raw, 1 png, 2 jpeg
    ///  1  1  pixel format: 0 gray, 1 rgb, 2 bgr
    ///  2  2  reserved, 0
    ///  4  4  width, UInt32 little-endian
    ///  8  4  height, UInt32 little-endian
    /// 12  4  reserved, 0
    /// 16  8  camera sequence number, UInt64 little-endian
    /// 24  8  capture time, monotonic seconds, Float64 little-endian
    /// 32  …  encoded bytes
    /// ```
    static func payload(encoding: FrameEncoding, width: Int, height: Int, format: Image.PixelFormat,
                        sequence: UInt64, timestamp: Timestamp, bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [encoding.code, format.code, 0, 0]
        out.reserveCapacity(headerSize + bytes.count)
        out.appendLittleEndian(UInt32(width))
        out.appendLittleEndian(UInt32(height))
        out.appendLittleEndian(UInt32(0))
        out.appendLittleEndian(sequence)
        out.appendLittleEndian(timestamp.seconds.bitPattern)
        out.append(contentsOf: bytes)
        return out
    }

    /// Parses a record payload; nil when the header is not one this reader knows.
    init?(payload: UnsafeRawBufferPointer) {
        guard payload.count >= Self.headerSize,
              let encoding = FrameEncoding(code: payload[0]),
              let format = Image.PixelFormat(code: payload[1]) else { return nil }
        self.encoding = encoding
        self.format = format
        width = Int(payload.loadLittleEndianUInt32(at: 4))
        height = Int(payload.loadLittleEndianUInt32(at: 8))
        sequence = payload.loadLittleEndianUInt64(at: 16)
        timestamp = Timestamp(seconds: Double(bitPattern: payload.loadLittleEndianUInt64(at: 24)))
        bytes = Array(UnsafeRawBufferPointer(rebasing: payload[Self.headerSize...]))
    }

    /// Decodes the image with the codec for its encoding.
    public func decode() throws -> Image {
        try bytes.withUnsafeBytes {
            try frameCodec(for: encoding).decode($0, width: width, height: height, format: format)
        }
    }

    /// The frame as a PNG file's bytes: the stored bytes when already PNG, else decoded
    /// and re-encoded.
    public func pngData() throws -> [UInt8] {
        if encoding == .png { return bytes }
        let image = try decode()
        return try image.pixels.withUnsafeBufferPointer {
            try frameCodec(for: .png).encode($0, width: width, height: height, format: format)
        }
    }
}

extension Image.PixelFormat {
    /// The code in a frame record's header.
    var code: UInt8 {
        switch self {
        case .gray: return 0
        case .rgb: return 1
        case .bgr: return 2
        }
    }

    init?(code: UInt8) {
        switch code {
        case 0: self = .gray
        case 1: self = .rgb
        case 2: self = .bgr
        default: return nil
        }
    }
}
