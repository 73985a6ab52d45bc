/// A servo model this driver knows: its protocol, model number, resolution and
/// control table.
public enum ServoModel: String, CaseIterable, Sendable, Codable {
    /// Feetech STS3215 (SO-100/SO-101 arms), protocol "STS/SMS", 4096 ticks per turn.
    case sts3215
    /// Feetech SCS0009 (SCS series: big-endian registers), 1024 ticks over 300°.
    case scs0009
    /// ROBOTIS Dynamixel XL330-M288-T (Koch arm wrist and gripper, leader arms).
    case xl330m288 = "xl330-m288"
    /// ROBOTIS Dynamixel XL330-M077-T (Koch leader arm: low gear ratio, easy to back-drive).
    case xl330m077 = "xl330-m077"
    /// ROBOTIS Dynamixel XL430-W250-T (Koch follower shoulder and elbow).
    case xl430w250 = "xl430-w250"

    /// The wire protocol family.
    public var protocolFamily: ServoProtocolFamily {
        switch self {
        case .sts3215, .scs0009: return .feetech
        case .xl330m288, .xl330m077, .xl430w250: return .dynamixel
        }
    }

    /// The number the servo reports in its `Model_Number` register.
    public var modelNumber: Int {
        switch self {
        case .sts3215: return 777
        case .scs0009: return 1284
        case .xl330m288: return 1200
        case .xl330m077: return 1190
        case .xl430w250: return 1060
        }
    }

    /// Encoder ticks per revolution (SCS: ticks over its 300° range).
    public var resolution: Int {
        switch self {
        case .scs0009: return 1024
        default: return 4096
        }
    }

    /// Angle covered by `resolution` ticks, in radians.
    public var ticksSpan: Double {
        self == .scs0009 ? 300.0 * .pi / 180.0 : 2 * .pi
    }

    /// Byte order of multi-byte registers.
    public var byteOrder: ByteOrder { self == .scs0009 ? .bigEndian : .littleEndian }

    /// The register's address, size and encoding, or `nil` if the model lacks it.
    public func spec(_ register: ServoRegister) -> RegisterSpec? {
        switch self {
        case .sts3215: return FeetechSTSControlTable.spec(register)
        case .scs0009: return FeetechSCSControlTable.spec(register)
        case .xl330m288, .xl330m077: return DynamixelXControlTable.spec(register, model: .xl330)
        case .xl430w250: return DynamixelXControlTable.spec(register, model: .xl430)
        }
    }

    /// The model with this model number in this protocol family.
    public static func from(modelNumber: Int, family: ServoProtocolFamily) -> ServoModel? {
        allCases.first { $0.modelNumber == modelNumber && $0.protocolFamily == family }
    }

    /// The `Baud_Rate` register code for a rate, or `nil` if the model cannot run at it.
    public func baudRateCode(_ rate: Int) -> Int? {
        switch protocolFamily {
        case .feetech:
            return [1_000_000: 0, 500_000: 1, 250_000: 2, 128_000: 3, 115_200: 4, 57_600: 5, 38_400: 6, 19_200: 7][rate]
        case .dynamixel:
            return [9600: 0, 57_600: 1, 115_200: 2, 1_000_000: 3, 2_000_000: 4, 3_000_000: 5, 4_000_000: 6][rate]
        }
    }

    /// Encodes a value for one of this model's registers.
    public func encode(_ value: Int, _ register: ServoRegister, servo: UInt8) throws -> [UInt8] {
        guard let spec = spec(register) else { throw ServoBusError.registerUnavailable(register, model: self) }
        guard let bytes = spec.encode(value, byteOrder: byteOrder) else {
            throw ServoBusError.valueOutOfRange(register, value: value, servo: servo)
        }
        return bytes
    }

    /// Decodes a value read from one of this model's registers.
    public func decode(_ bytes: [UInt8], _ register: ServoRegister) throws -> Int {
        guard let spec = spec(register) else { throw ServoBusError.registerUnavailable(register, model: self) }
        return spec.decode(bytes, byteOrder: byteOrder)
    }
}

/// The two wire protocols.
public enum ServoProtocolFamily: String, CaseIterable, Sendable, Codable {
    /// Feetech SCS/STS ("FT-SCS protocol"), checksum = ~sum.
    case feetech
    /// ROBOTIS Dynamixel Protocol 2.0, CRC-16.
    case dynamixel
}
