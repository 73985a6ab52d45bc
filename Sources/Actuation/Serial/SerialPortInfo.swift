import Foundation

/// A serial port present on this machine, with its USB identity when it has one.
///
/// Read from sysfs (`/sys/class/tty/<name>/device/..`), so it works without udev.
public struct SerialPortInfo: Sendable, Equatable, Codable {
    /// The device path, e.g. `/dev/ttyACM0`.
    public var path: String
    /// Stable aliases under `/dev/serial/by-id`, if any.
    public var aliases: [String]
    /// USB vendor id as four hex digits (e.g. `1a86` for the CH340 on Feetech boards).
    public var vendorID: String?
    /// USB product id as four hex digits.
    public var productID: String?
    /// USB manufacturer string.
    public var manufacturer: String?
    /// USB product string.
    public var product: String?
    /// USB serial number, the best way to tell two arms apart.
    public var serialNumber: String?

    /// The serial ports that exist: USB adapters (`ttyUSB*`, `ttyACM*`), on-board UARTs
    /// with hardware behind them, and anything under `/dev/serial/by-id`.
    public static func list(devDirectory: String = "/dev", sysDirectory: String = "/sys/class/tty") -> [SerialPortInfo] {
        let fm = FileManager.default
        var aliases: [String: [String]] = [:]
        let byID = devDirectory + "/serial/by-id"
        for name in (try? fm.contentsOfDirectory(atPath: byID)) ?? [] {
            let link = byID + "/" + name
            let target = URL(fileURLWithPath: link).resolvingSymlinksInPath().path
            aliases[target, default: []].append(link)
        }
        let names = ((try? fm.contentsOfDirectory(atPath: devDirectory)) ?? []).filter {
            $0.hasPrefix("ttyUSB") || $0.hasPrefix("ttyACM") || $0.hasPrefix("ttyAMA") || $0.hasPrefix("ttyTHS")
        }
        var result: [SerialPortInfo] = []
        for name in names.sorted(by: naturalOrder) {
            let path = devDirectory + "/" + name
            var info = SerialPortInfo(path: path, aliases: aliases[path, default: []].sorted())
            // Walk up from the tty's device directory to the USB device that owns it.
            var dir = URL(fileURLWithPath: sysDirectory + "/" + name + "/device").resolvingSymlinksInPath()
            for _ in 0..<6 {
                if let vid = readLine(dir.appendingPathComponent("idVendor")) {
                    info.vendorID = vid
                    info.productID = readLine(dir.appendingPathComponent("idProduct"))
                    info.manufacturer = readLine(dir.appendingPathComponent("manufacturer"))
                    info.product = readLine(dir.appendingPathComponent("product"))
                    info.serialNumber = readLine(dir.appendingPathComponent("serial"))
                    break
                }
                dir.deleteLastPathComponent()
            }
            result.append(info)
        }
        return result
    }

    private static func readLine(_ url: URL) -> String? {
        guard let s = try? String(contentsOf: url, encoding: .utf8) else { return nil }
        let t = s.trimmingCharacters(in: .whitespacesAndNewlines)
        return t.isEmpty ? nil : t
    }

    private static func naturalOrder(_ a: String, _ b: String) -> Bool {
        a.compare(b, options: .numeric) == .orderedAscending
    }
}
