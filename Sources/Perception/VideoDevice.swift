import Foundation
import OpenCVBridge
import RobotCore

/// A Video4Linux2 device node and what it says about itself.
public struct VideoDevice: Hashable, Sendable, Codable {
    /// One pixel format and frame size the device offers.
    public struct Format: Hashable, Sendable, Codable, CustomStringConvertible {
        /// The V4L2 pixel format, e.g. "MJPG" or "YUYV".
        public var fourcc: String
        /// The frame size.
        public var size: PixelSize
        /// The highest frame rate at this size (0 when the driver does not say).
        public var maxFPS: Double

        public var description: String {
            maxFPS > 0 ? "\(fourcc) \(size) @ \(String(format: "%g", maxFPS)) fps" : "\(fourcc) \(size)"
        }
    }

    /// The node, e.g. "/dev/video0".
    public var path: String
    /// N in /dev/videoN.
    public var index: Int
    /// The card name from the driver or sysfs, e.g. "HD Pro Webcam C920" ("" if unknown).
    public var name: String
    /// The driver, e.g. "uvcvideo" ("" if unknown).
    public var driver: String
    /// The bus position, e.g. "usb-0000:00:14.0-1" ("" if unknown).
    public var bus: String
    /// Whether the node captures video: false for a UVC camera's metadata node, nil when
    /// the node could not be queried (see `problem`).
    public var canCapture: Bool?
    /// Whether another program is streaming from it.
    public var busy: Bool
    /// Stable links to this node under /dev/v4l/by-id and /dev/v4l/by-path.
    public var stableLinks: [String]
    /// Formats and sizes, when asked for.
    public var formats: [Format]
    /// Why the node could not be queried (permission denied, not V4L2, ...), if it could not.
    public var problem: String?

    /// "/dev/video0 (HD Pro Webcam C920)".
    public var label: String { name.isEmpty ? path : "\(path) (\(name))" }
}

/// Finds video devices: `/dev/video*` nodes, their names and capabilities, and the stable
/// `/dev/v4l/by-id` links to them.
public enum VideoDevices {
    /// Every `/dev/video*` node under `deviceDirectory`, in index order.
    ///
    /// - Parameters:
    ///   - deviceDirectory: Where the nodes are ("/dev"; tests pass a fake tree).
    ///   - sysfsDirectory: Where the kernel publishes names ("/sys/class/video4linux").
    ///   - includeFormats: Also list each capture node's formats and sizes (opens each node).
    public static func all(deviceDirectory: String = "/dev", sysfsDirectory: String = "/sys/class/video4linux",
                           includeFormats: Bool = false) -> [VideoDevice] {
        let fileManager = FileManager.default
        let names = (try? fileManager.contentsOfDirectory(atPath: deviceDirectory)) ?? []
        let nodes = names.compactMap { name -> (String, Int)? in
            guard name.hasPrefix("video"), let index = Int(name.dropFirst(5)) else { return nil }
            return (name, index)
        }.sorted { $0.1 < $1.1 }
        let links = stableLinks(under: deviceDirectory + "/v4l")
        return nodes.map { name, index in
            let path = deviceDirectory + "/" + name
            var device = VideoDevice(path: path, index: index, name: "", driver: "", bus: "", canCapture: nil,
                                     busy: false, stableLinks: links[name] ?? [], formats: [], problem: nil)
            var info = OpenCVBridge_DeviceInfo()
            do {
                try bridgeCall { OpenCVBridge_DeviceQuery(path, &info, $0) }
                device.name = fixedString(&info.card)
                device.driver = fixedString(&info.driver)
                device.bus = fixedString(&info.bus)
                device.canCapture = info.canCapture != 0
                device.busy = info.busy != 0
                if includeFormats, info.canCapture != 0 { device.formats = (try? formats(of: path)) ?? [] }
            } catch {
                device.problem = (error as? OpenCVError)?.message ?? "\(error)"
            }
            if device.name.isEmpty,
               let sysName = try? String(contentsOfFile: "\(sysfsDirectory)/\(name)/name", encoding: .utf8) {
                device.name = sysName.trimmingCharacters(in: .whitespacesAndNewlines)
            }
            return device
        }
    }

    /// The nodes that capture video (or could not be queried), skipping metadata nodes.
    public static func capture(deviceDirectory: String = "/dev", sysfsDirectory: String = "/sys/class/video4linux",
                               includeFormats: Bool = false) -> [VideoDevice] {
        all(deviceDirectory: deviceDirectory, sysfsDirectory: sysfsDirectory, includeFormats: includeFormats)
            .filter { $0.canCapture != false }
    }

    /// The pixel formats and frame sizes a device offers.
    /// - Throws: ``OpenCVError`` when the node cannot be opened or is not V4L2.
    public static func formats(of path: String) throws -> [VideoDevice.Format] {
        var count: Int32 = 0
        var entries = [OpenCVBridge_DeviceFormat](repeating: OpenCVBridge_DeviceFormat(), count: 128)
        try entries.withUnsafeMutableBufferPointer { buffer in
            try bridgeCall { OpenCVBridge_DeviceFormats(path, buffer.baseAddress, Int32(buffer.count), &count, $0) }
        }
        return entries.prefix(Int(min(count, Int32(entries.count)))).map { entry in
            var entry = entry
            return VideoDevice.Format(fourcc: fixedString(&entry.fourcc),
                                      size: PixelSize(width: Int(entry.width), height: Int(entry.height)),
                                      maxFPS: entry.maxFPS)
        }
    }

    /// Maps "video0" to the by-id and by-path links that resolve to it.
    static func stableLinks(under v4lDirectory: String) -> [String: [String]] {
        var result: [String: [String]] = [:]
        let fileManager = FileManager.default
        for kind in ["by-id", "by-path"] {
            let directory = v4lDirectory + "/" + kind
            for link in ((try? fileManager.contentsOfDirectory(atPath: directory)) ?? []).sorted() {
                guard let target = try? fileManager.destinationOfSymbolicLink(atPath: directory + "/" + link) else { continue }
                let node = (target as NSString).lastPathComponent
                result[node, default: []].append(directory + "/" + link)
            }
        }
        return result
    }
}

/// A NUL-terminated C char array as a String.
func fixedString<T>(_ tuple: inout T) -> String {
    withUnsafeBytes(of: &tuple) { raw in String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self) }
}
