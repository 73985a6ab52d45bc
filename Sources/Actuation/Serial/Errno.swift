#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A POSIX error number, as an `Error`, in the style of swift-system's `Errno`.
///
/// Each failing syscall in Actuation is reported as one of these; `SerialPortError`
/// wraps it with the port's path and advice.
public struct Errno: RawRepresentable, Error, Hashable, Sendable, CustomStringConvertible {
    /// The C `errno` value.
    public let rawValue: CInt

    /// Creates an error from a C `errno` value.
    public init(rawValue: CInt) { self.rawValue = rawValue }

    /// The value of `errno` now.
    public static var current: Errno { Errno(rawValue: errno) }

    /// Operation not permitted. The corresponding C error is `EPERM`.
    public static var notPermitted: Errno { Errno(rawValue: EPERM) }
    /// No such file or directory. The corresponding C error is `ENOENT`.
    public static var noSuchFileOrDirectory: Errno { Errno(rawValue: ENOENT) }
    /// Interrupted function call. The corresponding C error is `EINTR`.
    public static var interrupted: Errno { Errno(rawValue: EINTR) }
    /// Input/output error. The corresponding C error is `EIO`.
    public static var ioError: Errno { Errno(rawValue: EIO) }
    /// No such device or address. The corresponding C error is `ENXIO`.
    public static var noSuchAddressOrDevice: Errno { Errno(rawValue: ENXIO) }
    /// Bad file descriptor. The corresponding C error is `EBADF`.
    public static var badFileDescriptor: Errno { Errno(rawValue: EBADF) }
    /// Resource temporarily unavailable. The corresponding C error is `EAGAIN`.
    public static var resourceTemporarilyUnavailable: Errno { Errno(rawValue: EAGAIN) }
    /// Permission denied. The corresponding C error is `EACCES`.
    public static var permissionDenied: Errno { Errno(rawValue: EACCES) }
    /// Device or resource busy. The corresponding C error is `EBUSY`.
    public static var resourceBusy: Errno { Errno(rawValue: EBUSY) }
    /// No such device. The corresponding C error is `ENODEV`.
    public static var noSuchDevice: Errno { Errno(rawValue: ENODEV) }
    /// Invalid argument. The corresponding C error is `EINVAL`.
    public static var invalidArgument: Errno { Errno(rawValue: EINVAL) }
    /// Inappropriate ioctl for device (not a terminal). The corresponding C error is `ENOTTY`.
    public static var inappropriateIOCTLForDevice: Errno { Errno(rawValue: ENOTTY) }
    /// Operation would block. The corresponding C error is `EWOULDBLOCK`.
    public static var wouldBlock: Errno { Errno(rawValue: EWOULDBLOCK) }

    public var description: String { String(cString: strerror(rawValue)) }
}

/// Interprets the result of a syscall that returns -1 and sets `errno` on failure,
/// retrying while it fails with `EINTR` if `retryOnInterrupt` is set.
///
/// This is the single place that handles the "-1 means check errno" rule.
@inline(__always)
internal func valueOrErrno<I: FixedWidthInteger>(
    retryOnInterrupt: Bool = true, _ body: () -> I
) -> Result<I, Errno> {
    while true {
        let r = body()
        if r != -1 { return .success(r) }
        let e = Errno.current
        if retryOnInterrupt && e == .interrupted { continue }
        return .failure(e)
    }
}

/// `valueOrErrno` for calls whose only success value is 0.
@inline(__always)
internal func nothingOrErrno<I: FixedWidthInteger>(
    retryOnInterrupt: Bool = true, _ body: () -> I
) -> Result<Void, Errno> {
    valueOrErrno(retryOnInterrupt: retryOnInterrupt, body).map { _ in () }
}
