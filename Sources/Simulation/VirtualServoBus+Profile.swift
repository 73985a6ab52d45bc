import Actuation

extension VirtualServoBus {
    /// A simulated bus with one servo per joint of `profile`, each at the middle of the
    /// joint's default range, torque off.
    /// - Parameters:
    ///   - maxSpeed: Top speed of every servo in ticks per second.
    public convenience init(profile: ArmProfile, maxSpeed: Double = 3000) throws {
        try self.init(family: profile.protocolFamily, servos: profile.joints.map {
            VirtualServo(id: $0.id, model: $0.model,
                         position: Double($0.defaultRange[0] + $0.defaultRange[1]) / 2, maxSpeed: maxSpeed)
        })
    }
}
