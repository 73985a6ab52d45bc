import Foundation
import RobotCore

/// The calibration procedure for one arm, step by step, so a CLI, a GUI or a test can
/// drive it: torque off; homing at the middle pose; range recording; result.
///
/// ```swift
/// let c = try ArmCalibrator(bus: bus, profile: profile)  // torque goes off
/// try c.setHomingAtCurrentPose()     // the arm is at the middle of its range
/// while moving { try c.sampleRange() }  // the user sweeps every joint
/// let calibration = try c.result()
/// ```
///
/// Homing offsets come from `Homing.offset`, which depends only on the shaft position,
/// so calibrating again and again never drifts toward the register's limits.
public final class ArmCalibrator {
    /// The bus of the arm being calibrated.
    public let bus: MotorBus
    /// The arm's profile.
    public let profile: ArmProfile
    private var offsets: [String: Int] = [:]
    private var mins: [String: Int] = [:]
    private var maxs: [String: Int] = [:]

    /// Starts a calibration: disables torque (and unlocks EEPROM on Feetech).
    public init(bus: MotorBus, profile: ArmProfile) throws {
        self.bus = bus
        self.profile = profile
        try bus.setTorque(false)
    }

    /// Writes each joint's homing offset so the present pose reads half a turn (2048).
    /// - Returns: The offsets written, by joint name.
    @discardableResult
    public func setHomingAtCurrentPose() throws -> [String: Int] {
        for j in profile.joints {
            guard j.model.spec(.homingOffset) != nil else { offsets[j.name] = 0; continue }
            let present = try bus.read(.presentPosition, j.name)
            let current = try bus.read(.homingOffset, j.name)
            let offset = Homing.offset(present: present, currentOffset: current, model: j.model)
            try bus.write(.homingOffset, offset, j.name)
            offsets[j.name] = offset
        }
        mins.removeAll()
        maxs.removeAll()
        return offsets
    }

    /// Reads every joint once (one sync read) and widens the recorded ranges.
    /// - Returns: The present positions in ticks, in joint order.
    @discardableResult
    public func sampleRange() throws -> [Int] {
        let ticks = try bus.syncRead(.presentPosition)
        for (j, t) in zip(profile.joints, ticks) {
            mins[j.name] = min(mins[j.name] ?? t, t)
            maxs[j.name] = max(maxs[j.name] ?? t, t)
        }
        return ticks
    }

    /// The recorded range of a joint so far, if sampled.
    public func range(of joint: String) -> ClosedRange<Int>? {
        guard let lo = mins[joint], let hi = maxs[joint] else { return nil }
        return lo...hi
    }

    /// The finished calibration.
    /// - Throws: `CalibrationError` if homing was skipped or a joint did not move.
    public func result() throws -> ArmCalibration {
        var c = ArmCalibration(joints: [:])
        for j in profile.joints {
            guard let offset = offsets[j.name] else { throw CalibrationError.missingJoint(j.name) }
            guard let lo = mins[j.name], let hi = maxs[j.name], lo < hi else { throw CalibrationError.emptyRange(joint: j.name) }
            c.joints[j.name] = JointCalibration(id: Int(j.id), homingOffset: offset, rangeMin: lo, rangeMax: hi)
        }
        try c.validate(for: profile)
        return c
    }
}
