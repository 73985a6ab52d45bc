import Foundation

/// Set by SIGINT/SIGTERM once `StopSignals.install()` ran.
nonisolated(unsafe) private var stopSignalCount: sig_atomic_t = 0

/// Ctrl-C and SIGTERM as a flag a loop polls, for commands that must finish cleanly
/// (close the episode, stop the arm) instead of dying mid-step.
///
/// Install before telling anyone the command is ready (a path printed, "recording to"):
/// a signal sent the moment after must not be lost. A parent may start us with these
/// signals blocked (test runners' worker threads do), so they are unblocked here.
enum StopSignals {
    /// Whether SIGINT or SIGTERM arrived since `install()`.
    static var requested: Bool { stopSignalCount != 0 }

    /// Clears the flag, unblocks SIGINT and SIGTERM and routes both to the flag.
    static func install() {
        stopSignalCount = 0
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        signal(SIGINT) { _ in stopSignalCount = 1 }
        signal(SIGTERM) { _ in stopSignalCount = 1 }
    }

    /// Restores the default actions (the process dies on the next signal).
    static func restore() {
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }

    /// Blocks until SIGINT or SIGTERM (polling the flag every 20 ms).
    static func wait() {
        while !requested { usleep(20_000) }
    }
}
