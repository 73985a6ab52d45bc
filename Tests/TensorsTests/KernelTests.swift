import Foundation
import Testing
import TestSupport
@testable import Tensors

@Suite("element-wise kernels and BLAS products")
struct KernelTests {
    func randomValues(_ n: Int, seed: UInt64, scale: Float = 3) -> [Float] {
        var s = seed
        return (0..<n).map { _ in
            s = s &* 6364136223846793005 &+ 1442695040888963407
            return (Float(s >> 40) / Float(1 << 24) * 2 - 1) * scale
        }
    }

    @Test("vector exp is within 3e-7 relative of exp over the float range")
    func exp() {
        var worst: Float = 0
        var x: Float = -87
        while x < 88 {
            let v = Kernels.exp(Kernels.Vector(repeating: x))[0]
            worst = max(worst, abs(v - Foundation.exp(x)) / Foundation.exp(x))
            x += 0.0137
        }
        #expect(worst < 3e-7)
        #expect(Kernels.exp(-200) == 0 || Kernels.exp(-200) < 1e-37)
    }

    @Test("rmsNorm, softmax, silu, gelu match scalar formulas", arguments: [1, 15, 16, 33, 512])
    func elementwise(_ n: Int) {
        let x = randomValues(n, seed: UInt64(n))
        let w = randomValues(n, seed: 99)
        var out = [Float](repeating: 0, count: n)
        Kernels.rmsNorm(x, weight: w, out: &out, count: n, epsilon: 1e-6)
        let ms = x.map { Double($0) * Double($0) }.reduce(0, +) / Double(n)
        let ref = (0..<n).map { Float(Double(w[$0]) * Double(x[$0]) / (ms + 1e-6).squareRoot()) }
        #expect(TestSupport.relativeDifference(out, ref).relative < 1e-6)

        var s = x
        Kernels.softmax(&s, count: n)
        let m = x.max()!
        let e = x.map { Foundation.exp(Double($0 - m)) }
        let sum = e.reduce(0, +)
        #expect(TestSupport.relativeDifference(s, e.map { Float($0 / sum) }).relative < 1e-6)

        var g = x
        Kernels.silu(&g, count: n)
        #expect(TestSupport.relativeDifference(g, x.map { $0 / (1 + Foundation.exp(-$0)) }).relative < 1e-6)

        var gt = x
        Kernels.geluTanh(&gt, count: n)
        let gtRef: [Float] = x.map { (v: Float) -> Float in
            let inner: Float = 0.7978845608 * (v + 0.044715 * v * v * v)
            return 0.5 * v * (1 + tanh(inner))
        }
        #expect(TestSupport.relativeDifference(gt, gtRef).relative < 1e-6)

        var ge = x
        Kernels.gelu(&ge, count: n)
        let geRef: [Float] = x.map { (v: Float) -> Float in 0.5 * v * (1 + erf(v / Float(2).squareRoot())) }
        #expect(TestSupport.relativeDifference(ge, geRef).relative < 1e-6)

        var ln = [Float](repeating: 0, count: n)
        Kernels.layerNorm(x, weight: w, bias: w, out: &ln, count: n, epsilon: 1e-5)
        let mean = x.reduce(0, +) / Float(n)
        let variance = x.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Float(n)
        let sd: Float = (variance + 1e-5).squareRoot()
        let lref: [Float] = (0..<n).map { (i: Int) -> Float in (x[i] - mean) / sd * w[i] + w[i] }
        #expect(TestSupport.relativeDifference(ln, lref).relative < 1e-5)
    }

    @Test("rotate-half RoPE matches the reference formula")
    func rope() {
        let d = 48
        var x = randomValues(d, seed: 5)
        let cos = randomValues(d / 2, seed: 6, scale: 1), sin = randomValues(d / 2, seed: 7, scale: 1)
        let x0 = x
        Kernels.rotateHalf(&x, cos: cos, sin: sin, headDim: d)
        for i in 0..<(d / 2) {
            #expect(abs(x[i] - (x0[i] * cos[i] - x0[i + d / 2] * sin[i])) < 1e-5)
            #expect(abs(x[i + d / 2] - (x0[i + d / 2] * cos[i] + x0[i] * sin[i])) < 1e-5)
        }
    }

    @Test("linear: sgemm for many rows and sgemv for one row equal a float64 product", arguments: [1, 2, 7, 64])
    func linear(_ rows: Int) {
        let inF = 96, outF = 80
        let x = randomValues(rows * inF, seed: 11, scale: 1), w = randomValues(outF * inF, seed: 12, scale: 1)
        var y = randomValues(rows * outF, seed: 13, scale: 1)
        let y0 = y
        BLAS.linear(rows: rows, inFeatures: inF, outFeatures: outF, x: x, w: w, y: &y, beta: 1)
        var ref = [Float](repeating: 0, count: rows * outF)
        for r in 0..<rows {
            for o in 0..<outF {
                var s = Double(y0[r * outF + o])
                for k in 0..<inF { s += Double(x[r * inF + k]) * Double(w[o * inF + k]) }
                ref[r * outF + o] = Float(s)
            }
        }
        #expect(TestSupport.relativeDifference(y, ref).relative < 1e-5)
    }

    @Test("OpenBLAS runs a fast core when the CPU has AVX-512, unless told otherwise")
    func fastKernels() {
        let core = BLASBackend.coreName
        #expect(!core.isEmpty)
        if ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] == nil,
           BLASBackend.originalCoreName.lowercased() == "prescott",
           (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?.contains("avx512bw") == true {
            #expect(core == "SkylakeX")
        }
    }

    @Test("thread pool visits every index once")
    func pool() {
        let n = 1000
        let hits = UnsafeMutablePointer<Int>.allocate(capacity: n)
        hits.initialize(repeating: 0, count: n)
        defer { hits.deallocate() }
        ThreadPool(threads: 3).parallelFor(n) { hits[$0] += 1 }
        #expect((0..<n).allSatisfy { hits[$0] == 1 })
    }
}

/// OpenBLAS stops its thread pool before every fork(); a product running on another
/// thread at that moment used to wait for its workers forever (a test that forked hung CI
/// this way). `BLAS` and the fork handler share one lock, so the fork waits instead.
@Suite("BLAS and fork()")
struct BLASForkTests {
    final class Progress: @unchecked Sendable {
        private let lock = NSLock()
        private var products = 0, stopped = false
        func done() { lock.lock(); products += 1; lock.unlock() }
        var count: Int { lock.lock(); defer { lock.unlock() }; return products }
        var stop: Bool {
            get { lock.lock(); defer { lock.unlock() }; return stopped }
            set { lock.lock(); stopped = newValue; lock.unlock() }
        }
    }

    @Test("forks on one thread while another runs threaded products: the products go on")
    func forkDuringProducts() {
        let progress = Progress()
        let worker = Thread {
            // 64 x 96 · (288 x 96)ᵀ: large enough for OpenBLAS to use its worker threads.
            let x = Tensor(shape: [64 * 96]), w = Tensor(shape: [288 * 96]), y = Tensor(shape: [64 * 288])
            x.fill(0.5)
            w.fill(0.01)
            while !progress.stop {
                BLAS.linear(rows: 64, inFeatures: 96, outFeatures: 288, x: x.data, w: w.data, y: y.data)
                progress.done()
            }
        }
        worker.start()
        defer { progress.stop = true }
        for _ in 0..<40 {
            let pid = fork()
            if pid == 0 { _exit(0) }
            var status: Int32 = 0
            waitpid(pid, &status, 0)
            usleep(2_000)
        }
        let before = progress.count
        let deadline = Date().addingTimeInterval(20)
        while progress.count < before + 50, Date() < deadline { usleep(10_000) }
        #expect(progress.count >= before + 50, "products stalled after fork(): \(progress.count - before) in 20 s")
    }
}
