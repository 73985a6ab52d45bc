import Foundation
import RobotCore

/// Calls a handler once when it has not been fed for `timeout` seconds.
///
/// Runs its own thread, checking every `timeout / 5`. After firing it stays tripped
/// until fed again. Used by `ServoArm` to hold or disable torque when the control loop
/// stops sending commands (a hung policy, a crashed camera, a stalled process).
public final class Watchdog: @unchecked Sendable {
    /// Seconds without `feed()` before the handler runs.
    public let timeout: Double
    private let handler: () -> Void
    private let lock = NSLock()
    private var lastFeed = Timestamp.now()
    private var running = false
    private var isTripped = false
    private var trips = 0
    private let done = DispatchSemaphore(value: 0)
    /// The watchdog thread's identity, set when it starts.
    private var threadID: pthread_t?

    /// Creates and starts a watchdog.
    public init(timeout: Double, handler: @escaping () -> Void) {
        precondition(timeout > 0, "Watchdog: timeout must be positive")
        self.timeout = timeout
        self.handler = handler
        running = true
        let t = Thread { [self] in self.run() }
        t.name = "Watchdog"
        t.start()
    }

    /// Records a fresh command; re-arms a tripped watchdog.
    public func feed() {
        lock.lock()
        lastFeed = .now()
        isTripped = false
        lock.unlock()
    }

    /// Records a fresh command unless the watchdog has fired since the last feed, in
    /// one atomic step (so a trip between a check and a feed is never lost).
    /// - Returns: `false` if the watchdog had fired (and stays tripped).
    public func feedUnlessTripped() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        if isTripped { return false }
        lastFeed = .now()
        return true
    }

    /// Whether the watchdog has fired since the last feed.
    public var tripped: Bool {
        lock.lock()
        defer { lock.unlock() }
        return isTripped
    }

    /// How many times the watchdog has fired.
    public var tripCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return trips
    }

    /// Stops the thread; the handler will not run afterwards.
    ///
    /// Waits for the thread to finish, except when called from the handler itself (an
    /// owner released on the watchdog's thread), which would wait for itself forever.
    public func stop() {
        lock.lock()
        let wasRunning = running
        running = false
        let onOwnThread = threadID.map { pthread_equal($0, pthread_self()) != 0 } ?? false
        lock.unlock()
        if wasRunning, !onOwnThread { done.wait() }
    }

    deinit { stop() }

    private func run() {
        lock.lock()
        threadID = pthread_self()
        lock.unlock()
        let period = UInt32(max(timeout / 5, 0.001) * 1_000_000)
        while true {
            usleep(period)
            lock.lock()
            guard running else { lock.unlock(); break }
            let fire = !isTripped && Timestamp.now().seconds(since: lastFeed) > timeout
            if fire { isTripped = true; trips += 1 }
            lock.unlock()
            if fire { handler() }
        }
        done.signal()
    }
}
