import Actuation
import Foundation
import RobotCore

/// An ``Arm`` whose joints reach every commanded target at once: the simulator's ideal
/// servo, for fast, deterministic episodes on a ``SimulationClock``.
///
/// It applies the same rules as ``ServoArm``: end-effector deltas go through the
/// profile's kinematics (`SerialChainKinematics.applyDelta`) and every target is held
/// to the profile's joint limits and maximum step, with the clamps returned. Use a
/// ``ServoArm`` on a ``VirtualServoBus`` instead when the loop should cross a real pty
/// and wait for motors (``SimulatedWorld/servoBus(profile:clock:cameraSize:maxSpeed:)``).
public final class KinematicArm: Arm, @unchecked Sendable {
    /// The arm model.
    public let profile: ArmProfile
    /// The kinematics used for end-effector actions.
    public let kinematics: SerialChainKinematics
    /// Stamps observations.
    public let clock: Clock

    public var name: String { "\(profile.name) (kinematic simulation)" }
    public var jointNames: [String] { profile.joints.map(\.name) }
    public let safetyLimits: SafetyLimits
    public var isConnected: Bool { lock.withLock { connected } }

    private let lock = NSLock()
    private var connected = false
    private var positions: [Double]

    /// Creates an arm with every joint at 0 (the gripper half open).
    /// - Parameters:
    ///   - profile: Joint names, limits and maximum steps.
    ///   - kinematics: Defaults to the SO-101 chain.
    public init(profile: ArmProfile, kinematics: SerialChainKinematics, clock: Clock) {
        self.profile = profile
        self.kinematics = kinematics
        self.clock = clock
        self.safetyLimits = SafetyLimits(
            joints: profile.joints.map { SafetyLimits.Joint(name: $0.name, lower: $0.lower, upper: $0.upper, maxStep: $0.maxStep) },
            watchdogTimeout: nil, safeState: profile.safeState)
        self.positions = profile.joints.map { $0.kind == .gripper ? 0.5 : 0 }
    }

    public func connect() throws { lock.withLock { connected = true } }

    public func disconnect() throws { lock.withLock { connected = false } }

    public func observe() throws -> JointPositions {
        try lock.withLock {
            guard connected else { throw ArmError.notConnected(name) }
            return JointPositions(names: jointNames, values: positions, timestamp: clock.now())
        }
    }

    public func send(_ action: RobotAction) throws -> SentAction {
        try lock.withLock {
            guard connected else { throw ArmError.notConnected(name) }
            let current = JointPositions(names: jointNames, values: positions, timestamp: clock.now())
            var target = current
            var clamps: [JointClamp] = []
            switch action.space {
            case .jointPositions:
                for (n, v) in zip(action.names, action.values) {
                    guard target[n] != nil else { throw ArmError.unknownJoint(n, arm: name) }
                    target[n] = v
                }
            case .endEffectorDelta:
                let limits = kinematics.joints.map { j in
                    safetyLimits.joints.first { $0.name == j.name }.map { $0.lower...$0.upper } ?? -Double.pi...Double.pi
                }
                let (q, workspace) = kinematics.applyDelta(action, to: current, limits: limits)
                target = q
                clamps += workspace
            }
            let (safe, more) = safetyLimits.clamp(target, current: current)
            clamps += more
            positions = safe.values
            return SentAction(requested: action, sent: safe, clamps: clamps)
        }
    }

    /// Puts the joints at `q` at once, bypassing the step limit (to set up a scene).
    public func teleport(to q: JointPositions) {
        lock.withLock {
            for (i, n) in jointNames.enumerated() {
                if let v = q[n] { positions[i] = v }
            }
        }
    }
}
