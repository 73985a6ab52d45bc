import ArgumentParser
import VLA

/// The `vla` command-line tool.
@main
struct VLACommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vla",
        abstract: "Run vision-language-action models on robot arms, cameras and recorded episodes.",
        discussion: """
        Without hardware named, commands use the built-in simulator and the bundled model.
        """,
        version: "0.1.0",
        subcommands: [
            RunCommand.self,
            ReplayCommand.self,
            RecordCommand.self,
            EvalCommand.self,
            SimCommand.self,
            LMCommand.self,
            ActCommand.self,
            EpisodesCommand.self,
            ArmCommand.self,
            BenchCommand.self,
            TokenizeCommand.self,
            CameraCommand.self,
            EncodeImageCommand.self,
        ]
    )
}
