import Foundation
import RobotCore

/// A ``Camera`` that renders the simulated table: every request for a newer frame
/// renders the scene as it is at that moment into ordinary BGR pixels, stamped with the
/// simulation's clock and numbered like a real camera's frames.
///
/// It renders on demand instead of on a capture thread, so a control loop always gets
/// the freshest state, runs as fast as it likes on a ``SimulationClock``, and the same
/// state always gives the same pixels. The frame buffer is reused: a loop that borrows
/// frames with ``withLatestFrame(newerThan:timeout:_:)`` allocates no image per step.
///
/// ```swift
/// let camera = SimulatedCamera(clock: clock) { world.scene }
/// try camera.open()
/// let frame = try camera.latestFrame()      // 224x224 BGR, frame.sequence == 0
/// ```
public final class SimulatedCamera: Camera, @unchecked Sendable {
    /// "sim:tabletop" unless named otherwise.
    public let name: String
    /// How the scene is drawn and from where.
    public let renderer: TabletopRenderer

    private let clock: Clock
    private let scene: @Sendable () -> TabletopScene
    private let lock = NSLock()
    private var canvas: Image
    private var nextSequence: UInt64 = 0
    private var isOpenFlag = false
    private var stats = CameraStatistics()
    private var opens = 0

    /// Creates a camera over a scene.
    /// - Parameters:
    ///   - name: What ``name`` reports.
    ///   - size: The frame size in pixels (224x224 by default, a VLA model's input size).
    ///   - clock: Stamps the frames.
    ///   - scene: Returns the scene to render; called once per frame.
    public convenience init(name: String = "sim:tabletop", size: PixelSize = PixelSize(width: 224, height: 224),
                            clock: Clock, scene: @escaping @Sendable () -> TabletopScene) {
        self.init(name: name, renderer: TabletopRenderer(camera: .facingTheArm(size: size)), clock: clock, scene: scene)
    }

    /// Creates a camera with a given renderer (camera pose, field of view, size, format).
    public init(name: String = "sim:tabletop", renderer: TabletopRenderer, clock: Clock,
                scene: @escaping @Sendable () -> TabletopScene) {
        self.name = name
        self.renderer = renderer
        self.clock = clock
        self.scene = scene
        self.canvas = Image(width: renderer.camera.size.width, height: renderer.camera.size.height, format: renderer.format)
    }

    /// The frame size in pixels.
    public var size: PixelSize { renderer.camera.size }

    public var isOpen: Bool { lock.withLock { isOpenFlag } }

    /// Starts delivering frames; sequence numbers continue across reopens.
    public func open() throws {
        lock.withLock {
            if opens > 0 { stats = CameraStatistics(); stats.reopens = UInt64(opens) }
            opens += 1
            isOpenFlag = true
        }
    }

    public func close() { lock.withLock { isOpenFlag = false } }

    /// Renders the present scene and calls `body` with it; the frame is always newer
    /// than `sequence`, so this never waits and never times out.
    /// - Throws: ``CameraError/notOpen(device:)`` before ``open()``, or what `body` throws.
    public func withLatestFrame<Result>(newerThan sequence: UInt64?, timeout: Double,
                                        _ body: (FrameView) throws -> Result) throws -> Result {
        lock.lock()
        defer { lock.unlock() }
        guard isOpenFlag else { throw CameraError.notOpen(device: name) }
        if let sequence, sequence >= nextSequence { nextSequence = sequence + 1 }
        renderer.render(scene(), into: &canvas)
        let number = nextSequence
        nextSequence += 1
        let time = clock.now()
        stats.framesCaptured += 1
        stats.framesDelivered += 1
        stats.lastFrameTime = time
        return try canvas.pixels.withUnsafeBufferPointer { pixels in
            try body(FrameView(width: canvas.width, height: canvas.height, format: canvas.format, pixels: pixels,
                               timestamp: time, sequence: number))
        }
    }

    public var statistics: CameraStatistics { lock.withLock { stats } }
}
