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
}
