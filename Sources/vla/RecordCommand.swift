import ArgumentParser
import Foundation
import Simulation
import VLA

struct RecordCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record",
        abstract: "Record demonstrations in the simulator with the scripted expert.",
        discussion: """
        Runs `vla run --expert` once per seed (--seed, --seed + 1, …) and keeps every \
        episode in --episodes: randomised layouts with distractors, instructions from the \
        task family's phrasings. These are the data a policy is trained on.

        Examples:
          vla record --task pick --count 20 --seed 1000 --fast
          vla record --task reach --count 5 --hz 10          # real time, over the servo bus
        """
    )

    @Option(help: "Task family: reach, push or pick.")
    var task: String = "reach"

    @Option(help: "How many episodes.")
    var count: Int = 10

    @Option(help: "The first layout seed.")
    var seed: UInt64 = 1

    @Option(help: "Control rate in Hz.")
    var hz: Double = 10

    @Option(help: "Stop an episode after this many steps.")
    var maxSteps: Int = 100

    @Option(help: "Folder that receives the episodes.")
    var episodes: String = "episodes"

    @Flag(help: "Use the instant kinematic arm instead of the servo bus on a pty.")
    var fast = false

    func validate() throws {
        guard count > 0 else { throw ValidationError("--count must be positive") }
        guard TaskFamily(rawValue: task) != nil else {
            throw ValidationError("--task must be one of \(TaskFamily.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    func run() throws {
        var recorded = 0
        for i in 0..<count {
            var arguments = ["--expert", "--task", task, "--seed", "\(seed + UInt64(i))", "--hz", "\(hz)",
                             "--max-steps", "\(maxSteps)", "--episodes", episodes, "--json"]
            if fast { arguments.append("--fast") }
            let run = try RunCommand.parse(arguments)
            try run.run()
            recorded += 1
        }
        printError("recorded \(recorded) episode(s) in \(episodes)")
    }
}
