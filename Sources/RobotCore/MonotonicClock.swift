import Foundation

/// A point in time on the monotonic clock, in seconds since an arbitrary origin.
///
/// Every frame and every action in SwiftVLA carries one. It never jumps when the
/// wall clock is changed, so differences between two timestamps are durations.
/// The corresponding C clock is `CLOCK_MONOTONIC`.
public struct Timestamp: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// Seconds since the clock's origin.
    public var seconds: Double

    /// Creates a timestamp at `seconds` since the clock's origin.
    public init(seconds: Double) { self.seconds = seconds }

    /// The current time on the monotonic clock.
    public static func now() -> Timestamp {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Timestamp(seconds: Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9)
    }

    /// Seconds elapsed from `other` to `self`.
    public func seconds(since other: Timestamp) -> Double { seconds - other.seconds }

    public static func < (a: Timestamp, b: Timestamp) -> Bool { a.seconds < b.seconds }

    public var description: String { String(format: "%.6fs", seconds) }
}

/// A source of time for control loops, so tests and the simulator can run on a
/// manual clock while real robots use the monotonic clock.
public protocol Clock: AnyObject, Sendable {
    /// The current time.
    func now() -> Timestamp
    /// Blocks the calling thread until `deadline` (returns at once if it has passed).
    func sleep(until deadline: Timestamp)
}

/// The system's monotonic clock.
public final class MonotonicClock: Clock, @unchecked Sendable {
    /// Creates a clock reading `CLOCK_MONOTONIC`.
    public init() {}

    public func now() -> Timestamp { .now() }

    public func sleep(until deadline: Timestamp) {
        let remaining = deadline.seconds - Timestamp.now().seconds
        guard remaining > 0 else { return }
        var req = timespec(tv_sec: Int(remaining), tv_nsec: Int((remaining - Double(Int(remaining))) * 1e9))
        var rem = timespec()
        while nanosleep(&req, &rem) != 0 && errno == EINTR { req = rem }
    }
}
