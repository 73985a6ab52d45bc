import Actuation
import Foundation
import RobotCore

extension SimulatedWorld {
    /// A world whose arm is a real ``ServoArm`` driving a ``VirtualServoBus`` over a
    /// pseudo-terminal: every step is Feetech (or Dynamixel) packets on a tty and
    /// simulated motors that take time to move.
    ///
    /// The bus runs in real time, so use the monotonic clock. Keep the returned bus
    /// alive as long as the world. The scene follows the simulated motors' positions
    /// (what physics would see), while the arm's driver talks to them over the pty.
    /// - Parameters:
    ///   - profile: An arm profile with SO-101 kinematics (`so101-follower` by default).
    ///   - maxSpeed: The simulated servos' top speed, ticks per second.
    /// - Returns: The world and the bus serving its pty.
    /// - Throws: `Errno` if the pty cannot be made; `ArmProfileError` for a bad profile.
    public static func servoBus(profile name: String = "so101-follower", clock: Clock = MonotonicClock(),
                                cameraSize: PixelSize = PixelSize(width: 224, height: 224),
                                maxSpeed: Double = 6000) throws -> (SimulatedWorld, VirtualServoBus) {
        let profile = try ArmProfile.load(name)
        let kinematics = try SerialChainKinematics.so101()
        let bus = try VirtualServoBus(profile: profile, maxSpeed: maxSpeed)
        bus.start()
        // The simulated bus is a thread of this process: on a loaded machine (parallel test
        // runs, CI) it can be starved for longer than real servos ever take to answer, so it
        // gets a more patient transaction policy than hardware needs.
        let arm = ServoArm(profile: profile, port: bus.path, policy: TransactionPolicy(timeout: 1.0, retries: 3))
        arm.installsSignalHandlers = false
        // The scene follows the simulated motors themselves, converted with the driver's
        // own calibration, so it never competes with the driver for the serial line.
        let reader: SimulatedWorld.JointReader = { [weak bus] in
            guard let bus else { return try arm.observe() }
            var values: [Double] = []
            for j in profile.joints {
                guard let ticks = bus.withServo(j.id, { $0.presentPosition }) else { return try arm.observe() }
                values.append(arm.value(ticks: ticks, joint: j.name))
            }
            return JointPositions(names: profile.joints.map(\.name), values: values, timestamp: clock.now())
        }
        let world = SimulatedWorld(arm: arm, kinematics: kinematics, clock: clock, cameraSize: cameraSize,
                                   jointReader: reader)
        return (world, bus)
    }
}
