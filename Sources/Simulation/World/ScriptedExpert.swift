import Foundation
import RobotCore

/// A hand-written controller that solves every ``TabletopTask`` through the same
/// action interface a policy uses: one ``RobotAction/Space/endEffectorDelta`` per
/// control tick (metres and radians, at most ``maxStep`` of translation) with an
/// absolute gripper opening (0 closed … 1 open).
///
/// It reads the scene (closed loop: it follows the gripper's real position and the
/// object's, so imprecise joints or pushed objects do not throw it off) and moves
/// through waypoints: over the object at a hover height, down, then the family's
/// finish — touch; close the fingers and lift; or sweep the object sideways. Seeded
/// noise varies the speed, heights, offsets and each step a little, so recorded
/// demonstrations differ from one another while staying successful.
///
/// ```swift
/// var expert = ScriptedExpert(seed: 3)
/// expert.reset(for: task)
/// let action = expert.action(for: world.scene, task: task, timestamp: clock.now())
/// ```
public struct ScriptedExpert: Sendable {
    /// The largest translation of one action, metres.
    public var maxStep: Double = 0.02
    /// The standard deviation of the noise added to each step's translation, metres.
    public var noise: Double = 0.0008

    private var rng: SeededRandom
    private var speed = 0.016
    private var hover = 0.085
    private var offset = SIMD2<Double>(0, 0)
    private var touchClearance = 0.008
    private var phase = Phase.approach
    private var ticksInPhase = 0

    private enum Phase: Equatable { case approach, descend, close, lift, push, retreat, done }

    /// Creates an expert whose variations are fixed by `seed`.
    public init(seed: UInt64) { rng = SeededRandom.derived(seed: seed, stream: 0xE4) }

    /// Starts a new episode of `task`, drawing this episode's variations.
    public mutating func reset(for task: TabletopTask) {
        speed = rng.uniform(0.013...0.019)
        hover = rng.uniform(0.075...0.092)
        offset = SIMD2(rng.uniform(-0.003...0.003), rng.uniform(-0.003...0.003))
        touchClearance = rng.uniform(0.004...0.012)
        phase = .approach
        ticksInPhase = 0
    }

    /// The next action for `task` in `scene`.
    public mutating func action(for scene: TabletopScene, task: TabletopTask,
                                timestamp: Timestamp = .now()) -> RobotAction {
        guard let target = scene.object(task.targetID) else { return hold(scene, gripper: scene.gripper.opening, timestamp) }
        ticksInPhase += 1
        let g = scene.gripper.position
        let o = SIMD2(target.position.x, target.position.y) + offset
        switch task.family {
        case .reach:
            let above = SIMD3(o.x, o.y, hover)
            if phase == .approach && horizontal(g, o) < 0.004 { enter(.descend) }
            if phase == .descend && task.isSuccess(scene) && abs(g.z - (target.top + touchClearance)) < 0.003 {
                enter(.done)
            }
            switch phase {
            case .approach: return move(from: g, to: travel(g, above), gripper: 0, timestamp)
            case .descend: return move(from: g, to: SIMD3(o.x, o.y, target.top + touchClearance), gripper: 0, timestamp)
            default: return hold(scene, gripper: 0, timestamp)
            }

        case .pick:
            let centre = SIMD2(target.position.x, target.position.y) + offset * 0.3
            let grasp = SIMD3(centre.x, centre.y, max(0.012, target.position.z + target.shape.height * 0.45))
            switch phase {
            case .approach:
                if horizontal(g, centre) < 0.003 && scene.gripper.opening >= 0.95 { enter(.descend) }
                return move(from: g, to: travel(g, SIMD3(centre.x, centre.y, hover)), gripper: 1, timestamp)
            case .descend:
                if horizontal(g, centre) > 0.012 { enter(.approach) }
                if abs(g.z - grasp.z) < 0.003 && horizontal(g, centre) < 0.004 { enter(.close) }
                return move(from: g, to: grasp, gripper: 1, timestamp)
            case .close:
                if scene.gripper.graspedObjectID == task.targetID { enter(.lift) }
                else if ticksInPhase > 8 { enter(.approach); return hold(scene, gripper: 1, timestamp) }
                return hold(scene, gripper: 0, timestamp)
            case .lift:
                if scene.gripper.graspedObjectID != task.targetID { enter(.approach); return hold(scene, gripper: 1, timestamp) }
                if task.isSuccess(scene) && g.z >= hover - 0.004 { enter(.done) }
                return move(from: g, to: SIMD3(g.x, g.y, hover), gripper: 0, timestamp)
            default:
                return hold(scene, gripper: 0, timestamp)
            }

        case .push:
            let s = task.direction?.sign ?? 1
            let moved = (target.position.x - task.initialTargetPosition.x) * s
            let back = target.radius + TabletopScene.Physics.gripperRadius + 0.018
            let start = SIMD2(target.position.x - s * back, target.position.y)
            let low = 0.014
            if phase != .retreat && phase != .done && moved > TabletopTask.pushDistance + 0.012 { enter(.retreat) }
            if phase == .retreat || phase == .done {
                if g.z >= hover - 0.004 { enter(.done) }
                if phase == .done { return hold(scene, gripper: 0, timestamp) }
                return move(from: g, to: SIMD3(g.x - s * 0.01, g.y, hover), gripper: 0, timestamp)
            }
            // The move follows from where the gripper is, not from a hidden phase, and every
            // region is wide, so a policy that sees the scene a few millimetres off still gets
            // a consistent move: low, behind the object and within 15 mm of its line — sweep
            // through it, steering onto its line; anywhere else — head for the point behind
            // it, coming down as that point nears (fully down within 12 mm of it, at hover
            // height from 32 mm out, so never low over the object).
            let ahead = (target.position.x - g.x) * s
            if ahead > 0 && ahead < back + 0.02 && abs(target.position.y - g.y) < 0.015 && g.z < low + 0.01 {
                enter(.push)
                return move(from: g, to: SIMD3(g.x + s * speed, target.position.y, low), gripper: 0, timestamp)
            }
            enter(.approach)
            let near = min(1, max(0, (horizontal(g, start) - 0.012) / 0.02))
            return move(from: g, to: travel(g, SIMD3(start.x, start.y, low + (hover - low) * near)), gripper: 0, timestamp)
        }
    }

    // MARK: Motion

    private mutating func enter(_ p: Phase) {
        if p != phase { phase = p; ticksInPhase = 0 }
    }

    /// While far from `waypoint` horizontally and low, go up first so nothing is swept on the way.
    private func travel(_ g: SIMD3<Double>, _ waypoint: SIMD3<Double>) -> SIMD3<Double> {
        if horizontal(g, SIMD2(waypoint.x, waypoint.y)) > 0.01 && g.z < waypoint.z - 0.015 {
            return SIMD3(g.x, g.y, waypoint.z)
        }
        return waypoint
    }

    private func horizontal(_ g: SIMD3<Double>, _ p: SIMD2<Double>) -> Double {
        let d = SIMD2(g.x, g.y) - p
        return (d * d).sum().squareRoot()
    }

    private mutating func move(from g: SIMD3<Double>, to waypoint: SIMD3<Double>, gripper: Double,
                               _ timestamp: Timestamp) -> RobotAction {
        var d = waypoint - g
        let distance = (d * d).sum().squareRoot()
        if distance > speed { d *= speed / distance }
        if distance > 0.002 {
            d += SIMD3(rng.gaussian(sigma: noise), rng.gaussian(sigma: noise), rng.gaussian(sigma: noise * 0.5))
        }
        let n = (d * d).sum().squareRoot()
        if n > maxStep { d *= maxStep / n }
        return .endEffectorDelta(dx: d.x, dy: d.y, dz: d.z, droll: 0, dpitch: 0, dyaw: 0, gripper: gripper,
                                 timestamp: timestamp)
    }

    private func hold(_ scene: TabletopScene, gripper: Double, _ timestamp: Timestamp) -> RobotAction {
        .endEffectorDelta(dx: 0, dy: 0, dz: 0, droll: 0, dpitch: 0, dyaw: 0, gripper: gripper, timestamp: timestamp)
    }

    /// Whether the expert considers its task finished and only holds still.
    public var isDone: Bool { phase == .done }
}
