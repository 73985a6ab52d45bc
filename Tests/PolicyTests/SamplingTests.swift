import Foundation
import Perception
import RobotCore
import Testing
import TestSupport
import Tensors
import Transformers
@testable import Policy

/// Sampled action tokens (`generation_config.json` with `do_sample`, or
/// `VLAPolicy.decoding`): greedy stays the default, sampling is seeded and follows the
/// softmax of the logits, `top_k` and a tiny temperature fall back to the greedy token,
/// and a bad generation config is a typed error naming the file and field.
@Suite("Sampling action tokens")
struct SamplingTests {
    static let tiny = TestSupport.fixture("openvla").appendingPathComponent("tiny")
    static let image = TestSupport.fixture("openvla").appendingPathComponent("image0.png")

    /// A copy of the tiny OpenVLA fixture with `generation` as its generation_config.json.
    static func tinyModel(generation: String?) throws -> URL {
        let dir = try TestSupport.temporaryDirectory("sampling").appendingPathComponent("tiny")
        try FileManager.default.copyItem(at: tiny, to: dir)
        let g = dir.appendingPathComponent("generation_config.json")
        try? FileManager.default.removeItem(at: g)
        if let generation { try generation.write(to: g, atomically: true, encoding: .utf8) }
        return dir
    }

    @Test("without do_sample the policy is greedy; do_sample reads temperature and top_k with transformers' defaults")
    func configuration() throws {
        #expect(try OpenVLAConfiguration(directory: Self.tiny).decoding == .greedy)
        #expect(try OpenVLAConfiguration(directory: Self.tinyModel(generation: nil)).decoding == .greedy)
        #expect(try OpenVLAConfiguration(directory: Self.tinyModel(generation: #"{"do_sample": false, "temperature": 0.7}"#)).decoding == .greedy)
        let defaults = try OpenVLAConfiguration(directory: Self.tinyModel(generation: #"{"do_sample": true}"#)).decoding
        #expect(defaults == .init(temperature: 1.0, topK: 50))
        let set = try OpenVLAConfiguration(directory: Self.tinyModel(generation: #"{"do_sample": true, "temperature": 0.5, "top_k": 0}"#)).decoding
        #expect(set == .init(temperature: 0.5, topK: 0))
    }

    @Test("a bad generation_config.json names the file and the field")
    func badConfiguration() throws {
        for (text, field) in [(#"{"do_sample": true, "temperature": 0}"#, "temperature"),
                              (#"{"do_sample": true, "top_k": -1}"#, "top_k"),
                              (#"{"do_sample": true, "top_p": 0.9}"#, "top_p"),
                              ("[1, 2", "(root)")] {
            let dir = try Self.tinyModel(generation: text)
            do {
                _ = try OpenVLAConfiguration(directory: dir)
                Issue.record("\(text) was accepted")
            } catch let error as ModelConfigurationError {
                let message = "\(error)"
                #expect(message.contains("generation_config.json") && message.contains(field), "\(message)")
            }
        }
    }

    @Test("the same seed gives the same tokens, other seeds other tokens; top_k 1 and a tiny temperature are greedy")
    func seededAndGreedyLimits() throws {
        let image = try Image(contentsOfFile: Self.image.path)
        let policy = try VLAPolicy(modelDirectory: Self.tiny, unnormKey: "sim_tabletop")
        // Sampling draws only action tokens; the random tiny model's unconstrained choice may not be one.
        policy.constrainedDecoding = true
        let greedy = try policy.predictAction(image: image, instruction: "pick up the cup").tokens
        policy.decoding = .init(temperature: 1, topK: 0)
        var seen = Set<[Int]>()
        for seed in UInt64(0)..<8 {
            policy.reseedSampler(seed)
            let a = try policy.predictAction(image: image, instruction: "pick up the cup").tokens
            policy.reseedSampler(seed)
            let b = try policy.predictAction(image: image, instruction: "pick up the cup").tokens
            #expect(a == b)
            #expect(a.allSatisfy { policy.actionTokenizer.tokenRange.contains($0) })
            seen.insert(a)
        }
        #expect(seen.count > 1, "eight seeds drew the same tokens")
        for decoding in [OpenVLAConfiguration.Decoding(temperature: 1, topK: 1), .init(temperature: 1e-6, topK: 0)] {
            policy.decoding = decoding
            for seed in UInt64(0)..<4 {
                policy.reseedSampler(seed)
                #expect(try policy.predictAction(image: image, instruction: "pick up the cup").tokens == greedy, "\(decoding)")
            }
        }
    }

    @Test("draws follow softmax(logits / temperature), only among the top k")
    func frequencies() throws {
        // Logits over ids 10..<16 of a 20-entry vocabulary; ids outside the range are huge
        // and must never be drawn.
        var logits = [Float](repeating: 50, count: 20)
        let inRange: [Float] = [1.0, 2.5, 0.2, 2.0, -1.0, 2.5]
        for (k, v) in inRange.enumerated() { logits[10 + k] = v }
        for (temperature, topK) in [(1.0, 0), (0.5, 3), (2.0, 4)] {
            let decoding = OpenVLAConfiguration.Decoding(temperature: temperature, topK: topK)
            let kept = topK == 0 ? Array(0..<6) : Array((0..<6).sorted { inRange[$0] > inRange[$1] }.prefix(topK))
            let weights = (0..<6).map { kept.contains($0) ? exp(Double(inRange[$0]) / temperature) : 0 }
            var generator = SplitMix64(seed: 7)
            var counts = [Int](repeating: 0, count: 6)
            let n = 40_000
            logits.withUnsafeBufferPointer { buffer in
                for _ in 0..<n {
                    let id = VLAPolicy.sample(buffer, among: 10..<16, decoding: decoding, using: &generator)
                    if (10..<16).contains(id) { counts[id - 10] += 1 } else { Issue.record("drew \(id), outside the range") }
                }
            }
            for k in 0..<6 {
                let p = weights[k] / weights.reduce(0, +)
                let f = Double(counts[k]) / Double(n)
                let sigma = (p * (1 - p) / Double(n)).squareRoot()
                #expect(abs(f - p) <= 5 * sigma, "T \(temperature) top_k \(topK), id \(10 + k): drawn \(f), softmax \(p)")
                if p == 0 { #expect(counts[k] == 0) }
            }
        }
    }
}
