import Foundation
import RobotCore

/// The servos of one arm on one serial bus, addressed by joint name and register name.
///
/// Reads of the same register from every motor go out as one sync read (one request,
/// one status per servo) and writes as one sync write, whenever the motors place the
/// register at the same address and size, as all supported arms do for positions.
/// Values here are raw register values (ticks); conversion to radians is `ServoArm`'s job.
/// All transactions are serialised by an internal lock, so a watchdog thread can use
/// the bus alongside the control loop.
public final class MotorBus: @unchecked Sendable {
    /// One servo on the bus.
    public struct Motor: Sendable, Equatable, Codable {
        /// Joint name, e.g. `shoulder_pan`.
        public var name: String
        /// Bus id.
        public var id: UInt8
        /// Servo model.
        public var model: ServoModel

        /// Creates a motor.
        public init(name: String, id: UInt8, model: ServoModel) {
            self.name = name
            self.id = id
            self.model = model
        }
    }

    /// The protocol client underneath.
    public let client: ServoProtocolClient
    /// The motors, in joint order.
    public let motors: [Motor]
    private let lock = NSRecursiveLock()

    /// Creates a bus over an open protocol client.
    public init(client: ServoProtocolClient, motors: [Motor]) {
        precondition(motors.allSatisfy { $0.model.protocolFamily == client.family },
                     "MotorBus: every motor must speak \(client.family)")
        precondition(Set(motors.map(\.id)).count == motors.count, "MotorBus: duplicate motor ids")
        self.client = client
        self.motors = motors
    }

    /// Opens the serial port at `path` and creates a bus speaking `family`.
    public static func open(path: String, family: ServoProtocolFamily, baudRate: Int, motors: [Motor],
                            policy: TransactionPolicy = TransactionPolicy()) throws -> MotorBus {
        let port = try SerialPort(path: path, baudRate: baudRate)
        let client: ServoProtocolClient = family == .feetech
            ? FeetechProtocol(link: port, policy: policy)
            : DynamixelProtocol(link: port, policy: policy)
        return MotorBus(client: client, motors: motors)
    }

    /// Closes the serial port if the link is one.
    public func close() throws {
        try locked { try (client.link as? SerialPort)?.close() }
    }

    /// Runs `body` holding the bus lock.
    public func locked<R>(_ body: () throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    /// The motor named `name`.
    public func motor(_ name: String) -> Motor {
        guard let m = motors.first(where: { $0.name == name }) else {
            preconditionFailure("MotorBus: no motor named \(name); motors are \(motors.map(\.name))")
        }
        return m
    }

    /// Checks that every motor answers and reports the expected model number.
    /// - Throws: `ServoBusError.noResponse(servo:)` or `.unexpectedModel` for the first failing motor.
    public func verify() throws {
        try locked {
            for m in motors {
                let spec = m.model.spec(.modelNumber)!
                let bytes = try client.read(m.id, address: spec.address, count: spec.size)
                let number = spec.decode(bytes, byteOrder: m.model.byteOrder)
                guard number == m.model.modelNumber else {
                    throw ServoBusError.unexpectedModel(servo: m.id, modelNumber: number, expected: m.model)
                }
            }
        }
    }

    /// Reads one register of one motor.
    public func read(_ register: ServoRegister, _ name: String) throws -> Int {
        let m = motor(name)
        guard let spec = m.model.spec(register) else { throw ServoBusError.registerUnavailable(register, model: m.model) }
        return try locked {
            spec.decode(try client.read(m.id, address: spec.address, count: spec.size), byteOrder: m.model.byteOrder)
        }
    }

    /// Writes one register of one motor and waits for its acknowledgement.
    public func write(_ register: ServoRegister, _ value: Int, _ name: String) throws {
        let m = motor(name)
        let bytes = try m.model.encode(value, register, servo: m.id)
        try locked { try client.write(m.id, address: m.model.spec(register)!.address, data: bytes) }
    }

    /// Reads `register` from `names` (all motors by default), in one sync read when the
    /// motors share the register's address and size, else in one Dynamixel bulk read,
    /// else (Feetech) one read per motor.
    /// - Returns: One decoded value per name, in order.
    public func syncRead(_ register: ServoRegister, _ names: [String]? = nil) throws -> [Int] {
        let ms = names.map { $0.map(motor) } ?? motors
        let specs = try ms.map { m -> RegisterSpec in
            guard let s = m.model.spec(register) else { throw ServoBusError.registerUnavailable(register, model: m.model) }
            return s
        }
        guard let first = specs.first else { return [] }
        return try locked {
            if specs.allSatisfy({ $0.address == first.address && $0.size == first.size }) {
                let raw = try client.syncRead(ms.map(\.id), address: first.address, count: first.size)
                return zip(zip(ms, specs), raw).map { $0.1.decode($1, byteOrder: $0.0.model.byteOrder) }
            }
            if let dxl = client as? DynamixelProtocol {
                let raw = try dxl.bulkRead(zip(ms, specs).map { (id: $0.id, address: $1.address, count: $1.size) })
                return zip(zip(ms, specs), raw).map { $0.1.decode($1, byteOrder: $0.0.model.byteOrder) }
            }
            return try zip(ms, specs).map { m, s in
                s.decode(try client.read(m.id, address: s.address, count: s.size), byteOrder: m.model.byteOrder)
            }
        }
    }

    /// Writes one value of `register` per name in one sync write (or per-motor writes if
    /// the motors disagree on the register's address).
    public func syncWrite(_ register: ServoRegister, _ values: [Int], _ names: [String]? = nil) throws {
        let ms = names.map { $0.map(motor) } ?? motors
        precondition(ms.count == values.count, "MotorBus.syncWrite: \(values.count) values for \(ms.count) motors")
        let encoded = try zip(ms, values).map { m, v in try m.model.encode(v, register, servo: m.id) }
        let specs = ms.map { $0.model.spec(register)! }
        guard let first = specs.first else { return }
        try locked {
            if specs.allSatisfy({ $0.address == first.address && $0.size == first.size }) {
                try client.syncWrite(address: first.address, count: first.size,
                                     zip(ms, encoded).map { (id: $0.id, data: $1) })
            } else {
                for (m, bytes) in zip(ms, encoded) {
                    try client.write(m.id, address: m.model.spec(register)!.address, data: bytes)
                }
            }
        }
    }

    /// Enables or disables torque on `names` (all motors by default), acknowledged per motor.
    /// On Feetech servos, disabling torque also unlocks EEPROM (`Lock` = 0) so calibration
    /// can be written, and enabling it locks EEPROM again.
    public func setTorque(_ on: Bool, _ names: [String]? = nil) throws {
        try locked {
            for name in names ?? motors.map(\.name) {
                try write(.torqueEnable, on ? 1 : 0, name)
                if motor(name).model.spec(.lock) != nil { try write(.lock, on ? 1 : 0, name) }
            }
        }
    }

    /// Disables torque on every servo with one broadcast write (no replies expected):
    /// the last-resort safe state, which works even when some servo no longer answers.
    public func broadcastTorqueOff() throws {
        try locked {
            var done = Set<UInt16>()
            for m in motors {
                let spec = m.model.spec(.torqueEnable)!
                if done.insert(spec.address).inserted {
                    try client.write(client.family == .feetech ? FeetechPacket.broadcastID : DynamixelPacket.broadcastID,
                                     address: spec.address, data: [0])
                }
            }
            // Make sure the bytes have left before anyone closes the port.
            try? (client.link as? SerialPort)?.drain()
        }
    }
}
