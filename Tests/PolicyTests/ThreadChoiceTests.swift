import Foundation
import Testing
import TestSupport
import Tensors
import Policy

/// `VLAPolicy.adaptBLASThreads`: within the budget (or 40 budgets over) nothing is tried; over it, one BLAS
/// thread is timed and kept only if it was clearly faster. (Whether the CPU is busy is not up to
/// a test; the choice's bookkeeping is.)
@Suite("Choosing BLAS threads", .serialized)
struct ThreadChoiceTests {
    @Test("within the budget or far over it the threads stay; over it, one thread is tried and kept if clearly faster")
    func adapt() throws {
        let policy = try VLAPolicy(modelDirectory: TestSupport.fixture("openvla").appendingPathComponent("tiny"), unnormKey: "sim_tabletop")
        let original = BLASBackend.threads
        defer { BLASBackend.setThreads(original) }
        #expect(try policy.timeStep(trials: 1) > 0)

        BLASBackend.setThreads(2)
        let relaxed = try policy.adaptBLASThreads(budget: .infinity)
        #expect(relaxed.threadsBefore == 2 && relaxed.threads == 2 && relaxed.secondsSingle == nil, "\(relaxed)")
        #expect(relaxed.secondsBefore > 0 && !relaxed.switchedToOneThread)
        #expect(BLASBackend.threads == 2)

        // Budgets relative to this machine's step: a third of it is "over", a ten-thousandth "far over".
        let step = try policy.timeStep()
        let far = try policy.adaptBLASThreads(budget: step / 10_000)
        #expect(far.threads == 2 && far.secondsSingle == nil, "a model 40 budgets slow is left alone: \(far)")
        #expect(BLASBackend.threads == 2)

        let tight = try policy.adaptBLASThreads(budget: step / 3)
        let single = try #require(tight.secondsSingle, "over the budget, one thread is timed")
        #expect(tight.threadsBefore == 2 && tight.threads == (single < 0.75 * tight.secondsBefore ? 1 : 2), "\(tight)")
        #expect(BLASBackend.threads == tight.threads, "OpenBLAS runs what was chosen")
        #expect(tight.switchedToOneThread == (tight.threads == 1))

        // Already one thread: nothing to try.
        BLASBackend.setThreads(1)
        let one = try policy.adaptBLASThreads(budget: step / 3)
        #expect(one.threadsBefore == 1 && one.threads == 1 && one.secondsSingle == nil && !one.switchedToOneThread, "\(one)")
    }
}
