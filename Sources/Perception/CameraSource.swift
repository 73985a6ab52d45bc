import Foundation
import RobotCore

/// Where a camera's frames come from.
///
/// Parse a command-line specification with ``init(spec:)``:
///
/// | spec | source |
/// | --- | --- |
/// | `0` | ``index(_:)``: `/dev/video0` |
/// | `/dev/video2`, `/dev/v4l/by-id/usb-…-video-index0` | ``device(_:)`` |
/// | `rtsp://host/stream`, `http://host/video.mjpg` | ``stream(_:)`` |
/// | `frames/` (an existing folder) | ``imageFolder(_:)`` |
/// | `clip.avi` (anything else) | ``videoFile(_:)`` |
///
/// Device indices change between boots and when cameras are plugged in another order;
/// the `/dev/v4l/by-id/` and `/dev/v4l/by-path/` links do not, so robots should name those.
public enum CameraSource: Hashable, Sendable, CustomStringConvertible {
    /// A V4L2 device by index: `/dev/video<N>`.
    case index(Int)
    /// A V4L2 device node or a stable link to one.
    case device(String)
    /// A video file, read with FFmpeg.
    case videoFile(String)
    /// A folder of images (PNG, JPEG, ...) read in natural name order ("frame2" before "frame10").
    case imageFolder(String)
    /// A network stream URL, read with FFmpeg.
    case stream(String)

    /// Parses a camera specification (see the table above).
    /// - Throws: ``CameraError/invalidConfiguration(_:)`` for an empty or negative spec.
    public init(spec: String) throws {
        let text = spec.trimmingCharacters(in: .whitespaces)
        guard !text.isEmpty else { throw CameraError.invalidConfiguration("empty camera specification") }
        if let index = Int(text) {
            guard index >= 0 else { throw CameraError.invalidConfiguration("camera index \(index) is negative") }
            self = .index(index)
        } else if text.hasPrefix("/dev/") {
            self = .device(text)
        } else if text.hasPrefix("file://") {
            self = try CameraSource(spec: String(text.dropFirst("file://".count)))
        } else if text.contains("://") {
            self = .stream(text)
        } else {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: text, isDirectory: &isDirectory), isDirectory.boolValue {
                self = .imageFolder(text)
            } else {
                self = .videoFile(text)
            }
        }
    }

    /// The path or URL, as errors and logs name it.
    public var description: String {
        switch self {
        case let .index(index): return "/dev/video\(index)"
        case let .device(path), let .videoFile(path), let .imageFolder(path), let .stream(path): return path
        }
    }

    /// Whether this is a live device (index or device path).
    public var isDevice: Bool {
        switch self {
        case .index, .device: return true
        default: return false
        }
    }

    /// Whether the source ends (files and folders) rather than delivering until closed.
    public var isFinite: Bool {
        switch self {
        case .videoFile, .imageFolder: return true
        default: return false
        }
    }
}
