import Foundation
import RobotCore
@testable import Perception

/// A fresh temporary directory, removed by `cleanup()`. Tests never write into the source tree.
struct TemporaryDirectory {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "PerceptionTests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func file(_ name: String) -> String { path + "/" + name }

    func cleanup() { try? FileManager.default.removeItem(atPath: path) }
}

/// Synthetic frames whose colour encodes their index, so order survives JPEG.
enum SyntheticVideo {
    /// The BGR colour of frame `index`: blue steps by 20 (mod 240), green by 7, red fixed.
    static func color(of index: Int) -> (b: UInt8, g: UInt8, r: UInt8) {
        (UInt8((index * 20) % 240 + 8), UInt8((index * 7) % 200 + 30), 180)
    }

    /// A frame filled with `color(of: index)`, plus a white square in the top-left quarter.
    static func frame(_ index: Int, size: PixelSize) -> Image {
        var image = Image(width: size.width, height: size.height, format: .bgr)
        let c = color(of: index)
        for i in 0..<(size.width * size.height) {
            image.pixels[3 * i] = c.b
            image.pixels[3 * i + 1] = c.g
            image.pixels[3 * i + 2] = c.r
        }
        image.drawRectangle(x: size.width / 8, y: size.height / 8, width: size.width / 4, height: size.height / 4,
                            color: .white)
        return image
    }

    /// The index whose colour is closest to the pixel at the image's centre-right (away from the square).
    static func index(of pixels: UnsafeBufferPointer<UInt8>, width: Int, height: Int, format: Image.PixelFormat,
                      count: Int) -> Int {
        let i = 3 * ((height / 2) * width + (3 * width) / 4)
        let (b, g) = format == .bgr ? (Int(pixels[i]), Int(pixels[i + 1])) : (Int(pixels[i + 2]), Int(pixels[i + 1]))
        return (0..<count).min(by: { a, c in
            let x = color(of: a), y = color(of: c)
            return abs(Int(x.b) - b) + abs(Int(x.g) - g) < abs(Int(y.b) - b) + abs(Int(y.g) - g)
        })!
    }

    /// Writes `count` frames as MJPG AVI at `fps`.
    static func writeAVI(_ path: String, count: Int, size: PixelSize, fps: Double = 30) throws {
        let writer = try VideoWriter(path: path, size: size, fps: fps)
        for i in 0..<count { try writer.write(frame(i, size: size)) }
        writer.finish()
    }

    /// Writes `count` PNG frames named frame_1.png ... frame_<count>.png.
    static func writePNGFolder(_ directory: String, count: Int, size: PixelSize) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for i in 0..<count { try frame(i, size: size).write(toFile: "\(directory)/frame_\(i + 1).png") }
    }
}

/// A frame source that plays a script: some frames, then an end (or a hang), for the
/// failures no file can produce (a device unplugged, a driver that stalls).
final class ScriptedSource: FrameSource {
    let format: CameraFormat
    let notes: [String] = []
    let frames: Int
    let interval: Double
    let hangAtEnd: Double
    private(set) var produced = 0
    private(set) var closed = false

    init(frames: Int, interval: Double = 0.002, hangAtEnd: Double = 0, size: PixelSize = PixelSize(width: 8, height: 6)) {
        format = CameraFormat(size: size, fps: 0, fourcc: "", backend: "script")
        self.frames = frames
        self.interval = interval
        self.hangAtEnd = hangAtEnd
    }

    func read(into sink: FrameSink) throws -> Bool {
        if produced >= frames {
            if hangAtEnd > 0 { Thread.sleep(forTimeInterval: hangAtEnd) }
            return false
        }
        Thread.sleep(forTimeInterval: interval)
        let value = UInt8(produced % 256)
        sink.write(width: format.size.width, height: format.size.height, format: .bgr) { $0.update(repeating: value) }
        produced += 1
        return true
    }

    func rewind() throws { produced = 0 }

    func endError(framesRead: UInt64) -> CameraError { .disconnected(device: "/dev/scripted", reason: "unplugged") }

    func close() { closed = true }
}
