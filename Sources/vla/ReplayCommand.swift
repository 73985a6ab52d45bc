import ArgumentParser
import Foundation
import Simulation
import VLA

struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Replay an episode: evaluate a policy on its frames (--model), or send its actions to an arm (--arm).",
        discussion: """
        For every recorded step the policy sees the recorded frame and the episode's \
        instruction; its action is compared with the recorded one, per dimension (mean and \
        max absolute error, in the action's units) and as tokens (the recorded action is \
        normalised with the policy's statistics and tokenised in OpenVLA's convention; token \
        accuracy is the share of dimensions whose predicted token equals it).

        Writes an HTML report (--report, default EPISODE/replay.html) with the action curves, \
        predicted over recorded, and sample frames; --json prints the numbers.

        With --arm PROFILE:PORT (or --arm sim for a simulated arm of the episode's profile on a \
        pty), the recorded actions are sent to the arm at the recorded rate, through the same \
        safety layer as `vla run`; what safety clamped is counted.

        Examples:
          vla replay latest --model Tests/Fixtures/openvla/tiny --unnorm-key sim_tabletop
          vla replay episodes/20261129-120000-000-pick-up-the-red-cup --model DIR --json
          vla replay latest --arm sim
          vla replay latest --arm so101-follower:/dev/ttyACM0
        """
    )

    @Argument(help: "An episode folder, a name in ./episodes, or `latest`.")
    var episode: String

    @Option(help: "An OpenVLA-layout model folder: evaluate it open-loop on the episode.")
    var model: String?

    @Option(help: "Send the recorded actions to an arm: PROFILE:PORT, or `sim` for a simulated one.")
    var arm: String?

    @Option(help: "Which dataset statistics the policy un-normalises with.")
    var unnormKey: String?

    @Option(help: "Where to write the HTML report (default: inside the episode folder).")
    var report: String?

    @Option(help: "Evaluate at most this many steps.")
    var maxSteps: Int?

    @Flag(help: "Print the numbers as JSON on stdout.")
    var json = false

    @OptionGroup var threading: ThreadOptions
    @OptionGroup var decodingOptions: DecodingOptions

    func validate() throws {
        guard (model == nil) != (arm == nil) else { throw ValidationError("give exactly one of --model DIR and --arm PROFILE:PORT|sim") }
        if let arm, arm != "sim", arm.split(separator: ":", maxSplits: 1).count != 2 {
            throw ValidationError("--arm takes PROFILE:PORT, e.g. so101-follower:/dev/ttyACM0, or sim")
        }
    }

    func run() throws {
        if let arm { return try sendToArm(arm) }
        let model = self.model!
        let reader: EpisodeReader
        let policy: VLAPolicy
        do {
            reader = try EpisodesCommand.open(episode)
            policy = try VLAPolicy(modelDirectory: URL(fileURLWithPath: model), unnormKey: unnormKey, threads: threading.apply())
        } catch { throw fail(error) }
        decodingOptions.apply(to: policy, seed: 0)
        let instruction = reader.metadata.instruction
        let count = min(reader.stepCount, maxSteps ?? .max)
        let names = reader.metadata.actionNames
        var recorded: [[Double]] = [], predicted: [[Double]] = []
        var tokenMatches = 0, tokenTotal = 0
        var samples: [(Int, [UInt8])] = []
        let sampleEvery = max(1, count / 4)
        let bar = ProgressBar("replaying \(reader.url.lastPathComponent)", total: count)
        do {
            let stats = try policy.configuration.statistics!.statistics(for: unnormKey).statistics
            // A policy that reads the arm's state gets the recorded joint positions (the tool
            // point by the recorded arm profile's kinematics: SO-101 for so101 profiles).
            let kinematics = (reader.metadata.armProfile ?? "").hasPrefix("so101") ? try SerialChainKinematics.so101() : nil
            for i in 0..<count {
                let step = try reader.step(at: i)
                guard let action = step.action, let frame = try reader.frame(at: i) else { continue }
                var state: [Double]?
                if !policy.stateFeatures.isEmpty {
                    guard let joints = step.observation else {
                        throw ValidationError("\(reader.url.path): step \(i) has no recorded joint state, and \(model) reads the arm's state (\(policy.stateFeatures.joined(separator: ", ")))")
                    }
                    state = try StateFeatures.values(policy.stateFeatures, joints: joints, kinematics: kinematics,
                                                     armName: reader.metadata.arm ?? reader.metadata.armProfile ?? "the recorded arm")
                }
                let out = try policy.predictAction(image: frame.image, instruction: instruction, state: state, unnormKey: unnormKey)
                guard action.values.count == out.action.values.count else {
                    throw ValidationError("the episode's actions have \(action.values.count) dimensions, the policy's \(out.action.values.count)")
                }
                recorded.append(action.values)
                predicted.append(out.action.values)
                let expectedTokens = policy.actionTokenizer.tokens(for: stats.normalize(action.values))
                tokenMatches += zip(expectedTokens, out.tokens).filter { $0 == $1 }.count
                tokenTotal += expectedTokens.count
                if i % sampleEvery == 0, samples.count < 4 {
                    samples.append((i, try frame.image.encoded(as: .png(compression: 3))))
                }
                bar.update(i + 1)
            }
        } catch { throw fail(error) }
        bar.finish()
        let dims = recorded.first?.count ?? 0
        let meanError = (0..<dims).map { d in recorded.indices.map { abs(recorded[$0][d] - predicted[$0][d]) }.reduce(0, +) / Double(max(recorded.count, 1)) }
        let maxError = (0..<dims).map { d in recorded.indices.map { abs(recorded[$0][d] - predicted[$0][d]) }.max() ?? 0 }
        let accuracy = tokenTotal == 0 ? 0 : Double(tokenMatches) / Double(tokenTotal)
        let reportURL = URL(fileURLWithPath: report ?? reader.url.appendingPathComponent("replay.html").path)
        do {
            try ReplayReport.html(title: "\(reader.url.lastPathComponent) — \(instruction)", model: model, names: names.count == dims ? names : (0..<dims).map { "a\($0)" },
                                  recorded: recorded, predicted: predicted, meanError: meanError, maxError: maxError,
                                  tokenAccuracy: accuracy, samples: samples)
                .write(to: reportURL, atomically: true, encoding: .utf8)
        } catch { throw fail(error) }
        if json {
            let out: [String: Any] = ["episode": reader.url.path, "steps": recorded.count, "token_accuracy": accuracy,
                                      "mean_abs_error": Dictionary(uniqueKeysWithValues: zip(names, meanError)),
                                      "max_abs_error": Dictionary(uniqueKeysWithValues: zip(names, maxError)),
                                      "report": reportURL.path]
            let data = try JSONSerialization.data(withJSONObject: out, options: [.sortedKeys, .withoutEscapingSlashes])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print("\(recorded.count) steps, token accuracy \(String(format: "%.1f%%", accuracy * 100))")
            for (d, name) in names.enumerated() where d < dims {
                let padded = name.padding(toLength: max(8, name.count), withPad: " ", startingAt: 0)
                print("  \(padded)" + String(format: " mean |error| %.4f   max %.4f", meanError[d], maxError[d]))
            }
            print("report: \(reportURL.path)")
        }
    }
}

extension ReplayCommand {
    /// Sends the episode's recorded actions to an arm at the recorded rate, through safety.
    func sendToArm(_ spec: String) throws {
        let reader: EpisodeReader
        let servoArm: ServoArm
        var bus: VirtualServoBus?
        do {
            reader = try EpisodesCommand.open(episode)
            let recorded = reader.metadata.armProfile.map { String($0.split(separator: " ")[0]) } ?? "so101-follower"
            let profileName = spec == "sim" ? recorded : String(spec.split(separator: ":")[0])
            let profile = try ArmProfile.load(profileName)
            if spec == "sim" {
                let sim = try VirtualServoBus(profile: profile)
                sim.start()
                bus = sim
                servoArm = ServoArm(profile: profile, port: sim.path)
            } else {
                servoArm = ServoArm(profile: profile, port: String(spec.split(separator: ":", maxSplits: 1)[1]))
            }
            try servoArm.connect()
        } catch { throw fail(error) }
        defer { try? servoArm.disconnect(); bus?.stop() }
        let period = 1 / (reader.metadata.rate ?? 10)
        let clock = MonotonicClock()
        var sent = 0, clamped = 0
        let bar = ProgressBar("sending \(reader.url.lastPathComponent) to \(servoArm.name)", total: reader.stepCount)
        do {
            for i in 0..<reader.stepCount {
                let deadline = Timestamp(seconds: clock.now().seconds + period)
                guard let action = try reader.step(at: i).action else { continue }
                let result = try servoArm.send(action)
                sent += 1
                if result.wasClamped { clamped += 1 }
                bar.update(i + 1)
                clock.sleep(until: deadline)
            }
        } catch { throw fail(error) }
        bar.finish()
        if json {
            let out: [String: Any] = ["episode": reader.url.path, "arm": servoArm.name, "sent": sent, "clamped": clamped]
            let data = try JSONSerialization.data(withJSONObject: out, options: [.sortedKeys, .withoutEscapingSlashes])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print("sent \(sent) actions to \(servoArm.name) at \(String(format: "%.1f", 1 / period)) Hz; safety clamped \(clamped)")
        }
    }
}

/// A self-contained HTML page: one SVG chart per action dimension and sample frames.
enum ReplayReport {
    static func html(title: String, model: String, names: [String], recorded: [[Double]], predicted: [[Double]],
                     meanError: [Double], maxError: [Double], tokenAccuracy: Double, samples: [(Int, [UInt8])]) -> String {
        func escape(_ s: String) -> String {
            s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
        }
        func chart(_ d: Int) -> String {
            let w = 420.0, h = 140.0, pad = 6.0
            let values = recorded.map { $0[d] } + predicted.map { $0[d] }
            var lo = values.min() ?? 0, hi = values.max() ?? 1
            if hi - lo < 1e-9 { lo -= 0.5; hi += 0.5 }
            let n = max(recorded.count - 1, 1)
            func path(_ series: [[Double]]) -> String {
                series.enumerated().map { i, v in
                    let x = pad + (w - 2 * pad) * Double(i) / Double(n)
                    let y = pad + (h - 2 * pad) * (1 - (v[d] - lo) / (hi - lo))
                    return String(format: "%@%.1f,%.1f", i == 0 ? "M" : "L", x, y)
                }.joined(separator: " ")
            }
            return """
            <div class="chart"><h3>\(escape(names[d]))</h3>
            <svg width="\(Int(w))" height="\(Int(h))" viewBox="0 0 \(Int(w)) \(Int(h))">
            <rect width="100%" height="100%" fill="#fafafa" stroke="#ddd"/>
            <path d="\(path(recorded))" fill="none" stroke="#1f77b4" stroke-width="2"/>
            <path d="\(path(predicted))" fill="none" stroke="#d62728" stroke-width="2" stroke-dasharray="5,3"/>
            </svg>
            <p>mean |error| \(String(format: "%.4f", meanError[d])), max \(String(format: "%.4f", maxError[d])), range [\(String(format: "%.3f", lo)), \(String(format: "%.3f", hi))]</p></div>
            """
        }
        let frames = samples.map { i, png in
            "<figure><img src=\"data:image/png;base64,\(Data(png).base64EncodedString())\" width=\"224\"><figcaption>step \(i)</figcaption></figure>"
        }.joined(separator: "\n")
        return """
        <!doctype html><html><head><meta charset="utf-8"><title>\(escape(title))</title>
        <style>body{font-family:sans-serif;margin:2em}.chart{display:inline-block;margin:0 1em 1em 0}
        h3{margin:0.2em 0}figure{display:inline-block;margin:0 1em 0 0}p{margin:0.2em 0;color:#555}</style></head><body>
        <h1>\(escape(title))</h1>
        <p>model \(escape(model)) — \(recorded.count) steps — token accuracy \(String(format: "%.1f%%", tokenAccuracy * 100))
        — <span style="color:#1f77b4">recorded</span> vs <span style="color:#d62728">predicted</span></p>
        \((0..<names.count).map(chart).joined(separator: "\n"))
        <h2>Sample frames</h2>
        \(frames)
        </body></html>
        """
    }
}
