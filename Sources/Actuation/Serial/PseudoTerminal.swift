#if canImport(Glibc)
import Glibc
#endif
import CActuation

/// A pseudo-terminal pair: the master side for a simulator, the slave path for a
/// driver, which opens it like any serial port (real tty, real termios).
///
/// Used by the Simulation module's `VirtualServoBus`; lives here because creating the
/// pair needs the `CActuation` shim.
public enum PseudoTerminal {
    /// Opens a new pty master.
    /// - Returns: The master descriptor (O_RDWR, O_NOCTTY, O_CLOEXEC) and the slave path.
    /// - Throws: `Errno` if the system cannot allocate a pty.
    public static func openMaster() throws -> (master: CInt, slavePath: String) {
        var name = [CChar](repeating: 0, count: 128)
        let fd = CActuation_openPseudoTerminal(&name, UInt(name.count))
        guard fd >= 0 else { throw Errno.current }
        return (fd, String(cString: name))
    }
}
