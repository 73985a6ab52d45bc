import Dispatch
import Foundation

/// Runs loop bodies on a fixed number of threads, for the work BLAS does not cover
/// (attention over heads, element-wise kernels over rows).
///
/// It is a thin layer over `DispatchQueue.concurrentPerform`, which reuses the
/// system's worker threads: nothing is allocated per call, and the calling thread
/// takes part in the work.
public struct ThreadPool: Sendable {
    /// The number of threads a loop is split over.
    public let threads: Int

    /// Creates a pool that splits loops over `threads` threads (at least one).
    public init(threads: Int) { self.threads = max(1, threads) }

    /// A pool with one thread per active processor.
    public static let shared = ThreadPool(threads: ProcessInfo.processInfo.activeProcessorCount)

    /// Calls `body(i)` for every `i` in `0..<count`, in parallel over contiguous blocks.
    ///
    /// - Parameters:
    ///   - count: The number of iterations.
    ///   - minimumPerThread: Below `threads * minimumPerThread` iterations the loop runs on the calling thread.
    ///   - body: The loop body; must be safe to call concurrently for different `i`.
    @inlinable
    public func parallelFor(_ count: Int, minimumPerThread: Int = 1, _ body: (Int) -> Void) {
        let workers = min(threads, count / max(1, minimumPerThread))
        if workers <= 1 {
            for i in 0..<count { body(i) }
            return
        }
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            let lo = count * w / workers, hi = count * (w + 1) / workers
            for i in lo..<hi { body(i) }
        }
    }
}
