/// One command for an arm, in the space the policy produced it in.
///
/// A VLA policy in the RT-2/OpenVLA convention produces a 7-vector per step:
/// an end-effector delta (x, y, z in metres; roll, pitch, yaw in radians) and a
/// gripper opening. Teleoperation and replay produce absolute joint targets instead.
/// Both are a named vector with a timestamp; `space` says how to read it.
public struct RobotAction: Sendable, Equatable, Codable, CustomStringConvertible {
    /// How the values of an action are to be read.
    public enum Space: String, Sendable, Codable {
        /// Absolute joint targets: radians per joint, the gripper as a 0...1 opening.
        case jointPositions
        /// A change of the end-effector pose in the arm's base frame plus an absolute
        /// gripper opening, named `x y z roll pitch yaw gripper` (metres, radians, 0...1).
        case endEffectorDelta
    }

    /// The names of the values of an `.endEffectorDelta` action, in order.
    public static let endEffectorDeltaNames = ["x", "y", "z", "roll", "pitch", "yaw", "gripper"]

    /// How to read `values`.
    public var space: Space
    /// Value names, e.g. joint names.
    public var names: [String]
    /// The values, in SI units (metres, radians) or 0...1 for a gripper.
    public var values: [Double]
    /// When the action was produced, on the monotonic clock.
    public var timestamp: Timestamp

    /// Creates an action; `names` and `values` must have the same count.
    public init(space: Space, names: [String], values: [Double], timestamp: Timestamp = .now()) {
        precondition(names.count == values.count,
                     "RobotAction: \(names.count) names but \(values.count) values")
        self.space = space
        self.names = names
        self.values = values
        self.timestamp = timestamp
    }

    /// An absolute joint-position action.
    public static func joints(_ q: JointPositions) -> RobotAction {
        RobotAction(space: .jointPositions, names: q.names, values: q.values, timestamp: q.timestamp)
    }

    /// An end-effector delta action (metres, radians) with an absolute gripper opening.
    public static func endEffectorDelta(dx: Double, dy: Double, dz: Double,
                                        droll: Double, dpitch: Double, dyaw: Double,
                                        gripper: Double, timestamp: Timestamp = .now()) -> RobotAction {
        RobotAction(space: .endEffectorDelta, names: endEffectorDeltaNames,
                    values: [dx, dy, dz, droll, dpitch, dyaw, gripper], timestamp: timestamp)
    }

    /// The joint targets of a `.jointPositions` action, `nil` for other spaces.
    public var jointPositions: JointPositions? {
        space == .jointPositions ? JointPositions(names: names, values: values, timestamp: timestamp) : nil
    }

    /// The value named `name`, if present.
    public subscript(name: String) -> Double? {
        names.firstIndex(of: name).map { values[$0] }
    }

    public var description: String {
        "\(space): " + zip(names, values).map { "\($0)=\(String(format: "%.4f", $1))" }.joined(separator: " ")
    }
}

/// What an arm actually sent for a requested action, after safety.
///
/// Safety is never silent: every limit that changed a value is listed in `clamps`.
public struct SentAction: Sendable, Equatable {
    /// The requested action.
    public var requested: RobotAction
    /// The joint targets that went to the servos.
    public var sent: JointPositions
    /// Every clamp applied, empty when the request went through unchanged.
    public var clamps: [JointClamp]

    /// Creates a record of a sent action.
    public init(requested: RobotAction, sent: JointPositions, clamps: [JointClamp]) {
        self.requested = requested
        self.sent = sent
        self.clamps = clamps
    }

    /// Whether safety changed anything.
    public var wasClamped: Bool { !clamps.isEmpty }
}
