/// Why a serial port could not be opened, configured, read or written.
///
/// Every case names the port and its `description` says what to do about it.
public enum SerialPortError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The path does not exist; `available` lists the serial ports that do.
    case noSuchPort(path: String, available: [String])
    /// The user may not open the port (not in the `dialout` group, no udev rule).
    case permissionDenied(path: String)
    /// Another program holds the port (flock or TIOCEXCL).
    case busy(path: String)
    /// The path exists but is not a terminal device.
    case notATerminal(path: String)
    /// The adapter does not support the baud rate.
    case unsupportedBaudRate(path: String, rate: Int)
    /// The device went away while in use (USB cable pulled, simulator stopped).
    case disconnected(path: String)
    /// The port was used after `close()`.
    case closed(path: String)
    /// Any other failing syscall.
    case system(path: String, operation: String, errno: Errno)

    /// The port's path.
    public var path: String {
        switch self {
        case .noSuchPort(let p, _), .permissionDenied(let p), .busy(let p), .notATerminal(let p),
             .unsupportedBaudRate(let p, _), .disconnected(let p), .closed(let p), .system(let p, _, _):
            return p
        }
    }

    public var description: String {
        switch self {
        case .noSuchPort(let p, let available):
            let list = available.isEmpty ? "no serial ports found — is the arm's USB adapter plugged in?"
                                         : "serial ports present: " + available.joined(separator: ", ")
            return "\(p): no such port; \(list)"
        case .permissionDenied(let p):
            return "\(p): permission denied — add your user to the dialout group "
                + "(sudo usermod -aG dialout $USER, then log in again) or install the udev rule: "
                + "sudo cp Hardware/udev/99-swiftvla-serial.rules /etc/udev/rules.d/ && "
                + "sudo udevadm control --reload && sudo udevadm trigger"
        case .busy(let p):
            return "\(p): port is in use by another program (close it, e.g. check with `fuser \(p)`)"
        case .notATerminal(let p):
            return "\(p): not a serial port (not a tty)"
        case .unsupportedBaudRate(let p, let rate):
            return "\(p): the adapter does not support \(rate) baud"
        case .disconnected(let p):
            return "\(p): device disconnected — check the USB cable and the servo power supply"
        case .closed(let p):
            return "\(p): port is closed"
        case .system(let p, let op, let e):
            return "\(p): \(op) failed: \(e) (errno \(e.rawValue))"
        }
    }
}
