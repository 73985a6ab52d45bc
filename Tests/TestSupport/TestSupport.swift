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

    /// A copy of Models/tiny-random-openvla that reads the arm's state: its config names
    /// `features` (JSON) as `state_features` and its statistics give them `proprio` q01/q99
    /// (JSON; nil: none), binning each over [0, 1] by default.
    public static func stateModel(features: String = #"["tool.x", "tool.y", "tool.z"]"#,
                                  proprio: String? = #"{"q01": [0, 0, 0], "q99": [1, 1, 1]}"#) throws -> URL {
        let source = repositoryRoot.appendingPathComponent("Models/tiny-random-openvla")
        let dir = try temporaryDirectory("state-model")
        for name in try FileManager.default.contentsOfDirectory(atPath: source.path) {
            try FileManager.default.copyItem(at: source.appendingPathComponent(name), to: dir.appendingPathComponent(name))
        }
        let configURL = dir.appendingPathComponent("config.json")
        var config = try JSONSerialization.jsonObject(with: Data(contentsOf: configURL)) as! [String: Any]
        config["state_features"] = try JSONSerialization.jsonObject(with: Data(features.utf8), options: .fragmentsAllowed)
        try JSONSerialization.data(withJSONObject: config).write(to: configURL)
        let statsURL = dir.appendingPathComponent("dataset_statistics.json")
        var stats = try JSONSerialization.jsonObject(with: Data(contentsOf: statsURL)) as! [String: [String: Any]]
        if let proprio {
            for key in stats.keys { stats[key]!["proprio"] = try JSONSerialization.jsonObject(with: Data(proprio.utf8)) }
        }
        try JSONSerialization.data(withJSONObject: stats).write(to: statsURL)
        return dir
    }

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

    /// A program of this package, as built next to the test bundle (SwiftPM puts every
    /// executable and the tests in one folder, e.g. `.build/debug`); nil when it was not built.
    public static func builtExecutable(_ name: String) -> URL? {
        var dir = Bundle.main.bundleURL
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return nil
    }

    /// What a child program did: its exit status and everything it printed.
    public struct ProcessResult: Sendable {
        /// The exit status; -1 when the program was killed for running past its time.
        public var status: Int32
        public var stdout: String
        public var stderr: String
        /// Whether the program ran past its time and was killed.
        public var timedOut: Bool
    }

    /// Runs a program to its end and returns its output, without ever hanging the tests.
    ///
    /// Output goes to files, not pipes: a child that fills one pipe while the test reads the
    /// other (or a grandchild that keeps a pipe open) cannot deadlock the run. A program
    /// still running after `timeout` seconds is killed (SIGKILL), `timedOut` is set and its
    /// stderr says so, so the test fails with what it had printed instead of CI waiting.
    public static func run(_ executable: URL, _ arguments: [String], in directory: URL? = nil,
                           timeout: TimeInterval = 600) throws -> ProcessResult {
        let dir = try temporaryDirectory("process")
        let outURL = dir.appendingPathComponent("stdout.txt"), errURL = dir.appendingPathComponent("stderr.txt")
        FileManager.default.createFile(atPath: outURL.path, contents: nil)
        FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
        defer { try? out.close(); try? err.close() }
        let p = Process()
        p.executableURL = executable
        p.arguments = arguments
        if let directory { p.currentDirectoryURL = directory }
        p.standardInput = FileHandle.nullDevice
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let timedOut = !wait(for: p, timeout: timeout)
        let stdout = (try? String(contentsOf: outURL, encoding: .utf8)) ?? ""
        var stderr = (try? String(contentsOf: errURL, encoding: .utf8)) ?? ""
        if timedOut { stderr += "\n[test: \(executable.lastPathComponent) \(arguments.joined(separator: " ")) killed after \(Int(timeout)) s]" }
        try? FileManager.default.removeItem(at: dir)
        return ProcessResult(status: timedOut ? -1 : p.terminationStatus, stdout: stdout, stderr: stderr, timedOut: timedOut)
    }

    /// Stops a helper program the test started: SIGTERM, then SIGKILL if it has not exited
    /// within `grace` seconds; returns once it is gone.
    public static func stop(_ process: Process, grace: TimeInterval = 10) {
        guard process.isRunning else { process.waitUntilExit(); return }
        process.terminate()
        let deadline = Date().addingTimeInterval(grace)
        while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// Waits up to `timeout` seconds for a program the test started to exit by itself, then
    /// kills it; returns whether it exited by itself.
    @discardableResult
    public static func wait(for process: Process, timeout: TimeInterval = 300) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        let exited = !process.isRunning
        if !exited { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        return exited
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
