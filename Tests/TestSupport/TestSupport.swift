import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Helpers shared by every test target.
public enum TestSupport {
    /// The repository's `Tests/Fixtures` folder.
    public static let fixtures: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")

    /// A fixture's URL, e.g. `fixture("lm/llama-mha")`.
    public static func fixture(_ relativePath: String) -> URL {
        fixtures.appendingPathComponent(relativePath)
    }

    /// The repository root.
    public static let repositoryRoot: URL = fixtures.deletingLastPathComponent().deletingLastPathComponent()

    /// A fresh empty folder for one test, under `$TMPDIR/swiftvla-tests/<pid>/`.
    ///
    /// The folders of a test run stay after it (to look into a failure) until the next
    /// run starts: the first call in a process removes the folders of test processes that
    /// have exited, so repeated `swift test` runs do not fill the temporary directory.
    public static func temporaryDirectory(_ label: String = "swiftvla") throws -> URL {
        let url = runDirectory.appendingPathComponent("\(label)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// This process's folder for test files; made once, after clearing those of exited runs.
    private static let runDirectory: URL = {
        let parent = FileManager.default.temporaryDirectory.appendingPathComponent("swiftvla-tests")
        for name in (try? FileManager.default.contentsOfDirectory(atPath: parent.path)) ?? [] {
            // kill(pid, 0) fails with ESRCH once that process has exited.
            if let pid = Int32(name), pid != getpid(), kill(pid, 0) != 0, errno == ESRCH {
                try? FileManager.default.removeItem(at: parent.appendingPathComponent(name))
            }
        }
        return parent.appendingPathComponent("\(getpid())")
    }()

    /// The closeness of two arrays as max |a - b| over max |reference|, with max |a - b|.
    public static func relativeDifference<A: Collection, B: Collection>(_ actual: A, _ reference: B) -> (relative: Float, maxAbs: Float)
    where A.Element == Float, B.Element == Float {
        precondition(actual.count == reference.count, "relativeDifference: \(actual.count) vs \(reference.count) values")
        var maxDiff: Float = 0, maxRef: Float = 0
        for (a, r) in zip(actual, reference) {
            maxDiff = max(maxDiff, abs(a - r))
            maxRef = max(maxRef, abs(r))
        }
        return (maxRef > 0 ? maxDiff / maxRef : maxDiff, maxDiff)
    }
}
