import ArgumentParser
import Foundation

/// A one-line progress bar on standard error, redrawn in place when stderr is a terminal.
///
/// When stderr is not a terminal (CI logs, pipes) it prints nothing until `finish`, so
/// logs stay readable and stdout stays clean for JSON.
final class ProgressBar {
    private let label: String
    private let total: Int
    private let interactive = isatty(STDERR_FILENO) != 0
    private var lastDraw = 0.0
    private let start = Date()

    init(_ label: String, total: Int) {
        self.label = label
        self.total = max(total, 1)
    }

    func update(_ done: Int) {
        guard interactive else { return }
        let now = Date().timeIntervalSince1970
        guard now - lastDraw > 0.05 || done >= total else { return }
        lastDraw = now
        let width = 30
        let filled = min(width, width * done / total)
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        FileHandle.standardError.write("\r\(label) [\(bar)] \(done)/\(total)".data(using: .utf8)!)
    }

    func finish(_ note: String = "") {
        let seconds = Date().timeIntervalSince(start)
        let line = String(format: "%@: done in %.2f s%@", label, seconds, note.isEmpty ? "" : " — " + note)
        FileHandle.standardError.write(((interactive ? "\r\u{1B}[K" : "") + line + "\n").data(using: .utf8)!)
    }
}

/// Writes a line to standard error.
func printError(_ message: String) {
    FileHandle.standardError.write((message + "\n").data(using: .utf8)!)
}

/// Reports an error the way every `vla` command does: `error: …` on stderr, exit status 1.
func fail(_ error: Error) -> ExitCode {
    printError("error: \(error)")
    return ExitCode.failure
}
