/// A servo register by meaning, the same name for every vendor.
///
/// Each model maps the names it has to an address and size (`ServoModel.spec(_:)`);
/// the raw values are LeRobot's names for the same registers.
public enum ServoRegister: String, CaseIterable, Sendable, Codable {
    case modelNumber = "Model_Number"
    case firmwareVersion = "Firmware_Version"
    case id = "ID"
    case baudRate = "Baud_Rate"
    case returnDelayTime = "Return_Delay_Time"
    case statusReturnLevel = "Status_Return_Level"
    case driveMode = "Drive_Mode"
    case operatingMode = "Operating_Mode"
    case homingOffset = "Homing_Offset"
    case minPositionLimit = "Min_Position_Limit"
    case maxPositionLimit = "Max_Position_Limit"
    case temperatureLimit = "Max_Temperature_Limit"
    case maxVoltageLimit = "Max_Voltage_Limit"
    case minVoltageLimit = "Min_Voltage_Limit"
    case maxTorqueLimit = "Max_Torque_Limit"
    case currentLimit = "Current_Limit"
    case velocityLimit = "Velocity_Limit"
    case positionPGain = "P_Coefficient"
    case positionDGain = "D_Coefficient"
    case positionIGain = "I_Coefficient"
    case protectionCurrent = "Protection_Current"
    case overloadTorque = "Overload_Torque"
    case torqueEnable = "Torque_Enable"
    case led = "LED"
    case hardwareErrorStatus = "Hardware_Error_Status"
    case acceleration = "Acceleration"
    case goalPosition = "Goal_Position"
    case goalTime = "Goal_Time"
    case goalVelocity = "Goal_Velocity"
    case goalCurrent = "Goal_Current"
    case torqueLimit = "Torque_Limit"
    case profileAcceleration = "Profile_Acceleration"
    case profileVelocity = "Profile_Velocity"
    case lock = "Lock"
    case presentPosition = "Present_Position"
    case presentVelocity = "Present_Velocity"
    case presentLoad = "Present_Load"
    case presentCurrent = "Present_Current"
    case presentVoltage = "Present_Voltage"
    case presentTemperature = "Present_Temperature"
    case moving = "Moving"
}

/// How a register's bytes encode a signed value.
public enum SignEncoding: Sendable, Equatable {
    /// Unsigned.
    case unsigned
    /// Sign and magnitude: bit `bit` is the sign, the bits below are the magnitude
    /// (Feetech STS: bit 15 for positions and velocities, bit 11 for `Homing_Offset`).
    case signMagnitude(bit: Int)
    /// Two's complement over the register's width (Dynamixel).
    case twosComplement
}

/// Byte order of multi-byte registers.
public enum ByteOrder: Sendable, Equatable {
    /// Low byte first (Feetech STS/SMS, Dynamixel).
    case littleEndian
    /// High byte first (Feetech SCS).
    case bigEndian
}

/// Where a register is and how its value is encoded.
public struct RegisterSpec: Sendable, Equatable {
    /// Address in the control table.
    public var address: UInt16
    /// Width in bytes: 1, 2 or 4.
    public var size: Int
    /// Signed-value encoding.
    public var sign: SignEncoding
    /// Whether the register is in EEPROM (writes need torque off and, on Feetech, `Lock` = 0).
    public var eeprom: Bool

    /// Creates a register description.
    public init(_ address: UInt16, _ size: Int, sign: SignEncoding = .unsigned, eeprom: Bool = false) {
        self.address = address
        self.size = size
        self.sign = sign
        self.eeprom = eeprom
    }

    /// The range of values the register can hold.
    public var range: ClosedRange<Int> {
        let bits = size * 8
        switch sign {
        case .unsigned: return 0...((1 << bits) - 1)
        case .signMagnitude(let bit): return -((1 << bit) - 1)...((1 << bit) - 1)
        case .twosComplement: return -(1 << (bits - 1))...((1 << (bits - 1)) - 1)
        }
    }

    /// Encodes `value` into `size` bytes.
    /// - Returns: `nil` if the value is outside `range`.
    public func encode(_ value: Int, byteOrder: ByteOrder) -> [UInt8]? {
        guard range.contains(value) else { return nil }
        let raw: UInt32
        switch sign {
        case .unsigned: raw = UInt32(value)
        case .signMagnitude(let bit): raw = value < 0 ? (UInt32(-value) | (1 << UInt32(bit))) : UInt32(value)
        case .twosComplement: raw = UInt32(truncatingIfNeeded: value) & (size == 4 ? 0xFFFF_FFFF : (1 << UInt32(size * 8)) - 1)
        }
        var out = (0..<size).map { UInt8(truncatingIfNeeded: raw >> (8 * UInt32($0))) }
        if byteOrder == .bigEndian { out.reverse() }
        return out
    }

    /// Decodes `size` bytes.
    public func decode<C: Collection>(_ bytes: C, byteOrder: ByteOrder) -> Int where C.Element == UInt8 {
        precondition(bytes.count == size, "RegisterSpec: \(bytes.count) bytes for a \(size)-byte register")
        var raw: UInt32 = 0
        let ordered = byteOrder == .bigEndian ? Array(bytes.reversed()) : Array(bytes)
        for (i, b) in ordered.enumerated() { raw |= UInt32(b) << (8 * UInt32(i)) }
        switch sign {
        case .unsigned:
            return Int(raw)
        case .signMagnitude(let bit):
            let magnitude = Int(raw & ((1 << UInt32(bit)) - 1))
            return raw & (1 << UInt32(bit)) != 0 ? -magnitude : magnitude
        case .twosComplement:
            switch size {
            case 1: return Int(Int8(truncatingIfNeeded: raw))
            case 2: return Int(Int16(truncatingIfNeeded: raw))
            default: return Int(Int32(bitPattern: raw))
            }
        }
    }
}
