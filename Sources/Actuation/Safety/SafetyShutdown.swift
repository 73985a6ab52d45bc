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
/// bus can be used normally; after making arms safe the process ends at once (`_exit`)
/// with 128 + signal number, as a shell expects.
public enum SafetyShutdown {
    private final class WeakBox { weak var value: SafeStoppable?; init(_ v: SafeStoppable) { value = v } }
    private static let lock = NSLock()
    nonisolated(unsafe) private static var registered: [ObjectIdentifier: WeakBox] = [:]
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []
    nonisolated(unsafe) private static var installed = false

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
                stopAll()
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
