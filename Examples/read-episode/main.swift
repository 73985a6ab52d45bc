// Read an episode and print its actions.
//
//   swift run read-episode [EPISODE_DIR]
//
// Record one first, e.g. `swift run vla run --expert --task pick`; without an argument
// the newest episode in ./episodes is read.
import Foundation
import VLA

let arguments = CommandLine.arguments
do {
    let url: URL
    if arguments.count > 1 {
        url = URL(fileURLWithPath: arguments[1])
    } else {
        let all = try EpisodeStore(directory: URL(fileURLWithPath: "episodes")).list()
        guard let newest = all.last else {
            FileHandle.standardError.write("no episodes in ./episodes — record one with `vla run --expert`\n".data(using: .utf8)!)
            exit(1)
        }
        url = newest.url
    }
    let episode = try EpisodeReader(url: url)
    print("\"\(episode.metadata.instruction)\" — \(episode.stepCount) steps, \(episode.end?.outcome?.rawValue ?? "unfinished")")
    print("step  " + episode.metadata.actionNames.map { $0.padding(toLength: 8, withPad: " ", startingAt: 0) }.joined())
    for step in try episode.steps() {
        let values = step.action?.values.map { String(format: "%+.4f  ", $0) }.joined() ?? "-"
        print(String(format: "%4d  ", step.index) + values)
    }
} catch {
    FileHandle.standardError.write("error: \(error)\n".data(using: .utf8)!)
    exit(1)
}
