import ArgumentParser
import Foundation
import Simulation
import VLA

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a policy in closed loop: camera → policy → safety → arm, recording the episode.",
        discussion: """
        With no --camera and --arm it drives the built-in simulator: a tabletop scene rendered \
        by a simulated camera and an SO-101 follower reached over a pseudo-terminal through \
        the real Feetech driver and its safety layer (--fast uses an instant kinematic arm \
        instead). With --camera SPEC --arm PROFILE:PORT it drives real hardware. Each step \
        takes the freshest frame, asks the policy for an action, and sends it through safety \
        to the arm, at --hz (default: the model's control_frequency, else 10). The run ends on \
        task success (simulator), an RT-2 terminate action, --max-steps, or Ctrl-C, which \
        stops the arm safely and keeps the episode.

        Every run is recorded as an episode (meta.json, steps.log, frames.bin; see \
        `vla episodes --help`) unless --no-record; the path is printed as soon as recording \
        starts. A live line on stderr shows step, rate, per-stage latency and the last action.

        The policy is an OpenVLA-layout model (--model, default Models/sim-tabletop-vla: a \
        small model trained on the simulator's reach and push demonstrations and on DAgger \
        data; it reaches the named object on 100% of new layouts, also when phrased in \
        words it never saw, pushes in 96% and was not trained to pick, see \
        Models/README.md), or the \
        simulator's scripted expert (--expert), which solves every task family and records \
        demonstrations. A model samples its action tokens if its generation_config.json \
        says so (the bundled one does, at temperature 1.0), seeded by the layout and task so \
        a run repeats exactly; --temperature 0 takes the most likely token. The \
        default layout seed, 100000, is where evaluations start, apart from the seeds \
        demonstrations are recorded with (`vla record` starts at 1). A model whose \
        config.json names state_features (the bundled one reads the tool point) gets them \
        every step from the joint positions just read, by the arm profile's kinematics.

        Without --threads, a few policy steps are timed before the arm is connected: if a \
        step takes over half the control period with several BLAS threads and one thread \
        is clearly faster (OpenBLAS's threads spin-wait for each other, which stalls when \
        other programs keep the cores busy), it runs on one; a step that overruns the whole \
        period later switches too. Both are reported on stderr.

        Examples:
          vla run
          vla run --task pick --seed 100007 --video run.avi
          vla run --expert --task pick --seed 3 --video run.avi
          vla run --model DIR --unnorm-key sim_tabletop --max-steps 20
          vla run --expert --task push --fast --no-record --json
          vla run --camera 0 --arm so101-follower:/dev/ttyACM0 \\
                  --instruction "pick up the cup"
        """
    )

    @Option(help: "An OpenVLA-layout model folder (default: \(RunCommand.bundledModel)).")
    var model: String?

    static func validatePhrasings(_ value: String) throws {
        guard PhrasingSet(rawValue: value) != nil else {
            throw ValidationError("--phrasings must be one of \(PhrasingSet.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    /// How a policy chooses its action tokens, for the recording's metadata:
    /// "greedy", "temperature 1.0" or "temperature 1.0, top_k 50".
    static func describe(_ decoding: OpenVLAConfiguration.Decoding) -> String {
        guard decoding.temperature > 0 else { return "greedy" }
        return "temperature \(decoding.temperature)" + (decoding.topK > 0 ? ", top_k \(decoding.topK)" : "")
    }

    /// The layout at the start of an episode, as JSON for the recording's metadata: each
    /// object's id, colour, shape, base-frame position (metres) and the pixel (x right,
    /// y down, in the recorded frame) where the centre of its body appears. Training tools
    /// use it for auxiliary targets (where the named object is).
    static func layoutDescription(_ scene: TabletopScene, camera: PinholeCameraModel) -> String {
        let objects: [[String: Any]] = scene.objects.map { o in
            let centre = o.position + SIMD3(0, 0, o.shape.height / 2)
            let p = camera.project(centre)
            return ["id": o.id, "color": o.color.rawValue, "shape": o.shape.rawValue,
                    "position": [o.position.x, o.position.y, o.position.z],
                    "pixel": [p?.x ?? -1, p?.y ?? -1]]
        }
        let data = (try? JSONSerialization.data(withJSONObject: objects, options: [.sortedKeys])) ?? Data("[]".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    /// `--perturb` is a standard deviation in metres, below the expert's 2 cm step.
    static func validatePerturb(_ value: Double) throws {
        guard value >= 0 && value < 0.02 else {
            throw ValidationError("--perturb must be at least 0 and below 0.02 (metres), not \(value)")
        }
    }

    static let bundledModel = "Models/sim-tabletop-vla"

    /// The bundled model's folder: `bundledModel` under the working directory, else under
    /// the checkout the executable was built in (`.build/<config>/vla` sits three levels
    /// below it), so `vla run` works from any directory; the relative path if neither has it.
    static var bundledModelPath: String {
        let fm = FileManager.default
        if fm.fileExists(atPath: bundledModel + "/config.json") { return bundledModel }
        let executable = Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])
        var dir = executable.resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<5 {
            let candidate = dir.appendingPathComponent(bundledModel)
            if fm.fileExists(atPath: candidate.appendingPathComponent("config.json").path) { return candidate.path }
            dir = dir.deletingLastPathComponent()
        }
        return bundledModel
    }

    @Flag(help: "Use the simulator's scripted expert as the policy (demonstrations).")
    var expert = false

    @Option(help: "The instruction given to the policy (default: the simulated task's own).")
    var instruction: String?

    @Option(help: "Simulated task family: reach, push or pick.")
    var task: String = "reach"

    @Option(help: "Simulated instruction phrasings: all, training (the held-out one left out) or held-out.")
    var phrasings: String = "all"

    @Flag(help: "Simulator: start the gripper from a seeded random pose over the table instead of home.")
    var randomStart = false

    @Option(help: "Pose the layout's Nth possible task (0-based: its objects in order) instead of the seed's own choice.")
    var targetIndex: Int?

    @Option(help: "Seed of the simulated layout (and of the expert's noise); demonstrations use 1…, evaluations 100000….")
    var seed: UInt64 = 100_000

    @Option(help: ArgumentHelp("With --expert: execute its action plus Gaussian noise of this SD in metres on x, y (half on z) but record its own (DART); 0 = off, < 0.02.", valueName: "metres"))
    var perturb: Double = 0

    @Flag(help: ArgumentHelp("Simulator, with a model: the policy drives, but each step records the scripted expert's action for the state the policy reached (DAgger's labels).",
                             discussion: "Training on such episodes teaches the way back from the states the policy itself gets into."))
    var expertLabels = false

    @Option(help: "Control rate in Hz (default: the model's control_frequency, else 10).")
    var hz: Double?

    @Option(help: "Stop after this many steps.")
    var maxSteps: Int = 100

    @Option(help: "Which dataset statistics un-normalise the policy's actions.")
    var unnormKey: String?

    @Option(help: "Folder that receives the episode.")
    var episodes: String = "episodes"

    @Flag(help: "Do not record the episode.")
    var noRecord = false

    @Flag(help: "Use an instant kinematic arm on a simulated clock instead of the servo bus on a pty.")
    var fast = false

    @Option(help: "A real camera instead of the simulator: an index, /dev/videoN, a video file, an image folder or a URL (needs --arm).")
    var camera: String?

    @Option(help: "A real arm instead of the simulator, as PROFILE:PORT, e.g. so101-follower:/dev/ttyACM0 (needs --camera).")
    var arm: String?

    @Option(help: "Also write a video of the run (MJPG AVI) with the actions drawn on the frames.")
    var video: String?

    @Flag(help: "Print the summary as JSON on stdout.")
    var json = false

    @OptionGroup var threading: ThreadOptions
    @OptionGroup var decodingOptions: DecodingOptions

    func validate() throws {
        guard !(model != nil && expert) else { throw ValidationError("give --model DIR or --expert, not both") }
        guard (camera == nil) == (arm == nil) else {
            throw ValidationError("--camera and --arm go together (a real camera and a real arm), or neither (the simulator)")
        }
        if camera != nil, randomStart { throw ValidationError("--random-start is for the simulator (no --camera/--arm)") }
        if camera != nil, expert { throw ValidationError("--expert needs the simulator's scene; it cannot drive a real arm") }
        try Self.validatePerturb(perturb)
        if perturb > 0, !expert { throw ValidationError("--perturb is for --expert (it records the expert's action, executes a noisy one)") }
        if expertLabels, expert || camera != nil {
            throw ValidationError("--expert-labels is for a model in the simulator (the model drives, the expert labels)")
        }
        if let arm, arm.split(separator: ":", maxSplits: 1).count != 2 {
            throw ValidationError("--arm takes PROFILE:PORT, e.g. so101-follower:/dev/ttyACM0")
        }
        guard TaskFamily(rawValue: task) != nil else {
            throw ValidationError("--task must be one of \(TaskFamily.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        try Self.validatePhrasings(phrasings)
        guard (hz ?? 10) > 0 && (hz ?? 10) <= 1000, maxSteps > 0 else { throw ValidationError("--hz must be in (0, 1000] and --max-steps positive") }
    }

    func run() throws {
        let family = TaskFamily(rawValue: task)!
        var policy: VLAPolicy?
        let model = expert ? nil : (self.model ?? Self.bundledModelPath)
        if let model {
            do {
                let bar = ProgressBar("loading \(URL(fileURLWithPath: model).lastPathComponent)", total: 4)
                policy = try VLAPolicy(modelDirectory: URL(fileURLWithPath: model), unnormKey: unnormKey,
                                       threads: threading.apply()) { done, _ in bar.update(done) }
                bar.finish()
            } catch { throw fail(error) }
        }
        let hz = self.hz ?? policy?.configuration.controlFrequency ?? 10
        // Before any arm is connected (and its watchdog armed): on a busy CPU one BLAS thread
        // can be far faster than several. --threads turns the check off.
        var usualStep = Double.infinity
        if let policy, threading.threads == nil {
            do { usualStep = try Self.adaptThreads(policy, period: 1 / hz) } catch { throw fail(error) }
        }
        // Sampling (if the model samples) is seeded by the layout and the task, like the expert's noise.
        decodingOptions.apply(to: policy, seed: seed &+ UInt64(targetIndex ?? 0) << 40)
        if let camera, let arm, let policy {
            return try runOnHardware(policy: policy, model: model!, cameraSpec: camera, armSpec: arm, hz: hz, usualStep: usualStep)
        }
        let world: SimulatedWorld
        var bus: VirtualServoBus?
        do {
            if fast {
                world = try SimulatedWorld.kinematic()
            } else {
                let made = try SimulatedWorld.servoBus()
                world = made.0
                bus = made.1
            }
        } catch { throw fail(error) }
        defer { bus?.stop() }
        world.controlPeriod = 1 / hz
        world.maxSteps = maxSteps
        let simTask: TabletopTask
        do { simTask = try world.reset(seed: seed, family: family, phrasings: PhrasingSet(rawValue: phrasings)!,
                                                  targetIndex: targetIndex) } catch { throw fail(error) }
        if randomStart {
            // Seeded from the layout seed: hover height, over the placement area.
            var rng = SeededRandom.derived(seed: seed, stream: 0x57A7)
            let start = SIMD3(rng.uniform(-0.10...0.10), rng.uniform(-0.24...(-0.12)), rng.uniform(0.07...0.11))
            do { try world.startGripper(at: start) } catch { throw fail(error) }
        }
        let said = instruction ?? simTask.instruction
        var scripted = ScriptedExpert(seed: seed)
        scripted.reset(for: simTask)
        var dart = DARTPerturbation(sigma: perturb, seed: seed, task: targetIndex ?? 0, maxStep: scripted.maxStep)

        // Ctrl-C or SIGTERM from here on ends the episode as 'interrupted' (installed before
        // "recording to" is printed, so a signal sent right after it is not lost).
        StopSignals.install()
        defer { StopSignals.restore() }
        var writer: EpisodeWriter?
        if !noRecord {
            do {
                let meta = EpisodeMetadata(
                    instruction: said, actionSpace: .endEffectorDelta, actionNames: RobotAction.endEffectorDeltaNames,
                    jointNames: world.arm.jointNames, model: model ?? "scripted-expert", armProfile: "so101-follower",
                    arm: fast ? "simulated (kinematic)" : "simulated (servo bus on \(bus?.path ?? "pty"))",
                    camera: .init(name: "simulated", width: world.camera.size.width, height: world.camera.size.height, fps: hz),
                    rate: hz, safetyLimits: world.arm.safetyLimits,
                    extra: ["task": family.rawValue, "seed": "\(seed)", "scene_instruction": simTask.instruction,
                            "target_id": "\(simTask.targetID)",
                            "layout": Self.layoutDescription(world.scene, camera: world.camera.renderer.camera)]
                        .merging(perturb > 0 ? ["perturb": "\(perturb)"] : [:]) { $1 }
                        .merging(expertLabels ? ["labels": "scripted-expert"] : [:]) { $1 }
                        .merging(policy.map { ["decoding": Self.describe($0.decoding)] } ?? [:]) { $1 },
                    startTimestamp: world.clock.now())
                try FileManager.default.createDirectory(atPath: episodes, withIntermediateDirectories: true)
                writer = try EpisodeWriter(in: URL(fileURLWithPath: episodes), metadata: meta)
                printError("recording to \(writer!.url.path)")
            } catch { throw fail(error) }
        }

        var recorder: AnnotatedVideo?
        if let video {
            do { recorder = try AnnotatedVideo(path: video, size: world.camera.size, fps: hz) } catch { throw fail(error) }
        }
        defer { recorder?.finish() }
        var outcome = EpisodeOutcome.maxSteps
        var lastSequence: UInt64?
        var latencies: [Double] = []
        var steps = 0
        var reachedDistractor = false
        let start = Timestamp.now()
        do {
            try world.camera.open()
            while steps < maxSteps {
                if StopSignals.requested { outcome = .interrupted; break }
                let frame = try world.camera.latestFrame(newerThan: lastSequence)
                lastSequence = frame.sequence
                let observation = try world.arm.observe()
                let t0 = Timestamp.now()
                let action: RobotAction
                var tokens: [Int]?
                var timings: [String: Double] = [:]
                if let policy {
                    let state = try StateFeatures.values(policy.stateFeatures, joints: observation, kinematics: world.kinematics,
                                                         armName: world.arm.name)
                    let out = try policy.predictAction(image: frame.image, instruction: said, state: state)
                    action = out.action
                    tokens = out.tokens
                    timings = ["preprocess": out.timing.preprocess, "vision": out.timing.vision,
                               "prefill": out.timing.prefill, "decode": out.timing.decode]
                } else {
                    action = scripted.action(for: world.scene, task: simTask, timestamp: frame.timestamp)
                }
                let thinking = Timestamp.now().seconds(since: t0)
                latencies.append(thinking)
                if policy != nil { fallBackIfSlow(step: thinking, usual: usualStep, period: 1 / hz) }
                // DAgger: what the expert would do from here (it keeps its own state every step).
                let label = expertLabels ? scripted.action(for: world.scene, task: simTask, timestamp: frame.timestamp) : nil
                // DART: execute a perturbed action, record the expert's label. With --perturb the
                // arm (kinematic or servo bus, both through world.step) moves by the expert's
                // translation plus seeded noise; the step keeps the expert's action as its action
                // and the joint targets (and clamps) of what was really executed. The expert reads
                // the scene next tick and corrects the deviation. --perturb 0: nothing changes.
                let executed = policy == nil ? dart.perturbed(action) : action
                let step = try world.step(executed)
                var recorded = step.sent
                if perturb > 0 { recorded.requested = action }
                if let label { recorded.requested = label }
                try recorder?.write(frame.image, step: step.index, action: executed, clamped: step.sent.wasClamped)   // the move made
                steps = step.index
                reachedDistractor = reachedDistractor || step.reachedDistractor
                _ = try writer?.append(EpisodeStep(timestamp: frame.timestamp, observation: observation, sent: recorded,
                                                   tokens: tokens, timings: timings, done: step.isTerminal,
                                                   reward: step.isSuccess ? 1 : 0), frame: frame)
                let rate = Double(steps) / max(Timestamp.now().seconds(since: start), 1e-9)
                let shown = action.values.map { String(format: "%+.3f", $0) }.joined(separator: " ")
                if isatty(STDERR_FILENO) != 0 {
                    let stages = timings.isEmpty ? "" : String(format: " (vision %.0f, prefill %.0f, decode %.0f)",
                                                               (timings["vision"] ?? 0) * 1e3, (timings["prefill"] ?? 0) * 1e3, (timings["decode"] ?? 0) * 1e3)
                    FileHandle.standardError.write(String(format: "\r\u{1B}[Kstep %d  %.1f Hz  policy %.1f ms%@  action [%@]%@",
                                                          steps, rate, thinking * 1e3, stages, shown, step.sent.wasClamped ? "  (clamped)" : "").data(using: .utf8)!)
                }
                if step.isSuccess { outcome = .success; break }
                if Self.terminates(action) { outcome = .terminated; break }
            }
        } catch {
            if isatty(STDERR_FILENO) != 0 { printError("") }
            _ = try? world.arm.disconnect()
            _ = try? writer?.finish(outcome: .error, message: "\(error)")
            throw fail(error)
        }
        if isatty(STDERR_FILENO) != 0 { printError("") }
        try? world.arm.disconnect()
        let summary: EpisodeSummary?
        do { summary = try writer?.finish(outcome: outcome) } catch { throw fail(error) }
        let seconds = Timestamp.now().seconds(since: start)
        let sorted = latencies.sorted()
        let median = sorted.isEmpty ? 0 : sorted[sorted.count / 2]
        if json {
            var out: [String: Any] = ["outcome": outcome.rawValue, "steps": steps, "seconds": seconds,
                                      "instruction": said, "task": family.rawValue, "seed": seed,
                                      "reached_distractor": reachedDistractor, "policy_median_ms": median * 1e3]
            if let dir = writer?.url.path { out["episode"] = dir }
            let data = try JSONSerialization.data(withJSONObject: out, options: [.sortedKeys, .withoutEscapingSlashes])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print("\"\(said)\": \(outcome) after \(steps) steps in \(String(format: "%.1f", seconds)) s" +
                  (reachedDistractor ? " (touched a distractor first)" : "") +
                  String(format: "; policy median %.1f ms per step", median * 1e3))
            if let writer, summary != nil { print("episode: \(writer.url.path)") }
        }
        if outcome == .interrupted { throw ExitCode(130) }
    }

    /// Times a policy step before the loop; if it is over half the control period with
    /// several BLAS threads, tries one and keeps it if clearly faster (see `VLAPolicy.adaptBLASThreads`).
    /// Says so when it switches, and when the step chosen cannot keep the rate.
    /// - Returns: The step time, in seconds, with the threads chosen.
    static func adaptThreads(_ policy: VLAPolicy, period: Double) throws -> Double {
        let choice = try policy.adaptBLASThreads(budget: period / 2)
        if choice.switchedToOneThread, let single = choice.secondsSingle {
            printError(String(format: "the CPU looks busy: a policy step took %.0f ms with %d BLAS threads and %.0f ms with 1; running on 1 thread (--threads N chooses)",
                              choice.secondsBefore * 1e3, choice.threadsBefore, single * 1e3))
        }
        let chosen = choice.switchedToOneThread ? (choice.secondsSingle ?? choice.secondsBefore) : choice.secondsBefore
        if chosen > period / 2 {
            printError(String(format: "warning: a policy step takes %.0f ms, over half the %.0f ms control period; the loop may not keep its rate (--hz lowers it)",
                              chosen * 1e3, period * 1e3))
        }
        return chosen
    }

    /// During the loop, without --threads: a policy step longer than the whole control period
    /// and 3x the `usual` one measured before the loop, with several BLAS threads (the CPU
    /// became busy), switches OpenBLAS to one thread. A model that is merely slow keeps its threads.
    func fallBackIfSlow(step seconds: Double, usual: Double, period: Double) {
        guard threading.threads == nil, seconds > period, seconds > 3 * usual, BLASBackend.threads > 1 else { return }
        let before = BLASBackend.threads
        BLASBackend.setThreads(1)
        if isatty(STDERR_FILENO) != 0 { printError("") }
        printError(String(format: "a policy step took %.0f ms with %d BLAS threads, over the %.0f ms control period; running on 1 thread from now on (--threads N chooses)",
                          seconds * 1e3, before, period * 1e3))
    }

    /// RT-2's convention: a policy whose actions carry a `terminate` dimension ends the episode
    /// by setting it (> 0.5). OpenVLA's 7-D actions have none.
    static func terminates(_ action: RobotAction) -> Bool { (action["terminate"] ?? 0) > 0.5 }

    /// The loop on a real camera and a real arm: no task, so it ends at --max-steps or Ctrl-C.
    private func runOnHardware(policy: VLAPolicy, model: String, cameraSpec: String, armSpec: String, hz: Double, usualStep: Double) throws {
        let parts = armSpec.split(separator: ":", maxSplits: 1).map(String.init)
        let camera: OpenCVCamera
        let servoArm: ServoArm
        do {
            camera = OpenCVCamera(CameraConfiguration(source: try CameraSource(spec: cameraSpec), loop: true))
            servoArm = ServoArm(profile: try ArmProfile.load(parts[0]), port: parts[1])
            // A policy that reads the arm's state must be able to get it on this arm (before
            // anything moves): the tool point needs the profile's kinematics.
            _ = try StateFeatures.values(policy.stateFeatures,
                                         joints: JointPositions(names: servoArm.jointNames, values: servoArm.jointNames.map { _ in 0 }),
                                         kinematics: servoArm.kinematics, armName: servoArm.name)
            // connect() installs the handlers that make the arm safe on Ctrl-C, SIGTERM and exit;
            // the first signal then lets this loop close the episode as interrupted (a second one
            // ends the process at once).
            SafetyShutdown.firstSignal = .continue
            try servoArm.connect()
            try camera.open()
        } catch { throw fail(error) }
        defer { camera.close(); try? servoArm.disconnect() }
        let said = instruction ?? "move to the target"
        var writer: EpisodeWriter?
        if !noRecord {
            do {
                let meta = EpisodeMetadata(
                    instruction: said, actionSpace: .endEffectorDelta, actionNames: RobotAction.endEffectorDeltaNames,
                    jointNames: servoArm.jointNames, model: model, armProfile: parts[0], arm: servoArm.name,
                    camera: .init(name: cameraSpec), rate: hz, safetyLimits: servoArm.safetyLimits)
                try FileManager.default.createDirectory(atPath: episodes, withIntermediateDirectories: true)
                writer = try EpisodeWriter(in: URL(fileURLWithPath: episodes), metadata: meta)
                printError("recording to \(writer!.url.path)")
            } catch { throw fail(error) }
        }
        var recorder: AnnotatedVideo?
        var last: UInt64?
        var steps = 0
        var hardwareOutcome = EpisodeOutcome.maxSteps
        let period = 1 / hz
        let clock = MonotonicClock()
        do {
            while steps < maxSteps {
                if SafetyShutdown.interruptingSignal != nil { hardwareOutcome = .interrupted; break }
                let deadline = Timestamp(seconds: clock.now().seconds + period)
                let frame = try camera.latestFrame(newerThan: last, timeout: 2)
                last = frame.sequence
                if recorder == nil, let video {
                    recorder = try AnnotatedVideo(path: video, size: PixelSize(width: frame.image.width, height: frame.image.height), fps: hz)
                }
                let observation = try servoArm.observe()
                let state = try StateFeatures.values(policy.stateFeatures, joints: observation, kinematics: servoArm.kinematics,
                                                     armName: servoArm.name)
                let out = try policy.predictAction(image: frame.image, instruction: said, state: state)
                fallBackIfSlow(step: out.timing.total, usual: usualStep, period: period)
                let sent: SentAction
                do { sent = try servoArm.send(out.action) } catch ArmError.interrupted { hardwareOutcome = .interrupted; break }
                steps += 1
                try recorder?.write(frame.image, step: steps, action: out.action, clamped: sent.wasClamped)
                _ = try writer?.append(EpisodeStep(timestamp: frame.timestamp, observation: observation, sent: sent, tokens: out.tokens,
                                                   timings: ["preprocess": out.timing.preprocess, "vision": out.timing.vision,
                                                             "prefill": out.timing.prefill, "decode": out.timing.decode]),
                                       frame: frame)
                if isatty(STDERR_FILENO) != 0 {
                    FileHandle.standardError.write(String(format: "\r\u{1B}[Kstep %d  policy %.1f ms  action [%@]", steps, out.timing.total * 1e3,
                                                          out.action.values.map { String(format: "%+.3f", $0) }.joined(separator: " ")).data(using: .utf8)!)
                }
                if Self.terminates(out.action) { hardwareOutcome = .terminated; break }
                clock.sleep(until: deadline)
            }
        } catch {
            if isatty(STDERR_FILENO) != 0 { printError("") }
            try? servoArm.disconnect()
            recorder?.finish()
            _ = try? writer?.finish(outcome: .error, message: "\(error)")
            throw fail(error)
        }
        if isatty(STDERR_FILENO) != 0 { printError("") }
        recorder?.finish()
        do { _ = try writer?.finish(outcome: hardwareOutcome) } catch { throw fail(error) }
        if json {
            var out: [String: Any] = ["outcome": hardwareOutcome.rawValue, "steps": steps, "instruction": said, "camera": cameraSpec, "arm": armSpec]
            if let dir = writer?.url.path { out["episode"] = dir }
            let data = try JSONSerialization.data(withJSONObject: out, options: [.sortedKeys, .withoutEscapingSlashes])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print("\"\(said)\": \(steps) steps on \(servoArm.name)" + (hardwareOutcome == .interrupted ? " (interrupted)" : ""))
            if let writer { print("episode: \(writer.url.path)") }
        }
        if hardwareOutcome == .interrupted { throw ExitCode(128 + (SafetyShutdown.interruptingSignal ?? SIGINT)) }
    }
}

/// A video of a run: each frame with its step number and action drawn on it.
final class AnnotatedVideo {
    private let writer: VideoWriter
    private let scale: Int

    init(path: String, size: PixelSize, fps: Double) throws {
        // Small model inputs are enlarged so the text stays readable.
        scale = max(1, 448 / max(size.width, 1))
        writer = try VideoWriter(path: path, size: PixelSize(width: size.width * scale, height: size.height * scale), fps: fps)
    }

    func write(_ image: Image, step: Int, action: RobotAction, clamped: Bool) throws {
        var frame = scale == 1 ? image : image.resized(width: image.width * scale, height: image.height * scale, interpolation: .nearest)
        let white = DrawingColor(red: 255, green: 255, blue: 255), black = DrawingColor(red: 0, green: 0, blue: 0)
        let lines = ["step \(step)" + (clamped ? "  (clamped)" : "")] + zip(action.names, action.values).map { name, value in
            String(format: "%@ %+.3f", name, value)
        }
        for (i, line) in lines.enumerated() {
            frame.drawText(line, at: (x: 6, y: 16 + 15 * i), scale: 0.45, color: black, thickness: 3)
            frame.drawText(line, at: (x: 6, y: 16 + 15 * i), scale: 0.45, color: white, thickness: 1)
        }
        // The commanded planar motion as an arrow from the centre (1 cm = 10 px).
        if action.space == .endEffectorDelta, action.values.count >= 2 {
            let c = (x: frame.width / 2, y: frame.height / 2)
            let tip = (x: c.x + Int(action.values[0] * 1000), y: c.y - Int(action.values[1] * 1000))
            frame.drawLine(from: c, to: tip, color: DrawingColor(red: 255, green: 40, blue: 40), thickness: 2)
            frame.drawCircle(center: tip, radius: 3, color: DrawingColor(red: 255, green: 40, blue: 40))
        }
        try writer.write(frame)
    }

    func finish() { writer.finish() }
}
