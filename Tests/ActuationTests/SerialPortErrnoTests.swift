#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
@testable import Actuation

/// Errno paths of `SerialPort` with mocked syscalls (swift-system style): EINTR is
/// retried, short writes are completed, and each errno becomes the right error.
@Suite struct SerialPortErrnoTests {
    /// A counter the mocks can mutate from their closures.
    final class Calls: @unchecked Sendable { var n = 0 }

    /// A pty whose slave is opened through `calls`.
    static func port(_ calls: SystemCalls) throws -> (SerialPort, CInt) {
        let (master, path) = try PseudoTerminal.openMaster()
        return (try SerialPort(path: path, baudRate: 1_000_000, exclusive: true, systemCalls: calls), master)
    }

    @Test func readRetriesEINTR() throws {
        let c = Calls()
        var sys = SystemCalls.live
        sys.read = { fd, buf, n in
            c.n += 1
            if c.n <= 2 { errno = EINTR; return -1 }
            return Glibc.read(fd, buf, n)
        }
        let (port, master) = try Self.port(sys)
        defer { close(master) }
        _ = [UInt8](arrayLiteral: 7, 8).withUnsafeBytes { Glibc.write(master, $0.baseAddress, 2) }
        #expect(try port.read(count: 2, timeout: 1) == [7, 8])
        #expect(c.n >= 3)
    }

    @Test func pollRetriesEINTR() throws {
        let c = Calls()
        var sys = SystemCalls.live
        sys.poll = { fds, n, t in
            c.n += 1
            if c.n == 1 { errno = EINTR; return -1 }
            return Glibc.poll(fds, n, t)
        }
        let (port, master) = try Self.port(sys)
        defer { close(master) }
        _ = [UInt8](arrayLiteral: 1).withUnsafeBytes { Glibc.write(master, $0.baseAddress, 1) }
        #expect(try port.read(count: 1, timeout: 1) == [1])
    }

    @Test func shortAndInterruptedWritesComplete() throws {
        let c = Calls()
        var sys = SystemCalls.live
        sys.write = { fd, buf, n in
            c.n += 1
            if c.n % 2 == 1 { errno = EINTR; return -1 }
            return Glibc.write(fd, buf, min(n, 1))   // one byte at a time
        }
        let (port, master) = try Self.port(sys)
        defer { close(master) }
        try port.write([1, 2, 3, 4, 5])
        var got = [UInt8](repeating: 0, count: 16)
        usleep(20_000)
        let n = Glibc.read(master, &got, 16)
        #expect(Array(got[0..<max(n, 0)]) == [1, 2, 3, 4, 5])
        #expect(c.n == 10)
    }

    @Test func ioErrorMeansUnplugged() throws {
        var sys = SystemCalls.live
        sys.read = { _, _, _ in errno = EIO; return -1 }
        let (port, master) = try Self.port(sys)
        defer { close(master) }
        _ = [UInt8](arrayLiteral: 1).withUnsafeBytes { Glibc.write(master, $0.baseAddress, 1) }
        #expect(throws: SerialPortError.disconnected(path: port.path)) { _ = try port.read(count: 1, timeout: 1) }
    }

    @Test(arguments: [(EACCES, "permission"), (EBUSY, "busy"), (ENOENT, "missing"), (EMFILE, "other")])
    func openErrnoBecomesATypedError(code: CInt, kind: String) {
        var sys = SystemCalls.live
        sys.open = { _, _ in errno = code; return -1 }
        do {
            _ = try SerialPort(path: "/dev/ttyUSB7", baudRate: 1_000_000, exclusive: true, systemCalls: sys)
            Issue.record("open succeeded")
        } catch let e as SerialPortError {
            switch (kind, e) {
            case ("permission", .permissionDenied(let p)), ("busy", .busy(let p)), ("missing", .noSuchPort(let p, _)):
                #expect(p == "/dev/ttyUSB7")
            case ("other", .system(let p, "open", let errno)):
                #expect(p == "/dev/ttyUSB7" && errno == Errno(rawValue: EMFILE))
            default:
                Issue.record("errno \(code) gave \(e)")
            }
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func openRetriesEINTR() throws {
        let (master, path) = try PseudoTerminal.openMaster()
        defer { close(master) }
        let c = Calls()
        var sys = SystemCalls.live
        sys.open = { p, f in
            c.n += 1
            if c.n == 1 { errno = EINTR; return -1 }
            return Glibc.open(p, f)
        }
        let port = try SerialPort(path: path, baudRate: 1_000_000, exclusive: true, systemCalls: sys)
        #expect(port.isOpen && c.n == 2)
    }
}
