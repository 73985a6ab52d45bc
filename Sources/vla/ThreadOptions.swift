import ArgumentParser
import VLA

/// `--threads`, for commands that run a policy.
struct ThreadOptions: ParsableArguments {
    @Option(help: ArgumentHelp("CPU threads for the policy: BLAS products, attention and element-wise work (default: one per core).",
                               discussion: "1 leaves the other cores to the camera, the arm and other programs.",
                               valueName: "n"))
    var threads: Int?

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    /// Applies --threads to OpenBLAS and returns it for `VLAPolicy(threads:)`.
    func apply() -> Int? {
        if let threads { BLASBackend.setThreads(threads) }
        return threads
    }
}
