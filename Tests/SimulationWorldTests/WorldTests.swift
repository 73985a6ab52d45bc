import Actuation
import Foundation
import Perception
import RobotCore
import Testing
@testable import Simulation

/// The world applies actions through kinematics and keeps the scene in step.
@Suite struct WorldTests {
    @Test func resetPutsTheGripperHomeAboveTheTable() throws {
        let world = try SimulatedWorld.kinematic()
        let task = try world.reset(seed: 7, family: .reach)
        let g = world.scene.gripper.position
        #expect(abs(g.x) < 0.005 && abs(g.y + 0.22) < 0.005 && abs(g.z - 0.10) < 0.005)
        #expect(world.scene.armPoints.count == 7)
        #expect(world.stepCount == 0 && !world.isTerminal)
        #expect(task == world.task)
        #expect(world.scene.objects == TabletopScenario.generate(seed: 7, family: .reach).scene.objects)
    }

    /// A random start: the gripper goes where asked, the episode still starts at step 0 with
    /// no contacts, and the expert solves the task from there.
    @Test(arguments: [SIMD3<Double>(-0.09, -0.13, 0.08), SIMD3(0.08, -0.23, 0.10), SIMD3(0.02, -0.16, 0.07)])
    func startGripperElsewhere(start: SIMD3<Double>) throws {
        let world = try SimulatedWorld.kinematic()
        let task = try world.reset(seed: 11, family: .pick)
        let reached = try world.startGripper(at: start)
        let d = reached - start
        #expect((d * d).sum().squareRoot() < 0.005, "ended at \(reached)")
        #expect(world.scene.gripper.position == reached)
        #expect(world.stepCount == 0 && world.scene.contactOrder.isEmpty)
        var expert = ScriptedExpert(seed: 11)
        expert.reset(for: task)
        while !world.isTerminal { try world.step(expert.action(for: world.scene, task: task)) }
        #expect(world.isSuccess)
        #expect(!task.reachedDistractor(world.scene))
    }

    @Test(arguments: [SIMD3<Double>(0.01, 0, 0), SIMD3(0, 0.015, 0), SIMD3(0, 0, -0.02), SIMD3(-0.01, 0.01, 0.005)])
    func deltasMoveTheGripperAsCommanded(delta: SIMD3<Double>) throws {
        let world = try SimulatedWorld.kinematic()
        try world.reset(seed: 1, family: .reach)
        let clock = world.clock
        for _ in 0..<3 {
            let before = world.scene.gripper.position
            let t0 = clock.now()
            let step = try world.step(.endEffectorDelta(dx: delta.x, dy: delta.y, dz: delta.z, droll: 0, dpitch: 0,
                                                        dyaw: 0, gripper: 0.4, timestamp: t0))
            let moved = step.scene.gripper.position - before
            let error = ((moved - delta) * (moved - delta)).sum().squareRoot()
            #expect(error < 0.001, "moved \(moved) for \(delta)")
            #expect(step.sent.clamps.isEmpty)
            #expect(abs(step.timestamp.seconds - t0.seconds - world.controlPeriod) < 1e-9)
        }
        #expect(abs(world.scene.gripper.opening - 0.4) < 1e-9)
        #expect(world.stepCount == 3)
    }

    /// Every corner of the region where tasks put the gripper (objects' placement region
    /// widened by the push margin), low and at hover height, is reached by deltas alone.
    @Test func theWorkspaceIsReachableByDeltas() throws {
        let world = try SimulatedWorld.kinematic()
        for x in [-0.15, 0.15] {
            for y in [-0.23, -0.12] {
                for z in [0.014, 0.09] {
                    try world.reset(seed: 1, family: .reach)
                    let goal = SIMD3(x, y, z)
                    for _ in 0..<40 {
                        var d = goal - world.scene.gripper.position
                        let n = (d * d).sum().squareRoot()
                        if n < 0.0005 { break }
                        if n > 0.02 { d *= 0.02 / n }
                        _ = try world.step(.endEffectorDelta(dx: d.x, dy: d.y, dz: d.z, droll: 0, dpitch: 0, dyaw: 0, gripper: 0.5))
                    }
                    let e = world.scene.gripper.position - goal
                    #expect((e * e).sum().squareRoot() < 0.002, "\(goal) not reached: \(world.scene.gripper.position)")
                }
            }
        }
    }

    @Test func aLoopDrivingTheArmItselfSeesTheSceneFollow() throws {
        let world = try SimulatedWorld.kinematic()
        try world.reset(seed: 5, family: .reach)
        let before = world.scene.gripper.position
        let f0 = try world.camera.latestFrame()
        _ = try world.arm.send(.endEffectorDelta(dx: 0.02, dy: 0, dz: 0, droll: 0, dpitch: 0, dyaw: 0, gripper: 0.5))
        let f1 = try world.camera.latestFrame(newerThan: f0.sequence)
        #expect(abs(world.scene.gripper.position.x - before.x - 0.02) < 0.001)
        #expect(f1.image != f0.image)
        #expect(f1.image == world.camera.renderer.render(world.scene))
        #expect(world.stepCount == 0)
    }

    @Test func aYawTurnsTheJawsInPlace() throws {
        let world = try SimulatedWorld.kinematic()
        try world.reset(seed: 6, family: .pick)
        let before = world.scene.gripper
        let image = world.camera.renderer.render(world.scene)
        _ = try world.step(.endEffectorDelta(dx: 0, dy: 0, dz: 0, droll: 0, dpitch: 0, dyaw: 0.15, gripper: 0.5))   // within the 0.2 rad joint step
        let after = world.scene.gripper
        let turned = acos(min(1, (before.jawAxis * after.jawAxis).sum()))
        #expect(abs(turned - 0.15) < 0.02)
        let moved = after.position - before.position
        #expect((moved * moved).sum().squareRoot() < 0.003)
        #expect(world.camera.renderer.render(world.scene) != image)
    }

    @Test func theTableStopsTheGripperAndSaysSo() throws {
        let world = try SimulatedWorld.kinematic()
        try world.reset(seed: 2, family: .reach)
        var last: SimulationStep?
        for _ in 0..<8 {
            last = try world.step(.endEffectorDelta(dx: 0, dy: 0, dz: -0.02, droll: 0, dpitch: 0, dyaw: 0, gripper: 0))
        }
        let step = try #require(last)
        #expect(step.sent.clamps.contains { $0.joint == "z" && $0.reasons == [.workspace] })
        #expect(abs(world.scene.gripper.position.z - 0.01) < 0.002)
    }

    @Test func episodesEndAtTheStepLimit() throws {
        let world = try SimulatedWorld.kinematic()
        world.maxSteps = 5
        try world.reset(seed: 3, family: .pick)
        let hold = RobotAction.endEffectorDelta(dx: 0, dy: 0, dz: 0, droll: 0, dpitch: 0, dyaw: 0, gripper: 0.5)
        for i in 1...5 {
            let s = try world.step(hold)
            #expect(s.isTerminal == (i == 5))
            #expect(!s.isSuccess)
        }
        #expect(world.isTerminal)
    }

    @Test func theCameraSeesTheWorld() throws {
        let world = try SimulatedWorld.kinematic(cameraSize: PixelSize(width: 320, height: 240))
        try world.reset(seed: 4, family: .pick)
        let f0 = try world.camera.latestFrame()
        _ = try world.step(.endEffectorDelta(dx: 0.02, dy: 0, dz: -0.02, droll: 0, dpitch: 0, dyaw: 0, gripper: 1))
        let f1 = try world.camera.latestFrame(newerThan: f0.sequence)
        #expect(f1.sequence == f0.sequence + 1)
        #expect(f1.timestamp > f0.timestamp)
        #expect(f1.image != f0.image)
        #expect(f1.image == world.camera.renderer.render(world.scene))
        if let dir = ProcessInfo.processInfo.environment["SIMULATION_WORLD_PNG"] {
            try f1.image.write(toFile: dir + "/sim-world-320x240.png")
            try TabletopRenderer().render(world.scene).write(toFile: dir + "/sim-world-224.png")
        }
    }

    /// The same loop over a real ServoArm and a VirtualServoBus on a pty, in real time.
    @Test(.timeLimit(.minutes(1)))
    func stepsCrossThePseudoTerminal() throws {
        let (world, bus) = try SimulatedWorld.servoBus(maxSpeed: 20_000)
        defer { try? world.arm.disconnect(); withExtendedLifetime(bus) {} }
        world.controlPeriod = 0.05
        let task = try world.reset(seed: 11, family: .reach)
        let home = world.scene.gripper.position
        #expect(abs(home.z - 0.10) < 0.01)
        let before = bus.receivedPackets.count
        var expert = ScriptedExpert(seed: 11)
        expert.reset(for: task)
        world.maxSteps = 80
        while !world.isTerminal {
            _ = try world.step(expert.action(for: world.scene, task: task, timestamp: world.clock.now()))
        }
        #expect(world.isSuccess)
        #expect(bus.receivedPackets.count >= before + 2 * world.stepCount)   // a read and a write per step
        let moved = world.scene.gripper.position - home
        #expect((moved * moved).sum().squareRoot() > 0.02)
        // A loop that drives the arm itself: the camera's next frame shows where the motors went.
        let z0 = world.scene.gripper.position.z
        _ = try world.arm.send(.endEffectorDelta(dx: 0, dy: 0, dz: 0.02, droll: 0, dpitch: 0, dyaw: 0, gripper: 0))
        // The motors take ~0.1 s; poll (up to 5 s on a loaded machine) instead of guessing.
        let deadline = Date().addingTimeInterval(5)
        repeat {
            usleep(100_000)
            _ = try world.camera.latestFrame()
        } while abs(world.scene.gripper.position.z - z0 - 0.02) >= 0.003 && Date() < deadline
        #expect(abs(world.scene.gripper.position.z - z0 - 0.02) < 0.003)
    }
}
