import Foundation
import Testing
import TestSupport

/// The programs in Examples/ are built with the package; these run them as a user would.
@Suite("Examples")
struct ExamplesTests {
    static func example(_ name: String) throws -> URL {
        let vla = try #require(VLABinary.url, "the build folder was not found")
        let url = vla.deletingLastPathComponent().appendingPathComponent(name)
        try #require(FileManager.default.isExecutableFile(atPath: url.path), "\(name) was not built")
        return url
    }

    static func run(_ name: String, _ arguments: [String]) throws -> (status: Int32, out: String, err: String) {
        let r = try TestSupport.run(try example(name), arguments, in: TestSupport.repositoryRoot)
        return (r.status, r.stdout, r.stderr)
    }

    @Test("act-on-image prints a named 7-D action and its timing")
    func actOnImage() throws {
        let r = try Self.run("act-on-image", [])
        #expect(r.status == 0, "\(r.err)")
        for name in ["x", "y", "z", "roll", "pitch", "yaw", "gripper"] {
            #expect(r.out.contains("\n\(name) ") || r.out.hasPrefix("\(name) "), "\(name) missing in \(r.out)")
        }
        #expect(r.out.contains(" ms (vision"))
    }

    @Test("sim-custom-loop drives the simulated arm to success with its own stopping rule")
    func simCustomLoop() throws {
        let r = try Self.run("sim-custom-loop", ["7", "pick"])
        #expect(r.status == 0, "\(r.err)")
        #expect(r.out.contains("done after"))
    }

    @Test("read-episode prints a recorded episode's actions")
    func readEpisode() throws {
        let dir = try TestSupport.temporaryDirectory("example")
        let rec = try VLABinary.run(["run", "--expert", "--task", "reach", "--seed", "4", "--fast", "--episodes", dir.path, "--json"])
        #expect(rec.status == 0, "\(rec.stderr)")
        let episode = try #require((try JSONSerialization.jsonObject(with: Data(rec.stdout.utf8)) as? [String: Any])?["episode"] as? String)
        let r = try Self.run("read-episode", [episode])
        #expect(r.status == 0, "\(r.err)")
        #expect(r.out.contains("steps, success"))
        #expect(r.out.split(separator: "\n").count >= 3)
    }
}
