import Foundation

/// The calibration of one joint, in LeRobot's format: the servo's homing offset and
/// the range of present positions (after the offset) the joint can reach.
///
/// Field names match LeRobot's calibration JSON (`id`, `drive_mode`, `homing_offset`,
/// `range_min`, `range_max`), so files written by `lerobot-calibrate` load unchanged.
public struct JointCalibration: Sendable, Equatable, Codable {
    /// Servo id.
    public var id: Int
    /// 1 if the joint's direction is inverted in software, 0 otherwise.
    public var driveMode: Int
    /// The value in the servo's `Homing_Offset` register.
    public var homingOffset: Int
    /// Lowest present position reached during calibration, in ticks.
    public var rangeMin: Int
    /// Highest present position reached during calibration, in ticks.
    public var rangeMax: Int

    enum CodingKeys: String, CodingKey {
        case id
        case driveMode = "drive_mode", homingOffset = "homing_offset"
        case rangeMin = "range_min", rangeMax = "range_max"
    }

    /// Creates a joint calibration.
    public init(id: Int, driveMode: Int = 0, homingOffset: Int, rangeMin: Int, rangeMax: Int) {
        self.id = id
        self.driveMode = driveMode
        self.homingOffset = homingOffset
        self.rangeMin = rangeMin
        self.rangeMax = rangeMax
    }

    /// The middle of the range: 0 rad for a revolute joint.
    public var middle: Double { Double(rangeMin + rangeMax) / 2 }
}

/// The calibration of a whole arm: one `JointCalibration` per joint name.
///
/// Stored as LeRobot-compatible JSON, one file per arm:
/// `~/.cache/swiftvla/calibration/<profile>/<arm id>.json`.
public struct ArmCalibration: Sendable, Equatable {
    /// Per-joint calibration by joint name.
    public var joints: [String: JointCalibration]

    /// Creates a calibration.
    public init(joints: [String: JointCalibration]) { self.joints = joints }

    /// Decodes LeRobot's calibration JSON (`{"shoulder_pan": {"id": 1, …}, …}`).
    public init(lerobotJSON data: Data) throws {
        joints = try JSONDecoder().decode([String: JointCalibration].self, from: data)
    }

    /// Loads a calibration file.
    public init(contentsOf path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CalibrationError.fileNotFound(path: path)
        }
        try self.init(lerobotJSON: data)
    }

    /// LeRobot-compatible JSON, keys sorted.
    public func jsonData() throws -> Data {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try e.encode(joints)
    }

    /// Writes the calibration atomically, creating directories as needed.
    public func save(to path: String) throws {
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try jsonData().write(to: url, options: .atomic)
    }

    /// Where SwiftVLA keeps the calibration of arm `armID` with profile `profile`.
    public static func defaultPath(profile: String, armID: String) -> String {
        let base = ProcessInfo.processInfo.environment["SWIFTVLA_CALIBRATION_DIR"]
            ?? (NSHomeDirectory() + "/.cache/swiftvla/calibration")
        return "\(base)/\(profile)/\(armID).json"
    }

    /// Where LeRobot keeps the calibration of a robot (`so101_follower`, `koch_leader`, …).
    public static func lerobotPath(robotType: String, armID: String, teleoperator: Bool) -> String {
        let base = ProcessInfo.processInfo.environment["HF_LEROBOT_CALIBRATION"]
            ?? (NSHomeDirectory() + "/.cache/huggingface/lerobot/calibration")
        return "\(base)/\(teleoperator ? "teleoperators" : "robots")/\(robotType)/\(armID).json"
    }

    /// A calibration that assumes each joint's `default_range` and no homing offset.
    public static func uncalibrated(_ profile: ArmProfile) -> ArmCalibration {
        ArmCalibration(joints: Dictionary(uniqueKeysWithValues: profile.joints.map {
            ($0.name, JointCalibration(id: Int($0.id), homingOffset: 0, rangeMin: $0.defaultRange[0], rangeMax: $0.defaultRange[1]))
        }))
    }

    /// Checks that the calibration covers the profile's joints with matching ids and
    /// encodable values.
    public func validate(for profile: ArmProfile) throws {
        for j in profile.joints {
            guard let c = joints[j.name] else { throw CalibrationError.missingJoint(j.name) }
            guard c.id == Int(j.id) else { throw CalibrationError.idMismatch(joint: j.name, calibration: c.id, profile: Int(j.id)) }
            guard c.rangeMin < c.rangeMax else { throw CalibrationError.emptyRange(joint: j.name) }
            if let spec = j.model.spec(.homingOffset), !spec.range.contains(c.homingOffset) {
                throw CalibrationError.offsetOutOfRange(joint: j.name, offset: c.homingOffset, range: spec.range)
            }
        }
    }
}

/// Homing-offset arithmetic that cannot overflow the register, however often one
/// recalibrates.
///
/// Other stacks compute the new offset from the *present* position, which already
/// includes the old offset, so offsets drift with each recalibration until they
/// overflow the sign-magnitude field (±2047 on Feetech STS). Here the new offset is
/// computed from the *actual* encoder position (present position with the current
/// offset undone, modulo one turn), so it depends only on where the shaft is, and is
/// then wrapped into the register's range.
public enum Homing {
    /// The encoder position with the homing offset undone, in 0..<resolution.
    public static func actualPosition(present: Int, currentOffset: Int, model: ServoModel) -> Int {
        let r = model.resolution
        let raw = model.protocolFamily == .feetech ? present + currentOffset : present - currentOffset
        return ((raw % r) + r) % r
    }

    /// The offset that makes the joint, now at `present` ticks with `currentOffset`
    /// applied, read `target` (default: half a turn, 2048).
    ///
    /// Feetech: `present = actual − offset`; Dynamixel: `present = actual + offset`.
    /// The result is always inside the `Homing_Offset` register's range; on Feetech STS,
    /// whose range is ±2047, the one position where exactly ±2048 would be needed
    /// reads one tick off the target.
    public static func offset(present: Int, currentOffset: Int, target: Int? = nil, model: ServoModel) -> Int {
        let r = model.resolution
        let t = target ?? r / 2
        let actual = actualPosition(present: present, currentOffset: currentOffset, model: model)
        var delta = model.protocolFamily == .feetech ? actual - t : t - actual
        if model.protocolFamily == .feetech {
            // Feetech positions wrap modulo one turn: wrap the offset into [-r/2, r/2).
            delta = ((delta + r / 2) % r + r) % r - r / 2
        }
        let range = model.spec(.homingOffset)?.range ?? (-(r / 2 - 1))...(r / 2 - 1)
        return min(max(delta, range.lowerBound), range.upperBound)
    }
}

/// Why a calibration is unusable.
public enum CalibrationError: Error, Equatable, CustomStringConvertible {
    case fileNotFound(path: String)
    case missingJoint(String)
    case idMismatch(joint: String, calibration: Int, profile: Int)
    case emptyRange(joint: String)
    case offsetOutOfRange(joint: String, offset: Int, range: ClosedRange<Int>)

    public var description: String {
        switch self {
        case .fileNotFound(let p): return "calibration file \(p) not found — run `vla arm calibrate`"
        case .missingJoint(let j): return "calibration has no entry for joint \(j)"
        case .idMismatch(let j, let c, let p): return "calibration of \(j) is for servo \(c), the profile has servo \(p)"
        case .emptyRange(let j): return "calibration of \(j): range_min must be below range_max — move every joint from end to end during the range sweep"
        case .offsetOutOfRange(let j, let o, let r): return "calibration of \(j): homing offset \(o) outside \(r)"
        }
    }
}
