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

/// One producer of frames behind a camera: an OpenCV capture or a folder of images.
///
/// A source is used by one thread at a time: the opener, then the capture thread.
protocol FrameSource: AnyObject {
    /// What was granted at open.
    var format: CameraFormat { get }
    /// Differences between what was asked and what was granted (e.g. a refused frame rate).
    var notes: [String] { get }
    /// Decodes the next frame into `buffer` (packed BGR) and sets `buffer.timestamp` to
    /// when it arrived (for a device: when the driver handed it over, before decoding).
    /// Returns false when there is none.
    func read(into buffer: PixelBuffer) throws -> Bool
    /// Goes back to the first frame (files and folders).
    func rewind() throws
    /// The error that describes running out of frames after `framesRead` since the
    /// start (or the last rewind).
    func endError(framesRead: UInt64) -> CameraError
    /// Releases the source.
    func close()
}
