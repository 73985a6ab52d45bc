import Foundation
import Testing
import TestSupport

/// The command line with a policy that reads the arm's state (config.json `state_features`):
/// the loops give it the tool point, `vla act` takes it with `--state`.
@Suite("the vla command line with a policy that reads the arm's state")
struct StateModelCLITests {
    @Test("vla act needs --state for such a model, says so, and reports the state tokens")
    func act() throws {
        let model = try TestSupport.stateModel().path
        let image = TestSupport.fixture("openvla/image0.png").path
        let missing = try VLABinary.run(["act", "--model", model, "--image", image, "--instruction", "push the red cup left"])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("tool.x, tool.y, tool.z") && missing.stderr.contains("--state"), "\(missing.stderr)")
        let bad = try VLABinary.run(["act", "--model", model, "--image", image, "--instruction", "x", "--state", "0.1,zero,0.2"])
        #expect(bad.status != 0 && bad.stderr.contains("'zero'"), "\(bad.stderr)")
        let short = try VLABinary.run(["act", "--model", model, "--image", image, "--instruction", "x", "--state", "0.1,0.2"])
        #expect(short.status == 1 && short.stderr.contains("3 finite values"), "\(short.stderr)")
        // A leading minus sign is a value (clipped to q01 here), not an option.
        let negative = try VLABinary.run(["act", "--model", model, "--image", image, "--instruction", "x", "--state", "-0.5,0.5,1"])
        #expect(negative.status == 0, "\(negative.stderr)")
        let r = try VLABinary.run(["act", "--model", model, "--image", image, "--instruction", "x", "--state", "0,0.5,1"])
        #expect(r.status == 0, "\(r.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(json["state_tokens"] as? [Int] == [31999, 31872, 31744])
        #expect(json["state_features"] as? [String] == ["tool.x", "tool.y", "tool.z"])
    }

    @Test("vla eval, vla run and vla replay give such a model the arm's tool point every step")
    func loops() throws {
        let model = try TestSupport.stateModel(proprio: #"{"q01": [-0.2, -0.3, 0], "q99": [0.2, -0.1, 0.15]}"#).path
        let eval = try VLABinary.run(["eval", "--model", model, "--episodes", "1", "--seed", "100000", "--task", "reach",
                                      "--max-steps", "3", "--json"])
        #expect(eval.status == 0, "\(eval.stderr)")
        let episodes = try TestSupport.temporaryDirectory("state-run").path
        let run = try VLABinary.run(["run", "--model", model, "--task", "reach", "--max-steps", "3", "--episodes", episodes])
        #expect(run.status == 0, "\(run.stderr)")
        let recorded = try FileManager.default.contentsOfDirectory(atPath: episodes)
        #expect(recorded.count == 1)
        let replay = try VLABinary.run(["replay", "--model", model, "--json", episodes + "/" + recorded[0]])
        #expect(replay.status == 0, "\(replay.stderr)")
        // A model whose feature the arm cannot give stops before anything moves.
        let odd = try TestSupport.stateModel(features: #"["tool.speed"]"#, proprio: #"{"q01": [0], "q99": [1]}"#).path
        let r = try VLABinary.run(["run", "--model", odd, "--task", "reach", "--max-steps", "3", "--no-record"])
        #expect(r.status == 1 && r.stderr.contains("'tool.speed'"), "\(r.stderr)")
    }
}
