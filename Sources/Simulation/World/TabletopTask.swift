import Foundation

/// The kinds of task the simulated world poses.
public enum TaskFamily: String, CaseIterable, Sendable, Codable {
    /// "move to / touch the {colour} {shape}": bring the gripper onto the object.
    case reach
    /// "push the {colour} {shape} to the left/right": slide it sideways as seen by the camera.
    case push
    /// "pick up the {colour} {shape}": grasp it and lift it off the table.
    case pick
}

/// A side as the simulated camera sees it. The default camera faces the arm, so the
/// image's left is the arm's right: −x in the base frame.
public enum PushDirection: String, CaseIterable, Sendable, Codable {
    /// Toward the image's left edge.
    case left
    /// Toward the image's right edge.
    case right

    /// The direction's sign along the base frame's x axis (−1 for left, +1 for right).
    public var sign: Double { self == .left ? -1 : 1 }
}

/// Which of a family's instruction templates a scenario draws from.
///
/// The last template of every family is held out of training data, so an evaluation
/// with ``heldOut`` measures whether a policy follows phrasings it never saw.
public enum PhrasingSet: String, CaseIterable, Sendable, Codable {
    /// Every template.
    case all
    /// Every template but the held-out one (what demonstrations are recorded with).
    case training
    /// Only the held-out template of each family.
    case heldOut = "held-out"
}

/// One task on one layout: what to do, to which object, in words, and how to tell
/// whether it was done.
///
/// Success is judged on the scene alone, so a policy, the scripted expert and a replay
/// are measured the same way:
/// - reach: the gripper's tool point within ``reachRadius`` of the object's centre in
///   the table plane and no higher than ``reachHeight`` above its top;
/// - push: the object moved more than ``pushDistance`` in the named direction;
/// - pick: the object held by the gripper with its bottom at least ``liftHeight`` above
///   the table.
public struct TabletopTask: Sendable, Equatable, Codable {
    /// Horizontal distance from the object's centre that counts as reached, metres.
    public static let reachRadius = 0.03
    /// Height above the object's top that still counts as reached, metres.
    public static let reachHeight = 0.03
    /// Displacement in the named direction that counts as pushed, metres.
    public static let pushDistance = 0.05
    /// Height of the object's bottom above the table that counts as picked up, metres.
    public static let liftHeight = 0.03

    /// The kind of task.
    public var family: TaskFamily
    /// The id of the object the task is about.
    public var targetID: Int
    /// The direction of a push task, `nil` for the others.
    public var direction: PushDirection?
    /// The instruction given to the policy, e.g. "push the red block to the left".
    public var instruction: String
    /// Where the target stood when the task was posed, metres.
    public var initialTargetPosition: SIMD3<Double>

    /// Creates a task on `scene` (the target's present position is the reference for pushes).
    public init(family: TaskFamily, target: TabletopObject, direction: PushDirection? = nil, instruction: String) {
        precondition((family == .push) == (direction != nil), "TabletopTask: a push needs a direction, other tasks none")
        self.family = family
        self.targetID = target.id
        self.direction = direction
        self.instruction = instruction
        self.initialTargetPosition = target.position
    }

    /// Whether the task is done in `scene`.
    public func isSuccess(_ scene: TabletopScene) -> Bool {
        guard let o = scene.object(targetID) else { return false }
        switch family {
        case .reach:
            return scene.horizontalDistance(to: o) <= Self.reachRadius
                && scene.gripper.position.z <= o.top + Self.reachHeight
        case .push:
            let moved = (o.position.x - initialTargetPosition.x) * (direction?.sign ?? 0)
            return moved > Self.pushDistance && scene.gripper.graspedObjectID != targetID
        case .pick:
            return scene.gripper.graspedObjectID == targetID && o.position.z >= Self.liftHeight
        }
    }

    /// Whether the gripper touched another object before it first touched the target
    /// (the mistake of going for a distractor).
    public func reachedDistractor(_ scene: TabletopScene) -> Bool {
        guard let first = scene.contactOrder.first else { return false }
        return first != targetID
    }

    /// The instruction templates of `family`; `{object}` stands for "{colour} {shape}"
    /// and `{direction}` for "left" or "right".
    public static func templates(for family: TaskFamily) -> [String] {
        switch family {
        case .reach:
            return ["move to the {object}", "touch the {object}", "reach for the {object}",
                    "go to the {object}", "put the gripper on the {object}"]
        case .push:
            return ["push the {object} to the {direction}", "slide the {object} to the {direction}",
                    "move the {object} {direction}", "nudge the {object} toward the {direction}"]
        case .pick:
            return ["pick up the {object}", "lift the {object}", "grab the {object} and lift it",
                    "grasp the {object} and raise it"]
        }
    }

    /// The templates of `family` in `set`: ``PhrasingSet/heldOut`` is the last one.
    public static func templates(for family: TaskFamily, in set: PhrasingSet) -> [String] {
        let all = templates(for: family)
        switch set {
        case .all: return all
        case .training: return Array(all.dropLast())
        case .heldOut: return [all.last!]
        }
    }

    /// Fills a template of `family` from `phrasings`, chosen by `rng`, for `object`, with a
    /// shape word also chosen by `rng`.
    public static func instruction(family: TaskFamily, object: TabletopObject, direction: PushDirection?,
                                   phrasings: PhrasingSet = .all, using rng: inout SeededRandom) -> String {
        let template = templates(for: family, in: phrasings).randomElement(using: &rng)!
        let shapeWord = object.shape.names.randomElement(using: &rng)!
        return template
            .replacingOccurrences(of: "{object}", with: "\(object.color.rawValue) \(shapeWord)")
            .replacingOccurrences(of: "{direction}", with: direction?.rawValue ?? "")
    }
}

/// A seeded layout together with a task posed on it: everything an episode starts from.
public struct TabletopScenario: Sendable, Equatable, Codable {
    /// The layout.
    public var scene: TabletopScene
    /// The task.
    public var task: TabletopTask

    /// A scenario from `seed`: a random layout (``TabletopScene/random(using:objectCount:table:gripper:)``)
    /// and a random target, phrasing (from `phrasings`) and (for pushes) direction. The
    /// layout and target depend on `seed` only, not on `phrasings`.
    ///
    /// Pushes are posed only where they can be done: the strip the object and the gripper
    /// sweep is free of other objects and stays within reach; layouts without such a
    /// target are redrawn from the same generator.
    ///
    ///
    /// With `targetIndex`, the task is that one of the layout's possible tasks (its objects
    /// in order; for pushes each feasible object-and-direction pair; the index wraps
    /// around) instead of the seed's own choice, so one layout can be posed with every
    /// object as the target: ``taskCount(seed:family:objectCount:)`` of them.
    public static func generate(seed: UInt64, family: TaskFamily, objectCount: ClosedRange<Int> = 3...5,
                                phrasings: PhrasingSet = .all, targetIndex: Int? = nil,
                                gripper: TabletopScene.Gripper = .init(position: SIMD3(0, -0.2, 0.1), opening: 0.5))
        -> TabletopScenario {
        var rng = SeededRandom(seed: seed)
        while true {
            let scene = TabletopScene.random(using: &rng, objectCount: objectCount, gripper: gripper)
            let choices = taskChoices(family, in: scene)
            guard var (target, direction) = choices.randomElement(using: &rng) else { continue }
            if let k = targetIndex { (target, direction) = choices[((k % choices.count) + choices.count) % choices.count] }
            let text = TabletopTask.instruction(family: family, object: target, direction: direction,
                                                   phrasings: phrasings, using: &rng)
            return TabletopScenario(scene: scene,
                                    task: TabletopTask(family: family, target: target, direction: direction, instruction: text))
        }
    }

    /// How many different tasks of `family` the layout of `seed` can pose (the range of
    /// `targetIndex` in ``generate(seed:family:objectCount:phrasings:targetIndex:gripper:)``).
    public static func taskCount(seed: UInt64, family: TaskFamily, objectCount: ClosedRange<Int> = 3...5) -> Int {
        let scene = generate(seed: seed, family: family, objectCount: objectCount).scene
        return taskChoices(family, in: scene).count
    }

    static func taskChoices(_ family: TaskFamily, in scene: TabletopScene) -> [(TabletopObject, PushDirection?)] {
        var choices: [(TabletopObject, PushDirection?)] = []
        for o in scene.objects {
            if family == .push {
                for d in PushDirection.allCases where canPush(o, d, in: scene) { choices.append((o, d)) }
            } else {
                choices.append((o, nil))
            }
        }
        return choices
    }

    /// Whether pushing `o` toward `d` has a clear strip and stays in reach.
    static func canPush(_ o: TabletopObject, _ d: PushDirection, in scene: TabletopScene) -> Bool {
        let s = d.sign
        let gripperStart = o.position.x - s * (o.radius + TabletopScene.Physics.gripperRadius + 0.025)
        let objectEnd = o.position.x + s * (TabletopTask.pushDistance + 0.02)
        guard abs(gripperStart) <= 0.15, abs(objectEnd) <= 0.15 else { return false }
        let lo = min(gripperStart, objectEnd), hi = max(gripperStart, objectEnd)
        return scene.objects.allSatisfy { other in
            if other.id == o.id { return true }
            let lateral = abs(other.position.y - o.position.y)
            let alongOutside = max(lo - other.position.x, other.position.x - hi, 0)
            return lateral >= o.radius + other.radius + 0.012 || alongOutside >= o.radius + other.radius + 0.012
        }
    }
}
