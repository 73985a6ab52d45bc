import Foundation
import Perception
import RobotCore
import Testing
import TestSupport
@testable import Policy

/// The bundled, trained model (Models/sim-tabletop-vla): the Swift runtime chooses the
/// same action tokens as the PyTorch model that was exported, on recorded validation
/// frames (Models/sim-tabletop-vla/parity, written by Models/tools/train_policy.py from
/// the exported bf16 weights).
@Suite("Bundled model: Swift and PyTorch choose the same action tokens")
struct BundledModelTests {
    struct Case: Decodable {
        var image: String
        var instruction: String
        var tokens: [Int]
        var recorded_tokens: [Int]
        /// The tool point (metres) recorded with the frame, for a model that reads it.
        var state: [Double]?
        /// The tokens numpy binned that state into.
        var state_tokens: [Int]?
    }
    struct Cases: Decodable { var cases: [Case] }

    static let model = TestSupport.repositoryRoot.appendingPathComponent("Models/sim-tabletop-vla")

    @Test("every committed frame: the same greedy tokens as PyTorch")
    func parity() throws {
        let folder = Self.model.appendingPathComponent("parity")
        let cases = try JSONDecoder().decode(Cases.self, from: Data(contentsOf: folder.appendingPathComponent("cases.json"))).cases
        #expect(cases.count >= 10)
        let policy = try VLAPolicy(modelDirectory: Self.model)
        // The bundled model samples when it drives (its generation_config.json); the
        // reference sample is PyTorch's greedy choice.
        #expect(policy.decoding.temperature > 0)
        policy.decoding = .greedy
        var same = 0, tokenMismatches: [String] = []
        for c in cases {
            let image = try Image(contentsOfFile: folder.appendingPathComponent(c.image).path)
            #expect((c.state != nil) == !policy.stateFeatures.isEmpty, "\(c.image): a state in the sample iff the model reads one")
            let out = try policy.predictAction(image: image, instruction: c.instruction, state: c.state)
            #expect(out.stateTokens == (c.state_tokens ?? []), "\(c.image): state binned differently from numpy")
            #expect(out.tokens.count == c.tokens.count)
            if out.tokens == c.tokens { same += 1 } else { tokenMismatches.append("\(c.image): swift \(out.tokens) torch \(c.tokens)") }
        }
        // Greedy decoding of the same bf16 weights in float32: a near-tie may flip one token
        // in a rare frame, never more.
        #expect(same >= cases.count - 1, "\(tokenMismatches)")
    }

    @Test("the model card states the data, the settings and the measured rates")
    func modelCard() throws {
        let card = try String(contentsOf: Self.model.appendingPathComponent("README.md"), encoding: .utf8)
        for needle in ["train_policy.py", "vla record", "vla eval", "held-out", "distractor"] {
            #expect(card.contains(needle), "the model card does not mention \(needle)")
        }
        let bytes = try FileManager.default.attributesOfItem(atPath: Self.model.appendingPathComponent("model.safetensors").path)[.size] as! Int
        #expect(bytes < 20_000_000)
    }
}
