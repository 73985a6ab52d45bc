import Foundation
import RobotCore
import Tensors

/// What ``VLAPolicy/adaptBLASThreads(budget:instruction:)`` measured and chose.
public struct BLASThreadChoice: Sendable, Equatable {
    /// OpenBLAS threads before the call.
    public var threadsBefore: Int
    /// The median of three policy steps with those threads, in seconds.
    public var secondsBefore: Double
    /// The median of three steps with one thread, in seconds; nil when one thread was not
    /// tried (the step was within the budget or far over it, or OpenBLAS had one thread already).
    public var secondsSingle: Double?
    /// OpenBLAS threads after the call: one if that was clearly faster, else unchanged.
    public var threads: Int

    /// True when the call switched OpenBLAS to one thread.
    public var switchedToOneThread: Bool { threads == 1 && threadsBefore > 1 }
}

extension VLAPolicy {
    /// The median of `trials` policy steps on a blank image, in seconds, with the threads as
    /// they are set, after one untimed step that warms the caches.
    ///
    /// Steps draw sampled tokens, so call ``reseedSampler(_:)`` afterwards when a run must
    /// repeat exactly.
    public func timeStep(trials: Int = 3, instruction: String = "pick up the block") throws -> Double {
        _ = try timedSteps(1, instruction: instruction)
        return Self.median(try timedSteps(max(1, trials), instruction: instruction))
    }

    /// The seconds each of `count` policy steps on a blank image took.
    private func timedSteps(_ count: Int, instruction: String) throws -> [Double] {
        let size = configuration.vision.featurizers[0].imageSize
        let blank = Image(width: size, height: size, format: .rgb, pixels: [UInt8](repeating: 128, count: size * size * 3))
        return try (0..<count).map { _ in
            let t0 = Timestamp.now()
            _ = try predictAction(image: blank, instruction: instruction, state: centralState)
            return Timestamp.now().seconds(since: t0)
        }
    }

    private static func median(_ times: [Double]) -> Double { times.sorted()[times.count / 2] }

    /// Keeps a policy step within `budget` seconds on a busy CPU.
    ///
    /// OpenBLAS's threads wait for each other by spinning. When other programs keep every
    /// core busy, a product split over several threads waits for a descheduled one at each
    /// step of its loop: measured on 2 cores with two busy processes, the bundled model took
    /// 0.9 s a step with 2 threads and 0.05 s with 1 (0.012 s with 2 on an idle machine).
    /// This times a step; if it is over `budget` (but under 40 budgets: slower models are
    /// left alone) and OpenBLAS runs several threads, it times
    /// one thread and keeps it if it is clearly faster (by more than a quarter), else goes
    /// back. OpenBLAS's thread count is process-wide.
    ///
    /// Call it before a control loop starts (before an arm's watchdog is armed), with the
    /// budget the loop allows, e.g. half the control period. Then reseed the sampler.
    public func adaptBLASThreads(budget: Double, instruction: String = "pick up the block") throws -> BLASThreadChoice {
        let before = BLASBackend.threads
        // A model whose first step takes 40 budgets is slow, not starved: spend no more steps on it.
        _ = try timedSteps(1, instruction: instruction)   // warm-up
        let first = try timedSteps(1, instruction: instruction)[0]
        guard first <= 40 * budget else {
            return BLASThreadChoice(threadsBefore: before, secondsBefore: first, secondsSingle: nil, threads: before)
        }
        let seconds = Self.median([first] + (try timedSteps(2, instruction: instruction)))
        var choice = BLASThreadChoice(threadsBefore: before, secondsBefore: seconds, secondsSingle: nil, threads: before)
        guard seconds > budget, before > 1 else { return choice }
        BLASBackend.setThreads(1)
        let single = try timeStep(instruction: instruction)
        choice.secondsSingle = single
        if single < 0.75 * seconds { choice.threads = 1 } else { BLASBackend.setThreads(before) }
        return choice
    }
}
