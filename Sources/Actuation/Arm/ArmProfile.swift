import Foundation
import RobotCore

/// A description of one arm model as data: its bus, servos, joints, directions and
/// limits, loaded from `Hardware/arms/<name>.json`.
///
/// Profiles ship for `so101-follower`, `so101-leader`, `koch-follower` and
/// `koch-leader`. JSON keys are snake_case:
///
/// ```json
/// { "name": "so101-follower", "protocol": "feetech", "baud_rate": 1000000,
///   "role": "follower", "safe_state": "torque_off", "watchdog_timeout": 0.5,
///   "joints": [ { "name": "shoulder_pan", "id": 1, "model": "sts3215", "kind": "revolute",
///                 "direction": 1, "lower": -1.91986, "upper": 1.91986, "max_step": 0.2,
///                 "default_range": [1024, 3072] }, … ] }
/// ```
public struct ArmProfile: Sendable, Equatable, Codable {
    /// Whether an arm is driven (follower) or read by hand (leader, torque off).
    public enum Role: String, Sendable, Codable { case follower, leader }

    /// One joint of the arm and the servo that drives it.
    public struct Joint: Sendable, Equatable, Codable {
        /// What the joint's value means at the API.
        public enum Kind: String, Sendable, Codable {
            /// Radians from the calibrated middle of the joint's range.
            case revolute
            /// A 0...1 opening over the calibrated range.
            case gripper
        }
        /// Joint name (LeRobot's names: `shoulder_pan`, …, `gripper`).
        public var name: String
        /// Servo id on the bus.
        public var id: UInt8
        /// Servo model.
        public var model: ServoModel
        /// Revolute or gripper.
        public var kind: Kind
        /// +1 if increasing ticks is the positive joint direction, −1 otherwise.
        public var direction: Int
        /// Lower limit: radians, or 0...1 opening for a gripper.
        public var lower: Double
        /// Upper limit.
        public var upper: Double
        /// Largest change per command (radians, or opening fraction); `nil` for none.
        public var maxStep: Double?
        /// The tick range assumed before the arm is calibrated.
        public var defaultRange: [Int]
        /// `Operating_Mode` to configure, if not the default position mode
        /// (e.g. 5, current-based position, for Koch grippers).
        public var operatingMode: Int?

        enum CodingKeys: String, CodingKey {
            case name, id, model, kind, direction, lower, upper
            case maxStep = "max_step", defaultRange = "default_range", operatingMode = "operating_mode"
        }
    }

    /// Profile name, e.g. `so101-follower`.
    public var name: String
    /// One-line description.
    public var description: String
    /// Wire protocol.
    public var protocolFamily: ServoProtocolFamily
    /// Bus speed.
    public var baudRate: Int
    /// Follower (driven) or leader (read).
    public var role: Role
    /// What happens on watchdog, error, signal and exit.
    public var safeState: SafetyLimits.SafeState
    /// Seconds without a command before the watchdog acts; `nil` disables it.
    public var watchdogTimeout: Double?
    /// Joints in order.
    public var joints: [Joint]

    enum CodingKeys: String, CodingKey {
        case name, description, role, joints
        case protocolFamily = "protocol", baudRate = "baud_rate", safeState = "safe_state"
        case watchdogTimeout = "watchdog_timeout"
    }

    /// Checks the profile for mistakes a JSON decoder cannot see.
    public func validate() throws {
        func fail(_ why: String) -> ArmProfileError { .invalid(name: name, reason: why) }
        guard !joints.isEmpty else { throw fail("no joints") }
        guard Set(joints.map(\.id)).count == joints.count else { throw fail("duplicate servo ids") }
        guard Set(joints.map(\.name)).count == joints.count else { throw fail("duplicate joint names") }
        for j in joints {
            guard j.model.protocolFamily == protocolFamily else { throw fail("\(j.name): \(j.model.rawValue) does not speak \(protocolFamily)") }
            guard j.direction == 1 || j.direction == -1 else { throw fail("\(j.name): direction must be 1 or -1") }
            guard j.lower < j.upper else { throw fail("\(j.name): lower limit must be below upper") }
            guard j.defaultRange.count == 2, j.defaultRange[0] < j.defaultRange[1] else { throw fail("\(j.name): default_range must be [min, max]") }
            if j.kind == .gripper { guard j.lower >= 0 && j.upper <= 1 else { throw fail("\(j.name): gripper limits must lie in 0...1") } }
        }
        for j in joints where j.model.baudRateCode(baudRate) == nil {
            throw fail("baud rate \(baudRate) not supported by \(j.model.rawValue)")
        }
    }

    /// The motors for a `MotorBus`.
    public var motors: [MotorBus.Motor] { joints.map { MotorBus.Motor(name: $0.name, id: $0.id, model: $0.model) } }

    // MARK: Loading

    /// The names of the profiles that ship with SwiftVLA.
    public static let builtInNames = ["so101-follower", "so101-leader", "koch-follower", "koch-leader"]

    /// Decodes a profile from JSON and validates it.
    public static func decode(_ data: Data) throws -> ArmProfile {
        let p = try JSONDecoder().decode(ArmProfile.self, from: data)
        try p.validate()
        return p
    }

    /// Loads a profile by name (searching `hardwareDirectories()`) or by file path.
    /// - Throws: `ArmProfileError.notFound` listing where it looked and the known names.
    public static func load(_ nameOrPath: String) throws -> ArmProfile {
        let fm = FileManager.default
        if nameOrPath.hasSuffix(".json") || nameOrPath.contains("/") {
            guard let data = fm.contents(atPath: nameOrPath) else {
                throw ArmProfileError.notFound(name: nameOrPath, searched: [nameOrPath])
            }
            return try decode(data)
        }
        var searched: [String] = []
        for dir in hardwareDirectories() {
            let path = dir + "/arms/" + nameOrPath + ".json"
            searched.append(path)
            if let data = fm.contents(atPath: path) { return try decode(data) }
        }
        throw ArmProfileError.notFound(name: nameOrPath, searched: searched)
    }

    /// Where `Hardware/` is looked for: `$SWIFTVLA_HARDWARE`, `./Hardware`, and the
    /// package's own `Hardware/` (found from this source file's location at build time).
    public static func hardwareDirectories() -> [String] {
        var dirs: [String] = []
        if let env = ProcessInfo.processInfo.environment["SWIFTVLA_HARDWARE"] { dirs.append(env) }
        dirs.append(FileManager.default.currentDirectoryPath + "/Hardware")
        let source = URL(fileURLWithPath: #filePath)   // …/Sources/Actuation/Arm/ArmProfile.swift
        dirs.append(source.deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Hardware").path)
        return dirs
    }
}

/// Why an arm profile could not be loaded.
public enum ArmProfileError: Error, Equatable, CustomStringConvertible {
    /// No file for the name.
    case notFound(name: String, searched: [String])
    /// The file decodes but makes no sense.
    case invalid(name: String, reason: String)

    public var description: String {
        switch self {
        case .notFound(let n, let searched):
            return "arm profile \(n) not found (looked in \(searched.joined(separator: ", "))); "
                + "built-in profiles: \(ArmProfile.builtInNames.joined(separator: ", "))"
        case .invalid(let n, let reason):
            return "arm profile \(n): \(reason)"
        }
    }
}
