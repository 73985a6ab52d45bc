#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CActuation
import RobotCore

/// A serial port in raw mode: 8 data bits, no parity, one stop bit, no flow control,
/// at any baud rate the adapter supports.
///
/// Opening takes the port exclusively (an advisory `flock` plus `TIOCEXCL`), so two
/// programs never drive one arm. Reads wait with a deadline (`poll`); every syscall is
/// checked and retried on `EINTR`, and failures become a `SerialPortError` that names
/// the port and says what to do.
///
/// ```swift
/// let port = try SerialPort(path: "/dev/ttyACM0", baudRate: 1_000_000)
/// try port.write([0xFF, 0xFF, 0x01, 0x02, 0x01, 0xFB])
/// let reply = try port.read(count: 6, timeout: 0.02)
/// ```
///
/// The port closes on `close()` or, as a backstop, when the object is released.
public final class SerialPort: @unchecked Sendable {
    /// The device path, e.g. `/dev/ttyACM0`.
    public let path: String
    /// The configured rate in bits per second.
    public private(set) var baudRate: Int
    private var fd: CInt
    /// The syscalls used for I/O; tests replace some to inject errors.
    var sys: SystemCalls

    /// The raw file descriptor, or -1 once closed.
    public var fileDescriptor: CInt { fd }
    /// Whether the port is open.
    public var isOpen: Bool { fd >= 0 }

    /// Opens and configures a serial port.
    /// - Parameters:
    ///   - path: The device path.
    ///   - baudRate: Bits per second; rates outside the standard table use termios2.
    ///   - exclusive: Take the port exclusively (on by default).
    /// - Throws: `SerialPortError` naming the port: `.noSuchPort` (with the ports that
    ///   exist), `.permissionDenied`, `.busy`, `.notATerminal`, `.unsupportedBaudRate`.
    public convenience init(path: String, baudRate: Int = 1_000_000, exclusive: Bool = true) throws {
        try self.init(path: path, baudRate: baudRate, exclusive: exclusive, systemCalls: .live)
    }

    /// Opens a port with replaceable syscalls (for tests).
    init(path: String, baudRate: Int, exclusive: Bool, systemCalls: SystemCalls) throws {
        self.path = path
        self.baudRate = baudRate
        self.sys = systemCalls
        let opened = valueOrErrno { systemCalls.open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC) }
        switch opened {
        case .success(let f): fd = f
        case .failure(let e):
            fd = -1
            throw SerialPort.openError(path: path, errno: e)
        }
        do {
            guard isatty(fd) == 1 else { throw SerialPortError.notATerminal(path: path) }
            if exclusive {
                if case .failure(let e) = nothingOrErrno({ flock(fd, LOCK_EX | LOCK_NB) }) {
                    throw e == .wouldBlock ? SerialPortError.busy(path: path)
                                           : SerialPortError.system(path: path, operation: "flock", errno: e)
                }
                try check("ioctl(TIOCEXCL)") { CActuation_setExclusive(fd) }
            }
            try configureRaw()
            try setBaudRate(baudRate)
            try flush()
        } catch {
            _ = Glibc.close(fd)
            fd = -1
            throw error
        }
    }

    deinit {
        if fd >= 0 { _ = Glibc.close(fd) }
    }

    /// Opens a port, runs `body` with it, and closes it whatever happens; if `body`
    /// throws, its error is the one reported (a close error is dropped).
    public static func withPort<R>(path: String, baudRate: Int = 1_000_000,
                                   _ body: (SerialPort) throws -> R) throws -> R {
        let port = try SerialPort(path: path, baudRate: baudRate)
        let result: R
        do {
            result = try body(port)
        } catch {
            try? port.close()
            throw error
        }
        try port.close()
        return result
    }

    /// Closes the port; later calls throw `.closed`. Closing twice is harmless.
    public func close() throws {
        guard fd >= 0 else { return }
        let f = fd
        fd = -1
        _ = CActuation_clearExclusive(f)
        // close(2) must not be retried on EINTR on Linux: the descriptor is already gone.
        if case .failure(let e) = nothingOrErrno(retryOnInterrupt: false, { Glibc.close(f) }), e != .interrupted {
            throw SerialPortError.system(path: path, operation: "close", errno: e)
        }
    }

    // MARK: Configuration

    private func configureRaw() throws {
        var t = termios()
        try check("tcgetattr") { tcgetattr(fd, &t) }
        cfmakeraw(&t)
        t.c_cflag |= tcflag_t(CLOCAL | CREAD)
        t.c_cflag &= ~(tcflag_t(CSTOPB | PARENB | CSIZE) | tcflag_t(CRTSCTS))
        t.c_cflag |= tcflag_t(CS8)
        t.c_iflag &= ~tcflag_t(IXON | IXOFF | IXANY)
        withUnsafeMutableBytes(of: &t.c_cc) { cc in
            cc[Int(VMIN)] = 0
            cc[Int(VTIME)] = 0
        }
        try check("tcsetattr") { tcsetattr(fd, TCSANOW, &t) }
    }

    /// Changes the baud rate, using the standard table when it has the rate and
    /// termios2 (`BOTHER`) otherwise.
    /// - Throws: `.unsupportedBaudRate` if the driver refuses the rate.
    public func setBaudRate(_ rate: Int) throws {
        try ensureOpen()
        guard rate > 0 else { throw SerialPortError.unsupportedBaudRate(path: path, rate: rate) }
        if let speed = SerialPort.standardSpeeds[rate] {
            var t = termios()
            try check("tcgetattr") { tcgetattr(fd, &t) }
            try check("cfsetispeed") { cfsetispeed(&t, speed) }
            try check("cfsetospeed") { cfsetospeed(&t, speed) }
            if case .failure(let e) = nothingOrErrno({ tcsetattr(fd, TCSANOW, &t) }) {
                throw e == .invalidArgument ? SerialPortError.unsupportedBaudRate(path: path, rate: rate)
                                            : SerialPortError.system(path: path, operation: "tcsetattr", errno: e)
            }
        } else {
            if case .failure(let e) = nothingOrErrno({ CActuation_setCustomBaudRate(fd, UInt32(rate)) }) {
                throw e == .invalidArgument ? SerialPortError.unsupportedBaudRate(path: path, rate: rate)
                                            : mapIOError(e, operation: "ioctl(TCSETS2)")
            }
        }
        baudRate = rate
    }

    /// The rate the driver reports, which may differ slightly from the one requested
    /// for custom rates.
    public func actualBaudRate() throws -> Int {
        try ensureOpen()
        var rate: UInt32 = 0
        try check("ioctl(TCGETS2)") { CActuation_getBaudRate(fd, &rate) }
        return Int(rate)
    }

    /// The rates with a `Bxxx` constant; others go through termios2.
    static let standardSpeeds: [Int: speed_t] = [
        9600: speed_t(B9600), 19200: speed_t(B19200), 38400: speed_t(B38400),
        57600: speed_t(B57600), 115_200: speed_t(B115200), 230_400: speed_t(B230400),
        460_800: speed_t(B460800), 500_000: speed_t(B500000), 576_000: speed_t(B576000),
        921_600: speed_t(B921600), 1_000_000: speed_t(B1000000), 1_152_000: speed_t(B1152000),
        1_500_000: speed_t(B1500000), 2_000_000: speed_t(B2000000), 2_500_000: speed_t(B2500000),
        3_000_000: speed_t(B3000000), 3_500_000: speed_t(B3500000), 4_000_000: speed_t(B4000000),
    ]

    // MARK: I/O

    /// Which queue `flush` discards.
    public enum Queue: Sendable { case input, output, both }

    /// Discards bytes received but not read and/or written but not sent.
    public func flush(_ queue: Queue = .both) throws {
        try ensureOpen()
        let q: CInt
        switch queue {
        case .input: q = TCIFLUSH
        case .output: q = TCOFLUSH
        case .both: q = TCIOFLUSH
        }
        try check("tcflush") { tcflush(fd, q) }
    }

    /// Writes all of `bytes`, waiting for room in the output queue as needed.
    /// - Throws: `.disconnected` if the device went away, `.system` otherwise.
    public func write(_ bytes: [UInt8]) throws {
        try ensureOpen()
        var offset = 0
        try bytes.withUnsafeBytes { buf in
            while offset < buf.count {
                let r = valueOrErrno { sys.write(fd, buf.baseAddress! + offset, buf.count - offset) }
                switch r {
                case .success(let n): offset += n
                case .failure(let e) where e == .resourceTemporarilyUnavailable || e == .wouldBlock:
                    guard try waitFor(Int16(POLLOUT), timeoutMilliseconds: 1000) else {
                        throw SerialPortError.system(path: path, operation: "write", errno: e)
                    }
                case .failure(let e):
                    throw mapIOError(e, operation: "write")
                }
            }
        }
    }

    /// Reads whatever bytes arrive before `deadline`, up to `buffer.count`.
    /// - Returns: The number of bytes read; 0 means the deadline passed first.
    public func read(into buffer: UnsafeMutableRawBufferPointer, deadline: Timestamp) throws -> Int {
        try ensureOpen()
        while true {
            let remaining = deadline.seconds(since: .now())
            let ms = remaining <= 0 ? 0 : Int32(min((remaining * 1000).rounded(.up), 60_000))
            guard try waitFor(Int16(POLLIN), timeoutMilliseconds: ms) else { return 0 }
            let r = valueOrErrno { sys.read(fd, buffer.baseAddress, buffer.count) }
            switch r {
            case .success(0):
                // poll said readable and read returned end-of-file: the device is gone.
                throw SerialPortError.disconnected(path: path)
            case .success(let n):
                return n
            case .failure(let e) where e == .resourceTemporarilyUnavailable || e == .wouldBlock:
                if remaining <= 0 { return 0 }
            case .failure(let e):
                throw mapIOError(e, operation: "read")
            }
        }
    }

    /// Reads until `count` bytes have arrived or `timeout` seconds have passed.
    /// - Returns: The bytes read, possibly fewer than `count` on timeout.
    public func read(count: Int, timeout: Double) throws -> [UInt8] {
        let deadline = Timestamp(seconds: Timestamp.now().seconds + timeout)
        var out = [UInt8](repeating: 0, count: count)
        var got = 0
        while got < count {
            let n = try out.withUnsafeMutableBytes { buf in
                try read(into: UnsafeMutableRawBufferPointer(rebasing: buf[got...]), deadline: deadline)
            }
            if n == 0 { break }
            got += n
        }
        out.removeSubrange(got...)
        return out
    }

    /// Waits until the output queue has been transmitted.
    public func drain() throws {
        try ensureOpen()
        try check("tcdrain") { tcdrain(fd) }
    }

    // MARK: Helpers

    /// Polls for `events`; returns false on timeout, throws `.disconnected` on hang-up.
    private func waitFor(_ events: Int16, timeoutMilliseconds: Int32) throws -> Bool {
        var p = pollfd(fd: fd, events: events, revents: 0)
        let r = valueOrErrno { sys.poll(&p, 1, timeoutMilliseconds) }
        switch r {
        case .success(0): return false
        case .success:
            if p.revents & Int16(POLLNVAL) != 0 { throw SerialPortError.closed(path: path) }
            if p.revents & events != 0 { return true }
            if p.revents & Int16(POLLHUP | POLLERR) != 0 { throw SerialPortError.disconnected(path: path) }
            return false
        case .failure(let e):
            throw SerialPortError.system(path: path, operation: "poll", errno: e)
        }
    }

    private func ensureOpen() throws {
        guard fd >= 0 else { throw SerialPortError.closed(path: path) }
    }

    private func check(_ operation: String, _ body: () -> CInt) throws {
        if case .failure(let e) = nothingOrErrno(body) { throw mapIOError(e, operation: operation) }
    }

    private func mapIOError(_ e: Errno, operation: String) -> SerialPortError {
        switch e {
        case .ioError, .noSuchDevice, .noSuchAddressOrDevice: return .disconnected(path: path)
        case .inappropriateIOCTLForDevice: return .notATerminal(path: path)
        case .badFileDescriptor: return .closed(path: path)
        default: return .system(path: path, operation: operation, errno: e)
        }
    }

    static func openError(path: String, errno e: Errno) -> SerialPortError {
        switch e {
        case .noSuchFileOrDirectory, .noSuchAddressOrDevice, .noSuchDevice:
            return .noSuchPort(path: path, available: SerialPortInfo.list().map(\.path))
        case .permissionDenied, .notPermitted:
            return .permissionDenied(path: path)
        case .resourceBusy:
            return .busy(path: path)
        default:
            return .system(path: path, operation: "open", errno: e)
        }
    }
}
