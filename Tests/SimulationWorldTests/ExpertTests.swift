import Foundation
import RobotCore
import Testing
@testable import Simulation

/// The scripted expert solves the tasks through end-effector delta actions.
@Suite struct ExpertTests {
    struct Outcome { var success: Bool; var distractor: Bool; var steps: Int; var maxStep: Double }

    /// Runs one expert episode on a kinematic world.
    static func run(seed: UInt64, family: TaskFamily, world: SimulatedWorld) throws -> Outcome {
        let task = try world.reset(seed: seed, family: family)
        var expert = ScriptedExpert(seed: seed)
        expert.reset(for: task)
        var largest = 0.0
        var last: SimulationStep?
        while !world.isTerminal {
            let action = expert.action(for: world.scene, task: task, timestamp: world.clock.now())
            #expect(action.space == .endEffectorDelta && action.names == RobotAction.endEffectorDeltaNames)
            let t = action.values[0..<3].reduce(0) { $0 + $1 * $1 }.squareRoot()
            largest = max(largest, t)
            #expect((0...1).contains(action["gripper"]!))
            last = try world.step(action)
        }
        return Outcome(success: world.isSuccess, distractor: last?.reachedDistractor ?? false,
                       steps: world.stepCount, maxStep: largest)
    }

    @Test(arguments: TaskFamily.allCases)
    func expertSucceedsOnSeededLayouts(family: TaskFamily) throws {
        let world = try SimulatedWorld.kinematic()
        world.maxSteps = 120
        let seeds = UInt64(1000)..<1050
        var outcomes: [Outcome] = []
        var failed: [UInt64] = []
        for seed in seeds {
            let o = try Self.run(seed: seed, family: family, world: world)
            outcomes.append(o)
            if !o.success { failed.append(seed) }
        }
        let successRate = Double(outcomes.filter(\.success).count) / Double(outcomes.count)
        let distractorRate = Double(outcomes.filter(\.distractor).count) / Double(outcomes.count)
        let meanSteps = Double(outcomes.map(\.steps).reduce(0, +)) / Double(outcomes.count)
        print("expert \(family): success \(successRate), distractor touches \(distractorRate), mean steps \(meanSteps), failed seeds \(failed)")
        #expect(successRate >= 0.95)
        #expect(distractorRate <= 0.05)
        #expect(outcomes.allSatisfy { $0.maxStep <= 0.02 + 1e-12 })
    }

    @Test("DART noise repeats with the seed and task, and differs between the tasks of one layout")
    func dartNoisePerTask() {
        let action = RobotAction(space: .endEffectorDelta, names: RobotAction.endEffectorDeltaNames,
                                 values: [0.005, 0, 0, 0, 0, 0, 1])
        func noise(seed: UInt64, task: Int) -> [[Double]] {
            var dart = DARTPerturbation(sigma: 0.004, seed: seed, task: task)
            return (0..<5).map { _ in Array(dart.perturbed(action).values[0..<3]) }
        }
        #expect(noise(seed: 7, task: 1) == noise(seed: 7, task: 1))
        #expect(noise(seed: 7, task: 0) != noise(seed: 7, task: 1))
        #expect(noise(seed: 7, task: 1) != noise(seed: 7, task: 2))
        #expect(noise(seed: 7, task: 0) != noise(seed: 8, task: 0))
        var none = DARTPerturbation(sigma: 0, seed: 7, task: 3)
        #expect(none.perturbed(action) == action)
    }

    @Test func demonstrationsVaryWithTheSeedAndRepeatWithIt() throws {
        let world = try SimulatedWorld.kinematic()
        let scenario = TabletopScenario.generate(seed: 3, family: .reach)
        func actions(expertSeed: UInt64) throws -> [[Double]] {
            try world.reset(to: scenario)
            var expert = ScriptedExpert(seed: expertSeed)
            expert.reset(for: scenario.task)
            var out: [[Double]] = []
            for _ in 0..<10 {
                let a = expert.action(for: world.scene, task: scenario.task, timestamp: world.clock.now())
                out.append(a.values)
                _ = try world.step(a)
            }
            return out
        }
        #expect(try actions(expertSeed: 1) == actions(expertSeed: 1))
        #expect(try actions(expertSeed: 1) != actions(expertSeed: 2))
    }
}
