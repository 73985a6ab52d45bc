import Foundation
import RobotCore

/// A real arm on a serial servo bus (or the simulator's pty), described by an
/// `ArmProfile` and an `ArmCalibration`.
///
/// Joint values at the API are radians from the middle of each joint's calibrated
/// range (positive in the profile's direction) and a 0...1 gripper opening; ticks stay
/// inside. Safety is on by default: every command is clamped to the joint limits and a
/// maximum step, the clamps are returned; a watchdog holds or disables torque when no
/// command arrives in time; the arm goes to its safe state on any error during a
/// command, on `disconnect()`, on SIGINT/SIGTERM and at process exit.
///
/// ```swift
/// let arm = ServoArm(profile: try .load("so101-follower"), port: "/dev/ttyACM0")
/// try arm.connect()
/// let q = try arm.observe()
/// let sent = try arm.send(.joints(q))
/// try arm.disconnect()
/// ```
public final class ServoArm: Arm, SafeStoppable, @unchecked Sendable {
    /// The arm model.
    public let profile: ArmProfile
    /// The serial port path.
    public let port: String
    /// Tick ↔ SI conversion.
    public private(set) var calibration: ArmCalibration
    /// Timeout and retries for each bus transaction.
    public var policy: TransactionPolicy
    /// Forward and inverse kinematics, for end-effector actions (SO-101 profiles).
    public var kinematics: SerialChainKinematics?
    /// Whether `connect()` installs the SIGINT/SIGTERM/exit handlers (on by default).
    public var installsSignalHandlers = true
    /// Whether `connect()` enables torque on a follower (on by default; turn off to only
    /// read positions, e.g. `vla arm read`).
    public var enablesTorqueOnConnect = true
    /// Where warnings go (clamps are returned, not logged; this is for watchdog trips
    /// and safe-state failures).
    public var log: @Sendable (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }

    public var name: String { "\(profile.name) on \(port)" }
    public var jointNames: [String] { profile.joints.map(\.name) }
    public private(set) var safetyLimits: SafetyLimits
    public var isConnected: Bool { bus != nil }

    /// The motor bus while connected.
    public private(set) var bus: MotorBus?
    private var watchdog: Watchdog?
    private let stateLock = NSRecursiveLock()
    /// Held while a command or an emergency stop talks to the bus (recursive: a failed command stops the arm).
    private let commandLock = NSRecursiveLock()

    /// Creates an arm; nothing is opened until `connect()`.
    /// - Parameters:
    ///   - calibration: Defaults to the profile's uncalibrated ranges.
    public init(profile: ArmProfile, port: String, calibration: ArmCalibration? = nil,
                policy: TransactionPolicy = TransactionPolicy()) {
        self.profile = profile
        self.port = port
        self.calibration = calibration ?? .uncalibrated(profile)
        self.policy = policy
        self.safetyLimits = SafetyLimits(joints: [])
        self.kinematics = profile.name.hasPrefix("so101") ? try? SerialChainKinematics.so101() : nil
        self.safetyLimits = makeLimits()
    }

    deinit {
        if bus != nil { emergencyStop(); try? bus?.close() }
        watchdog?.stop()
    }

    // MARK: Conversion

    private func joint(_ name: String) -> ArmProfile.Joint {
        guard let j = profile.joints.first(where: { $0.name == name }) else {
            preconditionFailure("ServoArm: \(profile.name) has no joint \(name)")
        }
        return j
    }

    private func sign(_ j: ArmProfile.Joint) -> Double {
        Double(j.direction) * (calibration.joints[j.name]?.driveMode == 1 ? -1 : 1)
    }

    /// Converts a present/goal position in ticks to the joint's SI value.
    public func value(ticks: Int, joint name: String) -> Double {
        let j = joint(name), c = calibration.joints[name]!
        switch j.kind {
        case .revolute:
            return sign(j) * (Double(ticks) - c.middle) * j.model.ticksSpan / Double(j.model.resolution)
        case .gripper:
            let f = (Double(ticks) - Double(c.rangeMin)) / Double(c.rangeMax - c.rangeMin)
            return sign(j) > 0 ? f : 1 - f
        }
    }

    /// Converts a joint's SI value to ticks.
    public func ticks(value: Double, joint name: String) -> Int {
        let j = joint(name), c = calibration.joints[name]!
        switch j.kind {
        case .revolute:
            return Int((c.middle + sign(j) * value * Double(j.model.resolution) / j.model.ticksSpan).rounded())
        case .gripper:
            let f = sign(j) > 0 ? value : 1 - value
            return Int((Double(c.rangeMin) + f * Double(c.rangeMax - c.rangeMin)).rounded())
        }
    }

    /// Profile limits intersected with the calibrated range.
    private func makeLimits() -> SafetyLimits {
        let joints = profile.joints.map { j -> SafetyLimits.Joint in
            let a = value(ticks: calibration.joints[j.name]!.rangeMin, joint: j.name)
            let b = value(ticks: calibration.joints[j.name]!.rangeMax, joint: j.name)
            let lower = max(j.lower, min(a, b)), upper = min(j.upper, max(a, b))
            return SafetyLimits.Joint(name: j.name, lower: min(lower, upper), upper: max(lower, upper), maxStep: j.maxStep)
        }
        return SafetyLimits(joints: joints, watchdogTimeout: profile.watchdogTimeout, safeState: profile.safeState)
    }

    /// Replaces the calibration (e.g. after `calibrate`); writes homing offsets on the
    /// next `connect()`.
    public func setCalibration(_ c: ArmCalibration) throws {
        try c.validate(for: profile)
        stateLock.lock()
        calibration = c
        safetyLimits = makeLimits()
        stateLock.unlock()
    }

    /// Changes the safety limits; they can only be made tighter than the calibrated
    /// ranges, never wider.
    public func setSafetyLimits(_ limits: SafetyLimits) {
        let base = makeLimits()
        var l = limits
        l.joints = base.joints.map { b in
            guard let n = limits.joints.first(where: { $0.name == b.name }) else { return b }
            let lo = max(b.lower, n.lower), hi = min(b.upper, n.upper)
            return SafetyLimits.Joint(name: b.name, lower: min(lo, hi), upper: max(lo, hi), maxStep: n.maxStep)
        }
        stateLock.lock()
        safetyLimits = l
        stateLock.unlock()
    }

    // MARK: Arm

    public func connect() throws {
        stateLock.lock()
        defer { stateLock.unlock() }
        guard bus == nil else { return }
        try calibration.validate(for: profile)
        let b = try MotorBus.open(path: port, family: profile.protocolFamily, baudRate: profile.baudRate,
                                  motors: profile.motors, policy: policy)
        do {
            try b.verify()
            try writeCalibrationAndModes(b)
            if profile.role == .follower && enablesTorqueOnConnect {
                let present = try b.syncRead(.presentPosition)
                try b.syncWrite(.goalPosition, present)
                try b.setTorque(true)
            } else if profile.role == .leader {
                try b.setTorque(false)
            }
        } catch {
            try? b.broadcastTorqueOff()
            try? b.close()
            throw error
        }
        bus = b
        SafetyShutdown.register(self)
        if installsSignalHandlers { SafetyShutdown.installHandlers() }
        if profile.role == .follower, enablesTorqueOnConnect, let t = safetyLimits.watchdogTimeout {
            watchdog = Watchdog(timeout: t) { [weak self] in self?.watchdogFired() }
        }
    }

    /// Writes homing offsets, position limits and operating modes that differ from
    /// what the servos hold (EEPROM: torque off first).
    private func writeCalibrationAndModes(_ b: MotorBus) throws {
        var eepromWrites: [(ServoRegister, Int, String)] = []
        for j in profile.joints {
            let c = calibration.joints[j.name]!
            if j.model.spec(.homingOffset) != nil, try b.read(.homingOffset, j.name) != c.homingOffset {
                eepromWrites.append((.homingOffset, c.homingOffset, j.name))
            }
            if let mode = j.operatingMode, try b.read(.operatingMode, j.name) != mode {
                eepromWrites.append((.operatingMode, mode, j.name))
            }
        }
        guard !eepromWrites.isEmpty else { return }
        try b.setTorque(false)
        for (r, v, n) in eepromWrites { try b.write(r, v, n) }
    }

    public func observe() throws -> JointPositions {
        guard let b = bus else { throw ArmError.notConnected(name) }
        do {
            let ticks = try b.syncRead(.presentPosition)
            return JointPositions(names: jointNames,
                                  values: zip(jointNames, ticks).map { value(ticks: $1, joint: $0) },
                                  timestamp: .now())
        } catch {
            // A bus that cannot be read cannot be trusted to follow commands either.
            log("\(name): \(error) — going to safe state (\(safetyLimits.safeState.rawValue))")
            emergencyStop()
            throw error
        }
    }

    public func send(_ action: RobotAction) throws -> SentAction {
        // One command at a time, and never one after a stop signal made the arm safe: the
        // signal's emergency stop waits for a command in flight, and later ones are refused.
        commandLock.lock()
        defer { commandLock.unlock() }
        guard let b = bus else { throw ArmError.notConnected(name) }
        guard profile.role == .follower else { throw ArmError.leaderCannotMove(name) }
        if SafetyShutdown.interruptingSignal != nil { throw ArmError.interrupted(name) }
        if let w = watchdog, w.tripped, safetyLimits.safeState == .torqueOff {
            throw ArmError.watchdogTripped(name)
        }
        do {
            let current = try observe()
            var target = current
            var clamps: [JointClamp] = []
            switch action.space {
            case .jointPositions:
                for (n, v) in zip(action.names, action.values) {
                    guard target[n] != nil else { throw ArmError.unknownJoint(n, arm: name) }
                    target[n] = v
                }
            case .endEffectorDelta:
                guard let k = kinematics else { throw ArmError.noKinematics(profile.name) }
                let (q, workspace) = k.applyDelta(action, to: current)
                target = q
                clamps += workspace
            }
            let (safe, more) = safetyLimits.clamp(target, current: current)
            clamps += more
            let goal = zip(safe.names, safe.values).map { ticks(value: $1, joint: $0) }
            try b.syncWrite(.goalPosition, goal)
            if let w = watchdog {
                // A trip during this command must not be cleared by it (torque is off).
                if safetyLimits.safeState == .torqueOff {
                    guard w.feedUnlessTripped() else { throw ArmError.watchdogTripped(name) }
                } else {
                    w.feed()
                }
            }
            return SentAction(requested: action, sent: safe, clamps: clamps)
        } catch {
            log("\(name): \(error) — going to safe state (\(safetyLimits.safeState.rawValue))")
            emergencyStop()
            throw error
        }
    }

    public func disconnect() throws {
        stateLock.lock()
        defer { stateLock.unlock() }
        guard let b = bus else { return }
        watchdog?.stop()
        watchdog = nil
        emergencyStop()
        bus = nil
        SafetyShutdown.unregister(self)
        try b.close()
    }

    /// Re-enables a follower after a torque-off watchdog trip: holds the present
    /// position and turns torque back on.
    public func rearm() throws {
        guard let b = bus else { throw ArmError.notConnected(name) }
        try b.syncWrite(.goalPosition, try b.syncRead(.presentPosition))
        try b.setTorque(true)
        watchdog?.feed()
    }

    /// How many times the watchdog has fired since `connect()`.
    public var watchdogTrips: Int { watchdog?.tripCount ?? 0 }

    /// Enables or disables torque on all joints.
    public func setTorque(_ on: Bool) throws {
        guard let b = bus else { throw ArmError.notConnected(name) }
        if on { try b.syncWrite(.goalPosition, try b.syncRead(.presentPosition)) }
        try b.setTorque(on)
        if on { watchdog?.feed() }
    }

    // MARK: Safe state

    private func watchdogFired() {
        log("\(name): no command for \(safetyLimits.watchdogTimeout ?? 0) s — watchdog: \(safetyLimits.safeState.rawValue)")
        emergencyStop()
    }

    /// Puts the arm in its safe state without throwing: hold (present position as goal)
    /// or torque off; if holding fails, torque goes off; if per-servo writes fail, a
    /// broadcast torque-off is sent.
    public func emergencyStop() {
        commandLock.lock()
        defer { commandLock.unlock() }
        guard let b = bus else { return }
        if profile.role == .leader { try? b.broadcastTorqueOff(); return }
        if safetyLimits.safeState == .hold {
            do {
                try b.syncWrite(.goalPosition, try b.syncRead(.presentPosition))
                return
            } catch {
                log("\(name): cannot hold (\(error)); turning torque off")
            }
        }
        do {
            try b.broadcastTorqueOff()
        } catch {
            log("\(name): torque off failed: \(error)")
        }
    }
}

/// Misuse of an arm, or a state that forbids the request.
public enum ArmError: Error, Equatable, CustomStringConvertible {
    case notConnected(String)
    case leaderCannotMove(String)
    case unknownJoint(String, arm: String)
    case noKinematics(String)
    case watchdogTripped(String)
    case interrupted(String)

    public var description: String {
        switch self {
        case .notConnected(let a): return "\(a): not connected"
        case .leaderCannotMove(let a): return "\(a): a leader arm is read, not driven"
        case .unknownJoint(let j, let a): return "\(a): no joint named \(j)"
        case .noKinematics(let p): return "\(p): no kinematic model, so end-effector actions are not available"
        case .watchdogTripped(let a):
            return "\(a): the watchdog turned torque off: no command came within its timeout, so the control loop "
                + "stalled (a slow policy step, or other work keeping the CPU busy); call rearm() to continue"
        case .interrupted(let a): return "\(a): stopped by a signal (Ctrl-C); no further commands are sent"
        }
    }
}
