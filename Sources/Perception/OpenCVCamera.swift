import Foundation
import OpenCVBridge
import RobotCore

/// A ``Camera`` backed by OpenCV: a V4L2 device, a video file, a folder of images or a
/// stream, captured on a background thread that keeps only the newest frame.
///
/// ```swift
/// let camera = OpenCVCamera(CameraConfiguration(source: .index(0), width: 640, height: 480, fps: 30))
/// try camera.open()             // throws CameraError naming the device and the fix
/// defer { camera.close() }
/// let frame = try camera.latestFrame(newerThan: nil, timeout: 1)
/// ```
///
/// How it behaves:
/// - ``open()`` checks the device first, so a missing node, a permission problem, a busy
///   device or a UVC metadata node each get their own ``CameraError``; then it sets
///   format, size and rate in that order, reads back what was granted (``format``; any
///   difference in ``notes``; a different size throws ``CameraError/unsupportedSize(device:requested:granted:)``),
///   discards ``CameraConfiguration/warmupFrames`` (devices and streams), and reads the
///   first frame before returning, so a source that opens but delivers nothing fails here.
/// - The capture thread writes into one of three reusable buffers while readers borrow
///   the newest; a frame nobody took before the next arrived counts as dropped. Each
///   frame gets the monotonic time it arrived and the next sequence number.
/// - A device that stops delivering ends capture with ``CameraError/disconnected(device:reason:)``
///   once readers have the last frame; ``open()`` reopens it. A file ends with
///   ``CameraError/endOfStream(source:frames:)``, or ``CameraError/truncated(file:framesRead:framesExpected:)``
///   when fewer frames decoded than its header promises.
public final class OpenCVCamera: Camera, @unchecked Sendable {
    /// How the camera was configured.
    public let configuration: CameraConfiguration
    private let makeSource: (CameraConfiguration) throws -> FrameSource
    private let lock = NSLock()
    private var session: CaptureSession?
    private var opens: UInt64 = 0
    /// The sequence number the next session starts at, so numbers keep increasing across reopens.
    private var nextSequence: UInt64 = 0
    private var grantedFormat: CameraFormat?
    private var negotiationNotes: [String] = []

    /// Creates a closed camera; ``open()`` connects.
    public init(_ configuration: CameraConfiguration) {
        self.configuration = configuration
        makeSource = OpenCVCamera.defaultSource
    }

    /// Creates a closed camera from a specification such as "0", "/dev/video2", "clip.avi"
    /// or "frames/" (see ``CameraSource/init(spec:)``), with default settings.
    public convenience init(spec: String) throws {
        self.init(CameraConfiguration(source: try CameraSource(spec: spec)))
    }

    /// A camera over any ``FrameSource``: the simulator's renderer, a recorded episode, or
    /// a scripted source in tests. `source` is called on every ``open()``; the
    /// configuration's `source` names the camera in errors (e.g. `.stream("sim://tabletop")`).
    public init(_ configuration: CameraConfiguration, source: @escaping (CameraConfiguration) throws -> FrameSource) {
        self.configuration = configuration
        makeSource = source
    }

    deinit { session?.stop() }

    public var name: String { configuration.source.description }

    /// What the source granted at the last ``open()``.
    public var format: CameraFormat? { lock.withLock { grantedFormat } }

    /// Where the granted format differs from the configuration (e.g. "asked for 60 fps, the
    /// driver grants 30 fps at 640x480"), from the last ``open()``.
    public var notes: [String] { lock.withLock { negotiationNotes } }

    public var isOpen: Bool { lock.withLock { session?.isRunning ?? false } }

    public var statistics: CameraStatistics {
        var statistics = lock.withLock { session }?.statistics ?? CameraStatistics()
        statistics.reopens = lock.withLock { opens > 0 ? opens - 1 : 0 }
        return statistics
    }

    public func open() throws {
        close()
        try configuration.validate()
        let source = try makeSource(configuration)
        let session = try CaptureSession(name: name, configuration: configuration, source: source,
                                         firstSequence: lock.withLock { nextSequence })
        lock.withLock {
            self.session = session
            opens += 1
            grantedFormat = session.format
            negotiationNotes = source.notes
        }
        session.start()
    }

    public func close() {
        let session = lock.withLock { () -> CaptureSession? in
            defer { self.session = nil }
            return self.session
        }
        guard let session else { return }
        session.stop()
        lock.withLock { nextSequence = max(nextSequence, session.nextSequenceNumber) }
    }

    public func withLatestFrame<Result>(newerThan sequence: UInt64?, timeout: Double,
                                        _ body: (FrameView) throws -> Result) throws -> Result {
        guard let session = lock.withLock({ session }) else { throw CameraError.notOpen(device: name) }
        return try session.withLatestFrame(newerThan: sequence, timeout: timeout, body)
    }

    // MARK: Opening

    static func defaultSource(_ configuration: CameraConfiguration) throws -> FrameSource {
        if case let .imageFolder(path) = configuration.source {
            return try ImageFolderSource(path: path, fps: configuration.fps)
        }
        if configuration.source.isDevice { try checkDevice(configuration.source) }
        return try OpenCVCaptureSource(configuration: configuration)
    }

    /// What ``checkDevice(_:query:)`` needs to know about a device node.
    struct DeviceStatus {
        var name: String
        var canCapture: Bool
        var busy: Bool
    }

    /// Queries a device node with `VIDIOC_QUERYCAP` (through the bridge).
    static func queryDevice(_ path: String) throws -> DeviceStatus {
        var info = OpenCVBridge_DeviceInfo()
        try bridgeCall { OpenCVBridge_DeviceQuery(path, &info, $0) }
        return DeviceStatus(name: fixedString(&info.card), canCapture: info.canCapture != 0, busy: info.busy != 0)
    }

    /// Asks the kernel about a device node before OpenCV tries it, because OpenCV only
    /// says "can't open" whatever the reason. `query` is replaceable so tests can play
    /// every errno without hardware.
    static func checkDevice(_ source: CameraSource, query: (String) throws -> DeviceStatus = queryDevice) throws {
        let path = source.description
        let directory = (path as NSString).deletingLastPathComponent
        guard FileManager.default.fileExists(atPath: path) else {
            // Name what exists where the user looked (for /dev/v4l/by-id/... that is /dev).
            let deviceDirectory = directory.hasPrefix("/dev/v4l") ? "/dev" : directory
            let available = VideoDevices.capture(deviceDirectory: deviceDirectory).map { device -> String in
                ([device.label] + device.stableLinks.filter { $0.contains("by-id") }).joined(separator: " = ")
            }
            throw CameraError.deviceNotFound(device: path, available: available)
        }
        let status: DeviceStatus
        do {
            status = try query(path)
        } catch let error as OpenCVError {
            switch error.systemErrno {
            case EACCES, EPERM: throw CameraError.permissionDenied(device: path)
            case EBUSY: throw CameraError.deviceBusy(device: path)
            case ENOENT, ENODEV, ENXIO: throw CameraError.disconnected(device: path, reason: "the device node vanished")
            default: throw CameraError.openFailed(device: path, reason: error.message)
            }
        }
        if !status.canCapture { throw CameraError.notACaptureDevice(device: path, name: status.name) }
        if status.busy { throw CameraError.deviceBusy(device: path) }
    }
}

/// One open period of a camera: the source, the capture thread and the frame slots.
final class CaptureSession: @unchecked Sendable {
    let name: String
    let configuration: CameraConfiguration
    let source: FrameSource
    private(set) var format: CameraFormat

    // Everything below is guarded by `condition`.
    private let condition = NSCondition()
    /// Frame slots: the capture thread writes `writeIndex`, readers borrow `latestIndex`.
    private var slots: [PixelBuffer] = [PixelBuffer(), PixelBuffer(), PixelBuffer()]
    private var borrows = [0, 0, 0]
    private var writeIndex = 0
    private var latestIndex: Int?
    private var latestTaken = false
    private var nextSequence: UInt64 = 0
    private var stopRequested = false
    private var finished = false
    private var failure: CameraError?
    private var stats = CameraStatistics()
    private var threadStarted = false
    private let exited = DispatchSemaphore(value: 0)

    /// Capture-thread state.
    private let rotationScratch = PixelBuffer()
    private var framesThisPass: UInt64 = 0
    private var paceOrigin = Timestamp.now()
    private var paceFirst: UInt64 = 0
    private let paceInterval: Double?

    /// Warms up and reads the first frame synchronously, so open() reports a source that
    /// delivers nothing (or the wrong size).
    init(name: String, configuration: CameraConfiguration, source: FrameSource, firstSequence: UInt64 = 0) throws {
        self.name = name
        nextSequence = firstSequence
        self.configuration = configuration
        self.source = source
        format = source.format
        let rate = configuration.fps ?? (source.format.fps > 0 ? source.format.fps : 30)
        paceInterval = source.isFinite && configuration.paced ? 1 / rate : nil
        if source.isFinite && configuration.paced { format.fps = rate }
        do {
            if !source.isFinite {
                for _ in 0..<configuration.warmupFrames where try !source.read(into: FrameSink(buffer: slots[0])) {
                    throw source.endError(framesRead: 0)
                }
            }
            guard try capture(into: slots[0]) else {
                throw source.isFinite
                    ? CameraError.openFailed(device: name, reason: "no frame could be decoded")
                    : CameraError.openFailed(device: name, reason: "opened, but delivered no frame")
            }
            format.size = PixelSize(width: slots[0].width, height: slots[0].height)
            if let size = configuration.requestedSize, size != format.size {
                throw CameraError.unsupportedSize(device: name, requested: size, granted: format.size)
            }
        } catch let error as CameraError {
            source.close()
            throw error
        } catch {
            source.close()
            throw CameraError.openFailed(device: name, reason: "\(error)")
        }
        paceOrigin = slots[0].timestamp
        paceFirst = firstSequence
        condition.withLock { publish() }
    }

    func start() {
        condition.withLock { threadStarted = true }
        let thread = Thread { [self] in run() }
        thread.name = "camera \(name)"
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// Asks the thread to stop and waits up to two seconds for it (a driver can block a
    /// read for longer; then the thread releases the source when the read returns).
    func stop() {
        let started = condition.withLock { () -> Bool in
            stopRequested = true
            condition.broadcast()
            return threadStarted
        }
        if started {
            _ = exited.wait(timeout: .now() + 2)
        } else {
            source.close()
        }
    }

    var isRunning: Bool { condition.withLock { (failure == nil && !finished && !stopRequested) || hasUnreadFrame } }

    private var hasUnreadFrame: Bool { latestIndex != nil && !latestTaken }

    var statistics: CameraStatistics { condition.withLock { stats } }

    /// The number the next frame would get.
    var nextSequenceNumber: UInt64 { condition.withLock { nextSequence } }

    func withLatestFrame<Result>(newerThan sequence: UInt64?, timeout: Double,
                                 _ body: (FrameView) throws -> Result) throws -> Result {
        condition.lock()
        // At most a day: an infinite timeout would overflow the wait's timespec.
        let deadline = Date(timeIntervalSinceNow: timeout.isNaN ? 0 : min(max(timeout, 0), 86_400))
        func fresh() -> Int? {
            guard let index = latestIndex else { return nil }
            if let sequence, slots[index].sequence <= sequence { return nil }
            return index
        }
        var found = fresh()
        while found == nil {
            if let failure { condition.unlock(); throw failure }
            if stopRequested || finished { condition.unlock(); throw CameraError.notOpen(device: name) }
            let signalled = condition.wait(until: deadline)
            found = fresh()
            if !signalled && found == nil {
                if let failure { condition.unlock(); throw failure }
                condition.unlock()
                throw CameraError.timeout(device: name, seconds: timeout)
            }
        }
        let index = found!
        borrows[index] += 1
        if !latestTaken {
            latestTaken = true
            stats.framesDelivered += 1
        }
        let view = slots[index].view
        condition.unlock()
        defer { condition.withLock { borrows[index] -= 1 } }
        return try body(view)
    }

    // MARK: Capture thread

    private func run() {
        defer {
            source.close()
            condition.withLock {
                finished = true
                condition.broadcast()
            }
            exited.signal()
        }
        var emptyPasses = 0
        while true {
            let slot: PixelBuffer? = condition.withLock { stopRequested ? nil : slots[writeIndex] }
            guard let slot else { return }
            do {
                if try capture(into: slot) {
                    emptyPasses = 0
                    if let interval = paceInterval {
                        waitUntil(paceOrigin.seconds + Double(nextSequence - paceFirst) * interval)
                        slot.timestamp = .now()
                    }
                    let stop = condition.withLock { () -> Bool in
                        if !stopRequested { publish() }
                        return stopRequested
                    }
                    if stop { return }
                } else if configuration.loop && source.isFinite && framesThisPass > 0 && emptyPasses == 0 {
                    try source.rewind()
                    framesThisPass = 0
                    emptyPasses += 1
                    condition.withLock { stats.loops += 1 }
                } else {
                    finish(with: source.endError(framesRead: framesThisPass))
                    return
                }
            } catch let error as CameraError {
                finish(with: error)
                return
            } catch {
                let reason = (error as? OpenCVError)?.message ?? "\(error)"
                finish(with: source.isFinite
                       ? CameraError.openFailed(device: name, reason: reason)
                       : CameraError.disconnected(device: name, reason: reason))
                return
            }
        }
    }

    /// Reads one frame into `slot` (the source stamps it when it arrived) and applies
    /// colour order and rotation.
    private func capture(into slot: PixelBuffer) throws -> Bool {
        slot.timestamp = .now()
        guard try source.read(into: FrameSink(buffer: slot)) else { return false }
        framesThisPass += 1
        if slot.format != .gray && slot.format != configuration.colorOrder {
            // In place: swaps red and blue of every pixel.
            try bridgeCall { OpenCVBridge_ConvertColor(slot.storage, slot.storage, Int32(slot.width), Int32(slot.height), OpenCVBridge_SwapRedBlue, $0) }
            slot.format = configuration.colorOrder
        }
        let turns = configuration.rotation.rawValue
        if turns != 0 {
            let odd = turns % 2 == 1
            rotationScratch.reserve(slot.count)
            try bridgeCall {
                OpenCVBridge_Rotate(slot.storage, rotationScratch.storage, Int32(slot.width), Int32(slot.height),
                                    Int32(slot.format.channels), Int32(turns), $0)
            }
            rotationScratch.width = odd ? slot.height : slot.width
            rotationScratch.height = odd ? slot.width : slot.height
            rotationScratch.format = slot.format
            slot.swapContents(with: rotationScratch)
        }
        return true
    }

    /// Makes the slot at `writeIndex` the latest frame and picks a free slot to write next.
    /// Call with `condition` locked.
    private func publish() {
        let slot = slots[writeIndex]
        slot.sequence = nextSequence
        nextSequence += 1
        if hasUnreadFrame { stats.framesDropped += 1 }
        latestIndex = writeIndex
        latestTaken = false
        stats.framesCaptured += 1
        stats.lastFrameTime = slot.timestamp
        if let free = slots.indices.first(where: { $0 != latestIndex && borrows[$0] == 0 }) {
            writeIndex = free
        } else {
            // Several readers hold older frames: add a slot rather than wait for them.
            slots.append(PixelBuffer(capacity: slot.capacity))
            borrows.append(0)
            writeIndex = slots.count - 1
        }
        condition.broadcast()
    }

    private func finish(with error: CameraError) {
        condition.withLock {
            failure = error
            condition.broadcast()
        }
    }

    /// Sleeps until `seconds` on the monotonic clock, waking early when asked to stop.
    private func waitUntil(_ seconds: Double) {
        condition.lock()
        defer { condition.unlock() }
        while !stopRequested {
            let remaining = seconds - Timestamp.now().seconds
            if remaining <= 0 { return }
            _ = condition.wait(until: Date(timeIntervalSinceNow: remaining))
        }
    }
}
