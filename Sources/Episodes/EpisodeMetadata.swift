import Foundation
import RobotCore

/// What an episode is: the task, the model and the robot, written once to `meta.json`
/// before the first step.
///
/// ```swift
/// let meta = EpisodeMetadata(instruction: "pick up the red cube",
///                            actionSpace: .endEffectorDelta, actionNames: RobotAction.endEffectorDeltaNames,
///                            jointNames: arm.jointNames, model: "openvla-7b", armProfile: "so101")
/// ```
///
/// Step records store bare value arrays; the names that give them meaning are here
/// (`action_names`, `joint_names`), so every step must use these names in this order.
public struct EpisodeMetadata: Codable, Sendable, Equatable {
    /// The value of `format` in every `meta.json`.
    public static let formatName = "swiftvla-episode"
    /// The format version this library writes and the newest it reads.
    public static let currentVersion = 1

    /// The camera the frames came from.
    public struct CameraInfo: Codable, Sendable, Equatable {
        /// What the camera reads from, e.g. "/dev/video0" or "sim".
        public var name: String
        /// Frame width in pixels.
        public var width: Int?
        /// Frame height in pixels.
        public var height: Int?
        /// Frames per second asked of the camera.
        public var fps: Double?

        /// Creates a camera description.
        public init(name: String, width: Int? = nil, height: Int? = nil, fps: Double? = nil) {
            self.name = name
            self.width = width
            self.height = height
            self.fps = fps
        }
    }

    /// Always ``formatName``.
    public var format: String
    /// The format version the episode was written with.
    public var version: Int
    /// The episode folder's name; set by ``EpisodeWriter``.
    public var id: String
    /// The task in words, as given to the policy.
    public var instruction: String
    /// The model (a folder or a Hugging Face id), or nil for demonstrations.
    public var model: String?
    /// The arm profile, e.g. "so101".
    public var armProfile: String?
    /// The arm as named by its driver, e.g. "so101-follower on /dev/ttyACM0".
    public var arm: String?
    /// The camera.
    public var camera: CameraInfo?
    /// The control rate in steps per second.
    public var rate: Double?
    /// Wall-clock time when recording started (UTC).
    public var startTime: Date
    /// When recording started, on the clock the steps and frames are stamped with: the
    /// monotonic clock for real time, a simulation's clock for `--fast` runs.
    public var startTimestamp: Timestamp
    /// How to read the action values.
    public var actionSpace: RobotAction.Space
    /// The names of the action values, in order.
    public var actionNames: [String]
    /// The names of the joints (state and sent values), in order.
    public var jointNames: [String]
    /// How the frames are stored, or nil when the episode has none.
    public var frameEncoding: FrameEncoding?
    /// The safety limits in force.
    public var safetyLimits: SafetyLimits?
    /// Anything else worth keeping: "source": "expert", "seed": "7", "task_family": ...
    public var extra: [String: String]
    /// The program that wrote the episode.
    public var writer: String

    /// Creates metadata; the writer fills in `id` and the start times.
    public init(instruction: String, actionSpace: RobotAction.Space, actionNames: [String], jointNames: [String],
                model: String? = nil, armProfile: String? = nil, arm: String? = nil, camera: CameraInfo? = nil,
                rate: Double? = nil, frameEncoding: FrameEncoding? = .png, safetyLimits: SafetyLimits? = nil,
                extra: [String: String] = [:], startTime: Date = Date(), startTimestamp: Timestamp = .now()) {
        format = Self.formatName
        version = Self.currentVersion
        id = ""
        self.instruction = instruction
        self.model = model
        self.armProfile = armProfile
        self.arm = arm
        self.camera = camera
        self.rate = rate
        self.startTime = startTime
        self.startTimestamp = startTimestamp
        self.actionSpace = actionSpace
        self.actionNames = actionNames
        self.jointNames = jointNames
        self.frameEncoding = frameEncoding
        self.safetyLimits = safetyLimits
        self.extra = extra
        writer = "SwiftVLA"
    }

    enum CodingKeys: String, CodingKey {
        case format, version, id, instruction, model, arm, camera, rate, extra, writer
        case armProfile = "arm_profile"
        case startTime = "start_time"
        case startTimestamp = "start_timestamp"
        case actionSpace = "action_space"
        case actionNames = "action_names"
        case jointNames = "joint_names"
        case frameEncoding = "frame_encoding"
        case safetyLimits = "safety_limits"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        format = try c.decode(String.self, forKey: .format)
        version = try c.decode(Int.self, forKey: .version)
        id = try c.decodeIfPresent(String.self, forKey: .id) ?? ""
        instruction = try c.decodeIfPresent(String.self, forKey: .instruction) ?? ""
        model = try c.decodeIfPresent(String.self, forKey: .model)
        armProfile = try c.decodeIfPresent(String.self, forKey: .armProfile)
        arm = try c.decodeIfPresent(String.self, forKey: .arm)
        camera = try c.decodeIfPresent(CameraInfo.self, forKey: .camera)
        rate = try c.decodeIfPresent(Double.self, forKey: .rate)
        startTime = try c.decode(Date.self, forKey: .startTime)
        startTimestamp = Timestamp(seconds: try c.decode(Double.self, forKey: .startTimestamp))
        actionSpace = try c.decode(RobotAction.Space.self, forKey: .actionSpace)
        actionNames = try c.decode([String].self, forKey: .actionNames)
        jointNames = try c.decode([String].self, forKey: .jointNames)
        frameEncoding = try c.decodeIfPresent(FrameEncoding.self, forKey: .frameEncoding)
        safetyLimits = try c.decodeIfPresent(SafetyLimits.self, forKey: .safetyLimits)
        extra = try c.decodeIfPresent([String: String].self, forKey: .extra) ?? [:]
        writer = try c.decodeIfPresent(String.self, forKey: .writer) ?? ""
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(format, forKey: .format)
        try c.encode(version, forKey: .version)
        try c.encode(id, forKey: .id)
        try c.encode(instruction, forKey: .instruction)
        try c.encodeIfPresent(model, forKey: .model)
        try c.encodeIfPresent(armProfile, forKey: .armProfile)
        try c.encodeIfPresent(arm, forKey: .arm)
        try c.encodeIfPresent(camera, forKey: .camera)
        try c.encodeIfPresent(rate, forKey: .rate)
        try c.encode(startTime, forKey: .startTime)
        try c.encode(startTimestamp.seconds, forKey: .startTimestamp)
        try c.encode(actionSpace, forKey: .actionSpace)
        try c.encode(actionNames, forKey: .actionNames)
        try c.encode(jointNames, forKey: .jointNames)
        try c.encodeIfPresent(frameEncoding, forKey: .frameEncoding)
        try c.encodeIfPresent(safetyLimits, forKey: .safetyLimits)
        try c.encode(extra, forKey: .extra)
        try c.encode(writer, forKey: .writer)
    }
}

/// How an episode ended, as written to `end.json`.
///
/// A string in the file, so readers accept outcomes added later.
public struct EpisodeOutcome: RawRepresentable, Hashable, Codable, Sendable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    /// The task's success condition was met.
    public static let success = EpisodeOutcome(rawValue: "success")
    /// The policy emitted its terminate action.
    public static let terminated = EpisodeOutcome(rawValue: "terminated")
    /// The step limit was reached first.
    public static let maxSteps = EpisodeOutcome(rawValue: "max_steps")
    /// A person stopped it (Ctrl-C), or the writer was released without `finish`.
    public static let interrupted = EpisodeOutcome(rawValue: "interrupted")
    /// An error ended it; the summary's `message` says which.
    public static let error = EpisodeOutcome(rawValue: "error")

    public init(from decoder: Decoder) throws { rawValue = try decoder.singleValueContainer().decode(String.self) }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(rawValue)
    }
    public var description: String { rawValue }
}

/// The summary of a finished episode (`end.json`), or one computed from the steps of an
/// episode that never finished.
public struct EpisodeSummary: Codable, Sendable, Equatable {
    /// Steps recorded.
    public var steps: Int
    /// Frames recorded.
    public var frames: Int
    /// Seconds from the start of recording (`start_timestamp`) to the last step, on the
    /// clock the steps are stamped with (a simulation's clock for `--fast` runs).
    public var duration: Double
    /// How it ended; nil when the episode was not finished (a crash, or still recording).
    public var outcome: EpisodeOutcome?
    /// Details, e.g. the error that ended it.
    public var message: String?
    /// Steps in which safety changed the requested action.
    public var clampedSteps: Int
    /// Wall-clock time of `finish` (UTC); nil when not finished.
    public var endTime: Date?

    /// Creates a summary.
    public init(steps: Int, frames: Int, duration: Double, outcome: EpisodeOutcome?, message: String? = nil,
                clampedSteps: Int = 0, endTime: Date? = nil) {
        self.steps = steps
        self.frames = frames
        self.duration = duration
        self.outcome = outcome
        self.message = message
        self.clampedSteps = clampedSteps
        self.endTime = endTime
    }

    enum CodingKeys: String, CodingKey {
        case steps, frames, duration, outcome, message
        case clampedSteps = "clamped_steps"
        case endTime = "end_time"
    }
}

/// The JSON coders every episode file uses: ISO 8601 dates, sorted keys, and NaN or
/// infinite numbers as the strings "NaN", "Infinity", "-Infinity" (a policy can
/// request a NaN action; safety replaces it, and the record keeps what was asked).
enum EpisodeJSON {
    static func encoder(pretty: Bool = false) -> JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        e.dateEncodingStrategy = .iso8601
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return e
    }

    static func decoder() -> JSONDecoder {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .iso8601
        d.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return d
    }
}
