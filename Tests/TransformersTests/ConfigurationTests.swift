import Foundation
import Testing
import TestSupport
@testable import Transformers

@Suite("config.json for Llama, Mistral and Qwen2")
struct ConfigurationTests {
    func config(_ json: String) throws -> LlamaConfiguration {
        let obj = try JSONSerialization.jsonObject(with: json.data(using: .utf8)!) as! [String: Any]
        return try LlamaConfiguration(json: obj, file: "config.json")
    }

    @Test("legacy and transformers-5 rope settings read the same")
    func ropeStyles() throws {
        let legacy = try config(#"{"model_type":"llama","hidden_size":64,"num_attention_heads":4,"num_hidden_layers":1,"rope_theta":500000.0,"rope_scaling":{"rope_type":"llama3","factor":8.0,"low_freq_factor":1.0,"high_freq_factor":4.0,"original_max_position_embeddings":64}}"#)
        let v5 = try config(#"{"model_type":"llama","hidden_size":64,"num_attention_heads":4,"num_hidden_layers":1,"rope_parameters":{"rope_type":"llama3","rope_theta":500000.0,"factor":8.0,"low_freq_factor":1.0,"high_freq_factor":4.0,"original_max_position_embeddings":64}}"#)
        #expect(legacy.rope == v5.rope)
        #expect(legacy.rope.theta == 500000)
        // Old files spell the key "type".
        let old = try config(#"{"hidden_size":64,"num_attention_heads":4,"num_hidden_layers":1,"rope_scaling":{"type":"linear","factor":2.0}}"#)
        #expect(old.rope.scaling == .linear(factor: 2))
    }

    @Test("every fixture's config reads with the features the manifest names")
    func fixtures() throws {
        let gqa = try LlamaConfiguration(contentsOf: TestSupport.fixture("lm/llama-gqa"))
        #expect(gqa.keyValueHeads < gqa.attentionHeads)
        #expect(gqa.headDimension != gqa.hiddenSize / gqa.attentionHeads)
        let tied = try LlamaConfiguration(contentsOf: TestSupport.fixture("lm/llama3-tied"))
        #expect(tied.tieWordEmbeddings)
        guard case .llama3 = tied.rope.scaling else { Issue.record("llama3 scaling not read"); return }
        let qwen = try LlamaConfiguration(contentsOf: TestSupport.fixture("lm/qwen2-bias"))
        #expect(qwen.queryKeyValueBias && !qwen.outputBias)
        let mistral = try LlamaConfiguration(contentsOf: TestSupport.fixture("lm/mistral-sw"))
        #expect(mistral.slidingWindows.allSatisfy { $0 != nil })
    }

    @Test("unknown architectures and options are rejected with the field named", arguments: [
        (#"{"model_type":"gpt2"}"#, "model_type"),
        (#"{"hidden_act":"gelu"}"#, "hidden_act"),
        (#"{"rope_scaling":{"rope_type":"yarn","factor":4.0}}"#, "rope_scaling.rope_type"),
        (#"{"rope_parameters":{"rope_type":"dynamic","factor":4.0,"rope_theta":10000}}"#, "rope_parameters.rope_type"),
        (#"{"num_key_value_heads":3}"#, "num_key_value_heads"),
        (#"{"hidden_size":"big"}"#, "hidden_size"),
        (#"{"partial_rotary_factor":0.5}"#, "partial_rotary_factor"),
        (#"{"rope_scaling":{"rope_type":"llama3","factor":8.0}}"#, "rope_scaling"),
    ])
    func rejected(_ patch: String, _ field: String) throws {
        var base = try JSONSerialization.jsonObject(with: #"{"model_type":"llama","hidden_size":64,"num_attention_heads":4,"num_hidden_layers":1}"#.data(using: .utf8)!) as! [String: Any]
        let extra = try JSONSerialization.jsonObject(with: patch.data(using: .utf8)!) as! [String: Any]
        base.merge(extra) { $1 }
        do {
            _ = try LlamaConfiguration(json: base, file: "config.json")
            Issue.record("accepted \(patch)")
        } catch let e as ModelConfigurationError {
            #expect(e.description.contains(field), "\(e)")
        }
    }

    @Test("llama3 rope scaling leaves high frequencies, divides low ones, smooths between")
    func llama3Frequencies() {
        let rope = RopeConfiguration(theta: 500000, scaling: .llama3(factor: 8, lowFrequencyFactor: 1, highFrequencyFactor: 4, originalMaxPositions: 8192))
        let plain = RopeConfiguration(theta: 500000).inverseFrequencies(headDimension: 128)
        let scaled = rope.inverseFrequencies(headDimension: 128)
        #expect(scaled[0] == plain[0])
        #expect(abs(scaled[63] - plain[63] / 8) <= 1e-12)
        let medium = (0..<64).filter { scaled[$0] != plain[$0] && abs(scaled[$0] - plain[$0] / 8) > 1e-12 }
        #expect(!medium.isEmpty)
    }
}
