import OpenCVBridge

/// A failure reported by the OpenCV bridge.
///
/// Camera code turns these into ``CameraError`` with the device named; image and video
/// helpers throw them as they are.
public struct OpenCVError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What kind of failure the bridge reported.
    public enum Kind: Int32, Sendable {
        /// OpenCV declined without an exception. The corresponding bridge status is `OpenCVBridge_Failed`.
        case failed = 1
        /// OpenCV threw. The corresponding bridge status is `OpenCVBridge_Exception`.
        case exception = 2
        /// No more frames. The corresponding bridge status is `OpenCVBridge_EndOfStream`.
        case endOfStream = 3
        /// A buffer was too small. The corresponding bridge status is `OpenCVBridge_BufferTooSmall`.
        case bufferTooSmall = 4
        /// A bad argument. The corresponding bridge status is `OpenCVBridge_InvalidArgument`.
        case invalidArgument = 5
        /// A system call failed. The corresponding bridge status is `OpenCVBridge_SystemError`.
        case system = 6
    }

    /// The kind of failure.
    public var kind: Kind
    /// What the bridge said.
    public var message: String
    /// `errno` for ``Kind/system`` failures, else 0.
    public var systemErrno: Int32

    /// Creates an error.
    public init(kind: Kind, message: String, systemErrno: Int32 = 0) {
        self.kind = kind
        self.message = message
        self.systemErrno = systemErrno
    }

    public var description: String { message }
}

/// OpenCV as a whole: version and logging.
public enum OpenCV {
    /// OpenCV's version, e.g. "4.6.0".
    public static var version: String { String(cString: OpenCVBridge_Version()) }

    /// OpenCV's own log verbosity, from silent to debug.
    public enum LogLevel: Int32, Sendable {
        case silent = 0, fatal, error, warning, info, debug
    }

    /// Sets how much OpenCV prints to standard error.
    /// The corresponding OpenCV call is `cv::utils::logging::setLogLevel`.
    public static func setLogLevel(_ level: LogLevel) { OpenCVBridge_SetLogLevel(level.rawValue) }

    /// SwiftVLA reports OpenCV's failures as typed errors, so OpenCV's own warnings
    /// ("can't open camera by index") are turned off once, unless `OPENCV_LOG_LEVEL`
    /// asks for them.
    static let quietOnce: Void = {
        if getenv("OPENCV_LOG_LEVEL") == nil { setLogLevel(.silent) }
    }()
}

#if canImport(Glibc)
import Glibc
#endif

/// Runs one bridge call with an error record on the stack; throws unless it returned OK.
@inline(__always)
func bridgeCall(_ body: (UnsafeMutablePointer<OpenCVBridge_Error>) -> OpenCVBridge_Status) throws {
    var record = OpenCVBridge_Error()
    let status = body(&record)
    guard status == OpenCVBridge_OK else { throw OpenCVError(status: status, record: &record) }
}

/// Like ``bridgeCall(_:)`` but returns the status instead of throwing for `allowed` ones.
@inline(__always)
func bridgeCall(allowing allowed: OpenCVBridge_Status,
                _ body: (UnsafeMutablePointer<OpenCVBridge_Error>) -> OpenCVBridge_Status) throws -> OpenCVBridge_Status {
    var record = OpenCVBridge_Error()
    let status = body(&record)
    guard status == OpenCVBridge_OK || status == allowed else { throw OpenCVError(status: status, record: &record) }
    return status
}

extension OpenCVError {
    init(status: OpenCVBridge_Status, record: inout OpenCVBridge_Error) {
        let message = withUnsafeBytes(of: &record.message) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
        self.init(kind: Kind(rawValue: Int32(status.rawValue)) ?? .failed, message: message,
                  systemErrno: record.systemErrno)
    }
}
