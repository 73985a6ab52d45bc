import RobotCore

/// A state feature a policy asks for that the arm cannot provide.
public enum StateFeatureError: Error, Equatable, CustomStringConvertible {
    /// The name is not one SwiftVLA knows how to observe.
    case unknownFeature(String)
    /// A `tool.*` feature on an arm without a kinematic model.
    case noKinematics(feature: String, arm: String)
    /// A `<joint>.pos` feature naming a joint the arm does not have.
    case noSuchJoint(feature: String, joints: [String])

    public var description: String {
        switch self {
        case let .unknownFeature(name):
            return "the policy reads state feature '\(name)', which SwiftVLA cannot observe (known: tool.x, tool.y, tool.z, <joint>.pos)"
        case let .noKinematics(feature, arm):
            return "the policy reads '\(feature)', the tool point, but \(arm) has no kinematic model to compute it from the joints"
        case let .noSuchJoint(feature, joints):
            return "the policy reads '\(feature)', but the arm's joints are \(joints.joined(separator: ", "))"
        }
    }
}

/// The values of a policy's state features (``VLAPolicy/stateFeatures``), observed on an arm.
///
/// ```swift
/// let q = try servoArm.observe()
/// let state = try StateFeatures.values(policy.stateFeatures, joints: q, kinematics: servoArm.kinematics)
/// let out = try policy.predictAction(image: frame.image, instruction: said, state: state)
/// ```
public enum StateFeatures {
    /// The value of each feature for joint positions `joints`:
    /// - `tool.x`, `tool.y`, `tool.z`: the tool point in metres in the arm's base frame, by
    ///   the forward kinematics of `kinematics` (the same point end-effector actions move);
    /// - `<joint>.pos`: that joint's position (radians; a gripper's 0…1 opening).
    ///
    /// - Parameter armName: The arm, for messages.
    /// - Throws: ``StateFeatureError`` naming the feature.
    public static func values(_ features: [String], joints: JointPositions, kinematics: SerialChainKinematics?,
                              armName: String = "this arm") throws -> [Double] {
        var tool: [Double]?
        return try features.map { name in
            switch name {
            case "tool.x", "tool.y", "tool.z":
                guard let kinematics else { throw StateFeatureError.noKinematics(feature: name, arm: armName) }
                if tool == nil {
                    var angles: [Double] = []
                    for j in kinematics.joints {
                        guard let a = joints[j.name] else { throw StateFeatureError.noSuchJoint(feature: name, joints: joints.names) }
                        angles.append(a)
                    }
                    tool = kinematics.forward(angles).position
                }
                return tool![name == "tool.x" ? 0 : name == "tool.y" ? 1 : 2]
            case _ where name.hasSuffix(".pos"):
                let joint = String(name.dropLast(4))
                guard let v = joints[joint] else { throw StateFeatureError.noSuchJoint(feature: name, joints: joints.names) }
                return v
            default:
                throw StateFeatureError.unknownFeature(name)
            }
        }
    }
}
