import ArgumentParser
import Foundation
import Simulation
import VLA

struct RecordCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record",
        abstract: "Record demonstrations: the simulator's scripted expert, or a leader arm driving a follower.",
        discussion: """
        In the simulator it runs `vla run --expert` once per seed (--seed, --seed + 1, …) and \
        keeps every episode in --episodes: randomised layouts with distractors, instructions \
        from the task family's phrasings. These are the data a policy is trained on. With \
        --policy DIR the model drives and the expert only labels each step with what it would \
        do from there (DAgger): data on the states the model itself reaches. The model decodes \
        as its folder says (the bundled one samples) unless --temperature is given; each \
        episode's metadata keeps the decoding ("decoding": "greedy" or "temperature 1.0").

        With --leader, --follower and --camera it records teleoperation instead: the leader \
        arm's joint positions are sent to the follower (through its safety layer) at --hz, \
        and each step keeps the camera frame, the follower's state and the joint targets; it \
        ends at --max-steps or on Ctrl-C, which stops the follower safely.

        Examples:
          vla record --task pick --count 20 --seed 1000 --fast
          vla record --task reach --count 1000 --seed 1 --fast --phrasings training --every-target --episodes demos
          vla record --task push --count 100 --fast --every-target --perturb 0.004
          vla record --task push --count 100 --fast --every-target --random-start --policy Models/sim-tabletop-vla --max-steps 40
          vla record --task push --count 100 --fast --every-target --policy Models/sim-tabletop-vla --temperature 0
          vla record --task reach --count 5 --hz 10          # real time, over the servo bus
          vla record --leader so101-leader:/dev/ttyACM1 --follower so101-follower:/dev/ttyACM0 \\
                     --camera 0 --instruction "put the red block in the bowl" --max-steps 600
        """
    )

    @Option(help: "Task family: reach, push or pick.")
    var task: String = "reach"

    @Option(help: "Instruction phrasings: all, training (each family's held-out phrasing left out) or held-out.")
    var phrasings: String = "all"

    @Flag(help: "Record every possible target of each layout (3–5 episodes per seed: the same first frame, different instructions) instead of the seed's own one.")
    var everyTarget = false

    @Flag(help: "Start each episode's gripper from a seeded random pose over the table instead of home.")
    var randomStart = false

    @Option(help: ArgumentHelp("Execute the expert's actions with Gaussian noise of this SD in metres on x, y (half on z), record the expert's (DART); 0 = off, < 0.02.", valueName: "metres"))
    var perturb: Double = 0

    @Option(help: ArgumentHelp("DAgger: this model drives instead of the expert (on one CPU thread), and each step records the expert's action for the state the model reached.",
                               valueName: "model-dir"))
    var policy: String?

    @OptionGroup var decodingOptions: DecodingOptions

    @Option(help: "How many episodes (layouts with --every-target).")
    var count: Int = 10

    @Option(help: "The first layout seed.")
    var seed: UInt64 = 1

    @Option(help: "Control rate in Hz.")
    var hz: Double = 10

    @Option(help: "Stop an episode after this many steps.")
    var maxSteps: Int = 100

    @Option(help: "Folder that receives the episodes.")
    var episodes: String = "episodes"

    @Flag(help: "Use the instant kinematic arm instead of the servo bus on a pty.")
    var fast = false

    @Option(help: "Teleoperation: the leader arm, PROFILE:PORT.")
    var leader: String?

    @Option(help: "Teleoperation: the follower arm, PROFILE:PORT.")
    var follower: String?

    @Option(help: "Teleoperation: the camera (index, device, video file, image folder or URL).")
    var camera: String?

    @Option(help: "Teleoperation: the instruction stored with the episode.")
    var instruction: String?

    func validate() throws {
        let teleop = [leader, follower, camera].compactMap { $0 }.count
        guard teleop == 0 || teleop == 3 else { throw ValidationError("teleoperation needs --leader, --follower and --camera together") }
        if teleop == 3 {
            guard instruction != nil else { throw ValidationError("teleoperation needs --instruction (it is stored with the episode)") }
            for spec in [leader!, follower!] where spec.split(separator: ":", maxSplits: 1).count != 2 {
                throw ValidationError("'\(spec)': arms are given as PROFILE:PORT, e.g. so101-leader:/dev/ttyACM1")
            }
            if perturb != 0 { throw ValidationError("--perturb is for the simulator's expert, not teleoperation") }
            if policy != nil { throw ValidationError("--policy is for the simulator, not teleoperation") }
        }
        if policy != nil, perturb != 0 { throw ValidationError("--perturb perturbs the expert; with --policy the model drives") }
        if policy == nil, decodingOptions.temperature != nil { throw ValidationError("--temperature is for the model given with --policy") }
        try RunCommand.validatePerturb(perturb)
        try RunCommand.validatePhrasings(phrasings)
        guard count > 0 else { throw ValidationError("--count must be positive") }
        guard TaskFamily(rawValue: task) != nil else {
            throw ValidationError("--task must be one of \(TaskFamily.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    func run() throws {
        if let leader, let follower, let camera, let instruction {
            return try teleoperate(leader: leader, follower: follower, camera: camera, instruction: instruction)
        }
        var recorded = 0
        for i in 0..<count {
            let layout = seed + UInt64(i)
            let targets: [Int?] = everyTarget
                ? Array(0..<TabletopScenario.taskCount(seed: layout, family: TaskFamily(rawValue: task)!)) : [nil]
            for target in targets {
                // With --policy the model runs on one thread, so several recordings can share the cores.
                let driver = policy.map { ["--model", $0, "--expert-labels", "--threads", "1"] } ?? ["--expert"]
                var arguments = driver + ["--task", task, "--seed", "\(layout)", "--phrasings", phrasings, "--hz", "\(hz)",
                                          "--max-steps", "\(maxSteps)", "--episodes", episodes, "--json"]
                if let target { arguments += ["--target-index", "\(target)"] }
                if fast { arguments.append("--fast") }
                if randomStart { arguments.append("--random-start") }
                if perturb > 0 { arguments += ["--perturb", "\(perturb)"] }
                if let temperature = decodingOptions.temperature { arguments += ["--temperature", "\(temperature)"] }
                let run = try RunCommand.parse(arguments)
                try run.run()
                recorded += 1
            }
        }
        printError("recorded \(recorded) episode(s) in \(episodes)")
    }

    /// Leader → follower at `hz`, recording camera frames, follower state and joint targets.
    private func teleoperate(leader: String, follower: String, camera cameraSpec: String, instruction: String) throws {
        func arm(_ spec: String) throws -> ServoArm {
            let parts = spec.split(separator: ":", maxSplits: 1).map(String.init)
            return ServoArm(profile: try ArmProfile.load(parts[0]), port: parts[1])
        }
        let lead: ServoArm, follow: ServoArm, camera: OpenCVCamera
        let writer: EpisodeWriter
        do {
            lead = try arm(leader)
            follow = try arm(follower)
            lead.installsSignalHandlers = false   // the follower's handlers stop the arm that moves
            SafetyShutdown.firstSignal = .continue   // Ctrl-C: the follower is made safe, the loop closes the episode
            try lead.connect()
            try follow.connect()
            camera = OpenCVCamera(CameraConfiguration(source: try CameraSource(spec: cameraSpec), loop: true))
            try camera.open()
            let meta = EpisodeMetadata(instruction: instruction, actionSpace: .jointPositions, actionNames: follow.jointNames,
                                       jointNames: follow.jointNames, model: "teleoperation (\(lead.name))",
                                       armProfile: String(follower.split(separator: ":")[0]), arm: follow.name,
                                       camera: .init(name: cameraSpec), rate: hz, safetyLimits: follow.safetyLimits)
            try FileManager.default.createDirectory(atPath: episodes, withIntermediateDirectories: true)
            writer = try EpisodeWriter(in: URL(fileURLWithPath: episodes), metadata: meta)
            printError("recording to \(writer.url.path)")
        } catch { throw fail(error) }
        defer { camera.close(); try? follow.disconnect(); try? lead.disconnect() }
        let clock = MonotonicClock()
        var last: UInt64?
        var steps = 0
        var outcome = EpisodeOutcome.maxSteps
        do {
            while steps < maxSteps {
                if SafetyShutdown.interruptingSignal != nil { outcome = .interrupted; break }
                let deadline = Timestamp(seconds: clock.now().seconds + 1 / hz)
                let frame = try camera.latestFrame(newerThan: last, timeout: 2)
                last = frame.sequence
                let target = try lead.observe()
                let state = try follow.observe()
                let sent: SentAction
                do {
                    sent = try follow.send(.joints(JointPositions(names: follow.jointNames, values: follow.jointNames.map { target[$0] ?? 0 },
                                                                  timestamp: target.timestamp)))
                } catch ArmError.interrupted { outcome = .interrupted; break }
                _ = try writer.append(EpisodeStep(timestamp: frame.timestamp, observation: state, sent: sent), frame: frame)
                steps += 1
                clock.sleep(until: deadline)
            }
        } catch {
            _ = try? writer.finish(outcome: .error, message: "\(error)")
            throw fail(error)
        }
        do { _ = try writer.finish(outcome: outcome) } catch { throw fail(error) }
        print("recorded \(steps) teleoperation steps: \(writer.url.path)" + (outcome == .interrupted ? " (interrupted)" : ""))
        if outcome == .interrupted { throw ExitCode(128 + (SafetyShutdown.interruptingSignal ?? SIGINT)) }
    }
}
