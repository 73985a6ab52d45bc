import RobotCore

/// How to open a camera, in the spirit of LeRobot's `OpenCVCameraConfig`.
///
/// ```swift
/// // A USB camera by its stable name, 640x480 MJPG at 30 fps, delivered as RGB:
/// let wrist = CameraConfiguration(source: .device("/dev/v4l/by-id/usb-046d_C920-video-index0"),
///                                 width: 640, height: 480, fps: 30)
/// // A recording standing in for a camera, looping at its own frame rate:
/// let replay = CameraConfiguration(source: .videoFile("episode.avi"), loop: true)
/// ```
public struct CameraConfiguration: Hashable, Sendable {
    /// Where frames come from.
    public var source: CameraSource
    /// Frame width to ask the device for (nil keeps the device's current one). For
    /// files and folders it is checked, not applied. Set together with `height`.
    public var width: Int?
    /// Frame height; see `width`.
    public var height: Int?
    /// Frame rate to ask a device for, after the size (drivers refuse rates the current
    /// size does not offer). For files and folders it sets the pacing rate instead of
    /// the file's own (folders default to 30).
    public var fps: Double?
    /// The pixel format to ask a device for. "MJPG" (the default) lets USB 2 cameras
    /// deliver 640x480 and above at full rate; nil keeps the driver's choice (often raw
    /// YUYV, limited to a few fps at 1280x720).
    public var fourcc: String?
    /// Channel order of delivered frames: `.rgb` (as models want, the default) or
    /// `.bgr` (OpenCV's own, saves one pass when a later step swaps anyway).
    public var colorOrder: Image.PixelFormat
    /// Turns every frame by this many quarter turns clockwise (for cameras mounted on their side).
    public var rotation: CameraRotation
    /// Frames read and thrown away after a device or stream opens, while auto-exposure
    /// and white balance settle. Files and folders start at their first frame.
    public var warmupFrames: Int
    /// Start again at the first frame when a file or folder ends.
    public var loop: Bool
    /// Deliver a file or folder at its frame rate (like a camera) instead of as fast as
    /// it decodes.
    public var paced: Bool
    /// How long to wait for a stream to connect, in seconds.
    public var openTimeout: Double
    /// How long FFmpeg waits for a stream's next packet before giving up, in seconds.
    public var readTimeout: Double

    /// Creates a configuration; see the properties for the meaning of each argument.
    public init(source: CameraSource, width: Int? = nil, height: Int? = nil, fps: Double? = nil,
                fourcc: String? = "MJPG", colorOrder: Image.PixelFormat = .rgb, rotation: CameraRotation = .none,
                warmupFrames: Int = 5, loop: Bool = false, paced: Bool = true,
                openTimeout: Double = 10, readTimeout: Double = 5) {
        self.source = source
        self.width = width
        self.height = height
        self.fps = fps
        self.fourcc = fourcc
        self.colorOrder = colorOrder
        self.rotation = rotation
        self.warmupFrames = warmupFrames
        self.loop = loop
        self.paced = paced
        self.openTimeout = openTimeout
        self.readTimeout = readTimeout
    }

    /// The requested size, when both dimensions are set.
    public var requestedSize: PixelSize? {
        guard let width, let height else { return nil }
        return PixelSize(width: width, height: height)
    }

    /// Checks the settings against each other.
    /// - Throws: ``CameraError/invalidConfiguration(_:)`` saying which setting is wrong.
    public func validate() throws {
        if (width == nil) != (height == nil) {
            throw CameraError.invalidConfiguration("\(source): set both width and height, or neither")
        }
        if let width, let height, width <= 0 || height <= 0 {
            throw CameraError.invalidConfiguration("\(source): size \(width)x\(height) must be positive")
        }
        if let fps, !(fps > 0) { throw CameraError.invalidConfiguration("\(source): fps \(fps) must be positive") }
        if let fourcc, fourcc.utf8.count != 4 {
            throw CameraError.invalidConfiguration("\(source): fourcc \"\(fourcc)\" must be four characters, like MJPG or YUYV")
        }
        if colorOrder == .gray { throw CameraError.invalidConfiguration("\(source): colorOrder must be .rgb or .bgr") }
        if warmupFrames < 0 { throw CameraError.invalidConfiguration("\(source): warmupFrames must not be negative") }
    }
}

/// A fixed rotation applied to every frame, clockwise.
public enum CameraRotation: Int, Hashable, Sendable, CaseIterable {
    case none = 0
    case clockwise90 = 1
    case upsideDown = 2
    case counterclockwise90 = 3

    /// Parses 0, 90, 180, 270 (or -90) degrees.
    public init?(degrees: Int) {
        switch ((degrees % 360) + 360) % 360 {
        case 0: self = .none
        case 90: self = .clockwise90
        case 180: self = .upsideDown
        case 270: self = .counterclockwise90
        default: return nil
        }
    }
}
