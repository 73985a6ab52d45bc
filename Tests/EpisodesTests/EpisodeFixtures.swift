import Foundation
import EpisodeSamples
import RobotCore
import TestSupport
@testable import Episodes

/// Small episodes for the tests: the sample content of ``EpisodeSamples`` (a 3-joint arm,
/// 7-value end-effector actions, frames whose pixels encode the step index), and helpers
/// to write, cut and inspect episode files.
enum Fixture {
    static var joints: [String] { EpisodeSamples.joints }

    static func metadata(encoding: FrameEncoding? = .png, instruction: String = "touch the red cube") -> EpisodeMetadata {
        EpisodeSamples.metadata(encoding: encoding, instruction: instruction)
    }

    static func step(_ i: Int) -> EpisodeStep { EpisodeSamples.step(i) }

    static func frame(_ i: Int, width: Int = 32, height: Int = 24, format: Image.PixelFormat = .rgb) -> Frame {
        EpisodeSamples.frame(i, width: width, height: height, format: format)
    }

    /// Writes `count` steps with frames and finishes the episode unless `finish` is false
    /// (then `end.json` is removed, as after a crash).
    static func write(_ count: Int, in parent: URL, encoding: FrameEncoding? = .png, finish: Bool = true,
                      name: String? = nil, sync: EpisodeWriter.SyncPolicy = .never) throws -> URL {
        let writer = try EpisodeWriter(in: parent, metadata: metadata(encoding: encoding),
                                       options: .init(sync: sync, name: name))
        for i in 0..<count { try writer.append(step(i), frame: encoding == nil ? nil : frame(i)) }
        try writer.finish(outcome: .success, message: "reached the cube")
        if !finish { try FileManager.default.removeItem(at: writer.url.appendingPathComponent(EpisodeFiles.summary)) }
        return writer.url
    }

    static func temporary(_ label: String) throws -> URL { try TestSupport.temporaryDirectory("episodes-\(label)") }

    static func size(_ url: URL) throws -> Int {
        var st = stat()
        guard stat(url.path, &st) == 0 else { throw EpisodeError.system(file: url.path, operation: "stat", errno: errno) }
        return Int(st.st_size)
    }

    static func truncate(_ url: URL, to size: Int) {
        precondition(Glibc.truncate(url.path, off_t(size)) == 0, "truncate \(url.path)")
    }

    /// Offsets of the record headers in a log file.
    static func recordOffsets(_ url: URL) throws -> [Int] {
        let bytes = [UInt8](try Data(contentsOf: url))
        return try bytes.withUnsafeBytes { try RecordLog.scan($0, kind: url.lastPathComponent == "steps.log" ? .steps : .frames,
                                                              file: url.path).offsets }
    }
}
