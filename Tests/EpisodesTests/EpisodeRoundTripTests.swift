import Foundation
import RobotCore
import Testing
@testable import Episodes

@Suite("Episode round trip")
struct EpisodeRoundTripTests {
    @Test("steps, metadata and summary read back as written", arguments: [FrameEncoding.png, .raw, .jpeg])
    func roundTrip(encoding: FrameEncoding) throws {
        let parent = try Fixture.temporary("roundtrip")
        defer { try? FileManager.default.removeItem(at: parent) }
        let url = try Fixture.write(6, in: parent, encoding: encoding)
        let episode = try EpisodeReader(url: url)
        #expect(episode.stepCount == 6)
        #expect(episode.status == .finished)
        #expect(episode.tornTails.isEmpty)
        var expectedMeta = Fixture.metadata(encoding: encoding)
        expectedMeta.id = url.lastPathComponent
        expectedMeta.startTime = episode.metadata.startTime
        #expect(episode.metadata == expectedMeta)
        #expect(abs(episode.metadata.startTime.timeIntervalSince(Fixture.metadata().startTime)) < 5)
        for i in 0..<6 {
            var step = try episode.step(at: i)
            #expect(step.frame != nil)
            step.frame = nil
            var expected = Fixture.step(i)
            expected.index = i
            #expect(step == expected)
            let frame = try #require(try episode.frame(at: i))
            let original = Fixture.frame(i)
            #expect(frame.sequence == original.sequence)
            #expect(frame.timestamp == original.timestamp)
            #expect(frame.image.format == .rgb)
            #expect(frame.image.width == 32 && frame.image.height == 24)
            if encoding == .jpeg {
                let diff = zip(frame.image.pixels, original.image.pixels).map { abs(Int($0) - Int($1)) }
                #expect(Double(diff.reduce(0, +)) / Double(diff.count) < 12, "JPEG too far from the original")
            } else {
                #expect(frame.image == original.image)
            }
        }
        let summary = try episode.summary()
        #expect(summary.steps == 6 && summary.frames == 6 && summary.clampedSteps == 2)
        #expect(summary.outcome == .success && summary.message == "reached the cube")
        #expect(throws: EpisodeError.stepOutOfRange(episode: url.path, step: 6, count: 6)) { try episode.step(at: 6) }
    }

    @Test("the folder name sorts by time and reads as the task")
    func folderName() throws {
        let date = Date(timeIntervalSince1970: 1_764_417_423.125)
        #expect(EpisodeWriter.folderName(start: date, instruction: "Pick up the RED cube, then stop!")
                == "20251129-115703-125-pick-up-the-red-cube-then-stop")
        let parent = try Fixture.temporary("names")
        defer { try? FileManager.default.removeItem(at: parent) }
        let a = try EpisodeWriter(in: parent, metadata: Fixture.metadata(), options: .init(name: "same"))
        let b = try EpisodeWriter(in: parent, metadata: Fixture.metadata(), options: .init(name: "same"))
        #expect(a.url.lastPathComponent == "same" && b.url.lastPathComponent == "same-2")
        #expect(b.metadata.id == "same-2")
    }

    @Test("the duration runs from start_timestamp to the last step, on the steps' own clock")
    func durationOnTheStepsClock() throws {
        let parent = try Fixture.temporary("duration")
        defer { try? FileManager.default.removeItem(at: parent) }
        // The fixture's clock starts at 1000 s (not the process's monotonic time, as a
        // simulation's clock): finished or not, the duration is 4 steps of 0.1 s.
        let finished = try EpisodeReader(url: try Fixture.write(5, in: parent, name: "finished"))
        let cut = try EpisodeReader(url: try Fixture.write(5, in: parent, finish: false, name: "cut"))
        #expect(abs((finished.end?.duration ?? -1) - 0.4) < 1e-9)
        #expect(cut.end == nil)
        #expect(abs(try cut.summary().duration - 0.4) < 1e-9)
    }

    @Test("steps without frames, NaN actions, and no frames.bin when there is no camera")
    func withoutFrames() throws {
        let parent = try Fixture.temporary("noframes")
        defer { try? FileManager.default.removeItem(at: parent) }
        let writer = try EpisodeWriter(in: parent, metadata: Fixture.metadata(encoding: nil))
        var step = Fixture.step(0)
        step.action?.values[0] = .nan
        step.action?.values[1] = .infinity
        try writer.append(step, frame: Fixture.frame(0))    // ignored: no frame encoding
        try writer.append(Fixture.step(1))
        try writer.finish(outcome: .maxSteps)
        #expect(!FileManager.default.fileExists(atPath: writer.url.appendingPathComponent("frames.bin").path))
        let episode = try EpisodeReader(url: writer.url)
        let read = try episode.step(at: 0)
        #expect(read.action!.values[0].isNaN && read.action!.values[1] == .infinity)
        #expect(read.frame == nil)
        #expect(try episode.frame(at: 0) == nil)
        #expect(episode.end?.outcome == .maxSteps)
    }

    @Test("a step whose names differ from meta.json is refused and nothing is written")
    func namesMismatch() throws {
        let parent = try Fixture.temporary("names-mismatch")
        defer { try? FileManager.default.removeItem(at: parent) }
        let writer = try EpisodeWriter(in: parent, metadata: Fixture.metadata())
        var step = Fixture.step(0)
        step.observation = JointPositions(names: ["a", "b", "c"], values: [0, 0, 0])
        #expect(throws: EpisodeError.self) { try writer.append(step, frame: Fixture.frame(0)) }
        try writer.append(Fixture.step(0), frame: Fixture.frame(0))
        try writer.finish(outcome: .success)
        #expect(throws: EpisodeError.writerClosed(episode: writer.url.path)) { try writer.append(Fixture.step(1)) }
        let episode = try EpisodeReader(url: writer.url)
        #expect(episode.stepCount == 1)
        #expect(try episode.step(at: 0).index == 0)
    }

    @Test("status: recording while a writer is open, finished after finish, deinit finishes as interrupted")
    func status() throws {
        let parent = try Fixture.temporary("status")
        defer { try? FileManager.default.removeItem(at: parent) }
        var writer: EpisodeWriter? = try EpisodeWriter(in: parent, metadata: Fixture.metadata())
        let url = writer!.url
        try writer!.append(Fixture.step(0), frame: Fixture.frame(0))
        #expect(try EpisodeReader(url: url).status == .recording)
        #expect(try EpisodeReader(url: url).stepCount == 1)
        writer = nil
        let episode = try EpisodeReader(url: url)
        #expect(episode.status == .finished)
        #expect(episode.end?.outcome == .interrupted)
        #expect(episode.end?.steps == 1)
    }

    @Test("sync policies flush and count their cost")
    func syncPolicies() throws {
        let parent = try Fixture.temporary("sync")
        defer { try? FileManager.default.removeItem(at: parent) }
        for (policy, expected) in [(EpisodeWriter.SyncPolicy.everyStep, 5), (.steps(2), 2), (.never, 0)] {
            let writer = try EpisodeWriter(in: parent, metadata: Fixture.metadata(encoding: .raw),
                                           options: .init(sync: policy, syncInBackground: false))
            for i in 0..<5 { try writer.append(Fixture.step(i), frame: Fixture.frame(i)) }
            #expect(writer.syncStatistics.count == expected, "\(policy)")
            try writer.finish(outcome: .success)
            #expect(writer.syncStatistics.count == expected + 1, "finish flushes")
        }
        // In the background a flush still running when the next is due is not doubled up.
        let writer = try EpisodeWriter(in: parent, metadata: Fixture.metadata(encoding: .raw), options: .init(sync: .everyStep))
        for i in 0..<5 { try writer.append(Fixture.step(i), frame: Fixture.frame(i)) }
        try writer.finish(outcome: .success)
        let flushes = writer.syncStatistics.count
        #expect(flushes >= 2 && flushes <= 6)
        #expect(try EpisodeReader(url: writer.url).stepCount == 5)
    }
}

@Suite("Episode store")
struct EpisodeStoreTests {
    @Test("lists episodes oldest first with summaries, and unreadable ones with their problem")
    func listing() throws {
        let parent = try Fixture.temporary("store")
        defer { try? FileManager.default.removeItem(at: parent) }
        let a = try Fixture.write(3, in: parent, name: "a")
        let b = try Fixture.write(2, in: parent, finish: false, name: "b")
        try FileManager.default.createDirectory(at: parent.appendingPathComponent("not-an-episode"), withIntermediateDirectories: true)
        let broken = parent.appendingPathComponent("broken")
        try FileManager.default.createDirectory(at: broken, withIntermediateDirectories: true)
        try Data([1, 2, 3]).write(to: broken.appendingPathComponent("steps.log"))
        let entries = try EpisodeStore(directory: parent).list()
        #expect(entries.map(\.name) == ["a", "b", "broken"])
        #expect(entries[0].url == a && entries[0].summary?.steps == 3 && entries[0].status == .finished)
        #expect(entries[1].url == b && entries[1].summary?.steps == 2 && entries[1].summary?.outcome == nil)
        #expect(entries[1].status == .unfinished)
        #expect(entries[1].summary?.clampedSteps == 1 && entries[1].summary?.frames == 2)
        #expect(entries[2].problem == .missingMetadata(file: broken.appendingPathComponent("meta.json").path))
        #expect(throws: EpisodeError.self) { try EpisodeStore(directory: parent.appendingPathComponent("nope")).list() }
    }
}
