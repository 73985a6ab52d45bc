#if canImport(Glibc)
import Glibc
#endif

/// The syscalls `SerialPort` makes for I/O, as replaceable functions, in the spirit of
/// swift-system's `system_open`/`system_read` mocking layer.
///
/// Production code uses `.live`. Tests give a port a copy with one call replaced, to
/// force an errno (EINTR, EIO, EACCES, …) or a short write, and check the port's
/// handling without any device. Per port, not global, so parallel tests do not interfere.
struct SystemCalls {
    var open: (_ path: String, _ flags: CInt) -> CInt
    var read: (_ fd: CInt, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int
    var write: (_ fd: CInt, _ buffer: UnsafeRawPointer?, _ count: Int) -> Int
    var poll: (_ fds: UnsafeMutablePointer<pollfd>, _ count: nfds_t, _ timeout: CInt) -> CInt

    /// The real syscalls.
    static let live = SystemCalls(
        open: { Glibc.open($0, $1) },
        read: { Glibc.read($0, $1, $2) },
        write: { Glibc.write($0, $1, $2) },
        poll: { Glibc.poll($0, $1, $2) }
    )
}
