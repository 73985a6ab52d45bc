import ArgumentParser
import VLA

struct LMCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "lm", abstract: "Run a language-model checkpoint on token ids.")
    func run() throws { print(BLASBackend.coreName) }
}
