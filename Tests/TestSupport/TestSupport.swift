import Foundation

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

    /// A fresh empty folder under the system's temporary directory.
    public static func temporaryDirectory(_ label: String = "swiftvla") throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(label)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

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
