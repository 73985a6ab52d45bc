/// Positions of an arm's joints at one instant, in SI units, by joint name.
///
/// Revolute joints are in radians, measured from the calibrated zero and positive in
/// the direction the arm profile names; a gripper is a 0...1 opening (0 closed, 1 open).
/// Servo ticks never appear here: they live only inside the Actuation module.
///
/// ```swift
/// var q = JointPositions(names: ["shoulder_pan", "gripper"], values: [0.1, 0.5])
/// q["shoulder_pan"] = 0.2
/// ```
public struct JointPositions: Sendable, Equatable, Codable, CustomStringConvertible {
    /// Joint names, in the arm's order.
    public var names: [String]
    /// One value per name: radians, or a 0...1 opening for a gripper.
    public var values: [Double]
    /// When the positions were read or commanded, on the monotonic clock.
    public var timestamp: Timestamp

    /// Creates joint positions; `names` and `values` must have the same count.
    public init(names: [String], values: [Double], timestamp: Timestamp = .now()) {
        precondition(names.count == values.count,
                     "JointPositions: \(names.count) names but \(values.count) values")
        self.names = names
        self.values = values
        self.timestamp = timestamp
    }

    /// Number of joints.
    public var count: Int { names.count }

    /// The value of joint `name`, or `nil` if the arm has no such joint.
    public subscript(name: String) -> Double? {
        get { names.firstIndex(of: name).map { values[$0] } }
        set {
            guard let i = names.firstIndex(of: name) else {
                precondition(newValue == nil, "JointPositions: no joint named \(name)")
                return
            }
            if let v = newValue { values[i] = v }
        }
    }

    /// The positions as a name → value dictionary.
    public var dictionary: [String: Double] {
        Dictionary(uniqueKeysWithValues: zip(names, values))
    }

    public var description: String {
        zip(names, values).map { "\($0)=\(String(format: "%.4f", $1))" }.joined(separator: " ")
    }
}
