import Foundation
import Testing
@testable import Actuation
@testable import Simulation

/// The real drivers (SerialPort + protocol) against the simulated bus over a real pty.
@Suite struct FeetechOverPtyTests {
    let sim: VirtualServoBus
    let port: SerialPort
    let bus: FeetechProtocol

    init() throws {
        sim = try VirtualServoBus(family: .feetech, servos: (1...6).map {
            VirtualServo(id: UInt8($0), model: .sts3215, position: Double(1000 + 300 * $0), maxSpeed: 20_000)
        })
        sim.start()
        port = try SerialPort(path: sim.path, baudRate: 1_000_000)
        bus = FeetechProtocol(link: port, policy: TransactionPolicy(timeout: 0.1, retries: 2))
    }

    @Test func pingReadWriteAndMotion() throws {
        #expect(try bus.ping(1) == nil)
        let model = try bus.read(3, address: 3, count: 2)
        #expect(model == [0x09, 0x03])   // 777 little-endian
        try bus.write(2, address: 42, data: [0x00, 0x08])   // goal 2048
        try bus.write(2, address: 40, data: [1])            // torque on
        var present = 0
        for _ in 0..<100 {
            let b = try bus.read(2, address: 56, count: 2)
            present = Int(b[0]) | Int(b[1]) << 8
            if present == 2048 { break }
            usleep(5000)
        }
        #expect(present == 2048)
        // The exact bytes of the write went over the wire.
        #expect(sim.receivedPackets.contains([0xFF, 0xFF, 0x02, 0x05, 0x03, 0x2A, 0x00, 0x08, 0xC3]))
    }

    @Test func syncReadAllSixInOneRequest() throws {
        let before = sim.receivedPackets.count
        let values = try bus.syncRead([1, 2, 3, 4, 5, 6], address: 56, count: 2)
        #expect(values.map { Int($0[0]) | Int($0[1]) << 8 } == (1...6).map { 1000 + 300 * $0 })
        #expect(sim.receivedPackets.count == before + 1)
    }

    @Test func syncWriteAndRegWriteAction() throws {
        try bus.syncWrite(address: 42, count: 2, [(1, [0x10, 0x00]), (2, [0x20, 0x00])])
        try bus.registerWrite(3, address: 42, data: [0x30, 0x00])
        #expect(sim.withServo(3) { $0.value(.goalPosition) } != 0x30)
        try bus.action()
        // Broadcasts have no reply: confirm with a read (which is ordered after them).
        _ = try bus.read(1, address: 42, count: 2)
        #expect(sim.withServo(1) { $0.value(.goalPosition) } == 0x10)
        #expect(sim.withServo(2) { $0.value(.goalPosition) } == 0x20)
        #expect(sim.withServo(3) { $0.value(.goalPosition) } == 0x30)
    }

    @Test func silentServoIsNamedAfterBoundedRetries() throws {
        sim.inject(.noReply, servo: 4)
        let before = sim.receivedPackets.count
        #expect(throws: ServoBusError.noResponse(servo: 4)) {
            _ = try bus.syncRead([1, 2, 3, 4, 5, 6], address: 56, count: 2)
        }
        #expect(sim.receivedPackets.count - before == 3)   // 1 try + 2 retries
    }

    @Test func errorBitsAreReportedWithTheServo() throws {
        sim.inject(.errorBits(0x20), servo: 2, count: 1)
        #expect(throws: ServoBusError.statusError(servo: 2, bits: 0x20, meaning: ["overload"])) {
            _ = try bus.read(2, address: 56, count: 2)
        }
    }

    @Test func resynchronisesOnGarbage() throws {
        // A false header whose length swallows the real reply, then noise.
        sim.inject(.garbageBefore([0x00, 0xFF, 0xFF, 0x01, 0x09, 0x13, 0xFF]), servo: 1, count: 1)
        #expect(try bus.read(1, address: 56, count: 2) == [UInt8(1300 & 0xFF), UInt8(1300 >> 8)])
        sim.inject(.garbageBefore([0xFF, 0xFF, 0xFF, 0xAA]), servo: 2)
        #expect(try bus.read(2, address: 56, count: 2).count == 2)
    }

    @Test func badChecksumRetriesThenReports() throws {
        sim.inject(.badChecksum, servo: 1, count: 1)
        #expect(try bus.read(1, address: 56, count: 2).count == 2)   // second try succeeds
        sim.inject(.badChecksum, servo: 1)
        do {
            _ = try bus.read(1, address: 56, count: 2)
            Issue.record("a corrupted reply was accepted")
        } catch ServoBusError.checksumMismatch(let servo, _, _) {
            #expect(servo == 1)
        }
    }

    @Test func shortReplyTimesOut() throws {
        sim.inject(.shortReply, servo: 5)
        #expect(throws: ServoBusError.noResponse(servo: 5)) { _ = try bus.read(5, address: 56, count: 2) }
    }

    @Test func disappearingPortIsADisconnect() throws {
        sim.disconnect()
        #expect(throws: ServoBusError.port(.disconnected(path: sim.path))) {
            _ = try bus.read(1, address: 56, count: 2)
        }
    }
}

@Suite struct DynamixelOverPtyTests {
    let sim: VirtualServoBus
    let bus: DynamixelProtocol

    init() throws {
        sim = try VirtualServoBus(family: .dynamixel, servos: [
            VirtualServo(id: 1, model: .xl430w250, position: 1000, maxSpeed: 20_000),
            VirtualServo(id: 2, model: .xl330m288, position: 3000, maxSpeed: 20_000),
        ])
        sim.start()
        bus = DynamixelProtocol(link: try SerialPort(path: sim.path), policy: TransactionPolicy(timeout: 0.1, retries: 2))
    }

    @Test func pingReportsModelNumbers() throws {
        #expect(try bus.ping(1) == 1060)
        #expect(try bus.ping(2) == 1200)
        #expect(bus.scan(1...4, timeout: 0.05) == [1, 2])
    }

    @Test func syncAndBulkRead() throws {
        let s = try bus.syncRead([1, 2], address: 132, count: 4)
        #expect(s == [[0xE8, 0x03, 0, 0], [0xB8, 0x0B, 0, 0]])
        let b = try bus.bulkRead([(1, 132, 4), (2, 0, 2)])
        #expect(b == [[0xE8, 0x03, 0, 0], [0xB0, 0x04]])
    }

    @Test func mixedModelsShareOneSyncRead() throws {
        let mb = MotorBus(client: bus, motors: [.init(name: "a", id: 1, model: .xl430w250), .init(name: "b", id: 2, model: .xl330m288)])
        let before = sim.receivedPackets.count
        // XL430 and XL330 share the X-series table, so a Koch arm reads in one request.
        #expect(try mb.syncRead(.modelNumber) == [1060, 1200])
        #expect(try mb.syncRead(.presentPosition) == [1000, 3000])
        #expect(sim.receivedPackets.count == before + 2)
    }

    @Test func eepromWriteWithTorqueOnIsAnAccessError() throws {
        try bus.write(1, address: 64, data: [1])
        #expect(throws: ServoBusError.statusError(servo: 1, bits: 7, meaning: ["access error"])) {
            try bus.write(1, address: 20, data: [0, 0, 0, 0])
        }
    }

    @Test func stuffedPayloadSurvivesTheRoundTrip() throws {
        // Goal position bytes FF FF FD 00 would look like a header without stuffing.
        try bus.write(2, address: 116, data: [0xFF, 0xFF, 0xFD, 0x00])
        #expect(try bus.read(2, address: 116, count: 4) == [0xFF, 0xFF, 0xFD, 0x00])
    }

    @Test func faults() throws {
        sim.inject(.noReply, servo: 2)
        #expect(throws: ServoBusError.noResponse(servo: 2)) { _ = try bus.syncRead([1, 2], address: 132, count: 4) }
        sim.clearFaults()
        sim.inject(.garbageBefore([0xFF, 0xFF, 0xFD, 0x00, 0x01, 0x40, 0x00]), servo: 1, count: 1)
        #expect(try bus.read(1, address: 132, count: 4) == [0xE8, 0x03, 0, 0])
        sim.inject(.badChecksum, servo: 1)
        do {
            _ = try bus.read(1, address: 132, count: 4)
            Issue.record("a corrupted reply was accepted")
        } catch ServoBusError.checksumMismatch(let servo, _, _) {
            #expect(servo == 1)
        }
    }
}

/// Feetech SCS servos (SCS0009): the same frame, big-endian registers.
@Suite struct ScsOverPtyTests {
    @Test func bigEndianPositionsThroughTheMotorBus() throws {
        let sim = try VirtualServoBus(family: .feetech, servos: [VirtualServo(id: 1, model: .scs0009, position: 0x0123)])
        sim.start()
        let bus = try MotorBus.open(path: sim.path, family: .feetech, baudRate: 1_000_000,
                                    motors: [.init(name: "j", id: 1, model: .scs0009)],
                                    policy: TransactionPolicy(timeout: 0.1, retries: 2))
        try bus.verify()
        #expect(try bus.client.read(1, address: 56, count: 2) == [0x01, 0x23])   // high byte first
        #expect(try bus.syncRead(.presentPosition) == [0x0123])
        try bus.write(.goalPosition, 0x0200, "j")
        #expect(sim.withServo(1) { Array($0.memory[42...43]) } == [0x02, 0x00])
    }
}
