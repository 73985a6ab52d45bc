/// The limits every command to an arm is held to: joint ranges, a maximum change per
/// step, and a watchdog deadline.
///
/// Safety is on by default: `SafetyLimits(joints:)` enables range clamping, a step
/// limit of 0.2 rad (about 11°) per command, and a 0.5 s watchdog. Clamping returns
/// what it changed, so callers (and logs) always learn about it.
public struct SafetyLimits: Sendable, Equatable, Codable {
    /// The range and step limit of one joint.
    public struct Joint: Sendable, Equatable, Codable {
        /// The joint's name.
        public var name: String
        /// Lowest allowed position (radians, or 0...1 opening for a gripper).
        public var lower: Double
        /// Highest allowed position.
        public var upper: Double
        /// Largest allowed change from the current position in one command, or `nil`
        /// for no step limit on this joint.
        public var maxStep: Double?

        /// Creates a joint limit; `lower` must not exceed `upper`.
        public init(name: String, lower: Double, upper: Double, maxStep: Double? = 0.2) {
            precondition(lower <= upper, "SafetyLimits: \(name) lower \(lower) > upper \(upper)")
            self.name = name
            self.lower = lower
            self.upper = upper
            self.maxStep = maxStep
        }
    }

    /// What to do when the watchdog fires or on an error, a signal or exit.
    public enum SafeState: String, Sendable, Codable {
        /// Disable torque: the arm goes limp (it may sag under gravity).
        case torqueOff = "torque_off"
        /// Keep torque and command the present position: the arm freezes where it is.
        case hold
    }

    /// Per-joint limits, in the arm's joint order.
    public var joints: [Joint]
    /// Seconds without a fresh command after which the watchdog acts; `nil` disables it.
    public var watchdogTimeout: Double?
    /// The state the arm goes to on watchdog, error, signal or exit.
    public var safeState: SafeState

    /// Creates limits; the defaults keep safety on.
    public init(joints: [Joint], watchdogTimeout: Double? = 0.5, safeState: SafeState = .torqueOff) {
        self.joints = joints
        self.watchdogTimeout = watchdogTimeout
        self.safeState = safeState
    }

    /// Clamps `target` to the joint ranges and to at most `maxStep` away from `current`.
    ///
    /// Joints named in `target` but missing from the limits are rejected by
    /// precondition (a programming error); joints missing from `target` are not sent.
    /// Non-finite targets (NaN, ±∞) are replaced by the current position and reported.
    /// - Parameters:
    ///   - target: The requested joint positions.
    ///   - current: The present joint positions, for the step limit; `nil` skips it.
    /// - Returns: The clamped targets and one `JointClamp` per changed joint.
    public func clamp(_ target: JointPositions, current: JointPositions?) -> (JointPositions, [JointClamp]) {
        var out = target
        var clamps: [JointClamp] = []
        for (i, name) in target.names.enumerated() {
            guard let limit = joints.first(where: { $0.name == name }) else {
                preconditionFailure("SafetyLimits: no limits for joint \(name)")
            }
            let requested = target.values[i]
            let now = current?[name]
            var value = requested
            var reasons: [JointClamp.Reason] = []
            if !value.isFinite {
                value = now ?? (limit.lower + limit.upper) / 2
                reasons.append(.notFinite)
            }
            if value < limit.lower { value = limit.lower; reasons.append(.lowerLimit) }
            if value > limit.upper { value = limit.upper; reasons.append(.upperLimit) }
            if let step = limit.maxStep, let now, now.isFinite {
                if value > now + step { value = max(now + step, limit.lower); reasons.append(.maxStep) }
                if value < now - step { value = min(now - step, limit.upper); reasons.append(.maxStep) }
            }
            if !reasons.isEmpty {
                out.values[i] = value
                clamps.append(JointClamp(joint: name, requested: requested, sent: value, reasons: reasons))
            }
        }
        return (out, clamps)
    }
}

/// One joint value changed by safety.
public struct JointClamp: Sendable, Equatable, Codable, CustomStringConvertible {
    /// Why a value was changed.
    public enum Reason: String, Sendable, Codable {
        /// Below the joint's lower limit.
        case lowerLimit = "lower_limit"
        /// Above the joint's upper limit.
        case upperLimit = "upper_limit"
        /// Further from the present position than the per-step limit.
        case maxStep = "max_step"
        /// NaN or infinite.
        case notFinite = "not_finite"
        /// Outside the reachable workspace (end-effector actions).
        case workspace
    }
    /// The joint.
    public var joint: String
    /// What was asked.
    public var requested: Double
    /// What was sent.
    public var sent: Double
    /// Every limit that applied.
    public var reasons: [Reason]

    /// Creates a clamp record.
    public init(joint: String, requested: Double, sent: Double, reasons: [Reason]) {
        self.joint = joint
        self.requested = requested
        self.sent = sent
        self.reasons = reasons
    }

    public var description: String {
        "\(joint): \(requested) → \(sent) (\(reasons.map(\.rawValue).joined(separator: ", ")))"
    }
}
