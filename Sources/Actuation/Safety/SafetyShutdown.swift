#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Something that can put itself into a safe state (torque off or hold) at any time.
public protocol SafeStoppable: AnyObject {
    /// Puts the device into its safe state; must not throw and should be quick.
    func emergencyStop()
}

/// Puts every registered arm into its safe state on Ctrl-C (SIGINT), SIGTERM, SIGHUP
/// and normal process exit.
///
/// `ServoArm.connect()` registers the arm and installs the handlers once per process.
/// Signal handling runs on a Dispatch queue (not in the async-signal context), so the
/// bus can be used normally. After making arms safe the process ends at once (`_exit`)
/// with 128 + signal number, as a shell expects — unless ``firstSignal`` is
/// ``SignalResponse/continue``: then a control loop polls ``interruptingSignal``, closes
/// its recording and ends itself, while every arm refuses further commands.
///
/// ```swift
/// SafetyShutdown.firstSignal = .continue
/// while SafetyShutdown.interruptingSignal == nil { /* observe, act, record */ }
/// ```
public enum SafetyShutdown {
    /// What the first stop signal does once every arm is safe.
    public enum SignalResponse: Sendable {
        /// End the process at once with 128 + the signal number (the default).
        case exit
        /// Let the program go on so it can finish cleanly: ``interruptingSignal`` is set
        /// and ``ServoArm/send(_:)`` throws ``ArmError/interrupted(_:)``. A second
        /// signal ends the process.
        case `continue`
    }
    private final class WeakBox { weak var value: SafeStoppable?; init(_ v: SafeStoppable) { value = v } }
    private static let lock = NSLock()
    nonisolated(unsafe) private static var registered: [ObjectIdentifier: WeakBox] = [:]
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []
    nonisolated(unsafe) private static var installed = false
    nonisolated(unsafe) private static var response = SignalResponse.exit
    nonisolated(unsafe) private static var signalled: Int32?

    /// What the first SIGINT/SIGTERM/SIGHUP does after the arms are safe (default ``SignalResponse/exit``).
    public static var firstSignal: SignalResponse {
        get { lock.withLock { response } }
        set { lock.withLock { response = newValue } }
    }

    /// The first stop signal received since the handlers were installed, or `nil`. Once
    /// set, arms refuse new commands.
    public static var interruptingSignal: Int32? { lock.withLock { signalled } }

    /// Registers a device to be stopped on signal or exit.
    public static func register(_ device: SafeStoppable) {
        lock.lock()
        registered[ObjectIdentifier(device)] = WeakBox(device)
        lock.unlock()
    }

    /// Removes a device (after it disconnected cleanly).
    public static func unregister(_ device: SafeStoppable) {
        lock.lock()
        registered[ObjectIdentifier(device)] = nil
        lock.unlock()
    }

    /// Stops every registered device now.
    public static func stopAll() {
        lock.lock()
        let devices = registered.values.compactMap(\.value)
        lock.unlock()
        for d in devices { d.emergencyStop() }
    }

    /// Installs the SIGINT/SIGTERM/SIGHUP handlers and the exit hook (idempotent).
    public static func installHandlers() {
        lock.lock()
        defer { lock.unlock() }
        guard !installed else { return }
        installed = true
        for sig in [SIGINT, SIGTERM, SIGHUP] {
            signal(sig, SIG_IGN)
            let s = DispatchSource.makeSignalSource(signal: sig, queue: .global(qos: .userInteractive))
            s.setEventHandler {
                let (first, onFirst) = lock.withLock { () -> (Bool, SignalResponse) in
                    defer { if signalled == nil { signalled = sig } }
                    return (signalled == nil, Self.response)
                }
                stopAll()
                if first && onFirst == .continue { return }
                // _exit, not exit: this runs on a Dispatch thread while the program's own
                // threads still run (a control loop mid-step, a camera's capture thread);
                // exit() would run atexit handlers and C++ static destructors (OpenCV,
                // OpenBLAS) under them — a crash (SIGSEGV) was seen on Ctrl-C. The arms are
                // safe already; recorded episodes keep every completed step.
                _exit(128 + sig)
            }
            s.resume()
            sources.append(s)
        }
        atexit { SafetyShutdown.stopAll() }
    }
}
