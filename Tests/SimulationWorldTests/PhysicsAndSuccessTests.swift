import Foundation
import Testing
@testable import Simulation

/// The kinematic physics and each family's success condition, on hand-made scenes.
@Suite struct PhysicsAndSuccessTests {
    static func scene() -> TabletopScene {
        TabletopScene(objects: [
            TabletopObject(id: 0, color: .red, shape: .block, position: SIMD3(0, -0.18, 0)),
            TabletopObject(id: 1, color: .blue, shape: .ball, position: SIMD3(0.08, -0.18, 0)),
            TabletopObject(id: 2, color: .red, shape: .cup, position: SIMD3(-0.08, -0.15, 0)),
        ], gripper: .init(position: SIMD3(0, -0.18, 0.1), opening: 0.5))
    }

    @Test func reachNeedsTheGripperOnTheObject() {
        var s = Self.scene()
        let task = TabletopTask(family: .reach, target: s.objects[0], instruction: "touch the red block")
        #expect(!task.isSuccess(s))                       // 10 cm above
        s.moveGripper(to: SIMD3(0.01, -0.18, 0.04), opening: 0)
        #expect(task.isSuccess(s))
        #expect(!task.reachedDistractor(s))
        #expect(s.contactOrder == [0])
        s.moveGripper(to: SIMD3(0.05, -0.18, 0.045), opening: 0)
        #expect(!task.isSuccess(s))                       // 5 cm away in the plane
    }

    @Test func touchingAnotherObjectFirstIsADistractor() {
        var s = Self.scene()
        let task = TabletopTask(family: .reach, target: s.objects[0], instruction: "touch the red block")
        s.moveGripper(to: SIMD3(0.08, -0.18, 0.04), opening: 0)     // onto the blue ball
        #expect(s.contactOrder == [1])
        s.moveGripper(to: SIMD3(0.08, -0.18, 0.1), opening: 0)
        s.moveGripper(to: SIMD3(0, -0.18, 0.1), opening: 0)
        s.moveGripper(to: SIMD3(0, -0.18, 0.04), opening: 0)
        #expect(task.isSuccess(s))
        #expect(task.reachedDistractor(s))
    }

    @Test func pushingMovesTheObjectAlong() {
        var s = Self.scene()
        let task = TabletopTask(family: .push, target: s.objects[0], direction: .left, instruction: "push the red block to the left")
        let right = TabletopTask(family: .push, target: s.objects[0], direction: .right, instruction: "push the red block to the right")
        // Left in the image is −x: start on the +x side, low, and sweep toward −x.
        s.moveGripper(to: SIMD3(0.045, -0.18, 0.1), opening: 0)
        s.moveGripper(to: SIMD3(0.045, -0.18, 0.015), opening: 0)
        #expect(s.objects[0].position.x == 0)
        for k in 1...6 { s.moveGripper(to: SIMD3(0.045 - 0.02 * Double(k), -0.18, 0.015), opening: 0) }
        let o = s.objects[0]
        #expect(abs(o.position.x - (-0.075 - o.radius - TabletopScene.Physics.gripperRadius)) < 1e-9)
        #expect(abs(o.position.y - (-0.18)) < 1e-9)
        #expect(task.isSuccess(s))
        #expect(!right.isSuccess(s))
        // The cup at (−0.08, −0.15) was in the way and got pushed aside, not overlapped.
        let cup = s.objects[2]
        let d = ((cup.position - o.position) * (cup.position - o.position)).sum().squareRoot()
        #expect(d >= cup.radius + o.radius - 1e-9)
    }

    @Test func passingAboveDoesNotPush() {
        var s = Self.scene()
        s.moveGripper(to: SIMD3(0.1, -0.18, 0.05), opening: 0)
        s.moveGripper(to: SIMD3(-0.1, -0.18, 0.05), opening: 0)
        #expect(s.objects == Self.scene().objects)
    }

    @Test func closingOnAnObjectPicksItUpAndOpeningDropsIt() {
        var s = Self.scene()
        let task = TabletopTask(family: .pick, target: s.objects[1], instruction: "pick up the blue ball")
        s.moveGripper(to: SIMD3(0.08, -0.18, 0.1), opening: 1)
        s.moveGripper(to: SIMD3(0.082, -0.18, 0.015), opening: 1)   // fingers around the ball: no push
        #expect(s.objects[1].position == SIMD3(0.08, -0.18, 0))
        s.moveGripper(to: SIMD3(0.082, -0.18, 0.015), opening: 0)
        #expect(s.gripper.graspedObjectID == 1)
        #expect(!task.isSuccess(s))
        s.moveGripper(to: SIMD3(0.05, -0.2, 0.09), opening: 0)
        #expect(task.isSuccess(s))
        #expect(abs(s.objects[1].position.x - 0.048) < 1e-9 && abs(s.objects[1].position.z - 0.075) < 1e-9)
        s.moveGripper(to: SIMD3(0.05, -0.2, 0.09), opening: 1)
        #expect(s.gripper.graspedObjectID == nil)
        #expect(s.objects[1].position.z == 0)
        #expect(!task.isSuccess(s))
    }

    @Test func closingBesideAnObjectGraspsNothing() {
        var s = Self.scene()
        s.moveGripper(to: SIMD3(0.08, -0.215, 0.1), opening: 1)
        s.moveGripper(to: SIMD3(0.08, -0.215, 0.015), opening: 1)
        s.moveGripper(to: SIMD3(0.08, -0.215, 0.015), opening: 0)
        #expect(s.gripper.graspedObjectID == nil)
    }
}
