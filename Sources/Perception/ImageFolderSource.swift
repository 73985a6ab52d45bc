import Foundation
import OpenCVBridge
import RobotCore

/// A folder of image files played as a camera, in natural name order.
final class ImageFolderSource: FrameSource {
    /// File extensions read (lowercase, any case matches).
    static let extensions = ["png", "jpg", "jpeg", "bmp", "tif", "tiff", "webp", "ppm", "pgm"]

    let path: String
    let files: [String]
    private(set) var format: CameraFormat
    let notes: [String] = []
    private var next = 0

    init(path: String, fps: Double?) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw CameraError.fileNotFound(path: path)
        }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        files = names.filter { Self.extensions.contains(($0 as NSString).pathExtension.lowercased()) }
            .sorted(by: naturalOrder)
            .map { (path as NSString).appendingPathComponent($0) }
        guard !files.isEmpty else { throw CameraError.emptyFolder(path: path, extensions: Self.extensions) }
        self.path = path
        format = CameraFormat(size: PixelSize(width: 0, height: 0), fps: fps ?? 30, fourcc: "", backend: "images",
                              frameCount: files.count)
    }

    let isFinite = true

    func read(into sink: FrameSink) throws -> Bool {
        let buffer = sink.buffer
        guard next < files.count else { return false }
        let file = files[next]
        buffer.timestamp = .now()
        do {
            try buffer.fill { OpenCVBridge_ImageRead(file, 3, $0, $1, $2, $3) }
        } catch let error as OpenCVError {
            throw CameraError.unreadableImage(path: file, reason: error.message)
        }
        if format.size.width == 0 { format.size = PixelSize(width: buffer.width, height: buffer.height) }
        next += 1
        return true
    }

    func rewind() throws { next = 0 }

    func endError(framesRead: UInt64) -> CameraError { .endOfStream(source: path, frames: framesRead) }

    func close() {}
}

/// Compares names so that digit runs compare as numbers: "f2.png" < "f10.png".
func naturalOrder(_ a: String, _ b: String) -> Bool {
    var i = a.unicodeScalars.makeIterator(), j = b.unicodeScalars.makeIterator()
    var x = i.next(), y = j.next()
    func isDigit(_ s: Unicode.Scalar?) -> Bool { s.map { $0.value >= 48 && $0.value <= 57 } ?? false }
    while let p = x, let q = y {
        if isDigit(p) && isDigit(q) {
            var m = "", n = ""
            while let d = x, isDigit(d) { m.unicodeScalars.append(d); x = i.next() }
            while let d = y, isDigit(d) { n.unicodeScalars.append(d); y = j.next() }
            let mt = m.drop(while: { $0 == "0" }), nt = n.drop(while: { $0 == "0" })
            if mt.count != nt.count { return mt.count < nt.count }
            if mt != nt { return mt < nt }
            if m.count != n.count { return m.count < n.count }
        } else {
            if p != q { return p.value < q.value }
            x = i.next(); y = j.next()
        }
    }
    return x == nil && y != nil
}
