import Foundation
import Testing
import Tensors
import TestSupport
@testable import Transformers

/// Golden tests: logits and greedy tokens against Hugging Face transformers
/// (fixtures made by Models/tools/make_lm_fixtures.py).
@Suite("Llama-family parity with Hugging Face transformers")
struct LlamaParityTests {
    static let cases = ["llama-mha", "llama-gqa", "llama3-tied", "qwen2-bias", "mistral-sw",
                        "llama-bf16", "llama-f16", "llama-sharded"]

    @Test("prompt logits, step logits and greedy tokens match", arguments: cases)
    func parity(_ name: String) throws {
        let dir = TestSupport.fixture("lm/\(name)")
        let reference = try SafeTensorsFile(url: dir.appendingPathComponent("reference.safetensors"))
        let ids = try reference.integerValues("input_ids")
        let expectedTokens = try reference.integerValues("generated")
        let promptLogits = try reference.floatTensor("prompt_logits")
        let stepLogits = try reference.floatTensor("step_logits")
        let model = try LlamaModel(directory: dir)
        let vocab = model.configuration.vocabularySize
        #expect(promptLogits.shape == [ids.count, vocab])

        let session = LlamaSession(model: model, maxContext: 64, maxBatch: 32)
        try session.prefill(ids, logits: .all)
        for t in 0..<ids.count {
            let d = TestSupport.relativeDifference(session.logits(at: t), UnsafeBufferPointer(start: promptLogits.row(t), count: vocab))
            #expect(d.relative < 1e-4, "\(name) prompt position \(t): max-abs-diff \(d.maxAbs), relative \(d.relative)")
        }

        session.reset()
        var step = 0
        let tokens = try session.generate(prompt: ids, maxNewTokens: expectedTokens.count) { _, logits in
            let d = TestSupport.relativeDifference(logits, UnsafeBufferPointer(start: stepLogits.row(step), count: vocab))
            #expect(d.relative < 1e-4, "\(name) step \(step): max-abs-diff \(d.maxAbs), relative \(d.relative)")
            step += 1
        }
        #expect(tokens == expectedTokens)
    }

    @Test("a prompt longer than maxBatch is chunked and still matches")
    func chunkedPrefill() throws {
        let dir = TestSupport.fixture("lm/llama-gqa")
        let reference = try SafeTensorsFile(url: dir.appendingPathComponent("reference.safetensors"))
        let ids = try reference.integerValues("input_ids")
        let model = try LlamaModel(directory: dir)
        let session = LlamaSession(model: model, maxContext: 64, maxBatch: 3)
        let tokens = try session.generate(prompt: ids, maxNewTokens: 8)
        #expect(tokens == (try reference.integerValues("generated")))
    }

    @Test("constrained decoding picks the best allowed token")
    func constrained() throws {
        let dir = TestSupport.fixture("lm/llama-mha")
        let reference = try SafeTensorsFile(url: dir.appendingPathComponent("reference.safetensors"))
        let ids = try reference.integerValues("input_ids")
        let stepLogits = try reference.floatTensor("step_logits")
        let model = try LlamaModel(directory: dir)
        let session = LlamaSession(model: model, maxContext: 64)
        let allowed = Array(200..<256)
        let first = try session.generate(prompt: ids, maxNewTokens: 1, allowed: allowed)
        let row = UnsafeBufferPointer(start: stepLogits.row(0), count: 256)
        let best = allowed.max { row[$0] < row[$1] }!
        #expect(first == [best])
        #expect(allowed.contains(first[0]))
    }

    @Test("bad token ids and a full context are typed errors")
    func runErrors() throws {
        let model = try LlamaModel(directory: TestSupport.fixture("lm/llama-mha"))
        let session = LlamaSession(model: model, maxContext: 4)
        #expect(throws: LanguageModelError.tokenOutOfRange(id: 256, vocabularySize: 256)) { try session.prefill([1, 256]) }
        #expect(throws: LanguageModelError.emptyPrompt) { try session.prefill([]) }
        #expect(throws: LanguageModelError.contextFull(position: 0, adding: 5, maxContext: 4)) { try session.prefill([1, 2, 3, 4, 5]) }
        #expect(throws: LanguageModelError.emptyConstraint) { try session.generate(prompt: [1], maxNewTokens: 1, allowed: [999]) }
    }
}
