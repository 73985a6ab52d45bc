import Foundation
import Testing
@testable import Simulation

/// Seeded layouts: reproducible, non-overlapping, in reach, always with distractors.
@Suite struct SceneLayoutTests {
    @Test func sameSeedSameLayout() {
        for seed in UInt64(0)..<20 {
            #expect(TabletopScene.random(seed: seed) == TabletopScene.random(seed: seed))
            #expect(TabletopScenario.generate(seed: seed, family: .push) == TabletopScenario.generate(seed: seed, family: .push))
        }
        let layouts = Set((UInt64(0)..<20).map { TabletopScene.random(seed: $0).objects.map(\.position.x) })
        #expect(layouts.count == 20)
    }

    @Test func layoutsAreValid() {
        let table = TabletopScene.Table.so101
        for seed in UInt64(0)..<200 {
            let scene = TabletopScene.random(seed: seed)
            #expect((3...5).contains(scene.objects.count))
            // Distinct colour-and-shape pairs, and at least one pair sharing a colour or a shape.
            let kinds = scene.objects.map { "\($0.color)-\($0.shape)" }
            #expect(Set(kinds).count == kinds.count)
            let confusable = scene.objects.enumerated().contains { i, a in
                scene.objects.dropFirst(i + 1).contains { $0.color == a.color || $0.shape == a.shape }
            }
            #expect(confusable, "seed \(seed): no distractor shares a colour or a shape")
            for (i, a) in scene.objects.enumerated() {
                #expect(table.placementX.contains(a.position.x) && table.placementY.contains(a.position.y))
                #expect(a.position.z == 0)
                for b in scene.objects.dropFirst(i + 1) {
                    let d = ((a.position - b.position) * (a.position - b.position)).sum().squareRoot()
                    #expect(d >= a.radius + b.radius + 0.02, "seed \(seed): \(a.name) and \(b.name) overlap")
                }
            }
            #expect(scene.contactOrder.isEmpty)
        }
    }

    @Test func scenariosSurviveJSON() throws {
        var scenario = TabletopScenario.generate(seed: 9, family: .pick)
        scenario.scene.moveGripper(to: SIMD3(0, -0.18, 0.02), opening: 0)
        let data = try JSONEncoder().encode(scenario)
        #expect(try JSONDecoder().decode(TabletopScenario.self, from: data) == scenario)
    }

    @Test(arguments: TaskFamily.allCases)
    func scenariosNameTheirTarget(family: TaskFamily) {
        var phrasings = Set<String>()
        for seed in UInt64(0)..<40 {
            let s = TabletopScenario.generate(seed: seed, family: family)
            let target = try! #require(s.scene.object(s.task.targetID))
            #expect(s.task.instruction.contains(target.color.rawValue))
            #expect(target.shape.names.contains { s.task.instruction.contains($0) })
            #expect(s.task.family == family)
            #expect((family == .push) == (s.task.direction != nil))
            if let d = s.task.direction { #expect(s.task.instruction.contains(d.rawValue)) }
            #expect(s.scene.objects.count >= 3)
            phrasings.insert(s.task.instruction.replacingOccurrences(of: target.color.rawValue, with: ""))
        }
        #expect(phrasings.count >= 4, "instructions should vary: \(phrasings)")
    }

    /// Training data never uses a family's held-out template; held-out scenarios use only it;
    /// the layout and target do not depend on the phrasing set.
    @Test(arguments: TaskFamily.allCases)
    func heldOutPhrasingsStayOut(family: TaskFamily) {
        let heldOut = TabletopTask.templates(for: family, in: .heldOut)
        #expect(heldOut.count == 1 && TabletopTask.templates(for: family, in: .training).count == TabletopTask.templates(for: family).count - 1)
        #expect(!TabletopTask.templates(for: family, in: .training).contains(heldOut[0]))
        // The words the held-out template has and no training template has mark its instructions.
        let marker = heldOut[0].split(separator: " ").first { word in
            !word.contains("{") && !TabletopTask.templates(for: family, in: .training).contains { $0.split(separator: " ").contains(word) }
        }.map(String.init)
        let m = try! #require(marker, "the held-out template of \(family) shares every word with a training one")
        var sawHeldOut = 0
        for seed in UInt64(0)..<60 {
            let train = TabletopScenario.generate(seed: seed, family: family, phrasings: .training)
            let held = TabletopScenario.generate(seed: seed, family: family, phrasings: .heldOut)
            #expect(!train.task.instruction.split(separator: " ").contains(Substring(m)), "seed \(seed): \(train.task.instruction)")
            #expect(held.task.instruction.split(separator: " ").contains(Substring(m)), "seed \(seed): \(held.task.instruction)")
            #expect(train.scene == held.scene && train.task.targetID == held.task.targetID)
            if TabletopScenario.generate(seed: seed, family: family).task.instruction.split(separator: " ").contains(Substring(m)) { sawHeldOut += 1 }
        }
        #expect(sawHeldOut > 0, "the default set (all) should include the held-out phrasing")
    }

    /// One layout posed with every possible target: the same scene, each object once.
    @Test(arguments: [TaskFamily.reach, .pick])
    func everyTargetOfALayout(family: TaskFamily) {
        for seed in UInt64(0)..<20 {
            let own = TabletopScenario.generate(seed: seed, family: family)
            let n = TabletopScenario.taskCount(seed: seed, family: family)
            #expect(n == own.scene.objects.count)
            let posed = (0..<n).map { TabletopScenario.generate(seed: seed, family: family, targetIndex: $0) }
            #expect(posed.allSatisfy { $0.scene == own.scene })
            #expect(Set(posed.map(\.task.targetID)) == Set(own.scene.objects.map(\.id)))
            #expect(posed.contains { $0.task.targetID == own.task.targetID })
            for p in posed {
                let target = own.scene.object(p.task.targetID)!
                #expect(p.task.instruction.contains(target.color.rawValue))
            }
        }
    }
}
