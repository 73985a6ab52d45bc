import ArgumentParser
import Foundation
import VLA

struct EncodeImageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encode-image",
        abstract: "Run a ViT image encoder (SigLIP, DINOv2, Prismatic/OpenVLA towers) on normalised pixels.",
        discussion: """
        --model is a folder holding config.json and safetensors weights: a Hugging \
        Face SiglipVisionModel or SiglipModel, a timm ViT saved with its hub \
        config.json ({"architecture": ..., "model_args": ...}), or an \
        OpenVLA/Prismatic checkpoint (pick its tower with --featurizer).

        --pixels holds pixel_values, F32 [1, C, H, W], already resized and
        normalised (C = 6 for a fused OpenVLA backbone: DINOv2's planes first).

        --out receives Hugging Face's output_hidden_states convention:
          last_hidden_state   [1, T, D]  after the final norm
          hidden_states.0     [1, T, D]  the embeddings
          hidden_states.N     [1, T, D]  the output of block N (1 ... layers)
          prismatic_features  [1, P, D]  block layers-1, prefix tokens dropped
        and, for an OpenVLA folder, the whole image pathway:
          patch_features      [1, P, Dv]    the towers' features, concatenated
          projected           [1, P, Dllm]  the projector's output
        T counts the class and register tokens first, then the P patches.
        Prints a JSON summary on stdout.

        Examples:
          vla encode-image --model Tests/Fixtures/vision/siglip-hf \\
            --pixels Tests/Fixtures/vision/siglip-hf/reference.safetensors \\
            --out features.safetensors
          vla encode-image --model Tests/Fixtures/vision/prismatic-fused \\
            --featurizer 1 --out siglip.safetensors \\
            --pixels Tests/Fixtures/vision/prismatic-fused/reference.safetensors
          vla encode-image --model DIR --pixels x.safetensors --out y.safetensors \\
            --repeat 5        # report the fastest of 5 encodes
        """
    )

    @Option(help: "A model folder: config.json and model.safetensors (or shards).")
    var model: String

    @Option(help: "A safetensors file holding pixel_values, F32 [1, C, H, W].")
    var pixels: String

    @Option(help: "Write last_hidden_state and hidden_states.N to this safetensors file.")
    var out: String

    @Option(help: "For an OpenVLA/Prismatic folder: 0 for vision_backbone.featurizer, 1 for the fused_featurizer.")
    var featurizer: Int = 0

    @Option(name: .customLong("repeat"), help: "Encode the image this many times and report the fastest run as encode_ms.")
    var repetitions: Int = 1

    func validate() throws {
        guard featurizer == 0 || featurizer == 1 else { throw ValidationError("--featurizer must be 0 or 1") }
        guard repetitions >= 1 else { throw ValidationError("--repeat must be 1 or more") }
    }

    func run() throws {
        let dir = URL(fileURLWithPath: model)
        do {
            let json = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("config.json"))) as? [String: Any]
            let type = json?["model_type"] as? String
            let isPrismatic = type == "openvla" || type == "prismatic" || json?["timm_model_ids"] != nil
            let input = try SafeTensorsFile(url: URL(fileURLWithPath: pixels))
            let planes = try input.floatTensor("pixel_values")
            var writer = SafeTensorsWriter()
            writer.metadata = ["format": "pt", "producer": "vla encode-image"]

            let encoder: VisionEncoder
            var planeOffset = 0
            var summary: [String: Any] = [:]
            if isPrismatic {
                let config = try PrismaticConfiguration(contentsOf: dir)
                guard featurizer < config.featurizers.count else {
                    throw ValidationError("--featurizer \(featurizer): this checkpoint has \(config.featurizers.count) tower(s)")
                }
                let checkpoint = try SafeTensorsCheckpoint(directory: dir)
                let size = config.featurizers[0].imageSize
                try Self.check(planes, [1, config.inputChannels, size, size])
                let backbone = try PrismaticVisionBackbone(configuration: config, checkpoint: checkpoint)
                let pathway = PrismaticVisionSession(backbone: backbone)
                let projected = pathway.embed(pixels: planes.data)
                writer.add("patch_features", shape: [1, config.patchCount, config.visionDimension], floats: Array(pathway.patchFeatures))
                writer.add("projected", shape: [1, config.patchCount, config.llmHiddenSize], floats: Array(projected))
                withExtendedLifetime(pathway) {}
                encoder = try VisionEncoder(configuration: config.featurizers[featurizer], checkpoint: checkpoint,
                                            prefix: featurizer == 0 ? "vision_backbone.featurizer." : "vision_backbone.fused_featurizer.",
                                            layout: .timm)
                planeOffset = config.featurizers[..<featurizer].reduce(0) { $0 + $1.channels }
                summary["timm_model_id"] = config.timmModelIDs[featurizer]
            } else {
                encoder = try VisionEncoder(directory: dir)
                let c = encoder.configuration
                try Self.check(planes, [1, c.channels, c.imageSize, c.imageSize])
            }

            let c = encoder.configuration
            let session = VisionSession(encoder: encoder, keepHiddenStates: true)
            let pixelsPointer = UnsafePointer(planes.data + planeOffset * c.imageSize * c.imageSize)
            var seconds = Double.infinity
            for _ in 0..<repetitions {
                let start = Date()
                _ = session.encode(pixels: pixelsPointer)
                seconds = min(seconds, Date().timeIntervalSince(start))
            }
            let last = session.encode(pixels: pixelsPointer)
            let shape = [1, c.tokenCount, c.hiddenSize]
            writer.add("last_hidden_state", shape: shape, floats: Array(last))
            for i in 0...c.layers { writer.add("hidden_states.\(i)", shape: shape, floats: Array(session.hiddenState(i))) }
            if c.layers >= 2 {
                let features = session.prismaticFeatures(pixels: pixelsPointer)
                writer.add("prismatic_features", shape: [1, c.patchCount, c.hiddenSize], floats: Array(features))
            }
            withExtendedLifetime(session) {}
            try writer.write(to: URL(fileURLWithPath: out))

            summary["tokens"] = c.tokenCount
            summary["prefix_tokens"] = c.prefixTokens
            summary["hidden_size"] = c.hiddenSize
            summary["hidden_states"] = c.layers + 1
            summary["encode_ms"] = (seconds * 1e4).rounded() / 10
            let data = try JSONSerialization.data(withJSONObject: summary, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } catch let error as ValidationError {
            throw error
        } catch let error as CocoaError where error.code == .fileReadNoSuchFile {
            throw fail(ModelConfigurationError.cannotRead(file: dir.appendingPathComponent("config.json").path, reason: "no such file"))
        } catch {
            throw fail(error)
        }
    }

    /// Checks the image tensor's shape.
    static func check(_ planes: Tensor, _ expected: [Int]) throws {
        guard planes.shape == expected else { throw VisionError.pixelShape(name: "pixel_values", expected: expected, actual: planes.shape) }
    }
}
