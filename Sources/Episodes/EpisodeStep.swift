import Foundation
import RobotCore

/// One step of an episode: what the robot saw and felt, what the policy asked for, what
/// safety let through, and how long it took.
///
/// Build one per control step and hand it to ``EpisodeWriter/append(_:frame:)`` with the
/// frame the policy acted on:
///
/// ```swift
/// let sent = try arm.send(action)
/// try writer.append(EpisodeStep(observation: q, sent: sent, tokens: tokens,
///                               timings: ["capture": 0.004, "forward": 0.210]),
///                   frame: frame)
/// ```
public struct EpisodeStep: Sendable, Equatable {
    /// The step's place in the episode, from 0; assigned by the writer.
    public var index: Int
    /// When the step began (the observation was taken), on the monotonic clock.
    public var timestamp: Timestamp
    /// The joint positions read before acting, named as `meta.json`'s `joint_names`.
    public var observation: JointPositions?
    /// The action requested (by the policy, the expert or the leader arm), named as
    /// `meta.json`'s `action_names`.
    public var action: RobotAction?
    /// The joint targets that went to the arm after safety.
    public var sent: JointPositions?
    /// What safety changed, empty when nothing.
    public var clamps: [JointClamp]
    /// The policy's action tokens, when a token policy acted.
    public var tokens: [Int]?
    /// Stage latencies in seconds, e.g. "capture", "preprocess", "forward", "send".
    public var timings: [String: Double]
    /// Whether the episode's task ended at this step (success or terminate).
    public var done: Bool
    /// A reward, when the task defines one.
    public var reward: Double?
    /// Anything else about the step.
    public var info: [String: String]
    /// Where the step's frame is in `frames.bin`; set by the writer, nil without a frame.
    public var frame: FrameReference?

    /// Creates a step; the writer sets `index` and `frame`.
    public init(timestamp: Timestamp = .now(), observation: JointPositions? = nil, action: RobotAction? = nil,
                sent: JointPositions? = nil, clamps: [JointClamp] = [], tokens: [Int]? = nil,
                timings: [String: Double] = [:], done: Bool = false, reward: Double? = nil,
                info: [String: String] = [:]) {
        index = 0
        self.timestamp = timestamp
        self.observation = observation
        self.action = action
        self.sent = sent
        self.clamps = clamps
        self.tokens = tokens
        self.timings = timings
        self.done = done
        self.reward = reward
        self.info = info
        frame = nil
    }

    /// Creates a step from what an ``Arm`` reported for an action: the request, the
    /// targets sent and the clamps.
    public init(timestamp: Timestamp = .now(), observation: JointPositions?, sent: SentAction,
                tokens: [Int]? = nil, timings: [String: Double] = [:], done: Bool = false,
                reward: Double? = nil, info: [String: String] = [:]) {
        self.init(timestamp: timestamp, observation: observation, action: sent.requested, sent: sent.sent,
                  clamps: sent.clamps, tokens: tokens, timings: timings, done: done, reward: reward, info: info)
    }
}

/// Where a frame is stored: its record's byte offset in `frames.bin` and the length of
/// the record's payload.
public struct FrameReference: Codable, Sendable, Equatable {
    /// The offset of the record header in `frames.bin`.
    public var offset: Int
    /// The payload length (frame header plus encoded bytes).
    public var length: Int

    public init(offset: Int, length: Int) {
        self.offset = offset
        self.length = length
    }
}

/// A step as stored in `steps.log`: one JSON object per record, value arrays named by
/// `meta.json`, optional keys left out.
struct StepRecord: Codable {
    var index: Int
    var time: Double
    var state: [Double]?
    var stateTime: Double?
    var action: [Double]?
    var actionTime: Double?
    var sent: [Double]?
    var sentTime: Double?
    var clamps: [JointClamp]?
    var tokens: [Int]?
    var timings: [String: Double]?
    var done: Bool?
    var reward: Double?
    var info: [String: String]?
    var frame: FrameReference?

    enum CodingKeys: String, CodingKey {
        case index, time, state, action, sent, clamps, tokens, timings, done, reward, info, frame
        case stateTime = "state_time"
        case actionTime = "action_time"
        case sentTime = "sent_time"
    }

    /// The record of `step`, checking its names against the metadata.
    init(_ step: EpisodeStep, metadata: EpisodeMetadata) throws {
        func check(_ field: String, _ expected: [String], _ actual: [String]) throws {
            guard expected == actual else {
                throw EpisodeError.namesMismatch(episode: metadata.id, field: field, expected: expected, actual: actual)
            }
        }
        index = step.index
        time = step.timestamp.seconds
        if let q = step.observation {
            try check("observation", metadata.jointNames, q.names)
            state = q.values
            stateTime = q.timestamp == step.timestamp ? nil : q.timestamp.seconds
        }
        if let a = step.action {
            try check("action", metadata.actionNames, a.names)
            action = a.values
            actionTime = a.timestamp.seconds
        }
        if let s = step.sent {
            try check("sent", metadata.jointNames, s.names)
            sent = s.values
            sentTime = s.timestamp.seconds
        }
        clamps = step.clamps.isEmpty ? nil : step.clamps
        tokens = step.tokens
        timings = step.timings.isEmpty ? nil : step.timings
        done = step.done ? true : nil
        reward = step.reward
        info = step.info.isEmpty ? nil : step.info
        frame = step.frame
    }

    /// The step, named by the metadata.
    /// - Throws: a reason when the arrays do not match the names.
    func step(metadata: EpisodeMetadata) throws -> EpisodeStep {
        func checked(_ field: String, _ values: [Double], _ names: [String]) throws -> [Double] {
            guard values.count == names.count else {
                throw RecordProblem("\(field) has \(values.count) values for \(names.count) names")
            }
            return values
        }
        let t = Timestamp(seconds: time)
        var s = EpisodeStep(timestamp: t)
        s.index = index
        if let state {
            s.observation = JointPositions(names: metadata.jointNames, values: try checked("state", state, metadata.jointNames),
                                           timestamp: stateTime.map(Timestamp.init(seconds:)) ?? t)
        }
        if let action {
            s.action = RobotAction(space: metadata.actionSpace, names: metadata.actionNames,
                                   values: try checked("action", action, metadata.actionNames),
                                   timestamp: actionTime.map(Timestamp.init(seconds:)) ?? t)
        }
        if let sent {
            s.sent = JointPositions(names: metadata.jointNames, values: try checked("sent", sent, metadata.jointNames),
                                    timestamp: sentTime.map(Timestamp.init(seconds:)) ?? t)
        }
        s.clamps = clamps ?? []
        s.tokens = tokens
        s.timings = timings ?? [:]
        s.done = done ?? false
        s.reward = reward
        s.info = info ?? [:]
        s.frame = frame
        return s
    }
}

/// Why a record's contents do not make a step.
struct RecordProblem: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
