import Foundation
import Testing
import TestSupport

/// Runs the built `vla` binary, as a user would.
enum VLABinary {
    static let url: URL? = {
        // The test bundle sits in the build folder next to the `vla` executable.
        var dir = Bundle.main.bundleURL
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("vla")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return nil
    }()

    struct Result { var status: Int32; var stdout: String; var stderr: String }

    /// Runs `vla ARGUMENTS` to its end (killed after `timeout` seconds: a hang fails the test,
    /// it does not stall the run).
    static func run(_ arguments: [String], in directory: URL = TestSupport.repositoryRoot,
                    timeout: TimeInterval = 600) throws -> Result {
        let binary = try #require(url, "the vla executable was not built next to the tests")
        let r = try TestSupport.run(binary, arguments, in: directory, timeout: timeout)
        return Result(status: r.status, stdout: r.stdout, stderr: r.stderr)
    }
}

@Suite("the vla command line")
struct CLITests {
    @Test("vla lm prints the reference's greedy tokens as JSON and writes the logits")
    func lm() throws {
        let dir = TestSupport.fixture("lm/qwen2-bias")
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: TestSupport.fixture("lm/manifest.json"))) as! [String: Any]
        let c = (manifest["cases"] as! [String: Any])["qwen2-bias"] as! [String: Any]
        let ids = (c["input_ids"] as! [Int]).map(String.init).joined(separator: ",")
        let expected = c["generated"] as! [Int]
        let out = try TestSupport.temporaryDirectory().appendingPathComponent("logits.safetensors")
        let r = try VLABinary.run(["lm", "--model", dir.path, "--ids", ids, "--generate", "\(expected.count)", "--out", out.path])
        #expect(r.status == 0, "\(r.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        #expect(json["generated"] as? [Int] == expected)
        #expect(FileManager.default.fileExists(atPath: out.path))
    }

    @Test("a missing model folder is one clear line on stderr and exit status 1")
    func missingModel() throws {
        let r = try VLABinary.run(["lm", "--model", "/nonexistent/model", "--ids", "1,2"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("/nonexistent/model"))
        #expect(r.stdout.isEmpty)
    }

    @Test("bad --ids are rejected before anything loads")
    func badIDs() throws {
        let r = try VLABinary.run(["lm", "--ids", "1,x"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("'x'"))
    }

    @Test("help teaches: it names the JSON output and gives examples")
    func help() throws {
        let r = try VLABinary.run(["lm", "--help"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("{\"generated\": [ids...]}"))
        #expect(r.stdout.contains("Examples:"))
        let top = try VLABinary.run(["--help"])
        #expect(top.stdout.contains("lm"))
        #expect(top.stdout.contains("bench"))
    }
}
