import OpenCVBridge
import RobotCore

/// Writes frames to a video file, e.g. an MJPG AVI recording of an episode.
///
/// ```swift
/// let writer = try VideoWriter(path: "episode.avi", size: PixelSize(width: 640, height: 480), fps: 30)
/// try writer.write(image)
/// try writer.finish()
/// ```
///
/// MJPG in AVI is the default because OpenCV writes it with its own encoder (no FFmpeg
/// build options involved) and every player reads it; each frame is a JPEG, so pixel
/// values come back within JPEG tolerance, not exactly.
public final class VideoWriter {
    /// The file being written.
    public let path: String
    /// Frame size every written image must have.
    public let size: PixelSize
    /// Frames per second recorded in the file's header.
    public let fps: Double
    /// Frames written so far.
    public private(set) var framesWritten = 0
    private var handle: OpaquePointer?

    /// Opens `path` for writing.
    /// - Parameters:
    ///   - fourcc: The codec's four-character code: "MJPG" (default), "XVID", "mp4v", ...
    ///   - useFFmpeg: Write through FFmpeg instead of OpenCV's built-in MJPG AVI writer
    ///     (needed for any codec but MJPG).
    /// - Throws: ``OpenCVError`` when OpenCV cannot write that codec to that file.
    public init(path: String, size: PixelSize, fps: Double, fourcc: String = "MJPG", useFFmpeg: Bool = false) throws {
        OpenCV.quietOnce
        self.path = path
        self.size = size
        self.fps = fps
        let backend = useFFmpeg || fourcc != "MJPG" ? OpenCVBridge_BackendFFmpeg : OpenCVBridge_BackendOpenCVMJPEG
        var record = OpenCVBridge_Error()
        handle = OpenCVBridge_WriterOpen(path, fourcc, fps, Int32(size.width), Int32(size.height), 1, backend, &record)
        if handle == nil { throw OpenCVError(status: OpenCVBridge_Failed, record: &record) }
    }

    deinit { OpenCVBridge_WriterDestroy(handle) }

    /// Appends a frame; RGB images are swapped to BGR, gray ones replicated.
    public func write(_ image: Image) throws {
        guard let handle else { throw OpenCVError(kind: .invalidArgument, message: "\(path): writer already finished") }
        precondition(image.width == size.width && image.height == size.height,
                     "VideoWriter: \(image.width)x\(image.height) frame for a \(size) video")
        let bgr = image.format == .bgr ? image : image.converted(to: .bgr)
        try bgr.pixels.withUnsafeBufferPointer { pixels in
            try bridgeCall {
                OpenCVBridge_WriterWrite(handle, pixels.baseAddress, Int32(size.width), Int32(size.height), 3, $0)
            }
        }
        framesWritten += 1
    }

    /// Completes the file (writes the AVI index). Later writes throw.
    public func finish() {
        OpenCVBridge_WriterDestroy(handle)
        handle = nil
    }
}
