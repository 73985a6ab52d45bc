/// A source of timestamped frames: a USB camera, a video file, a folder of images, a
/// stream, or the simulator's renderer.
///
/// A camera captures on its own thread and keeps only the newest frame, so a control
/// loop asks for "the latest frame newer than the one I used last" and gets either a
/// fresh frame or an error within its timeout, never a stale frame twice and never a
/// wait without end:
///
/// ```swift
/// try camera.open()
/// defer { camera.close() }
/// var last: UInt64? = nil
/// while running {
///     let frame = try camera.latestFrame(newerThan: last, timeout: 0.5)
///     last = frame.sequence
///     // ... use frame.image, taken at frame.timestamp
/// }
/// ```
///
/// The hot path borrows the pixels instead of copying them into a new ``Image``:
/// `try camera.withLatestFrame(newerThan: last, timeout: 0.5) { view in ... }`.
public protocol Camera: AnyObject, Sendable {
    /// What the camera reads from, e.g. "/dev/video0" or "clip.avi".
    var name: String { get }

    /// Whether capture is running (or has frames left to deliver).
    var isOpen: Bool { get }

    /// Connects to the source, applies the configuration and starts capturing.
    ///
    /// Opening an open camera reopens it (after a ``CameraError/disconnected(device:reason:)``
    /// this is how capture resumes).
    /// - Throws: ``CameraError`` naming the source and what to do about it.
    func open() throws

    /// Stops capturing and releases the source. Safe to call more than once.
    func close()

    /// Calls `body` with the newest frame whose sequence number is greater than
    /// `sequence` (any frame when `sequence` is nil), waiting at most `timeout` seconds
    /// for one to arrive.
    ///
    /// The view's pixels belong to the camera and are valid only inside `body`; the
    /// capture thread keeps writing other buffers meanwhile.
    /// - Throws: ``CameraError/timeout(device:seconds:)`` when no such frame arrived in
    ///   time; the error that ended capture (``CameraError/endOfStream(source:frames:)``,
    ///   ``CameraError/disconnected(device:reason:)``, ...) once no newer frame is left;
    ///   or whatever `body` throws.
    func withLatestFrame<Result>(
        newerThan sequence: UInt64?, timeout: Double, _ body: (FrameView) throws -> Result
    ) throws -> Result

    /// Counters since the last ``open()``.
    var statistics: CameraStatistics { get }
}

extension Camera {
    /// The newest frame with a sequence number greater than `sequence`, copied into a
    /// new ``Frame``; see ``withLatestFrame(newerThan:timeout:_:)``.
    public func latestFrame(newerThan sequence: UInt64? = nil, timeout: Double = 1.0) throws -> Frame {
        try withLatestFrame(newerThan: sequence, timeout: timeout) { $0.frame }
    }
}

/// A frame whose pixels are borrowed from the camera that captured it.
public struct FrameView {
    /// Width in pixels.
    public let width: Int
    /// Height in pixels.
    public let height: Int
    /// Channel order of `pixels`.
    public let format: Image.PixelFormat
    /// Interleaved samples, `height * width * format.channels` of them, rows packed.
    public let pixels: UnsafeBufferPointer<UInt8>
    /// When the frame was captured, on the monotonic clock.
    public let timestamp: Timestamp
    /// The frame's place in the camera's output, counting from 0 at the first open and
    /// continuing across reopens, so a reader's last sequence number stays meaningful.
    public let sequence: UInt64

    /// Creates a view; `pixels.count` must be `width * height * format.channels`.
    public init(width: Int, height: Int, format: Image.PixelFormat, pixels: UnsafeBufferPointer<UInt8>,
                timestamp: Timestamp, sequence: UInt64) {
        precondition(pixels.count == width * height * format.channels, "FrameView: pixel count does not match shape")
        self.width = width
        self.height = height
        self.format = format
        self.pixels = pixels
        self.timestamp = timestamp
        self.sequence = sequence
    }

    /// A copy that outlives the borrow.
    public var frame: Frame {
        Frame(image: Image(width: width, height: height, format: format, pixels: Array(pixels)),
              timestamp: timestamp, sequence: sequence)
    }
}

/// A width and a height in pixels.
public struct PixelSize: Hashable, Sendable, Codable, CustomStringConvertible {
    /// Width in pixels.
    public var width: Int
    /// Height in pixels.
    public var height: Int

    /// Creates a size.
    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }

    /// "640x480".
    public var description: String { "\(width)x\(height)" }
}

/// What a camera has done since it was opened.
public struct CameraStatistics: Sendable, Equatable, Codable {
    /// Frames the source produced (after warm-up).
    public var framesCaptured: UInt64 = 0
    /// Frames handed to readers (each sequence number counted once).
    public var framesDelivered: UInt64 = 0
    /// Frames replaced by a newer one before any reader took them.
    public var framesDropped: UInt64 = 0
    /// Times the source was rewound to its start (looping files and folders).
    public var loops: UInt64 = 0
    /// Times the camera was opened again after the first time.
    public var reopens: UInt64 = 0
    /// When the newest frame was captured.
    public var lastFrameTime: Timestamp? = nil

    /// Creates empty statistics.
    public init() {}
}

/// Why a camera could not open or stopped delivering frames.
///
/// Every case names the device or file; ``description`` says what to do about it.
public enum CameraError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The device node does not exist; `available` lists the capture devices that do.
    case deviceNotFound(device: String, available: [String])
    /// The device exists but this user may not open it. The corresponding C error is `EACCES`.
    case permissionDenied(device: String)
    /// Another program is capturing from the device. The corresponding C error is `EBUSY`.
    case deviceBusy(device: String)
    /// The node cannot capture video (a UVC camera's second node carries only metadata).
    case notACaptureDevice(device: String, name: String)
    /// OpenCV could not open or read the source.
    case openFailed(device: String, reason: String)
    /// The source delivers a different frame size than the one asked for.
    case unsupportedSize(device: String, requested: PixelSize, granted: PixelSize)
    /// A device stopped delivering frames (unplugged, or its driver failed). ``Camera/open()``
    /// reopens it.
    case disconnected(device: String, reason: String)
    /// A file or folder has no more frames and the camera does not loop.
    case endOfStream(source: String, frames: UInt64)
    /// A video file ended before the frame count its header promises: it is damaged or
    /// was cut off. The frames before the damage were delivered.
    case truncated(file: String, framesRead: UInt64, framesExpected: UInt64)
    /// A video file or image folder does not exist.
    case fileNotFound(path: String)
    /// A folder contains no images OpenCV can read.
    case emptyFolder(path: String, extensions: [String])
    /// An image in a folder could not be read or decoded.
    case unreadableImage(path: String, reason: String)
    /// No new frame arrived within the timeout.
    case timeout(device: String, seconds: Double)
    /// The camera is not open.
    case notOpen(device: String)
    /// The configuration or camera specification is not usable.
    case invalidConfiguration(String)

    public var description: String {
        switch self {
        case let .deviceNotFound(device, available):
            let list = available.isEmpty
                ? "no video capture devices are connected (check the cable; `ls /dev/video*` should list it)"
                : "capture devices present: " + available.joined(separator: ", ")
            return "\(device): no such camera — \(list)"
        case let .permissionDenied(device):
            return "\(device): permission denied — add your user to the video group (sudo usermod -aG video $USER, then log in again)"
        case let .deviceBusy(device):
            return "\(device): busy — another program is capturing from it (find it with `fuser \(device)`)"
        case let .notACaptureDevice(device, name):
            return "\(device)\(name.isEmpty ? "" : " (\(name))"): cannot capture video — USB cameras expose a second node for metadata; use the other /dev/video node (`vla camera list`)"
        case let .openFailed(device, reason):
            return "\(device): cannot open — \(reason)"
        case let .unsupportedSize(device, requested, granted):
            return "\(device): \(requested) is not supported, the source gave \(granted) — ask for \(granted) or another size from `vla camera list`"
        case let .disconnected(device, reason):
            return "\(device): stopped delivering frames (\(reason)) — check the cable; open() reopens it"
        case let .endOfStream(source, frames):
            return "\(source): end of stream after \(frames) frames"
        case let .truncated(file, read, expected):
            return "\(file): damaged or truncated — read \(read) of the \(expected) frames its header promises"
        case let .fileNotFound(path):
            return "\(path): no such file or folder"
        case let .emptyFolder(path, extensions):
            return "\(path): no images (looked for \(extensions.map { "*.\($0)" }.joined(separator: ", ")))"
        case let .unreadableImage(path, reason):
            return "\(path): cannot read image — \(reason)"
        case let .timeout(device, seconds):
            return "\(device): no new frame within \(seconds) s — the source stalled or delivers slower than asked"
        case let .notOpen(device):
            return "\(device): camera is not open — call open() first"
        case let .invalidConfiguration(reason):
            return "invalid camera configuration: \(reason)"
        }
    }
}
