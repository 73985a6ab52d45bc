import Foundation
import RobotCore

/// A manual clock for simulation and tests: `sleep(until:)` jumps time forward at once
/// instead of waiting, so a simulated minute takes microseconds.
///
/// Modelled on swift-nio's `EmbeddedEventLoop` manual time: a real ``Clock`` whose time
/// moves only when the loop sleeps or calls ``advance(by:)``.
public final class SimulationClock: Clock, @unchecked Sendable {
    private var current: Timestamp
    private let lock = NSLock()

    /// Creates a clock reading `start` (seconds).
    public init(start: Timestamp = Timestamp(seconds: 0)) { current = start }

    /// The current simulated time.
    public func now() -> Timestamp { lock.withLock { current } }

    /// Moves time to `deadline` at once (never backwards).
    public func sleep(until deadline: Timestamp) {
        lock.withLock { if deadline > current { current = deadline } }
    }

    /// Moves time forward by `seconds`.
    public func advance(by seconds: Double) {
        lock.withLock { current = Timestamp(seconds: current.seconds + max(seconds, 0)) }
    }
}
