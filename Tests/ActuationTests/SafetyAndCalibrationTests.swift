import Foundation
import RobotCore
import Tensors   // SplitMix64: a seeded generator, so property tests are repeatable
import Testing
@testable import Actuation

@Suite struct SafetyPropertyTests {
    static let limits = SafetyLimits(joints: [
        .init(name: "a", lower: -1.9, upper: 1.9, maxStep: 0.2),
        .init(name: "b", lower: -0.5, upper: 1.2, maxStep: 0.05),
        .init(name: "g", lower: 0, upper: 1, maxStep: nil),
    ])

    @Test(arguments: [1, 2, 3, 4, 5] as [UInt64])
    func randomCommandStreamsStayInsideLimits(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        let names = ["a", "b", "g"]
        var current = JointPositions(names: names, values: [0, 0, 0.5])
        for _ in 0..<2000 {
            let values: [Double] = names.map { _ in
                switch Int.random(in: 0..<10, using: &rng) {
                case 0: return .nan
                case 1: return Bool.random(using: &rng) ? .infinity : -.infinity
                default: return Double.random(in: -10...10, using: &rng)
                }
            }
            let request = JointPositions(names: names, values: values)
            let (sent, clamps) = Self.limits.clamp(request, current: current)
            for (i, j) in Self.limits.joints.enumerated() {
                let v = sent.values[i]
                #expect(v.isFinite && v >= j.lower && v <= j.upper)
                if let step = j.maxStep { #expect(abs(v - current.values[i]) <= step + 1e-12) }
                // Every change is reported.
                let changed = !(v == values[i])
                #expect(changed == clamps.contains { $0.joint == j.name })
            }
            current = sent   // the arm follows perfectly
        }
    }

    @Test func unchangedCommandsReportNothing() {
        let q = JointPositions(names: ["a", "b", "g"], values: [0.1, 0.2, 0.3])
        let (sent, clamps) = Self.limits.clamp(q, current: q)
        #expect(sent.values == q.values && clamps.isEmpty)
    }
}

@Suite struct WatchdogTests {
    @Test func firesOnceWhenStarvedAndRearmsOnFeed() {
        let fired = Counter()
        let w = Watchdog(timeout: 0.05) { fired.increment() }
        defer { w.stop() }
        usleep(200_000)
        #expect(fired.value == 1 && w.tripped)
        w.feed()
        #expect(!w.tripped)
        for _ in 0..<10 { usleep(10_000); w.feed() }
        #expect(fired.value == 1)
    }

    /// An owner released on the watchdog's own thread (its handler held the last
    /// reference) stops the watchdog from that thread: stop() must not wait for itself.
    @Test func stopFromItsOwnHandlerReturns() {
        let fired = Counter(), returned = Counter()
        final class Box: @unchecked Sendable { var watchdog: Watchdog? }
        let box = Box()
        box.watchdog = Watchdog(timeout: 0.02) {
            fired.increment()
            box.watchdog?.stop()
            returned.increment()
        }
        let deadline = Date().addingTimeInterval(5)
        while returned.value == 0, Date() < deadline { usleep(5_000) }
        #expect(fired.value == 1)
        #expect(returned.value == 1, "stop() called from the handler did not return")
        box.watchdog?.stop()   // already stopped: returns at once
    }

    final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var n = 0
        func increment() { lock.lock(); n += 1; lock.unlock() }
        var value: Int { lock.lock(); defer { lock.unlock() }; return n }
    }
}

@Suite struct CalibrationTests {
    /// A calibration file as LeRobot's `lerobot-calibrate` writes it for an SO-101 follower.
    static let lerobotJSON = """
    {
        "shoulder_pan": {"id": 1, "drive_mode": 0, "homing_offset": -1470, "range_min": 758, "range_max": 3292},
        "shoulder_lift": {"id": 2, "drive_mode": 0, "homing_offset": 157, "range_min": 815, "range_max": 3245},
        "elbow_flex": {"id": 3, "drive_mode": 0, "homing_offset": -1276, "range_min": 852, "range_max": 3079},
        "wrist_flex": {"id": 4, "drive_mode": 0, "homing_offset": 1020, "range_min": 870, "range_max": 3208},
        "wrist_roll": {"id": 5, "drive_mode": 0, "homing_offset": -1420, "range_min": 0, "range_max": 4095},
        "gripper": {"id": 6, "drive_mode": 0, "homing_offset": 1560, "range_min": 1995, "range_max": 3393}
    }
    """

    @Test func readsLeRobotCalibration() throws {
        let c = try ArmCalibration(lerobotJSON: Data(Self.lerobotJSON.utf8))
        #expect(c.joints["shoulder_pan"] == JointCalibration(id: 1, homingOffset: -1470, rangeMin: 758, rangeMax: 3292))
        let profile = try ArmProfile.load("so101-follower")
        try c.validate(for: profile)
        let arm = ServoArm(profile: profile, port: "/dev/null", calibration: c)
        // The middle of the range is 0 rad; the gripper's ends are 0 and 1.
        #expect(arm.value(ticks: (758 + 3292) / 2, joint: "shoulder_pan") == 0)
        #expect(arm.value(ticks: 1995, joint: "gripper") == 0 && arm.value(ticks: 3393, joint: "gripper") == 1)
        #expect(arm.ticks(value: 0.5, joint: "shoulder_pan") == 2025 + 326)
        // Limits shrink to the calibrated range.
        for (j, limit) in zip(profile.joints, arm.safetyLimits.joints) {
            let cal = c.joints[j.name]!
            let a = arm.value(ticks: cal.rangeMin, joint: j.name), b = arm.value(ticks: cal.rangeMax, joint: j.name)
            #expect(limit.lower == max(j.lower, min(a, b)) && limit.upper == min(j.upper, max(a, b)))
        }
        // Round trip through JSON.
        let again = try ArmCalibration(lerobotJSON: try c.jsonData())
        #expect(again == c)
    }

    @Test func rejectsOverflowingOffsets() throws {
        var c = try ArmCalibration(lerobotJSON: Data(Self.lerobotJSON.utf8))
        c.joints["gripper"]!.homingOffset = 2048
        #expect(throws: CalibrationError.offsetOutOfRange(joint: "gripper", offset: 2048, range: -2047...2047)) {
            try c.validate(for: try ArmProfile.load("so101-follower"))
        }
    }

    @Test func homingOffsetDependsOnlyOnTheShaft() {
        // Whatever the old offset, the new one is the same for the same shaft position.
        for actual in [0, 1, 1000, 2047, 2048, 2049, 4095] {
            var offsets = Set<Int>()
            for old in [-2047, -1000, 0, 1000, 2047] {
                let present = ((actual - old) % 4096 + 4096) % 4096
                offsets.insert(Homing.offset(present: present, currentOffset: old, model: .sts3215))
            }
            #expect(offsets.count == 1)
            #expect((-2047...2047).contains(offsets.first!))
        }
    }
}

@Suite struct ProfileTests {
    @Test(arguments: ArmProfile.builtInNames)
    func builtInProfilesLoadAndValidate(name: String) throws {
        let p = try ArmProfile.load(name)
        #expect(p.name == name)
        #expect(p.joints.map(\.name) == ["shoulder_pan", "shoulder_lift", "elbow_flex", "wrist_flex", "wrist_roll", "gripper"])
        #expect(p.joints.map(\.id) == [1, 2, 3, 4, 5, 6])
    }

    @Test func unknownProfileSaysWhatExists() {
        do {
            _ = try ArmProfile.load("so100-typo")
            Issue.record("loaded a profile that does not exist")
        } catch {
            #expect("\(error)".contains("so101-follower"))
        }
    }
}

@Suite struct KinematicsTests {
    @Test func inverseRecoversReachablePoses() throws {
        let k = try SerialChainKinematics.so101()
        var rng = SplitMix64(seed: 42)
        let limits: [ClosedRange<Double>] = [-1.9...1.9, -1.7...1.7, -1.6...1.6, -1.6...1.6, -2.7...2.7]
        for _ in 0..<20 {
            let q = limits.map { Double.random(in: ($0.lowerBound * 0.6)...($0.upperBound * 0.6), using: &rng) }
            let target = k.forward(q)
            let start = q.map { $0 + Double.random(in: -0.15...0.15, using: &rng) }
            let (_, err) = k.inverse(target, from: start, limits: limits, orientationWeight: 0.05)
            #expect(err < 0.001)
        }
    }

    @Test func zeroPoseIsTheStretchedArm() throws {
        let k = try SerialChainKinematics.so101()
        let p = k.forward([0, 0, 0, 0, 0]).position
        let reach = sqrt(p[0] * p[0] + p[1] * p[1] + p[2] * p[2])
        #expect(reach > 0.4 && reach < 0.48)   // 0.457 m: the URDF zero pose is the arm stretched out
        #expect(p[2] > 0)
    }
}
