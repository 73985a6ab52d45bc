#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
@testable import Actuation

/// The serial port over a real pseudo-terminal: termios, deadlines, exclusivity and errors.
@Suite struct SerialPortTests {
    @Test func missingPortListsThePortsThatExist() {
        do {
            _ = try SerialPort(path: "/dev/ttyNOSUCH9")
            Issue.record("opened a port that does not exist")
        } catch let e as SerialPortError {
            guard case .noSuchPort(let path, _) = e else { Issue.record("wrong error \(e)"); return }
            #expect(path == "/dev/ttyNOSUCH9")
            #expect(e.description.contains("/dev/ttyNOSUCH9"))
        } catch { Issue.record("unexpected \(error)") }
    }

    @Test func notATerminal() {
        #expect(throws: SerialPortError.notATerminal(path: "/dev/null")) {
            _ = try SerialPort(path: "/dev/null")
        }
    }

    @Test func permissionAdviceNamesDialoutAndUdevRule() {
        let text = SerialPortError.permissionDenied(path: "/dev/ttyACM0").description
        #expect(text.contains("dialout") && text.contains("Hardware/udev"))
    }

    @Test func roundTripDeadlineAndExclusivity() throws {
        let (master, path) = try PseudoTerminal.openMaster()
        defer { close(master) }
        let port = try SerialPort(path: path, baudRate: 1_000_000)
        #expect(port.baudRate == 1_000_000)
        // Exclusive: a second open of the same port is refused.
        #expect(throws: SerialPortError.busy(path: path)) { _ = try SerialPort(path: path) }

        try port.write([1, 2, 3])
        var buf = [UInt8](repeating: 0, count: 8)
        var p = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
        #expect(poll(&p, 1, 1000) == 1)
        #expect(read(master, &buf, 8) == 3 && Array(buf[0..<3]) == [1, 2, 3])

        // Raw mode: 0x0D, 0x11 (XON) and 0x03 (^C) arrive untouched.
        let raw: [UInt8] = [0x0D, 0x11, 0x03, 0xFF]
        _ = raw.withUnsafeBytes { write(master, $0.baseAddress, 4) }
        #expect(try port.read(count: 4, timeout: 1) == raw)

        // A read with nothing to read returns at its deadline.
        let start = Date()
        #expect(try port.read(count: 1, timeout: 0.05) == [])
        let waited = Date().timeIntervalSince(start)
        #expect(waited >= 0.04 && waited < 1)
        try port.close()
        #expect(throws: SerialPortError.closed(path: path)) { try port.write([0]) }
        // Closed, the port can be opened again.
        let again = try SerialPort(path: path)
        try again.close()
    }

    @Test func withPortClosesAfterTheBody() throws {
        let (master, path) = try PseudoTerminal.openMaster()
        defer { close(master) }
        var escaped: SerialPort?
        let n = try SerialPort.withPort(path: path) { port -> Int in
            escaped = port
            return 42
        }
        #expect(n == 42 && escaped?.isOpen == false)
        struct Boom: Error {}
        #expect(throws: Boom.self) { try SerialPort.withPort(path: path) { _ in throw Boom() } }
        // The port was closed after the failure too: it opens again.
        try SerialPort.withPort(path: path) { _ in }
    }

    @Test func customBaudRateThroughTermios2() throws {
        let (master, path) = try PseudoTerminal.openMaster()
        defer { close(master) }
        let port = try SerialPort(path: path, baudRate: 250_000)   // not in the Bxxx table
        #expect(try port.actualBaudRate() == 250_000)
        try port.setBaudRate(1_000_000)
        #expect(try port.actualBaudRate() == 1_000_000)
    }

    @Test func unplugMidRunIsReported() throws {
        let (master, path) = try PseudoTerminal.openMaster()
        let port = try SerialPort(path: path)
        close(master)
        #expect(throws: SerialPortError.disconnected(path: path)) { _ = try port.read(count: 1, timeout: 0.5) }
    }
}

/// `vla arm ports` reads sysfs; a fake /dev and /sys tree checks the walk to the USB device.
@Suite struct SerialPortInfoTests {
    @Test func findsUSBIdentityAndByIDAliases() throws {
        let fm = FileManager.default
        let root = NSTemporaryDirectory() + "swiftvla-ports-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? fm.removeItem(atPath: root) }
        let dev = root + "/dev", sys = root + "/sys"
        try fm.createDirectory(atPath: dev + "/serial/by-id", withIntermediateDirectories: true)
        for name in ["ttyUSB0", "ttyACM10", "ttyACM2", "ttyS0", "null"] {
            fm.createFile(atPath: dev + "/" + name, contents: nil)
        }
        try fm.createSymbolicLink(atPath: dev + "/serial/by-id/usb-1a86_USB_Single_Serial_5A46-if00",
                                  withDestinationPath: "../../ttyUSB0")
        let usb = sys + "/devices/usb1/1-1"
        try fm.createDirectory(atPath: usb + "/1-1:1.0", withIntermediateDirectories: true)
        for (file, text) in [("idVendor", "1a86\n"), ("idProduct", "55d3\n"), ("serial", "5A46\n"),
                             ("manufacturer", "QinHeng\n"), ("product", "USB Single Serial\n")] {
            try text.write(toFile: usb + "/" + file, atomically: true, encoding: .utf8)
        }
        try fm.createDirectory(atPath: sys + "/class/ttyUSB0", withIntermediateDirectories: true)
        try fm.createSymbolicLink(atPath: sys + "/class/ttyUSB0/device", withDestinationPath: usb + "/1-1:1.0")

        let ports = SerialPortInfo.list(devDirectory: dev, sysDirectory: sys + "/class")
        // USB and ACM ports in natural order; ttyS0 (no hardware behind most) and others left out.
        #expect(ports.map(\.path) == [dev + "/ttyACM2", dev + "/ttyACM10", dev + "/ttyUSB0"])
        let usb0 = try #require(ports.last)
        #expect(usb0.vendorID == "1a86" && usb0.productID == "55d3" && usb0.serialNumber == "5A46")
        #expect(usb0.product == "USB Single Serial")
        #expect(usb0.aliases.map { ($0 as NSString).lastPathComponent } == ["usb-1a86_USB_Single_Serial_5A46-if00"])
        #expect(ports[0].vendorID == nil)
    }
}
