import Foundation
import RobotCore

/// Records an episode so that a crash at any moment keeps every completed step.
///
/// ```swift
/// let writer = try EpisodeWriter(in: URL(fileURLWithPath: "episodes"), metadata: meta)
/// print("recording to", writer.url.path)
/// for _ in 0..<100 {
///     let frame = try camera.latestFrame(newerThan: last)
///     ...
///     try writer.append(EpisodeStep(observation: q, sent: sent), frame: frame)
/// }
/// try writer.finish(outcome: .success)
/// ```
///
/// The folder and `meta.json` exist (atomically) before `init` returns. Each `append`
/// writes the frame record to `frames.bin`, then the step record to `steps.log`, each in
/// one `write` call; a step record is written only after its frame, so a step found on
/// disk always has its frame. Neither file is ever rewritten.
///
/// Durability: a process crash (SIGKILL, a panic) loses nothing that `append` returned
/// from, since the data is in the kernel's page cache. A power cut or kernel crash can
/// lose what was not yet flushed; ``SyncPolicy`` bounds that window (by default one
/// second) by calling `fdatasync` on `frames.bin` then `steps.log` (in that order, so a
/// durable step's frame is durable too). `finish` flushes both and writes `end.json`.
///
/// Not for concurrent use from several threads (calls are serialised by a lock, but
/// step order would be arbitrary). While the writer is open it holds a `flock` on
/// `steps.log`, so readers can tell an episode being recorded from a crashed one.
public final class EpisodeWriter: @unchecked Sendable {
    /// When the writer forces its data to the disk.
    public enum SyncPolicy: Sendable, Equatable {
        /// Only at `finish`: a power cut can lose the whole episode, a crash loses nothing.
        case never
        /// After every step: nothing acknowledged is lost even on power loss, at the
        /// cost of one or two `fdatasync`s per step.
        case everyStep
        /// After every `n` steps.
        case steps(Int)
        /// When at least this many seconds have passed since the last flush.
        case interval(Double)
    }

    /// How frames are stored and when data is flushed.
    public struct Options: Sendable {
        /// PNG compression 0 (fastest) to 9 (smallest); OpenCV's default is 1.
        public var pngCompression: Int = 1
        /// JPEG quality 0-100.
        public var jpegQuality: Int = 90
        /// When to `fdatasync`.
        public var sync: SyncPolicy = .interval(1.0)
        /// Whether flushes due by `sync` run on a background queue, so the control loop
        /// never waits for the disk (`finish` and ``EpisodeWriter/sync()`` always wait).
        public var syncInBackground: Bool = true
        /// A codec to use instead of the one for `metadata.frameEncoding`.
        public var codec: FrameCodec? = nil
        /// The episode folder's name; nil for `<yyyyMMdd-HHmmss-SSS>-<instruction>`.
        public var name: String? = nil

        public init(sync: SyncPolicy = .interval(1.0), syncInBackground: Bool = true, pngCompression: Int = 1,
                    jpegQuality: Int = 90, codec: FrameCodec? = nil, name: String? = nil) {
            self.sync = sync
            self.syncInBackground = syncInBackground
            self.pngCompression = pngCompression
            self.jpegQuality = jpegQuality
            self.codec = codec
            self.name = name
        }
    }

    /// Time spent flushing, for measuring the cost of a sync policy.
    public struct SyncStatistics: Sendable, Equatable {
        /// Flushes done (each is one `fdatasync` per file).
        public var count = 0
        /// Seconds spent in them in total.
        public var seconds = 0.0
        /// The longest one, in seconds.
        public var maxSeconds = 0.0
    }

    /// The episode folder.
    public let url: URL
    /// What was written to `meta.json`, with `id` set to the folder name.
    public let metadata: EpisodeMetadata
    /// Steps appended so far.
    public var stepCount: Int { lock.withLock { steps } }
    /// Flushes so far and their cost.
    public var syncStatistics: SyncStatistics { syncState.withLock { $0.statistics } }

    private let options: Options
    private let codec: FrameCodec?
    private let encoder = EpisodeJSON.encoder()
    private let lock = NSLock()
    private var stepsFile: SystemFile?
    private var framesFile: SystemFile?
    private var stepsSize = RecordLog.fileHeaderSize
    private var framesSize = RecordLog.fileHeaderSize
    private var steps = 0
    private var frames = 0
    private var clampedSteps = 0
    /// The timestamp of the last step written (the summary's duration ends there).
    private var lastTimestamp: Timestamp?
    private var unsynced = 0
    private var lastSync = Timestamp.now()
    /// Made on the first background flush (so a writer that never flushes in the
    /// background never touches libdispatch).
    private var syncQueue: DispatchQueue?
    private let syncState = SyncState()
    private var summary: EpisodeSummary?

    /// Creates a new episode folder in `parent` and writes its `meta.json`, `steps.log`
    /// and (when the metadata names a frame encoding) `frames.bin`.
    /// - Parameters:
    ///   - parent: The folder that holds episodes; created if missing.
    ///   - metadata: The episode's description; its `id` is replaced by the folder name.
    ///   - options: Frame codec settings, the sync policy, and the folder name.
    /// - Throws: ``EpisodeError/system(file:operation:errno:)`` when the folder or files
    ///   cannot be created.
    public init(in parent: URL, metadata: EpisodeMetadata, options: Options = Options()) throws {
        self.options = options
        if let codec = options.codec {
            self.codec = codec
        } else {
            codec = metadata.frameEncoding.map {
                frameCodec(for: $0, pngCompression: options.pngCompression, jpegQuality: options.jpegQuality)
            }
        }
        // A failure here shows up as the errno of the mkdir below.
        try? FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
        let base = options.name ?? Self.folderName(start: metadata.startTime, instruction: metadata.instruction)
        var name = base
        var attempt = 1
        while Glibc.mkdir(parent.appendingPathComponent(name).path, 0o755) != 0 {
            guard errno == EEXIST, attempt < 1000 else {
                throw EpisodeError.system(file: parent.appendingPathComponent(name).path, operation: "mkdir", errno: errno)
            }
            attempt += 1
            name = "\(base)-\(attempt)"
        }
        url = parent.appendingPathComponent(name)
        var meta = metadata
        meta.id = name
        if options.codec != nil { meta.frameEncoding = codec?.encoding }
        self.metadata = meta

        let metaBytes = Array(try EpisodeJSON.encoder(pretty: true).encode(meta)) + [0x0A]
        try SystemFile.writeAtomically(metaBytes, to: url.appendingPathComponent(EpisodeFiles.metadata).path)
        let steps = try SystemFile.open(url.appendingPathComponent(EpisodeFiles.steps).path,
                                        O_WRONLY | O_CREAT | O_EXCL | O_APPEND)
        stepsFile = steps
        _ = flock(steps.fd, LOCK_EX | LOCK_NB)
        try RecordLog.fileHeader(.steps).withUnsafeBytes { try steps.writeAll($0) }
        if codec != nil {
            let frames = try SystemFile.open(url.appendingPathComponent(EpisodeFiles.frames).path,
                                             O_WRONLY | O_CREAT | O_EXCL | O_APPEND)
            framesFile = frames
            try RecordLog.fileHeader(.frames).withUnsafeBytes { try frames.writeAll($0) }
            try frames.syncData()
        }
        try steps.syncData()
        try SystemFile.syncDirectory(of: url.appendingPathComponent(EpisodeFiles.steps).path)
    }

    deinit {
        if summary == nil, stepsFile != nil {
            _ = try? finish(outcome: .interrupted, message: "the recorder released the episode without finishing it")
        }
        stepsFile?.close()
        framesFile?.close()
    }

    /// Appends one step, with the frame the step acted on.
    ///
    /// The step's `index` and `frame` are set here. When this returns, the step survives
    /// a crash of the process; see ``SyncPolicy`` for power loss.
    /// - Returns: The step as recorded (with its index and frame reference).
    /// - Throws: ``EpisodeError/namesMismatch(episode:field:expected:actual:)`` when the
    ///   step's names differ from the metadata's; ``EpisodeError/frameEncodingFailed(episode:step:reason:)``;
    ///   ``EpisodeError/system(file:operation:errno:)`` on a write error (the partial
    ///   record is cut off again, so the files stay readable); ``EpisodeError/writerClosed(episode:)``.
    @discardableResult
    public func append(_ step: EpisodeStep, frame: Frame? = nil) throws -> EpisodeStep {
        guard let frame else { return try append(step, encodedFrame: nil) }
        return try frame.image.pixels.withUnsafeBufferPointer {
            try append(step, frame: FrameView(width: frame.image.width, height: frame.image.height, format: frame.image.format,
                                              pixels: $0, timestamp: frame.timestamp, sequence: frame.sequence))
        }
    }

    /// Appends one step with a frame borrowed from a camera (no copy of the pixels
    /// before encoding); see the `Frame` overload.
    @discardableResult
    public func append(_ step: EpisodeStep, frame: FrameView) throws -> EpisodeStep {
        guard let codec else { return try append(step, encodedFrame: nil) }
        let bytes: [UInt8]
        do {
            bytes = try codec.encode(frame.pixels, width: frame.width, height: frame.height, format: frame.format)
        } catch {
            throw EpisodeError.frameEncodingFailed(episode: url.path, step: stepCount, reason: "\(error)")
        }
        let payload = EncodedFrame.payload(encoding: codec.encoding, width: frame.width, height: frame.height,
                                           format: frame.format, sequence: frame.sequence, timestamp: frame.timestamp,
                                           bytes: bytes)
        return try append(step, encodedFrame: payload)
    }

    private func append(_ step: EpisodeStep, encodedFrame: [UInt8]?) throws -> EpisodeStep {
        try lock.withLock {
            guard summary == nil, let stepsFile else { throw EpisodeError.writerClosed(episode: url.path) }
            if let error = syncState.withLock({ $0.takeError() }) { throw error }
            var step = step
            step.index = steps
            step.frame = nil
            // The frame goes where the file ends now; the step record is made (and its
            // names checked) before anything is written, so a refused step leaves no
            // orphan frame.
            if let encodedFrame, framesFile != nil {
                step.frame = FrameReference(offset: framesSize, length: encodedFrame.count)
            }
            let json: Data
            do {
                json = try encoder.encode(try StepRecord(step, metadata: metadata))
            } catch let error as EpisodeError {
                throw error
            } catch {
                throw EpisodeError.frameEncodingFailed(episode: url.path, step: steps, reason: "step record: \(error)")
            }
            let framesBefore = framesSize
            if let encodedFrame, let framesFile {
                try write(RecordLog.record(encodedFrame), to: framesFile, size: &framesSize)
            }
            do {
                try write(RecordLog.record(Array(json)), to: stepsFile, size: &stepsSize)
            } catch {
                // Drop the frame too (an orphan frame would be harmless, but is waste).
                if framesSize != framesBefore, let framesFile, (try? framesFile.truncate(to: framesBefore)) != nil {
                    framesSize = framesBefore
                }
                throw error
            }
            if step.frame != nil { frames += 1 }
            steps += 1
            lastTimestamp = step.timestamp
            if !step.clamps.isEmpty { clampedSteps += 1 }
            unsynced += 1
            if shouldSync() {
                if options.syncInBackground { scheduleSync() } else { try syncLocked() }
            }
            return step
        }
    }

    /// Writes one whole record; on failure cuts the file back to its last whole record,
    /// and closes the writer if even that fails (so no record can follow a torn one).
    private func write(_ record: [UInt8], to file: SystemFile, size: inout Int) throws {
        do {
            try record.withUnsafeBytes { try file.writeAll($0) }
            size += record.count
        } catch {
            if (try? file.truncate(to: size)) == nil { closeFiles() }
            throw error
        }
    }

    private func shouldSync() -> Bool {
        switch options.sync {
        case .never: return false
        case .everyStep: return true
        case let .steps(n): return unsynced >= max(n, 1)
        case let .interval(seconds): return Timestamp.now().seconds(since: lastSync) >= seconds
        }
    }

    /// Flushes `frames.bin` then `steps.log` to the disk now, and waits.
    public func sync() throws {
        try lock.withLock {
            guard summary == nil, stepsFile != nil else { throw EpisodeError.writerClosed(episode: url.path) }
            try syncLocked()
        }
    }

    /// Flushes on the calling thread, after any background flush in flight.
    private func syncLocked() throws {
        syncQueue?.sync {}
        if let error = syncState.withLock({ $0.takeError() }) { throw error }
        let (frames, steps) = (framesFile, stepsFile)
        try syncState.measure(keepingError: false) { try frames?.syncData(); try steps?.syncData() }
        lastSync = Timestamp.now()
        unsynced = 0
    }

    /// Starts a flush on the sync queue unless one is still running (then the next
    /// due step tries again). The block holds only the two descriptors and the shared
    /// state, never `self`, and every close waits for the queue to drain first.
    private func scheduleSync() {
        guard syncState.withLock({ state in
            if state.inFlight { return false }
            state.inFlight = true
            return true
        }) else { return }
        lastSync = Timestamp.now()
        unsynced = 0
        let (frames, steps, state) = (framesFile, stepsFile, syncState)
        let queue = syncQueue ?? DispatchQueue(label: "swiftvla.episode-writer.sync")
        syncQueue = queue
        queue.async {
            try? state.measure(keepingError: true) { try frames?.syncData(); try steps?.syncData() }
            state.withLock { $0.inFlight = false }
        }
    }

    /// Flushes everything, writes `end.json` and closes the files.
    /// - Parameters:
    ///   - outcome: How the episode ended.
    ///   - message: Details, e.g. the error that ended it.
    /// - Returns: The summary written to `end.json`.
    /// - Throws: ``EpisodeError/writerClosed(episode:)`` when already finished, or a
    ///   system error (the steps stay readable; only `end.json` may be missing).
    @discardableResult
    public func finish(outcome: EpisodeOutcome, message: String? = nil) throws -> EpisodeSummary {
        try lock.withLock {
            guard summary == nil, stepsFile != nil else { throw EpisodeError.writerClosed(episode: url.path) }
            try syncLocked()
            let result = EpisodeSummary(steps: steps, frames: frames,
                                        duration: max(0, lastTimestamp?.seconds(since: metadata.startTimestamp) ?? 0),
                                        outcome: outcome, message: message, clampedSteps: clampedSteps, endTime: Date())
            let bytes = Array(try EpisodeJSON.encoder(pretty: true).encode(result)) + [0x0A]
            try SystemFile.writeAtomically(bytes, to: url.appendingPathComponent(EpisodeFiles.summary).path)
            summary = result
            closeFiles()
            return result
        }
    }

    private func closeFiles() {
        syncQueue?.sync {}    // no background flush may use a descriptor after close
        framesFile?.close()
        framesFile = nil
        stepsFile?.close()    // also releases the flock
        stepsFile = nil
    }

    /// `20261129-115703-123-pick-up-the-red-cube`: sortable by time, readable by task.
    static func folderName(start: Date, instruction: String) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd-HHmmss-SSS"
        var slug = ""
        for c in instruction.lowercased().unicodeScalars {
            if c.isASCII, CharacterSet.alphanumerics.contains(c) {
                slug.unicodeScalars.append(c)
            } else if !slug.isEmpty, slug.last != "-" {
                slug += "-"
            }
            if slug.count >= 40 { break }
        }
        while slug.hasSuffix("-") { slug.removeLast() }
        let stamp = formatter.string(from: start)
        return slug.isEmpty ? stamp : "\(stamp)-\(slug)"
    }
}

/// Flush statistics and the first flush error, shared with the background sync queue.
private final class SyncState: @unchecked Sendable {
    private let lock = NSLock()
    var statistics = EpisodeWriter.SyncStatistics()
    var inFlight = false
    var error: EpisodeError?

    func withLock<T>(_ body: (SyncState) -> T) -> T { lock.withLock { body(self) } }

    /// The first flush error, cleared.
    func takeError() -> EpisodeError? {
        defer { error = nil }
        return error
    }

    /// Runs one flush and times it. Its error is thrown, or kept for the writer to
    /// report on the next call when `keepingError` (a background flush).
    func measure(keepingError: Bool, _ body: () throws -> Void) throws {
        let start = Timestamp.now()
        var failure: Error?
        do { try body() } catch { failure = error }
        let seconds = Timestamp.now().seconds(since: start)
        withLock { state in
            state.statistics.count += 1
            state.statistics.seconds += seconds
            state.statistics.maxSeconds = max(state.statistics.maxSeconds, seconds)
            if keepingError, let failure, state.error == nil {
                state.error = failure as? EpisodeError ?? .system(file: "episode", operation: "fdatasync", errno: EIO)
            }
        }
        if !keepingError, let failure { throw failure }
    }
}

/// The names of the files in an episode folder.
public enum EpisodeFiles {
    /// The metadata, written first and atomically.
    public static let metadata = "meta.json"
    /// The step log.
    public static let steps = "steps.log"
    /// The frame log.
    public static let frames = "frames.bin"
    /// The summary, written atomically by `finish`.
    public static let summary = "end.json"
}
