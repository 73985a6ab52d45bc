import ArgumentParser
import Foundation
import VLA

struct LMCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lm",
        abstract: "Run a Hugging Face Llama/Mistral/Qwen2 checkpoint on token ids (greedy, KV-cached).",
        discussion: """
        Loads config.json and the safetensors weights from --model, runs the prompt in one \
        batched pass, then generates greedily with the KV cache. Prints JSON on stdout:
          {"generated": [ids...]}

        With --out it also writes a safetensors file holding
          prompt_logits  F32 [T, vocab]  the logits at every prompt position
          step_logits    F32 [N, vocab]  the logits that chose each generated token
                                         (row 0 equals the last row of prompt_logits)
        so the numbers can be compared with Hugging Face transformers.

        Examples:
          vla lm --model Models/tiny-random-llama --ids 1,2,3 --generate 8
          vla lm --model DIR --ids 1,5,9 --generate 4 --out logits.safetensors
          vla lm --model DIR --ids 1,5,9 --generate 4 --allow 100-355    # constrained decoding
        """
    )

    @Option(help: "A model folder holding config.json and model.safetensors (or a sharded index).")
    var model: String = "Models/tiny-random-llama"

    @Option(help: "Comma-separated prompt token ids, e.g. 1,2,3.")
    var ids: String

    @Option(help: "How many tokens to generate greedily.")
    var generate: Int = 0

    @Option(help: "Write prompt_logits and step_logits to this safetensors file.")
    var out: String?

    @Option(help: "Only allow these token ids when generating: a list and ranges, e.g. 5,7,100-200.")
    var allow: String?

    @Option(help: "Stop after generating one of these token ids (comma-separated).")
    var stop: String?

    func validate() throws {
        guard generate >= 0 else { throw ValidationError("--generate must be 0 or more") }
        _ = try Self.parseIDs(ids, option: "--ids")
        if let allow { _ = try Self.parseIDs(allow, option: "--allow") }
    }

    static func parseIDs(_ text: String, option: String) throws -> [Int] {
        var out: [Int] = []
        for part in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !part.isEmpty {
            let bounds = part.split(separator: "-", maxSplits: 1).map(String.init)
            if bounds.count == 2, let a = Int(bounds[0]), let b = Int(bounds[1]), a <= b {
                out.append(contentsOf: a...b)
            } else if let v = Int(part) {
                out.append(v)
            } else {
                throw ValidationError("\(option): '\(part)' is not a token id or a range like 100-200")
            }
        }
        guard !out.isEmpty else { throw ValidationError("\(option) holds no token ids") }
        return out
    }

    func run() throws {
        let prompt = try Self.parseIDs(ids, option: "--ids")
        let url = URL(fileURLWithPath: model)
        let bar = ProgressBar("loading \(url.lastPathComponent)", total: 1)
        let lm: LlamaModel
        do {
            lm = try LlamaModel(directory: url) { done, total in
                bar.update(done * 1000 / max(total, 1))
            }
        } catch {
            throw fail(error)
        }
        bar.finish(String(format: "%.1fM parameters, OpenBLAS %@", Double(lm.parameterCount) / 1e6, BLASBackend.coreName))
        let context = prompt.count + max(generate, 1)
        let session = LlamaSession(model: lm, maxContext: context, maxBatch: prompt.count)
        var generated: [Int] = []
        var promptLogits: [Float] = []
        var stepLogits: [Float] = []
        let vocab = lm.configuration.vocabularySize
        do {
            try session.prefill(prompt, logits: .all)
            for t in 0..<prompt.count { promptLogits.append(contentsOf: session.logits(at: t)) }
            let allowed = try allow.map { try Self.parseIDs($0, option: "--allow") }
            let stops = Set(try stop.map { try Self.parseIDs($0, option: "--stop") } ?? [])
            var logits = session.logits(at: -1)
            for n in 0..<generate {
                let next = LlamaSession.argmax(logits, allowed: allowed?.filter { $0 < vocab })
                stepLogits.append(contentsOf: logits)
                generated.append(next)
                if stops.contains(next) || n == generate - 1 { break }
                logits = try session.step(next)
            }
        } catch let error as LanguageModelError {
            throw fail(error)
        }
        if let out {
            var writer = SafeTensorsWriter()
            writer.add("prompt_logits", shape: [prompt.count, vocab], floats: promptLogits)
            writer.add("step_logits", shape: [generated.count, vocab], floats: stepLogits)
            writer.add("generated", shape: [generated.count], int64s: generated)
            writer.add("input_ids", shape: [prompt.count], int64s: prompt)
            writer.metadata = ["format": "pt", "producer": "vla lm"]
            try writer.write(to: URL(fileURLWithPath: out))
        }
        print("{\"generated\":[\(generated.map(String.init).joined(separator: ","))]}")
    }
}
