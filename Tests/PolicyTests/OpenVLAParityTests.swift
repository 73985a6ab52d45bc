import Foundation
import Perception
import RobotCore
import Testing
import TestSupport
import Transformers
@testable import Policy

/// A tiny OpenVLA-layout checkpoint run through OpenVLA's own code
/// (Models/tools/make_openvla_fixture.py): same pixels, same prompt ids, same patch
/// features, same logits, same action tokens, same actions.
@Suite("OpenVLA parity: a whole tiny checkpoint against predict_action")
struct OpenVLAParityTests {
    struct Case: Decodable {
        var image: String
        var instruction: String
        var unnorm_key: String
        var input_ids: [Int]
        var action_tokens: [Int]
        var actions: [Double]
    }
    struct Cases: Decodable { var cases: [Case] }

    static let root = TestSupport.fixture("openvla")
    static let cases: [Case] = (try? JSONDecoder().decode(Cases.self, from: Data(contentsOf: root.appendingPathComponent("cases.json"))).cases) ?? []

    @Test("prompt ids, pixels, patch features, logits, action tokens and actions match", arguments: Array(cases.indices))
    func parity(_ index: Int) throws {
        let c = Self.cases[index]
        let reference = try SafeTensorsFile(url: Self.root.appendingPathComponent("reference.safetensors"))
        let policy = try VLAPolicy(modelDirectory: Self.root.appendingPathComponent("tiny"))
        #expect(policy.promptTokens(for: c.instruction) == c.input_ids)

        let image = try Image(contentsOfFile: Self.root.appendingPathComponent(c.image).path)
        let out = try policy.predictAction(image: image, instruction: c.instruction, unnormKey: c.unnorm_key)

        // Preprocessing: PIL bicubic resize in 8-bit, then normalise; allow one 8-bit level.
        let refPixels = try reference.floatTensor("case\(index).pixel_values")
        let pixelsAgain = try policyPixels(policy, image: image)
        let pd = TestSupport.relativeDifference(pixelsAgain, refPixels.scalars)
        #expect(pd.maxAbs <= 1.0 / 255 / 0.225 + 1e-4, "pixel max-abs-diff \(pd.maxAbs)")

        let features = try reference.floatTensor("case\(index).projector_features")
        let fd = TestSupport.relativeDifference(policy.lastProjectedPatches, features.scalars)
        #expect(fd.relative < 1e-4, "projector features: max-abs-diff \(fd.maxAbs), relative \(fd.relative)")
        let logits = try reference.floatTensor("case\(index).last_logits")
        let ld = TestSupport.relativeDifference(policy.lastFirstStepLogits, logits.scalars)
        #expect(ld.relative < 1e-4, "first-step logits: max-abs-diff \(ld.maxAbs), relative \(ld.relative)")

        #expect(out.tokens == c.action_tokens)
        #expect(out.action.values == c.actions)
        #expect(out.unnormKey == c.unnorm_key)
        #expect(out.action.names == ["x", "y", "z", "roll", "pitch", "yaw", "gripper"])
    }

    /// The planes the policy feeds the towers, recomputed with its own preprocessors.
    func policyPixels(_ policy: VLAPolicy, image: Image) throws -> [Float] {
        var all: [Float] = []
        for p in policy.configuration.preprocessing {
            all += ImagePreprocessor(p)(image)
        }
        return all
    }

    @Test("the reference's pixels through our towers give the reference's features exactly")
    func featuresFromReferencePixels() throws {
        let reference = try SafeTensorsFile(url: Self.root.appendingPathComponent("reference.safetensors"))
        let backbone = try PrismaticVisionBackbone(directory: Self.root.appendingPathComponent("tiny"))
        let session = PrismaticVisionSession(backbone: backbone)
        let pixels = try reference.floatTensor("case0.pixel_values")
        let out = session.embed(pixels: pixels.data)
        let features = try reference.floatTensor("case0.projector_features")
        let d = TestSupport.relativeDifference(Array(out), features.scalars)
        #expect(d.relative < 1e-4, "max-abs-diff \(d.maxAbs), relative \(d.relative)")
    }

    @Test("a wrong or missing unnorm key lists the available keys")
    func unnormKeys() throws {
        let policy = try VLAPolicy(modelDirectory: Self.root.appendingPathComponent("tiny"), unnormKey: "sim_tabletop")
        let image = Image(width: 32, height: 24, format: .rgb)
        #expect(throws: ActionStatisticsError.unknownKey("bridge_orig", available: ["sim_tabletop", "sim_tabletop_fast"])) {
            try policy.predictAction(image: image, instruction: "go", unnormKey: "bridge_orig")
        }
        let unkeyed = try VLAPolicy(modelDirectory: Self.root.appendingPathComponent("tiny"))
        #expect(throws: ActionStatisticsError.keyRequired(available: ["sim_tabletop", "sim_tabletop_fast"])) {
            try unkeyed.predictAction(image: image, instruction: "go")
        }
        #expect(throws: ActionStatisticsError.unknownKey("droid", available: ["sim_tabletop", "sim_tabletop_fast"])) {
            try VLAPolicy(modelDirectory: Self.root.appendingPathComponent("tiny"), unnormKey: "droid")
        }
    }

    @Test("constrained decoding only ever yields action tokens")
    func constrained() throws {
        let policy = try VLAPolicy(modelDirectory: Self.root.appendingPathComponent("tiny"), unnormKey: "sim_tabletop")
        policy.constrainedDecoding = true
        let image = try Image(contentsOfFile: Self.root.appendingPathComponent("image1.png").path)
        let out = try policy.predictAction(image: image, instruction: "pick up the green cup")
        #expect(out.tokens.allSatisfy { policy.actionTokenizer.tokenRange.contains($0) })
    }
}
