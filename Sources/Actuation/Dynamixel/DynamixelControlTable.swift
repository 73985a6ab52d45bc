/// The control table of ROBOTIS Dynamixel X-series servos (XL330-M288, XL430-W250).
///
/// From the ROBOTIS e-manual control tables (emanual.robotis.com/docs/en/dxl/x/xl330-m288/
/// and .../xl430-w250/), which LeRobot's `dynamixel/tables.py` also lists. Values are
/// little-endian two's complement where signed. The XL430 has no current sensing: it
/// lacks `Current_Limit` and `Goal_Current`, and address 126 is `Present_Load` (0.1 %).
public enum DynamixelXControlTable {
    /// The X-series members whose tables differ.
    public enum Variant: Sendable { case xl330, xl430 }

    /// The register's address and size, or `nil` if the model lacks it.
    public static func spec(_ r: ServoRegister, model: Variant) -> RegisterSpec? {
        switch r {
        case .modelNumber: return RegisterSpec(0, 2, eeprom: true)
        case .firmwareVersion: return RegisterSpec(6, 1, eeprom: true)
        case .id: return RegisterSpec(7, 1, eeprom: true)
        case .baudRate: return RegisterSpec(8, 1, eeprom: true)
        case .returnDelayTime: return RegisterSpec(9, 1, eeprom: true)
        case .driveMode: return RegisterSpec(10, 1, eeprom: true)
        case .operatingMode: return RegisterSpec(11, 1, eeprom: true)
        case .homingOffset: return RegisterSpec(20, 4, sign: .twosComplement, eeprom: true)
        case .temperatureLimit: return RegisterSpec(31, 1, eeprom: true)
        case .maxVoltageLimit: return RegisterSpec(32, 2, eeprom: true)
        case .minVoltageLimit: return RegisterSpec(34, 2, eeprom: true)
        case .currentLimit: return model == .xl330 ? RegisterSpec(38, 2, eeprom: true) : nil
        case .velocityLimit: return RegisterSpec(44, 4, eeprom: true)
        case .maxPositionLimit: return RegisterSpec(48, 4, eeprom: true)
        case .minPositionLimit: return RegisterSpec(52, 4, eeprom: true)
        case .torqueEnable: return RegisterSpec(64, 1)
        case .led: return RegisterSpec(65, 1)
        case .statusReturnLevel: return RegisterSpec(68, 1)
        case .hardwareErrorStatus: return RegisterSpec(70, 1)
        case .positionDGain: return RegisterSpec(80, 2)
        case .positionIGain: return RegisterSpec(82, 2)
        case .positionPGain: return RegisterSpec(84, 2)
        case .goalCurrent: return model == .xl330 ? RegisterSpec(102, 2, sign: .twosComplement) : nil
        case .goalVelocity: return RegisterSpec(104, 4, sign: .twosComplement)
        case .profileAcceleration: return RegisterSpec(108, 4)
        case .profileVelocity: return RegisterSpec(112, 4)
        case .goalPosition: return RegisterSpec(116, 4, sign: .twosComplement)
        case .moving: return RegisterSpec(122, 1)
        case .presentCurrent: return model == .xl330 ? RegisterSpec(126, 2, sign: .twosComplement) : nil
        case .presentLoad: return model == .xl430 ? RegisterSpec(126, 2, sign: .twosComplement) : nil
        case .presentVelocity: return RegisterSpec(128, 4, sign: .twosComplement)
        case .presentPosition: return RegisterSpec(132, 4, sign: .twosComplement)
        case .presentVoltage: return RegisterSpec(144, 2)
        case .presentTemperature: return RegisterSpec(146, 1)
        case .maxTorqueLimit, .protectionCurrent, .overloadTorque, .acceleration, .goalTime,
             .torqueLimit, .lock:
            return nil
        }
    }
}
