/// An 8-bit image in interleaved (packed) channel order, as a camera delivers it.
///
/// Pixel `(x, y)` channel `c` is at `pixels[(y * width + x) * channels + c]`.
/// The channel order is stated by `format`: OpenCV delivers `.bgr`, models want `.rgb`.
public struct Image: Sendable, Equatable {
    /// The order of the channels in each pixel.
    public enum PixelFormat: String, Sendable, Codable {
        /// Blue, green, red: OpenCV's native order.
        case bgr
        /// Red, green, blue: what vision models expect.
        case rgb
        /// One luminance channel.
        case gray

        /// Channels per pixel.
        public var channels: Int { self == .gray ? 1 : 3 }
    }

    /// Width in pixels.
    public var width: Int
    /// Height in pixels.
    public var height: Int
    /// Channel order.
    public var format: PixelFormat
    /// Interleaved 8-bit samples, `height * width * format.channels` of them.
    public var pixels: [UInt8]

    /// Channels per pixel.
    public var channels: Int { format.channels }

    /// Creates an image; `pixels.count` must equal `width * height * format.channels`.
    public init(width: Int, height: Int, format: PixelFormat, pixels: [UInt8]) {
        precondition(width >= 0 && height >= 0 && pixels.count == width * height * format.channels,
                     "Image: \(pixels.count) bytes do not make \(width)x\(height) \(format)")
        self.width = width
        self.height = height
        self.format = format
        self.pixels = pixels
    }

    /// Creates a black image.
    public init(width: Int, height: Int, format: PixelFormat = .rgb) {
        self.init(width: width, height: height, format: format,
                  pixels: [UInt8](repeating: 0, count: width * height * format.channels))
    }
}

/// A captured image with its capture time and sequence number.
public struct Frame: Sendable {
    /// The pixels.
    public var image: Image
    /// When the frame was captured, on the monotonic clock.
    public var timestamp: Timestamp
    /// Increases by one for every frame the source produced (gaps mean dropped frames).
    public var sequence: UInt64

    /// Creates a frame.
    public init(image: Image, timestamp: Timestamp, sequence: UInt64) {
        self.image = image
        self.timestamp = timestamp
        self.sequence = sequence
    }
}
