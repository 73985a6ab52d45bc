import Foundation
import Testing
import Tensors
import TestSupport
@testable import Transformers

/// Golden tests: ViT encoders and Prismatic's image pathway against transformers' SiglipVisionModel,
/// timm's VisionTransformer and OpenVLA's projector (fixtures made by Models/tools/make_vision_fixtures.py).
@Suite("Vision encoders: parity with transformers, timm and Prismatic")
struct VisionTests {
    static let tolerance: Float = 1e-4

    /// Compares `actual` with the reference tensor `name`, reporting max-abs-diff and relative difference.
    func expectClose(_ actual: UnsafeBufferPointer<Float>, _ reference: SafeTensorsFile, _ name: String, _ label: String,
                     sourceLocation: SourceLocation = #_sourceLocation) throws {
        let r = try reference.floatTensor(name)
        #expect(r.count == actual.count, "\(label) \(name): \(actual.count) values, the reference \(r.shape) has \(r.count)",
                sourceLocation: sourceLocation)
        guard r.count == actual.count else { return }
        let d = TestSupport.relativeDifference(actual, r.buffer)
        #expect(d.relative < Self.tolerance,
                "\(label) \(name): max-abs-diff \(d.maxAbs), relative \(d.relative) (tolerance \(Self.tolerance))",
                sourceLocation: sourceLocation)
    }

    /// The reference image as (C, H, W) planes.
    func pixels(_ reference: SafeTensorsFile) throws -> Tensor {
        let p = try reference.floatTensor("pixel_values")
        return Tensor(shape: Array(p.shape.dropFirst()), values: p.scalars)
    }

    @Test("every hidden state and last_hidden_state match", arguments: ["siglip-hf", "siglip-timm", "dinov2-timm"])
    func encoderParity(_ name: String) throws {
        let dir = TestSupport.fixture("vision/\(name)")
        let reference = try SafeTensorsFile(url: dir.appendingPathComponent("reference.safetensors"))
        let encoder = try VisionEncoder(directory: dir)
        let session = VisionSession(encoder: encoder, keepHiddenStates: true)
        let image = try pixels(reference)
        try expectClose(session.encode(pixels: image.data), reference, "last_hidden_state", name)
        for i in 0...encoder.configuration.layers {
            try expectClose(session.hiddenState(i), reference, "hidden_states.\(i)", name)
        }
        if reference.tensors["prismatic_features"] != nil {
            try expectClose(session.prismaticFeatures(pixels: image.data), reference, "prismatic_features", name)
        }
        // A second run on the same buffers gives the same numbers.
        let again = Array(session.encode(pixels: image.data))
        #expect(again == Array(session.encode(pixels: image.data)))
    }

    @Test("the fixtures' configurations are read as the reference builds them")
    func fixtureConfigurations() throws {
        let hf = try VisionConfiguration(contentsOf: TestSupport.fixture("vision/siglip-hf"))
        #expect(hf == VisionConfiguration(hiddenSize: 56, intermediateSize: 104, layers: 3, attentionHeads: 4, patchSize: 8,
                                          imageSize: 40, activation: .geluTanh))
        let siglip = try VisionConfiguration(contentsOf: TestSupport.fixture("vision/siglip-timm"))
        #expect(siglip.activation == .gelu)  // timm's SigLIP towers run exact GELU
        #expect(siglip.intermediateSize == 179)  // int(48 · 3.7362)
        #expect(siglip.prefixTokens == 0)
        let dino = try VisionConfiguration(contentsOf: TestSupport.fixture("vision/dinov2-timm"))
        #expect(dino.classToken && dino.registerTokens == 4 && dino.layerScale && !dino.positionEmbeddingCoversPrefix)
        #expect(dino.tokenCount == 14 && dino.positionCount == 9)
    }

    @Test("the vectorised exact GELU agrees with erf to 3e-7·max(1, |x|), tails included")
    func geluAccuracy() {
        let n = 4001  // 250 vectors and a scalar tail
        var values = (0..<n).map { Float(-20 + 40 * Double($0) / Double(n - 1)) }
        let reference = values.map { x -> Double in 0.5 * Double(x) * (1 + erf(Double(x) / 2.0.squareRoot())) }
        values.withUnsafeMutableBufferPointer { VisionKernels.gelu($0.baseAddress!, count: n) }
        var worst = 0.0, at: Float = 0
        for (k, (g, r)) in zip(values, reference).enumerated() {
            let x = Float(-20 + 40 * Double(k) / Double(n - 1))
            let e = abs(Double(g) - r) / max(1, Double(abs(x)))
            if e > worst { worst = e; at = x }
        }
        #expect(worst < 3e-7, "GELU error \(worst)·max(1, |x|) at x = \(at)")
    }

    // MARK: Prismatic

    @Test("Prismatic fused backbone: per-tower features, concatenation and projector match")
    func prismaticFused() throws {
        let dir = TestSupport.fixture("vision/prismatic-fused")
        let reference = try SafeTensorsFile(url: dir.appendingPathComponent("reference.safetensors"))
        let backbone = try PrismaticVisionBackbone(directory: dir)
        #expect(backbone.configuration.usesFusedBackbone)
        #expect(backbone.projector.isFused && backbone.projector.fc3 != nil)
        // Only blocks 0 … L-2 are loaded; the last block, norm and attn_pool are skipped.
        #expect(backbone.featurizer.blocks.count == 2 && backbone.featurizer.finalNorm == nil)
        let session = PrismaticVisionSession(backbone: backbone)
        let image = try pixels(reference)
        let projected = session.embed(pixels: image.data)
        try expectClose(session.patchFeatures, reference, "patch_features", "prismatic-fused")
        try expectClose(projected, reference, "projected", "prismatic-fused")
        // The halves of the concatenation are DINOv2's then SigLIP's.
        let dv = backbone.configuration.visionDimension, d0 = backbone.featurizer.configuration.hiddenSize
        let rows = backbone.configuration.patchCount
        let first = (0..<rows).flatMap { r in session.patchFeatures[(r * dv)..<(r * dv + d0)] }
        let second = (0..<rows).flatMap { r in session.patchFeatures[(r * dv + d0)..<((r + 1) * dv)] }
        try first.withUnsafeBufferPointer { try expectClose($0, reference, "featurizer_patches", "prismatic-fused") }
        try second.withUnsafeBufferPointer { try expectClose($0, reference, "fused_patches", "prismatic-fused") }
        withExtendedLifetime(session) {}
    }

    @Test("Prismatic single SigLIP backbone (depth 2: features from block 0) with the two-layer projector")
    func prismaticSingle() throws {
        let dir = TestSupport.fixture("vision/prismatic-siglip")
        let reference = try SafeTensorsFile(url: dir.appendingPathComponent("reference.safetensors"))
        let backbone = try PrismaticVisionBackbone(directory: dir)
        #expect(!backbone.configuration.usesFusedBackbone && backbone.projector.fc3 == nil)
        let session = PrismaticVisionSession(backbone: backbone)
        let image = try pixels(reference)
        let projected = session.embed(pixels: image.data)
        try expectClose(session.patchFeatures, reference, "patch_features", "prismatic-siglip")
        try expectClose(projected, reference, "projected", "prismatic-siglip")
        withExtendedLifetime(session) {}
    }

    @Test("an OpenVLA config without overrides gives the real tower sizes")
    func openVLAConfiguration() throws {
        let json: [String: Any] = [
            "model_type": "openvla", "vision_backbone_id": "dinosiglip-vit-so-224px", "image_sizes": [224, 224],
            "timm_model_ids": ["vit_large_patch14_reg4_dinov2.lvd142m", "vit_so400m_patch14_siglip_224"],
            "timm_override_act_layers": [NSNull(), NSNull()], "use_fused_vision_backbone": true,
            "text_config": ["hidden_size": 4096],
        ]
        let c = try PrismaticConfiguration(json: json, file: "config.json")
        #expect(c.featurizers.map(\.hiddenSize) == [1024, 1152])
        #expect(c.featurizers.map(\.intermediateSize) == [4096, 4304])
        #expect(c.featurizers.map(\.layers) == [24, 27])
        #expect(c.featurizers.map(\.prefixTokens) == [5, 0])
        #expect(c.featurizers.map(\.activation) == [.gelu, .gelu])
        #expect(c.patchCount == 256 && c.visionDimension == 2176 && c.inputChannels == 6)
        // Fields derived from vision_backbone_id when the file omits them, as PrismaticConfig does.
        let derived = try PrismaticConfiguration(json: ["vision_backbone_id": "dinoclip-vit-l-336px"], file: "config.json")
        #expect(derived.usesFusedBackbone && derived.featurizers[1].activation == .quickGelu && derived.featurizers[1].preNorm)
        #expect(derived.featurizers[1].layerNormEpsilon == 1e-5 && derived.patchCount == 576)
    }

    // MARK: Configuration errors

    @Test("SigLIP configs: a SiglipModel's vision_config, defaults, and unsupported activations")
    func siglipConfigurations() throws {
        let full: [String: Any] = ["model_type": "siglip", "vision_config": ["hidden_size": 32, "num_attention_heads": 2, "image_size": 32]]
        let c = try VisionConfiguration.read(json: full, file: "config.json")
        #expect(c.layout == .huggingFace)
        #expect(c.configuration.hiddenSize == 32 && c.configuration.intermediateSize == 3072 && c.configuration.patchCount == 4)
        #expect(throws: ModelConfigurationError.unsupportedOption(file: "config.json", field: "hidden_act", value: "\"relu\"",
                                                                  detail: "implemented: gelu, gelu_pytorch_tanh, gelu_new, quick_gelu")) {
            _ = try VisionConfiguration.read(json: ["model_type": "siglip_vision_model", "hidden_act": "relu"], file: "config.json")
        }
        #expect(throws: ModelConfigurationError.self) {
            _ = try VisionConfiguration.read(json: ["model_type": "siglip_vision_model", "image_size": 30, "patch_size": 16], file: "config.json")
        }
    }

    @Test("timm: unknown ids and unknown model_args are errors, not silent defaults")
    func timmConfigurationErrors() throws {
        #expect(throws: ModelConfigurationError.self) { _ = try VisionConfiguration.timm(modelID: "resnet50") }
        do {
            _ = try VisionConfiguration.timm(modelID: "vit_base_patch16_siglip_224", modelArguments: ["dynamic_img_size": true])
            Issue.record("dynamic_img_size was accepted")
        } catch let ModelConfigurationError.unsupportedOption(_, field, _, _) {
            #expect(field == "model_args.dynamic_img_size")
        }
        let noLayerScale = try VisionConfiguration.timm(modelID: "vit_small_patch14_reg4_dinov2", modelArguments: ["init_values": NSNull()])
        #expect(!noLayerScale.layerScale && noLayerScale.imageSize == 518)
    }

    // MARK: Checkpoint errors

    /// Copies a fixture folder, rewriting its weights through `edit`.
    func editedCopy(_ name: String, _ edit: (inout [String: Tensor]) -> Void) throws -> URL {
        let source = TestSupport.fixture("vision/\(name)")
        let dir = try TestSupport.temporaryDirectory("vision-\(name)")
        try FileManager.default.copyItem(at: source.appendingPathComponent("config.json"), to: dir.appendingPathComponent("config.json"))
        let file = try SafeTensorsFile(url: source.appendingPathComponent("model.safetensors"))
        var tensors: [String: Tensor] = [:]
        for n in file.names { tensors[n] = try file.floatTensor(n) }
        edit(&tensors)
        var writer = SafeTensorsWriter()
        for n in tensors.keys.sorted() { writer.add(n, tensors[n]!) }
        try writer.write(to: dir.appendingPathComponent("model.safetensors"))
        return dir
    }

    @Test("a missing tensor is a typed error naming the tensor and file")
    func missingTensor() throws {
        let dir = try editedCopy("dinov2-timm") { $0["blocks.1.ls2.gamma"] = nil }
        #expect(throws: SafeTensorsError.missingTensor(name: "blocks.1.ls2.gamma", file: dir.path)) {
            _ = try VisionEncoder(directory: dir)
        }
        let hf = try editedCopy("siglip-hf") { $0["encoder.layers.2.self_attn.k_proj.bias"] = nil }
        #expect(throws: SafeTensorsError.missingTensor(name: "encoder.layers.2.self_attn.k_proj.bias", file: hf.path)) {
            _ = try VisionEncoder(directory: hf)
        }
        let prismatic = try editedCopy("prismatic-fused") { $0["projector.fc3.bias"] = nil }
        #expect(throws: SafeTensorsError.missingTensor(name: "projector.fc3.bias", file: prismatic.path)) {
            _ = try PrismaticVisionBackbone(directory: prismatic)
        }
    }

    @Test("a tensor of the wrong shape is a typed error with both shapes")
    func wrongShape() throws {
        let dir = try editedCopy("siglip-timm") { t in
            let old = t["blocks.0.mlp.fc1.weight"]!
            t["blocks.0.mlp.fc1.weight"] = Tensor(shape: [old.shape[1], old.shape[0]], values: old.scalars)
        }
        #expect(throws: SafeTensorsError.unexpectedShape(file: dir.appendingPathComponent("model.safetensors").path,
                                                         tensor: "blocks.0.mlp.fc1.weight", expected: [179, 48], actual: [48, 179])) {
            _ = try VisionEncoder(directory: dir)
        }
    }

    @Test("unknown tensors are an error; pooling heads are skipped on purpose")
    func unusedTensors() throws {
        // The HF fixture holds SigLIP's attention-pooling head.* and loads; a stray tensor does not.
        let original = try SafeTensorsCheckpoint(directory: TestSupport.fixture("vision/siglip-hf"))
        #expect(original.names.contains("head.probe"))
        let dir = try editedCopy("siglip-hf") { $0["encoder.layers.3.mlp.fc1.weight"] = Tensor(shape: [2]) }
        #expect(throws: SafeTensorsError.unusedTensors(file: dir.appendingPathComponent("model.safetensors").path,
                                                       names: ["encoder.layers.3.mlp.fc1.weight"])) {
            _ = try VisionEncoder(directory: dir)
        }
    }

    @Test("a SiglipModel-style checkpoint under vision_model. loads, its text tower out of scope")
    func prefixedHuggingFace() throws {
        let dir = try editedCopy("siglip-hf") { t in
            var renamed: [String: Tensor] = ["text_model.embeddings.token_embedding.weight": Tensor(shape: [4, 2]), "logit_scale": Tensor(shape: [1])]
            for (k, v) in t { renamed["vision_model." + k] = v }
            t = renamed
        }
        let reference = try SafeTensorsFile(url: TestSupport.fixture("vision/siglip-hf/reference.safetensors"))
        let encoder = try VisionEncoder(directory: dir)
        let image = try pixels(reference)
        let session = VisionSession(encoder: encoder)  // the returned buffer lives in the session: keep it
        try expectClose(session.encode(pixels: image.data), reference, "last_hidden_state", "vision_model.")
        withExtendedLifetime(session) {}
    }
}
