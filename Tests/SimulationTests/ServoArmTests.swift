import Foundation
import RobotCore
import Testing
@testable import Actuation
@testable import Simulation

/// Driver ↔ simulator round trips for every arm profile, safety and calibration.
@Suite struct ServoArmTests {
    static func make(_ name: String, watchdog: Double? = nil, safe: SafetyLimits.SafeState? = nil,
                     speed: Double = 40_000) throws -> (VirtualServoBus, ServoArm) {
        var profile = try ArmProfile.load(name)
        profile.watchdogTimeout = watchdog
        if let safe { profile.safeState = safe }
        let sim = try VirtualServoBus(profile: profile, maxSpeed: speed)
        sim.start()
        let arm = ServoArm(profile: profile, port: sim.path, policy: TransactionPolicy(timeout: 0.1, retries: 2))
        arm.installsSignalHandlers = false
        arm.log = { _ in }
        return (sim, arm)
    }

    /// Polls `condition` for up to a second: the simulator applies broadcasts (which
    /// have no reply) asynchronously.
    static func eventually(_ condition: () -> Bool) -> Bool {
        for _ in 0..<200 {
            if condition() { return true }
            usleep(5000)
        }
        return false
    }

    @Test(arguments: ArmProfile.builtInNames)
    func profileRoundTrip(name: String) throws {
        let (sim, arm) = try Self.make(name)
        try arm.connect()
        #expect(arm.observationFeatures.first == "shoulder_pan.pos")
        let q0 = try arm.observe()
        #expect(q0.names == arm.jointNames)
        #expect(abs(q0["shoulder_pan"]!) < 0.01)
        let profile = arm.profile
        if profile.role == .follower {
            var target = q0
            target["elbow_flex"] = 0.15
            target["gripper"] = 0.6
            let sent = try arm.send(.joints(target))
            #expect(sent.clamps.isEmpty)
            var q = q0
            for _ in 0..<100 {
                q = try arm.observe()
                if abs(q["elbow_flex"]! - 0.15) < 0.01 && abs(q["gripper"]! - 0.6) < 0.01 { break }
                usleep(5000)
            }
            #expect(abs(q["elbow_flex"]! - 0.15) < 0.01)
            #expect(abs(q["gripper"]! - 0.6) < 0.01)
            // Operating modes from the profile were written (Koch: 4 for joints, 5 for gripper).
            if let mode = profile.joints.last?.operatingMode {
                #expect(sim.withServo(6) { $0.value(.operatingMode) } == mode)
            }
        } else {
            #expect(throws: ArmError.leaderCannotMove(arm.name)) { _ = try arm.send(.joints(q0)) }
        }
        try arm.disconnect()
        for id in profile.joints.map(\.id) { #expect(Self.eventually { sim.withServo(id) { !$0.torqueEnabled } == true }) }
    }

    @Test func clampsAreReportedNeverSilent() throws {
        let (sim, arm) = try Self.make("so101-follower")
        try arm.connect()
        defer { try? arm.disconnect(); withExtendedLifetime(sim) {} }
        let q = try arm.observe()
        var wild = q
        wild["shoulder_pan"] = 3.0        // beyond the 1.92 rad limit and the 0.2 rad step
        wild["wrist_flex"] = .nan
        let sent = try arm.send(.joints(wild))
        let pan = sent.clamps.first { $0.joint == "shoulder_pan" }
        #expect(pan?.reasons == [.upperLimit, .maxStep])
        #expect(abs(sent.sent["shoulder_pan"]! - (q["shoulder_pan"]! + 0.2)) < 1e-9)
        #expect(sent.clamps.first { $0.joint == "wrist_flex" }?.reasons.contains(.notFinite) == true)
    }

    @Test func watchdogTurnsTorqueOffAndNeedsRearm() throws {
        let (sim, arm) = try Self.make("so101-follower", watchdog: 0.1)
        try arm.connect()
        defer { try? arm.disconnect() }
        _ = try arm.send(.joints(try arm.observe()))
        #expect(sim.withServo(1) { $0.torqueEnabled } == true)
        usleep(400_000)
        #expect(arm.watchdogTrips >= 1)
        #expect(Self.eventually { sim.withServo(1) { !$0.torqueEnabled } == true })
        #expect(throws: ArmError.watchdogTripped(arm.name)) { _ = try arm.send(.joints(try arm.observe())) }
        try arm.rearm()
        _ = try arm.send(.joints(try arm.observe()))
        #expect(sim.withServo(1) { $0.torqueEnabled } == true)
    }

    @Test func watchdogHoldKeepsTorque() throws {
        let (sim, arm) = try Self.make("koch-follower", watchdog: 0.1, safe: .hold)
        try arm.connect()
        defer { try? arm.disconnect() }
        var q = try arm.observe()
        q["elbow_flex"] = q["elbow_flex"]! + 0.2
        _ = try arm.send(.joints(q))
        usleep(400_000)
        #expect(arm.watchdogTrips >= 1)
        #expect(sim.withServo(3) { $0.torqueEnabled } == true)
        let goal = sim.withServo(3) { $0.value(.goalPosition) }!
        let present = sim.withServo(3) { $0.presentPosition }!
        #expect(abs(goal - present) <= 2)
    }

    @Test(arguments: [VirtualServoBus.Fault.noReply, .badChecksum, .errorBits(0x04), .shortReply])
    func busFaultDuringSendGoesToSafeState(fault: VirtualServoBus.Fault) throws {
        let (sim, arm) = try Self.make("so101-follower")
        try arm.connect()
        defer { try? arm.disconnect() }
        let q = try arm.observe()
        sim.inject(fault, servo: 3)
        do {
            _ = try arm.send(.joints(q))
            Issue.record("a \(fault) fault went unnoticed")
        } catch let e as ServoBusError {
            #expect(e.servo == 3, "\(e)")
        }
        // Broadcast torque-off needs no reply, so even servo 3 is safe.
        for id: UInt8 in 1...6 { #expect(Self.eventually { sim.withServo(id) { !$0.torqueEnabled } == true }) }
    }

    @Test func unplugMidRunIsAClearError() throws {
        let (sim, arm) = try Self.make("so101-follower")
        try arm.connect()
        sim.disconnect()
        do {
            _ = try arm.observe()
            Issue.record("read from a vanished port")
        } catch let e as ServoBusError {
            #expect(e == .port(.disconnected(path: sim.path)))
            #expect(e.description.contains("disconnected"))
        }
        try? arm.disconnect()
    }

    @Test func endEffectorDeltaMovesTheToolPoint() throws {
        let (sim, arm) = try Self.make("so101-follower")
        try arm.connect()
        defer { try? arm.disconnect(); withExtendedLifetime(sim) {} }
        let k = try #require(arm.kinematics)
        var q = try arm.observe()
        // Start from a bent pose away from singularities.
        for (n, v) in [("shoulder_lift", -0.15), ("elbow_flex", 0.15), ("wrist_flex", 0.15)] {
            q[n] = v
            _ = try arm.send(.joints(q))
            usleep(50_000)
        }
        q = try arm.observe()
        let chain = k.joints.map(\.name)
        let p0 = k.forward(chain.map { q[$0]! }).position
        let sent = try arm.send(.endEffectorDelta(dx: 0, dy: 0, dz: 0.01, droll: 0, dpitch: 0, dyaw: 0, gripper: 0.3))
        let p1 = k.forward(chain.map { sent.sent[$0]! }).position
        #expect(abs(p1[2] - p0[2] - 0.01) < 0.002)
        #expect(abs(sent.sent["gripper"]! - 0.3) < 1e-9)
    }
}

/// Calibration against the simulator: homing offsets never overflow.
@Suite struct CalibrationOverPtyTests {
    @Test(arguments: [ServoModel.sts3215, .xl330m288])
    func repeatedRecalibrationStaysEncodable(model: ServoModel) throws {
        let sim = try VirtualServoBus(family: model.protocolFamily, servos: [VirtualServo(id: 1, model: model)])
        sim.start()
        let bus = MotorBus.open
        let motors = [MotorBus.Motor(name: "j", id: 1, model: model)]
        let b = try bus(sim.path, model.protocolFamily, 1_000_000, motors, TransactionPolicy(timeout: 0.1, retries: 2))
        var rng = SystemRandomNumberGenerator()
        let range = model.spec(.homingOffset)!.range
        for i in 0..<60 {
            // Someone turns the shaft anywhere, including the encoder's ends.
            let actual = i < 4 ? [0, 4095, 2048, 1][i] : Int.random(in: 0..<4096, using: &rng)
            sim.withServo(1) { $0.actualPosition = Double(actual) }
            let present = try b.read(.presentPosition, "j")
            let current = try b.read(.homingOffset, "j")
            let offset = Homing.offset(present: present, currentOffset: current, model: model)
            #expect(range.contains(offset))
            try b.write(.homingOffset, offset, "j")
            let after = try b.read(.presentPosition, "j")
            #expect(abs(after - 2048) <= 1, "actual \(actual): reads \(after) after offset \(offset)")
        }
    }
}

/// The signal/exit path: `SafetyShutdown.stopAll()` is what SIGINT, SIGTERM and exit run.
@Suite struct ShutdownTests {
    @Test func stopAllPutsConnectedArmsInTheirSafeState() throws {
        let (sim, arm) = try ServoArmTests.make("koch-follower")
        try arm.connect()
        defer { try? arm.disconnect() }
        #expect(sim.withServo(2) { $0.torqueEnabled } == true)
        SafetyShutdown.stopAll()
        for id: UInt8 in 1...6 {
            #expect(ServoArmTests.eventually { sim.withServo(id) { !$0.torqueEnabled } == true })
        }
    }

    @Test func readingDoesNotEnableTorque() throws {
        let (sim, arm) = try ServoArmTests.make("so101-follower")
        arm.enablesTorqueOnConnect = false
        try arm.connect()
        defer { try? arm.disconnect() }
        _ = try arm.observe()
        #expect(sim.withServo(1) { $0.torqueEnabled } == false)
    }
}

/// The calibration procedure through the pty, for both protocols, then the arm uses it.
@Suite struct CalibrationProcedureTests {
    @Test(arguments: ["so101-follower", "koch-follower"])
    func calibrateThenDrive(name: String) throws {
        let profile = try ArmProfile.load(name)
        let sim = try VirtualServoBus(profile: profile, maxSpeed: 40_000)
        sim.start()
        // The arm sits somewhere arbitrary, not at the encoder's middle.
        for (i, j) in profile.joints.enumerated() { sim.withServo(j.id) { $0.actualPosition = Double(1200 + 300 * i) } }
        let bus = try MotorBus.open(path: sim.path, family: profile.protocolFamily, baudRate: profile.baudRate,
                                    motors: profile.motors, policy: TransactionPolicy(timeout: 0.1, retries: 2))
        let calibrator = try ArmCalibrator(bus: bus, profile: profile)
        try calibrator.setHomingAtCurrentPose()
        let middle = try calibrator.sampleRange()
        #expect(middle.allSatisfy { abs($0 - 2048) <= 1 })
        // Sweep every joint ±600 ticks around the middle.
        for delta in [-600.0, 600.0] {
            for (i, j) in profile.joints.enumerated() {
                sim.withServo(j.id) { $0.actualPosition = Double(1200 + 300 * i) + delta }
            }
            try calibrator.sampleRange()
        }
        let cal = try calibrator.result()
        for j in profile.joints {
            #expect(abs(cal.joints[j.name]!.rangeMin - 1448) <= 1 && abs(cal.joints[j.name]!.rangeMax - 2648) <= 1)
        }
        try bus.close()
        // Saved and loaded as LeRobot JSON, the calibration drives the arm.
        let path = NSTemporaryDirectory() + "swiftvla-cal-\(name)-\(UInt32.random(in: 0...UInt32.max)).json"
        try cal.save(to: path)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let arm = ServoArm(profile: profile, port: sim.path, calibration: try ArmCalibration(contentsOf: path),
                           policy: TransactionPolicy(timeout: 0.1, retries: 2))
        arm.installsSignalHandlers = false
        arm.log = { _ in }
        try arm.connect()
        defer { try? arm.disconnect() }
        // Back at the middle pose (+600 now): ~+0.92 rad on revolute joints.
        let q = try arm.observe()
        #expect(abs(q["shoulder_pan"]! - 600 * 2 * .pi / 4096) < 0.01)
        #expect(abs(q["gripper"]! - 1) < 0.01)
    }
}

/// Runs against a real arm only when `SWIFTVLA_ARM_PORT` (and optionally
/// `SWIFTVLA_ARM_PROFILE`, default so101-follower) name one; reads only, torque untouched.
@Suite struct HardwareTests {
    static let port = ProcessInfo.processInfo.environment["SWIFTVLA_ARM_PORT"]

    @Test(.enabled(if: port != nil, "set SWIFTVLA_ARM_PORT to a real arm's serial port"))
    func readRealArm() throws {
        let profile = try ArmProfile.load(ProcessInfo.processInfo.environment["SWIFTVLA_ARM_PROFILE"] ?? "so101-follower")
        let arm = ServoArm(profile: profile, port: Self.port!)
        arm.enablesTorqueOnConnect = false
        try arm.connect()
        defer { try? arm.disconnect() }
        let q = try arm.observe()
        #expect(q.values.allSatisfy { $0.isFinite })
    }
}

/// Safety as a property of the whole driver: random command streams (wild values,
/// NaN, unknown spaces of magnitude) sent to an arm on the simulator never produce a
/// goal outside the limits or further than one step from where the arm was.
@Suite struct ArmSafetyPropertyTests {
    @Test(arguments: [("so101-follower", 11 as UInt64), ("koch-follower", 12)])
    func randomStreamsStayInsideLimits(name: String, seed: UInt64) throws {
        // Slow servos (20 ticks/s), so the arm barely moves between the read here and
        // the read inside `send` that the step limit is measured from.
        let (sim, arm) = try ServoArmTests.make(name, speed: 20)
        try arm.connect()
        defer { try? arm.disconnect(); withExtendedLifetime(sim) {} }
        var rng = SeededRandom(seed: seed)
        let limits = arm.safetyLimits
        for _ in 0..<60 {
            let before = try arm.observe()
            var request = before
            for i in request.values.indices {
                request.values[i] = Int.random(in: 0..<8, using: &rng) == 0
                    ? .nan : Double.random(in: -6...6, using: &rng)
            }
            let sent = try arm.send(.joints(request))
            for (i, j) in limits.joints.enumerated() {
                let v = sent.sent.values[i]
                #expect(v >= j.lower - 1e-9 && v <= j.upper + 1e-9, "\(j.name) = \(v)")
                if let step = j.maxStep {
                    #expect(abs(v - before.values[i]) <= step + 0.01, "\(j.name) jumped")
                }
            }
            // What reached the servos is what `send` reported, tick for tick (sync write
            // has no reply, so the simulator applies it a moment later).
            for (i, j) in arm.profile.joints.enumerated() {
                let expected = arm.ticks(value: sent.sent.values[i], joint: j.name)
                #expect(ServoArmTests.eventually { sim.withServo(j.id) { $0.value(.goalPosition) } == expected })
            }
        }
    }
}
