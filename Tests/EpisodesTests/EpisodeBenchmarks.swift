import Foundation
import RobotCore
import Testing
@testable import Episodes

/// What recording costs per step, by frame encoding and sync policy, and what reading
/// costs. Off by default (timings are not tests); run with
/// `VLA_EPISODE_BENCH=1 swift test --filter EpisodeBenchmarks`.
@Suite("Episode benchmarks", .enabled(if: ProcessInfo.processInfo.environment["VLA_EPISODE_BENCH"] != nil))
struct EpisodeBenchmarks {
    static let steps = 200

    /// A camera-like 224x224 RGB frame: smooth gradients plus noise, so PNG and JPEG
    /// sizes are realistic rather than those of a flat image.
    static func frame(_ i: Int, noise: inout UInt64) -> Frame {
        let (w, h) = (224, 224)
        var pixels = [UInt8](repeating: 0, count: w * h * 3)
        for y in 0..<h {
            for x in 0..<w {
                noise = noise &* 6364136223846793005 &+ 1442695040888963407
                let n = Int(noise >> 61)
                let base = (y * w + x) * 3
                pixels[base] = UInt8(clamping: (x + i) / 2 + n)
                pixels[base + 1] = UInt8(clamping: y / 2 + 60 + n)
                pixels[base + 2] = UInt8(clamping: 120 + ((x / 20 + y / 20) % 2) * 60 + n)
            }
        }
        return Frame(image: Image(width: w, height: h, format: .rgb, pixels: pixels),
                     timestamp: Timestamp(seconds: 1000 + Double(i) * 0.1), sequence: UInt64(i))
    }

    @Test("append cost per step by encoding and sync policy; read cost")
    func recordAndRead() throws {
        let parent = try Fixture.temporary("bench")
        defer { try? FileManager.default.removeItem(at: parent) }
        var seed: UInt64 = 7
        let frames = (0..<8).map { Self.frame($0, noise: &seed) }
        func pad(_ text: String, _ width: Int) -> String { text.padding(toLength: width, withPad: " ", startingAt: 0) }
        var lines = ["encoding  sync                    per step (ms)  flushes  flush mean (ms)  flush max (ms)  bytes/frame"]
        let cases: [(FrameEncoding, EpisodeWriter.SyncPolicy, Bool, String)] = [
            (.raw, .never, false, "never"),
            (.raw, .steps(10), false, "10 steps, inline"),
            (.raw, .steps(10), true, "10 steps, background"),
            (.raw, .everyStep, true, "every step, background"),
            (.raw, .everyStep, false, "every step, inline"),
            (.png, .never, false, "never"),
            (.png, .everyStep, false, "every step, inline"),
            (.jpeg, .never, false, "never"),
            (.jpeg, .everyStep, false, "every step, inline"),
        ]
        var written: URL? = nil
        for (encoding, policy, background, label) in cases {
            let writer = try EpisodeWriter(in: parent, metadata: Fixture.metadata(encoding: encoding),
                                           options: .init(sync: policy, syncInBackground: background))
            let start = Timestamp.now()
            for i in 0..<Self.steps {
                try writer.append(Fixture.step(i), frame: frames[i % frames.count])
            }
            let seconds = Timestamp.now().seconds(since: start)
            let stats = writer.syncStatistics
            try writer.finish(outcome: .success)
            let size = try Fixture.size(writer.url.appendingPathComponent("frames.bin"))
            func column(_ value: String, _ width: Int) -> String {
                String(repeating: " ", count: max(0, width - value.count)) + value
            }
            let mean = stats.count > 0 ? stats.seconds * 1000 / Double(stats.count) : 0
            lines.append(pad(encoding.rawValue, 10) + pad(label, 24)
                         + column(String(format: "%.3f", seconds * 1000 / Double(Self.steps)), 13)
                         + column("\(stats.count)", 9) + column(String(format: "%.3f", mean), 17)
                         + column(String(format: "%.3f", stats.maxSeconds * 1000), 16) + column("\(size / Self.steps)", 13))
            if encoding == .png { written = writer.url }
        }
        let url = try #require(written)
        let start = Timestamp.now()
        let episode = try EpisodeReader(url: url)
        let opened = Timestamp.now()
        _ = try episode.steps()
        let stepsRead = Timestamp.now()
        for i in 0..<episode.stepCount { _ = try episode.frame(at: i) }
        let framesRead = Timestamp.now()
        lines.append(String(format: "read (png, %d steps): open %.1f ms, all steps %.1f ms, all frames %.1f ms (%.2f ms/frame)",
                            Self.steps, opened.seconds(since: start) * 1000, stepsRead.seconds(since: opened) * 1000,
                            framesRead.seconds(since: stepsRead) * 1000,
                            framesRead.seconds(since: stepsRead) * 1000 / Double(Self.steps)))
        print(lines.joined(separator: "\n"))
    }
}
