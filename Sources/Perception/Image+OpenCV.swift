import Foundation
import OpenCVBridge
import RobotCore

/// Image files, codecs, resizing, colour conversion and rotation through OpenCV.
extension Image {
    /// An encoded image format.
    public enum FileFormat: Sendable, Equatable {
        /// Lossless PNG; `compression` 0 (fastest) to 9 (smallest), nil for OpenCV's default (1).
        case png(compression: Int? = nil)
        /// JPEG with `quality` 0-100, nil for OpenCV's default (95).
        case jpeg(quality: Int? = nil)

        var fileExtension: String {
            switch self {
            case .png: return ".png"
            case .jpeg: return ".jpg"
            }
        }

        var parameter: Int32 {
            switch self {
            case let .png(compression): return Int32(compression ?? -1)
            case let .jpeg(quality): return Int32(quality ?? -1)
            }
        }
    }

    /// Reads an image file (PNG, JPEG, BMP, TIFF, WebP, ...) as BGR, or gray when `gray`.
    /// - Throws: ``OpenCVError`` (``OpenCVError/Kind/system`` with `errno` when the file
    ///   cannot be opened).
    public init(contentsOfFile path: String, gray: Bool = false) throws {
        OpenCV.quietOnce
        let buffer = PixelBuffer()
        try buffer.fill { OpenCVBridge_ImageRead(path, gray ? 1 : 3, $0, $1, $2, $3) }
        self.init(width: buffer.width, height: buffer.height, format: buffer.format, pixels: Array(buffer.pixels))
    }

    /// Decodes an encoded image (PNG, JPEG, ...) as BGR, or gray when `gray`.
    public init(decoding bytes: [UInt8], gray: Bool = false) throws {
        OpenCV.quietOnce
        let buffer = PixelBuffer()
        try bytes.withUnsafeBufferPointer { encoded in
            try buffer.fill { OpenCVBridge_ImageDecode(encoded.baseAddress, encoded.count, gray ? 1 : 3, $0, $1, $2, $3) }
        }
        self.init(width: buffer.width, height: buffer.height, format: buffer.format, pixels: Array(buffer.pixels))
    }

    /// Replaces the image with a decoded one (BGR), reusing the pixel storage when the
    /// size is unchanged: a loop decoding same-size MJPG frames allocates nothing.
    public mutating func decode(from bytes: [UInt8]) throws {
        OpenCV.quietOnce
        var info = OpenCVBridge_ImageInfo()
        if format != .bgr || pixels.isEmpty { self = Image(width: max(width, 1), height: max(height, 1), format: .bgr) }
        let status = try bytes.withUnsafeBufferPointer { encoded in
            try pixels.withUnsafeMutableBufferPointer { buffer in
                try bridgeCall(allowing: OpenCVBridge_BufferTooSmall) {
                    OpenCVBridge_ImageDecode(encoded.baseAddress, encoded.count, 3, buffer.baseAddress, buffer.count, &info, $0)
                }
            }
        }
        let needed = Int(info.width) * Int(info.height) * 3
        if status == OpenCVBridge_BufferTooSmall || needed != pixels.count {
            if status == OpenCVBridge_BufferTooSmall {
                pixels = [UInt8](repeating: 0, count: needed)
                try bytes.withUnsafeBufferPointer { encoded in
                    try pixels.withUnsafeMutableBufferPointer { buffer in
                        try bridgeCall {
                            OpenCVBridge_ImageDecode(encoded.baseAddress, encoded.count, 3, buffer.baseAddress, buffer.count, &info, $0)
                        }
                    }
                }
            } else {
                pixels.removeLast(pixels.count - needed)
            }
        }
        width = Int(info.width)
        height = Int(info.height)
    }

    /// The image encoded as `format`. RGB images are swapped to BGR first, so the file's
    /// colours are right.
    public func encoded(as format: FileFormat) throws -> [UInt8] {
        OpenCV.quietOnce
        let source = self.format == .rgb ? converted(to: .bgr) : self
        var output: OpaquePointer? = nil
        try source.pixels.withUnsafeBufferPointer { pixels in
            try bridgeCall {
                OpenCVBridge_ImageEncode(pixels.baseAddress, Int32(width), Int32(height), Int32(channels),
                                         format.fileExtension, format.parameter, &output, $0)
            }
        }
        defer { OpenCVBridge_BytesDestroy(output) }
        return Array(UnsafeBufferPointer(start: OpenCVBridge_BytesData(output), count: OpenCVBridge_BytesCount(output)))
    }

    /// Writes the image to `path`; the extension picks the format. RGB images are
    /// swapped to BGR first, so the file's colours are right.
    /// - Parameter quality: JPEG quality 0-100 or PNG compression 0-9; nil for OpenCV's default.
    public func write(toFile path: String, quality: Int? = nil) throws {
        OpenCV.quietOnce
        let source = format == .rgb ? converted(to: .bgr) : self
        try source.pixels.withUnsafeBufferPointer { pixels in
            try bridgeCall {
                OpenCVBridge_ImageWrite(path, pixels.baseAddress, Int32(width), Int32(height), Int32(channels),
                                        Int32(quality ?? -1), $0)
            }
        }
    }

    /// How ``resized(width:height:interpolation:)`` interpolates (OpenCV's `cv::resize` flags).
    ///
    /// None of these antialias when shrinking except ``area``; for model input that must
    /// match Hugging Face image processors use ``ImagePreprocessor`` instead.
    public enum Interpolation: Int32, Sendable {
        /// `cv::INTER_NEAREST`.
        case nearest = 0
        /// `cv::INTER_LINEAR` (2x2 neighbours).
        case linear = 1
        /// `cv::INTER_CUBIC` (4x4 neighbours).
        case cubic = 2
        /// `cv::INTER_AREA`: pixel-area averaging when shrinking.
        case area = 3
        /// `cv::INTER_LANCZOS4` (8x8 neighbours).
        case lanczos4 = 4
    }

    /// A resized copy.
    public func resized(width newWidth: Int, height newHeight: Int, interpolation: Interpolation = .area) -> Image {
        precondition(newWidth > 0 && newHeight > 0, "resized: size must be positive")
        var output = Image(width: newWidth, height: newHeight, format: format)
        pixels.withUnsafeBufferPointer { src in
            output.pixels.withUnsafeMutableBufferPointer { dst in
                try! bridgeCall {
                    OpenCVBridge_Resize(src.baseAddress, Int32(width), Int32(height), Int32(channels), dst.baseAddress,
                                        Int32(newWidth), Int32(newHeight),
                                        OpenCVBridge_Interpolation(rawValue: UInt32(interpolation.rawValue)), $0)
                }
            }
        }
        return output
    }

    /// A copy in another channel order (RGB and BGR swap red and blue; gray is
    /// replicated to colour or computed with OpenCV's luma weights).
    public func converted(to target: PixelFormat) -> Image {
        if target == format { return self }
        var output = Image(width: width, height: height, format: target)
        let conversion: OpenCVBridge_ColorConversion
        switch (format, target) {
        case (.bgr, .rgb), (.rgb, .bgr): conversion = OpenCVBridge_SwapRedBlue
        case (.bgr, .gray): conversion = OpenCVBridge_BGRToGray
        case (.rgb, .gray): conversion = OpenCVBridge_RGBToGray
        case (.gray, _): conversion = OpenCVBridge_GrayToBGR
        default: return self
        }
        pixels.withUnsafeBufferPointer { src in
            output.pixels.withUnsafeMutableBufferPointer { dst in
                try! bridgeCall { OpenCVBridge_ConvertColor(src.baseAddress, dst.baseAddress, Int32(width), Int32(height), conversion, $0) }
            }
        }
        return output
    }

    /// A copy turned clockwise by `quarterTurns` × 90°.
    public func rotated(quarterTurns: Int) -> Image {
        let turns = ((quarterTurns % 4) + 4) % 4
        if turns == 0 { return self }
        var output = turns % 2 == 1 ? Image(width: height, height: width, format: format) : Image(width: width, height: height, format: format)
        pixels.withUnsafeBufferPointer { src in
            output.pixels.withUnsafeMutableBufferPointer { dst in
                try! bridgeCall { OpenCVBridge_Rotate(src.baseAddress, dst.baseAddress, Int32(width), Int32(height), Int32(channels), Int32(turns), $0) }
            }
        }
        return output
    }
}
