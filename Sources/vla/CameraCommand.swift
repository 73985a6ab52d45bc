import ArgumentParser
import Foundation
import VLA

/// `vla camera`: list, snapshot, probe and benchmark cameras.
struct CameraCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "camera",
        abstract: "List cameras, take snapshots, measure frame rate and latency, benchmark preprocessing.",
        discussion: """
        A camera is named by a SPEC:
          0            /dev/video0 (indices can change between boots)
          /dev/v4l/by-id/usb-046d_C920-video-index0
                       the same camera by a name that survives reboots
          clip.avi     a video file standing in for a camera (desk.png: one frame)
          frames/      a folder of images, played in name order
          rtsp://192.168.1.20/stream
                       a network stream

        Examples:
          vla camera list
          vla camera snapshot --camera 0 --width 640 --height 480 --out desk.png
          vla camera probe --camera /dev/v4l/by-id/usb-046d_C920-video-index0
          vla camera probe --camera episode.avi --loop --seconds 2 --json
          vla camera bench
        """,
        subcommands: [List.self, Snapshot.self, Probe.self, Bench.self]
    )
}

extension CameraCommand {
    /// Options shared by the commands that open a camera.
    struct CameraOptions: ParsableArguments {
        @Option(name: .customLong("camera"), help: ArgumentHelp("The camera to open.", valueName: "SPEC"))
        var spec: String = "0"

        @Option(help: "Frame width to ask for (with --height).")
        var width: Int?

        @Option(help: "Frame height to ask for (with --width).")
        var height: Int?

        @Option(help: "Frame rate to ask a device for; for files and folders, the playback rate.")
        var fps: Double?

        @Option(help: ArgumentHelp("Pixel format to ask a device for; 'any' keeps the driver's.", valueName: "FOURCC"))
        var fourcc: String = "MJPG"

        @Option(help: ArgumentHelp("Rotate frames clockwise by 0, 90, 180 or 270 degrees.", valueName: "DEGREES"))
        var rotation: Int = 0

        @Option(help: "Frames to discard after a device opens, while exposure settles.")
        var warmup: Int = 5

        @Flag(help: "Start a video file or image folder again when it ends (with an image file: a still camera).")
        var loop = false

        func validate() throws {
            if (width == nil) != (height == nil) { throw ValidationError("Give both --width and --height, or neither.") }
            if CameraRotation(degrees: rotation) == nil { throw ValidationError("--rotation must be 0, 90, 180 or 270.") }
            if fourcc != "any" && fourcc.utf8.count != 4 {
                throw ValidationError("--fourcc must be four characters (MJPG, YUYV) or 'any'.")
            }
        }

        func configuration(paced: Bool = true) throws -> CameraConfiguration {
            CameraConfiguration(source: try CameraSource(spec: spec), width: width, height: height, fps: fps,
                                fourcc: fourcc == "any" ? nil : fourcc, rotation: CameraRotation(degrees: rotation) ?? .none,
                                warmupFrames: warmup, loop: loop, paced: paced)
        }
    }

    // MARK: list

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List video devices, their stable names and the sizes they offer.",
            discussion: """
            USB cameras usually expose two nodes; the second carries only metadata and cannot
            capture, so it is hidden unless --all is given. Prefer the /dev/v4l/by-id names in
            robot configurations: they survive reboots and re-plugging.

            Examples:
              vla camera list
              vla camera list --all --json
            """
        )

        @Flag(help: "Also show nodes that cannot capture (metadata nodes).")
        var all = false

        @Flag(help: "Print JSON instead of text.")
        var json = false

        func run() throws {
            let devices = VideoDevices.all(includeFormats: true).filter { all || $0.canCapture != false }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                print(String(decoding: try encoder.encode(devices), as: UTF8.self))
                return
            }
            if devices.isEmpty {
                print("No video devices found. Plug a camera in and check `ls /dev/video*`; a video file or image folder works as --camera too.")
                return
            }
            for device in devices {
                var line = device.path
                if !device.name.isEmpty { line += "  \(device.name)" }
                let details = [device.driver, device.bus].filter { !$0.isEmpty }
                if !details.isEmpty { line += "  (\(details.joined(separator: ", ")))" }
                if device.canCapture == false { line += "  [metadata only, cannot capture]" }
                if device.busy { line += "  [busy]" }
                print(line)
                if let problem = device.problem { print("    cannot query: \(problem)") }
                for link in device.stableLinks { print("    = \(link)") }
                let byFormat = Dictionary(grouping: device.formats, by: \.fourcc)
                for fourcc in byFormat.keys.sorted() {
                    let sizes = byFormat[fourcc]!.map { f in f.maxFPS > 0 ? "\(f.size)@\(String(format: "%g", f.maxFPS))" : "\(f.size)" }
                    print("    \(fourcc): \(sizes.joined(separator: " "))")
                }
            }
        }
    }

    // MARK: snapshot

    struct Snapshot: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Save one frame from a camera as PNG or JPEG.",
            discussion: """
            The frame is taken after the warm-up frames, so exposure has settled. The format
            follows the extension of --out.

            Examples:
              vla camera snapshot --camera 0 --out desk.png
              vla camera snapshot --camera /dev/video2 --width 1280 --height 720 --rotation 180 --out top.jpg
              vla camera snapshot --camera episode.avi --out first-frame.png
            """
        )

        @OptionGroup var options: CameraOptions

        @Option(help: ArgumentHelp("Where to write the image (.png or .jpg).", valueName: "FILE"))
        var out: String

        func run() throws {
            let camera = OpenCVCamera(try options.configuration())
            try camera.open()
            defer { camera.close() }
            let frame = try camera.latestFrame(timeout: 5)
            try frame.image.write(toFile: out)
            print("wrote \(out): \(frame.image.width)x\(frame.image.height) from \(camera.name)"
                  + (camera.format.map { " (\($0))" } ?? ""))
            for note in camera.notes { print("note: \(note)") }
        }
    }

    // MARK: probe

    struct Probe: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Measure a camera's frame rate, frame latency and dropped frames.",
            discussion: """
            Reads every new frame for --seconds, as a control loop would, and reports:
              fps        frames delivered per second (from their capture timestamps)
              latency    time from a frame's capture to this program receiving it
              dropped    frames the camera captured that were replaced before being read
            The granted format is printed with any difference from what was asked
            (e.g. a frame rate the driver refused at that size).

            Examples:
              vla camera probe --camera 0 --width 640 --height 480 --fps 30
              vla camera probe --camera episode.avi --loop --seconds 2 --json
            """
        )

        @OptionGroup var options: CameraOptions

        @Option(help: "How long to measure.")
        var seconds: Double = 3

        @Flag(help: "Print JSON instead of text.")
        var json = false

        struct Report: Codable {
            var camera: String
            var format: String
            var notes: [String]
            var seconds: Double
            var frames: Int
            var fps: Double
            var latencyMedianMs: Double
            var latencyMaxMs: Double
            var intervalMaxMs: Double
            var dropped: UInt64
            var captured: UInt64
            var ended: String?
        }

        func run() throws {
            let camera = OpenCVCamera(try options.configuration())
            try camera.open()
            defer { camera.close() }
            var latencies: [Double] = []
            var times: [Double] = []
            var last: UInt64? = nil
            var ended: String? = nil
            let start = Timestamp.now()
            while Timestamp.now().seconds(since: start) < seconds {
                do {
                    let (sequence, stamp) = try camera.withLatestFrame(newerThan: last, timeout: 1) { ($0.sequence, $0.timestamp) }
                    latencies.append(Timestamp.now().seconds(since: stamp))
                    times.append(stamp.seconds)
                    last = sequence
                } catch let error as CameraError {
                    if case .timeout = error { continue }
                    ended = error.description
                    break
                }
            }
            let statistics = camera.statistics
            let sorted = latencies.sorted()
            let intervals = zip(times, times.dropFirst()).map { $1 - $0 }
            let report = Report(
                camera: camera.name, format: camera.format?.description ?? "", notes: camera.notes,
                seconds: Timestamp.now().seconds(since: start), frames: times.count,
                fps: times.count > 1 ? Double(times.count - 1) / (times.last! - times.first!) : 0,
                latencyMedianMs: sorted.isEmpty ? 0 : sorted[sorted.count / 2] * 1000,
                latencyMaxMs: (sorted.last ?? 0) * 1000, intervalMaxMs: (intervals.max() ?? 0) * 1000,
                dropped: statistics.framesDropped, captured: statistics.framesCaptured, ended: ended)
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                print(String(decoding: try encoder.encode(report), as: UTF8.self))
                return
            }
            print("camera   \(report.camera)")
            print("format   \(report.format)")
            for note in report.notes { print("note     \(note)") }
            print(String(format: "frames   %d in %.2f s: %.1f fps (longest gap %.1f ms)", report.frames, report.seconds,
                         report.fps, report.intervalMaxMs))
            print(String(format: "latency  median %.2f ms, max %.2f ms (capture to delivery)", report.latencyMedianMs,
                         report.latencyMaxMs))
            print("dropped  \(report.dropped) of \(report.captured) captured")
            if let ended { print("ended    \(ended)") }
        }
    }

    // MARK: bench

    struct Bench: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Benchmark decode + resize + normalise of MJPG frames into model input.",
            discussion: """
            Encodes synthetic frames as JPEG (what an MJPG camera sends), then measures in this
            run, on this machine:
              decode       JPEG to BGR pixels (OpenCV, libjpeg-turbo) - the baseline
              preprocess   PIL-exact resize + crop + normalise into [3, H, W] Float32
              pipeline     both, one thread, frames per second
              camera       an MJPG AVI through OpenCVCamera: the capture thread decodes while
                           the caller preprocesses, as in a control loop
            and prints the pipeline's speed as a fraction of decode-only speed. Build with
            `-c release` for meaningful numbers.

            Examples:
              vla camera bench
              vla camera bench --size 1280x720 --preset dinov2 --frames 200
            """
        )

        @Option(help: ArgumentHelp("Camera frame size.", valueName: "WxH"))
        var size: String = "640x480"

        @Option(help: "Model preprocessing: siglip (224x224), dinov2 (256 then crop 224) or clip.")
        var preset: String = "siglip"

        @Option(help: "Frames per measurement.")
        var frames: Int = 300

        @Option(help: "JPEG quality of the synthetic frames.")
        var quality: Int = 90

        func validate() throws {
            guard parsedSize != nil else { throw ValidationError("--size must look like 640x480.") }
            guard preprocessing != nil else { throw ValidationError("--preset must be siglip, dinov2 or clip.") }
            guard frames > 0 else { throw ValidationError("--frames must be positive.") }
        }

        var parsedSize: PixelSize? {
            let parts = size.split(separator: "x").compactMap { Int($0) }
            guard parts.count == 2, parts[0] > 0, parts[1] > 0 else { return nil }
            return PixelSize(width: parts[0], height: parts[1])
        }

        var preprocessing: ImagePreprocessing? {
            ["siglip": ImagePreprocessing.siglip, "dinov2": .dinov2, "clip": .clip][preset]
        }

        func run() throws {
            let size = parsedSize!
            let preprocessor = ImagePreprocessor(preprocessing!)
            var output = [Float](repeating: 0, count: preprocessor.outputCount(for: size))
            // A few distinct frames so the decoder cannot benefit from identical input.
            let images = (0..<8).map { scene($0, size: size) }
            let encoded = try images.map { try $0.encoded(as: .jpeg(quality: quality)) }
            let kib = encoded.map(\.count).reduce(0, +) / encoded.count / 1024
            print("frames   \(size) JPEG q\(quality) (~\(kib) KiB each) -> \(preprocessor.outputSize(for: size)) \(preset), \(frames) per measurement")

            var decoded = try Image(decoding: encoded[0])
            let decodeFPS = try measure {
                for i in 0..<frames { try decodeInto(&decoded, encoded[i % encoded.count]) }
            }
            let preprocessFPS = measure {
                for i in 0..<frames { preprocessor.process(images[i % images.count], into: &output) }
            }
            let pipelineFPS = try measure {
                for i in 0..<frames {
                    try decodeInto(&decoded, encoded[i % encoded.count])
                    preprocessor.process(decoded, into: &output)
                }
            }
            let cameraFPS = try cameraPipeline(images: images, preprocessor: preprocessor, output: &output)
            print(String(format: "decode      %8.1f frames/s   (baseline)", decodeFPS))
            print(String(format: "preprocess  %8.1f frames/s", preprocessFPS))
            print(String(format: "pipeline    %8.1f frames/s   %.2f x decode-only, one thread", pipelineFPS, pipelineFPS / decodeFPS))
            print(String(format: "camera      %8.1f frames/s   %.2f x decode-only, capture thread + caller", cameraFPS,
                         cameraFPS / decodeFPS))
        }

        /// Frames per second of `body`, which processes `frames` frames.
        func measure(_ body: () throws -> Void) rethrows -> Double {
            let start = Timestamp.now()
            try body()
            return Double(frames) / Timestamp.now().seconds(since: start)
        }

        func decodeInto(_ image: inout Image, _ bytes: [UInt8]) throws {
            try image.decode(from: bytes) // reuses the pixel storage
        }

        /// A tabletop-like scene: a gradient, a few shapes, mild texture.
        func scene(_ index: Int, size: PixelSize) -> Image {
            var image = Image(width: size.width, height: size.height, format: .bgr)
            for y in 0..<size.height {
                for x in 0..<size.width {
                    let i = 3 * (y * size.width + x)
                    let texture = UInt8(truncatingIfNeeded: (x &* 31 ^ y &* 17 ^ index &* 7) & 15)
                    image.pixels[i] = UInt8(60 + (x * 80) / size.width) &+ texture
                    image.pixels[i + 1] = UInt8(90 + (y * 60) / size.height) &+ texture
                    image.pixels[i + 2] = 120 &+ texture
                }
            }
            let s = min(size.width, size.height)
            image.drawCircle(center: (size.width / 3 + index * 9, size.height / 2), radius: s / 8, color: .red)
            image.drawRectangle(x: size.width / 2, y: size.height / 3 + index * 5, width: s / 5, height: s / 6, color: .blue)
            image.drawLine(from: (0, size.height - 1), to: (size.width / 2, size.height / 2 + index), color: .white, thickness: 6)
            return image
        }

        /// Writes an MJPG AVI to a temporary folder and reads it through OpenCVCamera unpaced.
        func cameraPipeline(images: [Image], preprocessor: ImagePreprocessor, output: inout [Float]) throws -> Double {
            let directory = NSTemporaryDirectory() + "vla-camera-bench-\(getpid())"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let path = directory + "/bench.avi"
            let writer = try VideoWriter(path: path, size: PixelSize(width: images[0].width, height: images[0].height), fps: 30)
            for i in 0..<min(frames, 120) { try writer.write(images[i % images.count]) }
            writer.finish()
            let camera = OpenCVCamera(CameraConfiguration(source: .videoFile(path), colorOrder: .bgr, loop: true, paced: false))
            try camera.open()
            defer { camera.close() }
            var last: UInt64? = nil
            return try output.withUnsafeMutableBufferPointer { buffer in
                try measure {
                    for _ in 0..<frames {
                        last = try camera.withLatestFrame(newerThan: last, timeout: 5) { view in
                            preprocessor.process(view, into: buffer)
                            return view.sequence
                        }
                    }
                }
            }
        }
    }
}
