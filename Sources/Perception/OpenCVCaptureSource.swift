import Foundation
import OpenCVBridge
import RobotCore

/// A V4L2 device, video file or stream opened with `cv::VideoCapture`.
final class OpenCVCaptureSource: FrameSource {
    let configuration: CameraConfiguration
    private(set) var format = CameraFormat(size: PixelSize(width: 0, height: 0), fps: 0, fourcc: "", backend: "")
    private(set) var notes: [String] = []
    private var handle: OpaquePointer?
    private var name: String { configuration.source.description }

    /// Opens the source and, for devices, negotiates format, size and rate in the order
    /// drivers need: FOURCC, then size, then rate (a rate the current size does not offer
    /// is refused), then reads back what was granted.
    init(configuration: CameraConfiguration) throws {
        OpenCV.quietOnce
        self.configuration = configuration
        guard let handle = OpenCVBridge_CaptureCreate() else {
            throw CameraError.openFailed(device: configuration.source.description, reason: "out of memory")
        }
        self.handle = handle
        do {
            try openHandle()
            if configuration.source.isDevice { try negotiate() }
            try readBack()
        } catch {
            close()
            throw error
        }
    }

    deinit { close() }

    private func openHandle() throws {
        let source = configuration.source
        do {
            switch source {
            case let .index(index):
                try bridgeCall { OpenCVBridge_CaptureOpenIndex(handle, Int32(index), OpenCVBridge_BackendV4L2, $0) }
            case let .device(path):
                try bridgeCall { OpenCVBridge_CaptureOpenPath(handle, path, OpenCVBridge_BackendV4L2, 0, 0, $0) }
            case let .videoFile(path):
                guard FileManager.default.fileExists(atPath: path) else { throw CameraError.fileNotFound(path: path) }
                try bridgeCall { OpenCVBridge_CaptureOpenPath(handle, path, OpenCVBridge_BackendFFmpeg, 0, 0, $0) }
            case let .stream(url):
                try bridgeCall {
                    OpenCVBridge_CaptureOpenPath(handle, url, OpenCVBridge_BackendFFmpeg,
                                                 Int32(configuration.openTimeout * 1000),
                                                 Int32(configuration.readTimeout * 1000), $0)
                }
            case let .imageFolder(path):
                throw CameraError.openFailed(device: path, reason: "a folder is read by ImageFolderSource")
            }
        } catch let error as OpenCVError {
            let reason: String
            switch source {
            case .videoFile: reason = "not a video FFmpeg can read (damaged, empty, or an unsupported codec)"
            case .stream: reason = "could not connect within \(configuration.openTimeout) s, or not a stream FFmpeg can read"
            default: reason = "OpenCV's V4L2 backend refused it"
            }
            throw CameraError.openFailed(device: name, reason: error.kind == .exception ? "\(reason): \(error.message)" : reason)
        }
    }

    private func get(_ property: OpenCVBridge_Property) -> Double {
        var value = 0.0
        _ = try? bridgeCall { OpenCVBridge_CaptureGet(handle, property, &value, $0) }
        return value
    }

    @discardableResult
    private func set(_ property: OpenCVBridge_Property, _ value: Double) -> Bool {
        (try? bridgeCall { OpenCVBridge_CaptureSet(handle, property, value, $0) }) != nil
    }

    private func negotiate() throws {
        if let fourcc = configuration.fourcc {
            let bytes = Array(fourcc.utf8)
            let code = Double(UInt32(bytes[0]) | UInt32(bytes[1]) << 8 | UInt32(bytes[2]) << 16 | UInt32(bytes[3]) << 24)
            if !set(OpenCVBridge_PropertyFourCC, code) { notes.append("the driver refused pixel format \(fourcc)") }
        }
        if let size = configuration.requestedSize {
            set(OpenCVBridge_PropertyWidth, Double(size.width))
            set(OpenCVBridge_PropertyHeight, Double(size.height))
        }
        if let fps = configuration.fps, !set(OpenCVBridge_PropertyFPS, fps) {
            notes.append("the driver refused \(String(format: "%g", fps)) fps")
        }
        // Keep the driver's queue short so a grab returns the newest frame, not an old one.
        set(OpenCVBridge_PropertyBufferSize, 1)
    }

    private func readBack() throws {
        let code = UInt32(truncatingIfNeeded: Int(get(OpenCVBridge_PropertyFourCC)))
        let fourcc = String(decoding: [0, 8, 16, 24].map { UInt8(truncatingIfNeeded: code >> $0) }.filter { $0 > 32 && $0 < 127 },
                            as: UTF8.self)
        let count = get(OpenCVBridge_PropertyFrameCount)
        format = CameraFormat(size: PixelSize(width: Int(get(OpenCVBridge_PropertyWidth)), height: Int(get(OpenCVBridge_PropertyHeight))),
                              fps: get(OpenCVBridge_PropertyFPS), fourcc: fourcc,
                              backend: String(cString: OpenCVBridge_CaptureBackendName(handle)),
                              frameCount: configuration.source.isFinite && count > 0 ? Int(count) : nil)
        if configuration.source.isDevice {
            if let wanted = configuration.fourcc, !fourcc.isEmpty, fourcc != wanted {
                notes.append("asked for \(wanted), the driver delivers \(fourcc)")
            }
            if let fps = configuration.fps, format.fps > 0, abs(format.fps - fps) > 0.5 {
                notes.append("asked for \(String(format: "%g", fps)) fps, the driver grants \(String(format: "%g", format.fps)) fps at \(format.size)")
            }
        }
        if let size = configuration.requestedSize, format.size.width > 0, size != format.size {
            throw CameraError.unsupportedSize(device: name, requested: size, granted: format.size)
        }
    }

    var isFinite: Bool { configuration.source.isFinite }

    func read(into sink: FrameSink) throws -> Bool {
        let buffer = sink.buffer
        guard let handle else { throw CameraError.notOpen(device: name) }
        let status = try bridgeCall(allowing: OpenCVBridge_EndOfStream) { OpenCVBridge_CaptureGrab(handle, $0) }
        if status == OpenCVBridge_EndOfStream { return false }
        buffer.timestamp = .now()
        do {
            try buffer.fill { OpenCVBridge_CaptureRetrieve(handle, $0, $1, $2, $3) }
        } catch let error as OpenCVError where error.kind == .endOfStream {
            return false
        }
        return true
    }

    func rewind() throws {
        // Seeking FFmpeg back to frame 0 is unreliable for some containers; reopening is not.
        OpenCVBridge_CaptureRelease(handle)
        try openHandle()
    }

    func endError(framesRead: UInt64) -> CameraError {
        switch configuration.source {
        case let .videoFile(path):
            // Counts from the AVI header are exact; other containers estimate from the
            // duration, so allow one frame of slack.
            if let expected = format.frameCount, framesRead + 1 < UInt64(expected) {
                return .truncated(file: path, framesRead: framesRead, framesExpected: UInt64(expected))
            }
            return .endOfStream(source: path, frames: framesRead)
        case .stream:
            return .disconnected(device: name, reason: "the stream ended")
        default:
            return .disconnected(device: name, reason: "the driver stopped delivering frames")
        }
    }

    func close() {
        OpenCVBridge_CaptureDestroy(handle)
        handle = nil
    }
}
