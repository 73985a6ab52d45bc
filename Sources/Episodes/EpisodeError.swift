import Foundation

/// Why an episode could not be written or read.
///
/// Every case names the file (and the step, where there is one); ``description`` says
/// what happened and what to do about it. A torn last record left by a crash is *not*
/// an error: ``EpisodeReader`` drops it and reports it in ``EpisodeReader/tornTails``.
public enum EpisodeError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The folder has no `meta.json`: it is not an episode, or the recorder died before
    /// writing its first file.
    case missingMetadata(file: String)
    /// `meta.json` (or `end.json`) is not valid JSON of the expected shape.
    case invalidMetadata(file: String, reason: String)
    /// `meta.json` was written by a newer format version than this reader knows.
    case unsupportedVersion(file: String, version: Int, supported: Int)
    /// A file the episode needs is missing (`steps.log`, or `frames.bin` when steps
    /// refer to frames).
    case missingFile(file: String)
    /// A log file does not start with its header.
    case badHeader(file: String, reason: String)
    /// A record in the middle of a log is damaged: valid records follow it, so this is
    /// not a torn tail from a crash but corruption (disk error, editing, a bad copy).
    case corruptRecord(file: String, step: Int, offset: Int, reason: String)
    /// A step refers to a frame that is not in `frames.bin`.
    case missingFrame(file: String, step: Int, offset: Int)
    /// A step's frame record is damaged or cannot be decoded.
    case corruptFrame(file: String, step: Int, offset: Int, reason: String)
    /// A step index past the end.
    case stepOutOfRange(episode: String, step: Int, count: Int)
    /// A step's values do not match the names declared in `meta.json`.
    case namesMismatch(episode: String, field: String, expected: [String], actual: [String])
    /// A frame could not be encoded for writing.
    case frameEncodingFailed(episode: String, step: Int, reason: String)
    /// `append` or `finish` after `finish`, or after a write error left the episode closed.
    case writerClosed(episode: String)
    /// A system call failed.
    case system(file: String, operation: String, errno: Int32)

    public var description: String {
        switch self {
        case let .missingMetadata(file):
            return "\(file): missing — not an episode folder (or the recorder stopped before writing it)"
        case let .invalidMetadata(file, reason):
            return "\(file): not valid episode metadata — \(reason)"
        case let .unsupportedVersion(file, version, supported):
            return "\(file): episode format version \(version) is newer than this reader (\(supported)) — update SwiftVLA"
        case let .missingFile(file):
            return "\(file): missing — the episode is incomplete (copied partially?)"
        case let .badHeader(file, reason):
            return "\(file): bad header — \(reason)"
        case let .corruptRecord(file, step, offset, reason):
            return "\(file): step \(step) at byte \(offset) is corrupt (\(reason)) and valid records follow it — the file was damaged after writing; steps before \(step) are readable"
        case let .missingFrame(file, step, offset):
            return "\(file): the frame of step \(step) (byte \(offset)) is missing"
        case let .corruptFrame(file, step, offset, reason):
            return "\(file): the frame of step \(step) at byte \(offset) is corrupt — \(reason)"
        case let .stepOutOfRange(episode, step, count):
            return "\(episode): no step \(step) — the episode has \(count) steps"
        case let .namesMismatch(episode, field, expected, actual):
            return "\(episode): \(field) names \(actual) differ from those in meta.json \(expected)"
        case let .frameEncodingFailed(episode, step, reason):
            return "\(episode): cannot encode the frame of step \(step) — \(reason)"
        case let .writerClosed(episode):
            return "\(episode): the episode is finished or closed after an error; start a new one"
        case let .system(file, operation, code):
            let hint: String
            switch code {
            case ENOSPC: hint = " — the disk is full; the steps written so far are kept"
            case EACCES, EPERM: hint = " — permission denied"
            case ENOENT: hint = " — no such file or folder"
            case EROFS: hint = " — the file system is read-only"
            default: hint = ""
            }
            return "\(file): \(operation) failed: \(String(cString: strerror(code))) (errno \(code))\(hint)"
        }
    }
}
