import ArgumentParser
import Foundation
import VLA

struct ActCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "act",
        abstract: "Predict one robot action from an image and an instruction (OpenVLA-style policy).",
        discussion: """
        Loads an OpenVLA-layout model folder (config.json, model.safetensors, tokenizer.json, \
        optional preprocessor_config.json and dataset_statistics.json), runs the image and the \
        instruction through it as OpenVLA's predict_action does, and prints JSON:
          {"action": [...], "names": [...], "tokens": [...], "normalized": [...],
           "unnorm_key": "...", "timing_ms": {"preprocess": ..., "vision": ..., "prefill": ..., "decode": ..., "total": ...}}

        The action is in the dataset's units: for RT-2/OpenVLA 7-D actions, x y z (metres),
        roll pitch yaw (radians) of the end-effector change, and the gripper opening.

        Examples:
          vla act --model Tests/Fixtures/openvla/tiny --image Tests/Fixtures/openvla/image0.png \\
                  --instruction "put the red block in the bowl" --unnorm-key sim_tabletop
          vla act --model DIR --image frame.jpg --instruction "pick up the cup" --constrained
        """
    )

    @Option(help: "An OpenVLA-layout model folder.")
    var model: String

    @Option(help: "An image file (PNG, JPEG, ...).")
    var image: String

    @Option(help: "The instruction, e.g. \"put the red block in the bowl\".")
    var instruction: String

    @Option(help: "Which dataset's statistics un-normalise the action (required when the model has several).")
    var unnormKey: String?

    @Flag(help: "Only let the decoder choose action tokens (RT-2's constrained decoding); off matches OpenVLA.")
    var constrained = false

    // .unconditional: a state often starts with a minus sign (-0.02,...), which is a value here, not an option.
    @Option(parsing: .unconditional, help: ArgumentHelp("The arm's state, for a model that reads one (config.json state_features), as comma-separated values in that order, e.g. the tool point in metres: --state 0.02,-0.18,0.06.",
                               valueName: "v1,v2,..."))
    var state: String?

    @OptionGroup var threading: ThreadOptions
    @OptionGroup var decodingOptions: DecodingOptions

    func run() throws {
        let policy: VLAPolicy
        let picture: Image
        do {
            picture = try Image(contentsOfFile: image)
            let bar = ProgressBar("loading \(URL(fileURLWithPath: model).lastPathComponent)", total: 4)
            policy = try VLAPolicy(modelDirectory: URL(fileURLWithPath: model), unnormKey: unnormKey,
                                   threads: threading.apply()) { done, _ in bar.update(done) }
            bar.finish()
        } catch {
            throw fail(error)
        }
        policy.constrainedDecoding = constrained
        decodingOptions.apply(to: policy, seed: 0)
        let out: PolicyOutput
        var values: [Double]?
        if let state {
            values = try state.split(separator: ",").map {
                guard let v = Double($0.trimmingCharacters(in: .whitespaces)) else {
                    throw ValidationError("--state: '\($0)' is not a number")
                }
                return v
            }
        }
        do { out = try policy.predictAction(image: picture, instruction: instruction, state: values) } catch { throw fail(error) }
        let ms = { (s: Double) in (s * 1e5).rounded() / 100 }
        var json: [String: Any] = [
            "action": out.action.values, "names": out.action.names, "tokens": out.tokens,
            "normalized": out.normalized, "unnorm_key": out.unnormKey,
            "timing_ms": ["preprocess": ms(out.timing.preprocess), "vision": ms(out.timing.vision),
                          "prefill": ms(out.timing.prefill), "decode": ms(out.timing.decode), "total": ms(out.timing.total)],
        ]
        if !policy.stateFeatures.isEmpty { json["state_features"] = policy.stateFeatures; json["state_tokens"] = out.stateTokens }
        let data = try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }
}
