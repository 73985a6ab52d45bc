import ArgumentParser
import Foundation
import VLA

extension BenchCommand {
    struct Act: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "act",
            abstract: "End-to-end latency of one policy action, with the per-stage breakdown.",
            discussion: """
            Writes an OpenVLA-layout model with random weights (BF16) to a temporary folder, \
            loads it with VLAPolicy, and times predictAction on a 640x480 image: preprocess \
            (resize + normalise for both towers), vision (DINOv2 + SigLIP towers and the \
            projector), prefill (image patches + prompt through the decoder) and decode \
            (one token per action dimension).

            Configurations (224x224 images, patch 14, 256 patches, fused DINOv2 + SigLIP towers):
              small  towers 192/6 layers each, decoder hidden 256, 4 layers        (~20M)
              300m   towers 384/12 (ViT-S) and 768/12 (ViT-B), decoder hidden 1024,
                     12 layers, intermediate 2816                               (~310M)

            With --model DIR it times that model folder instead (e.g. the bundled \
            Models/sim-tabletop-vla), on the same kind of 640x480 image.

            Examples:
              swift run -c release vla bench act
              swift run -c release vla bench act --model Models/sim-tabletop-vla
              swift run -c release vla bench act --config small --repeats 10 --json
            """
        )

        enum Size: String, ExpressibleByArgument, CaseIterable { case small, m300 = "300m", all }

        @Option(help: "Which configuration: small, 300m or all.")
        var config: Size = .all
        @Option(help: "Time this OpenVLA-layout model folder instead of the random configurations.")
        var model: String?
        @Option(help: "Timed actions (after one warm-up); the median is reported.")
        var repeats: Int = 5
        @Flag(help: "Print one JSON object instead of a table.")
        var json = false

        func validate() throws {
            guard repeats > 0 else { throw ValidationError("--repeats must be positive") }
        }

        func run() throws {
            let sizes: [Size] = config == .all ? [.small, .m300] : [config]
            var results: [[String: Any]] = []
            let tokenizer = URL(fileURLWithPath: "Tests/Fixtures/openvla/tiny")
            guard model != nil || FileManager.default.fileExists(atPath: tokenizer.appendingPathComponent("tokenizer.json").path) else {
                throw fail(ValidationError("run from the repository root: the benchmark borrows the tokenizer of Tests/Fixtures/openvla/tiny"))
            }
            for size in model == nil ? sizes.map(Optional.some) : [nil] {
                let policy: VLAPolicy, parameters: Int, name: String
                var scratch: URL?
                defer { if let scratch { try? FileManager.default.removeItem(at: scratch) } }
                if let size {
                    let spec: RandomOpenVLA = size == .small
                        ? RandomOpenVLA(towers: [(192, 6, 3), (192, 6, 3)], hidden: 256, layers: 4, heads: 4, intermediate: 688)
                        : RandomOpenVLA(towers: [(384, 12, 6), (768, 12, 12)], hidden: 1024, layers: 12, heads: 16, intermediate: 2816)
                    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vla-bench-\(size.rawValue)-\(getpid())")
                    scratch = dir
                    parameters = try spec.write(to: dir, tokenizerFrom: tokenizer)
                    policy = try VLAPolicy(modelDirectory: dir, unnormKey: "bench")
                    name = size.rawValue
                } else {
                    let dir = URL(fileURLWithPath: model!)
                    do { policy = try VLAPolicy(modelDirectory: dir) } catch { throw fail(error) }
                    parameters = try SafeTensorsCheckpoint(directory: dir).files.reduce(0) { n, f in
                        n + f.tensors.values.reduce(0) { $0 + $1.count }
                    }
                    name = dir.lastPathComponent
                }
                var pixels = [UInt8](repeating: 0, count: 640 * 480 * 3)
                for i in pixels.indices { pixels[i] = UInt8(truncatingIfNeeded: i &* 2654435761 >> 13) }
                let image = Image(width: 640, height: 480, format: .bgr, pixels: pixels)
                _ = try policy.predictAction(image: image, instruction: "put the red block in the bowl", state: policy.centralState)
                var timings: [PolicyTiming] = []
                for _ in 0..<repeats {
                    timings.append(try policy.predictAction(image: image, instruction: "put the red block in the bowl", state: policy.centralState).timing)
                }
                let median = timings.sorted { $0.total < $1.total }[timings.count / 2]
                let ms = { (s: Double) in (s * 1e5).rounded() / 100 }
                let r: [String: Any] = [
                    "config": name, "parameters": parameters,
                    "total_ms": ms(median.total), "preprocess_ms": ms(median.preprocess), "vision_ms": ms(median.vision),
                    "prefill_ms": ms(median.prefill), "decode_ms": ms(median.decode),
                    "actions_per_s": 1 / median.total, "openblas_core": BLASBackend.coreName,
                ]
                results.append(r)
                if !json {
                    print(String(format: "%@ (%.1fM parameters): %.1f ms per action (%.1f Hz) = preprocess %.1f + vision %.1f + prefill %.1f + decode %.1f ms",
                                 name, Double(parameters) / 1e6, median.total * 1e3, 1 / median.total,
                                 median.preprocess * 1e3, median.vision * 1e3, median.prefill * 1e3, median.decode * 1e3))
                }
            }
            if json {
                let data = try JSONSerialization.data(withJSONObject: ["results": results], options: [.sortedKeys])
                print(String(decoding: data, as: UTF8.self))
            }
        }
    }
}

/// An OpenVLA-layout checkpoint with random weights, for benchmarks.
struct RandomOpenVLA {
    /// (embed_dim, depth, heads) of the DINOv2 and SigLIP towers.
    var towers: [(Int, Int, Int)]
    var hidden: Int, layers: Int, heads: Int, intermediate: Int
    let image = 224, patch = 14, vocabulary = 32064

    /// Writes config.json, model.safetensors (BF16), the tokenizer and statistics; returns the parameter count.
    func write(to dir: URL, tokenizerFrom source: URL) throws -> Int {
        let fm = FileManager.default
        try fm.createDirectory(at: dir, withIntermediateDirectories: true)
        for f in ["tokenizer.json", "tokenizer_config.json"] {
            try? fm.removeItem(at: dir.appendingPathComponent(f))
            try fm.copyItem(at: source.appendingPathComponent(f), to: dir.appendingPathComponent(f))
        }
        var w = SafeTensorsWriter()
        var state: UInt64 = 0x5EED
        var count = 0
        func add(_ name: String, _ shape: [Int], scale: Float = 0.02, constant: Float? = nil) {
            let n = shape.reduce(1, *)
            count += n
            var bits = [UInt16](repeating: 0, count: n)
            for i in 0..<n {
                let v: Float
                if let constant { v = constant } else {
                    state = state &* 6364136223846793005 &+ 1442695040888963407
                    v = (Float(state >> 40) / Float(1 << 24) * 2 - 1) * scale
                }
                bits[i] = UInt16(v.bitPattern >> 16)
            }
            w.add(name, dtype: .bf16, shape: shape, bytes: bits.withUnsafeBytes { Data($0) })
        }
        let patches = (image / patch) * (image / patch)
        for (t, (d, depth, _)) in towers.enumerated() {
            let p = "vision_backbone.\(t == 0 ? "featurizer" : "fused_featurizer")."
            add(p + "patch_embed.proj.weight", [d, 3, patch, patch])
            add(p + "patch_embed.proj.bias", [d])
            if t == 0 {
                add(p + "cls_token", [1, 1, d]); add(p + "reg_token", [1, 4, d]); add(p + "pos_embed", [1, patches, d])
            } else {
                add(p + "pos_embed", [1, patches, d])
            }
            for b in 0..<depth {
                let q = p + "blocks.\(b)."
                add(q + "norm1.weight", [d], constant: 1); add(q + "norm1.bias", [d])
                add(q + "attn.qkv.weight", [3 * d, d]); add(q + "attn.qkv.bias", [3 * d])
                add(q + "attn.proj.weight", [d, d]); add(q + "attn.proj.bias", [d])
                add(q + "norm2.weight", [d], constant: 1); add(q + "norm2.bias", [d])
                add(q + "mlp.fc1.weight", [4 * d, d]); add(q + "mlp.fc1.bias", [4 * d])
                add(q + "mlp.fc2.weight", [d, 4 * d]); add(q + "mlp.fc2.bias", [d])
                if t == 0 { add(q + "ls1.scale_factor", [d], constant: 1); add(q + "ls2.scale_factor", [d], constant: 1) }
            }
            add(p + "norm.weight", [d], constant: 1); add(p + "norm.bias", [d])
        }
        let dv = towers.reduce(0) { $0 + $1.0 }
        add("projector.fc1.weight", [4 * dv, dv]); add("projector.fc1.bias", [4 * dv])
        add("projector.fc2.weight", [hidden, 4 * dv]); add("projector.fc2.bias", [hidden])
        add("projector.fc3.weight", [hidden, hidden]); add("projector.fc3.bias", [hidden])
        let l = "language_model."
        add(l + "model.embed_tokens.weight", [vocabulary, hidden])
        for i in 0..<layers {
            let q = l + "model.layers.\(i)."
            add(q + "input_layernorm.weight", [hidden], constant: 1)
            for m in ["q_proj", "k_proj", "v_proj", "o_proj"] { add(q + "self_attn.\(m).weight", [hidden, hidden]) }
            add(q + "post_attention_layernorm.weight", [hidden], constant: 1)
            add(q + "mlp.gate_proj.weight", [intermediate, hidden]); add(q + "mlp.up_proj.weight", [intermediate, hidden])
            add(q + "mlp.down_proj.weight", [hidden, intermediate])
        }
        add(l + "model.norm.weight", [hidden], constant: 1)
        add(l + "lm_head.weight", [vocabulary, hidden])
        try w.write(to: dir.appendingPathComponent("model.safetensors"))

        let config: [String: Any] = [
            "model_type": "openvla", "vision_backbone_id": "dinosiglip-vit-so-224px", "llm_backbone_id": "llama2-7b-pure",
            "arch_specifier": "no-align+fused-gelu-mlp", "use_fused_vision_backbone": true, "image_resize_strategy": "resize-naive",
            "image_sizes": [image, image], "pad_token_id": 32000, "pad_to_multiple_of": 64, "n_action_bins": 256,
            "timm_model_args": towers.map { ["embed_dim": $0.0, "depth": $0.1 + 1, "num_heads": $0.2, "mlp_ratio": 4.0] },
            "text_config": ["model_type": "llama", "vocab_size": vocabulary, "hidden_size": hidden, "intermediate_size": intermediate,
                            "num_hidden_layers": layers, "num_attention_heads": heads, "max_position_embeddings": 512],
            "norm_stats": ["bench": ["action": ["q01": Array(repeating: -1.0, count: 7), "q99": Array(repeating: 1.0, count: 7),
                                               "mask": [true, true, true, true, true, true, false]]]],
        ]
        try JSONSerialization.data(withJSONObject: config, options: [.prettyPrinted, .sortedKeys])
            .write(to: dir.appendingPathComponent("config.json"))
        return count
    }
}
