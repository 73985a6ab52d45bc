import Foundation
import RobotCore
import Testing
import TestSupport
@testable import Episodes

/// A recording killed at any moment keeps every completed step, and reading it needs no
/// repair; damage in the middle is reported as corruption, not hidden.
@Suite("Crash safety")
struct CrashSafetyTests {
    @Test("steps.log cut at every byte of its last record keeps all earlier steps and reports the torn tail")
    func truncateLastStepRecord() throws {
        let parent = try Fixture.temporary("torn-steps")
        defer { try? FileManager.default.removeItem(at: parent) }
        let url = try Fixture.write(5, in: parent, finish: false)
        let log = url.appendingPathComponent("steps.log")
        let full = try Fixture.size(log)
        let last = try Fixture.recordOffsets(log).last!
        var checked = 0
        for size in stride(from: full - 1, through: last, by: -1) {
            Fixture.truncate(log, to: size)
            let episode = try EpisodeReader(url: url)
            #expect(episode.stepCount == 4, "cut at \(size)")
            let torn = episode.tornTails.first { $0.file == "steps.log" }
            if size > last {
                #expect(torn?.offset == last && torn?.bytes == size - last, "cut at \(size)")
            } else {
                #expect(torn == nil, "cut exactly at a record boundary is a clean file")
            }
            #expect(try episode.step(at: 3).index == 3)
            checked += 1
        }
        #expect(checked == full - last)
        // The file header itself cut off: an empty episode, not an error.
        for size in [15, 7, 0] {
            Fixture.truncate(log, to: size)
            #expect(try EpisodeReader(url: url).stepCount == 0)
        }
    }

    @Test("frames.bin cut inside the last frame drops only the step that refers to it")
    func truncateLastFrame() throws {
        let parent = try Fixture.temporary("torn-frames")
        defer { try? FileManager.default.removeItem(at: parent) }
        let url = try Fixture.write(4, in: parent, encoding: .raw, finish: false)
        let frames = url.appendingPathComponent("frames.bin")
        let full = try Fixture.size(frames)
        let last = try Fixture.recordOffsets(frames).last!
        for size in stride(from: full - 1, through: last, by: -97) + [last + 3, last + 16, full - 1] {
            Fixture.truncate(frames, to: size)
            let episode = try EpisodeReader(url: url)
            #expect(episode.stepCount == 3, "cut at \(size)")
            #expect(episode.tornTails.map(\.file) == ["frames.bin"])
            #expect(episode.tornTails.first?.droppedSteps == 1)
            #expect(try episode.frame(at: 2)?.image == Fixture.frame(2).image)
        }
    }

    @Test("a zero-filled tail (a power cut on some file systems) is a torn tail")
    func zeroTail() throws {
        let parent = try Fixture.temporary("zeros")
        defer { try? FileManager.default.removeItem(at: parent) }
        let url = try Fixture.write(3, in: parent, finish: false)
        let log = url.appendingPathComponent("steps.log")
        let handle = try FileHandle(forWritingTo: log)
        try handle.seekToEnd()
        handle.write(Data(count: 4096))
        try handle.close()
        let episode = try EpisodeReader(url: url)
        #expect(episode.stepCount == 3)
        #expect(episode.tornTails.first?.bytes == 4096)
    }

    @Test("a damaged record with whole records after it is corruption, naming the file, step and offset",
          arguments: [0, 5, 13, 40])
    func corruptMiddleRecord(byteInRecord: Int) throws {
        let parent = try Fixture.temporary("corrupt")
        defer { try? FileManager.default.removeItem(at: parent) }
        let url = try Fixture.write(5, in: parent)
        let log = url.appendingPathComponent("steps.log")
        let offsets = try Fixture.recordOffsets(log)
        var bytes = [UInt8](try Data(contentsOf: log))
        bytes[offsets[2] + byteInRecord] ^= 0x20
        try Data(bytes).write(to: log)
        #expect {
            try EpisodeReader(url: url)
        } throws: { error in
            guard case let EpisodeError.corruptRecord(file, step, offset, _) = error else { return false }
            return file == log.path && step == 2 && offset == offsets[2]
        }
    }

    @Test("a damaged frame in the middle is an error when read, and the other frames still read")
    func corruptMiddleFrame() throws {
        let parent = try Fixture.temporary("corrupt-frame")
        defer { try? FileManager.default.removeItem(at: parent) }
        let url = try Fixture.write(3, in: parent, encoding: .raw)
        let frames = url.appendingPathComponent("frames.bin")
        let offsets = try Fixture.recordOffsets(frames)
        var bytes = [UInt8](try Data(contentsOf: frames))
        bytes[offsets[1] + 100] ^= 1
        try Data(bytes).write(to: frames)
        let episode = try EpisodeReader(url: url)
        #expect(episode.stepCount == 3)
        #expect(throws: EpisodeError.corruptFrame(file: frames.path, step: 1, offset: offsets[1], reason: "payload CRC mismatch")) {
            try episode.frame(at: 1)
        }
        #expect(try episode.frame(at: 2)?.image == Fixture.frame(2).image)
        #expect(episode.verify() == [.corruptFrame(file: frames.path, step: 1, offset: offsets[1], reason: "payload CRC mismatch")])
        #expect(try EpisodeReader(url: try Fixture.write(2, in: parent)).verify().isEmpty)
    }

    @Test("missing meta.json, a newer version, a missing frames.bin are typed errors naming the file")
    func typedErrors() throws {
        let parent = try Fixture.temporary("errors")
        defer { try? FileManager.default.removeItem(at: parent) }
        let url = try Fixture.write(2, in: parent)
        let meta = url.appendingPathComponent("meta.json")
        let original = try Data(contentsOf: meta)

        var json = try JSONSerialization.jsonObject(with: original) as! [String: Any]
        json["version"] = 99
        try JSONSerialization.data(withJSONObject: json).write(to: meta)
        #expect(throws: EpisodeError.unsupportedVersion(file: meta.path, version: 99, supported: 1)) { try EpisodeReader(url: url) }

        json["version"] = 1
        json.removeValue(forKey: "joint_names")
        try JSONSerialization.data(withJSONObject: json).write(to: meta)
        #expect(throws: EpisodeError.invalidMetadata(file: meta.path, reason: "missing key \"joint_names\"")) { try EpisodeReader(url: url) }

        try FileManager.default.removeItem(at: meta)
        #expect(throws: EpisodeError.missingMetadata(file: meta.path)) { try EpisodeReader(url: url) }
        try original.write(to: meta)

        let frames = url.appendingPathComponent("frames.bin")
        try FileManager.default.removeItem(at: frames)
        let episode = try EpisodeReader(url: url)
        #expect(episode.stepCount == 2)
        #expect(throws: EpisodeError.missingFile(file: frames.path)) { try episode.frame(at: 0) }

        try FileManager.default.removeItem(at: url.appendingPathComponent("steps.log"))
        #expect(throws: EpisodeError.missingFile(file: url.appendingPathComponent("steps.log").path)) { try EpisodeReader(url: url) }
        #expect(EpisodeError.missingMetadata(file: meta.path).description.contains("meta.json"))
    }

    @Test("a recorder SIGKILLed while appending keeps every completed step", arguments: [FrameEncoding.raw, .png])
    func killedWriter(encoding: FrameEncoding) throws {
        let parent = try Fixture.temporary("sigkill")
        defer { try? FileManager.default.removeItem(at: parent) }
        // The recorder is a program of its own (Tests/CrashWriter), not a fork() of this
        // multi-threaded process: a lock another test thread held at fork time would stay
        // locked in the child. It appends Fixture.step(i) with a copy of `big` whose first
        // byte and sequence number are i, until it is killed.
        let writerProgram = try #require(TestSupport.builtExecutable("crash-writer"),
                                         "the crash-writer helper was not built next to the tests")
        let big = Fixture.frame(0, width: 320, height: 240, format: .rgb)
        for round in 0..<3 {
            let name = "killed-\(round)"
            let stderrURL = parent.appendingPathComponent("\(name).stderr.txt")
            _ = FileManager.default.createFile(atPath: stderrURL.path, contents: nil)
            let errorLog = try FileHandle(forWritingTo: stderrURL)
            defer { try? errorLog.close() }
            let recorder = Process()
            recorder.executableURL = writerProgram
            recorder.arguments = [parent.path, name, encoding.rawValue]
            recorder.standardInput = FileHandle.nullDevice
            recorder.standardOutput = FileHandle.nullDevice
            recorder.standardError = errorLog
            try recorder.run()
            // Never leave it writing, whatever fails below.
            defer {
                if recorder.isRunning { kill(recorder.processIdentifier, SIGKILL) }
                recorder.waitUntilExit()
            }
            #expect(recorder.processIdentifier > 0)
            // Read the episode while it is being written (as `vla episodes show` may),
            // until it holds enough steps; then kill the recorder wherever it is.
            let url = parent.appendingPathComponent(name)
            let deadline = Date().addingTimeInterval(20)
            let target = 20 + round * 7
            var sawRecording = false
            while Date() < deadline, recorder.isRunning {
                guard let live = try? EpisodeReader(url: url) else { usleep(2000); continue }
                sawRecording = sawRecording || live.status == .recording
                if live.stepCount >= target { break }
                usleep(2000)
            }
            #expect(sawRecording)
            if recorder.isRunning { kill(recorder.processIdentifier, SIGKILL) }
            recorder.waitUntilExit()
            #expect(recorder.terminationReason == .uncaughtSignal && recorder.terminationStatus == SIGKILL,
                    "the recorder must be killed, not exit (\(recorder.terminationReason), status \(recorder.terminationStatus)): \((try? String(contentsOf: stderrURL, encoding: .utf8)) ?? "")")

            let episode = try EpisodeReader(url: parent.appendingPathComponent(name))
            #expect(episode.status == .unfinished)
            #expect(episode.end == nil)
            #expect(episode.stepCount >= target, "round \(round): \(episode.stepCount) steps")
            for i in 0..<episode.stepCount {
                var expected = Fixture.step(i)
                expected.index = i
                var step = try episode.step(at: i)
                step.frame = nil
                #expect(step == expected)
            }
            let lastFrame = try #require(try episode.frame(at: episode.stepCount - 1))
            #expect(lastFrame.sequence == UInt64(episode.stepCount - 1))
            #expect(lastFrame.image.pixels[0] == UInt8((episode.stepCount - 1) & 0xFF))
            #expect(lastFrame.image.pixels[1...] == big.image.pixels[1...])
            let summary = try episode.summary()
            #expect(summary.steps == episode.stepCount && summary.outcome == nil)
        }
    }
}
