import ArgumentParser
import COpenBLAS
import Foundation
import VLA

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure the engine's speed against this machine's own baselines.",
        subcommands: [LM.self, Act.self]
    )
}

extension BenchCommand {
    struct LM: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "lm",
            abstract: "Prefill and decode speed of random-weight Llama models, as ratios to sgemm and memory bandwidth.",
            discussion: """
            For each configuration it builds a Llama model with random weights, then measures in \
            the same run:
              prefill   tokens/s and achieved GFLOP/s for a --prompt-token prompt (one batched pass),
                        against cblas_sgemm GFLOP/s at exactly the prefill's matrix shapes;
              decode    tokens/s with the KV cache, and the weight bandwidth that implies
                        (all weights are read once per token), against a measured memory
                        read bandwidth (SIMD sums over 512 MiB on all cores) and memcpy;
              weights   F32 sgemv against BF16 weights converted just before the product.

            Configurations: 60m (hidden 512, 8 layers, 8 heads, intermediate 1536, vocab 32000)
                            270m (hidden 1024, 16 layers, 16 heads, intermediate 2816, vocab 32000)

            Examples:
              swift run -c release vla bench lm
              swift run -c release vla bench lm --config 60m --decode 64 --json
            """
        )

        enum Size: String, ExpressibleByArgument, CaseIterable { case m60 = "60m", m270 = "270m", all }

        @Option(help: "Which configuration: 60m, 270m or all.")
        var config: Size = .all
        @Option(help: "Prompt tokens for prefill.")
        var prompt: Int = 64
        @Option(help: "Decode steps to time.")
        var decode: Int = 32
        @Option(help: "Timed repetitions of prefill (the best is reported).")
        var repeats: Int = 3
        @Option(help: "Threads for attention and element-wise work (default: one per core).")
        var threads: Int?
        @Flag(help: "Print one JSON object instead of a table.")
        var json = false

        func validate() throws {
            guard prompt > 0, decode > 0, repeats > 0 else { throw ValidationError("--prompt, --decode and --repeats must be positive") }
        }

        func run() throws {
            BLASBackend.selectFastKernels()
            let memory = Baseline.memoryBandwidth()
            var results: [[String: Any]] = []
            let sizes: [Size] = config == .all ? [.m60, .m270] : [config]
            if !json {
                print("OpenBLAS core \(BLASBackend.coreName) (loaded as \(BLASBackend.originalCoreName)), \(BLASBackend.threads) threads, \(ProcessInfo.processInfo.activeProcessorCount) cores")
                print(String(format: "memory: read %.1f GB/s (all cores), memcpy %.1f GB/s (read+write)", memory.read, memory.copy))
            }
            let halfPrecision = Baseline.bf16OnTheFly(rows: 3072, columns: 512, repeats: 200)
            if !json {
                print(String(format: "weights: F32 sgemv %.3f ms vs BF16 converted on the fly + sgemv %.3f ms (3072x512): keeping F32 is %.1fx faster",
                             halfPrecision.f32 * 1e3, halfPrecision.bf16 * 1e3, halfPrecision.bf16 / halfPrecision.f32))
            }
            for size in sizes {
                let c: LlamaConfiguration = size == .m60
                    ? LlamaConfiguration(hiddenSize: 512, intermediateSize: 1536, hiddenLayers: 8, attentionHeads: 8, vocabularySize: 32000)
                    : LlamaConfiguration(hiddenSize: 1024, intermediateSize: 2816, hiddenLayers: 16, attentionHeads: 16, vocabularySize: 32000)
                let model = LlamaModel(configuration: c, seed: 1)
                let session = LlamaSession(model: model, maxContext: prompt + decode + 1, maxBatch: prompt, threads: threads)
                let tokens = (0..<prompt).map { ($0 * 7919 + 13) % c.vocabularySize }

                // Prefill: one batched pass, logits for the last position only (as generation needs).
                var best = Double.infinity
                for _ in 0..<(max(repeats, 5) + 1) {  // the first pass warms up
                    session.reset()
                    let t0 = Timestamp.now()
                    try session.prefill(tokens, logits: .last)
                    best = min(best, Timestamp.now().seconds(since: t0))
                }
                let shapes = Baseline.prefillShapes(c, tokens: prompt)
                let flops = Baseline.prefillFLOPs(c, tokens: prompt)
                let sgemm = Baseline.sgemmGFLOPs(shapes: shapes, repeats: max(repeats, 5))
                let prefillGFLOPs = flops / best / 1e9

                // Decode: greedy steps with the KV cache.
                var next = 0
                let t0 = Timestamp.now()
                for _ in 0..<decode {
                    let logits = try session.step(next)
                    next = LlamaSession.argmax(logits)
                }
                let decodeSeconds = Timestamp.now().seconds(since: t0) / Double(decode)
                let weightBytes = Double(Baseline.streamedWeights(c)) * 4
                let bandwidth = weightBytes / decodeSeconds / 1e9

                let r: [String: Any] = [
                    "config": size.rawValue, "parameters": model.parameterCount,
                    "prefill_tokens": prompt, "prefill_tokens_per_s": Double(prompt) / best,
                    "prefill_gflops": prefillGFLOPs, "sgemm_gflops_same_shapes": sgemm,
                    "prefill_over_sgemm": prefillGFLOPs / sgemm,
                    "decode_tokens_per_s": 1 / decodeSeconds, "decode_weight_gb_per_s": bandwidth,
                    "memory_read_gb_per_s": memory.read, "memcpy_gb_per_s": memory.copy,
                    "decode_over_read_bandwidth": bandwidth / memory.read,
                    "decode_over_memcpy_bandwidth": bandwidth / memory.copy,
                    "openblas_core": BLASBackend.coreName,
                    "bf16_on_the_fly_over_f32": halfPrecision.bf16 / halfPrecision.f32,
                ]
                results.append(r)
                if !json {
                    print("")
                    print(String(format: "%@ (%.1fM parameters)", size.rawValue, Double(model.parameterCount) / 1e6))
                    print(String(format: "  prefill %d tokens: %7.1f tokens/s  %6.1f GFLOP/s  = %.2f x sgemm at the same shapes (%.1f GFLOP/s)",
                                 prompt, Double(prompt) / best, prefillGFLOPs, prefillGFLOPs / sgemm, sgemm))
                    print(String(format: "  decode:            %7.1f tokens/s  %6.1f GB/s of weights = %.2f x memcpy bandwidth, %.2f x read sweep",
                                 1 / decodeSeconds, bandwidth, bandwidth / memory.copy, bandwidth / memory.read))
                }
            }
            if json {
                let data = try JSONSerialization.data(withJSONObject: ["results": results], options: [.sortedKeys])
                print(String(decoding: data, as: UTF8.self))
            }
        }
    }
}

/// Baselines measured on this machine in the same run as the benchmark.
enum Baseline {
    /// (rows, in, out) of every linear product in one prefill pass.
    static func prefillShapes(_ c: LlamaConfiguration, tokens t: Int) -> [(Int, Int, Int)] {
        let d = c.hiddenSize, hd = c.headDimension
        var s: [(Int, Int, Int)] = []
        for _ in 0..<c.hiddenLayers {
            s.append((t, d, (c.attentionHeads + 2 * c.keyValueHeads) * hd))
            s.append((t, c.attentionHeads * hd, d))
            s.append((t, d, 2 * c.intermediateSize))
            s.append((t, c.intermediateSize, d))
        }
        return s
    }

    /// Floating-point operations of one prefill pass: the products above, attention, and the last row's logits.
    static func prefillFLOPs(_ c: LlamaConfiguration, tokens t: Int) -> Double {
        var f = prefillShapes(c, tokens: t).reduce(0.0) { $0 + 2 * Double($1.0 * $1.1 * $1.2) }
        // q·k and p·v over the causal triangle
        f += Double(c.hiddenLayers) * 2 * 2 * Double(c.attentionHeads * c.headDimension) * Double(t * (t + 1) / 2)
        f += 2 * Double(c.hiddenSize * c.vocabularySize)
        return f
    }

    /// Weights read once per decoded token (everything but the embedding table, unless tied).
    static func streamedWeights(_ c: LlamaConfiguration) -> Int {
        let d = c.hiddenSize, hd = c.headDimension
        let perLayer = (c.attentionHeads + 2 * c.keyValueHeads) * hd * d + c.attentionHeads * hd * d + 3 * c.intermediateSize * d
        return c.hiddenLayers * perLayer + c.vocabularySize * d
    }

    /// cblas_sgemm GFLOP/s over the given shapes, best of `repeats` sweeps.
    static func sgemmGFLOPs(shapes: [(Int, Int, Int)], repeats: Int) -> Double {
        let maxX = shapes.map { $0.0 * $0.1 }.max()!, maxY = shapes.map { $0.0 * $0.2 }.max()!
        // Distinct weight matrices per shape, as in the model, so caches behave the same.
        let weights = shapes.map { Tensor(shape: [$0.1 * $0.2]) }
        for w in weights { for i in stride(from: 0, to: w.count, by: 7) { w.data[i] = 0.01 } }
        let x = Tensor(shape: [maxX]), y = Tensor(shape: [maxY])
        x.fill(0.5)
        let flops = shapes.reduce(0.0) { $0 + 2 * Double($1.0 * $1.1 * $1.2) }
        var best = Double.infinity
        for _ in 0..<(repeats + 1) {
            let t0 = Timestamp.now()
            for (s, w) in zip(shapes, weights) {
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, blasint(s.0), blasint(s.2), blasint(s.1),
                            1, x.data, blasint(s.1), w.data, blasint(s.1), 0, y.data, blasint(s.2))
            }
            best = min(best, Timestamp.now().seconds(since: t0))
        }
        return flops / best / 1e9
    }

    /// Seconds per matrix-vector product with F32 weights, and with BF16 weights converted
    /// to F32 just before the product (what "convert on the fly" costs without a custom GEMM).
    static func bf16OnTheFly(rows: Int, columns: Int, repeats: Int) -> (f32: Double, bf16: Double) {
        let n = rows * columns
        let w = Tensor(shape: [n]), scratch = Tensor(shape: [n]), x = Tensor(shape: [columns]), y = Tensor(shape: [rows])
        x.fill(0.5)
        let half = UnsafeMutablePointer<UInt16>.allocate(capacity: n)
        defer { half.deallocate() }
        for i in 0..<n { w.data[i] = Float(i % 17) * 0.01; half[i] = UInt16(w.data[i].bitPattern >> 16) }
        func time(_ body: () -> Void) -> Double {
            body()
            let t0 = Timestamp.now()
            for _ in 0..<repeats { body() }
            return Timestamp.now().seconds(since: t0) / Double(repeats)
        }
        let f32 = time {
            BLAS.linear(rows: 1, inFeatures: columns, outFeatures: rows, x: x.data, w: w.data, y: y.data)
        }
        let bf16 = time {
            for i in 0..<n { scratch.data[i] = Float(bitPattern: UInt32(half[i]) << 16) }
            BLAS.linear(rows: 1, inFeatures: columns, outFeatures: rows, x: x.data, w: scratch.data, y: y.data)
        }
        return (f32, bf16)
    }

    /// Memory bandwidth in GB/s: a read sweep over 512 MiB split across the cores (SIMD sums),
    /// and memcpy (counting read + write).
    static func memoryBandwidth() -> (read: Double, copy: Double) {
        let n = 128 << 20  // floats: 512 MiB
        let a = Tensor(shape: [n]), b = Tensor(shape: [n])
        a.fill(1)
        b.fill(2)
        let pool = ThreadPool.shared
        let partial = Tensor(shape: [pool.threads])
        var readBest = Double.infinity, copyBest = Double.infinity
        for _ in 0..<3 {
            var t0 = Timestamp.now()
            pool.parallelFor(pool.threads) { w in
                let lo = n * w / pool.threads, hi = n * (w + 1) / pool.threads
                // Four independent accumulators so the sweep is limited by memory, not by add latency.
                var a0 = Kernels.Vector.zero, a1 = Kernels.Vector.zero, a2 = Kernels.Vector.zero, a3 = Kernels.Vector.zero
                var i = lo
                let p = UnsafeRawPointer(a.data)
                while i + 64 <= hi {
                    a0 += p.loadUnaligned(fromByteOffset: 4 * i, as: Kernels.Vector.self)
                    a1 += p.loadUnaligned(fromByteOffset: 4 * (i + 16), as: Kernels.Vector.self)
                    a2 += p.loadUnaligned(fromByteOffset: 4 * (i + 32), as: Kernels.Vector.self)
                    a3 += p.loadUnaligned(fromByteOffset: 4 * (i + 48), as: Kernels.Vector.self)
                    i += 64
                }
                partial.data[w] = (a0 + a1 + a2 + a3).sum()
            }
            readBest = min(readBest, Timestamp.now().seconds(since: t0))
            t0 = Timestamp.now()
            memcpy(b.data, a.data, n * 4)
            copyBest = min(copyBest, Timestamp.now().seconds(since: t0))
        }
        return (Double(n * 4) / readBest / 1e9, Double(2 * n * 4) / copyBest / 1e9)
    }
}
