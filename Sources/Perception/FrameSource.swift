import RobotCore

/// What a camera granted when it opened.
public struct CameraFormat: Hashable, Sendable, Codable, CustomStringConvertible {
    /// Frame size.
    public var size: PixelSize
    /// Frame rate (the device's, the file's, or the pacing rate; 0 when unknown).
    public var fps: Double
    /// The pixel format or codec as four characters ("MJPG", "YUYV"), "" when unknown.
    public var fourcc: String
    /// The OpenCV backend in use ("V4L2", "FFMPEG") or "images" for a folder.
    public var backend: String
    /// Frames in a file or folder, when known.
    public var frameCount: Int?

    public var description: String {
        var text = "\(size)"
        if fps > 0 { text += " @ \(String(format: "%g", fps)) fps" }
        if !fourcc.isEmpty { text += " \(fourcc)" }
        if !backend.isEmpty { text += " via \(backend)" }
        if let frameCount { text += ", \(frameCount) frames" }
        return text
    }
}

/// One producer of frames behind an ``OpenCVCamera``: an OpenCV capture, a folder of
/// images, or anything else that makes pictures (the simulator's renderer, a recorded
/// episode).
///
/// The camera calls a source from one thread at a time (the opener, then its capture
/// thread) and gives it the latest-frame buffering, timestamps, sequence numbers,
/// dropped-frame counts, colour order, rotation, looping and pacing:
///
/// ```swift
/// final class Renderer: FrameSource {
///     let format = CameraFormat(size: PixelSize(width: 320, height: 240), fps: 30, fourcc: "", backend: "sim")
///     func read(into sink: FrameSink) throws -> Bool {
///         var image = Image(width: 320, height: 240, format: .bgr)
///         image.drawCircle(center: (160, 120), radius: 20, color: .red)
///         sink.write(image)
///         return true
///     }
/// }
/// let camera = OpenCVCamera(CameraConfiguration(source: .stream("sim://tabletop"), warmupFrames: 0)) { _ in Renderer() }
/// ```
public protocol FrameSource: AnyObject {
    /// What the source delivers (size, rate, name of the backend).
    var format: CameraFormat { get }
    /// Differences between what was asked and what was granted (e.g. a refused frame rate).
    var notes: [String] { get }
    /// Whether the source ends (a file, a folder, a recording) rather than delivering
    /// until closed. Finite sources can loop and are paced at their rate; others get
    /// warm-up frames discarded and their end is a disconnection.
    var isFinite: Bool { get }
    /// Writes the next frame into `sink` (see ``FrameSink``; the frame is stamped when
    /// written unless the source stamps it). Returns false when there is none.
    func read(into sink: FrameSink) throws -> Bool
    /// Goes back to the first frame (finite sources).
    func rewind() throws
    /// The error that describes running out of frames after `framesRead` since the start
    /// (or the last rewind).
    func endError(framesRead: UInt64) -> CameraError
    /// Releases the source.
    func close()
}

extension FrameSource {
    public var notes: [String] { [] }
    public var isFinite: Bool { false }
    public func rewind() throws {}
    public func endError(framesRead: UInt64) -> CameraError {
        isFinite ? .endOfStream(source: format.backend, frames: framesRead)
                 : .disconnected(device: format.backend, reason: "the source stopped delivering frames")
    }
    public func close() {}
}

/// Where a ``FrameSource`` puts a frame: memory the camera owns and reuses, so a source
/// that writes directly allocates nothing per frame.
public struct FrameSink {
    let buffer: PixelBuffer

    /// Copies `image` in and stamps it now.
    public func write(_ image: Image) {
        write(width: image.width, height: image.height, format: image.format) { target in
            _ = image.pixels.withUnsafeBufferPointer { target.initialize(from: $0) }
        }
    }

    /// Lets `body` fill `width * height * format.channels` bytes in place; stamps the frame now.
    public func write(width: Int, height: Int, format: Image.PixelFormat,
                      _ body: (UnsafeMutableBufferPointer<UInt8>) throws -> Void) rethrows {
        precondition(width > 0 && height > 0, "FrameSink: empty frame")
        buffer.reserve(width * height * format.channels)
        buffer.width = width
        buffer.height = height
        buffer.format = format
        try body(UnsafeMutableBufferPointer(start: buffer.storage, count: buffer.count))
        buffer.timestamp = .now()
    }

    /// Overrides the frame's timestamp (e.g. a simulator's own clock).
    public func stamp(_ timestamp: Timestamp) { buffer.timestamp = timestamp }
}
