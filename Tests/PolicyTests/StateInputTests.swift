import Foundation
import Perception
import RobotCore
import Testing
import TestSupport
@testable import Policy

/// A policy that reads the arm's state besides the image (config.json `state_features`,
/// dataset statistics `proprio`): made here from the tiny random OpenVLA by adding the two keys.
@Suite("Policies that read the arm's state")
struct StateInputTests {
    static func model(features: String = #"["tool.x", "tool.y", "tool.z"]"#,
                      proprio: String? = #"{"q01": [0, 0, 0], "q99": [1, 1, 1]}"#) throws -> URL {
        try TestSupport.stateModel(features: features, proprio: proprio)
    }

    static let image = Image(width: 64, height: 48, format: .rgb, pixels: (0..<(64 * 48 * 3)).map { UInt8(truncatingIfNeeded: $0 &* 37) })

    @Test("the config's state_features and the statistics' proprio entry are read")
    func configuration() throws {
        let c = try OpenVLAConfiguration(directory: Self.model())
        #expect(c.stateFeatures == ["tool.x", "tool.y", "tool.z"])
        let p = try #require(c.statistics?.proprio["sim_tabletop"])
        #expect(p.q01 == [0, 0, 0] && p.q99 == [1, 1, 1])
        // OpenVLA's own checkpoints name no state features.
        let plain = try OpenVLAConfiguration(directory: TestSupport.repositoryRoot.appendingPathComponent("Models/tiny-random-openvla"))
        #expect(plain.stateFeatures.isEmpty)
    }

    @Test("state values are normalised with proprio q01/q99 and binned as actions, after the prompt")
    func tokens() throws {
        let policy = try VLAPolicy(modelDirectory: Self.model())
        // -1 → bin 1 → 31999; 0 → the first edge above 0 is edge 128 → 31872; 1 → bin 256 → 31744;
        // outside [q01, q99] clips.
        #expect(try policy.stateTokens(for: [0, 0.5, 1]) == [31999, 31872, 31744])
        #expect(try policy.stateTokens(for: [-3, 0.5, 7]) == [31999, 31872, 31744])
        let out = try policy.predictAction(image: Self.image, instruction: "push the red cup left", state: [0, 0.5, 1])
        #expect(out.stateTokens == [31999, 31872, 31744])
        #expect(out.tokens.count == 7)
        // The state reaches the decoder: another state, other logits.
        let first = policy.lastFirstStepLogits
        _ = try policy.predictAction(image: Self.image, instruction: "push the red cup left", state: [1, 0.5, 0])
        #expect(policy.lastFirstStepLogits != first)
        // The same state, the same logits.
        _ = try policy.predictAction(image: Self.image, instruction: "push the red cup left", state: [0, 0.5, 1])
        #expect(policy.lastFirstStepLogits == first)
        #expect(policy.centralState == [0.5, 0.5, 0.5])
    }

    @Test("a missing, short or non-finite state is a typed error naming the features")
    func badState() throws {
        let policy = try VLAPolicy(modelDirectory: Self.model())
        #expect(throws: PolicyError.stateRequired(model: policy.directory.path, features: ["tool.x", "tool.y", "tool.z"])) {
            try policy.predictAction(image: Self.image, instruction: "push the red cup left")
        }
        #expect { try policy.predictAction(image: Self.image, instruction: "x", state: [0, 0]) } throws: {
            "\($0)".contains("3 finite values (tool.x, tool.y, tool.z)")
        }
        #expect { try policy.predictAction(image: Self.image, instruction: "x", state: [0, .nan, 0]) } throws: {
            $0 is PolicyError
        }
        // A policy without state features ignores a state.
        let plain = try VLAPolicy(modelDirectory: TestSupport.repositoryRoot.appendingPathComponent("Models/tiny-random-openvla"))
        #expect(try plain.predictAction(image: Self.image, instruction: "x", state: [1, 2, 3]).stateTokens.isEmpty)
        #expect(plain.centralState == nil)
    }

    @Test("state_features without proprio statistics, or not a list, is refused at load with the file named")
    func badModel() throws {
        let noStats = try Self.model(proprio: nil)
        #expect { try VLAPolicy(modelDirectory: noStats) } throws: {
            "\($0)".contains("config.json") && "\($0)".contains("no proprio q01/q99")
        }
        let short = try Self.model(proprio: #"{"q01": [0, 0], "q99": [1, 1]}"#)
        #expect { try VLAPolicy(modelDirectory: short) } throws: { "\($0)".contains("2-value proprio") }
        let notList = try Self.model(features: #""tool.z""#)
        #expect { try OpenVLAConfiguration(directory: notList) } throws: { "\($0)".contains("state_features") }
        let badStats = try Self.model(proprio: #"{"q01": [0, "a", 0], "q99": [1, 1, 1]}"#)
        #expect { try OpenVLAConfiguration(directory: badStats) } throws: { "\($0)".contains("sim_tabletop.proprio.q01") }
    }
}
