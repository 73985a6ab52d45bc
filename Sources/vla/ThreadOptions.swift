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

/// `--temperature`, for commands that run a policy.
struct DecodingOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Sample each action token at this temperature; 0 takes the most likely token (greedy, OpenVLA's way).",
                               discussion: "Default: the model folder's generation_config.json (the bundled model samples at 1.0; folders without one are greedy). Sampling is seeded, so a run repeats exactly.",
                               valueName: "t"))
    var temperature: Double?

    func validate() throws {
        if let temperature, !(temperature >= 0 && temperature.isFinite) { throw ValidationError("--temperature must be 0 or more") }
    }

    /// Applies --temperature to `policy` and seeds its sampler with `seed`.
    func apply(to policy: VLAPolicy?, seed: UInt64) {
        guard let policy else { return }
        if let temperature { policy.decoding.temperature = temperature }
        policy.reseedSampler(seed)
    }
}
