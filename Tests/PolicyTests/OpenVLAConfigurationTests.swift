import Foundation
import Testing
import TestSupport
import Transformers
@testable import Policy

@Suite("OpenVLA configuration resolution")
struct OpenVLAConfigurationTests {
    /// openvla/openvla-7b's config.json as published (norm_stats cut to one dataset):
    /// its text_config names four fields, the rest are LlamaConfig's defaults.
    static let openvla7b = #"""
    {"arch_specifier": "no-align+fused-gelu-mlp", "architectures": ["OpenVLAForActionPrediction"],
     "hf_llm_id": "meta-llama/Llama-2-7b-hf", "image_resize_strategy": "resize-naive", "image_sizes": [224, 224],
     "llm_backbone_id": "llama2-7b-pure", "llm_max_length": 2048, "model_type": "openvla", "n_action_bins": 256,
     "norm_stats": {"bridge_orig": {"action": {"mask": [true, true, true, true, true, true, false],
        "q01": [-0.0294, -0.0416, -0.0264, -0.0789, -0.0929, -0.1319, 0.0],
        "q99": [0.0290, 0.0408, 0.0404, 0.0824, 0.0751, 0.1342, 1.0]}}},
     "output_projector_states": false, "pad_to_multiple_of": 64, "pad_token_id": 32000,
     "text_config": {"model_type": "llama", "pad_token_id": 32000, "torch_dtype": "bfloat16", "vocab_size": 32064},
     "timm_model_ids": ["vit_large_patch14_reg4_dinov2.lvd142m", "vit_so400m_patch14_siglip_224"],
     "timm_override_act_layers": [null, null], "torch_dtype": "bfloat16", "transformers_version": "4.40.1",
     "use_fused_vision_backbone": true, "vision_backbone_id": "dinosiglip-vit-so-224px"}
    """#

    @Test("OpenVLA-7B's config resolves to Llama-2-7B, DINOv2-L/14 + SigLIP-So400m/14 at 224, 7-D actions")
    func openvla7b() throws {
        let dir = try TestSupport.temporaryDirectory("openvla7b")
        try Self.openvla7b.write(to: dir.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
        let c = try OpenVLAConfiguration(directory: dir)
        #expect(c.text.hiddenSize == 4096 && c.text.hiddenLayers == 32 && c.text.attentionHeads == 32)
        #expect(c.text.keyValueHeads == 32 && c.text.intermediateSize == 11008 && c.text.rmsNormEpsilon == 1e-6)
        #expect(c.text.rope == RopeConfiguration(theta: 10000) && !c.text.tieWordEmbeddings)
        #expect(c.text.vocabularySize == 32064 && c.actionVocabularySize == 32000 && c.actionBins == 256)
        #expect(c.vision.usesFusedBackbone && c.vision.patchCount == 256)
        #expect(c.vision.featurizers.map(\.hiddenSize) == [1024, 1152])
        #expect(c.vision.featurizers.map(\.layers) == [24, 27])
        #expect(c.vision.visionDimension == 2176 && c.vision.llmHiddenSize == 4096)
        #expect(c.preprocessing.map(\.mean) == [[0.485, 0.456, 0.406], [0.5, 0.5, 0.5]])
        let stats = try #require(c.statistics)
        #expect(try stats.statistics(for: nil).statistics.dimension == 7)
        #expect(c.actionChunk == 1)
        #expect(c.controlFrequency == nil)
    }

    @Test("SwiftVLA's own keys: control_frequency, action_chunk, action_names")
    func extensions() throws {
        let dir = try TestSupport.temporaryDirectory("openvla-ext")
        let text = Self.openvla7b.replacingOccurrences(of: "\"model_type\": \"openvla\",",
            with: "\"model_type\": \"openvla\", \"control_frequency\": 5, \"action_chunk\": 4, \"action_names\": [\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\"],")
        try text.write(to: dir.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
        let c = try OpenVLAConfiguration(directory: dir)
        #expect(c.controlFrequency == 5 && c.actionChunk == 4 && c.actionNames?.count == 7)
    }

    @Test("unsupported resize strategies and non-OpenVLA folders are rejected with the field named")
    func rejected() throws {
        let dir = try TestSupport.temporaryDirectory("openvla-bad")
        try Self.openvla7b.replacingOccurrences(of: "\"resize-naive\"", with: "\"letterbox\"")
            .write(to: dir.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
        #expect { try OpenVLAConfiguration(directory: dir) } throws: { "\($0)".contains("image_resize_strategy") }
        try #"{"model_type": "llama"}"#.write(to: dir.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
        #expect { try OpenVLAConfiguration(directory: dir) } throws: { "\($0)".contains("model_type 'llama'") }
        #expect { try OpenVLAConfiguration(directory: dir.appendingPathComponent("nope")) } throws: { "\($0)".contains("no such file or folder") }
    }
}
