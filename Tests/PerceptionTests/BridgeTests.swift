import Foundation
import RobotCore
import Testing
@testable import Perception

@Suite("OpenCV bridge: codecs, files, processing, drawing")
struct BridgeTests {
    @Test func reportsOpenCVVersion() {
        #expect(OpenCV.version.hasPrefix("4."))
    }

    @Test func pngRoundTripIsExact() throws {
        let image = SyntheticVideo.frame(3, size: PixelSize(width: 17, height: 9))
        let bytes = try image.encoded(as: .png())
        #expect(Array(bytes.prefix(4)) == [0x89, 0x50, 0x4E, 0x47])
        let decoded = try Image(decoding: bytes)
        #expect(decoded == image)
    }

    @Test func jpegRoundTripIsWithinTolerance() throws {
        let image = SyntheticVideo.frame(5, size: PixelSize(width: 64, height: 48))
        let decoded = try Image(decoding: try image.encoded(as: .jpeg(quality: 95)))
        #expect(decoded.width == 64 && decoded.height == 48 && decoded.format == .bgr)
        let maxDiff = zip(decoded.pixels, image.pixels).map { abs(Int($0) - Int($1)) }.max() ?? 0
        #expect(maxDiff <= 40, "JPEG edges ring, but not this much: \(maxDiff)")
        // Away from the square's edges the colour is flat and survives within a few levels.
        let i = 3 * (24 * 64 + 48)
        #expect(abs(Int(decoded.pixels[i]) - Int(image.pixels[i])) <= 3)
    }

    @Test func rgbImagesAreWrittenWithTheRightColours() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        var rgb = Image(width: 4, height: 2, format: .rgb)
        for i in 0..<8 { rgb.pixels[3 * i] = 250 } // pure red
        try rgb.write(toFile: directory.file("red.png"))
        let back = try Image(contentsOfFile: directory.file("red.png"))
        #expect(back.format == .bgr)
        #expect(Array(back.pixels.prefix(3)) == [0, 0, 250])
        let gray = try Image(contentsOfFile: directory.file("red.png"), gray: true)
        #expect(gray.format == .gray && gray.pixels.count == 8)
    }

    @Test func missingAndDamagedFilesAreErrorsNotCrashes() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        #expect {
            _ = try Image(contentsOfFile: directory.file("absent.png"))
        } throws: { ($0 as? OpenCVError)?.systemErrno == ENOENT }
        #expect(throws: OpenCVError.self) { _ = try Image(decoding: [1, 2, 3, 4, 5]) }
        #expect(throws: OpenCVError.self) {
            try Image(width: 2, height: 2).write(toFile: directory.file("no-such-format.xyz"))
        }
    }

    @Test func resizeConvertRotate() {
        var image = Image(width: 3, height: 2, format: .bgr)
        // Pixel (x, y) has blue = 10 * (y * 3 + x).
        for i in 0..<6 { image.pixels[3 * i] = UInt8(10 * i) }
        let rgb = image.converted(to: .rgb)
        #expect(rgb.format == .rgb && rgb.pixels[2] == 0 && rgb.pixels[5] == 10 && rgb.pixels[3] == 0)
        let turned = image.rotated(quarterTurns: 1) // clockwise: new (x, y) = (H-1-y, x)
        #expect(turned.width == 2 && turned.height == 3)
        // New top-left comes from old bottom-left (x 0, y 1): blue 30.
        #expect(turned.pixels[0] == 30)
        #expect(image.rotated(quarterTurns: 4) == image)
        #expect(image.rotated(quarterTurns: 2).pixels[0] == 50)
        let big = image.resized(width: 6, height: 4, interpolation: .nearest)
        #expect(big.width == 6 && big.height == 4 && big.pixels[0] == 0 && big.pixels[3 * 5] == 20)
    }

    @Test func drawingUsesTheImagesChannelOrder() {
        var bgr = Image(width: 10, height: 10, format: .bgr)
        bgr.drawRectangle(x: 2, y: 2, width: 3, height: 3, color: .red)
        #expect(Array(bgr.pixels[(3 * (3 * 10 + 3))..<(3 * (3 * 10 + 3) + 3)]) == [0, 0, 255])
        #expect(Array(bgr.pixels[0..<3]) == [0, 0, 0])
        var rgb = Image(width: 10, height: 10, format: .rgb)
        rgb.drawCircle(center: (5, 5), radius: 2, color: .red, antialiased: false)
        #expect(Array(rgb.pixels[(3 * 55)..<(3 * 55 + 3)]) == [255, 0, 0])
        rgb.drawLine(from: (0, 0), to: (9, 0), color: .green, antialiased: false)
        #expect(rgb.pixels[3 * 4 + 1] == 255)
        rgb.drawPolygon([(0, 9), (9, 9), (9, 7)], color: .blue, antialiased: false)
        #expect(rgb.pixels[3 * 99 + 2] == 255)
        rgb.drawText("VLA", at: (0, 9), scale: 0.3, color: .white) // clipped, must not crash
    }

    @Test func videoWriterRejectsAnImpossibleFile() {
        #expect(throws: OpenCVError.self) {
            _ = try VideoWriter(path: "/nonexistent-dir/x.avi", size: PixelSize(width: 8, height: 8), fps: 10)
        }
    }

    @Test func framesLandInTheCallersBufferWithoutACopy() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let size = PixelSize(width: 64, height: 48)
        let path = directory.file("clip.avi")
        try SyntheticVideo.writeAVI(path, count: 3, size: size)
        let source = try OpenCVCaptureSource(configuration: CameraConfiguration(source: .videoFile(path)))
        defer { source.close() }
        // FFmpeg's frame goes straight into the buffer, from the first frame on.
        let buffer = PixelBuffer(capacity: 64 * 48 * 3)
        let storage = buffer.storage
        #expect(try source.read(into: FrameSink(buffer: buffer)) && !buffer.copied && buffer.storage == storage)
        #expect(try source.read(into: FrameSink(buffer: buffer)) && !buffer.copied && buffer.storage == storage)
        // A buffer that is too small grows once; that frame is copied.
        let small = PixelBuffer(capacity: 16)
        #expect(try source.read(into: FrameSink(buffer: small)) && small.copied && small.capacity == 64 * 48 * 3)
        #expect(small.width == 64 && small.height == 48)

        // Decoding: straight into the buffer, and a failed decode is reported, not stale pixels.
        let png = try SyntheticVideo.frame(1, size: size).encoded(as: .png())
        let decoded = PixelBuffer(capacity: 64 * 48 * 3)
        try decoded.decode(png)
        #expect(!decoded.copied && Array(decoded.pixels) == SyntheticVideo.frame(1, size: size).pixels)
        let junk: [UInt8] = Array("not an image at all".utf8)
        #expect(throws: OpenCVError.self) { try decoded.decode(junk) }
        var image = Image(width: 64, height: 48, format: .bgr)
        try image.decode(from: png)
        #expect(image == SyntheticVideo.frame(1, size: size))
    }
}
