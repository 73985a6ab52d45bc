import Foundation
import RobotCore
import TestSupport
import Testing
@testable import Episodes

/// Runs `python3` from the PATH, or the interpreter named by `VLA_PYTHON`.
enum PythonTool {
    static let python = ProcessInfo.processInfo.environment["VLA_PYTHON"] ?? "python3"

    /// Whether that Python has numpy (the Python tests are skipped otherwise).
    static let available: Bool = (try? run(["-c", "import numpy"]))?.status == 0

    static func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let r = try TestSupport.run(URL(fileURLWithPath: "/usr/bin/env"), [python] + arguments)
        return (r.status, r.stdout + r.stderr)
    }
}

/// `Models/tools/read_episode.py` reads what the Swift writer wrote, torn tails included.
@Suite("Python reader", .enabled(if: PythonTool.available))
struct PythonReaderTests {
    @Test("steps, actions, pixels and torn tails agree with the Swift reader", arguments: [FrameEncoding.png, .raw])
    func agrees(encoding: FrameEncoding) throws {
        let parent = try Fixture.temporary("python")
        defer { try? FileManager.default.removeItem(at: parent) }
        let url = try Fixture.write(5, in: parent, encoding: encoding, finish: false)
        let log = url.appendingPathComponent("steps.log")
        Fixture.truncate(log, to: try Fixture.size(log) - 9)
        let tools = TestSupport.repositoryRoot.appendingPathComponent("Models/tools").path
        let script = """
        import json, sys
        sys.path.insert(0, sys.argv[1])
        from read_episode import Episode
        ep = Episode(sys.argv[2])
        print(json.dumps({"steps": len(ep), "torn": ep.torn_tails, "status": ep.status,
                          "actions": [[repr(v) for v in row] for row in ep.actions().tolist()],
                          "states": [[repr(v) for v in row] for row in ep.states().tolist()],
                          "sums": [int(ep.frame(i).astype(int).sum()) for i in range(len(ep))],
                          "pixel": ep.frame(3)[2, 5].tolist(), "info": ep.frame_info(3)}))
        """
        let (status, output) = try PythonTool.run(["-c", script, tools, url.path])
        #expect(status == 0, "\(output)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])
        let episode = try EpisodeReader(url: url)
        #expect(json["steps"] as? Int == episode.stepCount)
        #expect(json["status"] as? String == "unfinished")
        let torn = try #require((json["torn"] as? [[String: Any]])?.first)
        #expect(torn["offset"] as? Int == episode.tornTails.first?.offset)
        #expect(torn["bytes"] as? Int == episode.tornTails.first?.bytes)
        // Compared as shortest round-trip text (Python's repr, Swift's description), since
        // JSONSerialization may not parse the last digit exactly.
        let actions = try #require(json["actions"] as? [[String]])
        let states = try #require(json["states"] as? [[String]])
        for i in 0..<episode.stepCount {
            let step = try episode.step(at: i)
            #expect(actions[i] == step.action?.values.map { "\($0)" })
            #expect(states[i] == step.observation?.values.map { "\($0)" })
        }
        let sums = try #require(json["sums"] as? [Int])
        #expect(sums == (0..<4).map { Fixture.frame($0).image.pixels.reduce(0) { $0 + Int($1) } })
        let pixel = try #require(json["pixel"] as? [Int])
        let image = Fixture.frame(3).image
        #expect(pixel == (0..<3).map { Int(image.pixels[(2 * image.width + 5) * 3 + $0]) })
        let info = try #require(json["info"] as? [String: Any])
        #expect(info["encoding"] as? String == encoding.rawValue && info["format"] as? String == "rgb")
        #expect(info["sequence"] as? Int == 103)
    }

    @Test("a corrupt middle record is an error in Python too")
    func corrupt() throws {
        let parent = try Fixture.temporary("python-corrupt")
        defer { try? FileManager.default.removeItem(at: parent) }
        let url = try Fixture.write(4, in: parent)
        let log = url.appendingPathComponent("steps.log")
        var bytes = [UInt8](try Data(contentsOf: log))
        bytes[try Fixture.recordOffsets(log)[1] + 30] ^= 0x08
        try Data(bytes).write(to: log)
        let script = TestSupport.repositoryRoot.appendingPathComponent("Models/tools/read_episode.py").path
        let (status, output) = try PythonTool.run([script, url.path])
        #expect(status == 1)
        #expect(output.contains("record 1 at byte") && output.contains("corrupt"))
    }
}
