import Foundation

/// A problem with a policy's dataset statistics or their selection.
public enum ActionStatisticsError: Error, Equatable, CustomStringConvertible {
    /// The statistics are missing or malformed.
    case invalid(file: String, detail: String)
    /// Several datasets are available and no key was given.
    case keyRequired(available: [String])
    /// The key names no dataset.
    case unknownKey(String, available: [String])

    public var description: String {
        switch self {
        case let .invalid(file, detail): return "\(file): invalid dataset statistics: \(detail)"
        case let .keyRequired(available):
            return "the model was trained on several datasets; choose the statistics for un-normalising actions with --unnorm-key (one of: \(available.joined(separator: ", ")))"
        case let .unknownKey(key, available):
            return "unnorm key '\(key)' is not in the model's statistics; available: \(available.joined(separator: ", "))"
        }
    }
}

/// Per-dimension action statistics of one training dataset, in OpenVLA's format.
///
/// OpenVLA normalises each action dimension from [q01, q99] to [-1, 1] for training and
/// inverts that at inference, except where `mask` is false (the gripper), which is used
/// as predicted: `mask ? 0.5 · (a + 1) · (q99 − q01) + q01 : a`.
public struct ActionStatistics: Sendable, Equatable, Codable {
    /// The 1st percentile per dimension.
    public var q01: [Double]
    /// The 99th percentile per dimension.
    public var q99: [Double]
    /// Which dimensions are un-normalised (all when absent).
    public var mask: [Bool]

    /// The number of action dimensions.
    public var dimension: Int { q01.count }

    /// Creates statistics; `mask` defaults to every dimension.
    public init(q01: [Double], q99: [Double], mask: [Bool]? = nil) {
        precondition(q01.count == q99.count, "ActionStatistics: q01 and q99 differ in length")
        self.q01 = q01
        self.q99 = q99
        self.mask = mask ?? Array(repeating: true, count: q01.count)
    }

    /// Maps normalised actions in [-1, 1] to the dataset's units.
    public func unnormalize(_ normalized: [Double]) -> [Double] {
        precondition(normalized.count == dimension, "unnormalize: \(normalized.count) values for \(dimension) dimensions")
        var out = normalized
        for i in 0..<dimension where mask[i] {
            let high = q99[i], low = q01[i]
            // predict_action: 0.5 * (normalized + 1) * (high - low) + low, in float64
            out[i] = 0.5 * (normalized[i] + 1) * (high - low) + low
        }
        return out
    }

    /// Maps actions in the dataset's units to [-1, 1] (clipped), the inverse of ``unnormalize(_:)``.
    public func normalize(_ actions: [Double]) -> [Double] {
        precondition(actions.count == dimension, "normalize: \(actions.count) values for \(dimension) dimensions")
        return (0..<dimension).map { i in
            guard mask[i] else { return actions[i] }
            let range = q99[i] - q01[i]
            let v = range == 0 ? 0 : 2 * (actions[i] - q01[i]) / range - 1
            return Swift.min(Swift.max(v, -1), 1)
        }
    }
}

/// The statistics of every dataset a policy was trained on, keyed by dataset name
/// (OpenVLA's `norm_stats`: `{dataset: {"action": {"q01", "q99", "mask", …}, "proprio": {…}}}`).
public struct DatasetStatistics: Sendable, Equatable {
    /// Action statistics by dataset name.
    public var actions: [String: ActionStatistics]
    /// Proprioception statistics by dataset name, for the datasets whose `"proprio"` entry
    /// has `q01` and `q99` (they bin the state tokens of a policy with `state_features`).
    public var proprio: [String: ActionStatistics]

    /// Creates the table.
    public init(actions: [String: ActionStatistics], proprio: [String: ActionStatistics] = [:]) {
        self.actions = actions
        self.proprio = proprio
    }

    /// The dataset names, sorted.
    public var keys: [String] { actions.keys.sorted() }

    /// Reads a `norm_stats` object (from config.json or dataset_statistics.json).
    public init(json: [String: Any], file: String) throws {
        var out: [String: ActionStatistics] = [:]
        var proprio: [String: ActionStatistics] = [:]
        for (key, value) in json {
            guard let dataset = value as? [String: Any], let action = dataset["action"] as? [String: Any] else {
                throw ActionStatisticsError.invalid(file: file, detail: "'\(key)' has no \"action\" object")
            }
            func numbers(_ field: String, of part: String = "action", in object: [String: Any]? = nil) throws -> [Double] {
                guard let list = (object ?? action)[field] as? [Any] else {
                    throw ActionStatisticsError.invalid(file: file, detail: "'\(key).\(part).\(field)' is missing")
                }
                return try list.map {
                    guard let n = $0 as? NSNumber else {
                        throw ActionStatisticsError.invalid(file: file, detail: "'\(key).\(part).\(field)' holds a non-number")
                    }
                    return n.doubleValue
                }
            }
            if let p = dataset["proprio"] as? [String: Any], p["q01"] != nil || p["q99"] != nil {
                let low = try numbers("q01", of: "proprio", in: p), high = try numbers("q99", of: "proprio", in: p)
                guard low.count == high.count, !low.isEmpty else {
                    throw ActionStatisticsError.invalid(file: file, detail: "'\(key).proprio' has q01 of \(low.count) and q99 of \(high.count) values")
                }
                proprio[key] = ActionStatistics(q01: low, q99: high)
            }
            let q01 = try numbers("q01"), q99 = try numbers("q99")
            guard q01.count == q99.count, !q01.isEmpty else {
                throw ActionStatisticsError.invalid(file: file, detail: "'\(key).action' has q01 of \(q01.count) and q99 of \(q99.count) values")
            }
            var mask: [Bool]?
            if let m = action["mask"] as? [Any] {
                mask = m.map { ($0 as? Bool) ?? (($0 as? NSNumber)?.boolValue ?? true) }
                guard mask!.count == q01.count else {
                    throw ActionStatisticsError.invalid(file: file, detail: "'\(key).action.mask' has \(mask!.count) values for \(q01.count) dimensions")
                }
            }
            out[key] = ActionStatistics(q01: q01, q99: q99, mask: mask)
        }
        guard !out.isEmpty else { throw ActionStatisticsError.invalid(file: file, detail: "no datasets") }
        self.actions = out
        self.proprio = proprio
    }

    /// The statistics for `key`, or the only dataset's when `key` is nil (as OpenVLA's `_check_unnorm_key`).
    /// - Throws: ``ActionStatisticsError`` listing the available keys.
    public func statistics(for key: String?) throws -> (key: String, statistics: ActionStatistics) {
        guard let key else {
            guard actions.count == 1, let only = actions.first else { throw ActionStatisticsError.keyRequired(available: keys) }
            return (only.key, only.value)
        }
        guard let s = actions[key] else { throw ActionStatisticsError.unknownKey(key, available: keys) }
        return (key, s)
    }
}
