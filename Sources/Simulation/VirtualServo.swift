import Actuation
import Foundation

/// One emulated servo: a register table laid out like the real model's, and a motor
/// that moves toward its goal at a bounded speed while torque is on.
///
/// Register semantics follow the vendors' manuals where the driver depends on them:
/// Feetech reports `Present_Position = (actual − Homing_Offset) mod 4096` and writing
/// 128 to `Torque_Enable` makes the present position read 2048; Dynamixel reports
/// `Present_Position = actual + Homing_Offset` and refuses EEPROM writes while torque
/// is on (access error). Not thread-safe: `VirtualServoBus` serialises access.
public final class VirtualServo {
    /// The servo's id on the bus (changes if the `ID` register is written).
    public var id: UInt8 { UInt8(value(.id)) }
    /// The emulated model.
    public let model: ServoModel
    /// The raw register bytes.
    public private(set) var memory: [UInt8]
    /// The shaft position in encoder ticks before any homing offset, 0..<resolution.
    public var actualPosition: Double
    /// Top speed in ticks per second.
    public var maxSpeed: Double

    /// Creates a servo at `position` raw ticks (default: mid-range), torque off.
    public init(id: UInt8, model: ServoModel, position: Double? = nil, maxSpeed: Double = 3000) {
        self.model = model
        self.memory = [UInt8](repeating: 0, count: 256)
        self.actualPosition = position ?? Double(model.resolution / 2)
        self.maxSpeed = maxSpeed
        set(.modelNumber, model.modelNumber)
        set(.id, Int(id))
        set(.baudRate, model.baudRateCode(1_000_000) ?? 0)
        set(.minPositionLimit, 0)
        set(.maxPositionLimit, model.resolution - 1)
        if model.protocolFamily == .dynamixel {
            set(.statusReturnLevel, 2)
            set(.operatingMode, 3)            // position control
            set(.maxVoltageLimit, 140)
            set(.minVoltageLimit, 35)
            set(.velocityLimit, 445)
            set(.presentVoltage, 50)
            set(.temperatureLimit, 80)
            memory[6] = 46                    // Firmware_Version
        } else {
            set(.statusReturnLevel, 1)
            set(.maxTorqueLimit, 1000)
            set(.torqueLimit, 1000)
            set(.presentVoltage, 74)          // 7.4 V
            set(.temperatureLimit, 70)
            memory[0] = 3; memory[1] = 10     // firmware 3.10
        }
        set(.presentTemperature, 30)
        set(.goalPosition, Int(presentPosition))
        refreshPresent()
    }

    // MARK: Registers

    /// Decodes a register, or 0 if the model lacks it.
    public func value(_ r: ServoRegister) -> Int {
        guard let s = model.spec(r) else { return 0 }
        let a = Int(s.address)
        return s.decode(memory[a..<(a + s.size)], byteOrder: model.byteOrder)
    }

    /// Stores a register value directly (no side effects), clamping to its range.
    public func set(_ r: ServoRegister, _ v: Int) {
        guard let s = model.spec(r) else { return }
        let clamped = min(max(v, s.range.lowerBound), s.range.upperBound)
        let bytes = s.encode(clamped, byteOrder: model.byteOrder)!
        memory.replaceSubrange(Int(s.address)..<(Int(s.address) + s.size), with: bytes)
    }

    private var homingOffset: Int { value(.homingOffset) }
    private var resolution: Double { Double(model.resolution) }

    /// The position the servo reports, in its own (offset) frame.
    public var presentPosition: Int {
        let raw = Int(actualPosition.rounded())
        if model.protocolFamily == .feetech {
            let r = model.resolution
            return ((raw - homingOffset) % r + r) % r
        }
        return raw + homingOffset
    }

    /// Whether torque is enabled.
    public var torqueEnabled: Bool { value(.torqueEnable) & 1 == 1 }

    func refreshPresent() {
        set(.presentPosition, presentPosition)
        set(.moving, abs(targetActual - actualPosition) > 1 && torqueEnabled ? 1 : 0)
    }

    /// The goal in raw ticks, limited to the position limits.
    private var targetActual: Double {
        let lo = value(.minPositionLimit), hi = value(.maxPositionLimit)
        let goal = min(max(value(.goalPosition), min(lo, hi)), max(lo, hi))
        if model.protocolFamily == .feetech {
            let r = model.resolution
            return Double(((goal + homingOffset) % r + r) % r)
        }
        return Double(goal - homingOffset)
    }

    /// Advances the motor by `dt` seconds.
    public func step(_ dt: Double) {
        if torqueEnabled {
            let target = targetActual
            let delta = target - actualPosition
            let maxMove = maxSpeed * dt
            actualPosition += min(max(delta, -maxMove), maxMove)
            let speed = abs(delta) > maxMove ? (delta > 0 ? maxSpeed : -maxSpeed) : delta / max(dt, 1e-6)
            set(.presentVelocity, Int(speed.rounded()))
        } else {
            set(.presentVelocity, 0)
        }
        actualPosition = min(max(actualPosition, 0), resolution - 1)
        refreshPresent()
    }

    /// Reads `count` bytes at `address`, or `nil` if past the end of the table.
    func read(address: Int, count: Int) -> [UInt8]? {
        guard address >= 0, count >= 0, address + count <= memory.count else { return nil }
        refreshPresent()
        return Array(memory[address..<(address + count)])
    }

    /// The outcome of a write as the servo's status error byte would report it.
    enum WriteResult { case ok, accessError, rangeError }

    /// Writes bytes at `address` with the side effects of the real servo.
    func write(address: Int, data: [UInt8]) -> WriteResult {
        guard address >= 0, address + data.count <= memory.count else { return .rangeError }
        if model.protocolFamily == .dynamixel && torqueEnabled && address < 64 {
            return .accessError   // EEPROM is locked while torque is on
        }
        let torqueAddress = Int(model.spec(.torqueEnable)!.address)
        if model.protocolFamily == .feetech, address == torqueAddress, data.first == 128 {
            // Feetech "calibrate middle": the present position becomes 2048.
            let raw = Int(actualPosition.rounded())
            set(.homingOffset, raw - model.resolution / 2)
            set(.goalPosition, presentPosition)
            refreshPresent()
            return .ok
        }
        memory.replaceSubrange(address..<(address + data.count), with: data)
        refreshPresent()
        return .ok
    }
}
