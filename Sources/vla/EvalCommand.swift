import ArgumentParser
import Foundation
import Simulation
import VLA

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Closed-loop evaluation in the simulator: success rate per task family.",
        discussion: """
        Runs --episodes closed-loop episodes per task family on layouts from seeds --seed, \
        --seed + 1, … (keep them apart from the seeds demonstrations were recorded with), and \
        reports per family: the success rate, the rate of touching a distractor before the \
        named object, the mean steps of successful episodes and the policy's median latency. \
        Episodes run on the instant kinematic arm (the servo bus over a pty with --servo-bus) \
        and are not recorded; the seeds of the failed ones are listed (JSON: failed_seeds, \
        distractor_seeds), with the `vla run` command that repeats one exactly, to watch it.

        Examples:
          vla eval --episodes 100 --seed 100000
          vla eval --model Models/tiny-random-openvla --episodes 20 --task reach
          vla eval --expert --episodes 50 --task pick --json
          vla eval --episodes 100 --seed 200000 --phrasings held-out
        """
    )

    @Option(help: "An OpenVLA-layout model folder (default: \(RunCommand.bundledModel)).")
    var model: String?

    @Flag(help: "Evaluate the scripted expert instead (a ceiling for the policy).")
    var expert = false

    @Option(help: "Episodes per task family.")
    var episodes: Int = 20

    @Option(help: "The first layout seed.")
    var seed: UInt64 = 100_000

    @Option(help: "Only this task family: reach, push or pick (default: the families the model's training.json names, else all).")
    var task: String?

    @Option(help: "Steps before an episode counts as failed.")
    var maxSteps: Int = 60

    @Option(help: "Which dataset statistics un-normalise the policy's actions.")
    var unnormKey: String?

    @Option(help: "Instruction phrasings: all, training or held-out (each family's last template, never recorded with --phrasings training).")
    var phrasings: String = "all"

    @Option(help: "Give the policy this instruction instead of the task's own (to test phrasings).")
    var instruction: String?

    @Flag(help: "Run over the simulated servo bus on a pty (real time) instead of the kinematic arm.")
    var servoBus = false

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    @OptionGroup var threading: ThreadOptions
    @OptionGroup var decodingOptions: DecodingOptions

    func validate() throws {
        guard !(model != nil && expert) else { throw ValidationError("give --model DIR or --expert, not both") }
        guard episodes > 0, maxSteps > 0 else { throw ValidationError("--episodes and --max-steps must be positive") }
        try RunCommand.validatePhrasings(phrasings)
        if let task, TaskFamily(rawValue: task) == nil {
            throw ValidationError("--task must be one of \(TaskFamily.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    /// The `vla run` command that repeats one of these episodes exactly (same layout, task,
    /// phrasing, arm, step limit and sampling seed).
    func rerunCommand(task: String, seed: UInt64) -> String {
        /// A word the shell reads back as it is: quoted when it holds anything but plain characters.
        func shell(_ word: String) -> String {
            let plain = word.allSatisfy { $0.isLetter || $0.isNumber || "-_./:=,+".contains($0) }
            return plain && !word.isEmpty ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
        }
        var words = ["vla run"]
        if expert { words.append("--expert") } else if let model { words.append("--model \(shell(model))") }
        words += ["--task \(task)", "--seed \(seed)"] + (servoBus ? [] : ["--fast"]) + ["--max-steps \(maxSteps)"]
        if phrasings != "all" { words.append("--phrasings \(phrasings)") }
        if let instruction { words.append("--instruction \(shell(instruction))") }
        if let unnormKey { words.append("--unnorm-key \(shell(unnormKey))") }
        if let temperature = decodingOptions.temperature { words.append("--temperature \(temperature)") }
        return words.joined(separator: " ")
    }

    /// The families a model folder's `training.json` (written by Models/tools/train_policy.py)
    /// says it was trained on, in the simulator's order; nil for the expert or other models.
    func trainedFamilies() -> [TaskFamily]? {
        guard !expert else { return nil }
        let url = URL(fileURLWithPath: model ?? RunCommand.bundledModelPath).appendingPathComponent("training.json")
        guard let data = try? Data(contentsOf: url),
              let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let families = json["families"] as? [String: Any] else { return nil }
        let trained = TaskFamily.allCases.filter { families[$0.rawValue] != nil }
        return trained.isEmpty ? nil : trained
    }

    func run() throws {
        var policy: VLAPolicy?
        if !expert {
            do { policy = try VLAPolicy(modelDirectory: URL(fileURLWithPath: model ?? RunCommand.bundledModelPath), unnormKey: unnormKey,
                                         threads: threading.apply()) }
            catch { throw fail(error) }
            // Real time over the servo bus: keep a step within half the 10 Hz period on a busy CPU (as `vla run`).
            if servoBus, threading.threads == nil, let policy {
                do { _ = try RunCommand.adaptThreads(policy, period: 0.1) } catch { throw fail(error) }
            }
        }
        let families = task.map { [TaskFamily(rawValue: $0)!] } ?? trainedFamilies() ?? TaskFamily.allCases
        var rows: [[String: Any]] = []
        let bar = ProgressBar("evaluating", total: families.count * episodes)
        var done = 0
        do {
            for family in families {
                var successes = 0, distractors = 0, successSteps = 0
                var latencies: [Double] = []
                var failedSeeds: [UInt64] = [], distractorSeeds: [UInt64] = []
                for k in 0..<episodes {
                    let s = seed + UInt64(k)
                    let world: SimulatedWorld
                    var bus: VirtualServoBus?
                    if servoBus { (world, bus) = try SimulatedWorld.servoBus() } else { world = try SimulatedWorld.kinematic() }
                    defer { try? world.arm.disconnect(); bus?.stop() }
                    world.maxSteps = maxSteps
                    let simTask = try world.reset(seed: s, family: family, phrasings: PhrasingSet(rawValue: phrasings)!)
                    decodingOptions.apply(to: policy, seed: s)
                    var scripted = ScriptedExpert(seed: s)
                    scripted.reset(for: simTask)
                    try world.camera.open()
                    var last: UInt64?
                    var touchedDistractor = false
                    while !world.isTerminal {
                        let frame = try world.camera.latestFrame(newerThan: last)
                        last = frame.sequence
                        let t0 = Timestamp.now()
                        let action: RobotAction
                        if let policy {
                            // Only a policy that reads the arm's state costs a joint read per step.
                            let state = policy.stateFeatures.isEmpty ? nil : try StateFeatures.values(
                                policy.stateFeatures, joints: try world.arm.observe(), kinematics: world.kinematics, armName: world.arm.name)
                            action = try policy.predictAction(image: frame.image, instruction: instruction ?? simTask.instruction,
                                                              state: state).action
                        } else {
                            action = scripted.action(for: world.scene, task: simTask, timestamp: frame.timestamp)
                        }
                        latencies.append(Timestamp.now().seconds(since: t0))
                        let step = try world.step(action)
                        touchedDistractor = touchedDistractor || step.reachedDistractor
                        if RunCommand.terminates(action) { break }
                    }
                    if world.isSuccess { successes += 1; successSteps += world.stepCount } else { failedSeeds.append(s) }
                    if touchedDistractor { distractors += 1; distractorSeeds.append(s) }
                    done += 1
                    bar.update(done)
                }
                let sorted = latencies.sorted()
                rows.append([
                    "task": family.rawValue, "episodes": episodes,
                    "success_rate": Double(successes) / Double(episodes),
                    "distractor_rate": Double(distractors) / Double(episodes),
                    // null (not 0) when no episode succeeded: there is no mean to report.
                    "mean_steps_when_successful": successes == 0 ? NSNull() : Double(successSteps) / Double(successes) as Any,
                    "policy_median_ms": sorted.isEmpty ? 0.0 : sorted[sorted.count / 2] * 1e3,
                    "failed_seeds": failedSeeds, "distractor_seeds": distractorSeeds,
                ])
            }
        } catch { throw fail(error) }
        bar.finish()
        if json {
            let out: [String: Any] = ["model": expert ? "scripted-expert" : (model ?? RunCommand.bundledModel),
                                      "seed": seed, "max_steps": maxSteps, "phrasings": phrasings, "results": rows]
            let data = try JSONSerialization.data(withJSONObject: out, options: [.sortedKeys, .withoutEscapingSlashes])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print("task    episodes  success  distractor  mean steps  policy ms")
            for r in rows {
                let steps = (r["mean_steps_when_successful"] as? Double).map { String(format: "%10.1f", $0) } ?? "         –"
                print(String(format: "%-7@ %8d  %6.1f%%  %9.1f%%  %@  %9.2f", r["task"] as! String, r["episodes"] as! Int,
                             100 * (r["success_rate"] as! Double), 100 * (r["distractor_rate"] as! Double),
                             steps, r["policy_median_ms"] as! Double))
            }
            for r in rows {
                let failed = r["failed_seeds"] as! [UInt64]
                guard let first = failed.first else { continue }
                let list = failed.prefix(12).map(String.init).joined(separator: " ") + (failed.count > 12 ? " …" : "")
                print("\(r["task"] as! String) failed on seeds \(list)")
                print("  watch one: \(rerunCommand(task: r["task"] as! String, seed: first)) --video failed.avi")
            }
        }
    }
}
