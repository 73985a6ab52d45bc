import Foundation

/// A table with a few coloured objects and the arm's gripper, in metres in the SO-101
/// follower's base frame (x to the arm's left, y behind it, z up; the arm reaches
/// toward −y; the table top is z = 0).
///
/// The scene is a value: copying it takes a snapshot, which is what the renderer, the
/// expert and the success checks read. Its physics is kinematic and deterministic:
/// ``moveGripper(to:opening:)`` sweeps the gripper along its path, pushes objects it
/// runs into, picks up an object it closes on, carries it and drops it when it opens.
///
/// ```swift
/// var scene = TabletopScene.random(seed: 42)
/// scene.moveGripper(to: SIMD3(0, -0.18, 0.02), opening: 0)
/// print(scene.contactOrder)
/// ```
public struct TabletopScene: Sendable, Equatable, Codable {
    /// The table and the region where objects are placed.
    public struct Table: Sendable, Equatable, Codable {
        /// The table top's extent along x, metres.
        public var x: ClosedRange<Double>
        /// The table top's extent along y, metres.
        public var y: ClosedRange<Double>
        /// Where layouts put object centres along x: inside the arm's reach with the
        /// gripper pointing down, metres.
        public var placementX: ClosedRange<Double>
        /// Where layouts put object centres along y, metres.
        public var placementY: ClosedRange<Double>

        /// Creates a table.
        public init(x: ClosedRange<Double>, y: ClosedRange<Double>,
                    placementX: ClosedRange<Double>, placementY: ClosedRange<Double>) {
            self.x = x
            self.y = y
            self.placementX = placementX
            self.placementY = placementY
        }

        /// The SO-101's table: 90 × 52 cm with the arm's base at the middle of the back
        /// edge; objects go where the gripper reaches the table pointing down (checked
        /// with the kinematics in `Hardware/kinematics/so101.json`).
        public static let so101 = Table(x: -0.45...0.45, y: -0.42...0.10,
                                        placementX: -0.10...0.10, placementY: -0.23...(-0.12))
    }

    /// The gripper: where its tool point is and how far it is open.
    public struct Gripper: Sendable, Equatable, Codable {
        /// The tool point (between the fingertips) in the base frame, metres.
        public var position: SIMD3<Double>
        /// The opening, 0 closed to 1 fully open.
        public var opening: Double
        /// The id of the object held between the fingers, if any.
        public var graspedObjectID: Int?
        /// The unit direction the fingers open along, in the base frame (drawing only).
        public var jawAxis = SIMD3<Double>(1, 0, 0)
        /// The unit direction from the fingertips back toward the wrist (drawing only).
        public var wristAxis = SIMD3<Double>(0, 0, 1)
        /// The held object's position relative to the tool point, metres.
        var graspOffset = SIMD3<Double>(0, 0, 0)

        /// Creates a gripper holding nothing.
        public init(position: SIMD3<Double>, opening: Double) {
            self.position = position
            self.opening = opening
        }
    }

    /// Contact and grasp constants of the kinematic physics.
    public enum Physics {
        /// The radius of the gripper's footprint when it pushes, metres.
        public static let gripperRadius = 0.012
        /// An open gripper whose tool point is this close (horizontally) to an object's
        /// centre has the object between its fingers: it does not push it, and closing
        /// grasps it. Metres.
        public static let captureRadius = 0.015
        /// Closing below this opening grasps a captured object.
        public static let closeThreshold = 0.3
        /// Opening above this releases a held object (and counts as open).
        public static let releaseThreshold = 0.5
        /// Extra horizontal distance that still counts as touching, metres.
        public static let touchMargin = 0.004
        /// Height above an object's top that still counts as touching, metres.
        public static let touchHeightMargin = 0.01
        /// Longest straight piece of a gripper sweep checked at once, metres.
        public static let sweepStep = 0.002
    }

    /// The table.
    public var table: Table
    /// The objects, in layout order.
    public var objects: [TabletopObject]
    /// The gripper.
    public var gripper: Gripper
    /// Points of the arm from its base to the tool point (joint origins), metres, for
    /// drawing; empty when the scene has no arm.
    public var armPoints: [SIMD3<Double>] = []
    /// Ids of the objects the gripper has touched, in the order of the first touch.
    public private(set) var contactOrder: [Int] = []

    /// Creates a scene.
    public init(table: Table = .so101, objects: [TabletopObject], gripper: Gripper) {
        self.table = table
        self.objects = objects
        self.gripper = gripper
        recordContacts()
    }

    /// The object with `id`, if present.
    public func object(_ id: Int) -> TabletopObject? { objects.first { $0.id == id } }

    /// The horizontal distance from the gripper's tool point to the centre of `object`, metres.
    public func horizontalDistance(to object: TabletopObject) -> Double {
        let d = SIMD2(gripper.position.x - object.position.x, gripper.position.y - object.position.y)
        return (d * d).sum().squareRoot()
    }

    /// Whether the gripper touches `object` now: within the object's footprint plus the
    /// gripper's radius (and ``Physics/touchMargin``), no higher than just above its top,
    /// or holding it.
    public func isTouching(_ object: TabletopObject) -> Bool {
        if gripper.graspedObjectID == object.id { return true }
        return horizontalDistance(to: object) <= object.radius + Physics.gripperRadius + Physics.touchMargin
            && gripper.position.z <= object.top + Physics.touchHeightMargin
            && gripper.position.z >= object.position.z - 0.01
    }

    // MARK: Physics

    /// Moves the gripper in a straight line to `position` while its opening becomes
    /// `opening`, pushing objects in its way, grasping, carrying and releasing.
    ///
    /// The path is swept in pieces of at most ``Physics/sweepStep`` so fast motions do
    /// not pass through objects. A gripper below an object's top pushes the object out
    /// of its footprint (objects then push each other), unless the gripper is open and
    /// the object is between its fingers. Closing below ``Physics/closeThreshold`` on
    /// such an object grasps it; opening above ``Physics/releaseThreshold`` drops it
    /// onto the table.
    public mutating func moveGripper(to position: SIMD3<Double>, opening: Double) {
        let start = gripper.position
        let delta = position - start
        let length = (delta * delta).sum().squareRoot()
        let pieces = max(1, Int((length / Physics.sweepStep).rounded(.up)))
        let wasOpen = gripper.opening >= Physics.releaseThreshold
        for k in 1...pieces {
            let previous = gripper.position
            gripper.position = start + delta * (Double(k) / Double(pieces))
            carryGraspedObject()
            push(motion: gripper.position - previous, fingersOpen: wasOpen)
            recordContacts()
        }
        let previousOpening = gripper.opening
        gripper.opening = min(max(opening, 0), 1)
        if gripper.graspedObjectID == nil, previousOpening > Physics.closeThreshold,
           gripper.opening <= Physics.closeThreshold {
            grasp()
        } else if let held = gripper.graspedObjectID, gripper.opening > Physics.releaseThreshold {
            gripper.graspedObjectID = nil
            if let i = objects.firstIndex(where: { $0.id == held }) {
                objects[i].position.z = 0
                separate(from: i)
            }
        }
        recordContacts()
    }

    private mutating func carryGraspedObject() {
        guard let held = gripper.graspedObjectID, let i = objects.firstIndex(where: { $0.id == held }) else { return }
        var p = gripper.position + gripper.graspOffset
        p.z = max(p.z, 0)
        objects[i].position = p
    }

    private mutating func push(motion: SIMD3<Double>, fingersOpen: Bool) {
        for i in objects.indices where objects[i].id != gripper.graspedObjectID {
            let o = objects[i]
            guard gripper.position.z < o.top, gripper.position.z >= o.position.z - 0.01 else { continue }
            let d = horizontalDistance(to: o)
            let contact = o.radius + Physics.gripperRadius
            guard d < contact else { continue }
            if fingersOpen && d < Physics.captureRadius { continue }
            var away = SIMD2(o.position.x - gripper.position.x, o.position.y - gripper.position.y)
            if d < 1e-9 {
                away = SIMD2(motion.x, motion.y)
                if (away * away).sum() < 1e-18 { away = SIMD2(1, 0) }
            }
            away /= (away * away).sum().squareRoot()
            objects[i].position.x = gripper.position.x + away.x * contact
            objects[i].position.y = gripper.position.y + away.y * contact
            keepOnTable(i)
            separate(from: i)
        }
    }

    /// Pushes objects that overlap object `mover` out of its way, a few links of a chain deep.
    private mutating func separate(from mover: Int, depth: Int = 0) {
        guard depth < 4 else { return }
        for j in objects.indices where j != mover && objects[j].id != gripper.graspedObjectID {
            let a = objects[mover], b = objects[j]
            guard a.position.z < b.top, b.position.z < a.top else { continue }
            var away = SIMD2(b.position.x - a.position.x, b.position.y - a.position.y)
            let d = (away * away).sum().squareRoot()
            let contact = a.radius + b.radius
            guard d < contact else { continue }
            away = d < 1e-9 ? SIMD2(1, 0) : away / d
            objects[j].position.x = a.position.x + away.x * contact
            objects[j].position.y = a.position.y + away.y * contact
            keepOnTable(j)
            separate(from: j, depth: depth + 1)
        }
    }

    private mutating func keepOnTable(_ i: Int) {
        let r = objects[i].radius
        objects[i].position.x = min(max(objects[i].position.x, table.x.lowerBound + r), table.x.upperBound - r)
        objects[i].position.y = min(max(objects[i].position.y, table.y.lowerBound + r), table.y.upperBound - r)
    }

    private mutating func grasp() {
        let candidates = objects.filter {
            horizontalDistance(to: $0) <= Physics.captureRadius
                && gripper.position.z <= $0.top && gripper.position.z >= $0.position.z - 0.005
        }
        guard let o = candidates.min(by: { horizontalDistance(to: $0) < horizontalDistance(to: $1) }) else { return }
        gripper.graspedObjectID = o.id
        gripper.graspOffset = o.position - gripper.position
    }

    private mutating func recordContacts() {
        for o in objects where !contactOrder.contains(o.id) && isTouching(o) {
            contactOrder.append(o.id)
        }
    }

    /// Forgets the contacts so far (a new episode on the same layout).
    public mutating func resetContacts() {
        contactOrder = []
        recordContacts()
    }
}

extension TabletopScene {
    /// A random layout from `seed`: 3 to 5 objects of distinct colour-and-shape pairs,
    /// never overlapping, inside the table's placement region, with the gripper above
    /// the table at `gripper`.
    ///
    /// At least two objects share a colour or a shape, so naming a target always needs
    /// both words and every layout has a confusable distractor.
    /// - Parameters:
    ///   - seed: Fixes the layout completely.
    ///   - objectCount: How many objects, chosen from this range (2 to 6).
    ///   - gripper: Where the gripper starts, metres.
    public static func random(seed: UInt64, objectCount: ClosedRange<Int> = 3...5, table: Table = .so101,
                              gripper: Gripper = Gripper(position: SIMD3(0, -0.2, 0.1), opening: 0.5)) -> TabletopScene {
        var rng = SeededRandom(seed: seed)
        return random(using: &rng, objectCount: objectCount, table: table, gripper: gripper)
    }

    /// A random layout drawn from `rng`; see ``random(seed:objectCount:table:gripper:)``.
    public static func random(using rng: inout SeededRandom, objectCount: ClosedRange<Int> = 3...5,
                              table: Table = .so101,
                              gripper: Gripper = Gripper(position: SIMD3(0, -0.2, 0.1), opening: 0.5)) -> TabletopScene {
        precondition(objectCount.lowerBound >= 2 && objectCount.upperBound <= 6,
                     "TabletopScene: layouts have 2 to 6 objects, not \(objectCount)")
        let count = Int.random(in: objectCount, using: &rng)
        // Kinds: the first is free; the second shares its colour or its shape; the rest differ.
        var kinds: [(ObjectColor, ObjectShape)] = []
        let first = (ObjectColor.allCases.randomElement(using: &rng)!, ObjectShape.allCases.randomElement(using: &rng)!)
        kinds.append(first)
        while kinds.count < count {
            var c = ObjectColor.allCases.randomElement(using: &rng)!
            var s = ObjectShape.allCases.randomElement(using: &rng)!
            if kinds.count == 1 {
                if Bool.random(using: &rng) { c = first.0 } else { s = first.1 }
            }
            if !kinds.contains(where: { $0 == (c, s) }) { kinds.append((c, s)) }
        }
        kinds.shuffle(using: &rng)
        // Positions by rejection sampling with a clearance between footprints.
        let clearance = 0.03
        while true {
            var objects: [TabletopObject] = []
            var attempts = 0
            while objects.count < count && attempts < 500 {
                attempts += 1
                let (c, s) = kinds[objects.count]
                let p = SIMD3(rng.uniform(table.placementX), rng.uniform(table.placementY), 0)
                let free = objects.allSatisfy { o in
                    let d = SIMD2(o.position.x - p.x, o.position.y - p.y)
                    return (d * d).sum().squareRoot() >= o.radius + s.radius + clearance
                }
                if free { objects.append(TabletopObject(id: objects.count, color: c, shape: s, position: p)) }
            }
            if objects.count == count {
                return TabletopScene(table: table, objects: objects, gripper: gripper)
            }
        }
    }
}
