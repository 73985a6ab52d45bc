// Act on an image: load an OpenVLA-layout policy, read an image file, print the action.
//
//   swift run act-on-image [MODEL_DIR] [IMAGE] [INSTRUCTION] [UNNORM_KEY]
//
// Defaults use the bundled tiny (random-weight) model, so it runs from the repository root as is.
import Foundation
import VLA

let args = CommandLine.arguments
let model = args.count > 1 ? args[1] : "Models/tiny-random-openvla"
let imagePath = args.count > 2 ? args[2] : "Tests/Fixtures/openvla/image0.png"
let instruction = args.count > 3 ? args[3] : "put the red block in the bowl"
let key: String? = args.count > 4 ? args[4] : nil

do {
    let policy = try VLAPolicy(modelDirectory: URL(fileURLWithPath: model), unnormKey: key)
    let image = try Image(contentsOfFile: imagePath)
    // A model that reads the arm's state (policy.stateFeatures, e.g. the tool point) needs it
    // with the image; with no arm here, use the middle of its training range.
    let out = try policy.predictAction(image: image, instruction: instruction, state: policy.centralState)
    for (name, value) in zip(out.action.names, out.action.values) {
        print(name, String(format: "%+.4f", value))
    }
    print(String(format: "%.1f ms (vision %.1f, prefill %.1f, decode %.1f)", out.timing.total * 1e3,
                 out.timing.vision * 1e3, out.timing.prefill * 1e3, out.timing.decode * 1e3))
} catch {
    FileHandle.standardError.write("error: \(error)\n".data(using: .utf8)!)
    exit(1)
}
