import Foundation
import RobotCore

/// Writes an episode out in formats people and other tools open directly: the steps as
/// CSV or JSON Lines, the frames as numbered PNG files, and the metadata.
///
/// ```
/// OUT/meta.json            copy of the episode's meta.json
/// OUT/end.json             the summary (computed when the episode was not finished)
/// OUT/steps.csv            one row per step (or steps.jsonl, one object per line)
/// OUT/frames/000000.png    the frame of step 0, ...
/// ```
///
/// CSV columns: `index, time, elapsed`, then `state.<joint>` per joint, `action.<name>`
/// per action value, `sent.<joint>` per joint, then `clamped` (joints safety changed,
/// separated by `;`), `done`, `reward`, `tokens` (separated by spaces), `frame` (the PNG's
/// path). `time` is on the monotonic clock, `elapsed` is seconds since the start.
public enum EpisodeExporter {
    /// The step table's format.
    public enum Format: String, Sendable, CaseIterable {
        /// Comma-separated values with a header row.
        case csv
        /// One JSON object per line.
        case jsonl
    }

    /// What an export wrote.
    public struct Result: Sendable {
        /// The step table.
        public var table: URL
        /// Steps written.
        public var steps: Int
        /// PNG files written.
        public var frames: Int
    }

    /// Exports `episode` into `directory` (created if missing; files in it are replaced).
    /// - Parameters:
    ///   - format: The step table's format.
    ///   - frames: Whether to write the frames as PNG files.
    ///   - progress: Called with (steps done, steps in all) as the export goes.
    /// - Throws: ``EpisodeError`` for unreadable steps or frames, or a file error.
    @discardableResult
    public static func export(_ episode: EpisodeReader, to directory: URL, format: Format = .csv, frames: Bool = true,
                              progress: ((Int, Int) -> Void)? = nil) throws -> Result {
        let fm = FileManager.default
        let framesDirectory = directory.appendingPathComponent("frames")
        try fm.createDirectory(at: frames ? framesDirectory : directory, withIntermediateDirectories: true)
        let meta = episode.metadata
        try Data(try EpisodeJSON.encoder(pretty: true).encode(meta) + [0x0A])
            .write(to: directory.appendingPathComponent(EpisodeFiles.metadata), options: .atomic)
        try Data(try EpisodeJSON.encoder(pretty: true).encode(try episode.summary()) + [0x0A])
            .write(to: directory.appendingPathComponent(EpisodeFiles.summary), options: .atomic)

        let table = directory.appendingPathComponent("steps.\(format.rawValue)")
        guard fm.createFile(atPath: table.path, contents: nil), let out = FileHandle(forWritingAtPath: table.path) else {
            throw EpisodeError.system(file: table.path, operation: "create", errno: EACCES)
        }
        defer { try? out.close() }
        var buffer = ""
        func flush(force: Bool = false) {
            guard force || buffer.utf8.count > 1 << 16 else { return }
            out.write(Data(buffer.utf8))
            buffer = ""
        }
        if format == .csv {
            let header = ["index", "time", "elapsed"] + meta.jointNames.map { "state.\($0)" }
                + meta.actionNames.map { "action.\($0)" } + meta.jointNames.map { "sent.\($0)" }
                + ["clamped", "done", "reward", "tokens", "frame"]
            buffer += header.map(csvField).joined(separator: ",") + "\n"
        }
        let encoder = EpisodeJSON.encoder()
        var framesWritten = 0
        let count = episode.stepCount
        for i in 0..<count {
            let step = try episode.step(at: i)
            var framePath = ""
            if frames, let encoded = try episode.encodedFrame(at: i) {
                let name = String(format: "%06d.png", i)
                let png: [UInt8]
                do {
                    png = try encoded.pngData()
                } catch {
                    throw EpisodeError.corruptFrame(file: episode.url.appendingPathComponent(EpisodeFiles.frames).path,
                                                    step: i, offset: step.frame?.offset ?? 0, reason: "\(error)")
                }
                try Data(png).write(to: framesDirectory.appendingPathComponent(name))
                framePath = "frames/" + name
                framesWritten += 1
            }
            let elapsed = step.timestamp.seconds(since: meta.startTimestamp)
            switch format {
            case .csv:
                var row: [String] = [String(step.index), number(step.timestamp.seconds), number(elapsed)]
                row += values(step.observation?.values, meta.jointNames.count)
                row += values(step.action?.values, meta.actionNames.count)
                row += values(step.sent?.values, meta.jointNames.count)
                row.append(step.clamps.map(\.joint).joined(separator: ";"))
                row.append(step.done ? "1" : "0")
                row.append(step.reward.map(number) ?? "")
                row.append(step.tokens.map { $0.map(String.init).joined(separator: " ") } ?? "")
                row.append(framePath)
                buffer += row.map(csvField).joined(separator: ",") + "\n"
            case .jsonl:
                let line = JSONLStep(index: step.index, time: step.timestamp.seconds, elapsed: elapsed,
                                     state: named(meta.jointNames, step.observation?.values),
                                     action: named(meta.actionNames, step.action?.values),
                                     sent: named(meta.jointNames, step.sent?.values),
                                     clamps: step.clamps.isEmpty ? nil : step.clamps, tokens: step.tokens,
                                     timings: step.timings.isEmpty ? nil : step.timings, done: step.done,
                                     reward: step.reward, info: step.info.isEmpty ? nil : step.info,
                                     frame: framePath.isEmpty ? nil : framePath)
                buffer += String(decoding: try encoder.encode(line), as: UTF8.self) + "\n"
            }
            flush()
            progress?(i + 1, count)
        }
        flush(force: true)
        return Result(table: table, steps: count, frames: framesWritten)
    }

    private struct JSONLStep: Encodable {
        var index: Int
        var time: Double
        var elapsed: Double
        var state: [String: Double]?
        var action: [String: Double]?
        var sent: [String: Double]?
        var clamps: [JointClamp]?
        var tokens: [Int]?
        var timings: [String: Double]?
        var done: Bool
        var reward: Double?
        var info: [String: String]?
        var frame: String?
    }

    private static func named(_ names: [String], _ values: [Double]?) -> [String: Double]? {
        values.map { Dictionary(zip(names, $0), uniquingKeysWith: { a, _ in a }) }
    }

    private static func values(_ values: [Double]?, _ count: Int) -> [String] {
        values?.map(number) ?? Array(repeating: "", count: count)
    }

    /// The shortest text that reads back as the same Double ("nan", "inf" as Python prints them).
    private static func number(_ x: Double) -> String {
        if x.isNaN { return "nan" }
        if x.isInfinite { return x > 0 ? "inf" : "-inf" }
        return "\(x)"
    }

    private static func csvField(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
