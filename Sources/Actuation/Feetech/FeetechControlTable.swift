/// The control table of Feetech STS/SMS servos (STS3215).
///
/// From Feetech's STS/SMS memory table (doc.feetech.cn, "FT-SMS-STS emanual"), as also
/// listed in LeRobot's `feetech/tables.py`. Multi-byte values are little-endian.
/// Positions, velocities and `Homing_Offset` are sign-magnitude: bit 15 is the sign of
/// positions and velocities, bit 11 the sign of `Homing_Offset` (±2047 ticks).
public enum FeetechSTSControlTable {
    /// The register's address and size, or `nil` if the STS series lacks it.
    public static func spec(_ r: ServoRegister) -> RegisterSpec? {
        switch r {
        case .firmwareVersion: return RegisterSpec(0, 2, eeprom: true)
        case .modelNumber: return RegisterSpec(3, 2, eeprom: true)
        case .id: return RegisterSpec(5, 1, eeprom: true)
        case .baudRate: return RegisterSpec(6, 1, eeprom: true)
        case .returnDelayTime: return RegisterSpec(7, 1, eeprom: true)
        case .statusReturnLevel: return RegisterSpec(8, 1, eeprom: true)   // Response_Status_Level
        case .minPositionLimit: return RegisterSpec(9, 2, eeprom: true)
        case .maxPositionLimit: return RegisterSpec(11, 2, eeprom: true)
        case .temperatureLimit: return RegisterSpec(13, 1, eeprom: true)
        case .maxVoltageLimit: return RegisterSpec(14, 1, eeprom: true)
        case .minVoltageLimit: return RegisterSpec(15, 1, eeprom: true)
        case .maxTorqueLimit: return RegisterSpec(16, 2, eeprom: true)
        case .positionPGain: return RegisterSpec(21, 1, eeprom: true)
        case .positionDGain: return RegisterSpec(22, 1, eeprom: true)
        case .positionIGain: return RegisterSpec(23, 1, eeprom: true)
        case .protectionCurrent: return RegisterSpec(28, 2, eeprom: true)
        case .homingOffset: return RegisterSpec(31, 2, sign: .signMagnitude(bit: 11), eeprom: true)
        case .operatingMode: return RegisterSpec(33, 1, eeprom: true)
        case .overloadTorque: return RegisterSpec(36, 1, eeprom: true)
        case .torqueEnable: return RegisterSpec(40, 1)
        case .acceleration: return RegisterSpec(41, 1)
        case .goalPosition: return RegisterSpec(42, 2, sign: .signMagnitude(bit: 15))
        case .goalTime: return RegisterSpec(44, 2)
        case .goalVelocity: return RegisterSpec(46, 2, sign: .signMagnitude(bit: 15))
        case .torqueLimit: return RegisterSpec(48, 2)
        case .lock: return RegisterSpec(55, 1)
        case .presentPosition: return RegisterSpec(56, 2, sign: .signMagnitude(bit: 15))
        case .presentVelocity: return RegisterSpec(58, 2, sign: .signMagnitude(bit: 15))
        case .presentLoad: return RegisterSpec(60, 2, sign: .signMagnitude(bit: 10))
        case .presentVoltage: return RegisterSpec(62, 1)
        case .presentTemperature: return RegisterSpec(63, 1)
        case .moving: return RegisterSpec(66, 1)
        case .presentCurrent: return RegisterSpec(69, 2)
        case .driveMode, .currentLimit, .velocityLimit, .led, .hardwareErrorStatus, .goalCurrent,
             .profileAcceleration, .profileVelocity:
            return nil
        }
    }
}

/// The control table of Feetech SCS servos (SCS0009): like STS up to address 40 but
/// big-endian, without `Homing_Offset`, and with `Lock` at 48.
///
/// From Feetech's SCSCL memory table (doc.feetech.cn, "FT-SCSCL emanual").
public enum FeetechSCSControlTable {
    /// The register's address and size, or `nil` if the SCS series lacks it.
    public static func spec(_ r: ServoRegister) -> RegisterSpec? {
        switch r {
        case .homingOffset, .operatingMode, .protectionCurrent, .overloadTorque, .torqueLimit,
             .presentCurrent:
            return nil
        case .goalTime: return RegisterSpec(44, 2)   // Running_Time
        case .lock: return RegisterSpec(48, 1)
        case .goalPosition, .presentPosition: return RegisterSpec(FeetechSTSControlTable.spec(r)!.address, 2)
        case .presentVelocity, .goalVelocity:
            return RegisterSpec(FeetechSTSControlTable.spec(r)!.address, 2, sign: .signMagnitude(bit: 15))
        default: return FeetechSTSControlTable.spec(r)
        }
    }
}
