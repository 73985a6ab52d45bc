import Actuation
import Foundation
import RobotCore

/// The simulated tabletop for a control loop: an arm, a scene kept in step with the
/// arm's joints, a camera rendering it, a task, and its success.
///
/// A step sends one action to the arm (an end-effector delta goes through inverse
/// kinematics to joint targets, held to the safety limits), waits out the control
/// period on the world's clock, reads the joints back, puts the gripper where forward
/// kinematics says it is, and lets the scene's physics push, grasp or carry objects.
/// With a ``KinematicArm`` and a ``SimulationClock`` (``kinematic(clock:cameraSize:)``)
/// an episode takes milliseconds; with a ``ServoArm`` on a ``VirtualServoBus``
/// (``servoBus(profile:clock:cameraSize:maxSpeed:)``) every command crosses a pty as
/// Feetech bytes, exactly as it would to a real SO-101.
///
/// A loop that wants to treat the simulator exactly like hardware can skip ``step(_:)``:
/// it sends actions to ``arm`` itself and reads frames from ``camera``; before each
/// frame the scene catches up with the arm's joints (``update()``), and ``isSuccess``
/// reports the task's state.
///
/// ```swift
/// let world = try SimulatedWorld.kinematic()
/// let task = try world.reset(seed: 1, family: .pick)
/// var expert = ScriptedExpert(seed: 1)
/// expert.reset(for: task)
/// while !world.isTerminal {
///     let step = try world.step(expert.action(for: world.scene, task: task, timestamp: world.clock.now()))
///     print(step.index, step.isSuccess)
/// }
/// ```
public final class SimulatedWorld: @unchecked Sendable {
    /// The arm the world drives and observes.
    public let arm: Arm
    /// Turns joint positions into the gripper's position.
    public let kinematics: SerialChainKinematics
    /// Time for steps, frames and actions.
    public let clock: Clock
    /// The camera looking at the table; it renders the scene as it is when asked.
    public let camera: SimulatedCamera
    /// Seconds between steps.
    public var controlPeriod: Double
    /// Steps after which an episode ends unsuccessfully.
    public var maxSteps: Int = 200
    /// The joint positions the arm starts each episode at: the gripper 10 cm above the
    /// middle of the table, pointing down, half open.
    public var homePositions: [String: Double] = [
        "shoulder_pan": 0.103, "shoulder_lift": -0.0075, "elbow_flex": 0.0648, "wrist_flex": 1.4295,
        "wrist_roll": 0, "gripper": 0.5,
    ]

    private let lock = NSRecursiveLock()
    private let store: SceneStore
    private var state: TabletopScene {
        get { store.scene }
        set { store.scene = newValue }
    }
    private var currentTask: TabletopTask?
    private var steps = 0
    private var lastTick: Timestamp

    /// Reads the joint positions the scene follows: the arm's true state, as physics sees it.
    public typealias JointReader = () throws -> JointPositions

    private let readJoints: JointReader

    /// Creates a world around a connected or unconnected `arm`.
    /// - Parameters:
    ///   - arm: Any arm whose joint names match `kinematics` (plus a gripper).
    ///   - kinematics: The arm's chain, for forward kinematics of the observed joints.
    ///   - clock: A ``SimulationClock`` for fast runs; the monotonic clock for a servo bus.
    ///   - cameraSize: The rendered frame size in pixels.
    ///   - controlPeriod: Seconds per step (10 Hz by default).
    ///   - jointReader: Where the scene reads the joints from; by default `arm.observe()`.
    ///     A servo-bus world reads the simulated motors directly, so the camera can follow
    ///     the arm without sharing the driver's serial line.
    public init(arm: Arm, kinematics: SerialChainKinematics, clock: Clock,
                cameraSize: PixelSize = PixelSize(width: 224, height: 224), controlPeriod: Double = 0.1,
                jointReader: JointReader? = nil) {
        self.arm = arm
        self.kinematics = kinematics
        self.clock = clock
        self.controlPeriod = controlPeriod
        self.readJoints = jointReader ?? { try arm.observe() }
        let store = SceneStore(TabletopScene(objects: [], gripper: .init(position: SIMD3(0, -0.2, 0.1), opening: 0.5)))
        self.store = store
        self.lastTick = clock.now()
        self.camera = SimulatedCamera(size: cameraSize, clock: clock) { store.refreshedScene() }
        store.refresh = { [weak self] in _ = try? self?.update() }
    }

    /// A world on a ``KinematicArm`` (SO-101 follower profile and kinematics) and a
    /// ``SimulationClock``: fast and deterministic.
    public static func kinematic(clock: Clock = SimulationClock(),
                                 cameraSize: PixelSize = PixelSize(width: 224, height: 224)) throws -> SimulatedWorld {
        let profile = try ArmProfile.load("so101-follower")
        let kinematics = try SerialChainKinematics.so101()
        let arm = KinematicArm(profile: profile, kinematics: kinematics, clock: clock)
        return SimulatedWorld(arm: arm, kinematics: kinematics, clock: clock, cameraSize: cameraSize)
    }

    /// The scene now (a snapshot).
    public var scene: TabletopScene { lock.withLock { state } }
    /// The task of the present episode, if one was set.
    public var task: TabletopTask? { lock.withLock { currentTask } }
    /// Steps taken in the present episode.
    public var stepCount: Int { lock.withLock { steps } }
    /// Whether the present task is done.
    public var isSuccess: Bool { lock.withLock { currentTask?.isSuccess(state) ?? false } }
    /// Whether the episode is over: success or ``maxSteps`` reached.
    public var isTerminal: Bool { lock.withLock { isSuccess || steps >= maxSteps } }

    /// Starts an episode on the scenario from `seed`: lays out the table, poses a task of
    /// `family` phrased from `phrasings` (about the `targetIndex`-th possible target, if
    /// given), moves the arm home and opens the camera.
    /// - Returns: The task.
    /// - Throws: What the arm throws (connection, bus errors).
    @discardableResult
    public func reset(seed: UInt64, family: TaskFamily, objectCount: ClosedRange<Int> = 3...5,
                      phrasings: PhrasingSet = .all, targetIndex: Int? = nil) throws -> TabletopTask {
        try reset(to: TabletopScenario.generate(seed: seed, family: family, objectCount: objectCount, phrasings: phrasings,
                                                targetIndex: targetIndex))
    }

    /// Starts an episode on `scenario` (its gripper position is replaced by the arm's).
    @discardableResult
    public func reset(to scenario: TabletopScenario) throws -> TabletopTask {
        if !arm.isConnected { try arm.connect() }
        try moveHome()
        let q = try readJoints()
        lock.withLock {
            var next = scenario.scene
            next.gripper = TabletopScene.Gripper(position: toolPosition(q), opening: q["gripper"] ?? 0.5)
            next.armPoints = armPoints(q)
            (next.gripper.jawAxis, next.gripper.wristAxis) = toolAxes(q)
            next.resetContacts()
            state = next
            currentTask = scenario.task
            steps = 0
            lastTick = clock.now()
        }
        if !camera.isOpen { try camera.open() }
        return scenario.task
    }

    /// Moves the gripper from home to `position` (metres, base frame) before the episode's
    /// first step, through end-effector actions of at most 2 cm, and starts the episode
    /// there: no step is counted and no contact on the way is kept. Demonstrations that start
    /// from varied poses keep a policy from reading the target's direction off the
    /// gripper's offset from a fixed home pose.
    /// - Returns: Where the gripper ended up (within 5 mm of `position` when reachable).
    /// - Throws: What the arm throws.
    @discardableResult
    public func startGripper(at position: SIMD3<Double>) throws -> SIMD3<Double> {
        for _ in 0..<40 {
            let g = lock.withLock { state.gripper.position }
            var d = position - g
            let n = (d * d).sum().squareRoot()
            if n < 0.005 { break }
            if n > 0.02 { d *= 0.02 / n }
            _ = try arm.send(.endEffectorDelta(dx: d.x, dy: d.y, dz: d.z, droll: 0, dpitch: 0, dyaw: 0,
                                               gripper: lock.withLock { state.gripper.opening }, timestamp: clock.now()))
            clock.sleep(until: Timestamp(seconds: clock.now().seconds + controlPeriod))
            try update()
        }
        return lock.withLock {
            state.resetContacts()
            steps = 0
            lastTick = clock.now()
            return state.gripper.position
        }
    }

    /// Sends `action`, waits for the control period, and updates the scene from the arm.
    /// - Returns: What was sent (with every clamp), the scene after the step, and the
    ///   episode's status.
    /// - Throws: What the arm throws; the arm is then in its safe state.
    public func step(_ action: RobotAction) throws -> SimulationStep {
        let sent = try arm.send(action)
        let deadline = Timestamp(seconds: lock.withLock { lastTick.seconds } + controlPeriod)
        clock.sleep(until: deadline)
        let q = try readJoints()
        return lock.withLock {
            lastTick = max(deadline, clock.now())   // an overrun step starts the next period late
            follow(q)
            steps += 1
            let success = currentTask?.isSuccess(state) ?? false
            return SimulationStep(index: steps, timestamp: lastTick, sent: sent, scene: state, isSuccess: success,
                                  isTerminal: success || steps >= maxSteps,
                                  reachedDistractor: currentTask?.reachedDistractor(state) ?? false)
        }
    }

    /// Brings the scene up to date with the arm's present joints (gripper, held object,
    /// pushes) without sending anything.
    ///
    /// ``step(_:)`` does this after each action and the camera before each frame, so a
    /// control loop may also drive ``arm`` itself (through its own safety layer, as with
    /// hardware) and still see the scene follow in ``camera``'s frames.
    /// - Returns: The updated scene.
    /// - Throws: What reading the joints throws.
    @discardableResult
    public func update() throws -> TabletopScene {
        let q = try readJoints()
        return lock.withLock {
            follow(q)
            return state
        }
    }

    /// Moves the scene's gripper to where joints `q` put it (lock held).
    private func follow(_ q: JointPositions) {
        var next = state
        next.moveGripper(to: toolPosition(q), opening: q["gripper"] ?? next.gripper.opening)
        next.armPoints = armPoints(q)
        (next.gripper.jawAxis, next.gripper.wristAxis) = toolAxes(q)
        state = next
    }

    /// Sends joint targets toward ``homePositions`` until the arm is there (the step
    /// limit may need several commands); a ``KinematicArm`` is put there at once.
    private func moveHome() throws {
        let names = arm.jointNames
        let target = JointPositions(names: names, values: names.map { homePositions[$0] ?? 0 }, timestamp: clock.now())
        if let ideal = arm as? KinematicArm {
            ideal.teleport(to: target)   // nothing to wait for: set up the episode at once
            return
        }
        for _ in 0..<200 {
            let q = try arm.observe()
            if zip(q.values, target.values).allSatisfy({ abs($0 - $1) < 0.01 }) { return }
            var t = target
            t.timestamp = clock.now()
            _ = try arm.send(.joints(t))
            clock.sleep(until: Timestamp(seconds: clock.now().seconds + controlPeriod))
        }
    }

    /// The tool point for joint positions `q`, metres.
    public func toolPosition(_ q: JointPositions) -> SIMD3<Double> {
        let p = kinematics.forward(kinematics.joints.map { q[$0.name] ?? 0 }).position
        return SIMD3(p[0], p[1], p[2])
    }

    /// The tool frame's x axis (the fingers open along it) and its y axis (from the
    /// fingertips toward the wrist) for `q`, in the base frame.
    func toolAxes(_ q: JointPositions) -> (jaw: SIMD3<Double>, wrist: SIMD3<Double>) {
        let r = kinematics.forward(kinematics.joints.map { q[$0.name] ?? 0 }).rotation
        return (SIMD3(r[0], r[3], r[6]), SIMD3(r[1], r[4], r[7]))
    }

    /// The joint origins from the base to the tool point for `q`, metres.
    func armPoints(_ q: JointPositions) -> [SIMD3<Double>] {
        var t = Pose.identity
        var points: [SIMD3<Double>] = [SIMD3(0, 0, 0)]
        for j in kinematics.joints {
            t = t * Pose(xyz: j.xyz, rpy: j.rpy)
            points.append(SIMD3(t.position[0], t.position[1], t.position[2]))
            t = t * Pose(rotationZ: q[j.name] ?? 0)
        }
        points.append(toolPosition(q))
        return points
    }
}

/// The scene shared by a world and its camera, behind a lock.
final class SceneStore: @unchecked Sendable {
    private let lock = NSLock()
    private var value: TabletopScene
    /// Brings the scene up to date (set by the world; called before each frame).
    var refresh: (() -> Void)?
    init(_ scene: TabletopScene) { value = scene }
    var scene: TabletopScene {
        get { lock.withLock { value } }
        set { lock.withLock { value = newValue } }
    }
    func refreshedScene() -> TabletopScene {
        refresh?()
        return scene
    }
}

/// What one ``SimulatedWorld/step(_:)`` did.
public struct SimulationStep: Sendable {
    /// The step's number in the episode, from 1.
    public var index: Int
    /// When the step ended, on the world's clock.
    public var timestamp: Timestamp
    /// The action as requested and as sent, with every safety or workspace clamp.
    public var sent: SentAction
    /// The scene after the step.
    public var scene: TabletopScene
    /// Whether the task is done.
    public var isSuccess: Bool
    /// Whether the episode is over (success or the step limit).
    public var isTerminal: Bool
    /// Whether the gripper touched another object before the target.
    public var reachedDistractor: Bool
}
