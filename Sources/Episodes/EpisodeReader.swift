import Foundation
import RobotCore

/// Reads an episode folder, including one whose recorder was killed mid-step.
///
/// ```swift
/// let episode = try EpisodeReader(url: URL(fileURLWithPath: "episodes/20261129-115703-123-pick-up"))
/// print(episode.metadata.instruction, episode.stepCount)
/// for i in 0..<episode.stepCount {
///     let step = try episode.step(at: i)
///     let frame = try episode.frame(at: i)     // decoded, nil for steps without one
/// }
/// ```
///
/// Opening reads `meta.json`, `end.json` if present, and `steps.log`, checking every
/// record's CRCs. A partial or damaged last record, the mark of a crash, is dropped and
/// described in ``tornTails``; no repair tool is needed and nothing is written. Damage
/// followed by whole records is corruption and throws. Steps are decoded and frames read
/// (with `pread`) only when asked for.
///
/// - Complexity: Opening is O(size of `steps.log`); ``step(at:)`` and ``frame(at:)``
///   are O(1) in the episode's length.
public final class EpisodeReader: @unchecked Sendable {
    /// Whether an episode was finished, is being recorded, or stopped without `finish`.
    public enum Status: String, Sendable, Codable {
        /// `end.json` exists.
        case finished
        /// A writer holds the episode open right now.
        case recording
        /// No `end.json` and no writer: the recorder crashed or was killed.
        case unfinished
    }

    /// The episode folder.
    public let url: URL
    /// The contents of `meta.json`.
    public let metadata: EpisodeMetadata
    /// The contents of `end.json`, nil when the episode was not finished.
    public let end: EpisodeSummary?
    /// Whether the episode was finished, is still being recorded, or was cut short.
    public let status: Status
    /// What was dropped from the end of the files: a record cut off by a crash, or steps
    /// whose frame never reached the disk. Empty for a clean episode (and for one being
    /// recorded, whose last record may be half-written at the moment it is read).
    public let tornTails: [TornTail]

    private let stepBytes: [UInt8]
    private let payloads: [Range<Int>]
    private let framesFile: SystemFile?
    private let framesSize: Int
    private let decoder = EpisodeJSON.decoder()

    /// The number of readable steps.
    public var stepCount: Int { payloads.count }

    /// Opens an episode folder.
    /// - Throws: ``EpisodeError/missingMetadata(file:)``, ``EpisodeError/invalidMetadata(file:reason:)``,
    ///   ``EpisodeError/unsupportedVersion(file:version:supported:)``, ``EpisodeError/missingFile(file:)``
    ///   for a missing `steps.log`, ``EpisodeError/badHeader(file:reason:)``, and
    ///   ``EpisodeError/corruptRecord(file:step:offset:reason:)`` for damage in the middle.
    public init(url: URL) throws {
        self.url = url
        let metaPath = url.appendingPathComponent(EpisodeFiles.metadata).path
        metadata = try Self.readMetadata(metaPath)
        let endPath = url.appendingPathComponent(EpisodeFiles.summary).path
        if FileManager.default.fileExists(atPath: endPath) {
            do {
                end = try EpisodeJSON.decoder().decode(EpisodeSummary.self, from: Data(contentsOf: URL(fileURLWithPath: endPath)))
            } catch {
                throw EpisodeError.invalidMetadata(file: endPath, reason: Self.reason(error))
            }
        } else {
            end = nil
        }

        let stepsPath = url.appendingPathComponent(EpisodeFiles.steps).path
        let steps: SystemFile
        do {
            steps = try SystemFile.open(stepsPath, O_RDONLY)
        } catch EpisodeError.system(_, _, ENOENT) {
            throw EpisodeError.missingFile(file: stepsPath)
        }
        defer { steps.close() }
        var recording = false
        if end == nil {
            if flock(steps.fd, LOCK_SH | LOCK_NB) == 0 {
                flock(steps.fd, LOCK_UN)
            } else if errno == EWOULDBLOCK {
                recording = true
            }
        }
        stepBytes = try steps.read(count: steps.size(), at: 0)
        let scan = try stepBytes.withUnsafeBytes { try RecordLog.scan($0, kind: .steps, file: stepsPath) }
        var tails: [TornTail] = []
        // While a writer has the episode open, a partial last record is one being
        // written, not a crash: it is left out without being reported.
        if let offset = scan.tornOffset, !recording {
            tails.append(TornTail(file: EpisodeFiles.steps, offset: offset, bytes: stepBytes.count - offset,
                                  droppedSteps: 1, reason: scan.tornReason ?? "incomplete record"))
        }

        let framesPath = url.appendingPathComponent(EpisodeFiles.frames).path
        if let frames = try? SystemFile.open(framesPath, O_RDONLY) {
            framesFile = frames
            framesSize = try frames.size()
        } else {
            framesFile = nil
            framesSize = 0
        }
        status = end != nil ? .finished : recording ? .recording : .unfinished

        // After a power cut (not a process crash) the last steps may have reached the disk
        // without their frames; drop such steps from the end of an unfinished episode.
        var payloads = scan.payloads
        var dropped = 0
        var firstDroppedFrame: FrameReference? = nil
        if end == nil, framesFile != nil {
            while let last = payloads.last,
                  let record = try? decoder.decode(StepRecord.self, from: Data(stepBytes[last])),
                  let ref = record.frame, !Self.frameIsWhole(ref, in: framesFile!, size: framesSize, checkPayload: true) {
                payloads.removeLast()
                dropped += 1
                firstDroppedFrame = ref
            }
        }
        if dropped > 0, let ref = firstDroppedFrame {
            tails.append(TornTail(file: EpisodeFiles.frames, offset: ref.offset, bytes: max(0, framesSize - ref.offset),
                                  droppedSteps: dropped, reason: "the last \(dropped) step(s) refer to frames that are not whole"))
        }
        self.payloads = payloads
        tornTails = tails
    }

    deinit { framesFile?.close() }

    /// Reads and checks `meta.json`.
    static func readMetadata(_ path: String) throws -> EpisodeMetadata {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw EpisodeError.missingMetadata(file: path)
        }
        struct Probe: Decodable { var format: String?; var version: Int? }
        let probe: Probe
        do {
            probe = try JSONDecoder().decode(Probe.self, from: data)
        } catch {
            throw EpisodeError.invalidMetadata(file: path, reason: reason(error))
        }
        guard probe.format == EpisodeMetadata.formatName, let version = probe.version else {
            throw EpisodeError.invalidMetadata(file: path, reason: "\"format\" is not \"\(EpisodeMetadata.formatName)\"")
        }
        guard version <= EpisodeMetadata.currentVersion else {
            throw EpisodeError.unsupportedVersion(file: path, version: version, supported: EpisodeMetadata.currentVersion)
        }
        do {
            return try EpisodeJSON.decoder().decode(EpisodeMetadata.self, from: data)
        } catch {
            throw EpisodeError.invalidMetadata(file: path, reason: reason(error))
        }
    }

    /// A decoding error in a sentence.
    static func reason(_ error: Error) -> String {
        switch error {
        case let DecodingError.keyNotFound(key, _): return "missing key \"\(key.stringValue)\""
        case let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context),
             let DecodingError.dataCorrupted(context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return (path.isEmpty ? "" : "\(path): ") + context.debugDescription
        default: return "\(error)"
        }
    }

    /// Whether the frame record `ref` points at is whole on disk.
    static func frameIsWhole(_ ref: FrameReference, in file: SystemFile, size: Int, checkPayload: Bool) -> Bool {
        let total = RecordLog.recordHeaderSize + ref.length
        guard ref.offset >= RecordLog.fileHeaderSize, ref.offset + total <= size,
              let bytes = try? file.read(count: checkPayload ? total : RecordLog.recordHeaderSize, at: ref.offset) else {
            return false
        }
        return bytes.withUnsafeBytes { raw in
            guard let header = RecordLog.header(in: raw, at: 0), header.length == ref.length else { return false }
            return !checkPayload || RecordLog.record(in: raw, at: 0) != nil
        }
    }

    /// The step at `index`.
    /// - Throws: ``EpisodeError/stepOutOfRange(episode:step:count:)``, or
    ///   ``EpisodeError/corruptRecord(file:step:offset:reason:)`` when a record with
    ///   good checksums does not hold a step (written by something else).
    public func step(at index: Int) throws -> EpisodeStep {
        guard index >= 0, index < payloads.count else {
            throw EpisodeError.stepOutOfRange(episode: url.path, step: index, count: payloads.count)
        }
        let range = payloads[index]
        let file = url.appendingPathComponent(EpisodeFiles.steps).path
        let offset = range.lowerBound - RecordLog.recordHeaderSize
        do {
            let record = try decoder.decode(StepRecord.self, from: Data(stepBytes[range]))
            guard record.index == index else {
                throw RecordProblem("the record says it is step \(record.index)")
            }
            return try record.step(metadata: metadata)
        } catch let error as RecordProblem {
            throw EpisodeError.corruptRecord(file: file, step: index, offset: offset, reason: error.description)
        } catch {
            throw EpisodeError.corruptRecord(file: file, step: index, offset: offset, reason: Self.reason(error))
        }
    }

    /// Every readable step, in order.
    public func steps() throws -> [EpisodeStep] {
        try (0..<stepCount).map { try step(at: $0) }
    }

    /// The stored (still encoded) frame of step `index`, nil when the step has none.
    /// - Throws: ``EpisodeError/missingFile(file:)`` when `frames.bin` is gone,
    ///   ``EpisodeError/missingFrame(file:step:offset:)`` when the record lies past its
    ///   end, ``EpisodeError/corruptFrame(file:step:offset:reason:)`` on a bad checksum.
    public func encodedFrame(at index: Int) throws -> EncodedFrame? {
        guard let ref = try step(at: index).frame else { return nil }
        let path = url.appendingPathComponent(EpisodeFiles.frames).path
        guard let framesFile else { throw EpisodeError.missingFile(file: path) }
        let total = RecordLog.recordHeaderSize + ref.length
        guard ref.offset >= RecordLog.fileHeaderSize, ref.offset + total <= framesSize else {
            throw EpisodeError.missingFrame(file: path, step: index, offset: ref.offset)
        }
        let bytes = try framesFile.read(count: total, at: ref.offset)
        return try bytes.withUnsafeBytes { raw -> EncodedFrame in
            guard let payload = RecordLog.record(in: raw, at: 0), payload.count == ref.length else {
                throw EpisodeError.corruptFrame(file: path, step: index, offset: ref.offset,
                                                reason: RecordLog.problem(in: raw, at: 0))
            }
            guard let frame = EncodedFrame(payload: UnsafeRawBufferPointer(rebasing: raw[payload])) else {
                throw EpisodeError.corruptFrame(file: path, step: index, offset: ref.offset, reason: "unknown frame header")
            }
            return frame
        }
    }

    /// The decoded frame of step `index`, nil when the step has none.
    /// - Throws: as ``encodedFrame(at:)``, and ``EpisodeError/corruptFrame(file:step:offset:reason:)``
    ///   when the image does not decode.
    public func frame(at index: Int) throws -> Frame? {
        guard let encoded = try encodedFrame(at: index) else { return nil }
        do {
            return Frame(image: try encoded.decode(), timestamp: encoded.timestamp, sequence: encoded.sequence)
        } catch {
            let offset = (try? step(at: index).frame?.offset) ?? nil
            throw EpisodeError.corruptFrame(file: url.appendingPathComponent(EpisodeFiles.frames).path, step: index,
                                            offset: offset ?? 0, reason: "\(error)")
        }
    }

    /// Decodes every step and reads every frame record, checking its CRC (without
    /// decoding the image), and returns every problem found; empty for a sound episode.
    ///
    /// Opening already checks the steps' checksums; this also catches damaged or
    /// missing frames, which are otherwise found only when read.
    public func verify() -> [EpisodeError] {
        var problems: [EpisodeError] = []
        for i in 0..<stepCount {
            do {
                _ = try encodedFrame(at: i)
            } catch let error as EpisodeError {
                problems.append(error)
                if case .missingFile = error { break }
            } catch {
                problems.append(.corruptFrame(file: url.appendingPathComponent(EpisodeFiles.frames).path, step: i,
                                              offset: 0, reason: "\(error)"))
            }
        }
        return problems
    }

    /// `end.json` when the episode was finished, else a summary computed from the steps
    /// (outcome nil).
    public func summary() throws -> EpisodeSummary {
        if let end { return end }
        let all = try steps()
        let duration = all.last.map { $0.timestamp.seconds(since: metadata.startTimestamp) } ?? 0
        return EpisodeSummary(steps: all.count, frames: all.filter { $0.frame != nil }.count, duration: max(0, duration),
                              outcome: nil, clampedSteps: all.filter { !$0.clamps.isEmpty }.count)
    }
}

/// Bytes at the end of an episode file that were dropped because a crash cut them off.
public struct TornTail: Sendable, Equatable, Codable, CustomStringConvertible {
    /// The file, relative to the episode folder (`steps.log` or `frames.bin`).
    public var file: String
    /// Where the dropped bytes start.
    public var offset: Int
    /// How many bytes were dropped.
    public var bytes: Int
    /// How many steps were lost (at most one for `steps.log`: the one being written).
    public var droppedSteps: Int
    /// Why the bytes are not a whole record.
    public var reason: String

    public var description: String {
        "\(file): \(bytes) bytes at offset \(offset) ignored (\(reason)) — a crash cut the recording; the steps before are intact"
    }
}
