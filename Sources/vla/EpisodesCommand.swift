import ArgumentParser
import Episodes
import Foundation
import RobotCore

/// `vla episodes`: list, inspect and export recorded episodes.
struct EpisodesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "episodes",
        abstract: "List, inspect and export recorded episodes.",
        discussion: """
        An episode is a folder written by `vla run` or `vla record`: meta.json (task, \
        model, arm, camera), steps.log (one checksummed record per step: state, \
        requested action, sent action, safety clamps, tokens, timings), frames.bin \
        (the camera frames) and, once finished, end.json (outcome and summary). The \
        format is described in Sources/Episodes/FORMAT.md.

        A recording that was killed (power cut, SIGKILL, crash) is still readable: \
        every completed step is kept and the cut-off tail is reported; no repair needed.

        EPISODE is an episode folder, the name of one in ./episodes, or `latest`.

        Examples:
          vla episodes list
          vla episodes list recordings/ --json
          vla episodes show latest
          vla episodes export latest --out /tmp/run1     # steps.csv + frames/*.png
          vla episodes export 20261129-115703-123-pick-up-the-red-cube \\
              --out /tmp/run1 --format jsonl --no-frames
        """,
        subcommands: [List.self, Show.self, Export.self]
    )

    /// Where `vla run` and `vla record` put episodes unless told otherwise.
    static let defaultDirectory = "episodes"

    /// Finds an episode folder from what the user typed.
    static func resolve(_ spec: String) throws -> URL {
        if spec == "latest" {
            let entries = try EpisodeStore(directory: URL(fileURLWithPath: defaultDirectory)).list()
            guard let last = entries.last else {
                throw ValidationError("no episodes in ./\(defaultDirectory) — record one with `vla run` or `vla record`")
            }
            return last.url
        }
        let direct = URL(fileURLWithPath: spec)
        if EpisodeStore.isEpisode(direct) { return direct }
        let named = URL(fileURLWithPath: defaultDirectory).appendingPathComponent(spec)
        if !spec.contains("/"), EpisodeStore.isEpisode(named) { return named }
        return direct    // the reader reports what is missing
    }

    static func open(_ spec: String) throws -> EpisodeReader {
        do {
            return try EpisodeReader(url: try resolve(spec))
        } catch {
            throw fail(error)
        }
    }

    static func duration(_ seconds: Double) -> String {
        seconds < 60 ? String(format: "%.1f s", seconds)
            : String(format: "%d:%04.1f", Int(seconds) / 60, seconds.truncatingRemainder(dividingBy: 60))
    }

    static func outcome(_ summary: EpisodeSummary?, status: EpisodeReader.Status?) -> String {
        if let outcome = summary?.outcome { return outcome.rawValue }
        switch status {
        case .recording?: return "recording"
        case .unfinished?: return "cut short"
        default: return "?"
        }
    }

    static func printJSON<T: Encodable>(_ value: T) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        print(String(decoding: try encoder.encode(value), as: UTF8.self))
    }
}

extension EpisodesCommand {
    // MARK: list

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the episodes in a folder, oldest first, with steps, duration and outcome.",
            discussion: """
            OUTCOME is how the episode ended (success, terminated, max_steps, \
            interrupted, error), `recording` while a recorder still has it open, and \
            `cut short` when the recorder died before finishing (its completed steps \
            are all readable). Folders that are not readable episodes are listed with \
            the reason.

            Examples:
              vla episodes list
              vla episodes list /data/so101 --json | \\
                  jq '.[] | select(.outcome == "success") | .path'
            """
        )

        @Argument(help: ArgumentHelp("The folder holding episode folders.", valueName: "DIR"))
        var directory: String = EpisodesCommand.defaultDirectory

        @Flag(help: "Print a JSON array instead of a table.")
        var json = false

        struct Row: Encodable {
            var name: String
            var path: String
            var status: String?
            var outcome: String
            var steps: Int?
            var frames: Int?
            var duration: Double?
            var instruction: String?
            var model: String?
            var startTime: Date?
            var tornTail: Bool
            var problem: String?

            enum CodingKeys: String, CodingKey {
                case name, path, status, outcome, steps, frames, duration, instruction, model, problem
                case startTime = "start_time"
                case tornTail = "torn_tail"
            }
        }

        func run() throws {
            let entries: [EpisodeStore.Entry]
            do {
                entries = try EpisodeStore(directory: URL(fileURLWithPath: directory)).list()
            } catch {
                throw fail(error)
            }
            let rows = entries.map { e in
                Row(name: e.name, path: e.url.path, status: e.status?.rawValue,
                    outcome: e.problem == nil ? EpisodesCommand.outcome(e.summary, status: e.status) : "unreadable",
                    steps: e.summary?.steps, frames: e.summary?.frames, duration: e.summary?.duration,
                    instruction: e.metadata?.instruction, model: e.metadata?.model, startTime: e.metadata?.startTime,
                    tornTail: !e.tornTails.isEmpty, problem: e.problem.map { "\($0)" })
            }
            if json { return try EpisodesCommand.printJSON(rows) }
            guard !rows.isEmpty else {
                print("no episodes in \(directory) — record one with `vla run` or `vla record`")
                return
            }
            let nameWidth = min(60, rows.map(\.name.count).max() ?? 4)
            func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
            func lpad(_ s: String, _ n: Int) -> String { s.count >= n ? s : String(repeating: " ", count: n - s.count) + s }
            print(pad("NAME", nameWidth) + "  " + lpad("STEPS", 6) + "  " + lpad("DURATION", 8) + "  " + pad("OUTCOME", 11) + "  INSTRUCTION")
            for row in rows {
                let detail = row.problem ?? (row.instruction ?? "")
                print(pad(row.name, nameWidth) + "  " + lpad(row.steps.map(String.init) ?? "-", 6) + "  "
                      + lpad(row.duration.map(EpisodesCommand.duration) ?? "-", 8) + "  "
                      + pad(row.outcome + (row.tornTail ? "*" : ""), 11) + "  " + detail)
            }
            if rows.contains(where: \.tornTail) {
                print("* a crash cut the recording; every completed step is kept (see `vla episodes show NAME`)")
            }
        }
    }

    // MARK: show

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show an episode's task, robot, outcome, and per-value ranges of states and actions.",
            discussion: """
            Reads every step and every frame record, checking their checksums, so it \
            also verifies the episode: a torn tail left by a crash is reported, not an \
            error; a damaged record in the middle, or a damaged or missing frame, is \
            (exit status 1).

            Examples:
              vla episodes show latest
              vla episodes show 20261129-115703-123-pick-up-the-red-cube
              vla episodes show episodes/20261129-115703-123-pick-up-the-red-cube --json
            """
        )

        @Argument(help: ArgumentHelp("The episode folder, its name in ./episodes, or `latest`.", valueName: "EPISODE"))
        var episode: String

        @Flag(help: "Print JSON: metadata, summary, status, torn tails and value ranges.")
        var json = false

        struct Range: Encodable {
            var name: String
            var min: Double
            var mean: Double
            var max: Double
        }

        struct Report: Encodable {
            var path: String
            var status: String
            var metadata: EpisodeMetadata
            var summary: EpisodeSummary
            var tornTails: [TornTail]
            var state: [Range]
            var action: [Range]
            var timings: [Range]

            enum CodingKeys: String, CodingKey {
                case path, status, metadata, summary, state, action, timings
                case tornTails = "torn_tails"
            }
        }

        static func ranges(_ names: [String], _ rows: [[Double]]) -> [Range] {
            names.indices.compactMap { i in
                let column = rows.compactMap { i < $0.count && $0[i].isFinite ? $0[i] : nil }
                guard !column.isEmpty else { return nil }
                return Range(name: names[i], min: column.min()!, mean: column.reduce(0, +) / Double(column.count),
                             max: column.max()!)
            }
        }

        func run() throws {
            let reader = try EpisodesCommand.open(episode)
            let steps: [EpisodeStep]
            let summary: EpisodeSummary
            do {
                steps = try reader.steps()
                summary = try reader.summary()
            } catch {
                throw fail(error)
            }
            let problems = reader.verify()
            let meta = reader.metadata
            let timingNames = Array(Set(steps.flatMap(\.timings.keys))).sorted()
            let report = Report(
                path: reader.url.path, status: reader.status.rawValue, metadata: meta, summary: summary,
                tornTails: reader.tornTails,
                state: Self.ranges(meta.jointNames, steps.compactMap { $0.observation?.values }),
                action: Self.ranges(meta.actionNames, steps.compactMap { $0.action?.values }),
                timings: Self.ranges(timingNames, steps.map { s in timingNames.map { s.timings[$0] ?? .nan } }))
            if json {
                try EpisodesCommand.printJSON(report)
                if !problems.isEmpty { throw fail(problems[0]) }
                return
            }

            func line(_ label: String, _ value: String) {
                print("  " + label.padding(toLength: 13, withPad: " ", startingAt: 0) + value)
            }
            print(reader.url.path)
            line("instruction", meta.instruction.isEmpty ? "(none)" : meta.instruction)
            var outcome = EpisodesCommand.outcome(summary, status: reader.status)
            if let message = summary.message { outcome += " — \(message)" }
            line("outcome", outcome)
            var stepsText = "\(summary.steps) in \(EpisodesCommand.duration(summary.duration))"
            if let rate = meta.rate { stepsText += String(format: " at %g Hz", rate) }
            if summary.steps > 1, let first = steps.first, let last = steps.last, last.timestamp > first.timestamp {
                stepsText += String(format: " (measured %.1f Hz)", Double(steps.count - 1) / last.timestamp.seconds(since: first.timestamp))
            }
            line("steps", stepsText)
            line("frames", "\(summary.frames)" + (meta.frameEncoding.map { " (\($0.rawValue))" } ?? ""))
            if let model = meta.model { line("model", model) }
            if meta.armProfile != nil || meta.arm != nil {
                line("arm", [meta.armProfile, meta.arm.map { "(\($0))" }].compactMap { $0 }.joined(separator: " "))
            }
            if let camera = meta.camera {
                var text = camera.name
                if let w = camera.width, let h = camera.height { text += " \(w)x\(h)" }
                if let fps = camera.fps { text += String(format: " @ %g fps", fps) }
                line("camera", text)
            }
            line("action", "\(meta.actionSpace.rawValue): " + meta.actionNames.joined(separator: " "))
            line("joints", meta.jointNames.joined(separator: " "))
            line("started", ISO8601DateFormatter().string(from: meta.startTime))
            line("safety", summary.clampedSteps == 0 ? "no step clamped" : "\(summary.clampedSteps) of \(summary.steps) steps clamped")
            if !meta.extra.isEmpty {
                line("extra", meta.extra.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))
            }
            for tail in reader.tornTails { line("torn tail", tail.description) }
            func table(_ title: String, _ ranges: [Range], scale: Double = 1, unit: String = "") {
                guard !ranges.isEmpty else { return }
                print("")
                print("  " + title.padding(toLength: 16, withPad: " ", startingAt: 0)
                      + ["min", "mean", "max"].map { $0.leftPadded(11) }.joined() + unit)
                for r in ranges {
                    print("  " + r.name.padding(toLength: 16, withPad: " ", startingAt: 0)
                          + [r.min, r.mean, r.max].map { String(format: "%11.4f", $0 * scale) }.joined())
                }
            }
            table("state", report.state)
            table("action", report.action)
            table("timings", report.timings, scale: 1000, unit: "  (ms)")
            if !problems.isEmpty {
                print("")
                for problem in problems.prefix(10) { printError("error: \(problem)") }
                if problems.count > 10 { printError("error: ... and \(problems.count - 10) more damaged frames") }
                throw ExitCode.failure
            }
        }
    }

    // MARK: export

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write an episode's steps as CSV or JSON Lines and its frames as PNG files.",
            discussion: """
            Writes into --out (created if missing; files there are replaced):
              meta.json, end.json    the episode's metadata and summary
              steps.csv              one row per step: index, time, elapsed,
                                     state.<joint>..., action.<name>...,
                                     sent.<joint>..., clamped, done, reward,
                                     tokens, frame
              steps.jsonl            (--format jsonl) one JSON object per step,
                                     values named, with timings and clamps
              frames/000000.png ...  each step's frame (PNG frames copied as is)

            Examples:
              vla episodes export latest --out /tmp/run1
              vla episodes export latest --out /tmp/run1 --format jsonl --no-frames
            """
        )

        @Argument(help: ArgumentHelp("The episode folder, its name in ./episodes, or `latest`.", valueName: "EPISODE"))
        var episode: String

        @Option(help: ArgumentHelp("The folder to write into.", valueName: "DIR"))
        var out: String

        @Option(help: ArgumentHelp("The step table's format: csv (for people and spreadsheets) or jsonl.", valueName: "csv|jsonl"))
        var format: String = "csv"

        @Flag(help: "Do not write the frames.")
        var noFrames = false

        func validate() throws {
            guard EpisodeExporter.Format(rawValue: format) != nil else {
                throw ValidationError("--format must be csv or jsonl, not '\(format)'")
            }
        }

        func run() throws {
            let reader = try EpisodesCommand.open(episode)
            let bar = ProgressBar("exporting \(reader.url.lastPathComponent)", total: reader.stepCount)
            let result: EpisodeExporter.Result
            do {
                result = try EpisodeExporter.export(reader, to: URL(fileURLWithPath: out),
                                                    format: EpisodeExporter.Format(rawValue: format) ?? .csv,
                                                    frames: !noFrames) { done, _ in bar.update(done) }
            } catch {
                throw fail(error)
            }
            bar.finish("\(result.steps) steps → \(result.table.path)"
                       + (result.frames > 0 ? ", \(result.frames) frames → \(out)/frames" : ""))
            for tail in reader.tornTails { printError("note: \(tail)") }
        }
    }
}

private extension String {
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
