import Foundation
import RobotCore
import Testing
@testable import Perception

@Suite("OpenCVCamera over files, folders and scripted sources", .serialized)
struct CameraTests {
    static let size = PixelSize(width: 64, height: 48)

    /// Reads frames until the camera reports the end; returns (frame index by colour, sequence, timestamp) and the final error.
    func drain(_ camera: OpenCVCamera, expectedCount: Int, limit: Int = 1000) -> ([(index: Int, sequence: UInt64, time: Timestamp)], Error?) {
        var seen: [(index: Int, sequence: UInt64, time: Timestamp)] = []
        var last: UInt64? = nil
        while seen.count < limit {
            do {
                let item = try camera.withLatestFrame(newerThan: last, timeout: 2) { view in
                    (SyntheticVideo.index(of: view.pixels, width: view.width, height: view.height, format: view.format,
                                          count: expectedCount), view.sequence, view.timestamp)
                }
                seen.append(item)
                last = item.1
            } catch {
                return (seen, error)
            }
        }
        return (seen, nil)
    }

    @Test func readsAVideoFileInOrderWithTimestamps() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let path = directory.file("clip.avi")
        try SyntheticVideo.writeAVI(path, count: 12, size: Self.size, fps: 200)
        let camera = OpenCVCamera(CameraConfiguration(source: .videoFile(path), colorOrder: .bgr))
        try camera.open()
        defer { camera.close() }
        #expect(camera.format?.size == Self.size)
        #expect(camera.format?.frameCount == 12)
        let (seen, end) = drain(camera, expectedCount: 12)
        // Each delivered frame is the file's frame number `sequence` (a busy machine may
        // drop some between reads; the last one is always delivered).
        #expect(seen.allSatisfy { $0.index == Int($0.sequence) })
        #expect(seen.last?.sequence == 11)
        #expect(zip(seen, seen.dropFirst()).allSatisfy { $0.sequence < $1.sequence && $0.time < $1.time })
        #expect(end as? CameraError == .endOfStream(source: path, frames: 12))
        #expect(camera.statistics.framesCaptured == 12)
    }

    @Test func deliversRGBWhenAsked() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let path = directory.file("clip.avi")
        try SyntheticVideo.writeAVI(path, count: 2, size: Self.size)
        let camera = OpenCVCamera(CameraConfiguration(source: .videoFile(path)))
        try camera.open()
        defer { camera.close() }
        let frame = try camera.latestFrame(newerThan: nil, timeout: 2)
        #expect(frame.image.format == .rgb)
        let i = 3 * (24 * 64 + 48), c = SyntheticVideo.color(of: 0)
        #expect(abs(Int(frame.image.pixels[i]) - Int(c.r)) <= 4)
        #expect(abs(Int(frame.image.pixels[i + 2]) - Int(c.b)) <= 4)
    }

    @Test func pacesAFileAtItsFrameRate() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let path = directory.file("clip.avi")
        try SyntheticVideo.writeAVI(path, count: 10, size: Self.size, fps: 25)
        let camera = OpenCVCamera(CameraConfiguration(source: .videoFile(path)))
        try camera.open()
        defer { camera.close() }
        #expect(camera.format?.fps == 25)
        let (seen, _) = drain(camera, expectedCount: 10)
        #expect(seen.count == 10)
        let span = seen.last!.time.seconds(since: seen.first!.time)
        // Never faster than the file's rate; the upper bounds only guard against a stall
        // (a loaded CI machine may be late by a scheduling quantum or two).
        #expect(span > 0.34 && span < 1.5, "9 intervals at 25 fps are 0.36 s, took \(span)")
        let steps = zip(seen, seen.dropFirst()).map { $1.time.seconds(since: $0.time) }
        #expect(steps.allSatisfy { $0 > 0.02 }, "steps \(steps)")
        let median = steps.sorted()[steps.count / 2]
        #expect(median > 0.035 && median < 0.06, "median step \(median)")
    }

    @Test func loopsAFile() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let path = directory.file("clip.avi")
        try SyntheticVideo.writeAVI(path, count: 4, size: Self.size, fps: 200)
        let camera = OpenCVCamera(CameraConfiguration(source: .videoFile(path), loop: true))
        try camera.open()
        defer { camera.close() }
        let (seen, end) = drain(camera, expectedCount: 4, limit: 11)
        #expect(end == nil)
        #expect(seen.allSatisfy { $0.index == Int($0.sequence) % 4 })
        #expect(seen.last.map { $0.sequence >= 10 } == true)
        #expect(camera.statistics.loops >= 2)
    }

    @Test func truncatedVideoDeliversFramesUpToTheDamageThenSaysSo() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let path = directory.file("cut.avi")
        let count = 30
        try SyntheticVideo.writeAVI(path, count: count, size: PixelSize(width: 160, height: 120), fps: 500)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        let length = (attributes[.size] as! NSNumber).intValue
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.truncate(atOffset: UInt64(length / 2))
        try handle.close()

        let camera = OpenCVCamera(CameraConfiguration(source: .videoFile(path)))
        try camera.open()
        defer { camera.close() }
        let (seen, end) = drain(camera, expectedCount: count)
        // Frames up to the damage come out as they were written; the frame the cut goes
        // through may come out partly decoded (FFmpeg conceals the missing part).
        let last = seen.last?.sequence ?? 0
        #expect(last > 5 && last < UInt64(count))
        #expect(seen.dropLast().allSatisfy { $0.index == Int($0.sequence) })
        guard case let .truncated(file, read, expected)? = end as? CameraError else {
            Issue.record("expected .truncated, got \(String(describing: end))")
            return
        }
        #expect(file == path && expected == UInt64(count) && read >= UInt64(seen.count))
    }

    @Test func aStreamThatEndsIsReportedAsDisconnected() throws {
        // FFmpeg reads a local file as a stream just as it reads a URL, with the open and
        // read timeouts set.
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let path = directory.file("stream.avi")
        try SyntheticVideo.writeAVI(path, count: 5, size: Self.size)
        let camera = OpenCVCamera(CameraConfiguration(source: .stream(path), warmupFrames: 1, openTimeout: 2, readTimeout: 2))
        try camera.open()
        defer { camera.close() }
        #expect(camera.format?.backend == "FFMPEG")
        let (seen, end) = drain(camera, expectedCount: 5)
        // The first frame went to warm-up: stream frame s is file frame s + 1.
        #expect(seen.allSatisfy { $0.index == Int($0.sequence) + 1 })
        #expect(end as? CameraError == .disconnected(device: path, reason: "the stream ended"))
    }

    @Test func damagedAndMissingFilesFailAtOpen() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let garbage = directory.file("garbage.avi")
        _ = FileManager.default.createFile(atPath: garbage, contents: Data((0..<4096).map { UInt8(($0 * 37) % 251) }))
        #expect {
            try OpenCVCamera(CameraConfiguration(source: .videoFile(garbage))).open()
        } throws: {
            guard case let .openFailed(device, _)? = $0 as? CameraError else { return false }
            return device == garbage
        }
        let missing = directory.file("missing.avi")
        #expect(throws: CameraError.fileNotFound(path: missing)) {
            try OpenCVCamera(CameraConfiguration(source: .videoFile(missing))).open()
        }
    }

    @Test func reportsAnUnsupportedSizeWithWhatWasGranted() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let path = directory.file("clip.avi")
        try SyntheticVideo.writeAVI(path, count: 2, size: Self.size)
        let requested = PixelSize(width: 640, height: 480)
        #expect(throws: CameraError.unsupportedSize(device: path, requested: requested, granted: Self.size)) {
            try OpenCVCamera(CameraConfiguration(source: .videoFile(path), width: 640, height: 480)).open()
        }
    }

    @Test func readsAnImageFolderInNaturalOrderExactly() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let folder = directory.file("frames")
        try SyntheticVideo.writePNGFolder(folder, count: 12, size: Self.size)
        let camera = try OpenCVCamera(CameraConfiguration(source: CameraSource(spec: folder), fps: 500, colorOrder: .bgr))
        try camera.open()
        defer { camera.close() }
        #expect(camera.format?.frameCount == 12)
        var frames: [Frame] = []
        while let frame = try? camera.latestFrame(newerThan: frames.last?.sequence, timeout: 2) { frames.append(frame) }
        // frame_1 ... frame_12 in natural order; PNG is lossless, so pixels are exact.
        #expect(frames.last?.sequence == 11)
        for frame in frames {
            let expected = SyntheticVideo.frame(Int(frame.sequence), size: Self.size)
            #expect(frame.image == expected, "frame \(frame.sequence) differs")
            if frame.image != expected { break }
        }
        #expect(camera.statistics.framesDelivered + camera.statistics.framesDropped == 12)
        #expect(throws: CameraError.endOfStream(source: folder, frames: 12)) {
            _ = try camera.latestFrame(newerThan: frames.last?.sequence, timeout: 1)
        }
    }

    @Test func folderFailures() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let empty = directory.file("empty")
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        #expect(throws: CameraError.emptyFolder(path: empty, extensions: ImageFolderSource.extensions)) {
            try OpenCVCamera(CameraConfiguration(source: .imageFolder(empty))).open()
        }
        let folder = directory.file("frames")
        try SyntheticVideo.writePNGFolder(folder, count: 4, size: Self.size)
        let broken = folder + "/frame_3.png"
        _ = FileManager.default.createFile(atPath: broken, contents: Data("not a png".utf8))
        let camera = OpenCVCamera(CameraConfiguration(source: .imageFolder(folder), fps: 500))
        try camera.open()
        defer { camera.close() }
        var sequences: [UInt64] = []
        var failure: Error?
        while failure == nil {
            do { sequences.append(try camera.latestFrame(newerThan: sequences.last, timeout: 2).sequence) } catch { failure = error }
        }
        #expect(sequences.last == 1, "frames before the broken one are delivered")
        guard case let .unreadableImage(path, _)? = failure as? CameraError else {
            Issue.record("expected .unreadableImage, got \(String(describing: failure))")
            return
        }
        #expect(path == broken)
    }

    @Test func rotatesFrames() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let folder = directory.file("frames")
        try SyntheticVideo.writePNGFolder(folder, count: 1, size: Self.size)
        let camera = OpenCVCamera(CameraConfiguration(source: .imageFolder(folder), rotation: .clockwise90))
        try camera.open()
        defer { camera.close() }
        let image = try camera.latestFrame(timeout: 2).image
        #expect(image.width == 48 && image.height == 64 && image.format == .rgb)
        // The white square (top-left before) is top-right after a clockwise turn.
        let topRight = 3 * (12 * 48 + 36), topLeft = 3 * (12 * 48 + 8)
        #expect(image.pixels[topRight] == 255 && image.pixels[topLeft] != 255)
    }

    @Test func missingDeviceNamesTheDevicesThatExist() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let dev = directory.file("dev")
        try FileManager.default.createDirectory(atPath: dev, withIntermediateDirectories: true)
        for node in ["video0", "video2", "null"] { _ = FileManager.default.createFile(atPath: "\(dev)/\(node)", contents: nil) }
        let wanted = "\(dev)/video7"
        #expect {
            try OpenCVCamera(CameraConfiguration(source: .device(wanted))).open()
        } throws: { error in
            guard case let .deviceNotFound(device, available)? = error as? CameraError else { return false }
            return device == wanted && available == ["\(dev)/video0", "\(dev)/video2"]
        }
        // On the real /dev: an index that no machine has.
        #expect {
            try OpenCVCamera(CameraConfiguration(source: .index(97))).open()
        } throws: { error in
            guard case let .deviceNotFound(device, _)? = error as? CameraError else { return false }
            return device == "/dev/video97" && error.localizedDescription.isEmpty == false
        }
        // A node that exists but is not a V4L2 device.
        #expect {
            try OpenCVCamera(CameraConfiguration(source: .device("\(dev)/video0"))).open()
        } throws: { error in
            guard case let .openFailed(device, _)? = error as? CameraError else { return false }
            return device == "\(dev)/video0"
        }
    }

    @Test(arguments: [
        (EACCES, CameraError.permissionDenied(device: "NODE")),
        (EBUSY, .deviceBusy(device: "NODE")),
        (ENODEV, .disconnected(device: "NODE", reason: "the device node vanished")),
    ])
    func deviceErrnosBecomeTypedErrors(errno code: Int32, expected: CameraError) throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let node = directory.file("video0")
        _ = FileManager.default.createFile(atPath: node, contents: nil)
        let wanted: CameraError
        switch expected {
        case .permissionDenied: wanted = .permissionDenied(device: node)
        case .deviceBusy: wanted = .deviceBusy(device: node)
        default: wanted = .disconnected(device: node, reason: "the device node vanished")
        }
        #expect(throws: wanted) {
            try OpenCVCamera.checkDevice(.device(node)) { path in
                throw OpenCVError(kind: .system, message: "\(path): simulated", systemErrno: code)
            }
        }
    }

    @Test func metadataNodesAndBusyDevicesAreRefusedByName() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let node = directory.file("video1")
        _ = FileManager.default.createFile(atPath: node, contents: nil)
        #expect(throws: CameraError.notACaptureDevice(device: node, name: "HD Pro Webcam C920")) {
            try OpenCVCamera.checkDevice(.device(node)) { _ in .init(name: "HD Pro Webcam C920", canCapture: false, busy: false) }
        }
        #expect(throws: CameraError.deviceBusy(device: node)) {
            try OpenCVCamera.checkDevice(.device(node)) { _ in .init(name: "cam", canCapture: true, busy: true) }
        }
        #expect(throws: Never.self) {
            try OpenCVCamera.checkDevice(.device(node)) { _ in .init(name: "cam", canCapture: true, busy: false) }
        }
    }

    @Test func listsFakeDevicesAndSkipsNothingItCannotClassify() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let dev = directory.file("dev"), sys = directory.file("sys")
        try FileManager.default.createDirectory(atPath: dev + "/v4l/by-id", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: sys + "/video10", withIntermediateDirectories: true)
        for node in ["video10", "video3"] { _ = FileManager.default.createFile(atPath: "\(dev)/\(node)", contents: nil) }
        try "Fake Cam\n".write(toFile: sys + "/video10/name", atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: dev + "/v4l/by-id/usb-Fake_Cam-video-index0",
                                                   withDestinationPath: "../../video10")
        let devices = VideoDevices.all(deviceDirectory: dev, sysfsDirectory: sys)
        #expect(devices.map(\.index) == [3, 10])
        #expect(devices[1].name == "Fake Cam")
        #expect(devices[1].stableLinks == [dev + "/v4l/by-id/usb-Fake_Cam-video-index0"])
        #expect(devices.allSatisfy { $0.canCapture == nil && $0.problem != nil })
    }

    /// A finite source written against the public API, like a recorded episode.
    final class Recording: FrameSource {
        let format = CameraFormat(size: PixelSize(width: 16, height: 8), fps: 100, fourcc: "", backend: "recording")
        let isFinite = true
        var next = 0
        func read(into sink: FrameSink) throws -> Bool {
            guard next < 4 else { return false }
            var image = Image(width: 16, height: 8, format: .bgr)
            image.drawRectangle(x: 0, y: 0, width: 4, height: 8, color: DrawingColor(red: 0, green: 0, blue: Double(50 * next)))
            sink.write(image)
            next += 1
            return true
        }
        func rewind() throws { next = 0 }
    }

    @Test func anyFrameSourceGetsTheCameraMachinery() throws {
        let camera = OpenCVCamera(CameraConfiguration(source: .stream("replay://episode-7"), rotation: .upsideDown)) { _ in
            Recording()
        }
        try camera.open()
        defer { camera.close() }
        #expect(camera.format?.fps == 100)
        var frames: [Frame] = []
        var end: Error?
        while end == nil {
            do { frames.append(try camera.latestFrame(newerThan: frames.last?.sequence, timeout: 2)) } catch { end = error }
        }
        #expect(frames.last?.sequence == 3)
        for frame in frames {
            // RGB, turned 180 degrees: the blue bar is now on the right.
            #expect(frame.image.format == .rgb && frame.image.width == 16)
            #expect(frame.image.pixels[3 * 15 + 2] == UInt8(50 * frame.sequence))
        }
        #expect(end as? CameraError == .endOfStream(source: "recording", frames: 4))
    }

    @Test func disconnectIsReportedAfterTheLastFrameAndOpenReopens() throws {
        let camera = OpenCVCamera(CameraConfiguration(source: .device("/dev/scripted"), warmupFrames: 0)) { _ in
            ScriptedSource(frames: 3, interval: 0.01)
        }
        try camera.open()
        var sequences: [UInt64] = []
        var failure: Error?
        while failure == nil {
            do { sequences.append(try camera.latestFrame(newerThan: sequences.last, timeout: 2).sequence) } catch { failure = error }
        }
        #expect(sequences.last == 2)
        #expect(failure as? CameraError == .disconnected(device: "/dev/scripted", reason: "unplugged"))
        #expect(!camera.isOpen)
        try camera.open()
        #expect(camera.isOpen)
        // Numbering continues, so the reader's `newerThan` still means "a new frame".
        #expect(try camera.latestFrame(newerThan: sequences.last, timeout: 2).sequence == 3)
        #expect(camera.statistics.reopens == 1)
        camera.close()
        #expect(throws: CameraError.notOpen(device: "/dev/scripted")) { _ = try camera.latestFrame(timeout: 0.1) }
    }

    @Test func aStalledSourceTimesOutInsteadOfBlocking() throws {
        let script = ScriptedSource(frames: 1, hangAtEnd: 1.0)
        let camera = OpenCVCamera(CameraConfiguration(source: .device("/dev/scripted"), warmupFrames: 0)) { _ in script }
        try camera.open()
        defer { camera.close() }
        let first = try camera.latestFrame(timeout: 1)
        let start = Timestamp.now()
        #expect(throws: CameraError.timeout(device: "/dev/scripted", seconds: 0.1)) {
            _ = try camera.latestFrame(newerThan: first.sequence, timeout: 0.1)
        }
        let waited = Timestamp.now().seconds(since: start)
        #expect(waited >= 0.09 && waited < 1.0, "waited \(waited) s")
    }

    @Test func countsDroppedFramesForASlowReader() throws {
        let script = ScriptedSource(frames: 60, interval: 0.001)
        let camera = OpenCVCamera(CameraConfiguration(source: .device("/dev/scripted"), warmupFrames: 2)) { _ in script }
        try camera.open()
        defer { camera.close() }
        var last: UInt64? = nil
        var gaps = 0
        while let frame = try? camera.withLatestFrame(newerThan: last, timeout: 1, { view -> UInt64 in
            #expect(Int(view.pixels[0]) == (Int(view.sequence) + 2) % 256, "pixels belong to their frame")
            Thread.sleep(forTimeInterval: 0.01)
            return view.sequence
        }) {
            if let last, frame > last + 1 { gaps += 1 }
            last = frame
        }
        let stats = camera.statistics
        #expect(stats.framesCaptured == 58)
        #expect(stats.framesDropped > 0 && gaps > 0)
        #expect(stats.framesDelivered + stats.framesDropped == stats.framesCaptured)
    }

    @Test(.enabled(if: ProcessInfo.processInfo.environment["VLA_CAMERA"] != nil,
                   "set VLA_CAMERA to a camera spec (e.g. 0) to test a real device"))
    func realCameraDeliversFreshFrames() throws {
        let spec = ProcessInfo.processInfo.environment["VLA_CAMERA"]!
        let camera = OpenCVCamera(CameraConfiguration(source: try CameraSource(spec: spec), width: 640, height: 480, fps: 30))
        try camera.open()
        defer { camera.close() }
        var last: UInt64? = nil
        for _ in 0..<30 {
            let frame = try camera.latestFrame(newerThan: last, timeout: 1)
            #expect(frame.image.width == 640 && frame.image.height == 480)
            #expect(Timestamp.now().seconds(since: frame.timestamp) < 0.2)
            last = frame.sequence
        }
    }
}
